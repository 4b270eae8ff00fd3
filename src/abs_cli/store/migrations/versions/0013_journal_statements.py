"""The journal of inserts and deletes is written per statement (PostgreSQL)

The row trigger `abs_journal` called a PL/pgSQL function and inserted one `change_row`
per row written: on a bulk import that was most of the cost of writing a lead. Inserts
and deletes are now journaled by statement-level triggers that read the statement's
transition table (`REFERENCING NEW TABLE` / `OLD TABLE`) and write all of its rows with
one `INSERT … SELECT`; updates keep a row trigger. The rows and images written are the
same. SQLite journals with TEMP triggers: nothing to migrate.

Revision ID: 0013_journal_statements
Revises: 0012_journal_images
"""

from alembic import op

revision = "0013_journal_statements"
down_revision = "0012_journal_images"
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
"""The journaled tables of 0010_stewardship (unchanged since)."""

SET_FUNCTION = """
CREATE OR REPLACE FUNCTION abs_journal_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    change integer := nullif(current_setting('abs.change_id', true), '')::integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
        SELECT change, TG_TABLE_NAME, (image ->> TG_ARGV[0])::bigint, 'insert', NULL,
               image::text
        FROM (SELECT to_jsonb(inserted) AS image FROM abs_inserted AS inserted OFFSET 0)
             AS images;
    ELSE
        INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
        SELECT change, TG_TABLE_NAME, (image ->> TG_ARGV[0])::bigint, 'delete',
               image::text, NULL
        FROM (SELECT to_jsonb(deleted) AS image FROM abs_deleted AS deleted OFFSET 0)
             AS images;
    END IF;
    RETURN NULL;
END
$$
"""
"""`abs_journal_rows()` as `store/journal.py` defines it today, copied: a migration keeps
the schema of its revision whatever the code becomes (like 0012's function)."""

WHEN = "WHEN (nullif(current_setting('abs.change_id', true), '') IS NOT NULL)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(SET_FUNCTION)
    for table, key in JOURNALED.items():
        on = f'ON "{table}"'
        op.execute(f"DROP TRIGGER IF EXISTS abs_journal {on}")
        op.execute(
            f"CREATE TRIGGER abs_journal_insert AFTER INSERT {on} "
            f"REFERENCING NEW TABLE AS abs_inserted FOR EACH STATEMENT {WHEN} "
            f"EXECUTE FUNCTION abs_journal_rows('{key}')"
        )
        op.execute(
            f"CREATE TRIGGER abs_journal_update AFTER UPDATE {on} FOR EACH ROW {WHEN} "
            f"EXECUTE FUNCTION abs_journal('{key}')"
        )
        op.execute(
            f"CREATE TRIGGER abs_journal_delete AFTER DELETE {on} "
            f"REFERENCING OLD TABLE AS abs_deleted FOR EACH STATEMENT {WHEN} "
            f"EXECUTE FUNCTION abs_journal_rows('{key}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, key in JOURNALED.items():
        on = f'ON "{table}"'
        for name in ("abs_journal_insert", "abs_journal_update", "abs_journal_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name} {on}")
        op.execute(
            f"CREATE TRIGGER abs_journal AFTER INSERT OR UPDATE OR DELETE {on} "
            f"FOR EACH ROW {WHEN} EXECUTE FUNCTION abs_journal('{key}')"
        )
    op.execute("DROP FUNCTION IF EXISTS abs_journal_rows()")
