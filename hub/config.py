"""The hub's configuration file (TOML): every setting, read and checked here and nowhere else.

`counterpay hub init` writes one; `load(path)` reads it into `Settings`.  A key or a
section that is not listed below is refused, as is a value of the wrong kind: the error
names the file, the key and what is expected, e.g.
``hub.toml: [delivery] max_in_flight = 0; expected an integer from 1 to 256``.
Relative file paths are relative to the configuration file.  Every key is optional except
``[database] url``; the value shown is the default.

    [hub]
    data_dir = "<the config file's folder>"   # pki/ (CA, certificates) and broker/ (mosquitto) live here

    [database]
    url = "sqlite:////var/lib/counterpay/hub/hub.db"   # required; or postgresql+psycopg://user:pw@host/db

    [mqtt]                            # how the hub's ingest connects to the broker
    host = "127.0.0.1"
    port = 1883                       # 8883 when tls = true
    tls = false                       # true: TLS with the hub's client certificate
    ca_file = "pki/ca.pem"            # the broker's CA; required when tls = true
    cert_file = "pki/hub.pem"         # the hub's client certificate; default <data_dir>/pki/hub.pem
    key_file = "pki/hub.key"          # its key; default <data_dir>/pki/hub.key
    client_id = "hub-1"               # the MQTT client id on a plain broker; the generated TLS broker
                                      # uses the certificate's CN instead (one certificate per worker)
    share_group = "hub"               # the shared-subscription group the ingest workers take turns in:
                                      # a site secret (the broker does not keep agents out of a group,
                                      # so one that knows the name steals turns); `hub init` writes a
                                      # random one, every worker of the site uses the same

    [api]                             # where `hub serve` answers HTTP (REST API, /docs, /metrics)
    host = "127.0.0.1"
    port = 8080
    metrics_access = "token"          # /metrics: "token" needs an API token of role metrics, auditor or
                                      # admin; "loopback" also answers requests from this machine without
                                      # one (a scraper beside the hub; behind a proxy every request looks local)

    [web]                             # the console `hub serve` answers at / (login at /login)
    secure_cookies = true             # false only for plain HTTP on loopback: browsers drop Secure cookies there
    idle_timeout_minutes = 30         # a session unused this long ends (1-1440)
    session_lifetime_hours = 12       # a session ends this long after login, used or not (1-720)
    login_max_failures = 5            # failed logins for one username within the window … (1-1000)
    login_max_failures_per_address = 20   # … or from one address (an office's NAT shares one) (1-10000)
    login_window_minutes = 15         # … and the next try waits until the oldest leaves it (1-1440)
    selfservice_max_failures = 10     # citizens' lookups at /self-service that found nothing, per address … (1-10000)
    selfservice_window_minutes = 15   # … within this window; then the next waits (1-1440)

    [keys]                            # without them `hub serve` makes throw-away keys at each start
    order_key = "keys/order.pem"      # signs payment order QRs
    event_key = "keys/event.pem"      # signs acks and commands to agents

    [orders]
    currency = "EUR"                  # ISO 4217: of orders imported from CSV rows that name none
    creditor_fiscal_code = ""         # pagoPA notices: the creditor office's 11-digit fiscal code; empty: none
    segregation_code = "01"           # pagoPA: the 2 digits that start every notice's IUV
    iban = ""                         # EPC/ZBP codes on notices of orders that name no bank account; empty: none
    beneficiary = ""                  # the payee's name on those codes when the account gives no holder
    language = "en"                   # notices and e-mails of payers who gave no language: en, it, pl, lv, el

    [delivery]                        # webhook confirmations to case systems
    poll_interval_s = 0.5             # how often to look for work queued by other processes (0.05-60)
    max_in_flight = 16                # requests at once, all case systems together (1-256)
    max_per_system = 8                # of which one case system may hold at most (1-256)
    request_timeout_s = 10            # one POST may take this long (0.5-300)
    first_retry_s = 2                 # backoff after failures: 2 s, 4 s, 8 s … (0.1-3600)
    max_backoff_s = 3600              # … up to this (1-86400)
    give_up_after_hours = 72          # then a dead letter (72 to 8760: never less than 72)

    [smtp]                            # the mail server notices are sent through (`hub notices send`)
    host = ""                         # empty: no e-mail; a PEC account is the same: its host, port 465, tls
    port = 587                        # default 587 with starttls, 465 with tls, 25 with none
    security = "starttls"             # "starttls" (upgrade after connecting), "tls" (TLS from the first byte,
                                      # as PEC providers ask) or "none" (loopback relays only; no login then)
    username = ""                     # empty: no AUTH
    password = ""                     # or password_file (not both); never in a log line
    password_file = "smtp.password"   # read at each send, first line; keep it 0600 like the hub's keys
    ca_file = ""                      # the CA that signed the server's certificate; empty: the system's
    sender = "Office <notices@example.org>"   # From: (required when host is set); a PEC box's own address
    reply_to = ""                     # Reply-To:, e.g. the office's desk; empty: none
    rate_per_second = 10              # at most this many messages a second (0.1-1000): providers throttle
    timeout_s = 30                    # one SMTP command may take this long (1-300)
    max_attempts = 5                  # temporary failures (4xx, connection lost) are retried this often … (1-50)
    first_retry_s = 5                 # … after 5 s, 10 s, 20 s … (0.01-3600; doubles, at most 1 hour)

    [broker]                          # the mosquitto `hub broker-config` / `hub up` write and start
    host = "<[mqtt] host>"            # what agents connect to (goes in the enrollment answer)
    port = 8883                       # the TLS listener; default [mqtt] port when [mqtt] tls = true
    bind = "0.0.0.0"                  # where mosquitto listens
    server_names = []                 # extra names/addresses in the broker certificate besides host
    user = "<whoever starts it>"      # the OS user mosquitto runs as
"""

from __future__ import annotations

import os
import pwd
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.config_smtp import SmtpSettings, read_smtp
from protocol.ids import iban, italy

PAYER_LANGUAGES = ("en", "it", "pl", "lv", "el")
"""The languages a notice or an e-mail to a payer can be written in (every catalogue's)."""

MIN_GIVE_UP_HOURS = 72.0
"""Confirmations are retried for at least 72 hours: a case system down over a weekend loses none."""

DEFAULT_TLS_PORT = 8883

METRICS_ACCESS = ("token", "loopback")
WELL_KNOWN_SHARE_GROUP = "hub"
"""The share group of configurations written before it was a secret; `hub serve` warns about it."""
SHARE_GROUP_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or holds a wrong value."""


@dataclass
class MqttSettings:
    """[mqtt]"""
    host: str = "127.0.0.1"
    port: int = 1883
    tls: bool = False
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    client_id: str = "hub-1"
    share_group: str = WELL_KNOWN_SHARE_GROUP

    def __repr__(self) -> str:     # the share group is a secret: never in a log line or a traceback
        return (f"MqttSettings(host={self.host!r}, port={self.port}, tls={self.tls}, client_id={self.client_id!r}, "
                "share_group=<secret>)")


@dataclass(frozen=True)
class DeliverySettings:
    """[delivery]"""
    poll_interval_s: float = 0.5
    max_in_flight: int = 16
    max_per_system: int = 8
    request_timeout_s: float = 10.0
    first_retry_s: float = 2.0
    max_backoff_s: float = 3600.0
    give_up_after_hours: float = MIN_GIVE_UP_HOURS


@dataclass(frozen=True)
class WebSettings:
    """[web]"""
    secure_cookies: bool = True
    idle_timeout_minutes: int = 30
    session_lifetime_hours: int = 12
    login_max_failures: int = 5
    login_max_failures_per_address: int = 20
    login_window_minutes: int = 15
    selfservice_max_failures: int = 10
    selfservice_window_minutes: int = 15


def _current_user() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name


@dataclass(frozen=True)
class BrokerSettings:
    """[broker]; `server_names` holds `host` first, then the extra names."""
    host: str = "127.0.0.1"
    port: int = DEFAULT_TLS_PORT
    bind: str = "0.0.0.0"
    server_names: tuple[str, ...] = ()
    # mosquitto started as root drops to the 'mosquitto' user, which cannot read the hub's
    # 0600 key files; so by default it stays the user that starts it (never root in production).
    user: str = field(default_factory=_current_user)


@dataclass
class Settings:
    database_url: str                          # [database] url
    data_dir: Path                             # [hub] data_dir
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    api_host: str = "127.0.0.1"                # [api] host
    api_port: int = 8080                       # [api] port
    metrics_access: str = "token"              # [api] metrics_access: token | loopback
    order_key_file: Path | None = None         # [keys] order_key
    event_key_file: Path | None = None         # [keys] event_key
    currency: str = "EUR"                      # [orders] currency
    creditor_fiscal_code: str = ""             # [orders]; empty: this hub issues no pagoPA notices
    segregation_code: str = "01"               # [orders]
    iban: str = ""                             # [orders]; the notices' account when an order names none
    beneficiary: str = ""                      # [orders]
    language: str = "en"                       # [orders]; a payer's language when the order names none
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    web: WebSettings = field(default_factory=WebSettings)
    broker: BrokerSettings = field(default_factory=BrokerSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    config_path: Path | None = None


KEYS: dict[str, tuple[str, ...]] = {
    "hub": ("data_dir",),
    "database": ("url",),
    "mqtt": ("host", "port", "tls", "ca_file", "cert_file", "key_file", "client_id", "share_group"),
    "api": ("host", "port", "metrics_access"),
    "web": ("secure_cookies", "idle_timeout_minutes", "session_lifetime_hours", "login_max_failures",
            "login_max_failures_per_address", "login_window_minutes", "selfservice_max_failures",
            "selfservice_window_minutes"),
    "keys": ("order_key", "event_key"),
    "orders": ("currency", "creditor_fiscal_code", "segregation_code", "iban", "beneficiary", "language"),
    "delivery": ("poll_interval_s", "max_in_flight", "max_per_system", "request_timeout_s", "first_retry_s",
                 "max_backoff_s", "give_up_after_hours"),
    "smtp": ("host", "port", "security", "username", "password", "password_file", "ca_file", "sender", "reply_to",
             "rate_per_second", "timeout_s", "max_attempts", "first_retry_s"),
    "broker": ("host", "port", "bind", "server_names", "user"),
}
"""Every section of the hub configuration and its keys, in the order the docstring lists them."""


class _Reader:
    """Typed look-ups in the parsed file; refuses sections and keys that KEYS does not know."""

    def __init__(self, path: Path, data: dict[str, Any]):
        self.path, self.data = path, data
        sections = ", ".join(f"[{name}]" for name in KEYS)
        for name, table in data.items():
            if name not in KEYS:
                shown = f"[{name}]" if isinstance(table, dict) else f"{name} = {table!r}"
                raise ConfigError(f"{path}: {shown} is not a section of the hub configuration; "
                                  f"expected one of {sections}")
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: {name} = {table!r}; expected a table [{name}] with keys "
                                  f"{', '.join(KEYS[name])}")
            for key, value in table.items():
                if key not in KEYS[name]:
                    raise ConfigError(f"{self._where(name, key)} = {value!r}; expected one of the [{name}] keys "
                                      f"{', '.join(KEYS[name])}")

    def _where(self, section: str, key: str) -> str:
        return f"{self.path}: [{section}] {key}"

    def where(self, section: str, key: str) -> str:
        """'<file>: [section] key', how every error names a setting (for the section modules)."""
        return self._where(section, key)

    def refuse(self, text: str) -> "ConfigError":
        """An error about this file: '<file>: <text>'."""
        return ConfigError(f"{self.path}: {text}")

    def has(self, section: str, key: str) -> bool:
        return key in self.data.get(section, {})

    def get(self, section: str, key: str, kind: type, default: Any = None, *, required: bool = False,
            expected: str = "") -> Any:
        table = self.data.get(section, {})
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

    def choice(self, section: str, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(section, key, str, default, expected="one of " + ", ".join(choices))
        if value not in choices:
            raise ConfigError(f"{self._where(section, key)} = {value!r}; expected one of {', '.join(choices)}")
        return value

    def port(self, section: str, key: str, default: int) -> int:
        value = self.get(section, key, int, default, expected="(a TCP port 1-65535)")
        if not 1 <= value <= 65535:
            raise ConfigError(f"{self._where(section, key)} = {value}; expected a TCP port 1-65535")
        return value

    def number(self, section: str, key: str, default: float, low: float, high: float, *,
               integer: bool = False) -> Any:
        value = self.data.get(section, {}).get(key, default)
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
            what = "an integer" if integer else "a number"
            raise ConfigError(f"{self._where(section, key)} = {value!r}; expected {what} from {low:g} to {high:g}")
        return value

    def path_value(self, section: str, key: str) -> Path | None:
        value = self.get(section, key, str, expected="a file path (string)")
        if value is None:
            return None
        return (self.path.parent / value).resolve() if not Path(value).is_absolute() else Path(value)

    def names(self, section: str, key: str) -> list[str]:
        value = self.get(section, key, list, [], expected="a list of host names or IP addresses")
        if not all(isinstance(name, str) and name for name in value):
            raise ConfigError(f"{self._where(section, key)} = {value!r}; expected a list of host names or IP addresses")
        return value


def _mqtt(reader: _Reader) -> MqttSettings:
    tls = reader.get("mqtt", "tls", bool, False, expected="true or false")
    mqtt = MqttSettings(
        host=reader.get("mqtt", "host", str, "127.0.0.1", expected="a host name or address"),
        port=reader.port("mqtt", "port", DEFAULT_TLS_PORT if tls else 1883),
        tls=tls,
        ca_file=reader.path_value("mqtt", "ca_file"),
        cert_file=reader.path_value("mqtt", "cert_file"),
        key_file=reader.path_value("mqtt", "key_file"),
        client_id=reader.get("mqtt", "client_id", str, "hub-1", expected="an MQTT client id"),
        share_group=reader.get("mqtt", "share_group", str, WELL_KNOWN_SHARE_GROUP,
                               expected="1-64 letters, digits, '_' or '-'"),
    )
    if not SHARE_GROUP_RE.match(mqtt.share_group):
        # The value is not echoed: it is meant to be a secret.
        raise ConfigError(f"{reader.path}: [mqtt] share_group is not a valid group name; expected 1-64 letters, "
                          "digits, '_' or '-' (an MQTT shared-subscription name has no '/', '+' or '#')")
    if tls and mqtt.ca_file is None:
        raise ConfigError(f"{reader.path}: [mqtt] ca_file is missing; expected the CA file when tls = true")
    return mqtt


def _orders(reader: _Reader) -> dict[str, str]:
    path = reader.path
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
    account = iban.compact(reader.get("orders", "iban", str, "", expected="an IBAN, or empty")).upper()
    if account and not iban.is_valid(account):
        raise ConfigError(f"{path}: [orders] iban = {account!r}; expected a valid IBAN (its check digits and its "
                          "country's format), or empty: notices of orders naming no account carry no EPC/ZBP code")
    beneficiary = reader.get("orders", "beneficiary", str, "", expected="the payee's name")
    if len(beneficiary) > 70 or "\n" in beneficiary:
        raise ConfigError(f"{path}: [orders] beneficiary = {beneficiary!r}; expected one line of at most 70 "
                          "characters (an EPC code's limit)")
    language = reader.get("orders", "language", str, "en", expected="a language code")
    if language not in PAYER_LANGUAGES:
        raise ConfigError(f"{path}: [orders] language = {language!r}; expected one of {', '.join(PAYER_LANGUAGES)}")
    return {"currency": currency, "creditor_fiscal_code": fiscal, "segregation_code": segregation,
            "iban": account, "beneficiary": beneficiary, "language": language}


def _delivery(reader: _Reader) -> DeliverySettings:
    return DeliverySettings(
        poll_interval_s=reader.number("delivery", "poll_interval_s", 0.5, 0.05, 60),
        max_in_flight=reader.number("delivery", "max_in_flight", 16, 1, 256, integer=True),
        max_per_system=reader.number("delivery", "max_per_system", 8, 1, 256, integer=True),
        request_timeout_s=reader.number("delivery", "request_timeout_s", 10.0, 0.5, 300),
        first_retry_s=reader.number("delivery", "first_retry_s", 2.0, 0.1, 3600),
        max_backoff_s=reader.number("delivery", "max_backoff_s", 3600.0, 1, 24 * 3600),
        give_up_after_hours=reader.number("delivery", "give_up_after_hours", MIN_GIVE_UP_HOURS, MIN_GIVE_UP_HOURS,
                                          24 * 365),
    )


def _web(reader: _Reader) -> WebSettings:
    return WebSettings(
        secure_cookies=reader.get("web", "secure_cookies", bool, True, expected="true or false"),
        idle_timeout_minutes=reader.number("web", "idle_timeout_minutes", 30, 1, 1440, integer=True),
        session_lifetime_hours=reader.number("web", "session_lifetime_hours", 12, 1, 720, integer=True),
        login_max_failures=reader.number("web", "login_max_failures", 5, 1, 1000, integer=True),
        login_max_failures_per_address=reader.number("web", "login_max_failures_per_address", 20, 1, 10000,
                                                     integer=True),
        login_window_minutes=reader.number("web", "login_window_minutes", 15, 1, 1440, integer=True),
        selfservice_max_failures=reader.number("web", "selfservice_max_failures", 10, 1, 10000, integer=True),
        selfservice_window_minutes=reader.number("web", "selfservice_window_minutes", 15, 1, 1440, integer=True),
    )


def _broker(reader: _Reader, mqtt: MqttSettings) -> BrokerSettings:
    host = reader.get("broker", "host", str, mqtt.host, expected="a host name or address agents can reach")
    port = reader.port("broker", "port", mqtt.port if mqtt.tls else DEFAULT_TLS_PORT)
    names = reader.names("broker", "server_names")
    extra = {}
    if reader.has("broker", "user"):
        extra["user"] = reader.get("broker", "user", str, expected="an OS user name")
    return BrokerSettings(host=host, port=port,
                          bind=reader.get("broker", "bind", str, "0.0.0.0", expected="an address to listen on"),
                          server_names=tuple(dict.fromkeys([host, *names])), **extra)


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
    data_dir = reader.get("hub", "data_dir", str, None, expected="a directory path")
    mqtt = _mqtt(reader)
    return Settings(
        database_url=url,
        data_dir=(path.parent / Path(data_dir).expanduser()).resolve() if data_dir else path.parent.resolve(),
        mqtt=mqtt,
        api_host=reader.get("api", "host", str, "127.0.0.1", expected="a host name or address"),
        api_port=reader.port("api", "port", 8080),
        metrics_access=reader.choice("api", "metrics_access", METRICS_ACCESS, "token"),
        order_key_file=reader.path_value("keys", "order_key"),
        event_key_file=reader.path_value("keys", "event_key"),
        **_orders(reader),
        delivery=_delivery(reader),
        web=_web(reader),
        broker=_broker(reader, mqtt),
        smtp=read_smtp(reader),
        config_path=path.resolve(),
    )
