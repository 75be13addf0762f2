"""The void screen (F7) on the real service: a ZVT simulator on a pty, real SQLite, a supervisor in
the desk's roster.  A wrong PIN is refused with the tries left and nothing is sent; the right
one voids the payment once; a second void is refused with the void receipt's number."""

from __future__ import annotations

from argon2 import PasswordHasher

from agent.service import PaymentRequest
from agent.store import desk_operators
from agent.ui.app import CounterpayApp
from tests.agent.ui_pilot import type_text, wait_for_text
from tests.agent.ui_real import open_service, zvt_terminal

FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
SAM = {"username": "sam", "role": "supervisor", "verifier": FAST.hash("731904"), "changed_at": "2026-12-01T08:00:00Z"}


async def fill(pilot, receipt: str, reason: str, supervisor: str, secret: str) -> None:
    for text in (receipt, reason, "", supervisor, secret):
        await type_text(pilot, text)
        await pilot.press("enter")


async def test_f7_voids_a_card_payment_with_a_supervisors_pin_and_refuses_a_second_void(tmp_path, mosquitto):
    with zvt_terminal(tmp_path) as sim:
        service = open_service(tmp_path, mosquitto.url, sim.device, mode="cashier")
        try:
            desk_operators.replace(service.store, [SAM], "2026-12-04T08:00:00.000Z")
            paid = service.pay(PaymentRequest(2500, "EUR", "card", {"format": "case", "value": "KR-12"},
                                              case_ref="KR-12"))
            assert paid.outcome == "approved"
            app = CounterpayApp(service, "cashier")
            async with app.run_test(size=(80, 24)) as pilot:
                await wait_for_text(pilot, "terminal: ready")
                await pilot.press("f7")
                await wait_for_text(pilot, "Void or refund a card payment")
                await fill(pilot, paid.receipt_id, "wrong amount", "sam", "000000")
                text = await wait_for_text(pilot, "Approval refused")
                assert "4 tries left" in text and "000000" not in text
                assert [r for r in sim.requests() if r.get("kind") == "reversal"] == []
                await type_text(pilot, "731904")                  # the PIN field has the focus again
                await pilot.press("enter")
                await wait_for_text(pilot, "Voided. The void receipt R-", timeout_s=20)
                await pilot.press("escape")
                await pilot.press("f7")
                await wait_for_text(pilot, "Void or refund a card payment")
                await fill(pilot, paid.receipt_id, "again", "sam", "731904")
                await wait_for_text(pilot, "This payment was voided already")
        finally:
            service.close()
    reversals = [r for r in sim.requests() if r.get("kind") == "reversal" and r.get("charged")]
    assert len(reversals) == 1
