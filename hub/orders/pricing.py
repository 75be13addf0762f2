"""An order's amount computed from positions of the published fee catalogue and their quantities.

The clerk picks positions and says how many of each; the amount is their unit prices (with
VAT) times the quantities, never typed.  A pure parent position has no price and cannot be
picked; a code the published catalogue lacks is refused by name.  A refusal carries its
reason (hub/reasons.py): English for the API, a catalogue key for the console's pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.errors import InvalidInput
from hub.reasons import Reason

MAX_QUANTITY = 10_000


class PricingError(ValueError, InvalidInput):
    """A pick that cannot be priced; the message names the position, `reason` says it in any language."""

    def __init__(self, reason: Reason):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PricedLine:
    code: str
    name: str
    quantity: int
    unit_price_minor: int

    @property
    def total_minor(self) -> int:
        return self.quantity * self.unit_price_minor


def priced_positions(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The positions of a catalogue document that have a price, with their price list's name."""
    return [position | {"price_list": price_list["name"]} for price_list in document["price_lists"]
            for position in price_list["positions"] if position.get("unit_price_minor") is not None]


def price(document: dict[str, Any] | None, picks: dict[str, int]) -> list[PricedLine]:
    """The priced lines for `picks` (code → quantity; zero quantities left out)."""
    if document is None:
        raise PricingError(Reason("orders.reason.no_catalogue",
                                  "no fee catalogue is published: publish one, or type the amount of an open order"))
    by_code = {p["code"]: p for p in priced_positions(document)}
    lines = []
    for code, quantity in picks.items():
        if quantity == 0:
            continue
        if not 0 < quantity <= MAX_QUANTITY:
            raise PricingError(Reason("orders.reason.quantity_range", "position {code}: the quantity must be 1 to {max}",
                                      code=code, max=MAX_QUANTITY))
        position = by_code.get(code)
        if position is None:
            raise PricingError(Reason("orders.reason.position_unknown",
                                      "position {code} is not a priced position of the published catalogue", code=code))
        lines.append(PricedLine(code, position["name"], quantity, position["unit_price_minor"]))
    if not lines:
        raise PricingError(Reason("orders.reason.no_positions", "pick at least one position and its quantity"))
    return lines
