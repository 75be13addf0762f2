"""API routes of the case-system registry and of case lookups.

    GET   /api/v1/case-systems                 list (secrets shown as fingerprints)
    POST  /api/v1/case-systems                 register (admin); a generated secret is shown once
    GET   /api/v1/case-systems/{name}
    PATCH /api/v1/case-systems/{name}          change, rotate or drop a secret, enable/disable (admin)
    GET   /api/v1/cases/{ref}/lookup           what a case owes, asked from its case system
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from hub.api.deps import Db, caller, require_role
from hub.api.schemas.case_systems import CaseLookupAnswer, CaseSystem, CaseSystemChanged
from hub.casesys import registry
from hub.casesys.lookup import CaseLookup, check_reference
from hub.delivery import wakeup
from hub.delivery.replay import route_unrouted

router = APIRouter(prefix="/api/v1", tags=["case systems"])
# The console shows case systems to who manages them only; tokens of these roles read them too.
READERS = Depends(require_role("operator", "auditor", permission="casesys.manage"))
Admin = caller(permission="casesys.manage")


def _view(row, generated: str | None = None) -> dict:
    view = registry.public_view(row)
    if generated:
        view["generated_secret"] = generated
        view["note"] = "the generated secret is shown only now: give it to the case system"
    return view


@router.get("/case-systems", response_model=list[CaseSystem],
            dependencies=[READERS])
def list_case_systems(db: Db) -> list[dict]:
    with db.connect() as conn:
        return [_view(row) for row in registry.list_all(conn)]


@router.get("/case-systems/{name}", response_model=CaseSystem,
            dependencies=[READERS])
def get_case_system(name: str, db: Db) -> dict:
    with db.connect() as conn:
        row = registry.get(conn, name)
    if row is None:
        raise HTTPException(404, f"case system {name!r} does not exist")
    return _view(row)


# The generated secret and its note are in the answer only when a secret was generated.
@router.post("/case-systems", status_code=201, response_model=CaseSystemChanged, response_model_exclude_unset=True)
def create_case_system(spec: registry.CaseSystemCreate, db: Db, principal: Admin) -> dict:
    with db.begin() as conn:
        row, generated = registry.create(conn, spec, principal.actor)
        routed = route_unrouted(conn, principal.actor)
    return {**_view(row, generated), "routed_waiting_confirmations": routed}


@router.patch("/case-systems/{name}", response_model=CaseSystemChanged, response_model_exclude_unset=True)
def update_case_system(name: str, change: registry.CaseSystemUpdate, db: Db, principal: Admin) -> dict:
    with db.begin() as conn:
        row, generated = registry.update(conn, name, change, principal.actor)
        routed = route_unrouted(conn, principal.actor) if change.patterns is not None else 0
        if change.enabled:
            wakeup.announce(conn)   # its waiting confirmations can go now
    return {**_view(row, generated), "routed_waiting_confirmations": routed}


def _lookup_client(request: Request) -> CaseLookup:
    client = getattr(request.app.state, "case_lookup", None)
    if client is None:
        client = request.app.state.case_lookup = CaseLookup(request.app.state.db)
    return client


STATUS_FOR = {"found": 200, "unknown_case": 404, "no_case_system": 404, "unreachable": 502, "refused": 502}
_LOOKUP_FAILED = {"model": CaseLookupAnswer, "description": "the outcome says why: unknown_case, no_case_system "
                                                            "(404), unreachable or refused (502)"}


@router.get("/cases/{ref}/lookup", response_model=CaseLookupAnswer, responses={404: _LOOKUP_FAILED, 502: _LOOKUP_FAILED},
            dependencies=[Depends(require_role("operator", "auditor", "agent", permission="orders.read"))])
async def lookup_case(ref: str, request: Request) -> JSONResponse:
    """What the case owes (amount, positions, payer), from the case system; cached 30 s."""
    if not ref.strip() or len(ref) > 200:
        raise HTTPException(422, "the case reference must be 1 to 200 characters")
    try:
        check_reference(ref)
    except ValueError as exc:
        raise HTTPException(422, f"{exc}: '.' and '..' are path steps, not cases") from None
    result = await _lookup_client(request).lookup(ref)
    return JSONResponse(result.to_json(), status_code=STATUS_FOR[result.outcome])
