"""ISO 20022 bank-to-customer statements: camt.053 (`Stmt`) and camt.054 (`Ntfctn`), into a `Statement`.

Any version's namespace (`urn:iso:std:iso:20022:tech:xsd:camt.053.001.02` to `.08` and on)
reads the same: the elements used here kept their names across versions, and the few that
moved are read in both places (`Sts` or `Sts/Cd`, `Dbtr/Nm` or `Dbtr/Pty/Nm`, `TxDtls/Amt`
from .05 or `TxDtls/AmtDtls/TxAmt/Amt`).

One `StatementLine` per `TxDtls`: a batch entry (one booking for many transfers) becomes one
line per transfer, each with its own amount, so matching sees every payer's remittance text.
A lone `TxDtls` without an amount takes the entry's; in a batch every transfer must give its
own, and in the entry's currency and direction they must add up to the entry's amount, or
the file is refused.  Entries not booked yet (`Sts` PDNG or INFO) are left out:
the bank books them in a later statement, and counting them twice would double money.
"""

from __future__ import annotations

import re

from hub.finance.formats.reading import compact_iban
from hub.finance.formats.safe_xml import Node, namespace, parse_xml
from hub.finance.records import ImportRefused, Statement, StatementLine
from protocol.money import Money

NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:(camt\.05[34])\.001\.\d{2}")
# message element → (statement element, format)
MESSAGES = {"BkToCstmrStmt": ("Stmt", "camt.053"), "BkToCstmrDbtCdtNtfctn": ("Ntfctn", "camt.054")}
NOT_BOOKED = ("PDNG", "INFO")
_CURRENCY = re.compile(r"[A-Z]{3}")


def parse_statement(data: bytes) -> Statement:
    """Read one camt.053 or camt.054 file (every statement in it must be of one account)."""
    root = parse_xml(data)
    message = root
    if root.name == "Document":
        found = next((root.child(name) for name in MESSAGES if root.child(name) is not None), None)
        # Paths start at the message (`BkToCstmrStmt/Stmt[1]/Ntry[3]/…`): every camt file has the same Document.
        message = Node(found.element, found.name) if found is not None else None
        if message is None:
            raise ImportRefused(root.path, "no BkToCstmrStmt (camt.053) or BkToCstmrDbtCdtNtfctn (camt.054) in it: "
                                           "camt.052 reports and other messages are not statements")
    if message.name not in MESSAGES:
        raise ImportRefused(root.path, f"{root.name!r} is not a camt.053 or camt.054 document")
    ns = namespace(root.element.tag)
    if ns and not NAMESPACE.fullmatch(ns):
        raise ImportRefused(root.path, f"namespace {ns!r} is not a camt.053 or camt.054 version")
    statement_name, fmt = MESSAGES[message.name]
    if ns and NAMESPACE.fullmatch(ns)[1] != fmt:
        raise ImportRefused(message.path, f"a {message.name} in a {NAMESPACE.fullmatch(ns)[1]} namespace")

    statements = message.children(statement_name)
    if not statements:
        raise ImportRefused(f"{message.path}/{statement_name}", "missing: the file holds no statement")
    ids, ibans, currencies, lines = [], set(), set(), []
    for statement in statements:
        ids.append(statement.need_text("Id"))
        account = statement.need("Acct")
        iban_node = account.child("Id/IBAN")
        ibans.add(compact_iban(iban_node.text(), iban_node.path) if iban_node is not None else None)
        currency = account.optional_text("Ccy")
        currencies.add(currency)
        for entry in statement.children("Ntry"):
            lines.extend(_entry_lines(entry, len(lines) + 1))
    if len(ibans) > 1:
        raise ImportRefused(message.path, "the statements in this file are of different accounts "
                                          f"({', '.join(sorted(str(i) for i in ibans))}): import one account per file")
    return Statement(format=fmt, statement_id=",".join(ids), iban=ibans.pop(),
                     currency=currencies.pop() if len(currencies) == 1 else None, lines=tuple(lines))


def _entry_lines(entry: Node, position: int) -> list[StatementLine]:
    status = entry.child("Sts/Cd") or entry.child("Sts")
    if status is not None and status.text() in NOT_BOOKED:
        return []
    amount, currency = _amount(entry.need("Amt"))
    credit = _credit(entry.need("CdtDbtInd"))
    reversal = _reversal(entry)
    booked = entry.child("BookgDt") or entry.child("ValDt")
    if booked is None:
        raise ImportRefused(f"{entry.path}/BookgDt", "missing (and no ValDt either)")
    value = entry.child("ValDt")
    booking_date = booked.date_or_datetime()
    value_date = value.date_or_datetime() if value is not None else None
    entry_ref = entry.optional_text("AcctSvcrRef")
    entry_text = entry.optional_text("AddtlNtryInf")

    details = entry.children("NtryDtls")
    if len(details) == 1:  # nearly always one: its path reads `NtryDtls/TxDtls[2]`, unnumbered
        details = [entry.child("NtryDtls")]
    transfers = [tx for group in details for tx in group.children("TxDtls")]
    if not transfers:
        return [StatementLine(position, booking_date, value_date, amount, currency, credit, reversal,
                              entry_text or "", None, entry_ref, None)]
    lines = []
    own_amounts = []
    for tx in transfers:
        tx_amount = tx.child("AmtDtls/TxAmt/Amt") or tx.child("Amt")
        if tx_amount is None and len(transfers) > 1:
            # Giving each transfer the whole entry's amount would count the money several times.
            raise ImportRefused(f"{tx.path}/Amt", f"missing: one of {len(transfers)} transfers in a batch entry "
                                                  "without its own amount (AmtDtls/TxAmt/Amt or Amt)")
        tx_minor, tx_currency = _amount(tx_amount) if tx_amount is not None else (amount, currency)
        tx_credit = _credit(tx.child("CdtDbtInd")) if tx.child("CdtDbtInd") is not None else credit
        if tx_amount is not None:
            own_amounts.append((tx_minor, tx_currency, tx_credit))
        remittance = tx.child("RmtInf")
        description = " ".join(u.text() for u in remittance.children("Ustrd") if u.text()) if remittance else ""
        reference = None
        if remittance is not None:
            for structured in remittance.children("Strd"):
                ref = structured.optional_text("CdtrRefInf/Ref")
                if ref:
                    reference = "".join(ref.split()).upper()
                    break
        lines.append(StatementLine(
            position=position + len(lines), booking_date=booking_date, value_date=value_date,
            amount_minor=tx_minor, currency=tx_currency, credit=tx_credit, reversal=reversal,
            description=description or tx.optional_text("AddtlTxInf") or entry_text or "",
            structured_reference=reference,
            bank_reference=tx.optional_text("Refs/AcctSvcrRef") or entry_ref,
            counterparty=_counterparty(tx, tx_credit)))
    if len(transfers) > 1 and len(own_amounts) == len(transfers) \
            and all(c == currency and d == credit for _, c, d in own_amounts):
        listed = sum(m for m, _, _ in own_amounts)
        if listed != amount:
            raise ImportRefused(f"{entry.path}/Amt", f"the entry's amount is {Money(amount, currency)} but its "
                                                     f"{len(transfers)} TxDtls add up to {Money(listed, currency)}")
    return lines


def _amount(node: Node) -> tuple[int, str]:
    currency = node.element.get("Ccy", "")
    if not _CURRENCY.fullmatch(currency):
        raise ImportRefused(f"{node.path}/@Ccy", f"{currency!r} is not a currency code like EUR")
    minor = node.amount_minor(currency)
    if minor <= 0:
        raise ImportRefused(node.path, "the amount is zero; a booking moves money")
    return minor, currency


def _credit(node: Node) -> bool:
    value = node.text()
    if value not in ("CRDT", "DBIT"):
        raise ImportRefused(node.path, f"{value!r} is neither CRDT nor DBIT")
    return value == "CRDT"


def _reversal(entry: Node) -> bool:
    node = entry.child("RvslInd")
    if node is None:
        return False
    if node.text() not in ("true", "false", "1", "0"):
        raise ImportRefused(node.path, f"{node.text()!r} is not true or false")
    return node.text() in ("true", "1")


def _counterparty(tx: Node, credit: bool) -> str | None:
    """Who paid us (the debtor) on a credit, whom we paid (the creditor) on a debit."""
    party = tx.child("RltdPties/Dbtr" if credit else "RltdPties/Cdtr")
    if party is None:
        return None
    return party.optional_text("Nm") or party.optional_text("Pty/Nm")
