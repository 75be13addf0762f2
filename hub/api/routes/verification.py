"""Verify a scanned QR (receipt, order, or any payment code) against the key directory."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from protocol import qr
from hub.api.deps import get_hub, require_role
from hub.context import HubContext

router = APIRouter(prefix="/api/v1/verify", tags=["verification"])


class VerifyRequest(BaseModel):
    payload: str = Field(min_length=1, max_length=4096)


@router.post("", dependencies=[Depends(require_role("operator", "auditor", "case-system"))])
def verify(request: VerifyRequest, hub: HubContext = Depends(get_hub)) -> dict:
    result = qr.parse(request.payload, keys=hub.key_directory())
    return result.to_json()
