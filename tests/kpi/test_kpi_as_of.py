"""`--as-of T` is reproducible: writes dated after T never change a report as of T
(docs/domain.md §3.7), on both databases."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import Cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kpi_data import open_store, seed
from kpi_scenario import company

AS_OF = "2026-01-31T23:59:59Z"
T = datetime(2026, 1, 31, 23, 59, 59)
REPORT = ("kpi", "report", "--from", "2025-12", "--to", "2026-02", "--as-of", AS_OF, "-f", "json")


@pytest.fixture
def seeded(cli: Cli) -> Cli:
    store = open_store(cli.url)
    seed(store, **company())
    store.dispose()
    return cli


def _import(cli: Cli, folder: Path, noun: str, text: str) -> int:
    path = folder / f"{noun}.csv"
    path.write_text(text, encoding="utf-8")
    return cli(noun, "import", str(path)).exit_code


Write = Callable[[Cli, Path, datetime, int], int]
"""A write dated `when` (after T); the int makes keys unique. Returns the exit code."""

WRITES: dict[str, Write] = {
    "advance": lambda cli, _, when, n: (
        cli(
            *("pipeline", "advance", "l3@x.io", "--to", ("negotiation", "customer", "lost")[n % 3]),
            *("--force", "--reason", "later", "--at", when.isoformat()),
        ).exit_code
    ),
    "activity": lambda cli, _, when, n: (
        cli("activities", "log", "l2@two.io", "--type", "call", "--at", when.isoformat()).exit_code
    ),
    "lead": lambda cli, folder, when, n: _import(
        cli, folder, "leads", f"email,created_at,stage\nlate{n}@x.io,{when:%Y-%m-%dT%H:%M},demo\n"
    ),
    "subscription": lambda cli, folder, when, n: _import(
        cli, folder, "subscriptions", f"account,started_at,amount\nnew{n}.io,{when:%Y-%m-%d},70\n"
    ),
    "end subscription": lambda cli, folder, when, n: _import(
        cli,
        folder,
        "subscriptions",
        f"account,started_at,amount,ended_at\none.io,2025-12-01,100,{when:%Y-%m-%d}\n",
    ),
    "usage": lambda cli, folder, when, n: _import(
        cli, folder, "usage", f"user,occurred_at,feature\nu{n},{when:%Y-%m-%dT%H:%M},export\n"
    ),
    "nps": lambda cli, folder, when, n: _import(
        cli, folder, "nps", f"score,responded_at,email\n2,{when:%Y-%m-%dT%H:%M},l1@one.io\n"
    ),
    "ticket": lambda cli, folder, when, n: _import(
        cli, folder, "tickets", f"account,opened_at,type\none.io,{when:%Y-%m-%dT%H:%M},bug\n"
    ),
    "close ticket": lambda cli, folder, when, n: _import(
        cli,
        folder,
        "tickets",
        f"account,opened_at,type,closed_at\none.io,2026-01-05,bug,{when:%Y-%m-%d}\n",
    ),
    "campaign response": lambda cli, folder, when, n: _import(
        cli,
        folder,
        "campaigns",
        f"campaign,lead_email,sent_at,responded_at\nw1,l2@two.io,2026-01-02,{when:%Y-%m-%d}\n",
    ),
    "spend": lambda cli, folder, when, n: _import(
        cli, folder, "spend", f"month,category,amount\n{when:%Y-%m},sales,999\n"
    ),
}


def test_every_kind_of_write_after_t_leaves_the_report_identical(
    seeded: Cli, tmp_path: Path
) -> None:
    before = seeded(*REPORT)
    assert before.exit_code == 0, before.stderr
    for number, (name, write) in enumerate(WRITES.items()):
        assert write(seeded, tmp_path, T + timedelta(days=1, hours=number), number) == 0, name
    assert seeded(*REPORT).stdout == before.stdout
    unbounded = seeded("kpi", "report", "--from", "2025-12", "--to", "2026-02", "-f", "json")
    assert unbounded.stdout != before.stdout  # the writes are there, after T


def test_a_report_as_of_t_ignores_what_happened_after_t(seeded: Cli) -> None:
    """The scenario's answer to campaign w1 came on 2026-02-01, after T: as of T, w1 had
    no response yet; without --as-of (now), it has one."""
    import json

    def w1(*args: str) -> dict[str, object]:
        document = json.loads(seeded(*args).stdout)
        return next(row for row in document["campaigns"] if row["campaign"] == "w1")

    assert w1(*REPORT)["responded"] == 0
    unbounded = ("kpi", "report", "--from", "2025-12", "--to", "2026-02", "-f", "json")
    assert w1(*unbounded)["responded"] == 1


@pytest.mark.slow
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    writes=st.lists(
        st.tuples(st.sampled_from(sorted(WRITES)), st.integers(1, 40 * 24 * 60)),
        min_size=1,
        max_size=4,
    )
)
def test_writes_dated_after_t_never_change_a_report_as_of_t(
    seeded: Cli, tmp_path: Path, writes: list[tuple[str, int]]
) -> None:
    rounds = _rounds(seeded)
    base = T + timedelta(days=60 * next(rounds))  # each example writes later than the last
    before = seeded(*REPORT).stdout
    for number, (name, minutes) in enumerate(sorted(writes, key=lambda write: write[1])):
        code = WRITES[name](seeded, tmp_path, base + timedelta(minutes=minutes), number)
        assert code in (0, 3), name  # 3: a move refused by the rules writes nothing
    assert seeded(*REPORT).stdout == before


_COUNTERS: dict[str, itertools.count[int]] = {}


def _rounds(cli: Cli) -> itertools.count[int]:
    return _COUNTERS.setdefault(cli.url + str(id(cli)), itertools.count())


def test_a_store_with_nothing_after_t_is_the_store_as_of_t(seeded: Cli) -> None:
    """Then the report may read the rollups: nothing is hidden."""
    from kpi_data import open_store as opened

    from abs_cli.kpi.periods import parse_as_of
    from abs_cli.store.as_of import facts_after

    store = opened(seeded.url)
    try:
        with store.session() as session:
            assert facts_after(session, parse_as_of(AS_OF))  # an NPS answer of 2026-02-01
            assert not facts_after(session, parse_as_of("2026-02-02T06:00:00Z"))
    finally:
        store.dispose()
