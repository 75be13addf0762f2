"""Headline figures of a benchmark, for people and for `bench/run_all.py`.

A benchmark prints whatever explains its run, and calls `record()` for each figure
that belongs in the README table.  When CP_BENCH_JSON names a file, each record is
appended to it as one JSON line, so run_all can gather one table from many processes.
Targets are printed, never asserted: a slow run is a figure, not a failure.
"""

from __future__ import annotations

import json
import os


def record(bench: str, name: str, value: float | int | None, unit: str = "", target: str = "",
           met: bool | None = None) -> None:
    """Note one figure; `target` reads like '>= 3000' and `met` says whether it was reached."""
    path = os.environ.get("CP_BENCH_JSON")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"bench": bench, "name": name, "value": value, "unit": unit,
                                 "target": target, "met": met}) + "\n")
