"""The Concert V2 / E+ terminal driver: the cash-register side of `protocol.terminal.concert`.

One financial request is two Concert sessions: we open one (ENQ), send the 34-character
request and close (EOT); when the card holder is done the terminal opens its own session
and sends the answer.  The rules this driver keeps:

* The intent is in the journal before the first byte goes out, and a request is sent at
  most once per intent: a second pay() for an intent this driver already sent is answered
  by recover(), not by the terminal (after a restart the agent calls recover() for the
  journal's open intents itself).
* A frame the terminal refused with NAK was not taken; it is retransmitted within the
  protocol's bound.  Anything else that goes wrong after the request left (no ACK, no
  answer, cable pulled, damaged answer, foreign answer) makes the outcome unknown, and as
  Concert cannot ask the terminal, unknown becomes OPERATOR_CHECK with what to look for.
* Before the request left (session refused, no ACK to ENQ, link down) nothing can have
  happened: ABORTED.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from typing import Callable

from agent.terminal.base import (
    EndOfDayResult, Intent, IntentKind, Outcome, ProgressCallback, TerminalDriver, TerminalJournal,
    TerminalResult, TerminalStatus,
)
from agent.terminal.concert_operator import cancel_by_hand_hint, money, operator_hint
from agent.terminal.link import Link, TerminalError, drain
from protocol.terminal.concert import (
    CURRENCY_NUMERIC, MAX_ENQ_ATTEMPTS, T_ACK, T_ANSWER, T_EOT, T_FRAME, AnswerFlag, ConcertConnection,
    PaymentAnswer, PaymentRequest, ProtocolError, Role, TransactionType, mask_card_number,
)
from protocol.terminal.concert import events as ev
from protocol.terminal.concert.messages import MAX_AMOUNT_MINOR

log = logging.getLogger(__name__)

# After an answer session broke off (cable pulled, frame cut): how long to wait for the
# terminal to try again (its own 3 ENQ tries of T_ACK each, with room to spare).
RETRY_GRACE_S = 2 * MAX_ENQ_ATTEMPTS * (T_ACK.seconds + 0.5)

KIND_TO_TYPE = {IntentKind.PAYMENT: TransactionType.DEBIT, IntentKind.REFUND: TransactionType.CREDIT,
                IntentKind.REVERSAL: TransactionType.CANCELLATION}


class _Unknown(Exception):
    """The request may have reached the terminal and no trustworthy answer came."""


class _NotSent(Exception):
    """The terminal never took the request: nothing can have happened."""


class ConcertDriver(TerminalDriver):
    protocol = "concert"

    def __init__(self, link: Link, journal: TerminalJournal, on_progress: ProgressCallback | None = None,
                 *, pos_number: int = 1, answer_timeout_s: float = T_ANSWER.seconds,
                 full_answer: bool = True, cancel_on_terminal: bool = True,
                 trace: Callable[[str, bytes, str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(journal, on_progress)
        if not 0 <= int(pos_number) <= 99:
            raise TerminalError(f"Concert POS number must be 0..99, got {pos_number}")
        self.link = link
        self.pos_number = int(pos_number)
        self.answer_timeout_s = float(answer_timeout_s)
        self.full_answer = bool(full_answer)
        self.cancel_on_terminal = bool(cancel_on_terminal)
        self._trace = trace  # (direction "->"/"<-", bytes, meaning), for a technician's -v
        self._clock = clock
        self._lock = threading.Lock()
        self._sent: set[str] = set()  # intents whose request left this process

    # ---- the agent's interface -----------------------------------------------------

    def pay(self, intent: Intent) -> TerminalResult:
        return self._financial(intent, IntentKind.PAYMENT)

    def refund(self, intent: Intent) -> TerminalResult:
        return self._financial(intent, IntentKind.REFUND)

    def reverse(self, intent: Intent) -> TerminalResult:
        """Concert has no reversal by receipt number; its cancellation type is the nearest.

        With `cancel_on_terminal` (default) the driver sends a cancellation of the amount;
        the terminal asks for the card and cancels the matching transaction of its batch.
        Without it nothing is sent and the operator is told how to cancel on the terminal.
        """
        if self.cancel_on_terminal:
            return self._financial(intent, IntentKind.REVERSAL)
        self.journal.record_intent(intent)
        result = TerminalResult(intent.intent_id, Outcome.OPERATOR_CHECK,
                                "Concert cannot reverse by receipt number; cancel on the terminal.",
                                amount_minor=intent.amount_minor, currency=intent.currency,
                                receipt_no=intent.receipt_no, operator_hint=cancel_by_hand_hint(intent))
        self.journal.record_outcome(result)
        return result

    def end_of_day(self) -> EndOfDayResult:
        return EndOfDayResult(
            ok=False,
            message="Concert V2 has no end-of-day (telecollection) request and no totals query. "
                    "Start the telecollection from the terminal's own menu; its report ticket "
                    "shows the day's count and totals per card scheme.")

    def status(self) -> TerminalStatus:
        """ENQ and see: ACK means line, settings and protocol are right (then EOT)."""
        with self._lock:
            conn = ConcertConnection(Role.CASH_REGISTER)
            try:
                self._write(conn, ev.OpenSession())
                event = self._wait(conn, T_ACK.seconds)
                if isinstance(event, ev.SessionAccepted):
                    self._write(conn, ev.EndSession())
                    return TerminalStatus(True, "terminal answered ENQ with ACK: cable, line settings "
                                                "and Concert protocol are right")
                if isinstance(event, ev.SessionRefused):
                    self._write(conn, ev.EndSession())
                    return TerminalStatus(True, f"terminal is there but busy ({event.reason})", busy=True)
                self._write(conn, ev.EndSession())
                return TerminalStatus(False, "no answer to ENQ: check the cable, the line settings "
                                             "(9600 8N1 on USB, 7E1 on RS-232) and that the terminal's "
                                             "cash-register link is set to Concert")
            except (TerminalError, ProtocolError) as exc:
                return TerminalStatus(False, f"terminal link failed: {exc}")

    def last_result(self) -> TerminalResult | None:
        return None  # Concert cannot ask the terminal about its last transaction

    def recover(self, intent: Intent) -> TerminalResult:
        result = self._operator_check(intent, None, "The outcome of this request was not received.")
        result.recovered = True
        self.journal.record_outcome(result)
        return result

    def close(self) -> None:
        self.link.close()

    # ---- one financial request -------------------------------------------------------

    def _financial(self, intent: Intent, kind: IntentKind) -> TerminalResult:
        with self._lock:
            # Across restarts the agent resolves open intents with recover(); within this
            # process the driver itself refuses to send one intent twice.
            if intent.intent_id in self._sent:
                log.warning("intent %s was already sent; recovering instead of sending again", intent.intent_id)
                return self.recover(intent)
            self.journal.record_intent(intent)
            try:
                request = self._request(intent, kind)
            except ValueError as exc:
                return self._record(TerminalResult(intent.intent_id, Outcome.ABORTED,
                                                   f"not sent: {exc}", amount_minor=intent.amount_minor,
                                                   currency=intent.currency))
            sent_at = datetime.now(timezone.utc)
            try:
                answer = self._exchange(intent, request)
            except _NotSent as exc:
                return self._record(TerminalResult(intent.intent_id, Outcome.ABORTED,
                                                   f"not sent, nothing charged: {exc}",
                                                   amount_minor=intent.amount_minor, currency=intent.currency))
            except _Unknown as exc:
                return self._record(self._operator_check(intent, sent_at, str(exc), request.private))
            return self._record(self._result(intent, request, answer, sent_at))

    def _request(self, intent: Intent, kind: IntentKind) -> PaymentRequest:
        currency = CURRENCY_NUMERIC.get(intent.currency.upper())
        if currency is None:
            raise ValueError(f"currency {intent.currency!r} has no Concert code here "
                             f"(known: {', '.join(CURRENCY_NUMERIC)})")
        if not 0 < intent.amount_minor <= MAX_AMOUNT_MINOR:
            raise ValueError(f"amount must be 1..{MAX_AMOUNT_MINOR} minor units, got {intent.amount_minor}")
        return PaymentRequest(
            pos_number=self.pos_number, amount_minor=intent.amount_minor,
            answer_flag=AnswerFlag.FULL if self.full_answer else AnswerFlag.SHORT,
            type=KIND_TO_TYPE[kind], currency=currency, private=private_tag(intent.intent_id))

    def _exchange(self, intent: Intent, request: PaymentRequest) -> PaymentAnswer:
        conn = ConcertConnection(Role.CASH_REGISTER)
        try:
            # Bytes still in the line belong to a conversation that is over (a terminal
            # that tried to deliver a late answer while nobody listened): drop them so
            # they do not eat this request's session attempts.  Counted, never shown:
            # they may hold a card number.
            stale = drain(self.link, quiet_s=0.0, limit_s=0.3)
            if stale:
                log.info("dropped %d stale bytes from the Concert line before a new request", len(stale))
            self._open_session(conn)
        except (TerminalError, ProtocolError) as exc:
            raise _NotSent(str(exc)) from exc
        self._sent.add(intent.intent_id)  # from the first byte of the request on
        try:
            self._send_request(conn, request)
            self._progress(f"Follow the terminal: {money(request.amount_minor, intent.currency)}")
            return self._receive_answer(conn)
        except (TerminalError, ProtocolError) as exc:
            raise _Unknown(f"after the request was sent: {exc}.") from exc

    def _open_session(self, conn: ConcertConnection) -> None:
        why = ""
        for attempt in range(1, MAX_ENQ_ATTEMPTS + 1):
            self._write(conn, ev.OpenSession())
            event = self._wait(conn, T_ACK.seconds)
            if isinstance(event, ev.SessionAccepted):
                return
            if isinstance(event, ev.SessionRequested):
                # The terminal speaks first (a late answer to an earlier request): take it,
                # report it, and ask again.  It is never taken for this request's answer.
                try:
                    late = self._receive_frame(conn).describe()
                except _FrameLost as exc:
                    late = f"broken off: {exc}"
                log.warning("late Concert answer received and set aside: %s", late)
                why = f"the terminal delivered a late answer for an earlier request ({late})"
                continue
            why = event.reason if isinstance(event, ev.SessionRefused) else "no ACK to ENQ"
            self._write(conn, ev.EndSession())
            if attempt < MAX_ENQ_ATTEMPTS:
                time.sleep(0.5)
        raise _NotSent(f"the terminal did not accept a session after {MAX_ENQ_ATTEMPTS} tries ({why})")

    def _send_request(self, conn: ConcertConnection, request: PaymentRequest) -> None:
        self._write(conn, ev.SendMessage(request))
        while True:
            event = self._wait(conn, T_ACK.seconds)
            if isinstance(event, ev.MessageAccepted):
                self._write(conn, ev.EndSession())
                return
            if isinstance(event, ev.MessageRejected):
                if event.may_retransmit:
                    self._write(conn, ev.Retransmit())
                    continue
                self._write(conn, ev.EndSession())
                # A terminal acts only on a frame it acknowledged: NAK every time = not taken.
                raise _NotSent(f"the terminal refused the request frame {event.attempts} times "
                               "(busy, or the line damages frames)")
            if isinstance(event, ev.TimedOut):
                self._write(conn, ev.EndSession())
                raise _Unknown("the terminal did not acknowledge the request, it may still have taken it.")
            raise _Unknown(f"the terminal ended the session instead of acknowledging ({event.describe()}).")

    def _receive_answer(self, conn: ConcertConnection) -> PaymentAnswer:
        deadline = self._clock() + self.answer_timeout_s
        problems: list[str] = []
        while True:
            event = self._next(conn, deadline)
            if event is None:
                tail = f" ({'; '.join(problems)})" if problems else ""
                raise _Unknown(f"no answer from the terminal within {self.answer_timeout_s:g} s{tail}.")
            if isinstance(event, ev.SessionRequested):
                try:
                    return self._receive_frame(conn)
                except _FrameLost as exc:
                    problems.append(str(exc))
                    # The answer was on its way and broke off.  A terminal tries its answer
                    # session a few more times; beyond that, the clerk should not wait.
                    deadline = min(deadline, self._clock() + RETRY_GRACE_S)

    def _receive_frame(self, conn: ConcertConnection) -> PaymentAnswer:
        """After the terminal's ENQ: accept, read the frame (NAK damaged ones), ACK it."""
        self._write(conn, ev.AcceptSession())
        while True:
            event = self._wait(conn, T_FRAME.seconds, per_byte=True)
            if isinstance(event, ev.MessageReceived):
                self._write(conn, ev.AcceptMessage())
                if isinstance(self._wait(conn, T_EOT.seconds), ev.SessionRequested):
                    self._write(conn, ev.RefuseSession())  # one answer per request is all we take
                return event.message  # type: ignore[return-value]
            if isinstance(event, ev.FrameCorrupt):
                log.info("damaged Concert answer refused with NAK: %s", event.reason)
                self._write(conn, ev.RejectMessage())
                continue
            if isinstance(event, ev.SessionRequested):  # our ACK got lost: ACK again
                self._write(conn, ev.AcceptSession())
                continue
            raise _FrameLost(event.describe())

    # ---- results -------------------------------------------------------------------

    def _result(self, intent: Intent, request: PaymentRequest, answer: PaymentAnswer,
                sent_at: datetime) -> TerminalResult:
        if answer.pos_number != request.pos_number or answer.amount_minor != request.amount_minor:
            return self._operator_check(intent, sent_at, (
                f"The terminal answered for POS {answer.pos_number:02d} and "
                f"{money(answer.amount_minor, intent.currency)}, not for this request."), request.private)
        common = dict(amount_minor=answer.amount_minor, currency=intent.currency, result_code=answer.status,
                      masked_pan=(mask_card_number(answer.report) or None) if answer.report else None)
        echoed = "" if answer.private == request.private else " (the terminal did not echo our private field)"
        if answer.status == "0":
            return TerminalResult(intent.intent_id, Outcome.APPROVED,
                                  f"approved by the terminal{echoed}", **common)
        if answer.status == "7":
            return TerminalResult(intent.intent_id, Outcome.DECLINED,
                                  f"refused or abandoned at the terminal, nothing charged{echoed}", **common)
        return self._operator_check(intent, sent_at, (
            f"The terminal answered with status {answer.status!r}, which does not say whether "
            f"the card was charged."), request.private)

    def _operator_check(self, intent: Intent, sent_at: datetime | None, why: str,
                        tag: str | None = None) -> TerminalResult:
        return TerminalResult(
            intent.intent_id, Outcome.OPERATOR_CHECK,
            f"outcome unknown, the operator must check the terminal: {why}",
            amount_minor=intent.amount_minor, currency=intent.currency, receipt_no=intent.receipt_no,
            operator_hint=operator_hint(intent, sent_at=sent_at, private_tag=(tag or "").strip() or None,
                                        why=why))

    def _record(self, result: TerminalResult) -> TerminalResult:
        self.journal.record_outcome(result)
        log.info("concert %s: %s %s", result.intent_id, result.outcome.value, result.message)
        return result

    def _progress(self, text: str) -> None:
        try:
            self.on_progress(text)
        except Exception:  # a UI hiccup must not leave a sent request without its outcome
            log.exception("progress callback failed")

    # ---- I/O around the codec ----------------------------------------------------

    def _write(self, conn: ConcertConnection, command) -> None:
        data = conn.send(command)
        if self._trace:
            meaning = (command.message.describe() if isinstance(command, ev.SendMessage)
                       else type(command).__name__)
            self._trace("->", data, meaning)
        self.link.write(data)

    def _wait(self, conn: ConcertConnection, seconds: float, per_byte: bool = False):
        """The next meaningful event within `seconds`, or the codec's TimedOut.

        `per_byte`: the timer restarts with every byte that arrives (a frame trickling
        down a slow line is late as a whole but never silent for long).
        """
        event = self._next(conn, self._clock() + seconds, seconds if per_byte else None)
        return event if event is not None else conn.expire()

    def _next(self, conn: ConcertConnection, deadline: float, restart_s: float | None = None):
        while True:
            event = conn.next_event()
            if self._trace and event is not ev.NEED_DATA and event is not ev.PAUSED:
                self._trace("<-", _wire_view(event), event.describe().replace("peer", "terminal"))
            if isinstance(event, ev.LineNoise):
                log.debug("concert line noise: %s", event.describe())
                continue
            if event is not ev.NEED_DATA:
                return event
            remaining = deadline - self._clock()
            if remaining <= 0:
                return None
            data = self.link.read(256, min(remaining, 0.5))
            if data:
                conn.receive_data(data)
                if restart_s is not None:
                    deadline = max(deadline, self._clock() + restart_s)


def _wire_view(event) -> bytes:
    """The bytes behind a received event, for traces; a card number in a report is masked."""
    if isinstance(event, ev.MessageReceived):
        message = event.message
        if isinstance(message, PaymentAnswer) and message.report is not None:
            masked = mask_card_number(message.report).ljust(len(message.report))
            return event.raw[:13] + masked.encode("ascii") + event.raw[13 + len(message.report):]
        return event.raw
    if isinstance(event, ev.FrameCorrupt):
        return event.raw[:13] + b"..." if len(event.raw) > 30 else event.raw  # may hold a card number
    if isinstance(event, ev.LineNoise):
        return event.data[:16]
    return {ev.SessionRequested: b"\x05", ev.SessionAccepted: b"\x06", ev.MessageAccepted: b"\x06",
            ev.MessageRejected: b"\x15", ev.SessionEnded: b"\x04"}.get(type(event), b"")


class _FrameLost(Exception):
    """The terminal's answer session broke off before a good frame arrived."""


def private_tag(intent_id: str) -> str:
    """10 printable characters from the intent id, for the private field the terminal echoes."""
    cleaned = "".join(c for c in intent_id if c.isascii() and c.isalnum()).upper()
    return cleaned[-10:].rjust(10, "0") if cleaned else "0" * 10
