"""Options and helpers shared by the pipeline, routing, activity, queue and goal commands."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from abs_cli.cli.completion import complete_rep, complete_role
from abs_cli.cli.state import AppState

if TYPE_CHECKING:
    from abs_cli.pipeline.config import WorkflowConfig

ConfigOption = Annotated[
    str | None,
    typer.Option(
        "--config",
        "-c",
        help="Workflow TOML file (gates, SLAs, routing); default $ABS_CONFIG, then abs.toml "
        "beside the store, then built-in defaults.",
        show_default=False,
    ),
]
ActingRepOption = Annotated[
    str | None,
    typer.Option(
        "--rep",
        envvar="ABS_REP",
        autocompletion=complete_rep,
        help="The rep doing this (e-mail or name), credited in the history; default $ABS_REP.",
        show_default=False,
    ),
]
OwnerOption = Annotated[
    str | None,
    typer.Option(
        "--owner",
        help="Only leads owned by this rep (e-mail or name).",
        autocompletion=complete_rep,
    ),
]
RoleOption = Annotated[
    str | None,
    typer.Option(
        "--role",
        "-r",
        help="Only leads owned by reps of this role.",
        autocompletion=complete_role,
    ),
]


def parse_time(value: str | None, option: str) -> datetime | None:
    """An ISO 8601 time from the command line, in UTC; UsageError (exit 2) naming the
    option."""
    if value is None:
        return None
    from abs_cli.errors import UsageError
    from abs_cli.values import utc

    try:
        return utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        raise UsageError(
            f"{option} {value!r} is not an ISO 8601 time", hint="e.g. 2026-03-31T14:05:00"
        ) from None


def now_or(value: str | None, option: str = "--as-of") -> datetime:
    from abs_cli.values import now

    return parse_time(value, option) or now()


def workflow_config(state: AppState, option: str | None) -> WorkflowConfig:
    """The workflow configuration for this invocation (see `abs_cli.pipeline.config`)."""
    from abs_cli.pipeline.config import load_config

    return load_config(option, state.location.sqlite_path)
