"""Exports to accounting: what each export holds and how its filters cut it, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from hub.finance.exports.columns import COLUMNS
from hub.finance.exports.filters import ExportRefused, ExportRequest
from hub.finance.exports.payments import vat_of
from hub.finance.exports.service import rows
from hub.users.scope import Scope
from tests.finance.exports_support import BAD_FLOW_ID, FLOW_ID, IUV1, IUV3, OTHER_IBAN, OTHER_OFFICE, seed
from tests.finance.reconcile_support import IBAN, OFFICE


def _export(db, kind, **filters):
    filters = {"date_from": "2026-11-01", "date_to": "2026-11-30"} | filters
    return [dict(zip(COLUMNS[kind], row, strict=True)) for row in rows(db, ExportRequest.build(kind, **filters))]


@pytest.fixture
def books(hub_db):
    with hub_db.begin() as conn:
        return seed(conn)


def test_a_payment_is_one_row_per_fee_position_with_net_vat_and_accounting_code(hub_db, books):
    card = [r for r in _export(hub_db, "payments") if r["payment_row"] == books["card"]]
    assert [(r["line"], r["position_code"], r["quantity"], r["gross_minor"], r["net_minor"], r["vat_minor"],
             r["vat_rate_bp"], r["accounting_code"], r["account"], r["handling_fee_minor"]) for r in card] == [
        (1, "CI", 1, 2222, 2222, 0, 0, "3.01.02.01", IBAN, 0),
        (2, "CERT", 2, 2440, 2000, 440, 2200, "3.01.02.07", OTHER_IBAN, 0)]


def test_an_orders_catalogue_positions_split_a_payment_that_sent_none(hub_db, books):
    cash = [r for r in _export(hub_db, "payments") if r["payment_row"] == books["cash"]]
    assert [(r["position_code"], r["gross_minor"], r["vat_minor"], r["order_id"], r["case_ref"]) for r in cash] == [
        ("CERT", 1220, 220, "CPORD1", "CASE-CPORD1"), ("STAMP", 1600, 0, "CPORD1", "CASE-CPORD1")]


def test_a_payment_without_positions_is_one_row_of_its_whole_amount_vat_unknown(hub_db, books):
    bare = [r for r in _export(hub_db, "payments") if r["payment_row"] == books["bare"]]
    assert [(r["position_code"], r["gross_minor"], r["net_minor"], r["vat_minor"], r["vat_rate_bp"])
            for r in bare] == [(None, 500, 500, 0, None)]


def test_positions_that_do_not_add_up_to_the_payment_are_not_used(hub_db):
    from tests.finance.exports_support import add_payment, publish_catalogue
    with hub_db.begin() as conn:
        publish_catalogue(conn)
        add_payment(conn, amount_minor=1000, positions=[{"code": "CI", "quantity": 1, "unit_minor": 2222}])
    assert [(r["position_code"], r["gross_minor"]) for r in _export(hub_db, "payments")] == [(None, 1000)]


def test_vat_is_taken_out_of_a_price_that_includes_it_rounded_half_up():
    assert vat_of(1220, 2200) == 220
    assert vat_of(100, 2100) == 17            # 17.355…
    assert vat_of(1, 2200) == 0 and vat_of(3, 2200) == 1     # 0.18 → 0, 0.54 → 1
    assert vat_of(5000, 0) == 0


def test_a_pagopa_payment_from_a_flow_carries_its_booking_date_account_psp_and_flow(hub_db, books):
    pagopa = {r["iuv"]: r for r in _export(hub_db, "payments", channel="pagopa")}
    assert set(pagopa) == {IUV1, "05000000000000002", IUV3}
    first = pagopa[IUV1]
    assert (first["tender"], first["channel"], first["status"], first["booking_date"], first["account"],
            first["psp_id"], first["flow_id"], first["order_id"]) == (
        "pagopa", "pagopa", "linked", "2026-11-20", IBAN, "SELBIT2B", FLOW_ID, "CPPA1")
    assert pagopa[IUV3]["flow_id"] is None and pagopa[IUV3]["booking_date"] == "2026-11-20"


def test_filters_cut_by_office_tender_status_channel_and_period(hub_db, books):
    def payment_rows(**filters):
        return {r["payment_row"] for r in _export(hub_db, "payments", **filters)}
    everything = payment_rows()
    assert books["october"] not in everything and books["milano"] in everything
    assert payment_rows(office=OTHER_OFFICE) == {books["milano"]}
    assert payment_rows(tender="cash") == {books["cash"], books["bare"]}
    assert payment_rows(status="voided") == {books["voided"]}
    assert books["voided"] not in payment_rows(status="unlinked")
    assert payment_rows(channel="counter") == everything - payment_rows(channel="pagopa")
    assert payment_rows(date_from="2026-10-01", date_to="2026-10-01") == {books["october"]}
    booked = payment_rows(date_by="booking")
    assert booked == payment_rows(channel="pagopa") and len(booked) == 3
    assert payment_rows(date_by="booking", date_from="2026-11-21", date_to="2026-11-30") == set()


def test_the_account_filter_keeps_the_lines_paid_into_that_account(hub_db, books):
    lines = _export(hub_db, "payments", account=OTHER_IBAN)
    assert {(r["payment_row"], r["position_code"]) for r in lines} == {(books["card"], "CERT"), (books["cash"], "CERT")}


def test_an_export_within_a_scope_sees_only_its_offices(hub_db, books):
    scoped = ExportRequest.build("payments", date_from="2026-11-01", date_to="2026-11-30",
                                 scope=Scope.of([OTHER_OFFICE]))
    assert {row[6] for row in rows(hub_db, scoped)} == {OTHER_OFFICE}
    with pytest.raises(ExportRefused, match="not one of yours"):
        ExportRequest.build("payments", date_from="2026-11-01", date_to="2026-11-30", office=OFFICE,
                            scope=Scope.of([OTHER_OFFICE]))


def test_entries_are_one_per_matched_statement_line_with_the_flows_payment_counts(hub_db, books):
    entries = _export(hub_db, "entries")
    assert [(e["kind"], e["amount_minor"], e["flow_id"], e["psp_id"], e["payments_count"], e["payments_matched"],
             e["status"], e["account"], e["booking_date"]) for e in entries] == [
        ("pagopa-flow", 4000, FLOW_ID, "SELBIT2B", 2, 2, "complete", IBAN, "2026-11-20"),
        ("pagopa-single", 1000, None, None, 1, 1, "complete", IBAN, "2026-11-20")]
    assert _export(hub_db, "entries", channel="bank") == []
    assert _export(hub_db, "entries", status="incomplete") == []
    assert _export(hub_db, "entries", account=OTHER_IBAN) == []


def test_flows_give_status_reason_and_the_booking_of_the_line_that_pays_them(hub_db, books):
    found = {f["flow_id"]: f for f in _export(hub_db, "flows")}
    assert (found[FLOW_ID]["status"], found[FLOW_ID]["reason"], found[FLOW_ID]["booking_date"],
            found[FLOW_ID]["payments_matched"], found[FLOW_ID]["total_minor"]) == (
        "matched", "paid_by_line", "2026-11-20", 2, 4000)
    assert (found[BAD_FLOW_ID]["status"], found[BAD_FLOW_ID]["reason"], found[BAD_FLOW_ID]["booking_date"]) == (
        "anomaly", "amount_differs", None)
    assert [f["flow_id"] for f in _export(hub_db, "flows", status="matched")] == [FLOW_ID]
    assert [f["flow_id"] for f in _export(hub_db, "flows", date_by="booking")] == [FLOW_ID]


def test_anomalies_list_every_line_flow_and_flow_payment_in_anomaly_with_its_reason(hub_db, books):
    found = [(a["subject"], a["reason"], a["amount_minor"], a["flow_id"]) for a in _export(hub_db, "anomalies")]
    assert found == [("line", "amount_differs", 999, BAD_FLOW_ID), ("flow", "amount_differs", 1000, BAD_FLOW_ID),
                     ("payment", "unknown_iuv", 1000, BAD_FLOW_ID)]
    assert _export(hub_db, "anomalies", office=OTHER_OFFICE) == []


@pytest.mark.parametrize(("kind", "filters", "field"), [
    ("flows", {"tender": "card"}, "tender"),
    ("anomalies", {"channel": "bank"}, "channel"),
    ("flows", {"status": "linked"}, "status"),
    ("payments", {"date_to": "2026-10-01"}, "to"),
    ("payments", {"date_from": "1.11.2026"}, "from"),
    ("payments", {"tender": "cheque"}, "tender"),
])
def test_a_filter_an_export_cannot_apply_is_refused_by_name(kind, filters, field):
    with pytest.raises(ExportRefused) as refused:
        ExportRequest.build(kind, **({"date_from": "2026-11-01", "date_to": "2026-11-30"} | filters))
    assert refused.value.field == field
