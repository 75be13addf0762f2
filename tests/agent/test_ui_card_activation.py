"""Clerk, cashier and kiosk against the real AgentService: the card tender is offered only for the
service steps the hub activated (its signed card.activation retained on a real mosquitto), refused
with the reason otherwise; and a payer picked in the cashier's search fills the payment."""

from __future__ import annotations

import json

from protocol.keys import KeyDirectory, SigningKey
from protocol.qr import cp_order
from protocol.wire import make, topics
from protocol.wire.messages import CardActivation, body_of, build

from agent.ui.app import CounterpayApp
from agent.ui.messages import ScanReceived
from tests.agent.ui_pilot import go_to_row, type_text, wait_for_text
from tests.agent.ui_real import AGENT_ID, PAGOPA_OK, agent_key, open_service, publish_catalogue, zvt_terminal
from tests.support.waiting import wait_until, wait_until_async

OFFICE = "Riga 1"
CATALOGUE = {"version": 4, "currency": "EUR", "price_lists": [
    {"code": "VEH", "name": "Vehicles", "positions": [
        {"code": "REG-01", "name": "Vehicle registration", "unit": "pcs", "unit_price_minor": 18050}]},
    {"code": "STAMPS", "name": "Stamp duties", "positions": [
        {"code": "STAMP", "name": "Stamp duty", "unit": "pcs", "unit_price_minor": 1700}]},
]}


def _hub_setup(broker_url: str, tmp_path, active: list[str]) -> SigningKey:
    hub = SigningKey.generate()
    directory = KeyDirectory()
    directory.add(agent_key(tmp_path).public_entry(AGENT_ID, ["event", "receipt"]))
    directory.add(hub.public_entry("hub", ["event", "order"]))
    publish_catalogue(broker_url, directory.to_json(), topics.KEYS)
    publish_catalogue(broker_url, CATALOGUE)
    publish_activation(broker_url, hub, active)
    return hub


def publish_activation(broker_url: str, hub: SigningKey, active: list[str]) -> None:
    import paho.mqtt.client as mqtt
    body = body_of(build(CardActivation, office=OFFICE, active=[{"service": s, "since": "2026-11-20T09:00:00Z"}
                                                                for s in active]))
    host, port = broker_url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(host, int(port))
    client.loop_start()
    try:
        client.publish(topics.card_activation(OFFICE), make("hub", 0, "card.activation", body, hub).encode(), qos=1,
                       retain=True).wait_for_publish(5)
    finally:
        client.loop_stop()
        client.disconnect()


def _heard(service, active: list[str]) -> bool:
    rows = service.store.query("SELECT service FROM card_activations ORDER BY service")
    return service.store.get_setting("card_activation_heard_at") is not None and [r["service"] for r in rows] == active


async def test_clerk_is_offered_the_card_only_for_an_activated_step_and_told_why_not(tmp_path, mosquitto):
    _hub_setup(mosquitto.url, tmp_path, ["STAMPS"])
    with zvt_terminal(tmp_path) as sim:
        service = open_service(tmp_path, mosquitto.url, sim.device, mode="clerk", with_catalogue=False)
        try:
            wait_until(lambda: len(service.catalogue()) == 2 and _heard(service, ["STAMPS"]), 10,
                       "the catalogue and the card activation at the desk")
            app = CounterpayApp(service, "clerk")
            async with app.run_test(size=(80, 24)) as pilot:
                await wait_for_text(pilot, "terminal: ready")
                await type_text(pilot, "WAW/77")
                await pilot.press("enter")
                await wait_for_text(pilot, "Case WAW/77")
                await go_to_row(pilot, "position-table", "REG-01")
                await pilot.press("enter")
                await pilot.press("f2")
                text = await wait_for_text(pilot, "not active for service step VEH")
                assert "To pay: 180.50 EUR" in text and not app.screen.query("#card")
                await pilot.press("escape")                          # back to the positions
                await pilot.press("minus")                           # REG-01 off again
                await go_to_row(pilot, "position-table", "STAMP")
                await pilot.press("enter", "f2")
                text = await wait_for_text(pilot, "To pay: 17.00 EUR")
                assert "not active" not in text and app.screen.query("#card")
                await pilot.press("enter")                           # the Card button has focus
                await wait_for_text(pilot, "Approved", timeout_s=20)
        finally:
            service.close()
    assert [r["amount_minor"] for r in sim.requests() if r.get("kind") == "payment"] == [1700]


async def test_cashier_and_kiosk_refuse_the_card_for_an_order_of_a_step_not_activated(tmp_path, mosquitto):
    hub = _hub_setup(mosquitto.url, tmp_path, [])
    order = cp_order.make(cp_order.PaymentOrderCode("O-91", "WAW/2026/91", 18050, "EUR", ("REG-01",), "Jan Kowalski",
                                                    "85010112345", "2099-12-31", hub.kid), hub)
    with zvt_terminal(tmp_path) as sim:
        for mode in ("cashier", "kiosk"):
            service = open_service(tmp_path, mosquitto.url, sim.device, mode=mode, with_catalogue=False)
            try:
                wait_until(lambda s=service: len(s.catalogue()) == 2 and _heard(s, []), 10, "the activation heard")
                app = CounterpayApp(service, mode)
                async with app.run_test(size=(80, 24)) as pilot:
                    await wait_for_text(pilot, "online")
                    app.post_message(ScanReceived(order))
                    if mode == "cashier":
                        await wait_for_text(pilot, " VALID ")
                        await pilot.press("f5")
                        await wait_for_text(pilot, "not active for service step VEH")
                        assert not app.screen.query("#card") and app.screen.query("#cash-given")
                    else:
                        await wait_for_text(pilot, "cannot be paid by card at this kiosk")
            finally:
                service.close()
    assert sim.requests() == []


async def test_a_payer_picked_in_the_cashiers_search_fills_a_payment_of_an_order_without_one(tmp_path, mosquitto):
    hub = _hub_setup(mosquitto.url, tmp_path, [])
    service = open_service(tmp_path, mosquitto.url, None, mode="cashier", with_catalogue=False)
    try:
        await wait_until_async(lambda: service.keys() is not None, 10, "the key directory at the agent")
        # Yesterday this desk saw the hub's order of this payer: the payer is known here now.
        code = cp_order.make(cp_order.PaymentOrderCode("O-92", "WAW/2026/92", 1700, "EUR", (), "Zofia Wójcik",
                                                       "92071314764", "2099-12-31", hub.kid), hub)
        assert service.check_code(code).valid
        app = CounterpayApp(service, "cashier")
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_text(pilot, "online")
            await pilot.press("f2")
            await type_text(pilot, "wojcik")
            text = await wait_for_text(pilot, "92071314764")
            assert "Zofia Wójcik" in text and "O-92" in text
            await pilot.press("tab", "enter")                         # pick her
            await wait_for_text(pilot, "Payer for the next payment (if the order names none): Zofia Wójcik")
            app.post_message(ScanReceived(PAGOPA_OK))                 # a pagoPA notice names no payer
            await wait_for_text(pilot, " VALID ")
            await pilot.press("f5")
            await wait_for_text(pilot, "To pay: 50.00 EUR")
            await type_text(pilot, "50")
            await pilot.press("enter")
            await wait_for_text(pilot, "Approved")
        paid = service.recent_payments()
        assert [(p["payer_name"], p["amount_minor"]) for p in paid] == [("Zofia Wójcik", 5000)]
        request = json.loads(service.store.query("SELECT request FROM journal")[0]["request"])
        assert request["payer_id"] == "92071314764"
    finally:
        service.close()
