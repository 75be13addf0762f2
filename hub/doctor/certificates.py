"""Certificate expiries: the hub CA, the broker's, the hub's own, and every enrolled agent's.

Agents renew their own certificate at two thirds of its life (agent/renewal.py); one whose
newest certificate has less than a third left has not managed to (offline, or refused),
and one whose certificate expired can only be enrolled again.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from sqlalchemy import select

from hub.config import Settings
from hub.doctor.verdicts import FAIL, OK, WARN, Verdict
from hub.pki.ca import PkiPaths
from hub.pki.setup import broker_cert_lacks
from hub.store.db import Database
from hub.store.tables_pki import agent_certificates
from hub.store.timeutil import parse

SERVICE_WARN_DAYS = 30      # CA, broker and hub certificates: a month to plan the change
CA_WARN_DAYS = 365          # the CA: every certificate must be re-issued under a new one
NAMES_SHOWN = 10


def _days(until: dt.datetime, now: dt.datetime) -> float:
    return (until - now).total_seconds() / 86400


def check_files(settings: Settings, now: dt.datetime | None = None) -> Verdict:
    now = now or dt.datetime.now(dt.timezone.utc)
    paths = PkiPaths.under(settings.data_dir)
    files: list[tuple[str, Path, int]] = [("CA", paths.ca_cert, CA_WARN_DAYS),
                                          ("broker", paths.broker_cert, SERVICE_WARN_DAYS),
                                          ("hub", paths.hub_client_cert, SERVICE_WARN_DAYS)]
    files += [(p.stem, p, SERVICE_WARN_DAYS) for p in sorted(paths.root.glob("hub-*.pem"))]
    expired, soon, shown = [], [], []
    for name, path, warn_days in files:
        if not path.exists():
            if name in ("CA", "broker", "hub"):
                expired.append(f"{name} ({path} missing)")
            continue
        try:
            left = _days(x509.load_pem_x509_certificate(path.read_bytes()).not_valid_after_utc, now)
        except ValueError:
            expired.append(f"{name} ({path} unreadable)")
            continue
        shown.append(f"{name} {left:.0f} d")
        if left <= 0:
            expired.append(f"{name} (expired {-left:.0f} d ago)")
        elif left < warn_days:
            soon.append(f"{name} ({left:.0f} d left)")
    if paths.broker_cert.exists() and "broker" not in " ".join(expired):
        try:
            lacking = broker_cert_lacks(paths, settings.broker.server_names)
        except (x509.ExtensionNotFound, ValueError):      # no names at all in it
            lacking = list(settings.broker.server_names)
        if lacking:
            return Verdict("certificates", FAIL, f"the broker's certificate does not name {', '.join(lacking)} "
                           "([broker] host / server_names): desks connecting by that name refuse it",
                           "run `counterpay hub init --dir <data_dir>` again (it re-issues the broker's "
                           "certificate) and restart the broker")
    if expired:
        return Verdict("certificates", FAIL, "; ".join(expired),
                       "run `counterpay hub init` for missing files; an expired broker or hub certificate: "
                       "move it aside, run `hub init` again (it issues what is missing) and restart the broker "
                       "and every hub role")
    if soon:
        return Verdict("certificates", WARN, "expiring: " + "; ".join(soon),
                       "re-issue before it expires: move the file aside, `counterpay hub init`, restart")
    return Verdict("certificates", OK, ", ".join(shown))


def check_agents(db: Database, now: dt.datetime | None = None) -> Verdict:
    now = now or dt.datetime.now(dt.timezone.utc)
    newest: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    revoked: set[str] = set()
    with db.connect() as conn:
        rows = conn.execute(select(agent_certificates.c.agent_id, agent_certificates.c.issued_at,
                                   agent_certificates.c.not_after, agent_certificates.c.revoked_at))
        for agent, issued, not_after, revoked_at in rows:
            if revoked_at:
                revoked.add(agent)
                continue
            ends = parse(not_after)
            if agent not in newest or ends > newest[agent][1]:
                newest[agent] = (parse(issued), ends)
    expired = sorted(a for a, (_s, e) in newest.items() if e <= now)
    late = sorted(a for a, (s, e) in newest.items() if now < e and (e - now) < (e - s) / 3)
    if expired:
        return Verdict("agent certificates", FAIL, f"{len(expired)} agents' certificates expired: "
                       + _names(expired), "these desks cannot connect: enroll each again (revoke it, new token)")
    if late:
        return Verdict("agent certificates", WARN, f"{len(late)} agents have not renewed (less than a third of "
                       "the life left): " + _names(late),
                       "look at each desk: offline, or its log says why the hub refused the renewal")
    return Verdict("agent certificates", OK, f"{len(newest)} agents, none near expiry"
                   + (f" ({len(revoked - set(newest))} revoked)" if revoked - set(newest) else ""))


def _names(names: list[str]) -> str:
    more = len(names) - NAMES_SHOWN
    return ", ".join(names[:NAMES_SHOWN]) + (f" and {more} more" if more > 0 else "")
