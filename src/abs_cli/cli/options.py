"""Options shared by many commands, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

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
