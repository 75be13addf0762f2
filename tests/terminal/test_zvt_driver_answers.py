"""The ZVT driver's reading of answers a real terminal may give and our simulator does not.

A scripted terminal (our codec in the terminal role, in a thread, on a real TCP socket)
approves the payment and sends, in the same segment as its status information, a print
line it got wrong.  The status information is the terminal's result: the driver must
report the approval from it, not lose it to the broken frame and go asking the terminal.
"""

from __future__ import annotations

import socket
import threading

from agent.terminal.base import Intent, IntentKind, Outcome
from agent.terminal.file_journal import FileJournal
from agent.terminal.link import ZVT_LINE, open_link
from agent.terminal.zvt_driver import ZvtDriver
from protocol.terminal.zvt import (Abort, Ack, Authorisation, Bmps, Completion, Registration,
                                   RepeatReceipt, Role, StatusInformation, ZvtConnection,
                                   encode_message)
from tests.terminal.zvt_support import events_of

APPROVED = StatusInformation(Bmps(result_code=0, amount=1500, currency=978, receipt_no=7,
                                  trace_no=42, terminal_id="52500001"))
MALFORMED_PRINT_LINE = bytes([0x06, 0xD1, 0x00])   # 06 D1 without its attribute byte
NO_TRANSACTION = 0x83


class ScriptedTerminal(threading.Thread):
    """Registers, has no last transaction, and answers the payment with `payment_answer`."""

    def __init__(self, payment_answer: bytes) -> None:
        super().__init__(daemon=True)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.payment_answer = payment_answer
        self.commands: list = []
        self.pending: list = []         # events read but not yet acted on
        self.after_payment = b""        # every byte the driver sent after our answer
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.server.settimeout(10)
            sock, _ = self.server.accept()
            sock.settimeout(10)
            with sock:
                self._serve(sock, ZvtConnection(Role.PT, "tcp"))
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc
        finally:
            self.server.close()

    def _next(self, sock, conn):
        self.pending += events_of(conn)   # those that waited for our answer
        while not self.pending:
            data = sock.recv(4096)
            assert data, "the driver closed the connection"
            self.pending += events_of(conn, data)
        return self.pending.pop(0)

    def _answer(self, sock, conn, *messages) -> None:
        for message in messages:
            conn.send(message)
        sock.sendall(conn.data_to_send())
        assert self._next(sock, conn) == Ack()

    def _serve(self, sock, conn) -> None:
        while True:
            command = self._next(sock, conn)
            self.commands.append(command)
            if isinstance(command, Registration):
                self._answer(sock, conn, Ack(), Completion(bmps=Bmps(terminal_id="52500001")))
            elif isinstance(command, RepeatReceipt):
                self._answer(sock, conn, Ack(), Abort(NO_TRANSACTION))
            elif isinstance(command, Authorisation):
                conn.send(Ack())
                sock.sendall(conn.data_to_send() + self.payment_answer)
                while data := sock.recv(4096):
                    self.after_payment += data
                return
            else:
                raise AssertionError(f"unexpected command {command}")


def test_an_approval_before_a_malformed_frame_is_not_lost(tmp_path):
    terminal = ScriptedTerminal(encode_message(APPROVED) + MALFORMED_PRINT_LINE)
    terminal.start()
    journal = FileJournal(tmp_path / "journal.jsonl")
    driver = ZvtDriver(open_link(f"tcp://127.0.0.1:{terminal.port}", ZVT_LINE), journal,
                       t3_s=1.0, t4_s=2.0)
    intent = Intent("broken-print-line", IntentKind.PAYMENT, 1500)
    result = driver.pay(intent)
    driver.close()
    terminal.join(10)
    assert terminal.error is None, terminal.error
    assert result.outcome is Outcome.APPROVED, result.message
    assert (result.receipt_no, result.trace_no, result.recovered) == ("7", "42", False)
    # The status information was acknowledged, and the terminal was not asked again.
    assert terminal.after_payment == encode_message(Ack())
    assert [type(c) for c in terminal.commands] == [Registration, RepeatReceipt, Authorisation]
    assert [o.outcome for o in journal.outcomes(intent.intent_id)] == [Outcome.APPROVED]
    assert journal.open_intents() == []
