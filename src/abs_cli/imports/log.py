"""The log of change sets: every import, `abs leads edit` and `abs leads merge`, with
who ran it, when, on what, and what it did (`abs imports list`).

A change set is opened before its first write and closed with its counts after the
last; the rows it wrote are journaled meanwhile (`abs_cli.store.journal`).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine

from abs_cli.store.engine import WRITE_OPTION, Store
from abs_cli.store.journal import journaling
from abs_cli.store.tables import change_set
from abs_cli.values import now

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def default_actor() -> str:
    """Who runs this command: `$ABS_REP` (the rep credited in history), else the OS user."""
    chosen = os.environ.get("ABS_REP")
    if chosen:
        return chosen
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "unknown"


@dataclass(frozen=True)
class Counts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


def open_change(
    engine: Engine | Connection,
    kind: str,
    subject: str,
    source: str | None,
    actor: str | None = None,
) -> int:
    """Record the start of a change set, in its own transaction; returns its id."""
    values = {
        "kind": kind,
        "subject": subject[:64],
        "source": source[:500] if source else None,
        "actor": (actor or default_actor())[:254],
        "started_at": now(),
        "status": "running",
        "read": 0,
        "inserted": 0,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    statement = change_set.insert().values(**values).returning(change_set.c.id)
    if isinstance(engine, Connection):
        return int(engine.execute(statement).scalar_one())
    with _writing(engine) as connection:
        return int(connection.execute(statement).scalar_one())


def close_change(
    engine: Engine | Connection, change_id: int, counts: Counts, *, failed: bool = False
) -> None:
    """Record the end of a change set with what it did (`failed`: stopped half-way;
    the batches it committed stay, and stay revertable)."""
    statement = (
        update(change_set)
        .where(change_set.c.id == change_id)
        .values(
            finished_at=now(),
            status="failed" if failed else "done",
            read=counts.read,
            inserted=counts.inserted,
            updated=counts.updated,
            unchanged=counts.unchanged,
            rejected=counts.rejected,
        )
    )
    if isinstance(engine, Connection):
        engine.execute(statement)
        return
    with _writing(engine) as connection:
        connection.execute(statement)


@dataclass
class Recording:
    """A change set being recorded: its id, the journaled connection (inside its
    transaction) and the counts to log when it ends."""

    id: int
    connection: Connection
    counts: Counts = field(default_factory=Counts)


@contextmanager
def recorded_change(
    store: Store, kind: str, subject: str, source: str | None, actor: str | None = None
) -> Iterator[Recording]:
    """One transaction whose writes are journaled as a new change set (an edit, a
    merge). An error rolls the writes back and logs the change set as failed."""
    change_id = open_change(store.engine, kind, subject, source, actor)
    finished = False
    recording: Recording | None = None
    try:
        with store.engine.connect() as raw, journaling(raw, change_id):
            connection = raw.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                recording = Recording(change_id, connection)
                yield recording
        finished = True
    finally:
        counts = recording.counts if recording is not None and finished else Counts()
        close_change(store.engine, change_id, counts, failed=not finished)


@contextmanager
def continued_change(store: Store, change_id: int | None) -> Iterator[Session]:
    """A write session whose writes join the existing change set `change_id` (what
    `abs leads import --assign` routes after the rows are in belongs to the import, so
    reverting the import undoes the routing too); None: an unrecorded session."""
    from sqlalchemy.orm import Session

    with store.engine.connect() as raw, journaling(raw, change_id):
        connection = raw.execution_options(**{WRITE_OPTION: True})
        with connection.begin(), Session(bind=connection) as session:
            yield session
            session.flush()


@dataclass(frozen=True)
class ChangeEntry:
    """One line of `abs imports list`."""

    id: int
    kind: str
    subject: str
    source: str | None
    actor: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    reverted_at: datetime | None

    def document(self) -> dict[str, Any]:
        return dict(self.__dict__)


def list_changes(
    store: Store, *, kind: str | None = None, limit: int | None = None
) -> list[ChangeEntry]:
    """Change sets, newest first."""
    query = select(change_set).order_by(change_set.c.id.desc())
    if kind is not None:
        query = query.where(change_set.c.kind == kind)
    if limit is not None:
        query = query.limit(limit)
    with store.engine.connect() as connection:
        return [ChangeEntry(**row) for row in connection.execute(query).mappings()]


def get_change(connection: Connection, change_id: int) -> ChangeEntry | None:
    row = connection.execute(select(change_set).where(change_set.c.id == change_id)).mappings()
    found = row.first()
    return ChangeEntry(**found) if found is not None else None


@contextmanager
def _writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction of its own, which waits for another writer's lock as every
    abs writer does: in short waits that Ctrl-C interrupts (`store.engine`)."""
    with engine.connect() as raw:
        connection = raw.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            yield connection
