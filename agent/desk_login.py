"""Operators logging in at the desk, checked offline against the hub's last roster.

    login = DeskLogin(store, "clerk")
    outcome = login.login("anna", "492817")     # DeskLoginOutcome(operator=DeskOperator("anna", "desk", …))

A login is right when the typed secret matches the operator's Argon2id verifier in
the roster the hub last published for this office (agent/sync/desk_roster.py); the
hub never sends the secret.  Who may log in depends on the mode: clerk and cashier
take the desk role, technician mode a technician.

A wrong secret and an unknown username get the same answer in the same time (the
check runs against a dummy verifier).  Every `MAX_TRIES`-th failure in a row of one
username locks it out for `LOCK_S` seconds, doubling with each further lock up to
`MAX_LOCK_S`; failures and locks are on disk, so restarting the agent resets nothing.
A success clears them.  A desk that has never heard a roster refuses every login and
says so: nobody can log in before the hub has told the desk who may.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from agent.store import Store, desk_operators

log = logging.getLogger("counterpay.agent.login")

MAX_TRIES = 5
LOCK_S = 300
MAX_LOCK_S = 3600
MAX_SECRET_CHARS = 256           # the hub's own cap on passwords: a login never hashes megabytes
# "approval": a supervisor approving a clerk's void or refund (agent/voids.py).
ROLES_BY_MODE = {"clerk": ("desk",), "cashier": ("desk",), "technician": ("technician",),
                 "approval": ("supervisor",)}

_hasher = PasswordHasher()
_dummy: list[str] = []           # made on first use: a desk that never logs anyone in pays nothing


def _dummy_verifier() -> str:
    if not _dummy:
        _dummy.append(_hasher.hash("counterpay: no such operator"))
    return _dummy[0]


def lock_seconds(failures: int) -> float:
    """How long `failures` failures in a row lock a username out (0: not at all)."""
    if failures <= 0 or failures % MAX_TRIES:
        return 0
    return min(LOCK_S * 2 ** (failures // MAX_TRIES - 1), MAX_LOCK_S)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class DeskOperator:
    username: str
    role: str
    since: str              # when this login started (RFC 3339 UTC)


@dataclass(frozen=True)
class DeskLoginOutcome:
    """Either `operator`, or `refused`: no_roster | locked | wrong | role (then `wait_s`, `tries_left`)."""
    operator: DeskOperator | None = None
    refused: str | None = None
    wait_s: int = 0
    tries_left: int | None = None


class DeskLogin:
    def __init__(self, store: Store, mode: str, clock: Callable[[], dt.datetime] = _now):
        self.store = store
        self.mode = mode
        self.clock = clock

    @property
    def roles(self) -> tuple[str, ...]:
        return ROLES_BY_MODE.get(self.mode, ())

    def _wait(self, username: str, now: dt.datetime) -> int:
        found = desk_operators.failures_of(self.store, username)
        if not found or not found["locked_until"]:
            return 0
        until = dt.datetime.fromisoformat(found["locked_until"])
        return max(0, int((until - now).total_seconds() + 0.999))

    def login(self, username: str, secret: str) -> DeskLoginOutcome:
        name = (username or "").strip().lower()[:64]
        now = self.clock()
        if desk_operators.heard_at(self.store) is None:
            return DeskLoginOutcome(refused="no_roster")
        wait = self._wait(name, now)
        if wait:
            return DeskLoginOutcome(refused="locked", wait_s=wait)
        entry = desk_operators.find(self.store, name) if name else None
        try:
            right = _hasher.verify(entry["verifier"] if entry else _dummy_verifier(),
                                   (secret or "")[:MAX_SECRET_CHARS]) and entry is not None
        except (VerificationError, InvalidHashError):
            right = False
        if not right:
            failed = desk_operators.note_failure(self.store, name, now.isoformat(), lock_seconds)
            log.warning("desk login of %r refused: wrong name or secret (%d in a row)", name, failed["failures"])
            wait = self._wait(name, now)
            if wait:
                return DeskLoginOutcome(refused="locked", wait_s=wait)
            return DeskLoginOutcome(refused="wrong", tries_left=MAX_TRIES - failed["failures"] % MAX_TRIES)
        if entry["role"] not in self.roles:
            log.warning("desk login of %r refused: role %s does not work in %s mode", name, entry["role"], self.mode)
            return DeskLoginOutcome(refused="role")
        desk_operators.clear_failures(self.store, name)
        log.info("operator %s (%s) logged in", name, entry["role"])
        return DeskLoginOutcome(DeskOperator(name, entry["role"], now.isoformat()))

    def still_listed(self, operator: DeskOperator) -> bool:
        """Is `operator` still in the roster with the same role (the hub may have disabled them)?"""
        entry = desk_operators.find(self.store, operator.username)
        return entry is not None and entry["role"] == operator.role
