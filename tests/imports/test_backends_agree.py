"""One set-based lead writer on both backends: the same files give the same stores."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import PG_URL, _pg_reachable, _reset_pg_schema
from sqlalchemy import select

from abs_cli.imports.engine import ImportOptions, run_import
from abs_cli.imports.registry import IMPORTERS
from abs_cli.store import tables
from abs_cli.store.engine import Store, make_engine
from abs_cli.store.location import StoreLocation, to_url
from abs_cli.store.migrate import ensure_current
from abs_cli.store.rollup_tables import kpi_stale

HEADER = [
    "Record ID",
    "Email",
    "First Name",
    "Company Name",
    "Lifecycle Stage",
    "Contact owner",
    "Original Source",
    "Create Date",
    "Number of Employees",
    "Country/Region",
]


def _open(url: str) -> Store:
    location = StoreLocation(url, "test")
    store = Store(location, make_engine(location))
    ensure_current(store)
    return store


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[dict[str, Store]]:
    error = _pg_reachable()
    if error is not None:
        pytest.skip(f"no PostgreSQL server reachable ({error})")
    _reset_pg_schema()
    opened = {"sqlite": _open(to_url(str(tmp_path / "abs.db"))), "postgresql": _open(PG_URL)}
    yield opened
    for store in opened.values():
        store.dispose()


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _export(count: int, stage: str, offset: int = 0) -> list[list[str]]:
    """A HubSpot-shaped export: ids, owners, stages; every 7th lead repeats far later."""
    rows = []
    for number in range(count):
        person = number if number % 7 or number < 20 else number - 17
        rows.append(
            [
                f"HS-{person + offset}",
                f"person{person + offset}@company{person % 9}.io" if person % 11 else "",
                "Ann" if number % 2 else "",
                f"Company {person % 9}",
                stage if person % 3 else "lead",
                "ana@acme.io" if person % 4 else "Bo",
                ["Demo Request", "LinkedIn", "webinar"][person % 3],
                f"2026-0{1 + person % 6}-1{person % 9}T0{person % 10}:00:00Z",
                str(10 * (number % 5)) if number % 5 else "",
                ["FR", "Germany", "US"][person % 3],
            ]
        )
    return rows


def _snapshot(store: Store) -> dict[str, Any]:
    """Leads, accounts, history and stays by natural keys (ids left out)."""
    lead, account = tables.lead.c, tables.account.c
    history, stay, rep = tables.stage_history.c, tables.stage_stay.c, tables.rep.c
    who = (lead.external_id, lead.email)
    with store.engine.connect() as conn:
        return {
            "leads": sorted(
                conn.execute(
                    select(
                        *who,
                        lead.first_name,
                        lead.company,
                        lead.stage,
                        lead.employees,
                        lead.country,
                        lead.source,
                        lead.inbound,
                        lead.created_at,
                        lead.stage_changed_at,
                        lead.updated_at,
                        account.domain,
                        rep.email,
                    )
                    .outerjoin(tables.account, account.id == lead.account_id)
                    .outerjoin(tables.rep, rep.id == lead.owner_id)
                ).all(),
                key=repr,
            ),
            "accounts": sorted(conn.execute(select(account.domain, account.name)).all(), key=repr),
            "history": sorted(
                conn.execute(
                    select(
                        *who,
                        history.from_stage,
                        history.to_stage,
                        history.changed_at,
                        history.forced,
                        history.owner_id.is_(None),
                    ).join(tables.lead, lead.id == history.lead_id)
                ).all(),
                key=repr,
            ),
            "stays": sorted(
                conn.execute(
                    select(*who, stay.stage, stay.entered_at, stay.left_at, stay.from_stage).join(
                        tables.lead, lead.id == stay.lead_id
                    )
                ).all(),
                key=repr,
            ),
            "marks": sorted(conn.execute(select(kpi_stale.c.part, kpi_stale.c.month)).all()),
        }


def test_sqlite_and_postgresql_stores_agree(
    stores: dict[str, Store], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = tmp_path / "team.csv"
    team.write_text("email,name,role\nana@acme.io,Ana Lima,sdr\nbo@acme.io,Bo,ae\n")
    first = _write(tmp_path / "first.csv", _export(60, "marketingqualifiedlead"))
    second = _write(tmp_path / "second.csv", _export(45, "opportunity", offset=30))
    summaries: dict[str, list[tuple[int, ...]]] = {}
    for name, store in stores.items():
        done = summaries[name] = []
        for hour, (kind, path) in enumerate(
            (("team", team), ("leads", first), ("leads", second), ("leads", second))
        ):
            started = datetime(2026, 7, 1, hour, tzinfo=UTC)
            monkeypatch.setattr("abs_cli.imports.engine.now", lambda started=started: started)
            options = ImportOptions(batch_size=8, rejects=str(tmp_path / f"{name}.rejects.csv"))
            summary = run_import(store, IMPORTERS[kind], str(path), options)
            done.append(
                (
                    summary.inserted,
                    summary.updated,
                    summary.unchanged,
                    summary.duplicates_in_file,
                    summary.rejected,
                )
            )
    assert summaries["sqlite"] == summaries["postgresql"]
    assert summaries["sqlite"][3][:2] == (0, 0)  # the re-import wrote nothing
    sqlite, postgresql = (_snapshot(store) for store in stores.values())
    assert sqlite["history"] and sqlite["stays"]
    for part in sqlite:
        assert sqlite[part] == postgresql[part], part
