"""Finding 15: `"100"` and `true` were accepted as amounts by `POST /api/v1/orders`
(`true` became an order of 1 minor unit).  Over real HTTP: money is a strict integer
within bounds in every request model, and ids and offsets are bounded to the store."""

from __future__ import annotations

import pytest

LOOSE_AMOUNTS = ["100", True, False, 12.5, 100.0, None, [100], {"minor": 100}, -1, 0, 10**13 + 1, 2**64]


@pytest.fixture
def operator(live_hub):
    return live_hub.auth(live_hub.token("operator"))


@pytest.mark.parametrize("amount", LOOSE_AMOUNTS, ids=repr)
def test_an_order_amount_that_is_not_a_bounded_integer_is_refused(live_hub, operator, amount):
    response = live_hub.client.post("/api/v1/orders", json={"amount_minor": amount, "case_ref": "C-1"},
                                    headers=operator)
    assert response.status_code == 422, response.text
    assert any(e["field"].startswith("body.amount_minor") or e["field"] == "body"
               for e in response.json()["errors"])
    assert live_hub.client.get("/api/v1/orders", headers=operator).json() == []


def test_an_integer_amount_makes_the_order_it_says(live_hub, operator):
    made = live_hub.client.post("/api/v1/orders", json={"amount_minor": 100, "case_ref": "C-1"}, headers=operator)
    assert made.status_code == 201 and made.json()["amount_minor"] == 100


def _catalogue(**position) -> dict:
    return {"currency": "EUR", "price_lists": [{"code": "PL", "name": "Fees", "positions": [
        {"code": "P1", "name": "A fee", "unit_price_minor": 500, **position}]}]}


@pytest.mark.parametrize("field, value", [("unit_price_minor", "500"), ("unit_price_minor", True),
                                          ("unit_price_minor", 10**12 + 1), ("vat_rate_bp", "2100"),
                                          ("vat_rate_bp", True),
                                          ("discounts", [{"name": "d", "amount_minor": "50"}]),
                                          ("discounts", [{"name": "d", "amount_minor": 10**13}]),
                                          ("discounts", [{"name": "d", "percent_bp": True}])])
def test_catalogue_prices_that_are_not_bounded_integers_are_refused(live_hub, operator, field, value):
    response = live_hub.client.post("/api/v1/catalogue/versions", json=_catalogue(**{field: value}),
                                    headers=operator)
    assert response.status_code == 422, response.text
    assert live_hub.client.post("/api/v1/catalogue/versions", json=_catalogue(), headers=operator).status_code \
        == 201


@pytest.mark.parametrize("path", ["/api/v1/payments/18446744073709551616", "/api/v1/payments/0",
                                  "/api/v1/catalogue/versions/18446744073709551616",
                                  "/api/v1/payments?offset=18446744073709551616",
                                  "/api/v1/orders?offset=18446744073709551616"])
def test_ids_and_offsets_beyond_the_store_are_refused_not_a_server_error(live_hub, operator, path):
    assert live_hub.client.get(path, headers=operator).status_code == 422
