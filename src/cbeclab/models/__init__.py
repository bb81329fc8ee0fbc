"""cbeclab.models"""
