"""Writing a hub configuration file for a test and loading it as `hub serve` would."""

from __future__ import annotations

import json
from pathlib import Path

from hub.config import Settings, load


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, Path)):
        return json.dumps(str(value))
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return repr(value)


def write_config(path: Path, sections: dict[str, dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"[{name}]\n" + "".join(f"{key} = {_value(value)}\n" for key, value in keys.items())
                            for name, keys in sections.items()), encoding="utf-8")
    return path


def settings_for(tmp_path: Path, **sections: dict) -> Settings:
    """The settings from a file in tmp_path/etc (so its folder is not the hub's data_dir)."""
    sections.setdefault("database", {"url": f"sqlite:///{tmp_path / 'hub.db'}"})
    return load(write_config(tmp_path / "etc" / "hub.toml", sections))
