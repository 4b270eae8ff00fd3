"""`abs db`: init, info, migrate, backup, and the store's refusals."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest
from conftest import Cli
from sqlalchemy import text
from typer.testing import CliRunner

from abs_cli.cli.app import app
from abs_cli.store.migrate import HEAD


def test_init_and_info(cli) -> None:
    assert cli("db", "init", "--currency", "usd").exit_code == 0
    info = json.loads(cli("db", "info", "--format", "json").stdout)
    assert info["schema_version"] == HEAD
    assert info["settings"]["currency"] == "USD"
    assert info["chosen_by"] == "--db option"
    assert info["rows"]["rep"] == 0
    assert "***" in info["store"] or info["engine"] == "sqlite"
    for fmt in ("table", "jsonl", "csv", "tsv", "markdown"):
        result = cli("db", "info", "--format", fmt)
        assert result.exit_code == 0 and "schema_version" in result.stdout


def test_currency_cannot_change_once_money_is_recorded(cli, store) -> None:
    assert cli("db", "init", "--currency", "EUR").exit_code == 0
    with store.session(write=True) as session:
        session.execute(
            text(
                "INSERT INTO spend (month, category, channel, amount)"
                " VALUES ('2026-01', 'sales', '', 100)"
            )
        )
    result = cli("db", "init", "--currency", "USD")
    assert result.exit_code == 3
    assert "already records amounts in EUR" in result.stderr
    assert cli("db", "init", "--currency", "EURO").exit_code == 3


def test_init_names_the_currency_and_how_to_change_it(sqlite_cli) -> None:
    result = sqlite_cli("db", "init")
    assert result.exit_code == 0, result.stderr
    assert "(currency EUR, the default; for another, run `abs --db " in result.stderr
    assert "db init --currency USD` before recording any amount)" in result.stderr
    chosen = sqlite_cli("db", "init", "--currency", "GBP")
    assert "(currency GBP)" in chosen.stderr and "default" not in chosen.stderr
    assert "(currency GBP)" in sqlite_cli("db", "init").stderr  # now the store's own


def test_store_chosen_by_env_then_default(tmp_path: Path, monkeypatch) -> None:
    runner = CliRunner()
    monkeypatch.setenv("ABS_DB", str(tmp_path / "env.db"))
    assert runner.invoke(app, ["db", "init"]).exit_code == 0
    info = json.loads(runner.invoke(app, ["db", "info", "-f", "json"]).stdout)
    assert info["chosen_by"] == "ABS_DB environment variable"
    assert info["store"].endswith("env.db")
    monkeypatch.delenv("ABS_DB")
    assert runner.invoke(app, ["db", "init"]).exit_code == 0
    info = json.loads(runner.invoke(app, ["db", "info", "-f", "json"]).stdout)
    assert info["chosen_by"] == "default file in the user data dir"
    assert (tmp_path / "home" / "abs.db").exists()


def test_info_on_a_missing_store_does_not_create_it(tmp_path: Path, sqlite_url: str) -> None:
    result = Cli(sqlite_url, init=False)("db", "info")
    assert result.exit_code == 4
    assert "no abs store at" in result.stderr
    assert not (tmp_path / "abs.db").exists()


@pytest.mark.parametrize(
    "command",
    [
        ("kpi", "report"),
        ("team", "list"),
        ("team", "add", "ana@acme.io", "--role", "sdr"),
        ("leads", "list"),
        ("db", "migrate"),
        ("db", "rebuild"),
    ],
)
def test_a_mistyped_store_is_refused_not_created(db_url: str, command: tuple[str, ...]) -> None:
    result = Cli(db_url, init=False)(*command)
    assert result.exit_code == 4, result.output
    assert "no abs store at" in result.stderr and "abs db init" in result.stderr
    assert Cli(db_url, init=False)("db", "info").exit_code == 4  # still nothing created


def test_a_mistyped_store_in_abs_db_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ABS_DB", str(tmp_path / "typo.db"))
    result = CliRunner().invoke(app, ["kpi", "report"])
    assert result.exit_code == 4
    assert "ABS_DB" in result.stderr
    assert not (tmp_path / "typo.db").exists()


def test_db_init_creates_a_named_store_and_the_default_store_is_created_on_first_use(
    db_url: str, tmp_path: Path
) -> None:
    assert Cli(db_url, init=False)("db", "init").exit_code == 0
    assert Cli(db_url, init=False)("team", "list").exit_code == 0
    result = CliRunner().invoke(app, ["team", "add", "ana@acme.io", "--role", "sdr"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "abs.db").exists()


def test_unreachable_folder_is_a_store_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "nope" / "x.db"), "db", "init"])
    assert result.exit_code == 4
    assert "folder" in result.stderr and "does not exist" in result.stderr


def test_corrupt_file_is_refused(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not sqlite" * 100)
    result = CliRunner().invoke(app, ["--db", str(corrupt), "team", "list"])
    assert result.exit_code == 4
    assert "not an abs store" in result.stderr
    assert corrupt.read_bytes() == b"this is not sqlite" * 100


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (x)")
    result = CliRunner().invoke(app, ["--db", str(other), "team", "list"])
    assert result.exit_code == 4
    assert "no abs schema version" in result.stderr


def test_store_from_a_newer_schema_is_refused(cli, store) -> None:
    with store.session(write=True) as session:
        session.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    result = cli("team", "list")
    assert result.exit_code == 4
    assert "schema 9999, newer than this abs understands" in result.stderr
    assert cli("db", "migrate").exit_code == 4


def test_unreachable_postgresql_is_a_store_error() -> None:
    url = "postgresql+psycopg://abs:abs@127.0.0.1:1/nothing"
    result = CliRunner().invoke(app, ["--db", url, "team", "list"])
    assert result.exit_code == 4
    assert "cannot open store postgresql+psycopg://abs:***@127.0.0.1:1/nothing" in result.stderr


def test_migrate_is_idempotent(cli) -> None:
    assert cli("db", "migrate").exit_code == 0
    result = cli("db", "migrate")
    assert result.exit_code == 0
    assert "already the newest" in result.stderr


def test_backup_while_another_connection_writes(tmp_path: Path, sqlite_cli) -> None:
    assert sqlite_cli("team", "add", "ana@acme.io", "--role", "sdr").exit_code == 0
    stop = threading.Event()

    def keep_writing() -> None:
        connection = sqlite3.connect(tmp_path / "abs.db", timeout=30)
        index = 0
        while not stop.is_set():
            with connection:
                connection.execute(
                    "INSERT INTO setting (key, value) VALUES (?, 'x')", (f"k{index}",)
                )
            index += 1
        connection.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        result = sqlite_cli("db", "backup", str(tmp_path / "copy.db"))
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT email FROM rep").fetchall() == [("ana@acme.io",)]


def test_backup_refuses_postgresql(cli, tmp_path: Path) -> None:
    cli("db", "init")
    result = cli("db", "backup", str(tmp_path / "copy.db"))
    if cli.url.startswith("postgresql"):
        assert result.exit_code == 2 and "pg_dump" in result.stderr
    else:
        assert result.exit_code == 0
