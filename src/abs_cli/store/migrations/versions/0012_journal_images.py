"""The journal function builds each row image once (PostgreSQL)

`abs_journal()` called `to_jsonb` twice per image, once for the row's key and once for
its text. On a bulk import the journal is most of the cost of writing a lead
(bench/README.md, import section); building each image once takes a fifth off it. The
images written are the same. SQLite journals with TEMP triggers: nothing to migrate.

Revision ID: 0012_journal_images
Revises: 0011_enablement_indexes
"""

from alembic import op

revision = "0012_journal_images"
down_revision = "0011_enablement_indexes"
branch_labels = None
depends_on = None

IMAGES_ONCE = """
CREATE OR REPLACE FUNCTION abs_journal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    change integer := nullif(current_setting('abs.change_id', true), '')::integer;
    old_image jsonb;
    new_image jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        new_image := to_jsonb(NEW);
        INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
        VALUES (change, TG_TABLE_NAME, (new_image ->> TG_ARGV[0])::bigint, 'insert',
                NULL, new_image::text);
    ELSIF TG_OP = 'UPDATE' THEN
        old_image := to_jsonb(OLD);
        new_image := to_jsonb(NEW);
        IF old_image <> new_image THEN
            INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
            VALUES (change, TG_TABLE_NAME, (new_image ->> TG_ARGV[0])::bigint, 'update',
                    old_image::text, new_image::text);
        END IF;
    ELSE
        old_image := to_jsonb(OLD);
        INSERT INTO change_row (change_id, table_name, row_id, op, old, new)
        VALUES (change, TG_TABLE_NAME, (old_image ->> TG_ARGV[0])::bigint, 'delete',
                old_image::text, NULL);
    END IF;
    RETURN NULL;
END
$$
"""

IMAGES_TWICE = """
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
"""The function of 0010_stewardship."""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(IMAGES_ONCE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(IMAGES_TWICE)
