"""0025: catalogue versions belong to the shared scope (office NULL) or to one office; a payment
keeps the handling fee charged with it (in its amount), which does not pay its order.

Frozen as released: literal DDL, nothing imported from the project.
"""

from sqlalchemy import Connection, text


def upgrade(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE catalogue_versions ADD COLUMN office VARCHAR(64)"))
    conn.execute(text("CREATE INDEX ix_catalogue_versions_office_status ON catalogue_versions (office, status)"))
    conn.execute(text("ALTER TABLE payments ADD COLUMN handling_fee_minor BIGINT DEFAULT 0 NOT NULL"))
