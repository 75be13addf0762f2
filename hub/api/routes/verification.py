"""Verify a scanned QR (receipt, order, or any payment code) against the key directory."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from protocol import qr
from hub.api.deps import Hub, require_role
from hub.api.schemas.verification import QrVerdict, VerifyRequest

router = APIRouter(prefix="/api/v1/verify", tags=["verification"])


@router.post("", response_model=QrVerdict, dependencies=[Depends(require_role("operator", "auditor", "case-system",
                                                                                     permission="payments.read"))])
def verify(request: VerifyRequest, hub: Hub) -> dict:
    result = qr.parse(request.payload, keys=hub.key_directory())
    return result.to_json()
