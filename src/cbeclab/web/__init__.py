"""cbeclab.web"""
