"""Every table of the store (docs/domain.md §4), with natural keys, foreign keys and CHECKs.

Money columns hold integer cents (`Money`); timestamps are UTC (`UTCDateTime`).
Natural keys are unique constraints so imports can upsert with `ON CONFLICT`.
Every change to this module ships with an Alembic migration in `migrations/versions`
and a regenerated `tables.py` (`python -m abs_cli.store.codegen > src/abs_cli/store/tables.py`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Index,
    MetaData,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from abs_cli.domain import (
    ACTIVITY_TYPES,
    ALL_STAGES,
    BUYING_ROLES,
    CHANGE_KINDS,
    CHANGE_STATUSES,
    CUSTOM_ENTITIES,
    CUSTOM_TYPES,
    GRADES,
    INTERVALS,
    READINESS,
    ROLES,
    SPEND_CATEGORIES,
    STAGES,
    TICKET_TYPES,
)
from abs_cli.store.naming import NAMING_CONVENTION
from abs_cli.store.types import Money, UTCDateTime

SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _one_of(column: str, values: tuple[str, ...], *, nullable: bool = False) -> str:
    """A CHECK that `column` holds one of `values`, as a chain of equalities.

    Not `column IN (…)`: SQLite rebuilds an IN list of more than two values for every row
    it checks (about 4 µs a row and check, doubling the cost of a bulk insert), while it
    evaluates equalities in place. PostgreSQL treats both alike.
    """
    check = " OR ".join(f"{column} = '{value}'" for value in values)
    return f"{column} IS NULL OR {check}" if nullable else check


class Setting(SQLModel, table=True):
    """Store-wide settings: currency, gross margin, stage probabilities…"""

    __tablename__ = "setting"

    key: str = Field(primary_key=True, max_length=64)
    value: str


class Rep(SQLModel, table=True):
    """A member of the sales team; one role at a time."""

    __tablename__ = "rep"
    __table_args__ = (
        CheckConstraint(_one_of("role", ROLES), name="role"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=254)
    name: str | None = Field(default=None, max_length=200)
    role: str = Field(max_length=16)
    territory: str | None = Field(default=None, max_length=200)
    capacity: int | None = None
    active: bool = Field(default=True)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the rep joined: day 0 of their ramp (docs/metrics.md, Enablement)."""
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Account(SQLModel, table=True):
    """A company, keyed by its domain; an ABM target when it has a tier."""

    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint("target_tier IS NULL OR target_tier BETWEEN 1 AND 3", name="tier"),
        CheckConstraint("employees IS NULL OR employees >= 0", name="employees"),
    )

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(unique=True, max_length=253)
    name: str | None = Field(default=None, max_length=200)
    industry: str | None = Field(default=None, max_length=120)
    employees: int | None = None
    country: str | None = Field(default=None, max_length=2)
    target_tier: int | None = None
    owner_id: int | None = Field(default=None, foreign_key="rep.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Lead(SQLModel, table=True):
    """A person on the assembly line, at one of the seven steps or a side exit."""

    __tablename__ = "lead"
    __table_args__ = (
        CheckConstraint(_one_of("stage", ALL_STAGES), name="stage"),
        CheckConstraint(_one_of("buying_role", BUYING_ROLES, nullable=True), name="buying_role"),
        CheckConstraint("employees IS NULL OR employees >= 0", name="employees"),
        Index(None, "stage", "owner_id", "amount"),
        Index(None, "stage", "stage_changed_at"),
        Index(None, "created_at"),
        Index(None, "source", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str | None = Field(default=None, unique=True, max_length=254)
    external_id: str | None = Field(default=None, unique=True, max_length=128)
    first_name: str | None = Field(default=None, max_length=120)
    last_name: str | None = Field(default=None, max_length=120)
    title: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=64)
    company: str | None = Field(default=None, max_length=200)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    industry: str | None = Field(default=None, max_length=120)
    employees: int | None = None
    country: str | None = Field(default=None, max_length=2)
    source: str | None = Field(default=None, max_length=64)
    inbound: bool = Field(default=False)
    campaign: str | None = Field(default=None, max_length=200)
    referrer: str | None = Field(default=None, max_length=253)
    consent: bool | None = None
    owner_id: int | None = Field(default=None, foreign_key="rep.id", index=True)
    stage: str = Field(default="prospect", max_length=16)
    stage_changed_at: datetime = Field(sa_type=UTCDateTime)
    amount: Decimal | None = Field(default=None, sa_type=Money)
    buying_role: str | None = Field(default=None, max_length=20)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    forgotten_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StageHistory(SQLModel, table=True):
    """An append-only change of stage: all funnel and velocity KPIs come from here.

    `id` orders rows that share a timestamp (file order on import).
    """

    __tablename__ = "stage_history"
    __table_args__ = (
        CheckConstraint(_one_of("to_stage", ALL_STAGES), name="to_stage"),
        CheckConstraint(_one_of("from_stage", ALL_STAGES, nullable=True), name="from_stage"),
        UniqueConstraint("lead_id", "changed_at", "to_stage"),
        Index(None, "to_stage", "changed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id")
    from_stage: str | None = Field(default=None, max_length=16)
    to_stage: str = Field(max_length=16)
    changed_at: datetime = Field(sa_type=UTCDateTime)
    rep_id: int | None = Field(default=None, foreign_key="rep.id")
    owner_id: int | None = Field(default=None, foreign_key="rep.id")
    reason: str | None = Field(default=None, max_length=500)
    amount: Decimal | None = Field(default=None, sa_type=Money)
    forced: bool = Field(default=False)
    origin: str = Field(default="cli", max_length=16)


class StageStay(SQLModel, table=True):
    """Derived from `stage_history` (rebuilt by `abs_cli.stays.refresh_stays`, never edited):
    one row per history row, the stretch of time from it to the lead's next row.

    A lead's stage and deal amount at moment T are those of its row with
    `entered_at < T <= left_at` (or `left_at` NULL): open deals at any month end are a
    range scan. `changed` marks the rows that start a new stay (docs/metrics.md: a repeated row
    into the same stage is no change); for them `from_stage` is the stage left and
    `stay_started_at` when that stay began (the lead's creation for its first stay).
    No foreign keys: the rows are derived, and `abs db rebuild` recomputes them all.
    """

    __tablename__ = "stage_stay"
    __table_args__ = (
        Index(None, "lead_id"),
        Index(None, "stage", "left_at", "entered_at", "amount"),
        # Departures from a step in a period (checklist conversion), covered.
        Index(None, "from_stage", "entered_at", "changed", "stage", "lead_id"),
        {"sqlite_with_rowid": False},
    )

    entered_at: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    """First in the key: a period's stays are one range, stored together on SQLite."""
    history_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    lead_id: int
    stage: str = Field(max_length=16)
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    changed: bool
    from_stage: str | None = Field(default=None, max_length=16)
    stay_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rep_id: int | None = Field(default=None)
    amount: Decimal | None = Field(default=None, sa_type=Money)
    """The deal amount at this row: its own, else the latest earlier one."""


class Activity(SQLModel, table=True):
    """A sales activity or marketing touch on a lead; `due_at` marks a planned one."""

    __tablename__ = "activity"
    __table_args__ = (
        CheckConstraint(_one_of("type", ACTIVITY_TYPES), name="type"),
        UniqueConstraint("lead_id", "type", "occurred_at"),
        Index(None, "lead_id", "type", "occurred_at", "outcome", "due_at"),  # scoring reads
        Index(None, "rep_id", "occurred_at"),
        Index(None, "occurred_at", "rep_id", "type"),
        # Content uses of a period and of a lead, covered; partial: only the activities
        # that name a piece are in them.
        *(
            Index(
                None,
                *columns,
                "content_id",
                sqlite_where=text("content_id IS NOT NULL"),
                postgresql_where=text("content_id IS NOT NULL"),
            )
            for columns in (("occurred_at", "lead_id"), ("lead_id", "occurred_at"))
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id")
    rep_id: int | None = Field(default=None, foreign_key="rep.id")
    type: str = Field(max_length=20)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=64)
    notes: str | None = None
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    content_id: str | None = Field(default=None, max_length=64)
    """The playbook content piece used in this activity (a deck, a case study…)."""


class Subscription(SQLModel, table=True):
    """A billed subscription row of a customer account, active on [started_at, ended_at).

    Its natural key is (account, plan, start, `external_id`): billing exports often hold
    several subscriptions of one account that start the same day on the same plan, told
    apart only by the billing system's id; without one, `external_id` is ''.
    """

    __tablename__ = "subscription"
    __table_args__ = (
        CheckConstraint(_one_of("interval", INTERVALS), name="interval"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="period"),
        UniqueConstraint("account_id", "plan", "started_at", "external_id"),
        Index(None, "started_at", "ended_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    plan: str = Field(default="", max_length=120)
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    amount: Decimal = Field(sa_type=Money)
    interval: str = Field(default="month", max_length=8)
    is_trial: bool = Field(default=False)
    external_id: str = Field(default="", max_length=128, sa_column_kwargs={"server_default": ""})


class Spend(SQLModel, table=True):
    """Sales or marketing spend of one month and channel (for CAC)."""

    __tablename__ = "spend"
    __table_args__ = (
        CheckConstraint(_one_of("category", SPEND_CATEGORIES), name="category"),
        CheckConstraint("length(month) = 7", name="month"),
        UniqueConstraint("month", "category", "channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)
    category: str = Field(max_length=16)
    channel: str = Field(default="", max_length=120)
    amount: Decimal = Field(sa_type=Money)


class NpsResponse(SQLModel, table=True):
    """One answer to the NPS question, by a lead or for an account."""

    __tablename__ = "nps_response"
    __table_args__ = (
        CheckConstraint("score BETWEEN 0 AND 10", name="score"),
        UniqueConstraint("respondent", "responded_at"),
        Index(None, "responded_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    respondent: str = Field(max_length=254)
    score: int
    responded_at: datetime = Field(sa_type=UTCDateTime)
    lead_id: int | None = Field(default=None, foreign_key="lead.id")
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    comment: str | None = None


class UsageEvent(SQLModel, table=True):
    """A product usage event of one user (for MAU, DAU/MAU, feature adoption)."""

    __tablename__ = "usage_event"
    __table_args__ = (
        UniqueConstraint("user_key", "occurred_at", "feature"),
        Index(None, "occurred_at", "user_key", "feature"),
        Index(None, "feature", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_key: str = Field(max_length=254)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    feature: str = Field(default="", max_length=120)


class CampaignMember(SQLModel, table=True):
    """A lead sent a campaign, and whether (when) they responded."""

    __tablename__ = "campaign_member"
    __table_args__ = (
        UniqueConstraint("campaign", "lead_id"),
        Index(None, "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign: str = Field(max_length=200)
    lead_id: int = Field(foreign_key="lead.id", index=True)
    sent_at: datetime = Field(sa_type=UTCDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Ticket(SQLModel, table=True):
    """A support ticket opened by a customer (quality KPIs).

    Keyed by (account, opened, type, `external_id`): the help desk's id tells apart two
    tickets an account opened at the same moment ('' when the file has none).
    """

    __tablename__ = "ticket"
    __table_args__ = (
        CheckConstraint(_one_of("type", TICKET_TYPES), name="type"),
        UniqueConstraint("account_id", "opened_at", "type", "external_id"),
        Index(None, "opened_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    opened_at: datetime = Field(sa_type=UTCDateTime)
    type: str = Field(default="unknown", max_length=16)
    severity: str | None = Field(default=None, max_length=32)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    external_id: str = Field(default="", max_length=128, sa_column_kwargs={"server_default": ""})


class Goal(SQLModel, table=True):
    """A manager's target for a month, for the company, a role or one rep.

    `scope` is `company`, `role:<role>` or `rep:<id>`: one non-null key column keeps the
    natural key unique on every database (NULLs are distinct in unique constraints).
    """

    __tablename__ = "goal"
    __table_args__ = (
        UniqueConstraint("metric", "period", "scope"),
        CheckConstraint(_one_of("role", ROLES, nullable=True), name="role"),
        CheckConstraint("target >= 0", name="target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    metric: str = Field(max_length=40)
    period: str = Field(max_length=7)
    scope: str = Field(max_length=40)
    role: str | None = Field(default=None, max_length=16)
    rep_id: int | None = Field(default=None, foreign_key="rep.id")
    target: Decimal = Field(max_digits=18, decimal_places=4)


class LeadScore(SQLModel, table=True):
    """The latest score of a lead, with its grade, level and readiness."""

    __tablename__ = "lead_score"
    __table_args__ = (
        CheckConstraint("score BETWEEN 0 AND 100", name="score"),
        CheckConstraint(_one_of("grade", GRADES), name="grade"),
        CheckConstraint("level BETWEEN 1 AND 4", name="level"),
        CheckConstraint(_one_of("readiness", READINESS), name="readiness"),
        Index(None, "score"),
    )

    lead_id: int = Field(primary_key=True, foreign_key="lead.id")
    score: int
    fit: int
    engagement: int
    grade: str = Field(max_length=1)
    level: int
    readiness: str = Field(max_length=8)
    model_version: str = Field(max_length=64)
    scored_at: datetime = Field(sa_type=UTCDateTime)


class AssignmentLog(SQLModel, table=True):
    """Why a lead went to a rep (or to no one): the routing rule that chose."""

    __tablename__ = "assignment_log"
    __table_args__ = (Index(None, "lead_id", "assigned_at"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id")
    rep_id: int | None = Field(default=None, foreign_key="rep.id")
    role: str = Field(max_length=16)
    rule: str = Field(max_length=200)
    assigned_at: datetime = Field(sa_type=UTCDateTime)
    strategy: str | None = Field(default=None, max_length=16)
    """The role's routing strategy then (round_robin, least_loaded, territory)."""
    assigned_by: int | None = Field(default=None, foreign_key="rep.id")
    """The rep whose command routed the lead (an advance's acting rep, `--rep`)."""


class ChecklistTick(SQLModel, table=True):
    """A playbook checklist item completed for a lead: which, by whom and when.

    `item` is a checklist item id of the playbook (unique across its steps); the
    playbook, not this row, says which step the item belongs to.
    """

    __tablename__ = "checklist_tick"
    __table_args__ = (UniqueConstraint("lead_id", "item"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id")
    item: str = Field(max_length=64)
    rep_id: int | None = Field(default=None, foreign_key="rep.id")
    checked_at: datetime = Field(sa_type=UTCDateTime)


class Feedback(SQLModel, table=True):
    """Field feedback sent up by a rep: an objection, a complaint, a product gap."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint(_one_of("stage", STAGES), name="stage"),
        UniqueConstraint("rep_id", "created_at", "stage", "tag"),
        Index(None, "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    stage: str = Field(max_length=16)
    tag: str = Field(max_length=40)
    body: str
    rep_id: int = Field(foreign_key="rep.id")
    lead_id: int | None = Field(default=None, foreign_key="lead.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class RoutingCursor(SQLModel, table=True):
    """The persistent round-robin position per role, fair across runs and processes.

    `turns` counts the leads `last_rep_id` has had in a row, for weighted round-robin.
    """

    __tablename__ = "routing_cursor"

    role: str = Field(primary_key=True, max_length=16)
    last_rep_id: int | None = None
    turns: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class ErasureLog(SQLModel, table=True):
    """A record that a lead's personal data was erased, and when (no personal data)."""

    __tablename__ = "erasure_log"

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id")
    erased_at: datetime = Field(sa_type=UTCDateTime)
    reason: str | None = Field(default=None, max_length=500)


TABLES_FOR_COUNTS: tuple[str, ...] = (
    "rep",
    "account",
    "lead",
    "stage_history",
    "activity",
    "subscription",
    "spend",
    "nps_response",
    "usage_event",
    "campaign_member",
    "ticket",
    "goal",
    "lead_score",
    "checklist_tick",
    "feedback",
)


def _add_rollup_tables() -> None:
    """The KPI rollups are Core tables (`rollup_tables.py`); they belong to the schema too."""
    from abs_cli.store import rollup_tables

    for table in rollup_tables.metadata.tables.values():
        table.to_metadata(SQLModel.metadata)


_add_rollup_tables()


class CustomField(SQLModel, table=True):
    """A field of leads or accounts beyond the contract's columns: an unmapped column of
    a leads or accounts file, typed when first imported (docs/domain.md §4.7)."""

    __tablename__ = "custom_field"
    __table_args__ = (
        UniqueConstraint("entity", "name"),
        CheckConstraint(_one_of("type", CUSTOM_TYPES), name="type"),
        CheckConstraint(_one_of("entity", CUSTOM_ENTITIES), name="entity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=16)
    name: str = Field(max_length=64)
    type: str = Field(max_length=16)
    header: str | None = Field(default=None, max_length=200)
    """The file column it was first imported from."""
    created_at: datetime = Field(sa_type=UTCDateTime)


class LeadFieldValue(SQLModel, table=True):
    """A lead's value of a custom field: its canonical text (ISO dates, `true`/`false`),
    and for numbers and booleans the number that comparisons and scoring read."""

    __tablename__ = "lead_field_value"
    __table_args__ = (
        UniqueConstraint("lead_id", "field_id"),
        Index(None, "field_id", "number_value"),
    )

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id")
    field_id: int = Field(foreign_key="custom_field.id")
    text_value: str = Field(max_length=1000)
    number_value: float | None = Field(default=None)


class AccountFieldValue(SQLModel, table=True):
    """An account's value of a custom field, stored like a lead's (`LeadFieldValue`)."""

    __tablename__ = "account_field_value"
    __table_args__ = (UniqueConstraint("account_id", "field_id"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    field_id: int = Field(foreign_key="custom_field.id")
    text_value: str = Field(max_length=1000)
    number_value: float | None = Field(default=None)


class ChangeSet(SQLModel, table=True):
    """One recorded change of the store: an import, an edit or a merge (docs/domain.md §5).

    The rows it wrote, updated or deleted are journaled in `change_row`, so that
    `abs imports revert` and `abs leads unmerge` can put them back.
    """

    __tablename__ = "change_set"
    __table_args__ = (
        CheckConstraint(_one_of("kind", CHANGE_KINDS), name="kind"),
        CheckConstraint(_one_of("status", CHANGE_STATUSES), name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    subject: str = Field(max_length=64)
    """What was changed: the importer (`leads`), or the lead edited or merged."""
    source: str | None = Field(default=None, max_length=500)
    """The file imported (stdin: `-`), or the edit's assignments."""
    actor: str = Field(max_length=254)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str = Field(default="running", max_length=16)
    read: int = Field(default=0)
    inserted: int = Field(default=0)
    updated: int = Field(default=0)
    unchanged: int = Field(default=0)
    rejected: int = Field(default=0)
    reverted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ChangeRow(SQLModel, table=True):
    """A row a change set inserted, updated or deleted, with its images as JSON text.

    Written by the journal triggers (`abs_cli.store.journal`), never by hand: `old` is
    the row before (updates, deletes), `new` the row after (inserts, updates).
    """

    __tablename__ = "change_row"
    __table_args__ = (
        Index(None, "change_id", "table_name", "row_id"),
        Index(None, "table_name", "row_id"),
    )

    seq: int | None = Field(default=None, primary_key=True)
    change_id: int = Field(foreign_key="change_set.id")
    table_name: str = Field(max_length=40)
    row_id: int = Field(sa_type=BigInteger)
    op: str = Field(max_length=6)
    old: str | None = Field(default=None, sa_type=Text)
    new: str | None = Field(default=None, sa_type=Text)
