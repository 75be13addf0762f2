"""What the hub's case systems know of a case, as the clerk sees it.

The hub answers `GET /api/v1/cases/{ref}/lookup` with {outcome, case: {amount_owed_minor,
positions, payer}, case_system, cached, detail}.  Any failure to ask (offline, no API
token, a refused or garbled answer) is "nothing known": the clerk then picks the fees
from the catalogue.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from urllib.parse import quote

from agent.sync.client import TlsFiles

TIMEOUT_S = 3.0


@dataclass
class CaseLookup:
    case_ref: str
    amount_minor: int | None
    currency: str
    positions: list[dict]
    payer_name: str | None
    payer_id: str | None
    message: str


def fetch_case(hub_api: str, case_ref: str, token: str, tls: TlsFiles | None, currency: str) -> CaseLookup | None:
    """Ask the hub's API about `case_ref`; None when it cannot be asked or knows nothing."""
    import httpx
    try:
        # The hub's API may be plain HTTP on a loopback or behind a TLS proxy signed by our CA.
        verify = ssl.create_default_context(cafile=tls.ca) if tls else True
        with httpx.Client(verify=verify, timeout=TIMEOUT_S, headers={"Authorization": f"Bearer {token}"}) as client:
            response = client.get(f"{hub_api.rstrip('/')}/api/v1/cases/{quote(case_ref, safe='')}/lookup")
        data = response.json()
    except (httpx.HTTPError, ValueError, OSError):
        return None
    return case_lookup_from_hub(case_ref, data, currency)


def case_lookup_from_hub(case_ref: str, data: dict, currency: str) -> CaseLookup | None:
    """The hub's lookup answer ({outcome, case: {amount_owed_minor, positions, payer}, detail})
    as the clerk sees it; None when the hub knows nothing of the case."""
    if not isinstance(data, dict) or data.get("outcome") != "found" or not isinstance(data.get("case"), dict):
        return None
    case = data["case"]
    payer = case.get("payer") or {}
    amount = case.get("amount_owed_minor", case.get("amount_minor"))
    return CaseLookup(case_ref, amount if isinstance(amount, int) else None, case.get("currency") or currency,
                      list(case.get("positions") or []), payer.get("name"), payer.get("id"),
                      f"from case system {data.get('case_system')}" + (" (cached)" if data.get("cached") else ""))
