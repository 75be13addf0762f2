"""An agent sends a full card number in a free-text field: the hub stores it nowhere.

Through a real mosquitto into the real ingest: one event per field a clerk or a driver
could fill with a PAN.  Each is refused with a reason in a signed `rejected` ack, no
table holds the digits, no webhook is queued for a case system, the refusals are
counted, and the log names the field and the event, never the number.  The API's
free-text inputs refuse it with a 422 that does not repeat it.
"""

from __future__ import annotations

import logging

from prometheus_client import REGISTRY
from sqlalchemy import func, select

from hub.casesys import registry
from hub.store.tables import payments
from hub.store.tables_delivery import deliveries
from protocol import card_numbers, webhooks
from protocol.ids import pagopa
from protocol.wire import make
from tests.hub.agents import FakeAgent, WireClient
from tests.hub.api_support import Api
from tests.hub.conftest import directory, hub_context, hub_db  # noqa: F401  (fixtures)
from tests.security.ingest_support import tables_holding, worker  # noqa: F401  (fixture)
from tests.support.waiting import wait_until

PAN = "4111111111111111"
AS_TYPED = "4111 1111 1111 1111"

CARD = {"masked_pan": "************1111", "card_type": "VISA", "terminal_id": "T-1"}


def _refused() -> float:
    return REGISTRY.get_sample_value("counterpay_hub_ingest_card_numbers_refused_total") or 0.0


def _register_case_system_for_everything(db) -> None:
    spec = registry.CaseSystemCreate(name="everything", patterns=[{"on": "any", "regex": ".*"}],
                                     webhook_url="https://cases.example.org/webhook", secret=webhooks.new_secret())
    with db.begin() as conn:
        registry.create(conn, spec, "test")


def _events_with_a_card_number(agent: FakeAgent) -> dict[str, object]:
    """field → an event carrying the card number in it."""
    diagnostics = make(agent.agent_id, 10, "diagnostics.report", {"info": {"note": f"card {AS_TYPED}"}},
                       agent.key, message_id=f"{agent.agent_id}-diag")
    return {
        "payer.name": agent.payment(payer={"name": f"Jan {AS_TYPED} Kowalski"}),
        "payer.id": agent.payment(payer={"id": PAN}),
        "operator": agent.payment(operator=f"clerk {PAN}"),
        "case_ref": agent.payment(case_ref=f"VR-{AS_TYPED}"),
        "reference.value": agent.payment(reference={"format": "case", "value": f"{PAN}"}),
        "positions[0].name": agent.payment(positions=[{"code": "F1", "name": f"fee {AS_TYPED}", "unit_minor": 1500}]),
        "card.auth_code": agent.payment(card=CARD | {"auth_code": PAN}),
        "card.trace_no": agent.payment(card=CARD | {"trace_no": AS_TYPED}),
        "info.note": diagnostics,
    }


def test_a_card_number_in_any_free_text_field_is_refused_and_stored_nowhere(hub_context, directory, worker,
                                                                             mosquitto, caplog):
    _register_case_system_for_everything(hub_context.db)
    agent = FakeAgent("counter-pan").enroll(directory)
    client = WireClient(mosquitto.port, "agent-counter-pan", [agent.agent_id])
    before = _refused()
    attacks = _events_with_a_card_number(agent)
    with caplog.at_level(logging.DEBUG):
        for event in attacks.values():
            client.send(event)
        wait_until(lambda: len(client.acks(agent.agent_id)) == len(attacks), 10, "the hub's acks")
        acks = {a["for_id"]: a for a in client.acks(agent.agent_id)}
        for field, event in attacks.items():
            assert acks[event.id]["status"] == "rejected", field
            assert acks[event.id]["reason"].startswith(f"card_number: a card number in {field};"), field
        # A clean payment afterwards is stored and queued for the case system: the scan can see rows.
        clean = agent.payment(case_ref="VR-2026-1")
        client.send(clean)
        wait_until(lambda: len(client.acks(agent.agent_id)) == len(attacks) + 1, 10, "the hub's acks")
    assert _refused() == before + len(attacks)
    assert tables_holding(hub_context.db, PAN, AS_TYPED) == []
    with hub_context.db.connect() as conn:
        assert conn.execute(select(payments.c.payment_id)).scalars().all() == [clean.body["payment_id"]]
        assert conn.execute(select(func.count()).select_from(deliveries)).scalar_one() == 1
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert PAN not in logged and AS_TYPED not in logged
    assert "a card number in payer.name" in logged and attacks["payer.name"].id in logged
    client.close()


def test_a_pagopa_notice_number_that_looks_like_a_card_is_a_payment_not_a_card(hub_context, directory, worker,
                                                                                mosquitto):
    # A valid notice number (aux 3, its own check digits right) that also passes Luhn inside
    # a card scheme's range: refusing it would refuse a real payment.
    notice = next(n for n in (pagopa.generate(3, f"{i:013d}", segregation_code="99") for i in range(1, 10_000))
                  if card_numbers.contains(n))
    agent = FakeAgent("counter-notice").enroll(directory)
    client = WireClient(mosquitto.port, "agent-counter-notice", [agent.agent_id])
    event = agent.payment(reference={"format": "pagopa", "value": notice})
    client.send(event)
    wait_until(lambda: client.acks(agent.agent_id), 10, "the hub's acks")
    assert client.acks(agent.agent_id)[0]["status"] == "stored"
    client.close()


def test_the_api_refuses_a_card_number_in_free_text_without_repeating_it(hub_context):
    api = Api(hub_context)
    headers = api.auth(api.token("operator"))
    order = {"amount_minor": 1500, "case_ref": "VR-1", "payer": {"name": f"Jan {AS_TYPED}"}}
    response = api.client.post("/api/v1/orders", json=order, headers=headers)
    assert response.status_code == 422
    assert "a card number is not allowed here" in response.text
    assert PAN not in response.text and AS_TYPED not in response.text
    csv_text = f"amount_minor,case_ref,description\n1500,VR-2,paid with {PAN}\n"
    response = api.client.post("/api/v1/orders/import", content=csv_text.encode(),
                               headers=headers | {"Content-Type": "text/csv"})
    assert response.status_code == 422, response.text
    assert "a card number is not allowed here" in response.text and PAN not in response.text
    assert tables_holding(hub_context.db, PAN, AS_TYPED) == []
