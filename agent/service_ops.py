"""The facade's desk operations: totals, end of day, payers, history, diagnostics, hub commands.

A mixin of `agent.service.AgentService`, kept apart so each file stays one screen of
concerns; it uses the service's store, journal, outbox, sync and driver.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass, field

from agent.journal import utc_now
from agent.store import StoreError
from agent.terminal.base import TerminalError

log = logging.getLogger("counterpay.agent")


@dataclass
class EodComparison:
    terminal_count: int | None
    terminal_total_minor: int | None
    journal_count: int
    journal_total_minor: int
    currency: str
    mismatch: bool
    message: str
    per_tender: dict = field(default_factory=dict)


def local_midnight_utc() -> str:
    now = dt.datetime.now().astimezone()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Operations:
    # totals and end of day -------------------------------------------------------------
    def totals_today(self) -> dict[str, tuple[int, int]]:
        return self.life.journal.totals_since(local_midnight_utc())

    def check_terminal(self) -> dict:
        """The technician's check: ask the terminal for its status (no money moves).
        Refused while a payment talks to the terminal: one conversation at a time."""
        if self.config.terminal is None:
            return {"ok": False, "message": "no terminal is configured ([terminal] in the agent's configuration)"}
        if not self.life.lock.acquire(timeout=0.5):
            return {"ok": False, "message": "the terminal is busy with a payment; check again when it is done"}
        try:
            driver = self._get_driver()
            if driver is None:
                return {"ok": False, "message": f"the terminal at {self.config.terminal.device} cannot be opened: "
                                                f"{self._terminal_error or 'unknown reason'}"}
            status = driver.status()
        except TerminalError as exc:
            return {"ok": False, "message": f"the terminal did not answer: {exc}"}
        finally:
            self.life.lock.release()
        return {"ok": status.ok, "message": status.message, "terminal_id": status.terminal_id,
                "busy": status.busy, "last_receipt_no": status.last_receipt_no,
                "protocol": self.config.terminal.protocol, "device": self.config.terminal.device}

    def end_of_day(self) -> EodComparison:
        """Close the terminal batch and compare its totals with the journal since the last close."""
        since = self.store.get_setting("last_eod_at") or local_midnight_utc()
        journal = self.life.journal.totals_since(since)
        card_count, card_total = journal.get("card", (0, 0))
        currency = self.config.currency
        terminal_count = terminal_total = None
        message = ""
        if self.config.terminal is not None:
            try:
                with self.life.lock:          # never while a payment is talking to the terminal
                    driver = self._get_driver()
                    result = driver.end_of_day()
                if result.ok:
                    terminal_count, terminal_total = result.count, result.total_minor
                message = result.message
            except TerminalError as exc:
                message = f"the terminal could not close its batch: {exc}"
        mismatch = terminal_total is not None and (terminal_total != card_total or
                                                   (terminal_count is not None and terminal_count != card_count))
        if terminal_total is None and self.config.terminal is not None:
            mismatch = True
            message = message or "the terminal gave no totals"
        if mismatch:
            message = (f"MISMATCH: terminal {terminal_count} payments / {terminal_total} minor units, journal "
                       f"{card_count} / {card_total}. {message}").strip()
        else:
            message = message or "terminal and journal agree"
        per_tender = {tender: {"count": n, "total_minor": total} for tender, (n, total) in journal.items()}
        body = {"batch_id": f"{self.config.agent_id}-{utc_now()}"[:64], "currency": currency,
                "terminal_count": terminal_count, "terminal_total_minor": terminal_total,
                "journal": {t: {"count": n, "total_minor": total} for t, (n, total) in journal.items()
                            if t in ("card", "cash")},
                "mismatch": mismatch, "closed_at": utc_now()}
        with self.store.transaction():
            self.outbox.append("eod.report", body)
            self.store.set_setting("last_eod_at", body["closed_at"])
        if self.sync:
            self.sync.wake()
        return EodComparison(terminal_count, terminal_total, card_count, card_total, currency, mismatch, message,
                             per_tender)

    # payers and history ----------------------------------------------------------------------
    def search_payers(self, text: str) -> list[dict]:
        needle = f"%{text.casefold().strip()}%"
        return self.store.query("SELECT name, id, last_seen FROM payers WHERE name_folded LIKE ? OR id LIKE ? "
                                "ORDER BY last_seen DESC LIMIT 50", (needle, f"%{text.strip()}%"))

    def _payment_summary(self, row: dict) -> dict:
        request = json.loads(row["request"])
        outcome = json.loads(row["outcome"]) if row.get("outcome") else {}
        return {"payment_id": row["intent_id"], "receipt_id": row["receipt_id"], "state": row["state"],
                "tender": row["tender"], "amount_minor": row["amount_minor"], "currency": row["currency"],
                "reference": request.get("reference"), "case_ref": request.get("case_ref"),
                "order_id": request.get("order_id"), "payer_name": request.get("payer_name"),
                "created_at": row["created_at"], "captured_at": row["captured_at"],
                "masked_pan": outcome.get("masked_pan"), "message": outcome.get("message"),
                "operator_hint": outcome.get("operator_hint")}

    def recent_payments(self, limit: int = 20) -> list[dict]:
        return [self._payment_summary(row) for row in self.life.journal.recent(limit)]

    def journal_entry(self, payment_id: str) -> dict | None:
        row = self.life.journal.get(payment_id)
        return self._payment_summary(row) if row else None

    # technician --------------------------------------------------------------------------------
    def diagnostics(self) -> dict:
        status = self.status()
        info: dict = {"agent_id": self.config.agent_id, "office": self.config.office, "mode": self.config.mode,
                      "incarnation": self.incarnation, "store": str(self.config.store_path),
                      "schema_version": self.store.schema_version, "broker": self.config.broker,
                      "online": status.online, "outbox_depth": status.outbox_depth,
                      "outbox_oldest_age_s": status.oldest_age_s, "outbox_cap": status.outbox_cap,
                      "outbox_rejected": int(self.store.scalar(
                          "SELECT COUNT(*) FROM outbox WHERE state = 'rejected'") or 0),
                      "terminal_state": status.terminal_state, "terminal_protocol": status.terminal_protocol,
                      "terminal_device": self.config.terminal.device if self.config.terminal else None,
                      "last_error": status.last_error, "tls": False, "cert_expires": None,
                      "cert_days_left": None, "clock_skew_s": None, "last_ack_at": self.outbox.last_ack_at()}
        tls = self.identity.tls_files()
        if tls:
            info["tls"] = True
            try:
                from cryptography import x509
                cert = x509.load_pem_x509_certificate(open(tls.cert, "rb").read())
                expires = cert.not_valid_after_utc
                info["cert_expires"] = expires.isoformat()
                info["cert_days_left"] = (expires - dt.datetime.now(dt.timezone.utc)).days
                info["cert_subject"] = cert.subject.rfc4514_string()
            except (OSError, ValueError) as exc:
                info["cert_error"] = str(exc)
        if self.sync and self.sync.clock_skew_s is not None:
            info["clock_skew_s"] = self.sync.clock_skew_s
        if self.sync and self.sync.connected_since:
            info["connected_since"] = dt.datetime.fromtimestamp(self.sync.connected_since, dt.timezone.utc).isoformat()
        try:
            import serial.tools.list_ports
            info["serial_ports"] = [p.device for p in serial.tools.list_ports.comports()]
        except Exception:  # no pyserial tools on this box: not fatal for a diagnostics page
            info["serial_ports"] = []
        info["log_tail"] = self.log_tail()
        info["open_payments"] = len(self.open_payments())
        return info

    def log_tail(self, lines: int = 30) -> list[str]:
        path = self.config.data_dir / "agent.log"
        try:
            with open(path, "rb") as fh:
                fh.seek(max(0, os.path.getsize(path) - 8192))
                return fh.read().decode("utf-8", "replace").splitlines()[-lines:]
        except OSError:
            return []

    # hub commands (worker thread) ------------------------------------------------------------------
    def _on_command(self, command: dict) -> None:
        kind = command.get("command")
        try:
            if kind == "replay":
                count = self.outbox.replay_from(int(command.get("from_seq") or 0))
                log.info("hub asked to replay from seq %s: %d rows re-queued", command.get("from_seq"), count)
                if self.sync:
                    self.sync.rewind(int(command.get("from_seq") or 0))
            elif kind == "end_of_day":
                self.end_of_day()
            elif kind == "diagnostics":
                flat = {k: v for k, v in self.diagnostics().items()
                        if isinstance(v, (str, int, bool)) or v is None}
                flat = {k[:64]: (v[:500] if isinstance(v, str) else v) for k, v in list(flat.items())[:100]}
                self.outbox.append("diagnostics.report", {"request_id": command.get("request_id"), "info": flat})
                if self.sync:
                    self.sync.wake()
        except (StoreError, TerminalError, ValueError) as exc:
            self._last_error = f"hub command {kind} failed: {exc}"
            self._changed()
