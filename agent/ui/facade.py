"""The facade types the UI builds and reads, from agent.service."""

from __future__ import annotations

from agent.service import (AgentStatus, CaseLookup, CataloguePosition, CodeVerdict,
                           EodComparison, PaymentOutcome, PaymentRequest)

__all__ = ["AgentStatus", "CaseLookup", "CataloguePosition", "CodeVerdict", "EodComparison",
           "PaymentOutcome", "PaymentRequest"]
