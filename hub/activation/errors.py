"""Refusals of the card-activation workflow, each with a catalogue key so pages say them in the reader's language.

`key` is under "activation.error." in hub/web/locales; `values` are what its text names.
A refused submit (or approve) lists every precondition that is missing in `missing`,
each a (key, values) pair under "activation.missing.".
"""

from __future__ import annotations

from typing import Any

from hub.errors import Conflict, InvalidInput, NotFound


class ActivationError(ValueError, InvalidInput):
    """A request about a card contract or application that cannot be done as asked."""

    def __init__(self, field: str, key: str, message: str, **values: object):
        super().__init__(message)
        self.field, self.key, self.values = field, key, values

    def body(self) -> dict[str, Any]:
        return {"detail": str(self), "field": self.field}


class ContractExists(Conflict, ActivationError):
    """The office has registered this acquirer's contract number already."""


class ApplicationNotFound(NotFound, ActivationError):
    """No application of this office for this service step (or none the caller may see)."""


class WrongState(Conflict, ActivationError):
    """The application is not in a state this step starts from."""


class PreconditionsMissing(Conflict, ActivationError):
    """Submitting (or approving) needs what is listed in `missing`."""

    def __init__(self, office: str, service: str, missing: list[tuple[str, dict]], messages: list[str]):
        super().__init__("", "missing", f"card payments for service step {service} of office {office} cannot be "
                         f"applied for yet: {'; '.join(messages)}", office=office, service=service)
        self.missing, self.messages = missing, messages

    def body(self) -> dict[str, Any]:
        return {"detail": str(self), "field": "", "missing": [
            {"reason": key, "values": values, "message": message}
            for (key, values), message in zip(self.missing, self.messages, strict=True)]}
