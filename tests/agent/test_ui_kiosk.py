"""Kiosk mode against the real AgentService: scan a notice → confirm → pay by card → take the receipt.

Also: the idle reset back to the welcome page, the language switch, and that a
citizen has no way out of the kiosk (no quit key, no command palette).
"""

from __future__ import annotations

from agent.ui.app import CounterpayApp
from tests.agent.ui_pilot import screen_text, type_text, wait_for_text
from tests.agent.ui_real import PAGOPA_BAD_CHECK, PAGOPA_OK, open_service, zvt_terminal


async def test_citizen_pays_a_notice_by_card_and_the_kiosk_resets_when_idle(tmp_path, mosquitto):
    with zvt_terminal(tmp_path) as sim:
        service = open_service(tmp_path, mosquitto.url, sim.device, mode="kiosk")
        try:
            app = CounterpayApp(service, "kiosk", idle_reset_s=2)
            async with app.run_test(size=(80, 24)) as pilot:
                text = await wait_for_text(pilot, "Pay your fee here")
                assert "ui-test-01" not in text                   # no desk details for the public
                await type_text(pilot, PAGOPA_OK)                 # a keyboard-wedge scanner
                await pilot.press("enter")
                text = await wait_for_text(pilot, "Please check the amount")
                assert "001340000013900808" in text and "Pay by card" in text
                await pilot.press("enter")
                await wait_for_text(pilot, "Thank you. Please take your receipt.", timeout_s=20)
                assert "Reprint" not in screen_text(app)
                await wait_for_text(pilot, "Pay your fee here", timeout_s=6)   # idle reset
                await pilot.press("ctrl+q", "ctrl+c", "ctrl+p", "ctrl+o")   # no way out, no admin
                await pilot.pause(0.3)
                assert app.is_running and type(app.screen).__name__ == "KioskScreen"
                assert "Pay your fee here" in screen_text(app)
        finally:
            service.close()
    assert [r["amount_minor"] for r in sim.requests() if r.get("kind") == "payment"] == [5000]


async def test_kiosk_refuses_a_bad_notice_in_the_citizens_language(tmp_path, mosquitto):
    service = open_service(tmp_path, mosquitto.url, None, mode="kiosk")
    try:
        app = CounterpayApp(service, "kiosk", idle_reset_s=60)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_text(pilot, "Pay your fee here")
            await pilot.press("f2")                                 # English → Ελληνικά
            await wait_for_text(pilot, "Πληρώστε εδώ το τέλος σας")
            await pilot.press("f2", "f2")                          # → Italiano → Latviešu
            await pilot.press("f2")                                # → Polski
            await wait_for_text(pilot, "Tutaj zapłacisz opłatę")
            await type_text(pilot, PAGOPA_BAD_CHECK)
            await pilot.press("enter")
            await wait_for_text(pilot, "Tego kodu nie można tu opłacić (błędne cyfry kontrolne)")
        assert service.recent_payments() == []
    finally:
        service.close()


async def test_the_kiosk_prints_the_receipt_in_the_language_the_citizen_chose(tmp_path, mosquitto):
    with zvt_terminal(tmp_path) as sim:
        service = open_service(tmp_path, mosquitto.url, sim.device, mode="kiosk")
        try:
            app = CounterpayApp(service, "kiosk", idle_reset_s=60)
            async with app.run_test(size=(80, 24)) as pilot:
                await wait_for_text(pilot, "Pay your fee here")
                await pilot.press("f2")                                 # English → Ελληνικά
                await wait_for_text(pilot, "Πληρώστε εδώ το τέλος σας")
                await type_text(pilot, PAGOPA_OK)
                await pilot.press("enter")
                await pilot.pause(0.5)
                await pilot.press("enter")
                await wait_for_text(pilot, "ΑΠΟΔΕΙΞΗ ΠΛΗΡΩΜΗΣ", timeout_s=20)
                lines = app.screen.query_one("#receipt").outcome.receipt_lines
            assert "ΑΠΟΔΕΙΞΗ ΠΛΗΡΩΜΗΣ" in lines[1] and any(line.startswith("ΣΥΝΟΛΟ") for line in lines)
            roll = (tmp_path / "receipts.bin").read_bytes()
            assert b"\x1bt\x0e" in roll                                 # ESC t 14: the printer's Greek code page
        finally:
            service.close()
    assert [r["amount_minor"] for r in sim.requests() if r.get("kind") == "payment"] == [5000]
