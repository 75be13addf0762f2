"""What every `counterpay qr make …` command shares: the image options and the way a payload is
built, printed and written, so plain and signed makers behave alike."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import click

from protocol.money import Money, MoneyError
from protocol.qr import QrFormatError
from protocol.qr.image import make_png, make_svg


def image_options(command: Callable) -> Callable:
    """Add `--png FILE` and `--svg FILE` to a maker."""
    command = click.option("--svg", "svg", type=click.Path(dir_okay=False, path_type=Path),
                           help="Also write the code as an SVG image.")(command)
    return click.option("--png", "png", type=click.Path(dir_okay=False, path_type=Path),
                        help="Also write the code as a PNG image.")(command)


def emit(build: Callable[[], str], png: Path | None, svg: Path | None) -> None:
    """Build a payload (usage error when its fields are bad), print it, write images."""
    if png and svg:
        raise click.UsageError("choose one of --png and --svg")
    try:
        payload = build()
    except (QrFormatError, MoneyError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(payload)
    for path, render in ((png, make_png), (svg, make_svg)):
        if path:
            try:
                path.write_bytes(render(payload))
            except OSError as exc:
                raise click.UsageError(f"cannot write {path}: {exc}") from None
            click.echo(f"wrote {path}", err=True)


def amount_minor(text: str | None, currency: str) -> int | None:
    """The amount a person typed (50.00 or 50,00) in minor units; None when left out."""
    return None if text is None else Money.parse(text, currency).minor
