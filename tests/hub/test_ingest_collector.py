"""The ingest's processes run Python's collector frozen and rarer (hub/ingest/collector.py),
and it still collects cyclic garbage."""

from __future__ import annotations

import gc
import weakref

from hub.ingest.collector import YOUNG_THRESHOLD, tune_for_ingest


class _Node:
    pass


def test_tuned_collector_is_rarer_and_still_frees_cycles():
    before = gc.get_threshold()
    try:
        tune_for_ingest()
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        assert gc.get_freeze_count() > 0            # what the process had set up is out of the passes
        node = _Node()
        node.self = node                            # a cycle: only the collector frees it
        gone = weakref.ref(node)
        del node
        assert gone() is not None
        kept = [[] for _ in range(YOUNG_THRESHOLD * 2)]     # objects that live bring a pass round
        assert gone() is None
        del kept
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
