"""Commands the hub sends a desk on `…/A/cmd`: replay, end of day, diagnostics.

Each runs on a worker thread of its own (the sync client starts it), never on the
network thread.  A command that fails is logged and shown as the desk's last error;
it never takes the agent down.
"""

from __future__ import annotations

import logging
from typing import Callable

from protocol.wire.messages import DiagnosticsReport, body_of, build

from agent.outbox import Outbox
from agent.store import StoreError
from agent.sync import SyncClient
from agent.terminal.base import TerminalError

log = logging.getLogger("counterpay.agent")


class HubCommands:
    def __init__(self, outbox: Outbox, sync: Callable[[], SyncClient | None], *, end_of_day: Callable[[], object],
                 diagnostics: Callable[[], dict], on_error: Callable[[str], None]):
        self.outbox = outbox
        self.sync = sync                    # the sync client is made after the commands it delivers
        self.end_of_day = end_of_day
        self.diagnostics = diagnostics      # the flat report (scalars only)
        self.on_error = on_error

    def handle(self, command: dict) -> None:
        kind = command.get("command")
        try:
            if kind == "replay":
                self.replay(int(command.get("from_seq") or 0))
            elif kind == "end_of_day":
                self.end_of_day()
            elif kind == "diagnostics":
                report = build(DiagnosticsReport, request_id=command.get("request_id"), info=self.diagnostics())
                self.outbox.append("diagnostics.report", body_of(report))
                self._wake()
        except (StoreError, TerminalError, ValueError) as exc:
            self.on_error(f"hub command {kind} failed: {exc}")

    def replay(self, from_seq: int) -> None:
        count = self.outbox.replay_from(from_seq)
        log.info("hub asked to replay from seq %s: %d rows re-queued", from_seq, count)
        sync = self.sync()
        if sync:
            sync.rewind(from_seq)

    def _wake(self) -> None:
        sync = self.sync()
        if sync:
            sync.wake()
