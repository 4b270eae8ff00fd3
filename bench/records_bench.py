"""Benchmark `abs activities import` and `abs usage import` against the same work done
by the sqlite3 shell.

One command generates the data and runs everything, interleaved, round after round:

    python bench/records_bench.py                                   # 200,000 rows of each
    python bench/records_bench.py --rows 1000000 5000000 --rounds 3 --keep /tmp/absrecords

A store is prepared once (`abs db init`, a team of ten reps, `--leads` leads imported
with `abs leads import`, its rollup marks and journal then cleared) and copied before
each run. The anchor does abs's work on abs's own schema, in one process: the sqlite3
shell `.import`s the CSV into a TEMP table, then, in one transaction, with foreign keys
on and every index live:

- activities: the same checks (type among abs's types after the same spellings, a date,
  an e-mail, text lengths; failing rows are left out), each key's last row only (lead
  e-mail, type, UTC time), then the leads and reps resolved by e-mail (rows naming no
  lead or no rep are left out, as abs rejects them after the repeats are dropped), one
  `INSERT … SELECT … ON CONFLICT (lead_id, type, occurred_at) DO UPDATE`, the journal
  row of each row written (`change_row`, its JSON image) and the rollup marks (the
  months of the activities; speed-to-lead for a touch on an inbound lead);
- usage: the same checks (a date, a domain name: each distinct cell normalised once),
  the user key (lower-cased when it is an e-mail), each key's last row only (user, UTC
  time, feature), the accounts of unknown domains (created in order of first use,
  journaled), one `INSERT … ON CONFLICT (user_key, occurred_at, feature) DO UPDATE`, its
  journal rows and the usage marks.

Both insert the rows in abs's order (chunks of `RECORD_CHUNK` rows in file order, each
in key order), so that a row gets the same id on both sides, and both record their
change set (`change_set`). With `--postgres URL`, psql does the same on PostgreSQL:
`\\copy` into a TEMP table and the same statements; it writes the journal rows set-based
after each insert (abs's triggers write them row by row). abs runs `abs activities import` or
`abs usage import` in a child process whose peak RSS is read from `wait4`. After each run
the row counts of the tables written and a digest of every stored row (activities or
usage events with their lead, rep and account, the marks, the journal's images) are
compared: a mismatch is printed and fails the run.
"""

from __future__ import annotations

import argparse
import hashlib
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_bench import (  # leads, the team
    REPS,
    abs_cli,
    byte_compiled,
    current,
    fmt,
    libpq,
    run_abs,
)
from import_bench import generate as generate_leads

from abs_cli.imports.record_bulk import RECORD_CHUNK

ACTIVITY_COLUMNS = ["lead_email", "type", "occurred_at", "rep_email", "outcome", "notes"]
USAGE_COLUMNS = ["user", "occurred_at", "account", "feature"]
ACTIVITY_SPELLINGS = [
    "call",
    "Phone Call",
    "email",
    "E-mail",
    "meeting",
    "demo",
    "note",
    "social",
    "Web Visit",
    "email_open",
    "Email Click",
    "content-download",
    "webinar",
    "form_submit",
    "demo_request",
]
OUTCOMES = ["connected", "no answer", "voicemail", "replied", "booked", ""]
FEATURES = [
    "login",
    "dashboard",
    "report_export",
    "api_call",
    "invite_user",
    "billing",
    "search",
    "import",
    "alerts",
    "settings",
    "integrations",
    "mobile",
]
TYPE_SQL = (
    "CASE replace(replace(lower(trim(type)), ' ', '_'), '-', '_') "
    "WHEN 'phone' THEN 'call' WHEN 'phone_call' THEN 'call' WHEN 'e_mail' THEN 'email' "
    "WHEN 'visit' THEN 'web_visit' ELSE replace(replace(lower(trim(type)), ' ', '_'), '-', '_') "
    "END"
)
ACTIVITY_TYPES = (
    "'call', 'email', 'meeting', 'demo', 'note', 'social', 'web_visit', 'email_open', "
    "'email_click', 'content_download', 'webinar', 'form_submit', 'demo_request'"
)
TOUCH_TYPES = "'call', 'email', 'social', 'meeting'"
INBOUND = (
    "'demo_request', 'content_download', 'webinar', 'trial_signup', 'contact_form', "
    "'referral', 'event'"
)
NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
CHUNKED = (
    f"(SELECT *, (row_number() OVER (ORDER BY seq) - 1) / {RECORD_CHUNK} AS chunk FROM staged) "
    "AS staged"
)
"""The staged rows (each key's last) with the number of the chunk abs applies them in:
abs inserts a chunk's rows in key order, and the anchor the same rows in the same order,
so that both give a row the same id."""
ACTIVITY_CHECKS = """  AND o IS NOT NULL AND coalesce(length(outcome), 0) <= 64
  AND coalesce(length(r), 0) <= 254 AND coalesce(length(notes), 0) <= 100000;"""
"""The text lengths abs checks (both anchors)."""
ACTIVITY_RESOLVE = f"""CREATE TEMP TABLE resolved AS
SELECT seq, chunk, lead.id AS lead_id, t, o, outcome, notes, CASE WHEN r IS NULL THEN NULL ELSE
  coalesce((SELECT id FROM rep WHERE rep.email = lower(r)), (SELECT id FROM rep WHERE
  rep.name = r)) END AS rep_id, r
FROM {CHUNKED} JOIN lead ON lead.email = staged.e;
DELETE FROM resolved WHERE r IS NOT NULL AND rep_id IS NULL;
CREATE TEMP TABLE journal_from AS SELECT coalesce(max(id), 0) AS id FROM activity;"""
"""Leads and reps by e-mail, rows naming neither left out; where the journal starts."""


def utc(column: str) -> str:
    """A cell as abs stores a UTC time (`2026-03-04 10:15:00.000000`); NULL if no date."""
    return f"strftime('%Y-%m-%d %H:%M:%S', trim({column})) || '.000000'"


def timestamp(number: int, rng: random.Random) -> str:
    """A time of 2026, in one of the forms exports write: naive ISO, with an offset, or a
    day."""
    month, day, hour, minute = 1 + number % 12, 1 + number % 28, number % 24, number % 60
    form = rng.random()
    if form < 0.1:
        return f"2026-{month:02d}-{day:02d}"
    if form < 0.2:
        return f"2026-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00+02:00"
    return f"2026-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:00"


def generate_activities(path: Path, rows: int, emails: list[str], seed: int = 11) -> None:
    """`rows` activities on the stored leads: ~2 % repeat an earlier row's key with another
    outcome, ~0.5 % are refused (a type, a date, a lead or a rep abs does not know)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(ACTIVITY_COLUMNS) + "\n")
        for number in range(rows):
            draw = rng.random()
            key = rng.randrange(number) if draw < 0.02 and number > 0 else number
            email = emails[(key * 7919) % len(emails)]
            if key % 3 == 0:
                email = email.upper()
            kind = ACTIVITY_SPELLINGS[key % len(ACTIVITY_SPELLINGS)]
            occurred = timestamp(key, random.Random(key))
            rep = REPS[key % len(REPS)] if key % 4 else ""
            if 0.02 <= draw < 0.0215:
                kind = "fax"
            elif 0.0215 <= draw < 0.023:
                occurred = "soon"
            elif 0.023 <= draw < 0.024:
                email = f"nobody{number}@nowhere.org"
            elif 0.024 <= draw < 0.025:
                rep = "stranger@acme.io"
            outcome = OUTCOMES[(number + (draw < 0.02)) % len(OUTCOMES)]
            notes = f"note {number}" if number % 5 == 0 else ""
            handle.write(f"{email},{kind},{occurred},{rep},{outcome},{notes}\n")


def generate_usage(path: Path, rows: int, seed: int = 13) -> None:
    """`rows` usage events, one per account, user, feature and day (a user belongs to one
    account, a third of them not yet in the store): ~2 % repeat an earlier event with
    another spelling of its account, ~0.5 % are refused (a date, a domain), some users are
    ids rather than e-mails."""
    rng = random.Random(seed)
    accounts = max(10, rows // 200)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(USAGE_COLUMNS) + "\n")
        for number in range(rows):
            draw = rng.random()
            event = rng.randrange(number) if draw < 0.02 and number > 0 else number
            user_number = (event * 104_729) % max(10, rows // 20)
            company = user_number % accounts
            user = (
                f"User{user_number}@Company{company}.com"
                if user_number % 5
                else f"u-{user_number:07d}"
            )
            day = f"2026-{1 + event % 12:02d}-{1 + (event // 12) % 28:02d}"
            account = f"company{company}.com" if company % 3 else f"client{company}.io"
            if draw < 0.02 or company % 7 == 0:
                account = f"https://www.{account.capitalize()}/app"
            feature = FEATURES[(event // 336) % len(FEATURES)]
            if 0.02 <= draw < 0.0225:
                day = "n/a"
            elif 0.0225 <= draw < 0.025:
                account = "not a domain!"
            handle.write(f"{user},{day},{account},{feature}\n")


SQLITE_DOMAIN = (
    "d NOT GLOB '*[^a-z0-9.-]*' AND d GLOB '[a-z0-9]*' AND (length(d) = 1 OR d GLOB '*[a-z0-9]')"
)
PG_DOMAIN = "d !~ '[^a-z0-9.-]' AND d ~ '^[a-z0-9]' AND (length(d) = 1 OR d ~ '[a-z0-9]$')"


def domains(position: str, valid: str) -> str:
    """Each distinct account cell normalised once to a domain (NULL: not a domain name),
    as abs's domain parser; `position` is the dialect's `instr`, `valid` its test of a
    host name's characters."""
    cut = {
        "'://'": "substr(d, {at} + 3)",
        "'/'": "substr(d, 1, {at} - 1)",
        "'?'": "substr(d, 1, {at} - 1)",
    }
    updates = "".join(
        f"UPDATE domain_of SET d = {value.format(at=f'{position}(d, {mark})')} "
        f"WHERE {position}(d, {mark}) > 0;\n"
        for mark, value in cut.items()
    )
    return f"""CREATE TEMP TABLE domain_of AS SELECT DISTINCT trim(account) AS given,
  lower(trim(account)) AS d FROM raw_file WHERE trim(account) <> '';
{updates}UPDATE domain_of SET d = substr(d, 5) WHERE d LIKE 'www.%';
UPDATE domain_of SET d = substr(d, {position}(d, '@') + 1) WHERE {position}(d, '@') > 0;
UPDATE domain_of SET d = NULL WHERE NOT (d <> '' AND length(d) <= 253 AND {valid});
CREATE UNIQUE INDEX domain_of_given ON domain_of (given);"""


def activities_anchor(csv_path: Path) -> str:
    """The sqlite3 shell script doing `abs activities import`'s work."""
    columns = ", ".join(f"{name} TEXT" for name in ACTIVITY_COLUMNS)
    json_new = json_image("activity", "a")
    return f"""
PRAGMA foreign_keys = ON;
CREATE TEMP TABLE raw_file ({columns});
.import --csv --skip 1 --schema temp '{csv_path}' raw_file
BEGIN;
INSERT INTO change_set (kind, subject, source, actor, started_at, status, read, inserted,
  updated, unchanged, rejected)
VALUES ('import', 'activities', '{csv_path}', 'anchor', {NOW}, 'running', 0, 0, 0, 0, 0);
CREATE TEMP TABLE staged AS
SELECT seq, e, t, o, r, outcome, notes FROM (
  SELECT rowid AS seq, lower(trim(lead_email)) AS e, {TYPE_SQL} AS t,
    {utc("occurred_at")} AS o, nullif(trim(rep_email), '') AS r,
    nullif(trim(outcome), '') AS outcome, nullif(trim(notes), '') AS notes
  FROM raw_file)
WHERE e GLOB '?*@?*.?*' AND e NOT GLOB '*@*@*' AND e NOT GLOB '*..*' AND t IN ({ACTIVITY_TYPES})
{ACTIVITY_CHECKS}
DELETE FROM staged WHERE seq NOT IN (SELECT max(seq) FROM staged GROUP BY e, t, o);
{ACTIVITY_RESOLVE}
INSERT INTO activity (lead_id, rep_id, type, occurred_at, outcome, notes)
SELECT lead_id, rep_id, t, o, outcome, notes FROM resolved WHERE true
ORDER BY chunk, lead_id, t, o
ON CONFLICT (lead_id, type, occurred_at) DO UPDATE SET
  rep_id = coalesce(excluded.rep_id, activity.rep_id),
  outcome = coalesce(excluded.outcome, activity.outcome),
  notes = coalesce(excluded.notes, activity.notes)
WHERE excluded.rep_id IS NOT activity.rep_id OR excluded.outcome IS NOT activity.outcome
  OR excluded.notes IS NOT activity.notes;
INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
SELECT (SELECT max(id) FROM change_set), 'activity', a.id, 'insert', NULL, {json_new}
FROM activity AS a WHERE a.id > (SELECT id FROM journal_from) ORDER BY a.id;
INSERT INTO kpi_stale (part, month) SELECT DISTINCT 'activity', substr(o, 1, 7) FROM resolved
WHERE true ON CONFLICT (part, month) DO UPDATE SET part = excluded.part;
INSERT INTO kpi_stale (part, month)
SELECT DISTINCT 'speed', substr(lead.created_at, 1, 7) FROM resolved
JOIN lead ON lead.id = resolved.lead_id
WHERE resolved.t IN ({TOUCH_TYPES}) AND lower(lead.source) IN ({INBOUND})
ON CONFLICT (part, month) DO UPDATE SET part = excluded.part;
UPDATE change_set SET status = 'done', finished_at = {NOW} WHERE id = (SELECT max(id) FROM
  change_set);
COMMIT;
"""


def usage_anchor(csv_path: Path) -> str:
    """The sqlite3 shell script doing `abs usage import`'s work."""
    columns = ", ".join(f"{name} TEXT" for name in USAGE_COLUMNS)
    return f"""
PRAGMA foreign_keys = ON;
CREATE TEMP TABLE raw_file ({columns});
.import --csv --skip 1 --schema temp '{csv_path}' raw_file
BEGIN;
INSERT INTO change_set (kind, subject, source, actor, started_at, status, read, inserted,
  updated, unchanged, rejected)
VALUES ('import', 'usage', '{csv_path}', 'anchor', {NOW}, 'running', 0, 0, 0, 0, 0);
{domains("instr", SQLITE_DOMAIN)}
CREATE TEMP TABLE staged AS
SELECT seq, u, o, domain_of.d AS d, f FROM (
  SELECT rowid AS seq, CASE WHEN instr(trim(user), '@') > 0 THEN lower(trim(user))
      ELSE trim(user) END AS u,
    {utc("occurred_at")} AS o, trim(account) AS given,
    coalesce(nullif(trim(feature), ''), '') AS f
  FROM raw_file) AS r LEFT JOIN domain_of USING (given)
WHERE u <> '' AND length(u) <= 254 AND o IS NOT NULL AND length(f) <= 120
  AND (r.given = '' OR domain_of.d IS NOT NULL);
DELETE FROM staged WHERE seq NOT IN (SELECT max(seq) FROM staged GROUP BY u, o, f);
CREATE TEMP TABLE journal_from AS SELECT coalesce((SELECT max(id) FROM account), 0) AS account,
  coalesce((SELECT max(id) FROM usage_event), 0) AS usage;
INSERT INTO account (domain, name, created_at, updated_at)
SELECT d, NULL, {NOW}, {NOW} FROM staged WHERE d IS NOT NULL GROUP BY d ORDER BY min(seq)
ON CONFLICT (domain) DO NOTHING;
INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
SELECT (SELECT max(id) FROM change_set), 'account', a.id, 'insert', NULL,
  {json_image("account", "a")}
FROM account AS a WHERE a.id > (SELECT account FROM journal_from) ORDER BY a.id;
INSERT INTO usage_event (user_key, occurred_at, account_id, feature)
SELECT u, o, (SELECT id FROM account WHERE account.domain = d), f FROM {CHUNKED}
WHERE true ORDER BY chunk, u, o, f
ON CONFLICT (user_key, occurred_at, feature) DO UPDATE SET
  account_id = coalesce(excluded.account_id, usage_event.account_id)
WHERE excluded.account_id IS NOT NULL AND excluded.account_id IS NOT usage_event.account_id;
INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
SELECT (SELECT max(id) FROM change_set), 'usage_event', e.id, 'insert', NULL,
  {json_image("usage_event", "e")}
FROM usage_event AS e WHERE e.id > (SELECT usage FROM journal_from) ORDER BY e.id;
INSERT INTO kpi_stale (part, month) SELECT DISTINCT 'usage', substr(o, 1, 7) FROM staged
WHERE true ON CONFLICT (part, month) DO UPDATE SET part = excluded.part;
UPDATE change_set SET status = 'done', finished_at = {NOW} WHERE id = (SELECT max(id) FROM
  change_set);
COMMIT;
"""


PG_NOW = "CAST(now() AT TIME ZONE 'UTC' AS timestamp)"


def pg_utc(column: str) -> str:
    """A cell as a UTC timestamp (the session's zone is UTC: a naive time is UTC, an
    offset converts); NULL if it is not a date."""
    return (
        f"CASE WHEN trim({column}) ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}' "
        f"THEN CAST(trim({column}) AS timestamptz) AT TIME ZONE 'UTC' END"
    )


def pg_prologue(columns: list[str], csv_path: Path) -> str:
    """psql's `\\copy` of the CSV into a TEMP table, `seq` numbering its lines as the
    sqlite3 shell's rowid does; empty cells stay '' (as `.import` reads them)."""
    names = ", ".join(f'"{name}"' for name in columns)
    return f"""
\\set ON_ERROR_STOP on
SET TIME ZONE 'UTC';
SET jit = off;
CREATE TEMP TABLE raw_file (seq bigserial, {", ".join(f'"{name}" text' for name in columns)});
\\copy raw_file ({names}) FROM '{csv_path}' WITH (FORMAT csv, HEADER true, FORCE_NOT_NULL ({names}))
"""


def pg_last_rows(keys: str) -> str:
    """Keep each key's last staged row only (PostgreSQL plans `NOT IN (subquery)` over a
    million rows as a nested scan: the same work as a window)."""
    return f"""DELETE FROM staged WHERE seq IN (SELECT seq FROM (SELECT seq, row_number() OVER
  (PARTITION BY {keys} ORDER BY seq DESC) AS n FROM staged) AS ranked WHERE n > 1);"""


def pg_change_set(subject: str, csv_path: Path) -> str:
    return f"""INSERT INTO change_set (kind, subject, source, actor, started_at, status, read,
  inserted, updated, unchanged, rejected)
VALUES ('import', '{subject}', '{csv_path}', 'anchor', {PG_NOW}, 'running', 0, 0, 0, 0, 0);"""


def pg_journal(table: str, alias: str, after: str) -> str:
    """The journal rows of the rows inserted, with the image abs's triggers write."""
    return f"""INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
SELECT (SELECT max(id) FROM change_set), '{table}', {alias}.id, 'insert', NULL,
  to_jsonb({alias})::text FROM {table} AS {alias} WHERE {alias}.id > ({after})
ORDER BY {alias}.id;"""


PG_DONE = f"""UPDATE change_set SET status = 'done', finished_at = {PG_NOW}
WHERE id = (SELECT max(id) FROM change_set);
COMMIT;
"""


def pg_activities_anchor(csv_path: Path) -> str:
    """psql's script doing `abs activities import`'s work (as `activities_anchor`)."""
    return f"""{pg_prologue(ACTIVITY_COLUMNS, csv_path)}
BEGIN;
{pg_change_set("activities", csv_path)}
CREATE TEMP TABLE staged AS
SELECT seq, e, t, o, r, outcome, notes FROM (
  SELECT seq, lower(trim(lead_email)) AS e, {TYPE_SQL} AS t,
    {pg_utc("occurred_at")} AS o, nullif(trim(rep_email), '') AS r,
    nullif(trim(outcome), '') AS outcome, nullif(trim(notes), '') AS notes
  FROM raw_file) AS cells
WHERE e ~ '^.+@.+[.].+$' AND e !~ '@.*@' AND strpos(e, '..') = 0 AND t IN ({ACTIVITY_TYPES})
{ACTIVITY_CHECKS}
{pg_last_rows("e, t, o")}
{ACTIVITY_RESOLVE}
INSERT INTO activity (lead_id, rep_id, type, occurred_at, outcome, notes)
SELECT lead_id, rep_id, t, o, outcome, notes FROM resolved ORDER BY chunk, lead_id, t, o
ON CONFLICT (lead_id, type, occurred_at) DO UPDATE SET
  rep_id = coalesce(excluded.rep_id, activity.rep_id),
  outcome = coalesce(excluded.outcome, activity.outcome),
  notes = coalesce(excluded.notes, activity.notes)
WHERE (excluded.rep_id IS NOT NULL AND excluded.rep_id IS DISTINCT FROM activity.rep_id)
  OR (excluded.outcome IS NOT NULL AND excluded.outcome IS DISTINCT FROM activity.outcome)
  OR (excluded.notes IS NOT NULL AND excluded.notes IS DISTINCT FROM activity.notes);
{pg_journal("activity", "a", "SELECT id FROM journal_from")}
INSERT INTO kpi_stale (part, month) SELECT DISTINCT 'activity', to_char(o, 'YYYY-MM')
FROM resolved ON CONFLICT (part, month) DO UPDATE SET part = excluded.part;
INSERT INTO kpi_stale (part, month)
SELECT DISTINCT 'speed', to_char(lead.created_at, 'YYYY-MM') FROM resolved
JOIN lead ON lead.id = resolved.lead_id
WHERE resolved.t IN ({TOUCH_TYPES}) AND lower(lead.source) IN ({INBOUND})
ON CONFLICT (part, month) DO UPDATE SET part = excluded.part;
{PG_DONE}"""


def pg_usage_anchor(csv_path: Path) -> str:
    """psql's script doing `abs usage import`'s work (as `usage_anchor`; the known
    domains are left out before the insert, whose sequence would skip a value for each
    conflict)."""
    return f"""{pg_prologue(USAGE_COLUMNS, csv_path)}
BEGIN;
{pg_change_set("usage", csv_path)}
{domains("strpos", PG_DOMAIN)}
CREATE TEMP TABLE staged AS
SELECT seq, u, o, domain_of.d AS d, f FROM (
  SELECT seq, CASE WHEN strpos(trim("user"), '@') > 0 THEN lower(trim("user"))
      ELSE trim("user") END AS u,
    {pg_utc("occurred_at")} AS o, trim(account) AS given,
    coalesce(nullif(trim(feature), ''), '') AS f
  FROM raw_file) AS r LEFT JOIN domain_of USING (given)
WHERE u <> '' AND length(u) <= 254 AND o IS NOT NULL AND length(f) <= 120
  AND (r.given = '' OR domain_of.d IS NOT NULL);
{pg_last_rows("u, o, f")}
CREATE TEMP TABLE journal_from AS SELECT coalesce((SELECT max(id) FROM account), 0) AS account,
  coalesce((SELECT max(id) FROM usage_event), 0) AS usage;
INSERT INTO account (domain, name, created_at, updated_at)
SELECT d, NULL, {PG_NOW}, {PG_NOW} FROM staged
WHERE d IS NOT NULL AND NOT EXISTS (SELECT FROM account WHERE account.domain = d)
GROUP BY d ORDER BY min(seq)
ON CONFLICT (domain) DO NOTHING;
{pg_journal("account", "a", "SELECT account FROM journal_from")}
INSERT INTO usage_event (user_key, occurred_at, account_id, feature)
SELECT u, o, (SELECT id FROM account WHERE account.domain = d), f FROM {CHUNKED}
ORDER BY chunk, u, o, f
ON CONFLICT (user_key, occurred_at, feature) DO UPDATE SET
  account_id = coalesce(excluded.account_id, usage_event.account_id)
WHERE excluded.account_id IS NOT NULL
  AND excluded.account_id IS DISTINCT FROM usage_event.account_id;
{pg_journal("usage_event", "e", "SELECT usage FROM journal_from")}
INSERT INTO kpi_stale (part, month) SELECT DISTINCT 'usage', to_char(o, 'YYYY-MM') FROM staged
ON CONFLICT (part, month) DO UPDATE SET part = excluded.part;
{PG_DONE}"""


JSON_COLUMNS: dict[str, list[str]] = {}
"""Each journaled table's columns, in the store's order (read from the prepared store)."""


def json_image(table: str, alias: str) -> str:
    """The row's JSON image, as abs's journal triggers write it (`store/journal.py`)."""
    pairs = ", ".join(f"'{name}', {alias}.\"{name}\"" for name in JSON_COLUMNS[table])
    return f"json_object({pairs})"


KINDS = {"activities": activities_anchor, "usage": usage_anchor}
PG_KINDS = {"activities": pg_activities_anchor, "usage": pg_usage_anchor}
DIGESTS = {
    "activities": (
        "activity",
        "SELECT lead.email, activity.type, occurred_at, rep.email, outcome, notes, due_at, "
        "content_id FROM activity JOIN lead ON lead.id = lead_id "
        "LEFT JOIN rep ON rep.id = rep_id ORDER BY lead.email, activity.type, occurred_at",
    ),
    "usage": (
        "usage_event",
        "SELECT user_key, occurred_at, account.domain, feature FROM usage_event "
        "LEFT JOIN account ON account.id = account_id ORDER BY user_key, occurred_at, feature",
    ),
}
JOURNAL_SQL = (
    "SELECT table_name, row_id, op, CASE WHEN table_name = 'account' THEN NULL ELSE new END "
    "FROM change_row ORDER BY table_name, row_id"
)
"""The journal's rows; an account's image holds its creation time, which differs."""


class Store:
    """The prepared SQLite store (schema, team, leads) and a fresh copy of it per run."""

    name = "sqlite"

    def __init__(self, work: Path, leads: int) -> None:
        self.work = work
        self.template = work / f"template-{leads}.db"
        if not current(self.template):
            self.template.unlink(missing_ok=True)
            prepare(self.template, work, leads)
        with sqlite3.connect(self.template) as conn:
            for table in ("activity", "account", "usage_event"):
                names = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
                JSON_COLUMNS[table] = names
            self.emails = [row[0] for row in conn.execute("SELECT email FROM lead ORDER BY id")]

    def fresh(self, label: str) -> str:
        database = self.work / f"{label}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(database) + suffix).unlink(missing_ok=True)
        shutil.copy(self.template, database)
        with database.open("rb+") as copied:  # neither side pays for writing the copy
            os.fsync(copied.fileno())
        return str(database)

    def anchor(self, store: str, kind: str, csv_path: Path) -> float:
        return run_anchor(["sqlite3", store], KINDS[kind](csv_path))

    def digest(self, store: str, kind: str) -> tuple[dict[str, int], str]:
        """Row counts of the tables written, and one hash of the stored rows, marks and
        journal images (streamed: see `run_abs`)."""
        hashed = hashlib.sha1()
        with sqlite3.connect(store) as conn:
            counts = {name: conn.execute(sql).fetchone()[0] for name, sql in counts_sql(kind)}
            for sql in digest_sql(kind):
                for row in conn.execute(sql):
                    hashed.update(repr(row).encode())
        return counts, hashed.hexdigest()[:12]


class PgStore:
    """The prepared PostgreSQL store (its public schema is reset, then `abs db init`, the
    team, the leads), put back to that state before each run: the tables a run writes
    are emptied or cut back to the prepared rows, their sequences reset, and a
    CHECKPOINT flushes the previous run's pages, so that neither side pays for them."""

    name = "postgresql"
    EMPTIED = ("activity", "usage_event", "change_row", "kpi_stale")
    CUT_BACK = ("account", "change_set")

    def __init__(self, work: Path, leads: int, url: str) -> None:
        self.work = work
        self.url = url
        with self._connect() as conn:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
        prepare_store(url, work, leads)
        with self._connect() as conn:
            conn.execute("DELETE FROM kpi_stale")
            conn.execute("DELETE FROM change_row")
            self.kept = {
                table: conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
                for table in self.CUT_BACK
            }
            self.emails = [row[0] for row in conn.execute("SELECT email FROM lead ORDER BY id")]

    def fresh(self, label: str) -> str:
        with self._connect() as conn:
            conn.execute(f"TRUNCATE {', '.join(self.EMPTIED)} RESTART IDENTITY")
            for table, last in self.kept.items():
                conn.execute(f"DELETE FROM {table} WHERE id > {last}")
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {max(last, 1)}, "
                    f"{'true' if last else 'false'})"
                )
            conn.execute(f"VACUUM ANALYZE {', '.join((*self.CUT_BACK, *self.EMPTIED))}")
            conn.execute("CHECKPOINT")
        return self.url

    def anchor(self, store: str, kind: str, csv_path: Path) -> float:
        return run_anchor(["psql", "-q", "-X", libpq(store)], PG_KINDS[kind](csv_path))

    def digest(self, store: str, kind: str) -> tuple[dict[str, int], str]:
        hashed = hashlib.sha1()
        with self._connect() as conn, conn.transaction():
            counts = {name: conn.execute(sql).fetchone()[0] for name, sql in counts_sql(kind)}
            for sql in digest_sql(kind):
                with conn.cursor(name="digest") as cursor:  # streamed: see `run_abs`
                    cursor.execute(sql)
                    for row in cursor:
                        hashed.update(repr(row).encode())
        return counts, hashed.hexdigest()[:12]

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(libpq(self.url), autocommit=True)


def prepare_store(store: str, work: Path, leads: int) -> None:
    """`abs db init`, the team, `leads` leads (generated once per folder)."""
    team = work / "team.csv"
    team.write_text("email,name,role\n" + "".join(f"{rep},Rep {rep[3]},sdr\n" for rep in REPS))
    lead_file = work / f"leads-{leads}.csv"
    if not lead_file.exists():
        generate_leads(lead_file, leads, "plain")
    abs_cli("--db", store, "db", "init")
    abs_cli("--db", store, "team", "import", str(team))
    rejects = work / "lead-rejects.csv"
    command = ["--db", store, "-q", "leads", "import", str(lead_file), "--rejects"]
    leads_import = subprocess.run(
        [sys.executable, "-m", "abs_cli", *command, str(rejects)], stdout=subprocess.DEVNULL
    )
    if leads_import.returncode not in (0, 3):  # 3: some rows were rejected, as generated
        raise SystemExit(f"abs leads import failed ({leads_import.returncode})")


def prepare(template: Path, work: Path, leads: int) -> None:
    """The SQLite template: `prepare_store`, then the marks and journal of that set-up
    are cleared, so that a run's own can be compared."""
    partial = template.with_suffix(".partial")
    for suffix in ("", "-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    prepare_store(str(partial), work, leads)
    conn = sqlite3.connect(partial)  # one connection, closed before its WAL is removed
    with conn:
        conn.execute("DELETE FROM kpi_stale")
        conn.execute("DELETE FROM change_row")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    partial.rename(template)


def run_anchor(command: list[str], script: str) -> float:
    started = time.perf_counter()
    subprocess.run(command, input=script, text=True, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def counts_sql(kind: str) -> list[tuple[str, str]]:
    """The row count of each table a run writes."""
    table = DIGESTS[kind][0]
    return [
        (name, f"SELECT count(*) FROM {name}")
        for name in (table, "account", "kpi_stale", "change_row")
    ]


def digest_sql(kind: str) -> list[str]:
    """The stored rows, the marks and the journal, in a stable order."""
    return [DIGESTS[kind][1], "SELECT part, month FROM kpi_stale ORDER BY 1, 2", JOURNAL_SQL]


def bench(store: Store | PgStore, kind: str, rows: int, rounds: int) -> bool:
    """Interleaved rounds of the anchor and abs on one file; True when the stores agree."""
    csv_path = store.work / f"{kind}-{rows}.csv"
    if not csv_path.exists():
        if kind == "activities":
            generate_activities(csv_path, rows, store.emails)
        else:
            generate_usage(csv_path, rows)
    anchors: list[float] = []
    imports: list[float] = []
    peaks: list[int] = []
    agree = True
    expected: Any = None
    for round_number in range(rounds):
        order = ("anchor", "abs") if round_number % 2 == 0 else ("abs", "anchor")
        for who in order:
            database = store.fresh(who)
            if who == "anchor":
                anchors.append(store.anchor(database, kind, csv_path))
                expected = store.digest(database, kind)
            else:
                taken, peak = run_abs(database, csv_path, store.work, kind)
                imports.append(taken)
                peaks.append(peak)
                got = store.digest(database, kind)
        if got != expected:
            agree = False
            print(f"  round {round_number + 1}: the stores differ: anchor {expected}, abs {got}")
    ratios = [mine / theirs for mine, theirs in zip(imports, anchors, strict=True)]
    table = DIGESTS[kind][0]
    print(
        f"{store.name:10} {kind:10} {rows:>9,}  anchor {fmt(anchors)}  abs {fmt(imports)}  "
        f"abs/anchor min {min(ratios):.2f} median {statistics.median(ratios):.2f}  "
        f"peak RSS {max(peaks)} MB  rows {expected[0][table]:,} "
        f"{'same' if agree else 'DIFFERENT'} stores  load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return agree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[200_000])
    parser.add_argument("--kind", choices=tuple(KINDS), nargs="+", default=list(KINDS))
    parser.add_argument("--leads", type=int, default=100_000, help="leads in the store")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", help="folder to keep the generated files and store in")
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (its schema is reset)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    if shutil.which("sqlite3") is None:
        raise SystemExit("the sqlite3 shell is missing: apt-get install -y sqlite3")
    if args.postgres and shutil.which("psql") is None:
        raise SystemExit("psql is missing: apt-get install -y postgresql-client")
    byte_compiled()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="abs-records-"))
    work.mkdir(parents=True, exist_ok=True)
    agree = True
    try:
        stores: list[Store | PgStore] = []
        if not args.no_sqlite:
            stores.append(Store(work, args.leads))
        if args.postgres:
            stores.append(PgStore(work, args.leads, args.postgres))
        for rows in args.rows:
            for kind in args.kind:
                for store in stores:
                    agree &= bench(store, kind, rows, args.rounds)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if not agree:
        raise SystemExit("abs and the anchor stored different data")


if __name__ == "__main__":
    main()
