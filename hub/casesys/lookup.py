"""Case lookup: a clerk asks the hub what a case owes; the hub asks the case system.

The case system is chosen by the registry patterns (on the case reference, or any
reference).  Its `lookup_url` may hold ``{ref}``; otherwise the reference is appended
as a path segment; either way the reference is percent-encoded as one path segment
(`/` and `?` included), and `.` and `..`, which would climb out of the case's path, are
refused.  The lookup URL is checked against internal addresses before each call
(hub.casesys.outbound).  The request is a GET signed like a webhook (Standard Webhooks
headers over an empty body, with a fresh ``lookup_…`` id), so the case system can tell
the hub from a stranger.

Answers are cached for `ttl_s` (30 s): a clerk re-opening a case does not cost a
round trip, and the amount owed is at most that stale (a payment made at this hub
also evicts the entry).  "Unknown case" is cached too; "unreachable" is not.

The case system is expected to answer 200 with
``{"ref", "amount_owed_minor", "currency", "positions": [...], "payer": {...}, ...}``
(extra fields are passed through) or 404 for a case it does not know.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import quote

import httpx

from hub.casesys import registry
from hub.casesys.outbound import InternalTarget, check_target
from hub.store.db import Database
from protocol import webhooks

DEFAULT_TTL_S = 30.0
_instances: "weakref.WeakSet[CaseLookup]" = weakref.WeakSet()


def forget_everywhere(ref: str) -> None:
    """A payment for `ref` arrived: cached answers about it are stale."""
    forget_all_everywhere((ref,))


def forget_all_everywhere(refs: Iterable[str]) -> None:
    """Payments for `refs` arrived: one pass over each cache for the whole batch (a
    reconciliation run pays 100,000 references; a pass per reference was seconds)."""
    stale = set(refs)
    if not stale:
        return
    for instance in list(_instances):
        instance.forget_all(stale)


@dataclass
class LookupResult:
    outcome: str                     # found | unknown_case | no_case_system | unreachable | refused
    ref: str
    case_system: str | None = None
    case: dict[str, Any] | None = None
    detail: str | None = None
    cached: bool = False
    fetched_at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "ref": self.ref, "case_system": self.case_system, "case": self.case,
                "detail": self.detail, "cached": self.cached}


# Path segments that mean "this" and "parent" (RFC 3986 §3.3): no case is called that.
DOT_SEGMENTS = (".", "..")


def check_reference(ref: str) -> None:
    """Raise ValueError for a reference that cannot be one path segment of a lookup URL."""
    if ref in DOT_SEGMENTS:
        raise ValueError(f"{ref!r} is not a case reference")


def lookup_address(template: str, ref: str) -> str:
    check_reference(ref)
    quoted = quote(ref, safe="")
    if "{ref}" in template:
        return template.replace("{ref}", quoted)
    return template.rstrip("/") + "/" + quoted


class CaseLookup:
    def __init__(self, db: Database, *, ttl_s: float = DEFAULT_TTL_S, timeout_s: float = 5.0,
                 client: httpx.AsyncClient | None = None, monotonic: Callable[[], float] = time.monotonic):
        self.db = db
        self.ttl_s = ttl_s
        self.timeout_s = timeout_s
        self._client = client
        self.monotonic = monotonic
        self._cache: dict[tuple[str, str], tuple[float, LookupResult]] = {}
        self._lock = threading.Lock()
        _instances.add(self)

    def forget(self, ref: str) -> None:
        self.forget_all({ref})

    def forget_all(self, refs: set[str]) -> None:
        with self._lock:
            for key in [k for k in self._cache if k[1] in refs]:
                del self._cache[key]

    def _choose(self, ref: str) -> dict[str, Any] | None:
        with self.db.connect() as conn:
            return registry.owner_of_case(registry.list_all(conn), ref)

    async def lookup(self, ref: str) -> LookupResult:
        system = await asyncio.to_thread(self._choose, ref)
        if system is None:
            return LookupResult("no_case_system", ref, detail=f"no case system's patterns match {ref!r}")
        if not system["lookup_url"]:
            return LookupResult("no_case_system", ref, system["name"],
                                detail=f"case system {system['name']} has no lookup URL")
        key = (system["name"], ref)
        with self._lock:
            hit = self._cache.get(key)
        if hit and self.monotonic() - hit[0] < self.ttl_s:
            return LookupResult(**{**hit[1].__dict__, "cached": True})
        result = await self._ask(system, ref)
        if result.outcome in ("found", "unknown_case"):
            with self._lock:
                self._cache[key] = (self.monotonic(), result)
        return result

    async def _ask(self, system: dict[str, Any], ref: str) -> LookupResult:
        url = lookup_address(system["lookup_url"], ref)
        headers = webhooks.signed_headers(registry.signing_secrets(system), f"lookup_{uuid.uuid4().hex}",
                                          int(time.time()), b"")
        name = system["name"]
        try:
            await asyncio.to_thread(check_target, url, internal=bool(system["internal"]))
        except InternalTarget as exc:
            return LookupResult("unreachable", ref, name, detail=f"the hub does not call case system {name}: {exc}")
        try:
            if self._client is not None:
                response = await self._client.get(url, headers=headers)
            else:
                # A client per lookup: lookups come at a clerk's pace, and the API may run
                # them on different event loops (a pooled client is bound to one loop).
                async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                    response = await client.get(url, headers=headers)
        except httpx.TimeoutException:
            return LookupResult("unreachable", ref, name, detail=f"case system {name} did not answer within "
                                                                 f"{self.timeout_s:g} s")
        except httpx.HTTPError as exc:
            return LookupResult("unreachable", ref, name, detail=f"case system {name} is unreachable: "
                                                                 f"{type(exc).__name__}: {exc}")
        if response.status_code == 404:
            return LookupResult("unknown_case", ref, name, detail=f"case system {name} does not know case {ref!r}")
        if response.status_code in (401, 403):
            return LookupResult("refused", ref, name, detail=f"case system {name} refused the hub's lookup "
                                                             f"({response.status_code}): check the shared secret")
        if response.status_code != 200:
            return LookupResult("unreachable", ref, name,
                                detail=f"case system {name} answered {response.status_code}")
        try:
            case = response.json()
            if not isinstance(case, dict):
                raise ValueError("not an object")
        except ValueError:
            return LookupResult("unreachable", ref, name, detail=f"case system {name} answered with something "
                                                                 "that is not a JSON object")
        return LookupResult("found", ref, name, case=case)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
