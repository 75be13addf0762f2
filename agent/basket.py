"""A payment's amount computed from fee positions at the desk, offline, from the cached catalogue.

The clerk (or the cashier, or the kiosk) picks positions and quantities, and for a position
with discounts may choose one, giving its reason.  Here, before anything is journaled:

* each picked position known to the cached catalogue is priced from it (unit price with VAT,
  VAT rate), so a price is never typed;
* a discount is one the catalogue lists for that position, named, with a reason (certificate
  number, category): its amount is computed (protocol.fees.discount_amount);
* every mandatory position of a price list (a service step's payment block) the basket uses must
  be in it (a mandatory parent: one of its sub-positions), or the payment is refused naming it.
  A flat catalogue without price lists groups no services, so nothing in it is mandatory for
  another position's sake;
* the handling fee is the rule of the basket's price list (the office's, else the shared one;
  the first position's list when the basket spans several), on the tenders it names.

The result is the basket's figures (protocol.fees.Basket), the positions as the journal and
the payment.captured event carry them, and the handling fee as the event carries it.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol import fees

from agent.store import Store
from agent.sync import caches


class BasketRefused(ValueError):
    """The positions cannot be paid as picked; `reason` is a catalogue key, `details` fill it."""

    def __init__(self, message: str, reason: str, **details: object) -> None:
        super().__init__(message)
        self.reason, self.details = reason, details


@dataclass(frozen=True)
class PricedBasket:
    basket: fees.Basket
    positions: list[dict]                  # code, name, quantity, unit_minor, vat_rate_bp, discount?
    handling_fee: dict | None              # amount_minor, tender, name?


def _find(catalogue: list[dict], code: str, price_list: str | None) -> dict | None:
    for position in catalogue:
        if position["code"] == code and (price_list is None or position.get("price_list") == price_list):
            return position
    return None


def _discount(known: dict | None, picked: dict, gross: int) -> fees.Discount | None:
    chosen = picked.get("discount")
    if not chosen:
        return None
    code = picked["code"]
    name = chosen.get("name") if isinstance(chosen, dict) else None
    reason = (chosen.get("reason") or "").strip() if isinstance(chosen, dict) else ""
    offered = {d["name"]: d for d in (known or {}).get("discounts") or []}
    if name not in offered:
        raise BasketRefused(f"position {code} has no discount {name!r} in the fee catalogue",
                            "basket.discount_unknown", code=code, name=name)
    if not reason:
        raise BasketRefused(f"the discount {name} on position {code} needs its reason (a certificate or a category)",
                            "basket.discount_reason_missing", code=code, name=name)
    amount = fees.discount_amount(gross, offered[name].get("percent_bp"), offered[name].get("amount_minor"))
    return fees.Discount(name, amount, reason) if amount > 0 else None


def _missing_mandatory(catalogue: list[dict], lists: set[str], picked: set[tuple[str | None, str]]) -> dict | None:
    for position in catalogue:
        if not position.get("mandatory") or position.get("price_list") is None or position.get("price_list") not in lists:
            continue
        key = (position.get("price_list"), position["code"])
        children = [p for p in catalogue if p.get("parent_code") == position["code"]
                    and p.get("price_list") == position.get("price_list")]
        if children:
            if not any((c.get("price_list"), c["code"]) in picked for c in children):
                return position
        elif key not in picked:
            return position
    return None


MAX_QUANTITY = 10_000       # as the wire's Position allows


def _checked(pick: object, index: int) -> dict:
    """A pick as a screen or a headless request gives it, or a refusal naming what is wrong."""
    if not isinstance(pick, dict) or not isinstance(pick.get("code"), str) or not 1 <= len(pick["code"]) <= 64:
        raise BasketRefused(f"position {index + 1}: 'code' must be a text of 1-64 characters",
                            "basket.pick_invalid", position=index + 1)
    quantity = pick.get("quantity", 1)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise BasketRefused(f"position {pick['code']}: the quantity must be a whole number 1-{MAX_QUANTITY}",
                            "basket.pick_invalid", position=index + 1)
    for name in ("unit_minor", "vat_rate_bp"):
        value = pick.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 or \
                (name == "vat_rate_bp" and value > 10_000):
            raise BasketRefused(f"position {pick['code']}: {name!r} must be a whole number >= 0",
                                "basket.pick_invalid", position=index + 1)
    if pick.get("discount") is not None and not isinstance(pick["discount"], dict):
        raise BasketRefused(f"position {pick['code']}: a discount is given as its name and reason",
                            "basket.pick_invalid", position=index + 1)
    return pick


def price(store: Store, picks: list[dict], tender: str) -> PricedBasket:
    """The priced basket of `picks` (each: code, quantity, optionally price_list, discount {name, reason};
    name, unit_minor and vat_rate_bp are used only for a position the catalogue lacks)."""
    catalogue = caches.catalogue(store)
    lines, lists, picked_keys, first_list = [], set(), set(), None
    for index, pick in enumerate(picks):
        pick = _checked(pick, index)
        code, quantity = pick["code"], pick.get("quantity", 1)
        known = _find(catalogue, code, pick.get("price_list"))
        if known is not None:
            lists.add(known.get("price_list"))
            picked_keys.add((known.get("price_list"), code))
            first_list = first_list or known.get("price_list")
            name, unit, rate = known["name"], int(known["unit_minor"]), int(known.get("vat_rate_bp", 0))
        else:
            name, unit, rate = str(pick.get("name") or code), pick.get("unit_minor", 0), pick.get("vat_rate_bp", 0)
        discount = _discount(known, pick, quantity * unit)
        lines.append(fees.Line(code, name, quantity, unit, rate, discount))
    missing = _missing_mandatory(catalogue, lists, picked_keys)
    if missing is not None:
        raise BasketRefused(f"position {missing['code']} ({missing['name']}) is mandatory: it cannot be left out",
                            "basket.mandatory_missing", code=missing["code"], name=missing["name"])
    basket = fees.basket(lines, tender, caches.handling_fee_rule(store, first_list))
    positions = []
    for line in basket.lines:
        position = {"code": line.code, "name": line.name, "quantity": line.quantity, "unit_minor": line.unit_minor,
                    "vat_rate_bp": line.vat_rate_bp}
        if line.discount:
            position["discount"] = {"name": line.discount.name, "reason": line.discount.reason,
                                    "amount_minor": line.discount.amount_minor}
        positions.append(position)
    fee = None
    if basket.fee_minor:
        fee = {"amount_minor": basket.fee_minor, "tender": basket.fee_tender}
        if basket.fee_name:
            fee["name"] = basket.fee_name
    return PricedBasket(basket, positions, fee)
