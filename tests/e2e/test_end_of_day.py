"""End of day across the whole site: real mosquitto, hub, ZVT terminal simulator and agent.

The clerk takes card and cash payments and closes the day: the hub has the batch's
payments and shows it matched.  Then the terminal charges a card the agent never saw
(typed on the terminal by the technician's command, as a terminal's own keypad would),
and the next close shows at the hub as a mismatch with both figures.
"""

from __future__ import annotations

import subprocess

from agent.config import load
from agent.payments import PaymentRequest
from agent.service import AgentService
from counterpay.site import Site, SitePlan
from counterpay.site_process import counterpay_command
from tests.support.waiting import wait_until


def _card(amount: int) -> PaymentRequest:
    return PaymentRequest(amount, "EUR", "card", {"format": "case", "value": "DEMO-EOD-1"}, case_ref="DEMO-EOD-1")


def _reports(site: Site) -> list[dict]:
    return site.api_json("GET", "/api/v1/eod?sort=closed_at")["reports"]


def test_a_closed_day_is_matched_at_the_hub_and_a_charge_the_agent_missed_is_a_mismatch(tmp_path):
    site = Site(tmp_path / "site", SitePlan(printer=False))
    service = None
    try:
        site.start()
        service = AgentService.open(load(site.agent_config))
        wait_until(lambda: service.status().online, 30, "the agent online")
        paid = [service.pay(_card(1500)), service.pay(_card(3000)), service.pay(PaymentRequest(700, "EUR", "cash"))]
        assert [p.outcome for p in paid] == ["approved"] * 3
        closed = service.end_of_day()
        assert (closed.terminal_count, closed.terminal_total_minor, closed.mismatch) == (2, 4500, False)
        wait_until(lambda: len(_reports(site)) == 1, 30, "the first batch's report at the hub")
        [first] = _reports(site)
        assert (first["status"], first["batch_no"], first["office"]) == ("matched", 1, site.plan.office)
        assert first["reported"] == {"source": "terminal", "count": 2, "total_minor": 4500}
        assert first["hub"] == {"count": 2, "total_minor": 4500} and first["differences"] == []
        assert first["terminal_id"] is not None

        service.close()                      # the desk lets go of the terminal's line
        service = None
        typed = subprocess.run(counterpay_command("terminal", "pay", "--protocol", "zvt", "--device",
                                                  str(site.terminal_device), "--amount", "5.00",
                                                  "--journal", str(tmp_path / "technician.jsonl")),
                               capture_output=True, text=True, timeout=60)
        assert typed.returncode == 0, typed.stdout + typed.stderr
        service = AgentService.open(load(site.agent_config))
        wait_until(lambda: service.status().online, 30, "the agent online again")
        assert service.pay(_card(1000)).outcome == "approved"
        closed = service.end_of_day()
        assert (closed.terminal_count, closed.terminal_total_minor, closed.mismatch) == (2, 1500, True)
        wait_until(lambda: len(_reports(site)) == 2, 30, "the second batch's report at the hub")
        second = _reports(site)[1]
        assert (second["status"], second["batch_no"], second["agent_mismatch"]) == ("mismatch", 2, True)
        assert second["reported"]["count"] == 2 and second["hub"] == {"count": 1, "total_minor": 1000}
        assert [{k: v for k, v in d.items() if v is not None} for d in second["differences"]] == [
            {"kind": "count", "currency": "EUR", "reported": 2, "hub": 1},
            {"kind": "amount", "currency": "EUR", "reported": 1500, "hub": 1000}]
        assert "counterpay_eod_mismatches 1.0" in site.api("GET", "/metrics").text
    finally:
        if service is not None:
            service.close()
        assert site.stop() == []
