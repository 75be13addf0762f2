"""Desk PINs at the hub and the per-office roster the desks check logins against: the
verifier is Argon2id of the PIN with a salt of its own (never the password's hash, never
the PIN); an office hears its enabled desk, technician and supervisor users who set a
PIN, retained on each of its enrolled desks' own topics; a change from any process, an
enrolment or a revocation is published within one poll; `hub user set-pin` and
`clear-pin` with their exit codes."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import select

from hub.cli import hub as hub_cli
from hub.store.tables import audit_log
from hub.store.tables_pki import agent_certificates
from hub.store.tables_users import users
from hub.users import desk_secret, service
from hub.users.roster_feed import RosterFeed, roster_entries
from hub.users.service import UnknownUser, UserError
from protocol import wire
from protocol.wire import topics
from protocol.wire.roster import ROSTER_MAX_BYTES
from tests.hub.config_support import write_config

PASSWORD = "correct horse battery staple"


def _user(conn, name: str, role: str, offices, pin: str | None = "492817"):
    service.create(conn, name, PASSWORD, role, offices, "test")
    if pin:
        desk_secret.set_secret(conn, name, pin, "test")


def test_a_desk_pin_is_kept_as_its_own_salted_argon2id_verifier_and_audited(hub_db):
    with hub_db.begin() as conn:
        _user(conn, "anna", "desk", ["RIGA-1"])
        row = conn.execute(select(users.c.password_hash, users.c.desk_verifier, users.c.desk_secret_set_at)).one()
        _user(conn, "bert", "desk", ["RIGA-1"])
        other = conn.execute(select(users.c.desk_verifier).where(users.c.username == "bert")).scalar_one()
        actions = [a for (a,) in conn.execute(select(audit_log.c.action).where(audit_log.c.subject == "user:anna"))]
    assert row.desk_verifier.startswith("$argon2id$") and "492817" not in row.desk_verifier
    assert row.desk_verifier != row.password_hash and row.desk_secret_set_at
    assert PasswordHasher().verify(row.desk_verifier, "492817")
    assert other != row.desk_verifier                        # the same PIN, another salt
    assert actions == ["user.create", "user.set_desk_secret"]


@pytest.mark.parametrize("role, pin, key", [
    ("desk", "12345", "desk_pin_length"),
    ("desk", "1234567890123", "desk_pin_length"),
    ("desk", "777777", "desk_pin_guessable"),
    ("desk", "234567", "desk_pin_guessable"),
    ("desk", "short pass", "password_too_short"),
    ("operator", "492817", "desk_role_required"),          # a back-office clerk does not work at a desk
])
def test_a_pin_breaking_a_rule_is_refused_with_the_reason(hub_db, role, pin, key):
    with hub_db.begin() as conn:
        service.create(conn, "anna", PASSWORD, role, ["RIGA-1"], "test")
        with pytest.raises(UserError) as refused:
            desk_secret.set_secret(conn, "anna", pin, "test")
    assert refused.value.key == key
    with hub_db.begin() as conn, pytest.raises(UnknownUser):
        desk_secret.set_secret(conn, "nobody", "492817", "test")


def test_an_office_hears_its_enabled_desk_users_with_a_pin(hub_db):
    with hub_db.begin() as conn:
        _user(conn, "anna", "desk", ["RIGA-1"])
        _user(conn, "bert", "desk", ["RIGA-1", "TALLINN"])
        _user(conn, "carl", "desk", ["TALLINN"])
        _user(conn, "dora", "desk", ["RIGA-1"], pin=None)           # no PIN yet
        _user(conn, "tom", "technician", None, pin="907153")          # every office
        _user(conn, "sue", "supervisor", None, pin="a desk password of her own")
        service.create(conn, "otto", PASSWORD, "operator", ["RIGA-1"], "test")
        _user(conn, "eve", "desk", ["RIGA-1"])
        service.set_disabled(conn, "eve", True, "test")
        riga = roster_entries(conn, "RIGA-1")
    assert [(e["username"], e["role"]) for e in riga] == [
        ("anna", "desk"), ("bert", "desk"), ("sue", "supervisor"), ("tom", "technician")]
    assert all(e["verifier"].startswith("$argon2id$") for e in riga)


def _enroll(db, agent_id: str, office: str, serial: str, issued_at: str = "2026-01-01T00:00:00Z") -> None:
    with db.begin() as conn:
        conn.execute(agent_certificates.insert().values(
            serial=serial, agent_id=agent_id, office=office,
            issued_at=issued_at, not_after="2099-01-01T00:00:00Z", certificate_pem="-"))


def _revoke(db, agent_id: str) -> None:
    with db.begin() as conn:        # as `hub revoke-agent` does, from another process
        conn.execute(agent_certificates.update().where(agent_certificates.c.agent_id == agent_id)
                     .values(revoked_at="2026-12-04T12:00:00Z", revoked_reason="stolen"))


def _names(context, payload: bytes) -> list[str]:
    envelope = wire.decode(payload, ROSTER_MAX_BYTES)
    assert envelope.type == "desk.roster" and envelope.agent == "hub"
    wire.verify(envelope, context.hub_entries(), owner="hub")
    return [entry["username"] for entry in envelope.body["operators"]]


def test_the_feed_retains_each_agents_office_roster_on_its_own_topic_then_only_what_changed(hub_context):
    published: list[tuple[str, bytes, bool]] = []
    hub_context.publisher = lambda topic, payload, retain: published.append((topic, payload, retain))
    _enroll(hub_context.db, "desk-riga-1", "RIGA-1", "a1")
    _enroll(hub_context.db, "desk-riga-2", "RIGA-1", "a2")
    _enroll(hub_context.db, "desk-tallinn", "TALLINN", "b1")
    _enroll(hub_context.db, "desk-gone", "RIGA-1", "c1")
    _revoke(hub_context.db, "desk-gone")
    _enroll(hub_context.db, "Desk/+", "RIGA-1", "d1")           # no agent id (not from enrollment): skipped
    with hub_context.db.begin() as conn:
        _user(conn, "anna", "desk", ["RIGA-1"])
        _user(conn, "vera", "desk", ["VILNIUS"])                # an office with no desk enrolled
    feed = RosterFeed(hub_context)
    feed.publish(everything=True)
    by_topic = {topic: (payload, retain) for topic, payload, retain in published}
    assert all(retain for _, retain in by_topic.values())
    assert _names(hub_context, by_topic[topics.desk_roster("desk-riga-1")][0]) == ["anna"]
    assert by_topic[topics.desk_roster("desk-riga-2")][0] == by_topic[topics.desk_roster("desk-riga-1")][0]
    assert _names(hub_context, by_topic[topics.desk_roster("desk-tallinn")][0]) == []
    assert by_topic[topics.desk_roster("desk-gone")][0] == b""             # a revoked desk's copy is cleared
    # The broadcast rosters every agent could read are cleared for every office the hub knows, and never sent.
    broadcast = {topic: payload for topic, payload in ((t, p) for t, (p, _) in by_topic.items())
                 if topic.startswith(f"{topics.BROADCAST}/operators/")}
    assert broadcast == {f"{topics.BROADCAST}/operators/{office}": b"" for office in ("RIGA-1", "TALLINN", "VILNIUS")}
    assert not [t for t, p, _ in published if p and not t.startswith(f"{topics.PREFIX}/agents/")]

    published.clear()
    assert feed.publish() == 0                                  # nothing changed: nothing sent
    with hub_context.db.begin() as conn:                        # as `hub user disable` does, from another process
        service.set_disabled(conn, "anna", True, "cli:test")
    assert feed.publish() == 2
    assert sorted((topic, _names(hub_context, payload)) for topic, payload, _ in published) == [
        (topics.desk_roster("desk-riga-1"), []), (topics.desk_roster("desk-riga-2"), [])]

    published.clear()
    _enroll(hub_context.db, "desk-riga-3", "RIGA-1", "a3")        # a desk enrolls
    _revoke(hub_context.db, "desk-riga-2")                        # and another is revoked
    _enroll(hub_context.db, "desk-tallinn", "RIGA-1", "b2", issued_at="2026-06-01T00:00:00Z")   # moved office
    assert feed.publish() == 3
    assert sorted((topic, payload and _names(hub_context, payload)) for topic, payload, _ in published) == [
        (topics.desk_roster("desk-riga-2"), b""), (topics.desk_roster("desk-riga-3"), []),
        (topics.desk_roster("desk-tallinn"), [])]
    riga = wire.decode(published[-1][1], ROSTER_MAX_BYTES)
    assert riga.body["office"] == "RIGA-1"
    published.clear()
    assert feed.publish() == 0                                  # a revoked desk is cleared once


def test_set_pin_and_clear_pin_commands_with_their_exit_codes(tmp_path):
    config = str(write_config(tmp_path / "hub.toml", {"database": {"url": f"sqlite:///{tmp_path / 'hub.db'}"}}))

    def run(*args, stdin=None):
        return CliRunner().invoke(hub_cli, ["user", *args], input=stdin)

    created = run("create", "--config", config, "--username", "anna", "--role", "desk", "--office", "RIGA-1",
                  "--password-stdin", stdin=PASSWORD + "\n")
    assert created.exit_code == 0, created.output
    done = run("set-pin", "--config", config, "--username", "anna", "--pin-stdin", stdin="492817\n")
    assert done.exit_code == 0 and "desk PIN of anna set" in done.output, done.output
    short = run("set-pin", "--config", config, "--username", "anna", "--pin-stdin", stdin="4928\n")
    assert short.exit_code == 2 and "6-12 digits" in short.output
    unknown = run("set-pin", "--config", config, "--username", "nobody", "--pin-stdin", stdin="492817\n")
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output
    assert run("clear-pin", "--config", config, "--username", "anna").exit_code == 0
    again = run("clear-pin", "--config", config, "--username", "anna")
    assert again.exit_code == 0 and "had no desk PIN" in again.output
