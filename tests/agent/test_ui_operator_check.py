"""An unknown outcome on a Concert terminal: the operator reads the terminal and says "charged".

Real AgentService, simulated Concert terminal with scenario lose_answer (the card is
charged, the answer never arrives).  Concert cannot ask the terminal, so the UI shows
the core's hint with "Charged" / "Not charged", and nothing is sent to the terminal again.
"""

from __future__ import annotations

from agent.ui.app import CounterpayApp
from tests.agent.ui_pilot import go_to_row, type_text, wait_for_text
from tests.agent.ui_real import open_service, zvt_terminal


async def test_operator_check_shows_the_hint_and_records_the_operators_answer(tmp_path, mosquitto):
    with zvt_terminal(tmp_path, scenario="lose_answer", protocol="concert") as sim:
        service = open_service(tmp_path, mosquitto.url, sim.device, mode="clerk", protocol="concert",
                               answer_timeout_s=2)
        try:
            app = CounterpayApp(service, "clerk")
            async with app.run_test(size=(80, 24)) as pilot:
                await wait_for_text(pilot, "terminal: ready")
                await type_text(pilot, "KR-9")
                await pilot.press("enter")
                await wait_for_text(pilot, "Stamp duty")
                await go_to_row(pilot, "position-table", "STAMP")
                await pilot.press("enter", "f2")
                await wait_for_text(pilot, "To pay: 17.00 EUR")
                await pilot.press("enter")
                text = await wait_for_text(pilot, "Read the terminal: did it charge the card?", timeout_s=20)
                assert "Charged" in text and "Not charged" in text and "17.00 EUR" in text
                assert "terminal: unknown outcome" in text
                await pilot.press("c")
                await wait_for_text(pilot, "Approved", timeout_s=10)
                await wait_for_text(pilot, "terminal: ready", timeout_s=5)
            entry = service.recent_payments(1)[0]
            assert entry["amount_minor"] == 1700 and "charged" in entry["message"]
        finally:
            service.close()
    charges = [r for r in sim.requests() if r.get("kind") == "payment"]
    assert len(charges) == 1                # asked once, never sent again


async def test_an_operator_check_left_open_is_asked_when_the_ui_starts(tmp_path, mosquitto):
    from agent.service import PaymentRequest

    with zvt_terminal(tmp_path, scenario="lose_answer", protocol="concert") as sim:
        service = open_service(tmp_path, mosquitto.url, sim.device, mode="cashier", protocol="concert",
                               answer_timeout_s=2)
        try:
            first = service.pay(PaymentRequest(2500, "EUR", "card", {"format": "case", "value": "KR-11"},
                                               case_ref="KR-11"))
            assert first.outcome == "operator_check"
            app = CounterpayApp(service, "cashier")
            async with app.run_test(size=(80, 24)) as pilot:
                text = await wait_for_text(pilot, "still has no outcome")
                assert "25.00 EUR" in text and "KR-11" in text
                await pilot.press("n")                               # the terminal shows a refusal
                await wait_for_text(pilot, "terminal: ready", timeout_s=10)
            assert service.open_payments() == []
            assert service.totals_today() in ({}, {"card": (0, 0)})
        finally:
            service.close()
    assert len([r for r in sim.requests() if r.get("kind") == "payment"]) == 1
