"""Exports over real HTTP (`hub serve`) and through `counterpay hub export`: content negotiation, office
scope, who may export, refusals by name, and the audit row each export leaves."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select

from hub.api.security import create_token
from hub.cli import hub as hub_command
from hub.store.tables import audit_log
from tests.finance.exports_support import OTHER_OFFICE, seed
from tests.hub.conftest import hub  # noqa: F401  (fixture)

PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def books(hub):  # noqa: F811
    with hub.db.begin() as conn:
        seed(conn)
    return hub


def _token(console, role, offices=None):
    with console.db.begin() as conn:
        return {"Authorization": f"Bearer {create_token(conn, 'books', role, 'test', offices=offices)[0]}"}


def _get(console, kind, headers, **params):
    client = console.client()
    return client.get(f"/api/v1/exports/{kind}", params=PERIOD | params, headers=headers)


def test_accept_chooses_csv_json_or_xlsx_and_format_wins(books):
    auth = _token(books, "auditor")
    as_csv = _get(books, "payments", auth | {"Accept": "text/csv"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert 'filename="payments-2026-11-01-2026-11-30.csv"' in as_csv.headers["content-disposition"]
    assert next(csv.reader(io.StringIO(as_csv.text)))[:3] == ["payment_row", "payment_id", "line"]
    as_json = _get(books, "entries", auth | {"Accept": "application/json"})
    assert as_json.headers["content-type"] == "application/json" and len(as_json.json()) == 2
    as_xlsx = _get(books, "flows", auth | {"Accept": f"text/html;q=0.9, {XLSX}"})
    assert as_xlsx.headers["content-type"] == XLSX
    assert len(list(load_workbook(io.BytesIO(as_xlsx.content), read_only=True)["flows"].iter_rows())) == 3
    assert _get(books, "flows", auth | {"Accept": "application/json"}, format="csv").text.startswith("flow_row,")
    assert _get(books, "flows", auth | {"Accept": "image/png"}).status_code == 406


def test_a_token_of_one_office_exports_that_office_only_and_is_refused_another(books):
    auth = _token(books, "auditor", offices=[OTHER_OFFICE])
    rows = list(csv.DictReader(io.StringIO(_get(books, "payments", auth).text)))
    assert rows and {r["office"] for r in rows} == {OTHER_OFFICE}
    refused = _get(books, "payments", auth, office="ROMA-1")
    assert refused.status_code == 422 and "office" in refused.json()["detail"]


def test_operators_may_not_export_and_a_filter_the_export_lacks_is_refused(books):
    assert _get(books, "payments", _token(books, "operator")).status_code == 403
    refused = _get(books, "flows", _token(books, "auditor"), tender="card")
    assert refused.status_code == 422 and refused.json()["detail"].startswith("tender:")
    assert _get(books, "ledger", _token(books, "auditor")).status_code == 404


def test_a_console_user_exports_by_role_with_the_session(books):
    books.user("fiona", "finance")
    books.user("sam", "supervisor")
    finance, supervisor = books.client(), books.client()
    assert finance.login("fiona").status_code == 303 and supervisor.login("sam").status_code == 303
    assert finance.get("/api/v1/exports/anomalies", params=PERIOD).status_code == 200
    assert supervisor.get("/api/v1/exports/anomalies", params=PERIOD).status_code == 403


def test_each_export_is_in_the_audit_log_with_who_and_what_filter(books):
    _get(books, "payments", _token(books, "auditor"), channel="pagopa", date_by="booking")
    with books.db.connect() as conn:
        row = conn.execute(select(audit_log).where(audit_log.c.action == "export.run")).mappings().one()
    assert row["actor"].startswith("token:") and row["subject"] == "export:payments"
    assert json.loads(row["details"]) == {
        "kind": "payments", "date_from": "2026-11-01", "date_to": "2026-11-30", "date_by": "booking",
        "fmt": "csv", "channel": "pagopa", "scope": "all offices", "via": "api"}


def _cli(console, *args):
    path = console.settings.data_dir / "export.toml"
    path.write_text(f'[database]\nurl = "{console.settings.database_url}"\n', encoding="utf-8")
    return CliRunner().invoke(hub_command, ["export", *args, "--config", str(path)], catch_exceptions=False)


def test_the_command_writes_to_stdout_or_a_file_and_refuses_by_name(books, tmp_path):
    printed = _cli(books, "payments", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv",
                   "--tender", "cash")
    assert printed.exit_code == 0, printed.output
    assert {r["tender"] for r in csv.DictReader(io.StringIO(printed.output))} == {"cash"}
    out = tmp_path / "anomalies.xlsx"
    written = _cli(books, "anomalies", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "xlsx",
                   "--out", str(out))
    assert written.exit_code == 0 and out.stat().st_mode & 0o777 == 0o600
    assert len(list(load_workbook(out, read_only=True)["anomalies"].iter_rows())) == 4
    no_out = _cli(books, "payments", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "xlsx")
    assert no_out.exit_code == 2 and "--out" in no_out.output
    wrong = _cli(books, "flows", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv", "--channel", "bank")
    assert wrong.exit_code == 2 and "--channel" in wrong.output
    backwards = _cli(books, "flows", "--from", "2026-11-30", "--to", "2026-11-01", "--format", "json")
    assert backwards.exit_code == 2 and "--to" in backwards.output
