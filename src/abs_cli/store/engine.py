"""Engine creation: SQLite pragmas and transactions, PostgreSQL, and the `Store` handle."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from abs_cli.errors import StoreError
from abs_cli.store.location import StoreLocation

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import DBAPIConnection
    from sqlalchemy.pool import ConnectionPoolEntry

BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "abs_write"
LOCK_POLL_MS = 200
"""A writer waiting for SQLite's lock gets control back this often, so Ctrl-C stops it
at once instead of after the whole busy timeout."""
POSTGRES_EXTRA_HINT = "pip install 'abs-cli[postgres]'"


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and transactions that SQLite really begins.

    pysqlite's legacy transaction handling neither begins a transaction before DDL nor
    lets us choose `BEGIN IMMEDIATE`; we take control of BEGIN ourselves, as SQLAlchemy's
    documentation recommends. Writers begin IMMEDIATE so two processes queue on the busy
    timeout instead of dead-locking on a read-to-write lock upgrade.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(WRITE_OPTION):
            _begin_immediate(connection)
        else:
            connection.exec_driver_sql("BEGIN")


def _begin_immediate(connection: Connection) -> None:
    """`BEGIN IMMEDIATE`, waiting for another writer's lock as long as the connection's
    busy timeout, in short waits: SQLite's own wait is one C call that a Ctrl-C cannot
    interrupt, so the import would only stop when the timeout ends (docs/domain.md §3.3:
    Ctrl-C exits 130, also while the store is locked)."""
    cursor = connection.connection.cursor()
    try:
        patience_ms = int(cursor.execute("PRAGMA busy_timeout").fetchone()[0])
        deadline = time.monotonic() + patience_ms / 1000
        cursor.execute(f"PRAGMA busy_timeout = {min(patience_ms, LOCK_POLL_MS)}")
        try:
            while True:
                try:
                    cursor.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as error:
                    if not _is_lock_error(error) or time.monotonic() >= deadline:
                        # as SQLAlchemy wraps driver errors: the callers catch its class
                        raise OperationalError("BEGIN IMMEDIATE", None, error) from None
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {patience_ms}")
    finally:
        cursor.close()


def _is_lock_error(error: BaseException) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def make_engine(location: StoreLocation) -> Engine:
    """Create the engine for a store location, without touching the schema."""
    if location.is_sqlite:
        path = location.sqlite_path
        if path is not None and not path.parent.exists():
            raise StoreError(
                f"cannot open store {path}: folder {path.parent} does not exist",
                hint="create the folder or point --db / ABS_DB elsewhere",
            )
        engine = create_engine(
            location.url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        _configure_sqlite(engine)
        return engine
    if location.url.startswith("postgresql"):
        try:
            return create_engine(location.url, pool_pre_ping=True)
        except ImportError:
            raise StoreError(
                f"cannot open store {location.display}: PostgreSQL support is not installed",
                hint=POSTGRES_EXTRA_HINT,
            ) from None
    raise StoreError(
        f"unsupported store URL {location.display}",
        hint="use a file path, sqlite:///PATH or postgresql+psycopg://USER:PASS@HOST/DB",
    )


def describe_db_error(location: StoreLocation, error: Exception) -> StoreError:
    """Turn a driver error met while opening the store into one clear sentence."""
    original = getattr(error, "orig", error)
    text = (
        str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    )
    if isinstance(original, sqlite3.DatabaseError) and "not a database" in text:
        return StoreError(
            f"cannot open store {location.display}: the file is not an abs store ({text})",
            hint="check --db / ABS_DB, or restore it from a backup",
        )
    return StoreError(f"cannot open store {location.display}: {text}")


def describe_store_error(location: StoreLocation, error: Exception) -> StoreError | None:
    """An OS or driver error met while using the store, as one sentence without SQL (exit
    4), or None when it is not about the store's state (a bug: let it be reported as one).

    Read-only files, a full disk, a lock held too long, a server that went away or refuses
    a write (read-only transaction, missing privilege).
    """
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()[0] if str(original).strip() else ""
    lowered = text.lower()
    state = getattr(original, "sqlstate", None) or ""
    where = location.display
    if "readonly database" in lowered or "read-only" in lowered or state == "25006":
        return StoreError(
            f"the store {where} is read-only: abs cannot write to it",
            hint="check the permissions of the store and its folder (SQLite writes -wal and "
            "-shm files beside it), or point --db at a writable copy",
        )
    if "disk is full" in lowered or "no space left" in lowered or state.startswith("53"):
        return StoreError(
            f"the disk holding the store {where} is full; nothing of the current batch was written",
            hint="free some space and run the command again",
        )
    if _is_lock_error(original) and "deadlock" not in lowered:
        return StoreError(
            f"the store {where} stayed locked by another process",
            hint="retry when the other abs command has finished",
        )
    if state == "42501" or "permission denied" in lowered:
        return StoreError(
            f"the store {where} refuses this command: permission denied",
            hint="ask the database owner for write access, or use another --db",
        )
    if "disk i/o error" in lowered or "unable to open database" in lowered:
        return StoreError(f"cannot use store {where}: {text}")
    if isinstance(error, OperationalError) or state.startswith("08"):
        return StoreError(f"cannot use store {where}: {text or type(original).__name__}")
    return None


@dataclass
class Store:
    """An opened store: its location and engine, with session helpers."""

    location: StoreLocation
    engine: Engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction, committed on success and rolled back on error.

        Args:
            write: take the write lock up front (SQLite `BEGIN IMMEDIATE`).
        """
        bind = self.engine.execution_options(**{WRITE_OPTION: True}) if write else self.engine
        try:
            with Session(bind=bind, expire_on_commit=False) as session, session.begin():
                yield session
        except OperationalError as error:
            if "locked" in str(error.orig) or "busy" in str(error.orig):
                raise StoreError(
                    f"the store {self.location.display} stayed locked by another process",
                    hint="retry when the other abs command has finished",
                ) from error
            raise
        except DBAPIError as error:
            if error.connection_invalidated:
                raise describe_db_error(self.location, error) from error
            raise

    def dispose(self) -> None:
        self.engine.dispose()
