"""pagoPA reporting flows (FlussoRiversamento 1.0.x) read into Flow, and refused whole when wrong."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hub.finance.formats.fdr import parse_flow
from hub.finance.records import Flow, FlowPayment, ImportRefused

FILES = Path(__file__).parent / "files"
PREFIXED = (FILES / "fdr_pay_i_prefix.xml").read_bytes()


def test_a_flow_written_with_the_pay_i_prefix_gives_every_field_and_payment():
    flow = parse_flow(PREFIXED)
    assert flow == Flow(
        flow_id="2021-07-27SELBIT2B-S003014897", revision=dt.datetime(2021, 7, 27, 10, 15, 30),
        settlement_ref="A2A-0001234567890123456789IT", settlement_date=dt.date(2021, 7, 27),
        psp_id="SELBIT2B", psp_name="Banca Sella S.p.A.", bic="SELBIT2BXXX",
        creditor_id="80012345678", creditor_name="Comune di Esempio", total_count=3, total_minor=19150,
        payments=(
            FlowPayment(1, "01000000000012345", "IUR20210726-0001", 1, 1600, 0, dt.date(2021, 7, 26)),
            FlowPayment(2, "RF23567483937849450550", "IUR20210726-0002", 2, 15000, 9, dt.date(2021, 7, 26)),
            FlowPayment(3, "01000000000067890", "IUR20210725-0107", 1, 2550, 3, dt.date(2021, 7, 25)),
        ))


@pytest.mark.parametrize("name", ["fdr_default_namespace.xml", "fdr_no_namespace.xml"])
def test_the_same_flow_with_a_default_namespace_or_none_reads_the_same(name):
    assert parse_flow((FILES / name).read_bytes()) == parse_flow(PREFIXED)


def _edited(old: str, new: str) -> bytes:
    text = PREFIXED.decode()
    assert old in text
    return text.replace(old, new, 1).encode()


def _refusal(data: bytes) -> ImportRefused:
    with pytest.raises(ImportRefused) as caught:
        parse_flow(data)
    return caught.value


def test_a_total_that_is_not_the_sum_of_the_payments_refuses_the_file_saying_both_figures():
    refused = _refusal(_edited("<pay_i:importoTotalePagamenti>191.50", "<pay_i:importoTotalePagamenti>191.60"))
    assert refused.where == "FlussoRiversamento/importoTotalePagamenti"
    assert "191.60 EUR" in refused.reason and "191.50 EUR" in refused.reason


def test_a_payment_count_that_differs_from_the_payments_listed_is_refused_with_both_counts():
    refused = _refusal(_edited("<pay_i:numeroTotalePagamenti>3", "<pay_i:numeroTotalePagamenti>4"))
    assert refused.where == "FlussoRiversamento/numeroTotalePagamenti"
    assert "4 payments" in refused.reason and "lists 3" in refused.reason


@pytest.mark.parametrize("code", ["4", "8"])
def test_stand_in_outcome_codes_are_accepted(code):
    flow = parse_flow(_edited("<pay_i:codiceEsitoSingoloPagamento>9", f"<pay_i:codiceEsitoSingoloPagamento>{code}"))
    assert flow.payments[1].outcome == int(code)


@pytest.mark.parametrize("code", ["1", "2", "5", "X", "10"])
def test_an_outcome_code_outside_0_3_4_8_9_is_refused_at_its_payment(code):
    refused = _refusal(_edited("<pay_i:codiceEsitoSingoloPagamento>9", f"<pay_i:codiceEsitoSingoloPagamento>{code}"))
    assert refused.where == "FlussoRiversamento/datiSingoliPagamenti[2]/codiceEsitoSingoloPagamento"
    assert repr(code) in refused.reason


@pytest.mark.parametrize("amount", ["150", "150.0", "150.000", "-150.00", "1,50", "1.5e2"])
def test_an_amount_that_is_not_digits_dot_two_decimals_is_refused(amount):
    refused = _refusal(_edited("<pay_i:singoloImportoPagato>150.00", f"<pay_i:singoloImportoPagato>{amount}"))
    assert refused.where == "FlussoRiversamento/datiSingoliPagamenti[2]/singoloImportoPagato"


def test_amounts_become_minor_units_exactly_even_where_floats_would_round():
    # 0.29 * 100 is 28.999999999999996 as a float.
    data = _edited("<pay_i:singoloImportoPagato>16.00", "<pay_i:singoloImportoPagato>0.29")
    data = data.replace(b"<pay_i:importoTotalePagamenti>191.50", b"<pay_i:importoTotalePagamenti>175.79")
    flow = parse_flow(data)
    assert flow.payments[0].amount_minor == 29 and flow.total_minor == 17579


@pytest.mark.parametrize("flow_id", ["2021-07-27SELBIT2B S003014897", "2021/07/27", "x" * 36])
def test_a_flow_id_outside_the_pattern_is_refused(flow_id):
    refused = _refusal(_edited("2021-07-27SELBIT2B-S003014897", flow_id))
    assert refused.where == "FlussoRiversamento/identificativoFlusso"


def test_a_missing_element_is_named_with_its_path():
    data = _edited("<pay_i:identificativoUnivocoRiscossione>IUR20210725-0107</pay_i:identificativoUnivocoRiscossione>",
                   "")
    refused = _refusal(data)
    assert refused.where == "FlussoRiversamento/datiSingoliPagamenti[3]/identificativoUnivocoRiscossione"
    assert refused.reason == "missing"


def test_a_revision_with_an_offset_is_kept_aware():
    flow = parse_flow(_edited("2021-07-27T10:15:30<", "2021-07-27T10:15:30.123+02:00<"))
    assert flow.revision.utcoffset() == dt.timedelta(hours=2) and flow.revision.microsecond == 123000


def test_an_xml_that_is_not_a_flow_is_refused_by_its_root():
    refused = _refusal(b"<Document><BkToCstmrStmt/></Document>")
    assert "not a pagoPA reporting flow" in refused.reason


def test_a_broken_file_is_refused_with_its_line():
    refused = _refusal(PREFIXED[: len(PREFIXED) // 2])
    assert refused.where.startswith("line ") and "not well-formed" in refused.reason
