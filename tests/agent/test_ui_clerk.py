"""Clerk mode against the real AgentService: case → positions → tender → terminal progress → receipt.

Real SQLite, a real mosquitto delivering the retained fee catalogue, and the simulated
ZVT terminal (`counterpay sim terminal --protocol zvt --pty`, scenario slow_pin so the
progress texts and the elapsed time are on screen while the "customer" enters the PIN).
"""

from __future__ import annotations

from agent.ui.app import CounterpayApp
from tests.agent.ui_pilot import go_to_row, screen_text, type_text, wait_for_screen, wait_for_text
from tests.agent.ui_real import open_service, publish_key_directory, zvt_terminal
from tests.support.waiting import wait_until_async


async def test_clerk_takes_a_card_payment_for_a_case_and_shows_the_receipt(tmp_path, mosquitto):
    with zvt_terminal(tmp_path, scenario="slow_pin") as sim:
        service = open_service(tmp_path, mosquitto.url, sim.device, mode="clerk")
        try:
            app = CounterpayApp(service, "clerk")
            async with app.run_test(size=(80, 24)) as pilot:
                text = await wait_for_text(pilot, "online")
                assert "outbox 0" in text and "terminal: ready" in text
                await type_text(pilot, "WAW/77")
                await pilot.press("enter")
                text = await wait_for_text(pilot, "Case WAW/77")
                # Positions come from the catalogue the broker delivered (no hub API here).
                assert "Vehicle registration" in text and "180.50 EUR" in text
                await go_to_row(pilot, "position-table", "REG-01")
                await pilot.press("enter", "enter")               # REG-01 twice
                await go_to_row(pilot, "position-table", "STAMP")
                await pilot.press("enter")                        # STAMP once
                await wait_for_text(pilot, "2 positions selected, total 378.00 EUR")
                await pilot.press("f2")
                await wait_for_text(pilot, "To pay: 378.00 EUR")
                await pilot.press("enter")                        # the Card button has focus
                text = await wait_for_text(pilot, "please watch PIN pad", timeout_s=10)
                assert "Paying 378.00 EUR by Card" in text and "Elapsed 0:0" in text
                await wait_for_text(pilot, "Approved", timeout_s=20)
                text = await wait_for_text(pilot, "TOTAL")
                assert "Vehicle registration" in text and "2 x 180.50" in text and "378.00 EUR" in text
                lines = app.screen.query_one("#receipt").outcome.receipt_lines   # the rest scrolls
                assert any("WAW/77" in line for line in lines)
                await wait_for_screen(pilot, lambda: "outbox 1" in screen_text(app) or "outbox 0" in screen_text(app),
                                      15, "the outbox count on screen")
                await pilot.press("enter")                        # Next payment
                await wait_for_text(pilot, "Type or scan the case number")
        finally:
            service.close()
    charges = [r for r in sim.requests() if r.get("kind") == "payment"]
    assert [(r["amount_minor"], r["charged"]) for r in charges] == [(37800, True)]
    assert (tmp_path / "receipts.bin").stat().st_size > 0          # committed, then printed


async def test_clerk_cash_payment_shows_the_change(tmp_path, mosquitto):
    service = open_service(tmp_path, mosquitto.url, None, mode="clerk")
    try:
        app = CounterpayApp(service, "clerk")
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_text(pilot, "terminal: not configured")
            await type_text(pilot, "KR-5")
            await pilot.press("enter")
            await wait_for_text(pilot, "Stamp duty")
            await go_to_row(pilot, "position-table", "STAMP")
            await pilot.press("enter")                            # STAMP 17.00
            await pilot.press("f2")
            await wait_for_text(pilot, "To pay: 17.00 EUR")
            text = screen_text(app)
            assert " Card " not in text                           # no terminal, no card tender
            await type_text(pilot, "15")
            await wait_for_text(pilot, "2.00 EUR still missing")
            await pilot.press("backspace", "backspace")
            await type_text(pilot, "20")
            await wait_for_text(pilot, "Change to give back: 3.00 EUR")
            await pilot.press("enter")
            await wait_for_text(pilot, "Approved")
            text = await wait_for_text(pilot, "TOTAL")
            assert "Give back 3.00 EUR change." in text
        assert service.totals_today() == {"cash": (1, 1700)}
    finally:
        service.close()


async def test_clerk_verifies_a_scanned_receipt_and_rejects_a_forged_one(tmp_path, mosquitto):
    from agent.service import PaymentRequest
    from agent.ui.messages import ScanReceived

    publish_key_directory(mosquitto.url, tmp_path)
    service = open_service(tmp_path, mosquitto.url, None, mode="clerk")
    try:
        await wait_until_async(lambda: service.keys() is not None, 10, "the key directory at the agent")
        outcome = service.pay(PaymentRequest(1700, "EUR", "cash", {"format": "case", "value": "KR-7"},
                                             case_ref="KR-7", cash_given_minor=2000))
        assert outcome.outcome == "approved" and outcome.receipt_qr
        app = CounterpayApp(service, "clerk")
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_text(pilot, "Type or scan the case number")
            app.post_message(ScanReceived(outcome.receipt_qr))       # as the serial scanner delivers it
            text = await wait_for_text(pilot, "Receipt VERIFIED")
            assert " VALID " in text and "17.00 EUR" in text
            digits = list(outcome.receipt_qr)
            digits[-5] = "1" if digits[-5] != "1" else "2"             # one digit of the signature changed
            app.post_message(ScanReceived("".join(digits)))
            text = await wait_for_text(pilot, "does NOT verify")
            assert " VALID " not in text
    finally:
        service.close()
