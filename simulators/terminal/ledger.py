"""The simulated terminal's truthful record of every financial request and what it charged.

Tests read it to prove that no card was charged twice; technicians read it to see what
the "terminal" really did.  With `--record FILE` it is a JSON-lines file (one record per
line, fsync'd), otherwise it lives in memory.  Records:

    {"record": "request", "protocol": "zvt", "kind": "payment", "amount_minor": 1500,
     "currency": "EUR", "charged": true, "receipt_no": 7, "trace_no": 12,
     "result_code": "00", "step": "lose_answer", "card_type": "girocard",
     "masked_pan": "672559******1234", "at": "…"}
    {"record": "end_of_day", "count": 3, "total_minor": 4500, "per_card_type": {...}, "at": "…"}

Every financial request received is a "request" record, charged or not.  A reversal that
succeeds is charged=true with kind "reversal" and `reverses` = the receipt it undid.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class BatchTotals:
    """What the terminal approved since the last end of day (reversals and refunds netted)."""

    count: int = 0
    total_minor: int = 0
    per_card_type: dict[str, list[int]] = field(default_factory=dict)  # name -> [count, total]


class Ledger:
    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._records: list[dict] = []
        if self.path and self.path.exists():
            self._records = read_ledger(self.path)

    # -- writing -----------------------------------------------------------------------

    def _append(self, record: dict) -> dict:
        record = {**record, "at": _now()}
        with self._lock:
            self._records.append(record)
            if self.path:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                try:
                    os.write(fd, (json.dumps(record, separators=(",", ":")) + "\n").encode())
                    os.fsync(fd)
                finally:
                    os.close(fd)
        return record

    def record_request(self, *, protocol: str, kind: str, amount_minor: int, currency: str,
                       charged: bool, step: str, receipt_no: int | None = None,
                       trace_no: int | None = None, result_code: str | None = None,
                       card_type: str | None = None, masked_pan: str | None = None,
                       reverses: int | None = None) -> dict:
        return self._append({
            "record": "request", "protocol": protocol, "kind": kind,
            "amount_minor": amount_minor, "currency": currency, "charged": charged,
            "receipt_no": receipt_no, "trace_no": trace_no, "result_code": result_code,
            "step": step, "card_type": card_type, "masked_pan": masked_pan,
            "reverses": reverses})

    def close_batch(self) -> BatchTotals:
        """End of day: the totals of the open batch, recorded, and a new batch begins."""
        totals = self.batch_totals()
        self._append({"record": "end_of_day", "count": totals.count,
                      "total_minor": totals.total_minor, "per_card_type": totals.per_card_type})
        return totals

    # -- reading -----------------------------------------------------------------------

    def records(self) -> list[dict]:
        with self._lock:
            return list(self._records)

    def requests(self) -> list[dict]:
        return [r for r in self.records() if r["record"] == "request"]

    def charges(self) -> list[dict]:
        """Requests that moved money (payments, refunds, reversals that went through)."""
        return [r for r in self.requests() if r["charged"]]

    def last_request(self) -> dict | None:
        found = self.requests()
        return found[-1] if found else None

    def last_receipt_no(self) -> int | None:
        numbers = [r["receipt_no"] for r in self.requests() if r["receipt_no"] is not None]
        return max(numbers) if numbers else None

    def last_trace_no(self) -> int | None:
        numbers = [r["trace_no"] for r in self.requests() if r["trace_no"] is not None]
        return max(numbers) if numbers else None

    def find_charge(self, receipt_no: int) -> dict | None:
        for r in self.charges():
            if r["receipt_no"] == receipt_no and r["kind"] == "payment":
                return r
        return None

    def is_reversed(self, receipt_no: int) -> bool:
        return any(r["kind"] == "reversal" and r.get("reverses") == receipt_no
                   for r in self.charges())

    def batch_totals(self) -> BatchTotals:
        totals = BatchTotals()
        records = self.records()
        start = max((i for i, r in enumerate(records) if r["record"] == "end_of_day"),
                    default=-1) + 1
        for r in records[start:]:
            if r["record"] != "request" or not r["charged"]:
                continue
            sign = 1 if r["kind"] == "payment" else -1
            name = r.get("card_type") or "card"
            entry = totals.per_card_type.setdefault(name, [0, 0])
            entry[0] += 1 if sign > 0 else -1 if r["kind"] == "reversal" else 0
            entry[1] += sign * r["amount_minor"]
            totals.count += 1 if sign > 0 else -1 if r["kind"] == "reversal" else 0
            totals.total_minor += sign * r["amount_minor"]
        return totals


def read_ledger(path: str | os.PathLike) -> list[dict]:
    """All complete records of a ledger file (a torn last line is skipped)."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                out.append(record)
    return out
