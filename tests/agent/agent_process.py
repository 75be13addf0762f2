"""A real headless agent process (`counterpay agent run --headless --pay-from -`) for kill tests.

Payment requests go in on stdin as JSON lines; events (ready, progress, outcome) come
back as JSON lines on stdout and are collected by a reader thread.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

from tests.agent.conftest import COUNTERPAY, ROOT


class AgentProcess:
    def __init__(self, config: Path, crash_at: str | None = None, crash_after: int = 0):
        env = dict(os.environ)
        env.pop("CP_CRASH_AT", None)
        if crash_at:
            env["CP_CRASH_AT"] = crash_at
            env["CP_CRASH_AFTER"] = str(crash_after)
        self.process = subprocess.Popen([*COUNTERPAY, "agent", "run", "--config", str(config), "--headless",
                                         "--pay-from", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
        self.events: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            try:
                self.events.put(json.loads(line))
            except json.JSONDecodeError:
                self.events.put({"event": "noise", "line": line})
        self.events.put({"event": "exit"})

    def next(self, kind: str, timeout_s: float = 20.0) -> dict | None:
        """The next event of `kind`; None if the process ended (or time ran out) first."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if event["event"] == kind:
                return event
            if event["event"] == "exit":
                return None
        return None

    def pay(self, amount_minor: int, tender: str = "card", **fields) -> None:
        request = {"amount_minor": amount_minor, "currency": "EUR", "tender": tender, **fields}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()

    def wait_killed(self, timeout_s: float = 20.0) -> int:
        return self.process.wait(timeout_s)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stderr(self) -> str:
        return self.process.stderr.read() if self.process.poll() is not None else ""


def query(db_path: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()

