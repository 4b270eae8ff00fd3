"""Value checks as chains of equalities instead of IN lists

SQLite rebuilds the list of a `column IN (…)` CHECK for every row it writes (about 4 µs
a row and check): a lead import paid it four times a lead (stage, buying role, and the
history row's two stages). `column = 'a' OR column = 'b' …` is evaluated in place.
0004 did the same for `lead_score`; this revision does it for every other table.

Revision ID: 0006_check_chains
Revises: 0005_external_ids
"""

from alembic import op


revision = "0006_check_chains"
down_revision = "0005_external_ids"
branch_labels = None
depends_on = None

ROLES = ("sdr", "ir", "ae", "cs", "manager", "enablement")
STAGES = (
    "prospect",
    "qualified",
    "discovery",
    "demo",
    "proposal",
    "negotiation",
    "customer",
    "lost",
    "disqualified",
    "churned",
)
ACTIVITY_TYPES = (
    "call",
    "email",
    "meeting",
    "demo",
    "note",
    "social",
    "web_visit",
    "email_open",
    "email_click",
    "content_download",
    "webinar",
    "form_submit",
    "demo_request",
)
BUYING_ROLES = ("decision_maker", "champion", "influencer", "user", "blocker")

CHECKS: dict[str, list[tuple[str, tuple[str, ...], bool]]] = {
    "rep": [("role", ROLES, False)],
    "lead": [("stage", STAGES, False), ("buying_role", BUYING_ROLES, True)],
    "stage_history": [("to_stage", STAGES, False), ("from_stage", STAGES, True)],
    "activity": [("type", ACTIVITY_TYPES, False)],
    "subscription": [("interval", ("month", "quarter", "year"), False)],
    "spend": [("category", ("sales", "marketing"), False)],
    "ticket": [("type", ("bug", "incident", "question", "request", "unknown"), False)],
    "goal": [("role", ROLES, True)],
}
"""Each table's value checks: (column, the values at this revision, whether NULL is allowed)."""


def _condition(column: str, values: tuple[str, ...], chained: bool) -> str:
    quoted = [f"'{value}'" for value in values]
    if chained:
        return " OR ".join(f"{column} = {value}" for value in quoted)
    return f"{column} IN ({', '.join(quoted)})"


def _rewrite(chained: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rewrite_sqlite(chained)
        return
    for table, checks in CHECKS.items():
        for column, values, nullable in checks:
            name = op.f(f"ck_{table}_{column}")
            check = _condition(column, values, chained)
            op.drop_constraint(name, table, type_="check")
            op.create_check_constraint(
                name, table, f"{column} IS NULL OR {check}" if nullable else check
            )


def _rewrite_sqlite(chained: bool) -> None:
    """Edit each table's CREATE statement in place (SQLite's documented procedure for a
    schema change that leaves the stored rows as they are: lang_altertable.html §7).

    Rebuilding the tables instead would copy every row and, for a table other tables
    reference (rep, lead), trip the foreign keys when the old one is dropped. The rows
    already satisfy the IN lists, which the chains express exactly.
    """
    conn = op.get_bind()
    statements = {}
    for table, checks in CHECKS.items():
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).scalar_one()
        for column, values, _nullable in checks:
            old, new = _condition(column, values, not chained), _condition(column, values, chained)
            if old not in sql:
                raise RuntimeError(f"table {table}: its check on {column} is not {old!r}")
            sql = sql.replace(old, new)
        statements[table] = sql
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    for table, sql in statements.items():
        conn.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, table)
        )
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    _rewrite(chained=True)


def downgrade() -> None:
    _rewrite(chained=False)
