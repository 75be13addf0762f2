"""Voids and refunds at the counter, approved by a supervisor's login, journaled like payments.

    voids = CounterVoids(life, approval=DeskLogin(store, "approval"))
    outcome = voids.undo(UndoRequest("R-20261204-000017", "wrong amount", supervisor="sam",
                                     supervisor_secret="731904", operator="anna"))

A **void** (reversal) undoes a card payment of the terminal's open batch (ZVT: reversal
by the terminal's receipt number; Concert: its cancellation); a **refund** pays an amount
of an earlier card payment back to the card, any day.  Either one needs a supervisor of
the desk roster to log in at the clerk's screen (`DeskLogin` in mode "approval": the
same offline check and lock-out as any desk login).

The life is the payment's (agent/payments.py): the intent is committed first (naming the
payment it undoes, the operator and the approving supervisor), the driver journals the
request before sending it, an unknown outcome goes to the driver's `recover()` and is
never re-sent, and the approved outcome's transaction appends the event to the outbox
(payment.voided for a void; payment.captured with kind refund for a refund).  Only then
is the void receipt printed.  It carries no signed QR: a void receipt is not proof of a
payment.  A payment voided already (or with a void in flight) is refused with the reason;
the store's unique index makes a second reversal impossible even if two asked at once.

Crash points (CP_CRASH_AT): void_after_intent, void_after_approval (in the journal),
void_after_commit, void_after_receipt.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass

from protocol.domain import JournalState, Tender
from protocol.wire import WireError
from protocol.wire.messages import PaymentCaptured, PaymentVoided, body_of, build

from agent.crash import crash_point
from agent.desk_login import DeskLogin
from agent.end_of_day import open_batch_no
from agent.journal import SqliteJournal, utc_now
from agent.outbox import OutboxFull
from agent.payments import PaymentLife, PaymentOutcome
from agent.receipts import PrinterError, layout, receipt_data_from_journal
from agent.store import StoreError
from agent.terminal.base import IntentKind, Outcome, TerminalError, TerminalResult

log = logging.getLogger("counterpay.agent.voids")

# Why an undo was refused (PaymentOutcome.reason): screens and scripts name them.
APPROVAL_REFUSED = "approval_refused"
NOT_FOUND = "not_found"
NOT_CARD = "not_card"
NOT_APPROVED = "not_approved"
ALREADY_VOIDED = "already_voided"
VOID_IN_PROGRESS = "void_in_progress"
BATCH_CLOSED = "batch_closed"
REFUND_TOO_LARGE = "refund_too_large"
BAD_REQUEST = "bad_request"
UNDO_KINDS = (IntentKind.REVERSAL, IntentKind.REFUND)
ONE_REVERSAL = "UNIQUE constraint failed: journal.undoes_intent_id"   # agent store v8's index refusing a second


@dataclass
class UndoRequest:
    receipt_id: str                  # the agent's receipt id of the payment (R-…) or its payment id
    reason: str
    supervisor: str
    supervisor_secret: str
    kind: str = IntentKind.REVERSAL  # reversal (a void) | refund
    amount_minor: int | None = None  # a refund's amount; default the whole payment (less earlier refunds)
    operator: str | None = None


class _Refused(Exception):
    def __init__(self, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.reason, self.details = reason, details


class CounterVoids:
    def __init__(self, life: PaymentLife, approval: DeskLogin):
        self.life, self.approval = life, approval
        self.journal: SqliteJournal = life.journal
        life.undo_capture = self._capture
        life.undo_finish = self._finish

    # the events, in the approved outcome's transaction -----------------------------------
    def _event(self, row: dict, result: TerminalResult | None):
        request = json.loads(row["request"])
        original = request["undoes"]
        if row["kind"] == IntentKind.REVERSAL:
            return "payment.voided", build(
                PaymentVoided, payment_id=row["undoes_intent_id"], amount_minor=row["amount_minor"],
                currency=row["currency"], reason=request["reason"], voided_at=row.get("captured_at") or utc_now(),
                terminal_receipt_no=original.get("terminal_receipt_no"), operator=row.get("operator"),
                approved_by=row.get("approved_by"), void_id=row["intent_id"], receipt_id=row["receipt_id"])
        card = None
        if result is not None:
            card = {"masked_pan": original.get("masked_pan"), "card_type": result.card_type,
                    "terminal_id": result.terminal_id, "trace_no": result.trace_no, "receipt_no": result.receipt_no,
                    "auth_code": result.auth_code, "recovered": result.recovered,
                    "batch_no": json.loads(row["request"]).get("batch_no")}
        return "payment.captured", build(
            PaymentCaptured, payment_id=row["intent_id"], receipt_id=row["receipt_id"], office=self.life.office,
            kind="refund", amount_minor=row["amount_minor"], currency=row["currency"], tender=Tender.CARD,
            reference=original["reference"], order_id=original.get("order_id"), case_ref=original.get("case_ref"),
            card=card, operator=row.get("operator"), captured_at=row.get("captured_at") or utc_now(),
            refund_of=row["undoes_intent_id"], approved_by=row.get("approved_by"))

    def _capture(self, row: dict, result: TerminalResult) -> None:
        type_, event = self._event(row, result)
        self.life.outbox.append(type_, body_of(event), payment_id=row["intent_id"])

    # checks before anything is recorded --------------------------------------------------
    def _original(self, key: str) -> dict:
        row = self.journal.by_receipt(key) or self.journal.get(key)
        if row is None or row["kind"] != IntentKind.PAYMENT:
            raise _Refused(NOT_FOUND, f"no payment with receipt {key} at this desk")
        if row["tender"] != Tender.CARD:
            raise _Refused(NOT_CARD, f"receipt {row['receipt_id']} was paid in {row['tender']}: only card "
                                     "payments are voided or refunded at the terminal")
        if row["state"] != JournalState.APPROVED:
            raise _Refused(NOT_APPROVED, f"payment {row['receipt_id']} is {row['state']}, not approved: "
                                         "there is nothing to undo")
        return row

    def _check(self, request: UndoRequest, original: dict) -> int:
        """The amount to send; raises _Refused saying why the undo cannot be done."""
        undoing = self.journal.undoing(original["intent_id"])
        voids = [r for r in undoing if r["kind"] == IntentKind.REVERSAL
                 and r["state"] not in (JournalState.DECLINED, JournalState.ABORTED)]
        for void in voids:
            if void["state"] == JournalState.APPROVED:
                raise _Refused(ALREADY_VOIDED, f"payment {original['receipt_id']} was voided already at "
                                               f"{void['captured_at']} (void receipt {void['receipt_id']}, approved "
                                               f"by {void['approved_by']})",
                               {"void_receipt_id": void["receipt_id"], "voided_at": void["captured_at"]})
            raise _Refused(VOID_IN_PROGRESS, f"a void of payment {original['receipt_id']} is waiting for its "
                                             f"outcome ({void['state']}): resolve it before anything else")
        refunds = [r for r in undoing if r["kind"] == IntentKind.REFUND]
        if any(r["state"] not in (JournalState.APPROVED, JournalState.DECLINED, JournalState.ABORTED)
               for r in refunds):
            raise _Refused(VOID_IN_PROGRESS, f"a refund of payment {original['receipt_id']} is waiting for its "
                                             "outcome: resolve it before anything else")
        refunded = sum(r["amount_minor"] for r in refunds if r["state"] == JournalState.APPROVED)
        if request.kind == IntentKind.REVERSAL:
            if refunded:
                raise _Refused(REFUND_TOO_LARGE, f"payment {original['receipt_id']} was partly refunded "
                                                 "already: refund the rest instead of voiding it")
            batch = json.loads(original["request"]).get("batch_no")
            if batch is not None and batch != open_batch_no(self.life.store):
                raise _Refused(BATCH_CLOSED, f"payment {original['receipt_id']} is in a terminal batch closed "
                                             "at end of day: it can no longer be voided; refund it instead")
            return original["amount_minor"]
        left = original["amount_minor"] - refunded
        amount = left if request.amount_minor is None else request.amount_minor
        if type(amount) is not int or amount <= 0:
            raise _Refused(BAD_REQUEST, "a refund's amount must be a positive whole number of minor units")
        if amount > left:
            raise _Refused(REFUND_TOO_LARGE, f"a refund of {amount} is more than the {left} left to refund of "
                                             f"payment {original['receipt_id']}")
        return amount

    def _approve(self, request: UndoRequest) -> str:
        outcome = self.approval.login(request.supervisor, request.supervisor_secret)
        if outcome.operator is None:
            texts = {"wrong": "the supervisor's name or PIN is wrong",
                     "locked": f"the supervisor is locked out for {outcome.wait_s} s after failed tries",
                     "role": "only a supervisor can approve a void or a refund",
                     "no_roster": "the desk has not heard from the hub who may approve"}
            raise _Refused(APPROVAL_REFUSED, texts.get(outcome.refused, "the approval was refused"),
                           {"refused": outcome.refused, "wait_s": outcome.wait_s, "tries_left": outcome.tries_left})
        return outcome.operator.username

    # the undo -----------------------------------------------------------------------------
    def undo(self, request: UndoRequest) -> PaymentOutcome:
        if request.kind not in UNDO_KINDS:
            return PaymentOutcome(None, "refused", f"{request.kind!r} is not reversal or refund", reason=BAD_REQUEST)
        reason = (request.reason or "").strip()
        if not reason or len(reason) > 200:
            return PaymentOutcome(None, "refused", "give the reason for the void or refund (at most 200 characters)",
                                  reason=BAD_REQUEST, field="reason")
        with self.life.terminal.lock:
            try:
                original = self._original((request.receipt_id or "").strip())
                amount = self._check(request, original)
                approver = self._approve(request)
                self.life.outbox.check_room()
            except _Refused as exc:
                log.warning("%s of %s refused: %s", request.kind, request.receipt_id, exc)
                return PaymentOutcome(None, "refused", str(exc), reason=exc.reason, details=exc.details)
            except OutboxFull as exc:
                return PaymentOutcome(None, "refused", str(exc))
            if self.life.unresolved:
                return PaymentOutcome(None, "refused", "an earlier card request has an unknown outcome; resolve it "
                                                       "(technician screen) first")
            try:
                driver = self.life.terminal.driver()
            except TerminalError as exc:
                return PaymentOutcome(None, "refused", f"the card terminal is not available: {exc}")
            if driver is None:
                return PaymentOutcome(None, "refused", "no card terminal is configured at this desk")
            row = self._begin(request, original, amount, approver, reason)
            if isinstance(row, PaymentOutcome):
                return row
            crash_point("void_after_intent")
            self.life.on_change()
            intent = SqliteJournal.intent_of(row)
            try:
                send = driver.reverse if request.kind == IntentKind.REVERSAL else driver.refund
                try:
                    result = send(intent)
                except TerminalError as exc:
                    result = TerminalResult(intent.intent_id, Outcome.UNKNOWN, f"terminal connection lost: {exc}")
                except Exception as exc:  # a driver bug must not lose the intent
                    log.exception("driver failed during %s", request.kind)
                    result = TerminalResult(intent.intent_id, Outcome.UNKNOWN, f"terminal driver failed: {exc}")
                return self.life._settle(intent, driver, result)
            except StoreError as exc:
                if intent.intent_id not in self.life.unresolved:
                    self.life.unresolved.append(intent.intent_id)
                return PaymentOutcome(intent.intent_id, JournalState.UNKNOWN, f"the journal could not be written "
                                      f"({exc}); the terminal may have done it. Do not start it again: it is "
                                      "recovered from the terminal once the disk is fixed", row["receipt_id"])

    def _begin(self, request: UndoRequest, original: dict, amount: int, approver: str, reason: str):
        outcome = json.loads(original["outcome"] or "{}")
        source = json.loads(original["request"])
        stored = {"receipt_no": outcome.get("receipt_no"), "reason": reason,
                  "reference": source.get("reference"), "case_ref": source.get("case_ref"),
                  "undoes": {"receipt_id": original["receipt_id"], "terminal_receipt_no": outcome.get("receipt_no"),
                             "masked_pan": outcome.get("masked_pan"), "reference": source.get("reference"),
                             "order_id": source.get("order_id"), "case_ref": source.get("case_ref"),
                             "amount_minor": original["amount_minor"]},
                  "batch_no": open_batch_no(self.life.store)}
        if request.kind == IntentKind.REVERSAL and not (outcome.get("receipt_no") or "").strip() \
                and self.life.terminal.settings and self.life.terminal.settings.protocol == "zvt":
            return PaymentOutcome(None, "refused", f"payment {original['receipt_id']} has no terminal receipt "
                                  "number to reverse: refund it instead", reason=BAD_REQUEST)
        draft = {"intent_id": "x" * 36, "receipt_id": "V-00000000-000000", "kind": request.kind,
                 "amount_minor": amount, "currency": original["currency"], "request": json.dumps(stored),
                 "operator": request.operator, "approved_by": approver, "undoes_intent_id": original["intent_id"],
                 "captured_at": utc_now()}
        try:
            self._event(draft, None)       # an event the hub could never accept would be stuck
        except WireError as exc:
            return PaymentOutcome(None, "refused", f"the {request.kind} data is not acceptable: {exc}",
                                  reason=BAD_REQUEST)
        try:
            return self.journal.begin(intent_id=str(uuid.uuid4()), kind=request.kind, tender=Tender.CARD,
                                      amount_minor=amount, currency=original["currency"], request=stored,
                                      receipt_id=self.life._new_receipt_id(), operator=request.operator,
                                      undoes_intent_id=original["intent_id"], approved_by=approver)
        except StoreError as exc:
            if ONE_REVERSAL in str(exc):     # the store's index: another void of it got there first
                return PaymentOutcome(None, "refused", f"payment {original['receipt_id']} has a void already",
                                      reason=ALREADY_VOIDED)
            return PaymentOutcome(None, "refused", f"the {request.kind} could not be recorded, so it was not "
                                  f"started: {exc}")

    # the receipt, after the commit --------------------------------------------------------
    def receipt_lines(self, row: dict, copy: bool = False) -> list[str]:
        return layout(self.receipt(row, copy), self.life.printer.columns)

    def receipt(self, row: dict, copy: bool = False):
        request = json.loads(row["request"])
        data = receipt_data_from_journal(row, self.life.office, self.life.agent_id, None, copy)
        data.undo_kind, data.undoes_receipt_id = row["kind"], request["undoes"]["receipt_id"]
        data.undo_reason, data.approved_by = request["reason"], row.get("approved_by")
        data.masked_pan = data.masked_pan or request["undoes"].get("masked_pan")
        return data

    def _finish(self, row: dict, message: str) -> PaymentOutcome:
        crash_point("void_after_commit")
        data = self.receipt(row)
        lines, note = layout(data, self.life.printer.columns), ""
        try:
            self.life.printer.print(data)
            self.journal.mark_printed(row["intent_id"])
            crash_point("void_after_receipt")
        except PrinterError as exc:
            note = f" (receipt not printed: {exc})"
        return PaymentOutcome(row["intent_id"], JournalState.APPROVED, message + note, row["receipt_id"], lines)
