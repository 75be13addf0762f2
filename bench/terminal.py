"""Payment round trip over a pty at 9600 baud against the line-rate floor (ZVT).

A pty moves bytes instantly, so both ends are held to the line rate: the simulated
terminal with `--emulate-baud`, the driver through `PacedLink` below.  The floor is the
time the bytes of one payment (both directions, frames and ACKs) need on a 9600 8N2
line: bytes × 11 bits ÷ 9600.  The ratio measured ÷ floor shows what the protocol
handling adds on top of the wire itself; the target is ≤ 1.2.

    .venv/bin/python bench/terminal.py [--payments 5] [--baud 9600]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import record  # noqa: E402  (this folder is on sys.path when run as a script)

# Run as a script, this folder is first on sys.path and its sibling bench/agent.py would
# shadow the `agent` package: drop it before importing the product.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from agent.terminal.base import Intent, IntentKind  # noqa: E402
from agent.terminal.file_journal import FileJournal  # noqa: E402
from agent.terminal.link import LineSettings, open_link  # noqa: E402
from agent.terminal.zvt_driver import ZvtDriver  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.2


class PacedLink:
    """Wraps a link: our writes take as long as on a real line; counts bytes both ways."""

    def __init__(self, link, line: LineSettings):
        self.link, self.line = link, line
        self.transport, self.description = link.transport, link.description
        self.sent = self.received = 0

    def write(self, data: bytes) -> None:
        # The peer sees the bytes only once they would be fully on the wire.
        time.sleep(self.line.seconds_for(len(data)))
        self.link.write(data)
        self.sent += len(data)

    def read(self, max_bytes: int, timeout_s: float) -> bytes:
        data = self.link.read(max_bytes, timeout_s)
        self.received += len(data)
        return data

    def close(self) -> None:
        self.link.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=5)
    parser.add_argument("--baud", type=int, default=9600)
    args = parser.parse_args()
    line = LineSettings(args.baud, 8, "N", 2)
    workdir = Path(tempfile.mkdtemp(prefix="bench-terminal-"))
    sim = subprocess.Popen([sys.executable, "-m", "counterpay", "sim", "terminal", "--protocol",
                            "zvt", "--pty", "--emulate-baud", "--baud", str(args.baud),
                            "--log", str(workdir / "sim.log")],
                           cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        device = sim.stdout.readline().split()[1]
        link = PacedLink(open_link(device, line), line)
        driver = ZvtDriver(link, FileJournal(workdir / "journal.jsonl"))
        driver.pay(Intent("warm-up", IntentKind.PAYMENT, 100))   # registration, mark
        times, floors = [], []
        for i in range(args.payments):
            link.sent = link.received = 0
            start = time.monotonic()
            result = driver.pay(Intent(f"bench-{i}", IntentKind.PAYMENT, 1250))
            elapsed = time.monotonic() - start
            assert result.outcome.value == "approved", result.message
            wire = link.sent + link.received
            times.append(elapsed)
            floors.append(line.seconds_for(wire))
        driver.close()
    finally:
        sim.terminate()
        sim.wait(5)
    measured, floor = statistics.median(times), statistics.median(floors)
    ratio = measured / floor
    print(f"ZVT payment round trip over a pty at {args.baud} baud (8N2, {line.bits_per_byte} bits/byte)")
    print(f"  bytes on the wire per payment: {link.sent + link.received} "
          f"(cash register {link.sent}, terminal {link.received})")
    print(f"  line-rate floor:   {floor * 1000:8.1f} ms")
    print(f"  measured (median of {args.payments}): {measured * 1000:8.1f} ms")
    print(f"  ratio:             {ratio:8.3f}  (target ≤ {TARGET_RATIO})"
          f"  {'OK' if ratio <= TARGET_RATIO else 'ABOVE TARGET'}")
    record("terminal", "ZVT payment round trip, 9600 baud pty", round(measured * 1000, 1), "ms")
    record("terminal", "ZVT round trip / line-rate floor", round(ratio, 3), "ratio", f"<= {TARGET_RATIO}",
           ratio <= TARGET_RATIO)


if __name__ == "__main__":
    main()
