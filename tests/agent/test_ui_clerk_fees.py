"""The clerk with an office's rules, against the real AgentService (real SQLite, the catalogue and the
office's own catalogue retained on a real mosquitto): the legal act and notes on screen, mandatory
positions added and kept, a discount chosen with its reason, the handling fee shown per tender, and
the receipt with the VAT, the discount and the fee, in the desk's language."""

from __future__ import annotations

from agent.ui.app import CounterpayApp
from protocol.wire import topics
from tests.agent.ui_pilot import go_to_row, type_text, wait_for_text
from tests.agent.ui_real import open_service, publish_catalogue
from tests.support.waiting import wait_until

SHARED = {"version": 9, "currency": "EUR", "price_lists": [
    {"code": "VEH", "name": "Vehicle registration", "service_step": 1, "positions": [
        {"code": "REG", "name": "Registration", "unit_price_minor": 5000, "vat_rate_bp": 0, "mandatory": True,
         "legal_act": "MK 1234 §5", "notes": "Once per vehicle"},
        {"code": "PLATE", "name": "Plates", "unit_price_minor": 3100, "vat_rate_bp": 2100,
         "discounts": [{"name": "Senior", "percent_bp": 5000}]}]}]}
OFFICE = {"version": 10, "office": "Riga 1", "currency": "EUR", "price_lists": [], "handling_fees": [
    {"price_list": "VEH", "fixed_minor": 50, "tenders": ["cash"], "collect": "with_payment"}]}


async def test_clerk_takes_a_service_with_its_mandatory_position_a_discount_and_the_fee(tmp_path, mosquitto):
    publish_catalogue(mosquitto.url, SHARED)
    publish_catalogue(mosquitto.url, OFFICE, topics.office_catalogue("Riga 1"))
    service = open_service(tmp_path, mosquitto.url, None, mode="clerk", with_catalogue=False)
    try:
        wait_until(lambda: [p.code for p in service.catalogue()] == ["REG", "PLATE"], 10, "the shared catalogue")
        wait_until(lambda: service.quote([{"code": "REG"}], "cash")["fee_minor"] == 50, 10, "the office's fee rule")
        app = CounterpayApp(service, "clerk")
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_text(pilot, "terminal: not configured")
            await type_text(pilot, "KR-9")
            await pilot.press("enter")
            text = await wait_for_text(pilot, "Legal act: MK 1234 §5")
            assert "Note: Once per vehicle" in text
            await go_to_row(pilot, "position-table", "PLATE")
            await pilot.press("enter")                          # plates: the mandatory registration comes along
            await wait_for_text(pilot, "2 positions selected, total 81.00 EUR")
            await go_to_row(pilot, "position-table", "REG")
            await pilot.press("minus")                          # cannot be taken out while plates are in
            await wait_for_text(pilot, "Registration is mandatory for this service")
            await go_to_row(pilot, "position-table", "PLATE")
            await pilot.press("d")                              # Senior, 50 %
            await pilot.press("f2")
            await wait_for_text(pilot, "The discount Senior needs its reason")
            await type_text(pilot, "pension card 4411")
            await pilot.press("enter")
            await wait_for_text(pilot, "2 positions selected, total 65.50 EUR")
            await pilot.press("f2")
            text = await wait_for_text(pilot, "with a handling fee of 0.50 EUR")
            assert "Cash: 66.00 EUR" in text
            await type_text(pilot, "70")
            await wait_for_text(pilot, "Change to give back: 4.00 EUR")
            await pilot.press("enter")
            await wait_for_text(pilot, "Approved")
            lines = app.screen.query_one("#receipt").outcome.receipt_lines
        text = "\n".join(lines)
        for expected in ("Discount: Senior", "Reason: pension card 4411", "-15.50 EUR", "Handling fee", "0.50 EUR",
                         "TOTAL", "66.00 EUR", "VAT 21% 2.69", "VAT total"):
            assert expected in text, expected
        assert service.totals_today() == {"cash": (1, 6600)}
    finally:
        service.close()
