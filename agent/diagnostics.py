"""The technician's (and the hub's) view of a desk: identity, store, sync, terminal, certificate, log.

`DeskDiagnostics.report()` keys: agent_id, office, mode, incarnation, store,
schema_version, broker, online, outbox_depth, outbox_oldest_age_s, outbox_cap,
outbox_rejected, terminal_state, terminal_protocol, terminal_device, last_error, tls,
cert_expires, cert_days_left, cert_subject (or cert_error), clock_skew_s, last_ack_at,
connected_since (when connected), serial_ports, open_payments (a count), log_tail
(list of lines).

Every text in the report has any full card number masked to its last four digits
(`protocol.card_numbers.redact`): a log line or an error message may quote one, and the
report goes to the technician's screen and, on request, to the hub.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING, Callable

from protocol import card_numbers

from agent.config import AgentConfig
from agent.identity import Identity
from agent.outbox import Outbox
from agent.store import Store
from agent.sync import SyncClient

if TYPE_CHECKING:
    from agent.service import AgentStatus

LOG_TAIL_BYTES = 8192


def _redacted(value):
    if isinstance(value, str):
        return card_numbers.redact(value)
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


class DeskDiagnostics:
    def __init__(self, config: AgentConfig, store: Store, outbox: Outbox, identity: Identity,
                 sync: SyncClient | None, *, incarnation: int, status: Callable[[], "AgentStatus"],
                 open_payments: Callable[[], list[dict]]):
        self.config, self.store, self.outbox, self.identity, self.sync = config, store, outbox, identity, sync
        self.incarnation = incarnation
        self.status = status
        self.open_payments = open_payments

    def report(self) -> dict:
        status = self.status()
        info: dict = {"agent_id": self.config.agent_id, "office": self.config.office, "mode": self.config.mode,
                      "incarnation": self.incarnation, "store": str(self.config.store_path),
                      "schema_version": self.store.schema_version, "broker": self.config.broker,
                      "online": status.online, "outbox_depth": status.outbox_depth,
                      "outbox_oldest_age_s": status.oldest_age_s, "outbox_cap": status.outbox_cap,
                      "outbox_rejected": self.outbox.rejected_count(),
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
        return {key: _redacted(value) for key, value in info.items()}

    def log_tail(self, lines: int = 30) -> list[str]:
        path = self.config.data_dir / "agent.log"
        try:
            with open(path, "rb") as fh:
                fh.seek(max(0, os.path.getsize(path) - LOG_TAIL_BYTES))
                return [card_numbers.redact(line) for line in
                        fh.read().decode("utf-8", "replace").splitlines()[-lines:]]
        except OSError:
            return []

    def flat(self) -> dict:
        """The report as the hub's diagnostics.report takes it: scalars only, short keys and texts."""
        flat = {k: v for k, v in self.report().items() if isinstance(v, (str, int, bool)) or v is None}
        return {k[:64]: (v[:500] if isinstance(v, str) else v) for k, v in list(flat.items())[:100]}
