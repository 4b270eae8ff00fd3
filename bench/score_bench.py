"""Benchmark `abs leads score`: N leads with 5 activities each, generated in SQL.

    python bench/score_bench.py                      # 1,000,000 leads, 5,000,000 activities
    python bench/score_bench.py --leads 100000 --db postgresql+psycopg://abs:abs@127.0.0.1/abs_bench

The data is generated set-based by the database (deterministic, no random seed needed);
the timed part is exactly what `abs leads score --as-of 2026-06-30` runs, and the peak
resident memory of the process is reported so that flatness can be checked by varying N.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from abs_cli.scoring.engine import score_leads
from abs_cli.scoring.model import LoadedModel, default_text, parse_model
from abs_cli.store.engine import Store, make_engine
from abs_cli.store.location import StoreLocation, to_url
from abs_cli.store.migrate import ensure_current

ACCOUNTS = 10_000
PER_LEAD = 5
TYPES = ("call", "email", "meeting", "email_open", "email_click", "web_visit", "form_submit",
         "demo_request", "note", "content_download", "webinar", "demo", "social")  # fmt: skip
TITLES = ("CEO", "PDG", "VP Sales", "Directeur commercial", "Head of Growth",
          "Responsable achats", "Engineer", "Student", "Manager", "")  # fmt: skip
INDUSTRIES = ("SaaS", "Retail", "Software", "Banking", "fintech", "")
COUNTRIES = ("FR", "BE", "US", "DE", "BR", "JP")
SOURCES = ("demo_request", "content_download", "cold_call", "webinar", "referral",
           "outbound_list", "event")  # fmt: skip
OUTCOMES = ("replied", "bounced", "connected", "no answer", "", "", "", "", "", "")


def pick(values: tuple[str, ...], expr: str) -> str:
    """A SQL CASE choosing values[expr % len]: deterministic pseudo-random columns."""
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"NULLIF(CASE ({expr}) % {len(values)} {whens} END, '')"


def generate(store: Store, leads: int) -> None:
    sqlite = store.dialect == "sqlite"
    series = (
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "
        if sqlite
        else ""
    )
    source = "s" if sqlite else "generate_series(1::bigint, {n}) AS s(i)"
    stamp = (
        "printf('%s.000000', datetime('2026-06-30', '-' || ({d}) || ' seconds'))"
        if sqlite
        else "TIMESTAMP '2026-06-30' - ({d}) * INTERVAL '1 second'"
    )
    with store.session(write=True) as session:
        run = session.execute
        run(text(
            f"INSERT INTO account (id, domain, industry, employees, country, target_tier, "
            f"created_at, updated_at) {series.format(n=ACCOUNTS)}"
            f"SELECT i, 'co' || i || '.com', {pick(INDUSTRIES, 'i * 7')}, (i * 37) % 3000, "
            f"{pick(COUNTRIES, 'i * 3')}, CASE WHEN i % 20 = 0 THEN 1 + i % 3 END, "
            f"{stamp.format(d='i * 3600')}, {stamp.format(d='i * 3600')} "
            f"FROM {source.format(n=ACCOUNTS)}"
        ))  # fmt: skip
        consent = "(i % 4 <> 0)" if not sqlite else "CASE WHEN i % 4 = 0 THEN 0 ELSE 1 END"
        run(text(
            f"INSERT INTO lead (id, email, title, account_id, source, inbound, consent, stage, "
            f"stage_changed_at, created_at, updated_at) {series.format(n=leads)}"
            f"SELECT i, 'lead' || i || CASE WHEN i % 5 = 0 THEN '@gmail.com' "
            f"ELSE '@co' || (1 + i % {ACCOUNTS}) || '.com' END, "
            f"{pick(TITLES, 'i * 11')}, CASE WHEN i % 10 < 7 THEN 1 + i % {ACCOUNTS} END, "
            f"{pick(SOURCES, 'i * 13')}, {'0' if sqlite else 'false'}, {consent}, 'prospect', "
            f"{stamp.format(d='(i * 7919) % 31536000')}, "
            f"{stamp.format(d='(i * 7919) % 31536000')}, "
            f"{stamp.format(d='(i * 7919) % 31536000')} FROM {source.format(n=leads)}"
        ))  # fmt: skip
        total = leads * PER_LEAD
        run(text(
            f"INSERT INTO activity (lead_id, type, occurred_at, outcome) "
            f"{series.format(n=total)}"
            f"SELECT 1 + (i - 1) / {PER_LEAD}, {pick(TYPES, 'i * 17 + i / 7')}, "
            f"{stamp.format(d=f'(i * 104729) % 15552000 + i % {PER_LEAD}')}, "
            f"{pick(OUTCOMES, 'i * 31 + i / 3')} FROM {source.format(n=total)}"
        ))  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--db", help="store URL or path (default: a temporary SQLite file)")
    parser.add_argument(
        "--reuse", action="store_true", help="score the leads already in --db, generate nothing"
    )
    parser.add_argument(
        "--no-read-ahead", action="store_true", help="read, evaluate and write in one thread"
    )
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="abs-bench-")
    url = to_url(args.db) if args.db else to_url(str(Path(folder.name) / "bench.db"))
    location = StoreLocation(url, "bench")
    store = Store(location, make_engine(location))
    if not args.reuse:
        if store.dialect == "postgresql":
            with store.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        ensure_current(store)
        started = time.perf_counter()
        generate(store, args.leads)
        with store.engine.connect() as connection:
            if store.dialect == "postgresql":
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
            else:
                connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        generated = time.perf_counter() - started
        print(f"generated {args.leads:,} leads, {args.leads * PER_LEAD:,} activities "
              f"on {store.dialect} in {generated:.1f} s", flush=True)  # fmt: skip
    model_text = default_text()
    loaded = LoadedModel(parse_model(model_text, "default"), model_text, "default")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu_before = time.process_time()
    started = time.perf_counter()
    with store.session(write=True) as session:
        as_of = datetime(2026, 6, 30, tzinfo=UTC)
        run = score_leads(session, loaded, as_of=as_of, read_ahead=not args.no_read_ahead)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    load = os.getloadavg()[0]
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scored {run.scored:,} leads in {elapsed:.1f} s wall, {cpu:.1f} s CPU "
          f"(load average {load:.1f} on {os.cpu_count()} cores); peak RSS "
          f"{rss_before:.0f} MB before, {rss_after:.0f} MB after scoring")  # fmt: skip
    print(f"by grade {dict(sorted(run.by_grade.items()))}; "
          f"by readiness {dict(sorted(run.by_readiness.items()))}")  # fmt: skip
    store.dispose()
    folder.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
