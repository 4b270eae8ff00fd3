"""The billing system's and the help desk's ids, in the natural keys

Two subscriptions of one account that start the same day on the same plan (seats bought
twice, a monthly and an annual one), or two tickets an account opened at the same moment,
were one row: the second replaced the first on import. `external_id` ('' when the file
has none) tells them apart; existing rows get '' and keep their key.

Revision ID: 0005_external_ids
Revises: 0004_scoring_index
"""

from alembic import op
import sqlalchemy as sa


revision = "0005_external_ids"
down_revision = "0004_scoring_index"
branch_labels = None
depends_on = None

KEYS = {
    "subscription": ["account_id", "plan", "started_at"],
    "ticket": ["account_id", "opened_at", "type"],
}


def _name(table: str, columns: list[str]) -> str:
    return f"uq_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    for table, key in KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("external_id", sa.String(length=128), server_default="", nullable=False)
            )
            batch_op.drop_constraint(_name(table, key), type_="unique")
            batch_op.create_unique_constraint(
                _name(table, [*key, "external_id"]), [*key, "external_id"]
            )


def downgrade() -> None:
    for table, key in KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(_name(table, [*key, "external_id"]), type_="unique")
            batch_op.create_unique_constraint(_name(table, key), key)
            batch_op.drop_column("external_id")
