"""The audit log's hash chain shows any edit, deletion or insertion."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from hub.audit.log import record, verify
from hub.store.tables import audit_log


def _fill(db, n=5):
    with db.begin() as conn:
        for i in range(n):
            record(conn, "token:1:ops", "order.create", f"order:{i}", {"amount_minor": 100 + i})


def test_an_untouched_log_verifies(hub_db):
    _fill(hub_db)
    with hub_db.connect() as conn:
        assert verify(conn) == []


def test_an_edited_row_is_found(hub_db):
    _fill(hub_db)
    with hub_db.begin() as conn:
        conn.execute(audit_log.update().where(audit_log.c.seq == 3).values(details='{"amount_minor":1}'))
    with hub_db.connect() as conn:
        breaks = verify(conn)
    assert [(b.seq, "edited" in b.problem) for b in breaks] == [(3, True)]


def test_a_deleted_row_is_found(hub_db):
    _fill(hub_db)
    with hub_db.begin() as conn:
        conn.execute(audit_log.delete().where(audit_log.c.seq == 2))
    with hub_db.connect() as conn:
        breaks = verify(conn)
    assert [b.seq for b in breaks] == [3] and "deleted" in breaks[0].problem


def test_a_rechained_forgery_still_breaks_at_the_next_row(hub_db):
    _fill(hub_db)
    with hub_db.begin() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.seq)).mappings().all()
        from hub.audit.log import _row_hash
        forged = _row_hash(rows[1]["prev_hash"], rows[1]["at"], "someone else", rows[1]["action"],
                           rows[1]["subject"], rows[1]["details"])
        conn.execute(audit_log.update().where(audit_log.c.seq == rows[1]["seq"])
                     .values(actor="someone else", hash=forged))
    with hub_db.connect() as conn:
        assert [b.seq for b in verify(conn)] == [rows[2]["seq"]]


def test_the_audit_verify_command_exits_1_on_a_broken_chain(hub_db, tmp_path):
    from hub.cli import hub
    _fill(hub_db)
    config = tmp_path / "hub.toml"
    config.write_text(f'[database]\nurl = "{hub_db.url}"\n')
    runner = CliRunner()
    ok = runner.invoke(hub, ["audit", "verify", "--config", str(config)])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    with hub_db.begin() as conn:
        conn.execute(audit_log.update().where(audit_log.c.seq == 4).values(actor="mallory"))
    broken = runner.invoke(hub, ["audit", "verify", "--config", str(config)])
    assert broken.exit_code == 1 and "row 4" in broken.output
