"""API tokens: admins create, list and revoke them; the token is shown once."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from hub.api.deps import Db, RowId, caller
from hub.api.schemas.tokens import ApiToken, TokenCreated, TokenRequest, TokenRevoked
from hub.api.security import create_token, list_tokens, revoke_token

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])
Admin = caller(permission="tokens.manage")


@router.post("", status_code=201, response_model=TokenCreated)
def create(request: TokenRequest, principal: Admin, db: Db) -> dict:
    with db.begin() as conn:
        token, token_id = create_token(conn, request.name, request.role, principal.actor,
                                       case_system=request.case_system, offices=request.offices)
    offices = None if request.offices is None else sorted(set(request.offices))
    return {"id": token_id, "name": request.name, "role": request.role, "case_system": request.case_system,
            "offices": offices, "token": token,
            "note": "store this token now: the hub keeps only its hash"}


@router.get("", response_model=list[ApiToken])
def index(_: Admin, db: Db) -> list[dict]:
    with db.connect() as conn:
        return list_tokens(conn)


@router.delete("/{token_id}", response_model=TokenRevoked)
def revoke(token_id: RowId, principal: Admin, db: Db) -> dict:
    with db.begin() as conn:
        if not revoke_token(conn, token_id, principal.actor):
            raise HTTPException(404, f"no active token {token_id}")
    return {"id": token_id, "revoked": True}
