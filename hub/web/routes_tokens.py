"""API tokens (admin): list (a keyset page, by role and status), create (the token shown once, after the form's redirect), revoke.

The form is checked by the API's own `TokenRequest`, and made by `create_token`, so the
page and `POST /api/v1/tokens` accept and refuse alike.  Agent tokens are issued at
enrollment and are not offered here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from hub.api.schemas.tokens import TokenRequest
from hub.api.security import TokenRefused, create_token, revoke_token
from hub.casesys import registry
from hub.users.sessions import Session
from hub.web import admin_lists, shown_once
from hub.web.admin_lists import NO_FILTER, AdminFilter
from hub.web.auth import require
from hub.web.forms import validation_errors
from hub.web.listing import PAGE_SIZE, keyset_page, link
from hub.web.templating import render

router = APIRouter(include_in_schema=False)
Admin = Annotated[Session, Depends(require("tokens.manage"))]
OFFERED_ROLES = ("operator", "auditor", "case-system", "metrics", "admin")


def _page(request: Request, session: Session, *, wanted=NO_FILTER, sort: str = "", cursor: str = "",
          errors=None, typed=None, done="", status_code=200):
    with request.app.state.db.connect() as conn:
        found, bad_link = keyset_page(lambda **at: admin_lists.api_tokens_page(conn, wanted, limit=PAGE_SIZE, **at),
                                      sort, cursor)
        systems = [row["name"] for row in registry.list_all(conn)]
    return render(request, "tokens.html", session=session, status_code=status_code, found=found,
                  wanted=wanted, bad_link=bad_link, sorts=list(admin_lists.TOKEN_ORDERING.columns),
                  role_choices=[(r, f"tokens.role.{r}") for r in OFFERED_ROLES + ("agent",)],
                  statuses=[("active", "tokens.active"), ("revoked", "tokens.revoked")],
                  link=lambda **changes: link(request, **changes),
                  roles=OFFERED_ROLES, systems=systems, errors=errors or {}, typed=typed or {},
                  shown=shown_once.take(request, session), done=done)


@router.get("/tokens")
def index(request: Request, session: Admin, done: str = "", role: str = "", status: str = "", sort: str = "",
          cursor: str = ""):
    return _page(request, session, wanted=AdminFilter(role=role, status=status), sort=sort, cursor=cursor,
                 done="tokens.done.revoked" if done == "revoked" else "")


@router.post("/tokens")
def create(request: Request, session: Admin, name: str = Form(""), role: str = Form(""),
           case_system: str = Form("")):
    typed = dict(name=name, role=role, case_system=case_system)
    errors = {}
    try:
        spec = TokenRequest(name=name.strip(), role=role,
                            case_system=(case_system or None) if role == "case-system" else None)
        with request.app.state.db.begin() as conn:
            token, token_id = create_token(conn, spec.name, spec.role, session.user.actor,
                                           case_system=spec.case_system)
    except ValidationError as exc:
        errors = validation_errors(exc)
        if "form" in errors:        # the model's own check: a case-system token names its case system
            errors = {"case_system": ("tokens.error.case_system_required", {})}
    except TokenRefused:
        errors = {"case_system": ("tokens.error.case_system_unknown", {})}
    if errors:
        return _page(request, session, errors=errors, typed=typed, status_code=422)
    shown_once.keep(request, session, "tokens.created", token, name=spec.name)
    return RedirectResponse("/tokens", status_code=303)    # a reload of what follows makes no second token


@router.post("/tokens/{token_id}/revoke")
def revoke(request: Request, session: Admin, token_id: int):
    with request.app.state.db.begin() as conn:
        revoke_token(conn, token_id, session.user.actor)
    return RedirectResponse("/tokens?done=revoked", status_code=303)
