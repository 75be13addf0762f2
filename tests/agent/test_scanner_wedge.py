"""Keyboard-wedge analysis: layout damage is found, repaired for display, and explained."""

from __future__ import annotations

from agent.scanner.wedge import analyse_wedge
from protocol.qr import rf, zbp

PAGOPA = "PAGOPA|002|001340000013900808|00311260095|5000"
ZBP = zbp.make("61109010140000071219812874", "Urząd Miasta Gdańsk", "Opłata skarbowa", 1750, nip="5840001234")


def test_a_clean_pagopa_scan_is_not_suspect():
    report = analyse_wedge(PAGOPA)
    assert not report.suspect and report.advice is None


def test_pipe_typed_as_less_than_on_a_qwertz_layout():
    report = analyse_wedge(PAGOPA.replace("|", "<"))
    assert report.suspect
    assert report.repaired == PAGOPA
    assert "'|' arrived as '<'" in report.problems[0]
    assert "serial" in report.advice and "USB-CDC" in report.advice


def test_pipe_typed_as_section_sign_names_italian_layout():
    report = analyse_wedge(PAGOPA.replace("|", "§"))
    assert report.suspect and report.repaired == PAGOPA and report.layout_hint == "Italian"


def test_pipe_typed_as_u_umlaut_and_as_backslash():
    for standin in ("ü", "\\"):
        report = analyse_wedge(PAGOPA.replace("|", standin))
        assert report.suspect and report.repaired == PAGOPA, standin


def test_zbp_with_mistyped_separators_is_repaired():
    report = analyse_wedge(ZBP.replace("|", "<"))
    assert report.suspect and report.repaired == ZBP


def test_y_and_z_swapped_inside_an_rf_reference_breaks_its_check_and_is_repaired():
    code = rf.make("ZY2025ZAHLUNG")
    typed = code.translate(str.maketrans("yzYZ", "zyZY"))
    report = analyse_wedge(typed)
    assert report.suspect and report.repaired == code
    assert report.problems == ["Y and Z are swapped"]


def test_y_and_z_in_free_text_cannot_be_proven_so_the_operator_is_warned():
    # Names carry no check digits: the separators are repaired, the names are flagged.
    code = zbp.make("61109010140000071219812874", "Zarząd Dróg", "Opłata za zezwolenie", 1200)
    typed = code.replace("|", "<").translate(str.maketrans("yzYZ", "zyZY"))
    report = analyse_wedge(typed)
    assert report.suspect and report.repaired == typed.replace("<", "|")
    assert any("Y/Z" in w for w in report.warnings)


def test_greek_layout_turns_latin_letters_greek():
    greek = PAGOPA.translate(str.maketrans("PAGO", "ΠΑΓΟ"))
    report = analyse_wedge(greek)
    assert report.suspect and report.repaired == PAGOPA
    assert report.problems[0] == "Latin letters arrived as Greek letters"


def test_epc_cut_at_its_first_line_break_is_explained():
    report = analyse_wedge("BCD")
    assert report.suspect and "line breaks" in report.problems[0]


def test_diacritics_in_a_recognised_code_only_warn():
    report = analyse_wedge(ZBP)
    assert not report.suspect
    assert report.warnings and "ą" in report.warnings[0] and report.advice


def test_plain_garbage_is_not_called_a_layout_problem():
    report = analyse_wedge("hello world")
    assert not report.suspect and not report.problems


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120) | st.sampled_from([PAGOPA.replace("|", c) for c in "<>§ü\\'#*~"]))
def test_fuzz_analysis_never_raises_and_only_reports_repairs_that_change_the_text(text):
    report = analyse_wedge(text)
    assert report.text == text
    if report.repaired is not None:
        assert report.suspect and report.repaired != text and report.problems
