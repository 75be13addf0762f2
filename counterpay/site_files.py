"""The files a demo/test site is made of: hub configuration, terminal scenario, the case system's cases."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

DEMO_CASES = (("DEMO-2026-0001", 4500, "Vehicle registration", "Anna Bērziņa"),
              ("DEMO-2026-0002", 1250, "Certificate of residence", "Marco Rossi"),
              ("DEMO-2026-0003", 8000, "Building permit fee", "Jan Kowalski"))


def hub_toml(hub_dir: Path, api_port: int, broker_port: int) -> str:
    return f"""# counterpay hub configuration for a demo site (see hub/config.py)
[hub]
data_dir = "{hub_dir}"

[database]
url = "sqlite:///{hub_dir / 'hub.db'}"

[mqtt]
host = "127.0.0.1"
port = {broker_port}
tls = true
client_id = "hub-1"
share_group = "hub-{secrets.token_hex(8)}"
ca_file = "pki/ca.pem"
cert_file = "pki/hub.pem"
key_file = "pki/hub.key"

[broker]
bind = "127.0.0.1"

[api]
host = "127.0.0.1"
port = {api_port}

[web]
secure_cookies = false    # the demo's console is plain HTTP on loopback

[keys]
order_key = "keys/order.pem"
event_key = "keys/event.pem"

[orders]
currency = "EUR"
creditor_fiscal_code = "00311260095"
segregation_code = "01"
"""


def scenario_toml(steps: list[dict]) -> str:
    lines = ['name = "site"', "", "[terminal]", 'terminal_id = "52500001"', 'card_type = "girocard"',
             "card_type_code = 5", 'masked_pan = "672559******1234"', 'currency = "EUR"', ""]
    for step in steps or [{"action": "approve"}]:
        lines.append("[[steps]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in step.items()]
    return "\n".join(lines) + "\n"


def cases_toml() -> str:
    out = []
    for ref, amount, name, payer in DEMO_CASES:
        out += ["[[case]]", f'ref = "{ref}"', f"amount_owed_minor = {amount}", 'currency = "EUR"',
                f'payer = {{ name = "{payer}" }}', "[[case.positions]]", f'code = "{ref[-4:]}"', f'name = "{name}"',
                "quantity = 1", f"unit_minor = {amount}", ""]
    return "\n".join(out)


def demo_catalogue() -> dict:
    """The fee catalogue the demo hub publishes (hub.catalogue.model.Catalogue)."""
    positions = [{"code": ref[-4:], "name": name, "unit_price_minor": amount, "legal_act": "Demo fees act §1"}
                 for ref, amount, name, _payer in DEMO_CASES]
    positions.append({"code": "COPY", "name": "Certified copy", "unit": "page", "unit_price_minor": 200})
    return {"currency": "EUR", "price_lists": [{"code": "DEMO", "name": "Demo office fees", "positions": positions}]}
