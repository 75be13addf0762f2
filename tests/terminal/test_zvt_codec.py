"""ZVT codec behaviour: link-level retransmission, state table, timers, limits, PAN masking."""

from __future__ import annotations

import pytest

from protocol.terminal.zvt import (Ack, Authorisation, Bmps, Completion, CorruptFrame, Nack,
                                   Delivered, DeliveryFailed, FrameRejected, IntermediateStatus,
                                   PrintTextBlock, Role, State, StatusInformation,
                                   ZvtConnection, ZvtProtocolError, decode_apdu,
                                   encode_message, frame_apdu)
from protocol.terminal.zvt.encoding import crc16_kermit
from protocol.terminal.zvt.framing import MAX_RETRANSMISSIONS
from protocol.terminal.zvt.messages import MAX_APDU_DATA, encode_apdu

PAY = Authorisation(Bmps(amount=1500, currency=978))


def test_crc_is_kermit():
    assert crc16_kermit(b"123456789") == 0x2189   # the catalogued check value


def test_nak_repeats_the_frame_at_most_three_times_then_reports_failure():
    ecr = ZvtConnection(Role.ECR, "serial")
    ecr.send(PAY)
    frame = ecr.data_to_send()
    for attempt in range(1, MAX_RETRANSMISSIONS + 1):
        assert ecr.receive_data(b"\x15") == [FrameRejected(attempt)]
        assert ecr.data_to_send() == frame
    events = ecr.receive_data(b"\x15")
    assert isinstance(events[0], DeliveryFailed)
    assert ecr.data_to_send() == b""                       # nothing more is sent
    assert not ecr.framer.awaiting_ack


def test_corrupt_frame_is_naked_and_the_repetition_accepted():
    pt = ZvtConnection(Role.PT, "serial")
    frame = bytearray(frame_apdu(encode_message(PAY)))
    bad = bytes(frame[:-1]) + bytes([frame[-1] ^ 0xFF])
    events = pt.receive_data(bad)
    assert isinstance(events[0], CorruptFrame) and pt.data_to_send() == b"\x15"
    assert pt.state is State.IDLE                          # a bad frame changes nothing
    assert pt.receive_data(bytes(frame)) == [PAY] and pt.data_to_send() == b"\x06"


def test_frames_wait_for_the_previous_ack():
    pt = ZvtConnection(Role.PT, "serial")
    pt.receive_data(frame_apdu(encode_message(PAY)))
    pt.data_to_send()
    pt.send(Ack())
    pt.send(IntermediateStatus(0x0A))
    first = pt.data_to_send()
    assert first == frame_apdu(encode_message(Ack()))       # only one frame in flight
    assert pt.receive_data(b"\x06") == [Delivered()]
    assert pt.data_to_send() == frame_apdu(encode_message(IntermediateStatus(0x0A)))


def test_state_table_refuses_out_of_turn_messages():
    ecr = ZvtConnection(Role.ECR, "tcp")
    with pytest.raises(ZvtProtocolError, match="may not send"):
        ecr.send(Ack())                                    # nothing to acknowledge
    ecr.send(PAY)
    with pytest.raises(ZvtProtocolError, match="may not send"):
        ecr.send(PAY)                                      # a second command before the answer
    with pytest.raises(ZvtProtocolError):
        ecr.receive_data(encode_message(StatusInformation(Bmps(result_code=0))))  # before 80 00


def test_t4_runs_while_the_terminal_works_and_an_intermediate_status_can_extend_it():
    ecr = ZvtConnection(Role.ECR, "tcp", t3_s=5, t4_s=20)
    ecr.send(PAY)
    ecr.data_to_send()
    assert ecr.timer().name == "T3"
    ecr.receive_data(encode_message(Ack()))
    assert ecr.timer().name == "T4" and ecr.timer().seconds == 20
    ecr.receive_data(encode_message(IntermediateStatus(0x01, timeout_s=90)))
    assert ecr.timer() is None                             # our turn: acknowledge
    ecr.send(Ack())
    assert ecr.timer().name == "T4" and ecr.timer().seconds == 90
    ecr.receive_data(encode_message(Completion()))
    ecr.send(Ack())
    assert ecr.state is State.IDLE and ecr.timer() is None


def test_tcp_reassembles_an_answer_split_into_single_bytes():
    ecr = ZvtConnection(Role.ECR, "tcp")
    ecr.send(PAY)
    ecr.receive_data(encode_message(Ack()))
    wire = encode_message(PrintTextBlock([f"line {i}" for i in range(60)], 2))
    assert wire[2] == 0xFF                                 # long enough for extended length
    events = []
    for byte in wire:
        events += ecr.receive_data(bytes([byte]))
    assert events == [PrintTextBlock([f"line {i}" for i in range(60)], 2)]


def test_extended_length_roundtrip_and_limit():
    data = bytes(300)
    apdu = encode_apdu(0x06, 0xD1, data)
    assert apdu[2:5] == bytes([0xFF, 300 & 0xFF, 300 >> 8])
    with pytest.raises(ZvtProtocolError):
        encode_apdu(0x06, 0xD1, bytes(MAX_APDU_DATA + 1))
    ecr = ZvtConnection(Role.ECR, "tcp")
    with pytest.raises(ZvtProtocolError, match="limit"):
        ecr.receive_data(bytes([0x04, 0x0F, 0xFF, 0xFF, 0xFF]))   # announces 65535 bytes


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
    ecr.receive_data(encode_message(Ack()))
    display = bytes([0x06, 0xE0, 0x03, 0xF1, 0xF1, 0x41])     # 06 E0 display text while paying
    (event,) = ecr.receive_data(display)
    assert (event.cls_, event.instr) == (0x06, 0xE0) and ecr.timer() is None
    ecr.send(Ack())
    assert ecr.state is State.PT_ACTIVE
    pt = ZvtConnection(Role.PT, "tcp")
    (diagnosis,) = pt.receive_data(bytes([0x06, 0x70, 0x00]))
    assert pt.state is State.AWAIT_COMMAND_ACK
    pt.send(Nack(0x83))
    assert pt.state is State.IDLE
