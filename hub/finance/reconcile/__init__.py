"""Reconciliation at the hub: statements and pagoPA reporting flows stored once (store.py),
matched against each other and against payment orders (matching.py), the payments they
bring made and confirmed to case systems (external.py), listed (report.py) and anomalies
resolved by hand (resolve.py).  imports.py is the one entry point of the CLI, API and pages."""
