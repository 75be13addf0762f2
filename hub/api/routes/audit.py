"""The audit log: read it and verify its hash chain (admin, auditor)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from hub.api.deps import Db, Limit, require_role
from hub.api.schemas.audit import AuditEntry, AuditVerdict
from hub.audit.log import entries, verify

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=list[AuditEntry], dependencies=[Depends(require_role("auditor", permission="audit.read"))])
def index(db: Db, subject: str | None = None, limit: Limit = 100) -> list[dict]:
    with db.connect() as conn:
        return entries(conn, subject=subject, limit=limit)


@router.get("/verify", response_model=AuditVerdict,
            dependencies=[Depends(require_role("auditor", permission="audit.verify"))])
def check(db: Db) -> dict:
    with db.connect() as conn:
        breaks = verify(conn)
    return {"intact": not breaks, "breaks": [{"seq": b.seq, "problem": b.problem} for b in breaks]}
