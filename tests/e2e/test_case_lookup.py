"""A clerk at a connected counter asks what a case owes: agent → hub → case system, with the
agent's own least-privilege API token from enrollment (revoked with the agent)."""

from __future__ import annotations

from agent.config import load
from agent.service import AgentService
from counterpay.site import Site, SitePlan
from counterpay.site_files import DEMO_CASES
from tests.support.waiting import wait_until


def test_clerk_case_lookup_goes_through_the_hub_with_the_agents_own_token(tmp_path):
    site = Site(tmp_path / "site", SitePlan(printer=False))
    service = None
    try:
        site.start()
        token = (site.key_dir / "api_token.txt").read_text().strip()
        assert token, "enrollment gave the agent an API token"
        service = AgentService.open(load(site.agent_config))
        wait_until(lambda: service.status().online, 30, "the agent online")

        ref, amount, _name, payer = DEMO_CASES[0]
        found = service.lookup_case(ref)
        assert found is not None and found.amount_minor == amount and found.payer_name == payer
        assert found.positions and found.positions[0]["unit_minor"] == amount
        assert service.lookup_case("DEMO-NO-SUCH-CASE") is None

        as_agent = {"Authorization": f"Bearer {token}"}
        assert site.api("GET", "/api/v1/payments", headers=as_agent).status_code == 403, \
            "the agent's token may look cases up, nothing else"

        revoked = site.api("POST", f"/api/v1/agents/{site.plan.agent_id}/revoke", json={"reason": "test"})
        assert revoked.status_code == 200, revoked.text
        assert site.api("GET", f"/api/v1/cases/{ref}/lookup", headers=as_agent).status_code == 401
    finally:
        if service is not None:
            service.close()
        assert site.stop() == []
