"""Cashier mode against the real AgentService: scan → verdict → charge → receipt, totals, end of day.

The order is scanned by `counterpay sim scanner` on a real pty, read by the agent's
SerialScanner and handed to the app; a keyboard-wedge scan is typed key by key.
"""

from __future__ import annotations

from agent.scanner.serial_reader import SerialScanner
from agent.ui.app import CounterpayApp
from tests.agent.scanner_sim import sim_scanner
from tests.agent.ui_pilot import screen_text, type_text, wait_for_text
from tests.agent.ui_real import PAGOPA_BAD_CHECK, PAGOPA_OK, open_service, zvt_terminal


async def test_cashier_charges_a_serially_scanned_order_and_closes_the_day(tmp_path, mosquitto):
    with zvt_terminal(tmp_path) as sim:
        service = open_service(tmp_path, mosquitto.url, sim.device, mode="cashier")
        try:
            await _scan_charge_and_close_the_day(service)
        finally:
            service.close()
    assert [r["amount_minor"] for r in sim.requests() if r.get("kind") == "payment"] == [5000]


async def _scan_charge_and_close_the_day(service) -> None:
    # The scanner "scans" 1.5 s after it starts; like a real one, a scan nobody reads is lost.
    with sim_scanner("--payload", PAGOPA_OK, "--delay", "1.5", "--linger", "60") as (_, scanner_device):
        app = CounterpayApp(service, "cashier", scanner=SerialScanner(scanner_device))
        async with app.run_test(size=(80, 24)) as pilot:
            text = await wait_for_text(pilot, " VALID ")
            assert "pagopa" in text and "Amount: 50.00 EUR" in text and "001340000013900808" in text
            assert "F5: charge" in text
            await pilot.press("f5")
            await wait_for_text(pilot, "To pay: 50.00 EUR")
            await pilot.press("enter")
            await wait_for_text(pilot, "Approved", timeout_s=20)
            await wait_for_text(pilot, "TOTAL")
            await pilot.press("enter")                      # next payment
            await pilot.press("f3")
            await wait_for_text(pilot, "Card    1      50.00 EUR")
            await pilot.press("f4", "enter")
            text = await wait_for_text(pilot, "Journal ", timeout_s=20)
            assert "Terminal  1      50.00 EUR" in text and "Journal   1      50.00 EUR" in text
            assert "MISMATCH" not in text and "match the journal" in text


async def test_cashier_shows_wrong_check_digits_plainly_and_will_not_charge(tmp_path, mosquitto):
    service = open_service(tmp_path, mosquitto.url, None, mode="cashier")
    try:
        app = CounterpayApp(service, "cashier")
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_text(pilot, "online")
            await type_text(pilot, PAGOPA_BAD_CHECK)
            await pilot.press("enter")
            text = await wait_for_text(pilot, "CHECK DIGITS WRONG")
            assert "2222.50 EUR" in text
            await pilot.press("f5")
            await wait_for_text(pilot, "Only a valid code with an amount can be charged.")
        assert service.recent_payments() == []
    finally:
        service.close()


async def test_cashier_explains_a_wedge_scan_typed_through_a_qwertz_layout(tmp_path, mosquitto):
    service = open_service(tmp_path, mosquitto.url, None, mode="cashier")
    try:
        app = CounterpayApp(service, "cashier")
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_text(pilot, "online")
            await type_text(pilot, PAGOPA_OK.replace("|", "<"))
            await pilot.press("enter")
            text = await wait_for_text(pilot, "the separator '|' arrived as '<'")
            assert "Switch the scanner to serial mode" in text and "UNKNOWN CODE" in text
            await pilot.press("f6")                             # check the repaired reading
            await wait_for_text(pilot, " VALID ")
    finally:
        service.close()
