"""The hub's configuration file (TOML) and the settings read from it.

    [database]
    url = "sqlite:////var/lib/counterpay/hub/hub.db"   # or postgresql+psycopg://…
    [mqtt]
    host = "127.0.0.1"
    port = 8883
    tls = true
    ca_file = "pki/ca.pem"            # relative paths are relative to the config file
    cert_file = "pki/hub.pem"
    key_file = "pki/hub.key"
    [api]
    host = "127.0.0.1"
    port = 8080
    [keys]
    order_key = "keys/order.pem"      # signs payment order QRs
    event_key = "keys/event.pem"      # signs acks and commands to agents
    [orders]
    currency = "EUR"
    creditor_fiscal_code = ""              # pagoPA notices: the creditor office's fiscal code
    segregation_code = "01"

Other hub parts keep their own sections ([pki], [delivery]) and read them from
`Settings.raw`.  Every error names the file, the key and what was expected.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from protocol.ids import italy


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or holds a wrong value."""


@dataclass
class MqttSettings:
    host: str = "127.0.0.1"
    port: int = 1883
    tls: bool = False
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    client_id: str = "hub-1"


@dataclass
class Settings:
    database_url: str
    data_dir: Path
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    api_host: str = "127.0.0.1"
    api_port: int = 8080
    order_key_file: Path | None = None
    event_key_file: Path | None = None
    currency: str = "EUR"
    creditor_fiscal_code: str = ""             # empty: this hub issues no pagoPA notices
    segregation_code: str = "01"
    config_path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)


class _Reader:
    def __init__(self, path: Path, data: dict[str, Any]):
        self.path, self.data = path, data

    def _where(self, section: str, key: str) -> str:
        return f"{self.path}: [{section}] {key}"

    def get(self, section: str, key: str, kind: type, default: Any = None, *, required: bool = False,
            expected: str = "") -> Any:
        table = self.data.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{self.path}: [{section}] must be a table")
        if key not in table:
            if required:
                raise ConfigError(f"{self._where(section, key)} is missing; expected {expected or kind.__name__}")
            return default
        value = table[key]
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"{self._where(section, key)} = {value!r}; expected an integer {expected}".rstrip())
        if not isinstance(value, kind):
            raise ConfigError(f"{self._where(section, key)} = {value!r}; expected {expected or kind.__name__}")
        return value

    def port(self, section: str, key: str, default: int) -> int:
        value = self.get(section, key, int, default, expected="(a TCP port 1-65535)")
        if not 1 <= value <= 65535:
            raise ConfigError(f"{self._where(section, key)} = {value}; expected a TCP port 1-65535")
        return value

    def path_value(self, section: str, key: str, *, must_exist: bool = False) -> Path | None:
        value = self.get(section, key, str, expected="a file path (string)")
        if value is None:
            return None
        resolved = (self.path.parent / value).resolve() if not Path(value).is_absolute() else Path(value)
        if must_exist and not resolved.exists():
            raise ConfigError(f"{self._where(section, key)} = {value!r}; the file {resolved} does not exist")
        return resolved


def load(path: str | Path) -> Settings:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: the configuration file does not exist (create one with `counterpay hub init`)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    reader = _Reader(path, data)
    url = reader.get("database", "url", str, required=True,
                     expected="a database URL such as sqlite:////path/hub.db or postgresql+psycopg://user:pw@host/db")
    if not (url.startswith("sqlite:") or url.startswith("postgresql")):
        raise ConfigError(f"{path}: [database] url = {url!r}; expected sqlite:///… or postgresql+psycopg://…")
    tls = reader.get("mqtt", "tls", bool, False, expected="true or false")
    mqtt = MqttSettings(
        host=reader.get("mqtt", "host", str, "127.0.0.1", expected="a host name or address"),
        port=reader.port("mqtt", "port", 8883 if tls else 1883),
        tls=tls,
        ca_file=reader.path_value("mqtt", "ca_file"),
        cert_file=reader.path_value("mqtt", "cert_file"),
        key_file=reader.path_value("mqtt", "key_file"),
        client_id=reader.get("mqtt", "client_id", str, "hub-1", expected="an MQTT client id"),
    )
    if tls and mqtt.ca_file is None:
        raise ConfigError(f"{path}: [mqtt] ca_file is missing; expected the CA file when tls = true")
    data_dir = reader.get("hub", "data_dir", str, None, expected="a directory path")
    currency = reader.get("orders", "currency", str, "EUR", expected="a three-letter ISO 4217 code")
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise ConfigError(f"{path}: [orders] currency = {currency!r}; expected a three-letter ISO 4217 code such as EUR")
    fiscal = reader.get("orders", "creditor_fiscal_code", str, "", expected="11 digits, or empty")
    if fiscal and not (len(fiscal) == 11 and fiscal.isdigit() and italy.is_valid_vat(fiscal)):
        raise ConfigError(f"{path}: [orders] creditor_fiscal_code = {fiscal!r}; expected the creditor office's "
                          "11-digit fiscal code with a correct check digit (or empty: no pagoPA notices)")
    segregation = reader.get("orders", "segregation_code", str, "01", expected="2 digits")
    if not (len(segregation) == 2 and segregation.isdigit()):
        raise ConfigError(f"{path}: [orders] segregation_code = {segregation!r}; expected 2 digits")
    return Settings(
        database_url=url,
        data_dir=Path(data_dir) if data_dir else path.parent.resolve(),
        mqtt=mqtt,
        api_host=reader.get("api", "host", str, "127.0.0.1", expected="a host name or address"),
        api_port=reader.port("api", "port", 8080),
        order_key_file=reader.path_value("keys", "order_key"),
        event_key_file=reader.path_value("keys", "event_key"),
        currency=currency, creditor_fiscal_code=fiscal, segregation_code=segregation,
        config_path=path.resolve(), raw=data,
    )
