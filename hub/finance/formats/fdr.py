"""pagoPA reporting flow (*flusso di rendicontazione*), FlussoRiversamento 1.0.x XML, into a `Flow`.

The structure is the XSD `FlussoRiversamento_1_0_4.xsd` (pagopa/pagopa-api, `general/`),
namespace `http://www.digitpa.gov.it/schemas/2011/Pagamenti/`, written with a `pay_i:` prefix,
as the default namespace, or with none: all three read the same.  Checked beyond the shape:
the flow id's pattern, amounts exactly `\\d+\\.\\d{2}`, outcome codes 0, 3, 4, 8 and 9 (the XSD
enumerates 0, 3 and 9; 4 and 8, payments made in stand-in, are sent by PSPs too), and that
`numeroTotalePagamenti` and `importoTotalePagamenti` agree with the payments listed, since
the total is what the bank transfer carries and matching trusts it.
"""

from __future__ import annotations

import re

from hub.finance.formats.safe_xml import Node, namespace, parse_xml
from hub.finance.records import OUTCOMES, Flow, FlowPayment, ImportRefused

NAMESPACE = "http://www.digitpa.gov.it/schemas/2011/Pagamenti/"
FLOW_ID = re.compile(r"[A-Za-z0-9_-]{1,35}")
AMOUNT = re.compile(r"\d{1,16}\.\d{2}")
# importoTotalePagamenti is an xsd:decimal with at most 2 decimals, not the `\d+\.\d{2}` pattern.
TOTAL = re.compile(r"\d{1,16}(?:\.\d{1,2})?")
_TEXT35 = 35


def parse_flow(data: bytes) -> Flow:
    """Read one FlussoRiversamento file; ImportRefused with the element path if anything is wrong."""
    root = parse_xml(data)
    if root.name != "FlussoRiversamento":
        raise ImportRefused(root.path, f"the root element is {root.name!r}, not FlussoRiversamento: "
                                       "not a pagoPA reporting flow")
    if namespace(root.element.tag) not in ("", NAMESPACE):
        raise ImportRefused(root.path, f"namespace {namespace(root.element.tag)!r} is not pagoPA's {NAMESPACE!r}")

    version = root.need_text("versioneOggetto")
    if not version.startswith("1."):
        raise ImportRefused(f"{root.path}/versioneOggetto", f"version {version!r} is not a 1.x flow")
    flow_id = root.need_text("identificativoFlusso")
    if not FLOW_ID.fullmatch(flow_id):
        raise ImportRefused(f"{root.path}/identificativoFlusso",
                            f"{flow_id!r} is not a flow id (1 to 35 of A-Z a-z 0-9 _ -)")
    sender = root.need("istitutoMittente")
    receiver = root.need("istitutoRicevente")
    payments = tuple(_payment(node, position)
                     for position, node in enumerate(root.children("datiSingoliPagamenti"), 1))
    if not payments:
        raise ImportRefused(f"{root.path}/datiSingoliPagamenti", "missing: a flow settles at least one payment")

    count_node = root.need("numeroTotalePagamenti")
    if not count_node.text().isdigit():
        raise ImportRefused(count_node.path, f"{count_node.text()!r} is not a whole number")
    total_count = int(count_node.text())
    if total_count != len(payments):
        raise ImportRefused(count_node.path, f"the flow says {total_count} payments but lists {len(payments)}")
    total_node = root.need("importoTotalePagamenti")
    if not TOTAL.fullmatch(total_node.text()):
        raise ImportRefused(total_node.path, f"{total_node.text()!r} is not an amount like 1234.50")
    total_minor = _minor(total_node.text())
    listed = sum(p.amount_minor for p in payments)
    if total_minor != listed:
        raise ImportRefused(total_node.path, f"the flow's total is {_euro(total_minor)} but its payments add up "
                                             f"to {_euro(listed)}")

    return Flow(
        flow_id=flow_id,
        revision=root.need("dataOraFlusso").datetime(),
        settlement_ref=_text35(root, "identificativoUnivocoRegolamento"),
        settlement_date=root.need("dataRegolamento").date(),
        psp_id=_text35(sender.need("identificativoUnivocoMittente"), "codiceIdentificativoUnivoco"),
        psp_name=sender.optional_text("denominazioneMittente"),
        bic=root.optional_text("codiceBicBancaDiRiversamento"),
        creditor_id=_text35(receiver.need("identificativoUnivocoRicevente"), "codiceIdentificativoUnivoco"),
        creditor_name=receiver.optional_text("denominazioneRicevente"),
        total_count=total_count,
        total_minor=total_minor,
        payments=payments,
    )


def _payment(node: Node, position: int) -> FlowPayment:
    amount = node.need("singoloImportoPagato")
    if not AMOUNT.fullmatch(amount.text()):
        raise ImportRefused(amount.path, f"{amount.text()!r} is not an amount like 12.50 (digits, a dot, "
                                         "two decimals, no sign)")
    outcome = node.need("codiceEsitoSingoloPagamento")
    if not (outcome.text().isdigit() and int(outcome.text()) in OUTCOMES):
        raise ImportRefused(outcome.path, f"outcome code {outcome.text()!r} is not one of "
                                          f"{', '.join(map(str, OUTCOMES))}")
    index_node = node.child("indiceDatiSingoloPagamento")
    index = 1
    if index_node is not None:
        if not (index_node.text().isdigit() and 1 <= int(index_node.text()) <= 5):
            raise ImportRefused(index_node.path, f"{index_node.text()!r} is not an index from 1 to 5")
        index = int(index_node.text())
    return FlowPayment(
        position=position,
        iuv=_text35(node, "identificativoUnivocoVersamento"),
        iur=_text35(node, "identificativoUnivocoRiscossione"),
        index=index,
        amount_minor=_minor(amount.text()),
        outcome=int(outcome.text()),
        outcome_date=node.need("dataEsitoSingoloPagamento").date(),
    )


def _text35(node: Node, name: str) -> str:
    value = node.need_text(name)
    if len(value) > _TEXT35:
        raise ImportRefused(f"{node.path}/{name}", f"{len(value)} characters, more than the {_TEXT35} allowed")
    return value


def _minor(text: str) -> int:
    whole, _, cents = text.partition(".")
    return int(whole) * 100 + int(cents.ljust(2, "0"))


def _euro(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d} EUR"
