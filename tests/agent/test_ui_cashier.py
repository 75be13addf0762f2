"""Cashier mode against the real AgentService: scan → verdict → charge → receipt, totals, end of day.

The order is scanned by `counterpay sim scanner` on a real pty, read by the agent's
SerialScanner and handed to the app; a keyboard-wedge scan is typed key by key.
"""

from __future__ import annotations

from agent.scanner.serial_reader import SerialScanner
from agent.ui.app import CounterpayApp
from tests.agent.scanner_sim import pull_trigger, sim_scanner, wait_connected
from tests.agent.ui_pilot import type_text, wait_for_text
from tests.agent.ui_real import PAGOPA_BAD_CHECK, PAGOPA_OK, open_service, zvt_terminal
from tests.support.waiting import wait_until_async


async def test_cashier_charges_a_serially_scanned_order_and_closes_the_day(tmp_path, mosquitto):
    with zvt_terminal(tmp_path) as sim:
        service = open_service(tmp_path, mosquitto.url, sim.device, mode="cashier")
        try:
            await _scan_charge_and_close_the_day(service)
        finally:
            service.close()
    assert [r["amount_minor"] for r in sim.requests() if r.get("kind") == "payment"] == [5000]


async def _scan_charge_and_close_the_day(service) -> None:
    # Like a real scanner, a scan nobody reads is lost: pull the trigger once the port is open.
    with sim_scanner("--payload", PAGOPA_OK, "--trigger") as (scanner_process, scanner_device):
        reader = SerialScanner(scanner_device)
        app = CounterpayApp(service, "cashier", scanner=reader)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_connected(reader)
            pull_trigger(scanner_process)
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


async def test_cashier_takes_cash_for_a_hub_signed_open_amount_order_and_finds_the_payer(tmp_path, mosquitto):
    # Seed 003: the clerk prints a signed order, the cashier (no link to case systems) scans it.
    from agent.ui.messages import ScanReceived
    from protocol.keys import SigningKey
    from protocol.qr import cp_order
    from tests.agent.ui_real import publish_key_directory

    hub = SigningKey.generate()
    publish_key_directory(mosquitto.url, tmp_path, hub_key=hub)
    open_order = cp_order.make(cp_order.PaymentOrderCode(
        "O-77", "WAW/2026/77", None, "EUR", ("REG-01",), "Jan Kowalski", "85010112345", "2099-12-31", hub.kid), hub)
    expired = cp_order.make(cp_order.PaymentOrderCode(
        "O-78", "WAW/2026/78", 1700, "EUR", ("STAMP",), "Anna Nowak", "90020254321", "2020-01-31", hub.kid), hub)
    service = open_service(tmp_path, mosquitto.url, None, mode="cashier")
    try:
        await wait_until_async(lambda: service.keys() is not None, 10, "the key directory at the agent")
        app = CounterpayApp(service, "cashier")
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_text(pilot, "online")
            app.post_message(ScanReceived(expired))
            await wait_for_text(pilot, " EXPIRED ")
            app.post_message(ScanReceived(open_order))
            text = await wait_for_text(pilot, " VALID ")
            assert "WAW/2026/77" in text and "Jan Kowalski" in text
            await pilot.press("f5")
            await wait_for_text(pilot, "open amount")
            await type_text(pilot, "45.50")
            await pilot.press("enter")                         # on to the cash given (no terminal: no Card)
            await type_text(pilot, "50")
            await wait_for_text(pilot, "Change to give back: 4.50 EUR")
            await pilot.press("enter")
            await wait_for_text(pilot, "Give back 4.50 EUR change.")
            await pilot.press("enter", "f2")
            await type_text(pilot, "kowal")
            text = await wait_for_text(pilot, "85010112345")
            assert "Jan Kowalski" in text
        assert service.totals_today() == {"cash": (1, 4550)}
    finally:
        service.close()
