"""`abs goals`: Set and follow targets per role or rep."""

from __future__ import annotations

import typer

app = typer.Typer(help="Set and follow targets per role or rep.", no_args_is_help=True)
