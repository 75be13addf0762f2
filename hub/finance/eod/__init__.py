"""Terminal end of day at the hub: each batch report agents send, compared with the card
payments the hub stored for that agent, terminal and batch.

compare.py   the verdict on one batch (pure): matched or mismatch, with every difference
records.py   stored by the ingest in the events' transaction, judged again as payments arrive
listing.py   the reports a page at a time within an office scope, for the API and the console
metrics.py   the mismatches gauge of /metrics
"""
