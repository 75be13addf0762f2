"""The headless demo's script: which payments to take, and the codes and orders they need.

`plan(n)` gives n payments covering every kind within the first ten: card approved,
cash, card declined, card whose answer is lost (the terminal charges, the answer never
arrives; the agent must find the charge by ZVT status enquiry, never charge again),
and scanned codes of every format: pagoPA, EPC (with an RF reference), ZBP, RF, and
the hub's own signed order code.  Every payment has its own amount, so the terminal's
ledger can be matched to the agent's outcomes one to one.

`terminal_steps(payments)` is the simulated terminal's scenario for exactly these card
payments (steps are consumed by financial requests in order).
`prepare_orders(site, payments)` creates the real orders at the hub (through its API)
that the scanned codes pay, so payments link to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol.domain import ReferenceFormat, Tender
from protocol.qr import epc, pagopa, zbp

CYCLE = ("card", "cash", "scan-pagopa", "card-declined", "scan-rf", "scan-epc", "card-lost", "scan-zbp",
         "scan-cp-order", "cash")
LOST_EVERY = 40          # a lost answer costs the terminal timeout (T4); keep them a few per hundred
DEMO_IBAN = "DE89370400440532013000"
DEMO_PL_ACCOUNT = "PL61109010140000071219812874"
CREDITOR_FISCAL_CODE = "00311260095"   # the site hub.toml's [orders] creditor_fiscal_code


@dataclass
class Planned:
    index: int
    kind: str
    amount_minor: int
    tender: Tender
    case_ref: str
    currency: str = "EUR"
    order: dict | None = None
    request: dict = field(default_factory=dict)     # the JSON line for `agent run --pay-from -`

    @property
    def card(self) -> bool:
        return self.tender == Tender.CARD


def plan(n: int) -> list[Planned]:
    payments = []
    for i in range(n):
        kind = CYCLE[i % len(CYCLE)]
        if kind == "card-lost" and i >= len(CYCLE) and i % LOST_EVERY != 6:
            kind = "card"           # after the first cycle, lost answers only every LOST_EVERY payments
        tender = Tender.CASH if kind == "cash" or (kind.startswith("scan") and i % 2 == 1) else Tender.CARD
        if kind == "scan-zbp":
            tender = Tender.CASH    # a ZBP code is in złoty; the demo terminal takes euro
        payments.append(Planned(index=i, kind=kind, amount_minor=1000 + i, tender=tender,
                                case_ref=f"DEMO-2026-{i + 1:05d}",
                                currency="PLN" if kind == "scan-zbp" else "EUR"))
    return payments


def terminal_steps(payments: list[Planned]) -> list[dict]:
    steps = []
    for p in payments:
        if p.card:
            steps.append({"action": {"card-declined": "decline", "card-lost": "lose_answer"}.get(p.kind, "approve")})
    return steps + [{"action": "approve"}]


def prepare_orders(site, payments: list[Planned]) -> None:
    """Create the hub orders the scanned codes pay, and write every payment's request line."""
    import httpx
    with httpx.Client(base_url=site.api_url, headers={"Authorization": f"Bearer {site.admin_token}"},
                      timeout=30) as client:
        for p in payments:
            if p.kind.startswith("scan-"):
                body = {"amount_minor": p.amount_minor, "currency": p.currency, "case_ref": p.case_ref,
                        "reference_format": ReferenceFormat.PAGOPA if p.kind == "scan-pagopa" else ReferenceFormat.RF,
                        "description": f"demo payment {p.index + 1}"}
                response = client.post("/api/v1/orders", json=body)
                if response.status_code != 201:
                    raise RuntimeError(f"creating a demo order at the hub answered {response.status_code}: "
                                       f"{response.text[:300]}")
                p.order = response.json()
            p.request = _request(p)


def _scan_payload(p: Planned) -> str:
    order = p.order or {}
    if p.kind == "scan-pagopa":
        return pagopa.make(order["reference"], CREDITOR_FISCAL_CODE, p.amount_minor)
    if p.kind == "scan-rf":
        return order["reference"]
    if p.kind == "scan-epc":
        return epc.make("Demo office", DEMO_IBAN, p.amount_minor, reference=order["reference"])
    if p.kind == "scan-zbp":
        return zbp.make(DEMO_PL_ACCOUNT, "Demo office", order["reference"], p.amount_minor)
    if p.kind == "scan-cp-order":
        return order["qr_payload"]
    raise ValueError(p.kind)


def _request(p: Planned) -> dict:
    if p.kind.startswith("scan-"):
        line = {"scan": _scan_payload(p), "tender": p.tender, "amount_minor": p.amount_minor}
    else:
        line = {"amount_minor": p.amount_minor, "currency": p.currency, "tender": p.tender,
                "reference": {"format": ReferenceFormat.CASE, "value": p.case_ref}, "case_ref": p.case_ref}
    if p.tender == Tender.CASH:
        line["cash_given_minor"] = p.amount_minor + (500 if p.index % 3 == 0 else 0)
    line["operator"] = "demo"
    return line
