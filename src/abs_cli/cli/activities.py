"""`abs activities`: Log, list and import sales activities and marketing touches."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Log, list and import sales activities and marketing touches.", no_args_is_help=True
)
