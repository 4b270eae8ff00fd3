"""pipeline: weighted round-robin turns, and the board's indexes

The board sums amounts per step over every lead: (stage, owner_id, amount) covers that
query (and replaces the (stage, owner_id) index it extends); (stage, stage_changed_at)
finds the oldest and the stale leads of a step.

Revision ID: 0002_pipeline
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = "0002_pipeline"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("routing_cursor", schema=None) as batch_op:
        batch_op.add_column(sa.Column("turns", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_stage_owner_id"))
        batch_op.create_index(
            batch_op.f("ix_lead_stage_owner_id_amount"), ["stage", "owner_id", "amount"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lead_stage_stage_changed_at"), ["stage", "stage_changed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_stage_stage_changed_at"))
        batch_op.drop_index(batch_op.f("ix_lead_stage_owner_id_amount"))
        batch_op.create_index(batch_op.f("ix_lead_stage_owner_id"), ["stage", "owner_id"], unique=False)
    with op.batch_alter_table("routing_cursor", schema=None) as batch_op:
        batch_op.drop_column("turns")
