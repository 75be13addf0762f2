"""The chaos suite's invariants (DESIGN.md, Guarantees), checked from what each part recorded.

    report = check(evidence_from_site(site))      # or Evidence(...) built by hand in a unit test
    assert report.ok, report.render()

The evidence is read from the parts themselves, never from the harness's own bookkeeping:
the agent's SQLite store (journal and outbox), the hub's database (payments, deliveries),
the simulated terminal's ledger (what the "card" was really charged), the simulated case
system's record (every webhook request it received), and the receipt roll.

Rules (each violation names one):

- ``lost``: a charge the terminal made that the agent did not record as approved; an
  approved payment missing from the outbox, the hub, or the case system (after dedup).
- ``doubled``: a payment stored twice at the hub, queued twice in the outbox, sent under two
  message ids, or accepted by the case system under two webhook or event ids (retries of one
  webhook id are fine: that is what the receiver deduplicates).
- ``double_charge``: one intent charged more than once on the terminal.
- ``phantom``: a record of money that never moved: approved at the agent without a charge,
  at the hub or the case system without an approved payment at the agent.
- ``receipt``: a receipt for a payment the agent has not committed as approved.
- ``unresolved``: an intent still open (intent/sent/unknown) after the parts settled.
- ``mismatch``: the same payment with different amounts or terminal receipts in two places.
- ``signature``: the case system received a webhook whose signature did not verify.
- voids: a void approved at the agent is one reversal on the terminal of that payment's
  receipt (``phantom`` if none, ``double_charge`` if two), one payment.voided message in the
  outbox, the payment voided at the hub and confirmed voided to the case system (``lost``);
  a reversal the terminal made that the agent has not approved is ``lost``.
- ``harness``: the evidence cannot be judged (e.g. two card intents of one amount: the
  terminal's ledger is matched to intents by amount, so the chaos harness keeps them unique).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

OPEN_STATES = ("intent", "sent", "unknown", "operator_check")
RECEIPT_ID = re.compile(rb"R-\d{8}-\d{6}")


@dataclass
class Evidence:
    journal: list[dict]                      # agent journal rows, each with "agent_id"
    outbox: list[dict]                       # agent outbox rows, each with "agent_id"
    hub_payments: list[dict]                 # hub `payments` rows (agent_id, payment_id, message_id, amount_minor…)
    ledgers: dict[str, list[dict]]           # agent id -> its terminal simulator's ledger records
    case_record: list[dict]                  # the case-system simulator's record, one per webhook request
    hub_deliveries: list[dict] | None = None  # hub `deliveries` rows, to explain what was not delivered
    printed_receipts: list[str] | None = None  # receipt ids found on the receipt roll(s)
    expect_printed: bool = False             # every approved payment must have a receipt by now


@dataclass(frozen=True)
class Violation:
    rule: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.subject}: {self.detail}"


@dataclass
class Report:
    violations: list[Violation] = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations

    def rules(self) -> set[str]:
        return {v.rule for v in self.violations}

    def add(self, rule: str, subject: str, detail: str) -> None:
        self.violations.append(Violation(rule, subject, detail))

    def render(self, limit: int = 40) -> str:
        head = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        if self.ok:
            return f"invariants hold ({head})"
        by_rule = Counter(v.rule for v in self.violations)
        lines = [f"{len(self.violations)} invariant violation(s) ({dict(by_rule)}); {head}"]
        lines += [f"  {v}" for v in self.violations[:limit]]
        if len(self.violations) > limit:
            lines.append(f"  … and {len(self.violations) - limit} more")
        return "\n".join(lines)


def check(ev: Evidence) -> Report:
    report = Report()
    approved = {(r["agent_id"], r["intent_id"]): r for r in ev.journal
                if r["state"] == "approved" and r["kind"] == "payment"}
    report.counts = {"intents": len(ev.journal), "approved": len(approved),
                     "card_charges": sum(1 for recs in ev.ledgers.values() for r in recs
                                         if r.get("record") == "request" and r.get("charged")),
                     "at_hub": len(ev.hub_payments),
                     "webhooks_received": len(ev.case_record)}
    _check_terminal(ev, report)
    _check_outbox(ev, approved, report)
    _check_hub(ev, approved, report)
    _check_case_system(ev, report)
    _check_receipts(ev, approved, report)
    _check_voids(ev, report)
    return report


# -- the terminal: every charge recorded once, no intent charged twice ------------------------
def _net_charges(ledger: list[dict]) -> dict[int, list[dict]]:
    """Charged payment requests by amount, less those a successful reversal undid."""
    reversed_receipts = {r.get("reverses") for r in ledger
                         if r.get("record") == "request" and r.get("kind") == "reversal" and r.get("charged")}
    charges: dict[int, list[dict]] = defaultdict(list)
    for r in ledger:
        if r.get("record") == "request" and r.get("kind") == "payment" and r.get("charged") \
                and r.get("receipt_no") not in reversed_receipts:
            charges[r["amount_minor"]].append(r)
    return charges


def _check_terminal(ev: Evidence, report: Report) -> None:
    for row in ev.journal:
        if row["state"] in OPEN_STATES:
            report.add("unresolved", _name(row), f"still {row['state']} ({row['tender']} {row['amount_minor']})")
    for agent_id, ledger in ev.ledgers.items():
        cards: dict[int, list[dict]] = defaultdict(list)
        for row in ev.journal:
            if row["agent_id"] == agent_id and row["tender"] == "card" and row["kind"] == "payment":
                cards[row["amount_minor"]].append(row)
        for amount, rows in cards.items():
            if len(rows) > 1:
                report.add("harness", f"{agent_id} amount {amount}",
                           f"{len(rows)} card intents share this amount; the ledger cannot be matched to them")
        charges = _net_charges(ledger)
        for amount, charged in charges.items():
            receipts = [c.get("receipt_no") for c in charged]
            subject = f"{agent_id} charge of {amount} (terminal receipt {', '.join(map(str, receipts))})"
            if len(charged) > 1:
                report.add("double_charge", subject, f"the card was charged {len(charged)} times for one intent")
            rows = cards.get(amount, [])
            if not rows:
                report.add("lost", subject, "the terminal charged a card the agent has no intent for")
                continue
            row = rows[0]
            if row["state"] != "approved":
                report.add("lost", subject, f"the agent recorded intent {row['intent_id']} as {row['state']}")
                continue
            got = _outcome(row).get("receipt_no")
            if got is not None and str(got).lstrip("0") not in {str(r).lstrip("0") for r in receipts}:
                report.add("mismatch", subject, f"the agent recorded terminal receipt {got} for {row['intent_id']}")
        voided = {r["undoes_intent_id"] for r in ev.journal if r["agent_id"] == agent_id
                  and r["kind"] == "reversal" and r.get("undoes_intent_id") and r["state"] == "approved"}
        for amount, rows in cards.items():
            for row in rows:
                # A voided payment's charge was reversed: _check_voids judges it.
                if row["state"] == "approved" and amount not in charges and row["intent_id"] not in voided:
                    report.add("phantom", _name(row), f"approved at the agent ({amount}) but the terminal "
                                                      "charged nothing")


# -- voids: terminal, outbox, hub, case system ------------------------------------------------
def _check_voids(ev: Evidence, report: Report) -> None:
    by_id = {(r["agent_id"], r["intent_id"]): r for r in ev.journal}
    voids = [r for r in ev.journal if r["kind"] == "reversal" and r.get("undoes_intent_id")]
    approved = [r for r in voids if r["state"] == "approved"]
    report.counts["voids_approved"] = len(approved)
    per_payment = Counter((r["agent_id"], r["undoes_intent_id"]) for r in approved)
    for key, n in per_payment.items():
        if n > 1:
            report.add("doubled", f"{key[0]}/{key[1]}", f"voided {n} times at the agent")
    reversed_by = {agent_id: Counter(str(r.get("reverses")) for r in ledger if r.get("record") == "request"
                                     and r.get("kind") == "reversal" and r.get("charged"))
                   for agent_id, ledger in ev.ledgers.items()}
    voided_receipts = defaultdict(set)
    paid_receipts = defaultdict(set)     # a technician may reverse a charge the agent never counted
    for row in ev.journal:
        if row["kind"] == "payment" and row["state"] == "approved" and _outcome(row).get("receipt_no"):
            paid_receipts[row["agent_id"]].add(str(int(_outcome(row)["receipt_no"])))
    for row in approved:
        original = by_id.get((row["agent_id"], row["undoes_intent_id"]))
        receipt_no = str(int(_outcome(original).get("receipt_no") or 0)) if original else "?"
        voided_receipts[row["agent_id"]].add(receipt_no)
        times = reversed_by.get(row["agent_id"], Counter()).get(receipt_no, 0)
        if times == 0:
            report.add("phantom", _name(row), f"void approved at the agent, the terminal never reversed "
                                              f"receipt {receipt_no}")
    for agent_id, reversed_receipts in reversed_by.items():
        for receipt_no, times in reversed_receipts.items():
            if times > 1:
                report.add("double_charge", f"{agent_id} receipt {receipt_no}", f"reversed {times} times")
            if receipt_no in paid_receipts[agent_id] and receipt_no not in voided_receipts[agent_id]:
                report.add("lost", f"{agent_id} receipt {receipt_no}", "the terminal reversed it; the agent has "
                                                                       "no approved void of it")
    messages = Counter((r["agent_id"], r["payment_id"]) for r in ev.outbox if r["type"] == "payment.voided")
    approved_ids = {(r["agent_id"], r["intent_id"]) for r in approved}
    for row in approved:
        n = messages.get((row["agent_id"], row["intent_id"]), 0)
        if n != 1:
            report.add("lost" if n == 0 else "doubled", _name(row), f"{n} payment.voided messages in the outbox")
    for key in messages:
        if key not in approved_ids:
            report.add("phantom", f"{key[0]}/{key[1]}", "a payment.voided message for a void that is not approved")
    at_hub = {(r["agent_id"], r["payment_id"]): r for r in ev.hub_payments}
    confirmed = {(((rec.get("body") or {}).get("data") or {}).get("agent_id"),
                  (((rec.get("body") or {}).get("data") or {}).get("payment") or {}).get("payment_id"))
                 for rec in ev.case_record if rec.get("verified") and 200 <= int(rec.get("answered") or 0) < 300
                 and (rec.get("body") or {}).get("type") == "payment.voided"}
    for row in approved:
        key = (row["agent_id"], row["undoes_intent_id"])
        if not (at_hub.get(key) or {}).get("voided_at"):
            report.add("lost", _name(row), "void approved at the agent; the payment is not voided at the hub")
        elif key not in confirmed:
            report.add("lost", _name(row), "void approved at the agent; the case system never accepted it")


# -- agent → outbox → hub ---------------------------------------------------------------------
def _check_outbox(ev: Evidence, approved: dict, report: Report) -> None:
    captured = defaultdict(list)
    for row in ev.outbox:
        if row["type"] == "payment.captured":
            captured[(row["agent_id"], row["payment_id"])].append(row)
    for key, row in approved.items():
        rows = captured.get(key, [])
        if not rows:
            report.add("lost", _name(row), "approved, but no payment.captured message in the outbox")
        elif len(rows) > 1:
            report.add("doubled", _name(row), f"{len(rows)} payment.captured messages in the outbox")
        elif rows[0]["state"] == "rejected":
            report.add("lost", _name(row), f"the hub rejected its message: {rows[0].get('ack_status')}")
    for key in captured:
        if key not in approved:
            report.add("phantom", f"{key[0]}/{key[1]}", "an outbox message for a payment that is not approved")
    report.counts["outbox_pending"] = sum(1 for r in ev.outbox if r["state"] == "pending")


def _check_hub(ev: Evidence, approved: dict, report: Report) -> None:
    stored = defaultdict(list)
    for row in ev.hub_payments:
        stored[(row["agent_id"], row["payment_id"])].append(row)
    message_ids = {(r["agent_id"], r["payment_id"]): r["message_id"] for r in ev.outbox
                   if r["type"] == "payment.captured"}
    for key, row in approved.items():
        rows = stored.get(key, [])
        if not rows:
            report.add("lost", _name(row), "approved at the agent, not stored at the hub")
            continue
        if len(rows) > 1:
            report.add("doubled", _name(row), f"stored {len(rows)} times at the hub")
        hub = rows[0]
        if hub["amount_minor"] != row["amount_minor"]:
            report.add("mismatch", _name(row), f"{row['amount_minor']} at the agent, {hub['amount_minor']} at the hub")
        sent = message_ids.get(key)
        if sent is not None and {r["message_id"] for r in rows} != {sent}:
            report.add("doubled", _name(row), f"the hub holds message ids {sorted({r['message_id'] for r in rows})},"
                                              f" the agent sent {sent}")
    for key in stored:
        if key not in approved:
            report.add("phantom", f"{key[0]}/{key[1]}", "stored at the hub, not approved at the agent")


# -- hub → case system ------------------------------------------------------------------------
def _check_case_system(ev: Evidence, report: Report) -> None:
    accepted = defaultdict(list)
    voided_first = defaultdict(list)
    for rec in ev.case_record:
        if not rec.get("verified"):
            report.add("signature", f"webhook {rec.get('webhook_id')}", f"not verified: {rec.get('reason')}")
            continue
        if not 200 <= int(rec.get("answered") or 0) < 300:
            continue
        data = (rec.get("body") or {}).get("data") or {}
        if (rec.get("body") or {}).get("type") != "payment.confirmed":
            # A payment voided at the hub before its own confirmation was queued is
            # confirmed once, as voided (_check_voids judges the voids themselves).
            if (rec.get("body") or {}).get("type") == "payment.voided" and data.get("event_id") is not None:
                voided_first[(data.get("agent_id"), (data.get("payment") or {}).get("payment_id"))].append(rec)
            continue
        accepted[(data.get("agent_id"), (data.get("payment") or {}).get("payment_id"))].append(rec)
    delivery = {d["event_id"]: d for d in ev.hub_deliveries or []}
    report.counts["delivered"] = 0
    for row in ev.hub_payments:
        key = (row["agent_id"], row["payment_id"])
        recs = accepted.get(key, [])
        subject = f"{key[0]}/{key[1]}"
        if not recs and row.get("voided_at"):
            recs = [r for r in voided_first.get(key, []) if r.get("event_id") == row["message_id"]]
        if not recs:
            d = delivery.get(row["message_id"])
            why = (f"; hub delivery {d['status']} after {d['attempts']} attempt(s), last status {d['last_status']}"
                   f" {d.get('last_error') or ''}".rstrip() if d else "")
            report.add("lost", subject, "stored at the hub, never accepted by its case system" + why)
            continue
        report.counts["delivered"] += 1
        webhook_ids = {r.get("webhook_id") for r in recs}
        event_ids = {r.get("event_id") for r in recs}
        if len(webhook_ids) > 1:
            report.add("doubled", subject, f"accepted under {len(webhook_ids)} webhook ids {sorted(webhook_ids)}")
        if len(event_ids) > 1 or event_ids != {row["message_id"]}:
            report.add("doubled" if len(event_ids) > 1 else "mismatch", subject,
                       f"accepted with event ids {sorted(map(str, event_ids))}, the hub stored {row['message_id']}")
        amounts = {(r.get("body") or {}).get("data", {}).get("payment", {}).get("amount_minor") for r in recs}
        if amounts != {row["amount_minor"]}:
            report.add("mismatch", subject, f"case system saw amounts {sorted(map(str, amounts))}, "
                                            f"the hub stored {row['amount_minor']}")
    at_hub = {(r["agent_id"], r["payment_id"]) for r in ev.hub_payments}
    for key in accepted:
        if key not in at_hub:
            report.add("phantom", f"{key[0]}/{key[1]}", "confirmed to the case system, not stored at the hub")
    report.counts["webhook_retries_deduplicated"] = sum(len(v) - 1 for v in accepted.values())


# -- receipts -----------------------------------------------------------------------------------
def _check_receipts(ev: Evidence, approved: dict, report: Report) -> None:
    by_receipt = {r["receipt_id"]: r for r in ev.journal}
    for row in ev.journal:
        if row.get("receipt_printed_at") and row["state"] != "approved":
            report.add("receipt", _name(row), f"marked printed while {row['state']}")
    if ev.printed_receipts is None:
        return
    printed = Counter(ev.printed_receipts)
    report.counts["receipts_printed"] = len(printed)
    for receipt_id in printed:
        row = by_receipt.get(receipt_id)
        if row is None:
            report.add("receipt", receipt_id, "on the receipt roll, but no such payment in the journal")
        elif row["state"] != "approved":
            report.add("receipt", receipt_id, f"on the receipt roll, but the payment is {row['state']}")
    if ev.expect_printed:
        voids = [r for r in ev.journal if r["kind"] == "reversal" and r.get("undoes_intent_id")
                 and r["state"] == "approved"]
        for row in [*approved.values(), *voids]:
            if row["receipt_id"] not in printed:
                report.add("receipt", _name(row), f"approved, but receipt {row['receipt_id']} was never printed")


def _name(row: dict) -> str:
    return f"{row['agent_id']}/{row['intent_id']} ({row['tender']} {row['amount_minor']})"


def _outcome(row: dict) -> dict:
    try:
        return json.loads(row.get("outcome") or "{}")
    except json.JSONDecodeError:
        return {}


# -- loading the evidence -----------------------------------------------------------------------
def _rows(path: Path, sql: str) -> list[dict]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(sql)]


def agent_store(db_path: Path, agent_id: str) -> tuple[list[dict], list[dict]]:
    """(journal, outbox) of one agent's SQLite store, read-only (safe while it runs: WAL)."""
    journal = [{**r, "agent_id": agent_id} for r in _rows(db_path, "SELECT * FROM journal")]
    outbox = [{**r, "agent_id": agent_id} for r in _rows(
        db_path, "SELECT seq, message_id, type, payment_id, state, ack_status FROM outbox")]
    return journal, outbox


def hub_store(db_path: Path) -> tuple[list[dict], list[dict]]:
    """(payments, deliveries) from the hub's SQLite database."""
    payments = _rows(db_path, "SELECT agent_id, payment_id, message_id, receipt_id, amount_minor, tender, "
                              "link_status, voided_at FROM payments")
    deliveries = _rows(db_path, "SELECT event_id, webhook_id, status, attempts, last_status, last_error, "
                                "case_system FROM deliveries")
    return payments, deliveries


def printed_receipt_ids(roll: Path) -> list[str]:
    """Receipt ids on an ESC/POS receipt roll file (each receipt prints its id once)."""
    if not roll.exists():
        return []
    return [m.decode() for m in RECEIPT_ID.findall(roll.read_bytes())]


def json_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue            # a torn last line (the writer was killed mid-line)
    return out


def evidence_from_site(site, expect_printed: bool = True) -> Evidence:
    """Everything a `counterpay.site.Site` recorded, read from its files and databases."""
    agent_id = site.plan.agent_id
    journal, outbox = agent_store(site.agent_dir / "agent.db", agent_id)
    payments, deliveries = hub_store(site.hub_dir / "hub.db")
    printer = getattr(site.plan, "printer", False)
    return Evidence(journal=journal, outbox=outbox, hub_payments=payments, hub_deliveries=deliveries,
                    ledgers={agent_id: json_lines(site.ledger_path)}, case_record=json_lines(site.case_record_path),
                    printed_receipts=printed_receipt_ids(site.receipts_path) if printer else None,
                    expect_printed=expect_printed and printer)
