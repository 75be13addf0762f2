"""Notices to payers: rendering them (PDF, PNG) in the payer's language, choosing which orders get
one, and exporting them in bulk."""
