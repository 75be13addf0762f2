"""The live log a technician reads while the simulated terminal runs.

One timestamped line per event, e.g.

    12:04:17.512 <- 10 02 06 01 07 04 00 00 00 00 15 00 10 03 a4 5b   authorisation 15.00 EUR
    12:04:17.513 -> 10 06                                              ACK
    12:04:17.514 ** step 1: lose_answer (card charged, answer withheld)

`<-` is what the cash register sent, `->` what the terminal sent, `**` a scenario step or
a decision of the simulator.  Full card numbers never appear: the simulator only knows
masked ones.
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

    def received(self, data: bytes, meaning: str = "") -> None:
        self._line(f"<- {self.hex(data):<48} {meaning}".rstrip())

    def sent(self, data: bytes, meaning: str = "") -> None:
        self._line(f"-> {self.hex(data):<48} {meaning}".rstrip())

    def note(self, text: str) -> None:
        self._line(f"** {text}")
