"""The Concert V2/E+ codec in both roles: golden frames, the session table, retransmission, timers.

Golden frames are written out byte by byte here (from the field layout in
protocol/terminal/concert/messages.py) and their LRC is re-computed in this file with a
plain XOR, so a wrong codec cannot agree with itself.
"""

from __future__ import annotations

from functools import reduce

import pytest

from protocol.terminal.concert import (
    MAX_FRAME_ATTEMPTS, AnswerFlag, ConcertConnection, Delay, LocalProtocolError, PaymentAnswer,
    PaymentRequest, ProtocolError, RemoteProtocolError, Role, State, TransactionType, mask_card_number,
)
from protocol.terminal.concert import events as ev
from protocol.terminal.concert.connection import MAX_BUFFER
from protocol.terminal.concert.messages import CONTROL_NAMES
from protocol.terminal.concert.states import PEER_MOVES, Arrival

STX, ETX, EOT, ENQ, ACK, NAK = b"\x02", b"\x03", b"\x04", b"\x05", b"\x06", b"\x15"

# 12.50 EUR debit from POS 01, full answer wanted, card, answer at the end, terminal decides.
REQUEST_1250 = b"\x02" + b"01" b"00001250" b"1" b"1" b"0" b"978" b"          " b"A010" b"B010" + b"\x03\x01"
# 1.05 EUR: the LRC is 0x03, the same byte as ETX.
REQUEST_LRC_ETX = b"\x02" + b"0100000105110978          A010B010" + b"\x03\x03"
# Full (E+) answer, success, 1.08 EUR, private "AP": the LRC is 0x03 (ETX).
ANSWER_LRC_ETX = (b"\x02" + b"01" b"0" b"00000108" b"1" + b"672559******1234".ljust(55)
                  + b"978" b"AP        " + b"\x03\x03")
# Same with status 7: the LRC is 0x04 (EOT).
ANSWER_LRC_EOT = (b"\x02" + b"01" b"7" b"00000108" b"1" + b"672559******1234".ljust(55)
                  + b"978" b"AP        " + b"\x03\x04")
# Short answer, refused, 12.50 EUR.
SHORT_ANSWER_REFUSED = b"\x02" + b"01" b"7" b"00001250" b"1" b"978" b"          " + b"\x03"


def xor_lrc(frame_without_lrc: bytes) -> int:
    return reduce(lambda a, b: a ^ b, frame_without_lrc[1:], 0)  # after STX, ETX included


def with_lrc(frame_without_lrc: bytes) -> bytes:
    return frame_without_lrc + bytes([xor_lrc(frame_without_lrc)])


def events(conn: ConcertConnection, data: bytes, *, byte_by_byte: bool = False) -> list:
    out = []
    chunks = [data[i:i + 1] for i in range(len(data))] if byte_by_byte else [data]
    for chunk in chunks:
        conn.receive_data(chunk)
        while True:
            event = conn.next_event()
            if event is ev.NEED_DATA or event is ev.PAUSED:
                break
            out.append(event)
    return out


def test_golden_frames_carry_the_xor_lrc_and_control_byte_lrcs():
    for golden in (REQUEST_1250, REQUEST_LRC_ETX, ANSWER_LRC_ETX, ANSWER_LRC_EOT):
        assert golden[-1] == xor_lrc(golden[:-1])
    assert REQUEST_LRC_ETX[-1:] == ETX and ANSWER_LRC_ETX[-1:] == ETX and ANSWER_LRC_EOT[-1:] == EOT


def test_cash_register_produces_the_golden_request():
    till = ConcertConnection(Role.CASH_REGISTER)
    assert till.send(ev.OpenSession()) == ENQ
    assert events(till, ACK) == [ev.SessionAccepted()]
    assert till.send(ev.SendMessage(PaymentRequest(pos_number=1, amount_minor=1250))) == REQUEST_1250
    assert till.state is State.FRAME_SENT


@pytest.mark.parametrize("byte_by_byte", [False, True])
def test_terminal_reads_a_request_whose_lrc_equals_etx_by_position(byte_by_byte):
    terminal = ConcertConnection(Role.TERMINAL)
    assert events(terminal, ENQ) == [ev.SessionRequested()]
    terminal.send(ev.AcceptSession())
    got = events(terminal, REQUEST_LRC_ETX, byte_by_byte=byte_by_byte)
    assert len(got) == 1 and isinstance(got[0], ev.MessageReceived)
    request = got[0].message
    assert (request.pos_number, request.amount_minor, request.type, request.currency) == (
        1, 105, TransactionType.DEBIT, "978")
    assert request.answer_flag is AnswerFlag.FULL and request.delay is Delay.END_OF_TRANSACTION
    terminal.send(ev.AcceptMessage())
    assert events(terminal, EOT) == [ev.SessionEnded()]
    assert terminal.state is State.IDLE


@pytest.mark.parametrize("golden,status", [(ANSWER_LRC_ETX, "0"), (ANSWER_LRC_EOT, "7")])
def test_cash_register_reads_answers_whose_lrc_looks_like_etx_or_eot(golden, status):
    till = ConcertConnection(Role.CASH_REGISTER)
    events(till, ENQ)
    till.send(ev.AcceptSession())
    # The LRC byte (ETX / EOT) and the real EOT that follows arrive in one read.
    got = events(till, golden + EOT, byte_by_byte=False)
    assert isinstance(got[0], ev.MessageReceived) and len(got) == 1  # EOT waits: our ACK first
    answer = got[0].message
    assert (answer.status, answer.amount_minor, answer.private, answer.full) == (status, 108, "AP        ", True)
    assert answer.report.startswith("672559******1234 ")
    till.send(ev.AcceptMessage())
    assert events(till, b"") == [ev.SessionEnded()]


def test_short_answer_decodes_and_reencodes_identically():
    golden = with_lrc(SHORT_ANSWER_REFUSED)
    till = ConcertConnection(Role.CASH_REGISTER)
    events(till, ENQ)
    till.send(ev.AcceptSession())
    (received,) = events(till, golden)
    answer = received.message
    assert (answer.status, answer.amount_minor, answer.full, answer.approved) == ("7", 1250, False, False)
    terminal = ConcertConnection(Role.TERMINAL)
    terminal.send(ev.OpenSession())
    events(terminal, ACK)
    assert terminal.send(ev.SendMessage(answer)) == golden


def test_full_payment_exchange_between_both_roles_is_the_golden_byte_sequence():
    till, terminal = ConcertConnection(Role.CASH_REGISTER), ConcertConnection(Role.TERMINAL)
    wire: list[bytes] = []

    def say(conn, other, command):
        data = conn.send(command)
        wire.append(data)
        return events(other, data)

    assert say(till, terminal, ev.OpenSession()) == [ev.SessionRequested()]
    assert say(terminal, till, ev.AcceptSession()) == [ev.SessionAccepted()]
    (req,) = say(till, terminal, ev.SendMessage(PaymentRequest(pos_number=1, amount_minor=1250)))
    assert say(terminal, till, ev.AcceptMessage()) == [ev.MessageAccepted()]
    assert say(till, terminal, ev.EndSession()) == [ev.SessionEnded()]
    assert say(terminal, till, ev.OpenSession()) == [ev.SessionRequested()]
    assert say(till, terminal, ev.AcceptSession()) == [ev.SessionAccepted()]
    answer = PaymentAnswer(pos_number=1, status="0", amount_minor=1250, report="672559******1234")
    (ans,) = say(terminal, till, ev.SendMessage(answer))
    assert say(till, terminal, ev.AcceptMessage()) == [ev.MessageAccepted()]
    assert say(terminal, till, ev.EndSession()) == [ev.SessionEnded()]
    full_answer = with_lrc(b"\x02" + b"01" b"0" b"00001250" b"1" + b"672559******1234".ljust(55)
                           + b"978" + b" " * 10 + b"\x03")
    assert wire == [ENQ, ACK, REQUEST_1250, ACK, EOT, ENQ, ACK, full_answer, ACK, EOT]
    assert req.message.amount_minor == 1250 and ans.message == answer
    assert till.state is State.IDLE and terminal.state is State.IDLE


def test_nak_leads_to_bounded_retransmission_of_the_same_frame():
    till = ConcertConnection(Role.CASH_REGISTER)
    till.send(ev.OpenSession())
    events(till, ACK)
    first = till.send(ev.SendMessage(PaymentRequest(pos_number=1, amount_minor=990)))
    for attempt in range(1, MAX_FRAME_ATTEMPTS + 1):
        (rejected,) = events(till, NAK)
        assert rejected == ev.MessageRejected(attempt, attempt < MAX_FRAME_ATTEMPTS)
        if rejected.may_retransmit:
            assert till.send(ev.Retransmit()) == first
    with pytest.raises(LocalProtocolError, match="no retransmission left"):
        till.send(ev.Retransmit())
    assert till.send(ev.EndSession()) == EOT and till.state is State.IDLE


def test_damaged_frame_is_refused_and_the_retransmission_accepted():
    terminal = ConcertConnection(Role.TERMINAL)
    events(terminal, ENQ)
    terminal.send(ev.AcceptSession())
    damaged = REQUEST_1250[:-1] + bytes([REQUEST_1250[-1] ^ 0x40])
    (corrupt,) = events(terminal, damaged)
    assert isinstance(corrupt, ev.FrameCorrupt) and "LRC" in corrupt.reason
    assert terminal.next_event() is ev.PAUSED
    assert terminal.send(ev.RejectMessage()) == NAK
    (good,) = events(terminal, REQUEST_1250)
    assert isinstance(good, ev.MessageReceived) and not good.duplicate


def test_control_byte_inside_data_and_missing_etx_are_damage_not_crashes():
    terminal = ConcertConnection(Role.TERMINAL)
    events(terminal, ENQ)
    terminal.send(ev.AcceptSession())
    inner = REQUEST_1250[:5] + b"\x10" + REQUEST_1250[6:]
    (corrupt,) = events(terminal, inner)
    assert isinstance(corrupt, ev.FrameCorrupt) and "0x10" in corrupt.reason
    terminal.send(ev.RejectMessage())
    (too_long,) = events(terminal, STX + b"1" * 81)
    assert isinstance(too_long, ev.FrameCorrupt) and "no ETX" in too_long.reason


def test_a_repeat_of_an_acknowledged_request_is_marked_duplicate():
    terminal = ConcertConnection(Role.TERMINAL)
    events(terminal, ENQ)
    terminal.send(ev.AcceptSession())
    (first,) = events(terminal, REQUEST_1250)
    terminal.send(ev.AcceptMessage())
    (again,) = events(terminal, REQUEST_1250)  # our ACK was lost, the till sends again
    assert not first.duplicate and again.duplicate


def test_collision_the_terminals_answer_has_priority():
    till, terminal = ConcertConnection(Role.CASH_REGISTER), ConcertConnection(Role.TERMINAL)
    till.send(ev.OpenSession())
    terminal.send(ev.OpenSession())
    assert events(till, ENQ) == [ev.SessionRequested()]       # the till yields
    (noise,) = events(terminal, ENQ)                           # the terminal keeps waiting
    assert isinstance(noise, ev.LineNoise) and terminal.state is State.ENQ_SENT


def test_commands_out_of_turn_or_role_are_refused():
    till = ConcertConnection(Role.CASH_REGISTER)
    with pytest.raises(LocalProtocolError, match="cannot SendMessage in state IDLE"):
        till.send(ev.SendMessage(PaymentRequest(pos_number=1, amount_minor=1)))
    terminal = ConcertConnection(Role.TERMINAL)
    terminal.send(ev.OpenSession())
    events(terminal, ACK)
    with pytest.raises(LocalProtocolError, match="terminal sends PaymentAnswer"):
        terminal.send(ev.SendMessage(PaymentRequest(pos_number=1, amount_minor=1)))


def test_intact_frame_that_is_not_concert_v2_is_the_peers_error_and_stops_the_connection():
    terminal = ConcertConnection(Role.TERMINAL)
    events(terminal, ENQ)
    terminal.send(ev.AcceptSession())
    v3_like = with_lrc(STX + b"CZ0040320CA0011CB0042500" + ETX)
    with pytest.raises(RemoteProtocolError, match="34 characters.*Concert V2"):
        events(terminal, v3_like)
    assert terminal.state is State.ERROR
    with pytest.raises(RemoteProtocolError, match="in ERROR .*34 characters.*fresh one"):
        terminal.next_event()
    with pytest.raises(LocalProtocolError, match="in ERROR"):
        terminal.send(ev.RejectMessage())
    terminal.reset()
    assert events(terminal, ENQ) == [ev.SessionRequested()]


def test_timers_are_data_and_expiry_returns_to_idle():
    till = ConcertConnection(Role.CASH_REGISTER)
    assert till.timer() is None
    till.send(ev.OpenSession())
    assert till.timer().name == "T_ACK" and till.timer().seconds == 3.0
    assert till.expire() == ev.TimedOut("T_ACK", "ENQ_SENT")
    assert till.state is State.IDLE
    with pytest.raises(LocalProtocolError, match="no timer"):
        till.expire()
    events(till, ENQ)
    till.send(ev.AcceptSession())
    events(till, REQUEST_1250[:10])  # half a frame, then the cable is pulled
    assert till.frame_in_progress and till.timer().name == "T_FRAME"
    till.expire()
    assert not till.frame_in_progress and till.state is State.IDLE


def test_noise_outside_a_session_is_reported_once_and_ignored():
    terminal = ConcertConnection(Role.TERMINAL)
    got = events(terminal, b"\x00\xffgarbage" + EOT + ENQ)
    assert isinstance(got[0], ev.LineNoise) and got[0].data == b"\x00\xffgarbage" + EOT
    assert got[1] == ev.SessionRequested() and len(got) == 2


def test_unread_bytes_are_bounded():
    terminal = ConcertConnection(Role.TERMINAL)
    events(terminal, ENQ)  # our move now: further bytes wait
    terminal.receive_data(b"x" * (MAX_BUFFER - 10))
    with pytest.raises(RemoteProtocolError, match="unread bytes"):
        terminal.receive_data(b"x" * 20)


@pytest.mark.parametrize("data,match", [
    (b"01000012501109780000000000A010B010", None),
    (b"0100001250110978          A012B010", "delay 'A012'"),
    (b"01000012501109780         A010B011", None),
    (b"01000O1250110978          A010B010", "amount must be 8 digits"),
    (b"0100001250310978          A010B010", "answer_flag '3'"),
    (b"0100001250110978          A010B01", "34 characters"),
])
def test_request_field_checks(data, match):
    if match is None:
        assert PaymentRequest.decode(data).encode() == data
    else:
        with pytest.raises(ProtocolError, match=match):
            PaymentRequest.decode(data)


def test_messages_refuse_values_the_fields_cannot_carry():
    with pytest.raises(ProtocolError, match="amount"):
        PaymentRequest(pos_number=1, amount_minor=100_000_000)
    with pytest.raises(ProtocolError, match="POS number"):
        PaymentRequest(pos_number=100, amount_minor=1)
    with pytest.raises(ProtocolError, match="private"):
        PaymentRequest(pos_number=1, amount_minor=1, private="x" * 11)
    with pytest.raises(ProtocolError, match="status"):
        PaymentAnswer(pos_number=1, status="A", amount_minor=1)


def test_card_numbers_are_masked_to_the_last_four_digits():
    assert mask_card_number("4970101234567890 0512") == "************7890"
    assert mask_card_number("672559******1234".ljust(55)) == "************1234"
    assert mask_card_number(" " * 55) == ""


def _in_state(role: Role, state: State) -> ConcertConnection:
    """A connection brought to `state` by a normal exchange."""
    conn = ConcertConnection(role)
    mine = (PaymentRequest(pos_number=1, amount_minor=1250) if role is Role.CASH_REGISTER
            else PaymentAnswer(pos_number=1, status="0", amount_minor=1250))
    if state in (State.ENQ_SENT, State.FRAME_SENT):
        conn.send(ev.OpenSession())
    if state is State.FRAME_SENT:
        events(conn, ACK)
        conn.send(ev.SendMessage(mine))
    if state in (State.RECEIVING, State.AWAIT_EOT):
        events(conn, ENQ)
        conn.send(ev.AcceptSession())
    if state is State.AWAIT_EOT:
        events(conn, _theirs(role))
        conn.send(ev.AcceptMessage())
    assert conn.state is state
    return conn


def _theirs(role: Role) -> bytes:
    return REQUEST_1250 if role is Role.TERMINAL else SHORT_ANSWER_REFUSED + bytes(
        [xor_lrc(SHORT_ANSWER_REFUSED)])


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("state", [State.IDLE, State.ENQ_SENT, State.FRAME_SENT,
                                   State.RECEIVING, State.AWAIT_EOT])
def test_every_byte_in_every_waiting_state_does_what_peer_moves_says(role, state):
    table = PEER_MOVES[role]
    arrivals = {b: Arrival[name] for b, name in CONTROL_NAMES.items() if name in Arrival.__members__}
    for byte in range(256):
        if byte == STX[0]:
            wire = {Arrival.FRAME: _theirs(role),
                    Arrival.BAD_FRAME: _theirs(role)[:-1] + bytes([_theirs(role)[-1] ^ 0x01])}
        else:
            wire = {arrivals.get(byte): bytes([byte])}
        for arrival, data in wire.items():
            conn = _in_state(role, state)
            got = events(conn, data)
            if (state, arrival) not in table:
                assert all(isinstance(e, ev.LineNoise) for e in got) and conn.state is state, \
                    f"{data!r} in {state.value}"
                continue
            event, target = table[(state, arrival)]
            kind = event if isinstance(event, type) else type(event)
            assert [type(e) for e in got] == [kind] and conn.state is target, f"{arrival} in {state.value}"
            if not isinstance(event, type):
                assert got == [event]
