"""Within a file the last valid row of a key wins, wherever it stands, and a re-import of
the same file writes nothing (docs/domain.md §3.4): every importer, both backends."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, delete, func, select

from abs_cli.imports.engine import ImportOptions, run_import
from abs_cli.imports.registry import IMPORTERS
from abs_cli.store import tables
from abs_cli.store.rollup_tables import kpi_stale

WRITTEN: tuple[Table, ...] = (
    tables.rep,
    tables.account,
    tables.lead,
    tables.stage_history,
    tables.stage_stay,
    tables.activity,
    tables.subscription,
    tables.spend,
    tables.nps_response,
    tables.usage_event,
    tables.campaign_member,
    tables.ticket,
    kpi_stale,
)
"""Every table an import may write, rollup marks included."""


def snapshot(store) -> dict[str, list[tuple[Any, ...]]]:  # type: ignore[no-untyped-def]
    """Every row of every table an import may write, sorted: equal means nothing written."""
    with store.engine.connect() as conn:
        return {
            table.name: sorted(map(tuple, conn.execute(select(table)).all()), key=repr)
            for table in WRITTEN
        }


def clear_marks(store) -> None:  # type: ignore[no-untyped-def]
    with store.engine.begin() as conn:
        conn.execute(delete(kpi_stale))


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


SEED_TEAM = "email,name,role\nana@acme.io,Ana Lima,sdr\nbo@acme.io,Bo,ae\n"
SEED_LEADS = "email,created_at\na@acme.io,2026-01-05\nb@beta.io,2026-01-06\nc@gamma.io,2026-01-07\n"

# importer: header, its first row, rows of other keys (fillers, n → row), its last row
# (same key as the first, other values), and a query of the value the last row sets.
CASES: dict[str, tuple[list[str], list[str], Any, list[str], Any, Any]] = {
    "team": (
        ["email", "name", "role"],
        ["cy@acme.io", "Cy", "sdr"],
        lambda n: [f"rep{n}@acme.io", f"Rep {n}", "ae"],
        ["cy@acme.io", "Cy Ng", "cs"],
        select(tables.rep.c.role).where(tables.rep.c.email == "cy@acme.io"),
        "cs",
    ),
    "accounts": (
        ["domain", "name", "employees"],
        ["delta.io", "Delta", "10"],
        lambda n: [f"filler{n}.io", f"Filler {n}", str(n)],
        ["delta.io", "Delta Inc", "12"],
        select(tables.account.c.name).where(tables.account.c.domain == "delta.io"),
        "Delta Inc",
    ),
    "leads": (
        ["email", "first_name", "stage", "created_at", "owner"],
        ["a@acme.io", "Ann", "prospect", "2026-01-05", "ana@acme.io"],
        lambda n: [f"p{n}@zeta.io", "P", "prospect", "2026-02-01", ""],
        ["a@acme.io", "Anna", "qualified", "2026-01-05", "Bo"],
        select(tables.lead.c.stage).where(tables.lead.c.email == "a@acme.io"),
        "qualified",
    ),
    "activities": (
        ["lead_email", "type", "occurred_at", "outcome"],
        ["a@acme.io", "call", "2026-02-01T10:00:00", "no answer"],
        lambda n: ["b@beta.io", "email", f"2026-02-0{n + 1}T09:00:00", ""],
        ["a@acme.io", "call", "2026-02-01T10:00:00", "connected"],
        select(tables.activity.c.outcome).where(tables.activity.c.type == "call"),
        "connected",
    ),
    "pipeline": (
        ["lead_email", "to_stage", "changed_at", "amount"],
        ["b@beta.io", "discovery", "2026-02-01", "900"],
        lambda n: ["c@gamma.io", "qualified", f"2026-02-0{n + 1}", ""],
        ["b@beta.io", "discovery", "2026-02-01", "1000"],
        select(tables.stage_history.c.amount).where(tables.stage_history.c.to_stage == "discovery"),
        1000,
    ),
    "subscriptions": (
        ["account", "started_at", "amount", "plan"],
        ["acme.io", "2026-01-01", "100", "Pro"],
        lambda n: [f"sub{n}.io", "2026-01-01", "50", "Team"],
        ["acme.io", "2026-01-01", "120", "Pro"],
        select(tables.subscription.c.amount).where(tables.subscription.c.plan == "Pro"),
        120,
    ),
    "spend": (
        ["month", "category", "amount", "channel"],
        ["2026-01", "sales", "100", ""],
        lambda n: [f"2026-0{n + 2}", "marketing", "10", "ads"],
        ["2026-01", "sales", "150", ""],
        select(tables.spend.c.amount).where(tables.spend.c.category == "sales"),
        150,
    ),
    "nps": (
        ["score", "responded_at", "email"],
        ["9", "2026-03-01", "a@acme.io"],
        lambda n: ["8", f"2026-03-0{n + 2}", "b@beta.io"],
        ["7", "2026-03-01", "a@acme.io"],
        select(tables.nps_response.c.score).where(tables.nps_response.c.respondent == "a@acme.io"),
        7,
    ),
    "usage": (
        ["user", "occurred_at", "account", "feature"],
        ["U1", "2026-03-01", "acme.io", "export"],
        lambda n: [f"U{n + 2}", "2026-03-01", "", "export"],
        ["U1", "2026-03-01", "", "export"],
        select(func.count()).where(
            tables.usage_event.c.user_key == "U1", tables.usage_event.c.account_id.is_(None)
        ),
        1,
    ),
    "campaigns": (
        ["campaign", "lead_email", "sent_at", "responded_at"],
        ["Spring", "a@acme.io", "2026-03-01", ""],
        lambda n: [f"Fall {n}", "b@beta.io", "2026-03-01", ""],
        ["Spring", "a@acme.io", "2026-03-02", "2026-03-03"],
        select(func.count()).where(tables.campaign_member.c.responded_at.is_not(None)),
        1,
    ),
    "tickets": (
        ["account", "opened_at", "type", "severity"],
        ["acme.io", "2026-03-01", "bug", "low"],
        lambda n: ["beta.io", f"2026-03-0{n + 2}", "question", ""],
        ["acme.io", "2026-03-01", "bug", "high"],
        select(tables.ticket.c.severity).where(tables.ticket.c.type == "bug"),
        "high",
    ),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_last_row_wins_across_batches_and_reimport_writes_nothing(
    kind: str, store, tmp_path: Path
) -> None:
    seed = tmp_path / "team.csv"
    seed.write_text(SEED_TEAM)
    run_import(store, IMPORTERS["team"], str(seed), ImportOptions())
    seed = tmp_path / "seed-leads.csv"
    seed.write_text(SEED_LEADS)
    run_import(store, IMPORTERS["leads"], str(seed), ImportOptions())
    header, first, filler, last, query, expected = CASES[kind]
    path = write_csv(tmp_path / f"{kind}.csv", header, [first, *map(filler, range(5)), last])
    options = ImportOptions(batch_size=2, rejects=str(tmp_path / "rejects.csv"))
    summary = run_import(store, IMPORTERS[kind], str(path), options)
    assert (summary.rejected, summary.duplicates_in_file) == (0, 1)
    assert summary.inserted + summary.updated == 6
    with store.engine.connect() as conn:
        assert conn.execute(query).scalar() == expected
    clear_marks(store)
    before = snapshot(store)
    again = run_import(store, IMPORTERS[kind], str(path), options)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 6)
    assert snapshot(store) == before


def test_a_key_on_the_first_and_last_line_moves_once(cli, tmp_path: Path) -> None:
    """Issue 12: `x@` is `prospect` on line 2 and `qualified` on the last line, far apart."""
    rows = [["x@acme.io", "prospect"], *([f"p{n}@acme.io", ""] for n in range(40))]
    path = write_csv(
        tmp_path / "leads.csv", ["email", "stage"], [*rows, ["x@acme.io", "qualified"]]
    )
    for expected in ((41, 0, 0), (0, 0, 41)):
        result = cli("leads", "import", str(path), "--batch-size", "7", "-f", "json")
        summary = json.loads(result.stdout)
        assert (summary["inserted"], summary["updated"], summary["unchanged"]) == expected
        assert summary["duplicates_in_file"] == 1
        history = json.loads(cli("pipeline", "history", "x@acme.io", "-f", "json").stdout)
        assert [row["to_stage"] for row in history] == ["qualified"]


LEAD_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["a@acme.io", "b@acme.io", "c@beta.io", "d@gmail.com", "e@beta.io"]),
        st.sampled_from(["", "Ann", "Bob"]),
        st.sampled_from(["", "Acme", "Beta"]),
        st.sampled_from(["", "prospect", "qualified", "demo"]),
        st.sampled_from(["", "5", "50", "x"]),
        st.sampled_from(["2026-01-05", "2026-02-10T08:00:00"]),
    ),
    max_size=18,
)


def _lead_store(store) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The leads, their accounts, history and stays, by e-mail and domain (ids and the
    run's own time stamps left out)."""
    lead, account = tables.lead.c, tables.account.c
    history, stay = tables.stage_history.c, tables.stage_stay.c
    with store.engine.connect() as conn:
        leads = conn.execute(
            select(
                lead.email,
                lead.first_name,
                lead.company,
                lead.stage,
                lead.employees,
                lead.created_at,
                account.domain,
                account.name,
            ).outerjoin(tables.account, account.id == lead.account_id)
        ).all()
        moves = conn.execute(
            select(lead.email, history.from_stage, history.to_stage, history.forced).join(
                tables.lead, lead.id == history.lead_id
            )
        ).all()
        stays = conn.execute(
            select(lead.email, stay.stage, stay.entered_at).join(
                tables.lead, lead.id == stay.lead_id
            )
        ).all()
        domains = conn.execute(select(account.domain, account.name)).all()
    return {
        "leads": sorted(map(tuple, leads)),
        "history": sorted(map(tuple, moves), key=repr),
        "stays": sorted(map(tuple, stays), key=repr),
        "accounts": sorted(map(tuple, domains), key=repr),
    }


def _wipe(store) -> None:  # type: ignore[no-untyped-def]
    with store.engine.begin() as conn:
        for table in (
            tables.stage_stay,
            tables.stage_history,
            tables.lead,
            tables.account,
            kpi_stale,
        ):
            conn.execute(delete(table))


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@pytest.mark.slow
@given(rows=LEAD_ROWS)
def test_import_equals_the_file_without_earlier_duplicates(
    store, tmp_path: Path, rows: list[tuple[str, ...]]
) -> None:
    """Duplicates stand further apart than the batch (2 rows): the store equals the one
    built from the file without the earlier rows of each key (bad rows are not rows of
    their key: `employees` 'x' is rejected), and a re-import writes nothing."""
    header = ["email", "first_name", "company", "stage", "employees", "created_at"]
    options = ImportOptions(batch_size=2, rejects=str(tmp_path / "rejects.csv"))
    last_valid = {row[0]: index for index, row in enumerate(rows) if row[4] != "x"}
    kept = [row for index, row in enumerate(rows) if last_valid.get(row[0]) == index]
    _wipe(store)
    run_import(
        store, IMPORTERS["leads"], str(write_csv(tmp_path / "kept.csv", header, kept)), options
    )
    expected = _lead_store(store)
    _wipe(store)
    path = write_csv(tmp_path / "all.csv", header, rows)
    summary = run_import(store, IMPORTERS["leads"], str(path), options)
    assert _lead_store(store) == expected
    assert summary.inserted == len(kept)
    assert summary.duplicates_in_file == len(rows) - summary.rejected - len(kept)
    clear_marks(store)
    before = snapshot(store)
    again = run_import(store, IMPORTERS["leads"], str(path), options)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(kept))
    assert snapshot(store) == before
