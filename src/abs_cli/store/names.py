"""Names for shell completion, read the lightest way each database allows.

A completion runs at every Tab press: it must answer in well under a second and never
change anything. A SQLite store is read through the standard library's `sqlite3`, in
read-only mode (no ORM, no SQLAlchemy import, no migration, no file created); a
PostgreSQL store through one SQLAlchemy Core statement with a short connect timeout.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

from abs_cli.store.location import StoreLocation

REP_EMAILS_SQL = (
    "SELECT email FROM rep WHERE active = {true} AND lower(email) LIKE {prefix} ESCAPE '\\' "
    "ORDER BY email LIMIT {limit}"
)
CONNECT_TIMEOUT_SECONDS = 2


def rep_emails(location: StoreLocation, prefix: str = "", *, limit: int = 50) -> list[str]:
    """Active reps' e-mails starting with `prefix` (case-insensitive), in order; none for
    a SQLite store that does not exist yet."""
    pattern = _like_prefix(prefix)
    path = location.sqlite_path
    if location.is_sqlite:
        if path is None or not path.exists():
            return []
        query = REP_EMAILS_SQL.format(true=1, prefix="?", limit="?")
        uri = f"{path.resolve().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=0.5)) as connection:
            return [email for (email,) in connection.execute(query, (pattern, limit))]
    from sqlalchemy import create_engine, text

    statement = text(REP_EMAILS_SQL.format(true="true", prefix=":prefix", limit=":limit"))
    engine = create_engine(location.url, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    try:
        with engine.connect() as connection:
            rows = connection.execute(statement, {"prefix": pattern, "limit": limit})
            return [email for (email,) in rows]
    finally:
        engine.dispose()


def _like_prefix(prefix: str) -> str:
    escaped = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
