"""protocol.remittance: statement lines as AgID SACI writes them and as banks really do.

Golden lines come from SACI chapters 3 and 6 (their examples, one of which has wrong
RF check digits), pagoPA's issue tracker (truncated ids, pagopa-api#272; "URI NOT
PROVIDED", #263), GovPay's API examples and pagoPA's treasury tests (CBI lines with
glued prefixes and text after the id).  Hypothesis proves `parse` never raises and
that its answer is always consistent, and that every mangling keeps the id.
"""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.ids import rf as rf_id
from protocol.remittance import (AMOUNT_MISSING, FLOW_ID_MAX, FLOW_ID_MISSING, FLOW_ID_TRUNCATED, IUV_MAX, IUV_MIN,
                                 KINDS, MAX_TEXT, RF_CHECK_FAILED, Remittance, parse)

FUZZ = settings(max_examples=200, deadline=500, suppress_health_check=[HealthCheck.too_slow])
FLOW = "2021-03-17SIGPITM1XXX-S005147952"

# (description, kind, flow_id, iuv, amount_minor, reference)
GOLDEN = [
    # SACI ch. 6 as written, then each mangling banks apply to it.
    (f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW}", "pagopa-flow", FLOW, None, None, None),
    (f"PUR LGPE-RIVERSAMENTO URI {FLOW}", "pagopa-flow", FLOW, None, None, None),
    (f"/PUR/LGPE-RIVERSAMENTO/TXT/2/URI/{FLOW}", "pagopa-flow", FLOW, None, None, None),
    (f"RI1/PUR/LGPE-RIVERSAMENTO/URI/{FLOW}", "pagopa-flow", FLOW, None, None, None),
    (f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW}/ZZ4/4184", "pagopa-flow", FLOW, None, None, None),
    ("/PUR/LGPE-RIVERSAMENTO/URI/20 21-03-17SIGPITM1XXX-S005147952", "pagopa-flow", FLOW, None, None, None),
    ("/PUR/LGPE-RIVERSAMENTO/URI/2021-03-17SIGPITM1XXX -S005147952 /ZZ4/1", "pagopa-flow", FLOW, None, None, None),
    (f"/pur/lgpe-riversamento/uri/{FLOW.lower()}", "pagopa-flow", FLOW, None, None, None),
    ("/PUR/LGPE-RIVERSAMENTO/URI/2", "pagopa-flow", None, None, None, None),                   # pagopa-api#272
    ("GIROCONTO TRA BANCHE /PUR/LGPE-RIVERSAMENTO/URI/", "pagopa-flow", None, None, None, None),
    ("/PUR/LGPE-RIVERSAMENTO/URI/2021-03-17SIGPITM1XXX", "pagopa-flow", None, None, None, None),
    ("/PUR/LGPE-RIVERSAMENTO/URI/2021-02-30SIGPITM1XXX-S005147952", "pagopa-flow", None, None, None, None),
    ("/PUR/LGPE-RIVERSAMENTO/URI/RIVERSAMENTO", "pagopa-flow", None, None, None, None),
    # Real-looking lines from pagoPA's and GovPay's repositories and issues.
    ("RI1/PUR/LGPE-RIVERSAMENTO/URI/2025-09-23BPPIITRRXXX-000038102790 ACCREDITO BOLLETTINO P.A.",
     "pagopa-flow", "2025-09-23BPPIITRRXXX-000038102790", None, None, None),
    ("000000000000000,00000000000000101,01EUR000000000000000,000000000000000000000000,000000000000,00"
     "/ZZ2SATISPAY EUROPE SA/ZZ3Comune Dimostrativo/PUR/LGPE-RIVERSAMENTO/URI/2020-11-21GovPAYPsp-1234567890"
     "/ZZ4/4184/ZZ4/ID1357a8662b2256347456532f53f9a9825357a8662b2b911eb8da402f53f9a9825",
     "pagopa-flow", "2020-11-21GovPAYPsp-1234567890", None, None, None),
    ("CRBIIT2B URI NOT PROVIDED RIVERSAMENTO/URI/2021-09-15ABI06090-CC0ISB2860405020- Mooney S.p.A. DA UNCRITMM",
     "pagopa-flow", "2021-09-15ABI06090-CC0ISB2860405020", None, None, None),
    ("Data Ordine: 01/01/2020; :BI2:ABCKITYYXXX :ERI:EUR 000000000012345 :MA2:EU R "
     ":RI3:/PUR/LGPE-RIVERSAMENTO/URI/2024-07-26PPAYITR1XXX-S2024072601 :SEC:CASH :OR1:XYZ PRIVATE BANKING SPA",
     "pagopa-flow", "2024-07-26PPAYITR1XXX-S2024072601", None, None, None),
    ("ACCREDITI VARI LGPE-RIVERSAMENTO/URI/2023-01-01 ABC123", "pagopa-flow", None, None, None, None),
    ("BONIFICO /PUR/LGPE-RIVERSAMENTO/URI/2021-12-11BTFJAJSSJ-0000000001", "pagopa-flow",
     "2021-12-11BTFJAJSSJ-0000000001", None, None, None),                                    # pagopa-api#260
    # SACI § 3.2's examples of single payments (its RF23 fails ISO 11649: RF78 is the right check).
    ("/RFS/RF23 5674 8393 7849 4505 5087 5/45.56", "pagopa-single", None, None, None, None),
    ("/RFS/RF78 5674 8393 7849 4505 5087 5/45.56", "pagopa-single", None,
     "RF78567483937849450550875", 4556, "RF78567483937849450550875"),
    ("RFS RF78 5674 8393 7849 4505 5087 5 45.56", "pagopa-single", None,
     "RF78567483937849450550875", 4556, "RF78567483937849450550875"),
    ("/RFS/RF78567483937849450550875/45,56", "pagopa-single", None,
     "RF78567483937849450550875", 4556, "RF78567483937849450550875"),
    ("/RFB/9876096598656344", "pagopa-single", None, "9876096598656344", None, None),
    ("/RFB/9876096598656344/12.34/TXT/Richiesta certificato", "pagopa-single", None, "9876096598656344", 1234, None),
    ("RFB 9876096598656344 12.34 TXT Richiesta certificato", "pagopa-single", None, "9876096598656344", 1234, None),
    ("/rfb/9876096598656344/12,5/txt/richiesta certificato", "pagopa-single", None, "9876096598656344", 1250, None),
    ("BONIF. RI1/RFB/340000013900808/1.234,56", "pagopa-single", None, "340000013900808", 123456, None),
    ("/RFB/01234567890123456/12/TXT/TARI 2024", "pagopa-single", None, "01234567890123456", 1200, None),
    ("/RFB/98760965/12.34", "pagopa-single", None, None, None, None),
    ("/RFB/", "pagopa-single", None, None, None, None),
    # RF creditor references anywhere (Greek RF codes, EPC transfers).
    ("RF18539007547034", "rf", None, None, None, "RF18539007547034"),
    ("PAGAMENTO FATTURA RF18 5390 0754 7034 GRAZIE", "rf", None, None, None, "RF18539007547034"),
    ("EPC /SCOR/rf18539007547034/", "rf", None, None, None, "RF18539007547034"),
    ("RF18 5390 0754 7034 FOR", "rf", None, None, None, "RF18539007547034"),
    ("RF19 5390 0754 7034", "rf", None, None, None, None),
    # Nothing of ours.
    ("STIPENDIO MARZO 2024", "none", None, None, None, None),
    ("", "none", None, None, None, None),
    ("PERFB 12 URI NOT PROVIDED", "none", None, None, None, None),
]


def assert_consistent(result: Remittance) -> None:
    """What every answer satisfies, whatever the text."""
    assert result.kind in KINDS
    assert isinstance(result.errors, tuple) and all(isinstance(e, str) and e for e in result.errors)
    if result.kind != "pagopa-flow":
        assert result.flow_id is None
    if result.kind != "pagopa-single":
        assert result.iuv is None and result.amount_minor is None
    if result.kind == "pagopa-flow":
        assert (result.iuv, result.amount_minor, result.reference) == (None, None, None)
        assert result.usable == (result.flow_id is not None)
    if result.kind == "pagopa-single":
        assert result.usable == (result.iuv is not None)
        assert result.reference in (None, result.iuv)
        assert result.iuv is not None or result.amount_minor is None
    if result.kind == "rf":
        assert result.usable == (result.reference is not None)
    if result.kind == "none":
        assert not result.usable and result.reference is None
    if not result.usable and result.kind != "none":
        assert result.errors, "a line that claims a reference but yields none says why"
    if result.flow_id is not None:
        assert len(result.flow_id) <= FLOW_ID_MAX
        assert set(result.flow_id) <= set(string.ascii_letters + string.digits + "_-")
        assert result.flow_id[4] == result.flow_id[7] == "-" and "-" in result.flow_id[11:]
    if result.iuv is not None:
        assert IUV_MIN <= len(result.iuv) <= IUV_MAX and result.iuv.isascii() and result.iuv.isalnum()
    if result.reference is not None:
        assert rf_id.is_valid(result.reference) and result.reference == rf_id.compact(result.reference)
    if result.amount_minor is not None:
        assert type(result.amount_minor) is int and result.amount_minor >= 0
    data = result.as_dict()
    assert list(data) == ["kind", "flow_id", "iuv", "amount_minor", "reference", "errors"]
    assert json.loads(json.dumps(data)) == data and isinstance(data["errors"], list)


@pytest.mark.parametrize("text, kind, flow_id, iuv, amount, reference", GOLDEN)
def test_golden_statement_lines_give_their_kind_and_ids(text, kind, flow_id, iuv, amount, reference):
    result = parse(text)
    assert (result.kind, result.flow_id, result.iuv, result.amount_minor, result.reference) == \
        (kind, flow_id, iuv, amount, reference)
    assert_consistent(result)


@pytest.mark.parametrize("text", [g[0] for g in GOLDEN if g[0] == g[0].upper() and g[0]])
def test_a_line_lowered_by_the_bank_reads_as_the_original(text):
    assert parse(text.lower()) == parse(text)


@pytest.mark.parametrize("text", [g[0] for g in GOLDEN if g[0].startswith(("/PUR/", "/RFB/9", "/RFS/RF78"))])
def test_slashes_turned_into_spaces_read_the_same(text):
    assert parse(text.replace("/", " ")) == parse(text)


def test_a_truncated_flow_id_is_a_flow_whose_id_is_lost_not_flow_2():
    result = parse("/PUR/LGPE-RIVERSAMENTO/URI/2")
    assert (result.kind, result.flow_id, result.usable) == ("pagopa-flow", None, False)
    assert result.errors == (FLOW_ID_TRUNCATED.format(seen="2"),)
    assert parse("/PUR/LGPE-RIVERSAMENTO/URI/").errors == (FLOW_ID_MISSING,)


def test_errors_say_which_check_failed_and_what_is_missing():
    assert parse("RF19539007547034").errors == (RF_CHECK_FAILED.format(seen="RF19539007547034"),)
    missing = parse("/RFS/RF18539007547034")
    assert missing.usable and missing.errors == (AMOUNT_MISSING,)
    assert "not a real date" in parse("/PUR/LGPE-RIVERSAMENTO/URI/2021-02-30X-1").errors[0]
    assert "not a pagoPA flow id" in parse("/PUR/LGPE-RIVERSAMENTO/URI/ABC-123").errors[0]
    assert "ambiguous" in parse("/RFB/9876096598656344/1.234").errors[0]
    assert "fewer than 15" in parse("/RFB/98760965").errors[0]


def test_a_flow_id_longer_than_35_characters_is_refused():
    result = parse("/PUR/LGPE-RIVERSAMENTO/URI/2021-03-17SIGPITM1XXX-S0051479520000000")
    assert result.flow_id is None and "at most 35" in result.errors[0]


def test_a_text_too_long_to_be_a_description_is_not_read():
    result = parse(f"/PUR/LGPE-RIVERSAMENTO/URI/{FLOW} " + "x" * MAX_TEXT)
    assert result.kind == "none" and result.errors and not result.usable


def test_a_flow_line_wins_over_an_rf_reference_in_the_same_text():
    result = parse(f"RF18539007547034 /PUR/LGPE-RIVERSAMENTO/URI/{FLOW}")
    assert (result.kind, result.flow_id, result.reference) == ("pagopa-flow", FLOW, None)


# -- properties --------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(["/", " ", "PUR", "LGPE-", "RIVERSAMENTO", "URI", "TXT", "2", "/RFB/", "/RFS/", "RF",
                             "RF18", "5390", "0754", "7034", "2021-03-17", "SIGPITM1XXX", "-", "S005147952", "12.34",
                             "12,5", "1.234,56", "ZZ4", "pur/lgpe-riversamento/uri", "rfb", "\n", "٣", "ß", "_"])


@FUZZ
@given(st.text())
def test_parse_never_raises_and_always_answers_consistently_on_any_text(text):
    assert_consistent(parse(text))


@FUZZ
@given(st.lists(FRAGMENTS, max_size=25).map("".join))
def test_parse_never_raises_on_text_made_of_the_formats_own_pieces(text):
    assert_consistent(parse(text))


@st.composite
def flow_ids(draw):
    day = draw(st.dates()).isoformat()
    psp = draw(st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=11))
    room = FLOW_ID_MAX - len(day) - len(psp) - 1
    progressive = draw(st.text(string.ascii_uppercase + string.digits + "_-", min_size=1, max_size=room)
                       .filter(lambda p: not p.endswith("-")))
    return f"{day}{psp}-{progressive}"


@FUZZ
@given(flow_ids(), st.sampled_from(["", "RI1", "BONIFICO ", ":RI3:", "/ZZ3Comune/"]),
       st.sampled_from(["", " ACCREDITO", "/ZZ4/4184", " - Mooney S.p.A."]),
       st.booleans(), st.booleans(), st.booleans(), st.integers(min_value=1, max_value=30))
def test_every_bank_mangling_keeps_the_flow_id(flow_id, prefix, suffix, txt, spaces, lower, split):
    body = flow_id
    cut = min(split, flow_id.index("-", 10))  # a split the id cannot look complete at
    body = f"{flow_id[:cut]} {flow_id[cut:]}"
    line = f"{prefix}/PUR/LGPE-RIVERSAMENTO/{'TXT/2/' if txt else ''}URI/{body}{suffix}"
    if spaces:
        line = line.replace("/", " ")
    if lower:
        line = line.lower()
    result = parse(line)
    assert (result.kind, result.flow_id, result.errors) == ("pagopa-flow", flow_id, ())


@FUZZ
@given(st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=21), st.booleans(),
       st.sampled_from(["", "PAGAMENTO ", "CAUSALE:", "/SCOR/"]), st.sampled_from(["", " GRAZIE", "/", ". FATTURA"]))
def test_an_rf_reference_is_found_compact_or_grouped_wherever_it_is(body, grouped, before, after):
    reference = rf_id.generate(body)
    printed = rf_id.format(reference) if grouped else reference
    result = parse(f"{before}{printed}{after}")
    assert (result.kind, result.reference, result.errors) == ("rf", reference, ())


@FUZZ
@given(st.text(string.digits, min_size=IUV_MIN, max_size=IUV_MAX), st.integers(min_value=0, max_value=10**9),
       st.sampled_from(["B", "S"]), st.sampled_from([".", ","]), st.booleans(), st.booleans())
def test_a_single_payment_gives_its_iuv_and_amount_in_cents(iuv, cents, tag, decimal, spaces, txt):
    line = f"/RF{tag}/{iuv}/{cents // 100}{decimal}{cents % 100:02d}{'/TXT/Certificato' if txt else ''}"
    if spaces:
        line = line.replace("/", " ")
    result = parse(line)
    assert (result.kind, result.iuv, result.amount_minor, result.errors) == ("pagopa-single", iuv, cents, ())


@pytest.mark.parametrize("text", ["RF12 " * 819, "PUR" + " " * 4000 + "URI", "RIVERSAMENTO/URI/" + "20 " * 1300,
                                  "/RFB/" + "1" * 4000, "/RFB/123456789012345/" + "1," * 1990, "RF18" + " 1234" * 800])
def test_pathological_texts_of_the_longest_readable_size_are_answered(text):
    assert_consistent(parse(text[:MAX_TEXT]))
