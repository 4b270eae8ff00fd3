"""Benchmark `abs kpi report` on generated stores of growing size.

One command generates each store (set-based SQL in SQLite: recursive CTEs, no ORM, no
Python loop per row) and times the real CLI for one month and for a 12-month range:

    python bench/kpi_bench.py                      # scales 0.01, 0.1 and 1 (the full size)
    python bench/kpi_bench.py --scale 0.01 0.05    # smaller runs
    python bench/kpi_bench.py --keep DIR           # keep the generated stores in DIR
    python bench/kpi_bench.py --postgres URL       # also copy each store to PostgreSQL
                                                   # (REPLACES that database's public schema)

Before the timed runs every built rollup month is dropped (`kpi_built`): the first
12-month report builds them, as the first report after an import does; then one month
and twelve are timed reading them; then a day's imports (1,000 activities and 1,000
usage events in the last month) and the 12-month report once more, which rebuilds the
months those imports marked stale.

Scale 1 is 1,000,000 leads, ~5,000,000 stage-history rows, 5,000,000 activities,
200,000 subscriptions and 5,000,000 usage events over 36 months (2023-07 to 2026-06).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FULL = {
    "leads": 1_000_000,
    "activities": 5_000_000,
    "subscriptions": 200_000,
    "usage": 5_000_000,
    "nps": 50_000,
    "campaign_members": 200_000,
    "tickets": 50_000,
}
START = "2023-07-01"
SPAN_SECONDS = 1095 * 86_400  # 36 months of data
ONE_MONTH = "2026-05"
RANGE = ("2025-06", "2026-05")
AS_OF = "2026-06-15T06:00:00Z"


def stamp(expression: str) -> str:
    """SQL for a timestamp `expression` seconds after START, in SQLAlchemy's SQLite format."""
    return (
        f"strftime('%Y-%m-%d %H:%M:%S', unixepoch('{START}') + ({expression}), 'unixepoch')"
        " || '.000000'"
    )


def numbers(count: int) -> str:
    return f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) "


def generate(path: Path, scale: float) -> dict[str, int]:
    """Create a migrated store at `path` and fill it; returns row counts."""
    subprocess.run(
        [sys.executable, "-m", "abs_cli", "--db", str(path), "-q", "db", "init"],
        check=True,
    )
    size = {name: max(10, int(count * scale)) for name, count in FULL.items()}
    accounts = max(10, size["subscriptions"] // 4)
    users = max(10, size["usage"] // 50)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -200000")
    now = "'2026-06-15 00:00:00.000000'"
    with db:
        db.execute(
            numbers(100) + "INSERT INTO rep (id, email, name, role, active, created_at, updated_at)"
            " SELECT i, 'rep' || i || '@bench.example', 'Rep ' || i,"
            " CASE WHEN i <= 30 THEN 'sdr' WHEN i <= 50 THEN 'ir' WHEN i <= 85 THEN 'ae'"
            " ELSE 'cs' END, 1, " + now + ", " + now + " FROM n"
        )
        db.execute(
            numbers(accounts) + "INSERT INTO account (id, domain, owner_id, created_at, updated_at)"
            " SELECT i, 'a' || i || '.example', 86 + i % 15, " + now + ", " + now + " FROM n"
        )
        sources = (
            "'webinar','demo_request','content_download','referral','outbound_list',"
            "'cold_call','trial_signup','contact_form','purchased_list','event','social_selling'"
        )
        db.execute(
            numbers(size["leads"])
            + "INSERT INTO lead (id, email, source, inbound, owner_id, stage, stage_changed_at,"
            " created_at, updated_at) SELECT i, 'lead' || i || '@bench.example',"
            f" json_extract(json_array({sources}), '$[' || ((i * 7) % 11) || ']'),"
            " 0, 1 + i % 50, 'prospect', c, c, c FROM (SELECT i, "
            + stamp(f"(i * 2654435761) % {SPAN_SECONDS}")
            + " AS c FROM n)"
        )
        # Each lead walks part of one path (on average ~4.9 rows), a gap apart.
        db.execute("CREATE TEMP TABLE path (j INTEGER PRIMARY KEY, won TEXT, other TEXT)")
        db.executemany(
            "INSERT INTO path VALUES (?, ?, ?)",
            [
                (1, "qualified", "qualified"),
                (2, "discovery", "discovery"),
                (3, "discovery", "discovery"),
                (4, "demo", "demo"),
                (5, "proposal", "proposal"),
                (6, "negotiation", "negotiation"),
                (7, "negotiation", "negotiation"),
                (8, "customer", "lost"),
                (9, "churned", "lost"),
            ],
        )
        db.execute(
            "INSERT INTO stage_history (lead_id, to_stage, changed_at, rep_id, amount, forced,"
            " origin) SELECT l.id, CASE WHEN l.id % 5 < 2 THEN p.won ELSE p.other END,"
            " strftime('%Y-%m-%d %H:%M:%S', unixepoch(l.created_at) + p.j * (3600 + "
            "(l.id * 104729) % 864000), 'unixepoch') || '.000000' AS at,"
            " CASE WHEN p.j = 1 THEN 1 + l.id % 50 ELSE 51 + l.id % 35 END,"
            " CASE WHEN p.j IN (2, 3, 6, 7) THEN 100000 + (l.id % 50) * 10000 + p.j * 100"
            " END, 0, 'import'"
            " FROM lead l JOIN path p ON p.j <= (l.id * 7919) % 11"
            " WHERE unixepoch(l.created_at) + p.j * (3600 + (l.id * 104729) % 864000)"
            " < unixepoch('2026-06-15')"
        )
        # Deals left open for more than six months are closed: lost (steps 3-6) or
        # disqualified (steps 1-2), a day after their last move.
        db.execute(
            "INSERT OR IGNORE INTO stage_history (lead_id, to_stage, changed_at, rep_id, forced,"
            " origin) SELECT lead_id, CASE WHEN to_stage IN ('qualified') THEN 'disqualified'"
            " ELSE 'lost' END, strftime('%Y-%m-%d %H:%M:%S', unixepoch(changed_at) + 86400,"
            " 'unixepoch') || '.000000', 51 + lead_id % 35, 0, 'import'"
            " FROM (SELECT lead_id, to_stage, MAX(changed_at) AS changed_at FROM stage_history"
            " GROUP BY lead_id) WHERE to_stage NOT IN ('customer', 'churned', 'lost')"
            " AND changed_at < '2025-12-15'"
        )
        # The lead's stage snapshot equals its last history row, as every writer keeps it.
        db.execute(
            "UPDATE lead SET (stage, stage_changed_at) = (SELECT h.to_stage, h.changed_at"
            " FROM stage_history h WHERE h.lead_id = lead.id ORDER BY h.changed_at DESC,"
            " h.id DESC LIMIT 1) WHERE id IN (SELECT lead_id FROM stage_history)"
        )
        kinds = "'call','email','meeting','demo','note','social','web_visit','email_open'"
        db.execute(
            numbers(size["activities"])
            + "INSERT OR IGNORE INTO activity (lead_id, rep_id, type, occurred_at)"
            " SELECT l.id, 1 + (n.i * 31) % 85,"
            f" json_extract(json_array({kinds}), '$[' || ((n.i * 13) % 8) || ']'),"
            " strftime('%Y-%m-%d %H:%M:%S', unixepoch(l.created_at) + (n.i * 40503) % 2592000,"
            " 'unixepoch') || '.000000'"
            f" FROM n JOIN lead l ON l.id = 1 + (n.i * 48271) % {size['leads']}"
        )
        # Four consecutive rows per account: a trial or first plan, then plan changes.
        db.execute(
            numbers(size["subscriptions"])
            + "INSERT OR IGNORE INTO subscription (account_id, plan, started_at, ended_at,"
            " amount, interval, is_trial) SELECT a, 'p' || r, "
            + stamp("s + r * 120 * 86400")
            + ", CASE WHEN r = 3 AND a % 3 = 0 THEN NULL ELSE "
            + stamp("s + (r + 1) * 120 * 86400 - (a % 2) * 86400 * 20")
            + " END, CASE WHEN r = 0 AND a % 4 = 0 THEN 0 ELSE (2000 + (a * 37) % 50 * 100)"
            " * CASE a % 3 WHEN 0 THEN 1 WHEN 1 THEN 3 ELSE 12 END END,"
            " CASE a % 3 WHEN 0 THEN 'month' WHEN 1 THEN 'quarter' ELSE 'year' END,"
            " CASE WHEN r = 0 AND a % 4 = 0 THEN 1 ELSE 0 END"
            f" FROM (SELECT 1 + (i - 1) % {accounts} AS a, (i - 1) / {accounts} AS r,"
            f" ((i - 1) % {accounts}) * 1471 % {SPAN_SECONDS // 2} AS s FROM n)"
        )
        features = "'','export','api','dashboard','alerts','sso','reports','import'"
        db.execute(
            numbers(size["usage"])
            + "INSERT OR IGNORE INTO usage_event (user_key, occurred_at, feature)"
            f" SELECT 'u' || ((i * 7907) % {users}), "
            + stamp(f"(i * 2246822519) % {SPAN_SECONDS}")
            + f", json_extract(json_array({features}), '$[' || ((i * 17) % 8) || ']') FROM n"
        )
        db.execute(
            numbers(size["nps"])
            + "INSERT OR IGNORE INTO nps_response (respondent, score, responded_at, account_id)"
            " SELECT 'r' || i, (i * 7) % 11, "
            + stamp(f"(i * 2654435761) % {SPAN_SECONDS}")
            + f", 1 + i % {accounts} FROM n"
        )
        db.execute(
            numbers(size["campaign_members"])
            + "INSERT OR IGNORE INTO campaign_member (campaign, lead_id, sent_at, responded_at)"
            f" SELECT 'c' || (i % 60), 1 + (i * 48271) % {size['leads']}, s,"
            " CASE WHEN i % 9 = 0 THEN s END FROM (SELECT i, "
            + stamp("(i % 60) * 1576800 + i % 86400")
            + " AS s FROM n)"
        )
        db.execute(
            numbers(size["tickets"]) + "INSERT OR IGNORE INTO ticket (account_id, opened_at, type)"
            f" SELECT 1 + i % {accounts}, "
            + stamp(f"(i * 2654435761) % {SPAN_SECONDS}")
            + ", json_extract(json_array('bug','incident','question','request','unknown'),"
            " '$[' || (i % 5) || ']') FROM n"
        )
        db.execute(
            numbers(36) + "INSERT INTO spend (month, category, channel, amount)"
            " SELECT strftime('%Y-%m', date('2023-07-01', '+' || (i - 1) || ' months')), c,"
            " '', 5000000 FROM n, (SELECT 'sales' AS c UNION ALL SELECT 'marketing')"
        )
    db.close()
    # The derived stage stays, by the function every writer of stage history calls.
    subprocess.run(
        [sys.executable, "-m", "abs_cli", "--db", str(path), "-q", "db", "rebuild"], check=True
    )
    with sqlite3.connect(path) as db:
        db.execute("ANALYZE")
    return count_rows(path)


def count_rows(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        return {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("lead", "stage_history", "activity", "subscription", "usage_event")
        }


def forget_rollups(db: str) -> None:
    """Drop every built rollup month: the next report builds the months it needs, as the
    first report after an import does."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db if "://" in db else f"sqlite:///{db}")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM kpi_built"))
    engine.dispose()


def import_a_day(db: str, folder: Path) -> float:
    """What a day's cron job brings: 1,000 activities on leads created in the last month
    of the range and 1,000 usage events, imported through the CLI. Returns its seconds.
    The moments change with every run, so that a re-run imports new rows again."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db if "://" in db else f"sqlite:///{db}")
    with engine.connect() as connection:
        emails = (
            connection.execute(
                text("SELECT email FROM lead WHERE created_at >= :start ORDER BY id LIMIT 1000"),
                {"start": f"{ONE_MONTH}-01"},
            )
            .scalars()
            .all()
        )
    engine.dispose()
    clock = int(time.time()) % 86_400
    moment = f"{ONE_MONTH}-28T{clock // 3600:02d}:{clock // 60 % 60:02d}:{clock % 60:02d}"
    activities, usage = folder / "day-activities.csv", folder / "day-usage.csv"
    activities.write_text(
        "lead_email,type,occurred_at\n" + "".join(f"{email},call,{moment}\n" for email in emails)
    )
    usage.write_text(
        "user,occurred_at,feature\n"
        + "".join(f"u{number},{moment},export\n" for number in range(1, 1001))
    )
    began = time.perf_counter()
    for noun, path in (("activities", activities), ("usage", usage)):
        subprocess.run(
            [sys.executable, "-m", "abs_cli", "--db", db, "-q", noun, "import", str(path)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return time.perf_counter() - began


def time_report(db: str, *args: str, runs: int) -> float:
    """Best wall time of `abs kpi report ARGS -f json` over `runs` runs (start-up included)."""
    best = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "abs_cli",
                "--db",
                db,
                "-q",
                "kpi",
                "report",
                "--as-of",
                AS_OF,
                "-f",
                "json",
                *args,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        best = min(best, time.perf_counter() - began)
    return best


COPIED_TABLES = (
    "rep",
    "account",
    "lead",
    "stage_history",
    "activity",
    "subscription",
    "spend",
    "nps_response",
    "usage_event",
    "campaign_member",
    "ticket",
)


def copy_to_postgres(path: Path, url: str) -> None:
    """Replace the public schema at `url` with a copy of the SQLite store at `path`."""
    import psycopg

    plain = url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(plain, autocommit=True) as pg:
        pg.execute("DROP SCHEMA IF EXISTS public CASCADE")
        pg.execute("CREATE SCHEMA public")
    subprocess.run([sys.executable, "-m", "abs_cli", "--db", url, "-q", "db", "init"], check=True)
    source = sqlite3.connect(path)
    with psycopg.connect(plain) as pg:
        for table in COPIED_TABLES:
            columns = [row[1] for row in source.execute(f"PRAGMA table_info({table})")]
            types = {row[1]: row[2] for row in source.execute(f"PRAGMA table_info({table})")}
            listed = ", ".join(columns)
            booleans = {name for name, kind in types.items() if kind == "BOOLEAN"}
            with pg.cursor().copy(f"COPY {table} ({listed}) FROM STDIN") as copy:
                for row in source.execute(f"SELECT {listed} FROM {table}"):
                    copy.write_row(
                        [
                            bool(value) if name in booleans and value is not None else value
                            for name, value in zip(columns, row, strict=True)
                        ]
                    )
        for table in COPIED_TABLES:
            pg.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT coalesce(max(id), 1) FROM {table}))"
            )
    source.close()
    subprocess.run(
        [sys.executable, "-m", "abs_cli", "--db", url, "-q", "db", "rebuild"], check=True
    )
    with psycopg.connect(plain, autocommit=True) as pg:
        pg.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, nargs="+", default=[0.01, 0.1, 1.0])
    parser.add_argument("--keep", type=Path, help="keep the generated stores in this folder")
    parser.add_argument(
        "--reuse", action="store_true", help="time stores already generated in --keep"
    )
    parser.add_argument(
        "--postgres", help="also time a copy of each store at this PostgreSQL URL (replaced)"
    )
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="abs-kpi-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(
        "store | scale | leads | history | activities | subscriptions | usage | prepare s |"
        " first 12 months s | 1 month s | 12 months s | a day's imports s |"
        " then 12 months s"
    )
    print("---|---|---|---|---|---|---|---|---|---|---|---|---")
    try:
        for scale in options.scale:
            path = folder / f"bench-{scale:g}.db"
            began = time.perf_counter()
            if options.reuse and path.exists():
                counts = count_rows(path)
            else:
                for suffix in ("", "-wal", "-shm"):
                    Path(str(path) + suffix).unlink(missing_ok=True)
                counts = generate(path, scale)
            generated = time.perf_counter() - began
            runs = 2 if scale < 0.5 else 1
            targets = [("sqlite", str(path), generated)]
            if options.postgres:
                began = time.perf_counter()
                copy_to_postgres(path, options.postgres)
                targets.append(("postgresql", options.postgres, time.perf_counter() - began))
            for name, db, prepared in targets:
                forget_rollups(db)
                first = time_report(db, "--from", RANGE[0], "--to", RANGE[1], runs=1)
                month = time_report(db, "--period", ONE_MONTH, runs=runs)
                year = time_report(db, "--from", RANGE[0], "--to", RANGE[1], runs=runs)
                day = import_a_day(db, folder)
                after = time_report(db, "--from", RANGE[0], "--to", RANGE[1], runs=1)
                print(
                    f"{name} | {scale:g} | {counts['lead']:,} | {counts['stage_history']:,} |"
                    f" {counts['activity']:,} | {counts['subscription']:,} |"
                    f" {counts['usage_event']:,} | {prepared:.1f} | {first:.2f} | {month:.2f} |"
                    f" {year:.2f} | {day:.2f} | {after:.2f}",
                    flush=True,
                )
    finally:
        if options.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
