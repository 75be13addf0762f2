"""`counterpay hub notices export`: one PDF per selected order, named for reserved areas, and a
postal CSV, in a zip that appears whole or not at all; written to the audit log."""

from __future__ import annotations

import csv
import io
import subprocess
import zipfile

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub.cli import hub as hub_cli
from hub.notices import bulk
from hub.notices.selection import Selection
from hub.store.tables import audit_log
from hub.users.scope import Scope
from tests.hub.search_rows import add_orders, order_row
from tests.hub.config_support import write_config


def row(order_id: str, **columns) -> dict:
    base = {"cancelled_at": None, "cancelled_by": None, "cancel_reason": None, "payer_email": None,
            "payer_language": None, "payer_address": None, "account_iban": None, "amount_changed_at": None}
    return order_row(order_id, **(base | columns))


ORDERS = [
    row("CP0000000001", reference_format="pagopa", reference="301769661771922162", iuv="01769661771922162",
        payer_name="Maria Rossi", payer_id="RSSMRA80A01H501U", due_date="2031-03-31", payer_language="it",
        payer_address="Via Roma 1\n00100 Roma", created_at="2026-01-01T08:00:00.000Z"),
    row("CP0000000002", payer_name="Jānis Bērziņš", payer_id="LV-120345-12345", due_date="2031-05-01",
        payer_language="lv", payer_address="Brīvības iela 1\nRīga LV-1010", created_at="2026-01-02T08:00:00.000Z"),
    # no due date: the year of its creation, which makes the first's name again: a second name, not an overwrite
    row("CP0000000003", reference_format="pagopa", reference="301000000000012399", iuv="01769661771922162",
        payer_name="Maria Rossi", payer_id="RSSMRA80A01H501U", due_date=None, created_at="2031-02-01T08:00:00.000Z"),
    row("CP0000000004", office="B", payer_name="Γιώργος Παπαδόπουλος", payer_language="el",
        created_at="2026-01-04T08:00:00.000Z"),
]


@pytest.fixture
def config(hub_db, tmp_path):
    add_orders(hub_db, ORDERS)
    return write_config(tmp_path / "hub.toml", {"database": {"url": hub_db.url},
                                                "orders": {"creditor_fiscal_code": "00311260095",
                                                           "iban": "LV80BANK0000435195001",
                                                           "beneficiary": "Rīgas dome"}})


def _export(config, out, *options):
    return CliRunner().invoke(hub_cli, ["notices", "export", "--config", str(config), "--out", str(out), *options])


def test_the_zip_has_one_pdf_per_unpaid_order_named_for_reserved_areas_and_a_postal_csv(config, tmp_path, hub_db):
    out = tmp_path / "notices.zip"
    done = _export(config, out, "--unpaid")
    assert done.exit_code == 0, done.output
    assert "4 notices written" in done.output
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == ["RSSMRA80A01H501U_2031_01769661771922162.pdf", "CP0000000002.pdf",
                                      "CP0000000004.pdf", "RSSMRA80A01H501U_2031_01769661771922162_2.pdf",
                                      "postal.csv"]       # oldest order first
        text = subprocess.run(["pdftotext", "-", "-"], input=archive.read("CP0000000002.pdf"), capture_output=True,
                              check=True).stdout.decode()
        postal = list(csv.DictReader(io.StringIO(archive.read("postal.csv").decode("utf-8"))))
    assert "Jānis Bērziņš" in text and "Maksājuma paziņojums" in text
    assert [(r["file"], r["name"], r["address"], r["notice_code"], r["amount"], r["due_date"]) for r in postal[:2]] == [
        ("RSSMRA80A01H501U_2031_01769661771922162.pdf", "Maria Rossi", "Via Roma 1, 00100 Roma",
         "3017 6966 1771 9221 62", "50.00", "2031-03-31"),
        ("CP0000000002.pdf", "Jānis Bērziņš", "Brīvības iela 1, Rīga LV-1010", "RF00 CP00 0000 0002", "50.00",
         "2031-05-01")]
    assert postal[2]["name"] == "Γιώργος Παπαδόπουλος" and postal[3]["due_date"] == ""
    with hub_db.connect() as conn:
        audited = conn.execute(select(audit_log.c.action, audit_log.c.details)
                               .where(audit_log.c.action == "notices.export")).one()
    assert '"notices":4' in audited.details.replace(" ", "")


def test_filters_and_named_orders_choose_what_is_exported(config, tmp_path):
    out = tmp_path / "a.zip"
    assert _export(config, out, "--unpaid", "--office", "A", "--due-before", "2031-04-01").exit_code == 0
    assert zipfile.ZipFile(out).namelist() == ["RSSMRA80A01H501U_2031_01769661771922162.pdf", "postal.csv"]
    assert _export(config, out, "--order", "CP0000000004", "--order", "CP0000000002").exit_code == 0
    assert zipfile.ZipFile(out).namelist() == ["CP0000000004.pdf", "CP0000000002.pdf", "postal.csv"]


@pytest.mark.parametrize("options, message", [
    ([], "--order ID"),
    (["--order", "NOPE"], "no payment order NOPE"),
    (["--unpaid", "--due-before", "tomorrow"], "--due-before 'tomorrow'"),
])
def test_a_wrong_selection_is_a_usage_error_and_leaves_no_file(config, tmp_path, options, message):
    refused = _export(config, tmp_path / "x.zip", *options)
    assert refused.exit_code == 2 and message in refused.output
    assert list(tmp_path.glob("x.zip*")) == [] and list(tmp_path.glob(".x.zip*")) == []


def test_a_crash_midway_leaves_the_previous_zip_and_no_half_file(config, tmp_path, hub_db, monkeypatch):
    from hub.config import load
    out = tmp_path / "notices.zip"
    assert _export(config, out, "--order", "CP0000000001").exit_code == 0
    before = out.read_bytes()
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        return b"%PDF-1.4 stand-in"

    monkeypatch.setattr(bulk, "render_notice_pdf", failing)
    with pytest.raises(RuntimeError):
        bulk.export_zip(hub_db, load(config), Selection.build(unpaid=True), Scope.everything(), out,
                        actor="test", via="test")
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if "zip" in p.name) == ["notices.zip"]
