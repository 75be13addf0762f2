"""Python's cyclic garbage collector set for a process that ingests: rarer, smaller passes.

Each ingested event makes a few hundred short-lived objects (its JSON, envelope,
rows, acks) that reference counting frees at once; yet every 700 allocations the
collector ran, and now and then a full pass walked every object the process holds
(SQLAlchemy's metadata, pydantic's schemas, the imported modules): a tenth of the
ingest's CPU.  What is alive once the process is set up is frozen out of the passes
(it lives as long as the process), and the first generation is collected every
10,000 allocations instead of 700, so cyclic garbage still goes, a little later.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Allocations between passes over the youngest objects (Python's default: 700)."""


def tune_for_ingest() -> None:
    """Call once the process has imported and built what it keeps (safe to call again)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
