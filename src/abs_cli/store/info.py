"""What `abs db info` and `abs db backup` tell and do about a store."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import text

from abs_cli.errors import StoreError, UsageError
from abs_cli.store.engine import Store
from abs_cli.store.migrate import HEAD, current_revision
from abs_cli.store.models import TABLES_FOR_COUNTS
from abs_cli.store.settings import all_settings


def describe(store: Store) -> dict[str, Any]:
    """Which store, why, its engine, schema version, settings and row counts."""
    with store.session() as session:
        connection = session.connection()
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in TABLES_FOR_COUNTS
        }
        revision = current_revision(connection)
        settings = all_settings(session)
    path = store.location.sqlite_path
    info: dict[str, Any] = {
        "store": store.location.display,
        "chosen_by": store.location.reason,
        "engine": store.dialect,
        "schema_version": revision,
        "schema_newest": HEAD,
        "size_bytes": path.stat().st_size if path is not None and path.exists() else None,
        "settings": settings,
        "rows": counts,
    }
    return info


def backup(store: Store, target: Path) -> int:
    """Copy a SQLite store with SQLite's online backup API; safe while others write.

    Returns:
        The size of the copy in bytes.
    """
    source_path = store.location.sqlite_path
    if source_path is None:
        raise UsageError(
            "`abs db backup` copies SQLite stores; this store is on " + store.dialect,
            hint="use pg_dump for a PostgreSQL store",
        )
    target = target.expanduser()
    if target.is_dir():
        target = target / source_path.name
    if target.resolve() == source_path.resolve():
        raise UsageError("the backup target is the store itself")
    if not target.parent.exists():
        raise UsageError(f"cannot write backup {target}: folder {target.parent} does not exist")
    partial = target.with_name(target.name + ".partial")
    try:
        source = sqlite3.connect(source_path, timeout=30)
        try:
            destination = sqlite3.connect(partial)
            with destination:
                source.backup(destination, pages=1024)
            destination.close()
        finally:
            source.close()
        partial.replace(target)
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise StoreError(f"backup to {target} failed: {error}") from error
    return target.stat().st_size
