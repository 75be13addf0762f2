"""The life of a payment (DESIGN.md): journal, terminal, commit, receipt, outbox.

    intent committed → terminal (driver.pay) → outcome committed, and in the *same*
    transaction the payment.captured outbox row → receipt printed with a signed QR

No receipt exists for an uncommitted payment; an approved payment is in the outbox
exactly once (the outbox row is keyed by the payment id); no financial request is ever
sent twice for one intent: an unknown outcome goes to the driver's `recover()`, which
asks the terminal (ZVT) or hands the question to the operator (Concert).  Cash is a
tender like card, with no terminal: intent, outcome and outbox row in one transaction.

Before anything is journaled a request is screened: card numbers or receipt codes in its
text, an order the hub cancelled, and, for the card tender, a service step the hub has not
activated for this office (agent/card_checks.py); a refused request leaves no trace.

At start-up `resolve_open()` runs before any new payment is taken.
Crash points (CP_CRASH_AT): after_intent, after_approval (in the journal),
after_commit, after_receipt.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Callable

from protocol.domain import FINAL_JOURNAL_STATES, OPEN_JOURNAL_STATES, JournalState, ReferenceFormat, Tender
from protocol.keys import SigningKey
from protocol.money import Money
from protocol.qr import cp_receipt
from protocol.wire import WireError
from protocol.wire.messages import PaymentCaptured, body_of, build

from agent import basket, card_checks, intake, order_checks
from agent.crash import crash_point
from agent.end_of_day import open_batch_no
from agent.journal import SqliteJournal, mask_pan, utc_now
from agent.outbox import Outbox, OutboxFull
from agent.receipts import PrinterError, ReceiptPrinter, layout, receipt_data_from_journal
from agent.store import Store, StoreError, operators, payers
from agent.terminal.base import Intent, Outcome, TerminalDriver, TerminalError, TerminalResult
from agent.terminal.session import TerminalSession

log = logging.getLogger("counterpay.agent.payments")


@dataclass
class PaymentRequest:
    amount_minor: int
    currency: str
    tender: Tender
    reference: dict = field(default_factory=lambda: {"format": ReferenceFormat.NONE, "value": None})
    case_ref: str | None = None
    order_id: str | None = None
    payer_name: str | None = None
    payer_id: str | None = None
    positions: list[dict] = field(default_factory=list)
    cash_given_minor: int | None = None
    operator: str | None = None
    language: str | None = None       # the receipt's language: the kiosk citizen's; None: the desk's


@dataclass
class PaymentOutcome:
    payment_id: str | None
    outcome: str          # approved | declined | aborted | unknown | operator_check | refused
    message: str
    receipt_id: str | None = None
    receipt_lines: list[str] = field(default_factory=list)
    receipt_qr: str | None = None
    change_minor: int | None = None
    operator_hint: str | None = None
    reason: str | None = None      # with "refused" from the intake screen: intake.CARD_NUMBER, …
    field: str | None = None       # … and the request's field it was found in
    details: dict | None = None    # … and what the refusal's text says (order_checks.ORDER_CANCELLED)


class PaymentRefused(ValueError):
    """The payment was not started; nothing was sent, nothing recorded."""

    def __init__(self, message: str, *, reason: str | None = None, field: str | None = None,
                 details: dict | None = None):
        super().__init__(message)
        self.reason, self.field, self.details = reason, field, details


def _screen(request: PaymentRequest, store: Store) -> None:
    """Refuse a request with a card number or a receipt code in its free text, or naming an
    order the hub cancelled, before any journaling."""
    refusal = intake.screen(request) or order_checks.refusal_for(store, request.order_id, request.reference)
    if refusal is not None:
        log.warning("payment refused at intake: %s in field %s", refusal.reason, refusal.field)
        raise PaymentRefused(refusal.message, reason=refusal.reason, field=refusal.field, details=refusal.details)


def _amount_from_positions(request: PaymentRequest, priced: basket.PricedBasket) -> int:
    """The amount of a payment made from positions: computed, never typed.  A caller's amount
    may be what the positions cost before discounts and fee (a screen's running total) or the
    computed amount; anything else is a mistake somewhere, refused before anything is sent."""
    figures = priced.basket
    if request.amount_minor not in (None, figures.subtotal_minor, figures.positions_minor, figures.amount_minor):
        raise PaymentRefused(f"the amount {Money(request.amount_minor, request.currency)} is not what the positions "
                             f"add up to ({Money(figures.amount_minor, request.currency)})",
                             reason="basket.amount_differs",
                             details={"typed": str(Money(request.amount_minor, request.currency)),
                                      "computed": str(Money(figures.amount_minor, request.currency))})
    return figures.amount_minor


class PaymentLife:
    def __init__(self, store: Store, outbox: Outbox, key: SigningKey, *, journal: SqliteJournal,
                 terminal: TerminalSession, agent_id: str, office: str, printer: ReceiptPrinter,
                 tenders: list[str], on_change: Callable[[], None] = lambda: None, language: str = "en"):
        self.store, self.outbox, self.key = store, outbox, key
        self.language = language              # the desk's (ui.language): receipts are printed in it
        self.agent_id, self.office, self.printer = agent_id, office, printer
        self.terminal = terminal
        self.tenders = tenders
        self.on_change = on_change
        self.journal = journal
        # The outbox row and the payer record join the approved outcome's transaction.
        journal.on_approved = self._capture
        self.unresolved: list[str] = []       # intents recovery could not settle yet
        # Voids and refunds (agent/voids.py) settle through this life too: recovery at start-up
        # and the operator's check find them in the same journal.  Their event and receipt:
        self.undo_capture: Callable[[dict, TerminalResult], None] | None = None
        self.undo_finish: Callable[[dict, str], PaymentOutcome] | None = None

    # the event ------------------------------------------------------------------------
    def _event(self, row: dict, result: TerminalResult | None) -> PaymentCaptured:
        """The payment.captured event of a journal row; raises WireError if the hub could not accept it."""
        request = json.loads(row["request"])
        card = None
        if row["tender"] == Tender.CARD and result is not None:
            card = {"masked_pan": mask_pan(result.masked_pan), "card_type": result.card_type,
                    "terminal_id": result.terminal_id, "trace_no": result.trace_no,
                    "receipt_no": result.receipt_no, "auth_code": result.auth_code, "recovered": result.recovered,
                    "batch_no": request.get("batch_no")}
        payer = None
        if request.get("payer_name") or request.get("payer_id"):
            payer = {"name": request.get("payer_name"), "id": request.get("payer_id")}
        return build(PaymentCaptured, payment_id=row["intent_id"], receipt_id=row["receipt_id"], office=self.office,
                     kind="payment", amount_minor=row["amount_minor"], currency=row["currency"],
                     tender=row["tender"], cash_given_minor=request.get("cash_given_minor"),
                     change_minor=request.get("change_minor"), reference=request["reference"],
                     order_id=request.get("order_id"), case_ref=request.get("case_ref"), payer=payer,
                     positions=request.get("positions") or [], card=card, operator=row.get("operator"),
                     captured_at=row.get("captured_at") or utc_now(), handling_fee=request.get("handling_fee"),
                     language=request.get("language"))

    def _capture(self, row: dict, result: TerminalResult) -> None:
        """Runs inside the outcome's transaction: the outbox row and the payer record."""
        result = intake.without_card_numbers(result)
        if row.get("undoes_intent_id"):
            if self.undo_capture is None:
                raise RuntimeError("a void or refund was approved but this agent has no counter voids")
            self.undo_capture(row, result)
            return
        if row["kind"] != "payment":
            return      # a technician's reversal outside the counter's voids: no event of its own
        self.outbox.append("payment.captured", body_of(self._event(row, result)), payment_id=row["intent_id"])
        request = json.loads(row["request"])
        payers.remember(self.store, request.get("payer_id"), request.get("payer_name"), utc_now())

    # checks before anything is recorded ------------------------------------------
    def _check(self, request: PaymentRequest) -> dict:
        _screen(request, self.store)
        if request.tender not in tuple(Tender):
            raise PaymentRefused(f"tender {request.tender!r} is unknown: use card or cash")
        if request.tender not in self.tenders:
            raise PaymentRefused(f"{request.tender} payments are not enabled at this desk")
        if request.tender == Tender.CARD:
            refused = self.card_refusal([p.get("code") for p in request.positions or [] if isinstance(p, dict)],
                                        request.order_id)
            if refused is not None:
                log.warning("card payment refused: %s", refused.message)
                raise PaymentRefused(refused.message, reason=refused.reason, field=refused.field,
                                     details=refused.details)
        priced = None
        if request.positions:
            try:
                priced = basket.price(self.store, request.positions, request.tender)
            except basket.BasketRefused as exc:
                raise PaymentRefused(str(exc), reason=exc.reason, field="positions", details=exc.details) from None
            request.amount_minor = _amount_from_positions(request, priced)
        if type(request.amount_minor) is not int or request.amount_minor <= 0:
            raise PaymentRefused("the amount must be a positive whole number of minor units")
        reference = dict(request.reference or {"format": ReferenceFormat.NONE, "value": None})
        if reference.get("format") not in tuple(ReferenceFormat):
            reference = {"format": ReferenceFormat.NONE, "value": reference.get("value")}
        stored = {"reference": {"format": reference["format"], "value": reference.get("value")},
                  "case_ref": request.case_ref, "order_id": request.order_id, "payer_name": request.payer_name,
                  "payer_id": request.payer_id, "positions": priced.positions if priced else [],
                  "language": request.language or self.language}
        if priced and priced.handling_fee:
            stored["handling_fee"] = priced.handling_fee
        if request.tender == Tender.CASH:
            given = request.cash_given_minor if request.cash_given_minor is not None else request.amount_minor
            if type(given) is not int or given < request.amount_minor:
                raise PaymentRefused("the cash given is less than the amount due")
            stored.update(cash_given_minor=given, change_minor=given - request.amount_minor)
        # The event must be valid *before* the terminal is asked: an approved payment
        # whose event the hub could never accept would be stuck forever.
        draft = {"intent_id": "x" * 36, "receipt_id": "R-00000000-000000", "amount_minor": request.amount_minor,
                 "currency": request.currency, "tender": request.tender, "request": json.dumps(stored),
                 "operator": request.operator, "captured_at": utc_now()}
        try:
            self._event(draft, None)
        except WireError as exc:
            raise PaymentRefused(f"the payment data is not acceptable: {exc}") from None
        self.outbox.check_room()
        return stored

    def card_refusal(self, codes: list[str], order_id: str | None = None):
        """Why the card tender is not offered for these positions or this scanned order (agent/card_checks.py)."""
        return card_checks.refusal(self.store, [*codes, *card_checks.order_position_codes(self.store, order_id)])

    def _new_receipt_id(self) -> str:
        number = self.store.next_counter("receipt_seq")
        return f"R-{dt.datetime.now(dt.timezone.utc):%Y%m%d}-{number:06d}"

    # the payment ---------------------------------------------------------------------
    def take(self, request: PaymentRequest, on_progress: Callable[[str], None] = lambda text: None) -> PaymentOutcome:
        with self.terminal.lock:          # one payment at a time per desk
            try:
                stored = self._check(request)
            except (PaymentRefused, OutboxFull) as exc:
                return PaymentOutcome(None, "refused", str(exc), reason=getattr(exc, "reason", None),
                                      field=getattr(exc, "field", None), details=getattr(exc, "details", None))
            driver = None
            if request.tender == Tender.CARD:
                why = self._retry_unresolved() if self.unresolved else None
                if self.unresolved:
                    return PaymentOutcome(None, "refused", "an earlier card payment has an unknown outcome; "
                                          "resolve it (technician screen) before taking a new one"
                                          + (f"; asking the terminal about it failed: {why}" if why else ""))
                try:
                    driver = self.terminal.driver()
                except TerminalError as exc:
                    return PaymentOutcome(None, "refused", f"the card terminal is not available: {exc}")
                if driver is None:
                    return PaymentOutcome(None, "refused", "no card terminal is configured at this desk")
            intent_id = str(uuid.uuid4())
            try:
                if request.tender == Tender.CASH:
                    return self._cash(intent_id, request, stored)
                # Fixed with the intent, under the terminal's lock: the batch the terminal
                # charges it in, even when its outcome is settled after the close.
                stored["batch_no"] = open_batch_no(self.store)
                row = self.journal.begin(intent_id=intent_id, kind="payment", tender=Tender.CARD,
                                         amount_minor=request.amount_minor, currency=request.currency,
                                         request=stored, receipt_id=self._new_receipt_id(), operator=request.operator)
            except StoreError as exc:
                return PaymentOutcome(None, "refused", f"the payment could not be recorded, so it was not "
                                      f"started: {exc}")
            crash_point("after_intent")
            self.on_change()
            try:
                return self._card(row, driver, on_progress)
            except StoreError as exc:
                # The terminal may have charged and we cannot write it down: never retry;
                # the intent is on disk and recovery settles it once the disk is writable.
                if intent_id not in self.unresolved:
                    self.unresolved.append(intent_id)
                return PaymentOutcome(intent_id, JournalState.UNKNOWN, f"the journal could not be written ({exc}); "
                                      "the card may have been charged. Do not take the payment again: it is "
                                      "recovered from the terminal once the disk is fixed", row["receipt_id"])

    def _cash(self, intent_id: str, request: PaymentRequest, stored: dict) -> PaymentOutcome:
        with self.store.transaction():
            self.journal.begin(intent_id=intent_id, kind="payment", tender=Tender.CASH,
                               amount_minor=request.amount_minor, currency=request.currency,
                               request=stored, receipt_id=self._new_receipt_id(), operator=request.operator)
            self.journal.record_outcome(TerminalResult(intent_id, Outcome.APPROVED, "cash received",
                                                       request.amount_minor, request.currency))
        crash_point("after_commit")
        self.on_change()
        change = Money(stored["change_minor"], request.currency)
        return self._finish(intent_id, f"paid in cash; change {change}")

    def _card(self, row: dict, driver: TerminalDriver, on_progress: Callable[[str], None]) -> PaymentOutcome:
        intent = SqliteJournal.intent_of(row)
        driver.on_progress = on_progress
        try:
            result = driver.pay(intent)
        except TerminalError as exc:
            # The request may or may not have reached the terminal: unknown, never re-sent.
            result = TerminalResult(intent.intent_id, Outcome.UNKNOWN, f"terminal connection lost: {exc}")
        except Exception as exc:  # a driver bug must not lose the intent
            log.exception("driver failed during pay")
            result = TerminalResult(intent.intent_id, Outcome.UNKNOWN, f"terminal driver failed: {exc}")
        return self._settle(intent, driver, result)

    def _settle(self, intent: Intent, driver: TerminalDriver | None, result: TerminalResult) -> PaymentOutcome:
        self.journal.record_outcome(result)
        if result.outcome is Outcome.UNKNOWN and driver is not None:
            result = self._recover(intent, driver)
        row = self.journal.get(intent.intent_id)
        self.on_change()
        if row["state"] == JournalState.APPROVED:
            if row.get("undoes_intent_id") and self.undo_finish is not None:
                return self.undo_finish(row, result.message)
            crash_point("after_commit")
            return self._finish(intent.intent_id, result.message)
        if row["state"] in OPEN_JOURNAL_STATES:
            waiting_for_operator = row["state"] == JournalState.OPERATOR_CHECK
            if not waiting_for_operator and intent.intent_id not in self.unresolved:
                self.unresolved.append(intent.intent_id)
            return PaymentOutcome(intent.intent_id, JournalState.OPERATOR_CHECK if waiting_for_operator
                                  else JournalState.UNKNOWN, result.message, row["receipt_id"],
                                  operator_hint=result.operator_hint)
        return PaymentOutcome(intent.intent_id, row["state"], result.message)

    def _recover(self, intent: Intent, driver: TerminalDriver) -> TerminalResult:
        try:
            result = driver.recover(intent)
        except TerminalError as exc:
            result = TerminalResult(intent.intent_id, Outcome.UNKNOWN, f"recovery failed: {exc}")
        self.journal.record_outcome(result)
        if result.outcome.final and intent.intent_id in self.unresolved:
            self.unresolved.remove(intent.intent_id)
        return result

    def _retry_unresolved(self) -> str | None:
        """Ask the terminal again about intents it could not be asked about before (busy, or
        still in a dead register's conversation): it may answer now.  Never re-sends a request.
        Returns why the retry could not be done, or None."""
        try:
            driver = self.terminal.driver()
        except TerminalError as exc:
            return f"the card terminal is not available: {exc}"
        if driver is None:
            return None
        try:
            for intent_id in list(self.unresolved):
                row = self.journal.get(intent_id)
                if row is None or row["state"] in FINAL_JOURNAL_STATES:
                    self.unresolved.remove(intent_id)
                    continue
                intent = SqliteJournal.intent_of(row)
                result = self._recover(intent, driver)
                if result.outcome.final:
                    self._settle(intent, None, result)      # commit; an approved one gets its receipt
        except StoreError as exc:
            # The answer may be in hand but cannot be written down: the intent stays
            # unresolved and is asked about again with the next card payment.
            log.warning("open payments still unresolved: %s", exc)
            return f"the journal could not be written ({exc})"
        return None

    # receipts ------------------------------------------------------------------------
    def receipt_qr(self, row: dict) -> str:
        outcome = json.loads(row["outcome"]) if row.get("outcome") else {}
        request = json.loads(row["request"])
        reference = request.get("order_id") or request.get("case_ref") or (request.get("reference") or {}).get("value")
        last4 = "".join(ch for ch in (outcome.get("masked_pan") or "") if ch.isdigit())[-4:]
        when = dt.datetime.fromisoformat((row.get("captured_at") or row["created_at"]).replace("Z", "+00:00"))
        code = cp_receipt.ReceiptCode(
            row["receipt_id"], self.agent_id, when.strftime("%Y-%m-%dT%H:%M:%SZ"), row["amount_minor"],
            row["currency"], row["tender"], outcome.get("receipt_no") or outcome.get("trace_no") or "",
            (reference or "")[:40], last4)
        return cp_receipt.make(code, self.key)

    def receipt_lines(self, row: dict, copy: bool = False) -> tuple[list[str], str]:
        qr = self.receipt_qr(row)
        data = receipt_data_from_journal(row, self.office, self.agent_id, qr, copy, self.language)
        return layout(data, self.printer.columns), qr

    def _finish(self, intent_id: str, message: str) -> PaymentOutcome:
        """Committed and in the outbox: now, and only now, print the receipt."""
        row = self.journal.get(intent_id)
        request = json.loads(row["request"])
        qr = self.receipt_qr(row)
        data = receipt_data_from_journal(row, self.office, self.agent_id, qr, language=self.language)
        lines, note = layout(data, self.printer.columns), ""
        try:
            self.printer.print(data)
            self.journal.mark_printed(intent_id)
            crash_point("after_receipt")
        except PrinterError as exc:
            note = f" (receipt not printed: {exc})"
        return PaymentOutcome(intent_id, JournalState.APPROVED, message + note, row["receipt_id"], lines, qr,
                              request.get("change_minor"))

    def print_pending(self) -> int:
        """Approved payments whose receipt never came out (crash after commit): print them now."""
        printed = 0
        for row in self.journal.unprinted():
            try:
                if row.get("undoes_intent_id") and self.undo_finish is not None:
                    self.undo_finish(row, "receipt printed after restart")
                    printed += 1
                    continue
                self._finish(row["intent_id"], "receipt printed after restart")
                printed += 1
            except (PrinterError, StoreError) as exc:
                log.warning("receipt %s still not printed: %s", row["receipt_id"], exc)
        return printed

    # start-up and the operator ------------------------------------------------------
    def resolve_open(self) -> list[PaymentOutcome]:
        """Settle every non-final intent through the driver's recovery; run before new work."""
        open_intents = self.journal.open_intents()
        if not open_intents:
            return []
        try:
            driver = self.terminal.driver()
        except TerminalError as exc:
            driver = None
            log.warning("cannot resolve %d open payments: terminal unavailable: %s", len(open_intents), exc)
        self.unresolved = [i for i in self.unresolved if i in {o.intent_id for o in open_intents}]
        outcomes = []
        for intent in open_intents:
            row = self.journal.get(intent.intent_id)
            if row["state"] == JournalState.INTENT:
                # The driver never journaled it, and a driver journals every request before
                # sending it (TerminalDriver contract): the agent stopped before the terminal
                # was asked, so nothing can have been charged.
                result = TerminalResult(intent.intent_id, Outcome.ABORTED, "not sent: the agent stopped before "
                                        "the terminal was asked", recovered=True)
                outcomes.append(self._settle(intent, None, result))
                continue
            if row["state"] == JournalState.OPERATOR_CHECK:
                outcomes.append(PaymentOutcome(intent.intent_id, JournalState.OPERATOR_CHECK,
                                               "waiting for the operator",
                                               row["receipt_id"], operator_hint=json.loads(row["outcome"] or "{}")
                                               .get("operator_hint")))
                continue
            if driver is None:
                if intent.intent_id not in self.unresolved:
                    self.unresolved.append(intent.intent_id)
                outcomes.append(PaymentOutcome(intent.intent_id, JournalState.UNKNOWN,
                                               "terminal unavailable; will retry"))
                continue
            result = self._recover(intent, driver)
            if result.outcome is Outcome.UNKNOWN and intent.intent_id not in self.unresolved:
                # The terminal could not be asked yet (still busy with the dead conversation):
                # no new card payment until it is, or the next one would hide this one's answer.
                self.unresolved.append(intent.intent_id)
            outcomes.append(self._settle(intent, None, result) if result.outcome.final else
                            PaymentOutcome(intent.intent_id, result.outcome.value, result.message,
                                           row["receipt_id"], operator_hint=result.operator_hint))
        self.on_change()
        return outcomes

    def resolve_operator_check(self, payment_id: str, charged: bool, operator: str) -> PaymentOutcome:
        with self.terminal.lock:          # one payment at a time per desk
            return self._resolve_operator_check(payment_id, charged, operator)

    def _resolve_operator_check(self, payment_id: str, charged: bool, operator: str) -> PaymentOutcome:
        row = self.journal.get(payment_id)
        if row is None:
            return PaymentOutcome(payment_id, "refused", f"no payment {payment_id} in the journal")
        if row["state"] in FINAL_JOURNAL_STATES:
            return PaymentOutcome(payment_id, row["state"], "this payment was already settled")
        outcome = Outcome.APPROVED if charged else Outcome.ABORTED
        verdict = "charged" if charged else "not charged"
        result = TerminalResult(payment_id, outcome, f"operator {operator} read the terminal: {verdict}",
                                row["amount_minor"], row["currency"], recovered=True)
        operators.record(self.store, payment_id, operator)
        intent = SqliteJournal.intent_of(row)
        if payment_id in self.unresolved:
            self.unresolved.remove(payment_id)
        return self._settle(intent, None, result)
