"""`counterpay qr make cp-order | cp-receipt`: counterpay's own signed codes, for commissioning and tests.

The hub signs orders and agents sign receipts in production; these commands sign with a
key folder made by `counterpay keys new`, so a technician can print test codes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from counterpay.commands.keys import load_signing_key
from counterpay.commands.qr_emit import amount_minor, emit, image_options
from protocol.domain import Tender
from protocol.qr import cp_order, cp_receipt

KEY_OPTION = click.option("--key", "key_path", required=True, type=click.Path(exists=True, path_type=Path),
                          help="Key folder (its signing-key.pem) or a PEM file.")


@click.command("cp-order")
@KEY_OPTION
@click.option("--order-id", required=True)
@click.option("--case", "case_ref", required=True, help="Case reference the order pays for.")
@click.option("--amount", help="Amount, e.g. 125,00; leave out for an open amount.")
@click.option("--currency", default="EUR", show_default=True)
@click.option("--position", "positions", multiple=True, help="Fee position code (repeatable).")
@click.option("--payer-name", default="")
@click.option("--payer-id", default="")
@click.option("--expires", default=lambda: (dt.date.today() + dt.timedelta(days=30)).isoformat(),
              show_default="30 days from today", help="Last valid day, YYYY-MM-DD.")
@image_options
def make_cp_order(key_path: Path, order_id: str, case_ref: str, amount: str | None, currency: str,
                  positions: tuple[str, ...], payer_name: str, payer_id: str, expires: str,
                  png: Path | None, svg: Path | None) -> None:
    """A counterpay payment order code, signed with the hub's order key."""
    key = load_signing_key(key_path)
    order = cp_order.PaymentOrderCode(order_id, case_ref, amount_minor(amount, currency), currency.upper(), positions,
                                      payer_name, payer_id, expires)
    emit(lambda: cp_order.make(order, key), png, svg)


@click.command("cp-receipt")
@KEY_OPTION
@click.option("--receipt-id", required=True)
@click.option("--agent-id", required=True, help="The agent that took the payment (owner of the key).")
@click.option("--amount", required=True)
@click.option("--currency", default="EUR", show_default=True)
@click.option("--tender", type=click.Choice([tender.value for tender in Tender]), default=Tender.CARD.value,
              show_default=True)
@click.option("--terminal-ref", default="")
@click.option("--reference", default="", help="Order id or case reference paid.")
@click.option("--last4", default="", help="Last 4 card digits (never more).")
@click.option("--time", "time_", default=lambda: dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
              show_default="now")
@image_options
def make_cp_receipt(key_path: Path, receipt_id: str, agent_id: str, amount: str, currency: str, tender: str,
                    terminal_ref: str, reference: str, last4: str, time_: str,
                    png: Path | None, svg: Path | None) -> None:
    """A counterpay receipt code, signed with the agent's receipt key."""
    key = load_signing_key(key_path)
    code = cp_receipt.ReceiptCode(receipt_id, agent_id, time_, amount_minor(amount, currency), currency.upper(), tender,
                                  terminal_ref, reference, last4)
    emit(lambda: cp_receipt.make(code, key), png, svg)


SIGNED_MAKERS = (make_cp_order, make_cp_receipt)
"""The makers `qr make` adds to its group."""
