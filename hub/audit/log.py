"""Append-only audit log, hash-chained so any edit, insert or deletion shows.

Each row stores `hash = sha256(prev_hash + canonical JSON of the row's fields)`;
the first row chains from 64 zeros.  `record()` runs inside the caller's
transaction, so an audited change and its audit row commit together.
`verify()` walks the chain and reports every break.

    record(conn, actor="token:ops", action="order.create", subject="order:CP123", details={...})
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, text

from protocol.canonical import canonical_bytes
from hub.store.tables import audit_log
from hub.store.timeutil import now_iso

GENESIS = "0" * 64


def _row_hash(prev_hash: str, at: str, actor: str, action: str, subject: str, details: str) -> str:
    body = canonical_bytes({"at": at, "actor": actor, "action": action, "subject": subject, "details": details})
    return hashlib.sha256(prev_hash.encode("ascii") + body).hexdigest()


def _lock_tail(conn: Connection) -> None:
    # Two writers must not chain from the same tail.  SQLite writers are serialised by
    # BEGIN IMMEDIATE; PostgreSQL needs a lock held until the transaction ends.
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(72210532)"))


def record(conn: Connection, actor: str, action: str, subject: str, details: dict[str, Any] | None = None) -> int:
    """Append one audit row in the caller's transaction; returns its sequence number."""
    _lock_tail(conn)
    details_text = canonical_bytes(details or {}).decode("utf-8")
    prev = conn.execute(select(audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)).scalar()
    prev_hash = prev or GENESIS
    at = now_iso()
    row_hash = _row_hash(prev_hash, at, actor, action, subject, details_text)
    result = conn.execute(audit_log.insert().values(at=at, actor=actor, action=action, subject=subject,
                                                    details=details_text, prev_hash=prev_hash, hash=row_hash))
    return int(result.inserted_primary_key[0])


@dataclass
class ChainBreak:
    seq: int
    problem: str


def verify(conn: Connection) -> list[ChainBreak]:
    """Every place the chain does not hold (empty when the log is intact)."""
    breaks: list[ChainBreak] = []
    expected_prev = GENESIS
    rows = conn.execute(select(audit_log).order_by(audit_log.c.seq)).mappings()
    for row in rows:
        if row["prev_hash"] != expected_prev:
            breaks.append(ChainBreak(row["seq"], "links to a previous hash that is not the row before it "
                                                  "(a row was deleted, inserted or re-chained)"))
        computed = _row_hash(row["prev_hash"], row["at"], row["actor"], row["action"], row["subject"],
                             row["details"])
        if computed != row["hash"]:
            breaks.append(ChainBreak(row["seq"], "its content does not match its hash (the row was edited)"))
        expected_prev = row["hash"]
    return breaks


def entries(conn: Connection, *, subject: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
    if subject:
        query = query.where(audit_log.c.subject == subject)
    out = []
    for row in conn.execute(query).mappings():
        item = dict(row)
        item["details"] = json.loads(item["details"])
        out.append(item)
    return out
