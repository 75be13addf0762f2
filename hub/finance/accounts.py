"""The offices' bank accounts: add, close, look up; the only SQL on `bank_accounts`.

An account is an IBAN (ISO 13616, checked by python-stdnum; a Polish 26-digit NRB is
taken as the IBAN `PL` + its digits) that belongs to one office for good: adding it
again, for any office, is refused with the office that has it.  Closing sets `active_to`
(the last day the account is used) and keeps the row, so the orders, statements and
exports that name it still find it.

    with db.begin() as conn:
        account = add_account(conn, office="ROMA-1", iban="IT60 X054 2811 1010 0000 0123 456",
                              holder="Comune di Roma", actor="user:anna")
        account_by_iban(conn, "it60x0542811101000000123456").office      # 'ROMA-1'

Every change is written to the audit log in the caller's transaction under `actor`
(`user:<name>` from the console and the API, `cli:<os user>` from a command).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from sqlalchemy import Connection, select
from stdnum import numdb
from stdnum.exceptions import InvalidChecksum, ValidationError

from hub.audit.log import record
from hub.errors import Conflict, InvalidInput, NotFound
from hub.store.paging import Ordering, Page, Sort, fetch_page
from hub.store.tables_accounts import bank_accounts
from hub.store.timeutil import now_iso
from hub.users.scope import Scope
from hub.users.service import OFFICE
from protocol import card_numbers
from protocol.ids import iban as iban_ids

_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$")
_IBAN_REGISTRY = numdb.get("iban")     # python-stdnum's IBAN registry: each country's account format
LIMITS = {"holder": 200, "bank": 200, "purpose": 400}
ORDERING = Ordering(columns={"office": bank_accounts.c.office, "iban": bank_accounts.c.iban,
                             "active_from": bank_accounts.c.active_from},
                    unique=bank_accounts.c.id, default=Sort("office"))


class AccountError(ValueError, InvalidInput):
    """A request about a bank account that cannot be done; the message says what was wrong.

    `field` names the form field at fault (or ""), `key` the catalogue key of the reason
    (hub/web/locales, under "accounts.error."), `values` what the reason's text names.
    """

    def __init__(self, field: str, key: str, message: str, **values: object):
        super().__init__(message)
        self.field, self.key, self.values = field, key, values

    def body(self) -> dict[str, Any]:
        return {"detail": str(self), "field": self.field}


class AccountExists(Conflict, AccountError):
    """The IBAN is an account of an office already (this one or another)."""


class UnknownAccount(NotFound, AccountError):
    """No office has this IBAN (or none the caller may see)."""


class AccountClosed(Conflict, AccountError):
    """The account was closed already."""


@dataclass(frozen=True)
class BankAccount:
    id: int
    office: str
    iban: str                   # compact, upper case
    holder: str | None
    bank: str | None
    purpose: str | None
    active_from: str | None     # YYYY-MM-DD; None: since ever
    active_to: str | None       # YYYY-MM-DD, the last day it is used; None: open

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "BankAccount":
        return cls(id=int(row["id"]), office=row["office"], iban=row["iban"], holder=row["holder"], bank=row["bank"],
                   purpose=row["purpose"], active_from=row["active_from"], active_to=row["active_to"])

    def active_on(self, day: dt.date) -> bool:
        text = day.isoformat()
        return (self.active_from is None or self.active_from <= text) and (self.active_to is None or text <= self.active_to)

    @property
    def formatted_iban(self) -> str:
        """The IBAN in groups of four, as printed on notices and shown on pages."""
        return iban_ids.format(self.iban)

    def public(self) -> dict[str, Any]:
        return asdict(self)


def compact_iban(text: str) -> str:
    """`text` as the compact, upper-case IBAN it is meant to be (an NRB gets `PL`); not validated."""
    compact = iban_ids.compact(text or "").upper()
    if len(compact) == 26 and compact.isdigit():
        return "PL" + compact
    return compact


def _country(compact: str) -> tuple[str, int] | None:
    """The country name and IBAN length (stdnum's registry) for the IBAN's country code, or None."""
    info = _IBAN_REGISTRY.info(compact)[0][1]
    if not info:
        return None
    bban_length = sum(int(part) for part in re.findall(r"(\d+)!", info.get("bban", "")))
    return info.get("country", compact[:2]), 4 + bban_length


def clean_iban(text: str, field: str = "iban") -> str:
    """The valid compact IBAN `text` is, or AccountError saying what is wrong with it.

    Shape, country and length are said apart from the check digits, so a person learns
    which to look at: a missing digit, or a mistyped one.
    """
    typed = (text or "").strip()
    if not typed:
        raise AccountError(field, "iban_required", "give the account's IBAN (a Polish NRB of 26 digits is taken too)")
    compact = compact_iban(typed)
    if not _IBAN_SHAPE.match(compact):
        raise AccountError(field, "iban_format", f"{typed!r} is not an IBAN: an IBAN is a 2-letter country code, "
                           "2 check digits and the account number (letters and digits)", iban=typed)
    country = _country(compact)
    if country is None:
        raise AccountError(field, "iban_country", f"IBAN {typed!r}: {compact[:2]} is not a country with IBANs",
                           iban=typed, country=compact[:2])
    if len(compact) != country[1]:
        raise AccountError(field, "iban_length", f"IBAN {typed!r} has {len(compact)} characters; an IBAN of "
                           f"{country[0]} has {country[1]}", iban=typed, length=len(compact), expected=country[1])
    try:
        return iban_ids.validate(compact)
    except InvalidChecksum:
        raise AccountError(field, "iban_checksum", f"IBAN {typed!r} fails its check digits: a character is mistyped",
                           iban=typed) from None
    except ValidationError:
        raise AccountError(field, "iban_bban", f"IBAN {typed!r}: the account number is not in the format of "
                           f"{country[0]}", iban=typed, country=country[0]) from None


def _clean_office(office: str) -> str:
    code = (office or "").strip()
    if not OFFICE.match(code):
        raise AccountError("office", "office_invalid", f"office {office!r} is not an office code (1-64 letters, "
                           "digits, '.', '_' or '-')", office=office or "")
    return code


def _clean_text(field: str, value: str | None) -> str | None:
    text = " ".join((value or "").split())
    if not text:
        return None
    if len(text) > LIMITS[field]:
        raise AccountError(field, "too_long", f"the {field} has {len(text)} characters; at most {LIMITS[field]}",
                           maximum=LIMITS[field])
    if card_numbers.contains(text):
        raise AccountError(field, "card_number", f"the {field} holds a card number, which is never stored")
    return text


def clean_day(field: str, value: str | dt.date | None) -> str | None:
    """A day as YYYY-MM-DD, from a date or its text; None stays None."""
    if value is None or isinstance(value, dt.date):
        return value.isoformat() if value else None
    text = value.strip()
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise AccountError(field, "date_invalid", f"{field} {text!r} is not a day: write it YYYY-MM-DD", typed=text)
    return day.isoformat()


def _row(conn: Connection, iban: str):
    return conn.execute(select(bank_accounts).where(bank_accounts.c.iban == compact_iban(iban))).mappings().first()


def account_by_iban(conn: Connection, iban: str) -> BankAccount | None:
    """The account with this IBAN, of any office, open or closed; the IBAN in any spacing or case."""
    row = _row(conn, iban)
    return BankAccount.from_row(row) if row else None


def accounts_of_office(conn: Connection, office: str) -> list[BankAccount]:
    """Every account of `office`, open and closed, in the order they were added."""
    rows = conn.execute(select(bank_accounts).where(bank_accounts.c.office == office).order_by(bank_accounts.c.id))
    return [BankAccount.from_row(row) for row in rows.mappings()]


def accounts_page(conn: Connection, scope: Scope, *, office: str | None = None, sort: str | None = None,
                  cursor: str | None = None, limit: int = 50) -> Page:
    """A keyset page of the accounts `scope` may see (of `office` only, when given); rows are BankAccounts."""
    query = select(bank_accounts).where(scope.filter(bank_accounts.c.office))
    if office:
        query = query.where(bank_accounts.c.office == office)
    page = fetch_page(conn, query, ORDERING, sort=sort, cursor=cursor, limit=limit)
    return Page([BankAccount.from_row(row) for row in page.rows], page.next_cursor, page.prev_cursor, page.sort)


def offices_with_accounts(conn: Connection, scope: Scope) -> list[str]:
    query = select(bank_accounts.c.office).where(scope.filter(bank_accounts.c.office)).distinct()
    return sorted(conn.execute(query).scalars())


def add_account(conn: Connection, *, office: str, iban: str, holder: str | None = None, bank: str | None = None,
                purpose: str | None = None, active_from: str | dt.date | None = None, actor: str) -> BankAccount:
    """Add an account to `office` (audited); AccountExists when any office has the IBAN already."""
    code = _clean_office(office)
    compact = clean_iban(iban)
    columns = {"office": code, "iban": compact, "holder": _clean_text("holder", holder),
               "bank": _clean_text("bank", bank), "purpose": _clean_text("purpose", purpose),
               "active_from": clean_day("active_from", active_from)}
    existing = _row(conn, compact)
    if existing is not None:
        closed = f", closed on {existing['active_to']}" if existing["active_to"] else ""
        raise AccountExists("iban", "exists", f"IBAN {iban_ids.format(compact)} is an account of office "
                            f"{existing['office']} already{closed}; an IBAN belongs to one office",
                            iban=iban_ids.format(compact), office=existing["office"])
    result = conn.execute(bank_accounts.insert().values(**columns, created_at=now_iso(), created_by=actor))
    record(conn, actor, "account.add", f"account:{compact}", {k: v for k, v in columns.items() if v is not None})
    row = conn.execute(select(bank_accounts).where(bank_accounts.c.id == result.inserted_primary_key[0]))
    return BankAccount.from_row(row.mappings().one())


def close_account(conn: Connection, *, iban: str, active_to: str | dt.date | None = None, actor: str,
                  scope: Scope | None = None) -> BankAccount:
    """Close an account from `active_to` on (its last day; today when not given), audited; the row stays.

    With `scope`, an account of an office outside it is answered as unknown.
    """
    row = _row(conn, iban)
    if row is None or (scope is not None and not scope.allows(row["office"])):
        raise UnknownAccount("iban", "unknown", f"no office has the account {iban!r} "
                             "(see `counterpay hub account list`)", iban=iban)
    if row["active_to"] is not None:
        raise AccountClosed("iban", "closed_already", f"account {iban_ids.format(row['iban'])} was closed already, "
                            f"on {row['active_to']}", iban=iban_ids.format(row["iban"]), day=row["active_to"])
    last_day = clean_day("active_to", active_to) or dt.date.today().isoformat()
    if row["active_from"] and last_day < row["active_from"]:
        raise AccountError("active_to", "closed_before_opened", f"account {iban_ids.format(row['iban'])} is active "
                           f"from {row['active_from']}: it cannot close on {last_day}, before that",
                           day=last_day, active_from=row["active_from"])
    conn.execute(bank_accounts.update().where(bank_accounts.c.id == row["id"]).values(active_to=last_day))
    record(conn, actor, "account.close", f"account:{row['iban']}", {"office": row["office"], "active_to": last_day})
    return BankAccount.from_row(dict(row) | {"active_to": last_day})
