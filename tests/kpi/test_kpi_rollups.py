"""Monthly KPI rollups: a report read from them equals the one computed from the source
rows, before and after every kind of write, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from abs_cli.demo import example_company, import_examples
from abs_cli.kpi import report as kpi_report
from abs_cli.kpi.assumptions import load_kpi_settings
from abs_cli.kpi.periods import Period
from abs_cli.kpi.report import SECTIONS, kpi_document, rollups_for
from abs_cli.kpi.rollups import Rollup
from abs_cli.store import tables
from abs_cli.store.rollup_tables import kpi_built, kpi_stale

FIRST, LAST = "2025-11", "2026-10"
YEAR = Period(FIRST, LAST)
AS_OF = "2026-12-01T00:00:00Z"  # after every fact of the example company: rollups apply
REP = "sophie.wagner@quillo.io"  # an SDR of the example company
CS_REPS = ("lea.fontaine@quillo.io", "pieter.devries@quillo.io")


def _document(store: Any, **period: str) -> str:
    with store.session() as session:
        document = kpi_document(session, as_of=AS_OF, **(period or {"first": FIRST, "last": LAST}))
    return json.dumps(document, default=str, sort_keys=True)


def _from_source(store: Any, monkeypatch: pytest.MonkeyPatch, **period: str) -> str:
    with monkeypatch.context() as patch:
        patch.setattr(Rollup, "read", lambda self, session, period: None)
        patch.setattr(kpi_report, "refresh_rollups", lambda *args: False)
        return _document(store, **period)


def _readable(store: Any, period: Period = YEAR) -> set[str]:
    """The rollups a report of the period would read (built, not marked stale)."""
    with store.session() as session:
        return {
            rollup.name
            for rollup in rollups_for(SECTIONS)
            if rollup.read(session, period) is not None
        }


ALL_ROLLUPS = {rollup.name for rollup in rollups_for(SECTIONS)}


@pytest.fixture
def company_files() -> Iterator[Path]:
    """The example company's CSVs, generated as `abs demo` does (so any install has them)."""
    with example_company() as folder:
        yield folder


@pytest.fixture
def company(store: Any, company_files: Path) -> Any:
    import_examples(store, company_files)
    return store


@pytest.mark.slow
def test_rollups_give_the_source_figures(
    company: Any,
    company_files: Path,
    cli: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One store per backend (importing the example company is the slow part)."""
    assert _readable(company) == set()  # a new store has no rollup yet
    built = _document(company)
    assert _readable(company) == ALL_ROLLUPS
    assert _document(company) == built == _from_source(company, monkeypatch)
    with company.session() as session:
        months = session.scalar(select(func.count()).select_from(kpi_built))
        settings = load_kpi_settings(session)
    # Twelve months each; revenue also the LTV window and the month before it.
    assert months == sum(
        len(rollup.span(YEAR, settings).months) for rollup in rollups_for(SECTIONS)
    )
    assert months > len(ALL_ROLLUPS) * 12
    for month in ("2026-03", "2026-10"):
        assert _document(company, period=month) == _from_source(company, monkeypatch, period=month)
    # A filtered report reads the source rows.
    result = cli(
        "kpi",
        "report",
        "--from",
        FIRST,
        "--to",
        LAST,
        "--as-of",
        AS_OF,
        "--role",
        "ae",
        "-f",
        "json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["scope"]["role"] == "ae"
    # Re-importing unchanged rows marks nothing stale.
    for noun, name in (("activities", "activities.csv"), ("usage", "usage.csv")):
        result = cli(noun, "import", str(company_files / name))
        assert result.exit_code == 0, result.output
    with company.session() as session:
        assert session.scalar(select(func.count()).select_from(kpi_stale)) == 0
    # `abs db rebuild` recomputes the stays and forgets every rollup.
    assert cli("db", "rebuild").exit_code == 0
    assert _readable(company) == set()
    assert _document(company) == built
    _every_writer_marks_what_it_changes(company, cli, tmp_path, monkeypatch)


def _lead(store: Any, stage: str) -> str:
    with store.session() as session:
        return session.scalar(
            select(tables.lead.c.email)
            .where(tables.lead.c.stage == stage, tables.lead.c.email.is_not(None))
            .order_by(tables.lead.c.id)
            .limit(1)
        )


def _import(tmp_path: Path, noun: str, lines: list[str]) -> list[str]:
    """`abs NOUN import FILE` of a CSV file holding these lines."""
    path = tmp_path / f"{noun}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [noun, "import", str(path)]


def _advance(store: Any, tmp_path: Path) -> list[str]:
    email = _lead(store, "qualified")
    when = "2026-10-31T12:00:00"
    return [
        "pipeline",
        "advance",
        email,
        "--to",
        "discovery",
        "--at",
        when,
        "--force",
        "--reason",
        "test",
    ]


def _log_activity(store: Any, tmp_path: Path) -> list[str]:
    email = _lead(store, "prospect")
    return [
        "activities",
        "log",
        email,
        "--type",
        "call",
        "--at",
        "2026-02-03T09:00:00",
        "--rep",
        REP,
    ]


def _import_activities(store: Any, tmp_path: Path) -> list[str]:
    email = _lead(store, "prospect")
    return _import(
        tmp_path,
        "activities",
        ["lead_email,type,occurred_at,rep_email", f"{email},email,2026-04-02T08:00:00,{REP}"],
    )


def _import_usage(store: Any, tmp_path: Path) -> list[str]:
    # A user seen from November on, now also seen in an earlier month: every later
    # month's new users change (a cumulative rollup).
    with store.session() as session:
        user = session.scalar(
            select(tables.usage_event.c.user_key)
            .order_by(tables.usage_event.c.occurred_at)
            .limit(1)
        )
    return _import(
        tmp_path, "usage", ["user,occurred_at,feature", f"{user},2025-10-20T10:00:00,reports"]
    )


def _import_leads(store: Any, tmp_path: Path) -> list[str]:
    moved = _lead(store, "prospect")
    return _import(
        tmp_path,
        "leads",
        [
            "email,source,created_at",
            "new.lead@example-rollups.io,demo_request,2026-05-04T10:00:00",
            f"{moved},demo_request,2026-01-15T10:00:00",
        ],
    )


def _import_history(store: Any, tmp_path: Path) -> list[str]:
    email = _lead(store, "discovery")
    return _import(
        tmp_path,
        "pipeline",
        ["lead_email,to_stage,changed_at,amount", f"{email},lost,2026-06-20T10:00:00,"],
    )


def _import_subscription(store: Any, tmp_path: Path) -> list[str]:
    return _import(
        tmp_path,
        "subscriptions",
        ["account,started_at,amount,interval,plan", "garanceport.be,2026-03-05,990.00,month,pro"],
    )


def _change_account_owner(store: Any, tmp_path: Path) -> list[str]:
    account, rep, subscription = tables.account.c, tables.rep.c, tables.subscription.c
    with store.session() as session:
        domain, owner = session.execute(
            select(account.domain, rep.email)
            .join(tables.rep, rep.id == account.owner_id)
            .join(tables.subscription, subscription.account_id == account.id)
            .where(subscription.ended_at.is_(None))
            .order_by(subscription.started_at.desc())
            .limit(1)
        ).one()
    other = CS_REPS[1] if owner == CS_REPS[0] else CS_REPS[0]
    return _import(tmp_path, "accounts", ["domain,owner", f"{domain},{other}"])


def _forget(store: Any, tmp_path: Path) -> list[str]:
    with store.session() as session:
        user = session.scalar(
            select(tables.usage_event.c.user_key)
            .where(tables.usage_event.c.user_key.like("%@%"))
            .order_by(tables.usage_event.c.occurred_at)
            .limit(1)
        )
    found = _lead_with_email(store, user)
    return ["leads", "forget", found, "--reason", "test"]


def _lead_with_email(store: Any, email: str) -> str:
    with store.session() as session:
        known = session.scalar(select(tables.lead.c.email).where(tables.lead.c.email == email))
    return known or _lead(store, "customer")


KEEPS_FIGURES = {"leads forget"}  # erasure keeps an anonymous record: KPIs do not move
WRITES = {
    "pipeline advance": _advance,
    "activities log": _log_activity,
    "activities import": _import_activities,
    "usage import": _import_usage,
    "leads import": _import_leads,
    "pipeline import": _import_history,
    "subscriptions import": _import_subscription,
    "accounts import (owner)": _change_account_owner,
    "leads forget": _forget,
}


@pytest.mark.slow
def test_a_locked_store_reports_from_the_source_rows(
    sqlite_url: str, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While another process holds the write lock, the report does not wait 30 s for it:
    it gives the same figures from the source rows."""
    from abs_cli.store.engine import Store, make_engine
    from abs_cli.store.location import StoreLocation
    from abs_cli.store.migrate import ensure_current

    location = StoreLocation(sqlite_url, "test")
    store = Store(location, make_engine(location))
    ensure_current(store)
    expected = _from_source(store, monkeypatch)
    assert json.loads(expected)["metrics"]["mrr"] == 0
    holder = sqlite3.connect(location.sqlite_path)  # type: ignore[arg-type]
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.perf_counter()
        assert _document(store) == expected
        assert time.perf_counter() - started < 10
        assert _readable(store) == set()
    finally:
        holder.rollback()
        holder.close()
    assert _document(store) == expected
    assert _readable(store) == ALL_ROLLUPS
    store.dispose()


def _every_writer_marks_what_it_changes(
    company: Any, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _document(company)
    for write, command in WRITES.items():
        assert _readable(company) == ALL_ROLLUPS, write
        result = cli(*command(company, tmp_path))
        assert result.exit_code == 0, (write, result.output)
        with company.session() as session:
            marks = session.scalar(select(func.count()).select_from(kpi_stale))
        assert marks > 0, f"{write} marked nothing stale"
        assert _readable(company) != ALL_ROLLUPS, write  # no report reads the old sums
        source = _from_source(company, monkeypatch)
        if write in KEEPS_FIGURES:
            assert source == before, f"{write} should keep the year's figures"
        else:
            assert source != before, f"{write} should change the year's figures"
        assert _document(company) == source, write  # rebuilt from the marks
        before = source


@pytest.mark.slow
def test_a_report_does_not_wait_for_another_builder(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two reports building the same month: the second one does not wait for the first
    (on PostgreSQL, a lock timeout of 1 s), it reads the source rows."""
    if store.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: see the locked-store test")
    expected = _from_source(store, monkeypatch)
    with store.engine.connect() as other:
        other.execute(insert(kpi_built).values(rollup="kpi_moves", month=LAST))  # uncommitted
        started = time.perf_counter()
        assert _document(store) == expected
        assert time.perf_counter() - started < 10
        assert _readable(store) == set()
        other.rollback()
    assert _document(store) == expected
    assert _readable(store) == ALL_ROLLUPS
