"""The invariant checker is honest: a consistent record passes, and each hand-built fault fails
with the rule it breaks (so a green chaos run means something)."""

from __future__ import annotations

import copy

import pytest

from tests.chaos.invariants import Evidence, check, printed_receipt_ids

AGENT = "desk-1"


def _journal(intent_id, amount, tender="card", state="approved", receipt_no=None, printed=True):
    outcome = None
    if state in ("approved", "declined"):
        outcome = f'{{"outcome": "{state}", "receipt_no": {receipt_no if receipt_no is not None else "null"}}}'
    return {"agent_id": AGENT, "intent_id": intent_id, "kind": "payment", "tender": tender, "amount_minor": amount,
            "state": state, "outcome": outcome, "receipt_id": f"R-20261122-{int(intent_id[1:]):06d}",
            "receipt_printed_at": "2026-11-22T12:00:00Z" if printed and state == "approved" else None}


def _charge(amount, receipt_no, charged=True, kind="payment", reverses=None):
    return {"record": "request", "kind": kind, "amount_minor": amount, "charged": charged,
            "receipt_no": receipt_no, "reverses": reverses}


def _webhook(payment_id, event_id, webhook_id, amount, answered=204, verified=True, duplicate=False):
    return {"webhook_id": webhook_id, "event_id": event_id, "verified": verified, "answered": answered,
            "duplicate": duplicate, "reason": None if verified else "bad signature",
            "body": {"type": "payment.confirmed",
                     "data": {"event_id": event_id, "agent_id": AGENT,
                              "payment": {"payment_id": payment_id, "amount_minor": amount}}}}


def good() -> Evidence:
    """Two card payments (one answer retried by the hub with the same webhook id), one cash,
    one declined card, one card intent killed before it reached the terminal."""
    journal = [_journal("p1", 1001, receipt_no=7), _journal("p2", 1002, "cash"),
               _journal("p3", 1003, receipt_no=8), _journal("p4", 1004, state="declined"),
               _journal("p5", 1005, state="aborted")]
    approved = [r for r in journal if r["state"] == "approved"]
    outbox = [{"agent_id": AGENT, "seq": i, "message_id": f"m-{r['intent_id']}", "type": "payment.captured",
               "payment_id": r["intent_id"], "state": "acked", "ack_status": "stored"} for i, r in enumerate(approved)]
    hub = [{"agent_id": AGENT, "payment_id": r["intent_id"], "message_id": f"m-{r['intent_id']}",
            "receipt_id": r["receipt_id"], "amount_minor": r["amount_minor"], "tender": r["tender"]} for r in approved]
    ledger = [_charge(1001, 7), _charge(1003, 8), _charge(1004, None, charged=False)]
    record = [_webhook("p1", "m-p1", "msg_1", 1001, answered=500), _webhook("p1", "m-p1", "msg_1", 1001),
              _webhook("p1", "m-p1", "msg_1", 1001, duplicate=True),     # accepted twice, same id: deduplicated
              _webhook("p2", "m-p2", "msg_2", 1002), _webhook("p3", "m-p3", "msg_3", 1003)]
    return Evidence(journal=journal, outbox=outbox, hub_payments=hub, ledgers={AGENT: ledger}, case_record=record,
                    printed_receipts=[r["receipt_id"] for r in approved] + ["R-20261122-000001"],
                    expect_printed=True)


def test_a_consistent_record_passes():
    report = check(good())
    assert report.ok, report.render()
    assert report.counts["approved"] == 3 and report.counts["delivered"] == 3
    assert report.counts["webhook_retries_deduplicated"] == 1


def _broken(change) -> set[str]:
    ev = copy.deepcopy(good())
    change(ev)
    report = check(ev)
    assert not report.ok, "the checker missed a broken record"
    assert "invariant violation" in report.render()
    return report.rules()


def test_a_charge_the_agent_recorded_as_declined_is_lost():
    def change(ev):
        ev.journal[2].update(state="declined", receipt_printed_at=None)
        ev.outbox.pop(2), ev.hub_payments.pop(2), ev.case_record.pop()
        ev.printed_receipts.remove("R-20261122-000003")
    assert _broken(change) == {"lost"}


def test_a_charge_with_no_intent_at_all_is_lost():
    assert _broken(lambda ev: ev.ledgers[AGENT].append(_charge(4242, 9))) == {"lost"}


def test_one_intent_charged_twice_is_a_double_charge():
    assert "double_charge" in _broken(lambda ev: ev.ledgers[AGENT].append(_charge(1001, 9)))


def test_a_reversed_second_charge_is_not_a_double_charge():
    def change(ev):
        ev.ledgers[AGENT] += [_charge(1001, 9), _charge(1001, 10, kind="reversal", reverses=9)]
    assert check(_mutated(change)).ok


def test_approved_without_a_charge_is_a_phantom():
    assert _broken(lambda ev: ev.ledgers[AGENT].pop(0)) == {"phantom"}


def test_an_open_intent_is_unresolved():
    def change(ev):
        ev.journal[4]["state"] = "unknown"
    assert _broken(change) == {"unresolved"}


def test_missing_from_the_outbox_is_lost():
    assert _broken(lambda ev: ev.outbox.pop(1)) == {"lost"}


def test_twice_in_the_outbox_is_doubled():
    def change(ev):
        ev.outbox.append({**ev.outbox[0], "seq": 99, "message_id": "m-again"})
    assert "doubled" in _broken(change)


def test_a_message_the_hub_rejected_is_lost():
    def change(ev):
        ev.outbox[0].update(state="rejected", ack_status="invalid signature")
    assert _broken(change) == {"lost"}


def test_missing_at_the_hub_is_lost():
    def change(ev):
        ev.hub_payments.pop(0)
        ev.case_record[:] = [r for r in ev.case_record if r["event_id"] != "m-p1"]
    assert _broken(change) == {"lost"}


def test_stored_twice_at_the_hub_is_doubled():
    def change(ev):
        ev.hub_payments.append({**ev.hub_payments[0], "message_id": "m-other"})
    assert "doubled" in _broken(change)


def test_at_the_hub_but_not_approved_is_a_phantom():
    def change(ev):
        ev.hub_payments.append({"agent_id": AGENT, "payment_id": "p4", "message_id": "m-p4", "receipt_id": "x",
                                "amount_minor": 1004, "tender": "card"})
        ev.case_record.append(_webhook("p4", "m-p4", "msg_4", 1004))
    assert "phantom" in _broken(change)


def test_never_accepted_by_the_case_system_is_lost_and_says_why():
    def change(ev):
        ev.case_record[:] = [r for r in ev.case_record if r["event_id"] != "m-p3"]
        ev.case_record.append(_webhook("p3", "m-p3", "msg_3", 1003, answered=503))
        ev.hub_deliveries = [{"event_id": "m-p3", "status": "pending", "attempts": 4, "last_status": 503,
                              "last_error": None}]
    ev = _mutated(change)
    report = check(ev)
    assert report.rules() == {"lost"}
    assert "pending after 4 attempt(s), last status 503" in report.render()


def test_accepted_under_two_webhook_ids_is_doubled():
    assert _broken(lambda ev: ev.case_record.append(_webhook("p2", "m-p2", "msg_other", 1002))) == {"doubled"}


def test_accepted_under_two_event_ids_is_doubled():
    assert "doubled" in _broken(lambda ev: ev.case_record.append(_webhook("p2", "m-x", "msg_2", 1002)))


def test_a_webhook_that_fails_verification_is_reported():
    assert _broken(lambda ev: ev.case_record.append(
        _webhook("p2", "m-p2", "msg_2", 1002, verified=False, answered=401))) == {"signature"}


def test_a_receipt_for_an_uncommitted_payment_is_reported():
    assert _broken(lambda ev: ev.printed_receipts.append("R-20261122-000004")) == {"receipt"}
    assert _broken(lambda ev: ev.printed_receipts.append("R-20261122-999999")) == {"receipt"}

    def marked(ev):
        ev.journal[3]["receipt_printed_at"] = "2026-11-22T12:00:00Z"
    assert _broken(marked) == {"receipt"}


def test_an_approved_payment_with_no_receipt_is_reported_when_expected():
    assert _broken(lambda ev: ev.printed_receipts.remove("R-20261122-000002")) == {"receipt"}
    ev = _mutated(lambda ev: ev.printed_receipts.remove("R-20261122-000002"))
    ev.expect_printed = False
    assert check(ev).ok


def test_amounts_that_differ_between_agent_and_hub_are_a_mismatch():
    def change(ev):
        ev.hub_payments[1]["amount_minor"] = 9999
    assert "mismatch" in _broken(change)


def test_two_card_intents_of_one_amount_cannot_be_judged():
    def change(ev):
        ev.journal.append({**_journal("p9", 1001, state="declined")})
    assert _broken(change) == {"harness"}


@pytest.mark.parametrize("torn", [b"", b"R-2026"])
def test_receipt_ids_are_read_from_an_escpos_roll(tmp_path, torn):
    roll = tmp_path / "receipts.txt"
    roll.write_bytes(b"\x1b@Receipt   R-20261122-000007\n\x1dk..R-20261122-000008\x1dV" + torn)
    assert printed_receipt_ids(roll) == ["R-20261122-000007", "R-20261122-000008"]


def _mutated(change) -> Evidence:
    ev = copy.deepcopy(good())
    change(ev)
    return ev


def _voided(ev: Evidence, reversal_charged: int = 1, in_outbox: int = 1, at_hub: bool = True,
            confirmed: bool = True) -> Evidence:
    """p1 (terminal receipt 7) voided at the agent by v1, as the parts would record it."""
    ev.journal.append({**_journal("v9", 1001, receipt_no=11), "intent_id": "v1", "kind": "reversal",
                       "undoes_intent_id": "p1", "receipt_id": "R-20261122-000009"})
    ev.printed_receipts.append("R-20261122-000009")
    ev.ledgers[AGENT] += [_charge(1001, 11 + i, kind="reversal", reverses=7) for i in range(reversal_charged)]
    ev.outbox += [{"agent_id": AGENT, "seq": 50 + i, "message_id": f"m-v1-{i}", "type": "payment.voided",
                   "payment_id": "v1", "state": "acked", "ack_status": "stored"} for i in range(in_outbox)]
    if at_hub:
        ev.hub_payments[0]["voided_at"] = "2026-11-22T12:05:00Z"
    if confirmed:
        record = _webhook("p1", "m-v1-0", "msg_9", 1001)
        record["body"]["type"] = "payment.voided"
        ev.case_record.append(record)
    return ev


def test_a_void_recorded_everywhere_passes():
    report = check(_voided(copy.deepcopy(good())))
    assert report.ok, report.render()
    assert report.counts["voids_approved"] == 1


@pytest.mark.parametrize("options, rules", [
    ({"reversal_charged": 0}, {"phantom"}),             # approved at the agent, never reversed
    ({"reversal_charged": 2}, {"double_charge"}),       # reversed twice
    ({"in_outbox": 0}, {"lost"}), ({"in_outbox": 2}, {"doubled"}),
    ({"at_hub": False}, {"lost"}), ({"confirmed": False}, {"lost"}),
])
def test_a_void_missing_or_doubled_anywhere_is_named(options, rules):
    ev = _voided(copy.deepcopy(good()), **options)
    report = check(ev)
    assert report.rules() == rules, report.render()


def test_a_reversal_of_a_counted_payment_the_agent_never_approved_is_lost():
    def change(ev):
        ev.ledgers[AGENT].append(_charge(1003, 12, kind="reversal", reverses=8))
    # Lost (the terminal undid it, the agent does not know) and phantom (p3 still counted as paid).
    assert _broken(change) == {"lost", "phantom"}
