"""Snapshots of every screen at 80×24 (pytest-textual-snapshot; SVGs in __snapshots__/).

Static layouts only, fed by the UI test double (fixed agent id, catalogue and verdicts,
no clocks): the behaviour of each mode is proven by the pilot tests on the real service.
Update after an intended change with `pytest tests/agent/test_ui_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from textual.widgets import Input

from agent.ui.app import CounterpayApp
from agent.ui.screens.operator_check import OperatorCheckScreen
from tests.agent.ui_double import UiDouble

SIZE = (80, 24)
PAGOPA_OK = "PAGOPA|002|001340000013900808|00311260095|5000"


async def settle(pilot) -> None:
    # No sliding tab underlines: a snapshot must not depend on how far an animation got.
    pilot.app.animation_level = "none"
    await pilot.pause()
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False          # nor on where the blinking cursor was
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def keys_then_settle(*texts: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        for text in texts:
            if text == "wait":
                # A pressed button looks "active" for 0.2 s; a tab's underline slides for a while.
                await pilot.pause(0.6)
            elif text.startswith("key:"):
                await pilot.press(text[4:])
            else:
                # Static layouts: the text lands at once (typing is proven by the pilot tests).
                pilot.app.screen.focused.insert_text_at_cursor(text)
            await settle(pilot)
    return run_before


def test_clerk_case_entry(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(), "clerk"), terminal_size=SIZE, run_before=keys_then_settle())


def test_clerk_case_entry_in_polish_with_translated_keys(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(), "clerk", language="pl"), terminal_size=SIZE,
                        run_before=keys_then_settle())


def test_clerk_positions_from_a_case_lookup(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(), "clerk"), terminal_size=SIZE,
                        run_before=keys_then_settle("WAW/77", "key:enter"))


def test_clerk_position_notes_and_a_discount_waiting_for_its_reason_in_latvian(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(), "clerk", language="lv"), terminal_size=SIZE,
                        run_before=keys_then_settle("WAW/77", "key:enter", "key:down", "key:enter", "key:d",
                                                    "apliecība 12"))


def test_clerk_tender_with_cash_change(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(), "clerk"), terminal_size=SIZE,
                        run_before=keys_then_settle("WAW/77", "key:enter", "key:f2", "key:tab", "200"))


def test_clerk_receipt(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(), "clerk"), terminal_size=SIZE,
                        run_before=keys_then_settle("WAW/77", "key:enter", "key:f2", "key:enter", "wait"))


def test_operator_check_dialog(snap_compare):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.push_screen(OperatorCheckScreen(
            "outcome unknown, the operator must check the terminal: no answer within 60 s.",
            "1. On the terminal, look for a payment of 17.00 EUR at about 12:14.\n"
            "2. If its last ticket shows 17.00 EUR ACCEPTED: press Charged.\n"
            "3. If it shows a refusal or an older transaction: press Not charged."))
        await settle(pilot)
    assert snap_compare(CounterpayApp(UiDouble(), "clerk"), terminal_size=SIZE, run_before=run_before)


def test_cashier_valid_order(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(), "cashier"), terminal_size=SIZE,
                        run_before=keys_then_settle(PAGOPA_OK, "key:enter"))


def test_cashier_wedge_scan_explained(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(), "cashier"), terminal_size=SIZE,
                        run_before=keys_then_settle(PAGOPA_OK.replace("|", "§"), "key:enter"))


def test_cashier_totals_today(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(), "cashier"), terminal_size=SIZE,
                        run_before=keys_then_settle("key:f3", "wait"))


def test_cashier_end_of_day_mismatch_warning(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(mismatch=True), "cashier"), terminal_size=SIZE,
                        run_before=keys_then_settle("key:f4", "key:enter", "wait"))


def test_cashier_payer_search(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(), "cashier"), terminal_size=SIZE,
                        run_before=keys_then_settle("key:f2", "Ko", "wait"))   # one search only


def test_kiosk_welcome(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(), "kiosk"), terminal_size=SIZE, run_before=keys_then_settle())


def test_kiosk_confirm_amount_in_italian(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(), "kiosk", language="it"), terminal_size=SIZE,
                        run_before=keys_then_settle(PAGOPA_OK, "key:enter"))


def test_technician_status(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(), "technician"), terminal_size=SIZE,
                        run_before=keys_then_settle())


def test_technician_terminal_and_offline_status(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(online=False), "technician"), terminal_size=SIZE,
                        run_before=keys_then_settle("key:f3", "wait"))


def test_login_before_clerk_work(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(login_required=True), "clerk"), terminal_size=SIZE,
                        run_before=keys_then_settle())


def test_login_refused_with_the_tries_left_in_latvian(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(login_required=True), "cashier", language="lv"), terminal_size=SIZE,
                        run_before=keys_then_settle("anna", "key:enter", "000000", "key:enter"))


def test_clerk_screen_names_the_operator_logged_in(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(login_required=True), "clerk"), terminal_size=SIZE,
                        run_before=keys_then_settle("anna", "key:enter", "492817", "key:enter"))


NOT_ACTIVE = {"reason": "card_not_active", "message": "card payments are not active for service step VEH",
              "details": {"service": "VEH"}}


def test_clerk_tender_without_the_card_for_a_step_not_activated(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(card_refused=NOT_ACTIVE), "clerk"), terminal_size=SIZE,
                        run_before=keys_then_settle("WAW/77", "key:enter", "key:f2", "wait"))


def test_cashier_tender_without_the_card_for_a_step_not_activated_in_latvian(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(card_refused=NOT_ACTIVE), "cashier", language="lv"),
                        terminal_size=SIZE, run_before=keys_then_settle(PAGOPA_OK, "key:enter", "key:f5", "wait"))


def test_cashier_payer_picked_for_the_next_payment(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(), "cashier"), terminal_size=SIZE,
                        run_before=keys_then_settle("key:f2", "Ko", "wait", "key:tab", "key:enter", "wait"))


def test_kiosk_refuses_a_step_not_activated_for_cards(snap_compare):
    assert snap_compare(CounterpayApp(UiDouble(card_refused=NOT_ACTIVE), "kiosk"), terminal_size=SIZE,
                        run_before=keys_then_settle(PAGOPA_OK, "key:enter"))


def test_void_screen_with_an_approval_refused(snap_compare):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        for text in ("R-20261204-000042", "wrong amount typed", "", "sam", "000000"):
            pilot.app.screen.focused.insert_text_at_cursor(text)
            await pilot.press("enter")
            await settle(pilot)
    assert snap_compare(CounterpayApp(UiDouble(), "clerk"), terminal_size=SIZE, run_before=run_before)
