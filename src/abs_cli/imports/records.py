"""The fact importers: activities, subscriptions, spend, NPS, usage, campaigns, tickets.

Each row is resolved to the lead or account it concerns, then upserted by the table's
natural key (see `store/models.py`), so re-importing a file changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, model_validator
from sqlalchemy import Table
from sqlalchemy.engine import Connection

from abs_cli.domain import ACTIVITY_TYPES, SPEND_CATEGORIES, TICKET_TYPES
from abs_cli.imports.engine import BatchResult, Importer, Row, WriteContext
from abs_cli.imports.headers import ColumnSpec
from abs_cli.imports.record_bulk import (
    ActivityWriter,
    UsageWriter,
    bulk_writer,
    names_leads_twice,
)
from abs_cli.imports.resolve import ensure_accounts, lead_ids, reps
from abs_cli.imports.upsert import upsert_by_key
from abs_cli.imports.values import (
    Amount,
    Domain,
    Email,
    Flag,
    Month,
    Text,
    UTCDate,
    choice,
)
from abs_cli.store import marks as stale
from abs_cli.store import tables

Currency = Annotated[str, Text(3)]
Marks = Callable[[Connection, list[dict[str, Any]]], None]
"""Marks the KPI rollup months that written records feed as stale (`abs_cli.store.marks`)."""


class LeadRef(BaseModel):
    """Rows about a lead name it by `lead_email` or by `external_id`."""

    model_config = ConfigDict(extra="forbid")

    lead_email: Email | None = None
    external_id: Annotated[str, Text(128)] | None = None

    @model_validator(mode="after")
    def _one_key(self) -> LeadRef:
        if self.lead_email is None and self.external_id is None:
            raise ValueError("lead_email and external_id are both empty (one is required)")
        return self


def lead_key(values: dict[str, Any]) -> str:
    key: str = values.get("lead_email") or "#" + values["external_id"]
    return key


def resolve_leads(context: WriteContext, rows: list[Row], result: BatchResult) -> list[Row]:
    """Set `lead_id` on each row; rows naming no stored lead are rejected."""
    by_email, by_external = lead_ids(
        context.conn,
        (row.values["lead_email"] for row in rows if "lead_email" in row.values),
        (row.values["external_id"] for row in rows if "external_id" in row.values),
    )
    kept = []
    for row in rows:
        email, external_id = row.values.pop("lead_email", None), row.values.pop("external_id", None)
        lead_id = by_email.get(email) if email else by_external.get(external_id)
        if lead_id is None:
            named = f"lead_email {email!r}" if email else f"external_id {external_id!r}"
            result.rejects.append((row, f"{named} is not a lead in the store (import it first)"))
            continue
        row.values["lead_id"] = lead_id
        kept.append(row)
    return kept


def resolve_rep(context: WriteContext, rows: list[Row], result: BatchResult) -> list[Row]:
    """Turn `rep_email` (an e-mail or exact name) into `rep_id`."""
    kept = []
    for row in rows:
        if "rep_email" in row.values:
            try:
                row.values["rep_id"] = reps(context).find(row.values.pop("rep_email"), "rep_email")
            except ValueError as error:
                result.rejects.append((row, str(error)))
                continue
        kept.append(row)
    return kept


def resolve_accounts(context: WriteContext, rows: list[Row]) -> None:
    """Turn `account` (a domain) into `account_id`, creating unknown accounts."""
    domains: dict[str, str | None] = {
        row.values["account"]: None for row in rows if "account" in row.values
    }
    if not domains:
        return
    ids = ensure_accounts(context, domains, context.started)
    for row in rows:
        if "account" in row.values:
            row.values["account_id"] = ids[row.values.pop("account")]


def store_rows(
    context: WriteContext,
    table: Table,
    key: Sequence[str],
    rows: list[Row],
    result: BatchResult,
    defaults: dict[str, Any] | None = None,
    marks: Marks | None = None,
) -> BatchResult:
    """Upsert the rows by their natural key; `marks` gets the records written (new or
    changed), to mark the KPI rollups they feed stale (`abs_cli.store.marks`)."""
    records = [{k: v for k, v in row.values.items() if k in table.c} for row in rows]
    diff = upsert_by_key(context.conn, table, key, records, defaults=defaults)
    result.inserted, result.updated, result.unchanged = (
        len(diff.new),
        len(diff.changed),
        diff.unchanged,
    )
    if marks is not None and (diff.new or diff.changed):
        marks(context.conn, [*diff.new, *diff.changed])
    return result


def _writer(
    table: Table,
    key: Sequence[str],
    *steps: Callable[[WriteContext, list[Row], BatchResult], list[Row]],
    defaults: dict[str, Any] | None = None,
    marks: Marks | None = None,
) -> Callable[[WriteContext, list[Row]], BatchResult]:
    def write(context: WriteContext, rows: list[Row]) -> BatchResult:
        result = BatchResult()
        for step in steps:
            rows = step(context, rows, result)
        for name in key:
            if defaults is not None and name in defaults:
                for row in rows:
                    row.values.setdefault(name, defaults[name])
        new_defaults = {k: v for k, v in (defaults or {}).items() if k not in key}
        return store_rows(context, table, key, rows, result, new_defaults, marks)

    return write


def _with_accounts(context: WriteContext, rows: list[Row], result: BatchResult) -> list[Row]:
    resolve_accounts(context, rows)
    return rows


def _key(*names: str) -> Callable[[dict[str, Any]], Hashable]:
    def key(values: dict[str, Any]) -> Hashable:
        return tuple(values.get(name) for name in names)

    return key


# activities ---------------------------------------------------------------------------------


def _activity_type(value: Any, info: ValidationInfo) -> str:
    text = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    text = {"phone": "call", "phone_call": "call", "e_mail": "email", "visit": "web_visit"}.get(
        text, text
    )
    if text not in ACTIVITY_TYPES:
        raise ValueError(f"type {value!r} is not one of {', '.join(ACTIVITY_TYPES)}")
    return text


def _content_id(value: Any, info: ValidationInfo) -> str:
    return str(value).strip().lower()


class ActivityRow(LeadRef):
    type: Annotated[str, BeforeValidator(_activity_type)]
    occurred_at: UTCDate
    rep_email: Annotated[str, Text(254)] | None = None
    outcome: Annotated[str, Text(64)] | None = None
    notes: Annotated[str, Text(100_000)] | None = None
    due_at: UTCDate | None = None
    content_id: Annotated[str, BeforeValidator(_content_id)] | None = None


def _known_content(context: WriteContext, rows: list[Row], result: BatchResult) -> list[Row]:
    from abs_cli.imports.enablement import known_content

    return known_content(context, rows, result)


def _mark_activities(conn: Connection, records: list[dict[str, Any]]) -> None:
    stale.mark_activities(
        conn, ((record["lead_id"], record["type"], record["occurred_at"]) for record in records)
    )


_ACTIVITIES = Importer(
    name="activities",
    spec=ColumnSpec(
        columns=tuple(ActivityRow.model_fields),
        required=(("lead_email", "external_id"), ("type",), ("occurred_at",)),
        aliases={
            "email": "lead_email",
            "lead": "lead_email",
            "activity type": "type",
            "activity": "type",
            "date": "occurred_at",
            "timestamp": "occurred_at",
            "rep": "rep_email",
            "owner": "rep_email",
            "result": "outcome",
            "comment": "notes",
            "description": "notes",
            "due date": "due_at",
            "content": "content_id",
        },
    ),
    model=ActivityRow,
    key=_key("lead_email", "external_id", "type", "occurred_at"),
    write=_writer(
        tables.activity,
        ["lead_id", "type", "occurred_at"],
        _known_content,
        resolve_leads,
        resolve_rep,
        marks=_mark_activities,
    ),
)
ACTIVITIES = replace(
    _ACTIVITIES, bulk=bulk_writer(_ACTIVITIES, ActivityWriter, generic_when=names_leads_twice)
)

# subscriptions ------------------------------------------------------------------------------

INTERVAL_WORDS = {
    "month": "month",
    "monthly": "month",
    "mensuel": "month",
    "quarter": "quarter",
    "quarterly": "quarter",
    "year": "year",
    "yearly": "year",
    "annual": "year",
    "annually": "year",
    "annuel": "year",
}


def _interval(value: Any, info: ValidationInfo) -> str:
    text = str(value).strip().lower()
    if text not in INTERVAL_WORDS:
        raise ValueError(f"interval {value!r} is not one of month, quarter, year")
    return INTERVAL_WORDS[text]


class SubscriptionRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: Domain
    started_at: UTCDate
    amount: Amount
    interval: Annotated[str, BeforeValidator(_interval)] | None = None
    ended_at: UTCDate | None = None
    plan: Annotated[str, Text(120)] | None = None
    is_trial: Flag | None = None
    external_id: Annotated[str, Text(128)] | None = None
    currency: Currency | None = None

    @model_validator(mode="after")
    def _period(self) -> SubscriptionRow:
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        return self


def _mark_subscriptions(conn: Connection, records: list[dict[str, Any]]) -> None:
    # From its start on, a subscription counts in every later month's MRR (cumulative).
    stale.mark_moments(conn, "revenue", (record["started_at"] for record in records))


SUBSCRIPTIONS = Importer(
    name="subscriptions",
    spec=ColumnSpec(
        columns=tuple(SubscriptionRow.model_fields),
        required=(("account",), ("started_at",), ("amount",)),
        aliases={
            "domain": "account",
            "customer": "account",
            "account domain": "account",
            "start": "started_at",
            "start date": "started_at",
            "end": "ended_at",
            "end date": "ended_at",
            "mrr": "amount",
            "price": "amount",
            "billing frequency": "interval",
            "billing period": "interval",
            "plan tier": "plan",
            "trial": "is_trial",
            "subscription id": "external_id",
        },
    ),
    model=SubscriptionRow,
    key=_key("account", "plan", "started_at", "external_id"),
    write=_writer(
        tables.subscription,
        ["account_id", "plan", "started_at", "external_id"],
        _with_accounts,
        defaults={"plan": "", "interval": "month", "is_trial": False, "external_id": ""},
        marks=_mark_subscriptions,
    ),
    money=True,
)

# spend --------------------------------------------------------------------------------------


class SpendRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: Month
    category: Annotated[str, choice(SPEND_CATEGORIES)]
    amount: Amount
    channel: Annotated[str, Text(120)] | None = None
    currency: Currency | None = None


SPEND = Importer(
    name="spend",
    spec=ColumnSpec(
        columns=tuple(SpendRow.model_fields),
        required=(("month",), ("category",), ("amount",)),
        aliases={"period": "month", "team": "category", "cost": "amount", "source": "channel"},
    ),
    model=SpendRow,
    key=_key("month", "category", "channel"),
    write=_writer(
        tables.spend,
        ["month", "category", "channel"],
        defaults={"channel": ""},
    ),
    money=True,
)

# NPS ----------------------------------------------------------------------------------------


def _score(value: Any, info: ValidationInfo) -> int:
    text = str(value).strip()
    if not text.isdigit() or not 0 <= int(text) <= 10:
        raise ValueError(f"score {value!r} is not a whole number from 0 to 10")
    return int(text)


class NpsRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: Annotated[int, BeforeValidator(_score)]
    responded_at: UTCDate
    email: Email | None = None
    account: Domain | None = None
    comment: Annotated[str, Text(100_000)] | None = None

    @model_validator(mode="after")
    def _respondent(self) -> NpsRow:
        if self.email is None and self.account is None:
            raise ValueError("email and account are both empty (one is required)")
        return self


def _nps_respondents(context: WriteContext, rows: list[Row], result: BatchResult) -> list[Row]:
    by_email, _ = lead_ids(
        context.conn, (row.values["email"] for row in rows if "email" in row.values), ()
    )
    for row in rows:
        email = row.values.pop("email", None)
        row.values["respondent"] = email or row.values["account"]
        if email in by_email:
            row.values["lead_id"] = by_email[email]
    resolve_accounts(context, rows)
    return rows


NPS = Importer(
    name="nps",
    spec=ColumnSpec(
        columns=tuple(NpsRow.model_fields),
        required=(("score",), ("responded_at",)),
        aliases={
            "nps": "score",
            "nps score": "score",
            "rating": "score",
            "date": "responded_at",
            "submitted at": "responded_at",
            "lead email": "email",
            "domain": "account",
            "feedback": "comment",
        },
    ),
    model=NpsRow,
    key=lambda values: (values.get("email") or values.get("account"), values["responded_at"]),
    write=_writer(tables.nps_response, ["respondent", "responded_at"], _nps_respondents),
)

# usage --------------------------------------------------------------------------------------


class UsageRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: Annotated[str, Text(254)]
    occurred_at: UTCDate
    account: Domain | None = None
    feature: Annotated[str, Text(120)] | None = None


def _mark_usage(conn: Connection, records: list[dict[str, Any]]) -> None:
    stale.mark_moments(conn, "usage", (record["occurred_at"] for record in records))


def _usage_users(context: WriteContext, rows: list[Row], result: BatchResult) -> list[Row]:
    for row in rows:
        user = row.values.pop("user")
        row.values["user_key"] = user.lower() if "@" in user else user
    resolve_accounts(context, rows)
    return rows


_USAGE = Importer(
    name="usage",
    spec=ColumnSpec(
        columns=tuple(UsageRow.model_fields),
        required=(("user",), ("occurred_at",)),
        aliases={
            "user id": "user",
            "user email": "user",
            "email": "user",
            "date": "occurred_at",
            "timestamp": "occurred_at",
            "usage date": "occurred_at",
            "domain": "account",
            "feature name": "feature",
            "event": "feature",
        },
    ),
    model=UsageRow,
    key=lambda values: (
        values["user"].lower() if "@" in values["user"] else values["user"],
        values["occurred_at"],
        values.get("feature", ""),
    ),
    write=_writer(
        tables.usage_event,
        ["user_key", "occurred_at", "feature"],
        _usage_users,
        defaults={"feature": ""},
        marks=_mark_usage,
    ),
)
USAGE = replace(_USAGE, bulk=bulk_writer(_USAGE, UsageWriter))

# campaigns ----------------------------------------------------------------------------------


class CampaignRow(LeadRef):
    campaign: Annotated[str, Text(200)]
    sent_at: UTCDate
    responded_at: UTCDate | None = None


CAMPAIGNS = Importer(
    name="campaigns",
    spec=ColumnSpec(
        columns=tuple(CampaignRow.model_fields),
        required=(("campaign",), ("lead_email", "external_id"), ("sent_at",)),
        aliases={
            "campaign name": "campaign",
            "email": "lead_email",
            "sent": "sent_at",
            "sent date": "sent_at",
            "responded": "responded_at",
            "response date": "responded_at",
        },
    ),
    model=CampaignRow,
    key=_key("campaign", "lead_email", "external_id"),
    write=_writer(tables.campaign_member, ["campaign", "lead_id"], resolve_leads),
)

# tickets ------------------------------------------------------------------------------------

TICKET_WORDS = {
    "incident": "incident",
    "outage": "incident",
    "defect": "bug",
    "feature_request": "request",
}


def _ticket_type(value: Any, info: ValidationInfo) -> str:
    text = str(value).strip().lower().replace(" ", "_")
    text = TICKET_WORDS.get(text, text)
    if text not in TICKET_TYPES:
        raise ValueError(f"type {value!r} is not one of bug, incident, question, request")
    return text


class TicketRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: Domain
    opened_at: UTCDate
    type: Annotated[str, BeforeValidator(_ticket_type)] | None = None
    severity: Annotated[str, Text(32)] | None = None
    closed_at: UTCDate | None = None
    external_id: Annotated[str, Text(128)] | None = None


TICKETS = Importer(
    name="tickets",
    spec=ColumnSpec(
        columns=tuple(TicketRow.model_fields),
        required=(("account",), ("opened_at",)),
        aliases={
            "domain": "account",
            "opened": "opened_at",
            "created at": "opened_at",
            "submitted at": "opened_at",
            "ticket type": "type",
            "priority": "severity",
            "closed": "closed_at",
            "resolved at": "closed_at",
            "ticket id": "external_id",
        },
    ),
    model=TicketRow,
    key=lambda values: (
        values["account"],
        values["opened_at"],
        values.get("type", "unknown"),
        values.get("external_id", ""),
    ),
    write=_writer(
        tables.ticket,
        ["account_id", "opened_at", "type", "external_id"],
        _with_accounts,
        defaults={"type": "unknown", "external_id": ""},
    ),
)
