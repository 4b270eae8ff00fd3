"""Options shared by many commands, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

from abs_cli.render.output import OutputFormat

FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="Output format.", case_sensitive=False),
]
LimitOption = Annotated[
    int | None, typer.Option("--limit", "-n", min=1, help="Show at most N rows.")
]
