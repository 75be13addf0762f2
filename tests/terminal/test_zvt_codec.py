"""ZVT codec behaviour: link-level retransmission, state table, errors, timers, limits, PAN masking."""

from __future__ import annotations

import pytest

from protocol.terminal.zvt import (PAUSED, Ack, Authorisation, Bmps, Completion, CorruptFrame,
                                   Delivered, DeliveryFailed, FrameRejected, IntermediateStatus,
                                   LocalProtocolError, Nack, PrintTextBlock, ProtocolError,
                                   Registration, RemoteProtocolError, Role, State,
                                   StatusInformation, ZvtConnection, decode_apdu,
                                   encode_message, frame_apdu)
from protocol.terminal.zvt.encoding import crc16_kermit
from protocol.terminal.zvt.framing import MAX_RETRANSMISSIONS
from protocol.terminal.zvt.messages import MAX_APDU_DATA, encode_apdu
from tests.terminal.zvt_support import events_of

PAY = Authorisation(Bmps(amount=1500, currency=978))


def test_crc_is_kermit():
    assert crc16_kermit(b"123456789") == 0x2189   # the catalogued check value


def test_nak_repeats_the_frame_at_most_three_times_then_reports_failure():
    ecr = ZvtConnection(Role.ECR, "serial")
    ecr.send(PAY)
    frame = ecr.data_to_send()
    for attempt in range(1, MAX_RETRANSMISSIONS + 1):
        assert events_of(ecr, b"\x15") == [FrameRejected(attempt)]
        assert ecr.data_to_send() == frame
    events = events_of(ecr, b"\x15")
    assert isinstance(events[0], DeliveryFailed)
    assert ecr.data_to_send() == b""                       # nothing more is sent
    assert not ecr.framer.awaiting_ack


def test_corrupt_frame_is_naked_and_the_repetition_accepted():
    pt = ZvtConnection(Role.PT, "serial")
    frame = bytearray(frame_apdu(encode_message(PAY)))
    bad = bytes(frame[:-1]) + bytes([frame[-1] ^ 0xFF])
    events = events_of(pt, bad)
    assert isinstance(events[0], CorruptFrame) and pt.data_to_send() == b"\x15"
    assert pt.state is State.IDLE                          # a bad frame changes nothing
    assert events_of(pt, bytes(frame)) == [PAY] and pt.data_to_send() == b"\x06"


def test_frames_wait_for_the_previous_ack():
    pt = ZvtConnection(Role.PT, "serial")
    events_of(pt, frame_apdu(encode_message(PAY)))
    pt.data_to_send()
    pt.send(Ack())
    pt.send(IntermediateStatus(0x0A))
    first = pt.data_to_send()
    assert first == frame_apdu(encode_message(Ack()))       # only one frame in flight
    assert events_of(pt, b"\x06") == [Delivered()]
    assert pt.data_to_send() == frame_apdu(encode_message(IntermediateStatus(0x0A)))


def test_state_table_refuses_out_of_turn_messages_ours_locally_the_peers_remotely():
    ecr = ZvtConnection(Role.ECR, "tcp")
    with pytest.raises(LocalProtocolError, match="may not send"):
        ecr.send(Ack())                                    # nothing to acknowledge
    ecr.send(PAY)
    with pytest.raises(LocalProtocolError, match="may not send"):
        ecr.send(PAY)                                      # a second command before the answer
    assert ecr.state is State.AWAIT_COMMAND_ACK            # our misuse changed nothing
    with pytest.raises(RemoteProtocolError, match="terminal broke the protocol: PT may not send"):
        events_of(ecr, encode_message(StatusInformation(Bmps(result_code=0))))  # before 80 00
    assert ecr.state is State.ERROR


def test_t4_runs_while_the_terminal_works_and_an_intermediate_status_can_extend_it():
    ecr = ZvtConnection(Role.ECR, "tcp", t3_s=5, t4_s=20)
    ecr.send(PAY)
    ecr.data_to_send()
    assert ecr.timer().name == "T3"
    events_of(ecr, encode_message(Ack()))
    assert ecr.timer().name == "T4" and ecr.timer().seconds == 20
    events_of(ecr, encode_message(IntermediateStatus(0x01, timeout_s=90)))
    assert ecr.timer() is None                             # our turn: acknowledge
    ecr.send(Ack())
    assert ecr.timer().name == "T4" and ecr.timer().seconds == 90
    events_of(ecr, encode_message(Completion()))
    ecr.send(Ack())
    assert ecr.state is State.IDLE and ecr.timer() is None


def test_tcp_reassembles_an_answer_split_into_single_bytes():
    ecr = ZvtConnection(Role.ECR, "tcp")
    ecr.send(PAY)
    events_of(ecr, encode_message(Ack()))
    wire = encode_message(PrintTextBlock([f"line {i}" for i in range(60)], 2))
    assert wire[2] == 0xFF                                 # long enough for extended length
    events = []
    for byte in wire:
        events += events_of(ecr, bytes([byte]))
    assert events == [PrintTextBlock([f"line {i}" for i in range(60)], 2)]


def test_extended_length_roundtrip_and_limit():
    data = bytes(300)
    apdu = encode_apdu(0x06, 0xD1, data)
    assert apdu[2:5] == bytes([0xFF, 300 & 0xFF, 300 >> 8])
    with pytest.raises(ProtocolError):
        encode_apdu(0x06, 0xD1, bytes(MAX_APDU_DATA + 1))
    ecr = ZvtConnection(Role.ECR, "tcp")
    with pytest.raises(RemoteProtocolError, match="limit"):
        events_of(ecr, bytes([0x04, 0x0F, 0xFF, 0xFF, 0xFF]))   # announces 65535 bytes


def test_a_full_card_number_from_the_terminal_is_masked_on_decoding():
    info = StatusInformation(Bmps(result_code=0, pan="4761739001010010"))
    wire = encode_message(info)
    assert b"\x90\x01\x01" not in wire                      # not even on our own wire
    body = bytes.fromhex("22f0f8" "4761739001010010" "2700")   # a terminal sending it in clear
    decoded = decode_apdu(bytes([0x04, 0x0F, len(body)]) + body)
    assert decoded.bmps.pan == "476173******0010"


def test_track_data_is_skipped_not_kept():
    # 23 track 2 (LLVAR) then 27 result: the track is consumed, never stored
    track = bytes.fromhex("4761739001010010d28120")  # 11 bytes
    body = bytes([0x23, 0xF1, 0xF1]) + track + bytes([0x27, 0x00])
    msg = decode_apdu(bytes([0x04, 0x0F, len(body)]) + body)
    assert msg.bmps.result_code == 0                       # parsing went on after the track
    kept = [v for v in vars(msg.bmps).values() if isinstance(v, (bytes, str))]
    assert not any(track in (v if isinstance(v, bytes) else v.encode()) for v in kept)


def test_commands_we_do_not_model_keep_the_master_slave_rule():
    ecr = ZvtConnection(Role.ECR, "tcp")
    ecr.send(PAY)
    events_of(ecr, encode_message(Ack()))
    display = bytes([0x06, 0xE0, 0x03, 0xF1, 0xF1, 0x41])     # 06 E0 display text while paying
    (event,) = events_of(ecr, display)
    assert (event.cls_, event.instr) == (0x06, 0xE0) and ecr.timer() is None
    ecr.send(Ack())
    assert ecr.state is State.PT_ACTIVE
    pt = ZvtConnection(Role.PT, "tcp")
    (diagnosis,) = events_of(pt, bytes([0x06, 0x70, 0x00]))
    assert pt.state is State.AWAIT_COMMAND_ACK
    pt.send(Nack(0x83))
    assert pt.state is State.IDLE


MALFORMED_PRINT_LINE = bytes([0x06, 0xD1, 0x00])           # 06 D1 without its attribute byte
APPROVED = StatusInformation(Bmps(result_code=0, amount=1500, receipt_no=7, trace_no=42))


@pytest.mark.parametrize("transport", ["tcp", "serial"])
def test_status_information_then_a_malformed_print_line_in_one_read(transport):
    ecr = ZvtConnection(Role.ECR, transport)
    ecr.send(PAY)
    wire = (lambda apdu: frame_apdu(apdu)) if transport == "serial" else (lambda apdu: apdu)
    events_of(ecr, (b"\x06" if transport == "serial" else b"") + wire(encode_message(Ack())))
    ecr.receive_data(wire(encode_message(APPROVED)) + wire(MALFORMED_PRINT_LINE))
    assert ecr.next_event() == APPROVED                      # the result comes out first
    assert ecr.next_event() is PAUSED                        # and is ours to acknowledge
    ecr.send(Ack())
    with pytest.raises(RemoteProtocolError, match="print line without its attribute byte"):
        ecr.next_event()
    assert ecr.state is State.ERROR and "print line" in ecr.error
    with pytest.raises(RemoteProtocolError, match="in ERROR .*print line"):
        ecr.next_event()                                     # and it says so, every time
    with pytest.raises(RemoteProtocolError, match="in ERROR"):
        ecr.receive_data(b"\x80\x00\x00")
    with pytest.raises(LocalProtocolError, match="in ERROR"):
        ecr.send(Ack())
    assert ecr.timer() is None and ecr.in_financial_command  # which command broke is kept
    ecr.reset()
    assert ecr.state is State.IDLE and events_of(ecr) == []


def test_events_before_bytes_the_framer_refuses_come_out_before_the_error():
    ecr = ZvtConnection(Role.ECR, "tcp")
    ecr.send(PAY)
    ecr.receive_data(encode_message(Ack()) + bytes([0x04, 0x0F, 0xFF, 0xFF, 0xFF]))
    assert ecr.next_event() == Ack()
    with pytest.raises(RemoteProtocolError, match="limit"):
        ecr.next_event()
    assert ecr.state is State.ERROR


def test_a_message_we_cannot_encode_is_our_error_and_changes_nothing():
    ecr = ZvtConnection(Role.ECR, "tcp")
    with pytest.raises(LocalProtocolError, match="password must be 6 digits"):
        ecr.send(Registration("12"))
    assert ecr.state is State.IDLE and ecr.command is None and ecr.data_to_send() == b""
