"""cbeclab.render"""
