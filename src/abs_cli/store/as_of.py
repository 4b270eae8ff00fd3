"""The store as recorded at a moment T: every fact with an event time after T hidden.

A report `--as-of T` must read only facts with event times at or before T
(docs/domain.md §3.7): a move's `changed_at`, an activity's `occurred_at`, a
subscription's dates… Rather than thread T through every KPI query, `as_of_views`
shadows the fact tables for one transaction with temporary views of the same names,
which both databases resolve before the real tables (SQLite's `temp` schema, PostgreSQL's
`pg_temp`): the KPI queries run unchanged and see the world of T.

A view keeps a table's columns. Rows whose event happened after T are left out; an end
that came after T (a subscription's `ended_at`, a stay's `left_at`, a ticket's
`closed_at`, a campaign response) is not known yet at T and reads as NULL. The monthly
rollups are built from every row, so a report as of T reads the source rows instead
(`reads_as_of`), unless the store holds nothing dated after T (`facts_after`): it then
is the store as of T.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Table, exists, or_, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from abs_cli.errors import StoreError
from abs_cli.store import tables

AS_OF_KEY = "abs_as_of"
"""`session.info` key holding T while the session reads the store as of T."""

EVENT_TIMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "lead": ("created_at", ()),
    "stage_history": ("changed_at", ()),
    "stage_stay": ("entered_at", ("left_at",)),
    "activity": ("occurred_at", ()),
    "subscription": ("started_at", ("ended_at",)),
    "nps_response": ("responded_at", ()),
    "usage_event": ("occurred_at", ()),
    "campaign_member": ("sent_at", ("responded_at",)),
    "ticket": ("opened_at", ("closed_at",)),
}
"""Per fact table: the column that dates a row, and the later events unknown before they
happen."""


FACT_TABLES: tuple[Table, ...] = (
    tables.lead,
    tables.stage_history,
    tables.stage_stay,
    tables.activity,
    tables.subscription,
    tables.nps_response,
    tables.usage_event,
    tables.campaign_member,
    tables.ticket,
)


def facts_after(session: Session, moment: datetime) -> bool:
    """Whether the store holds a fact dated after `moment` (a row or a later event). When
    it holds none, the store as of `moment` is the store itself, rollups included."""
    checks = [
        exists().where(table.c[column] > moment)
        for table in FACT_TABLES
        for column in (EVENT_TIMES[table.name][0], *EVENT_TIMES[table.name][1])
    ]
    checks.append(exists().where(tables.spend.c.month > f"{moment.astimezone(UTC):%Y-%m}"))
    return bool(session.scalar(select(or_(*checks))))


def reads_as_of(session: Session) -> datetime | None:
    """T when the session reads the store as of T (source rows only, no rollups)."""
    moment = session.info.get(AS_OF_KEY)
    return moment if isinstance(moment, datetime) else None


@contextmanager
def as_of_views(session: Session, moment: datetime) -> Iterator[None]:
    """Within the block, the session's queries see the store as recorded at `moment`."""
    connection = session.connection()
    location = connection.engine.url.render_as_string(hide_password=True)
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    if dialect.name == "sqlite":
        schema = "main"
        at = f"'{moment.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S.%f')}'"
        month = f"'{moment.astimezone(UTC):%Y-%m}'"
    else:
        schema = str(connection.execute(text("SELECT current_schema()")).scalar())
        at = f"TIMESTAMP '{moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=' ')}'"
        month = f"'{moment.astimezone(UTC):%Y-%m}'"
    views = {table.name: _view(table, *EVENT_TIMES[table.name], at) for table in FACT_TABLES}
    views["spend"] = f"SELECT * FROM {{source}} WHERE {quote('month')} <= {month}"
    prefix = "temp." if dialect.name == "sqlite" else "pg_temp."
    try:
        for name, body in views.items():
            source = f"{quote(schema)}.{quote(name)}"
            try:
                connection.exec_driver_sql(
                    f"CREATE TEMPORARY VIEW {quote(name)} AS {body.format(source=source)}"
                )
            except DBAPIError as error:
                raise StoreError(
                    "a report --as-of an earlier moment reads the store through temporary "
                    f"views, which the store {location} refuses here ({first_line(error)})",
                    hint="run it in a session that may create temporary objects (not a "
                    "read-only transaction or replica), or without --as-of",
                ) from error
        session.info[AS_OF_KEY] = moment
        yield
        for name in views:
            connection.exec_driver_sql(f"DROP VIEW {prefix}{quote(name)}")
    finally:
        # On an error the views go with the transaction, which the caller rolls back
        # (DDL is transactional on both databases, the temporary schema included).
        session.info.pop(AS_OF_KEY, None)


def first_line(error: DBAPIError) -> str:
    """The driver's own first line: no SQL statement, no parameters."""
    text_ = str(error.orig).strip()
    return text_.splitlines()[0] if text_ else type(error.orig).__name__


def _view(table: Table, dated: str, later: tuple[str, ...], at: str) -> str:
    """The SELECT of one view: the table's columns, a later event read as NULL."""
    columns = [
        f'CASE WHEN "{column.name}" > {at} THEN NULL ELSE "{column.name}" END AS "{column.name}"'
        if column.name in later
        else f'"{column.name}"'
        for column in table.columns
    ]
    return f'SELECT {", ".join(columns)} FROM {{source}} WHERE "{dated}" <= {at}'
