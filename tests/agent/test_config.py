"""Configuration errors name the file, the key and what is expected."""

from __future__ import annotations

import pytest

from agent.config import ConfigError, load

GOOD = """
[agent]
id = "riga-desk-01"
office = "Riga 1"
data_dir = "data"
[hub]
broker = "mqtts://hub.example:8883"
[terminal]
protocol = "zvt"
device = "/dev/ttyUSB0"
[printer]
kind = "network"
host = "10.0.0.9"
columns = 48
"""


def write(tmp_path, text: str):
    path = tmp_path / "agent.toml"
    path.write_text(text)
    return path


def test_a_good_file_loads_with_paths_relative_to_it(tmp_path):
    config = load(write(tmp_path, GOOD))
    assert config.agent_id == "riga-desk-01"
    assert config.store_path == tmp_path / "data" / "agent.db"
    assert config.key_dir == tmp_path / "data" / "keys"
    assert config.terminal.protocol == "zvt" and config.printer.columns == 48 and config.printer.port == 9100


@pytest.mark.parametrize("change, expected", [
    (("columns = 48", "columns = 40"), r"\[printer\] columns: expected 42 or 48, got 40"),
    (('id = "riga-desk-01"', 'id = "Riga Desk"'), r"\[agent\] id: expected 1-63 lower-case"),
    (('protocol = "zvt"', 'protocol = "pos"'), r"\[terminal\] protocol: expected 'zvt' or 'concert'"),
    (('broker = "mqtts://hub.example:8883"', 'broker = "http://hub"'), r"\[hub\] broker: expected mqtt://"),
    (('office = "Riga 1"', 'office = 7'), r"\[agent\] office: expected the office name"),
    (('host = "10.0.0.9"', ''), r"\[printer\] host is missing"),
    (('device = "/dev/ttyUSB0"', ''), r"\[terminal\] device is missing"),
])
def test_errors_name_file_key_and_expectation(tmp_path, change, expected):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError, match=expected) as info:
        load(path)
    assert str(path) in str(info.value)


def test_corrupt_toml_says_where(tmp_path):
    path = write(tmp_path, GOOD + "\n[agent\nbroken = ")
    with pytest.raises(ConfigError, match="not valid TOML.*line"):
        load(path)


def test_binary_garbage_and_missing_file(tmp_path):
    path = tmp_path / "agent.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load(tmp_path / "missing.toml")


def test_ui_section_sets_language_kiosk_idle_reset_and_scanner(tmp_path):
    config = load(write(tmp_path, GOOD + '[ui]\nlanguage = "lv"\nidle_reset_s = 45\nscanner = "/dev/ttyACM0"\n'
                                        'scanner_terminator = "LF"\n'))
    assert (config.ui.language, config.ui.idle_reset_s, config.ui.scanner, config.ui.scanner_terminator) == \
        ("lv", 45, "/dev/ttyACM0", "LF")
    assert load(write(tmp_path, GOOD)).ui.idle_reset_s == 90


@pytest.mark.parametrize("line, expected", [
    ("idle_reset_s = 2", r"\[ui\] idle_reset_s: expected at least 10 seconds, got 2"),
    ('scanner_terminator = "ETX"', r"\[ui\] scanner_terminator: expected CR \| LF"),
    ('language = "Latvian"', r"\[ui\] language: expected a language code"),
])
def test_ui_section_errors_name_the_key(tmp_path, line, expected):
    with pytest.raises(ConfigError, match=expected):
        load(write(tmp_path, GOOD + f"[ui]\n{line}\n"))
