"""A simulated Concert V2 / E+ terminal: the terminal side of `protocol.terminal.concert`.

`serve(link, scenario, ledger, log)` answers a cash register on `link` for ever (until
the link is gone).  Every request frame it acknowledges consumes one scenario step and
is one ledger record, so the ledger is the truth about what the "card" was charged.

How the scenario steps look on a Concert line:

    approve       ACK the request; answer status 0 (full answer with the masked card
                  number when the request asked for it)
    decline       answer status 7 (or the step's one-digit result_code); nothing charged
    slow_pin      the card holder takes `seconds` before the approval
    no_answer     the request frame is never acknowledged; nothing charged
    lose_answer   charged, and the answer session is never opened
    cable_pull    charged; the answer frame stops half-way, then silence
    busy          the request frame is refused with NAK every time it is sent; nothing charged
    bad_checksum  charged; the answer goes out with a wrong LRC the first `times` times
                  (Concert allows 3 sends: with times ≥ 3 the answer is lost)
    split         approved; the answer is written in `chunk_bytes` pieces `gap_s` apart
    slow_line     approved; the answer trickles at `bytes_per_second`

A cancellation request cancels the newest charged payment of the same amount in the
current batch (status 7 when there is none).  The live log shows every byte both ways
with its meaning: `<-` from the cash register, `->` from the terminal, `**` decisions.
"""

from __future__ import annotations

import time

from protocol.terminal.concert import (
    MAX_ENQ_ATTEMPTS, T_ACK, T_EOT, AnswerFlag, ConcertConnection, Delay, LocalProtocolError, PaymentAnswer,
    PaymentRequest, ProtocolError, Role, TransactionType, render_frame,
)
from protocol.terminal.concert import events as ev
from simulators.terminal.ledger import Ledger
from simulators.terminal.scenario import CURRENCY_NUMERIC, Scenario, Step
from simulators.terminal.sim_link import write_paced
from simulators.sim_log import SimLog

KINDS = {TransactionType.DEBIT: "payment", TransactionType.CREDIT: "refund",
         TransactionType.CANCELLATION: "reversal"}
ALPHA = {f"{number:03d}": code for code, number in CURRENCY_NUMERIC.items()}
CARD_TIME_S = 0.0       # the card holder of an ordinary step is instant (slow_pin is the slow one)
IDLE_POLL_S = 1.0

_WIRE = {ev.SessionRequested: b"\x05", ev.SessionAccepted: b"\x06", ev.MessageAccepted: b"\x06",
         ev.MessageRejected: b"\x15", ev.SessionEnded: b"\x04"}


def serve(link, scenario: Scenario, ledger: Ledger, log: SimLog) -> None:
    ConcertTerminal(link, scenario, ledger, log).run()


class ConcertTerminal:
    def __init__(self, link, scenario: Scenario, ledger: Ledger, log: SimLog) -> None:
        self.link, self.scenario, self.ledger, self.log = link, scenario, ledger, log
        self.conn = ConcertConnection(Role.TERMINAL)
        last = ledger.last_receipt_no()
        self.next_receipt = (last + 1) if last else scenario.terminal.first_receipt_no
        self._refused_raw: bytes | None = None  # a request refused in this session (busy)

    # ---- the loop ------------------------------------------------------------------

    def run(self) -> None:
        while True:
            try:
                self._step()
            except _CablePulled:
                self.log.note("cable pulled: silence until the cash register opens a new session")
            except ProtocolError as exc:
                # Bad bytes never stop the terminal: say what was wrong, start afresh.
                self.log.note(f"protocol error, line reset: {exc}")
                self.conn = ConcertConnection(Role.TERMINAL)

    def _step(self) -> None:
        event = self._wait(None)
        if isinstance(event, ev.SessionRequested):
            self._send(ev.AcceptSession(), "ACK: ready to receive")
        elif isinstance(event, ev.FrameCorrupt):
            self._send(ev.RejectMessage(), "NAK: frame damaged, send it again")
        elif isinstance(event, ev.MessageReceived):
            self._on_request(event)
        elif isinstance(event, ev.SessionEnded):
            self._refused_raw = None

    def _on_request(self, event: ev.MessageReceived) -> None:
        request: PaymentRequest = event.message  # type: ignore[assignment]
        if event.duplicate:
            self._send(ev.AcceptMessage(), "ACK again: same request, not acted on twice")
            return
        if event.raw == self._refused_raw:
            self._send(ev.RejectMessage(), "NAK: still busy with the previous transaction")
            return
        step = self.scenario.next_step()
        self.log.note(f"step: {step.describe()} for {request.type.name.lower()} "
                      f"{request.amount_minor / 100:.2f}")
        if f"{request.pos_number:02d}" != str(self.scenario.terminal.pos_number).zfill(2):
            self.log.note(f"request is for POS {request.pos_number:02d}, this terminal is set to "
                          f"{self.scenario.terminal.pos_number}: answering anyway")
        if request.delay is Delay.IMMEDIATE:
            self.log.note("A011 (answer at once) asked: this simulator answers at the end of the transaction")
        if step.action == "busy":
            self._record(request, step, charged=False, status="7")
            self._refused_raw = event.raw
            self._send(ev.RejectMessage(), "NAK: busy with the previous transaction, request refused")
            return
        if step.action == "no_answer":
            self._record(request, step, charged=False, status=None)
            self.log.note("no_answer: the request is never acknowledged, nothing charged")
            self.conn = ConcertConnection(Role.TERMINAL)
            return
        self._send(ev.AcceptMessage(), "ACK: request received")
        ended = self._wait(T_EOT.seconds)
        if not isinstance(ended, ev.SessionEnded | ev.TimedOut):
            self.log.note(f"expected EOT, got {ended.describe()}")
        self._transact(request, step)

    # ---- one transaction ---------------------------------------------------------

    def _transact(self, request: PaymentRequest, step: Step) -> None:
        if step.action == "slow_pin":
            self.log.note(f"card holder typing the PIN ({step.seconds:g} s)")
            time.sleep(step.seconds)
        else:
            time.sleep(CARD_TIME_S)
        status, charged, reverses = "0", step.charges, None
        if step.action == "decline":
            code = step.result_code or "7"
            status = code if len(code) == 1 and code.isdigit() and code != "0" else "7"
        if request.type is TransactionType.CANCELLATION and charged:
            reverses = self._cancellable(request.amount_minor)
            if reverses is None:
                self.log.note("no charged payment of that amount in the batch: cancellation refused")
                status, charged = "7", False
        receipt = self._record(request, step, charged=charged, status=status, reverses=reverses)
        answer = PaymentAnswer(
            pos_number=request.pos_number, status=status, amount_minor=request.amount_minor,
            mode=request.mode, currency=request.currency, private=request.private,
            report=self.scenario.terminal.masked_pan if request.answer_flag is AnswerFlag.FULL else None)
        what = f"charged, ticket {receipt}" if charged else "nothing charged"
        if step.action == "lose_answer":
            self.log.note(f"lose_answer: {what}; the answer is never sent")
            return
        self.log.note(f"{what}; opening a session to answer")
        self._deliver(answer, step)

    def _cancellable(self, amount_minor: int) -> int | None:
        for record in reversed(self.ledger.charges()):
            if record["kind"] == "payment" and record["amount_minor"] == amount_minor \
                    and record["receipt_no"] is not None and not self.ledger.is_reversed(record["receipt_no"]):
                return record["receipt_no"]
        return None

    def _record(self, request: PaymentRequest, step: Step, *, charged: bool, status: str | None,
                reverses: int | None = None) -> int | None:
        receipt = None
        if charged:
            receipt, self.next_receipt = self.next_receipt, self.next_receipt + 1
        ident = self.scenario.terminal
        self.ledger.record_request(
            protocol="concert", kind=KINDS[request.type], amount_minor=request.amount_minor,
            currency=ALPHA.get(request.currency, request.currency), charged=charged, step=step.action,
            receipt_no=receipt, result_code=status, card_type=ident.card_type if charged else None,
            masked_pan=ident.masked_pan if charged else None, reverses=reverses)
        return receipt

    def _deliver(self, answer: PaymentAnswer, step: Step) -> None:
        for attempt in range(1, MAX_ENQ_ATTEMPTS + 1):
            self._send(ev.OpenSession(), f"ENQ: terminal wants to answer (try {attempt})")
            event = self._wait(T_ACK.seconds)
            if isinstance(event, ev.SessionAccepted):
                break
            self._send(ev.EndSession(), "EOT: no session, give up this try")
            time.sleep(0.5)
        else:
            self.log.note("the cash register never accepted the answer session: answer lost")
            return
        data = self.conn.send(ev.SendMessage(answer))
        bad_left = step.times if step.action == "bad_checksum" else 0
        while True:
            out = data
            if bad_left:
                bad_left -= 1
                out = data[:-1] + bytes([data[-1] ^ 0x01])
            self._write_answer(out, answer, step, damaged=out != data)
            event = self._wait(T_ACK.seconds)
            if isinstance(event, ev.MessageAccepted):
                self._send(ev.EndSession(), "EOT: answer delivered")
                return
            if isinstance(event, ev.MessageRejected) and event.may_retransmit:
                data = self.conn.send(ev.Retransmit())
                continue
            self._send(ev.EndSession(), "EOT: giving up, the answer did not get through")
            self.log.note("answer lost: the cash register must check the terminal")
            return

    def _write_answer(self, out: bytes, answer: PaymentAnswer, step: Step, *, damaged: bool) -> None:
        meaning = answer.describe() + (" [LRC deliberately wrong]" if damaged else "")
        if step.action == "cable_pull":
            half = out[: len(out) // 2]
            self.log.sent(half, f"{render_frame(out)[:40]}… cable pulled mid-frame")
            self.link.write(half)
            self.conn = ConcertConnection(Role.TERMINAL)
            raise _CablePulled
        self.log.sent(out, meaning)
        if step.action == "split":
            write_paced(self.link, out, chunk_bytes=step.chunk_bytes, gap_s=step.gap_s)
        elif step.action == "slow_line":
            write_paced(self.link, out, bytes_per_second=step.bytes_per_second)
        else:
            self.link.write(out)

    # ---- I/O around the codec ----------------------------------------------------

    def _send(self, command, meaning: str) -> None:
        data = self.conn.send(command)
        self.log.sent(data, meaning)
        self.link.write(data)

    def _wait(self, seconds: float | None):
        """Next meaningful event; with `seconds`, the codec's TimedOut when none came."""
        restart = None
        if seconds is None and self.conn.timer() is not None:
            # A link timer runs even while idle-waiting; like T_FRAME it restarts with each byte.
            seconds = restart = self.conn.timer().seconds
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            event = self.conn.next_event()
            if event is ev.NEED_DATA:
                remaining = IDLE_POLL_S if deadline is None else deadline - time.monotonic()
                if remaining <= 0:
                    if self.conn.timer() is None:
                        return ev.TimedOut("wait", self.conn.state.value)
                    event = self.conn.expire()
                    self.log.note(event.describe())
                    return event
                data = self.link.read(256, min(remaining, IDLE_POLL_S))
                if data:
                    self.conn.receive_data(data)
                    if restart is not None:
                        deadline = time.monotonic() + restart
                continue
            if event is ev.PAUSED:
                raise LocalProtocolError(f"simulator stalled in {self.conn.state.value}")
            self._log_received(event)
            if isinstance(event, ev.LineNoise):
                continue
            return event

    def _log_received(self, event) -> None:
        if isinstance(event, ev.MessageReceived | ev.FrameCorrupt):
            raw = event.raw
        elif isinstance(event, ev.LineNoise):
            raw = event.data
        elif isinstance(event, ev.SessionRefused):
            raw = b"\x15" if event.reason.startswith("NAK") else b"\x04"
        else:
            raw = _WIRE.get(type(event), b"")
        self.log.received(raw, event.describe().replace("peer", "cash register"))


class _CablePulled(Exception):
    pass
