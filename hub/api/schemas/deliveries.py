"""Confirmations to case systems: lists, one with its attempts, and replays."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from protocol.domain import DeliveryStatusValue
from hub.api.schemas.base import Schema


class Delivery(Schema):
    id: int
    webhook_id: str = Field(description="the webhook-id header, the same on every retry")
    event_id: str = Field(description="the agent event's message id")
    agent_id: str
    type: str = Field(description="payment.confirmed | payment.voided")
    case_system: str | None = Field(description="null while unrouted")
    case_key: str = Field(description="confirmations with the same key are delivered in order")
    status: DeliveryStatusValue
    attempts: int
    created_at: str
    window_started_at: str
    next_attempt_at: str
    last_attempt_at: str | None
    last_status: int | None = Field(description="HTTP status of the last attempt")
    last_error: str | None
    delivered_at: str | None
    dead_at: str | None
    replays: int
    lease_until: str | None
    waiting: str | None = Field(description="why it waits, when it does")


class Attempt(Schema):
    id: int
    delivery_id: int
    at: str
    http_status: int | None
    error: str | None
    duration_ms: int
    outcome: Literal["delivered", "retry", "gone", "dead"]
    next_attempt_at: str | None


class DeliveryDetail(Delivery):
    payload: dict[str, Any] = Field(description="the exact body sent")
    attempt_log: list[Attempt]


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_ids: list[str] | None = Field(default=None, min_length=1, max_length=10_000)
    since: str | None = None
    until: str | None = None
    case_system: str | None = None
    include_delivered: bool = False

    @model_validator(mode="after")
    def _one_selection(self):
        if not self.event_ids and not (self.since or self.until):
            raise ValueError("give event_ids, or a time range with since and/or until")
        if self.event_ids and (self.since or self.until):
            raise ValueError("give either event_ids or a time range, not both")
        return self


class ReplayOutcome(Schema):
    replayed: list[str]
    already_pending: list[str]
    still_unrouted: list[str]
    not_found: list[str] = Field(description="event ids asked for that have no confirmation")
