"""The three formats: CSV by RFC 4180 with formula cells made inert, XLSX read back with openpyxl, JSON parsed;
the column lists pinned; and memory that stays flat however many rows an export has."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hub.finance.exports import writers
from hub.finance.exports.columns import ANOMALY_COLUMNS, COLUMNS, ENTRY_COLUMNS, FLOW_COLUMNS, PAYMENT_COLUMNS
from hub.finance.exports.filters import ExportRequest
from hub.finance.exports.service import export_chunks, write_file
from hub.store.db import Database
from tests.finance.exports_support import AWKWARD_NAME, HOSTILE_NAME, seed

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_column_lists_are_the_documented_contract():
    # Appending a column is allowed (change this test too); renaming, removing or moving one breaks accounting imports.
    assert PAYMENT_COLUMNS == (
        "payment_row", "payment_id", "line", "kind", "payment_date", "booking_date", "office", "account",
        "tender", "channel", "status", "order_id", "case_ref", "reference_format", "reference", "iuv",
        "payer_name", "payer_id", "position_code", "position_name", "accounting_code", "quantity",
        "gross_minor", "net_minor", "vat_minor", "vat_rate_bp", "handling_fee_minor", "currency",
        "psp_id", "flow_id", "receipt_id")
    assert ENTRY_COLUMNS == (
        "entry_row", "kind", "booking_date", "value_date", "office", "account", "amount_minor", "currency",
        "flow_id", "psp_id", "psp_name", "settlement_ref", "settlement_date", "payments_count",
        "payments_matched", "order_id", "iuv", "reference", "statement_id", "bank_reference", "status")
    assert FLOW_COLUMNS == (
        "flow_row", "office", "flow_id", "psp_id", "psp_name", "bic", "revision", "settlement_ref",
        "settlement_date", "creditor_id", "creditor_name", "total_count", "total_minor", "payments_matched",
        "currency", "status", "reason", "booking_date", "account", "entry_row", "imported_at", "resolved_at",
        "resolved_by")
    assert ANOMALY_COLUMNS == (
        "subject", "subject_row", "office", "date", "booking_date", "account", "amount_minor", "currency",
        "flow_id", "psp_id", "iuv", "reference", "order_id", "status", "reason", "description")


def test_the_readme_documents_every_column_of_every_export():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Exports to accounting"):]
    section = section[:section.index("\n### ", 4)]
    for kind, columns in COLUMNS.items():
        listed = re.search(rf"`{kind}` columns: (.+)", section)
        assert listed, f"README lists no columns for {kind}"
        assert tuple(re.findall(r"`([a-z_]+)`", listed.group(1))) == columns, kind


@pytest.fixture
def db(tmp_path):
    database = Database.open(f"sqlite:///{tmp_path / 'hub.db'}")
    with database.begin() as conn:
        seed(conn)
    yield database
    database.dispose()


def _request(fmt, kind="payments"):
    return ExportRequest.build(kind, date_from="2026-11-01", date_to="2026-11-30", fmt=fmt)


def test_csv_is_rfc_4180_with_crlf_quoting_and_formula_cells_made_inert(db):
    data = b"".join(export_chunks(db, _request("csv")))
    assert data.startswith(b"payment_row,payment_id,line,") and not data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8")
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert text.endswith("\r\n") and text.count("\r\n") == len(records)     # every record ends CRLF
    assert '"Rossi, ""Mario""\nsecond line"' in text                    # comma, quotes and a line break quoted
    parsed = list(csv.DictReader(io.StringIO(text, newline="")))
    names = {row["payer_name"] for row in parsed}
    assert "'" + HOSTILE_NAME in names and HOSTILE_NAME not in names
    assert AWKWARD_NAME in names                                       # the line break inside kept as it was
    assert {row["gross_minor"] for row in parsed} >= {"2222", "2440"}


def test_every_formula_start_gets_an_apostrophe_and_numbers_stay_numbers():
    rows = [("=1+1", "+39", "-2", "@SUM(A1)", "\tx", "\rx", "plain", -5, None)]
    text = b"".join(writers.csv_chunks(tuple("abcdefghi"), rows)).decode()
    assert text.split("\r\n")[1] == "'=1+1,'+39,'-2,'@SUM(A1),'\tx,\"'\rx\",plain,-5,"


def test_xlsx_reads_back_with_openpyxl_header_first_and_no_formula_runs(db, tmp_path):
    path = tmp_path / "payments.xlsx"
    write_file(db, _request("xlsx"), path)
    sheet = load_workbook(path, read_only=True)["payments"]
    found = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert tuple(found[0]) == PAYMENT_COLUMNS
    by_name = [dict(zip(PAYMENT_COLUMNS, row, strict=True)) for row in found[1:]]
    assert {r["payer_name"] for r in by_name} >= {"'" + HOSTILE_NAME, AWKWARD_NAME}
    card = next(r for r in by_name if r["position_code"] == "CERT" and r["quantity"] == 2)
    assert (card["gross_minor"], card["vat_minor"]) == (2440, 440)            # numbers, not text
    streamed = b"".join(export_chunks(db, _request("xlsx")))
    assert streamed[:2] == b"PK"
    assert len(list(load_workbook(io.BytesIO(streamed), read_only=True)["payments"].iter_rows())) == len(found)


def test_json_is_one_array_of_objects_one_per_line(db):
    text = b"".join(export_chunks(db, _request("json", "entries"))).decode("utf-8")
    parsed = json.loads(text)
    assert [set(entry) for entry in parsed] == [set(ENTRY_COLUMNS)] * 2
    lines = text.splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == 2 + len(parsed)
    assert [json.loads(line.rstrip(",")) for line in lines[1:-1]] == parsed


def test_an_empty_export_is_still_a_file_with_its_header():
    assert b"".join(writers.csv_chunks(("a", "b"), [])) == b"a,b\r\n"
    assert json.loads(b"".join(writers.json_chunks(("a",), []))) == []


_FLAT = r"""
import sys, tracemalloc
from hub.finance.exports import writers
from hub.finance.exports.columns import PAYMENT_COLUMNS
from hub.finance.exports.filters import ExportRequest
from hub.finance.exports.service import export_chunks
from hub.store.db import Database
db = Database.open(sys.argv[1])
fmt = sys.argv[2]
peaks = []
for days in ("2026-01-03", "2026-01-10"):  # both past the cursor's 2,000-row buffer
    request = ExportRequest.build("payments", date_from="2026-01-01", date_to=days, fmt=fmt)
    tracemalloc.start()
    total = sum(len(chunk) for chunk in export_chunks(db, request))
    peaks.append(tracemalloc.get_traced_memory()[1])
    tracemalloc.stop()
    print(days, total, peaks[-1])
"""


def test_memory_stays_flat_when_an_export_has_three_times_the_rows(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench.export import fill
    url = f"sqlite:///{tmp_path / 'big.db'}"
    fill(url, 20_000, days=10)                          # 1,000 payments a day, two lines each
    root = Path(__file__).resolve().parents[2]
    for fmt in ("csv", "json"):
        ran = subprocess.run([sys.executable, "-c", _FLAT, url, fmt], capture_output=True, text=True, cwd=root,
                             env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, timeout=120)
        assert ran.returncode == 0, ran.stderr
        (_, small_bytes, small_peak), (_, big_bytes, big_peak) = [line.split() for line in ran.stdout.splitlines()]
        assert int(big_bytes) > 3 * int(small_bytes)
        assert int(big_peak) < 1.2 * int(small_peak) + 256_000, ran.stdout
