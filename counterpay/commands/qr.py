"""`counterpay qr …`: read, make and scan payment QR codes at the counter.

    counterpay qr parse 'PAGOPA|002|001340000013900808|00311260095|5000'
    counterpay qr make rf 539007547034 --png ref.png
    counterpay qr decode notice.png --json

Exit codes: 0 the code is valid, 1 it is not (or no code was found), 2 usage or
environment error.  The plain output starts with the verdict a cashier needs:
VALID, STRUCTURE WRONG, or CHECK DIGITS WRONG, and then why.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from counterpay.commands.keys import load_directory
from counterpay.commands.qr_emit import amount_minor, emit, image_options
from counterpay.commands.qr_signed import SIGNED_MAKERS
from protocol.money import Money, MoneyError
from protocol.qr import QrResult, epc, pagopa, rf, zbp
from protocol.qr import parse as parse_payload
from protocol.qr.image import ImageDecodeError, decode, open_image

FORMAT_NAMES = {"pagopa": "pagoPA notice", "epc": "EPC SEPA transfer", "zbp": "Polish ZBP transfer",
                "rf": "RF creditor reference", "cp-order": "counterpay payment order",
                "cp-receipt": "counterpay receipt", "unknown": "unknown code"}
FIELD_LABELS = {"amount_minor": None, "currency": None}  # shown together as 'amount'


@click.group()
def qr() -> None:
    """Payment QR codes: parse a payload, make a code (PNG/SVG), decode an image."""


# -- parse -------------------------------------------------------------------------------

def _load_keys(keys_path: Path | None) -> Any:
    if keys_path is None:
        return None
    return load_directory(keys_path)


@qr.command("parse")
@click.argument("payload")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (format, valid, structure_ok, ...).")
@click.option("--keys", "keys_path", type=click.Path(exists=True, path_type=Path),
              help="Key directory (folder or JSON file) to verify counterpay's signed codes.")
def parse_command(payload: str, as_json: bool, keys_path: Path | None) -> None:
    """Check a scanned PAYLOAD and show its fields.  Use '-' to read it from standard input
    (EPC codes span several lines)."""
    if payload == "-":
        payload = sys.stdin.read().rstrip("\r\n")
    result = parse_payload(payload, keys=_load_keys(keys_path))
    click.echo(json.dumps(result.to_json(), ensure_ascii=False) if as_json else describe(result))
    sys.exit(0 if result.valid else 1)


def verdict_line(result: QrResult) -> str:
    name = FORMAT_NAMES.get(result.format, result.format)
    if result.format == "unknown":
        return "NOT A PAYMENT CODE counterpay knows"
    if result.structure_ok and result.checks_ok is None and result.format.startswith("cp-"):
        # A signed code read without a key directory proves nothing yet; say so first.
        return f"SIGNATURE NOT CHECKED: {name} (well formed; give --keys DIR to verify it)"
    if result.valid:
        return f"VALID {name}"
    if not result.structure_ok:
        return f"STRUCTURE WRONG: {name}"
    return f"CHECK DIGITS WRONG: {name} (its structure is fine)"


def describe(result: QrResult) -> str:
    """Readable lines for a cashier: the verdict, why, then the fields."""
    lines = [verdict_line(result)]
    lines += [f"  ! {error}" for error in result.errors]
    data = result.to_json()["fields"]
    amount, currency = data.get("amount_minor"), data.get("currency")
    if amount is not None and currency:
        try:
            lines.append(f"  {'amount':<22}{Money(amount, currency)}")
        except MoneyError:
            lines.append(f"  {'amount':<22}{amount} (minor units) {currency}")
    for key, value in data.items():
        if key in FIELD_LABELS or value in (None, ""):
            continue
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        lines.append(f"  {key.replace('_', ' '):<22}{value}")
    return "\n".join(lines)


# -- make --------------------------------------------------------------------------------

@qr.group("make")
def make() -> None:
    """Make a code: prints the payload; --png FILE or --svg FILE also writes the image."""


@make.command("pagopa")
@click.option("--notice", required=True, help="18-digit notice number (numero avviso).")
@click.option("--fiscal-code", required=True, help="11-digit fiscal code of the creditor.")
@click.option("--amount", required=True, help="Amount in euro, e.g. 50.00 or 50,00.")
@image_options
def make_pagopa(notice: str, fiscal_code: str, amount: str, png: Path | None, svg: Path | None) -> None:
    """A pagoPA notice code: PAGOPA|002|notice|fiscal code|cents."""
    emit(lambda: pagopa.make(notice, fiscal_code, amount_minor(amount, "EUR")), png, svg)


@make.command("epc")
@click.option("--name", required=True, help="Beneficiary name (at most 70 characters).")
@click.option("--iban", required=True)
@click.option("--amount", help="Amount in euro, e.g. 12.34; leave out for an open amount.")
@click.option("--bic", default="", help="BIC (required with --version 001).")
@click.option("--purpose", default="", help="4-character purpose code, e.g. GOVT.")
@click.option("--reference", default="", help="Structured RF creditor reference.")
@click.option("--text", default="", help="Unstructured remittance text (instead of --reference).")
@click.option("--info", default="", help="Beneficiary to originator information.")
@click.option("--version", "version", type=click.Choice(["001", "002"]), default="002", show_default=True)
@click.option("--charset", type=click.IntRange(1, 8), default=1, show_default=True,
              help="1 UTF-8, 2 ISO 8859-1, 3 8859-2, 4 8859-4, 5 8859-5, 6 8859-7, 7 8859-10, 8 8859-15.")
@image_options
def make_epc(name: str, iban: str, amount: str | None, bic: str, purpose: str, reference: str, text: str,
             info: str, version: str, charset: int, png: Path | None, svg: Path | None) -> None:
    """An EPC069-12 SEPA credit transfer code (BCD)."""
    emit(lambda: epc.make(name, iban, amount_minor(amount, "EUR"), bic=bic, purpose=purpose, reference=reference,
                          text=text, info=info, version=version, charset=charset), png, svg)


@make.command("zbp")
@click.option("--account", required=True, help="26-digit NRB (or the PL IBAN).")
@click.option("--name", required=True, help="Beneficiary name (at most 20 characters).")
@click.option("--title", required=True, help="Payment title (at most 32 characters).")
@click.option("--amount", required=True, help="Amount in złoty, e.g. 123,45.")
@click.option("--nip", default="", help="Beneficiary NIP (10 digits).")
@image_options
def make_zbp(account: str, name: str, title: str, amount: str, nip: str, png: Path | None,
             svg: Path | None) -> None:
    """A Polish ZBP 2D transfer code."""
    emit(lambda: zbp.make(account, name, title, amount_minor(amount, "PLN"), nip=nip), png, svg)


@make.command("rf")
@click.argument("body")
@image_options
def make_rf(body: str, png: Path | None, svg: Path | None) -> None:
    """An RF creditor reference for BODY (1-21 letters and digits), with its check digits."""
    emit(lambda: rf.make(body), png, svg)


for signed_maker in SIGNED_MAKERS:
    make.add_command(signed_maker)


# -- decode ------------------------------------------------------------------------------

@qr.command("decode")
@click.argument("image_path", metavar="IMAGE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per code found.")
@click.option("--keys", "keys_path", type=click.Path(exists=True, path_type=Path),
              help="Key directory to verify counterpay's signed codes.")
def decode_command(image_path: Path, as_json: bool, keys_path: Path | None) -> None:
    """Find and check every QR code in an IMAGE file (PNG, JPEG, ...)."""
    try:
        results = decode(open_image(image_path.read_bytes()), keys=_load_keys(keys_path))
    except (ImageDecodeError, OSError) as exc:
        raise click.UsageError(f"{image_path}: {exc}") from None
    if as_json:
        click.echo(json.dumps([r.to_json() for r in results], ensure_ascii=False))
    elif not results:
        click.echo(f"NO QR CODE found in {image_path}")
    else:
        click.echo("\n\n".join(describe(r) for r in results))
    sys.exit(0 if results and all(r.valid for r in results) else 1)
