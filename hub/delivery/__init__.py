"""Webhook delivery: confirmations of payments to the case systems they belong to.

queue.py      enqueue a confirmation inside the ingest transaction, and the payload format
worker.py     the delivery worker: signed POSTs, retries, ordering, dead letters
policy.py     the retry schedule; clock.py the injectable clock
replay.py     replay by event id or time range, re-routing of unrouted confirmations
views.py      what the API shows; routes.py the API routes; metrics.py Prometheus counters
"""
