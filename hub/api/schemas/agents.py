"""What the API shows of an agent: presence, outbox, version and event sequence."""

from __future__ import annotations

from pydantic import Field

from hub.api.schemas.base import Schema


class Agent(Schema):
    agent_id: str
    online: bool = Field(description="its latest birth is live (no will seen since)")
    last_seen: str | None
    outbox_depth: int | None = Field(description="events waiting in its outbox at its latest birth")
    oldest_age_s: int | None = Field(description="age of its oldest waiting event at its latest birth")
    version: str | None
    mode: str | None
    incarnation: int | None = Field(description="raised by the agent at every connection")
    state_at: str | None = Field(description="time of the latest birth or will applied")
    contiguous_seq: int = Field(description="every event up to this sequence number is stored")
    max_seq: int


class DiagnosticsAsked(Schema):
    agent_id: str
    request_id: str = Field(description="the command's id, which the agent's diagnostics.report carries back")
    sent: bool = Field(description="false when this hub process has no broker connection to send it on")
