"""cbeclab.diagnose"""
