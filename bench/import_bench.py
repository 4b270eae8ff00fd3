"""Benchmark `abs leads import` against the same work done by the database's own shell.

One command generates the data and runs everything, interleaved, round after round:

    python bench/import_bench.py                          # 200,000 leads, both shapes, SQLite
    python bench/import_bench.py --rows 1000000 --rounds 3
    python bench/import_bench.py --rows 200000 --into 1000000   # new leads into a full store
    python bench/import_bench.py --postgres postgresql+psycopg://abs:abs@127.0.0.1/abs_h2

The anchor is fair: it does abs's work on abs's own schema, in one process. The sqlite3
shell `.import`s the CSV into a TEMP table, then, in one transaction, with every index
of the store live: the same checks in SQL (e-mail, employees; rows failing them are left
out), the same normalisation (lower-cased e-mail, country and source names, HubSpot
stage names, owners by e-mail, UTC timestamps), each key's last row only, the accounts
(named after the first company of their domain), one `INSERT … SELECT … ON CONFLICT`
into `lead`, a stage-history row and a stage stay per new lead, the rollup marks, and
the import's journal (a change set, and a `change_row` with the JSON image of each row
inserted, which `abs imports revert` reads; `--no-journal` leaves it out to show its
cost; the activities and usage anchors of `records_bench.py` always journal). On
PostgreSQL, `psql` does the same with `\\copy` and the same statements. abs runs the full
`abs leads import` in a child process whose peak RSS is read from `wait4`.

Both start from a copy of the same store (schema, team); afterwards the row counts of
`lead`, `account`, `stage_history`, `stage_stay`, `kpi_stale` and `change_row` and a
digest of every lead's stored values and of the journal's images (less the clock: when
each side ran) are compared: a mismatch is printed and fails the run.

With `--into N` both start from a copy of a store that already holds the N leads of a
first file (loaded once by the anchor's statements, untimed), and import a file of new
leads: the anchor writes the history rows, stays and marks of the leads it creates only.

Shapes: `plain` (ten columns, ~2 % of rows repeat an earlier lead, ~0.5 % bad rows) and
`crm`, a HubSpot contacts export (`Record ID`, owner, lifecycle stage and the columns
such an export carries, some of which abs ignores) whose repeats stand far apart.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import hashlib
import importlib.util
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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
LIFECYCLE = ["Lead", "Marketing Qualified Lead", "Sales Qualified Lead", "Opportunity", "Customer"]
REPS = [f"rep{n}@acme.io" for n in range(10)]

PLAIN = [
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
CRM = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Job Title",
    "Company Name",
    "Industry",
    "Number of Employees",
    "Country/Region",
    "Original Source",
    "Create Date",
    "Contact owner",
    "Lifecycle Stage",
    "City",
    "Last Activity Date",
]
"""The HubSpot columns, in an export's order; `City` and `Last Activity Date` abs ignores."""


def generate(path: Path, rows: int, shape: str, seed: int = 7, after: int = 0) -> None:
    """`rows` leads of `shape`: ~2 % repeat an earlier lead (anywhere before it: far apart
    in `crm`, where the repeat also moves the lead on), ~0.5 % bad rows.

    `after`: the file of the leads that come after the `after` of a first file (persons
    `after`, `after + 1`…: all new, their repeats within this file); their companies are
    drawn from as many as both files together name, so about five in six of them already
    have an account and the others are new."""
    rng = random.Random(seed)
    companies = max(10, (after + rows) // 8)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(PLAIN if shape == "plain" else CRM)
        for number in range(rows):
            draw = rng.random()
            repeat = draw < 0.02 and number > 0
            person = after + (rng.randrange(number) if repeat else number)
            company = person % companies
            email = f"person{person}@company{company}.com"
            employees = str(10 + company % 5000)
            if 0.02 <= draw < 0.0225:
                email = f"person{after + number}@"
            elif 0.0225 <= draw < 0.025:
                employees = "many"
            created = f"2026-{1 + person % 12:02d}-{1 + person % 28:02d}T{person % 24:02d}:00:00"
            if shape == "plain":
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
                        created,
                    ]
                )
                continue
            stage = LIFECYCLE[(person + repeat) % len(LIFECYCLE)]
            writer.writerow(
                [
                    str(100_000_000 + person),
                    FIRST[person % len(FIRST)],
                    LAST[person % len(LAST)],
                    email,
                    f"+33 1 {person % 100:02d} {person % 97:02d} {person % 89:02d}",
                    TITLES[person % len(TITLES)],
                    f"Company {company}",
                    INDUSTRIES[company % len(INDUSTRIES)],
                    employees,
                    COUNTRIES[company % len(COUNTRIES)],
                    SOURCES[person % len(SOURCES)],
                    created,
                    REPS[person % len(REPS)],
                    stage,
                    "Paris",
                    f"2026-11-{1 + number % 28:02d}",
                ]
            )


# The anchor's SQL, shared by both databases: `{…}` are the few spellings that differ.
# `known` holds the largest ids before the import: the history rows, stays and marks are
# those of the leads it creates (all of them in an empty store; the new ones with --into).
NORMALISE = """
CREATE TEMP TABLE known AS SELECT (SELECT coalesce(max(id), 0) FROM lead) AS lead_id,
  (SELECT coalesce(max(id), 0) FROM stage_history) AS history_id,
  (SELECT coalesce(max(id), 0) FROM account) AS account_id,
  (SELECT coalesce(max(id), 0) FROM custom_field) AS custom_field_id,
  (SELECT coalesce(max(id), 0) FROM lead_field_value) AS lead_field_value_id;
INSERT INTO staged (seq, k, email, external_id, first_name, last_name, title, phone,
  company, industry, employees, country, source, created_at, owner_id, stage,
  domain{custom_columns})
SELECT seq, coalesce(e, '#' || nullif(trim(external_id), '')), e,
  nullif(trim(external_id), ''), nullif(trim(first_name), ''), nullif(trim(last_name), ''),
  nullif(trim(title), ''), nullif(trim(phone), ''), nullif(trim(company), ''),
  nullif(trim(industry), ''), CAST(nullif(trim(employees), '') AS INTEGER),
  CASE lower(trim(country)) WHEN 'france' THEN 'FR' WHEN 'germany' THEN 'DE'
    ELSE nullif(upper(trim(country)), '') END,
  CASE lower(trim(source)) WHEN 'demo request' THEN 'demo_request'
    WHEN 'trade show' THEN 'event' ELSE nullif(lower(trim(source)), '') END,
  {created_at},
  (SELECT id FROM rep WHERE rep.email = lower(trim(owner))),
  CASE lower(trim(stage)) WHEN 'lead' THEN 'prospect'
    WHEN 'marketing qualified lead' THEN 'prospect' WHEN 'sales qualified lead' THEN 'qualified'
    WHEN 'opportunity' THEN 'discovery' WHEN 'customer' THEN 'customer' END,
  CASE WHEN e IS NULL THEN NULL ELSE substr(e, {position}('@' {in_} e) + 1) END{custom_values}
FROM (SELECT *, nullif(lower(trim(email)), '') AS e FROM raw) AS r
WHERE (e IS NULL OR e {matches} '^[^@ ]+@[^@ ]+\\.[^@ ]+$')
  AND (trim(employees) = '' OR trim(employees) {matches} '^[0-9]+$')
  AND (e IS NOT NULL OR trim(external_id) <> ''){custom_check};
DELETE FROM staged WHERE seq NOT IN (SELECT max(seq) FROM staged GROUP BY k);
UPDATE staged SET inbound = source IN ('demo_request', 'content_download', 'webinar',
  'trial_signup', 'contact_form', 'referral', 'event');
UPDATE staged SET domain = NULL WHERE domain IN ('gmail.com', 'outlook.com', 'hotmail.com');
INSERT INTO account (domain, name, created_at, updated_at)
SELECT d.domain, f.company, {now}, {now}
FROM (SELECT domain, min(seq) AS first FROM staged WHERE domain IS NOT NULL GROUP BY domain) AS d
LEFT JOIN (SELECT domain, company FROM (SELECT domain, company, row_number() OVER
    (PARTITION BY domain ORDER BY seq) AS n FROM staged
    WHERE domain IS NOT NULL AND company IS NOT NULL) AS x WHERE n = 1) AS f
  ON f.domain = d.domain
ORDER BY d.first ON CONFLICT (domain) DO NOTHING;
INSERT INTO lead (email, external_id, first_name, last_name, title, phone, company,
  account_id, industry, employees, country, source, inbound, owner_id, stage,
  stage_changed_at, created_at, updated_at)
SELECT email, external_id, first_name, last_name, title, phone, company,
  (SELECT id FROM account WHERE account.domain = s.domain), industry, employees, country,
  source, coalesce(inbound, {false}), owner_id, coalesce(stage, 'prospect'),
  coalesce(created_at, {now}), coalesce(created_at, {now}), {now}
FROM staged AS s WHERE true ORDER BY seq
ON CONFLICT (email) DO UPDATE SET first_name = coalesce(excluded.first_name, lead.first_name);
INSERT INTO stage_history (lead_id, from_stage, to_stage, changed_at, rep_id, owner_id,
  reason, amount, forced, origin)
SELECT id, NULL, stage, created_at, NULL, owner_id, NULL, NULL, {false}, 'import' FROM lead
WHERE id > (SELECT lead_id FROM known) ORDER BY created_at, id;
INSERT INTO stage_stay (entered_at, history_id, lead_id, stage, left_at, changed, from_stage,
  stay_started_at, rep_id, amount)
SELECT changed_at, id, lead_id, to_stage, NULL, to_stage <> 'prospect', 'prospect',
  changed_at, NULL, NULL FROM stage_history WHERE id > (SELECT history_id FROM known)
ORDER BY changed_at, id;
INSERT INTO kpi_stale (part, month)
SELECT DISTINCT p.part, {month} FROM lead CROSS JOIN (SELECT 'cohort' AS part
  UNION ALL SELECT 'speed' UNION ALL SELECT 'moves') AS p
WHERE lead.id > (SELECT lead_id FROM known) ON CONFLICT DO NOTHING;
"""
STAGED = """CREATE TEMP TABLE staged (seq {seq} PRIMARY KEY, k TEXT, email TEXT,
  external_id TEXT, first_name TEXT, last_name TEXT, title TEXT, phone TEXT, company TEXT,
  industry TEXT, employees INTEGER, country TEXT, source TEXT, created_at {timestamp},
  owner_id INTEGER, stage TEXT, domain TEXT, inbound {boolean}{custom_types});
"""
# The HubSpot file's `City` and `Last Activity Date` are custom fields for abs (a category
# and a date, as abs infers them): the same fields, values and checks (a date that does
# not parse rejects the row). Each lead takes its winning row's values (the file fills
# both columns on every row, so this is also the last value of the lead, abs's rule).
CUSTOM = {
    "columns": ", city, last_activity",
    "values": ", nullif(trim(city), ''), nullif(trim(last_activity), '')",
    "types": ", city TEXT, last_activity TEXT",
    "check": "\n  AND (trim(last_activity) = '' OR {date_check})",
}
CUSTOM_VALUES = """
INSERT INTO custom_field (entity, name, type, header, created_at)
VALUES ('lead', 'city', 'category', 'City', {now}),
  ('lead', 'last_activity_date', 'date', 'Last Activity Date', {now})
ON CONFLICT (entity, name) DO NOTHING;
INSERT INTO lead_field_value (lead_id, field_id, text_value, number_value)
SELECT v.lead_id, f.id, v.t, v.n FROM (
  SELECT coalesce((SELECT id FROM lead WHERE lead.email = s.email),
    (SELECT id FROM lead WHERE s.email IS NULL AND lead.external_id = s.external_id)) AS lead_id,
    'city' AS name, s.city AS t, NULL AS n FROM staged AS s WHERE s.city IS NOT NULL
  UNION ALL
  SELECT coalesce((SELECT id FROM lead WHERE lead.email = s.email),
    (SELECT id FROM lead WHERE s.email IS NULL AND lead.external_id = s.external_id)),
    'last_activity_date', {iso_date}, {epoch_date}
  FROM staged AS s WHERE s.last_activity IS NOT NULL) AS v
JOIN custom_field AS f ON f.entity = 'lead' AND f.name = v.name
WHERE true ORDER BY v.lead_id, f.id
ON CONFLICT (lead_id, field_id) DO UPDATE SET text_value = excluded.text_value,
  number_value = excluded.number_value WHERE lead_field_value.text_value <> excluded.text_value;
"""


# The anchor also writes what abs's import journal holds (issue 16, what `abs imports
# revert` reads): a change set, and a change_row per row the import inserted with the
# row's JSON image. --no-journal leaves it out, to show what the journal costs.
JOURNALED = {
    "account": "account_id",
    "lead": "lead_id",
    "stage_history": "history_id",
    "custom_field": "custom_field_id",
    "lead_field_value": "lead_field_value_id",
}
JOURNAL_SET = """
INSERT INTO change_set (kind, subject, source, actor, started_at, finished_at, status, read,
  inserted, updated, unchanged, rejected)
VALUES ('import', 'leads', 'bench', 'bench', {now}, {now}, 'done', 0, 0, 0, 0, 0);
"""
JOURNAL_ROWS = """INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
SELECT (SELECT max(id) FROM change_set), '{table}', t.id, 'insert', NULL, {image}
FROM {table} AS t WHERE t.id > (SELECT {known} FROM known) ORDER BY t.id;
"""


def journal_sql(now: str, image: Any) -> str:
    """The anchor's journal: `image(table)` is the SQL of a row `t`'s JSON image."""
    return JOURNAL_SET.format(now=now) + "".join(
        JOURNAL_ROWS.format(table=table, image=image(table), known=known)
        for table, known in JOURNALED.items()
    )


def custom_parts(shape: str, spelling: dict[str, str]) -> dict[str, str]:
    """The `{custom_…}` pieces of the anchor's SQL: the custom columns of `crm`, none else."""
    if shape != "crm":
        return {f"custom_{name}": "" for name in CUSTOM}
    return {f"custom_{name}": part.format(**spelling) for name, part in CUSTOM.items()}


RAW_COLUMNS = {
    "plain": PLAIN,
    "crm": [
        "external_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        "company",
        "industry",
        "employees",
        "country",
        "source",
        "created_at",
        "owner",
        "stage",
        "city",
        "last_activity",
    ],
}
ALL_RAW = sorted({name for names in RAW_COLUMNS.values() for name in names})


def sqlite_anchor_script(
    csv_path: Path, shape: str, images: dict[str, list[str]] | None = None
) -> str:
    """The sqlite3 shell's script; `images`: the columns of each journaled table, to write
    the journal too (their `json_object`, as abs's triggers build it)."""
    columns = RAW_COLUMNS[shape]
    missing = [name for name in ALL_RAW if name not in columns]
    now = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
    custom = custom_parts(shape, {"date_check": "date(trim(last_activity)) IS NOT NULL"})
    sql = NORMALISE.format(
        created_at="replace(nullif(trim(created_at), ''), 'T', ' ') || '.000000'",
        position="instr",
        in_=",",
        matches="REGEXP",
        now=now,
        false="0",
        month="substr(created_at, 1, 7)",
        **custom,
    ).replace("instr('@' , e)", "instr(e, '@')")
    if shape == "crm":
        sql += CUSTOM_VALUES.format(
            now=now,
            iso_date="strftime('%Y-%m-%dT%H:%M:%SZ', s.last_activity)",
            epoch_date="CAST(strftime('%s', s.last_activity) AS REAL)",
        )
    if images is not None:
        sql += journal_sql(
            now,
            lambda table: (
                "json_object("
                + ", ".join(f"'{name}', t.\"{name}\"" for name in images[table])
                + ")"
            ),
        )
    sql = sql.replace("e REGEXP '^[^@ ]+@[^@ ]+\\.[^@ ]+$'", "e GLOB '?*@?*.?*'")
    sql = sql.replace("trim(employees) REGEXP '^[0-9]+$'", "trim(employees) NOT GLOB '*[^0-9]*'")
    return "\n".join(
        [
            f"CREATE TEMP TABLE raw_file ({', '.join(columns)});",
            f".import --csv --skip 1 --schema temp '{csv_path}' raw_file",
            "CREATE TEMP TABLE raw AS SELECT rowid AS seq, "
            + ", ".join([*columns, *(f"'' AS {name}" for name in missing)])
            + " FROM raw_file;",
            "BEGIN;",
            STAGED.format(
                seq="INTEGER",
                timestamp="TEXT",
                boolean="INTEGER",
                custom_types=custom["custom_types"],
            ),
            sql,
            "COMMIT;",
        ]
    )


def postgres_anchor_script(csv_path: Path, shape: str, journal: bool = False) -> str:
    """psql's script; `journal`: write the journal too (`to_jsonb`, as abs's triggers)."""
    columns = RAW_COLUMNS[shape]
    missing = [name for name in ALL_RAW if name not in columns]
    now = "CAST(now() AT TIME ZONE 'UTC' AS timestamp)"
    custom = custom_parts(
        shape, {"date_check": "trim(last_activity) ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'"}
    )
    sql = NORMALISE.format(
        created_at="CAST(nullif(trim(created_at), '') AS timestamp)",
        position="position",
        in_="IN",
        matches="~",
        now=now,
        false="false",
        month="to_char(created_at, 'YYYY-MM')",
        **custom,
    )
    if shape == "crm":
        sql += CUSTOM_VALUES.format(
            now=now,
            iso_date='to_char(CAST(s.last_activity AS timestamp), \'YYYY-MM-DD"T"HH24:MI:SS"Z"\')',
            epoch_date="CAST(extract(epoch FROM CAST(s.last_activity AS timestamp)) AS float8)",
        )
    if journal:
        sql += journal_sql(now, lambda table: "to_jsonb(t)::text")
    return "\n".join(
        [
            "\\set ON_ERROR_STOP on",
            "CREATE TEMP TABLE raw_file (seq bigserial, "
            + ", ".join(f"{name} text" for name in columns)
            + ");",
            f"\\copy raw_file ({', '.join(columns)}) FROM '{csv_path}' CSV HEADER",
            "CREATE TEMP TABLE raw AS SELECT seq, "
            + ", ".join([*columns, *(f"''::text AS {name}" for name in missing)])
            + " FROM raw_file;",
            "BEGIN;",
            STAGED.format(
                seq="bigint",
                timestamp="timestamp",
                boolean="boolean",
                custom_types=custom["custom_types"],
            ),
            sql,
            "COMMIT;",
        ]
    )


class Backend:
    """Where a round runs: a fresh copy of the prepared store, the anchor, abs, a digest."""

    def __init__(self, work: Path, team: Path, url: str | None, journal: bool = True) -> None:
        self.work = work
        self.team = team
        self.url = url
        self.journal = journal
        """Whether the anchor writes abs's import journal too (the default; not with
        --no-journal)."""
        self.name = "postgresql" if url else "sqlite"
        if url is None:
            self.template = work / "template.db"
            if not current(self.template):
                for kept in (self.template, *work.glob("base-*.db")):
                    kept.unlink(missing_ok=True)
                abs_cli("--db", str(self.template), "db", "init")
                abs_cli("--db", str(self.template), "team", "import", str(team))

    def fresh(self, label: str, base: tuple[Path, str] | None = None) -> str:
        """A store with the schema and the team, nothing else: its URL or path.

        `base`: (CSV, shape) of leads the store holds already, loaded by the anchor's
        statements (untimed); on SQLite once, into a file that each round copies."""
        if self.url is None:
            source = self.template if base is None else self._base_store(*base)
            database = self.work / f"{label}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(str(database) + suffix).unlink(missing_ok=True)
            shutil.copy(source, database)
            with database.open("rb+") as copied:  # neither side pays for writing the copy
                os.fsync(copied.fileno())
            return str(database)
        with self._connect() as conn:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
        abs_cli("--db", self.url, "db", "init")
        abs_cli("--db", self.url, "team", "import", str(self.team))
        if base is not None:
            self.anchor(self.url, *base, journal=False)
        return self.url

    def _base_store(self, csv_path: Path, shape: str) -> Path:
        base = self.work / f"base-{csv_path.stem}.db"
        if not base.exists():
            building = base.with_name(base.name + ".partial")
            for suffix in ("", "-wal", "-shm"):
                Path(str(building) + suffix).unlink(missing_ok=True)
            shutil.copy(self.template, building)
            self.anchor(str(building), csv_path, shape, journal=False)
            conn = sqlite3.connect(building)  # one file to copy: no WAL beside it
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            for suffix in ("-wal", "-shm"):
                Path(str(building) + suffix).unlink(missing_ok=True)
            building.replace(base)
        return base

    def anchor(self, store: str, csv_path: Path, shape: str, journal: bool | None = None) -> float:
        journal = self.journal if journal is None else journal
        if self.url is None:
            command = ["sqlite3", store]
            images = None
            if journal:
                with sqlite3.connect(store) as conn:
                    images = {
                        table: [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
                        for table in JOURNALED
                    }
            script = sqlite_anchor_script(csv_path, shape, images)
        else:
            command = ["psql", "-q", "-X", libpq(self.url)]
            script = postgres_anchor_script(csv_path, shape, journal)
        started = time.perf_counter()
        subprocess.run(command, input=script, text=True, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started

    def digest(self, store: str) -> tuple[dict[str, int], str]:
        """Row counts of the tables written, and a hash of every lead's stored values."""
        counts_sql = {
            name: f"SELECT count(*) FROM {name}"
            for name in (
                "lead",
                "account",
                "stage_history",
                "stage_stay",
                "kpi_stale",
                "custom_field",
                "lead_field_value",
                *(["change_row"] if self.journal else []),
            )
        }
        created = "created_at" if self.url is None else "to_char(created_at, 'YYYY-MM-DD HH24:MI')"
        leads_sql = (
            "SELECT lead.email, lead.external_id, first_name, last_name, title, phone, company, "
            "lead.industry, lead.employees, lead.country, source, inbound, stage, "
            f"{created.replace('created_at', 'lead.created_at')}, account.domain, "
            "account.name, rep.email FROM lead LEFT JOIN account ON account.id = account_id "
            "LEFT JOIN rep ON rep.id = lead.owner_id ORDER BY lead.email, lead.external_id"
        )
        values_sql = (
            "SELECT lead.email, lead.external_id, f.name, f.type, f.header, v.text_value, "
            "v.number_value FROM lead_field_value AS v JOIN lead ON lead.id = v.lead_id "
            "JOIN custom_field AS f ON f.id = v.field_id "
            "ORDER BY lead.email, lead.external_id, f.name"
        )
        digests = [leads_sql, values_sql]
        if self.journal:
            # the images less the clock (when abs and the anchor ran), key by key
            image = (
                "json_remove(new, '$.updated_at', "
                "CASE table_name WHEN 'account' THEN '$.created_at' ELSE '$.none' END)"
                if self.url is None
                else "new::jsonb - 'updated_at' "
                "- CASE table_name WHEN 'account' THEN 'created_at' ELSE '' END"
            )
            digests.append(
                f"SELECT table_name, row_id, op, {image} FROM change_row "
                "WHERE table_name IN ('lead', 'account', 'lead_field_value') "
                "ORDER BY table_name, row_id"
            )
        if self.url is None:
            with sqlite3.connect(store) as conn:
                counts = {name: conn.execute(sql).fetchone()[0] for name, sql in counts_sql.items()}
                return counts, "".join(_hash(conn.execute(sql)) for sql in digests)
        with self._connect() as conn, conn.transaction():
            counts = {name: conn.execute(sql).fetchone()[0] for name, sql in counts_sql.items()}
            digest = ""
            for sql in digests:
                with conn.cursor(name="digest") as cursor:  # streamed: see `run_abs`
                    cursor.execute(sql)
                    digest += _hash(cursor)
            return counts, digest

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(libpq(self.url or ""), autocommit=True)


def _hash(rows: Any) -> str:
    digest = hashlib.sha1()
    for row in rows:
        normal = [int(value) if isinstance(value, bool) else value for value in row]
        digest.update(repr(normal).encode())
    return digest.hexdigest()[:12]


def current(store: Path) -> bool:
    """Whether a store kept from an earlier run (`--keep`) exists and has the schema of
    the abs being measured. One a release behind would be migrated by abs at every
    round, which the anchor does not pay: that measured abs ~0.5 s slower and ~9 MB
    larger, with Alembic loaded."""
    if not store.exists():
        return False
    from abs_cli.store.migrate import HEAD

    conn = sqlite3.connect(store)
    try:
        found = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        conn.close()
    return found is not None and found[0] == HEAD


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def abs_cli(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "abs_cli", "-q", *args],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def byte_compiled() -> None:
    """Compile abs's modules as `pip install` does, so that every run loads bytecode.

    With PYTHONDONTWRITEBYTECODE set (this development machine sets it) and a source
    checkout installed in editable mode, a module whose bytecode is missing or older than
    its source is compiled again at every run: ~0.2 s that an installed abs never pays."""
    spec = importlib.util.find_spec("abs_cli")
    if spec is None or spec.origin is None:
        raise SystemExit("abs is not installed in this Python (pip install -e .)")
    compileall.compile_dir(Path(spec.origin).parent, quiet=1)


def run_abs(store: str, csv_path: Path, work: Path, kind: str = "leads") -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of one `abs <kind> import` in a child process.

    Linux counts in a child's peak RSS the memory of this process at the fork, so this
    process must stay small: the digests stream their rows, never hold them.
    """
    command = [
        sys.executable,
        "-m",
        "abs_cli",
        "--db",
        store,
        "-q",
        kind,
        "import",
        str(csv_path),
        "--format",
        "json",
        "--rejects",
        str(work / f"{kind}-rejects.csv"),
    ]
    errors = work / "abs.stderr"
    with errors.open("w") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        raise SystemExit(f"abs failed ({code}): {errors.read_text()}")
    return elapsed, usage.ru_maxrss // 1024


def leads_file(work: Path, rows: int, shape: str, after: int = 0) -> Path:
    """The generated file (made once per folder): `rows` leads, or with `after` the
    `rows` new leads that follow the `after` of the first file."""
    name = f"leads-{shape}-{rows}" + (f"-after-{after}" if after else "")
    csv_path = work / f"{name}.csv"
    if not csv_path.exists():
        generate(csv_path, rows, shape, seed=8 if after else 7, after=after)
    return csv_path


def bench(backend: Backend, rows: int, shape: str, rounds: int, into: int = 0) -> bool:
    """Interleaved rounds of the anchor and abs on one file; True when the stores agree.

    `into`: both start from a store that holds the `into` leads of the first file
    already (same copy), and import `rows` new leads."""
    base = (leads_file(backend.work, into, shape), shape) if into else None
    csv_path = leads_file(backend.work, rows, shape, after=into)
    anchors, imports, peaks = [], [], []
    agree = True
    for round_number in range(rounds):
        order = ("anchor", "abs") if round_number % 2 == 0 else ("abs", "anchor")
        for who in order:
            store = backend.fresh(who, base)
            if who == "anchor":
                anchors.append(backend.anchor(store, csv_path, shape))
                expected = backend.digest(store)
            else:
                taken, peak = run_abs(store, csv_path, backend.work)
                imports.append(taken)
                peaks.append(peak)
                got = backend.digest(store)
        if got != expected:
            agree = False
            print(f"  round {round_number + 1}: the stores differ: anchor {expected}, abs {got}")
    ratios = [mine / theirs for mine, theirs in zip(imports, anchors, strict=True)]
    target = f"{rows:>9,}" + (f" into {into:,}" if into else "")
    anchor = "anchor" if backend.journal else "anchor without journal"
    print(
        f"{backend.name:10} {shape:5} {target}  {anchor} {fmt(anchors)}  abs {fmt(imports)}  "
        f"abs/anchor min {min(ratios):.2f} median {statistics.median(ratios):.2f}  "
        f"peak RSS {max(peaks)} MB  rows {expected[0]['lead']:,} "
        f"{'same' if agree else 'DIFFERENT'} stores"
    )
    return agree


def fmt(seconds: list[float]) -> str:
    return "/".join(f"{value:.2f}" for value in seconds) + " s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[200_000])
    parser.add_argument("--shape", choices=("plain", "crm"), nargs="+", default=["plain", "crm"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (its schema is reset)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--into",
        type=int,
        default=0,
        metavar="N",
        help="import new leads into a store that already holds N (e.g. --into 1000000)",
    )
    parser.add_argument(
        "--journal",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the anchor writes abs's import journal too, a change_row per row inserted "
        "(default: it is abs's work); --no-journal shows what the journal costs",
    )
    parser.add_argument("--keep", help="folder to keep the generated files in")
    args = parser.parse_args()
    if shutil.which("sqlite3") is None:
        raise SystemExit("the sqlite3 shell is missing: apt-get install -y sqlite3")
    byte_compiled()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="abs-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    team = work / "team.csv"
    team.write_text("email,name,role\n" + "".join(f"{rep},Rep {rep[3]},sdr\n" for rep in REPS))
    backends = [] if args.no_sqlite else [Backend(work, team, None, args.journal)]
    if args.postgres:
        backends.append(Backend(work, team, args.postgres, args.journal))
    agree = True
    try:
        for rows in args.rows:
            for shape in args.shape:
                for backend in backends:
                    agree &= bench(backend, rows, shape, args.rounds, args.into)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if not agree:
        raise SystemExit("abs and the anchor stored different data")


if __name__ == "__main__":
    main()
