"""`Reason`: why a service refused something, in English and as a catalogue key with parameters.

A service (pricing, the CSV and XLSX order imports) says why in English, which is what the
API's JSON and the CLI show, unchanged, so that scripts keep reading them.  The same reason
carries the key of the hub console's catalogue (hub/web/locales) and the values for its
placeholders, so a page says it in the reader's language:

    >>> reason = Reason("orders.reason.amount_twice", "give either amount or amount_minor, not both")
    >>> str(reason), reason.key, reason.params
    ('give either amount or amount_minor, not both', 'orders.reason.amount_twice', {})
    >>> str(Reason("orders.reason.money", "{value!r} is not an amount in {currency}", field="amount",
    ...            value="ten", currency="EUR"))
    "amount: 'ten' is not an amount in EUR"

A Reason is a `str` (its English), so code and tests that read refusals as text go on
working.  The English template is the English catalogue's text; a test checks they agree.
A `field` (a column or field name, the same in every language) is put in front of it.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

GENERIC_TYPES = frozenset({"missing", "string_too_short", "string_too_long", "string_pattern_mismatch",
                           "greater_than", "greater_than_equal", "less_than", "less_than_equal", "too_short",
                           "too_long", "int_type", "literal_error", "extra_forbidden",
                           "card_number"})
"""Pydantic's error types the console says in words of its own (form.error.<type>, hub/web/forms.py);
`card_number` is hub/free_text.py's, whose English is the catalogue's."""
OWN_TYPE_PREFIX = "orders_"
"""A model's own checks raise PydanticCustomError("orders_<what>", …): their key is orders.reason.<what>."""


class Reason(str):
    key: str
    params: dict[str, Any]
    field: str | None

    def __new__(cls, key: str, english: str, *, field: str | None = None, **params: Any) -> "Reason":
        text = english.format(**params)
        self = super().__new__(cls, f"{field}: {text}" if field else text)
        self.key, self.params, self.field = key, params, field
        return self

    def at(self, field: str) -> "Reason":
        """The same reason said of `field` (a reason of no field yet, e.g. a service's, put beside a column)."""
        return _rebuild(self.key, f"{field}: {self}", field, self.params)

    def __reduce__(self):
        return (_rebuild, (self.key, str(self), self.field, self.params))


def _rebuild(key: str, text: str, field: str | None, params: dict[str, Any]) -> Reason:
    reason = str.__new__(Reason, text)
    reason.key, reason.params, reason.field = key, params, field
    return reason


def from_validation(exc: ValidationError) -> list[Reason]:
    """Each of pydantic's problems as a Reason: the field by its path, pydantic's English message.

    Pydantic's common types are said by the console's form.error.<type>; a model's own
    check (type orders_<what>) by orders.reason.<what>; anything else is shown as given."""
    reasons = []
    for problem in exc.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "row"
        kind, message = problem["type"], problem["msg"]
        context = {k: v for k, v in (problem.get("ctx") or {}).items() if isinstance(v, (str, int, float))}
        if kind in GENERIC_TYPES:
            reason = Reason(f"form.error.{kind}", "{detail}", field=field, detail=message)
            reason.params = context         # the console's text has its own placeholders
        elif kind.startswith(OWN_TYPE_PREFIX):
            reason = Reason(f"orders.reason.{kind.removeprefix(OWN_TYPE_PREFIX)}", "{detail}", field=field,
                            detail=message)
            reason.params = context
        else:
            reason = Reason("orders.reason.as_given", "{detail}", field=field, detail=message)
        reasons.append(reason)
    return reasons
