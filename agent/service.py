"""The agent core as the UI and the headless runner see it: `AgentService`.

The UI never touches SQLite, MQTT or a serial port; it calls `AgentService`, whose face
is `agent.ui.service_view.CounterService` (blocking calls run in Textual workers,
thread=True), and listens for `AgentStatus` changes through `subscribe()`.

The service composes the desk's parts and adds little of its own:

* `PaymentLife` (agent.payments): every payment, from intent to receipt;
* `TerminalSession` (agent.terminal.session): the open driver and the lock that keeps
  one conversation with the terminal at a time;
* `EndOfDay` (agent.end_of_day): the batch close and its comparison with the journal;
* `DeskDiagnostics` (agent.diagnostics): the technician's and the hub's view of the desk;
* `HubCommands` (agent.hub_commands): replay, end of day and diagnostics asked by the hub;
* `StatusFeed` (agent.status_feed): status pushed to subscribers at a pace a screen takes;
* `SyncClient` (agent.sync): the outbox drained to the hub, acks and broadcasts taken;
* `DeskLogin` (agent.desk_login): the operator logged in, checked against the hub's
  roster offline.  Every payment, operator check and end of day carries the operator
  logged in; where `[desk] login` is on (clerk, cashier, technician) nothing is paid
  without one, and an operator the hub's next roster no longer lists is logged out.

Blocking calls (pay, end_of_day, lookup_case, diagnostics, check_terminal) belong in
worker threads.

    service = AgentService.open(agent.config.load("agent.toml"))
    outcome = service.pay(PaymentRequest(4500, "EUR", "card", {"format": "case", "value": "WAW/77"}),
                          on_progress=print)
    service.close()
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Callable

from protocol.domain import OPEN_JOURNAL_STATES, JournalState, Tender

from agent import basket, codes, order_checks
from agent.case_lookup import CaseLookup, fetch_case
from agent.codes import CodeVerdict
from agent.config import AgentConfig
from agent.desk_login import DeskLogin, DeskLoginOutcome, DeskOperator
from agent.diagnostics import DeskDiagnostics
from agent.end_of_day import EndOfDay, EodComparison
from agent.hub_commands import HubCommands
from agent.identity import load_identity
from agent.renewal import CertificateRenewal
from agent.journal import SqliteJournal
from agent.outbox import Outbox
from agent.payments import PaymentLife, PaymentOutcome, PaymentRequest
from agent.receipts import PrinterError, ReceiptPrinter, layout
from agent.status_feed import StatusFeed
from agent.voids import CounterVoids, UndoRequest
from agent.store import Store, orders, payers
from agent.sync import Backoff, SyncClient
from agent.sync import caches
from agent.terminal.session import TerminalSession

log = logging.getLogger("counterpay.agent")
VERSION = "0.1.0"

__all__ = ["AgentService", "AgentStatus", "CataloguePosition", "CaseLookup", "CodeVerdict", "DeskLoginOutcome",
           "PaymentRequest", "PaymentOutcome", "EodComparison", "UndoRequest"]


@dataclass
class AgentStatus:
    agent_id: str
    office: str
    mode: str
    online: bool
    outbox_depth: int
    oldest_age_s: int | None
    outbox_cap: int
    terminal_state: str     # ready | busy | offline | unknown outcome | not configured
    terminal_protocol: str | None
    last_error: str | None
    operator: str | None = None      # the operator logged in at the desk


@dataclass
class CataloguePosition:
    code: str
    name: str
    parent_code: str | None
    unit: str
    unit_minor: int
    vat_rate_bp: int
    mandatory: bool
    legal_act: str | None
    tenders: list[str] = field(default_factory=lambda: list(Tender))
    notes: str | None = None
    discounts: list[dict] = field(default_factory=list)      # name, percent_bp or amount_minor
    price_list: str | None = None
    service_step: int | None = None

    @classmethod
    def from_dict(cls, data: dict) -> "CataloguePosition":
        return cls(data["code"], data.get("name", ""), data.get("parent_code"), data.get("unit", ""),
                   int(data.get("unit_minor", 0)), int(data.get("vat_rate_bp", 0)), bool(data.get("mandatory")),
                   data.get("legal_act"), list(data.get("tenders") or Tender),
                   data.get("notes") or data.get("price_list_notes"), list(data.get("discounts") or []),
                   data.get("price_list"), data.get("service_step"))


def payment_summary(row: dict) -> dict:
    """A journal row as the screens list it (open checks, recent payments, one entry)."""
    request = json.loads(row["request"])
    outcome = json.loads(row["outcome"]) if row.get("outcome") else {}
    return {"payment_id": row["intent_id"], "receipt_id": row["receipt_id"], "state": row["state"],
            "tender": row["tender"], "amount_minor": row["amount_minor"], "currency": row["currency"],
            "reference": request.get("reference"), "case_ref": request.get("case_ref"),
            "order_id": request.get("order_id"), "payer_name": request.get("payer_name"),
            "created_at": row["created_at"], "captured_at": row["captured_at"],
            "masked_pan": outcome.get("masked_pan"), "message": outcome.get("message"),
            "operator_hint": outcome.get("operator_hint"), "kind": row["kind"],
            "undoes": (request.get("undoes") or {}).get("receipt_id"), "approved_by": row.get("approved_by")}


class AgentService:
    def __init__(self, config: AgentConfig, store: Store, backoff: Backoff | None = None):
        self.config = config
        self.store = store
        self.identity = load_identity(config.key_dir)
        self.incarnation = store.next_counter("incarnation")
        self.outbox = Outbox(store, config.agent_id, self.identity.signing_key, cap=config.outbox_cap)
        self.printer = ReceiptPrinter(config.printer)
        self._busy = False
        self._last_error: str | None = None
        self._feed = StatusFeed(self.status)
        self.desk_login = DeskLogin(store, config.mode)
        self._operator: DeskOperator | None = None
        journal = SqliteJournal(store, operator=lambda: self.operator)
        self.terminal = TerminalSession(config.terminal, journal, on_change=self._feed.changed)
        self.life = PaymentLife(store, self.outbox, self.identity.signing_key, journal=journal,
                                terminal=self.terminal, agent_id=config.agent_id, office=config.office,
                                printer=self.printer, tenders=config.tenders, on_change=self._feed.changed,
                                language=config.ui.language)
        self.voids = CounterVoids(self.life, DeskLogin(store, "approval"))
        self.eod = EndOfDay(store, journal, self.outbox, self.terminal, agent_id=config.agent_id,
                            currency=config.currency, office=config.office, on_event=self._wake_sync,
                            operator=lambda: self.operator)
        self.commands = HubCommands(self.outbox, lambda: self.sync, end_of_day=self.end_of_day,
                                    diagnostics=lambda: self.desk.flat(), on_error=self._note_error)
        self.sync: SyncClient | None = None
        if config.broker is None:
            config.broker = self.identity.enrolled_broker()    # what the hub said at enrollment
        if config.broker:
            self.sync = SyncClient(store, self.outbox, self.identity.signing_key, config.agent_id, config.broker,
                                   incarnation=self.incarnation, birth_info=self._birth_info,
                                   tls=self.identity.tls_files(), window=config.window,
                                   ack_timeout_s=config.ack_timeout_s, backoff=backoff,
                                   on_command=self.commands.handle, on_change=self._feed.changed,
                                   office=config.office, on_roster=self._roster_heard,
                                   renewal=CertificateRenewal(config.key_dir, config.agent_id,
                                                              self.identity.signing_key))
        self.desk = DeskDiagnostics(config, store, self.outbox, self.identity, self.sync,
                                    incarnation=self.incarnation, status=self.status,
                                    open_payments=self.open_payments)

    # life cycle --------------------------------------------------------------------------
    @classmethod
    def open(cls, config: AgentConfig, *, backoff: Backoff | None = None) -> "AgentService":
        """Open the store, resolve every open intent, print missing receipts, start sync."""
        store = Store.open(config.store_path)
        try:
            service = cls(config, store, backoff)
        except BaseException:
            store.close()
            raise
        service._seed_keys()
        service.outbox.prune_acked(older_than_days=30)   # history the hub has confirmed long ago
        service.terminal.driver(quiet=True)
        service.life.resolve_open()           # before any new work is taken
        service.life.print_pending()
        service._feed.start()
        if service.sync:
            service.sync.start()
        return service

    def _seed_keys(self) -> None:
        # The key directory from enrollment lets a fresh desk verify codes before the
        # broker's retained copy arrives.
        seed = self.config.key_dir / "key_directory.json"
        if caches.cached_keys(self.store) is None and seed.exists():
            try:
                caches.store_keys(self.store, seed.read_bytes())
            except (caches.CacheError, OSError) as exc:
                log.warning("enrollment key directory not usable: %s", exc)

    def close(self) -> None:
        self._feed.close()
        if self.sync:
            self.sync.stop()
        self.terminal.drop()
        self.store.close()

    def _wake_sync(self) -> None:
        if self.sync:
            self.sync.wake()

    def _note_error(self, text: str) -> None:
        self._last_error = text
        self._feed.changed()

    # status --------------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[AgentStatus], None]) -> None:
        self._feed.subscribe(callback)

    def _terminal_state(self) -> str:
        if not self.terminal.configured:
            return "not configured"
        if self.life.unresolved or self.journal_open(JournalState.OPERATOR_CHECK):
            return "unknown outcome"
        if self._busy or self.terminal.busy:
            return "busy"
        if not self.terminal.is_open:
            return "offline"
        return "ready"

    def journal_open(self, *states: str) -> list[dict]:
        return self.life.journal.in_state(*states)

    def status(self) -> AgentStatus:
        error = (self.sync.last_error if self.sync else None) or self.terminal.error or self._last_error
        return AgentStatus(self.config.agent_id, self.config.office, self.config.mode,
                           bool(self.sync and self.sync.online), self.outbox.depth(), self.outbox.oldest_age_s(),
                           self.config.outbox_cap, self._terminal_state(),
                           self.config.terminal.protocol if self.config.terminal else None, error,
                           self.operator)

    # the operator ------------------------------------------------------------------------
    @property
    def login_required(self) -> bool:
        return self.config.login_required

    @property
    def operator(self) -> str | None:
        """The username of the operator logged in, or None."""
        current = self._operator
        return current.username if current else None

    def login(self, username: str, secret: str) -> DeskLoginOutcome:
        """Check a login against the hub's last roster (blocking: one Argon2 check, 0.17 CPU s measured)."""
        outcome = self.desk_login.login(username, secret)
        if outcome.operator is not None:
            self._operator = outcome.operator
            self._feed.changed()
        return outcome

    def logout(self) -> None:
        if self._operator is not None:
            log.info("operator %s logged out", self._operator.username)
            self._operator = None
            self._feed.changed()

    def _roster_heard(self) -> None:
        current = self._operator
        if current is not None and not self.desk_login.still_listed(current):
            log.warning("operator %s is no longer on the hub's roster for this office: logged out", current.username)
            self.logout()

    def _birth_info(self) -> dict:
        return {"version": VERSION, "mode": self.config.mode, "outbox_depth": self.outbox.depth(),
                "oldest_age_s": self.outbox.oldest_age_s()}

    # catalogue, cases, codes ------------------------------------------------------------------
    def catalogue(self) -> list[CataloguePosition]:
        return [CataloguePosition.from_dict(p) for p in caches.catalogue(self.store)]

    def quote(self, positions: list[dict], tender: str) -> dict:
        """What paying these positions with `tender` costs: the amount with the handling fee, the fee,
        and the fee taken apart (cash) if any; raises agent.basket.BasketRefused saying why not."""
        figures = basket.price(self.store, positions, tender).basket
        return {"amount_minor": figures.amount_minor, "fee_minor": figures.fee_minor,
                "fee_apart_minor": figures.fee_apart_minor, "discount_minor": figures.discount_minor,
                "subtotal_minor": figures.subtotal_minor}

    def keys(self):
        return caches.cached_keys(self.store)

    def check_code(self, payload: str) -> CodeVerdict:
        verdict = order_checks.check_verdict(self.store, codes.check_order(payload, self.keys()), payload)
        if verdict.format == "cp-order" and verdict.valid and verdict.order_id:
            seen_at = dt.datetime.now(dt.timezone.utc).isoformat()
            with self.store.transaction():
                orders.remember(self.store, verdict.order_id, asdict(verdict), seen_at)
                # The hub's orders bring their payers to the desk: found again offline by name or id.
                payers.remember(self.store, verdict.payer_id, verdict.payer_name, seen_at, order_id=verdict.order_id)
        return verdict

    def card_refusal(self, codes: list[str], order_id: str | None = None) -> dict | None:
        """Why the card tender is not offered for these catalogue positions or this scanned order
        (a step not activated at the hub, agent/card_checks.py), or None: {reason, message, details}."""
        refused = self.life.card_refusal(codes, order_id)
        return None if refused is None else {"reason": refused.reason, "message": refused.message,
                                             "details": refused.details or {}}

    def verify_receipt(self, payload: str) -> CodeVerdict:
        verdict = codes.check(payload, self.keys())
        if verdict.format != "cp-receipt":
            verdict.valid = False
            if verdict.verdict == "valid":
                verdict.verdict = "unknown code"
            verdict.errors.insert(0, "this is not a counterpay receipt code")
        return verdict

    def lookup_case(self, case_ref: str) -> CaseLookup | None:
        if not self.config.hub_api or not (self.sync and self.sync.online):
            return None
        token = self.identity.api_token()
        if token is None:
            return None        # enrolled before agents got API tokens: the clerk picks fees from the catalogue
        found = fetch_case(self.config.hub_api, case_ref, token, self.identity.tls_files(), self.config.currency)
        if found is not None and (found.payer_id or found.payer_name):
            payers.remember(self.store, found.payer_id, found.payer_name, dt.datetime.now(dt.timezone.utc).isoformat())
        return found

    def search_payers(self, text: str) -> list[dict]:
        return payers.search(self.store, text)

    # payments ------------------------------------------------------------------------------
    def pay(self, request: PaymentRequest, on_progress: Callable[[str], None] = lambda text: None) -> PaymentOutcome:
        return self._at_the_desk(request, lambda: self.life.take(request, on_progress),
                                 at_the_terminal=request.tender == Tender.CARD)

    def undo(self, request: UndoRequest) -> PaymentOutcome:
        """A void or refund of a card payment, approved by a supervisor's login (agent/voids.py)."""
        return self._at_the_desk(request, lambda: self.voids.undo(request), at_the_terminal=True)

    def _at_the_desk(self, request, run: Callable[[], PaymentOutcome], at_the_terminal: bool) -> PaymentOutcome:
        """`run` a payment or an undo in the logged-in operator's name, the desk busy meanwhile."""
        if self.login_required and self._operator is None:
            return PaymentOutcome(None, "refused", "no operator is logged in at this desk: log in first",
                                  reason="login_required")
        if self._operator is not None:
            # The operator is the one logged in, whatever the screen or script says.
            request.operator = self._operator.username
        self._busy = True
        self._feed.changed()
        try:
            outcome = run()
        finally:
            self._busy = False
        if at_the_terminal and outcome.outcome in (JournalState.UNKNOWN, JournalState.OPERATOR_CHECK,
                                                   JournalState.ABORTED):
            self.terminal.reopen()     # the port may be dead: the status and recovery need the live one
        self._wake_sync()
        self._feed.changed()
        return outcome

    def resolve_operator_check(self, payment_id: str, charged: bool, operator: str) -> PaymentOutcome:
        if self._operator is not None:
            operator = self._operator.username
        outcome = self.life.resolve_operator_check(payment_id, charged, operator)
        self._wake_sync()
        self._feed.changed()
        return outcome

    def open_payments(self) -> list[dict]:
        """Intents not settled: waiting for recovery or for an operator to read the terminal."""
        return [payment_summary(row) for row in self.journal_open(*OPEN_JOURNAL_STATES)]

    def recent_payments(self, limit: int = 20) -> list[dict]:
        return [payment_summary(row) for row in self.life.journal.recent(limit)]

    def journal_entry(self, payment_id: str) -> dict | None:
        row = self.life.journal.get(payment_id)
        return payment_summary(row) if row else None

    def receipt_png(self, receipt_id: str) -> bytes:
        """The receipt (with its signed QR) as a PNG, for preview on screen or e-mail."""
        import io
        from agent.receipts.printer import render_png
        row = self._approved(receipt_id)
        lines, qr = (self.voids.receipt_lines(row), None) if row.get("undoes_intent_id") else \
            self.life.receipt_lines(row)
        buffer = io.BytesIO()
        render_png(lines, qr, buffer)
        return buffer.getvalue()

    def reprint(self, receipt_id: str) -> list[str]:
        row = self._approved(receipt_id)
        if row.get("undoes_intent_id"):
            data = self.voids.receipt(row, copy=True)
        else:
            from agent.receipts.layout import receipt_data_from_journal
            qr = self.life.receipt_qr(row)
            data = receipt_data_from_journal(row, self.config.office, self.config.agent_id, qr, True,
                                             self.config.ui.language)
        lines = layout(data, self.printer.columns)
        try:
            self.printer.print(data)
        except PrinterError as exc:
            self._note_error(str(exc))
        return lines

    def _approved(self, receipt_id: str) -> dict:
        row = self.life.journal.by_receipt(receipt_id)
        if row is None or row["state"] != JournalState.APPROVED:
            raise KeyError(f"no approved payment with receipt {receipt_id}")
        return row

    # the day, the terminal, the technician ------------------------------------------------------
    def totals_today(self) -> dict[str, tuple[int, int]]:
        return self.eod.totals_today()

    def end_of_day(self) -> EodComparison:
        """Close the terminal batch and compare its totals with the journal since the last close."""
        return self.eod.close()

    def check_terminal(self) -> dict:
        """The technician's check: ask the terminal for its status (no money moves)."""
        return self.terminal.check()

    def diagnostics(self) -> dict:
        """Everything the technician screen shows (keys: see agent.diagnostics)."""
        return self.desk.report()

    def log_tail(self, lines: int = 30) -> list[str]:
        return self.desk.log_tail(lines)
