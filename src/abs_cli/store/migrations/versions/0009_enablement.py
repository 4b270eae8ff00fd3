"""Enablement: checklist ticks, field feedback, content used in activities, rep start dates

`checklist_tick` records which playbook checklist item was completed for a lead, by whom
and when (one row per lead and item); `feedback` holds what reps send up from the field,
by step and tag; `activity.content_id` names the playbook content piece an activity
used; `rep.started_at` is day 0 of a rep's ramp; the assignment log gains the routing
strategy in force and the rep whose command routed the lead.

Revision ID: 0009_enablement
Revises: 0008_history_indexes
"""

from alembic import op
import sqlalchemy as sa


revision = "0009_enablement"
down_revision = "0008_history_indexes"
branch_labels = None
depends_on = None

STAGES = ("prospect", "qualified", "discovery", "demo", "proposal", "negotiation", "customer")
"""Frozen here: the steps as this revision knows them."""


def upgrade() -> None:
    with op.batch_alter_table("rep", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("assignment_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("strategy", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("assigned_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_assignment_log_assigned_by_rep"), "rep", ["assigned_by"], ["id"]
        )
    op.create_table(
        "checklist_tick",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["lead.id"], name=op.f("fk_checklist_tick_lead_id_lead")
        ),
        sa.ForeignKeyConstraint(["rep_id"], ["rep.id"], name=op.f("fk_checklist_tick_rep_id_rep")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_tick")),
        sa.UniqueConstraint("lead_id", "item", name=op.f("uq_checklist_tick_lead_id_item")),
    )
    stage_check = " OR ".join(f"stage = '{stage}'" for stage in STAGES)
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(stage_check, name=op.f("ck_feedback_stage")),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"], name=op.f("fk_feedback_lead_id_lead")),
        sa.ForeignKeyConstraint(["rep_id"], ["rep.id"], name=op.f("fk_feedback_rep_id_rep")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint(
            "rep_id",
            "created_at",
            "stage",
            "tag",
            name=op.f("uq_feedback_rep_id_created_at_stage_tag"),
        ),
    )
    op.create_index(op.f("ix_feedback_created_at"), "feedback", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_feedback_created_at"), table_name="feedback")
    op.drop_table("feedback")
    op.drop_table("checklist_tick")
    with op.batch_alter_table("assignment_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_assignment_log_assigned_by_rep"), type_="foreignkey")
        batch_op.drop_column("assigned_by")
        batch_op.drop_column("strategy")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_column("content_id")
    with op.batch_alter_table("rep", schema=None) as batch_op:
        batch_op.drop_column("started_at")
