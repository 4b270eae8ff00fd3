"""The billing system's id of a subscription, in its natural key

Two subscriptions of one account that start the same day on the same plan (seats bought
twice, a monthly and an annual one) were one row: the second replaced the first on
import. `external_id` ('' when the file has none) tells them apart; existing rows get ''
and keep their key.

Revision ID: 0005_subscription_external_id
Revises: 0004_scoring_index
"""

from alembic import op
import sqlalchemy as sa


revision = "0005_subscription_external_id"
down_revision = "0004_scoring_index"
branch_labels = None
depends_on = None

OLD_KEY = ["account_id", "plan", "started_at"]
NEW_KEY = [*OLD_KEY, "external_id"]


def upgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("external_id", sa.String(length=128), server_default="", nullable=False)
        )
        batch_op.drop_constraint("uq_subscription_account_id_plan_started_at", type_="unique")
        batch_op.create_unique_constraint(
            "uq_subscription_account_id_plan_started_at_external_id", NEW_KEY
        )


def downgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_constraint(
            "uq_subscription_account_id_plan_started_at_external_id", type_="unique"
        )
        batch_op.create_unique_constraint("uq_subscription_account_id_plan_started_at", OLD_KEY)
        batch_op.drop_column("external_id")
