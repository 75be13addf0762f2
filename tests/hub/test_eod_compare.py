"""The end-of-day verdict as a property: a batch reported as the hub holds it is matched, and
any change of one figure is a mismatch that names both figures."""

from __future__ import annotations

from hypothesis import given, strategies as st

from hub.finance.eod.compare import HubPayment, Reported, hub_figures, judge

payments = st.lists(st.builds(HubPayment, payment_id=st.uuids().map(str), currency=st.just("EUR"),
                              amount_minor=st.integers(1, 10**9), kind=st.sampled_from(["payment", "refund"]),
                              voided=st.booleans()), max_size=30, unique_by=lambda p: p.payment_id)


@given(payments)
def test_a_batch_reported_as_the_hub_holds_it_is_matched(found):
    held = hub_figures(found).get("EUR")
    reported = Reported("terminal", held.count if held else 0, held.total_minor if held else 0)
    verdict = judge("EUR", reported, found, [p.payment_id for p in found])
    assert (verdict.status, verdict.differences) == ("matched", [])


@given(payments, st.integers(1, 10**6), st.booleans())
def test_a_batch_off_by_anything_is_a_mismatch_with_both_figures(found, off, in_count):
    held = hub_figures(found).get("EUR")
    count, total = (held.count, held.total_minor) if held else (0, 0)
    reported = Reported("terminal", count + off if in_count else count, total if in_count else total + off)
    verdict = judge("EUR", reported, found, None)
    assert verdict.status == "mismatch"
    [difference] = verdict.differences
    assert difference == {"kind": "count" if in_count else "amount", "currency": "EUR",
                          "reported": count + off if in_count else total + off,
                          "hub": count if in_count else total}
