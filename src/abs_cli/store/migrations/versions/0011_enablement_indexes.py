"""Indexes for the enablement section of the KPI report

The section counts the activities that used a content piece, in the period and before
each deal closed, and the leads that left each step. Without these, a twelve-month
report on 100,000 leads read half a million activities and scanned the stage stays once
per step (about 1 s of CPU). The activity indexes are partial: only activities that
name a piece are in them, so writing the others costs nothing more.

Revision ID: 0011_enablement_indexes
Revises: 0010_stewardship
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_enablement_indexes"
down_revision = "0010_stewardship"
branch_labels = None
depends_on = None

CONTENT_USED = sa.text("content_id IS NOT NULL")
CONTENT_INDEXES = {
    "ix_activity_occurred_at_lead_id_content_id": ["occurred_at", "lead_id", "content_id"],
    "ix_activity_lead_id_occurred_at_content_id": ["lead_id", "occurred_at", "content_id"],
}
DEPARTURES = "ix_stage_stay_from_stage_entered_at_changed_stage_lead_id"


def upgrade() -> None:
    for name, columns in CONTENT_INDEXES.items():
        op.create_index(
            name, "activity", columns, sqlite_where=CONTENT_USED, postgresql_where=CONTENT_USED
        )
    op.create_index(
        DEPARTURES, "stage_stay", ["from_stage", "entered_at", "changed", "stage", "lead_id"]
    )


def downgrade() -> None:
    op.drop_index(DEPARTURES, table_name="stage_stay")
    for name in CONTENT_INDEXES:
        op.drop_index(name, table_name="activity")
