"""The set-based activity and usage writers (`imports/record_bulk.py`) count, write and
mark exactly what the generic writer did: a changed row is updated (an empty cell keeps
the stored value), an unchanged one is not touched, and only written rows leave marks."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, func, select

from abs_cli.imports.engine import ImportOptions, run_import
from abs_cli.imports.registry import IMPORTERS
from abs_cli.store import tables
from abs_cli.store.rollup_tables import kpi_stale

TEAM = "email,name,role\nana@acme.io,Ana Lima,sdr\nbo@acme.io,Bo,ae\n"
LEADS = (
    "email,external_id,created_at,source\na@acme.io,D1,2026-01-05,webinar\n"
    "b@beta.io,D2,2026-01-06,cold_call\n"
)


def _seed(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for kind, text in (("team", TEAM), ("leads", LEADS)):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        run_import(store, IMPORTERS[kind], str(path), ImportOptions())
    with store.engine.begin() as conn:
        conn.execute(delete(kpi_stale))


def _import(store, tmp_path: Path, kind: str, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / f"{kind}-file.csv"
    path.write_text(text)
    options = ImportOptions(batch_size=2, rejects=str(tmp_path / "rejects.csv"))
    return run_import(store, IMPORTERS[kind], str(path), options)


def _marks(store) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with store.engine.begin() as conn:
        marks = sorted(map(tuple, conn.execute(select(kpi_stale)).all()))
        conn.execute(delete(kpi_stale))
    return marks  # type: ignore[return-value]


def test_activities_changed_rows_are_updated_and_marked(store, tmp_path: Path) -> None:
    _seed(store, tmp_path)
    header = "lead_email,type,occurred_at,rep_email,outcome\n"
    first = (
        "a@acme.io,call,2026-02-01T10:00:00,ana@acme.io,no answer\n"
        "b@beta.io,email,2026-03-01T10:00:00,,sent\n"
        "a@acme.io,note,2026-04-01T10:00:00,,\n"
    )
    summary = _import(store, tmp_path, "activities", header + first)
    assert (summary.inserted, summary.updated, summary.unchanged) == (3, 0, 0)
    # a call on an inbound lead (webinar): speed-to-lead of its creation month too
    assert _marks(store) == [
        ("activity", "2026-02"),
        ("activity", "2026-03"),
        ("activity", "2026-04"),
        ("speed", "2026-01"),
    ]
    second = (
        "a@acme.io,call,2026-02-01T10:00:00,,connected\n"  # outcome changes, rep is kept
        "b@beta.io,email,2026-03-01T10:00:00,,sent\n"
        "a@acme.io,note,2026-04-01T10:00:00,,\n"
    )
    summary = _import(store, tmp_path, "activities", header + second)
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 2)
    assert _marks(store) == [("activity", "2026-02"), ("speed", "2026-01")]
    with store.engine.connect() as conn:
        call = conn.execute(
            select(tables.activity.c.outcome, tables.activity.c.rep_id).where(
                tables.activity.c.type == "call"
            )
        ).one()
        ana = conn.execute(select(tables.rep.c.id).where(tables.rep.c.email == "ana@acme.io"))
        assert call == ("connected", ana.scalar())
    summary = _import(store, tmp_path, "activities", header + second)
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 0, 3)
    assert _marks(store) == []


def test_activities_naming_one_lead_by_email_and_by_id(store, tmp_path: Path) -> None:
    """Two keys of the file, one stored activity: the later row updates the earlier."""
    _seed(store, tmp_path)
    summary = _import(
        store,
        tmp_path,
        "activities",
        "lead_email,external_id,type,occurred_at,outcome\n"
        "a@acme.io,,call,2026-02-01T10:00:00,no answer\n"
        ",D1,call,2026-02-01T10:00:00,connected\n"
        ",D9,call,2026-02-01T10:00:00,\n",
    )
    assert summary.rejected == 1
    with store.engine.connect() as conn:
        outcomes = conn.execute(select(tables.activity.c.outcome)).scalars().all()
    assert outcomes == ["connected"]


def test_usage_account_changes_are_updated_and_marked(store, tmp_path: Path) -> None:
    _seed(store, tmp_path)
    header = "user,occurred_at,account,feature\n"
    first = "U1,2026-03-01,acme.io,export\nAnn@Acme.io,2026-04-02,,\nU2,2026-05-03,new.io,\n"
    summary = _import(store, tmp_path, "usage", header + first)
    assert (summary.inserted, summary.updated, summary.unchanged) == (3, 0, 0)
    assert summary.accounts_created == 1  # new.io; acme.io came with lead a@acme.io
    assert _marks(store) == [("usage", "2026-03"), ("usage", "2026-04"), ("usage", "2026-05")]
    second = "U1,2026-03-01,,export\nann@acme.io,2026-04-02,beta.io,\nU2,2026-05-03,new.io,\n"
    summary = _import(store, tmp_path, "usage", header + second)
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 2)
    assert summary.accounts_created == 0  # beta.io came with lead b@beta.io
    assert _marks(store) == [("usage", "2026-04")]
    with store.engine.connect() as conn:
        accounts = conn.execute(
            select(tables.usage_event.c.user_key, tables.account.c.domain)
            .join_from(tables.usage_event, tables.account)
            .order_by(tables.usage_event.c.user_key)
        ).all()
        assert accounts == [("U1", "acme.io"), ("U2", "new.io"), ("ann@acme.io", "beta.io")]
        assert conn.execute(select(func.count()).select_from(tables.usage_event)).scalar() == 3
