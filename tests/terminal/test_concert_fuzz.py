"""Bad bytes into the Concert codec, both roles, every waiting state: only the protocol errors.

Each run feeds random or mutated bytes in random chunks and plays the codec's own side
as a well-behaved peer would (ACK what may be ACKed, NAK damage, close what is ours), so
the codec is driven through all of its states.  The properties: nothing but
ProtocolError escapes, every call returns (the number of events is bounded by the
number of bytes fed), and what the codec holds stays under its bounds.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.terminal.concert import (
    ConcertConnection, LocalProtocolError, PaymentAnswer, PaymentRequest, ProtocolError, Role, State, frame,
)
from protocol.terminal.concert import events as ev
from protocol.terminal.concert.connection import MAX_BUFFER
from protocol.terminal.concert.messages import MAX_DATA_LENGTH

ENQ, ACK, NAK, EOT = b"\x05", b"\x06", b"\x15", b"\x04"

REQUEST = frame(PaymentRequest(pos_number=1, amount_minor=105).encode())
FULL = frame(PaymentAnswer(pos_number=1, status="0", amount_minor=108, report="672559******1234",
                           private="AP").encode())
SHORT = frame(PaymentAnswer(pos_number=1, status="7", amount_minor=1250).encode())
# What each role hears in a normal payment: the cash register's view and the terminal's.
HEARD_BY = {
    Role.TERMINAL: ENQ + REQUEST + EOT,
    Role.CASH_REGISTER: ACK + ACK + ENQ + FULL + EOT + ENQ + SHORT + EOT,
}
START_STATES = ["idle", "enq_sent", "frame_sent"]

REPLY = {  # how a well-behaved owner of the connection answers when it is its move
    State.PEER_ENQ: ev.AcceptSession(),
    State.FRAME_RECEIVED: ev.AcceptMessage(),
    State.FRAME_CORRUPT: ev.RejectMessage(),
    State.SENDING: ev.EndSession(),
    State.FRAME_ACKED: ev.EndSession(),
}


def prepared(role: Role, start: str) -> ConcertConnection:
    conn = ConcertConnection(role)
    if start in ("enq_sent", "frame_sent"):
        conn.send(ev.OpenSession())
    if start == "frame_sent":
        conn.receive_data(ACK)
        assert conn.next_event() == ev.SessionAccepted()
        message = (PaymentRequest(pos_number=1, amount_minor=1) if role is Role.CASH_REGISTER
                   else PaymentAnswer(pos_number=1, status="0", amount_minor=1))
        conn.send(ev.SendMessage(message))
    return conn


def drive(conn: ConcertConnection, data: bytes, cuts: list[int]) -> None:
    """Feed `data` in pieces; act as owner; assert bounds.  May raise ProtocolError."""
    pieces, last = [], 0
    for cut in sorted(c % (len(data) + 1) for c in cuts):
        pieces.append(data[last:cut])
        last = cut
    pieces.append(data[last:])
    budget = 4 * len(data) + 20  # every event consumes a byte or needs our move
    for piece in pieces:
        conn.receive_data(piece)
        while True:
            budget -= 1
            assert budget > 0, "the codec produced events without consuming input"
            event = conn.next_event()
            if event is ev.NEED_DATA:
                break
            if event is ev.PAUSED:
                conn.send(REPLY[conn.state])
                continue
            if isinstance(event, ev.MessageRejected) and event.may_retransmit:
                conn.send(ev.Retransmit())
            assert len(conn._buffer) <= MAX_BUFFER
            assert conn._frame is None or len(conn._frame) <= MAX_DATA_LENGTH
        if conn.timer() is not None and conn.state is not State.IDLE and len(piece) % 3 == 0:
            conn.expire()  # now and then the caller's clock runs out in the middle


def mutate(data: bytes, ops: list[tuple[int, int, int]]) -> bytes:
    out = bytearray(data)
    for kind, where, value in ops:
        if not out:
            out.append(value)
            continue
        i = where % len(out)
        if kind == 0:
            out[i] ^= 1 << (value % 8)           # a bit flipped on the line
        elif kind == 1:
            del out[i]                           # a byte lost
        elif kind == 2:
            out.insert(i, value)                 # a byte added
        else:
            out[i:i] = out[i:i + value % 40]     # a stretch repeated
    return bytes(out)


fuzz = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
roles = st.sampled_from(list(Role))
starts = st.sampled_from(START_STATES)
cut_lists = st.lists(st.integers(min_value=0, max_value=10_000), max_size=8)


@fuzz
@given(role=roles, start=starts, data=st.binary(max_size=600), cuts=cut_lists)
def test_random_bytes_raise_only_the_protocol_error(role, start, data, cuts):
    conn = prepared(role, start)
    try:
        drive(conn, data, cuts)
    except ProtocolError as exc:
        assert str(exc)  # says what was wrong
        # the peer's fault puts the connection in ERROR; our own (a reply the
        # test's owner sends out of turn) changes nothing
        assert (conn.state is State.ERROR) is not isinstance(exc, LocalProtocolError)


@fuzz
@given(role=roles, start=starts, cuts=cut_lists,
       ops=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10_000), st.integers(0, 255)),
                    min_size=1, max_size=6),
       repeat=st.integers(1, 3))
def test_mutated_exchanges_raise_only_the_protocol_error(role, start, cuts, ops, repeat):
    conn = prepared(role, start)
    data = mutate(HEARD_BY[role] * repeat, ops)
    try:
        drive(conn, data, cuts)
    except ProtocolError as exc:
        assert str(exc)


@fuzz
@given(data=st.binary(max_size=120))
def test_message_decoders_raise_only_the_protocol_error(data):
    for decode in (PaymentRequest.decode, PaymentAnswer.decode):
        try:
            message = decode(data)
        except ProtocolError:
            continue
        assert message.encode() == data  # what decodes, re-encodes to the same bytes


def test_a_flood_is_refused_not_stored():
    conn = ConcertConnection(Role.TERMINAL)
    conn.receive_data(ENQ)
    assert conn.next_event() == ev.SessionRequested()
    try:
        for _ in range(100):
            conn.receive_data(b"\x02" + b"9" * 99)
    except ProtocolError as exc:
        assert "unread bytes" in str(exc)
    else:
        raise AssertionError("100 frames of flood were all kept")
