"""App-wide messages: what the agent core and the scanner tell the screens."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class StatusChanged(Message):
    """The agent's status changed (online, outbox depth, terminal state)."""

    def __init__(self, status: Any) -> None:
        super().__init__()
        self.status = status


class ScanReceived(Message):
    """A serial scanner (or the camera) read a code, or failed to; `error` says why."""

    def __init__(self, code: str | None, error: str | None = None, source: str = "serial") -> None:
        super().__init__()
        self.code = code
        self.error = error
        self.source = source


class PaymentProgress(Message):
    """A progress text from the terminal while a payment runs (e.g. 'PIN entry')."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class PaymentFinished(Message):
    """service.pay or resolve_operator_check returned (or raised: `error`)."""

    def __init__(self, outcome: Any, error: str | None = None) -> None:
        super().__init__()
        self.outcome = outcome
        self.error = error
