"""The catalogue editor's form: fields named `pl<i>.<field>` and `pl<i>.p<j>.<field>`, read
into what the user typed and into a `Catalogue` the API's own model validates.

Amounts are typed as money in the user's language, VAT as a percentage, and parsed
strictly (hub.web.forms); a blank position row is left out, so the editor always offers
one empty row to fill.  Errors come back under the same field names, numbered as the
rows are shown again.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from pydantic import ValidationError

from protocol.domain import Tender
from hub.catalogue.model import Catalogue
from hub.web.forms import (Errors, FieldProblem, money_as_typed, parse_money, parse_percent_bp, parse_whole,
                           percent_as_typed, validation_errors)

LIST_FIELDS = ("code", "name", "service_step", "notes", "legal_acts")
POSITION_FIELDS = ("code", "parent", "name", "unit", "unit_price_minor", "vat_rate_bp", "legal_act", "notes",
                   "account", "accounting_code")
_LIST = re.compile(r"^pl(\d+)\.(\w+)$")
_POSITION = re.compile(r"^pl(\d+)\.p(\d+)\.(\w+)$")
OWN_ERRORS = {kind: f"catalogue.error.{kind}" for kind in
              ("position_codes_repeat", "parent_unknown", "parent_is_sub_position", "price_required",
               "price_list_codes_repeat", "discount_kind", "fee_empty", "fee_min_above_max", "fee_rules_repeat",
               "catalogue_empty")}


def blank_position() -> dict[str, Any]:
    return {**{name: "" for name in POSITION_FIELDS}, "unit": "piece", "vat_rate_bp": "0", "mandatory": False,
            "tenders": [t.value for t in Tender], "discounts": "[]"}


def blank_list() -> dict[str, Any]:
    return {**{name: "" for name in LIST_FIELDS}, "positions": [blank_position()]}


def typed_from_document(document: Mapping[str, Any], language: str) -> dict[str, Any]:
    """A stored version as the editor shows it, to start a new draft from."""
    currency = document.get("currency", "EUR")
    lists = []
    for price_list in document["price_lists"]:
        positions = [{"code": p["code"], "parent": p.get("parent") or "", "name": p["name"], "unit": p["unit"],
                      "unit_price_minor": money_as_typed(p.get("unit_price_minor"), currency, language),
                      "vat_rate_bp": percent_as_typed(p.get("vat_rate_bp", 0), language),
                      "legal_act": p.get("legal_act") or "", "notes": p.get("notes") or "",
                      "account": p.get("account") or "",
                      "accounting_code": p.get("accounting_code") or "", "mandatory": bool(p.get("mandatory")),
                      "tenders": list(p.get("tenders") or []), "discounts": json.dumps(p.get("discounts") or [])}
                     for p in price_list["positions"]]
        lists.append({"code": price_list["code"], "name": price_list["name"],
                      "service_step": "" if price_list.get("service_step") is None else str(price_list["service_step"]),
                      "notes": price_list.get("notes") or "",
                      "legal_acts": "\n".join(price_list.get("legal_acts") or []),
                      "positions": positions + [blank_position()]})
    return {"currency": currency, "lists": lists, "office": document.get("office") or "",
            "handling_fees": fees_as_typed(document.get("handling_fees") or [])}


def fees_as_typed(rules: list[dict[str, Any]]) -> str:
    """Handling fee rules as the editor's text: one JSON object per line."""
    return "\n".join(json.dumps(rule, ensure_ascii=False) for rule in rules)


def typed_from_form(form: Mapping[str, str], tenders_of: Mapping[str, list[str]]) -> dict[str, Any]:
    """What was typed, blank position rows left out (an empty price list keeps one)."""
    lists: dict[int, dict[str, Any]] = {}
    positions: dict[tuple[int, int], dict[str, Any]] = {}
    for key, value in form.items():
        if match := _POSITION.match(key):
            i, j, name = int(match[1]), int(match[2]), match[3]
            positions.setdefault((i, j), {})[name] = value
        elif match := _LIST.match(key):
            lists.setdefault(int(match[1]), {})[match[2]] = value
    for (i, j), row in positions.items():
        lists.setdefault(i, {})
        row["mandatory"] = bool(row.pop("mandatory", ""))
        row["tenders"] = tenders_of.get(f"pl{i}.p{j}.tenders", [])
        row.setdefault("discounts", "[]")
    typed = []
    for i in sorted(lists):
        price_list = {**{name: lists[i].get(name, "") for name in LIST_FIELDS}}
        rows = [{**blank_position(), **positions[key]} for key in sorted(k for k in positions if k[0] == i)]
        rows = [row for row in rows if any(str(row.get(name, "")).strip() for name in ("code", "name", "parent",
                                                                                       "unit_price_minor"))]
        price_list["positions"] = rows
        if any(str(price_list[name]).strip() for name in ("code", "name")) or rows:
            typed.append(price_list)
    return {"currency": (form.get("currency") or "EUR").strip().upper(), "lists": typed,
            "office": (form.get("office") or "").strip(), "handling_fees": form.get("handling_fees") or ""}


def _optional(text: str) -> str | None:
    return text.strip() or None


def to_catalogue(typed: dict[str, Any], language: str) -> tuple[Catalogue | None, Errors]:
    """The typed form as a validated Catalogue, or the errors by field."""
    errors: Errors = {}
    currency = typed["currency"]
    document: dict[str, Any] = {"currency": currency, "price_lists": [], "handling_fees": []}
    for number, line in enumerate((typed.get("handling_fees") or "").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rule = json.loads(line)
        except ValueError:
            rule = None
        if not isinstance(rule, dict):
            errors["handling_fees"] = ("catalogue.error.fee_line", {"line": number})
            continue
        document["handling_fees"].append(rule)
    if not typed["lists"] and not document["handling_fees"]:
        errors["form"] = ("catalogue.error.no_price_list", {})
    for i, price_list in enumerate(typed["lists"]):
        step = None
        if price_list["service_step"].strip():
            try:
                step = parse_whole(price_list["service_step"], language)
            except FieldProblem as exc:
                errors[f"pl{i}.service_step"] = (exc.key, exc.values)
        out = {"code": price_list["code"].strip(), "name": price_list["name"].strip(), "service_step": step,
               "notes": _optional(price_list["notes"]),
               "legal_acts": [line.strip() for line in price_list["legal_acts"].splitlines() if line.strip()],
               "positions": []}
        for j, row in enumerate(price_list["positions"]):
            name = f"pl{i}.p{j}"
            price = None
            if row["unit_price_minor"].strip():
                try:
                    price = parse_money(row["unit_price_minor"], currency if len(currency) == 3 else "EUR",
                                        language)
                except FieldProblem as exc:
                    errors[f"{name}.unit_price_minor"] = (exc.key, exc.values)
                    price = 0       # stands in, so the model does not also say the price is missing
            try:
                vat = parse_percent_bp(row["vat_rate_bp"] or "0", language)
                if not 0 <= vat <= 10_000:      # the model's limits, said in percent as typed
                    raise FieldProblem("catalogue.error.vat_range")
            except FieldProblem as exc:
                errors[f"{name}.vat_rate_bp"] = (exc.key, exc.values)
                vat = 0
            try:
                discounts = json.loads(row.get("discounts") or "[]")
            except ValueError:
                discounts = []
            out["positions"].append({"code": row["code"].strip(), "parent": _optional(row["parent"]),
                                     "name": row["name"].strip(), "unit": row["unit"].strip(),
                                     "unit_price_minor": price, "vat_rate_bp": vat,
                                     "legal_act": _optional(row["legal_act"]), "notes": _optional(row["notes"]),
                                     "account": _optional(row["account"]),
                                     "accounting_code": _optional(row["accounting_code"]),
                                     "mandatory": row["mandatory"],
                                     "tenders": row["tenders"], "discounts": discounts})
        document["price_lists"].append(out)
    try:
        catalogue = Catalogue.model_validate(document)
    except ValidationError as exc:
        for field, problem in validation_errors(exc, OWN_ERRORS).items():
            # Discounts have no field of their own on the page (they ride along hidden): said at the top.
            if field.startswith("handling_fees"):
                field = "handling_fees"
            errors.setdefault("form" if ".discounts" in field else field, problem)
        return None, errors
    return (None, errors) if errors else (catalogue, {})
