"""cbeclab.sem.fit"""
