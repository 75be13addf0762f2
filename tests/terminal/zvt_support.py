"""Start `counterpay sim terminal --protocol zvt` (pty or TCP) as a real process for tests,
and take a ZVT connection's events the way its users do."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

from protocol.terminal.zvt import NEED_DATA, PAUSED, ZvtConnection
from tests.terminal.concert_support import RunningSim

REPO = Path(__file__).resolve().parents[2]


def start_zvt_sim(workdir: Path, transport: str = "pty", scenario: str | None = None,
                  scenario_text: str | None = None, extra: list[str] | None = None) -> RunningSim:
    """`transport`: "pty", "tcp" or a serial device path; `scenario` a bundled name or file."""
    workdir.mkdir(parents=True, exist_ok=True)
    medium = {"pty": ["--pty"], "tcp": ["--tcp", "127.0.0.1:0"]}.get(transport,
                                                                       ["--serial", transport])
    args = [sys.executable, "-m", "counterpay", "sim", "terminal", "--protocol", "zvt", *medium,
            "--record", str(workdir / "ledger.jsonl"), "--log", str(workdir / "sim.log"),
            *(extra or [])]
    if scenario_text is not None:
        path = workdir / "scenario.toml"
        path.write_text(scenario_text, encoding="utf-8")
        args += ["--scenario", str(path)]
    elif scenario is not None:
        args += ["--scenario", scenario]
    stderr = open(workdir / "stderr.txt", "w", encoding="utf-8")
    process = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=stderr, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    stderr.close()
    deadline = time.monotonic() + 20
    line = ""
    while time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline().strip()
            break
    if not line.startswith("device: "):
        process.kill()
        err = (workdir / "stderr.txt").read_text(encoding="utf-8")
        raise RuntimeError(f"simulator did not announce its device (got {line!r}); stderr: {err[-2000:]}")
    return RunningSim(process, line.split(": ", 1)[1], workdir / "ledger.jsonl", workdir / "sim.log")


def events_of(conn: ZvtConnection, data: bytes = b"") -> list:
    """Feed `data` to `conn` and take every event it completes (until NEED_DATA or PAUSED)."""
    if data:
        conn.receive_data(data)
    out = []
    while (event := conn.next_event()) is not NEED_DATA and event is not PAUSED:
        out.append(event)
    return out
