"""Secrets shown once (API tokens, enrollment tokens, case-system secrets) without resubmission.

The POST that makes a secret keeps it here under the session, answers 303, and the GET
that follows takes it: a reload of that page shows nothing and makes nothing new.  The
hub keeps such secrets only hashed or inside its registry, so this is the one place the
plain text waits, in the serving process's memory, for one read or SHOWN_FOR_S.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from fastapi import Request

from hub.users.sessions import Session

SHOWN_FOR_S = 300
"""A secret not read within five minutes (the redirect was lost) is dropped."""


@dataclass(frozen=True)
class Secret:
    title: str                  # catalogue key of the heading
    secret: str
    values: dict = field(default_factory=dict)


class ShownOnce:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, tuple[float, Secret]] = {}

    def keep(self, session: Session, secret: Secret) -> None:
        now = time.monotonic()
        with self._lock:
            self._waiting = {k: v for k, v in self._waiting.items() if now - v[0] < SHOWN_FOR_S}
            self._waiting[session.id_hash] = (now, secret)

    def take(self, session: Session) -> Secret | None:
        with self._lock:
            kept = self._waiting.pop(session.id_hash, None)
        if kept is None or time.monotonic() - kept[0] >= SHOWN_FOR_S:
            return None
        return kept[1]


def keep(request: Request, session: Session, title: str, secret: str, **values) -> None:
    request.app.state.shown_once.keep(session, Secret(title, secret, values))


def take(request: Request, session: Session) -> Secret | None:
    return request.app.state.shown_once.take(session)
