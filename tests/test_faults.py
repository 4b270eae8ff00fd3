"""A catalogue of bad inputs and faults, and what `abs` does with each (issue 12).

Every importer meets the usual bad files (empty, header only, binary, wrong delimiter,
BOM, bad dates, missing required column, truncated gzip, a folder, a missing file, two
columns for one field); the store meets its faults (mistyped, read-only, full disk,
locked, no PostgreSQL driver); the process meets Ctrl-C, kill -9, a closed pipe and a
second writer. Each case states the exit code of docs/domain.md §3.3 and the words a
user needs. The importer matrix runs on one SQLite store per module (a bad file writes
nothing, so the cases do not disturb each other); store faults run on both backends
where the backend matters.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PG_URL, Cli, _pg_reachable, _reset_pg_schema, init_store
from sqlalchemy import event
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from abs_cli.cli.app import app
from abs_cli.store.location import to_url

SRC = str(Path(__file__).resolve().parents[1] / "src")

VALID: dict[str, tuple[str, str]] = {
    "team": ("email,role", "bo@acme.io,ae"),
    "accounts": ("domain", "acme.io"),
    "leads": ("email", "b@acme.io"),
    "activities": ("lead_email,type,occurred_at", "a@acme.io,call,2026-01-05"),
    "pipeline": ("lead_email,to_stage,changed_at", "a@acme.io,qualified,2026-01-05"),
    "subscriptions": ("account,started_at,amount", "acme.io,2026-01-01,100"),
    "spend": ("month,category,amount", "2026-01,sales,100"),
    "nps": ("score,responded_at,email", "9,2026-01-05,a@acme.io"),
    "usage": ("user,occurred_at", "U1,2026-01-05"),
    "campaigns": ("campaign,lead_email,sent_at", "Spring,a@acme.io,2026-01-05"),
    "tickets": ("account,opened_at", "acme.io,2026-01-05"),
}
"""A minimal valid file per importer: its required columns and one row."""

DATED = {
    "activities": "a@acme.io,call,31/31/2026",
    "pipeline": "a@acme.io,qualified,31/31/2026",
    "subscriptions": "acme.io,31/31/2026,100",
    "spend": "2026-13,sales,100",
    "nps": "9,31/31/2026,a@acme.io",
    "usage": "U1,31/31/2026",
    "campaigns": "Spring,a@acme.io,31/31/2026",
    "tickets": "acme.io,31/31/2026",
}
"""The same row with a date that is no date."""

KINDS = [
    kind if kind in ("leads", "usage") else pytest.param(kind, marks=pytest.mark.slow)
    for kind in sorted(VALID)
]
"""Every importer; two of them in the fast run (one per writer family), all in the slow."""
SEPARATED_KINDS = [
    kind if kind == "usage" else pytest.param(kind, marks=pytest.mark.slow)
    for kind in sorted(VALID)
    if "," in VALID[kind][0]
]
"""Importers whose minimal file has several columns: a delimiter to get wrong."""
DATED_KINDS = [
    kind if kind == "usage" else pytest.param(kind, marks=pytest.mark.slow)
    for kind in sorted(DATED)
]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One SQLite store for the importer matrix, with the rep and lead the rows name."""
    folder = tmp_path_factory.mktemp("faults")
    url = to_url(str(folder / "abs.db"))
    init_store(url)
    runner = CliRunner()
    assert (
        runner.invoke(app, ["--db", url, "team", "add", "ana@acme.io", "--role", "sdr"]).exit_code
        == 0
    )
    leads = folder / "seed.csv"
    leads.write_text("email\na@acme.io\n", encoding="utf-8")
    assert runner.invoke(app, ["--db", url, "leads", "import", str(leads)]).exit_code == 0
    yield url, folder


def run_import(url: str, kind: str, path: Path | str, *options: str) -> Any:
    return CliRunner().invoke(
        app,
        ["--db", url, kind, "import", str(path), *options, "-f", "json"],
        catch_exceptions=False,
    )


def summary(result: Any) -> dict[str, Any]:
    return json.loads(result.stdout)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# every importer x bad files ----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_empty_file_is_refused(shared: tuple[str, Path], kind: str) -> None:
    url, folder = shared
    result = run_import(url, kind, write(folder, f"{kind}-empty.csv", ""))
    assert result.exit_code == 3 and "is empty: expected a header line" in result.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_header_only_imports_nothing(shared: tuple[str, Path], kind: str) -> None:
    url, folder = shared
    result = run_import(url, kind, write(folder, f"{kind}-header.csv", VALID[kind][0] + "\n"))
    assert result.exit_code == 0
    assert (summary(result)["read"], summary(result)["inserted"]) == (0, 0)


@pytest.mark.parametrize("kind", KINDS)
def test_binary_garbage_is_refused(shared: tuple[str, Path], kind: str) -> None:
    url, folder = shared
    garbage = bytes(range(256)) * 40
    result = run_import(url, kind, write(folder, f"{kind}.bin", garbage))
    assert result.exit_code == 3 and "is a binary file, not a CSV text file" in result.stderr


@pytest.mark.parametrize("kind", SEPARATED_KINDS)
def test_wrong_delimiter_means_no_required_column(shared: tuple[str, Path], kind: str) -> None:
    url, folder = shared
    header, row = VALID[kind]
    text = header.replace(",", ":") + "\n" + row.replace(",", ":") + "\n"
    result = run_import(url, kind, write(folder, f"{kind}-colon.csv", text))
    assert result.exit_code == 3
    assert "column (required); nothing was imported" in result.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_utf8_bom_and_semicolons_are_read(shared: tuple[str, Path], kind: str) -> None:
    url, folder = shared
    header, row = VALID[kind]
    text = "\ufeff" + header.replace(",", ";") + "\r\n" + row.replace(",", ";") + "\r\n"
    result = run_import(url, kind, write(folder, f"{kind}-bom.csv", text))
    assert result.exit_code == 0, result.stderr
    assert summary(result)["read"] == 1 and summary(result)["rejected"] == 0


@pytest.mark.parametrize("kind", DATED_KINDS)
def test_bad_dates_go_to_the_rejects_file(shared: tuple[str, Path], kind: str) -> None:
    url, folder = shared
    path = write(folder, f"{kind}-dates.csv", VALID[kind][0] + "\n" + DATED[kind] + "\n")
    result = run_import(url, kind, path)
    assert result.exit_code == 3 and summary(result)["rejected"] == 1
    rejects = (folder / f"{kind}-dates.rejects.csv").read_text(encoding="utf-8")
    assert "line 2" in result.stderr and ("not a date" in rejects or "not a month" in rejects)


@pytest.mark.parametrize("kind", KINDS)
def test_missing_required_column_writes_nothing(shared: tuple[str, Path], kind: str) -> None:
    url, folder = shared
    header, row = VALID[kind]
    required = header.split(",")[0]
    text = f"notes,{header.partition(',')[2]}\nx,{row.partition(',')[2]}\n"
    result = run_import(url, kind, write(folder, f"{kind}-missing.csv", text))
    assert result.exit_code == 3
    assert f"no {required}" in result.stderr and "nothing was imported" in result.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_truncated_gzip_is_input_rejected(shared: tuple[str, Path], kind: str) -> None:
    url, folder = shared
    header, row = VALID[kind]
    whole = gzip.compress((header + "\n" + (row + "\n") * 2000).encode())
    path = write(folder, f"{kind}-cut.csv.gz", whole[: len(whole) // 2])
    result = run_import(url, kind, path)
    assert result.exit_code == 3, result.stderr
    assert "the compressed file is cut short (truncated .gz)" in result.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_two_columns_for_one_field_are_refused(shared: tuple[str, Path], kind: str) -> None:
    url, folder = shared
    header, row = VALID[kind]
    first = header.split(",")[0]
    text = f"{header},{first.upper()}\n{row},other\n"
    result = run_import(url, kind, write(folder, f"{kind}-twice.csv", text))
    assert result.exit_code == 3
    assert f"both give {first}" in result.stderr


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("folder", lambda folder: folder, "is a folder, not a CSV file"),
        ("missing", lambda folder: folder / "nope.csv", "does not exist"),
        ("json-scalars", lambda folder: write(folder, "s.jsonl", "[1, 2]\n"), "no JSON objects"),
        (
            "unclosed-quote-huge",
            lambda folder: write(folder, "q.csv", 'email\n"a@acme.io\n' + "x" * (17 << 20)),
            "the CSV cannot be parsed",
        ),
        (
            "invalid-utf8-forced",
            lambda folder: write(folder, "w.csv", b"email\n\xe9t\xe9@acme.io\n"),
            "is not valid utf-8 text",
        ),
    ],
)
def test_unusable_sources_are_input_rejected(
    shared: tuple[str, Path], name: str, make: Any, words: str
) -> None:
    url, folder = shared
    options = ("--encoding", "utf-8") if name == "invalid-utf8-forced" else ()
    result = run_import(url, "leads", make(folder), *options)
    assert result.exit_code == 3, result.stderr
    assert words in result.stderr


def test_unreadable_file_is_input_rejected(
    shared: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, folder = shared
    path = write(folder, "secret.csv", "email\nz@acme.io\n")
    real_open = Path.open

    def denied(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)  # root reads any file: simulate chmod 000
    result = run_import(url, "leads", path)
    assert result.exit_code == 3
    assert f"{path} cannot be read: permission denied" in result.stderr


def test_a_huge_field_is_a_rejected_row_not_a_crash(shared: tuple[str, Path]) -> None:
    url, folder = shared
    path = write(folder, "wide.csv", "email,title\nw@acme.io," + "t" * 1_000_000 + "\n")
    result = run_import(url, "leads", path)
    assert result.exit_code == 3 and summary(result)["rejected"] == 1


def test_an_unwritable_rejects_file_is_said_not_crashed(shared: tuple[str, Path]) -> None:
    url, folder = shared
    path = write(folder, "rj.csv", "email\nbad@\n")
    (folder / "rj.rejects.csv").mkdir()  # root writes anywhere: a folder stands in its way
    result = run_import(url, "leads", path)
    assert result.exit_code == 3
    assert "the rejects file" in result.stderr and "cannot be written" in result.stderr


@pytest.mark.parametrize(
    ("kind", "text", "words"),
    [
        ("leads", "", "stdin is empty"),
        ("leads", '{"email": "a@x.io"}\n{"email": \n', "line 2: stdin is not valid JSON"),
        ("subscriptions", "account,started_at,amount,currency\nacme.io,2026-01-01,5,JPY\n", ""),
    ],
)
def test_stdin_faults(
    shared: tuple[str, Path],
    kind: str,
    text: str,
    words: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, _ = shared
    monkeypatch.chdir(tmp_path)  # rejects of stdin go to ./stdin.rejects.csv
    result = CliRunner().invoke(app, ["--db", url, kind, "import", "-"], input=text)
    assert result.exit_code == 3, result.output
    assert words in result.stderr


def test_strict_refuses_the_whole_file_for_one_bad_row(shared: tuple[str, Path]) -> None:
    url, folder = shared
    path = write(folder, "strict.csv", "email\nfine1@strict.io\nbad@\nfine2@strict.io\n")
    result = run_import(url, "leads", path, "--strict")
    assert result.exit_code == 3 and "nothing was imported (--strict)" in result.stderr
    listed = CliRunner().invoke(app, ["--db", url, "leads", "list", "-f", "json"])
    assert "strict.io" not in listed.stdout


# the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("kpi", "report", "--to", "banana"), "--to 'banana' is not a month"),
        (("kpi", "report", "--period", "2026-13"), "--period '2026-13' is not a month"),
        (("kpi", "report", "--as-of", "soon"), "--as-of 'soon' is not an ISO 8601"),
        (("kpi", "report", "--format", "yaml"), "'yaml' is not an output format; use one of"),
        (("goals", "list", "--period", "2026-13"), "--period '2026-13' is not a month"),
        (
            ("goals", "set", "--metric", "calls", "--target", "1", "--period", "banana"),
            "--period 'banana' is not a month",
        ),
        (("pipeline", "advance", "a@acme.io", "--at", "noon"), "--at 'noon' is not an ISO"),
        (("leads", "score", "--as-of", "later"), "--as-of 'later' is not a date"),
        (("leads", "list", "--since", "then"), "--from 'then' is not a date"),
        (("leads", "list", "--stage", "won"), "--stage: unknown stage 'won'"),
        (("accounts", "list", "--tier", "9"), "'9' is more than 3"),
        (("leads", "list", "-n", "abc"), "'abc' is not a whole number"),
        (("leads", "list", "--sort", "size"), "--sort 'size' is not one of"),
        (("pipeline", "board", "--role", "boss"), "--role 'boss' is not one of"),
        (("team", "add", "x@acme.io", "--role", "boss"), "role 'boss' is not one of"),
        (("pipeline", "advance", "a@acme.io", "--to", "heaven"), "unknown stage 'heaven'"),
        (("pipeline", "advance", "a@acme.io", "--amount", "lots"), "'lots' is not a number"),
        (("pipeline", "advance", "a@acme.io", "--to", "lost"), "needs --reason"),
    ],
)
def test_malformed_command_line_values_are_usage_errors(
    shared: tuple[str, Path], args: tuple[str, ...], words: str
) -> None:
    url, _ = shared
    result = CliRunner().invoke(app, ["--db", url, *args])
    assert result.exit_code == 2, result.output
    assert words in result.stderr


# the store ----------------------------------------------------------------------------------


@pytest.fixture
def on_connect() -> Iterator[list[str]]:
    """Statements every new SQLite connection runs first (a fault injected in the store)."""
    statements: list[str] = []

    def listener(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            for statement in statements:
                dbapi_connection.execute(statement)

    event.listen(Engine, "connect", listener)
    yield statements
    event.remove(Engine, "connect", listener)


def test_read_only_store_is_a_store_error(sqlite_cli: Cli, on_connect: list[str]) -> None:
    on_connect.append("PRAGMA query_only = ON")
    result = sqlite_cli("team", "add", "ana@acme.io", "--role", "sdr")
    assert result.exit_code == 4
    assert "is read-only" in result.stderr
    assert "INSERT" not in result.stderr and "sqlalche.me" not in result.stderr


def test_read_only_postgresql_session_is_a_store_error() -> None:
    if _pg_reachable() is not None:
        pytest.skip("no PostgreSQL server reachable")
    _reset_pg_schema()
    init_store(PG_URL)
    read_only = PG_URL + "?options=-c%20default_transaction_read_only%3Don"
    result = Cli(read_only, init=False)("team", "add", "ana@acme.io", "--role", "sdr")
    assert result.exit_code == 4
    assert "is read-only" in result.stderr and "INSERT" not in result.stderr


def test_an_as_of_report_on_a_read_only_postgresql_session_says_why() -> None:
    """Known limit: a report as of an earlier moment needs temporary views."""
    if _pg_reachable() is not None:
        pytest.skip("no PostgreSQL server reachable")
    _reset_pg_schema()
    init_store(PG_URL)
    Cli(PG_URL, init=False)("team", "add", "ana@acme.io", "--role", "sdr")
    leads = Cli(PG_URL, init=False)(
        "leads", "import", "-", input="email,created_at\na@x.io,2026-03-01\n"
    )
    assert leads.exit_code == 0
    read_only = PG_URL + "?options=-c%20default_transaction_read_only%3Don"
    result = Cli(read_only, init=False)("kpi", "report", "--as-of", "2026-02-01")
    assert result.exit_code == 4
    assert "temporary views" in result.stderr and "CREATE" not in result.stderr.split("(")[0]


def test_full_disk_is_a_store_error_and_keeps_the_store(
    sqlite_cli: Cli, tmp_path: Path, on_connect: list[str]
) -> None:
    path = tmp_path / "many.csv"
    path.write_text(
        "email,title\n" + "".join(f"u{n}@x{n}.io,{'t' * 200}\n" for n in range(5000)),
        encoding="utf-8",
    )
    pages = sqlite3.connect(tmp_path / "abs.db").execute("PRAGMA page_count").fetchone()[0]
    on_connect.append(f"PRAGMA max_page_count = {pages + 20}")
    result = sqlite_cli("leads", "import", str(path), "--strict")
    assert result.exit_code == 4
    assert "is full" in result.stderr and "INSERT" not in result.stderr
    on_connect.clear()
    assert json.loads(sqlite_cli("db", "info", "-f", "json").stdout)["rows"]["lead"] == 0


def test_a_store_locked_too_long_is_a_store_error(
    sqlite_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import abs_cli.store.engine as engine

    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 400)
    holder = sqlite3.connect(tmp_path / "abs.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        result = sqlite_cli("team", "add", "ana@acme.io", "--role", "sdr")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 4 and "stayed locked by another process" in result.stderr
    assert time.monotonic() - started < 5


def test_postgresql_url_without_the_driver_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    result = CliRunner().invoke(app, ["--db", "postgresql://abs@localhost/abs", "team", "list"])
    assert result.exit_code == 4
    assert "pip install 'abs-cli[postgres]'" in result.stderr
    assert "ModuleNotFoundError" not in result.stderr


def test_an_unreachable_postgresql_server_is_a_store_error() -> None:
    url = "postgresql://abs:abs@127.0.0.1:1/abs"  # nothing listens on port 1
    result = CliRunner().invoke(app, ["--db", url, "team", "list"])
    assert result.exit_code == 4
    assert "cannot open store postgresql+psycopg://abs:***@127.0.0.1:1/abs" in result.stderr


def test_corrupt_and_foreign_databases_are_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER)")
    result = CliRunner().invoke(app, ["--db", str(foreign), "kpi", "report"])
    assert result.exit_code == 4 and "it is not an abs store" in result.stderr


# the process --------------------------------------------------------------------------------


def abs_process(*args: str, **kwargs: Any) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen([sys.executable, "-m", "abs_cli", *args], env=environment, **kwargs)


def big_leads_file(folder: Path, rows: int) -> Path:
    path = folder / "big.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("email,first_name,company\n")
        for n in range(rows):
            handle.write(f"lead{n}@c{n % 997}.io,Name{n},Company {n % 997}\n")
    return path


def wait_for_rows(database: Path, table: str, timeout: float = 30) -> None:
    """Until the import has committed a first batch (or the timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(database, timeout=0.1) as connection:
                if connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
                    return
        except sqlite3.OperationalError:
            pass
        time.sleep(0.05)
    raise AssertionError("the import wrote nothing in time")


def test_closed_stdout_ends_quietly_with_141(sqlite_url: str) -> None:
    init_store(sqlite_url)
    process = abs_process(
        "--db", sqlite_url, "kpi", "report", "--period", "2026-01", "--format", "markdown",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # `| head -0`: the reader is gone before abs writes
    assert process.wait(timeout=60) == 141
    assert process.stderr.read() == b""


@pytest.mark.slow
def test_ctrl_c_mid_import_exits_130_and_keeps_committed_batches(
    sqlite_url: str, tmp_path: Path
) -> None:
    init_store(sqlite_url)
    path = big_leads_file(tmp_path, 200_000)
    process = abs_process(
        "--db", sqlite_url, "leads", "import", str(path), "--batch-size", "2000",
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for_rows(tmp_path / "abs.db", "lead")
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 130
    assert process.stderr is not None and b"interrupted" in process.stderr.read()
    with sqlite3.connect(tmp_path / "abs.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kept = connection.execute("SELECT count(*) FROM lead").fetchone()[0]
    assert 0 < kept < 200_000
    again = Cli(sqlite_url, init=False)("leads", "import", str(path), "-f", "json")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["inserted"] == 200_000 - kept


@pytest.mark.slow
def test_ctrl_c_while_waiting_for_a_locked_store_exits_130_at_once(
    sqlite_url: str, tmp_path: Path
) -> None:
    init_store(sqlite_url)
    path = big_leads_file(tmp_path, 10)
    holder = sqlite3.connect(tmp_path / "abs.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock (30 s busy timeout)
    try:
        process = abs_process(
            "--db", sqlite_url, "leads", "import", str(path),
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(2.5)  # started, and waiting for the lock
        interrupted = time.monotonic()
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
        waited = time.monotonic() - interrupted
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert process.stderr is not None
    stderr = process.stderr.read().decode()
    assert code == 130, stderr
    assert "stayed locked" not in stderr
    assert waited < 3


@pytest.mark.slow
def test_kill_9_mid_import_leaves_a_sound_store_and_a_rerun_completes(
    sqlite_url: str, tmp_path: Path
) -> None:
    init_store(sqlite_url)
    path = big_leads_file(tmp_path, 200_000)
    process = abs_process(
        "--db", sqlite_url, "leads", "import", str(path), "--batch-size", "2000",
        stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for_rows(tmp_path / "abs.db", "lead")
    process.kill()
    process.wait(timeout=30)
    with sqlite3.connect(tmp_path / "abs.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    again = Cli(sqlite_url, init=False)("leads", "import", str(path), "-f", "json")
    assert again.exit_code == 0, again.stderr
    document = json.loads(again.stdout)
    assert document["rejected"] == 0
    with sqlite3.connect(tmp_path / "abs.db") as connection:
        assert connection.execute("SELECT count(*) FROM lead").fetchone()[0] == 200_000


@pytest.mark.slow
def test_two_concurrent_importers_both_finish(sqlite_url: str, tmp_path: Path) -> None:
    init_store(sqlite_url)
    files = []
    for name in ("one", "two"):
        path = tmp_path / f"{name}.csv"
        path.write_text(
            "email\n" + "".join(f"{name}{n}@x.io\n" for n in range(20_000)), encoding="utf-8"
        )
        files.append(path)
    processes = [
        abs_process(
            "--db",
            sqlite_url,
            "leads",
            "import",
            str(path),
            "--batch-size",
            "1000",
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
        )
        for path in files
    ]
    assert [process.wait(timeout=120) for process in processes] == [0, 0]
    with sqlite3.connect(tmp_path / "abs.db") as connection:
        assert connection.execute("SELECT count(*) FROM lead").fetchone()[0] == 40_000


# erasure ------------------------------------------------------------------------------------


def test_a_forgotten_lead_leaves_no_personal_data_and_no_coverage(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "email,first_name,phone,buying_role,external_id\n"
        "ann@target.io,Ann,+33 1 23,decision_maker,CRM-7\n",
        encoding="utf-8",
    )
    assert cli("leads", "import", str(path)).exit_code == 0
    assert cli("leads", "forget", "ann@target.io").exit_code == 0
    shown = cli("leads", "show", "ann@target.io")
    assert shown.exit_code == 3 and "no lead" in shown.stderr
    exported = cli("leads", "export").stdout
    assert "ann@target.io" not in exported and "+33 1 23" not in exported
    assert "CRM-7" not in exported
    account = json.loads(cli("accounts", "show", "target.io", "-f", "json").stdout)
    assert "decision_maker" in account["uncovered_roles"]
