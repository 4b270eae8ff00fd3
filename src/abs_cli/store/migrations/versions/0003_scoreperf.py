"""scoreperf: a covering index for lead scoring's activity read

Scoring reads, per range of lead ids, each activity's type, date, outcome and due date.
(lead_id, type, occurred_at, outcome, due_at) answers that from the index alone, in
lead order, without a table lookup per activity (the unique (lead_id, type,
occurred_at) index lacks the outcome and the due date).

Revision ID: 0003_scoreperf
Revises: 0002_pipeline
"""

from alembic import op


revision = "0003_scoreperf"
down_revision = "0002_pipeline"
branch_labels = None
depends_on = None

COLUMNS = ["lead_id", "type", "occurred_at", "outcome", "due_at"]


def upgrade() -> None:
    op.create_index(op.f("ix_activity_lead_id_type_occurred_at_outcome_due_at"), "activity", COLUMNS)


def downgrade() -> None:
    op.drop_index(op.f("ix_activity_lead_id_type_occurred_at_outcome_due_at"), table_name="activity")
