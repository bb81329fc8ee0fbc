"""cbeclab.measure"""
