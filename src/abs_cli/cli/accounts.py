"""`abs accounts`: Companies (keyed by domain), ABM targets and buying committees."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Companies (keyed by domain), ABM targets and buying committees.", no_args_is_help=True
)
