"""ISO 20022 camt.053 and camt.054 files read into Statement, and refused whole when wrong."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hub.finance.formats.camt import parse_statement
from hub.finance.records import ImportRefused, StatementLine

FILES = Path(__file__).parent / "files"
V02 = (FILES / "camt053_v02.xml").read_bytes()
V08 = (FILES / "camt053_v08_batch.xml").read_bytes()


def _refusal(data: bytes) -> ImportRefused:
    with pytest.raises(ImportRefused) as caught:
        parse_statement(data)
    return caught.value


def test_a_camt053_v02_statement_gives_its_account_and_booked_lines():
    statement = parse_statement(V02)
    assert (statement.format, statement.iban, statement.currency) == ("camt.053", "IT60X0542811101000000123456", "EUR")
    assert statement.statement_id == "IT60X0542811101000000123456-2021-07-27"
    flow_line, rf_line, fee, reversal = statement.lines
    assert flow_line == StatementLine(
        position=1, booking_date=dt.date(2021, 7, 27), value_date=dt.date(2021, 7, 27), amount_minor=19150,
        currency="EUR", credit=True, reversal=False,
        description="/PUR/LGPE-RIVERSAMENTO/URI/2021-07-27SELBIT2B-S003014897", structured_reference=None,
        bank_reference="0542-2021072700001", counterparty="BANCA SELLA SPA")
    assert rf_line.structured_reference == "RF18539007547034"     # compacted from 'RF18 5390 0754 7034'
    assert rf_line.value_date == dt.date(2021, 7, 26) and rf_line.counterparty == "MARIO ROSSI"
    assert (fee.credit, fee.amount_minor, fee.description) == (False, 350, "COMMISSIONI TENUTA CONTO LUGLIO")
    assert (reversal.credit, reversal.reversal, reversal.counterparty) == (False, True, "LUCIA BIANCHI")


def test_a_pending_entry_is_left_out_because_the_bank_books_it_later():
    assert all(line.amount_minor != 4000 for line in parse_statement(V02).lines)
    assert len(parse_statement(V02).lines) == 4


def test_a_batch_entry_gives_one_line_per_transfer_each_with_its_own_amount_and_text():
    statement = parse_statement(V08)
    assert [(line.position, line.amount_minor) for line in statement.lines] == [(1, 2500), (2, 4000), (3, 3000)]
    first, second, third = statement.lines
    assert first.structured_reference == "RF712348231" and first.counterparty == "GEORGIOS PAPADOPOULOS"
    assert second.description == "PAYMENT CERTIFICATE 2024/118 RF18539007547034"   # two Ustrd joined
    assert [line.bank_reference for line in statement.lines] == ["NBG240301TX0001", "NBG240301TX0002",
                                                                 "NBG240301TX0003"]
    assert {line.booking_date for line in statement.lines} == {dt.date(2024, 3, 1)}   # from BookgDt/DtTm


def test_batch_transfers_that_do_not_add_up_to_the_entry_are_refused_with_both_figures():
    refused = _refusal(V08.replace(b'<TxAmt><Amt Ccy="EUR">30.00', b'<TxAmt><Amt Ccy="EUR">31.00'))
    assert refused.where == "BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt"
    assert "95.00 EUR" in refused.reason and "96.00 EUR" in refused.reason


def test_a_batch_transfer_without_its_own_amount_is_refused_rather_than_given_the_whole_entry():
    data = V08.replace(b'<AmtDtls><TxAmt><Amt Ccy="EUR">30.00</Amt></TxAmt></AmtDtls>', b"")
    refused = _refusal(data)
    assert refused.where == "BkToCstmrStmt/Stmt[1]/Ntry[1]/NtryDtls/TxDtls[3]/Amt"


def test_a_camt054_notification_reads_like_a_statement():
    statement = parse_statement((FILES / "camt054_v08.xml").read_bytes())
    assert statement.format == "camt.054" and statement.iban == "LV80BANK0000435195001"
    assert [(line.amount_minor, line.description) for line in statement.lines] == [(1423, "Valsts nodeva par pasi")]


@pytest.mark.parametrize("version", ["02", "04", "06", "08", "10"])
def test_any_camt053_version_namespace_reads_the_same(version):
    data = V02.replace(b"camt.053.001.02", f"camt.053.001.{version}".encode())
    assert parse_statement(data) == parse_statement(V02)


def test_a_bad_amount_in_the_third_transfer_is_refused_at_its_path():
    refused = _refusal(V08.replace(b'<TxAmt><Amt Ccy="EUR">30.00', b'<TxAmt><Amt Ccy="EUR">30,00'))
    assert refused.where == "BkToCstmrStmt/Stmt[1]/Ntry[1]/NtryDtls/TxDtls[3]/AmtDtls/TxAmt/Amt"
    assert "'30,00'" in refused.reason


def test_a_direction_other_than_crdt_or_dbit_is_refused():
    refused = _refusal(V02.replace(b"<CdtDbtInd>DBIT</CdtDbtInd>\n        <Sts>", b"<CdtDbtInd>DEBIT</CdtDbtInd>\n"
                                                                           b"        <Sts>", 1))
    assert refused.where == "BkToCstmrStmt/Stmt[1]/Ntry[3]/CdtDbtInd"


def test_an_account_iban_with_wrong_check_digits_is_refused():
    refused = _refusal(V08.replace(b"GR1601101250000000012300695</IBAN>", b"GR1701101250000000012300695</IBAN>"))
    assert refused.where == "BkToCstmrStmt/Stmt[1]/Acct/Id/IBAN"


def test_statements_of_two_accounts_in_one_file_are_refused():
    one = V08.split(b"<Stmt>")[1].split(b"</Stmt>")[0]
    other = one.replace(b"GR1601101250000000012300695</IBAN>", b"DE89370400440532013000</IBAN>")
    data = V08.replace(b"</Stmt>", b"</Stmt><Stmt>" + other + b"</Stmt>", 1)
    assert "different accounts" in _refusal(data).reason


def test_a_camt052_report_is_not_taken_for_a_statement():
    data = V02.replace(b"camt.053.001.02", b"camt.052.001.02").replace(b"BkToCstmrStmt", b"BkToCstmrAcctRpt")
    assert "camt.052" in _refusal(data).reason
