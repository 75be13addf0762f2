"""The kinds of refusal the hub's services raise, each with the HTTP status the API answers.

A service defines its own errors as subclasses of one kind, e.g.

    class VersionNotFound(CatalogueError, NotFound): ...

and the API answers by the kind's type (see hub/api/errors.py), never by the message:
the message is for the person who reads it and may be reworded freely.
"""

from __future__ import annotations

from typing import Any, ClassVar


class HubError(Exception):
    """A request the hub refuses; the message says what was wrong and what to do."""

    status: ClassVar[int] = 400

    def body(self) -> dict[str, Any]:
        """The JSON the API answers with."""
        return {"detail": str(self)}


class BadRequest(HubError):
    """The request asks for nothing the hub can do (e.g. a change that changes nothing)."""

    status = 400


class Forbidden(HubError):
    """The credential in the request does not allow this (beyond API token roles)."""

    status = 403


class NotFound(HubError):
    """A thing the request names does not exist."""

    status = 404


class Conflict(HubError):
    """The request clashes with the state of what it names (already used, superseded, …)."""

    status = 409


class InvalidInput(HubError):
    """A value in the request cannot be accepted as given."""

    status = 422
