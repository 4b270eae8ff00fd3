"""`abs kpi`: KPI reports: pipeline, team, revenue, customers."""

from __future__ import annotations

import typer

app = typer.Typer(help="KPI reports: pipeline, team, revenue, customers.", no_args_is_help=True)
