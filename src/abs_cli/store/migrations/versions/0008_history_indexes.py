"""Two indexes of `stage_history` that no query reads any more

Since the KPI reports read `stage_stay` (0003) and its rollups (0007), nothing looks
stage history up by time alone or by rep: `(changed_at)` and `(rep_id, changed_at)` only
cost every history row written (an import, a pipeline move) two more B-tree inserts.

Revision ID: 0008_history_indexes
Revises: 0007_kpi_rollups
"""

from alembic import op

revision = "0008_history_indexes"
down_revision = "0007_kpi_rollups"
branch_labels = None
depends_on = None

DROPPED = {
    "ix_stage_history_changed_at": ["changed_at"],
    "ix_stage_history_rep_id_changed_at": ["rep_id", "changed_at"],
}


def upgrade() -> None:
    for name in DROPPED:
        op.drop_index(name, table_name="stage_history")


def downgrade() -> None:
    for name, columns in DROPPED.items():
        op.create_index(name, "stage_history", columns)
