"""Shared fixtures: stores on SQLite files and on a real PostgreSQL server, and the CLI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from abs_cli.cli.app import app
from abs_cli.store.location import StoreLocation, to_url

DEFAULT_PG_URL = "postgresql+psycopg://abs:abs@127.0.0.1:5432/abs_test"
PG_URL = os.environ.get("ABS_TEST_PG_URL", DEFAULT_PG_URL)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

_pg_state: dict[str, object] = {}


def _pg_reachable() -> str | None:
    """None when the test server answers, else why not."""
    if "error" not in _pg_state:
        try:
            import psycopg

            with psycopg.connect(
                PG_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=3
            ):
                pass
            _pg_state["error"] = None
        except Exception as error:  # any failure means: no server to test against
            _pg_state["error"] = f"{type(error).__name__}: {error}"
    return _pg_state["error"]  # type: ignore[return-value]


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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store URL on each backend."""
    if request.param == "sqlite":
        yield to_url(str(tmp_path / "abs.db"))
        return
    error = _pg_reachable()
    if error is not None:
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL at {PG_URL} is unreachable: {error}")
        pytest.skip(f"no PostgreSQL server reachable ({error})")
    _reset_pg_schema()
    yield PG_URL


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return to_url(str(tmp_path / "abs.db"))


def init_store(url: str) -> None:
    """Create the store at `url` at the newest schema, as `abs db init` would: commands
    other than `db init` and `demo` refuse a store that does not exist."""
    from abs_cli.store.engine import Store, make_engine
    from abs_cli.store.migrate import ensure_current

    location = StoreLocation(url, "test")
    opened = Store(location, make_engine(location))
    ensure_current(opened)
    opened.dispose()


@pytest.fixture
def store(db_url: str):  # type: ignore[no-untyped-def]
    """An opened store at the newest schema."""
    from abs_cli.store.engine import Store, make_engine
    from abs_cli.store.migrate import ensure_current

    opened = Store(StoreLocation(db_url, "test"), make_engine(StoreLocation(db_url, "test")))
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
def cli(db_url: str) -> Cli:
    return Cli(db_url)


@pytest.fixture
def sqlite_cli(sqlite_url: str) -> Cli:
    return Cli(sqlite_url)
