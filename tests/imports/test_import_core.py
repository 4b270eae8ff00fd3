"""The engine called directly: Ctrl-C mid-import, and the valid/invalid rows invariant."""

from __future__ import annotations

import csv
import gc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from abs_cli.errors import InputError
from abs_cli.imports.engine import ImportOptions, run_import
from abs_cli.imports.registry import IMPORTERS
from abs_cli.store.models import Account, Lead, StageHistory, StageStay


def lead_count(store) -> int:  # type: ignore[no-untyped-def]
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(Lead)) or 0


def test_the_cycle_collector_pauses_during_an_import_only(store, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("email\na@acme.io\nb@acme.io\n")
    seen: list[bool] = []

    def interrupt(batch: int) -> None:
        seen.append(gc.isenabled())
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_import(store, IMPORTERS["leads"], str(path), ImportOptions(), before_commit=interrupt)
    assert seen == [False]
    assert gc.isenabled()
    run_import(store, IMPORTERS["leads"], str(path), ImportOptions())
    assert gc.isenabled()


def test_interrupt_keeps_earlier_batches_and_rerun_completes(store, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("email\n" + "".join(f"p{n}@acme.io\n" for n in range(10)))

    def interrupt(batch: int) -> None:
        if batch == 3:
            raise KeyboardInterrupt

    options = ImportOptions(batch_size=3)
    with pytest.raises(KeyboardInterrupt):
        run_import(store, IMPORTERS["leads"], str(path), options, before_commit=interrupt)
    assert lead_count(store) == 6
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(StageHistory)) == 6
    summary = run_import(store, IMPORTERS["leads"], str(path), options)
    assert (summary.inserted, summary.unchanged) == (4, 6)
    assert lead_count(store) == 10


def test_strict_interrupt_writes_nothing(store, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("email\n" + "".join(f"p{n}@acme.io\n" for n in range(10)))

    def interrupt(batch: int) -> None:
        if batch == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_import(
            store,
            IMPORTERS["leads"],
            str(path),
            ImportOptions(batch_size=3, strict=True),
            before_commit=interrupt,
        )
    assert lead_count(store) == 0


VALID = st.builds(
    lambda name, domain, employees: (f"{name}@{domain}.io", str(employees)),
    st.from_regex(r"[a-z]{1,8}", fullmatch=True),
    st.sampled_from(["acme", "beta", "gamma"]),
    st.integers(min_value=0, max_value=100_000),
)
INVALID = st.one_of(
    st.builds(lambda name: (f"{name}@", "5"), st.from_regex(r"[a-z]{1,8}", fullmatch=True)),
    st.builds(
        lambda name, bad: (f"{name}@acme.io", bad),
        st.from_regex(r"[a-z]{1,8}", fullmatch=True),
        st.sampled_from(["-1", "ten", "1.5"]),
    ),
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@pytest.mark.slow
@given(rows=st.lists(st.one_of(VALID, INVALID), max_size=25, unique_by=lambda row: row[0]))
def test_valid_rows_land_invalid_rows_are_rejected_reimport_is_a_no_op(
    store, tmp_path: Path, rows: list[tuple[str, str]]
) -> None:
    with store.session(write=True) as session:
        for table in (StageStay, StageHistory, Lead, Account):
            session.execute(delete(table))
    path = tmp_path / "leads.csv"
    rejects_path = tmp_path / "rejects.csv"
    rejects_path.unlink(missing_ok=True)
    lines = rows
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "employees"])
        writer.writerows(lines)
    options = ImportOptions(rejects=str(rejects_path), batch_size=4)
    summary = run_import(store, IMPORTERS["leads"], str(path), options)

    def valid(email: str, employees: str) -> bool:
        return not email.endswith("@") and employees.isdigit()

    expected = {email: int(employees) for email, employees in lines if valid(email, employees)}
    with store.session() as session:
        stored = dict(session.execute(select(Lead.email, Lead.employees)).all())
    assert stored == expected
    bad_lines = [n + 2 for n, (email, employees) in enumerate(lines) if not valid(email, employees)]
    if bad_lines:
        with rejects_path.open(newline="") as handle:
            assert [int(row["line"]) for row in csv.DictReader(handle)] == bad_lines
    else:
        assert not rejects_path.exists()
    assert summary.rejected == len(bad_lines)
    assert summary.inserted == len(expected)
    again = run_import(store, IMPORTERS["leads"], str(path), options)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(expected))
    assert again.rejected == len(bad_lines)


def test_account_cache_overflow_keeps_every_lead_linked(
    store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("abs_cli.imports.resolve.ACCOUNT_CACHE_LIMIT", 2)
    path = tmp_path / "leads.csv"
    path.write_text("email\n" + "".join(f"p{n}@c{n % 5}.io\n" for n in range(12)))
    summary = run_import(store, IMPORTERS["leads"], str(path), ImportOptions(batch_size=3))
    assert summary.inserted == 12
    with store.session() as session:
        linked = session.execute(
            select(Lead.email, Account.domain).join(Account, Account.id == Lead.account_id)
        ).all()
    assert sorted(linked) == sorted((f"p{n}@c{n % 5}.io", f"c{n % 5}.io") for n in range(12))


def index_names(store) -> set[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import inspect

    inspector = inspect(store.engine)
    return {
        index["name"]
        for table in ("lead", "stage_history")
        for index in inspector.get_indexes(table)
    }


def test_strict_import_builds_indexes_after_the_load(store, tmp_path: Path) -> None:
    """A --strict import into an empty store may build the secondary indexes at the end
    (SQLite): every index is there afterwards, and a failed import leaves them in place."""
    indexes = index_names(store)
    bad = tmp_path / "bad.csv"
    bad.write_text("email\n" + "".join(f"p{n}@acme.io\n" for n in range(10)) + "bob@\n")
    with pytest.raises(InputError, match="line 12: email 'bob@' is not a valid address"):
        run_import(store, IMPORTERS["leads"], str(bad), ImportOptions(batch_size=4, strict=True))
    assert lead_count(store) == 0 and index_names(store) == indexes
    good = tmp_path / "good.csv"
    good.write_text(
        "email,created_at\n" + "".join(f"p{n}@acme.io,2026-03-0{n % 9 + 1}\n" for n in range(10))
    )
    summary = run_import(store, IMPORTERS["leads"], str(good), ImportOptions(strict=True))
    assert summary.inserted == 10 and index_names(store) == indexes
    with store.session() as session:
        first = session.scalar(select(Lead.email).order_by(Lead.created_at, Lead.id).limit(1))
        assert first == "p0@acme.io"
        assert session.scalar(select(func.count()).select_from(StageHistory)) == 10
