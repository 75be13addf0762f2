"""The serial scanner framer: codes cut at the terminator, garbage reported, never raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from agent.scanner.framing import MAX_CODE_BYTES, ScanFramer, terminator_bytes

PAGOPA = "PAGOPA|002|001340000013900808|00311260095|5000"


def test_codes_split_at_cr_even_when_reads_cut_them_anywhere():
    framer = ScanFramer("CR")
    stream = (PAGOPA + "\r" + "RF18539007547034\r").encode()
    events = []
    for i in range(0, len(stream), 7):
        events += framer.feed(stream[i:i + 7])
    assert [e.code for e in events] == [PAGOPA, "RF18539007547034"]


def test_epc_line_breaks_stay_inside_the_code_with_cr_terminator():
    epc = "BCD\n002\n1\nSCT\n\nMiasto Gdańsk\nPL61109010140000071219812874\nEUR12.50\n\n\nOpłata"
    events = ScanFramer("CR").feed(epc.encode() + b"\r")
    assert [e.code for e in events] == [epc]


def test_crlf_scanner_on_a_cr_reader_leaves_no_stray_line_feed():
    events = ScanFramer("CR").feed(b"ABC\r\nDEF\r\n")
    assert [e.code for e in events] == ["ABC", "DEF"]


def test_crlf_terminator():
    events = ScanFramer("CRLF").feed(b"A\rB\r\nC\r\n")
    assert [e.code for e in events] == ["A\rB", "C"]


def test_non_utf8_bytes_are_reported_and_the_next_code_still_reads():
    events = ScanFramer("CR").feed(b"\xff\xfe\x00garbage\rRF18539007547034\r")
    assert not events[0].ok and "not UTF-8" in events[0].error
    assert events[1].code == "RF18539007547034"


def test_control_characters_are_reported_as_line_noise():
    events = ScanFramer("LF").feed(b"AB\x02CD\n")
    assert not events[0].ok and "control character 0x02" in events[0].error


def test_endless_stream_without_terminator_is_reported_once_and_resynchronises():
    framer = ScanFramer("CR")
    events = framer.feed(b"x" * (MAX_CODE_BYTES + 10))
    assert len(events) == 1 and "terminator" in events[0].error
    assert framer.feed(b"tail of noise\rRF18539007547034\r")[0].code == "RF18539007547034"


def test_idle_gap_framing_without_terminator():
    framer = ScanFramer("NONE")
    assert framer.feed(b"RF1853") == []
    assert framer.feed(b"9007547034") == []
    assert [e.code for e in framer.flush()] == ["RF18539007547034"]


def test_unknown_terminator_name_says_what_is_allowed():
    with pytest.raises(ValueError, match="expected one of CR, LF, CRLF"):
        terminator_bytes("ETX")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=20), st.sampled_from(["CR", "LF", "CRLF", "TAB", "NONE"]))
def test_fuzz_framer_never_raises_and_every_event_is_a_code_or_an_error(chunks, terminator):
    framer = ScanFramer(terminator)
    for chunk in chunks:
        for event in framer.feed(chunk):
            assert (event.code is None) != (event.error is None)
    for event in framer.flush():
        assert (event.code is None) != (event.error is None)
