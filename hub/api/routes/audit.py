"""The audit log: read it and verify its hash chain (admin, auditor)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from hub.api.deps import get_db, require_role
from hub.audit.log import entries, verify
from hub.store.db import Database

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], dependencies=[Depends(require_role("auditor"))])


@router.get("")
def index(subject: str | None = None, limit: int = Query(100, ge=1, le=1000),
          db: Database = Depends(get_db)) -> list[dict]:
    with db.connect() as conn:
        return entries(conn, subject=subject, limit=limit)


@router.get("/verify")
def check(db: Database = Depends(get_db)) -> dict:
    with db.connect() as conn:
        breaks = verify(conn)
    return {"intact": not breaks, "breaks": [{"seq": b.seq, "problem": b.problem} for b in breaks]}
