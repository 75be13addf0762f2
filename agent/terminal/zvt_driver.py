"""The ZVT terminal driver: pay, refund, reverse, end of day, status, and honest recovery.

    driver = ZvtDriver(open_link("/dev/ttyUSB0", ZVT_LINE), journal)
    result = driver.pay(Intent("a1b2", IntentKind.PAYMENT, 1500))

Before a financial request the driver learns the terminal's newest transaction number
(the "mark", from a repeat receipt) and journals the intent with it; only then is the
request sent.  If the answer breaks off after the terminal's status information (its
result), that result stands.  If it is lost before, the outcome is UNKNOWN and
`recover()` asks the terminal (status enquiry: is it idle? repeat receipt: what was its
last transaction?) and matches that to the intent: a newer transaction with the intent's
amount is ours (APPROVED with its receipt number, or DECLINED); no newer transaction
means nothing was charged.  The request itself is never sent a second time.
"""

from __future__ import annotations

import dataclasses

from agent.terminal.base import (EndOfDayResult, Intent, IntentKind, Outcome,
                                 TerminalDriver, TerminalError, TerminalJournal,
                                 TerminalResult, TerminalStatus, ProgressCallback)
from agent.terminal.link import Link
from agent.terminal.zvt_conversation import (AnswerMissing, Conversation, NotDelivered,
                                             Trace, run_command)
from protocol.terminal.zvt import (Authorisation, Bmps, EndOfDay, IndividualTotals,
                                   ProtocolError, Refund, Registration, RepeatReceipt, Reversal,
                                   Role, StatusEnquiry, ZvtConnection)
from protocol.terminal.zvt.bmp import TOTALS_CARD_SLOTS
from protocol.terminal.zvt.texts import format_amount, result_text

CURRENCY_NUMERIC = {"EUR": 978, "CHF": 756, "PLN": 985, "GBP": 826, "USD": 840, "CZK": 203,
                    "HUF": 348, "DKK": 208, "SEK": 752, "NOK": 578}
NUMERIC_CURRENCY = {v: k for k, v in CURRENCY_NUMERIC.items()}
ABORT_CODES = {0x6C}        # aborted before charging (timeout / abort key)
BUSY_CODES = {0x9C, 0xA0}   # terminal busy / not ready: refused up front
NO_MARK = "none"            # the terminal had no transaction at all
TRACE_WINDOW = 500_000      # trace numbers wrap at 999999; "newer" = less than this ahead


def _trace_newer(trace: int, mark: int) -> bool:
    return 0 < (trace - mark) % 999_999 < TRACE_WINDOW


class ZvtDriver(TerminalDriver):
    protocol = "zvt"

    def __init__(self, link: Link, journal: TerminalJournal,
                 on_progress: ProgressCallback | None = None, *, password: str = "000000",
                 currency: str = "EUR", t3_s: float | None = None, t4_s: float | None = None,
                 link_ack_s: float | None = None, trace: Trace | None = None):
        super().__init__(journal, on_progress)
        self.link = link
        self.password = password
        self.currency = currency
        timers = {k: v for k, v in (("t3_s", t3_s), ("t4_s", t4_s), ("link_ack_s", link_ack_s))
                  if v is not None}
        self.conn = ZvtConnection(Role.ECR, link.transport, **timers)
        self.trace = trace
        self.registered = False
        self.terminal_id: str | None = None
        self._mark: str | None = None      # newest trace known, "trace:N" / NO_MARK
        self._abort_wanted = False

    # -- plumbing -----------------------------------------------------------------------

    def request_abort(self) -> None:
        """Ask the terminal to cancel the running payment (the clerk's Cancel button).

        Safe to call from another thread: it only sets a flag the running command checks.
        The terminal decides: before the card is charged it aborts (ABORTED), after it
        finishes normally; either way the outcome comes from the terminal's answer.
        """
        self._abort_wanted = True

    def _run(self, command, *, financial: bool = False) -> Conversation:
        self._discard_stale()
        try:
            return run_command(self.conn, self.link, command, financial=financial,
                               on_progress=self.on_progress, trace=self.trace,
                               abort_wanted=lambda: financial and self._abort_wanted)
        except (AnswerMissing, NotDelivered):
            self._abandon()
            raise

    def _discard_stale(self) -> None:
        """Bytes waiting before we speak belong to an abandoned conversation (a terminal
        finishing late after our timeout): read and drop them so they cannot be taken
        for the answer to the next command.  Their truth is asked for by recovery."""
        try:
            for _ in range(64):
                stale = self.link.read(4096, 0)
                if not stale:
                    return
                if self.trace:
                    self.trace("<-", stale, "stale bytes from an abandoned conversation: dropped")
        except TerminalError:
            return

    def _abandon(self) -> None:
        """Drop the broken conversation and whatever the terminal still had on the line."""
        self.conn.reset()
        try:
            while self.link.read(4096, 0.1):
                pass
        except TerminalError:
            pass

    def register(self) -> Conversation:
        conv = self._run(Registration(self.password,
                                      currency=CURRENCY_NUMERIC.get(self.currency)))
        if conv.refused is not None or conv.abort is not None or not conv.completion:
            code = conv.refused if conv.refused is not None else conv.abort
            raise TerminalError(f"the terminal refused registration: {result_text(code)}")
        self.registered = True
        self.terminal_id = conv.completion.bmps.terminal_id or self.terminal_id
        return conv

    def _ensure_registered(self) -> None:
        if not self.registered:
            try:
                self.register()
            except (AnswerMissing, NotDelivered) as exc:
                raise TerminalError(f"the terminal does not answer registration: {exc}") from exc

    def _last_transaction(self) -> Bmps | None:
        """The terminal's own record of its last transaction (repeat receipt), None if none."""
        conv = self._run(RepeatReceipt(self.password))
        if conv.result is not None:
            return conv.result.bmps
        if conv.refused in BUSY_CODES:
            raise AnswerMissing("the terminal is busy")
        return None

    def _learn_mark(self) -> str:
        if self._mark is None:
            last = self._last_transaction()
            self._mark = f"trace:{last.trace_no}" if last and last.trace_no is not None else NO_MARK
        return self._mark

    # -- financial requests -------------------------------------------------------------

    def pay(self, intent: Intent) -> TerminalResult:
        return self._financial(intent, Authorisation(self._amount_bmps(intent)))

    def refund(self, intent: Intent) -> TerminalResult:
        return self._financial(intent, Refund(self.password, self._amount_bmps(intent)))

    def reverse(self, intent: Intent) -> TerminalResult:
        if not (intent.receipt_no or "").isdigit():
            raise ValueError("a reversal needs the terminal receipt number it undoes")
        return self._financial(intent, Reversal(self.password, Bmps(receipt_no=int(intent.receipt_no))))

    def _amount_bmps(self, intent: Intent) -> Bmps:
        if intent.amount_minor <= 0:
            raise ValueError("the amount must be positive (minor units)")
        if intent.currency not in CURRENCY_NUMERIC:
            raise ValueError(f"currency {intent.currency} is not supported by this driver")
        return Bmps(amount=intent.amount_minor, currency=CURRENCY_NUMERIC[intent.currency])

    def _financial(self, intent: Intent, command) -> TerminalResult:
        self._abort_wanted = False
        try:
            self._ensure_registered()
            mark = self._learn_mark()
        except (TerminalError, AnswerMissing, NotDelivered) as exc:
            # Nothing financial was sent: journal the intent and its harmless end.
            self.journal.record_intent(intent)
            return self._final(TerminalResult(intent.intent_id, Outcome.ABORTED,
                                              f"terminal not ready, nothing was sent: {exc}"))
        intent = dataclasses.replace(intent, terminal_mark=mark)
        self.journal.record_intent(intent)          # on disk before the terminal hears of it
        try:
            conv = self._run(command, financial=True)
        except NotDelivered as exc:
            return self._final(TerminalResult(intent.intent_id, Outcome.ABORTED,
                                              f"the terminal never received the request: {exc}"))
        except AnswerMissing as exc:
            heard = exc.heard
            if heard is not None and heard.result is not None \
                    and heard.result.bmps.result_code is not None:
                # The status information came before the answer broke off: it is the
                # terminal's result (the completion after it only ends the command).
                return self._final(self._result_of(intent, heard))
            self.on_progress("answer lost: asking the terminal what happened")
            return self._recover(intent, reason=str(exc))
        result = self._result_of(intent, conv)
        if result.outcome is Outcome.UNKNOWN:
            return self._recover(intent, reason=result.message)
        return self._final(result)

    def _final(self, result: TerminalResult) -> TerminalResult:
        self.journal.record_outcome(result)
        return result

    def _note_trace(self, bmps: Bmps | None) -> None:
        if bmps is not None and bmps.trace_no is not None:
            self._mark = f"trace:{bmps.trace_no}"
        else:
            self._mark = None   # ask again before the next request

    def _result_of(self, intent: Intent, conv: Conversation) -> TerminalResult:
        if conv.refused is not None:
            return TerminalResult(intent.intent_id, Outcome.DECLINED,
                                  f"the terminal refused the request: {result_text(conv.refused)}; "
                                  "nothing was charged", result_code=f"{conv.refused:02X}")
        info = conv.result
        self._note_trace(info.bmps if info else None)
        if info is not None and info.bmps.result_code is not None:
            result = self._from_bmps(intent, info.bmps, conv.receipt_lines)
            if result.outcome is Outcome.APPROVED and intent.kind is not IntentKind.REVERSAL \
                    and info.bmps.amount not in (None, intent.amount_minor):
                result.outcome = Outcome.OPERATOR_CHECK
                result.operator_hint = (f"the terminal approved {format_amount(info.bmps.amount)}, "
                                        f"not {format_amount(intent.amount_minor)}: check receipt "
                                        f"{info.bmps.receipt_no} on the terminal")
            return result
        if conv.abort is not None:
            outcome = Outcome.ABORTED if conv.abort in ABORT_CODES else Outcome.DECLINED
            return TerminalResult(intent.intent_id, outcome, result_text(conv.abort),
                                  result_code=f"{conv.abort:02X}", receipt_lines=conv.receipt_lines)
        return TerminalResult(intent.intent_id, Outcome.UNKNOWN,
                              "the terminal ended without a transaction result")

    def _from_bmps(self, intent: Intent, b: Bmps, lines: list[str],
                   recovered: bool = False) -> TerminalResult:
        code = b.result_code
        if code == 0:
            outcome, message = Outcome.APPROVED, "approved"
        elif code in ABORT_CODES:
            outcome, message = Outcome.ABORTED, result_text(code)
        else:
            outcome, message = Outcome.DECLINED, result_text(code)
        when = None
        if b.date and b.time:
            when = f"{b.date[:2]}-{b.date[2:]} {b.time[:2]}:{b.time[2:4]}:{b.time[4:]}"
        return TerminalResult(
            intent.intent_id, outcome, message,
            amount_minor=b.amount if b.amount is not None else intent.amount_minor,
            currency=NUMERIC_CURRENCY.get(b.currency, intent.currency),
            result_code=f"{code:02X}" if code is not None else None,
            receipt_no=str(b.receipt_no) if b.receipt_no is not None else None,
            trace_no=str(b.trace_no) if b.trace_no is not None else None,
            terminal_id=b.terminal_id or self.terminal_id, card_type=b.card_name,
            masked_pan=b.pan, auth_code=b.aid, time=when, receipt_lines=list(lines),
            recovered=recovered)

    # -- recovery -----------------------------------------------------------------------

    def recover(self, intent: Intent) -> TerminalResult:
        return self._recover(intent, reason="recovery requested")

    def _recover(self, intent: Intent, reason: str) -> TerminalResult:
        """Resolve an unknown outcome by asking the terminal; never re-sends the request."""
        try:
            self._ensure_registered()
            status = self._run(StatusEnquiry(self.password))
            if status.refused is not None or (status.completion and status.completion.terminal_status):
                raise AnswerMissing("the terminal is still busy")
            last = self._last_transaction()
        except (TerminalError, AnswerMissing, NotDelivered, ProtocolError) as exc:
            result = TerminalResult(intent.intent_id, Outcome.UNKNOWN,
                                    f"outcome unknown ({reason}); the terminal cannot be asked "
                                    f"yet: {exc}. Do not retry: recover again when it answers.")
            self.journal.record_outcome(result)
            return result
        self._note_trace(last)
        return self._final(self._match(intent, last, reason))

    def _match(self, intent: Intent, last: Bmps | None, reason: str) -> TerminalResult:
        mark = intent.terminal_mark
        why = f"answer lost ({reason}); "
        if last is None:
            return TerminalResult(intent.intent_id, Outcome.ABORTED,
                                  why + "the terminal has no transaction: nothing was charged",
                                  recovered=True)
        if last.trace_no is None:
            newer = None  # a terminal that does not report trace numbers: cannot tell
        elif mark and mark.startswith("trace:"):
            newer = _trace_newer(last.trace_no, int(mark.split(":", 1)[1]))
        elif mark == NO_MARK:
            newer = True
        else:
            newer = None  # no mark kept by the journal: cannot tell old from new
        amount_matches = intent.kind is IntentKind.REVERSAL or last.amount == intent.amount_minor
        if newer is False:
            return TerminalResult(intent.intent_id, Outcome.ABORTED,
                                  why + f"the terminal's last transaction (trace {last.trace_no}) "
                                  "predates this request: nothing was charged", recovered=True)
        if newer is None and not (last.result_code == 0 and amount_matches):
            return TerminalResult(intent.intent_id, Outcome.ABORTED,
                                  why + "the terminal's last transaction is not this request: "
                                  "nothing was charged", recovered=True)
        result = self._from_bmps(intent, last, [], recovered=True)
        if newer is None or not amount_matches:
            result.outcome = Outcome.OPERATOR_CHECK
            result.message = why + "the terminal's last transaction may be this request"
            result.operator_hint = (f"on the terminal, look up receipt {last.receipt_no} "
                                    f"(trace {last.trace_no}, {format_amount(last.amount)}): if it "
                                    f"is this payment of {format_amount(intent.amount_minor)}, it "
                                    "was charged; otherwise it was not")
            return result
        result.message = why + f"the terminal reports it {result.message}"
        return result

    # -- the rest of the interface ------------------------------------------------------

    def end_of_day(self) -> EndOfDayResult:
        self._ensure_registered()
        try:
            conv = self._run(EndOfDay(self.password))
        except (AnswerMissing, NotDelivered) as exc:
            return EndOfDayResult(False, f"end of day failed: {exc}")
        info = conv.result
        if conv.refused is not None or conv.abort is not None or info is None \
                or info.bmps.result_code not in (0, None):
            code = conv.refused if conv.refused is not None else conv.abort
            return EndOfDayResult(False, f"end of day refused: {result_text(code)}",
                                  receipt_lines=conv.receipt_lines)
        self._note_trace(info.bmps)
        per_card: dict[str, tuple[int, int]] = {}
        count = None
        if info.bmps.totals:
            try:
                totals = IndividualTotals.decode(info.bmps.totals)
                per_card = {slot: totals.per_card[slot] for slot in TOTALS_CARD_SLOTS
                            if slot in totals.per_card}
                count = sum(c for c, _ in per_card.values())
            except ProtocolError:
                pass
        return EndOfDayResult(True, "end of day done", total_minor=info.bmps.amount, count=count,
                              currency=NUMERIC_CURRENCY.get(info.bmps.currency, self.currency),
                              per_card_type=per_card, receipt_lines=conv.receipt_lines,
                              terminal_id=info.bmps.terminal_id or self.terminal_id)

    def status(self) -> TerminalStatus:
        try:
            self._ensure_registered()
            conv = self._run(StatusEnquiry(self.password))
        except (TerminalError, AnswerMissing, NotDelivered) as exc:
            return TerminalStatus(False, f"the terminal does not answer: {exc}")
        if conv.refused is not None:
            return TerminalStatus(False, f"status refused: {result_text(conv.refused)}",
                                  terminal_id=self.terminal_id, busy=conv.refused in BUSY_CODES)
        done = conv.completion
        tid = (done.bmps.terminal_id if done else None) or self.terminal_id
        busy = bool(done and done.terminal_status)
        return TerminalStatus(not busy, "ready" if not busy else
                              f"terminal status {done.terminal_status:02X}",
                              terminal_id=tid, busy=busy)

    def last_result(self) -> TerminalResult | None:
        self._ensure_registered()
        last = self._last_transaction()
        if last is None:
            return None
        self._note_trace(last)
        stub = Intent("", IntentKind.PAYMENT, last.amount or 0)
        return self._from_bmps(stub, last, [], recovered=True)

    def close(self) -> None:
        self.link.close()
