"""cbeclab.evaluate"""
