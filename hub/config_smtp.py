"""The hub configuration's [smtp] section: the mail server notices go out through.

Documented with every other key at the top of hub/config.py, which reads it through
`read_smtp(reader)`; kept apart so that module stays one screenful per section.  A PEC
(posta elettronica certificata) account is an ordinary SMTP account over implicit TLS:
`security = "tls"`, port 465, the provider's host, the box's address as `sender`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")

SMTP_SECURITY = ("starttls", "tls", "none")
SMTP_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


class SmtpPasswordUnreadable(ValueError):
    """[smtp] password_file cannot be read when a send needs it; the message names the file."""


@dataclass(frozen=True)
class SmtpSettings:
    """[smtp]; `host` empty: this hub sends no e-mail.  `secret()` reads the password when it is used."""
    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    password: str = field(default="", repr=False)
    password_file: Path | None = None
    ca_file: Path | None = None
    sender: str = ""
    reply_to: str = ""
    rate_per_second: float = 10.0
    timeout_s: float = 30.0
    max_attempts: int = 5
    first_retry_s: float = 5.0

    @property
    def configured(self) -> bool:
        return bool(self.host)

    def secret(self) -> str:
        """The password, from the file each time (a rotated password needs no restart)."""
        if self.password_file is None:
            return self.password
        try:
            lines = self.password_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise SmtpPasswordUnreadable(f"[smtp] password_file {self.password_file}: cannot be read "
                                         f"({exc.strerror}); expected a file holding the password") from None
        return lines[0] if lines else ""


def _address(reader, key: str, value: str) -> str:
    """One e-mail address, bare or as 'Name <addr>'; refused with the value when it is not one."""
    _name, address = parseaddr(value)
    if "\n" in value or "\r" in value or not EMAIL_RE.match(address):
        raise reader.refuse(f"{reader.where('smtp', key)} = {value!r}; expected an e-mail address such as "
                            "notices@example.org or \"Office <notices@example.org>\"")
    return value


def read_smtp(reader) -> SmtpSettings:
    security = reader.choice("smtp", "security", SMTP_SECURITY, "starttls")
    host = reader.get("smtp", "host", str, "", expected="the mail server's host name or address")
    username = reader.get("smtp", "username", str, "", expected="the SMTP login name")
    password = reader.get("smtp", "password", str, "", expected="the SMTP password")
    password_file = reader.path_value("smtp", "password_file")
    if password and password_file is not None:
        raise reader.refuse("[smtp] password and password_file are both set; expected one of them "
                            "(password_file keeps the secret out of this file)")
    if username and security == "none":
        raise reader.refuse("[smtp] username is set with security = \"none\"; expected security = "
                            "\"starttls\" or \"tls\": a login over a plain connection sends the password in clear")
    sender = reader.get("smtp", "sender", str, "", expected="an e-mail address")
    reply_to = reader.get("smtp", "reply_to", str, "", expected="an e-mail address, or empty")
    if host and not sender:
        raise reader.refuse("[smtp] sender is missing; expected the From: address of notices, "
                            "e.g. \"Office <notices@example.org>\" (the PEC box's own address for PEC)")
    return SmtpSettings(
        host=host, port=reader.port("smtp", "port", SMTP_DEFAULT_PORTS[security]), security=security,
        username=username, password=password, password_file=password_file,
        ca_file=reader.path_value("smtp", "ca_file"),
        sender=_address(reader, "sender", sender) if sender else "",
        reply_to=_address(reader, "reply_to", reply_to) if reply_to else "",
        rate_per_second=float(reader.number("smtp", "rate_per_second", 10.0, 0.1, 1000)),
        timeout_s=float(reader.number("smtp", "timeout_s", 30.0, 1, 300)),
        max_attempts=reader.number("smtp", "max_attempts", 5, 1, 50, integer=True),
        first_retry_s=float(reader.number("smtp", "first_retry_s", 5.0, 0.01, 3600)),
    )
