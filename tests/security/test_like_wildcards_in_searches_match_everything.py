"""Finding 16, LIKE wildcards: a payer search for `%` or `_` matched every payer.  Over
real HTTP: they match only payers whose names hold that very character."""

from __future__ import annotations

from tests.hub.agents import FakeAgent


def test_percent_and_underscore_in_a_payer_search_are_literal(live_hub):
    operator = live_hub.auth(live_hub.token("operator"))
    agent = FakeAgent("desk-1")
    live_hub.store(agent.payment(100, case_ref="C-1", payer={"name": "Anna Bērziņa"}),
                   agent.payment(200, case_ref="C-2", payer={"name": "Jānis Ozols"}),
                   agent.payment(300, case_ref="C-3", payer={"name": "100% Sure_Ltd"}))
    for name in ("Anna Bērziņa", "Jānis Ozols", "100% Sure_Ltd"):
        made = live_hub.client.post("/api/v1/orders", json={"amount_minor": 100, "payer": {"name": name}},
                                    headers=operator)
        assert made.status_code == 201

    def payers(path: str, payer: str) -> list[str]:
        answer = live_hub.client.get(path, params={"payer": payer}, headers=operator).json()
        rows = answer["payments"] if isinstance(answer, dict) else answer
        return sorted(row["payer_name"] for row in rows)

    for path in ("/api/v1/payments", "/api/v1/orders"):
        assert payers(path, "%") == ["100% Sure_Ltd"]
        assert payers(path, "_") == ["100% Sure_Ltd"]
        assert payers(path, "a_n") == []
        assert payers(path, "%_%") == []
        assert payers(path, "ozols") == ["Jānis Ozols"], "a plain search still matches in any case"
