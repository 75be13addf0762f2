"""The API pages payments and orders by cursor beside its earlier offset, takes the back office's
new filters, and refuses a cursor it did not give with a 422 that says what to do."""

from __future__ import annotations

import pytest

from tests.hub.api_support import Api
from tests.hub.search_rows import add_orders, add_payments, order_row, payment_row


@pytest.fixture
def api(hub_context):
    add_payments(hub_context.db, [payment_row(n, amount_minor=100 * n, captured_at=f"2026-11-02T09:00:{n:02d}.000Z",
                                              tender="cash" if n % 2 else "card") for n in range(1, 8)])
    add_orders(hub_context.db, [order_row(f"CP{n:010d}", iuv=f"0100000000000{n:04d}", reference_format="pagopa",
                                          reference=f"30100000000000{n:04d}", office="A" if n < 4 else "B",
                                          created_at=f"2026-11-01T08:00:0{n}.000Z") for n in range(1, 6)])
    return Api(hub_context)


def test_payments_page_by_cursor_both_ways_and_still_by_offset(api):
    headers = api.auth(api.admin_token)
    first = api.client.get("/api/v1/payments?limit=3&sort=amount&amount_min=200", headers=headers).json()
    assert first["total"] == 6 and first["prev_cursor"] is None
    assert [p["amount_minor"] for p in first["payments"]] == [200, 300, 400]
    second = api.client.get("/api/v1/payments", params={"limit": 3, "sort": "amount", "amount_min": 200,
                                                        "cursor": first["next_cursor"]}, headers=headers).json()
    assert [p["amount_minor"] for p in second["payments"]] == [500, 600, 700] and second["next_cursor"] is None
    back = api.client.get("/api/v1/payments", params={"limit": 3, "sort": "amount", "amount_min": 200,
                                                      "cursor": second["prev_cursor"]}, headers=headers).json()
    assert back["payments"] == first["payments"]
    by_offset = api.client.get("/api/v1/payments?limit=2&offset=2&tender=cash", headers=headers).json()
    assert [p["payment_id"] for p in by_offset["payments"]] == ["pay-00003", "pay-00001"]


def test_a_cursor_the_api_did_not_give_or_for_another_sort_is_refused_with_422(api):
    headers = api.auth(api.admin_token)
    made_up = api.client.get("/api/v1/payments?cursor=abc", headers=headers)
    assert made_up.status_code == 422 and "start again from the first page" in made_up.json()["detail"]
    cursor = api.client.get("/api/v1/payments?limit=1", headers=headers).json()["next_cursor"]
    other_sort = api.client.get("/api/v1/payments", params={"cursor": cursor, "sort": "amount"}, headers=headers)
    assert other_sort.status_code == 422 and "sort=-captured_at, not sort=amount" in other_sort.json()["detail"]


def test_orders_are_found_by_q_and_paged_through_the_link_header(api):
    headers = api.auth(api.admin_token)
    (by_iuv,) = api.client.get("/api/v1/orders?q=01000000000000004", headers=headers).json()
    assert by_iuv["order_id"] == "CP0000000004" and by_iuv["office"] == "B" and by_iuv["status"] == "unpaid"
    first = api.client.get("/api/v1/orders?limit=2&office=A", headers=headers)
    assert [o["order_id"] for o in first.json()] == ["CP0000000003", "CP0000000002"]
    following = first.links["next"]["url"]
    second = api.client.get(following, headers=headers)
    assert [o["order_id"] for o in second.json()] == ["CP0000000001"]
    assert "next" not in second.links and "prev" in second.links
    legacy = api.client.get("/api/v1/orders?reference=301000000000000002", headers=headers).json()
    assert [o["order_id"] for o in legacy] == ["CP0000000002"]


def test_the_payments_total_is_counted_up_to_a_bound_and_says_whether_it_is_exact(api, monkeypatch):
    # The bound is 10,000; three here, so that seven payments pass it.
    monkeypatch.setattr("hub.api.routes.payments.COUNT_UP_TO", 3)
    headers = api.auth(api.admin_token)

    def totals(path: str) -> tuple[int, bool, int]:
        answer = api.client.get(path, headers=headers).json()
        return answer["total"], answer["total_exact"], len(answer["payments"])
    assert totals("/api/v1/payments?limit=5") == (3, False, 5)
    assert totals("/api/v1/payments?limit=1&offset=5") == (3, False, 1)
    assert totals("/api/v1/payments/unlinked?limit=2") == (3, False, 2)
    assert totals("/api/v1/payments?amount_min=500") == (3, True, 3)
    assert totals("/api/v1/payments?amount_min=600") == (2, True, 2)
    monkeypatch.undo()
    assert totals("/api/v1/payments?limit=5") == (7, True, 5)
