"""Card payments per office and service step: contracts, applications and their workflow (hub/activation).

The office's staff register contracts and submit (`activation.apply`: operators of the
office, admin tokens); reviewers comment, approve and suspend (`activation.review`:
supervisors, admin tokens); `activation.read` lists.  An office outside the caller's
scope is answered like one without applications (404).  A refused submit or approve is
409 with `missing`, every precondition that is not there.  After an approve or suspend,
or a new contract, the office's desks are sent the active set (retained card.activation).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from hub.activation import applications, feed
from hub.activation.contracts import add_contract, contracts
from hub.api.deps import Db, Hub, require_role
from hub.api.schemas.activation import (Application, ApplicationWithHistory, ContractIn, ContractOut, StepDone,
                                        StepOverview, StepRequest, StateValue)
from hub.api.security import Principal

router = APIRouter(prefix="/api/v1", tags=["card activation"])
Reader = Annotated[Principal, Depends(require_role("operator", "auditor", permission="activation.read"))]
Applicant = Annotated[Principal, Depends(require_role("operator", permission="activation.apply"))]
Reviewer = Annotated[Principal, Depends(require_role(permission="activation.review"))]
Office = Annotated[str, Path(min_length=1, max_length=64)]
Step = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/card-contracts", response_model=list[ContractOut])
def contract_list(principal: Reader, db: Db, office: Annotated[str | None, Query(max_length=64)] = None) -> list[dict]:
    with db.connect() as conn:
        return contracts(conn, principal.scope, office)


@router.post("/card-contracts", status_code=201, response_model=ContractOut,
             summary="Register an office's card-payment contract (audited)")
def contract_add(body: ContractIn, principal: Applicant, db: Db, hub: Hub) -> dict:
    if not principal.scope.allows(body.office.strip()):
        raise HTTPException(422, f"office {body.office!r} is not one of the caller's offices "
                                 f"({principal.scope.describe()})")
    with db.begin() as conn:
        made = add_contract(conn, office=body.office, acquirer=body.acquirer, contract_no=body.contract_no,
                            valid_from=body.valid_from, valid_to=body.valid_to, actor=principal.actor)
    feed.publish_for(db, hub, made["office"])
    return made


@router.get("/card-applications", response_model=list[Application],
            description="The applications of the caller's offices; a reviewer's queue is `state=submitted`.")
def application_list(principal: Reader, db: Db, state: StateValue | None = None,
                     office: Annotated[str | None, Query(max_length=64)] = None) -> list[dict]:
    with db.connect() as conn:
        return applications.applications(conn, principal.scope, office=office, state=state)


@router.get("/card-applications/{office}", response_model=list[StepOverview],
            description="Every service step of the published catalogue for the office, and every application "
                        "of it: state (draft until submitted), the last comment, what submitting still needs.")
def office_overview(office: Office, principal: Reader, db: Db) -> list[dict]:
    if not principal.scope.allows(office):
        raise HTTPException(404, f"office {office} is not one of the caller's offices")
    with db.connect() as conn:
        return applications.overview(conn, office)


@router.get("/card-applications/{office}/{service}", response_model=ApplicationWithHistory)
def application(office: Office, service: Step, principal: Reader, db: Db) -> dict:
    with db.connect() as conn:
        return applications.get(conn, principal.scope, office, service)


def _step(action: str, principal: Principal, db, hub, office: str, service: str, body: StepRequest | None) -> dict:
    with db.begin() as conn:
        done = applications.transition(conn, action, office=office, service=service, actor=principal.actor,
                                       text=body.text if body else None, scope=principal.scope)
    told = hub.publisher is not None
    feed.publish_for(db, hub, done["office"])
    return {**done, "desks_told": told}


@router.post("/card-applications/{office}/{service}/submit", response_model=StepDone,
             summary="Submit the office's application (again, after a comment); 409 lists what is missing")
def submit(office: Office, service: Step, principal: Applicant, db: Db, hub: Hub,
           body: StepRequest | None = None) -> dict:
    return _step("submit", principal, db, hub, office, service, body)


@router.post("/card-applications/{office}/{service}/comment", response_model=StepDone,
             summary="A reviewer's comment (text required): the application goes back to the office")
def comment(office: Office, service: Step, principal: Reviewer, db: Db, hub: Hub,
            body: StepRequest | None = None) -> dict:
    return _step("comment", principal, db, hub, office, service, body)


@router.post("/card-applications/{office}/{service}/approve", response_model=StepDone,
             summary="Approve a submitted or suspended application: the office's desks take cards for the step")
def approve(office: Office, service: Step, principal: Reviewer, db: Db, hub: Hub,
            body: StepRequest | None = None) -> dict:
    return _step("approve", principal, db, hub, office, service, body)


@router.post("/card-applications/{office}/{service}/suspend", response_model=StepDone,
             summary="Suspend an active application (text required): the office's desks stop taking cards for it")
def suspend(office: Office, service: Step, principal: Reviewer, db: Db, hub: Hub,
            body: StepRequest | None = None) -> dict:
    return _step("suspend", principal, db, hub, office, service, body)
