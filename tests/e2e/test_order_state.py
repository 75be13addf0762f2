"""An order cancelled in the hub is refused at the counter with its reason, once the desk has
heard, and still after the desk restarts with no broker: real mosquitto (the hub's TLS
configuration), real `hub serve`, real headless agent, the order's signed QR scanned."""

from __future__ import annotations

import json
import sqlite3

from counterpay.site import Site, SitePlan
from tests.support.waiting import wait_until

OFFICE = "demo-1"


def scan(agent, payload: str) -> dict:
    """One scripted scan (paid in cash if the desk takes it); the agent's outcome line."""
    agent.popen.stdin.write((json.dumps({"scan": payload, "tender": "cash"}) + "\n").encode())
    agent.popen.stdin.flush()
    while True:
        event = json.loads(agent.popen.stdout.readline() or b'{"event": "eof"}')
        assert event["event"] != "eof", "the agent stopped"
        if event["event"] == "outcome":
            return event


def heard(site: Site, order_id: str) -> bool:
    try:
        with site.agent_db() as db:
            return db.execute("SELECT 1 FROM order_states WHERE order_id = ? AND state = 'cancelled'",
                              (order_id,)).fetchone() is not None
    except sqlite3.OperationalError:     # the store not created or migrated yet
        return False


def test_a_cancelled_orders_qr_is_refused_with_its_reason_once_heard_and_offline_after_a_restart(tmp_path):
    site = Site(tmp_path / "site", SitePlan(office=OFFICE, printer=False))
    try:
        site.start()
        cancelled = site.api_json("POST", "/api/v1/orders", json={"amount_minor": 4500, "office": OFFICE,
                                                                  "case_ref": "DEMO-2026-0077"})
        kept = site.api_json("POST", "/api/v1/orders", json={"amount_minor": 1200, "office": OFFICE,
                                                             "case_ref": "DEMO-2026-0078"})
        agent = site.start_agent()
        assert json.loads(agent.popen.stdout.readline())["event"] == "ready"

        site.api_json("POST", f"/api/v1/orders/{cancelled['order_id']}/cancel", json={"reason": "issued twice"})
        wait_until(lambda: heard(site, cancelled["order_id"]), 30, "the desk to hear of the cancellation",
                   poll_s=0.2)
        refused = scan(agent, cancelled["qr_payload"])
        assert (refused["outcome"], refused["reason"]) == ("refused", "order_cancelled"), refused
        assert "issued twice" in refused["message"] and refused["details"]["order"] == cancelled["order_id"]
        assert scan(agent, kept["qr_payload"])["outcome"] == "approved"      # an order not cancelled is paid

        site.stop_broker()
        agent = site.restart_agent()                                         # offline from its start
        assert json.loads(agent.popen.stdout.readline())["event"] == "ready"
        again = scan(agent, cancelled["qr_payload"])
        assert (again["outcome"], again["reason"]) == ("refused", "order_cancelled") and \
            "issued twice" in again["message"]
    finally:
        left = site.stop()
    assert left == []
