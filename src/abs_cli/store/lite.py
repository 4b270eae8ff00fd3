"""Light table handles for the read-only reports that must answer fast.

`models.py` is the schema; importing it costs SQLModel and pydantic (~0.5 s). The board,
the stale list and the queue only read a few columns, so they query these Core handles
instead: the same tables and column types, declared without SQLModel. A test keeps every
column here equal to its twin in `models.py`.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, column, table

from abs_cli.store.types import Money, UTCDateTime

lead = table(
    "lead",
    column("id", Integer),
    column("email", String),
    column("external_id", String),
    column("stage", String),
    column("stage_changed_at", UTCDateTime),
    column("created_at", UTCDateTime),
    column("owner_id", Integer),
    column("amount", Money),
    column("source", String),
    column("inbound", Boolean),
)
rep = table(
    "rep",
    column("id", Integer),
    column("email", String),
    column("name", String),
    column("role", String),
)
activity = table(
    "activity",
    column("id", Integer),
    column("lead_id", Integer),
    column("type", String),
    column("occurred_at", UTCDateTime),
    column("due_at", UTCDateTime),
)
lead_score = table("lead_score", column("lead_id", Integer), column("score", Integer))
setting = table("setting", column("key", String), column("value", String))

TABLES = (lead, rep, activity, lead_score, setting)
