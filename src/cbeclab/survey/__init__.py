"""End-to-end survey workflow (seed 000): reliability, validity, CFA, SEM, mediation, paper tables."""
