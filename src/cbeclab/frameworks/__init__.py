"""cbeclab.frameworks"""
