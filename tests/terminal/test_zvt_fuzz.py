"""Bad bytes into the ZVT codec, both roles, both transports: only RemoteProtocolError, bounded.

Random bytes and mutated real frames (from the golden exchanges) are fed in arbitrary
pieces and their events taken.  The codec may report corrupt frames, raise
`RemoteProtocolError` (and then be in ERROR), or decode something; it must never raise
anything else, never hang (hypothesis' deadline), and never buffer more than its named
limits.
"""

from __future__ import annotations

from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.terminal.zvt import RemoteProtocolError, Role, State, ZvtConnection
from protocol.terminal.zvt.framing import MAX_FRAME_CONTENT
from protocol.terminal.zvt.messages import MAX_APDU_DATA
from tests.terminal.test_zvt_golden import EXCHANGES, unframe
from tests.terminal.zvt_support import events_of

FRAMES = [bytes.fromhex(h) for ex in EXCHANGES.values() for _, h, _ in ex]
APDUS = [unframe(f) for f in FRAMES]
FUZZ = settings(max_examples=300, deadline=2000,
                suppress_health_check=[HealthCheck.too_slow])


def _mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    out = bytearray(data)
    for kind, pos, value in edits:
        if not out:
            out.append(value)
            continue
        pos %= len(out)
        if kind == 0:
            out[pos] = value
        elif kind == 1:
            out.insert(pos, value)
        else:
            del out[pos]
    return bytes(out)


edits = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10_000), st.integers(0, 255)),
                 max_size=6)


def _feed(conn: ZvtConnection, data: bytes, cuts: list[int]) -> None:
    """Feed in pieces; after a protocol error the caller would reset, so do we."""
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    for a, b in pairwise(points):
        try:
            events_of(conn, data[a:b])
        except RemoteProtocolError as exc:
            assert conn.state is State.ERROR and str(exc)
            conn.reset()
        conn.data_to_send()
        framer = conn.framer
        buffered = len(getattr(framer, "_frame", b"")) + len(getattr(framer, "_buffer", b""))
        assert buffered <= max(MAX_FRAME_CONTENT, MAX_APDU_DATA + 5) + 1


def _connections():
    return [ZvtConnection(role, transport) for role in Role for transport in ("serial", "tcp")]


@FUZZ
@given(st.binary(max_size=2048), st.lists(st.integers(0, 4096), max_size=8))
def test_random_bytes_raise_only_the_protocol_error(data, cuts):
    for conn in _connections():
        _feed(conn, data, cuts)


@FUZZ
@given(st.sampled_from(range(len(FRAMES))), edits, st.lists(st.integers(0, 300), max_size=5))
def test_mutated_frames_raise_only_the_protocol_error(index, changes, cuts):
    for conn in _connections():
        wire = FRAMES[index] if conn.transport == "serial" else APDUS[index]
        _feed(conn, _mutate(wire, changes), cuts)


@settings(max_examples=20, deadline=5000)
@given(st.integers(0, 255))
def test_endless_noise_is_bounded(byte):
    # A megabyte of one repeated byte: either ignored, NAKed or refused, never hoarded.
    for conn in _connections():
        _feed(conn, bytes([byte]) * 200_000, list(range(0, 200_000, 4096)))
