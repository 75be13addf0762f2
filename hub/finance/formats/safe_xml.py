"""XML read safely, and walked with the element path of every value kept for error messages.

defusedxml with `forbid_dtd`: a DOCTYPE, an entity declaration or an external reference is
refused outright, never expanded or fetched (billion laughs, XXE).  Statements and flows
never need a DTD.  Elements are matched by local name, so a file with a default namespace,
a `pay_i:` prefix or none at all reads the same.
"""

from __future__ import annotations

import datetime as dt
import re
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as safe_et

from hub.finance.records import ImportRefused
from hub.finance.formats.reading import check_size
from protocol.money import MoneyError, exponent

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?")
_DECIMAL = re.compile(r"(\d{1,18})(?:\.(\d{1,5}))?")


def parse_xml(data: bytes) -> "Node":
    """The document's root as a Node, or ImportRefused for anything malformed or unsafe."""
    check_size(data)
    try:
        root = safe_et.fromstring(bytes(data), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        raise ImportRefused("<!DOCTYPE>", "the file declares a DTD; statements and flows never need one, and its "
                                          "entities could expand without end or read other files: refused") from None
    except defusedxml.EntitiesForbidden:
        raise ImportRefused("<!ENTITY>", "the file declares entities: refused, they are never expanded") from None
    except defusedxml.ExternalReferenceForbidden:
        raise ImportRefused("<!ENTITY>", "the file refers to an external resource: refused, never fetched") from None
    except defusedxml.DefusedXmlException as exc:
        raise ImportRefused("file", f"unsafe XML refused: {exc}") from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise ImportRefused(f"line {line}, column {column + 1}", f"not well-formed XML: {_expat_reason(exc)}") from None
    except (ValueError, LookupError, UnicodeError) as exc:
        # An unknown or impossible encoding declaration reaches here from the codec machinery.
        raise ImportRefused("line 1", f"the XML cannot be decoded: {exc}") from None
    return Node(root, local_name(root.tag))


def _expat_reason(exc: ParseError) -> str:
    # expat's text ends with ": line 3, column 7", which `where` already says.
    return re.sub(r": line \d+, column \d+$", "", str(exc))


def local_name(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def namespace(tag: object) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


class Node:
    """An element with its path from the root, like `Stmt[1]/Ntry[3]/NtryDtls/TxDtls[2]/Amt`."""

    __slots__ = ("element", "path")

    def __init__(self, element: Element, path: str) -> None:
        self.element = element
        self.path = path

    @property
    def name(self) -> str:
        return local_name(self.element.tag)

    def child(self, name: str) -> "Node | None":
        """The first child of that local name (a path of `a/b/c` walks down), or None."""
        node: Node | None = self
        for step in name.split("/"):
            found = next((e for e in node.element if local_name(e.tag) == step), None)
            if found is None:
                return None
            node = Node(found, f"{node.path}/{step}")
        return node

    def children(self, name: str) -> list["Node"]:
        """Every child of that local name, each path indexed from 1 (`TxDtls[2]`)."""
        found = [e for e in self.element if local_name(e.tag) == name]
        return [Node(e, f"{self.path}/{name}[{i}]") for i, e in enumerate(found, 1)]

    def need(self, name: str) -> "Node":
        node = self.child(name)
        if node is None:
            raise ImportRefused(f"{self.path}/{name}", "missing")
        return node

    def text(self) -> str:
        return (self.element.text or "").strip()

    def need_text(self, name: str) -> str:
        node = self.need(name)
        value = node.text()
        if not value:
            raise ImportRefused(node.path, "empty")
        return value

    def optional_text(self, name: str) -> str | None:
        node = self.child(name)
        value = node.text() if node is not None else ""
        return value or None

    def date(self) -> dt.date:
        match = _DATE.fullmatch(self.text())
        if not match:
            raise ImportRefused(self.path, f"{self.text()!r} is not a date YYYY-MM-DD")
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError as exc:
            raise ImportRefused(self.path, f"{self.text()!r} is not a real date ({exc})") from None

    def datetime(self) -> dt.datetime:
        """An xsd:dateTime, aware when the file gives an offset, naive when it does not."""
        text = self.text()
        match = _DATETIME.fullmatch(text)
        if not match:
            raise ImportRefused(self.path, f"{text!r} is not a date and time YYYY-MM-DDThh:mm:ss")
        day, hh, mm, ss, fraction, zone = match.groups()
        iso = f"{day}T{hh}:{mm}:{ss}" + (f".{fraction[:6].ljust(6, '0')}" if fraction else "")
        iso += "+00:00" if zone == "Z" else (zone or "")
        try:
            return dt.datetime.fromisoformat(iso)
        except ValueError as exc:
            raise ImportRefused(self.path, f"{text!r} is not a real date and time ({exc})") from None

    def date_or_datetime(self) -> dt.date:
        """camt's `Dt` or `DtTm` choice: the day the bank wrote (its own local day, not converted)."""
        day = self.child("Dt")
        if day is not None:
            return day.date()
        moment = self.child("DtTm")
        if moment is not None:
            return moment.datetime().date()
        raise ImportRefused(f"{self.path}/Dt", "missing (neither Dt nor DtTm)")

    def amount_minor(self, currency: str) -> int:
        """A positive decimal amount (`123.45`) in integer minor units of `currency`, exactly."""
        text = self.text()
        match = _DECIMAL.fullmatch(text)
        if not match:
            raise ImportRefused(self.path, f"{text!r} is not an amount (digits with '.' before the decimals)")
        try:
            exp = exponent(currency)
        except MoneyError as exc:
            raise ImportRefused(self.path, str(exc)) from None
        whole, frac = match[1], (match[2] or "")
        if len(frac.rstrip("0")) > exp:
            raise ImportRefused(self.path, f"{text!r} has more decimals than {currency} has ({exp})")
        frac = frac[:exp] if len(frac) > exp else frac
        return int(whole + frac.ljust(exp, "0"))
