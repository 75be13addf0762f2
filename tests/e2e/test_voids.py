"""A void and a refund at the counter reach the order's status and the case system: real
mosquitto (the hub's TLS configuration), real `hub serve`, the case-system simulator, the
ZVT simulator on a pty, a real headless agent; a supervisor made with `counterpay hub user`
approves at the desk with the PIN the hub's roster carries."""

from __future__ import annotations

import json
import sqlite3

from counterpay.site import Site, SitePlan
from counterpay.site_operators import _hub_user, login_headless
from tests.support.waiting import wait_until

OFFICE = "demo-1"


def say(agent, line: dict) -> dict:
    agent.popen.stdin.write((json.dumps(line) + "\n").encode())
    agent.popen.stdin.flush()
    while True:
        event = json.loads(agent.popen.stdout.readline() or b'{"event": "eof"}')
        assert event["event"] != "eof", "the agent stopped"
        if event["event"] in ("outcome", "undo", "error"):
            return event


def supervisor_heard(site: Site) -> bool:
    try:
        with site.agent_db() as db:
            return db.execute("SELECT 1 FROM desk_operators WHERE username = 'sam' AND role = 'supervisor'"
                              ).fetchone() is not None
    except sqlite3.OperationalError:
        return False


def delivered(site: Site, type_: str, payment_id: str) -> list[dict]:
    return [r for r in site.case_record() if r["type"] == type_ and r["answered"] < 300
            and r["body"]["data"]["payment"]["payment_id"] == payment_id]


def test_a_void_and_a_refund_reach_the_orders_status_and_the_case_system(tmp_path):
    site = Site(tmp_path / "site", SitePlan(office=OFFICE, printer=False, desk_operator="anna"))
    try:
        site.start()
        anna, anna_pin = site.desk_login
        made = _hub_user(site, "create", "--username", "sam", "--role", "supervisor", "--office", OFFICE,
                         "--password-stdin", stdin="a long console password\n")
        assert made.returncode == 0, made.stderr
        assert _hub_user(site, "set-pin", "--username", "sam", "--pin-stdin", stdin="731904\n").returncode == 0
        voided_order = site.api_json("POST", "/api/v1/orders", json={"amount_minor": 4500, "office": OFFICE,
                                                                     "case_ref": "DEMO-2026-0201"})
        refunded_order = site.api_json("POST", "/api/v1/orders", json={"amount_minor": 3000, "office": OFFICE,
                                                                       "case_ref": "DEMO-2026-0202"})
        agent = site.start_agent()
        assert json.loads(agent.popen.stdout.readline())["event"] == "ready"
        assert login_headless(agent, anna, anna_pin)["operator"] == anna
        wait_until(lambda: supervisor_heard(site), 30, "sam on the desk's roster", poll_s=0.2)

        paid = say(agent, {"scan": voided_order["qr_payload"], "tender": "card"})
        assert paid["outcome"] == "approved", paid
        other = say(agent, {"scan": refunded_order["qr_payload"], "tender": "card"})
        assert other["outcome"] == "approved", other
        order_of = lambda order: site.api_json("GET", f"/api/v1/orders/{order['order_id']}")  # noqa: E731
        wait_until(lambda: order_of(voided_order)["status"] == "paid", 30, "the order paid at the hub", poll_s=0.3)

        wrong = say(agent, {"void": paid["receipt_id"], "reason": "paid the wrong order", "supervisor": "sam",
                            "secret": "000000"})
        assert (wrong["outcome"], wrong["reason"]) == ("refused", "approval_refused")
        done = say(agent, {"void": paid["receipt_id"], "reason": "paid the wrong order", "supervisor": "sam",
                           "secret": "731904"})
        assert done["outcome"] == "approved", done
        again = say(agent, {"void": paid["receipt_id"], "reason": "twice", "supervisor": "sam", "secret": "731904"})
        assert (again["outcome"], again["reason"]) == ("refused", "already_voided")
        refund = say(agent, {"refund": other["receipt_id"], "amount_minor": 1000, "reason": "one copy not issued",
                             "supervisor": "sam", "secret": "731904"})
        assert refund["outcome"] == "approved", refund

        wait_until(lambda: order_of(voided_order)["status"] == "unpaid", 30, "the void in the order's status",
                   poll_s=0.3)
        wait_until(lambda: order_of(refunded_order)["status"] == "partly_paid", 30,
                   "the refund in the order's status", poll_s=0.3)
        assert order_of(refunded_order)["paid_minor"] == 2000
        (stored,) = [p for p in site.hub_payments(office=OFFICE) if p["payment_id"] == paid["payment_id"]]
        assert stored["voided_at"] and stored["void_reason"] == "paid the wrong order"
        void = site.api_json("GET", f"/api/v1/payments/{stored['id']}")["void"]
        assert (void["operator"], void["approved_by"], void["receipt_id"]) == (anna, "sam", done["receipt_id"])

        wait_until(lambda: delivered(site, "payment.voided", paid["payment_id"]), 30,
                   "the void confirmed to the case system", poll_s=0.3)
        confirmation = delivered(site, "payment.voided", paid["payment_id"])[0]["body"]["data"]
        assert confirmation["payment"]["void_approved_by"] == "sam"
        assert confirmation["payment"]["void_operator"] == anna
        assert confirmation["payment"]["void_receipt_id"] == done["receipt_id"]
        assert confirmation["order"]["status"] == "unpaid"
        wait_until(lambda: delivered(site, "payment.confirmed", refund["payment_id"]), 30,
                   "the refund confirmed to the case system", poll_s=0.3)
        refund_seen = delivered(site, "payment.confirmed", refund["payment_id"])[0]["body"]["data"]
        assert refund_seen["payment"]["kind"] == "refund" and refund_seen["order"]["status"] == "partly_paid"
        terminal = [r for r in site.terminal_ledger() if r.get("record") == "request" and r.get("charged")]
        assert [r["kind"] for r in terminal] == ["payment", "payment", "reversal", "refund"]
    finally:
        left = site.stop()
    assert left == []


def test_a_day_with_a_void_and_a_refund_closes_matched_at_the_hub(tmp_path):
    from agent.config import load
    from agent.payments import PaymentRequest
    from agent.service import AgentService
    from agent.voids import UndoRequest

    site = Site(tmp_path / "site", SitePlan(office=OFFICE, printer=False))
    service = None
    try:
        site.start()
        made = _hub_user(site, "create", "--username", "sam", "--role", "supervisor", "--office", OFFICE,
                         "--password-stdin", stdin="a long console password\n")
        assert made.returncode == 0, made.stderr
        assert _hub_user(site, "set-pin", "--username", "sam", "--pin-stdin", stdin="731904\n").returncode == 0
        service = AgentService.open(load(site.agent_config))
        wait_until(lambda: supervisor_heard(site), 30, "sam on the desk's roster", poll_s=0.2)
        card = lambda amount: PaymentRequest(amount, "EUR", "card", {"format": "case", "value": "DEMO-EOD-9"},  # noqa: E731
                                             case_ref="DEMO-EOD-9")
        paid = [service.pay(card(1500)), service.pay(card(3000)), service.pay(card(2000))]
        assert [p.outcome for p in paid] == ["approved"] * 3
        assert service.undo(UndoRequest(paid[1].receipt_id, "wrong amount", "sam", "731904")).outcome == "approved"
        refund = service.undo(UndoRequest(paid[0].receipt_id, "one copy", "sam", "731904", kind="refund",
                                          amount_minor=500))
        assert refund.outcome == "approved", refund.message
        closed = service.end_of_day()
        assert (closed.terminal_count, closed.terminal_total_minor, closed.journal_count, closed.journal_total_minor,
                closed.mismatch) == (2, 3000, 2, 3000, False), closed.message
        reports = lambda: site.api_json("GET", "/api/v1/eod?sort=closed_at")["reports"]  # noqa: E731
        wait_until(lambda: reports() and reports()[0]["status"] == "matched", 30, "the batch matched at the hub",
                   poll_s=0.3)
        [report] = reports()
        assert report["hub"] == {"count": 2, "total_minor": 3000} and report["differences"] == []
    finally:
        if service is not None:
            service.close()
        assert site.stop() == []
