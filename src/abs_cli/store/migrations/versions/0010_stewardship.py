"""Custom fields; change sets and their journal: imports, edits and merges that can be undone

`custom_field`, `lead_field_value` and `account_field_value` hold the columns of leads
and accounts files beyond the contract's, typed on first import.

`change_set` lists every import, `abs leads edit` and `abs leads merge`; `change_row`
holds the rows each one inserted, updated or deleted, with their images as JSON text.
On PostgreSQL one trigger function writes the journal, from a trigger on every
journaled table that fires only while the session setting `abs.change_id` is set (SQLite
uses TEMP triggers created by the writing connection, nothing to migrate).

Revision ID: 0010_stewardship
Revises: 0009_enablement
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_stewardship"
down_revision = "0009_enablement"
branch_labels = None
depends_on = None

JOURNALED = {
    "rep": "id",
    "account": "id",
    "lead": "id",
    "stage_history": "id",
    "activity": "id",
    "subscription": "id",
    "spend": "id",
    "nps_response": "id",
    "usage_event": "id",
    "campaign_member": "id",
    "ticket": "id",
    "goal": "id",
    "lead_score": "lead_id",
    "assignment_log": "id",
    "erasure_log": "id",
    "custom_field": "id",
    "lead_field_value": "id",
    "account_field_value": "id",
}

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION abs_journal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    change integer := nullif(current_setting('abs.change_id', true), '')::integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
        VALUES (change, TG_TABLE_NAME, (to_jsonb(NEW) ->> TG_ARGV[0])::bigint, 'insert',
                NULL, to_jsonb(NEW)::text);
    ELSIF TG_OP = 'UPDATE' THEN
        IF to_jsonb(OLD) <> to_jsonb(NEW) THEN
            INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
            VALUES (change, TG_TABLE_NAME, (to_jsonb(NEW) ->> TG_ARGV[0])::bigint, 'update',
                    to_jsonb(OLD)::text, to_jsonb(NEW)::text);
        END IF;
    ELSE
        INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
        VALUES (change, TG_TABLE_NAME, (to_jsonb(OLD) ->> TG_ARGV[0])::bigint, 'delete',
                to_jsonb(OLD)::text, NULL);
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "custom_field",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("header", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "type = 'number' OR type = 'date' OR type = 'boolean' OR type = 'category' "
            "OR type = 'text'",
            name="type",
        ),
        sa.CheckConstraint("entity = 'lead' OR entity = 'account'", name="entity"),
        sa.PrimaryKeyConstraint("id", name="pk_custom_field"),
        sa.UniqueConstraint("entity", "name", name="uq_custom_field_entity_name"),
    )
    op.create_table(
        "lead_field_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("text_value", sa.String(1000), nullable=False),
        sa.Column("number_value", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"], name="fk_lead_field_value_lead_id_lead"),
        sa.ForeignKeyConstraint(
            ["field_id"], ["custom_field.id"], name="fk_lead_field_value_field_id_custom_field"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lead_field_value"),
        sa.UniqueConstraint("lead_id", "field_id", name="uq_lead_field_value_lead_id_field_id"),
    )
    op.create_table(
        "account_field_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("text_value", sa.String(1000), nullable=False),
        sa.Column("number_value", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_account_field_value_account_id_account"
        ),
        sa.ForeignKeyConstraint(
            ["field_id"], ["custom_field.id"], name="fk_account_field_value_field_id_custom_field"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_account_field_value"),
        sa.UniqueConstraint(
            "account_id", "field_id", name="uq_account_field_value_account_id_field_id"
        ),
    )
    op.create_index(
        "ix_lead_field_value_field_id_number_value",
        "lead_field_value",
        ["field_id", "number_value"],
    )
    op.create_table(
        "change_set",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("source", sa.String(500), nullable=True),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("read", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("reverted_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "kind = 'import' OR kind = 'edit' OR kind = 'merge'", name="kind"
        ),
        sa.CheckConstraint(
            "status = 'running' OR status = 'done' OR status = 'failed' OR status = 'reverted'",
            name="status",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_change_set"),
    )
    op.create_table(
        "change_row",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(40), nullable=False),
        sa.Column("row_id", sa.BigInteger(), nullable=False),
        sa.Column("op", sa.String(6), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["change_id"], ["change_set.id"], name="fk_change_row_change_id_change_set"
        ),
        sa.PrimaryKeyConstraint("seq", name="pk_change_row"),
    )
    op.create_index(
        "ix_change_row_change_id_table_name_row_id",
        "change_row",
        ["change_id", "table_name", "row_id"],
    )
    op.create_index("ix_change_row_table_name_row_id", "change_row", ["table_name", "row_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table, key in JOURNALED.items():
            op.execute(
                f'CREATE TRIGGER abs_journal AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                "FOR EACH ROW WHEN (nullif(current_setting('abs.change_id', true), '') "
                f"IS NOT NULL) EXECUTE FUNCTION abs_journal('{key}')"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in JOURNALED:
            op.execute(f'DROP TRIGGER IF EXISTS abs_journal ON "{table}"')
        op.execute("DROP FUNCTION IF EXISTS abs_journal()")
    op.drop_table("change_row")
    op.drop_table("change_set")
    op.drop_table("account_field_value")
    op.drop_table("lead_field_value")
    op.drop_table("custom_field")
