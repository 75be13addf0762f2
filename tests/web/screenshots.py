"""Screenshots of the console for the README, taken by the browser tests so they stay current.

Taken only when CP_SCREENSHOTS=1 (`CP_SCREENSHOTS=1 pytest tests/web`): an ordinary test run
leaves docs/screenshots/ as committed.  The viewport's 1280×800 and PNG keep each one small.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def wanted() -> bool:
    return os.environ.get("CP_SCREENSHOTS") == "1"


def screenshot(page, name: str) -> Path | None:
    """Save what `page` shows as docs/screenshots/<name>.png when CP_SCREENSHOTS=1; returns the path."""
    if not _NAME.match(name):
        raise ValueError(f"screenshot name {name!r}: use lower-case letters, digits and dashes")
    if not wanted():
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
