"""The audit log's entries and the verdict on its hash chain."""

from __future__ import annotations

from typing import Any

from hub.api.schemas.base import Schema


class AuditEntry(Schema):
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class ChainBreak(Schema):
    seq: int
    problem: str


class AuditVerdict(Schema):
    intact: bool
    breaks: list[ChainBreak]
