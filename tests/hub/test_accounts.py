"""The offices' bank accounts: IBANs checked by stdnum (an NRB taken as a PL IBAN), one office per
IBAN, closing keeps the row, office scope, the audit rows, and `counterpay hub account` with its
exit codes (0 done, 1 refused, 2 usage)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub.cli import hub as hub_cli
from hub.finance.accounts import (AccountClosed, AccountError, AccountExists, UnknownAccount, account_by_iban,
                                  accounts_of_office, accounts_page, add_account, close_account)
from hub.store.tables import audit_log
from hub.users.scope import Scope
from protocol.ids.iban import generate
from tests.hub.config_support import write_config

ROMA = "IT60X0542811101000000123456"
WARSAW_NRB = "61 1090 1014 0000 0712 1981 2874"
WARSAW = "PL61109010140000071219812874"


def test_an_account_is_stored_compact_and_found_by_its_iban_in_any_spacing_and_case(hub_db):
    with hub_db.begin() as conn:
        made = add_account(conn, office="ROMA-1", iban="it60 x054 2811 1010 0000 0123 456", holder="  Comune   di Roma ",
                           bank="Banca", purpose="fees", active_from="2026-01-01", actor="user:fin")
        found = account_by_iban(conn, "IT60X0542811101000000123456")
        audit = conn.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.subject)).all()
    assert made == found and made.iban == ROMA and made.holder == "Comune di Roma" and made.active_to is None
    assert made.formatted_iban == "IT60 X054 2811 1010 0000 0123 456"
    assert [tuple(row) for row in audit] == [("user:fin", "account.add", f"account:{ROMA}")]


def test_a_polish_nrb_is_taken_as_the_pl_iban(hub_db):
    with hub_db.begin() as conn:
        made = add_account(conn, office="WAW-1", iban=WARSAW_NRB, actor="test")
        assert made.iban == WARSAW and account_by_iban(conn, WARSAW_NRB) == made


@pytest.mark.parametrize("typed, key", [
    ("", "iban_required"),
    ("not an iban", "iban_format"),
    ("XX60X0542811101000000123456", "iban_country"),
    ("IT60X054281110100000012345", "iban_length"),
    ("IT61X0542811101000000123456", "iban_checksum"),
    ("61 1090 1014 0000 0712 1981 2875", "iban_checksum"),
])
def test_an_iban_that_fails_a_check_is_refused_saying_which(hub_db, typed, key):
    with hub_db.begin() as conn, pytest.raises(AccountError) as refused:
        add_account(conn, office="ROMA-1", iban=typed, actor="test")
    assert (refused.value.field, refused.value.key) == ("iban", key)


@pytest.mark.parametrize("changes, field", [
    ({"office": "ROMA 1"}, "office"), ({"active_from": "1/1/2026"}, "active_from"),
    ({"holder": "x" * 201}, "holder"), ({"purpose": "card 4111 1111 1111 1111"}, "purpose"),
])
def test_a_bad_field_is_refused_naming_it(hub_db, changes, field):
    with hub_db.begin() as conn, pytest.raises(AccountError) as refused:
        add_account(conn, **({"office": "ROMA-1", "iban": ROMA, "actor": "test"} | changes))
    assert refused.value.field == field


def test_an_iban_belongs_to_one_office_and_adding_it_again_says_which_office_has_it(hub_db):
    with hub_db.begin() as conn:
        add_account(conn, office="ROMA-1", iban=ROMA, actor="test")
    with hub_db.begin() as conn, pytest.raises(AccountExists, match="office ROMA-1 already"):
        add_account(conn, office="MILANO-2", iban=ROMA.lower(), actor="test")
    with hub_db.connect() as conn:
        assert accounts_of_office(conn, "MILANO-2") == []


def test_closing_sets_the_last_day_and_keeps_the_account(hub_db):
    with hub_db.begin() as conn:
        add_account(conn, office="ROMA-1", iban=ROMA, active_from="2026-01-01", actor="test")
        closed = close_account(conn, iban=ROMA, active_to="2026-06-30", actor="user:fin")
    assert closed.active_to == "2026-06-30"
    assert closed.active_on(dt.date(2026, 6, 30)) and not closed.active_on(dt.date(2026, 7, 1))
    assert not closed.active_on(dt.date(2025, 12, 31))
    with hub_db.begin() as conn:
        assert accounts_of_office(conn, "ROMA-1") == [closed]
        with pytest.raises(AccountClosed, match="closed already, on 2026-06-30"):
            close_account(conn, iban=ROMA, actor="test")
        with pytest.raises(AccountExists, match="closed on 2026-06-30"):
            add_account(conn, office="ROMA-1", iban=ROMA, actor="test")
        actions = conn.execute(select(audit_log.c.action).order_by(audit_log.c.seq)).scalars().all()
    assert actions == ["account.add", "account.close"]


def test_closing_defaults_to_today_and_may_not_end_before_it_began(hub_db):
    with hub_db.begin() as conn:
        add_account(conn, office="ROMA-1", iban=ROMA, active_from="2026-03-01", actor="test")
        with pytest.raises(AccountError) as refused:
            close_account(conn, iban=ROMA, active_to="2026-02-28", actor="test")
        assert refused.value.field == "active_to"
        add_account(conn, office="WAW-1", iban=WARSAW, actor="test")
        assert close_account(conn, iban=WARSAW, actor="test").active_to == dt.date.today().isoformat()


def test_a_scope_sees_and_closes_only_its_offices_accounts(hub_db):
    with hub_db.begin() as conn:
        add_account(conn, office="ROMA-1", iban=ROMA, actor="test")
        add_account(conn, office="WAW-1", iban=WARSAW, actor="test")
    with hub_db.begin() as conn:
        mine = accounts_page(conn, Scope.of(["ROMA-1"]))
        assert [a.iban for a in mine.rows] == [ROMA]
        assert [a.iban for a in accounts_page(conn, Scope.everything()).rows] == [ROMA, WARSAW]
        with pytest.raises(UnknownAccount):
            close_account(conn, iban=WARSAW, actor="test", scope=Scope.of(["ROMA-1"]))
        assert account_by_iban(conn, WARSAW).active_to is None


def test_the_accounts_page_by_page_neither_skips_nor_repeats(hub_db):
    ibans = [generate("DE", f"37040044{n:010d}") for n in range(7)]
    with hub_db.begin() as conn:
        for iban in ibans:
            add_account(conn, office="BERLIN", iban=iban, actor="test")
        seen, cursor = [], None
        while True:
            page = accounts_page(conn, Scope.everything(), office="BERLIN", sort="iban", cursor=cursor, limit=3)
            seen += [a.iban for a in page.rows]
            if not page.next_cursor:
                break
            cursor = page.next_cursor
    assert seen == sorted(ibans)


@pytest.fixture
def config(tmp_path):
    return str(write_config(tmp_path / "hub.toml", {"database": {"url": f"sqlite:///{tmp_path / 'hub.db'}"}}))


def _run(*args: str):
    return CliRunner().invoke(hub_cli, ["account", *args])


def test_account_commands_add_list_and_close_with_their_exit_codes(config):
    added = _run("add", "--config", config, "--office", "ROMA-1", "--iban", "IT60 X054 2811 1010 0000 0123 456",
                 "--holder", "Comune di Roma", "--bank", "Banca", "--purpose", "fees", "--from", "2026-01-01")
    assert added.exit_code == 0, added.output
    assert "IT60 X054 2811 1010 0000 0123 456" in added.output
    assert _run("add", "--config", config, "--office", "WAW-1", "--iban", WARSAW_NRB).exit_code == 0
    again = _run("add", "--config", config, "--office", "MILANO", "--iban", ROMA)
    assert again.exit_code == 1 and "office ROMA-1 already" in again.output
    bad = _run("add", "--config", config, "--office", "ROMA-1", "--iban", "IT61X0542811101000000123456")
    assert bad.exit_code == 2 and "check digits" in bad.output

    listed = json.loads(_run("list", "--config", config, "--office", "ROMA-1", "--json").output)
    assert [(a["iban"], a["holder"], a["bank"], a["purpose"], a["active_from"], a["active_to"]) for a in listed] == [
        (ROMA, "Comune di Roma", "Banca", "fees", "2026-01-01", None)]

    assert _run("close", "--config", config, "--office", "ROMA-1", "--iban", WARSAW).exit_code == 1
    closed = _run("close", "--config", config, "--iban", ROMA.lower(), "--to", "2026-12-31")
    assert closed.exit_code == 0 and "2026-12-31" in closed.output
    assert _run("close", "--config", config, "--iban", ROMA).exit_code == 1
    table = _run("list", "--config", config).output
    assert "2026-01-01 to 2026-12-31" in table and "PL61 1090" in table
    assert _run("close", "--config", config, "--iban", "DE89370400440532013000").exit_code == 1
    assert _run("list", "--config", config + ".missing").exit_code == 2
