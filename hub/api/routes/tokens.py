"""API tokens: admins create, list and revoke them; the token is shown once."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from hub.api.deps import get_db, require_role
from hub.api.security import Principal, create_token, list_tokens, revoke_token
from hub.store.db import Database

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])


class TokenRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: str = Field(pattern=r"^(admin|operator|auditor|case-system)$")


@router.post("", status_code=201)
def create(request: TokenRequest, principal: Principal = Depends(require_role("admin")),
           db: Database = Depends(get_db)) -> dict:
    with db.begin() as conn:
        token, token_id = create_token(conn, request.name, request.role, principal.actor)
    return {"id": token_id, "name": request.name, "role": request.role, "token": token,
            "note": "store this token now: the hub keeps only its hash"}


@router.get("")
def index(_: Principal = Depends(require_role("admin")), db: Database = Depends(get_db)) -> list[dict]:
    with db.connect() as conn:
        return list_tokens(conn)


@router.delete("/{token_id}")
def revoke(token_id: int, principal: Principal = Depends(require_role("admin")),
           db: Database = Depends(get_db)) -> dict:
    with db.begin() as conn:
        if not revoke_token(conn, token_id, principal.actor):
            raise HTTPException(404, f"no active token {token_id}")
    return {"id": token_id, "revoked": True}
