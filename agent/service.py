"""The agent core facade: everything the UI (agent.ui, written by agent-ui) may call.

The UI never touches SQLite, MQTT or a serial port; it calls `AgentService` (blocking
calls in Textual workers, thread=True) and listens for `AgentStatus` changes through
`subscribe()`.  Contract: /work/AGENT_FACADE.md.  Additions beyond that contract:
`PaymentRequest.operator` (who took it, goes into the event), `AgentService.open_payments()`
(intents waiting for an operator or for recovery, as dicts with payment_id, state,
amount_minor, operator_hint, …), `AgentService.journal_entry(payment_id)`,
`AgentService.keys()` (the cached key directory or None), `AgentService.receipt_png(receipt_id)`
(PNG bytes with the signed QR), `CataloguePosition.from_dict`,
and the `.config` / `.incarnation` attributes.  `diagnostics()` keys: agent_id, office,
mode, incarnation, store, schema_version, broker, online, outbox_depth,
outbox_oldest_age_s, outbox_cap, terminal_state, terminal_protocol, terminal_device,
last_error, tls, cert_expires, cert_days_left, cert_subject, clock_skew_s, last_ack_at,
connected_since, serial_ports, open_payments, log_tail (list of lines).
Blocking calls (pay, end_of_day, lookup_case, diagnostics) belong in worker threads.

    service = AgentService.open(agent.config.load("agent.toml"))
    outcome = service.pay(PaymentRequest(4500, "EUR", "card", {"format": "case", "value": "WAW/77"}),
                          on_progress=print)
    service.close()
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import asdict, dataclass, field
from typing import Callable

from agent import codes
from agent.codes import CodeVerdict
from agent.config import AgentConfig
from agent.identity import load_identity
from agent.outbox import Outbox
from agent.payments import PaymentLife, PaymentOutcome, PaymentRequest
from agent.receipts import PrinterError, ReceiptPrinter
from agent.service_ops import EodComparison, Operations
from agent.store import Store
from agent.sync import Backoff, SyncClient
from agent.sync import caches
from agent.terminal.base import TerminalDriver, TerminalError

log = logging.getLogger("counterpay.agent")
VERSION = "0.1.0"

__all__ = ["AgentService", "AgentStatus", "CataloguePosition", "CaseLookup", "CodeVerdict", "PaymentRequest",
           "PaymentOutcome", "EodComparison"]


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
    tenders: list[str] = field(default_factory=lambda: ["card", "cash"])

    @classmethod
    def from_dict(cls, data: dict) -> "CataloguePosition":
        return cls(data["code"], data.get("name", ""), data.get("parent_code"), data.get("unit", ""),
                   int(data.get("unit_minor", 0)), int(data.get("vat_rate_bp", 0)), bool(data.get("mandatory")),
                   data.get("legal_act"), list(data.get("tenders") or ["card", "cash"]))


@dataclass
class CaseLookup:
    case_ref: str
    amount_minor: int | None
    currency: str
    positions: list[dict]
    payer_name: str | None
    payer_id: str | None
    message: str


class AgentService(Operations):
    def __init__(self, config: AgentConfig, store: Store, backoff: Backoff | None = None):
        self.config = config
        self.store = store
        self.identity = load_identity(config.key_dir)
        self.incarnation = store.next_counter("incarnation")
        self.outbox = Outbox(store, config.agent_id, self.identity.signing_key, cap=config.outbox_cap)
        self.printer = ReceiptPrinter(config.printer)
        self._driver: TerminalDriver | None = None
        self._driver_lock = threading.Lock()
        self._terminal_error: str | None = None
        self._busy = False
        self._last_error: str | None = None
        self._subscribers: list[Callable[[AgentStatus], None]] = []
        self._notify = threading.Event()
        self._closed = threading.Event()
        self.life = PaymentLife(store, self.outbox, self.identity.signing_key, agent_id=config.agent_id,
                                office=config.office, printer=self.printer, driver=self._get_driver,
                                tenders=config.tenders, on_change=self._changed)
        self.sync: SyncClient | None = None
        if config.broker is None:
            config.broker = self.identity.enrolled_broker()    # what the hub said at enrollment
        if config.broker:
            self.sync = SyncClient(store, self.outbox, self.identity.signing_key, config.agent_id, config.broker,
                                   incarnation=self.incarnation, birth_info=self._birth_info,
                                   tls=self.identity.tls_files(), window=config.window,
                                   ack_timeout_s=config.ack_timeout_s, backoff=backoff,
                                   on_command=self._on_command, on_change=self._changed)
        self._notifier = threading.Thread(target=self._notify_loop, name="counterpay-status", daemon=True)

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
        if config.terminal is not None:
            service._get_driver(quiet=True)
        service.life.resolve_open()           # before any new work is taken
        service.life.print_pending()
        service._notifier.start()
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
        self._closed.set()
        self._notify.set()
        if self.sync:
            self.sync.stop()
        with self._driver_lock:
            if self._driver is not None:
                try:
                    self._driver.close()
                except Exception:  # closing a dead port must not stop shutdown
                    pass
                self._driver = None
        self.store.close()

    def _get_driver(self, quiet: bool = False) -> TerminalDriver | None:
        if self.config.terminal is None:
            return None
        with self._driver_lock:
            if self._driver is None:
                from agent.terminal.factory import open_driver
                t = self.config.terminal
                try:
                    self._driver = open_driver(t.protocol, t.device, self.life.journal, **t.options)
                    self._terminal_error = None
                except TerminalError as exc:
                    self._terminal_error = str(exc)
                    self._changed()
                    if quiet:
                        return None
                    raise
            return self._driver

    def _drop_driver(self) -> None:
        with self._driver_lock:
            if self._driver is not None:
                try:
                    self._driver.close()
                except Exception:
                    pass
            self._driver = None

    # status --------------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[AgentStatus], None]) -> None:
        self._subscribers.append(callback)

    def _changed(self) -> None:
        self._notify.set()

    def _notify_loop(self) -> None:
        # At most ~5 notifications a second: a draining outbox changes state hundreds of
        # times a second and the UI only needs to show the latest.
        while not self._closed.is_set():
            self._notify.wait()
            if self._closed.is_set():
                return
            self._notify.clear()
            try:
                current = self.status()
            except Exception as exc:  # store gone while closing
                log.debug("status unavailable: %s", exc)
                continue
            for callback in list(self._subscribers):
                try:
                    callback(current)
                except Exception:
                    log.exception("status subscriber failed")
            self._closed.wait(0.2)

    def _terminal_state(self) -> str:
        if self.config.terminal is None:
            return "not configured"
        if self.life.unresolved or self.journal_open("operator_check"):
            return "unknown outcome"
        if self._busy or self.life.lock.locked():
            return "busy"
        if self._driver is None:
            return "offline"
        return "ready"

    def journal_open(self, *states: str) -> list[dict]:
        return self.life.journal.in_state(*states)

    def status(self) -> AgentStatus:
        error = (self.sync.last_error if self.sync else None) or self._terminal_error or self._last_error
        return AgentStatus(self.config.agent_id, self.config.office, self.config.mode,
                           bool(self.sync and self.sync.online), self.outbox.depth(), self.outbox.oldest_age_s(),
                           self.config.outbox_cap, self._terminal_state(),
                           self.config.terminal.protocol if self.config.terminal else None, error)

    def _birth_info(self) -> dict:
        return {"version": VERSION, "mode": self.config.mode, "outbox_depth": self.outbox.depth(),
                "oldest_age_s": self.outbox.oldest_age_s()}

    # catalogue, cases, codes ------------------------------------------------------------------
    def catalogue(self) -> list[CataloguePosition]:
        return [CataloguePosition.from_dict(p) for p in caches.catalogue(self.store)]

    def keys(self):
        return caches.cached_keys(self.store)

    def check_code(self, payload: str) -> CodeVerdict:
        verdict = codes.check(payload, self.keys())
        if verdict.format == "cp-order" and verdict.valid and verdict.order_id:
            with self.store.transaction() as db:
                db.execute("INSERT OR REPLACE INTO orders(order_id, data, seen_at) VALUES (?, ?, ?)",
                           (verdict.order_id, json.dumps(asdict(verdict), default=str),
                            dt.datetime.now(dt.timezone.utc).isoformat()))
        return verdict

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
        import ssl
        from urllib.parse import quote

        import httpx
        token = self.identity.api_token()
        if token is None:
            return None        # enrolled before agents got API tokens: the clerk picks fees from the catalogue
        try:
            tls = self.identity.tls_files()
            # The hub's API may be plain HTTP on a loopback or behind a TLS proxy signed by our CA.
            verify = ssl.create_default_context(cafile=tls.ca) if tls else True
            with httpx.Client(verify=verify, timeout=3.0,
                              headers={"Authorization": f"Bearer {token}"}) as client:
                response = client.get(f"{self.config.hub_api.rstrip('/')}/api/v1/cases/{quote(case_ref, safe='')}/lookup")
            data = response.json()
        except (httpx.HTTPError, ValueError, OSError):
            return None
        return case_lookup_from_hub(case_ref, data, self.config.currency)

    # payments ------------------------------------------------------------------------------
    def pay(self, request: PaymentRequest, on_progress: Callable[[str], None] = lambda text: None) -> PaymentOutcome:
        self._busy = True
        self._changed()
        try:
            outcome = self.life.take(request, on_progress)
        finally:
            self._busy = False
        if request.tender == "card" and outcome.outcome in ("unknown", "operator_check", "aborted"):
            # The port may be dead (cable pulled, USB re-enumerated): open it afresh, so
            # the status shows the truth and recovery of an unknown outcome talks to the
            # live port.
            self._drop_driver()
            self._get_driver(quiet=True)
        if self.sync:
            self.sync.wake()
        self._changed()
        return outcome

    def resolve_operator_check(self, payment_id: str, charged: bool, operator: str) -> PaymentOutcome:
        outcome = self.life.resolve_operator_check(payment_id, charged, operator)
        if self.sync:
            self.sync.wake()
        self._changed()
        return outcome

    def open_payments(self) -> list[dict]:
        """Intents not settled: waiting for recovery or for an operator to read the terminal."""
        return [self._payment_summary(row) for row in self.journal_open("intent", "sent", "unknown",
                                                                         "operator_check")]

    def receipt_png(self, receipt_id: str) -> bytes:
        """The receipt (with its signed QR) as a PNG, for preview on screen or e-mail."""
        import io
        from agent.receipts.printer import render_png
        row = self.life.journal.by_receipt(receipt_id)
        if row is None or row["state"] != "approved":
            raise KeyError(f"no approved payment with receipt {receipt_id}")
        lines, qr = self.life.receipt_lines(row)
        buffer = io.BytesIO()
        render_png(lines, qr, buffer)
        return buffer.getvalue()

    def reprint(self, receipt_id: str) -> list[str]:
        row = self.life.journal.by_receipt(receipt_id)
        if row is None or row["state"] != "approved":
            raise KeyError(f"no approved payment with receipt {receipt_id}")
        lines, qr = self.life.receipt_lines(row, copy=True)
        from agent.receipts.layout import receipt_data_from_journal
        try:
            self.printer.print(receipt_data_from_journal(row, self.config.office, self.config.agent_id, qr, True))
        except PrinterError as exc:
            self._last_error = str(exc)
            self._changed()
        return lines


def case_lookup_from_hub(case_ref: str, data: dict, currency: str) -> CaseLookup | None:
    """The hub's lookup answer ({outcome, case: {amount_owed_minor, positions, payer}, detail})
    as the clerk sees it; None when the hub knows nothing of the case."""
    if not isinstance(data, dict) or data.get("outcome") != "found" or not isinstance(data.get("case"), dict):
        return None
    case = data["case"]
    payer = case.get("payer") or {}
    amount = case.get("amount_owed_minor", case.get("amount_minor"))
    return CaseLookup(case_ref, amount if isinstance(amount, int) else None, case.get("currency") or currency,
                      list(case.get("positions") or []), payer.get("name"), payer.get("id"),
                      f"from case system {data.get('case_system')}" + (" (cached)" if data.get("cached") else ""))
