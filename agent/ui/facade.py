"""The data types the UI builds and reads; they are defined by the agent core (agent.service)."""

from __future__ import annotations

from agent.card_checks import CARD_REFUSALS
from agent.service import (AgentStatus, CaseLookup, CataloguePosition, CodeVerdict, DeskLoginOutcome,
                           EodComparison, PaymentOutcome, PaymentRequest, UndoRequest)

__all__ = ["CARD_REFUSALS", "AgentStatus", "CaseLookup", "CataloguePosition", "CodeVerdict", "DeskLoginOutcome",
           "EodComparison", "PaymentOutcome", "PaymentRequest", "UndoRequest"]
