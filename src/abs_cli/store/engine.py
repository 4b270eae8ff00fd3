"""Engine creation: SQLite pragmas and transactions, PostgreSQL, and the `Store` handle."""

from __future__ import annotations

import sqlite3
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
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


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
        return create_engine(location.url, pool_pre_ping=True)
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
