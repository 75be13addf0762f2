"""The hub tells each office's desks which orders are cancelled or changed: retained, signed,
bounded, published at connect and after every committed cancellation or amount change."""

from __future__ import annotations

import datetime as dt
import json
import logging

from protocol import wire
from protocol.wire import topics
from protocol.wire.messages import ORDER_STATE_MAX_BYTES
from hub.orders import state_feed
from hub.orders.changes import cancel_order, change_order
from hub.orders.model import OrderRequest
from hub.orders.service import create_order
from hub.serve import publish_retained_state
from hub.store.tables import orders
from hub.users.scope import Scope
from protocol.keys import KeyDirectory
from tests.hub.api_support import Api

ALL = Scope.everything()


def _order(context, order_id: str, office: str | None, amount: int = 4500, due: str | None = None) -> None:
    request = OrderRequest(amount_minor=amount, office=office, due_date=due, case_ref=f"CASE-{order_id}")
    with context.db.begin() as conn:
        create_order(conn, request, context.settings, "clerk", signing_key=context.order_key, order_id=order_id)


def _recorder(context) -> list[tuple[str, bytes, bool]]:
    published: list[tuple[str, bytes, bool]] = []
    context.publisher = lambda topic, payload, retain: published.append((topic, payload, retain))
    return published


def _state(context, payload: bytes) -> dict:
    """Decode and verify as a desk does: the hub's event key, from the hub's own directory."""
    envelope = wire.decode(payload, ORDER_STATE_MAX_BYTES)
    assert envelope.type == "order.state" and envelope.agent == "hub"
    wire.verify(envelope, context.hub_entries(), owner="hub")
    return envelope.body


def _enroll_office(context, office: str) -> None:
    from hub.store.tables_pki import agent_certificates
    with context.db.begin() as conn:
        conn.execute(agent_certificates.insert().values(
            serial=f"{abs(hash(office)):x}", agent_id=f"desk-{len(office)}", office=office,
            issued_at="2026-01-01T00:00:00Z", not_after="2099-01-01T00:00:00Z", certificate_pem="-"))


def test_at_connect_each_office_hears_its_cancelled_and_changed_orders_and_those_of_no_office(hub_context):
    published = _recorder(hub_context)
    _enroll_office(hub_context, "tallinn")                 # a desk, nothing cancelled: an empty state
    for order_id, office in (("CPRIGA000001", "riga-1"), ("CPRIGA000002", "riga-1"), ("CPRIGA000003", "riga-1"),
                             ("CPNONE000001", None), ("CPVILN000001", "vilnius")):
        _order(hub_context, order_id, office)
    with hub_context.db.begin() as conn:
        cancel_order(conn, "CPRIGA000001", "issued twice", "anna", scope=ALL)
        change_order(conn, "CPRIGA000002", {"amount_minor": 5200}, "anna", scope=ALL,
                     signing_key=hub_context.order_key)
        change_order(conn, "CPRIGA000003", {"description": "a better text"}, "anna", scope=ALL,
                     signing_key=hub_context.order_key)   # its printed amount still holds: not listed
        cancel_order(conn, "CPNONE000001", "wrong payer", "anna", scope=ALL)
        cancel_order(conn, "CPVILN000001", "paid by transfer", "anna", scope=ALL)

    publish_retained_state(hub_context)

    states = {topic: (_state(hub_context, payload), retain) for topic, payload, retain in published
              if topic.startswith(topics.ORDER_STATE_PREFIX)}
    assert set(states) == {topics.order_state(o) for o in ("riga-1", "tallinn", "vilnius")}
    assert all(retain for _state_, retain in states.values())
    riga = {e["order_id"]: e for e in states[topics.order_state("riga-1")][0]["orders"]}
    assert set(riga) == {"CPRIGA000001", "CPRIGA000002", "CPNONE000001"}
    assert riga["CPRIGA000001"]["state"] == "cancelled" and riga["CPRIGA000001"]["reason"] == "issued twice"
    assert riga["CPRIGA000001"]["reference"].startswith("RF")
    assert riga["CPRIGA000002"] | {"at": None} == {"order_id": "CPRIGA000002", "state": "changed", "at": None,
                                                   "reference": riga["CPRIGA000002"]["reference"], "reason": None,
                                                   "amount_minor": 5200, "currency": "EUR"}
    assert [e["order_id"] for e in states[topics.order_state("tallinn")][0]["orders"]] == ["CPNONE000001"]
    vilnius = states[topics.order_state("vilnius")][0]
    assert vilnius["office"] == "vilnius" and {e["order_id"] for e in vilnius["orders"]} == {"CPVILN000001",
                                                                                             "CPNONE000001"}


def test_an_order_whose_codes_have_expired_is_no_longer_listed(hub_context):
    today = dt.date.today()
    _order(hub_context, "CPOLD0000001", "riga-1", due=(today - dt.timedelta(days=state_feed.MARGIN_DAYS + 1)).isoformat())
    _order(hub_context, "CPLATE000001", "riga-1", due=(today - dt.timedelta(days=state_feed.MARGIN_DAYS)).isoformat())
    _order(hub_context, "CPNODUE00001", "riga-1")
    with hub_context.db.begin() as conn:
        for order_id in ("CPOLD0000001", "CPLATE000001", "CPNODUE00001"):
            cancel_order(conn, order_id, "not owed", "anna", scope=ALL)
        # cancelled more than a code's validity ago: any code printed before has expired
        conn.execute(orders.update().where(orders.c.order_id == "CPNODUE00001")
                     .values(cancelled_at="2020-01-01T00:00:00.000Z"))
        listed, omitted = state_feed.listed_orders(conn, "riga-1")
    assert [e["order_id"] for e in listed] == ["CPLATE000001"] and omitted == 0


def test_beyond_the_caps_the_newest_are_listed_and_the_rest_counted_and_logged(hub_context, monkeypatch, caplog):
    for n in range(5):
        _order(hub_context, f"CPCAP000000{n}", "riga-1")
        with hub_context.db.begin() as conn:
            cancel_order(conn, f"CPCAP000000{n}", f"reason {n}", "anna", scope=ALL)
            conn.execute(orders.update().where(orders.c.order_id == f"CPCAP000000{n}")
                         .values(cancelled_at=f"2026-11-2{n}T10:00:00.000Z"))
    monkeypatch.setattr(state_feed, "ORDER_STATE_ENTRIES", 3)
    with caplog.at_level(logging.WARNING, logger="hub.orders.state_feed"), hub_context.db.connect() as conn:
        listed, omitted = state_feed.listed_orders(conn, "riga-1", now=dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc))
        body = _state(hub_context, state_feed.office_payload(conn, "riga-1", hub_context.event_key))
    assert [e["order_id"] for e in listed] == ["CPCAP0000004", "CPCAP0000003", "CPCAP0000002"] and omitted == 2
    assert body["omitted"] == 2 and len(body["orders"]) == 3
    assert "5 cancelled or changed orders may still be paid, 3 listed" in caplog.text
    monkeypatch.setattr(state_feed, "ORDER_STATE_MAX_BYTES", state_feed._ENVELOPE_ROOM + 300)
    with hub_context.db.connect() as conn:
        listed, omitted = state_feed.listed_orders(conn, "riga-1", now=dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc))
    assert 1 <= len(listed) < 3 and omitted == 5 - len(listed)


def test_a_cancellation_through_the_api_is_published_after_its_commit(hub_context):
    api = Api(hub_context)
    _order(hub_context, "CPAPI0000001", "riga-1", amount=1200)
    _order(hub_context, "CPAPI0000002", None, amount=1300)
    _enroll_office(hub_context, "riga-1")
    headers = api.auth(api.admin_token)
    seen_in_db = []

    def publisher(topic, payload, retain):      # what the desks are told is already committed
        with hub_context.db.connect() as conn:
            seen_in_db.append(conn.execute(orders.select().where(orders.c.order_id == "CPAPI0000001"))
                              .mappings().one()["cancelled_at"])
        api.published.append((topic, payload, retain))
    hub_context.publisher = publisher

    answer = api.client.post("/api/v1/orders/CPAPI0000001/cancel", json={"reason": "duplicate"}, headers=headers)
    assert answer.status_code == 200, answer.text
    [(topic, payload, retain)] = api.published
    assert topic == topics.order_state("riga-1") and retain and seen_in_db[0] is not None
    assert [(e["order_id"], e["reason"]) for e in _state(hub_context, payload)["orders"]] == \
        [("CPAPI0000001", "duplicate")]

    api.published.clear()
    changed = api.client.post("/api/v1/orders/CPAPI0000002/change", json={"amount_minor": 1500}, headers=headers)
    assert changed.status_code == 200, changed.text
    [(topic, payload, _retain)] = api.published     # an order of no office: every office is told
    entries = {e["order_id"]: e for e in _state(hub_context, payload)["orders"]}
    assert topic == topics.order_state("riga-1") and entries["CPAPI0000002"]["amount_minor"] == 1500


def test_no_broker_connection_leaves_the_cancellation_standing(hub_context):
    api = Api(hub_context)
    _order(hub_context, "CPNOBR000001", "riga-1")
    hub_context.publisher = None
    answer = api.client.post("/api/v1/orders/CPNOBR000001/cancel", json={"reason": "duplicate"},
                             headers=api.auth(api.admin_token))
    assert answer.status_code == 200 and answer.json()["cancel_reason"] == "duplicate"


def test_the_key_directory_published_beside_it_verifies_it(hub_context):
    """A desk verifies with the key directory it cached: the hub's event key is in what goes out first."""
    published = _recorder(hub_context)
    _enroll_office(hub_context, "riga-1")
    publish_retained_state(hub_context)
    order = [topic for topic, _payload, _retain in published]
    assert order.index(topics.KEYS) < order.index(topics.order_state("riga-1"))
    payloads = {topic: payload for topic, payload, _ in published}
    directory = KeyDirectory.from_json(json.loads(payloads[topics.KEYS]))
    envelope = wire.decode(payloads[topics.order_state("riga-1")], ORDER_STATE_MAX_BYTES)
    wire.verify(envelope, directory, owner="hub")
