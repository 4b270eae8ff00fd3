"""Benchmark `abs leads import` against the sqlite3 shell doing the same job in C.

One command generates the data and runs everything side by side:

    python bench/import_bench.py            # 1,000,000 and 100,000 leads
    python bench/import_bench.py --rows 200000 --no-small

The anchor (issue 3): the sqlite3 shell `.import`s the CSV into a staging table, then one
`INSERT OR REPLACE … SELECT` with the validation written in SQL fills a table with a
unique e-mail index. abs runs the full `abs leads import` (validation, normalisation,
accounts, history rows) in a child process whose peak RSS is read from `wait4`.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIRST = ["Ana", "Bob", "Chloé", "Dmitri", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jules"]
LAST = ["Lima", "Martin", "Dubois", "Schmidt", "Rossi", "Smith", "Nguyen", "Garcia", "Müller"]
TITLES = ["CEO", "CTO", "VP Sales", "Head of Marketing", "Engineer", "Analyst", "Buyer"]
INDUSTRIES = ["Software", "Retail", "Banking", "Health", "Logistics", "Media"]
COUNTRIES = ["FR", "DE", "US", "GB", "France", "Germany", "IN", "ES", "BE", "NL"]
SOURCES = [
    "Demo Request",
    "webinar",
    "content_download",
    "Trade Show",
    "outbound_list",
    "cold_call",
]
HEADER = [
    "email",
    "first_name",
    "last_name",
    "title",
    "company",
    "industry",
    "employees",
    "country",
    "source",
    "created_at",
]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """`rows` leads with ~2 % repeats of an earlier lead and ~0.5 % bad rows."""
    rng = random.Random(seed)
    companies = max(10, rows // 20)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for number in range(rows):
            draw = rng.random()
            person = rng.randrange(number) if draw < 0.02 and number else number
            company = person % companies
            email = f"person{person}@company{company}.com"
            employees = str(10 + company % 5000)
            if 0.02 <= draw < 0.0225:
                email = f"person{number}@"
            elif 0.0225 <= draw < 0.025:
                employees = "many"
            writer.writerow(
                [
                    email,
                    FIRST[person % len(FIRST)],
                    LAST[person % len(LAST)],
                    TITLES[person % len(TITLES)],
                    f"Company {company}",
                    INDUSTRIES[company % len(INDUSTRIES)],
                    employees,
                    COUNTRIES[company % len(COUNTRIES)],
                    SOURCES[person % len(SOURCES)],
                    f"2026-{1 + person % 12:02d}-{1 + person % 28:02d}T{person % 24:02d}:00:00",
                ]
            )


ANCHOR_SQL = """
CREATE TABLE lead (
  id INTEGER PRIMARY KEY, email TEXT NOT NULL, first_name TEXT, last_name TEXT, title TEXT,
  company TEXT, industry TEXT, employees INTEGER, country TEXT, source TEXT, created_at TEXT
);
CREATE UNIQUE INDEX ix_lead_email ON lead(email);
CREATE TABLE staging (
  email TEXT, first_name TEXT, last_name TEXT, title TEXT, company TEXT, industry TEXT,
  employees TEXT, country TEXT, source TEXT, created_at TEXT
);
.import --csv --skip 1 '{csv}' staging
INSERT OR REPLACE INTO lead (email, first_name, last_name, title, company, industry,
  employees, country, source, created_at)
SELECT lower(trim(email)), first_name, last_name, title, company, industry,
  CAST(NULLIF(employees, '') AS INTEGER), upper(country),
  lower(replace(source, ' ', '_')), created_at
FROM staging
WHERE lower(trim(email)) GLOB '?*@?*.?*'
  AND (employees = '' OR employees NOT GLOB '*[^0-9]*');
"""


def run_anchor(csv_path: Path, work: Path) -> float:
    database = work / "anchor.db"
    database.unlink(missing_ok=True)
    script = ANCHOR_SQL.format(csv=csv_path)
    started = time.perf_counter()
    subprocess.run(["sqlite3", str(database)], input=script, text=True, check=True)
    return time.perf_counter() - started


def run_abs(csv_path: Path, database: Path, *extra: str) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MB, and the JSON summary of one `abs leads import`."""
    command = [
        sys.executable,
        "-m",
        "abs_cli",
        "--db",
        str(database),
        "-q",
        "leads",
        "import",
        str(csv_path),
        "--format",
        "json",
        "--rejects",
        str(database.with_suffix(".rejects.csv")),
        *extra,
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    output = process.stdout.read().decode()  # type: ignore[union-attr]
    process.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        raise SystemExit(f"abs failed: {output}")
    return elapsed, usage.ru_maxrss // 1024, output


def clean_copy(csv_path: Path) -> Path:
    """The file without its bad rows (a --strict import stops at the first one)."""
    clean = csv_path.with_name(csv_path.stem + "-clean.csv")
    if not clean.exists():
        with csv_path.open(newline="") as source, clean.open("w", newline="") as target:
            reader, writer = csv.reader(source), csv.writer(target)
            writer.writerow(next(reader))
            for row in reader:
                if "@" in row[0] and not row[0].endswith("@") and row[6].isdigit():
                    writer.writerow(row)
    return clean


def fresh(database: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    return database


def bench(rows: int, work: Path, strict: bool = False) -> dict[str, float]:
    csv_path = work / f"leads-{rows}.csv"
    if not csv_path.exists():
        generate(csv_path, rows)
    anchor = run_anchor(csv_path, work)
    database = fresh(work / f"abs-{rows}.db")
    first, rss, summary = run_abs(csv_path, database)
    again, rss_again, summary_again = run_abs(csv_path, database)
    print(f"\n{rows:,} leads")
    print(f"  sqlite3 shell : {anchor:7.2f} s  {rows / anchor:10,.0f} rows/s")
    print(f"  abs import    : {first:7.2f} s  {rows / first:10,.0f} rows/s  peak RSS {rss} MB")
    print(
        f"  abs re-import : {again:7.2f} s  {rows / again:10,.0f} rows/s  peak RSS {rss_again} MB"
    )
    print(f"  ratio abs / sqlite3 = {first / anchor:.2f}x (target <= 2x)")
    print("  summary:", " ".join(summary.split()))
    print("  re-import summary:", " ".join(summary_again.split()))
    if strict:
        clean = clean_copy(csv_path)
        taken, rss_strict, _ = run_abs(clean, fresh(work / f"strict-{rows}.db"), "--strict")
        print(
            f"  abs --strict  : {taken:7.2f} s  {rows / taken:10,.0f} rows/s  peak RSS "
            f"{rss_strict} MB (the same file without its bad rows, into an empty store)"
        )
    return {"anchor": anchor, "abs": first, "again": again, "rss": rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-small", action="store_true", help="skip the 100,000-row run")
    parser.add_argument("--keep", help="folder to keep the generated files in")
    parser.add_argument(
        "--strict", action="store_true", help="also time an all-or-nothing import (--strict)"
    )
    args = parser.parse_args()
    if shutil.which("sqlite3") is None:
        raise SystemExit("the sqlite3 shell is missing: apt-get install -y sqlite3")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="abs-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        sizes = [args.rows] if args.no_small else sorted({100_000, args.rows})
        for rows in sizes:
            bench(rows, work, strict=args.strict)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
