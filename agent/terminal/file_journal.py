"""A `TerminalJournal` in an append-only JSON-lines file, for the technician commands.

The agent proper journals into SQLite; a technician commissioning a counter with
`counterpay terminal pay …` has no agent running, yet the same rule holds: the intent is
on disk before the terminal hears of it.  Each line is one record:

    {"record": "intent",  "intent": {...Intent fields...}, "at": "2026-…Z"}
    {"record": "outcome", "result": {...TerminalResult fields...}, "at": "2026-…Z"}

Every append is flushed and fsync'd before the call returns.  A torn last line (power
cut while writing) is skipped on reading, never fatal.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

from agent.terminal.base import Intent, IntentKind, Outcome, TerminalResult

DEFAULT_JOURNAL = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) \
    / "counterpay" / "terminal-journal.jsonl"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def intent_from_dict(data: dict) -> Intent:
    return Intent(**{**data, "kind": IntentKind(data["kind"])})


def result_from_dict(data: dict) -> TerminalResult:
    return TerminalResult(**{**data, "outcome": Outcome(data["outcome"])})


class FileJournal:
    """Append-only JSON-lines journal of terminal intents and outcomes."""

    def __init__(self, path: str | os.PathLike = DEFAULT_JOURNAL):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def _append(self, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)

    def record_intent(self, intent: Intent) -> None:
        self._append({"record": "intent", "intent": dataclasses.asdict(intent), "at": _now()})

    def record_outcome(self, result: TerminalResult) -> None:
        self._append({"record": "outcome", "result": dataclasses.asdict(result), "at": _now()})

    def records(self) -> list[dict]:
        """All readable records, oldest first."""
        if not self.path.exists():
            return []
        out = []
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # torn write at the end: the intent before it still counts
                if isinstance(record, dict) and record.get("record") in ("intent", "outcome"):
                    out.append(record)
        return out

    def intents(self) -> list[Intent]:
        return [intent_from_dict(r["intent"]) for r in self.records() if r["record"] == "intent"]

    def outcomes(self, intent_id: str | None = None) -> list[TerminalResult]:
        results = [result_from_dict(r["result"]) for r in self.records() if r["record"] == "outcome"]
        return [r for r in results if intent_id is None or r.intent_id == intent_id]

    def open_intents(self) -> list[Intent]:
        final = {r.intent_id for r in self.outcomes() if r.outcome.final}
        seen: set[str] = set()
        out = []
        for intent in self.intents():
            if intent.intent_id not in final and intent.intent_id not in seen:
                seen.add(intent.intent_id)
                out.append(intent)
        return out
