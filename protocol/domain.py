"""The words of the payment domain that agent, hub and wire share, each defined once.

They are `enum.StrEnum`s, so a member is the very string that is stored in SQLite, sent on
the wire and shown in the API, and compares equal to it:

    >>> Tender.CARD == "card" and f"{Tender.CASH}" == "cash"
    True
    >>> Tender("cash") is Tender.CASH
    True
    >>> JournalState.OPERATOR_CHECK in OPEN_JOURNAL_STATES
    True
    >>> [str(f) for f in ReferenceFormat]
    ['cp-order', 'case', 'pagopa', 'rf', 'zbp', 'epc', 'none']

Schemas that validate plain strings (the wire, strict pydantic models) use `literal_of`,
which gives the `Literal` of an enum's values, so what they accept follows the enum:

    >>> from typing import get_args
    >>> get_args(TenderValue)
    ('card', 'cash')
    >>> get_args(literal_of(DeliveryStatus))
    ('pending', 'delivered', 'dead', 'unrouted')
"""

from __future__ import annotations

import enum
from typing import Any, Literal


class Tender(enum.StrEnum):
    """How a payer pays at the counter."""

    CARD = "card"      # through the card terminal
    CASH = "cash"      # at the till, change worked out by the agent


class ReferenceFormat(enum.StrEnum):
    """What a payment's reference is: the code scanned or typed that links it to a case."""

    CP_ORDER = "cp-order"    # counterpay's signed payment order code: value is the order id
    CASE = "case"            # a case number typed by the clerk
    PAGOPA = "pagopa"        # an Italian pagoPA notice: value is the notice's IUV
    RF = "rf"                # an ISO 11649 creditor reference
    ZBP = "zbp"              # a Polish ZBP transfer code: value is its title
    EPC = "epc"              # an EPC SEPA transfer code: value is its reference or text
    NONE = "none"            # no reference (a technician's reversal, a walk-in fee)


class JournalState(enum.StrEnum):
    """Where an agent's payment intent stands: intent → sent → (unknown | operator_check)* → final.

    The final states and the two open ones after `sent` carry the names of the terminal's
    outcomes (agent.terminal.base.Outcome), so an outcome is stored as the state it leads to.
    """

    INTENT = "intent"                  # journaled, the terminal has not heard of it
    SENT = "sent"                      # handed to the terminal
    UNKNOWN = "unknown"                # the answer was lost; recovery asks the terminal again
    OPERATOR_CHECK = "operator_check"  # only a person looking at the terminal can say
    APPROVED = "approved"
    DECLINED = "declined"
    ABORTED = "aborted"


OPEN_JOURNAL_STATES = (JournalState.INTENT, JournalState.SENT, JournalState.UNKNOWN, JournalState.OPERATOR_CHECK)
FINAL_JOURNAL_STATES = (JournalState.APPROVED, JournalState.DECLINED, JournalState.ABORTED)
"""A final state is never overwritten: recording the same outcome twice does nothing."""


class DeliveryStatus(enum.StrEnum):
    """Where the hub's confirmation of a payment to a case system stands."""

    PENDING = "pending"        # to be sent (or sent again after a failed attempt)
    DELIVERED = "delivered"    # the case system answered 2xx
    DEAD = "dead"              # given up after the retry window; replay sends it again
    UNROUTED = "unrouted"      # no case system's patterns match; re-routed when one does


class CardApplicationState(enum.StrEnum):
    """Where an office's application to take cards for one service step stands (seed 000):
    draft → submitted → (commented → submitted)* → active, and active ⇄ suspended."""

    DRAFT = "draft"            # not submitted yet: what is missing is shown
    SUBMITTED = "submitted"    # waiting for a reviewer
    COMMENTED = "commented"    # a reviewer asked for a fix; the office submits again
    ACTIVE = "active"          # desks of the office offer the card tender for the step
    SUSPENDED = "suspended"    # taken off by a reviewer; approving it again makes it active


def literal_of(kind: type[enum.StrEnum]) -> Any:
    """The `Literal` of an enum's values, in their order, for schemas of plain strings."""
    return Literal[tuple(member.value for member in kind)]


TenderValue = literal_of(Tender)
ReferenceFormatValue = literal_of(ReferenceFormat)
JournalStateValue = literal_of(JournalState)
DeliveryStatusValue = literal_of(DeliveryStatus)
