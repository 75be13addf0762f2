"""One check's verdict: ok, warn or fail, what was found, and what to do about it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

OK, WARN, FAIL = "ok", "warn", "fail"
ORDER = {OK: 0, WARN: 1, FAIL: 2}


@dataclass(frozen=True)
class Verdict:
    check: str          # configuration, broker, database, migrations, certificates, clock, disk
    verdict: str        # ok | warn | fail
    found: str          # what the check saw
    action: str = ""    # what to do (empty when ok)

    def to_json(self) -> dict:
        return asdict(self)


def worst(verdicts: list[Verdict]) -> str:
    return max((v.verdict for v in verdicts), key=ORDER.__getitem__, default=OK)
