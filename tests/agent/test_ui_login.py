"""The login screen on the real service: clerk and cashier work only after a login, the
technician screen only for a technician; a wrong PIN says how many tries are left, the
fifth locks the name; F12, idle time and a roster without the operator return to it."""

from __future__ import annotations

from agent.sync.desk_roster import receive
from agent.ui.app import CounterpayApp
from protocol.keys import KeyDirectory, SigningKey

from tests.agent.test_desk_login import ANNA, TOM, roster
from tests.agent.ui_pilot import screen_text, type_text, wait_for_text
from tests.agent.ui_real import open_service

SIZE = (80, 24)


def _desk(tmp_path, mode: str, operators=(ANNA, TOM)):
    service = open_service(tmp_path, None, None, mode=mode, login=True)
    hub = SigningKey.generate()
    directory = KeyDirectory()
    directory.add(hub.public_entry("hub", ["event", "order"]))
    receive(service.store, roster(hub, list(operators)), directory, "Riga 1")
    return service, hub, directory


async def _log_in(pilot, username: str, secret: str) -> None:
    await type_text(pilot, username)
    await pilot.press("enter")
    await type_text(pilot, secret)
    await pilot.press("enter")


async def test_a_clerk_works_only_after_logging_in_and_f12_logs_out(tmp_path):
    service, _, _ = _desk(tmp_path, "clerk")
    try:
        async with CounterpayApp(service, "clerk").run_test(size=SIZE) as pilot:
            text = await wait_for_text(pilot, "Log in to work at this desk (clerk)")
            assert "Clerk: take a fee" not in text
            await _log_in(pilot, "anna", "111111")
            text = await wait_for_text(pilot, "Wrong user name or PIN")
            assert "4 tries left" in text and "111111" not in text
            assert pilot.app.screen.query_one("#login-secret").value == ""      # cleared after every try
            await pilot.press("escape")
            await _log_in(pilot, "anna", "492817")
            text = await wait_for_text(pilot, "Clerk: take a fee")
            assert "Operator anna" in text
            await pilot.press("f12")
            text = await wait_for_text(pilot, "Logged out.")
            assert "Log in to work at this desk" in text and service.operator is None
    finally:
        service.close()


async def test_the_fifth_wrong_pin_locks_the_name(tmp_path):
    service, _, _ = _desk(tmp_path, "cashier")
    try:
        async with CounterpayApp(service, "cashier").run_test(size=SIZE) as pilot:
            await wait_for_text(pilot, "(cashier)")
            await type_text(pilot, "anna")
            await pilot.press("enter")
            for _ in range(5):
                await type_text(pilot, "000000")
                await pilot.press("enter")
                await pilot.app.workers.wait_for_complete()
                await pilot.pause()
            await wait_for_text(pilot, "this name is locked for 5 min")
            await type_text(pilot, "492817")                   # the right PIN waits too
            await pilot.press("enter")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            assert "locked for 5 min" in screen_text(pilot.app) and service.operator is None
    finally:
        service.close()


async def test_technician_mode_needs_a_technician(tmp_path):
    service, _, _ = _desk(tmp_path, "technician")
    try:
        async with CounterpayApp(service, "technician").run_test(size=SIZE) as pilot:
            await wait_for_text(pilot, "(technician)")
            await _log_in(pilot, "anna", "492817")
            await wait_for_text(pilot, "This user may not work in this mode")
            await pilot.press("escape")
            await _log_in(pilot, "tom", "907153")
            text = await wait_for_text(pilot, "Status F1")
            assert "Operator tom" in text
    finally:
        service.close()


async def test_idle_time_returns_to_the_login_screen(tmp_path):
    service, _, _ = _desk(tmp_path, "clerk")
    try:
        async with CounterpayApp(service, "clerk", idle_logout_s=5).run_test(size=SIZE) as pilot:
            await wait_for_text(pilot, "(clerk)")
            await _log_in(pilot, "anna", "492817")
            await wait_for_text(pilot, "Clerk: take a fee")
            await wait_for_text(pilot, "Logged out after 1 min without use.", timeout_s=10)
            assert service.operator is None
    finally:
        service.close()


async def test_a_roster_without_the_operator_ends_the_session_on_screen(tmp_path):
    service, hub, directory = _desk(tmp_path, "clerk")
    try:
        async with CounterpayApp(service, "clerk").run_test(size=SIZE) as pilot:
            await wait_for_text(pilot, "(clerk)")
            await _log_in(pilot, "anna", "492817")
            await wait_for_text(pilot, "Clerk: take a fee")
            # What the sync client does when the hub's next roster arrives (over MQTT: test_desk_login.py).
            receive(service.store, roster(hub, [TOM], time="2026-12-04T09:00:00.000Z"), directory, "Riga 1")
            service._roster_heard()
            await wait_for_text(pilot, "Your session ended: the hub no longer lists you")
    finally:
        service.close()


async def test_a_kiosk_shows_no_login(tmp_path):
    service, _, _ = _desk(tmp_path, "kiosk")
    try:
        async with CounterpayApp(service, "kiosk").run_test(size=SIZE) as pilot:
            await pilot.pause(0.5)
            assert "Log in" not in screen_text(pilot.app)
    finally:
        service.close()


async def test_no_idle_logout_while_the_terminal_is_busy_with_a_payment():
    from tests.agent.ui_double import UiDouble
    double = UiDouble(login_required=True)
    double._status.terminal_state = "busy"            # from the start: a loaded machine may be slow to look
    async with CounterpayApp(double, "clerk", idle_logout_s=1).run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, "(clerk)")
        await _log_in(pilot, "anna", "492817")
        await wait_for_text(pilot, "Clerk: take a fee")
        await pilot.pause(2.5)
        assert "Clerk: take a fee" in screen_text(pilot.app) and double._status.operator == "anna"
        double._status.terminal_state = "ready"
        pilot.app.refresh_status()
        await wait_for_text(pilot, "Logged out after 1 min without use.", timeout_s=10)
