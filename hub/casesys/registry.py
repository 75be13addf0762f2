"""The case-system registry: who gets which confirmations, where, signed with what.

A case system has a name, reference patterns, a webhook URL, one or two secrets (two
during a rotation: confirmations are signed with both), an optional lookup URL, an
enabled flag, and `internal`: an admin's mark that its URLs may be on loopback,
link-local or private addresses (refused otherwise: hub.casesys.outbound).  A pattern
says which value of a payment it looks at and a regular expression the *whole* value
must match:

    {"on": "case_ref", "regex": "VR-\\d{4}-\\d+"}
    {"on": "pagopa",   "regex": "3\\d{17}"}          # notice numbers of one creditor
    {"on": "rf",       "regex": "RF\\d\\dAB.*"}

`on` is one of: case_ref, order_id, rf, pagopa, zbp, epc, cp-order, reference (any
reference value), any (any of these).  Patterns are RE2 expressions (google-re2),
matched in time linear in the value: a pattern like `(a+)+b` that backtracks for
ever in Python's `re` cannot freeze ingest or the API.  RE2 has no backreferences
or lookaround; a pattern using them is refused when it is registered.  Systems are tried by priority (lower first),
then name; the first with a matching pattern wins.  Every change goes through here
and is written to the audit log in the same transaction.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from typing import Any, Literal
from urllib.parse import urlsplit

import re2
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Connection, select

from hub.audit.log import record
from hub.casesys.outbound import check_target
from hub.errors import BadRequest, Conflict, NotFound
from hub.store.tables_delivery import case_systems
from hub.store.timeutil import now_iso
from protocol import webhooks
from protocol.domain import ReferenceFormat

log = logging.getLogger(__name__)

# Reference formats a pattern can name: every one an agent sends except `case` (its value is
# the case reference, matched as case_ref) and `none` (no reference; `reference` and `any`
# still see a value it carries).
PATTERN_FORMATS = (ReferenceFormat.RF, ReferenceFormat.PAGOPA, ReferenceFormat.ZBP, ReferenceFormat.EPC,
                   ReferenceFormat.CP_ORDER)
PatternOn = Literal[("case_ref", "order_id", *(fmt.value for fmt in PATTERN_FORMATS), "reference", "any")]


class RegistryError(ValueError):
    """A registry change that cannot be made; the message says why."""


class CaseSystemExists(RegistryError, Conflict):
    """A case system of this name is registered already."""


class UnknownCaseSystem(RegistryError, NotFound):
    """No case system of this name is registered."""


class NothingToChange(RegistryError, BadRequest):
    """An update that names no field to change."""


class Pattern(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    on: PatternOn
    regex: str = Field(min_length=1, max_length=300)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            compile_pattern(value)
        except re2.error as exc:
            reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
            raise ValueError(f"not a regular expression the hub can match in linear time (RE2 syntax: no "
                             f"backreferences, no lookahead or lookbehind): {reason}") from None
        return value


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False     # a refused pattern is the admin's answer, not a line on stderr


def compile_pattern(regex: str):
    """A case-system pattern compiled with RE2 (raises re2.error when RE2 cannot)."""
    return re2.compile(regex, options=_RE2_OPTIONS)


def _check_url(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} must be an absolute http:// or https:// URL")
    return value


def _check_secret(value: str | None) -> str | None:
    if value is not None:
        try:
            webhooks.secret_key(value)
        except webhooks.WebhookSecretError as exc:
            raise ValueError(str(exc)) from None
    return value


class CaseSystemCreate(BaseModel):
    """Register a case system. Without `secret` the hub makes one and shows it once."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$",
                      description="lower-case letters, digits, '.', '_', '-'")
    patterns: list[Pattern] = Field(min_length=1, max_length=50)
    priority: int = Field(default=100, ge=0, le=10_000)
    webhook_url: str
    lookup_url: str | None = None
    secret: str | None = None
    previous_secret: str | None = None
    enabled: bool = True
    internal: bool = Field(default=False, description="its URLs may be on loopback, link-local or private "
                                                      "addresses (a simulator, a system on the office LAN)")

    @field_validator("webhook_url", "lookup_url")
    @classmethod
    def _urls(cls, value: str | None, info) -> str | None:
        return _check_url(value, info.field_name)

    @field_validator("secret", "previous_secret")
    @classmethod
    def _secrets(cls, value: str | None) -> str | None:
        return _check_secret(value)


class CaseSystemUpdate(BaseModel):
    """Change some fields. `rotate_secret` makes the current secret the previous one;
    `drop_previous_secret` ends a rotation; `enabled: true` also clears a 410 disable."""

    model_config = ConfigDict(extra="forbid")
    patterns: list[Pattern] | None = Field(default=None, min_length=1, max_length=50)
    priority: int | None = Field(default=None, ge=0, le=10_000)
    webhook_url: str | None = None
    lookup_url: str | None = None
    enabled: bool | None = None
    internal: bool | None = None
    rotate_secret: str | None = Field(default=None, description="a new whsec_… secret, or 'generate'")
    drop_previous_secret: bool = False

    @field_validator("webhook_url", "lookup_url")
    @classmethod
    def _urls(cls, value: str | None, info) -> str | None:
        return _check_url(value, info.field_name)

    @field_validator("rotate_secret")
    @classmethod
    def _rotate(cls, value: str | None) -> str | None:
        return value if value in (None, "generate") else _check_secret(value)

    @model_validator(mode="after")
    def _not_both(self):
        if self.rotate_secret and self.drop_previous_secret:
            raise ValueError("rotate_secret and drop_previous_secret cannot be combined: rotate first, "
                             "drop the previous secret once the case system has the new one")
        return self


def fingerprint(secret: str | None) -> str | None:
    """Enough of a secret to tell two apart, never enough to use it."""
    return None if secret is None else secret[:10] + "…"


def public_view(row: Any) -> dict[str, Any]:
    return {"name": row["name"], "patterns": json.loads(row["patterns"]), "priority": row["priority"],
            "webhook_url": row["webhook_url"], "lookup_url": row["lookup_url"], "enabled": row["enabled"],
            "disabled_reason": row["disabled_reason"], "secret": fingerprint(row["secret"]),
            "previous_secret": fingerprint(row["previous_secret"]), "internal": bool(row["internal"]),
            "created_at": row["created_at"], "updated_at": row["updated_at"]}


def _check_targets(webhook_url: str, lookup_url: str | None, internal: bool) -> None:
    check_target(webhook_url, internal=internal)
    if lookup_url:
        check_target(lookup_url.replace("{ref}", "ref"), internal=internal)


def signing_secrets(row: Any) -> list[str]:
    return [s for s in (row["secret"], row["previous_secret"]) if s]


def get(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(select(case_systems).where(case_systems.c.name == name)).mappings().first()
    return dict(row) if row else None


def list_all(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(case_systems).order_by(case_systems.c.priority, case_systems.c.name)).mappings()
    return [dict(r) for r in rows]


def create(conn: Connection, spec: CaseSystemCreate, actor: str) -> tuple[dict[str, Any], str | None]:
    """Insert; returns (the row, the generated secret to show once, or None)."""
    if get(conn, spec.name):
        raise CaseSystemExists(f"case system {spec.name!r} already exists")
    _check_targets(spec.webhook_url, spec.lookup_url, spec.internal)
    generated = None if spec.secret else webhooks.new_secret()
    now = now_iso()
    values = {"name": spec.name, "patterns": json.dumps([p.model_dump() for p in spec.patterns]),
              "priority": spec.priority, "webhook_url": spec.webhook_url, "lookup_url": spec.lookup_url,
              "secret": spec.secret or generated, "previous_secret": spec.previous_secret,
              "enabled": spec.enabled, "disabled_reason": None, "internal": spec.internal,
              "created_at": now, "updated_at": now}
    conn.execute(case_systems.insert().values(**values))
    invalidate_cache()
    record(conn, actor, "case_system.create", f"case_system:{spec.name}",
           {k: v for k, v in public_view(values).items() if k not in ("created_at", "updated_at")})
    return values, generated


def update(conn: Connection, name: str, change: CaseSystemUpdate, actor: str) -> tuple[dict[str, Any], str | None]:
    row = get(conn, name)
    if row is None:
        raise UnknownCaseSystem(f"case system {name!r} does not exist")
    values: dict[str, Any] = {}
    generated = None
    for field in ("priority", "webhook_url", "lookup_url"):
        if field in change.model_fields_set:
            values[field] = getattr(change, field)
    if change.internal is not None:
        values["internal"] = change.internal
    if {"webhook_url", "lookup_url", "internal"} & values.keys():
        merged = {**row, **values}
        _check_targets(merged["webhook_url"], merged["lookup_url"], bool(merged["internal"]))
    if change.patterns is not None:
        values["patterns"] = json.dumps([p.model_dump() for p in change.patterns])
    if change.enabled is not None:
        values["enabled"] = change.enabled
        values["disabled_reason"] = None if change.enabled else f"disabled by {actor}"
    if change.rotate_secret:
        new = webhooks.new_secret() if change.rotate_secret == "generate" else change.rotate_secret
        generated = new if change.rotate_secret == "generate" else None
        values["secret"], values["previous_secret"] = new, row["secret"]
    if change.drop_previous_secret:
        values["previous_secret"] = None
    if not values:
        raise NothingToChange("nothing to change: give at least one field")
    values["updated_at"] = now_iso()
    conn.execute(case_systems.update().where(case_systems.c.name == name).values(**values))
    invalidate_cache()
    audited = {k: (fingerprint(v) if k in ("secret", "previous_secret") else v) for k, v in values.items()}
    record(conn, actor, "case_system.update", f"case_system:{name}", audited)
    return {**row, **values}, generated


def disable_gone(conn: Connection, name: str, reason: str, actor: str = "delivery-worker") -> None:
    """The endpoint answered 410: stop sending until an admin enables it again."""
    changed = conn.execute(case_systems.update()
                           .where(case_systems.c.name == name, case_systems.c.enabled.is_(True))
                           .values(enabled=False, disabled_reason=reason, updated_at=now_iso())).rowcount
    invalidate_cache()
    if changed:   # two requests in flight may both get the 410: one audit entry
        record(conn, actor, "case_system.disable", f"case_system:{name}", {"reason": reason})


@functools.lru_cache(maxsize=256)
def _compiled(patterns_json: str) -> tuple[tuple[str, Any], ...]:
    compiled = []
    for pattern in json.loads(patterns_json):
        try:
            compiled.append((pattern["on"], compile_pattern(pattern["regex"])))
        except re2.error:
            # Registered before patterns were checked with RE2: it matches nothing until an
            # admin replaces it (logged once per registry state, this result being cached).
            log.warning("case-system pattern %r is not RE2 syntax and matches nothing; replace it",
                        pattern["regex"][:100])
    return tuple(compiled)


def reference_values(payment: dict[str, Any], link: dict[str, Any]) -> dict[str, str]:
    """The values patterns can look at, from the payment and how the hub linked it."""
    values: dict[str, str] = {}
    case_ref = (link or {}).get("case_ref") or payment.get("case_ref")
    if not case_ref and payment.get("reference_format") == ReferenceFormat.CASE:
        case_ref = payment.get("reference_value")
    if case_ref:
        values["case_ref"] = str(case_ref)
    order_id = (link or {}).get("order_id") or payment.get("order_ref")
    if order_id:
        values["order_id"] = str(order_id)
    fmt, value = payment.get("reference_format"), payment.get("reference_value")
    if value and fmt in PATTERN_FORMATS:
        values[fmt] = str(value)
    if value:
        values["reference"] = str(value)
    return values


def matches(row: dict[str, Any], values: dict[str, str]) -> bool:
    for on, regex in _compiled(row["patterns"]):
        candidates = list(values.values()) if on == "any" else [values[on]] if on in values else []
        if any(regex.fullmatch(candidate) for candidate in candidates):
            return True
    return False


# Ingest calls `choose` for every payment; reading the registry each time cost more than
# the rest of the enqueue.  Changes made here clear the cache at once; changes made by
# another hub process are seen within CACHE_TTL_S (the delivery worker routes what was
# queued unrouted in that window: hub.delivery.replay.route_recent).
CACHE_TTL_S = 1.0
_cache: tuple[float, list[dict[str, Any]]] | None = None


def invalidate_cache() -> None:
    global _cache
    _cache = None


def _cached_list(conn: Connection) -> list[dict[str, Any]]:
    global _cache
    cached = _cache
    if cached is not None and time.monotonic() - cached[0] < CACHE_TTL_S:
        return cached[1]
    rows = list_all(conn)
    _cache = (time.monotonic(), rows)
    return rows


def choose(conn: Connection, values: dict[str, str], *, cached: bool = False) -> dict[str, Any] | None:
    """The case system these values belong to (enabled or not), or None."""
    return choose_from(_cached_list(conn) if cached else list_all(conn), values)


def cached_systems(conn: Connection) -> list[dict[str, Any]]:
    """Every case system, as `choose(…, cached=True)` sees them: for a batch that chooses
    many times without reading the database in between (`choose_from`)."""
    return _cached_list(conn)


def choose_from(systems: list[dict[str, Any]], values: dict[str, str]) -> dict[str, Any] | None:
    """The first of `systems` these values belong to, or None."""
    for row in systems:
        if matches(row, values):
            return row
    return None


def owner_of_case(systems: list[dict[str, Any]], ref: str) -> dict[str, Any] | None:
    """The case system a case reference belongs to: by its patterns on case_ref first,
    then on any reference (a case may be known by a notice number)."""
    for values in ({"case_ref": ref}, {"case_ref": ref, "reference": ref}):
        for system in systems:
            if matches(system, values):
                return system
    return None


def case_owner(conn: Connection, ref: str) -> dict[str, Any] | None:
    return owner_of_case(_cached_list(conn), ref)


def order_owner(conn: Connection, order: dict[str, Any]) -> dict[str, Any] | None:
    """The case system an order's payments are confirmed to: by its case, id and reference."""
    as_payment = {"case_ref": order.get("case_ref"), "order_ref": order.get("order_id"),
                  "reference_format": order.get("reference_format"), "reference_value": order.get("reference")}
    return choose(conn, reference_values(as_payment, {}), cached=True)


def payment_owner(conn: Connection, payment: dict[str, Any]) -> dict[str, Any] | None:
    """The case system a stored payment's confirmation goes to, as the hub linked it."""
    link = {"case_ref": payment.get("linked_case_ref"), "order_id": payment.get("linked_order_id")}
    return choose(conn, reference_values(payment, link), cached=True)
