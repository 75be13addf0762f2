"""The one `MetaData` every hub table is declared on (core, delivery, pki, users).

Each area declares its tables in its own module (tables.py, tables_delivery.py,
tables_pki.py, tables_users.py) on this object; versioned migrations create them.
"""

from sqlalchemy import MetaData

# Stable constraint names so migrations can refer to them on both databases.
metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})
