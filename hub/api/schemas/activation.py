"""Card-payment contracts and applications as the API takes and answers them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hub.api.schemas.base import Schema
from protocol.domain import literal_of, CardApplicationState

StateValue = literal_of(CardApplicationState)


class ContractIn(Schema):
    office: str = Field(min_length=1, max_length=64)
    acquirer: str = Field(min_length=1, max_length=200)
    contract_no: str = Field(min_length=1, max_length=64)
    valid_from: str = Field(description="its first day, YYYY-MM-DD")
    valid_to: str | None = Field(default=None, description="its last day, YYYY-MM-DD; null: open-ended")


class ContractOut(Schema):
    id: int
    office: str
    acquirer: str
    contract_no: str
    valid_from: str
    valid_to: str | None
    created_at: str | None = None
    created_by: str | None = None


class Missing(Schema):
    reason: Literal["contract_missing", "contract_not_valid", "step_not_published", "no_card_price"]
    values: dict[str, str]
    message: str


class Event(Schema):
    id: int
    application_id: int
    at: str
    actor: str
    action: Literal["submit", "comment", "approve", "suspend"]
    from_state: StateValue
    to_state: StateValue
    text: str | None


class StepOverview(Schema):
    """A service step of the office: its application's state (draft until submitted) and what it still needs."""
    office: str
    service: str
    name: str | None
    service_step: int | None
    state: StateValue
    updated_at: str | None
    active_since: str | None
    last_text: Event | None
    missing: list[Missing]


class Application(Schema):
    id: int
    office: str
    service: str
    state: StateValue
    created_at: str
    updated_at: str
    active_since: str | None


class ApplicationWithHistory(Application):
    history: list[Event]


class StepRequest(Schema):
    text: str | None = Field(default=None, max_length=2000,
                             description="the comment, or why; needed to comment and to suspend")


class StepDone(ApplicationWithHistory):
    desks_told: bool = Field(description="false when the hub has no MQTT publisher: its desks hear at its next start")
