"""A real SMTP server for the mail tests (aiosmtpd on a free loopback port) and the orders it mails.

`Mailbox` is the server's handler: it keeps every message it took, answers DATA from a
script (`data_answers`: e.g. ["451 4.3.0 try again later"], then 250), refuses named
recipients (`refuse_rcpt`), can cut the line after keeping a message (`drop_after_data`) and be slow (`delay_s`, after the message is kept and
before the answer: a sender killed then leaves the message delivered but unanswered).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import ipaddress
import ssl
import threading
from contextlib import contextmanager
from email.policy import default as default_policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.hub.config_support import settings_for
from tests.hub.search_rows import add_orders, order_row
from tests.support.broker import free_port

USERNAME, PASSWORD = "notices", "s3cret-pw"
SENDER = "Comune di Prova <avvisi@comune.example>"


class Mailbox:
    def __init__(self, *, data_answers: list[str] | None = None, refuse_rcpt: dict[str, str] | None = None,
                 delay_s: float = 0.0, drop_after_data: int = 0):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.data_answers = list(data_answers or [])
        self.refuse_rcpt = refuse_rcpt or {}
        self.delay_s = delay_s
        self.drop_after_data = drop_after_data      # this many messages: kept, then the line cut unanswered
        self.data_calls = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_calls += 1
            if self.data_answers:
                return self.data_answers.pop(0)
            self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            dropping, self.drop_after_data = self.drop_after_data > 0, max(0, self.drop_after_data - 1)
        if dropping:
            server.transport.abort()
            return "421 4.4.2 never seen by the client"
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return "250 2.0.0 queued"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [message["Message-ID"] for message in self.messages]

    def recipients(self) -> list[str]:
        with self.lock:
            return [rcpt for _, rcpts in self.envelopes for rcpt in rcpts]


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USERNAME.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)     # not handled: aiosmtpd answers 535 itself


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key (it is its own CA): (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@contextmanager
def smtp_server(mailbox: Mailbox, *, security: str = "none", cert: tuple[Path, Path] | None = None):
    """aiosmtpd on 127.0.0.1: plain; "starttls" requiring STARTTLS and AUTH; or "tls" from the first byte."""
    port = free_port()
    kwargs: dict = {}
    if security != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*map(str, cert))
        if security == "tls":
            kwargs["ssl_context"] = context
        else:
            kwargs |= {"tls_context": context, "require_starttls": True, "auth_required": True,
                       "authenticator": _authenticate}
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def mail_settings(tmp_path: Path, port: int, **smtp):
    """Settings (from a real configuration file) sending to 127.0.0.1:`port`, quick to retry."""
    section = {"host": "127.0.0.1", "port": port, "security": "none", "sender": SENDER,
               "reply_to": "sportello@comune.example", "rate_per_second": 1000, "timeout_s": 5,
               "first_retry_s": 0.05} | smtp
    return settings_for(tmp_path, smtp=section, orders={"language": "it"})


def add_mail_orders(db, count: int, **columns) -> list[str]:
    """`count` unpaid orders of office A with payer e-mails payer<n>@example.org; their ids."""
    ids = [f"ORDM{n:05d}" for n in range(count)]
    add_orders(db, [order_row(order_id, **({"payer_name": f"Payer {n}", "payer_email": f"payer{n}@example.org",
                                            "due_date": "2026-12-31"} | columns))
                    for n, order_id in enumerate(ids)])
    return ids
