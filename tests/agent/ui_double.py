"""A UI test double with the UI's face of the core (CounterService), for snapshot tests of static layouts ONLY.

Snapshots need fixed data (same agent id, same catalogue, no clock); every pilot test
of a mode's main path runs against the real AgentService instead (test_ui_*_real.py).
"""

from __future__ import annotations

from agent.desk_login import DeskOperator
from agent.service import (AgentStatus, CaseLookup, CataloguePosition, CodeVerdict, DeskLoginOutcome, EodComparison,
                           PaymentOutcome)

CATALOGUE = [
    CataloguePosition("REG-01", "Vehicle registration", None, "pcs", 18050, 0, True, "Act 12/2020", ["card", "cash"]),
    CataloguePosition("REG-02", "Registration plates", "REG-01", "pair", 8000, 2300, False, None, ["card", "cash"],
                      notes="Two plates per vehicle", discounts=[{"name": "Disabled", "percent_bp": 5000}]),
    CataloguePosition("DL-01", "Driving licence", None, "pcs", 10050, 0, False, None, ["card"]),
    CataloguePosition("STAMP", "Stamp duty", None, "pcs", 1700, 0, False, "Stamp Act", ["card", "cash"]),
]

VALID = CodeVerdict("pagopa", True, "valid", [], 5000, "EUR", {"format": "pagopa", "value": "001340000013900808"},
                    None, None, "Mario Rossi", "RSSMRA80A01H501U", {})
BAD = CodeVerdict("pagopa", False, "check digits wrong", ["the notice number's check digits should be 90, not 00"],
                  222250, "EUR", {"format": "pagopa", "value": "399000012345678900"}, None, None, None, None, {})


class UiDouble:
    login_required = False          # the login screen's own tests run on the real service

    def __init__(self, *, online: bool = True, mismatch: bool = False, login_required: bool = False,
                 card_refused: dict | None = None) -> None:
        self._status = AgentStatus("riga-desk-01", "Riga 1", "clerk", online, 3, 42, 10000, "ready", "zvt", None)
        self.mismatch = mismatch
        self.login_required = login_required
        self.card_refused = card_refused
        self.subscribers = []

    def login(self, username, secret):
        if username == "anna" and secret == "492817":
            self._status.operator = "anna"
            return DeskLoginOutcome(DeskOperator("anna", "desk", "2026-12-04T08:00:00+00:00"))
        return DeskLoginOutcome(refused="wrong", tries_left=4)

    def logout(self):
        self._status.operator = None

    def subscribe(self, callback) -> None:
        self.subscribers.append(callback)

    def status(self) -> AgentStatus:
        return self._status

    def catalogue(self):
        return list(CATALOGUE)

    def lookup_case(self, case_ref):
        if case_ref == "WAW/77":
            return CaseLookup(case_ref, 18050, "EUR", [{"code": "REG-01", "quantity": 1}], "Jan Kowalski",
                              "85010112345", "Case found: registration of WAW 77")
        return None

    def check_code(self, payload):
        return VALID if payload.startswith("PAGOPA|002|0013") else BAD

    def verify_receipt(self, payload):
        return BAD

    def pay(self, request, on_progress=lambda text: None):
        on_progress("Insert card")
        return PaymentOutcome("p-1", "approved", "", "r-1", ["RECEIPT", "Riga 1", "TOTAL 50.00 EUR"], None, None, None)

    def resolve_operator_check(self, payment_id, charged, operator):
        return PaymentOutcome(payment_id, "approved" if charged else "declined", "", None, [], None, None, None)

    def undo(self, request):
        if request.supervisor_secret != "731904":
            return PaymentOutcome(None, "refused", "", reason="approval_refused",
                                  details={"refused": "wrong", "tries_left": 4, "wait_s": 0})
        return PaymentOutcome("void-1", "approved", "approved", "R-20261204-000043", [], None, None, None)

    def open_payments(self):
        return []

    def reprint(self, receipt_id):
        return ["RECEIPT (copy)"]

    def totals_today(self):
        return {"card": (3, 25050), "cash": (1, 1700)}

    def end_of_day(self):
        if self.mismatch:
            return EodComparison(4, 27050, 3, 25050, "EUR", True, "terminal has 1 payment the journal lacks", {})
        return EodComparison(3, 25050, 3, 25050, "EUR", False, "", {})

    def search_payers(self, text):
        return [{"name": "Jan Kowalski", "id": "85010112345", "last_seen": "2026-11-21", "last_order_id": "O-77"}]

    def card_refusal(self, codes, order_id=None):
        return self.card_refused

    def recent_payments(self, limit=20):
        return []

    def check_terminal(self):
        return {"ok": True, "message": "terminal ready", "protocol": "zvt", "device": "/dev/ttyUSB0"}

    def diagnostics(self):
        return {"broker": {"url": "mqtts://hub.example:8883", "connected": True},
                "tls": {"ca": "counterpay hub CA", "client_cert_expires": "2027-11-01", "days_left": 344},
                "clock_skew_s": 0.4,
                "outbox": {"depth": 3, "oldest_age_s": 42, "cap": 10000},
                "terminal": {"protocol": "zvt", "device": "/dev/ttyUSB0", "state": "ready"},
                "log": ["12:00:01 sync connected", "12:00:02 catalogue v7 cached"]}
