"""[smtp]: each key is read and checked; a wrong value is refused naming the key and what is expected.

That the values work against a real server (STARTTLS with AUTH, implicit TLS, ca_file,
password_file, rate and retries) is proven in test_mail_send.py.
"""

from __future__ import annotations

import pytest

from hub.config import ConfigError
from hub.config_smtp import SmtpPasswordUnreadable, SmtpSettings
from tests.hub.config_support import settings_for

PEC = {"host": "smtps.pec.example.it", "security": "tls", "username": "comune@pec.example.it",
       "password_file": "pec.password", "sender": "Comune <comune@pec.example.it>"}


def test_without_an_smtp_section_the_hub_sends_no_email(tmp_path):
    assert settings_for(tmp_path).smtp == SmtpSettings() and not SmtpSettings().configured


def test_a_pec_account_is_tls_on_port_465_with_the_password_read_from_its_file_at_use(tmp_path):
    smtp = settings_for(tmp_path, smtp=PEC).smtp
    assert (smtp.security, smtp.port, smtp.username) == ("tls", 465, "comune@pec.example.it")
    assert smtp.password_file == tmp_path / "etc" / "pec.password"
    with pytest.raises(SmtpPasswordUnreadable, match="pec.password: cannot be read"):
        smtp.secret()
    smtp.password_file.write_text("first-line\nignored\n")
    assert smtp.secret() == "first-line"


def test_the_default_port_follows_security(tmp_path):
    ports = {security: settings_for(tmp_path, smtp={"host": "h", "sender": "a@b.example", "security": security}).smtp.port
             for security in ("starttls", "tls", "none")}
    assert ports == {"starttls": 587, "tls": 465, "none": 25}


def test_the_password_is_never_in_the_settings_repr(tmp_path):
    smtp = settings_for(tmp_path, smtp={"host": "h", "sender": "a@b.example", "username": "u", "password": "hunter2"}).smtp
    assert smtp.secret() == "hunter2" and "hunter2" not in repr(smtp)


@pytest.mark.parametrize("smtp, expected", [
    ({"host": "h", "sender": "a@b.example", "security": "ssl"}, r"\[smtp\] security = 'ssl'; expected one of starttls, tls, none"),
    ({"host": "h"}, r"\[smtp\] sender is missing"),
    ({"host": "h", "sender": "not an address"}, r"\[smtp\] sender = 'not an address'; expected an e-mail address"),
    ({"host": "h", "sender": "a@b.example", "reply_to": "x@"}, r"\[smtp\] reply_to = 'x@'; expected an e-mail"),
    ({"host": "h", "sender": "a@b.example", "password": "p", "password_file": "f"}, "both set; expected one of them"),
    ({"host": "h", "sender": "a@b.example", "security": "none", "username": "u"}, "sends the password in clear"),
    ({"host": "h", "sender": "a@b.example", "rate_per_second": 0}, r"rate_per_second = 0; expected a number from 0.1 to 1000"),
    ({"host": "h", "sender": "a@b.example", "max_attempts": 0}, r"max_attempts = 0; expected an integer from 1 to 50"),
    ({"host": "h", "sender": "a@b.example", "port": 70000}, r"port = 70000; expected a TCP port"),
    ({"host": "h", "sender": "a@b.example", "pasword": "p"}, r"expected one of the \[smtp\] keys"),
])
def test_a_wrong_smtp_value_is_refused_naming_the_key(tmp_path, smtp, expected):
    with pytest.raises(ConfigError, match=expected):
        settings_for(tmp_path, smtp=smtp)
