"""Revoking an agent: its certificates go on the broker's CRL, its keys are marked revoked.

The CRL keeps a revoked agent from connecting again (mosquitto re-reads ``crlfile`` on
SIGHUP); the revoked key in the published key directory makes every hub worker and every
agent reject what it signs from then on, including receipts checked offline.

Neither cuts a connection that is already open: mosquitto checks the CRL at the TLS
handshake only.  So after the commit the hub, which owns the CA, cuts it (`cut_connection`):
it connects once with a certificate for the revoked agent's CN, issued in memory for a
few minutes, and the broker, which takes the client id from the CN, closes the revoked
agent's connection as a session takeover; the clean start with session expiry 0 drops
its stored session too, and the agent's reconnect then fails the CRL check.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from sqlalchemy import Connection, select

from hub.audit.log import record
from hub.pki import keydir
from hub.pki.ca import CertificateAuthority
from hub.pki.enrollment import EnrollmentNotFound
from hub.pki.tls import ephemeral_context
from hub.store.tables import api_tokens
from hub.store.tables_pki import agent_certificates
from hub.store.timeutil import now_iso, parse

log = logging.getLogger(__name__)


def write_crl(conn: Connection, ca: CertificateAuthority) -> int:
    """Rewrite the CRL file from every revoked certificate in the database; returns how many."""
    rows = conn.execute(select(agent_certificates.c.serial, agent_certificates.c.revoked_at)
                        .where(agent_certificates.c.revoked_at.is_not(None))).all()
    ca.write_crl([(int(serial, 16), parse(at)) for serial, at in rows])
    return len(rows)


def agent_token_name(agent_id: str) -> str:
    """The name of the API token an agent gets at enrollment (revoked with the agent)."""
    return f"agent {agent_id}"


def revoke_agent(conn: Connection, ca: CertificateAuthority, agent_id: str, reason: str, actor: str) -> dict:
    """Revoke every certificate and key of `agent_id` and rewrite the CRL (in the caller's transaction)."""
    reason = (reason or "revoked").strip()[:200]
    at = now_iso()
    serials = list(conn.execute(select(agent_certificates.c.serial).where(
        agent_certificates.c.agent_id == agent_id, agent_certificates.c.revoked_at.is_(None))).scalars())
    known = conn.execute(select(agent_certificates.c.serial)
                         .where(agent_certificates.c.agent_id == agent_id)).first()
    if known is None:
        raise EnrollmentNotFound("agent_unknown", f"agent {agent_id!r} was never enrolled on this hub")
    if serials:
        conn.execute(agent_certificates.update().where(agent_certificates.c.serial.in_(serials))
                     .values(revoked_at=at, revoked_reason=reason))
    kids = keydir.revoke_owner(conn, agent_id, reason, at)
    conn.execute(api_tokens.update().where(api_tokens.c.name == agent_token_name(agent_id),
                                           api_tokens.c.role == "agent", api_tokens.c.revoked_at.is_(None))
                 .values(revoked_at=at))
    if serials or kids:
        record(conn, actor, "agent.revoke", f"agent:{agent_id}",
               {"reason": reason, "serials": serials, "kids": kids})
    # Written inside the transaction: if the commit then fails the CRL is stricter than the
    # database, never looser; `write_crl` at the next start puts them back in line.
    write_crl(conn, ca)
    return {"agent_id": agent_id, "revoked_at": at, "reason": reason, "serials": serials, "kids": kids}


def reload_broker(pid_file: Path) -> bool:
    """Ask the mosquitto started by `hub up` to re-read its CRL and ACL (SIGHUP); False if none runs here."""
    try:
        pid = int(Path(pid_file).read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        log.info("no local broker to reload (%s); a remote broker must be reloaded by its operator", pid_file)
        return False
    if b"mosquitto" not in cmdline:   # a stale pid file must never make us signal a stranger
        log.warning("pid file %s names process %d, which is not mosquitto; not signalled", pid_file, pid)
        return False
    os.kill(pid, signal.SIGHUP)
    return True


def cut_connection(ca: CertificateAuthority, agent_id: str, host: str, port: int, timeout_s: float = 5.0) -> bool:
    """Close `agent_id`'s open broker connection (if any) and drop its session; True once the broker took ours.

    Best effort: False (and a logged reason) when the broker cannot be reached; the
    revocation stands either way and a reconnect is refused by the CRL.
    """
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=agent_id, protocol=mqtt.MQTTv5)
    accepted, answered = threading.Event(), threading.Event()

    def on_connect(_client, _userdata, _flags, reason_code, _properties) -> None:
        if not reason_code.is_failure:
            accepted.set()
        answered.set()

    client.on_connect = on_connect
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 0
    try:
        client.tls_set_context(ephemeral_context(ca, agent_id))
        client.connect(host, port, keepalive=10, clean_start=True, properties=properties)
    except (OSError, ValueError) as exc:
        log.warning("could not cut agent %s's broker connection: broker %s:%s unreachable (%s); "
                    "it stays connected until it reconnects", agent_id, host, port, exc)
        return False
    client.loop_start()
    try:
        answered.wait(timeout_s)
    finally:
        client.disconnect()
        client.loop_stop()
    if not accepted.is_set():
        log.warning("could not cut agent %s's broker connection: the broker did not accept the takeover "
                    "within %.0fs", agent_id, timeout_s)
    return accepted.is_set()
