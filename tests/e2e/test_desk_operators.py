"""Named operators at a desk that goes offline: real mosquitto (the hub's TLS configuration),
real `hub serve`, real headless agent, users made with `counterpay hub user`.

Two desk users log in and out and pay while the desk is offline, through an agent
restart; each payment reaches the hub naming its operator.  One of them is disabled at
the hub while the desk is offline: the desk still knows only the old roster and lets
them in, and refuses them once it has reconnected and heard the hub's new roster."""

from __future__ import annotations

import json
import sqlite3

from counterpay.site import Site, SitePlan
from counterpay.site_operators import _hub_user, login_headless
from tests.support.waiting import wait_until

OFFICE = "demo-1"


def say(agent, line: dict) -> dict:
    """One scripted line; the agent's answer to it (a login, logout or payment outcome)."""
    agent.popen.stdin.write((json.dumps(line) + "\n").encode())
    agent.popen.stdin.flush()
    while True:
        event = json.loads(agent.popen.stdout.readline() or b'{"event": "eof"}')
        assert event["event"] != "eof", "the agent stopped"
        if event["event"] in ("outcome", "login", "logout", "status", "error"):
            return event


def status(agent) -> dict:
    agent.popen.stdin.write(b"status\n")
    agent.popen.stdin.flush()
    return say_nothing_more(agent)


def say_nothing_more(agent) -> dict:
    while True:
        event = json.loads(agent.popen.stdout.readline() or b'{"event": "eof"}')
        assert event["event"] != "eof", "the agent stopped"
        if event["event"] == "status":
            return event["status"]


def pay_cash(agent, case: str, amount: int = 1700) -> dict:
    return say(agent, {"amount_minor": amount, "currency": "EUR", "tender": "cash", "case_ref": case})


def listed_at_desk(site: Site, username: str) -> bool | None:
    try:
        with site.agent_db() as db:
            return db.execute("SELECT 1 FROM desk_operators WHERE username = ?", (username,)).fetchone() is not None
    except sqlite3.OperationalError:     # the store not created or migrated yet
        return None


def test_operators_log_in_offline_payments_carry_them_and_one_disabled_is_refused_after_reconnecting(tmp_path):
    site = Site(tmp_path / "site", SitePlan(office=OFFICE, printer=False, desk_operator="anna"))
    try:
        site.start()
        anna, anna_pin = site.desk_login
        made = _hub_user(site, "create", "--username", "bert", "--role", "desk", "--office", OFFICE,
                         "--password-stdin", stdin="a long console password\n")
        assert made.returncode == 0, made.stderr
        assert _hub_user(site, "set-pin", "--username", "bert", "--pin-stdin", stdin="583920\n").returncode == 0
        agent = site.start_agent()
        assert json.loads(agent.popen.stdout.readline())["event"] == "ready"

        refused = pay_cash(agent, "DEMO-2026-0100")
        assert (refused["outcome"], refused["reason"]) == ("refused", "login_required")
        assert login_headless(agent, anna, anna_pin)["operator"] == anna
        wait_until(lambda: listed_at_desk(site, "bert"), 30, "bert on the desk's roster", poll_s=0.2)
        online = pay_cash(agent, "DEMO-2026-0101")
        assert online["outcome"] == "approved", online

        site.stop_broker()                                   # the desk is offline from here on
        day = [online["payment_id"]]
        assert say(agent, {"logout": True})["event"] == "logout"
        assert say(agent, {"login": "bert", "secret": "000000"})["refused"] == "wrong"
        assert say(agent, {"login": "bert", "secret": "583920"})["operator"] == "bert"
        day.append(pay_cash(agent, "DEMO-2026-0102", 2500)["payment_id"])
        agent = site.restart_agent()                         # a restart offline: the roster is on disk
        assert json.loads(agent.popen.stdout.readline())["event"] == "ready"
        assert say(agent, {"login": anna, "secret": anna_pin})["operator"] == anna
        day.append(pay_cash(agent, "DEMO-2026-0103")["payment_id"])

        disabled = _hub_user(site, "disable", "--username", anna)           # at the hub, the desk offline
        assert disabled.returncode == 0, disabled.stderr
        assert say(agent, {"logout": True})["event"] == "logout"
        assert say(agent, {"login": anna, "secret": anna_pin})["operator"] == anna   # the desk has not heard yet
        day.append(pay_cash(agent, "DEMO-2026-0104")["payment_id"])
        assert all(day)

        site.start_broker()
        wait_until(lambda: listed_at_desk(site, anna) is False, 60, "the desk to hear anna was disabled", poll_s=0.5)
        assert status(agent)["operator"] is None             # her session ended when the roster came
        again = say(agent, {"login": anna, "secret": anna_pin})
        assert (again["operator"], again["refused"]) == (None, "wrong")
        assert say(agent, {"login": "bert", "secret": "583920"})["operator"] == "bert"

        wait_until(lambda: {p["payment_id"] for p in site.hub_payments(office=OFFICE)} >= set(day), 60,
                   "the day's payments at the hub", poll_s=0.5)
        operators = {p["payment_id"]: p["operator"] for p in site.hub_payments(office=OFFICE)}
        assert [operators[payment] for payment in day] == [anna, "bert", anna, anna]
    finally:
        left = site.stop()
    assert left == []
