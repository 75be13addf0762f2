"""The end-of-day gauges of /metrics, read from the database at scrape time.

`counterpay_eod_mismatches` counts the batches whose report does not match the card
payments the hub holds now: it goes down by itself when a late payment clears one.
"""

from prometheus_client import Gauge
from sqlalchemy import Connection, func, select

from hub.finance.eod.compare import MISMATCH
from hub.store.tables_eod import eod_reports

MISMATCHES = Gauge("counterpay_eod_mismatches",
                   "Terminal batches whose end-of-day report differs from the card payments the hub holds")
REPORTS = Gauge("counterpay_eod_reports", "Terminal end-of-day reports the hub holds")


def refresh_gauges(conn: Connection) -> None:
    mismatches, reports = conn.execute(select(func.count().filter(eod_reports.c.status == MISMATCH),
                                              func.count()).select_from(eod_reports)).one()
    MISMATCHES.set(mismatches or 0)
    REPORTS.set(reports or 0)
