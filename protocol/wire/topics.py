"""MQTT topic names of the agent-hub wire (DESIGN.md, 'The wire between agent and hub').

`A` is the agent id: also its certificate's CN and its broker username, so it must be
a safe topic level (no '/', '+', '#') and a safe CN.

An office name may hold any character (enrollment takes 1-64 of them), so as a topic
level it is percent-encoded (RFC 3986 unreserved characters stay): the office
"Riga 1/A" has its order state on `cp/v1/broadcast/orders/Riga%201%2FA` and its card
activation on `cp/v1/broadcast/cards/Riga%201%2FA`.

An office's desk roster carries its operators' PIN verifiers, so it is not a broadcast:
the hub retains a copy on each enrolled agent's own `cp/v1/agents/A/roster`, which the
broker lets only A read.
"""

from __future__ import annotations

import re
from urllib.parse import quote

PREFIX = "cp/v1"
AGENT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")

SHARED_EVENTS = f"$share/hub/{PREFIX}/agents/+/events"
ALL_STATES = f"{PREFIX}/agents/+/state"
BROADCAST = f"{PREFIX}/broadcast"
CATALOGUE = f"{BROADCAST}/catalogue"
KEYS = f"{BROADCAST}/keys"
REVOCATIONS = f"{BROADCAST}/revocations"
ORDER_STATE_PREFIX = f"{BROADCAST}/orders"
ALL_ORDER_STATES = f"{ORDER_STATE_PREFIX}/+"
CARD_ACTIVATION_PREFIX = f"{BROADCAST}/cards"

KINDS = ("events", "acks", "cmd", "state")


class TopicError(ValueError):
    """A topic or agent id does not follow the wire contract."""


def check_agent_id(agent_id: str) -> str:
    if not isinstance(agent_id, str) or not AGENT_ID_RE.match(agent_id):
        raise TopicError(f"agent id {agent_id!r} must be 1-63 lower-case letters, digits, '.', '_' or '-', "
                         "starting with a letter or digit")
    return agent_id


def order_state(office: str) -> str:
    """The retained topic of one office's cancelled and changed payment orders."""
    if not isinstance(office, str) or not 1 <= len(office) <= 64:
        raise TopicError(f"office {office!r} must be a text of 1-64 characters")
    return f"{ORDER_STATE_PREFIX}/{quote(office, safe='')}"


def card_activation(office: str) -> str:
    """The retained topic of the service steps where one office's desks take cards."""
    if not isinstance(office, str) or not 1 <= len(office) <= 64:
        raise TopicError(f"office {office!r} must be a text of 1-64 characters")
    return f"{CARD_ACTIVATION_PREFIX}/{quote(office, safe='')}"


def desk_roster(agent_id: str) -> str:
    """The retained topic of the roster of `agent_id`'s office (who may log in there), readable by it alone."""
    return f"{PREFIX}/agents/{check_agent_id(agent_id)}/roster"


def office_catalogue(office: str) -> str:
    """The retained topic of an office's own fee catalogue (its price lists and handling fees)."""
    if not isinstance(office, str) or not 1 <= len(office) <= 64:
        raise TopicError(f"office {office!r} must be a text of 1-64 characters")
    return f"{CATALOGUE}/{quote(office, safe='')}"


def agent_topic(agent_id: str, kind: str) -> str:
    if kind not in KINDS:
        raise TopicError(f"unknown agent topic kind {kind!r}; expected one of {', '.join(KINDS)}")
    return f"{PREFIX}/agents/{check_agent_id(agent_id)}/{kind}"


def events(agent_id: str) -> str:
    return agent_topic(agent_id, "events")


def acks(agent_id: str) -> str:
    return agent_topic(agent_id, "acks")


def commands(agent_id: str) -> str:
    return agent_topic(agent_id, "cmd")


def state(agent_id: str) -> str:
    return agent_topic(agent_id, "state")


def split(topic: str) -> tuple[str, str]:
    """`cp/v1/agents/A/kind` → (A, kind); raises TopicError for anything else."""
    parts = topic.split("/")
    if len(parts) != 5 or f"{parts[0]}/{parts[1]}" != PREFIX or parts[2] != "agents" or parts[4] not in KINDS:
        raise TopicError(f"not an agent topic of {PREFIX}: {topic!r}")
    return check_agent_id(parts[3]), parts[4]
