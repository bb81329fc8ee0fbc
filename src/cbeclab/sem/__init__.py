"""cbeclab.sem"""
