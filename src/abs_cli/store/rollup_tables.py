"""Monthly KPI rollups: per-month aggregates of the big tables, and their freshness.

A rollup row holds, for one calendar month, exactly what one KPI query groups out of
`stage_stay`, `activity`, `lead` or `usage_event` (`abs_cli.kpi.rollups` fills and
reads them). They are derived data, like `stage_stay`:

- `kpi_stale (part, month)`: written by every writer of the source rows, in the same
  transaction (`abs_cli.store.marks`): "the `part` figures of `month` changed";
- `kpi_built (rollup, month)`: which months of a rollup are filled.

A rollup month is read only when it is built and no stale mark covers it; otherwise the
report computes that figure from the source rows. Plain Core tables (no SQLModel): the
KPI reports read them without importing the models; `models.py` adds them to the schema.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table

from abs_cli.store.naming import NAMING_CONVENTION

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _month(primary_key: bool = False) -> Column[str]:
    return Column("month", String(7), primary_key=primary_key, nullable=False)


kpi_stale = Table(
    "kpi_stale",
    metadata,
    Column("part", String(16), primary_key=True),
    _month(primary_key=True),
    sqlite_with_rowid=False,
)
kpi_built = Table(
    "kpi_built",
    metadata,
    Column("rollup", String(24), primary_key=True),
    _month(primary_key=True),
    sqlite_with_rowid=False,
)
kpi_moves = Table(
    "kpi_moves",
    metadata,
    _month(),
    Column("from_stage", String(16)),
    Column("to_stage", String(16), nullable=False),
    Column("rep_id", Integer),
    Column("cycle_seconds", BigInteger),
    Column("moves", Integer, nullable=False),
    Column("stay_seconds", BigInteger, nullable=False),
    Column("won_cents", BigInteger, nullable=False),
    Index(None, "month"),
    info={"part": "moves"},
)
kpi_open = Table(
    "kpi_open",
    metadata,
    _month(),
    Column("stage", String(16), nullable=False),
    Column("deals", Integer, nullable=False),
    Column("cents", BigInteger, nullable=False),
    Index(None, "month"),
    info={"part": "moves", "cumulative": True},
)
kpi_cohort = Table(
    "kpi_cohort",
    metadata,
    _month(primary_key=True),
    *(Column(f"reached_{step}", Integer, nullable=False) for step in range(1, 8)),
    info={"part": "cohort"},
)
kpi_speed = Table(
    "kpi_speed",
    metadata,
    _month(),
    Column("seconds", BigInteger),
    Column("leads", Integer, nullable=False),
    Index(None, "month"),
    info={"part": "speed"},
)
kpi_activity = Table(
    "kpi_activity",
    metadata,
    _month(),
    Column("rep_id", Integer),
    Column("type", String(16), nullable=False),
    Column("activities", Integer, nullable=False),
    Index(None, "month"),
    info={"part": "activity"},
)
kpi_usage_users = Table(
    "kpi_usage_users",
    metadata,
    _month(primary_key=True),
    Column("mau", Integer, nullable=False),
    Column("new_users", Integer, nullable=False),
    info={"part": "usage", "cumulative": True},
)
kpi_usage_days = Table(
    "kpi_usage_days",
    metadata,
    _month(primary_key=True),
    Column("user_days", Integer, nullable=False),
    info={"part": "usage"},
)
kpi_usage_features = Table(
    "kpi_usage_features",
    metadata,
    _month(),
    Column("feature", String(120), nullable=False),
    Column("users", Integer, nullable=False),
    Index(None, "month"),
    info={"part": "usage"},
)
kpi_revenue = Table(
    "kpi_revenue",
    metadata,
    _month(),
    Column("owner_id", Integer),
    *(
        Column(name, BigInteger, nullable=False)
        for name in (
            "mrr",
            "customers",
            "new",
            "customers_new",
            "reactivation",
            "customers_reactivated",
            "expansion",
            "contraction",
            "churn",
            "customers_churned",
        )
    ),
    Index(None, "month"),
    info={"part": "revenue", "cumulative": True},
)
"""MRR in 1/1200ths of the currency (`abs_cli.kpi.revenue`), per account owner."""

ROLLUP_TABLES: tuple[Table, ...] = (
    kpi_moves,
    kpi_open,
    kpi_cohort,
    kpi_speed,
    kpi_activity,
    kpi_usage_users,
    kpi_usage_days,
    kpi_usage_features,
    kpi_revenue,
)
"""Each one's `info`: the stale-mark `part` that concerns it, and whether it is
`cumulative` (a mark on a month also covers every later month)."""
