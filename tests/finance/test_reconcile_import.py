"""Importing parsed files: whose they are, refused whole when they are nobody's, and idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub.finance.records import ImportRefused, Statement
from hub.finance.reconcile.imports import ImportUsage, import_parsed
from hub.store.tables_reconcile import finance_imports, flows, statement_lines
from tests.finance.reconcile_support import IBAN, OFFICE, Account, flow, flow_payment, line, reading, statement

FLOW_ID = "2026-11-20SELBIT2B-S000000009"


def _accounts(conn, iban):
    return Account() if iban == IBAN else None


def _import(conn, parsed, data, **kw):
    return import_parsed(conn, parsed, data, actor="test", account_of=_accounts,
                         remittance=lambda ln: reading(ln.description), **kw)


def _count(conn, table):
    return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_the_same_file_twice_adds_nothing_and_says_which_import_took_it(hub_db):
    stmt = statement(line(1, 1600, f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW_ID}"), line(2, 1600, "A"), line(3, 1600, "A"))
    with hub_db.begin() as conn:
        first = _import(conn, stmt, b"file one")
        again = _import(conn, stmt, b"file one")
        resent = _import(conn, stmt, b"file one, sent again with another creation time")
        assert (first.stored.added, first.office, first.account_iban) == (3, OFFICE, IBAN)
        assert again.stored.repeated and again.stored.first_import == first.stored.import_id and again.run is None
        assert (resent.stored.repeated, resent.stored.added) == (False, 0)
        assert _count(conn, statement_lines) == 3 and _count(conn, finance_imports) == 2


def test_a_statement_is_for_a_known_account_named_or_in_the_file(hub_db):
    stmt = statement(line(1, 1600, "A"))
    with hub_db.begin() as conn:
        with pytest.raises(ImportUsage, match="no bank account has IBAN IT00"):
            _import(conn, stmt, b"x", account_iban="IT00")
        stranger = Statement("camt.053", "S", "DE89370400440532013000", "EUR", stmt.lines)
        with pytest.raises(ImportRefused) as refused:
            _import(conn, stranger, b"y")
        assert refused.value.where == "account" and "DE89370400440532013000" in refused.value.reason
        with pytest.raises(ImportRefused, match="not for"):
            _import(conn, stranger, b"z", account_iban=IBAN)
        nameless = Statement("csv", None, None, "EUR", stmt.lines)
        with pytest.raises(ImportUsage, match="--account"):
            _import(conn, nameless, b"w")
        assert _import(conn, nameless, b"w", account_iban=IBAN).stored.added == 1


def test_a_flow_is_for_an_office_and_for_this_hubs_creditor(hub_db):
    the_flow = flow(FLOW_ID, flow_payment(1, "0100", 1600))
    with hub_db.begin() as conn:
        with pytest.raises(ImportUsage, match="--office"):
            _import(conn, the_flow, b"f")
        with pytest.raises(ImportRefused) as refused:
            _import(conn, the_flow, b"f", office=OFFICE, creditor_fiscal_code="80016350821")
        assert refused.value.where == "istitutoRicevente"
        assert _import(conn, the_flow, b"f", account_iban=IBAN, creditor_fiscal_code="00311260095").office == OFFICE
        assert _import(conn, the_flow, b"f, again", office=OFFICE).stored.added == 0
        assert _count(conn, flows) == 1
