"""Options shared by many commands, declared once."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from abs_cli.render.output import OutputFormat


def parse_format(value: str | OutputFormat) -> OutputFormat:
    """`--format`, any case; a usage error (exit 2) that repeats what the user typed and
    lists what is allowed."""
    if isinstance(value, OutputFormat):
        return value
    try:
        return OutputFormat(value.strip().lower())
    except ValueError:
        allowed = ", ".join(member.value for member in OutputFormat)
        raise typer.BadParameter(
            f"{value!r} is not an output format; use one of {allowed}"
        ) from None


FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="Output format.", parser=parse_format),
]
LimitOption = Annotated[
    int | None, typer.Option("--limit", "-n", min=1, help="Show at most N rows.")
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Evaluate as of this time (ISO 8601, UTC if no offset); default now.",
        show_default=False,
    ),
]

RENAMED_OPTIONS: dict[str, str] = {"--now": "--as-of", "--since": "--from"}
"""Old spellings of options renamed to one name per idea across commands (docs/domain.md
§3.7 `--as-of`; `--from`/`--to` for a range). Scripts that use them keep working: the
command takes them, hidden from its help, with a warning on stderr."""


class RenamedOptionsCommand(TyperCommand):
    """A command that still takes the old spelling of its renamed options."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        own = {name for param in self.params for name in getattr(param, "opts", ())}
        rewritten: list[str] = []
        for index, arg in enumerate(args):
            if arg == "--":
                rewritten += args[index:]
                break
            old, equals, value = arg.partition("=")
            new = RENAMED_OPTIONS.get(old)
            if new is not None and new in own and old not in own:
                _warn(ctx, f"{old} is deprecated: use {new} (the same value)")
                arg = new + equals + value
            rewritten.append(arg)
        return super().parse_args(ctx, rewritten)


def _warn(ctx: Any, message: str) -> None:
    from abs_cli.cli.state import AppState

    state = ctx.find_root().obj
    if isinstance(state, AppState):
        state.info(f"warning: {message}")
    else:
        typer.echo(f"warning: {message}", err=True)
