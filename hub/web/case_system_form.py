"""The case-system form: patterns typed one a line ("case_ref VR-\\d{4}-\\d+"), read into the registry's models.

The registry's own `CaseSystemCreate` and `CaseSystemUpdate` check what was typed, so
the page and `/api/v1/case-systems` accept and refuse alike; a problem inside a pattern
is shown beside the patterns field with the line it is on.
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from hub.casesys import registry
from hub.web.forms import GENERIC_TYPES, Errors, field_name


class PatternsUnreadable(ValueError):
    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


def parse_patterns(text: str) -> list[dict]:
    """One pattern a line: what it looks at, a space, the regular expression."""
    patterns = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        on, _, regex = line.strip().partition(" ")
        if not regex.strip():
            raise PatternsUnreadable(number)
        patterns.append({"on": on, "regex": regex.strip()})
    return patterns


def patterns_as_typed(patterns_json: str) -> str:
    return "\n".join(f"{p['on']} {p['regex']}" for p in json.loads(patterns_json))


def _errors(exc: ValidationError) -> Errors:
    """Each problem beside its field; a pattern's with its line, a URL's in the registry's words."""
    errors: Errors = {}
    for problem in exc.errors():
        loc, kind = tuple(problem["loc"]), problem["type"]
        if loc and loc[0] == "patterns":
            line = loc[1] + 1 if len(loc) > 1 and isinstance(loc[1], int) else None
            key = "case_systems.error.pattern_line" if line else "case_systems.error.patterns_required"
            errors.setdefault("patterns", (key, {"line": line or 0, "detail": problem["msg"]}))
        elif kind in GENERIC_TYPES:
            context = {k: v for k, v in (problem.get("ctx") or {}).items() if isinstance(v, (str, int, float))}
            errors.setdefault(field_name(loc), (f"form.error.{kind}", context))
        else:
            detail = problem["msg"].removeprefix("Value error, ")
            errors.setdefault(field_name(loc) or "form", ("case_systems.error.invalid", {"detail": detail}))
    return errors


def _read(model, fields: dict) -> tuple[object | None, Errors]:
    try:
        patterns = parse_patterns(fields.pop("patterns_text"))
    except PatternsUnreadable as exc:
        return None, {"patterns": ("case_systems.error.pattern_unreadable", {"line": exc.line})}
    try:
        return model(patterns=patterns, **fields), {}
    except ValidationError as exc:
        return None, _errors(exc)


def creation(typed: dict) -> tuple[registry.CaseSystemCreate | None, Errors]:
    return _read(registry.CaseSystemCreate, {
        "name": typed["name"].strip(), "patterns_text": typed["patterns"], "priority": typed["priority"] or "100",
        "webhook_url": typed["webhook_url"].strip(), "lookup_url": typed["lookup_url"].strip() or None,
        "internal": bool(typed["internal"])})


def change(typed: dict) -> tuple[registry.CaseSystemUpdate | None, Errors]:
    return _read(registry.CaseSystemUpdate, {
        "patterns_text": typed["patterns"], "priority": typed["priority"] or "100",
        "webhook_url": typed["webhook_url"].strip(), "lookup_url": typed["lookup_url"].strip() or None,
        "internal": bool(typed["internal"])})
