"""What an imported finance file says, before anything is stored: the shared shapes.

Every importer in hub/finance/formats/ turns one file into one of these and nothing else;
storage and matching (hub/finance/reconcile/) read only these.  So a new bank format is one
new parser, and matching never learns which file a line came from.

Money is integer minor units, always positive; the direction is a separate field, as in
camt's `CdtDbtInd`.  Dates are `datetime.date` (a statement's booking day has no time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


class ImportRefused(ValueError):
    """A file that cannot be imported, refused whole.

    `where` says where the problem is as a person would find it: `line 14`,
    `Ntry[3]/NtryDtls/TxDtls[2]/Amt`, `row 7, column amount`; `reason` says what was wrong.
    """

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass(frozen=True)
class StatementLine:
    """One booked movement on a bank account, as the bank reported it."""

    position: int                     # 1-based order in the file: the same file gives the same positions
    booking_date: dt.date
    value_date: dt.date | None
    amount_minor: int                 # > 0
    currency: str                     # ISO 4217
    credit: bool                      # True: money in (CRDT, C); False: money out (DBIT, D)
    reversal: bool                    # the bank reverses an earlier booking (RvslInd, RC/RD)
    description: str                  # the remittance text as the bank wrote it (Ustrd, :86:, CSV column)
    structured_reference: str | None  # a creditor reference given apart (CdtrRefInf/Ref), compact
    bank_reference: str | None        # the bank's own id of the booking (AcctSvcrRef, :61: bank ref)
    counterparty: str | None          # who paid, where the bank says


@dataclass(frozen=True)
class Statement:
    """A bank statement or notification: the lines of one account in one file."""

    format: str                       # camt.053 | camt.054 | mt940 | csv
    statement_id: str | None          # the bank's id of the statement (Stmt/Id, :20:/:28C:)
    iban: str | None                  # the account the file names, compact; None where it names none (CSV)
    currency: str | None
    lines: tuple[StatementLine, ...]


@dataclass(frozen=True)
class FlowPayment:
    """One payment a pagoPA reporting flow settles (`datiSingoliPagamenti`)."""

    position: int                     # 1-based order in the flow
    iuv: str                          # identificativoUnivocoVersamento
    iur: str                          # identificativoUnivocoRiscossione
    index: int                        # indiceDatiSingoloPagamento (1 when absent)
    amount_minor: int                 # singoloImportoPagato; 0 for revoked ones is possible
    outcome: int                      # codiceEsitoSingoloPagamento: 0, 3, 4, 8 or 9
    outcome_date: dt.date             # dataEsitoSingoloPagamento


OUTCOME_PAID = 0
OUTCOME_REVOKED = 3
OUTCOME_STAND_IN = 4
OUTCOME_STAND_IN_NO_RPT = 8
OUTCOME_NO_RPT = 9
OUTCOMES = (OUTCOME_PAID, OUTCOME_REVOKED, OUTCOME_STAND_IN, OUTCOME_STAND_IN_NO_RPT, OUTCOME_NO_RPT)


@dataclass(frozen=True)
class Flow:
    """A pagoPA reporting flow (FlussoRiversamento 1.0.x): one PSP's transfer and what it settles.

    A flow is stored under (office, flow_id, psp_id, revision): flow ids are unique per PSP
    only within one creditor, and a PSP that re-sends a corrected flow keeps its id and gives
    a later `dataOraFlusso`, which is the revision.
    """

    flow_id: str                      # identificativoFlusso
    revision: dt.datetime             # dataOraFlusso (naive when the file gives no offset)
    settlement_ref: str               # identificativoUnivocoRegolamento (the transfer's TRN)
    settlement_date: dt.date          # dataRegolamento
    psp_id: str                       # istitutoMittente/identificativoUnivocoMittente/codiceIdentificativoUnivoco
    psp_name: str | None              # istitutoMittente/denominazioneMittente
    bic: str | None                   # codiceBicBancaDiRiversamento
    creditor_id: str                  # istitutoRicevente/identificativoUnivocoRicevente/codiceIdentificativoUnivoco
    creditor_name: str | None
    total_count: int                  # numeroTotalePagamenti
    total_minor: int                  # importoTotalePagamenti
    payments: tuple[FlowPayment, ...]
