"""A covering index for lead scoring's activity read; cheaper score checks

Scoring reads, per range of lead ids, each activity's type, date, outcome and due date.
(lead_id, type, occurred_at, outcome, due_at) answers that from the index alone, in
lead order, without a table lookup per activity (the unique (lead_id, type,
occurred_at) index lacks the outcome and the due date).

`lead_score` is rewritten in bulk by every scoring run: its grade and readiness checks
become chains of equalities, which SQLite evaluates in place, where an `IN (…)` list in
a CHECK constraint is rebuilt for every row written (about 2 µs a row).

Revision ID: 0004_scoring_index
Revises: 0003_stage_stay
"""

from alembic import op


revision = "0004_scoring_index"
down_revision = "0003_stage_stay"
branch_labels = None
depends_on = None

COLUMNS = ["lead_id", "type", "occurred_at", "outcome", "due_at"]
CHECKS = {"grade": ("A", "B", "C", "D"), "readiness": ("none", "mql", "sql")}


def _checks(joined: bool) -> None:
    with op.batch_alter_table("lead_score", schema=None, recreate="always") as batch_op:
        for column, values in CHECKS.items():
            name = batch_op.f(f"ck_lead_score_{column}")
            quoted = [f"'{value}'" for value in values]
            if joined:
                condition = " OR ".join(f"{column} = {value}" for value in quoted)
            else:
                condition = f"{column} IN ({', '.join(quoted)})"
            batch_op.drop_constraint(name, type_="check")
            batch_op.create_check_constraint(name, condition)


def upgrade() -> None:
    op.create_index(
        op.f("ix_activity_lead_id_type_occurred_at_outcome_due_at"), "activity", COLUMNS
    )
    _checks(joined=True)


def downgrade() -> None:
    _checks(joined=False)
    op.drop_index(
        op.f("ix_activity_lead_id_type_occurred_at_outcome_due_at"), table_name="activity"
    )
