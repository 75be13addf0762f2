"""Scenario files for the terminal simulators: who the terminal is and how it misbehaves.

A scenario is a TOML file a technician can read and edit.  Every key:

    [terminal]
    terminal_id      = "52500001"        # 8 digits, reported in every answer (ZVT BMP 29)
    card_type        = "girocard"        # card name on receipts and end-of-day totals
    card_type_code   = 5                 # ZVT card type id (BMP 8A), 0-255; 5 = girocard
    masked_pan       = "672559******1234"  # at most first 6 and last 4 digits in clear
    expiry           = "2812"            # YYMM, shown masked nowhere else
    first_receipt_no = 1                 # receipt number of the first charge (1-9999)
    first_trace_no   = 1                 # trace number of the first request (1-999999)
    currency         = "EUR"             # ISO 4217 code; EUR, CHF, PLN, GBP, USD, CZK, HUF, DKK, SEK, NOK
    pos_number       = "01"              # Concert: the POS number the terminal answers to

    [[steps]]                           # applied to successive financial requests
    action = "approve"                   # (payment, refund, reversal); the last step repeats

Step actions and their keys:

    approve          the card is charged, the answer arrives.
    decline          nothing charged; `result_code` (protocol-specific text, ZVT hex
                     "05" by default, Concert "7" = refused) is reported.
    slow_pin         the customer takes `seconds` (default 5) to type the PIN, with
                     intermediate status messages meanwhile; then approved.
    no_answer        the terminal stays silent: no acknowledgement, nothing charged.
    lose_answer      the card IS charged, then the answer is never sent (the field's
                     classic): status enquiry / repeat receipt tell the truth afterwards.
    cable_pull       the card IS charged; the answer stops half-way through a frame
                     (on TCP the connection is closed there).
    busy             the terminal is still busy with the previous transaction and
                     refuses the request; nothing charged.
    bad_checksum     the card IS charged; the answer's CRC (ZVT) / LRC (Concert) is
                     wrong the first `times` (default 1) times it is sent.
    split            approved; TCP answers are written in pieces of `chunk_bytes`
                     (default 3) with `gap_s` (default 0.05) between them.
    slow_line        approved; the answer trickles at `bytes_per_second` (default 120).

Steps are consumed strictly in order by financial requests only (registration, status
enquiry, repeat receipt and end of day never consume one), which keeps a test readable.
"""

from __future__ import annotations

import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ACTIONS = ("approve", "decline", "slow_pin", "no_answer", "lose_answer", "cable_pull",
           "busy", "bad_checksum", "split", "slow_line")
CHARGING_ACTIONS = ("approve", "slow_pin", "lose_answer", "cable_pull", "bad_checksum",
                    "split", "slow_line")
STEP_KEYS = {"action", "result_code", "seconds", "times", "chunk_bytes", "gap_s",
             "bytes_per_second"}
TERMINAL_KEYS = {"terminal_id", "card_type", "card_type_code", "masked_pan", "expiry",
                 "first_receipt_no", "first_trace_no", "currency", "pos_number"}

# ISO 4217 numeric codes (ZVT BMP 49, Concert currency field).
CURRENCY_NUMERIC = {"EUR": 978, "CHF": 756, "PLN": 985, "GBP": 826, "USD": 840, "CZK": 203,
                    "HUF": 348, "DKK": 208, "SEK": 752, "NOK": 578}


class ScenarioError(ValueError):
    """The scenario file is not usable; the message says which key and why."""


@dataclass(frozen=True)
class Step:
    action: str = "approve"
    result_code: str | None = None
    seconds: float = 5.0
    times: int = 1
    chunk_bytes: int = 3
    gap_s: float = 0.05
    bytes_per_second: float = 120.0

    @property
    def charges(self) -> bool:
        return self.action in CHARGING_ACTIONS

    def describe(self) -> str:
        extra = {"decline": f" (result code {self.result_code})",
                 "slow_pin": f" ({self.seconds:g} s)", "bad_checksum": f" ({self.times}×)",
                 "split": f" ({self.chunk_bytes}-byte pieces)",
                 "slow_line": f" ({self.bytes_per_second:g} bytes/s)"}.get(self.action, "")
        return self.action + extra


@dataclass(frozen=True)
class TerminalIdentity:
    terminal_id: str = "52500001"
    card_type: str = "girocard"
    card_type_code: int = 5
    masked_pan: str = "672559******1234"
    expiry: str = "2812"
    first_receipt_no: int = 1
    first_trace_no: int = 1
    currency: str = "EUR"
    pos_number: str = "01"

    @property
    def currency_numeric(self) -> int:
        return CURRENCY_NUMERIC[self.currency]


@dataclass
class Scenario:
    """The terminal's identity and its steps, with a cursor over financial requests."""

    terminal: TerminalIdentity = field(default_factory=TerminalIdentity)
    steps: list[Step] = field(default_factory=lambda: [Step()])
    name: str = "default"

    def __post_init__(self) -> None:
        self._cursor = 0
        self._lock = threading.Lock()

    def next_step(self) -> Step:
        """The step for the next financial request; the last step repeats for ever."""
        with self._lock:
            step = self.steps[min(self._cursor, len(self.steps) - 1)]
            self._cursor += 1
            return step


def _check_step(index: int, raw: dict) -> Step:
    where = f"steps[{index}]"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: expected a table with an 'action' key")
    unknown = set(raw) - STEP_KEYS
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    action = raw.get("action", "approve")
    if action not in ACTIONS:
        raise ScenarioError(f"{where}: action {action!r} is not one of {', '.join(ACTIONS)}")
    step = Step(**raw)
    for name in ("seconds", "gap_s", "bytes_per_second"):
        if not isinstance(getattr(step, name), (int, float)) or getattr(step, name) < 0:
            raise ScenarioError(f"{where}: {name} must be a number ≥ 0")
    if not isinstance(step.times, int) or not 1 <= step.times <= 10:
        raise ScenarioError(f"{where}: times must be an integer 1-10")
    if not isinstance(step.chunk_bytes, int) or step.chunk_bytes < 1:
        raise ScenarioError(f"{where}: chunk_bytes must be an integer ≥ 1")
    if step.action == "slow_line" and step.bytes_per_second <= 0:
        raise ScenarioError(f"{where}: bytes_per_second must be > 0")
    if step.result_code is not None and not isinstance(step.result_code, str):
        raise ScenarioError(f"{where}: result_code must be a string, e.g. \"05\"")
    return step


def _check_terminal(raw: dict) -> TerminalIdentity:
    if not isinstance(raw, dict):
        raise ScenarioError("[terminal] must be a table")
    unknown = set(raw) - TERMINAL_KEYS
    if unknown:
        raise ScenarioError(f"[terminal]: unknown key(s) {', '.join(sorted(unknown))}")
    ident = TerminalIdentity(**raw)
    if not (isinstance(ident.terminal_id, str) and ident.terminal_id.isdigit()
            and len(ident.terminal_id) == 8):
        raise ScenarioError("[terminal] terminal_id must be 8 digits as a string")
    if ident.currency not in CURRENCY_NUMERIC:
        raise ScenarioError(f"[terminal] currency {ident.currency!r}: use one of "
                            f"{', '.join(CURRENCY_NUMERIC)}")
    digits = [c for c in ident.masked_pan if c.isdigit()]
    if len(digits) > 10 or len(ident.masked_pan) > 19:
        raise ScenarioError("[terminal] masked_pan shows too many digits: at most the first 6 "
                            "and last 4 may be in clear, e.g. 672559******1234")
    if not (isinstance(ident.card_type_code, int) and 0 <= ident.card_type_code <= 255):
        raise ScenarioError("[terminal] card_type_code must be 0-255")
    if not (isinstance(ident.first_receipt_no, int) and 1 <= ident.first_receipt_no <= 9999):
        raise ScenarioError("[terminal] first_receipt_no must be 1-9999")
    if not (isinstance(ident.first_trace_no, int) and 1 <= ident.first_trace_no <= 999999):
        raise ScenarioError("[terminal] first_trace_no must be 1-999999")
    if not (isinstance(ident.expiry, str) and len(ident.expiry) == 4 and ident.expiry.isdigit()):
        raise ScenarioError("[terminal] expiry must be YYMM as a string")
    return ident


def scenario_from_dict(data: dict, name: str = "scenario") -> Scenario:
    unknown = set(data) - {"terminal", "steps", "name"}
    if unknown:
        raise ScenarioError(f"unknown top-level key(s) {', '.join(sorted(unknown))}")
    ident = _check_terminal(data.get("terminal", {}))
    raw_steps = data.get("steps", [{"action": "approve"}])
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ScenarioError("steps must be a non-empty list of [[steps]] tables")
    steps = [_check_step(i, raw) for i, raw in enumerate(raw_steps)]
    return Scenario(terminal=ident, steps=steps, name=str(data.get("name", name)))


def load_scenario(path: str | Path | None) -> Scenario:
    """Read a scenario file; None gives the default (always approve)."""
    if path is None:
        return Scenario()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"scenario {path} is not valid TOML: {exc}") from exc
    return scenario_from_dict(data, name=path.stem)


SCENARIO_DIR = Path(__file__).parent / "scenarios"


def bundled_scenarios() -> dict[str, Path]:
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.toml"))}
