"""Hub storage: one SQLAlchemy Core code path for SQLite (default) and PostgreSQL."""
