"""Hub users: the service's rules, Argon2 hashes, audit rows under the actor, and the
`counterpay hub user` commands with their exit codes (0 done, 1 refused, 2 usage)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub.cli import hub as hub_cli
from hub.store.tables import audit_log
from hub.store.tables_users import users
from hub.users import service
from hub.users.roles import CONSOLE_ROLES, PERMISSIONS, ROLES, may
from hub.users.service import UserError, UserExists
from hub.users.sessions import SessionPolicy, open_session, resolve
from tests.hub.config_support import write_config

PASSWORD = "correct horse battery staple"


def test_a_user_is_stored_with_an_argon2_hash_and_its_creation_audited(hub_db):
    with hub_db.begin() as conn:
        user = service.create(conn, "Anna", PASSWORD, "operator", ["ROMA-1", "ROMA-2"], "user:admin")
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
        audit = conn.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.subject)).all()
    assert user.username == "anna" and user.offices == ("ROMA-1", "ROMA-2") and not user.scope.allows("MILANO")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert [tuple(row) for row in audit] == [("user:admin", "user.create", "user:anna")]


def test_the_hub_hashes_with_rfc_9106s_parameters_outside_the_tests():
    # The test process hashes cheaply (tests/conftest.py); a hub process as it really runs:
    made = subprocess.run([sys.executable, "-c", "from hub.users.passwords import hash_password as h; "
                           "print(h('correct horse battery staple'))"], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2], check=True)
    assert made.stdout.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), made.stdout


@pytest.mark.parametrize("username, password, role, offices, field", [
    ("anna", "short", "operator", ["A"], "password"),
    ("anna", "anna-is-my-password", "operator", ["A"], "password"),
    ("anna", PASSWORD, "wizard", ["A"], "role"),
    ("anna", PASSWORD, "operator", None, "offices"),
    ("A nna", PASSWORD, "operator", ["A"], "username"),
])
def test_a_user_breaking_a_rule_is_refused_naming_the_field(hub_db, username, password, role, offices, field):
    with hub_db.begin() as conn, pytest.raises(UserError) as refused:
        service.create(conn, username, password, role, offices, "test")
    assert refused.value.field == field


def test_an_admin_without_offices_sees_every_office_and_a_username_is_taken_once(hub_db):
    with hub_db.begin() as conn:
        admin = service.create(conn, "root", PASSWORD, "admin", None, "test")
        assert admin.scope.is_everything and admin.scope.allows("ANY")
        with pytest.raises(UserExists):
            service.create(conn, "ROOT", PASSWORD, "finance", None, "test")


def test_every_role_has_a_permission_list_and_desk_may_not_use_the_console():
    assert set(PERMISSIONS) == set(ROLES)
    assert "desk" not in CONSOLE_ROLES and may("admin", "users.manage") and not may("operator", "users.manage")
    assert may("supervisor", "deliveries.replay") and not may("auditor", "orders.write")
    with pytest.raises(ValueError, match="unknown"):
        may("admin", "orders.eat")


def test_disabling_and_resetting_a_password_end_the_users_sessions(hub_db):
    import datetime as dt
    now = dt.datetime.now(dt.timezone.utc)
    with hub_db.begin() as conn:
        user = service.create(conn, "anna", PASSWORD, "finance", None, "test")
        first = open_session(conn, user, SessionPolicy(), now, user_agent="t", address="127.0.0.1")
        assert resolve(conn, first, SessionPolicy(), now) is not None
        service.reset_password(conn, "anna", "another long password", "user:admin")
        assert resolve(conn, first, SessionPolicy(), now) is None
        second = open_session(conn, user, SessionPolicy(), now, user_agent="t", address="127.0.0.1")
        service.set_disabled(conn, "anna", True, "user:admin")
        assert resolve(conn, second, SessionPolicy(), now) is None
        actions = conn.execute(select(audit_log.c.action).order_by(audit_log.c.seq)).scalars().all()
    assert actions == ["user.create", "user.reset_password", "user.disable"]


def test_a_password_change_needs_the_old_one_and_the_new_one_twice(hub_db):
    with hub_db.begin() as conn:
        user = service.create(conn, "anna", PASSWORD, "finance", None, "test")
        for old, new, again, field in [("wrong wrong wrong", "a new long password", "a new long password",
                                        "old_password"),
                                       (PASSWORD, "a new long password", "a new long passwort", "new_password_again"),
                                       (PASSWORD, "tooshort", "tooshort", "new_password")]:
            with pytest.raises(UserError) as refused:
                service.change_password(conn, user, old, new, again)
            assert refused.value.field == field
        service.change_password(conn, user, PASSWORD, "a new long password", "a new long password")
        actors = conn.execute(select(audit_log.c.actor).where(audit_log.c.action == "user.change_password")).all()
    assert [a for (a,) in actors] == ["user:anna"]


# -- the commands ------------------------------------------------------------------------------

@pytest.fixture
def config(tmp_path):
    return str(write_config(tmp_path / "hub.toml", {"database": {"url": f"sqlite:///{tmp_path / 'hub.db'}"}}))


def _run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(hub_cli, ["user", *args], input=stdin)


def test_user_commands_create_list_disable_enable_and_reset_with_their_exit_codes(config):
    created = _run("create", "--config", config, "--username", "anna", "--role", "operator", "--office", "ROMA-1",
                   "--password-stdin", stdin=PASSWORD + "\n")
    assert created.exit_code == 0, created.output
    again = _run("create", "--config", config, "--username", "anna", "--role", "operator", "--office", "ROMA-1",
                 "--password-stdin", stdin=PASSWORD + "\n")
    assert again.exit_code == 1 and "exists already" in again.output
    listed = json.loads(_run("list", "--config", config, "--json").output)
    assert listed[0]["username"] == "anna" and listed[0]["offices"] == ["ROMA-1"] and listed[0]["disabled_at"] is None
    assert _run("disable", "--config", config, "--username", "anna").exit_code == 0
    assert "disabled" in _run("list", "--config", config).output
    assert _run("enable", "--config", config, "--username", "anna").exit_code == 0
    assert _run("disable", "--config", config, "--username", "nobody").exit_code == 1
    assert _run("reset-password", "--config", config, "--username", "anna", "--password-stdin",
                stdin="another long password\n").exit_code == 0
    short = _run("reset-password", "--config", config, "--username", "anna", "--password-stdin", stdin="short\n")
    assert short.exit_code == 2 and "at least 12" in short.output
    assert _run("create", "--config", config, "--username", "op", "--role", "operator", "--password-stdin",
                stdin=PASSWORD + "\n").exit_code == 2          # an operator must name an office
    assert _run("list", "--config", config + ".missing").exit_code == 2


def test_hub_init_creates_the_first_admin_once_and_prints_how_to_log_in(tmp_path):
    from hub.setup import init_hub
    from hub.store.db import Database
    from hub.users.passwords import verify_password
    lines = init_hub(tmp_path / "hub")
    assert "first admin login (password shown only now, keep it safe): http://127.0.0.1:8080/login" in lines
    assert "  username: admin" in lines
    password = next(line.split(": ", 1)[1] for line in lines if line.startswith("  password: "))
    assert not any("password:" in line for line in init_hub(tmp_path / "hub"))     # shown once
    database = Database.open(f"sqlite:///{tmp_path / 'hub' / 'hub.db'}")
    with database.connect() as conn:
        admin = service.get(conn, "admin")
        assert admin.role == "admin" and admin.scope.is_everything
        assert verify_password(service.password_hash_of(conn, "admin"), password)
    database.dispose()
