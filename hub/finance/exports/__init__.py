"""Exports to accounting: payment lines, accounting entries, reconciled flows and anomalies.

    columns.py      the stable column list of each export (README "Exports to accounting")
    filters.py      what an export asks for (period, office, account, tender, channel, status)
    payments.py     payment lines: one row per fee position, with net, VAT and accounting code
    reconciled.py   entries (reversali), flows and anomalies, from the reconciliation tables
    writers.py      CSV (RFC 4180), XLSX (openpyxl write-only) and JSON, streamed
    service.py      one export: audited, rows read with a server-side cursor, written as they come

Every export is a generator from the database cursor to the bytes written: memory stays
flat however many rows there are (bench/export.py measures it).
"""
