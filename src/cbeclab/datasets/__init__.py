"""cbeclab.datasets"""
