"""The counter's texts: every key the agent's code asks for exists in English.

The catalogues' completeness and the fallbacks are proven over every catalogue directory
by tests/test_catalogues.py; here, the agent's own face of that mechanism.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from agent.codes import VERDICTS
from agent.ui.i18n import LOCALES, Catalogue, available_languages
from protocol.domain import Tender

AGENT = Path(__file__).resolve().parents[2] / "agent"
ENGLISH = json.loads((LOCALES / "en.json").read_text(encoding="utf-8"))
# Keys built at run time from the core's vocabularies (AgentStatus, PaymentOutcome, CodeVerdict).
DYNAMIC = {
    "terminal": ["ready", "busy", "offline", "unknown outcome", "not configured"],
    "tender": [tender.value for tender in Tender],
    "outcome": ["approved", "declined", "aborted", "unknown", "operator_check", "refused"],
    "verdict": list(VERDICTS),
    "refusal": ["card_number", "receipt_as_order"],
    "field": ["payer_name", "payer_id", "operator", "case_ref", "order_id", "reference", "positions"],
}


def keys_in_source(paths) -> set[str]:
    """Keys named by `t("…")` / `x.t("…")` calls and by key bindings' "keys.…" descriptions."""
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            first = node.args[0]
            if name == "t" and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
            elif name == "Binding":
                found |= {text for text in texts if text.startswith("keys.")}
    return found


def test_the_key_finder_sees_calls_and_bindings(tmp_path):
    source = tmp_path / "screen.py"
    source.write_text('x = self.app.t("a.b", n=1) + t("c.d") + t(f"e.{v}")\n'
                      'BINDINGS = [Binding("f2", "tab", "keys.tab"), Binding("q", "quit", "Quit")]\n')
    assert keys_in_source([source]) == {"a.b", "c.d", "keys.tab"}


def test_every_key_the_agent_uses_has_an_english_text():
    used = keys_in_source(AGENT.rglob("*.py"))
    assert len(used) > 100
    used |= {f"{prefix}.{value}" for prefix, values in DYNAMIC.items() for value in values}
    missing = sorted(used - ENGLISH.keys())
    assert not missing, f"keys the agent uses but en.json lacks (they would show as raw keys): {missing}"


def test_the_counter_speaks_english_first_then_the_other_languages_by_code():
    assert available_languages() == [("en", "English"), ("el", "Ελληνικά"), ("it", "Italiano"),
                                     ("lv", "Latviešu"), ("pl", "Polski")]


def test_the_counters_catalogue_fills_placeholders_in_its_language():
    assert Catalogue("pl").t("kiosk.confirm") == "Sprawdź kwotę"
    assert Catalogue("lv").t("status.outbox", depth=7) == "rindā 7"
    assert Catalogue("el").t("clerk.case_header", case="ΑΘΗ/12") == "Υπόθεση ΑΘΗ/12"
    assert Catalogue().language == "en"


def test_an_unknown_language_is_english_and_an_unknown_key_shows_itself():
    assert Catalogue("xx").language == "en"
    assert Catalogue("en").t("no.such_key") == "no.such_key"
