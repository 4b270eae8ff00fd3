"""Shared fixtures: stores on SQLite files and on a real PostgreSQL server, and the CLI."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from abs_cli.cli.app import app
from abs_cli.store.location import StoreLocation, to_url

DEFAULT_PG_URL = "postgresql+psycopg://abs:abs@127.0.0.1:5432/abs_test"
SERVER_PG_URL = os.environ.get("ABS_TEST_PG_URL", DEFAULT_PG_URL)
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
"""`gw0`, `gw1`… when pytest-xdist runs the suite in several processes."""
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _worker_url(url: str) -> str:
    """Each xdist worker gets a database of its own on the test server (`abs_ci_gw0`…):
    the tests reset the schema, so two workers cannot share one."""
    if WORKER is None:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{WORKER}").render_as_string(hide_password=False)


PG_URL = _worker_url(SERVER_PG_URL)
_pg_state: dict[str, object] = {}


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg", "postgresql")


def _pg_reachable() -> str | None:
    """None when the test server answers (creating this worker's database), else why not."""
    if "error" not in _pg_state:
        try:
            import psycopg

            if WORKER is not None:
                _create_worker_database(psycopg)
            with psycopg.connect(_libpq(PG_URL), connect_timeout=3):
                pass
            _pg_state["error"] = None
        except Exception as error:  # any failure means: no server to test against
            _pg_state["error"] = f"{type(error).__name__}: {error}"
    return _pg_state["error"]  # type: ignore[return-value]


def _create_worker_database(psycopg: Any) -> None:
    name = make_url(PG_URL).database
    with psycopg.connect(_libpq(SERVER_PG_URL), connect_timeout=3, autocommit=True) as server:
        found = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found is None:
            server.execute(f'CREATE DATABASE "{name}"')


def _reset_pg_schema() -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the user's data dir, nor sees their ABS_* settings."""
    monkeypatch.setenv("ABS_HOME", str(tmp_path / "home"))
    for name in ("ABS_DB", "ABS_REP", "ABS_CONFIG", "ABS_SCORING", "ABS_PLAYBOOK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def _require_pg() -> None:
    error = _pg_reachable()
    if error is not None:
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL at {PG_URL} is unreachable: {error}")
        pytest.skip(f"no PostgreSQL server reachable ({error})")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        _require_pg()
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> str:
    """The URL of a store that does not exist yet, on each backend (an empty database)."""
    if backend == "sqlite":
        return to_url(str(tmp_path / "abs.db"))
    _reset_pg_schema()
    return PG_URL


@pytest.fixture
def store_url(backend: str, tmp_path: Path) -> str:
    """The URL of a store at the newest schema holding no rows, on each backend."""
    if backend == "sqlite":
        url = to_url(str(tmp_path / "abs.db"))
        init_store(url)
        return url
    _empty_pg_store()
    return PG_URL


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return to_url(str(tmp_path / "abs.db"))


_templates: dict[str, Path] = {}


def init_store(url: str) -> None:
    """Create the store at `url` at the newest schema, as `abs db init` would: commands
    other than `db init` and `demo` refuse a store that does not exist.

    A new SQLite file is a copy of one created once per test session: the same bytes, a
    millisecond instead of the ~60 ms of creating 40 tables and their indexes.
    """
    path = _sqlite_file(url)
    if path is not None and not path.exists() and path.parent.is_dir():
        shutil.copyfile(_sqlite_template(), path)
        return
    _create_store(url)


def _sqlite_file(url: str) -> Path | None:
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or url == "sqlite:///:memory:":
        return None
    return Path(url.removeprefix(prefix))


def _sqlite_template() -> Path:
    if "sqlite" not in _templates:
        folder = Path(tempfile.mkdtemp(prefix="abs-template-"))
        template = folder / "template.db"
        _create_store(to_url(str(template)))
        _templates["sqlite"] = template
    return _templates["sqlite"]


def _create_store(url: str) -> None:
    from abs_cli.store.engine import Store, make_engine
    from abs_cli.store.migrate import ensure_current

    location = StoreLocation(url, "test")
    opened = Store(location, make_engine(location))
    ensure_current(opened)
    opened.dispose()


def _empty_pg_store() -> None:
    """Leave the test server at the newest schema with no rows and fresh sequences.

    Deleting the rows the previous test left costs a few milliseconds; dropping and
    creating the schema costs about a second. A test that left another schema behind
    (the migration tests) gets the full reset.
    """
    from sqlalchemy import create_engine, text
    from sqlmodel import SQLModel

    from abs_cli.store import models
    from abs_cli.store.migrate import HEAD

    assert models  # registers the tables
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    engine = create_engine(PG_URL)
    try:
        with engine.begin() as connection:
            present = set(
                connection.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                ).scalars()
            )
            reusable = present == {*tables, "alembic_version"} and (
                connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
            )
            if reusable:
                sequences = connection.execute(
                    text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
                ).scalars()
                statements = [f'DELETE FROM "{name}"' for name in tables]
                statements += [f'ALTER SEQUENCE "{name}" RESTART' for name in sequences]
                connection.execute(text(";\n".join(statements)))
    finally:
        engine.dispose()
    if not reusable:
        _reset_pg_schema()
        _create_store(PG_URL)


@pytest.fixture
def store(store_url: str):  # type: ignore[no-untyped-def]
    """An opened store at the newest schema, holding no rows."""
    from abs_cli.store.engine import Store, make_engine
    from abs_cli.store.migrate import ensure_current

    location = StoreLocation(store_url, "test")
    opened = Store(location, make_engine(location))
    ensure_current(opened)
    yield opened
    opened.dispose()


class Cli:
    """Runs `abs --db URL ...` in-process and returns the result; the store at URL is
    created first unless `init=False`."""

    def __init__(self, url: str, *, init: bool = True) -> None:
        self.url = url
        self.runner = CliRunner()
        if init:
            init_store(url)

    def __call__(self, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return self.runner.invoke(
            app, ["--db", self.url, *args], input=input, catch_exceptions=False
        )


@pytest.fixture
def cli(store_url: str) -> Cli:
    return Cli(store_url, init=False)


@pytest.fixture
def sqlite_cli(sqlite_url: str) -> Cli:
    return Cli(sqlite_url)
