"""A scanned code's verdict, plainly: VALID, or what exactly is wrong with it.

A receipt code is shown as the receipt it is: which payment (receipt, what it paid
for, amount, when), whatever the screen that scanned it.  An order the hub cancelled or
changed says so in the desk's language, with the back office's reason (the English
sentence agent/order_checks.py put first among the errors is for logs).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from protocol.domain import ReferenceFormat

from agent.ui.format import money


def verdict_text(verdict: Any, t) -> Text:
    text = Text()
    label = t(f"verdict.{verdict.verdict}").upper()
    text.append(f" {label} ", "bold white on green" if verdict.valid else "bold white on red")
    text.append(f"  {verdict.format}\n")
    if verdict.amount_minor is not None:
        text.append(t("verdict.amount") + ": ", "dim")
        text.append(money(verdict.amount_minor, verdict.currency) + "\n", "bold")
    if getattr(verdict, "is_receipt", False):
        _receipt_lines(text, verdict.fields or {}, t)
        reference = {}
    else:
        reference = verdict.reference or {}
    if reference.get("value"):
        text.append(t("verdict.reference") + ": ", "dim")
        kind = reference.get("format")
        text.append((f"{kind} " if kind and kind != ReferenceFormat.NONE else "") + f"{reference['value']}\n")
    if verdict.case_ref:
        text.append(t("verdict.case") + ": ", "dim")
        text.append(f"{verdict.case_ref}\n")
    if verdict.payer_name or verdict.payer_id:
        text.append(t("verdict.payer") + ": ", "dim")
        text.append(" ".join(x for x in (verdict.payer_name, verdict.payer_id) if x) + "\n")
    errors = list(verdict.errors or [])
    facts = getattr(verdict, "order_state", None)
    if facts:
        shown = facts | {"amount": money(facts.get("amount_minor"), facts.get("currency"))}
        text.append("✗ " + t(f"verdict.order_{facts['state']}", **shown) + "\n", "bold red")
        errors = errors[1:]
    for error in errors:
        text.append("✗ " + error + "\n", "red")
    return text


def _receipt_lines(text: Text, fields: dict, t) -> None:
    for key, value in (("verdict.receipt", fields.get("receipt_id")), ("verdict.paid_for", fields.get("reference")),
                       ("verdict.paid_at", fields.get("time"))):
        if value:
            text.append(t(key) + ": ", "dim")
            text.append(f"{value}\n")


class VerdictView(Static):
    DEFAULT_CSS = """
    VerdictView { height: auto; padding: 0 1; }
    """

    def show(self, verdict: Any) -> None:
        self.update(verdict_text(verdict, self.app.t) if verdict is not None else "")
