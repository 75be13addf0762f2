"""Applications to take cards for one service step of one office, and the workflow they follow.

    draft → submitted → (commented → submitted)* → active,   active ⇄ suspended

A service step is named by its price list's code in the fee catalogue (hub/catalogue).
An application is a draft until the office first submits it: `overview` lists every
published step of the catalogue for an office, with its state and, while it cannot be
submitted, what is missing.  Submitting (and approving, so that what was true when it
was submitted is true still) needs

* a card contract of the office valid today (hub/activation/contracts.py);
* the service step published in the catalogue (a price list of that code in the
  published version);
* a published price list covering the step: at least one priced position of it that
  accepts the card tender.

Who may do what is the caller's business (hub/users/roles.py: the office's staff apply,
`activation.apply`; reviewers comment, approve and suspend, `activation.review`).  Every
transition is a row of card_application_events (who, when, why) and an audit row.  After
a committed approve or suspend the office's desks are told (hub/activation/feed.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, select

from hub.activation.contracts import _text, clean_office, covered_until, valid_contract
from hub.activation.errors import ActivationError, ApplicationNotFound, PreconditionsMissing, WrongState
from hub.audit.log import record
from hub.catalogue import service as catalogue
from hub.store.tables_activation import card_application_events, card_applications, card_contracts
from hub.store.timeutil import now_iso
from hub.users.scope import Scope
from protocol.domain import CardApplicationState as State
from protocol.domain import Tender

TEXT_LIMIT = 2000

# action: (the states it starts from, the state it leads to, whether a text is required)
TRANSITIONS: dict[str, tuple[tuple[State, ...], State, bool]] = {
    "submit": ((State.DRAFT, State.COMMENTED), State.SUBMITTED, False),
    "comment": ((State.SUBMITTED,), State.COMMENTED, True),
    "approve": ((State.SUBMITTED, State.SUSPENDED), State.ACTIVE, False),
    "suspend": ((State.ACTIVE,), State.SUSPENDED, True),
}
REVIEW_ACTIONS = frozenset({"comment", "approve", "suspend"})
"""The steps a reviewer takes; the office submits."""


def clean_service(service: str | None) -> str:
    typed = (service or "").strip()
    if not typed or len(typed) > 64 or not all(c.isascii() and (c.isalnum() or c in "._-") for c in typed):
        raise ActivationError("service", "service_format", f"service step {typed!r} must be a price list's code "
                              "(1-64 letters, digits, '.', '_' or '-')", service=typed)
    return typed


def _price_lists(conn: Connection) -> dict[str, dict[str, Any]]:
    document = catalogue.current(conn)
    return {p["code"]: p for p in (document or {}).get("price_lists", [])}


def _covers_card(price_list: dict[str, Any]) -> bool:
    return any(p.get("unit_price_minor") is not None and Tender.CARD in (p.get("tenders") or list(Tender))
               for p in price_list.get("positions", []))


def missing(conn: Connection, office: str, service: str, day: dt.date | None = None,
            price_lists: dict[str, dict] | None = None) -> list[tuple[str, dict]]:
    """What submitting `service` for `office` needs and is not there: (catalogue key, values) pairs."""
    day = day or dt.datetime.now(dt.timezone.utc).date()
    found: list[tuple[str, dict]] = []
    if valid_contract(conn, office, day) is None:
        registered = conn.execute(select(card_contracts.c.id).where(card_contracts.c.office == office)).first()
        found.append(("contract_not_valid" if registered else "contract_missing", {"office": office,
                                                                                    "day": day.isoformat()}))
    lists = _price_lists(conn) if price_lists is None else price_lists
    price_list = lists.get(service)
    if price_list is None:
        found.append(("step_not_published", {"service": service}))
    elif not _covers_card(price_list):
        found.append(("no_card_price", {"service": service}))
    return found


MISSING_TEXT = {
    "contract_missing": "the office has no card-payment contract registered (counterpay hub contract add)",
    "contract_not_valid": "none of the office's card-payment contracts is valid on {day}",
    "step_not_published": "service step {service} is not in the published fee catalogue",
    "no_card_price": "the published price list {service} has no priced position that accepts cards",
}


def _application(conn: Connection, office: str, service: str) -> dict[str, Any] | None:
    row = conn.execute(select(card_applications).where(card_applications.c.office == office,
                                                       card_applications.c.service == service)).mappings().first()
    return dict(row) if row else None


def get(conn: Connection, scope: Scope, office: str, service: str) -> dict[str, Any]:
    """The application with its history; ApplicationNotFound outside `scope` or when never submitted."""
    office, service = clean_office(office), clean_service(service)
    found = _application(conn, office, service) if scope.allows(office) else None
    if found is None:
        raise ApplicationNotFound("service", "not_found", f"office {office} has no application for service step "
                                  f"{service}", office=office, service=service)
    return {**found, "history": history(conn, found["id"])}


def history(conn: Connection, application_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(card_application_events).where(card_application_events.c.application_id
                                                              == application_id).order_by(card_application_events.c.id))
    return [dict(r) for r in rows.mappings()]


def transition(conn: Connection, action: str, *, office: str, service: str, actor: str, text: str | None = None,
               scope: Scope | None = None, day: dt.date | None = None) -> dict[str, Any]:
    """Take one step of the workflow and record it; returns the application with its history."""
    sources, target, needs_text = TRANSITIONS[action]
    office, service = clean_office(office), clean_service(service)
    if scope is not None and not scope.allows(office):
        raise ApplicationNotFound("office", "office_not_yours", f"office {office} is not one of yours", office=office)
    typed = " ".join((text or "").split())
    if needs_text or typed:
        typed = _text(text, "text", TEXT_LIMIT)
    found = _application(conn, office, service)
    if found is None and action != "submit":
        raise ApplicationNotFound("service", "not_found", f"office {office} has no application for service step "
                                  f"{service}: the office submits one first", office=office, service=service)
    state = State(found["state"]) if found else State.DRAFT
    if state not in sources:
        raise WrongState("", "wrong_state", f"the application of office {office} for service step {service} is "
                         f"{state}; {action} needs it {' or '.join(sources)}", office=office, service=service,
                         state=state, action=action)
    if target in (State.SUBMITTED, State.ACTIVE):
        lacking = missing(conn, office, service, day)
        if lacking:
            raise PreconditionsMissing(office, service, lacking, [MISSING_TEXT[k].format(**v) for k, v in lacking])
    at = now_iso()
    changes: dict[str, Any] = {"state": target, "updated_at": at}
    if target == State.ACTIVE:
        changes["active_since"] = at
    if found is None:
        made = conn.execute(card_applications.insert().values(office=office, service=service, created_at=at, **changes))
        application_id = int(made.inserted_primary_key[0])
    else:
        application_id = found["id"]
        # The state is in the WHERE: of two reviewers acting at once, the second finds it moved on.
        moved = conn.execute(card_applications.update().where(card_applications.c.id == application_id,
                                                              card_applications.c.state == state).values(**changes))
        if moved.rowcount != 1:
            raise WrongState("", "changed_meanwhile", f"the application of office {office} for service step "
                             f"{service} changed meanwhile; look again", office=office, service=service)
    conn.execute(card_application_events.insert().values(application_id=application_id, at=at, actor=actor,
                                                          action=action, from_state=state, to_state=target,
                                                          text=typed or None))
    record(conn, actor, f"card_application.{action}", f"card_application:{office}/{service}",
           {"from": state, "to": target, "text": typed or None})
    return get(conn, Scope.everything(), office, service)


def applications(conn: Connection, scope: Scope, *, office: str | None = None,
                 state: str | None = None) -> list[dict[str, Any]]:
    """Every stored application within `scope` (a reviewer's queue: `state="submitted"`), by office and step."""
    query = select(card_applications).where(scope.filter(card_applications.c.office))
    if office:
        query = query.where(card_applications.c.office == office)
    if state:
        query = query.where(card_applications.c.state == State(state))
    rows = conn.execute(query.order_by(card_applications.c.office, card_applications.c.service)).mappings()
    return [dict(r) for r in rows]


def overview(conn: Connection, office: str, day: dt.date | None = None) -> list[dict[str, Any]]:
    """Every service step of the published catalogue and every stored application of `office`: its
    state (draft when never submitted), the last comment or reason, and what submitting still needs."""
    office = clean_office(office)
    lists = _price_lists(conn)
    stored = {a["service"]: a for a in applications(conn, Scope.everything(), office=office)}
    out = []
    for service in sorted(set(lists) | set(stored)):
        application = stored.get(service)
        state = State(application["state"]) if application else State.DRAFT
        last = None
        if application:
            said = [e for e in history(conn, application["id"]) if e["text"]]
            last = said[-1] if said else None
        lacking = missing(conn, office, service, day, lists) if state in (State.DRAFT, State.COMMENTED,
                                                                          State.SUBMITTED) else []
        out.append({"office": office, "service": service, "name": (lists.get(service) or {}).get("name"),
                    "service_step": (lists.get(service) or {}).get("service_step"), "state": state,
                    "updated_at": application["updated_at"] if application else None,
                    "active_since": application["active_since"] if application else None,
                    "last_text": last, "missing": [{"reason": k, "values": v, "message": MISSING_TEXT[k].format(**v)}
                                                   for k, v in lacking]})
    return out


def active_steps(conn: Connection, office: str, day: dt.date | None = None) -> list[dict[str, Any]]:
    """The service steps where `office`'s desks may take cards, each with the last day the office's
    contracts cover without a gap (the desks stop after it by themselves, offline too)."""
    day = day or dt.datetime.now(dt.timezone.utc).date()
    valid, last_day = covered_until(conn, office, day)
    if not valid:
        return []           # no valid contract today: no cards at all (the desks are told at once)
    rows = conn.execute(select(card_applications.c.service, card_applications.c.active_since).where(
        card_applications.c.office == office, card_applications.c.state == State.ACTIVE)
        .order_by(card_applications.c.service)).all()
    return [{"service": r.service, "since": r.active_since, "contract_valid_to": last_day} for r in rows]
