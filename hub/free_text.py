"""`FreeText`: the type of every free-text field a request or an import may carry.

Orders, their CSV and XLSX imports, link notes, token names and the like all take
text a person typed; a full card number must never be stored from any of them, so the
type refuses one (protocol/card_numbers.py finds it).  Its refusal has a type of its own,
`card_number`, so a console page says it in the reader's language (form.error.card_number,
hub/reasons.py) while the API's 422 body keeps the English.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from protocol import card_numbers

CARD_NUMBER_REFUSED = ("a card number is not allowed here: a full card number is never stored; "
                       "give at most its last four digits")


def no_card_number(value: str) -> str:
    """Refuse text holding a full card number (the message never repeats it: 422 bodies
    and CSV import errors show the message, and a log may show those)."""
    if card_numbers.contains(value):
        raise PydanticCustomError("card_number", CARD_NUMBER_REFUSED)
    return value


FreeText = Annotated[str, AfterValidator(no_card_number)]
"""A string a person typed: names, references, notes.  Screened for card numbers."""
