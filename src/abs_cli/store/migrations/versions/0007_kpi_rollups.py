"""Monthly KPI rollups and their stale marks

Empty tables: a report builds the months it needs the first time it runs
(`abs_cli.kpi.rollups`), and every writer marks the months it changes stale from now on
(`abs_cli.store.marks`).

Revision ID: 0007_kpi_rollups
Revises: 0006_check_chains
"""

from alembic import op

revision = "0007_kpi_rollups"
down_revision = "0006_check_chains"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from abs_cli.store.rollup_tables import metadata

    metadata.create_all(op.get_bind())


def downgrade() -> None:
    from abs_cli.store.rollup_tables import metadata

    metadata.drop_all(op.get_bind())
