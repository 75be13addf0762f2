"""The identities fixed at import, from which every re-import finds what it stored before.

A statement line's key is a hash of its account and content: a bank that sends the same
statement again in a new file (another creation time, another message id) gives the same
lines and so the same keys.  Where the bank gives its own reference of the booking
(camt `AcctSvcrRef`, MT940's bank reference) the key is that reference on that account;
where it gives none (CSV), it is the line's date, direction, amount and text, with the
line's rank among identical lines of the file, so two equal transfers in one file stay two.

A payment found by reconciliation gets a payment id derived the same way, from the flow
payment (office, flow id, PSP, IUV, IUR, index: not the revision, so a corrected flow
names the same payment) or from the statement line's key: importing again, in any
order, never makes a second payment.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from hub.finance.records import StatementLine


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8")).hexdigest()


def _text(description: str) -> str:
    return " ".join(description.split()).casefold()


def line_keys(iban: str, lines: tuple[StatementLine, ...] | list[StatementLine]) -> list[str]:
    """The key of each line, in order."""
    seen: Counter = Counter()
    keys = []
    for line in lines:
        common = (iban, line.booking_date.isoformat(), "C" if line.credit else "D", "R" if line.reversal else "",
                  line.amount_minor, line.currency)
        if line.bank_reference:
            keys.append(_digest("ref", *common, line.bank_reference))
            continue
        content = (*common, _text(line.description), line.structured_reference or "")
        seen[content] += 1
        keys.append(_digest("text", *content, seen[content]))
    return keys


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


PAGOPA_AGENT = "pagopa"
"""The `agent_id` of payments reported by pagoPA (flows, single-payment lines): no agent took them."""
BANK_AGENT = "bank"
"""The `agent_id` of bank transfers found on a statement by their RF."""


def flow_payment_id(office: str, flow_id: str, psp_id: str, iuv: str, iur: str, index: int) -> str:
    return "fdr-" + _digest(office, flow_id, psp_id, iuv, iur, index)[:40]


def line_payment_id(line_key: str) -> str:
    return "line-" + line_key[:40]
