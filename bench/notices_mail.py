"""Notices by e-mail: N notices rendered and mailed, one committed message at a time, to a local SMTP server.

    .venv/bin/python bench/notices_mail.py [--messages 10000] [--quick]

An aiosmtpd server in its own process (it counts each message's Message-ID and drops
it) on loopback; the hub's sender (hub/mail/sender.py) in this process, as `counterpay
hub notices send --unpaid` runs it: for each order the notice PDF is rendered, the row
committed as `sending`, the message handed over (MAIL, RCPT, DATA on one kept
connection) and its 250 committed.  `[smtp] rate_per_second` is set above the target so
the pacing does not limit the figure.  Prints messages/s by the clock and the CPU time
of the sender and of the server; checks every order reached the server exactly once.
                                                                   target >= 50 messages/s
Loopback only, SQLite (WAL); figures depend on what else runs on the machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.config import Settings  # noqa: E402
from hub.config_smtp import SmtpSettings  # noqa: E402
from hub.mail.ledger import Selection, open_request  # noqa: E402
from hub.mail.selection import select_for_mail  # noqa: E402
from hub.mail.sender import run_request  # noqa: E402
from hub.store.db import Database  # noqa: E402
from hub.users.scope import Scope  # noqa: E402
from tests.hub.search_rows import add_orders, order_row  # noqa: E402
from tests.support.broker import free_port  # noqa: E402
from figures import record  # noqa: E402  (bench/ is on sys.path when run as a script)

TARGET = 50


def _server(port: int, ready, done, results) -> None:
    """The SMTP sink: counts messages and distinct Message-IDs; reports its CPU time when told."""
    import email.parser

    from aiosmtpd.controller import Controller

    seen: list[str] = []
    headers = email.parser.BytesHeaderParser()

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            seen.append(headers.parsebytes(envelope.content)["Message-ID"])
            return "250 2.0.0 queued"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    done.wait()
    controller.stop()
    results.put((len(seen), len(set(seen)), time.process_time()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="500 messages")
    args = parser.parse_args()
    count = 500 if args.quick else args.messages
    with tempfile.TemporaryDirectory(prefix="cp-bench-mail-") as workdir:
        database = Database.open(f"sqlite:///{Path(workdir) / 'hub.db'}")
        add_orders(database, [order_row(f"ORDB{n:06d}", payer_name=f"Payer {n}", payer_email=f"payer{n}@example.org",
                                        payer_language=("en", "it", "pl", "lv", "el")[n % 5], due_date="2026-12-31",
                                        reference=f"RF00B{n:06d}") for n in range(count)])
        port = free_port()
        ready, done, results = multiprocessing.Event(), multiprocessing.Event(), multiprocessing.Queue()
        server = multiprocessing.Process(target=_server, args=(port, ready, done, results), daemon=True)
        server.start()
        ready.wait(30)
        settings = Settings(database_url=database.url, data_dir=Path(workdir), language="it",
                            smtp=SmtpSettings(host="127.0.0.1", port=port, security="none",
                                              sender="Bench <avvisi@comune.example>", rate_per_second=1000))
        selection = Selection(unpaid=True)
        with database.begin() as conn:
            plan = open_request(conn, selection, select_for_mail(conn, unpaid=True, scope=Scope.everything()),
                                settings, "bench")
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        result = run_request(database, settings, plan.request_id)
        wall, cpu = time.perf_counter() - started_wall, time.process_time() - started_cpu
        done.set()
        received, distinct, server_cpu = results.get(timeout=30)
        server.join(10)
        database.dispose()
    rate = count / wall
    print(f"{count:,} notices mailed in {wall:.1f} s: {rate:,.1f} messages/s (target >= {TARGET})")
    print(f"sender CPU {cpu:.1f} s ({cpu / count * 1000:.1f} ms a message: PDF, two commits, SMTP); "
          f"server CPU {server_cpu:.1f} s")
    print(f"states {dict(result.states)}; the server got {received:,} messages, {distinct:,} distinct Message-IDs")
    if received != count or distinct != count:
        raise SystemExit(f"expected {count} messages, each once; got {received} ({distinct} distinct)")
    record("notices_mail", f"{count:,} notices rendered and mailed to a local SMTP server, one committed "
           "message at a time", round(rate, 1), "messages/s", f">= {TARGET}", rate >= TARGET)
    record("notices_mail", "CPU per message: sender / SMTP server",
           f"{cpu / count * 1000:.1f} / {server_cpu / count * 1000:.1f}", "ms")


if __name__ == "__main__":
    main()
