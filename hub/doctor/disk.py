"""Free disk space where the hub writes: its data directory and, on SQLite, the database's folder.

PostgreSQL's own disk is on the database server; `hub doctor` run there (or its monitoring)
checks it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy.engine import make_url

from hub.config import Settings
from hub.doctor.verdicts import FAIL, OK, WARN, Verdict

FAIL_FREE_BYTES = 1 << 30      # 1 GiB: a day of a busy region's journal and logs
WARN_FREE_FRACTION = 0.10


def _folders(settings: Settings) -> list[Path]:
    folders = [Path(settings.data_dir)]
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        folders.append(Path(url.database).parent)
    return folders


def check_disk(settings: Settings, fail_bytes: int = FAIL_FREE_BYTES, warn_fraction: float = WARN_FREE_FRACTION,
               usage=shutil.disk_usage) -> Verdict:
    findings, verdict = [], OK
    for folder in dict.fromkeys(_folders(settings)):
        try:
            total, _used, free = usage(folder)
        except OSError as exc:
            return Verdict("disk", FAIL, f"{folder}: {exc.strerror or exc}", "create it, or fix [hub] data_dir")
        findings.append(f"{folder}: {free / 2**30:.1f} GiB free of {total / 2**30:.1f} GiB ({free / total:.0%})")
        if free < fail_bytes:
            verdict = FAIL
        elif free < warn_fraction * total and verdict == OK:
            verdict = WARN
    action = {OK: "", WARN: "free space or grow the volume before it fills",
              FAIL: "free space now: rotate or remove old logs and backups (docs/deploy.md), grow the volume"}[verdict]
    return Verdict("disk", verdict, "; ".join(findings), action)
