"""`desk.roster`: who may log in at an office's desks, as the hub last published it.

Retained for each desk of the office on the desk's own `cp/v1/agents/<agent>/roster`
(topics.desk_roster; no other agent may read it), signed with the hub's event key,
envelope agent "hub" like order.state.  Each operator carries
a *desk verifier*: an Argon2id hash (PHC string) of the PIN or desk password the user
set with `counterpay hub user set-pin`, with a salt of its own.  It is never the console
password's hash and never the secret: a desk checks a login offline against it.

It is the whole set each time: a user who was disabled, lost the office or the desk
role, or never set a PIN is simply absent, and the desk refuses them once it hears it.

The verifier's Argon2 parameters are bounded (`MAX_MEMORY_KIB`, `MAX_TIME_COST`) so a
roster cannot make a desk spend minutes or gigabytes on one login.

>>> check_verifier("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
'$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'
>>> check_verifier("$argon2id$v=19$m=9999999,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
Traceback (most recent call last):
...
ValueError: the verifier's memory cost m=9999999 KiB is above 262144
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from protocol.wire.strict import Strict, listed_once

ROSTER_ENTRIES = 2000
"""Operators one office's roster lists at most (the largest offices have a few hundred)."""
ROSTER_MAX_BYTES = 512 * 1024
"""A roster envelope is at most this big: 2000 verifiers of ~100 bytes with their names fit."""
MAX_MEMORY_KIB = 256 * 1024
MAX_TIME_COST = 10
MAX_LANES = 16
DESK_ROLES = ("desk", "technician", "supervisor")
"""The hub roles a desk knows: clerks and cashiers, technicians, supervisors who approve."""

_PHC = re.compile(r"^\$argon2id\$v=19\$m=(\d{1,9}),t=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]{11,64})\$([A-Za-z0-9+/]{16,128})$")


def check_verifier(text: str) -> str:
    """The verifier if it is an Argon2id PHC string with bounded costs, else ValueError saying why."""
    match = _PHC.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError("the verifier must be an Argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)")
    memory, time_cost, lanes = (int(match.group(n)) for n in (1, 2, 3))
    if memory > MAX_MEMORY_KIB:
        raise ValueError(f"the verifier's memory cost m={memory} KiB is above {MAX_MEMORY_KIB}")
    if not 1 <= time_cost <= MAX_TIME_COST:
        raise ValueError(f"the verifier's time cost t={time_cost} is not within 1-{MAX_TIME_COST}")
    if not 1 <= lanes <= MAX_LANES:
        raise ValueError(f"the verifier's lanes p={lanes} are not within 1-{MAX_LANES}")
    if memory < 8 * lanes:
        raise ValueError(f"the verifier's memory cost m={memory} KiB is below 8 KiB per lane")
    return text


class DeskOperator(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    role: Literal["desk", "technician", "supervisor"]
    verifier: Annotated[str, Field(max_length=300)]
    changed_at: Annotated[str, Field(max_length=64)]     # when the PIN was set or the user last changed

    @field_validator("verifier")
    @classmethod
    def _bounded_argon2id(cls, value: str) -> str:
        return check_verifier(value)


class DeskRoster(Strict):
    """Every operator who may log in at `office`'s desks: the whole set, not a change."""
    office: Annotated[str, Field(min_length=1, max_length=64)]
    operators: list[DeskOperator] = Field(default_factory=list, max_length=ROSTER_ENTRIES)

    @field_validator("operators")
    @classmethod
    def _one_entry_per_user(cls, entries: list[DeskOperator]) -> list[DeskOperator]:
        return listed_once(entries, lambda entry: entry.username, "operator")
