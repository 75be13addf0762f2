"""Finding 16, order of refusals: malformed JSON got 422 before the 401, so a caller
without a token learnt about a route's body.  Over real HTTP: no token (or a wrong one)
is 401 whatever the body, a role the route does not admit is 403, and only a caller who
may use the route is told what is wrong with its body."""

from __future__ import annotations

import pytest

BROKEN = [b"{not json", b"", b"[]", b'{"amount_minor": "x"}']


@pytest.mark.parametrize("body", BROKEN, ids=repr)
def test_a_broken_body_without_a_valid_token_is_401(live_hub, body):
    json_type = {"Content-Type": "application/json"}
    for headers in ({}, {"Authorization": "Bearer cph_wrong"}, {"Authorization": "Basic eDp5"}):
        answer = live_hub.client.post("/api/v1/orders", content=body, headers=json_type | headers)
        assert answer.status_code == 401, (headers, answer.text)
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "errors" not in answer.json()


def test_a_broken_body_is_403_for_a_role_the_route_does_not_admit_and_422_for_one_it_does(live_hub):
    json_type = {"Content-Type": "application/json"}
    auditor = live_hub.auth(live_hub.token("auditor"))
    operator = live_hub.auth(live_hub.token("operator"))
    assert live_hub.client.post("/api/v1/orders", content=b"{not json", headers=json_type | auditor).status_code \
        == 403
    told = live_hub.client.post("/api/v1/orders", content=b"{not json", headers=json_type | operator)
    assert told.status_code == 422 and told.json()["errors"]
    tokens = live_hub.client.post("/api/v1/tokens", content=b"{not json", headers=json_type | operator)
    assert tokens.status_code == 403, "an admin-only route"
    assert live_hub.client.get("/api/v1/payments?limit=x").status_code == 401, "query parameters too"


def test_a_public_route_still_explains_a_broken_body(live_hub):
    answer = live_hub.client.post("/api/v1/enroll", content=b"{not json",
                                  headers={"Content-Type": "application/json"})
    assert answer.status_code == 422
