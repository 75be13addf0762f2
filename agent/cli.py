"""`counterpay agent …`: run the counter agent, enroll it with a hub, show its state.

    counterpay agent run --config agent.toml [--mode clerk|cashier|kiosk|technician] [--headless]
    counterpay agent enroll --hub https://hub:8443 --token T --agent-id riga-desk-01 --dir /etc/counterpay/keys
    counterpay agent status --config agent.toml [--json]

Without --headless, `run` starts the Textual UI (`agent.ui.app:run(service, mode)`).
Headless with `--pay-from -` it reads payment requests as JSON lines on stdin and
writes one JSON outcome line per request on stdout (scripted desks, tests, benches).
A line may instead carry a scanned code, `{"scan": "<payload>", "tender": "card"}`
(optional "amount_minor" for open amounts, "cash_given_minor"): it is checked like a
cashier's scan (signed codes against the cached key directory) and paid from the verdict;
an invalid code gets an "outcome" line with outcome "refused" and the verdict (a receipt
code is never an order: reason "receipt_as_order", as for a request whose reference or
order id is one; a card number in a request's text: reason "card_number"; an order the
hub cancelled: reason "order_cancelled", or a notice printed before its amount changed:
"order_changed", with "details" {order, date, reason, amount}; a card payment for a
service step not activated at the hub: reason "card_not_active", "card_not_heard" or
"card_contract_ended", with "details" {service}), and so does a payment
the agent failed to take (an unexpected error is logged, the next line read).
Where `[desk] login` is on, an operator logs in first with a line
`{"login": "anna", "secret": "492817"}` (checked against the hub's last roster, offline
too), answered `{"event": "login", "operator": …}` or `{"event": "login", "refused":
"wrong" | "locked" | "no_roster" | "role", "wait_s": …}`; `{"logout": true}` ends it;
a payment without one gets outcome "refused" with reason "login_required".
A void of a card payment is the line `{"void": "R-…", "reason": "…", "supervisor": "sam",
"secret": "731904"}`, a refund `{"refund": "R-…", "amount_minor": 500, "reason": …,
"supervisor": …, "secret": …}` (a supervisor of the roster approves); each is answered by
`{"event": "undo", "outcome": …, "reason": …}` (reasons: approval_refused, already_voided,
void_in_progress, batch_closed, refund_too_large, not_found, not_card, not_approved).
`--scanner DEVICE` hands a serial QR scanner to the UI (cashier and kiosk take its codes).
Exit codes: 0 ok, 1 a "no" (payment refused…), 2 configuration or environment error.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from dataclasses import asdict

import click

from protocol.domain import Tender

from agent.config import MODES, ConfigError, load


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _setup_logging(config) -> None:
    handlers: list[logging.Handler] = []
    try:
        config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(config.data_dir / "agent.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        handlers.append(logging.FileHandler(config.data_dir / "agent.log", encoding="utf-8"))
    except OSError as exc:
        click.echo(f"warning: cannot write {config.data_dir / 'agent.log'}: {exc}", err=True)
    logging.basicConfig(level=logging.INFO, handlers=handlers or [logging.StreamHandler(sys.stderr)],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def open_service(config_path: str, mode: str | None):
    from agent.identity import IdentityError
    from agent.service import AgentService
    from agent.store import StoreError
    try:
        config = load(config_path, mode)
    except ConfigError as exc:
        _fail(str(exc))
    _setup_logging(config)
    try:
        return AgentService.open(config)
    except (StoreError, IdentityError, ValueError) as exc:
        _fail(str(exc))


@click.group()
def agent() -> None:
    """The counter agent: journal, outbox, terminal, receipts, sync with the hub."""


@agent.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="agent TOML file")
@click.option("--mode", type=click.Choice(MODES), default=None, help="UI mode (default: [agent] mode)")
@click.option("--headless", is_flag=True, help="no UI: sync, recovery and scripted payments only")
@click.option("--pay-from", type=click.File("r"), default=None,
              help="headless: read payment requests (JSON lines) from this file, '-' for stdin; "
                   "where [desk] login is on, a line {\"login\": NAME, \"secret\": PIN} logs the operator in first; "
                   "{\"void\": RECEIPT, \"reason\": TEXT, \"supervisor\": NAME, \"secret\": PIN} voids a card "
                   "payment, {\"refund\": RECEIPT, \"amount_minor\": N, …} refunds one")
@click.option("--scanner", "scanner_device", default=None, metavar="DEVICE",
              help="UI: a serial QR scanner (e.g. /dev/ttyACM0 or the pty of `counterpay sim scanner`)")
def run(config_path: str, mode: str | None, headless: bool, pay_from, scanner_device: str | None) -> None:
    """Run the agent (the UI unless --headless)."""
    service = open_service(config_path, mode)
    if not headless:
        from agent.ui.app import run as run_ui  # here, so headless runs never load Textual
        ui = service.config.ui
        options = {"currency": service.config.currency, "language": ui.language, "idle_reset_s": ui.idle_reset_s,
                   "idle_logout_s": service.config.desk.idle_logout_s}
        scanner_device = scanner_device or ui.scanner
        if scanner_device:
            from agent.scanner.serial_reader import SerialScanner
            options["scanner"] = SerialScanner(scanner_device, terminator=ui.scanner_terminator)
        try:
            run_ui(service, service.config.mode, **options)
        finally:
            service.close()
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    _say({"event": "ready", "status": asdict(service.status()), "open_payments": service.open_payments()})
    try:
        if pay_from is not None:
            # A reader thread: the main thread must stay free to see SIGTERM while
            # stdin is blocked waiting for the next request.
            threading.Thread(target=_scripted, args=(service, pay_from, stop), daemon=True).start()
        while not stop.wait(0.5):
            pass
    finally:
        service.close()
    if pay_from is not None:
        # The reader thread may sit in a blocking read of stdin; everything is committed
        # and closed, so leave without waiting for it (interpreter shutdown would abort).
        sys.stdout.flush()
        os._exit(0)


def _say(document: dict) -> None:
    sys.stdout.write(json.dumps(document, default=str) + "\n")
    sys.stdout.flush()


def _scripted(service, source, stop: threading.Event) -> None:
    from agent.payments import PaymentRequest
    for line in source:
        if stop.is_set():
            return
        line = line.strip()
        if not line:
            continue
        if line == "status":
            _say({"event": "status", "status": asdict(service.status())})
            continue
        try:
            data = json.loads(line)
            if isinstance(data, dict) and ("login" in data or "logout" in data):
                _say(_login_line(service, data))
                continue
            if isinstance(data, dict) and ("void" in data or "refund" in data):
                _say(_undo_line(service, data))
                continue
            request = _from_scan(service, data) if isinstance(data, dict) and "scan" in data else PaymentRequest(**data)
        except (json.JSONDecodeError, TypeError, ValueError) as exc:
            _say({"event": "error", "message": f"not a payment request: {exc}"})
            continue
        if isinstance(request, dict):       # a scanned code that cannot be paid
            _say({"event": "outcome", **request})
            continue
        try:
            outcome = service.pay(request, on_progress=lambda text: _say({"event": "progress", "text": text}))
        except Exception as exc:  # one payment's failure must not stop the desk's script
            logging.getLogger("counterpay.agent").exception("payment failed")
            _say({"event": "outcome", "payment_id": None, "outcome": "refused",
                  "message": f"the agent failed while taking this payment ({exc}); check the open payments "
                             "(`counterpay agent status`) before taking it again"})
            continue
        _say({"event": "outcome", **asdict(outcome)})


def _login_line(service, data: dict) -> dict:
    """A scripted login (`{"login": NAME, "secret": PIN}`) or logout (`{"logout": true}`)."""
    if "logout" in data:
        service.logout()
        return {"event": "logout"}
    if not isinstance(data.get("login"), str) or not isinstance(data.get("secret"), str):
        return {"event": "error", "message": "a login line is {\"login\": NAME, \"secret\": PIN}"}
    outcome = service.login(data["login"], data["secret"])
    if outcome.operator is None:
        return {"event": "login", "operator": None, "refused": outcome.refused, "wait_s": outcome.wait_s,
                "tries_left": outcome.tries_left}
    return {"event": "login", "operator": outcome.operator.username, "role": outcome.operator.role}


def _undo_line(service, data: dict) -> dict:
    """A scripted void (`{"void": RECEIPT, "reason": …, "supervisor": NAME, "secret": PIN}`) or
    refund (`{"refund": RECEIPT, "amount_minor": N, …}`), answered by an "undo" line."""
    from agent.voids import UndoRequest
    kind = "reversal" if "void" in data else "refund"
    fields = {"receipt_id": data.get("void", data.get("refund")), "reason": data.get("reason"),
              "supervisor": data.get("supervisor"), "supervisor_secret": data.get("secret")}
    if not all(isinstance(v, str) for v in fields.values()) or \
            not isinstance(data.get("amount_minor", 0), int | None):
        return {"event": "error", "message": "a void line is {\"void\": RECEIPT, \"reason\": TEXT, \"supervisor\": "
                                             "NAME, \"secret\": PIN} (a refund: \"refund\" and \"amount_minor\")"}
    try:
        outcome = service.undo(UndoRequest(**fields, kind=kind, amount_minor=data.get("amount_minor")))
    except Exception as exc:  # one void's failure must not stop the desk's script
        logging.getLogger("counterpay.agent").exception("void failed")
        return {"event": "undo", "payment_id": None, "outcome": "refused",
                "message": f"the agent failed during this {kind} ({exc}); check the open payments first"}
    return {"event": "undo", **asdict(outcome)}


def _from_scan(service, data: dict):
    """A scripted scan: the cashier's path (check the code, pay what its verdict says)."""
    from agent.payments import PaymentRequest
    payload = data["scan"]
    if not isinstance(payload, str) or not payload:
        raise ValueError("'scan' must be the scanned code's text")
    verdict = service.check_code(payload)
    if not verdict.valid:
        refused = {"payment_id": None, "outcome": "refused", "scan_format": verdict.format,
                   "message": f"{verdict.format} code {verdict.verdict}: {'; '.join(verdict.errors)}".rstrip(": ")}
        if verdict.is_receipt:
            from agent.intake import RECEIPT_AS_ORDER
            refused["reason"] = RECEIPT_AS_ORDER
        elif verdict.order_state:
            from agent.order_checks import ORDER_CANCELLED, ORDER_CHANGED
            refused["reason"] = ORDER_CANCELLED if verdict.verdict == "cancelled" else ORDER_CHANGED
            refused["details"] = verdict.order_state
        return refused
    amount = verdict.amount_minor or data.get("amount_minor")
    if not isinstance(amount, int) or amount <= 0:
        return {"payment_id": None, "outcome": "refused", "scan_format": verdict.format,
                "message": f"the {verdict.format} code carries no amount: give amount_minor"}
    return PaymentRequest(amount_minor=amount, currency=verdict.currency or service.config.currency,
                          tender=data.get("tender", Tender.CARD), reference=dict(verdict.reference),
                          case_ref=verdict.case_ref, order_id=verdict.order_id, payer_name=verdict.payer_name,
                          payer_id=verdict.payer_id, cash_given_minor=data.get("cash_given_minor"),
                          operator=data.get("operator"))


@agent.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="agent TOML file")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def status(config_path: str, as_json: bool) -> None:
    """Outbox depth and age, open intents, last sync: read from the store, no agent needed."""
    from agent.status import read_status
    from agent.store import StoreError
    try:
        config = load(config_path)
        report = read_status(config)
    except (ConfigError, StoreError) as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps(report, indent=2, default=str))
        return
    age = report["oldest_age_s"]
    click.echo(f"agent {report['agent_id']} ({report['office']}), store schema v{report['schema_version']}")
    click.echo(f"outbox: {report['outbox_depth']} waiting for the hub"
               + (f", oldest {age} s" if age is not None else "") + f" (cap {report['outbox_cap']})")
    click.echo(f"open intents: {len(report['open_intents'])}")
    for item in report["open_intents"]:
        click.echo(f"  {item['intent_id']} {item['state']} {item['amount_minor']} {item['currency']}")
    click.echo(f"last hub ack: {report['last_ack_at'] or 'never'}; incarnation {report['incarnation']}")
    heard = report["desk_roster_heard_at"]
    click.echo(f"desk login: {'required' if report['login_required'] else 'off'}; roster of "
               f"{report['desk_operators']} operators " + (f"heard {heard}" if heard else "never heard")
               + (f"; locked out now: {', '.join(report['locked_out'])}" if report["locked_out"] else ""))


@agent.command()
@click.option("--hub", "hub_url", required=True, help="the hub's base URL, e.g. https://hub.example:8443")
@click.option("--token", required=True, help="the one-time enrollment token")
@click.option("--agent-id", required=True, help="this desk's agent id (certificate CN)")
@click.option("--dir", "key_dir", required=True, type=click.Path(file_okay=False), help="where keys are stored")
@click.option("--ca", "ca_file", default=None, type=click.Path(dir_okay=False, exists=True),
              help="CA to trust for the hub's HTTPS (default: system store)")
def enroll(hub_url: str, token: str, agent_id: str, key_dir: str, ca_file: str | None) -> None:
    """Create keys, send a CSR to the hub, store the certificate (0600 files in a 0700 folder)."""
    from agent.enroll import EnrollError, enroll as do_enroll
    try:
        result = do_enroll(hub_url, token, agent_id, key_dir, ca_file=ca_file)
    except EnrollError as exc:
        _fail(str(exc))
    click.echo(f"enrolled {agent_id}: certificate, CA and keys in {key_dir}; broker {result['broker_url']}")
