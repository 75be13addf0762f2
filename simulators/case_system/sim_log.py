"""The live log a technician reads while the simulated case system runs.

    12:04:17.512 <- msg_3f…a1 payment.confirmed case VR-1 45.00 EUR  -> 204 accepted
    12:04:19.020 <- msg_3f…a1 payment.confirmed case VR-1 45.00 EUR  -> 204 DUPLICATE (attempt 2)
    12:04:20.100 <- msg_77…02 REJECTED 401 signature_mismatch: no v1 signature matches our secret(s)
    12:04:21.000 ** mode now: fail 500 for 30 s more
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timezone
from typing import Any, TextIO


class CaseSimLog:
    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self._lock = threading.Lock()

    def _line(self, text: str) -> None:
        stamp = datetime.now(timezone.utc).strftime("%H:%M:%S.%f")[:-3]
        with self._lock:
            self.stream.write(f"{stamp} {text}\n")
            self.stream.flush()

    def note(self, text: str) -> None:
        self._line(f"** {text}")

    def webhook(self, record: dict[str, Any]) -> None:
        wid = record.get("webhook_id") or "(no id)"
        if not record["verified"]:
            self._line(f"<- {wid} REJECTED {record['answered']} {record['reason']}")
            return
        amount = record.get("amount_minor")
        # Integer arithmetic even for display: money is never a float here.
        money = f"{amount // 100}.{amount % 100:02d} {record.get('currency') or ''}" if isinstance(amount, int) else ""
        what = f"{record.get('type') or '?'} case {record.get('case_ref') or '-'} {money}".rstrip()
        status = record["answered"]
        verdict = ("DUPLICATE" if record["duplicate"] else "accepted") if 200 <= status < 300 else "refused (simulated)"
        retry = f" (attempt {record['attempt']})" if record["attempt"] > 1 else ""
        self._line(f"<- {wid} {what}  -> {status} {verdict}{retry}")
