"""Schema migrations: a store made by the first schema upgrades to the newest without
losing a row, the migrated schema equals a fresh one, and SQLite stores get their pragmas."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from abs_cli.store.engine import BUSY_TIMEOUT_MS, Store, make_engine
from abs_cli.store.location import StoreLocation, to_url
from abs_cli.store.migrate import HEAD, REVISIONS, upgrade

FIRST = REVISIONS[0]

FIRST_SCHEMA_ROWS: dict[str, list[str]] = {
    "setting": [
        "INSERT INTO setting (key, value) VALUES ('currency', 'EUR')",
        "INSERT INTO setting (key, value) VALUES ('gross_margin', '0.8')",
    ],
    "rep": [
        "INSERT INTO rep (id, email, name, role, territory, capacity, active, created_at,"
        " updated_at) VALUES (1, 'ana@quillo.io', 'Ana Lima', 'sdr', 'FR;BE', 300, TRUE,"
        " '2026-01-05 09:00:00', '2026-01-05 09:00:00')",
        "INSERT INTO rep (id, email, name, role, territory, capacity, active, created_at,"
        " updated_at) VALUES (2, 'bo@quillo.io', 'Bo Berg', 'ae', NULL, NULL, FALSE,"
        " '2026-01-05 09:00:00', '2026-02-01 09:00:00')",
    ],
    "account": [
        "INSERT INTO account (id, domain, name, industry, employees, country, target_tier,"
        " owner_id, created_at, updated_at) VALUES (1, 'kontorwerk.de', 'Kontorwerk GmbH',"
        " 'Software', 120, 'DE', 1, 2, '2026-01-06 10:00:00', '2026-01-06 10:00:00')",
        "INSERT INTO account (id, domain, name, industry, employees, country, target_tier,"
        " owner_id, created_at, updated_at) VALUES (2, 'altoline.fr', NULL, NULL, NULL, 'FR',"
        " NULL, NULL, '2026-01-06 10:00:00', '2026-01-06 10:00:00')",
    ],
    "lead": [
        "INSERT INTO lead (id, email, external_id, first_name, last_name, title, phone,"
        " company, account_id, industry, employees, country, source, inbound, campaign,"
        " referrer, consent, owner_id, stage, stage_changed_at, amount, buying_role,"
        " created_at, updated_at, forgotten_at) VALUES (1, 'eva@kontorwerk.de', 'CRM-1',"
        " 'Eva', 'Jansen', 'Geschäftsführerin', '+49 151 12 34 56', 'Kontorwerk GmbH', 1,"
        " 'Software', 120, 'DE', 'demo_request', TRUE, 'google-ads-demo', NULL, TRUE, 2,"
        " 'proposal', '2026-02-10 11:00:00', 950000, 'decision_maker',"
        " '2026-01-07 08:30:00', '2026-02-10 11:00:00', NULL)",
        "INSERT INTO lead (id, email, external_id, first_name, last_name, title, phone,"
        " company, account_id, industry, employees, country, source, inbound, campaign,"
        " referrer, consent, owner_id, stage, stage_changed_at, amount, buying_role,"
        " created_at, updated_at, forgotten_at) VALUES (2, NULL, 'CRM-2', NULL, NULL, NULL,"
        " NULL, NULL, 2, NULL, NULL, 'FR', 'cold_call', FALSE, NULL, NULL, NULL, 1,"
        " 'disqualified', '2026-01-20 15:00:00', NULL, NULL, '2026-01-08 08:00:00',"
        " '2026-03-01 00:00:00', '2026-03-01 00:00:00')",
    ],
    "stage_history": [
        "INSERT INTO stage_history (id, lead_id, from_stage, to_stage, changed_at, rep_id,"
        " owner_id, reason, amount, forced, origin) VALUES (1, 1, NULL, 'prospect',"
        " '2026-01-07 08:30:00', 1, 1, NULL, NULL, FALSE, 'import')",
        "INSERT INTO stage_history (id, lead_id, from_stage, to_stage, changed_at, rep_id,"
        " owner_id, reason, amount, forced, origin) VALUES (2, 1, 'prospect', 'proposal',"
        " '2026-02-10 11:00:00', 2, 2, 'skipped: came back after a webinar', 950000, TRUE,"
        " 'cli')",
    ],
    "activity": [
        "INSERT INTO activity (id, lead_id, rep_id, type, occurred_at, outcome, notes,"
        " due_at) VALUES (1, 1, 1, 'call', '2026-01-07 08:41:00', 'connected', 'booked',"
        " NULL)",
        "INSERT INTO activity (id, lead_id, rep_id, type, occurred_at, outcome, notes,"
        " due_at) VALUES (2, 1, NULL, 'web_visit', '2026-01-06 20:00:00', NULL, NULL, NULL)",
        "INSERT INTO activity (id, lead_id, rep_id, type, occurred_at, outcome, notes,"
        " due_at) VALUES (3, 1, 2, 'meeting', '2026-02-11 09:00:00', NULL, 'planned',"
        " '2026-02-20 14:00:00')",
    ],
    "subscription": [
        "INSERT INTO subscription (id, account_id, plan, started_at, ended_at, amount,"
        " interval, is_trial) VALUES (1, 1, 'trial', '2026-01-07 00:00:00',"
        " '2026-01-21 00:00:00', 0, 'month', TRUE)",
        "INSERT INTO subscription (id, account_id, plan, started_at, ended_at, amount,"
        " interval, is_trial) VALUES (2, 1, 'growth', '2026-03-01 00:00:00', NULL, 790000,"
        " 'year', FALSE)",
    ],
    "spend": [
        "INSERT INTO spend (id, month, category, channel, amount)"
        " VALUES (1, '2026-01', 'marketing', 'google_ads', 520012)",
        "INSERT INTO spend (id, month, category, channel, amount)"
        " VALUES (2, '2026-01', 'sales', '', 4800000)",
    ],
    "nps_response": [
        "INSERT INTO nps_response (id, respondent, score, responded_at, lead_id, account_id,"
        " comment) VALUES (1, 'eva@kontorwerk.de', 9, '2026-04-12 10:00:00', 1, 1,"
        " 'Super outil')",
        "INSERT INTO nps_response (id, respondent, score, responded_at, lead_id, account_id,"
        " comment) VALUES (2, 'kontorwerk.de', 4, '2026-04-13 10:00:00', NULL, 1, NULL)",
    ],
    "usage_event": [
        "INSERT INTO usage_event (id, user_key, occurred_at, account_id, feature)"
        " VALUES (1, 'eva@kontorwerk.de', '2026-03-02 09:00:00', 1, 'pipeline_board')",
        "INSERT INTO usage_event (id, user_key, occurred_at, account_id, feature)"
        " VALUES (2, 'u-17', '2026-03-02 09:05:00', NULL, '')",
    ],
    "campaign_member": [
        "INSERT INTO campaign_member (id, campaign, lead_id, sent_at, responded_at)"
        " VALUES (1, 'newsletter-2026-01', 1, '2026-01-14 08:30:00', '2026-01-14 12:00:00')",
        "INSERT INTO campaign_member (id, campaign, lead_id, sent_at, responded_at)"
        " VALUES (2, 'newsletter-2026-01', 2, '2026-01-14 08:30:00', NULL)",
    ],
    "ticket": [
        "INSERT INTO ticket (id, account_id, opened_at, type, severity, closed_at)"
        " VALUES (1, 1, '2026-03-05 10:00:00', 'bug', 'high', '2026-03-06 10:00:00')",
        "INSERT INTO ticket (id, account_id, opened_at, type, severity, closed_at)"
        " VALUES (2, 1, '2026-03-09 10:00:00', 'unknown', NULL, NULL)",
    ],
    "goal": [
        "INSERT INTO goal (id, metric, period, scope, role, rep_id, target)"
        " VALUES (1, 'meetings_booked', '2026-03', 'role:sdr', 'sdr', NULL, 20)",
        "INSERT INTO goal (id, metric, period, scope, role, rep_id, target)"
        " VALUES (2, 'win_rate', '2026-03', 'rep:2', NULL, 2, 0.25)",
    ],
    "lead_score": [
        "INSERT INTO lead_score (lead_id, score, fit, engagement, grade, level, readiness,"
        " model_version, scored_at) VALUES (1, 82, 45, 37, 'A', 4, 'sql', 'default-1',"
        " '2026-02-01 06:00:00')",
    ],
    "assignment_log": [
        "INSERT INTO assignment_log (id, lead_id, rep_id, role, rule, assigned_at)"
        " VALUES (1, 1, 1, 'sdr', 'territory FR', '2026-01-07 08:30:00')",
        "INSERT INTO assignment_log (id, lead_id, rep_id, role, rule, assigned_at)"
        " VALUES (2, 2, NULL, 'sdr', 'no rep with capacity', '2026-01-08 08:00:00')",
    ],
    "routing_cursor": [
        "INSERT INTO routing_cursor (role, last_rep_id) VALUES ('sdr', 1)",
        "INSERT INTO routing_cursor (role, last_rep_id) VALUES ('ae', NULL)",
    ],
    "erasure_log": [
        "INSERT INTO erasure_log (id, lead_id, erased_at, reason)"
        " VALUES (1, 2, '2026-03-01 00:00:00', 'request by e-mail')",
    ],
}
"""A few rows for every table of the first schema, in foreign-key order."""


def open_store(url: str) -> Store:
    location = StoreLocation(url, "test")
    return Store(location, make_engine(location))


def first_schema_store(url: str) -> Store:
    """A store at the first schema, filled with FIRST_SCHEMA_ROWS."""
    store = open_store(url)
    assert upgrade(store, FIRST) == (None, FIRST)
    with store.engine.begin() as connection:
        tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
        assert tables == set(FIRST_SCHEMA_ROWS), "seed every table of the first schema"
        for statements in FIRST_SCHEMA_ROWS.values():
            for statement in statements:
                connection.execute(text(statement))
    return store


def row_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in FIRST_SCHEMA_ROWS
        }


def backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.bak"))


@pytest.mark.slow
@pytest.mark.parametrize("start", REVISIONS)
def test_first_schema_store_migrates_without_losing_rows(db_url: str, start: str) -> None:
    store = first_schema_store(db_url)
    try:
        if start != FIRST:
            upgrade(store, start)
        expected = {table: len(rows) for table, rows in FIRST_SCHEMA_ROWS.items()}
        assert row_counts(store) == expected
        folder = store.location.sqlite_path.parent if store.location.sqlite_path else None
        before_backups = backups(folder) if folder else []

        assert upgrade(store) == (start, HEAD)

        assert row_counts(store) == expected
        with store.session() as session:
            lead = session.execute(
                text("SELECT email, title, amount, inbound, created_at FROM lead WHERE id = 1")
            ).one()
            assert lead.email == "eva@kontorwerk.de"
            assert lead.title == "Geschäftsführerin"
            assert lead.amount == 950000 and bool(lead.inbound) is True
            assert str(lead.created_at).startswith("2026-01-07 08:30:00")
            history = session.execute(
                text("SELECT to_stage, reason FROM stage_history ORDER BY id")
            ).all()
            assert [tuple(row) for row in history] == [
                ("prospect", None),
                ("proposal", "skipped: came back after a webinar"),
            ]
            stays = session.execute(
                text(
                    "SELECT history_id, stage, from_stage, changed, left_at IS NULL"
                    " FROM stage_stay ORDER BY history_id"
                )
            ).all()
            assert [(i, stage, left, bool(c), bool(o)) for i, stage, left, c, o in stays] == [
                (1, "prospect", "prospect", False, False),  # backfilled by 0003_stage_stay
                (2, "proposal", "prospect", True, True),
            ]
        from abs_cli.store.models import Lead, Subscription

        with store.session() as session:  # typed reads still work on the migrated rows
            paid = session.get(Subscription, 2)
            assert paid is not None and paid.amount == Decimal("7900.00")
            assert paid.started_at == datetime(2026, 3, 1, tzinfo=UTC)
            assert session.get(Lead, 2).forgotten_at == datetime(2026, 3, 1, tzinfo=UTC)

        if folder is not None:
            written = [path for path in backups(folder) if path not in before_backups]
            if start == HEAD:
                assert written == []  # nothing to migrate, nothing copied
            else:
                assert len(written) == 1
                assert written[0].name.startswith(f"abs.db.before-{start}-to-{HEAD}.")
                copy = open_store(to_url(str(written[0])))
                assert row_counts(copy) == expected
                copy.dispose()
    finally:
        store.dispose()


def schema_snapshot(store: Store) -> dict[str, dict[str, object]]:
    """Tables, columns, keys, indexes and CHECKs as the database reports them."""
    with store.engine.connect() as connection:
        inspector = inspect(connection)
        snapshot = {}
        for table in sorted(inspector.get_table_names()):
            snapshot[table] = {
                "columns": sorted(  # ADD COLUMN appends: order is not part of the schema
                    (column["name"], str(column["type"]), column["nullable"])
                    for column in inspector.get_columns(table)
                ),
                "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
                "foreign_keys": sorted(
                    (tuple(fk["constrained_columns"]), fk["referred_table"])
                    for fk in inspector.get_foreign_keys(table)
                ),
                "indexes": sorted(
                    (index["name"], tuple(index["column_names"]), bool(index["unique"]))
                    for index in inspector.get_indexes(table)
                ),
                "unique": sorted(
                    tuple(unique["column_names"])
                    for unique in inspector.get_unique_constraints(table)
                ),
                "checks": sorted(
                    (check["name"], " ".join(check["sqltext"].split()))
                    for check in inspector.get_check_constraints(table)
                ),
            }
        if connection.dialect.name == "postgresql":  # the journal's triggers and functions
            snapshot["triggers"] = {
                "defined": sorted(
                    connection.exec_driver_sql(
                        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"
                    ).scalars()
                ),
                "functions": sorted(
                    (name, " ".join(source.split()))
                    for name, source in connection.exec_driver_sql(
                        "SELECT proname, prosrc FROM pg_proc "
                        "WHERE pronamespace = 'public'::regnamespace"
                    )
                ),
            }
        return snapshot


def test_migrated_schema_equals_a_fresh_store(db_url: str, tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from abs_cli.store import models  # noqa: F401  (registers the tables)

    migrated = first_schema_store(db_url)
    upgrade(migrated)
    try:
        with migrated.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
        migrated_schema = schema_snapshot(migrated)
        refused = pytest.raises(IntegrityError, match="ck_lead_stage")
        with refused, migrated.session(write=True) as session:  # the rewritten checks hold
            session.execute(text("UPDATE lead SET stage = 'won' WHERE id = 1"))
    finally:
        migrated.dispose()
    if db_url.startswith("postgresql"):
        from conftest import _reset_pg_schema

        _reset_pg_schema()
        fresh_url = db_url
    else:
        fresh_url = to_url(str(tmp_path / "fresh.db"))
    fresh = open_store(fresh_url)
    try:
        assert upgrade(fresh) == (None, HEAD)  # create_all, as for every new store
        assert schema_snapshot(fresh) == migrated_schema
    finally:
        fresh.dispose()


def test_sqlite_store_opened_by_abs_has_its_pragmas(tmp_path: Path) -> None:
    from abs_cli.cli.state import AppState

    state = AppState(db_option=str(tmp_path / "abs.db"))
    store = state.store(create=True)
    try:
        with store.engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS
        with pytest.raises(IntegrityError), store.session(write=True) as session:
            session.execute(
                text(
                    "INSERT INTO activity (lead_id, type, occurred_at)"
                    " VALUES (999, 'call', '2026-01-01 00:00:00')"
                )
            )
    finally:
        state.close()
    import sqlite3

    raw = sqlite3.connect(tmp_path / "abs.db")
    try:  # WAL is a property of the file, kept for every later connection
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()
