"""The live log a technician reads while a simulator runs (the terminal, the case system).

One timestamped line per event, e.g. from the terminal simulator

    12:04:17.512 <- 10 02 06 01 07 04 00 00 00 00 15 00 10 03 a4 5b   authorisation 15.00 EUR
    12:04:17.513 -> 10 06                                              ACK
    12:04:17.514 ** step 1: lose_answer (card charged, answer withheld)

and from the case-system simulator

    12:04:17.512 <- msg_3f…a1 payment.confirmed case VR-1 45.00 EUR  -> 204 accepted
    12:04:20.100 <- msg_77…02 REJECTED 401 signature_mismatch: no v1 signature matches our secret(s)
    12:04:21.000 ** mode now: fail 500 for 30 s more

`<-` is what the simulator received, `->` what it sent, `**` a scenario step or a decision of
the simulator.  Frames (bytes) are shown in hex; full card numbers never appear: the
simulators only know masked ones.
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timezone
from typing import TextIO

MAX_HEX_BYTES = 96  # longer frames are shortened in the log; the meaning column says the rest


class SimLog:
    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self._lock = threading.Lock()

    def _line(self, text: str) -> None:
        stamp = datetime.now(timezone.utc).strftime("%H:%M:%S.%f")[:-3]
        with self._lock:
            self.stream.write(f"{stamp} {text}\n")
            self.stream.flush()

    @staticmethod
    def hex(data: bytes) -> str:
        text = data[:MAX_HEX_BYTES].hex(" ")
        return text + (f" … (+{len(data) - MAX_HEX_BYTES} bytes)" if len(data) > MAX_HEX_BYTES else "")

    def _message(self, arrow: str, message: bytes | str, meaning: str) -> None:
        shown = f"{self.hex(message):<48}" if isinstance(message, bytes) else message
        self._line(f"{arrow} {shown} {meaning}".rstrip())

    def received(self, message: bytes | str, meaning: str = "") -> None:
        """A frame (bytes, shown in hex beside its meaning) or a described request (text)."""
        self._message("<-", message, meaning)

    def sent(self, message: bytes | str, meaning: str = "") -> None:
        self._message("->", message, meaning)

    def note(self, text: str) -> None:
        self._line(f"** {text}")
