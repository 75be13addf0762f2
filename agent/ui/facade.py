"""The facade types the UI builds and reads, from agent.service (owned by agent-core)."""

from __future__ import annotations

from agent.service import (AgentStatus, CaseLookup, CataloguePosition, CodeVerdict,  # noqa: F401
                           EodComparison, PaymentOutcome, PaymentRequest)
