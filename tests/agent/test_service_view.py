"""The UI's face of the core (CounterService): the real service and the UI's double both have all of it."""

from __future__ import annotations

import inspect

import pytest

from agent.service import AgentService
from agent.ui.service_view import CounterService

from tests.agent.ui_double import UiDouble


def members(protocol: type) -> dict[str, inspect.Signature | None]:
    """Every method of the protocol with its signature, and every annotated attribute (None)."""
    found: dict[str, inspect.Signature | None] = {
        name: inspect.signature(value) for name, value in vars(protocol).items()
        if not name.startswith("_") and inspect.isfunction(value)}
    found.update({name: None for name in getattr(protocol, "__annotations__", {})})
    return found


def parameter_names(signature: inspect.Signature) -> list[str]:
    return [name for name in signature.parameters if name != "self"]


def test_the_protocol_lists_what_the_screens_call():
    assert {"pay", "status", "subscribe", "open_payments", "check_terminal", "diagnostics"} <= set(members(CounterService))


@pytest.mark.parametrize("implementation", [AgentService, UiDouble], ids=["AgentService", "UiDouble"])
def test_every_member_of_the_ui_face_is_provided_with_the_same_parameters(implementation):
    missing, different = [], []
    for name, signature in members(CounterService).items():
        provided = getattr(implementation, name, None)
        if provided is None:
            missing.append(name)
        elif signature is not None and parameter_names(inspect.signature(provided)) != parameter_names(signature):
            different.append(f"{name}{inspect.signature(provided)} (the UI calls {name}{signature})")
    assert not missing, f"{implementation.__name__} lacks {', '.join(missing)}"
    assert not different, f"{implementation.__name__} differs: {'; '.join(different)}"
