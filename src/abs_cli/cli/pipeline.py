"""`abs pipeline`: Move leads through the seven steps, with gates and handoffs."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Move leads through the seven steps, with gates and handoffs.", no_args_is_help=True
)
