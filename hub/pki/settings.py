"""What the PKI and broker parts need to know from the hub configuration.

The hub configuration file is TOML (hub/config.py owns its full shape).  This module
reads only what it needs, from ``[broker]``, ``[hub] data_dir`` and ``[mqtt]``, so the
broker configuration can be written before anything else of the hub runs:

    [hub]
    data_dir = "/var/lib/counterpay-hub"   # optional; default: the config file's folder; pki/ and broker/ go here

    [broker]
    host = "hub.example.org"      # what agents connect to (goes in the enrollment answer); default [mqtt] host
    port = 8883                   # the TLS listener; default [mqtt] port when [mqtt] tls = true
    bind = "0.0.0.0"              # where mosquitto listens
    server_names = ["hub.example.org", "10.0.0.5"]   # extra SANs of the broker certificate
    user = "counterpay"           # the OS user mosquitto runs as (default: whoever starts it)
"""

from __future__ import annotations

import os
import pwd
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from hub.pki.ca import PkiPaths

DEFAULT_TLS_PORT = 8883


class SettingsProblem(ValueError):
    """The hub configuration does not say what the PKI needs; the message says what."""


@dataclass(frozen=True)
class BrokerSettings:
    hub_dir: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_TLS_PORT
    bind: str = "0.0.0.0"
    server_names: tuple[str, ...] = ()
    # mosquitto started as root drops to the 'mosquitto' user, which cannot read the hub's
    # 0600 key files; so by default it stays the user that starts it (never root in production).
    user: str = field(default_factory=lambda: pwd.getpwuid(os.geteuid()).pw_name)

    @property
    def pki(self) -> PkiPaths:
        return PkiPaths.under(self.hub_dir)

    @property
    def broker_dir(self) -> Path:
        return self.hub_dir / "broker"

    @property
    def config_path(self) -> Path:
        return self.broker_dir / "mosquitto.conf"

    @property
    def acl_path(self) -> Path:
        return self.broker_dir / "acl"

    @property
    def log_path(self) -> Path:
        return self.broker_dir / "mosquitto.log"

    @property
    def pid_path(self) -> Path:
        return self.broker_dir / "mosquitto.pid"

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any], default_dir: Path) -> "BrokerSettings":
        broker = config.get("broker") or {}
        hub_table = config.get("hub") or {}
        mqtt = config.get("mqtt") or {}
        if not all(isinstance(t, Mapping) for t in (broker, hub_table, mqtt)):
            raise SettingsProblem("[broker], [hub] and [mqtt] in the hub configuration must be tables")
        hub_dir = Path(config.get("hub_dir") or hub_table.get("data_dir") or config.get("data_dir")
                       or default_dir).expanduser()
        if not hub_dir.is_absolute():
            hub_dir = (default_dir / hub_dir).resolve()
        try:
            default_port = mqtt.get("port", DEFAULT_TLS_PORT) if mqtt.get("tls") else DEFAULT_TLS_PORT
            port = int(broker.get("port", default_port))
        except (TypeError, ValueError):
            raise SettingsProblem(f"[broker] port must be a number, got {broker.get('port')!r}") from None
        if not 0 < port < 65536:
            raise SettingsProblem(f"[broker] port {port} is not a TCP port")
        names = broker.get("server_names") or []
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise SettingsProblem("[broker] server_names must be a list of host names or IP addresses")
        host = str(broker.get("host", mqtt.get("host", "127.0.0.1")))
        extra = {"bind": str(broker.get("bind", "0.0.0.0"))}
        if broker.get("user"):
            extra["user"] = str(broker["user"])
        return cls(hub_dir=hub_dir, host=host, port=port, server_names=tuple(dict.fromkeys([host, *names])),
                   **extra)

    @classmethod
    def from_file(cls, path: Path) -> "BrokerSettings":
        path = Path(path)
        try:
            config = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsProblem(f"hub configuration {path} does not exist: run `counterpay hub init` first") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsProblem(f"hub configuration {path} is not valid TOML: {exc}") from None
        return cls.from_mapping(config, path.resolve().parent)

    @classmethod
    def from_config(cls, config: Any, default_dir: Path | None = None) -> "BrokerSettings":
        """From a path, a mapping, hub.config.Settings, or any object with `hub_dir`/`data_dir` and `broker`."""
        if isinstance(config, BrokerSettings):
            return config
        raw = getattr(config, "raw", None)
        if isinstance(raw, Mapping):          # hub.config.Settings: its parsed TOML and resolved data_dir
            mapping = dict(raw)
            mapping["hub_dir"] = getattr(config, "data_dir", None) or mapping.get("hub_dir")
            config_path = getattr(config, "config_path", None)
            base = Path(config_path).parent if config_path else Path(default_dir or ".")
            return cls.from_mapping(mapping, base)
        if isinstance(config, (str, Path)):
            return cls.from_file(Path(config))
        if isinstance(config, Mapping):
            return cls.from_mapping(config, Path(default_dir or "."))
        mapping: dict[str, Any] = {}
        for name in ("hub_dir", "data_dir"):
            if getattr(config, name, None):
                mapping[name] = getattr(config, name)
        broker = getattr(config, "broker", None)
        if broker is not None:
            mapping["broker"] = broker if isinstance(broker, Mapping) else {
                k: getattr(broker, k) for k in ("host", "port", "bind", "server_names", "user")
                if getattr(broker, k, None) is not None}
        return cls.from_mapping(mapping, Path(default_dir or "."))
