"""`counterpay receipt verify`: the clerk's check of a receipt (or payment order) QR, offline.

Verdicts: verified / bad signature (forged or altered) / unknown key / revoked key /
expired (orders) / wrong type / structure wrong.  Exit 0 only when verified.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from counterpay.commands.keys import load_directory
from protocol.qr import cp_order, cp_receipt

EXPECT = {"receipt": cp_receipt, "order": cp_order}


def verify_signed_code(payload: str, directory, expect: str | None = None) -> dict:
    """Verify a counterpay receipt or order payload; return the JSON verdict."""
    payload = payload.strip()
    module = cp_receipt if cp_receipt.detect(payload) else cp_order if cp_order.detect(payload) else None
    if module is None:
        return {"format": "unknown", "verified": False, "verdict": "not a counterpay receipt or order code",
                "errors": ["the payload is not a counterpay signed code (it must be digits starting 811 or 821)"],
                "fields": {}}
    wanted = EXPECT.get(expect) if expect else None
    if wanted is not None and wanted is not module:
        return {"format": module.FORMAT, "verified": False, "verdict": "wrong type",
                "errors": [f"this is a {module.FORMAT} code, not a {wanted.FORMAT} code"], "fields": {}}
    result = module.parse(payload, directory)
    verdict = result.fields.get("verdict", "structure wrong")
    verified = result.valid and result.checks_ok is True
    return {"format": result.format, "verified": verified, "verdict": "verified" if verified else verdict,
            "errors": result.errors, "fields": result.fields}


@click.group()
def receipt() -> None:
    """Receipt codes: verify a receipt or payment order QR at the desk."""


@receipt.command("verify")
@click.argument("payload")
@click.option("--keys", "keys_path", required=True, type=click.Path(exists=True, path_type=Path),
              help="Key folder or key-directory.json (the agent's cached copy works offline).")
@click.option("--expect", type=click.Choice(sorted(EXPECT)), help="Reject a code of the other type.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def verify(payload: str, keys_path: Path, expect: str | None, as_json: bool) -> None:
    """Verify PAYLOAD (a scanned receipt or order code) against a key directory."""
    outcome = verify_signed_code(payload, load_directory(keys_path), expect)
    if as_json:
        click.echo(json.dumps(outcome, ensure_ascii=False))
    else:
        click.echo(f"{outcome['verdict'].upper()}  ({outcome['format']})")
        for name, value in outcome["fields"].items():
            if name != "verdict":
                click.echo(f"  {name}: {value}")
        for error in outcome["errors"]:
            click.echo(f"  ! {error}")
    raise SystemExit(0 if outcome["verified"] else 1)
