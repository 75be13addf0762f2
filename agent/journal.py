"""The payment journal on SQLite; implements `agent.terminal.base.TerminalJournal`.

One row per intent, written and committed *before* the terminal hears of it.  The row
moves  intent → sent → (unknown | operator_check)* → approved | declined | aborted  and
never back: a final outcome is never overwritten, so the driver and the payment life
may both record the same result and nothing happens twice.

When an outcome is committed as approved, `on_approved(row, result)` runs inside the
same transaction (the payment life appends the payment.captured outbox row there), so
an approved payment is in the outbox exactly once, or the outcome is not committed.

Crash points for the kill tests (`CP_CRASH_AT`): `after_approval` fires when an approved
answer reached us but before it is committed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from typing import Any, Callable

from agent.crash import crash_point
from agent.intake import without_card_numbers
from agent.store import Store
from agent.terminal.base import Intent, IntentKind, Outcome, TerminalResult
from protocol.domain import FINAL_JOURNAL_STATES, OPEN_JOURNAL_STATES, JournalState, ReferenceFormat, Tender

_DIGITS = re.compile(r"\d")
# 13-19 digits, possibly grouped by spaces or dashes: the shape of a card number.
_PAN_LIKE = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def mask_pan(value: str | None) -> str | None:
    """Keep at most the last 4 digits in clear: a full card number is never stored."""
    if value is None:
        return None
    digits = _DIGITS.findall(value)
    if len(digits) <= 4:
        return value
    return "*" * (len(digits) - 4) + "".join(digits[-4:])


def scrub(text: str | None) -> str | None:
    """Mask anything shaped like a full card number in free text (terminal receipt lines)."""
    if not text:
        return text
    return _PAN_LIKE.sub(lambda m: mask_pan(re.sub(r"[ -]", "", m.group(0))), text)


def result_to_json(result: TerminalResult) -> str:
    data = dataclasses.asdict(without_card_numbers(result))
    data["outcome"] = result.outcome.value
    data["masked_pan"] = mask_pan(result.masked_pan)
    data["message"] = scrub(result.message)
    data["operator_hint"] = scrub(result.operator_hint)
    data["receipt_lines"] = [scrub(line) for line in result.receipt_lines]
    return json.dumps(data, ensure_ascii=False)


class SqliteJournal:
    """TerminalJournal on the agent store; every call returns once committed."""

    def __init__(self, store: Store, on_approved: Callable[[dict, TerminalResult], None] | None = None,
                 operator: Callable[[], str | None] = lambda: None):
        self.store = store
        self.on_approved = on_approved
        self.operator = operator        # who is logged in: named on intents the payment life did not start

    def begin(self, *, intent_id: str, kind: str, tender: str, amount_minor: int, currency: str,
              request: dict[str, Any], receipt_id: str, operator: str | None = None,
              undoes_intent_id: str | None = None, approved_by: str | None = None) -> dict:
        now = utc_now()
        row = {"intent_id": intent_id, "kind": kind, "tender": tender, "amount_minor": amount_minor,
               "currency": currency, "request": json.dumps(request, ensure_ascii=False), "state": JournalState.INTENT,
               "outcome": None, "receipt_id": receipt_id, "receipt_printed_at": None, "operator": operator,
               "created_at": now, "updated_at": now, "captured_at": None, "undoes_intent_id": undoes_intent_id,
               "approved_by": approved_by}
        with self.store.transaction() as db:
            db["journal"].insert(row)
        return row

    # TerminalJournal --------------------------------------------------------------
    def record_intent(self, intent: Intent) -> None:
        with self.store.transaction() as db:
            found = db.execute("SELECT state FROM journal WHERE intent_id = ?", (intent.intent_id,)).fetchone()
            if found is None:
                # An intent the payment life did not start (a technician's reversal):
                # journal it all the same, before anything is sent.
                now = utc_now()
                db["journal"].insert({
                    "intent_id": intent.intent_id, "kind": intent.kind.value, "tender": Tender.CARD,
                    "amount_minor": intent.amount_minor, "currency": intent.currency,
                    "request": json.dumps({"reference": {"format": ReferenceFormat.NONE, "value": intent.reference},
                                           "receipt_no": intent.receipt_no}),
                    "state": JournalState.SENT, "outcome": None, "receipt_id": f"T-{intent.intent_id}",
                    "receipt_printed_at": None, "operator": self.operator(), "created_at": intent.created_at or now,
                    "updated_at": now, "captured_at": None, "terminal_mark": intent.terminal_mark})
            elif found[0] == JournalState.INTENT:
                db.execute("UPDATE journal SET state = ?, updated_at = ?, terminal_mark = ? WHERE intent_id = ?",
                           (JournalState.SENT, utc_now(), intent.terminal_mark, intent.intent_id))
            elif intent.terminal_mark is not None:
                db.execute("UPDATE journal SET terminal_mark = ? WHERE intent_id = ?",
                           (intent.terminal_mark, intent.intent_id))

    def record_outcome(self, result: TerminalResult) -> bool:
        """Commit an outcome; returns False when the intent already had a final one."""
        if result.outcome is Outcome.APPROVED:
            crash_point("void_after_approval" if self._undoes(result.intent_id) else "after_approval")
        with self.store.transaction() as db:
            found = db.execute("SELECT * FROM journal WHERE intent_id = ?", (result.intent_id,)).fetchone()
            if found is None:
                raise KeyError(f"no journal entry for intent {result.intent_id}: outcomes are recorded "
                               "only for intents journaled first")
            columns = [d[0] for d in db.execute("SELECT * FROM journal LIMIT 0").description]
            row = dict(zip(columns, found, strict=True))
            if row["state"] in FINAL_JOURNAL_STATES:
                return False
            now = utc_now()
            captured = now if result.outcome is Outcome.APPROVED else None
            db.execute("UPDATE journal SET state = ?, outcome = ?, updated_at = ?, captured_at = ? "
                       "WHERE intent_id = ?",
                       (result.outcome.value, result_to_json(result), now, captured, result.intent_id))
            if result.outcome is Outcome.APPROVED and self.on_approved is not None:
                row.update(state=JournalState.APPROVED, captured_at=captured, outcome=result_to_json(result))
                self.on_approved(row, result)
        return True

    def _undoes(self, intent_id: str) -> bool:
        rows = self.store.query("SELECT undoes_intent_id FROM journal WHERE intent_id = ?", (intent_id,))
        return bool(rows and rows[0]["undoes_intent_id"])

    def open_intents(self) -> list[Intent]:
        rows = self.store.query(f"SELECT * FROM journal WHERE state IN ({','.join('?' * len(OPEN_JOURNAL_STATES))}) "
                                "AND tender = ? ORDER BY created_at", (*OPEN_JOURNAL_STATES, Tender.CARD))
        return [self.intent_of(row) for row in rows]

    # reading ----------------------------------------------------------------------
    @staticmethod
    def intent_of(row: dict) -> Intent:
        request = json.loads(row["request"])
        reference = request.get("reference") or {}
        return Intent(intent_id=row["intent_id"], kind=IntentKind(row["kind"]), amount_minor=row["amount_minor"],
                      currency=row["currency"], receipt_no=request.get("receipt_no"),
                      reference=reference.get("value") or request.get("case_ref"), created_at=row["created_at"],
                      terminal_mark=row.get("terminal_mark"))

    def get(self, intent_id: str) -> dict | None:
        rows = self.store.query("SELECT * FROM journal WHERE intent_id = ?", (intent_id,))
        return rows[0] if rows else None

    def by_receipt(self, receipt_id: str) -> dict | None:
        rows = self.store.query("SELECT * FROM journal WHERE receipt_id = ?", (receipt_id,))
        return rows[0] if rows else None

    def in_state(self, *states: str) -> list[dict]:
        return self.store.query(f"SELECT * FROM journal WHERE state IN ({','.join('?' * len(states))}) "
                                "ORDER BY created_at", states)

    def unprinted(self) -> list[dict]:
        return self.store.query("SELECT * FROM journal WHERE state = ? AND receipt_printed_at IS NULL "
                                "AND (kind = 'payment' OR undoes_intent_id IS NOT NULL) ORDER BY captured_at",
                                (JournalState.APPROVED,))

    def undoing(self, intent_id: str) -> list[dict]:
        """The voids and refunds of payment `intent_id`, oldest first."""
        return self.store.query("SELECT * FROM journal WHERE undoes_intent_id = ? ORDER BY created_at", (intent_id,))

    def mark_printed(self, intent_id: str) -> None:
        with self.store.transaction() as db:
            db.execute("UPDATE journal SET receipt_printed_at = ? WHERE intent_id = ?", (utc_now(), intent_id))

    def recent(self, limit: int = 20) -> list[dict]:
        return self.store.query("SELECT * FROM journal ORDER BY created_at DESC LIMIT ?", (limit,))

    def totals_since(self, since_iso: str) -> dict[str, tuple[int, int]]:
        """Tender → (count, total) as a terminal nets its batch: a reversal takes its payment
        out of count and total, a refund out of the total only."""
        rows = self.store.query("SELECT tender, kind, COUNT(*) AS n, COALESCE(SUM(amount_minor), 0) AS total "
                                "FROM journal WHERE state = ? AND captured_at >= ? "
                                "AND (kind = 'payment' OR undoes_intent_id IS NOT NULL) GROUP BY tender, kind",
                                (JournalState.APPROVED, since_iso))
        totals: dict[str, tuple[int, int]] = {}
        for row in rows:
            n, total = totals.get(row["tender"], (0, 0))
            if row["kind"] == IntentKind.PAYMENT:
                n, total = n + row["n"], total + row["total"]
            elif row["kind"] == IntentKind.REVERSAL:
                n, total = n - row["n"], total - row["total"]
            else:
                total -= row["total"]
            totals[row["tender"]] = (n, total)
        return totals

    def card_payment_ids_since(self, since_iso: str, limit: int) -> list[str] | None:
        """The approved card payments since `since_iso` (the end of day's window), oldest
        first; None when there are more than `limit` (too many to send in one report)."""
        # Refunds too: the hub holds them in the batch they were made in.
        rows = self.store.query("SELECT intent_id FROM journal WHERE state = ? AND tender = ? "
                                "AND (kind = 'payment' OR (kind = 'refund' AND undoes_intent_id IS NOT NULL)) "
                                "AND captured_at >= ? ORDER BY captured_at LIMIT ?",
                                (JournalState.APPROVED, Tender.CARD, since_iso, limit + 1))
        return None if len(rows) > limit else [row["intent_id"] for row in rows]
