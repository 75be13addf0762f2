"""The hub configuration loader: what it refuses, and how it says so (file, key, what is expected)."""

from __future__ import annotations

import re

import pytest

from hub import config as hub_config
from hub.config import KEYS, ConfigError, load
from hub.setup import init_hub

DATABASE = '[database]\nurl = "sqlite:///hub.db"\n'


def _load(tmp_path, text: str):
    path = tmp_path / "hub.toml"
    path.write_text(text)
    return load(path)


def _refused(tmp_path, text: str, pattern: str) -> None:
    with pytest.raises(ConfigError, match=pattern) as caught:
        _load(tmp_path, text)
    assert str(caught.value).startswith(f"{tmp_path / 'hub.toml'}: "), "every error names the file first"


def test_an_unknown_key_is_refused_with_the_keys_its_section_has(tmp_path):
    _refused(tmp_path, DATABASE + "[delivery]\nspeed = 1\n",
             r"\[delivery\] speed = 1; expected one of the \[delivery\] keys poll_interval_s, max_in_flight")
    _refused(tmp_path, DATABASE + '[mqtt]\nclientid = "hub-2"\n',
             r"\[mqtt\] clientid = 'hub-2'; expected one of the \[mqtt\] keys host, port, tls")


def test_an_unknown_section_is_refused_with_the_sections_there_are(tmp_path):
    _refused(tmp_path, DATABASE + "[pki]\nroot = 'pki'\n",
             r"\[pki\] is not a section of the hub configuration; expected one of \[hub\], \[database\], .*\[broker\]")
    _refused(tmp_path, 'url = "sqlite:///hub.db"\n' + DATABASE,
             r"url = 'sqlite:///hub.db' is not a section of the hub configuration")


def test_a_section_that_is_not_a_table_is_refused(tmp_path):
    _refused(tmp_path, 'database = "sqlite:///hub.db"\n', r"database = 'sqlite:///hub.db'; expected a table \[database\]")


@pytest.mark.parametrize("section, line, expected", [
    ("delivery", "max_in_flight = 0", r"\[delivery\] max_in_flight = 0; expected an integer from 1 to 256"),
    ("delivery", "max_in_flight = 2.5", r"\[delivery\] max_in_flight = 2.5; expected an integer from 1 to 256"),
    ("delivery", 'max_per_system = "many"', r"\[delivery\] max_per_system = 'many'; expected an integer"),
    ("delivery", "give_up_after_hours = 10", r"\[delivery\] give_up_after_hours = 10; expected a number from 72 "),
    ("delivery", "poll_interval_s = true", r"\[delivery\] poll_interval_s = True; expected a number"),
    ("delivery", "request_timeout_s = 0.1", r"\[delivery\] request_timeout_s = 0.1; expected a number from 0.5 to 300"),
    ("delivery", "first_retry_s = 0", r"\[delivery\] first_retry_s = 0; expected a number from 0.1 to 3600"),
    ("delivery", "max_backoff_s = 100000", r"\[delivery\] max_backoff_s = 100000; expected a number from 1 to 86400"),
    ("mqtt", "port = 70000", r"\[mqtt\] port = 70000; expected a TCP port 1-65535"),
    ("mqtt", 'tls = "yes"', r"\[mqtt\] tls = 'yes'; expected true or false"),
    ("mqtt", "tls = true", r"\[mqtt\] ca_file is missing; expected the CA file when tls = true"),
    ("mqtt", "client_id = 7", r"\[mqtt\] client_id = 7; expected an MQTT client id"),
    ("mqtt", "share_group = 7", r"\[mqtt\] share_group = 7; expected 1-64 letters, digits"),
    # A wrong group name is not echoed: the value is meant to be a secret.
    ("mqtt", 'share_group = "a/b"', r"\[mqtt\] share_group is not a valid group name; expected 1-64 letters"),
    ("api", 'port = "8080"', r"\[api\] port = '8080'; expected an integer \(a TCP port 1-65535\)"),
    ("keys", "order_key = 1", r"\[keys\] order_key = 1; expected a file path"),
    ("orders", 'currency = "euro"', r"\[orders\] currency = 'euro'; expected a three-letter ISO 4217 code"),
    ("orders", 'creditor_fiscal_code = "00311260096"', r"\[orders\] creditor_fiscal_code = '00311260096'; "
                                                        r"expected the creditor office's 11-digit fiscal code"),
    ("orders", 'segregation_code = "1"', r"\[orders\] segregation_code = '1'; expected 2 digits"),
    ("broker", "port = 0", r"\[broker\] port = 0; expected a TCP port 1-65535"),
    ("broker", 'server_names = "hub.local"', r"\[broker\] server_names = 'hub.local'; expected a list of host names"),
    ("broker", "server_names = [1]", r"\[broker\] server_names = \[1\]; expected a list of host names"),
    ("broker", "user = 0", r"\[broker\] user = 0; expected an OS user name"),
    ("hub", "data_dir = 1", r"\[hub\] data_dir = 1; expected a directory path"),
])
def test_a_wrong_value_names_the_key_and_what_is_expected(tmp_path, section, line, expected):
    _refused(tmp_path, f"{DATABASE}[{section}]\n{line}\n", expected)


def test_the_database_url_is_required_and_must_be_sqlite_or_postgresql(tmp_path):
    _refused(tmp_path, "[api]\nport = 8080\n", r"\[database\] url is missing; expected a database URL")
    _refused(tmp_path, '[database]\nurl = "mysql://x"\n', r"\[database\] url = 'mysql://x'; expected sqlite")


def test_a_missing_or_broken_file_says_so(tmp_path):
    with pytest.raises(ConfigError, match=r"does not exist \(create one with `counterpay hub init`\)"):
        load(tmp_path / "nowhere.toml")
    _refused(tmp_path, "[database\n", "not valid TOML")


def test_defaults_fill_what_the_file_leaves_out(tmp_path):
    settings = _load(tmp_path, DATABASE + '[mqtt]\nhost = "mqtt.office"\ntls = true\nca_file = "ca.pem"\n')
    assert settings.data_dir == tmp_path.resolve()
    assert settings.mqtt.port == 8883 and settings.mqtt.ca_file == (tmp_path / "ca.pem").resolve()
    assert (settings.broker.host, settings.broker.port, settings.broker.bind) == ("mqtt.office", 8883, "0.0.0.0")
    assert settings.broker.server_names == ("mqtt.office",)
    assert settings.delivery == hub_config.DeliverySettings()
    assert settings.delivery.give_up_after_hours == 72


def test_the_file_hub_init_writes_is_accepted_and_uses_only_known_keys(tmp_path):
    init_hub(tmp_path / "hub")
    text = (tmp_path / "hub" / "hub.toml").read_text()
    settings = load(tmp_path / "hub" / "hub.toml")
    assert settings.mqtt.tls and settings.data_dir == (tmp_path / "hub").resolve()
    written = {(section, key) for section, body in re.findall(r"(?ms)^\[(\w+)\]\n(.*?)(?=^\[|\Z)", text)
               for key in re.findall(r"(?m)^(\w+) =", body)}
    assert written <= {(section, key) for section, keys in KEYS.items() for key in keys}


def test_every_known_key_is_documented_in_the_module_docstring_and_nothing_else_is():
    documented, section = set(), None
    for line in hub_config.__doc__.splitlines():
        if found := re.match(r"\s+\[(\w+)\]", line):
            section = found.group(1)
        elif section and (found := re.match(r"\s+(\w+) = ", line)):
            documented.add((section, found.group(1)))
    assert documented == {(section, key) for section, keys in KEYS.items() for key in keys}
