"""`counterpay remittance …`: read what a bank statement line's description pays.

    counterpay remittance parse '/PUR/LGPE-RIVERSAMENTO/URI/2021-03-17SIGPITM1XXX-S005147952'
    counterpay remittance parse 'RI1/PUR/LGPE-RIVERSAMENTO/URI/2' --json

Exit codes: 0 a reference to match on was found, 1 none was (nothing of ours, a
truncated flow id, an RF whose check digits fail), 2 usage error.  The plain output
starts with the verdict, then why, then the fields; --json prints `Remittance.as_dict()`.
"""

from __future__ import annotations

import json
import sys

import click

from protocol.money import Money
from protocol.remittance import Remittance, parse

KIND_NAMES = {"pagopa-flow": "pagoPA reporting flow transfer", "pagopa-single": "single pagoPA payment",
              "rf": "RF creditor reference"}
FIELD_LABELS = (("flow_id", "flow id"), ("iuv", "IUV"), ("reference", "RF reference"))


@click.group()
def remittance() -> None:
    """Remittance information of bank statement lines: pagoPA flows and payments, RF references."""


@remittance.command("parse")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (kind, flow_id, iuv, amount_minor, reference, errors).")
def parse_command(text: str, as_json: bool) -> None:
    """Read a statement line's description TEXT: which pagoPA flow, pagoPA payment or RF
    reference it pays.  Use '-' to read it from standard input."""
    if text == "-":
        text = sys.stdin.read().rstrip("\r\n")
    result = parse(text)
    click.echo(json.dumps(result.as_dict(), ensure_ascii=False) if as_json else describe(result))
    sys.exit(0 if result.usable else 1)


def describe(result: Remittance) -> str:
    """Readable lines: the verdict, why, then the fields."""
    if result.kind == "none" and not result.errors:
        return "NOTHING OF OURS: no pagoPA flow, pagoPA payment or RF reference"
    name = KIND_NAMES.get(result.kind, result.kind)
    lines = [f"FOUND {name}" if result.usable else f"NOT USABLE: {name}"]
    lines += [f"  ! {error}" for error in result.errors]
    for key, label in FIELD_LABELS:
        value = getattr(result, key)
        if value is not None:
            lines.append(f"  {label:<14}{value}")
    if result.amount_minor is not None:
        lines.append(f"  {'amount':<14}{Money(result.amount_minor, 'EUR')}")
    return "\n".join(lines)
