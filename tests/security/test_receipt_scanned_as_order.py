"""Attack: hand the cash point a receipt code as if it were a payment order.

Before, the real agent charged it ("approved: paid in cash; change 25.00 EUR") and the
payment was taken twice.  Now the headless agent program refuses it with the reason, the
cashier screen shows it as the receipt of the payment it proves (verified or not), and no
second payment is journaled.
"""

from __future__ import annotations

import json

from agent.ui.app import CounterpayApp
from agent.ui.messages import ScanReceived

from tests.agent.agent_process import AgentProcess, query
from tests.agent.conftest import keys, write_config  # noqa: F401  (fixture)
from tests.agent.ui_pilot import screen_text, wait_for_text
from tests.agent.ui_real import open_service, publish_key_directory
from tests.support.waiting import wait_until_async


def send(agent: AgentProcess, document: dict) -> dict:
    agent.process.stdin.write(json.dumps(document) + "\n")
    agent.process.stdin.flush()
    outcome = agent.next("outcome")
    assert outcome is not None, agent.stderr()
    return outcome


def test_headless_agent_refuses_a_receipt_handed_as_an_order(tmp_path, keys):  # noqa: F811
    config = write_config(tmp_path, keys)
    (tmp_path / "keys" / "key_directory.json").write_text(json.dumps(keys.directory.to_json()))
    agent = AgentProcess(config)
    try:
        assert agent.next("ready") is not None, agent.stderr()
        paid = send(agent, {"amount_minor": 7500, "currency": "EUR", "tender": "cash", "cash_given_minor": 10000,
                            "reference": {"format": "case", "value": "KR-7"}, "case_ref": "KR-7"})
        assert paid["outcome"] == "approved" and paid["receipt_qr"]
        receipt = paid["receipt_qr"]

        scanned = send(agent, {"scan": receipt, "tender": "cash", "cash_given_minor": 10000})
        assert (scanned["outcome"], scanned["reason"], scanned["scan_format"]) == ("refused", "receipt_as_order",
                                                                                    "cp-receipt")
        assert "not an order" in scanned["message"] and "cannot be charged" in scanned["message"]
        for fields in ({"reference": {"format": "cp-order", "value": receipt}}, {"order_id": receipt},
                       {"case_ref": receipt}):
            typed = send(agent, {"amount_minor": 7500, "currency": "EUR", "tender": "cash", **fields})
            assert (typed["outcome"], typed["reason"]) == ("refused", "receipt_as_order"), typed
            assert typed["payment_id"] is None and "not a payment order" in typed["message"]
    finally:
        agent.stop()
    store = tmp_path / "data" / "agent.db"
    assert query(store, "SELECT COUNT(*) FROM journal") == [(1,)]        # the first payment only
    assert query(store, "SELECT COUNT(*) FROM outbox") == [(1,)]


async def test_cashier_screen_shows_a_scanned_receipt_as_a_receipt_and_cannot_charge_it(tmp_path, mosquitto):
    from agent.payments import PaymentRequest
    publish_key_directory(mosquitto.url, tmp_path)
    service = open_service(tmp_path, mosquitto.url, None, mode="cashier")
    try:
        await wait_until_async(lambda: service.keys() is not None, 10, "the key directory at the agent")
        paid = service.pay(PaymentRequest(1700, "EUR", "cash", {"format": "case", "value": "KR-7"},
                                          case_ref="KR-7", cash_given_minor=2000))
        assert paid.outcome == "approved"
        app = CounterpayApp(service, "cashier")
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for_text(pilot, "Scan the payment order")
            app.post_message(ScanReceived(paid.receipt_qr))                 # as the serial scanner delivers it
            text = await wait_for_text(pilot, "Receipt VERIFIED")
            assert "not a payment order: it cannot be charged" in text
            assert f"Receipt: {paid.receipt_id}" in text and "Paid for: KR-7" in text and "17.00 EUR" in text
            assert "Paid at: 20" in text and "F5: charge" not in text
            await pilot.press("f5")
            await wait_for_text(pilot, "Only a valid code with an amount can be charged.")
            assert "To pay" not in screen_text(app)

            digits = list(paid.receipt_qr)
            digits[-5] = "1" if digits[-5] != "1" else "2"                   # one signature digit changed
            app.post_message(ScanReceived("".join(digits)))
            text = await wait_for_text(pilot, "does NOT verify")
            assert "not a payment order" in text
        assert len(service.recent_payments()) == 1 and service.totals_today() == {"cash": (1, 1700)}
    finally:
        service.close()
