"""An admin registers a case-system pattern that backtracks for ever in Python's `re`.

`(a+)+b` against 34 a's takes Python's backtracking matcher minutes; with RE2 the
match is linear in the value, so one agent's case_ref cannot freeze ingest or the API.
Patterns RE2 cannot match in linear time (backreferences, lookaround) are refused at
registration, with a message saying why.
"""

from __future__ import annotations

import time

from hub.casesys import registry
from protocol import webhooks
from tests.hub.api_support import Api
from tests.hub.conftest import directory, hub_context, hub_db  # noqa: F401  (fixtures)


def _case_system(regex: str) -> dict:
    return {"name": "catastrophic", "patterns": [{"on": "case_ref", "regex": regex}],
            "webhook_url": "https://cases.example.org/webhook", "secret": webhooks.new_secret()}


def test_a_catastrophic_pattern_matches_in_linear_time(hub_context):
    api = Api(hub_context)
    response = api.client.post("/api/v1/case-systems", json=_case_system("(a+)+b"),
                               headers=api.auth(api.admin_token))
    assert response.status_code == 201, response.text
    for case_ref, expected in (("a" * 34, None), ("a" * 10_000, None), ("a" * 34 + "b", "catastrophic")):
        started = time.perf_counter()
        with hub_context.db.connect() as conn:
            chosen = registry.choose(conn, {"case_ref": case_ref})
        elapsed = time.perf_counter() - started
        assert (chosen or {}).get("name") == expected
        assert elapsed < 0.1, f"{len(case_ref)} characters took {elapsed:.3f}s"


def test_a_pattern_with_a_backreference_is_refused_at_registration(hub_context):
    api = Api(hub_context)
    response = api.client.post("/api/v1/case-systems", json=_case_system(r"(VR)-\d+-\1"),
                               headers=api.auth(api.admin_token))
    assert response.status_code == 422
    assert "linear time" in response.text and "backreferences" in response.text
    with hub_context.db.connect() as conn:
        assert registry.list_all(conn) == []
