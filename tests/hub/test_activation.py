"""Card-payment applications: contracts, what submitting needs, the workflow's steps and refusals,
the history and audit rows, office scope, and the active set the desks are sent (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from hub.activation import applications
from hub.activation.applications import transition
from hub.activation.contracts import add_contract, contracts, valid_contract
from hub.activation.errors import (ActivationError, ApplicationNotFound, ContractExists, PreconditionsMissing,
                                   WrongState)
from hub.store.tables import audit_log
from hub.users.scope import Scope
from protocol.domain import CardApplicationState as State
from tests.hub.activation_support import publish_catalogue, register_contract

RIGA = "RIGA-1"


def _missing(exc) -> list[str]:
    return [key for key, _ in exc.value.missing]


def test_submitting_without_contract_or_catalogue_lists_everything_missing_and_stores_nothing(hub_db):
    with hub_db.begin() as conn, pytest.raises(PreconditionsMissing) as refused:
        transition(conn, "submit", office=RIGA, service="VEH", actor="user:office")
    assert _missing(refused) == ["contract_missing", "step_not_published"]
    assert "no card-payment contract" in str(refused.value) and "VEH" in str(refused.value)
    with hub_db.connect() as conn:
        assert applications.applications(conn, Scope.everything()) == []


def test_an_expired_contract_and_a_cash_only_price_list_are_said_apart(hub_db):
    with hub_db.begin() as conn:
        publish_catalogue(conn)
        register_contract(conn, valid_from="2020-01-01", valid_to="2021-12-31")
    with hub_db.begin() as conn, pytest.raises(PreconditionsMissing) as refused:
        transition(conn, "submit", office=RIGA, service="CASH-ONLY", actor="user:office")
    assert _missing(refused) == ["contract_not_valid", "no_card_price"]
    assert refused.value.body()["missing"][0]["values"]["office"] == RIGA


def test_the_whole_workflow_keeps_who_when_and_why_and_audits_every_step(hub_db):
    with hub_db.begin() as conn:
        publish_catalogue(conn)
        register_contract(conn)
        overview = applications.overview(conn, RIGA)
    assert [(row["service"], row["state"], row["missing"]) for row in overview] == [
        ("CASH-ONLY", State.DRAFT, [{"reason": "no_card_price", "values": {"service": "CASH-ONLY"},
                                     "message": "the published price list CASH-ONLY has no priced position that "
                                                "accepts cards"}]),
        ("VEH", State.DRAFT, [])]
    steps = [("submit", "user:office", None, State.SUBMITTED),
             ("comment", "user:reviewer", "attach the signed contract", State.COMMENTED),
             ("submit", "user:office", "contract attached", State.SUBMITTED),
             ("approve", "user:reviewer", None, State.ACTIVE),
             ("suspend", "user:reviewer", "terminal fees unpaid", State.SUSPENDED),
             ("approve", "user:reviewer", "fees paid", State.ACTIVE)]
    for action, actor, text, state in steps:
        with hub_db.begin() as conn:
            done = transition(conn, action, office=RIGA, service="VEH", actor=actor, text=text)
        assert done["state"] == state
    history = done["history"]
    assert [(e["action"], e["actor"], e["from_state"], e["to_state"], e["text"]) for e in history] == [
        ("submit", "user:office", "draft", "submitted", None),
        ("comment", "user:reviewer", "submitted", "commented", "attach the signed contract"),
        ("submit", "user:office", "commented", "submitted", "contract attached"),
        ("approve", "user:reviewer", "submitted", "active", None),
        ("suspend", "user:reviewer", "active", "suspended", "terminal fees unpaid"),
        ("approve", "user:reviewer", "suspended", "active", "fees paid")]
    assert all(e["at"] for e in history)
    with hub_db.connect() as conn:
        audit = conn.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.subject)
                             .where(audit_log.c.action.like("card_application.%")).order_by(audit_log.c.seq)).all()
    assert [tuple(a) for a in audit] == [(actor, f"card_application.{action}", "card_application:RIGA-1/VEH")
                                         for action, actor, _, _ in steps]


@pytest.mark.parametrize("setup, action, key", [
    ([], "approve", "not_found"),
    ([], "comment", "not_found"),
    (["submit"], "submit", "wrong_state"),
    (["submit"], "suspend", "wrong_state"),
    (["submit", "approve"], "approve", "wrong_state"),
    (["submit", "approve"], "comment", "wrong_state"),
])
def test_a_step_from_the_wrong_state_is_refused_saying_the_state(hub_db, setup, action, key):
    with hub_db.begin() as conn:
        publish_catalogue(conn)
        register_contract(conn)
        for step in setup:
            transition(conn, step, office=RIGA, service="VEH", actor="user:x", text="t")
    with hub_db.begin() as conn, pytest.raises((WrongState, ApplicationNotFound)) as refused:
        transition(conn, action, office=RIGA, service="VEH", actor="user:x", text="why")
    assert refused.value.key == key


@pytest.mark.parametrize("action", ["comment", "suspend"])
def test_a_comment_and_a_suspension_need_a_text(hub_db, action):
    with hub_db.begin() as conn:
        publish_catalogue(conn)
        register_contract(conn)
        transition(conn, "submit", office=RIGA, service="VEH", actor="user:office")
        if action == "suspend":
            transition(conn, "approve", office=RIGA, service="VEH", actor="user:reviewer")
    with hub_db.begin() as conn, pytest.raises(ActivationError) as refused:
        transition(conn, action, office=RIGA, service="VEH", actor="user:reviewer", text="   ")
    assert (refused.value.field, refused.value.key) == ("text", "text_required")


def test_approving_checks_again_what_submitting_needed(hub_db):
    with hub_db.begin() as conn:
        publish_catalogue(conn)
        register_contract(conn, valid_to=(dt.date.today() + dt.timedelta(days=1)).isoformat())
        transition(conn, "submit", office=RIGA, service="VEH", actor="user:office")
    later = dt.date.today() + dt.timedelta(days=5)
    with hub_db.begin() as conn, pytest.raises(PreconditionsMissing) as refused:
        transition(conn, "approve", office=RIGA, service="VEH", actor="user:reviewer", day=later)
    assert _missing(refused) == ["contract_not_valid"]


def test_a_card_number_in_a_comment_is_refused(hub_db):
    with hub_db.begin() as conn:
        publish_catalogue(conn)
        register_contract(conn)
        transition(conn, "submit", office=RIGA, service="VEH", actor="user:office")
    with hub_db.begin() as conn, pytest.raises(ActivationError) as refused:
        transition(conn, "comment", office=RIGA, service="VEH", actor="user:r", text="card 4111 1111 1111 1111")
    assert refused.value.key == "card_number"


def test_an_office_outside_the_scope_is_not_found(hub_db):
    with hub_db.begin() as conn:
        publish_catalogue(conn)
        register_contract(conn)
        with pytest.raises(ApplicationNotFound):
            transition(conn, "submit", office=RIGA, service="VEH", actor="user:x", scope=Scope.of(["ROMA-1"]))
        transition(conn, "submit", office=RIGA, service="VEH", actor="user:x")
        assert applications.applications(conn, Scope.of(["ROMA-1"])) == []
        with pytest.raises(ApplicationNotFound):
            applications.get(conn, Scope.of(["ROMA-1"]), RIGA, "VEH")


@pytest.mark.parametrize("field, changes, key", [
    ("office", {"office": "x" * 65}, "office_format"),
    ("valid_from", {"valid_from": "1/1/2026"}, "day_format"),
    ("valid_from", {"valid_from": ""}, "day_required"),
    ("valid_to", {"valid_to": "2019-12-31"}, "valid_to_before_from"),
    ("acquirer", {"acquirer": " "}, "text_required"),
    ("contract_no", {"contract_no": "x" * 65}, "text_too_long"),
])
def test_a_contract_with_a_bad_field_is_refused_naming_it(hub_db, field, changes, key):
    values = dict(office=RIGA, acquirer="Swedbank", contract_no="K-1", valid_from="2020-01-01", valid_to=None) | changes
    with hub_db.begin() as conn, pytest.raises(ActivationError) as refused:
        add_contract(conn, **values, actor="user:x")
    assert (refused.value.field, refused.value.key) == (field, key)


def test_a_contract_is_registered_once_and_the_longest_valid_one_counts(hub_db):
    with hub_db.begin() as conn:
        register_contract(conn, valid_to="2030-12-31")
        register_contract(conn, number="K-2")
        with pytest.raises(ContractExists):
            register_contract(conn, number="K-2")
        assert valid_contract(conn, RIGA, dt.date(2026, 1, 1))["contract_no"] == "K-2"
        assert valid_contract(conn, RIGA, dt.date(2019, 1, 1)) is None
        assert [c["contract_no"] for c in contracts(conn, Scope.of([RIGA]))] == ["K-2", "K-1"]
        assert contracts(conn, Scope.of(["ROMA-1"])) == []


def test_the_active_set_lists_active_steps_with_the_contracts_last_day_and_none_without_a_contract(hub_db):
    with hub_db.begin() as conn:
        publish_catalogue(conn)
        register_contract(conn, valid_to="2099-12-31")
        transition(conn, "submit", office=RIGA, service="VEH", actor="user:office")
        assert applications.active_steps(conn, RIGA) == []
        transition(conn, "approve", office=RIGA, service="VEH", actor="user:reviewer")
        active = applications.active_steps(conn, RIGA)
        assert [(a["service"], a["contract_valid_to"]) for a in active] == [("VEH", "2099-12-31")]
        assert applications.active_steps(conn, RIGA, dt.date(2100, 1, 1)) == []
        assert applications.active_steps(conn, "ROMA-1") == []


def test_a_contract_that_follows_without_a_gap_carries_the_desks_on_and_one_after_a_gap_does_not(hub_db):
    with hub_db.begin() as conn:
        publish_catalogue(conn)
        register_contract(conn, valid_from="2020-01-01", valid_to="2099-06-30", number="K-1")
        transition(conn, "submit", office=RIGA, service="VEH", actor="user:office")
        transition(conn, "approve", office=RIGA, service="VEH", actor="user:reviewer")
        register_contract(conn, valid_from="2099-07-01", valid_to="2100-12-31", number="K-2")
        register_contract(conn, valid_from="2101-02-01", number="K-3")           # a month's gap before it
        assert [a["contract_valid_to"] for a in applications.active_steps(conn, RIGA)] == ["2100-12-31"]
        register_contract(conn, valid_from="2100-06-01", valid_to="2101-01-31", number="K-4")   # closes the gap
        assert [a["contract_valid_to"] for a in applications.active_steps(conn, RIGA)] == [None]


def test_the_feed_signs_each_offices_set_and_tells_every_office_with_a_contract_or_application(hub_db):
    from hub.activation import feed
    from protocol.keys import KeyDirectory, SigningKey
    from protocol.wire import decode, verify
    key = SigningKey.generate()
    keys = KeyDirectory()
    keys.add(key.public_entry("hub", ["event"]))
    with hub_db.begin() as conn:
        publish_catalogue(conn)
        register_contract(conn)
        register_contract(conn, office="ROMA-1")
        transition(conn, "submit", office=RIGA, service="VEH", actor="user:office")
        transition(conn, "approve", office=RIGA, service="VEH", actor="user:reviewer")
        assert feed.offices_told(conn) == ["RIGA-1", "ROMA-1"]
        envelope = decode(feed.office_payload(conn, RIGA, key))
    verify(envelope, keys, owner="hub")
    assert (envelope.type, envelope.agent, envelope.body["office"]) == ("card.activation", "hub", RIGA)
    assert [a["service"] for a in envelope.body["active"]] == ["VEH"]
