"""The root `abs` app: global options, the command groups, and the one error boundary."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from abs_cli import __version__
from abs_cli.cli.state import AppState, get_state
from abs_cli.errors import AbsError, ExitCode


class AbsGroup(TyperGroup):
    """Turns every error into one sentence on stderr and the exit code of DESIGN.md §3."""

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

    from abs_cli.render import console

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


def _register() -> None:
    from abs_cli.cli import (
        accounts,
        activities,
        db,
        demo,
        goals,
        imports,
        kpi,
        leads,
        pipeline,
        score,
        scoring,
        team,
    )
    from abs_cli.cli import routing as routing_cli

    app.add_typer(db.app, name="db")
    app.add_typer(team.app, name="team")
    app.add_typer(leads.app, name="leads")
    app.add_typer(accounts.app, name="accounts")
    app.add_typer(activities.app, name="activities")
    app.add_typer(pipeline.app, name="pipeline")
    app.add_typer(goals.app, name="goals")
    app.add_typer(score.app, name="score")
    app.add_typer(kpi.app, name="kpi")
    leads.app.command("score")(scoring.score_leads)
    app.command("demo")(demo.demo)
    for noun in (team, leads, accounts, activities, pipeline):
        noun.app.command("import")(imports.import_command(noun.__name__.rsplit(".", 1)[1]))
    for kind in imports.GROUP_HELP:
        app.add_typer(imports.import_group(kind), name=kind)
    leads.app.command("assign")(routing_cli.assign)
    app.command("queue")(routing_cli.queue)


_register()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="abs")
    sys.exit(0)
