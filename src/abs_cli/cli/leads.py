"""`abs leads`: Import, list, show, export and forget leads."""

from __future__ import annotations

import typer

app = typer.Typer(help="Import, list, show, export and forget leads.", no_args_is_help=True)
