"""The root `abs` app: global options, the command groups, and the one error boundary."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from functools import cache, partial
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from abs_cli import __version__
from abs_cli.cli.state import AppState, get_state
from abs_cli.errors import AbsError, ExitCode

LAZY_GROUPS: dict[str, Callable[[], typer.Typer]] = {}
"""Command groups built only when used: Typer reads the signature and type hints of every
command it builds, which for ~50 commands costs more than all imports of `abs --help`."""


@cache
def _lazy_typer(name: str) -> typer.Typer:
    return LAZY_GROUPS[name]()


@cache
def _lazy_command(name: str) -> Any:
    wrapper = typer.Typer(rich_markup_mode=None)
    wrapper.add_typer(_lazy_typer(name), name=name)
    group = typer.main.get_command(wrapper)
    assert isinstance(group, TyperGroup)  # a Typer holding a sub-app compiles to a group
    return group.commands[name]


class AbsGroup(TyperGroup):
    """The root group: lazy command groups, and the one error boundary that turns every
    error into one sentence on stderr and the exit code of docs/domain.md §3."""

    def list_commands(self, ctx: Any) -> list[str]:
        eager = [name for name in super().list_commands(ctx) if name not in LAZY_GROUPS]
        return [*LAZY_GROUPS, *eager]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in LAZY_GROUPS:
            self.commands[cmd_name] = _lazy_command(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        for name in names:
            command = self.commands.get(name)
            if command is None:
                rows.append((name, (_lazy_typer(name).info.help or "").split("\n")[0]))
            elif not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(args))

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(int(ExitCode.CLOSED_PIPE)) from None
        except (typer.Exit, typer.Abort) as exit_:
            if INTERRUPTED.is_set():
                _interrupted(ctx)
            raise exit_
        except KeyboardInterrupt:
            _interrupted(ctx)
        except AbsError as error:
            if INTERRUPTED.is_set():  # the Ctrl-C surfaced as another error: it wins
                _interrupted(ctx)
            _report(ctx, error.message, error.hint, error)
            raise typer.Exit(int(error.exit_code)) from None
        except Exception as error:
            if INTERRUPTED.is_set():
                _interrupted(ctx)
            if "click" in type(error).__module__:  # usage errors: Click prints them, exit 2
                _in_plain_words(error)
                raise
            mapped = _store_error(ctx, error)
            if mapped is not None:
                _report(ctx, mapped.message, mapped.hint, error)
                raise typer.Exit(int(mapped.exit_code)) from None
            _report(
                ctx,
                f"unexpected error: {type(error).__name__}: {_first_line(error)}",
                "run again with --debug for the traceback, and report it",
                error,
            )
            raise typer.Exit(int(ExitCode.UNEXPECTED)) from None
        finally:
            state = ctx.obj
            if isinstance(state, AppState):
                state.close()


INTERRUPTED = threading.Event()
"""Set by the SIGINT handler of `main`: a Ctrl-C exits 130 whatever error it surfaced as
(a lock wait cut short, a rolled-back transaction…)."""


def _on_sigint(signum: int, frame: Any) -> None:
    INTERRUPTED.set()
    raise KeyboardInterrupt


def _interrupted(ctx: Any) -> NoReturn:
    _report(ctx, "interrupted; the current batch was rolled back", None, None)
    raise typer.Exit(int(ExitCode.INTERRUPTED)) from None


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush on exit does not
    complain about the closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (an in-process test runner)
        pass


PLAIN_WORDS: dict[str, str] = {
    "less_than_equal": "{input!r} is more than {le}",
    "less_than": "{input!r} is not less than {lt}",
    "greater_than_equal": "{input!r} is less than {ge}",
    "greater_than": "{input!r} is not more than {gt}",
    "int_parsing": "{input!r} is not a whole number",
    "int_from_float": "{input!r} is not a whole number",
    "float_parsing": "{input!r} is not a number",
    "decimal_parsing": "{input!r} is not a number",
    "bool_parsing": "{input!r} is not true or false",
    "enum": "{input!r} is not one of {expected}",
}
"""Typer checks option values with pydantic; its messages ("Input should be less than or
equal to 3") become what the user typed and what is allowed."""


def _in_plain_words(error: Exception) -> None:
    """Rewrite a Typer option error worded by pydantic (docs/domain.md §3.3)."""
    errors = getattr(error.__cause__, "errors", None)
    if not hasattr(error, "message") or not callable(errors):
        return
    details = errors()
    if not details:
        return
    first = details[0]
    template = PLAIN_WORDS.get(str(first.get("type")))
    if template is None:
        return
    try:
        error.message = template.format(input=first.get("input"), **(first.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return


def _first_line(error: BaseException) -> str:
    """A driver error's own first line: never the SQL statement and parameters that
    SQLAlchemy appends (docs/domain.md §3.3), nor its link to the docs."""
    original = getattr(error, "orig", None) or error
    text = str(original).strip()
    return text.splitlines()[0] if text else type(original).__name__


def _store_error(ctx: Any, error: Exception) -> AbsError | None:
    """An OS or driver error about the store, as the contract's store error (exit 4)."""
    if not type(error).__module__.startswith(("sqlalchemy", "sqlite3", "psycopg")):
        return None
    from abs_cli.store.engine import describe_store_error

    state = ctx.obj if isinstance(ctx.obj, AppState) else AppState()
    try:
        location = state.location
    except Exception:  # the locator itself is what failed: say so without a location
        return None
    return describe_store_error(location, error)


GLOBAL_FLAGS = frozenset({"-q", "--quiet", "--debug"})
GLOBAL_VALUE_OPTIONS = frozenset({"--db"})


def hoist_global_options(args: list[str]) -> list[str]:
    """Move the global options found after the subcommand in front of it, so that
    `abs team list --db x.db` means `abs --db x.db team list` (docs/domain.md §3.6).
    Nothing after a `--` is touched."""
    hoisted: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        name = arg.split("=", 1)[0]
        if arg in GLOBAL_FLAGS or (name in GLOBAL_VALUE_OPTIONS and "=" in arg):
            hoisted.append(arg)
        elif arg in GLOBAL_VALUE_OPTIONS and index + 1 < len(args):
            hoisted.extend(args[index : index + 2])
            index += 1
        else:
            rest.append(arg)
        index += 1
    return [*hoisted, *rest]


def _report(ctx: Any, message: str, hint: str | None, error: BaseException | None) -> None:
    from rich.markup import escape

    from abs_cli.render.output import console

    err = console(stderr=True)
    state = ctx.obj if isinstance(ctx.obj, AppState) else None
    if error is not None and state is not None and state.debug:
        err.print_exception(show_locals=False)
    line = f"[bold red]error:[/] {escape(message)}"
    if hint:
        line += f" [dim](hint: {escape(hint)})[/]"
    err.print(line, highlight=False, soft_wrap=True)


app = typer.Typer(
    name="abs",
    cls=AbsGroup,
    help="Activity-based selling from the terminal: leads, pipeline, team and SaaS KPIs.\n\n"
    "The global options --db, -q and --debug may also follow the subcommand.\n\n"
    "Example: abs demo",
    no_args_is_help=True,
    # Plain Click help: Typer's Rich help formatter imports rich.markdown and markdown-it,
    # which doubles the start-up time of `abs --help` (bench/startup_bench.py). The mode
    # is inherited by every command group.
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"abs {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Store: a SQLite file path or a postgresql+psycopg:// URL "
            "(default: $ABS_DB, then the user data dir).",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress or diagnostics on stderr.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Activity-based selling from the terminal: leads, pipeline, team and SaaS KPIs.

    Example: abs --db sales.db kpi report --period 2026-03
    """
    state = get_state(ctx)
    state.db_option, state.quiet, state.debug = db, quiet, debug


def _lazy(name: str) -> Callable[[Callable[[], typer.Typer]], Callable[[], typer.Typer]]:
    def register(loader: Callable[[], typer.Typer]) -> Callable[[], typer.Typer]:
        LAZY_GROUPS[name] = loader
        return loader

    return register


def _with_import(noun: Any, kind: str) -> typer.Typer:
    from abs_cli.cli import imports

    app: typer.Typer = noun.app
    app.command("import")(imports.import_command(kind))
    return app


@_lazy("db")
def _db() -> typer.Typer:
    from abs_cli.cli import db

    return db.app


@_lazy("team")
def _team() -> typer.Typer:
    from abs_cli.cli import team

    return _with_import(team, "team")


@_lazy("leads")
def _leads() -> typer.Typer:
    from abs_cli.cli import imports, leads, routing, scoring

    leads.app.command("assign")(routing.assign)
    leads.app.command("score")(scoring.score_leads)
    leads.app.command("import-checks")(imports.import_command("checklist"))
    return _with_import(leads, "leads")


@_lazy("accounts")
def _accounts() -> typer.Typer:
    from abs_cli.cli import accounts

    return _with_import(accounts, "accounts")


@_lazy("activities")
def _activities() -> typer.Typer:
    from abs_cli.cli import activities

    return _with_import(activities, "activities")


@_lazy("pipeline")
def _pipeline() -> typer.Typer:
    from abs_cli.cli import pipeline

    return _with_import(pipeline, "pipeline")


@_lazy("playbook")
def _playbook() -> typer.Typer:
    from abs_cli.cli import playbook

    return playbook.app


@_lazy("content")
def _content() -> typer.Typer:
    from abs_cli.cli import content

    return content.app


@_lazy("feedback")
def _feedback() -> typer.Typer:
    from abs_cli.cli import feedback

    return _with_import(feedback, "feedback")


@_lazy("imports")
def _imports() -> typer.Typer:
    from abs_cli.cli import changes

    return changes.app


@_lazy("goals")
def _goals() -> typer.Typer:
    from abs_cli.cli import goals

    return goals.app


@_lazy("score")
def _score() -> typer.Typer:
    from abs_cli.cli import score

    return score.app


@_lazy("kpi")
def _kpi() -> typer.Typer:
    from abs_cli.cli import kpi

    return kpi.app


def _register_import_groups() -> None:
    from abs_cli.cli.imports import GROUP_HELP, import_group

    for kind in GROUP_HELP:
        LAZY_GROUPS[kind] = partial(import_group, kind)


def _register() -> None:
    from abs_cli.cli import demo, routing
    from abs_cli.cli.options import RenamedOptionsCommand

    _register_import_groups()
    app.command("demo")(demo.demo)
    app.command("queue", cls=RenamedOptionsCommand)(routing.queue)


_register()


def main() -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGINT, _on_sigint)
    app(prog_name="abs")
    sys.exit(0)
