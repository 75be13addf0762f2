"""What the simulated case system received, kept in memory and as JSON lines on disk.

One record per webhook request, accepted or not:

    {"n": 7, "received_at": "2026-11-22T12:04:17.512Z", "webhook_id": "msg_…",
     "webhook_timestamp": 1795000000, "attempt": 2, "duplicate": true,
     "verified": true, "reason": null, "answered": 204,
     "type": "payment.confirmed", "event_id": "…", "case_ref": "VR-1",
     "amount_minor": 4500, "currency": "EUR", "body": {…}}

`attempt` counts every request with this webhook id (retries show as 2, 3, …);
`duplicate` is true when this id had already been accepted (answered 2xx) before, which
is exactly what a real receiver must deduplicate.  `overlapped` lists the webhook ids of
other requests for the same case that were in flight at any moment while this one was
(from `begin()` to its record): a hub whose workers keep per-case order never makes one
(several hub processes sending one case at once would), and `started_at` is when it came.  When the file already exists (the
simulator was restarted) its records are read back first, so duplicates across a
restart stay visible.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


class InFlight:
    """One webhook request from its arrival to its answer (see Recorder.begin)."""

    def __init__(self, webhook_id: str | None, case_ref: str | None):
        self.webhook_id, self.case_ref = webhook_id, case_ref
        self.started_at = _now()
        self.overlapped: set[str] = set()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def case_ref_of(body: Any) -> str | None:
    data = body.get("data") if isinstance(body, dict) and isinstance(body.get("data"), dict) else {}
    payment = data.get("payment") if isinstance(data.get("payment"), dict) else {}
    link = data.get("link") if isinstance(data.get("link"), dict) else {}
    return link.get("case_ref") or payment.get("case_ref")


class Recorder:
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else None
        self.records: list[dict[str, Any]] = []
        self.attempts: Counter[str] = Counter()
        self.accepted: set[str] = set()
        self._lock = threading.Lock()
        self._in_flight: list[InFlight] = []
        if self.path and self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    self._remember(json.loads(line))

    def _remember(self, record: dict[str, Any]) -> None:
        self.records.append(record)
        webhook_id = record.get("webhook_id")
        if webhook_id:
            self.attempts[webhook_id] += 1
            if record.get("verified") and 200 <= (record.get("answered") or 0) < 300:
                self.accepted.add(webhook_id)

    def begin(self, webhook_id: str | None, body: Any) -> InFlight:
        """A request arrived: in flight until its `record(…, flight=…)`."""
        flight = InFlight(webhook_id, case_ref_of(body))
        with self._lock:
            for other in self._in_flight:
                if flight.case_ref is not None and other.case_ref == flight.case_ref:
                    other.overlapped.add(flight.webhook_id or "(no id)")
                    flight.overlapped.add(other.webhook_id or "(no id)")
            self._in_flight.append(flight)
        return flight

    def record(self, *, webhook_id: str | None, webhook_timestamp: str | None, verified: bool,
               reason: str | None, answered: int, body: Any, flight: InFlight | None = None) -> dict[str, Any]:
        data = body.get("data") if isinstance(body, dict) and isinstance(body.get("data"), dict) else {}
        payment = data.get("payment") if isinstance(data.get("payment"), dict) else {}
        link = data.get("link") if isinstance(data.get("link"), dict) else {}
        with self._lock:
            if flight is not None and flight in self._in_flight:
                self._in_flight.remove(flight)
            record = {
                "n": len(self.records) + 1,
                "received_at": _now(),
                "started_at": flight.started_at if flight is not None else None,
                "overlapped": sorted(flight.overlapped) if flight is not None else [],
                "webhook_id": webhook_id,
                "webhook_timestamp": int(webhook_timestamp) if (webhook_timestamp or "").isdigit() else None,
                "attempt": self.attempts[webhook_id] + 1 if webhook_id else 1,
                "duplicate": bool(webhook_id) and webhook_id in self.accepted,
                "verified": verified,
                "reason": reason,
                "answered": answered,
                "type": body.get("type") if isinstance(body, dict) else None,
                "event_id": data.get("event_id"),
                "case_ref": link.get("case_ref") or payment.get("case_ref"),
                "amount_minor": payment.get("amount_minor"),
                "currency": payment.get("currency"),
                "body": body,
            }
            self._remember(record)
            if self.path:
                with self.path.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return record

    def since(self, n: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.records if r["n"] > n]


def log_line(record: dict[str, Any]) -> str:
    """One record as the technician's live log shows it: what came, and what we answered."""
    wid = record.get("webhook_id") or "(no id)"
    if not record["verified"]:
        return f"{wid} REJECTED {record['answered']} {record['reason']}"
    amount = record.get("amount_minor")
    # Integer arithmetic even for display: money is never a float here.
    money = f"{amount // 100}.{amount % 100:02d} {record.get('currency') or ''}" if isinstance(amount, int) else ""
    what = f"{record.get('type') or '?'} case {record.get('case_ref') or '-'} {money}".rstrip()
    status = record["answered"]
    verdict = ("DUPLICATE" if record["duplicate"] else "accepted") if 200 <= status < 300 else "refused (simulated)"
    retry = f" (attempt {record['attempt']})" if record["attempt"] > 1 else ""
    return f"{wid} {what}  -> {status} {verdict}{retry}"
