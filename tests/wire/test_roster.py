"""The desk.roster schema: bounded Argon2id verifiers only, one entry per user, desk roles
only; its topic per office; any text given as a verifier is taken or refused with a reason."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from hypothesis import given, strategies as st

from protocol.wire import WireError, topics, validate_body
from protocol.wire.roster import MAX_MEMORY_KIB, MAX_TIME_COST, check_verifier

VERIFIER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("492817")


def entry(**changed) -> dict:
    return {"username": "anna", "role": "desk", "verifier": VERIFIER, "changed_at": "2026-12-04T08:00:00Z",
            **changed}


def test_a_roster_of_desk_users_with_argon2id_verifiers_passes():
    roster = validate_body("desk.roster", {"office": "RIGA-1", "operators": [entry(), entry(username="tom",
                                                                                          role="technician")]})
    assert [o.username for o in roster.operators] == ["anna", "tom"]


@pytest.mark.parametrize("operators, problem", [
    ([entry(), entry()], "listed twice"),
    ([entry(role="admin")], "role"),
    ([entry(username="Anna")], "username"),
    ([entry(verifier="492817")], "Argon2id PHC string"),                          # the PIN itself: never
    ([entry(verifier=PasswordHasher().hash("x").replace("argon2id", "argon2i"))], "Argon2id PHC string"),
    ([entry(verifier=VERIFIER.replace("m=8,", f"m={MAX_MEMORY_KIB + 1},"))], "memory cost"),
    ([entry(verifier=VERIFIER.replace("t=1,", f"t={MAX_TIME_COST + 1},"))], "time cost"),
    ([entry(extra=1)], "extra"),
])
def test_a_bad_roster_is_refused_naming_what_is_wrong(operators, problem):
    with pytest.raises(WireError) as refused:
        validate_body("desk.roster", {"office": "RIGA-1", "operators": operators})
    assert problem.lower() in str(refused.value).lower()


@pytest.mark.parametrize("agent_id", ["", "desk/+", "#", "Desk-1"])
def test_the_roster_topic_is_the_agents_own_and_refuses_a_bad_agent_id(agent_id):
    assert topics.desk_roster("desk-riga-1") == "cp/v1/agents/desk-riga-1/roster"
    with pytest.raises(topics.TopicError):
        topics.desk_roster(agent_id)


@given(st.text(max_size=200))
def test_any_text_as_a_verifier_is_taken_only_when_bounded_argon2id(text):
    try:
        taken = check_verifier(text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert taken.startswith("$argon2id$v=19$m=")
