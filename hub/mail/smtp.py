"""One SMTP (or PEC) connection, kept open across messages, and what the server said to each.

`SmtpTransport.deliver(sender, recipient, data)` runs MAIL, RCPT and DATA itself, so it
knows how far a message got when something breaks, and answers an `Outcome`:

- `sent`: the server took it (2xx after the data);
- `retry`: a 4xx answer (RFC 5321 §4.2.1: transient), or the connection failed or was
  lost *before* the message's data went out: nothing was delivered, trying again is safe;
- `refused`: a 5xx answer (permanent: the same message would be refused again);
- `unknown`: the connection was lost or timed out *after* the data went out and before
  the server's answer: it may have been delivered.  Sending again could mail it twice,
  so the caller does not (hub/mail/ledger.py).

A server that cannot be used at all — the login refused, STARTTLS not offered, its
certificate not trusted — raises `MailServerUnusable`: a configuration to fix, not a
message to count as failed.  `security`: "tls" is TLS from the first byte (port 465, as
PEC providers ask), "starttls" upgrades a plain connection and refuses a server that
does not offer it, "none" is for a relay on the same machine.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass

from hub.config_smtp import SmtpPasswordUnreadable, SmtpSettings

REPLY_LIMIT = 500
"""The server's answer is kept to this many characters (notice_messages.reply_text)."""

_LEADING_DOT = re.compile(rb"(?m)^\.")


class MailServerUnusable(RuntimeError):
    """The mail server cannot be used as configured; the message says what to fix in [smtp]."""


@dataclass(frozen=True)
class Outcome:
    kind: str                   # sent | retry | refused | unknown
    code: int | None            # the server's reply code; None where the server did not answer
    text: str

    @classmethod
    def of_reply(cls, code: int, text: bytes | str) -> "Outcome":
        said = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        said = " ".join(said.split())[:REPLY_LIMIT]
        if 200 <= code < 300:
            return cls("sent", code, said)
        return cls("refused" if 500 <= code < 600 else "retry", code, said)

    @classmethod
    def lost(cls, kind: str, exc: BaseException) -> "Outcome":
        return cls(kind, None, f"{type(exc).__name__}: {exc}"[:REPLY_LIMIT])


class SmtpTransport:
    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _context(self) -> ssl.SSLContext:
        cafile = str(self.settings.ca_file) if self.settings.ca_file else None
        return ssl.create_default_context(cafile=cafile)

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s, context=self._context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.secret())
            return smtp
        except smtplib.SMTPAuthenticationError as exc:
            raise MailServerUnusable(f"{s.host}:{s.port} refused the login of [smtp] username {s.username!r} "
                                     f"({exc.smtp_code} {_said(exc.smtp_error)}); check username and password") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise MailServerUnusable(f"{s.host}:{s.port} does not offer what [smtp] asks ({exc}); check security "
                                     "(starttls, tls or none) and port") from None
        except ssl.SSLCertVerificationError as exc:
            raise MailServerUnusable(f"{s.host}:{s.port}: its certificate is not trusted ({exc.verify_message}); "
                                     "set [smtp] ca_file to the CA that signed it") from None
        except SmtpPasswordUnreadable as exc:
            raise MailServerUnusable(str(exc)) from None

    def deliver(self, sender: str, recipient: str, data: bytes) -> Outcome:
        """Hand one message (`data`: CRLF lines, as EmailMessage.as_bytes(policy=SMTP)) to the server."""
        try:
            if self._smtp is None:
                self._smtp = self._open()
            smtp = self._smtp
            code, said = smtp.mail(sender)
            if code == 250:
                code, said = smtp.rcpt(recipient)
            if code in (250, 251):
                code, said = smtp.docmd("DATA")
            if code != 354:
                self._reset()
                return Outcome.of_reply(code, said)
        except UnicodeEncodeError as exc:
            # An address beyond ASCII needs SMTPUTF8 (RFC 6531), which this sender does not speak.
            self._reset()
            return Outcome("refused", None, f"the address is not ASCII: {exc.object!r}"[:REPLY_LIMIT])
        except smtplib.SMTPResponseException as exc:      # a 4xx/5xx greeting, or HELO refused
            self.close()
            return Outcome.of_reply(exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPException) as exc:   # refused, reset, timed out: nothing went out
            self.close()
            return Outcome.lost("retry", exc)
        try:
            body = _LEADING_DOT.sub(b"..", data)            # RFC 5321 §4.5.2 transparency
            if not body.endswith(b"\r\n"):
                body += b"\r\n"
            smtp.send(body + b".\r\n")
            code, said = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            return Outcome.lost("unknown", exc)
        return Outcome.of_reply(code, said)

    def _reset(self) -> None:
        """RSET after a refused MAIL/RCPT/DATA, so the next message starts clean; a broken line is dropped."""
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def _said(text: bytes | str) -> str:
    return (text.decode("utf-8", "replace") if isinstance(text, bytes) else text)[:200]
