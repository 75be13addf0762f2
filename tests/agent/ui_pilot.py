"""Helpers for pilot tests: what the screen shows as text, and waiting for it."""

from __future__ import annotations

import io

from rich.console import Console

from tests.support.waiting import wait_until_async


def screen_text(app) -> str:
    """The whole screen as plain text, as an operator would read it."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)


async def wait_for_screen(pilot, condition, timeout_s: float, what: str) -> None:
    """Until `condition()` holds, letting the app work between looks; a timeout shows the screen."""
    await wait_until_async(condition, timeout_s, what, pause=pilot.pause,
                           detail=lambda: f"screen:\n{screen_text(pilot.app)}")


async def wait_for_text(pilot, text: str, timeout_s: float = 15.0) -> str:
    await wait_for_screen(pilot, lambda: text in screen_text(pilot.app), timeout_s, f"{text!r} on screen")
    return screen_text(pilot.app)


async def type_text(pilot, text: str) -> None:
    """Key presses, one per character, like a person or a keyboard-wedge scanner."""
    await pilot.press(*text)


async def go_to_row(pilot, table_id: str, key: str) -> None:
    """Move a DataTable's cursor to the row with `key` with arrow keys, as an operator would."""
    table = pilot.app.screen.query_one(f"#{table_id}")
    target = [row_key.value for row_key in table.rows].index(key)
    step = "down" if target > table.cursor_row else "up"
    await pilot.press(*[step] * abs(target - table.cursor_row))
