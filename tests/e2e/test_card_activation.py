"""Card payments switched on per service step, end to end: real mosquitto (the hub's TLS
configuration), real `hub serve`, a real headless agent with the ZVT terminal simulator, and
the workflow driven by `counterpay hub contract|activation` as an office and a reviewer would.
The card is refused before the step is active, taken once it is, taken offline by a desk that
heard it, and refused with the reason after a suspension made while the desk was offline."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from counterpay.site import Site, SitePlan
from tests.support.waiting import wait_until

OFFICE = "demo-1"
STEP = "DEMO"                   # the demo catalogue's one price list (counterpay/site_files.py)


def scan(agent, payload: str, tender: str) -> dict:
    agent.popen.stdin.write((json.dumps({"scan": payload, "tender": tender}) + "\n").encode())
    agent.popen.stdin.flush()
    while True:
        event = json.loads(agent.popen.stdout.readline() or b'{"event": "eof"}')
        assert event["event"] != "eof", "the agent stopped"
        if event["event"] == "outcome":
            return event


def hub_cli(site: Site, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "counterpay", "hub", *args, "--config", str(site.hub_config)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def active_at_desk(site: Site) -> list[str] | None:
    """The steps the desk holds as active, None while it has heard nothing."""
    try:
        with site.agent_db() as db:
            heard = db.execute("SELECT value FROM settings WHERE key = 'card_activation_heard_at'").fetchone()
            rows = db.execute("SELECT service FROM card_activations ORDER BY service").fetchall()
    except sqlite3.OperationalError:     # the store not created or migrated yet
        return None
    return [r[0] for r in rows] if heard else None


def test_the_card_follows_the_activation_workflow_with_the_desk_offline_in_between(tmp_path):
    site = Site(tmp_path / "site", SitePlan(office=OFFICE, printer=False, activate_cards=False))
    try:
        site.start()
        order = site.api_json("POST", "/api/v1/orders", json={"amount_minor": 4500, "office": OFFICE,
                                                              "case_ref": "DEMO-2026-0001", "positions": ["0001"]})
        agent = site.start_agent()
        assert json.loads(agent.popen.stdout.readline())["event"] == "ready"
        wait_until(lambda: active_at_desk(site) == [], 30, "the desk to hear its office's (empty) set", poll_s=0.2)

        before = scan(agent, order["qr_payload"], "card")
        assert (before["outcome"], before["reason"], before["details"]) == \
            ("refused", "card_not_active", {"service": STEP}), before
        refused = subprocess.run([sys.executable, "-m", "counterpay", "hub", "activation", "submit", "--config",
                                  str(site.hub_config), "--office", OFFICE, "--service", STEP],
                                 capture_output=True, text=True, timeout=120)
        assert refused.returncode == 1 and "no card-payment contract registered" in refused.stderr

        hub_cli(site, "contract", "add", "--office", OFFICE, "--acquirer", "Demo acquirer", "--number", "K-1",
                "--from", "2020-01-01")
        hub_cli(site, "activation", "submit", "--office", OFFICE, "--service", STEP)
        assert active_at_desk(site) == []                   # submitted is not active
        approved = hub_cli(site, "activation", "approve", "--office", OFFICE, "--service", STEP)
        assert f"service step {STEP} of office {OFFICE}: active" in approved.stdout
        assert f"desks of office {OFFICE} told" in approved.stdout
        wait_until(lambda: active_at_desk(site) == [STEP], 30, "the desk to hear the approval", poll_s=0.2)
        assert scan(agent, order["qr_payload"], "card")["outcome"] == "approved"

        site.stop_broker()                                  # the desk is offline from here on
        agent = site.restart_agent()
        assert json.loads(agent.popen.stdout.readline())["event"] == "ready"
        offline = scan(agent, order["qr_payload"], "card")  # what it heard is in its store
        assert offline["outcome"] == "approved", offline

        suspended = hub_cli(site, "activation", "suspend", "--office", OFFICE, "--service", STEP,
                            "--text", "acquirer contract under review")
        assert "NOT told yet" in suspended.stderr           # no broker: the hub tells them when it is back
        listed = hub_cli(site, "activation", "list", "--office", OFFICE, "--service", STEP)
        assert "suspended" in listed.stdout and "acquirer contract under review" in listed.stdout

        site.start_broker()                                 # the hub reconnects and publishes the set again
        wait_until(lambda: active_at_desk(site) == [], 90, "the desk to hear the suspension", poll_s=0.5)
        after = scan(agent, order["qr_payload"], "card")
        assert (after["outcome"], after["reason"]) == ("refused", "card_not_active"), after
        assert scan(agent, order["qr_payload"], "cash")["outcome"] == "approved"
    finally:
        left = site.stop()
    assert left == []
    charged = [r for r in site.terminal_ledger() if r.get("kind") == "payment" and r.get("charged")]
    assert len(charged) == 2                                # online once, offline once; never after the suspension
