"""The domain's words on the wire: every tender and reference format an agent may send is
one the schemas accept (and the hub stores), members and plain strings alike; and in the code:
agent and hub name them by their protocol.domain member, never as a quoted string."""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import pytest

from protocol.domain import DeliveryStatus, JournalState, ReferenceFormat, Tender
from protocol.wire import WireError
from protocol.wire.messages import validate_body

PAYMENT = {"payment_id": "p-1", "receipt_id": "R-1", "office": "riga", "amount_minor": 1250, "currency": "EUR",
           "reference": {"format": "case", "value": "VR-2026-1"}, "captured_at": "2026-11-22T10:00:00Z"}


@pytest.mark.parametrize("tender", list(Tender))
@pytest.mark.parametrize("reference_format", list(ReferenceFormat))
def test_every_tender_and_reference_format_passes_the_payment_schema(tender, reference_format):
    for body in ({**PAYMENT, "tender": tender, "reference": {"format": reference_format, "value": "x"}},
                 {**PAYMENT, "tender": str(tender), "reference": {"format": str(reference_format), "value": "x"}}):
        captured = validate_body("payment.captured", body)
        assert captured.tender == tender and captured.reference.format == reference_format
        assert type(captured.model_dump()["tender"]) is str        # stored and signed as the plain word


@pytest.mark.parametrize("field, value", [("tender", "voucher"), ("reference", {"format": "iban", "value": "x"})])
def test_a_word_outside_the_domain_is_refused_by_name(field, value):
    with pytest.raises(WireError, match=field):
        validate_body("payment.captured", {**PAYMENT, "tender": "card", field: value})


def test_the_end_of_day_report_counts_by_the_same_tenders():
    report = validate_body("eod.report", {"batch_id": "b-1", "currency": "EUR", "mismatch": False,
                                          "closed_at": "2026-11-22T18:00:00Z",
                                          "journal": {t: {"count": 0, "total_minor": 0} for t in Tender}})
    assert set(report.journal) == set(Tender)


# --- no quoted domain words in the code ------------------------------------------------------
# Where agent/ or hub/ code compares with, defaults to, filters on or lists a tender, a journal
# state or a delivery status, it names the enum member.  What is read: comparisons, keyword
# arguments, dict entries and `.get(key, default)` under the names these words live in; lists,
# tuples, sets, `Literal[...]` and call arguments made only of the words of one kind; SQL text
# filtering `state`, `status` or `tender` by a quoted word.  Reference formats are left out:
# their words are also the names of the QR formats (protocol.qr), a vocabulary of its own.

ROOT = Path(__file__).resolve().parents[2]
WORDS_BY_NAME = {"tender": set(Tender), "tenders": set(Tender), "state": set(JournalState),
                 "outcome": set(JournalState), "status": set(DeliveryStatus)}
KINDS = (set(Tender), set(JournalState), set(DeliveryStatus))
SQL_FILTER = re.compile(r"\b(tender|state|status)\s*(?:=|!=|<>|\bIN\b)\s*\(?\s*'([a-z_]+)'", re.IGNORECASE)


def _subject(node: ast.AST) -> str | None:
    """The name a compared value lives under: `x.state`, `row["state"]`, `d.get("state")`, `state`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return node.slice.value if isinstance(node.slice.value, str) else None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and node.args and isinstance(node.args[0], ast.Constant)):
        return node.args[0].value if isinstance(node.args[0].value, str) else None
    return None


def _words(node: ast.AST) -> list[str] | None:
    """The quoted words of a string constant or of a literal collection of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts:
        words = [_words(e) for e in node.elts]
        if all(w is not None and len(w) == 1 for w in words):
            return [w[0] for w in words]
    return None


def _one_kind(words: list[str] | None) -> bool:
    return words is not None and len(words) >= 2 and any(set(words) <= kind for kind in KINDS)


def _named_domain_word(name: str | None, words: list[str] | None) -> bool:
    return name in WORDS_BY_NAME and words is not None and bool(set(words) & WORDS_BY_NAME[name])


def quoted_domain_words(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            for a, b in itertools.pairwise([node.left, *node.comparators]):
                if _named_domain_word(_subject(a), _words(b)) or _named_domain_word(_subject(b), _words(a)):
                    found.append((node.lineno, "compared"))
        elif isinstance(node, ast.keyword) and _named_domain_word(node.arg, _words(node.value)):
            found.append((node.value.lineno, f"{node.arg}="))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and _named_domain_word(key.value, _words(value)):
                    found.append((value.lineno, f"{key.value!r}:"))
        elif isinstance(node, ast.Call):
            if (isinstance(node.func, ast.Attribute) and node.func.attr == "get" and len(node.args) == 2
                    and _named_domain_word(_subject(node), _words(node.args[1]))):
                found.append((node.lineno, ".get default"))
            arguments = [_words(a) for a in node.args]
            if arguments and all(w is not None and len(w) == 1 for w in arguments) and \
                    _one_kind([w[0] for w in arguments]):
                found.append((node.lineno, "arguments"))
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)) and _one_kind(_words(node)):
            found.append((node.lineno, "listed"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for match in SQL_FILTER.finditer(node.value):
                if match.group(2) in WORDS_BY_NAME[match.group(1).lower()]:
                    found.append((node.lineno, f"SQL {match.group(0)}"))
    return found


def test_agent_and_hub_name_tenders_states_and_statuses_by_their_enum():
    found = [f"{path.relative_to(ROOT)}:{line}: {what}"
             for part in ("agent", "hub") for path in sorted((ROOT / part).rglob("*.py"))
             for line, what in quoted_domain_words(path.read_text(encoding="utf-8"))]
    assert not found, "use the protocol.domain member instead of the quoted word:\n" + "\n".join(found)


@pytest.mark.parametrize("line", [
    'if row["state"] == "approved": pass', "if request.tender != 'cash': pass", 'if d.status in ("dead", "pending"): pass',
    'q = views.list(conn, status="pending")', 'r = {"tender": "card"}', 'ok = data.get("tender", "card")',
    'ok = t in ("card", "cash")', 'T = Literal["pending", "delivered", "dead", "unrouted"]',
    'rows = journal_open("intent", "sent")', "sql = \"SELECT * FROM journal WHERE state IN ('intent', 'sent')\"",
    "sql = \"UPDATE deliveries SET status = 'dead'\""])
def test_the_check_sees_a_quoted_word(line):
    assert quoted_domain_words(line)


@pytest.mark.parametrize("line", [
    'if row["state"] == JournalState.APPROVED: pass', "sql = \"SELECT * FROM outbox WHERE state = 'pending'\"",
    'outcome = "delivered" if ok else "retry"', 'if result.format == "unknown": pass',
    'r = {"status": "stored"}', 'ok = fmt in ("pagopa", "zbp")', '"""The state is "approved" here."""',
    'T = Literal["delivered", "retry", "gone", "dead"]'])
def test_the_check_leaves_other_words_alone(line):
    assert not quoted_domain_words(line)
