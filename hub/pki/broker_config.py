"""The mosquitto configuration and ACL file that enforce the wire contract (DESIGN.md).

One TLS listener only: every client, the hub included, presents a certificate from the
hub CA, and its CN becomes its username (``use_identity_as_username``) AND its client id
(``use_username_as_clientid``): whatever client id a client sends is replaced, so no one
can take over another's session (the hub's stored one included) by naming its id.  There
is no plain listener, not even on loopback: the hub connects with its own client
certificates (CN ``hub``, ``hub-<name>``), so a local process without a key cannot speak
to the broker at all.

The ACL gives each agent exactly its own topics through ``%u`` patterns (its office's
desk roster among them: PIN verifiers are never broadcast), and every hub identity all
of cp/v1/#.  mosquitto checks READ per delivered message, so an agent that
subscribes to another agent's acks (or to a wildcard) simply receives nothing that is
not its own; a PUBLISH outside its ACL is dropped by the broker.  SUBSCRIBE itself is
not checked by the ACL file (mosquitto 2.0; ``deny`` lines do not refuse it either): an
agent that joins the hub's shared-subscription group takes its turns, which the read
check then drops.  Hence the group's name is a site secret (``[mqtt] share_group``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from hub.config import BrokerSettings
from hub.pki.ca import PkiPaths, write_public
from hub.pki.setup import hub_identities
from protocol.wire.topics import BROADCAST, PREFIX

MAX_PACKET_BYTES = 1024 * 1024
"""Envelopes are capped at 64 KiB by the protocol; the retained fee catalogue and key
directory are the largest messages and stay well under 1 MiB."""

MAX_QUEUED_MESSAGES = 100_000
"""Acks and commands wait for an agent that is offline for days; 100k is far above a
counter's daily volume yet bounds the broker's memory per session."""

MAX_INFLIGHT_MESSAGES = 1000   # enough for the hub's shared-subscription throughput
SESSION_EXPIRY = "14d"         # an agent away longer re-syncs from its outbox; acks are re-sent on duplicates


@dataclass(frozen=True)
class BrokerPaths:
    """Where the broker's files live under the hub directory (`[hub] data_dir`)."""

    root: Path

    @classmethod
    def under(cls, hub_dir: Path) -> "BrokerPaths":
        return cls(Path(hub_dir) / "broker")

    config = property(lambda self: self.root / "mosquitto.conf")
    acl = property(lambda self: self.root / "acl")
    log = property(lambda self: self.root / "mosquitto.log")
    pid = property(lambda self: self.root / "mosquitto.pid")


def render_acl(hub_users: Iterable[str]) -> str:
    """The ACL file: per-agent patterns for everyone, everything under cp/v1 for each of `hub_users`."""
    agent = f"{PREFIX}/agents/%u"
    return "\n".join([
        "# counterpay broker ACL, written by `counterpay hub broker-config`; do not edit by hand.",
        "# Patterns apply to every authenticated client; %u is the certificate CN (the agent id).",
        "# (mosquitto warns that the broadcast pattern has no %u: intended, every agent reads broadcasts.)",
        f"pattern write {agent}/events",
        f"pattern readwrite {agent}/state",
        f"pattern read {agent}/acks",
        f"pattern read {agent}/cmd",
        "# Operators' PIN verifiers: each desk reads only the roster the hub retains for it.",
        f"pattern read {agent}/roster",
        f"pattern read {BROADCAST}/#",
        "",
        "# The hub's identities (client certificate CNs): the whole wire, shared subscriptions included.",
        *(line for user in hub_users for line in (f"user {user}", f"topic readwrite {PREFIX}/#")),
        "",
    ])


def render_config(broker: BrokerSettings, hub_dir: Path) -> str:
    """The mosquitto.conf text for `broker` with the files under `hub_dir` (paths absolute,
    nothing left to defaults that matter)."""
    pki, files = PkiPaths.under(hub_dir), BrokerPaths.under(hub_dir)
    return "\n".join([
        "# counterpay broker, written by `counterpay hub broker-config`; regenerate instead of editing.",
        f"user {broker.user}",
        "per_listener_settings false",
        "allow_anonymous false",
        f"acl_file {files.acl}",
        "",
        "# QoS 1 on loopback is ~150x slower with Nagle's algorithm (measured in the agent issue).",
        "set_tcp_nodelay true",
        "",
        "persistence true",
        f"persistence_location {files.root}/",
        "autosave_interval 60",
        f"persistent_client_expiration {SESSION_EXPIRY}",
        "",
        f"max_packet_size {MAX_PACKET_BYTES}",
        f"max_queued_messages {MAX_QUEUED_MESSAGES}",
        f"max_inflight_messages {MAX_INFLIGHT_MESSAGES}",
        "max_keepalive 300",
        "",
        f"log_dest file {files.log}",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_timestamp_format %Y-%m-%dT%H:%M:%S",
        "connection_messages true",
        "",
        "# The only listener: TLS with a client certificate from the hub CA, CN = username.",
        f"listener {broker.port} {broker.bind}",
        "protocol mqtt",
        f"cafile {pki.ca_cert}",
        f"certfile {pki.broker_cert}",
        f"keyfile {pki.broker_key}",
        f"crlfile {pki.crl}",
        "require_certificate true",
        "use_identity_as_username true",
        "# The client id is the CN too: an id taken from another client (the hub's) cannot take its session.",
        "use_username_as_clientid true",
        "",
    ])


def write_broker_files(broker: BrokerSettings, hub_dir: Path, out: Path | None = None) -> Path:
    """Write mosquitto.conf (to `out` or the hub's broker folder) and its ACL file; return the conf path.

    The certificates must exist (``hub init``); a missing file is named here rather than
    leaving mosquitto to fail with a terse error at start.
    """
    pki, files = PkiPaths.under(hub_dir), BrokerPaths.under(hub_dir)
    missing = [p for p in (pki.ca_cert, pki.broker_cert, pki.broker_key, pki.crl) if not p.exists()]
    if missing:
        raise FileNotFoundError("the broker needs " + ", ".join(str(p) for p in missing)
                                + ": run `counterpay hub init` first")
    files.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    files.root.chmod(0o700)
    write_public(files.acl, render_acl(hub_identities(pki)).encode("utf-8"))
    target = Path(out) if out else files.config
    target.parent.mkdir(parents=True, exist_ok=True)
    write_public(target, render_config(broker, hub_dir).encode("utf-8"))
    # mosquitto would create its log 0644; it keeps the mode of a file it finds.
    os.close(os.open(files.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    return target
