"""The self-service lookup and its links in process, on SQLite and PostgreSQL: typed input of
any shape never breaks it, links survive no tampering, and an unknown notice and a wrong id
take comparable time (no timing oracle)."""

from __future__ import annotations

import datetime as dt
import statistics
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.selfservice import links, throttle
from hub.selfservice.lookup import compact, find_position
from tests.hub.selfservice_support import FISCAL_CODE, seed

KEY = b"k" * 32


@settings(max_examples=300, deadline=None)
@given(token=st.text(max_size=2100) | st.binary(max_size=300).map(lambda b: b.hex()))
def test_any_token_is_read_as_no_link_or_a_link_we_made(token):
    assert links.read(KEY, token) is None


@settings(max_examples=200, deadline=None)
@given(order_id=st.text(min_size=1, max_size=32), what=st.text(max_size=40), language=st.sampled_from("en it".split()),
       flip=st.integers(min_value=0, max_value=10_000))
def test_a_link_reads_back_and_any_changed_character_spoils_it(order_id, what, language, flip):
    token = links.make(KEY, order_id, what, language, now=1_000)
    assert links.read(KEY, token, now=1_000) == links.Link(order_id, what, language, 1_000 + links.LINK_TTL_S)
    assert links.read(KEY, token, now=1_001 + links.LINK_TTL_S) is None
    position = flip % len(token)
    changed = token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1:]
    assert links.read(KEY, changed, now=1_000) is None
    assert links.read(b"x" * 32, token, now=1_000) is None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reference=st.text(max_size=100), payer_id=st.text(max_size=100))
def test_typed_text_of_any_shape_finds_nothing_and_breaks_nothing(hub_db, reference, payer_id):
    with hub_db.connect() as conn:
        assert find_position(conn, reference, payer_id) is None


def test_spaces_dashes_and_case_do_not_matter():
    assert compact(" rf18 5390-0754.7034 ") == "RF18539007547034"
    assert compact("brz jns 80a01h501u") == "BRZJNS80A01H501U"


def test_an_unknown_notice_and_a_wrong_id_take_comparable_time(hub_db):
    codes = seed(hub_db)
    cases = {"unknown": ("301000000000000099", FISCAL_CODE), "wrong id": (codes["notice"], "RSSMRA80A01H501X")}
    times = {name: [] for name in cases}
    with hub_db.connect() as conn:
        assert find_position(conn, codes["notice"], FISCAL_CODE) is not None
        for _ in range(300):                  # interleaved, so a load spike hits both alike
            for name, (reference, payer_id) in cases.items():
                started = time.perf_counter()
                assert find_position(conn, reference, payer_id) is None
                times[name].append(time.perf_counter() - started)
    unknown, wrong = statistics.median(times["unknown"]), statistics.median(times["wrong id"])
    # One indexed query and one comparison of digests either way: the medians within 25 %.
    assert 0.8 < unknown / wrong < 1.25, (unknown, wrong)


def test_the_throttle_counts_the_windows_failures_and_forgets_an_addresss_old_rows(hub_db):
    policy = throttle.LookupPolicy(max_failures=3, window_s=600)
    start = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)
    with hub_db.begin() as conn:
        throttle.note(conn, "10.0.0.1", False, start - dt.timedelta(days=2))       # forgotten at the next note
        for minute in range(3):
            throttle.note(conn, "10.0.0.1", False, start + dt.timedelta(minutes=minute))
        throttle.note(conn, "10.0.0.1", True, start + dt.timedelta(minutes=3))     # a success does not count
        throttle.note(conn, "10.0.0.2", False, start)
        assert throttle.failures(conn, "10.0.0.1") == 3
        at = start + dt.timedelta(minutes=4)
        assert throttle.wait_seconds(conn, "10.0.0.1", policy, at) == 6 * 60       # the oldest leaves at 12:10
        assert throttle.wait_seconds(conn, "10.0.0.2", policy, at) == 0
        assert throttle.wait_seconds(conn, "10.0.0.1", policy, start + dt.timedelta(minutes=10, seconds=1)) == 0
