"""counterpay.site's fault controls work on the real processes (what the chaos suite builds on):
broker stopped while the agent pays, hub killed with SIGKILL and started again, case system
answering 500, agent killed with SIGKILL and restarted: every payment arrives once."""

from __future__ import annotations

import json
import signal

import pytest

from counterpay.site import Site, SitePlan
from counterpay.site_process import pid_alive, running_in
from tests.support.waiting import wait_until


def pay_cash(agent, count: int, start: int) -> list[str]:
    ids = []
    for i in range(start, start + count):
        line = {"amount_minor": 700 + i, "currency": "EUR", "tender": "cash", "cash_given_minor": 700 + i,
                "reference": {"format": "case", "value": f"DEMO-2026-9{i:03d}"}, "case_ref": f"DEMO-2026-9{i:03d}"}
        agent.popen.stdin.write((json.dumps(line) + "\n").encode())
    agent.popen.stdin.flush()
    while len(ids) < count:
        event = json.loads(agent.popen.stdout.readline() or b'{"event": "eof"}')
        assert event["event"] != "eof", "the agent stopped"
        if event["event"] == "outcome":
            assert event["outcome"] == "approved", event
            ids.append(event["payment_id"])
    return ids



@pytest.mark.slow        # ~30 s; the chaos suite's short run exercises these controls in the default run
def test_site_parts_fail_and_come_back_without_loss_or_doubles(tmp_path):
    site = Site(tmp_path / "site", SitePlan(printer=False))
    try:
        site.start()
        agent = site.start_agent()
        paid = pay_cash(agent, 3, 0)

        site.stop_broker()                      # the agent keeps taking payments offline
        paid += pay_cash(agent, 3, 3)
        with site.agent_db() as db:       # waiting for the hub's ack, nothing lost
            pending = db.execute("SELECT payment_id FROM outbox WHERE state = 'pending'").fetchall()
        assert {row[0] for row in pending} == set(paid[3:])
        hub_pid = site.children["hub"].pid
        site.kill_hub()                         # SIGKILL: no clean shutdown
        assert not pid_alive(hub_pid)
        site.case_fault("fail", status=500, count=2)
        site.start_broker()
        site.start_hub()

        def arrived() -> bool:
            stored = [p["payment_id"] for p in site.hub_payments()]
            accepted = [r for r in site.case_record() if r["verified"] and r["answered"] < 300]
            return sorted(stored) == sorted(paid) and len(accepted) == len(paid)
        wait_until(arrived, 90, "all six payments at the hub and the case system", poll_s=0.3)
        assert any(r["answered"] == 500 for r in site.case_record())   # the fault really happened

        site.kill_agent(signal.SIGKILL)
        agent = site.start_agent()
        paid += pay_cash(agent, 1, 6)
        wait_until(lambda: len(site.hub_payments()) == 7, 60, "the payment after the agent's restart", poll_s=0.3)
        stored = [p["payment_id"] for p in site.hub_payments()]
        assert sorted(stored) == sorted(paid)
        wait_until(lambda: len([r for r in site.case_record() if r["answered"] < 300]) == 7, 30, "7 confirmations",
                   poll_s=0.3)
        accepted = [r for r in site.case_record() if r["verified"] and r["answered"] < 300]
        assert sorted(r["body"]["data"]["payment"]["payment_id"] for r in accepted) == sorted(paid)
        assert not any(r["duplicate"] for r in accepted)
    finally:
        left = site.stop()
    assert left == [] and running_in(site.workdir) == []
