"""Concert payment round trip over a pty at 9600 baud, against the line-rate floor.

    .venv/bin/python bench/terminal_concert.py [--payments 20] [--line 8N1|7E1]

Starts `counterpay sim terminal --protocol concert --pty --emulate-baud` (the simulator
then writes no faster than the line would carry) and pays through the Concert driver.
The floor is the bytes of one payment on the wire (ENQ, ACK, the 36-byte request frame,
ACK, EOT, then the same dance for the 83-byte full answer) times bits per byte over the
baud rate.  Only the terminal's side is paced (a pty moves our bytes instantly), so the
floor counted here is the terminal's bytes; both are printed.  Target ratio ≤ 1.2.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from figures import record  # this folder is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.terminal.base import Intent, IntentKind, Outcome  # noqa: E402
from agent.terminal.concert_driver import ConcertDriver  # noqa: E402
from agent.terminal.file_journal import FileJournal  # noqa: E402
from agent.terminal.link import open_link, parse_line  # noqa: E402

# Bytes of one full-answer payment: what the cash register sends, what the terminal sends.
TILL_BYTES = 1 + 36 + 1 + 1 + 1          # ENQ, request frame, EOT, ACK (answer ENQ), ACK (answer)
TERMINAL_BYTES = 1 + 1 + 1 + 83 + 1      # ACK (ENQ), ACK (request), ENQ, answer frame, EOT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=20)
    parser.add_argument("--line", default="8N1", help="8N1 (USB) or 7E1 (RS-232)")
    args = parser.parse_args()
    line = parse_line(f"9600 {args.line}")
    work = Path(tempfile.mkdtemp(prefix="cp-bench-concert-"))
    sim = subprocess.Popen(
        [sys.executable, "-m", "counterpay", "sim", "terminal", "--protocol", "concert", "--pty",
         "--emulate-baud", "--baud", "9600", "--line", args.line, "--log", str(work / "sim.log")],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        device = sim.stdout.readline().strip().split(": ", 1)[1]
        driver = ConcertDriver(open_link(device, line), FileJournal(work / "journal.jsonl"))
        times = []
        for i in range(args.payments + 1):
            intent = Intent(str(uuid.uuid4()), IntentKind.PAYMENT, 100 + i)
            started = time.perf_counter()
            result = driver.pay(intent)
            elapsed = time.perf_counter() - started
            if result.outcome is not Outcome.APPROVED:
                raise SystemExit(f"payment {i} not approved: {result.message}")
            if i:  # the first one warms up imports and the pty
                times.append(elapsed)
        driver.close()
    finally:
        sim.terminate()
        sim.wait(5)
    floor_terminal = line.seconds_for(TERMINAL_BYTES)
    floor_all = line.seconds_for(TERMINAL_BYTES + TILL_BYTES)
    median = statistics.median(times)
    print(f"Concert payment round trip over a pty, 9600 {args.line}, {args.payments} payments")
    print(f"  median {median * 1000:7.1f} ms   min {min(times) * 1000:7.1f} ms   max {max(times) * 1000:7.1f} ms")
    print(f"  floor, terminal's paced bytes ({TERMINAL_BYTES} B): {floor_terminal * 1000:7.1f} ms"
          f"   ratio {median / floor_terminal:4.2f}  (target ≤ 1.2)")
    print(f"  floor, all bytes both ways ({TERMINAL_BYTES + TILL_BYTES} B):   {floor_all * 1000:7.1f} ms"
          f"   ratio {median / floor_all:4.2f}")
    record("terminal", f"Concert round trip / floor (terminal bytes, {args.line})", round(median / floor_terminal, 3),
           "ratio", "<= 1.2", median / floor_terminal <= 1.2)


if __name__ == "__main__":
    main()
