"""Schema versions: a fresh store is created at the newest schema; an older one is upgraded.

Migrations are Alembic revisions in `migrations/versions` (batch mode on SQLite). Opening
a store costs one query (`SELECT version_num FROM alembic_version`); Alembic itself is
imported only when a store must be upgraded.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DatabaseError

from abs_cli.errors import StoreError
from abs_cli.store.engine import Store, describe_db_error
from abs_cli.store.location import StoreLocation

if TYPE_CHECKING:
    from alembic.config import Config

REVISIONS: tuple[str, ...] = (
    "0001",
    "0002_pipeline",
    "0003_stage_stay",
    "0004_scoring_index",
    "0005_external_ids",
    "0006_check_chains",
    "0007_kpi_rollups",
    "0008_history_indexes",
    "0009_enablement",
    "0010_stewardship",
    "0011_enablement_indexes",
    "0012_journal_images",
    "0013_journal_statements",
)
"""Every revision, oldest first; the last one is the schema this version of abs writes."""
HEAD = REVISIONS[-1]
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def current_revision(connection: Connection) -> str | None:
    """The store's schema revision, or None for an empty database."""
    inspector = inspect(connection)
    if not inspector.has_table("alembic_version"):
        if inspector.get_table_names():
            raise StoreError(
                "the database holds tables but no abs schema version; it is not an abs store",
                hint="point --db / ABS_DB at an abs store or an empty database",
            )
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def alembic_config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _create_fresh(connection: Connection) -> None:
    from sqlmodel import SQLModel

    from abs_cli.store import models  # noqa: F401  (registers the tables)
    from abs_cli.store.journal import install_pg_triggers

    SQLModel.metadata.create_all(connection)
    install_pg_triggers(connection)
    connection.execute(
        text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    )
    connection.execute(
        text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": HEAD}
    )


def backup_sqlite_before_migration(store: Store, revision: str) -> Path | None:
    """Copy a SQLite store aside before upgrading it; returns the copy's path."""
    path = store.location.sqlite_path
    if path is None or not path.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.before-{revision}-to-{HEAD}.{stamp}.bak")
    import sqlite3

    source = sqlite3.connect(path)
    try:
        destination = sqlite3.connect(target)
        with destination:
            source.backup(destination)
        destination.close()
    finally:
        source.close()
    shutil.copymode(path, target)
    return target


def upgrade(store: Store, target: str = "head", *, create: bool = True) -> tuple[str | None, str]:
    """Bring the store to `target` (default: the newest schema), in one transaction.

    `create=False` refuses an empty database instead of creating the schema in it.

    Returns:
        The revision before and after.
    """
    with store.engine.execution_options(abs_write=True).begin() as connection:
        before = current_revision(connection)
        if before is not None and before not in REVISIONS:
            raise newer_schema_error(store, before)
        if before is None and not create:
            raise missing_store_error(store.location)
        if before is None and target == "head":
            _create_fresh(connection)
            return None, HEAD
        if before == (HEAD if target == "head" else target):
            return before, before
    if before is not None:
        backup_sqlite_before_migration(store, before)
    from alembic import command

    with store.engine.execution_options(abs_write=True).begin() as connection:
        command.upgrade(alembic_config(connection), target)
        after = current_revision(connection)
    return before, after or HEAD


def missing_store_error(location: StoreLocation) -> StoreError:
    """A store named by --db or ABS_DB that does not exist (or holds no abs schema)."""
    return StoreError(
        f"no abs store at {location.display} ({location.reason})",
        hint="create it with `abs db init`, or check --db / ABS_DB for a typo",
    )


def newer_schema_error(store: Store, revision: str) -> StoreError:
    return StoreError(
        f"the store {store.location.display} has schema {revision}, newer than this abs "
        f"understands (newest: {HEAD})",
        hint="upgrade abs (pip install -U abs-cli) before using this store",
    )


def ensure_current(store: Store, *, create: bool = True) -> None:
    """Create or upgrade the store as needed; refuse a store from a newer abs.

    Args:
        create: build the schema of an empty database; when False, a database without
            the abs schema is refused (docs/domain.md §3.1: only `abs db init` and
            `abs demo` create a store named by --db or ABS_DB).
    """
    try:
        with store.engine.connect() as connection:
            revision = current_revision(connection)
    except DatabaseError as error:
        raise describe_db_error(store.location, error) from error
    if revision == HEAD:
        return
    if revision is None and not create:
        raise missing_store_error(store.location)
    if revision is not None and revision not in REVISIONS:
        raise newer_schema_error(store, revision)
    upgrade(store)
