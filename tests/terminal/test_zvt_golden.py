"""ZVT golden exchanges: complete byte sequences, checked in both directions.

The frames are written from the public spec (PA00P015 commands and BMPs, PA00P016
serial frame: DLE STX, APDU with DLE doubled, DLE ETX, CRC-16/KERMIT low byte first).
Several of them are the exact frames published by the independent ecrterm project's
tests (registration BA/123456, authorisation 110.00 EUR with a doubled DLE, status
enquiry 123456, print line, 80 00 00 and 84 9C 00), which pins our CRC and framing to
someone else's reading of the spec.

For each exchange our cash-register codec (Role.ECR) must produce exactly the ECR's
frames and accept the terminal's; our terminal codec (Role.PT) the other way round;
every frame is answered with the one-byte ACK 06.  Over TCP the same APDUs travel bare.
"""

from __future__ import annotations

import pytest

from protocol.terminal.zvt import (Abort, Ack, Authorisation, Bmps, Completion, Delivered,
                                   EndOfDay, IndividualTotals, IntermediateStatus, Nack,
                                   PrintLine, Registration, Role, State, StatusEnquiry,
                                   StatusInformation, ZvtConnection, encode_message,
                                   frame_apdu)
from tests.terminal.zvt_support import events_of

TID = "52500001"
ACK_FRAME = "10 02 80 00 00 10 03 F5 1F"          # 80 00 00, identical to ecrterm's

REGISTRATION = [
    # 06 00, password 000000, config BE (ECR prints, intermediate status, ECR controls), CC 0978
    ("ECR", "10 02 06 00 06 00 00 00 BE 09 78 10 03 3C AA", Registration()),
    ("PT", ACK_FRAME, Ack()),
    # 06 0F completion: 29 TID, 49 currency
    ("PT", "10 02 06 0F 08 29 52 50 00 01 49 09 78 10 03 9E 84",
     Completion(bmps=Bmps(terminal_id=TID, currency=978))),
    ("ECR", ACK_FRAME, Ack()),
]

APPROVED_PAYMENT = [
    # 06 01: 04 amount 000000001500 (15.00), 49 currency 0978
    ("ECR", "10 02 06 01 0A 04 00 00 00 00 15 00 49 09 78 10 03 A0 74",
     Authorisation(Bmps(amount=1500, currency=978))),
    ("PT", ACK_FRAME, Ack()),
    ("PT", "10 02 04 FF 01 0A 10 03 F5 7D", IntermediateStatus(0x0A)),   # insert card
    ("ECR", ACK_FRAME, Ack()),
    # 04 0F: amount, 0B trace 1, 0C 12:05:01, 0D 11-22, 22 PAN masked with E nibbles,
    # 27 result 00, 29 TID, 49 CC, 87 receipt 1, 88 turnover 1, 8A card type 5, 8B name
    ("PT", "10 02 04 0F 3B 04 00 00 00 00 15 00 0B 00 00 01 0C 12 05 01 0D 11 22 22 F0 F8 "
           "67 25 59 EE EE EE 12 34 27 00 29 52 50 00 01 49 09 78 87 00 01 88 00 00 01 8A 05 "
           "8B F0 F8 67 69 72 6F 63 61 72 64 10 03 BB B5",
     StatusInformation(Bmps(result_code=0, amount=1500, currency=978, trace_no=1,
                            time="120501", date="1122", pan="672559******1234",
                            terminal_id=TID, receipt_no=1, turnover_no=1, card_type=5,
                            card_name="girocard"))),
    ("ECR", ACK_FRAME, Ack()),
    ("PT", "10 02 06 0F 05 29 52 50 00 01 10 03 A2 D8", Completion(bmps=Bmps(terminal_id=TID))),
    ("ECR", ACK_FRAME, Ack()),
]

DECLINED_PAYMENT = [
    ("ECR", "10 02 06 01 0A 04 00 00 00 00 15 00 49 09 78 10 03 A0 74",
     Authorisation(Bmps(amount=1500, currency=978))),
    ("PT", ACK_FRAME, Ack()),
    # result 05; the time 12:06:10 holds a 10 byte, sent doubled
    ("PT", "10 02 04 0F 1C 04 00 00 00 00 15 00 0B 00 00 02 0C 12 06 10 10 0D 11 22 27 05 "
           "29 52 50 00 01 49 09 78 10 03 C6 7B",
     StatusInformation(Bmps(result_code=5, amount=1500, currency=978, trace_no=2,
                            time="120610", date="1122", terminal_id=TID))),
    ("ECR", ACK_FRAME, Ack()),
    ("PT", "10 02 06 1E 01 05 10 03 84 40", Abort(0x05)),
    ("ECR", ACK_FRAME, Ack()),
]

END_OF_DAY = [
    ("ECR", "10 02 06 50 03 00 00 00 10 03 FB 37", EndOfDay()),
    ("PT", ACK_FRAME, Ack()),
    ("PT", "10 02 04 FF 01 0E 10 03 95 1A", IntermediateStatus(0x0E)),   # please wait
    ("ECR", ACK_FRAME, Ack()),
    # total 15.00, trace 3, 60 individual totals (LLLVAR 053): receipts 0001-0001,
    # girocard 1 × 15.00, the six other card slots zero
    ("PT", "10 02 04 0F 55 04 00 00 00 00 15 00 0B 00 00 03 0C 18 00 00 0D 11 22 27 00 29 52 "
           "50 00 01 49 09 78 60 F0 F5 F3 00 01 00 01 01 00 00 00 00 15 00" + " 00" * 42 +
           " 10 03 CF 51",
     StatusInformation(Bmps(result_code=0, amount=1500, currency=978, trace_no=3, time="180000",
                            date="1122", terminal_id=TID,
                            totals=IndividualTotals(1, 1, {"girocard": (1, 1500)}).encode()))),
    ("ECR", ACK_FRAME, Ack()),
    ("PT", "10 02 06 0F 05 29 52 50 00 01 10 03 A2 D8", Completion(bmps=Bmps(terminal_id=TID))),
    ("ECR", ACK_FRAME, Ack()),
]

STATUS_ENQUIRY = [
    ("ECR", "10 02 05 01 03 00 00 00 10 03 DF DB", StatusEnquiry()),
    ("PT", ACK_FRAME, Ack()),
    # completion after status enquiry: software version LLLVAR "SIM1", terminal status 00
    ("PT", "10 02 06 0F 0D F0 F0 F4 53 49 4D 31 00 29 52 50 00 01 10 03 0C 61",
     Completion(sw_version="SIM1", terminal_status=0, bmps=Bmps(terminal_id=TID))),
    ("ECR", ACK_FRAME, Ack()),
]

EXCHANGES = {"registration": REGISTRATION, "approved payment": APPROVED_PAYMENT,
             "declined payment": DECLINED_PAYMENT, "end of day": END_OF_DAY,
             "status enquiry": STATUS_ENQUIRY}


def unframe(frame: bytes) -> bytes:
    """Independent of the codec: strip DLE STX … DLE ETX CRC and undouble DLEs."""
    assert frame[:2] == b"\x10\x02" and frame[-4:-2] == b"\x10\x03"
    return frame[2:-4].replace(b"\x10\x10", b"\x10")


@pytest.mark.parametrize("name", EXCHANGES)
def test_serial_exchange_is_produced_and_accepted_by_both_roles(name):
    ecr, pt = ZvtConnection(Role.ECR, "serial"), ZvtConnection(Role.PT, "serial")
    for sender, frame_hex, message in EXCHANGES[name]:
        frame = bytes.fromhex(frame_hex)
        ours, theirs = (ecr, pt) if sender == "ECR" else (pt, ecr)
        ours.send(message)
        assert ours.data_to_send() == frame, f"{name}: {sender} frame for {message.NAME}"
        assert events_of(theirs, frame) == [message]
        assert theirs.data_to_send() == b"\x06"          # one-byte ACK
        assert events_of(ours, b"\x06") == [Delivered()]
    assert ecr.state is State.IDLE and pt.state is State.IDLE


@pytest.mark.parametrize("name", EXCHANGES)
def test_tcp_exchange_carries_the_same_apdus_bare(name):
    ecr, pt = ZvtConnection(Role.ECR, "tcp"), ZvtConnection(Role.PT, "tcp")
    for sender, frame_hex, message in EXCHANGES[name]:
        apdu = unframe(bytes.fromhex(frame_hex))
        ours, theirs = (ecr, pt) if sender == "ECR" else (pt, ecr)
        ours.send(message)
        assert ours.data_to_send() == apdu
        assert events_of(theirs, apdu) == [message]
        assert theirs.data_to_send() == b""              # no link-level ACK on TCP
    assert ecr.state is State.IDLE and pt.state is State.IDLE


@pytest.mark.parametrize("message, frame_hex", [
    # The frames the independent ecrterm project publishes in its encoding tests.
    (Registration("123456", 0xBA, 978), "10 02 06 00 06 12 34 56 BA 09 78 10 03 24 C3"),
    (Authorisation(Bmps(amount=11000, currency=978)),
     "10 02 06 01 0A 04 00 00 00 01 10 10 00 49 09 78 10 03 F2 FF"),
    (StatusEnquiry("123456"), "10 02 05 01 03 12 34 56 10 03 E0 43"),
    (PrintLine(0, "Gesamt      0       0,00"),
     "10 02 06 D1 19 00 47 65 73 61 6D 74 20 20 20 20 20 20 30 20 20 20 20 20 20 20 30 2C "
     "30 30 10 03 B5 AB"),
    (Ack(), "10 02 80 00 00 10 03 F5 1F"),
    (Nack(0x9C), "10 02 84 9C 00 10 03 C3 41"),
])
def test_frames_match_an_independent_implementation(message, frame_hex):
    assert frame_apdu(encode_message(message)) == bytes.fromhex(frame_hex)
