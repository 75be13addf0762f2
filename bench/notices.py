"""Notices at scale: 10,000 notices rendered as PDF (target >= 100 PDFs/s), PNG too, and the zip export.

    .venv/bin/python bench/notices.py [--notices 10000] [--png 1000] [--no-export] [--no-compare] [--quick]

The orders are made first (outside the timing): a mix of the three kinds (pagoPA, SEPA with
its EPC code, Polish with its ZBP code) in the five payer languages, each with its own payer,
reference and hub-signed order code, as hub/notices/render.py gets them from the database.
Then `render_notice_pdf` runs over all of them, first with segno choosing the QR codes' masks
itself (what the notices did before protocol/qr/masking.py; --no-compare skips it), then as
the hub renders them, `render_notice_png` over --png of them, each
reporting notices per second of wall-clock time and per CPU-second of this process; and the
same orders, stored in a SQLite hub, go through `notices export`'s path (selection, payee,
render, zip, temporary file and rename) with its peak RSS, to show memory stays flat.
`main()` takes its arguments with argparse; a later measurement (sending) adds its own file.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.figures import record  # noqa: E402

TARGET_PDF_PER_S = 100
LANGUAGES = ("lv", "pl", "el", "it", "en")
PAYERS = {"lv": "Jānis Bērziņš", "pl": "Zażółć Gęślą-Jaźń", "el": "Γιώργος Παπαδόπουλος", "it": "Niccolò Fabbri",
          "en": "Siobhán O'Brien"}


def make_orders(count: int) -> list[dict]:
    from hub.orders.qr import order_qr
    from hub.orders.references import pagopa_notice, rf_reference
    from protocol.keys import SigningKey
    key = SigningKey.generate()
    orders = []
    for n in range(count):
        language, kind = LANGUAGES[n % 5], ("pagopa", "sepa", "zbp")[n % 3]
        order_id = f"CP{n:010d}"
        row = {"order_id": order_id, "amount_kind": "fixed", "amount_minor": 1000 + n % 90000, "currency": "EUR",
               "reference_format": "rf", "reference": rf_reference(order_id), "iuv": None, "case_ref": f"PRAT-{n}",
               "payer_name": f"{PAYERS[language]} {n}", "payer_id": f"RSSMRA80A01H{n % 1000:03d}U",
               "payer_language": language, "payer_address": f"Via Roma {n}\n00100 Roma", "payer_email": None,
               "description": "Tassa rifiuti, prima rata", "due_date": "2031-03-31", "positions": None,
               "office": "A", "created_at": f"2026-01-01T08:00:{n % 60:02d}.{n:06d}Z", "created_by": "bench",
               "account_iban": None, "cancelled_at": None, "cancelled_by": None, "cancel_reason": None,
               "amount_changed_at": None}
        if kind == "pagopa":
            row["reference"], row["iuv"] = pagopa_notice("01")
            row["reference_format"] = "pagopa"
        elif kind == "zbp":
            row["currency"], row["account_iban"] = "PLN", "PL61109010140000071219812874"
        row["qr_payload"] = order_qr(row, key)
        orders.append(row)
    return orders


def _timed(label: str, work, count: int) -> tuple[float, float]:
    if count == 0:
        print(f"{label}: none asked for", flush=True)
        return 0.0, 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label}: {count:,} in {wall:.1f} s: {count / wall:.1f}/s, {count / cpu:.1f} per CPU-second "
          f"({cpu / wall:.0%} of a core)", flush=True)
    return count / wall, count / cpu


def _with_segnos_masks(work):
    """Run `work` with the notices' QR codes made by segno.make itself, as before
    protocol/qr/masking.py: the same symbols, the masks scored by segno module by module."""
    import segno

    from hub.notices.layouts import common
    from protocol.qr import epc
    from protocol.qr.image import ERROR_LEVEL, make_qr, payload_bytes

    def segnos(payload: str):
        return segno.make(payload_bytes(payload), error=ERROR_LEVEL, micro=False, boost_error=not epc.detect(payload))
    common.modules.cache_clear()
    common.make_qr = segnos
    try:
        return work()
    finally:
        common.make_qr = make_qr
        common.modules.cache_clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=10_000, help="notices to render as PDF")
    parser.add_argument("--png", type=int, default=1000, help="of them, as PNG too")
    parser.add_argument("--no-export", action="store_true", help="skip the zip export through the database")
    parser.add_argument("--quick", action="store_true", help="300 notices, 100 PNGs: a smoke check")
    parser.add_argument("--no-compare", action="store_true",
                        help="skip rendering the PDFs first with segno choosing the QR masks itself (the 'before')")
    args = parser.parse_args(argv)
    if args.quick:
        args.notices, args.png = 300, 100
    from hub.config import Settings
    from hub.notices.render import render_notice_pdf, render_notice_png
    from hub.orders.payee import Payee
    settings = Settings(database_url="", data_dir=Path("."), creditor_fiscal_code="00311260095",
                        iban="LV80BANK0000435195001", beneficiary="Rīgas dome", language="it")
    riga, warsaw = Payee("LV80BANK0000435195001", "Rīgas dome"), Payee("PL61109010140000071219812874", "Urząd Miasta")
    started = time.perf_counter()
    orders = make_orders(args.notices)
    print(f"{len(orders):,} orders made in {time.perf_counter() - started:.1f} s (not timed)", flush=True)
    payees = [warsaw if order["currency"] == "PLN" else riga for order in orders]
    render_notice_pdf(orders[0], settings, payees[0])        # the font subset is cut once per process
    sizes = []

    def pdfs():
        for order, payee in zip(orders, payees, strict=True):
            sizes.append(len(render_notice_pdf(order, settings, payee)))

    def pngs():
        for order, payee in zip(orders[:args.png], payees[:args.png], strict=True):
            render_notice_png(order, settings, payee)

    if not args.no_compare:
        before_rate, before_cpu = _with_segnos_masks(lambda: _timed("PDF, segno choosing the masks (before)", pdfs,
                                                                    len(orders)))
        record("notices", "PDF/s with segno choosing the QR masks (before), wall / per CPU-second",
               f"{before_rate:.0f} / {before_cpu:.0f}", "PDF/s")
        sizes.clear()
    pdf_rate, pdf_cpu = _timed("PDF", pdfs, len(orders))
    print(f"  PDF size: {sum(sizes) / len(sizes) / 1024:.1f} KiB on average", flush=True)
    record("notices", f"{len(orders):,} notices rendered as PDF", round(pdf_rate), "PDF/s",
           f">= {TARGET_PDF_PER_S}", pdf_rate >= TARGET_PDF_PER_S)
    record("notices", "PDF per CPU-second", round(pdf_cpu), "PDF/s")
    png_rate, _ = _timed("PNG", pngs, min(args.png, len(orders)))
    record("notices", f"{min(args.png, len(orders)):,} notices rendered as PNG", round(png_rate), "PNG/s")
    if not args.no_export:
        export(orders, settings)
    return 0


def export(orders: list[dict], settings) -> None:
    import dataclasses

    from hub.notices.bulk import export_zip
    from hub.notices.selection import Selection
    from hub.store.bulk import insert_rows
    from hub.store.db import Database
    from hub.store.tables import orders as orders_table
    from hub.users.scope import Scope
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/hub.db"
        database = Database.open(url)
        with database.begin() as conn:
            for start in range(0, len(orders), 1000):
                insert_rows(conn, orders_table, orders[start:start + 1000])
        settings = dataclasses.replace(settings, database_url=url)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out = Path(tmp) / "notices.zip"
        rate, _ = _timed("zip export", lambda: export_zip(database, settings, Selection.build(unpaid=True),
                                                          Scope.everything(), out, actor="bench", via="bench"),
                         len(orders))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"  zip: {out.stat().st_size / 1024 / 1024:.0f} MiB; peak RSS {before / 1024:.0f} MiB before, "
              f"{peak / 1024:.0f} MiB after", flush=True)
        record("notices", f"{len(orders):,} notices exported to a zip", round(rate), "notices/s")
        record("notices", "peak RSS before / after the export", f"{before / 1024:.0f} / {peak / 1024:.0f}", "MiB")
        database.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
