"""cbeclab.evaluate.weights"""
