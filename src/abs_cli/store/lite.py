"""Light table handles for the read-only reports that must answer fast.

`models.py` is the schema; importing it costs SQLModel and pydantic (~0.5 s). The board,
the stale list, the queue and the KPI reports only read columns, so they query these Core
handles instead: the same tables and column types, declared without SQLModel. A test
keeps every column here equal to its twin in `models.py`.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, Numeric, String, column, table

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
    column("active", Boolean),
)
activity = table(
    "activity",
    column("id", Integer),
    column("lead_id", Integer),
    column("rep_id", Integer),
    column("type", String),
    column("occurred_at", UTCDateTime),
    column("due_at", UTCDateTime),
)
lead_score = table("lead_score", column("lead_id", Integer), column("score", Integer))
setting = table("setting", column("key", String), column("value", String))
account = table(
    "account", column("id", Integer), column("domain", String), column("owner_id", Integer)
)
stage_history = table(
    "stage_history",
    column("id", Integer),
    column("lead_id", Integer),
    column("to_stage", String),
    column("changed_at", UTCDateTime),
)
stage_stay = table(
    "stage_stay",
    column("entered_at", UTCDateTime),
    column("history_id", Integer),
    column("lead_id", Integer),
    column("stage", String),
    column("left_at", UTCDateTime),
    column("changed", Boolean),
    column("from_stage", String),
    column("stay_started_at", UTCDateTime),
    column("rep_id", Integer),
    column("amount", Money),
)
subscription = table(
    "subscription",
    column("id", Integer),
    column("account_id", Integer),
    column("started_at", UTCDateTime),
    column("ended_at", UTCDateTime),
    column("amount", Money),
    column("interval", String),
    column("is_trial", Boolean),
)
spend = table(
    "spend",
    column("month", String),
    column("category", String),
    column("channel", String),
    column("amount", Money),
)
nps_response = table(
    "nps_response",
    column("score", Integer),
    column("responded_at", UTCDateTime),
    column("account_id", Integer),
)
usage_event = table(
    "usage_event",
    column("id", Integer),
    column("user_key", String),
    column("occurred_at", UTCDateTime),
    column("account_id", Integer),
    column("feature", String),
)
campaign_member = table(
    "campaign_member",
    column("campaign", String),
    column("lead_id", Integer),
    column("sent_at", UTCDateTime),
    column("responded_at", UTCDateTime),
)
ticket = table(
    "ticket",
    column("account_id", Integer),
    column("opened_at", UTCDateTime),
    column("type", String),
)
goal = table(
    "goal",
    column("metric", String),
    column("period", String),
    column("scope", String),
    column("role", String),
    column("rep_id", Integer),
    column("target", Numeric(18, 4)),
)

TABLES = (
    lead,
    rep,
    activity,
    lead_score,
    setting,
    account,
    stage_history,
    stage_stay,
    subscription,
    spend,
    nps_response,
    usage_event,
    campaign_member,
    ticket,
    goal,
)
