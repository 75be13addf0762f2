"""Golden notices: each kind (pagoPA, SEPA with EPC, Polish with ZBP) in each payer language, read
back from the PDF with poppler's pdftotext — exact Latvian, Polish and Greek letters, the amount
and due date as the language writes them — and every QR decoded from the PNG (and from the PDF
rasterised) to the payload it must carry."""

from __future__ import annotations

import io
import subprocess

import pytest
import segno
from PIL import Image

from hub.config import Settings
from hub.notices.layouts.common import modules
from hub.notices.render import notice_language, render_notice_pdf, render_notice_png
from hub.orders.payee import Payee
from hub.orders.qr import order_qr
from protocol.keys import KeyDirectory, SigningKey
from protocol.qr import epc
from protocol.qr.image import ERROR_LEVEL, decode, payload_bytes

CREDITOR = "00311260095"
KEY = SigningKey.generate()
SETTINGS = Settings(database_url="sqlite://", data_dir=".", creditor_fiscal_code=CREDITOR, beneficiary="Comune di Roma",
                    language="it")
PAYERS = {"lv": "Jānis Bērziņš", "pl": "Zażółć gęślą jaźń", "el": "Γιώργος Παπαδόπουλος",
          "it": "Niccolò Fabbri D'Àrpino", "en": "Siobhán O'Brien"}
TITLES = {"lv": "Maksājuma paziņojums", "pl": "Wezwanie do zapłaty", "el": "Ειδοποίηση πληρωμής",
          "it": "Avviso di pagamento", "en": "Payment notice"}
PAGOPA_TITLES = {"lv": "pagoPA maksājuma paziņojums", "pl": "Zawiadomienie o płatności pagoPA",
                 "el": "Ειδοποίηση πληρωμής pagoPA", "it": "Avviso di pagamento pagoPA", "en": "pagoPA payment notice"}
DUE = {"lv": "2031. gada 31. marts", "pl": "31 mar 2031", "el": "31 Μαρ 2031", "it": "31 mar 2031", "en": "Mar 31, 2031"}
EUROS = {"lv": "1\xa0234,50\xa0€", "pl": "1\xa0234,50\xa0€", "el": "1.234,50\xa0€", "it": "1.234,50\xa0€",
         "en": "€1,234.50"}
ZLOTYS = {"lv": "1\xa0234,50\xa0PLN", "pl": "1\xa0234,50\xa0zł", "el": "1.234,50\xa0PLN", "it": "1.234,50\xa0PLN",
          "en": "PLN1,234.50"}
RIGA = Payee("LV80BANK0000435195001", "Rīgas dome")
WARSAW = Payee("PL61109010140000071219812874", "Urząd Miasta")


def order(kind: str, language: str) -> dict:
    row = {"order_id": "CP8F3K2M9Q1Z", "amount_kind": "fixed", "amount_minor": 123450, "currency": "EUR",
           "reference_format": "rf", "reference": "RF18539007547034", "iuv": None, "case_ref": "PRAT-2026/17",
           "payer_name": PAYERS[language], "payer_id": "RSSMRA80A01H501U", "payer_language": language,
           "payer_address": "Brīvības iela 1\nRīga LV-1010", "description": "Tassa rifiuti 2026",
           "due_date": "2031-03-31", "positions": "", "created_at": "2026-01-05T08:00:00.000Z"}
    if kind == "pagopa":
        row |= {"reference_format": "pagopa", "reference": "301769661771922162", "iuv": "01769661771922162"}
    if kind == "zbp":
        row |= {"currency": "PLN"}
    return row | {"qr_payload": order_qr(row, KEY)}


PAYEES = {"pagopa": None, "sepa": RIGA, "zbp": WARSAW}


def read_as_printed(text: str) -> str:
    """pdftotext gives CLDR's no-break spaces (U+00A0, U+202F) back as plain spaces."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode("utf-8")


def codes(image: Image.Image) -> dict:
    directory = KeyDirectory()
    directory.add(KEY.public_entry("hub", ["order"]))
    return {result.format: result for result in decode(image, keys=directory)}


def expected_payment_code(kind: str, found: dict, row: dict) -> None:
    if kind == "pagopa":
        assert found["pagopa"].valid and found["pagopa"].fields["notice_number"] == row["reference"]
        assert (found["pagopa"].fields["creditor_fiscal_code"], found["pagopa"].fields["amount_minor"]) == (CREDITOR, 123450)
    elif kind == "sepa":
        fields = found["epc"].fields
        assert found["epc"].valid and (fields["iban"], fields["name"], fields["reference"], fields["amount_minor"]) == (
            RIGA.iban, "Rīgas dome", "RF18539007547034", 123450)
    else:
        fields = found["zbp"].fields
        assert found["zbp"].valid and (fields["account"], fields["name"], fields["title"], fields["amount_minor"]) == (
            WARSAW.iban[2:], "Urząd Miasta", "RF18539007547034", 123450)
    assert found["cp-order"].valid and found["cp-order"].fields["order_id"] == "CP8F3K2M9Q1Z"
    assert len(found) == 2


@pytest.mark.parametrize("language", ["lv", "pl", "el", "it", "en"])
@pytest.mark.parametrize("kind", ["pagopa", "sepa", "zbp"])
def test_a_notice_prints_the_payers_letters_amount_and_due_date_in_their_language(kind, language):
    row = order(kind, language)
    text = pdf_text(render_notice_pdf(row, SETTINGS, PAYEES[kind]))
    assert PAYERS[language] in text and "Brīvības iela 1" in text and "?" not in text
    assert read_as_printed((ZLOTYS if kind == "zbp" else EUROS)[language]) in text
    assert DUE[language] in text and (PAGOPA_TITLES if kind == "pagopa" else TITLES)[language] in text
    if kind == "pagopa":
        assert "3017 6966 1771 9221 62" in text and CREDITOR in text and "01769661771922162" in text
    elif kind == "sepa":
        assert "LV80 BANK 0000 4351 9500 1" in text and "RF18 5390 0754 7034" in text and "Rīgas dome" in text
    else:
        assert "61 1090 1014 0000 0712 1981 2874" in text and "Urząd Miasta" in text


@pytest.mark.parametrize("language", ["lv", "pl", "el", "it", "en"])
@pytest.mark.parametrize("kind", ["pagopa", "sepa", "zbp"])
def test_the_png_carries_the_kinds_payment_code_and_the_signed_counter_code(kind, language):
    row = order(kind, language)
    expected_payment_code(kind, codes(Image.open(io.BytesIO(render_notice_png(row, SETTINGS, PAYEES[kind])))), row)


@pytest.mark.parametrize("kind", ["pagopa", "sepa", "zbp"])
def test_the_pdfs_codes_scan_once_printed(kind, tmp_path):
    row = order(kind, "en")
    (tmp_path / "notice.pdf").write_bytes(render_notice_pdf(row, SETTINGS, PAYEES[kind]))
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", str(tmp_path / "notice.pdf"), str(tmp_path / "page")],
                   check=True)
    expected_payment_code(kind, codes(Image.open(tmp_path / "page-1.png")), row)


def test_the_language_is_the_payers_else_the_offices_and_a_caller_may_choose_another():
    row = order("sepa", "lv")
    assert notice_language(row, SETTINGS) == "lv"
    assert notice_language(row | {"payer_language": None}, SETTINGS) == "it"
    assert TITLES["it"] in pdf_text(render_notice_pdf(row | {"payer_language": None}, SETTINGS, RIGA))
    assert TITLES["el"] in pdf_text(render_notice_pdf(row, SETTINGS, RIGA, language="el"))


def test_a_letter_outside_the_usual_scripts_still_prints_exactly():
    row = order("sepa", "lv") | {"payer_name": "Иван Петров, Şükrü Öztürk"}
    assert "Иван Петров, Şükrü Öztürk" in pdf_text(render_notice_pdf(row, SETTINGS, RIGA))


def test_an_order_without_a_payee_gets_the_counter_code_and_its_reference_only():
    row = order("sepa", "en")
    pdf, png = render_notice_pdf(row, SETTINGS, None), render_notice_png(row, SETTINGS, None)
    assert "RF18 5390 0754 7034" in pdf_text(pdf) and "IBAN" not in pdf_text(pdf)
    assert set(codes(Image.open(io.BytesIO(png)))) == {"cp-order"}


def test_an_open_amount_and_a_missing_due_date_are_said_in_words():
    row = order("sepa", "pl") | {"amount_kind": "open", "amount_minor": None, "due_date": None}
    text = pdf_text(render_notice_pdf(row, SETTINGS, RIGA))
    assert "należna kwota" in text and "bez terminu" in text


@pytest.mark.parametrize("payload", ["PAGOPA|002|301000000000012345|00311260095|12345", "8" * 180,
                                     "BCD\n002\n1\nSCT\n\nRīgas dome\nLV80BANK0000435195001\nEUR12.34\n\nRF18539007547034"])
def test_a_codes_modules_are_segnos_symbol_with_its_quiet_zone(payload):
    expected = segno.make(payload_bytes(payload), error=ERROR_LEVEL, micro=False, boost_error=not epc.detect(payload))
    assert modules(payload) == tuple(tuple(bool(m) for m in row) for row in expected.matrix_iter(border=4))
