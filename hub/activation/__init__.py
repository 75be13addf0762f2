"""Card payments switched on per office and service step by an approval workflow (seed 000, issue 14)."""
