"""Pipeline benchmark: bulk `abs pipeline advance` from stdin, and `abs pipeline board`.

One command builds its own data and times the real CLI in a subprocess:

    python bench/pipeline_bench.py                 # SQLite files in a temp folder
    python bench/pipeline_bench.py --db postgresql+psycopg://abs:abs@127.0.0.1/abs_bench

Targets (issue 4): advancing 100,000 leads read from stdin in one command ≥ 5,000 leads/s;
`abs pipeline board` over 1,000,000 leads ≤ 1 s.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from abs_cli.domain import STAGES
from abs_cli.store.engine import Store, make_engine
from abs_cli.store.location import StoreLocation, to_url
from abs_cli.store.migrate import ensure_current
from abs_cli.store.models import Lead, Rep
from abs_cli.store.sql import db_value, insert_rows

ABS = [sys.executable, "-m", "abs_cli"]
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TEAM = {"sdr": 10, "ir": 10, "ae": 20, "cs": 5}


def open_store(url: str) -> Store:
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    location = StoreLocation(url, "bench")
    store = Store(location, make_engine(location))
    ensure_current(store)
    return store


def generate(store: Store, leads: int, *, spread: bool, seed: int = 7) -> list[str]:
    """A team and `leads` leads: all at step 1, or spread over the steps with amounts."""
    rng = random.Random(seed)
    reps = [
        {
            "email": f"{role}{i}@acme.io",
            "role": role,
            "active": True,
            "created_at": T0,
            "updated_at": T0,
        }
        for role, count in TEAM.items()
        for i in range(count)
    ]
    with store.session(write=True) as session:
        session.execute(insert(Rep.__table__), reps)
    ids = {role: [] for role in TEAM}
    for index, rep in enumerate(reps, start=1):
        ids[rep["role"]].append(index)
    emails = []
    batch = []
    dialect = store.engine.dialect
    columns = Lead.__table__.c
    stamps = [
        db_value(columns.created_at, T0 + timedelta(minutes=m), dialect) for m in range(50_000)
    ]
    fields = (
        ("email", "text"),
        ("stage", "text"),
        ("stage_changed_at", "timestamp"),
        ("created_at", "timestamp"),
        ("updated_at", "timestamp"),
        ("source", "text"),
        ("inbound", "boolean"),
        ("country", "text"),
        ("owner_id", "int"),
        ("amount", "bigint"),
    )
    for n in range(leads):
        stage = rng.choice(STAGES) if spread else "prospect"
        role = "cs" if stage == "customer" else "ae" if STAGES.index(stage) >= 2 else "sdr"
        created = stamps[n % 50_000]
        email = f"lead{n}@client{n % 997}.io"
        emails.append(email)
        cents = rng.randrange(100_000, 5_000_000) if STAGES.index(stage) >= 2 else None
        batch.append(
            (
                email,
                stage,
                created,
                created,
                created,
                "outbound_list",
                False,
                "FR",
                rng.choice(ids[role]),
                cents,
            )
        )
        if len(batch) == 50_000:
            with store.session(write=True) as session:
                insert_rows(session, "lead", fields, batch)
            batch = []
    if batch:
        with store.session(write=True) as session:
            insert_rows(session, "lead", fields, batch)
    return emails


def run(args: list[str], stdin: str | None = None) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(
        ABS + args, input=stdin, capture_output=True, text=True, env=os.environ | {"NO_COLOR": "1"}
    )
    return time.perf_counter() - started, done


def bench_advance(url: str, count: int) -> None:
    store = open_store(url)
    started = time.perf_counter()
    emails = generate(store, count, spread=False)
    store.dispose()
    print(f"generated {count:,} leads at step 1 in {time.perf_counter() - started:.1f} s")
    stdin = "\n".join(emails) + "\n"
    seconds, done = run(["--db", url, "-q", "pipeline", "advance", "-", "-f", "tsv"], stdin)
    moved = sum(1 for line in done.stdout.splitlines() if "\tmoved\t" in line)
    assert done.returncode == 0 and moved == count, (done.returncode, moved, done.stderr[-500:])
    print(
        f"advance {count:,} leads prospect → qualified: {seconds:.2f} s, "
        f"{count / seconds:,.0f} leads/s (target ≥ 5,000)"
    )
    args = [
        "--db",
        url,
        "-q",
        "pipeline",
        "advance",
        "-",
        "--force",
        "--reason",
        "bench",
        "-f",
        "tsv",
    ]
    seconds, done = run(args, stdin)
    moved = sum(1 for line in done.stdout.splitlines() if "\tmoved\t" in line)
    assert done.returncode == 0 and moved == count, (done.returncode, moved, done.stderr[-500:])
    print(
        f"advance {count:,} leads qualified → discovery with AE handoff (round-robin): "
        f"{seconds:.2f} s, {count / seconds:,.0f} leads/s"
    )


def bench_board(url: str, count: int) -> None:
    store = open_store(url)
    started = time.perf_counter()
    generate(store, count, spread=True)
    if store.dialect == "sqlite":
        with store.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with store.engine.begin() as connection:
            connection.exec_driver_sql("VACUUM ANALYZE lead" if False else "ANALYZE lead")
    store.dispose()
    print(
        f"generated {count:,} leads over the seven steps in {time.perf_counter() - started:.1f} s"
    )
    for label, extra in (
        ("board", []),
        ("board --role ae", ["--role", "ae"]),
        ("board --owner ae3@acme.io", ["--owner", "ae3@acme.io"]),
    ):
        best = min(
            run(["--db", url, "pipeline", "board", "-f", "json", *extra])[0] for _ in range(3)
        )
        print(
            f"abs pipeline {label} over {count:,} leads: {best:.2f} s wall, best of 3 "
            f"(target ≤ 1 s)"
        )
    started = time.perf_counter()
    run(["--db", url, "--help"])
    print(f"(for scale: `abs --help` takes {time.perf_counter() - started:.2f} s)")
    from abs_cli.pipeline.board import board
    from abs_cli.pipeline.config import WorkflowConfig

    store = open_store_as_is(url)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        with store.session() as session:
            board(session, WorkflowConfig(), now=T0)
        timings.append(time.perf_counter() - started)
    store.dispose()
    print(f"board() in-process (the SQL and its rows, no interpreter start): {min(timings):.2f} s")


def open_store_as_is(url: str) -> Store:
    location = StoreLocation(url, "bench")
    return Store(location, make_engine(location))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="PostgreSQL URL (default: SQLite files in a temp folder)")
    parser.add_argument("--advance", type=int, default=100_000)
    parser.add_argument("--board", type=int, default=1_000_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        advance_url = options.db or to_url(str(Path(folder) / "advance.db"))
        bench_advance(advance_url, options.advance)
        board_url = options.db or to_url(str(Path(folder) / "board.db"))
        bench_board(board_url, options.board)


if __name__ == "__main__":
    main()
