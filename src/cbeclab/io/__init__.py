"""cbeclab.io"""
