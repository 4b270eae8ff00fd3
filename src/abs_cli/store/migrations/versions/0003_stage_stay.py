"""The `stage_stay` table, and covering indexes for the KPI reports

`stage_stay` holds the stage history replayed once (one row per history row, from it to
the lead's next row); it is filled here from the existing history by `BACKFILL`, the
statement `abs_cli.store.stays.refresh_stays` ran when this migration was written, frozen
as SQL so that an old store migrates the same way whatever that module becomes.
`activity (occurred_at, rep_id, type)` and `usage_event (occurred_at, user_key, feature)`
extend the (occurred_at) and (occurred_at, user_key) indexes they replace, so the team
and usage figures of a month read the index alone.

Revision ID: 0003_stage_stay
Revises: 0002_pipeline
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes

import abs_cli.store.types


revision = "0003_stage_stay"
down_revision = "0002_pipeline"
branch_labels = None
depends_on = None

# The same text on SQLite and PostgreSQL.
BACKFILL = """
WITH stay_first AS
(SELECT stage_history.id AS id, stage_history.lead_id AS lead_id, stage_history.to_stage AS to_stage, stage_history.changed_at AS changed_at, stage_history.rep_id AS rep_id, stage_history.amount AS amount, lead.created_at AS created_at, lag(stage_history.to_stage) OVER (PARTITION BY stage_history.lead_id ORDER BY stage_history.changed_at, stage_history.id) AS lag_stage, lead(stage_history.changed_at) OVER (PARTITION BY stage_history.lead_id ORDER BY stage_history.changed_at, stage_history.id) AS left_at, row_number() OVER (PARTITION BY stage_history.lead_id ORDER BY stage_history.changed_at, stage_history.id) AS rn, count(stage_history.amount) OVER (PARTITION BY stage_history.lead_id ORDER BY stage_history.changed_at, stage_history.id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS given
FROM stage_history JOIN lead ON lead.id = stage_history.lead_id),
stay_second AS
(SELECT stay_first.id AS id, stay_first.lead_id AS lead_id, stay_first.to_stage AS to_stage, stay_first.changed_at AS changed_at, stay_first.left_at AS left_at, stay_first.rep_id AS rep_id, stay_first.created_at AS created_at, CASE WHEN (stay_first.rn = 1) THEN CASE WHEN (stay_first.changed_at >= stay_first.created_at) THEN 'prospect' END ELSE stay_first.lag_stage END AS previous, CASE WHEN (CASE WHEN (stay_first.rn = 1) THEN CASE WHEN (stay_first.changed_at >= stay_first.created_at) THEN 'prospect' END ELSE stay_first.lag_stage END IS NULL OR CASE WHEN (stay_first.rn = 1) THEN CASE WHEN (stay_first.changed_at >= stay_first.created_at) THEN 'prospect' END ELSE stay_first.lag_stage END != stay_first.to_stage) THEN 1 ELSE 0 END AS changed, max(stay_first.amount) OVER (PARTITION BY stay_first.lead_id, stay_first.given) AS running
FROM stay_first)
 INSERT INTO stage_stay (history_id, lead_id, stage, entered_at, left_at, changed, from_stage, stay_started_at, rep_id, amount) SELECT stay_second.id, stay_second.lead_id, stay_second.to_stage, stay_second.changed_at, stay_second.left_at, stay_second.changed = 1 AS anon_1, stay_second.previous, coalesce(max(CASE WHEN (stay_second.changed = 1) THEN stay_second.changed_at END) OVER (PARTITION BY stay_second.lead_id ORDER BY stay_second.changed_at, stay_second.id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), stay_second.created_at) AS coalesce_1, stay_second.rep_id, stay_second.running
FROM stay_second ORDER BY stay_second.changed_at, stay_second.id
"""


def upgrade() -> None:
    op.create_table(
        "stage_stay",
        sa.Column("entered_at", abs_cli.store.types.UTCDateTime(), nullable=False),
        sa.Column("history_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("left_at", abs_cli.store.types.UTCDateTime(), nullable=True),
        sa.Column("changed", sa.Boolean(), nullable=False),
        sa.Column("from_stage", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("stay_started_at", abs_cli.store.types.UTCDateTime(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("amount", abs_cli.store.types.Money(), nullable=True),
        sa.PrimaryKeyConstraint("entered_at", "history_id", name=op.f("pk_stage_stay")),
        sqlite_with_rowid=False,
    )
    op.execute(BACKFILL)
    with op.batch_alter_table("stage_stay", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stage_stay_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_stage_stay_stage_left_at_entered_at_amount"),
            ["stage", "left_at", "entered_at", "amount"],
            unique=False,
        )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_occurred_at"))
        batch_op.create_index(
            batch_op.f("ix_activity_occurred_at_rep_id_type"),
            ["occurred_at", "rep_id", "type"],
            unique=False,
        )
    with op.batch_alter_table("usage_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_event_occurred_at_user_key"))
        batch_op.create_index(
            batch_op.f("ix_usage_event_occurred_at_user_key_feature"),
            ["occurred_at", "user_key", "feature"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("usage_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_event_occurred_at_user_key_feature"))
        batch_op.create_index(
            batch_op.f("ix_usage_event_occurred_at_user_key"), ["occurred_at", "user_key"], unique=False
        )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_occurred_at_rep_id_type"))
        batch_op.create_index(batch_op.f("ix_activity_occurred_at"), ["occurred_at"], unique=False)
    op.drop_table("stage_stay")
