"""The `stage_stay` table, and covering indexes for the KPI reports

`stage_stay` holds the stage history replayed once (one row per history row, from it to
the lead's next row); it is filled here from the existing history by the same function
every writer calls (`abs_cli.stays.refresh_stays`). `activity (occurred_at, rep_id, type)`
and `usage_event (occurred_at, user_key, feature)` extend the (occurred_at) and
(occurred_at, user_key) indexes they replace, so the team and usage figures of a month
read the index alone.

Revision ID: 0003_stage_stay
Revises: 0002_pipeline
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel

import abs_cli.store.types


revision = "0003_stage_stay"
down_revision = "0002_pipeline"
branch_labels = None
depends_on = None


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
    from abs_cli.stays import refresh_stays

    refresh_stays(op.get_bind(), rollups=False)  # the rollup tables come in 0007
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
