"""The base of every response model (exact fields, nothing undeclared), and `FreeText`,
the type of every free-text field a request may carry."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from protocol import card_numbers


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


def no_card_number(value: str) -> str:
    """Refuse text holding a full card number (the message never repeats it: 422 bodies
    and CSV import errors show the message, and a log may show those)."""
    if card_numbers.contains(value):
        raise ValueError("a card number is not allowed here: a full card number is never stored; "
                         "give at most its last four digits")
    return value


FreeText = Annotated[str, AfterValidator(no_card_number)]
"""A string a person typed: names, references, notes.  Screened for card numbers."""
