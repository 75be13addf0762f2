"""`counterpay terminal …`: commission and check a card terminal from the command line.

    counterpay terminal check --protocol zvt --device /dev/ttyUSB0 --amount 0.10
    counterpay terminal pay --protocol zvt --device tcp://192.168.1.40:20007 --amount 12.50
    counterpay terminal reverse --protocol zvt --device /dev/ttyUSB0 --receipt 17 --amount 12.50
    counterpay terminal end-of-day --protocol zvt --device /dev/ttyUSB0
    counterpay terminal recover --protocol zvt --device /dev/ttyUSB0

Every financial command journals its intent first (JSON lines, default
~/.local/state/counterpay/terminal-journal.jsonl, or --journal FILE) and prints the
terminal's answer and receipt lines.  Exit codes: 0 done/approved, 1 the terminal said
no (declined, aborted, check failed, outcome still unknown), 2 usage or environment error.
"""

from __future__ import annotations

import sys
import uuid
from datetime import datetime, timezone

import click

from agent.terminal.base import (Intent, IntentKind, Outcome, TerminalError, TerminalResult)
from agent.terminal.factory import DRIVERS, open_driver
from agent.terminal.file_journal import DEFAULT_JOURNAL, FileJournal
from agent.terminal.link import parse_line
from protocol.money import MoneyError, exponent, parse_minor

EXIT_OK, EXIT_NO, EXIT_USAGE = 0, 1, 2


def _amount(text: str, currency: str) -> int:
    try:
        minor = parse_minor(text, exponent(currency))
    except MoneyError as exc:
        raise click.BadParameter(str(exc)) from None
    if minor <= 0:
        raise click.BadParameter("the amount must be more than zero")
    return minor


def _money(minor: int | None, currency: str | None) -> str:
    if minor is None:
        return "?"
    return f"{minor // 100}.{minor % 100:02d} {currency or ''}".strip()


def _connection_options(fn):
    fn = click.option("--answer-timeout", "answer_timeout", type=float, metavar="SECONDS",
                      help="ZVT T4: how long to wait between the terminal's messages "
                           "(default 180 s).")(fn)
    fn = click.option("--journal", "journal_path", type=click.Path(dir_okay=False),
                      default=str(DEFAULT_JOURNAL), show_default=True,
                      help="JSON-lines journal of intents and outcomes.")(fn)
    fn = click.option("--verbose", "-v", is_flag=True, help="Show every frame in hex (ZVT).")(fn)
    fn = click.option("--line", "line_text", metavar="'9600 8N2'",
                      help="Serial line settings (default: the protocol's).")(fn)
    fn = click.option("--device", required=True, metavar="DEV|tcp://HOST:PORT",
                      help="Serial device or TCP address of the terminal.")(fn)
    fn = click.option("--protocol", type=click.Choice(sorted(DRIVERS)), required=True)(fn)
    return fn


def _open(protocol: str, device: str, journal_path: str, line_text: str | None, verbose: bool,
          answer_timeout: float | None = None):
    options = {}
    if answer_timeout is not None and protocol == "zvt":
        options["t4_s"] = answer_timeout
    if line_text:
        try:
            options["line"] = parse_line(line_text)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--line") from None
    if verbose and protocol == "zvt":
        options["trace"] = lambda direction, data, meaning: click.echo(
            f"  {direction} {data.hex(' ')}  {meaning}", err=True)
    try:
        return open_driver(protocol, device, FileJournal(journal_path),
                           on_progress=lambda text: click.echo(f"  … {text}"), **options)
    except TerminalError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)


def _intent(kind: IntentKind, amount: int, currency: str, receipt_no: str | None = None,
            reference: str | None = None) -> Intent:
    return Intent(intent_id=f"tech-{uuid.uuid4().hex[:12]}", kind=kind, amount_minor=amount,
                  currency=currency, receipt_no=receipt_no, reference=reference,
                  created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))


def _print_result(result: TerminalResult) -> None:
    click.echo(f"outcome:  {result.outcome.value}" + ("  (recovered)" if result.recovered else ""))
    click.echo(f"message:  {result.message}")
    for label, value in (("amount", _money(result.amount_minor, result.currency)
                          if result.amount_minor is not None else None),
                         ("result code", result.result_code), ("receipt no", result.receipt_no),
                         ("trace no", result.trace_no), ("terminal id", result.terminal_id),
                         ("card", " ".join(x for x in (result.card_type, result.masked_pan) if x)
                          or None),
                         ("time", result.time), ("intent", result.intent_id),
                         ("operator", result.operator_hint)):
        if value:
            click.echo(f"{label + ':':<13} {value}")
    if result.receipt_lines:
        click.echo("receipt:")
        for line in result.receipt_lines:
            click.echo(f"  | {line}")


def _exit_for(result: TerminalResult) -> None:
    if result.outcome is not Outcome.APPROVED:
        if result.outcome in (Outcome.UNKNOWN, Outcome.OPERATOR_CHECK):
            click.echo("The outcome is NOT known: do not repeat the payment. Run "
                       "`counterpay terminal recover` or check the terminal's journal.", err=True)
        sys.exit(EXIT_NO)


@click.group("terminal")
def terminal() -> None:
    """Check and commission a card terminal (ZVT or Concert) without the agent."""


@terminal.command("check")
@_connection_options
@click.option("--amount", metavar="12.50", help="Also make a test payment of this amount.")
@click.option("--currency", default="EUR", show_default=True)
def check(protocol, device, line_text, verbose, journal_path, answer_timeout, amount, currency) -> None:
    """Registration, status, and a test payment with --amount: exit 0 only if all went right."""
    minor = _amount(amount, currency) if amount else None
    driver = _open(protocol, device, journal_path, line_text, verbose, answer_timeout)
    ok = True
    try:
        register = getattr(driver, "register", None)
        if register is not None:
            try:
                register()
                click.echo(f"registration: ok (terminal id {getattr(driver, 'terminal_id', None) or '?'})")
            except TerminalError as exc:
                click.echo(f"registration: FAILED: {exc}")
                ok = False
        status = driver.status()
        click.echo(f"status:       {'ok' if status.ok else 'NOT OK'}: {status.message}"
                   + (f" (terminal id {status.terminal_id})" if status.terminal_id else ""))
        ok = ok and status.ok
        if ok and minor is not None:
            click.echo(f"test payment: {_money(minor, currency)}")
            result = driver.pay(_intent(IntentKind.PAYMENT, minor, currency, reference="check"))
            _print_result(result)
            ok = result.outcome is Outcome.APPROVED
    finally:
        driver.close()
    click.echo("check: PASSED" if ok else "check: FAILED")
    sys.exit(EXIT_OK if ok else EXIT_NO)


def _financial(kind: IntentKind, protocol, device, line_text, verbose, journal_path,
               answer_timeout, amount, currency, receipt_no=None, reference=None) -> None:
    minor = _amount(amount, currency)
    driver = _open(protocol, device, journal_path, line_text, verbose, answer_timeout)
    try:
        intent = _intent(kind, minor, currency, receipt_no, reference)
        action = {IntentKind.PAYMENT: driver.pay, IntentKind.REFUND: driver.refund,
                  IntentKind.REVERSAL: driver.reverse}[kind]
        result = action(intent)
    except (TerminalError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    finally:
        driver.close()
    _print_result(result)
    _exit_for(result)


@terminal.command("pay")
@_connection_options
@click.option("--amount", required=True, metavar="12.50")
@click.option("--currency", default="EUR", show_default=True)
@click.option("--reference", help="Order or case reference, for the journal.")
def pay(protocol, device, line_text, verbose, journal_path, answer_timeout, amount,
        currency, reference) -> None:
    """Take a card payment."""
    _financial(IntentKind.PAYMENT, protocol, device, line_text, verbose, journal_path,
               answer_timeout, amount, currency, reference=reference)


@terminal.command("refund")
@_connection_options
@click.option("--amount", required=True, metavar="12.50")
@click.option("--currency", default="EUR", show_default=True)
@click.option("--reference")
def refund(protocol, device, line_text, verbose, journal_path, answer_timeout, amount,
           currency, reference) -> None:
    """Refund an amount to a card."""
    _financial(IntentKind.REFUND, protocol, device, line_text, verbose, journal_path,
               answer_timeout, amount, currency, reference=reference)


@terminal.command("reverse")
@_connection_options
@click.option("--receipt", "receipt_no", required=True, help="Terminal receipt number to undo.")
@click.option("--amount", required=True, metavar="12.50", help="Amount of that payment.")
@click.option("--currency", default="EUR", show_default=True)
def reverse(protocol, device, line_text, verbose, journal_path, answer_timeout, receipt_no, amount,
            currency) -> None:
    """Reverse (void) an approved payment by its terminal receipt number."""
    _financial(IntentKind.REVERSAL, protocol, device, line_text, verbose, journal_path,
               answer_timeout, amount, currency, receipt_no=receipt_no)


@terminal.command("end-of-day")
@_connection_options
def end_of_day(protocol, device, line_text, verbose, journal_path, answer_timeout) -> None:
    """Close the terminal's batch and print its totals."""
    driver = _open(protocol, device, journal_path, line_text, verbose, answer_timeout)
    try:
        result = driver.end_of_day()
    finally:
        driver.close()
    click.echo(f"end of day: {'ok' if result.ok else 'FAILED'}: {result.message}")
    if result.total_minor is not None:
        click.echo(f"total:      {_money(result.total_minor, result.currency)}"
                   + (f" in {result.count} transactions" if result.count is not None else ""))
    for name, (count, total) in result.per_card_type.items():
        click.echo(f"  {name:<12} {count:>4}  {_money(total, result.currency)}")
    if result.receipt_lines:
        click.echo("receipt:")
        for line in result.receipt_lines:
            click.echo(f"  | {line}")
    sys.exit(EXIT_OK if result.ok else EXIT_NO)


@terminal.command("recover")
@_connection_options
def recover(protocol, device, line_text, verbose, journal_path, answer_timeout) -> None:
    """Resolve every intent in the journal whose outcome is still unknown (never re-sends)."""
    journal = FileJournal(journal_path)
    open_intents = journal.open_intents()
    if not open_intents:
        click.echo("no open intents: every journaled request has a final outcome")
        sys.exit(EXIT_OK)
    driver = _open(protocol, device, journal_path, line_text, verbose, answer_timeout)
    final = True
    try:
        for intent in open_intents:
            click.echo(f"intent {intent.intent_id}: {intent.kind.value} "
                       f"{_money(intent.amount_minor, intent.currency)}")
            result = driver.recover(intent)
            _print_result(result)
            final = final and result.outcome.final
    finally:
        driver.close()
    sys.exit(EXIT_OK if final else EXIT_NO)
