"""The root `abs` app: global options, the command groups, and the one error boundary."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache, partial
from typing import Annotated, Any

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

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except AbsError as error:
            _report(ctx, error.message, error.hint, error)
            raise typer.Exit(int(error.exit_code)) from None
        except KeyboardInterrupt:
            _report(ctx, "interrupted; the current batch was rolled back", None, None)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as error:
            if "click" in type(error).__module__:  # usage errors: Click prints them, exit 2
                raise
            _report(
                ctx,
                f"unexpected error: {type(error).__name__}: {error}",
                "run again with --debug for the traceback, and report it",
                error,
            )
            raise typer.Exit(int(ExitCode.UNEXPECTED)) from None
        finally:
            state = ctx.obj
            if isinstance(state, AppState):
                state.close()


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
    from abs_cli.cli import leads, routing, scoring

    leads.app.command("assign")(routing.assign)
    leads.app.command("score")(scoring.score_leads)
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

    _register_import_groups()
    app.command("demo")(demo.demo)
    app.command("queue")(routing.queue)


_register()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="abs")
    sys.exit(0)
