"""`abs pipeline import`: stage history as another CRM lived it (docs/domain.md §4).

Rows are taken as recorded: steps may be skipped, no gate applies, owners come from the
file. After each batch the touched leads are brought to their latest recorded stage,
amount and owner, set-based.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import model_validator
from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.engine import Connection

from abs_cli.imports.engine import BatchResult, Importer, Row, WriteContext
from abs_cli.imports.headers import ColumnSpec
from abs_cli.imports.records import LeadRef, lead_key, resolve_leads, resolve_rep
from abs_cli.imports.resolve import lead_ids, lead_table
from abs_cli.imports.upsert import chunks, upsert_by_key
from abs_cli.imports.values import Amount, Stage, Text, UTCDate
from abs_cli.store.sql import upsert
from abs_cli.store.stays import refresh_stays
from abs_cli.store.tables import stage_history as history_table


class StageRow(LeadRef):
    to_stage: Stage
    changed_at: UTCDate
    rep_email: Annotated[str, Text(254)] | None = None
    reason: Annotated[str, Text(500)] | None = None
    amount: Amount | None = None
    currency: Annotated[str, Text(3)] | None = None

    @model_validator(mode="after")
    def _amount_stage(self) -> StageRow:
        if self.amount is not None and self.to_stage in ("prospect", "qualified"):
            raise ValueError(
                f"amount is given for stage {self.to_stage} (only steps 3-7 carry one)"
            )
        return self


PIPELINE_SPEC = ColumnSpec(
    columns=tuple(StageRow.model_fields),
    required=(("lead_email", "external_id"), ("to_stage",), ("changed_at",)),
    aliases={
        "email": "lead_email",
        "deal id": "external_id",
        "opportunity id": "external_id",
        "stage": "to_stage",
        "stage name": "to_stage",
        "deal stage": "to_stage",
        "date": "changed_at",
        "changed": "changed_at",
        "close date": "changed_at",
        "rep": "rep_email",
        "owner": "rep_email",
        "sales agent": "rep_email",
        "lost reason": "reason",
        "value": "amount",
        "deal value": "amount",
        "close value": "amount",
    },
)


def _create_missing_leads(context: WriteContext, rows: list[Row]) -> None:
    """Leads named only in a deal export enter the store (found by e-mail or external id)."""
    emails = {r.values["lead_email"] for r in rows if "lead_email" in r.values}
    externals = {r.values["external_id"] for r in rows if "lead_email" not in r.values}
    by_email, by_external = lead_ids(context.conn, emails, externals)
    first_seen: dict[tuple[str, str], Any] = {}
    for row in rows:
        email = row.values.get("lead_email")
        key = ("email", email) if email else ("external_id", row.values["external_id"])
        known = by_email if email else by_external
        if key[1] not in known:
            when = row.values["changed_at"]
            first_seen[key] = min(first_seen.get(key, when), when)
    if not first_seen:
        return
    stamp = context.started
    statement = upsert(context.conn, lead_table).on_conflict_do_nothing()
    context.conn.execute(
        statement,
        [
            {
                "email": value if column == "email" else None,
                "external_id": value if column == "external_id" else None,
                "stage": "prospect",
                "inbound": False,
                "created_at": when,
                "stage_changed_at": when,
                "updated_at": stamp,
            }
            for (column, value), when in first_seen.items()
        ],
    )


def refresh_leads(conn: Connection, lead_ids_: list[int], stamp: Any) -> None:
    """Recompute `from_stage` of imported history rows, then each lead's latest state."""
    h = history_table
    earlier = history_table.alias("earlier")
    previous = (
        select(earlier.c.to_stage)
        .where(
            earlier.c.lead_id == h.c.lead_id,
            or_(
                earlier.c.changed_at < h.c.changed_at,
                and_(earlier.c.changed_at == h.c.changed_at, earlier.c.id < h.c.id),
            ),
        )
        .order_by(earlier.c.changed_at.desc(), earlier.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    lead = lead_table
    latest = h.alias("latest")

    def newest(column: str, *, non_null: bool = False) -> Any:
        query = select(latest.c[column]).where(latest.c.lead_id == lead.c.id)
        if non_null:
            query = query.where(latest.c[column].is_not(None))
        return (
            query.order_by(latest.c.changed_at.desc(), latest.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    for part in chunks(lead_ids_):
        conn.execute(
            h.update()
            .where(h.c.lead_id.in_(part), h.c.origin == "import")
            .values(from_stage=previous)
        )
        conn.execute(
            lead.update()
            .where(lead.c.id.in_(part))
            .values(
                stage=newest("to_stage"),
                stage_changed_at=newest("changed_at"),
                amount=func.coalesce(newest("amount", non_null=True), lead.c.amount),
                owner_id=func.coalesce(newest("owner_id", non_null=True), lead.c.owner_id),
                updated_at=bindparam("stamp", stamp, type_=lead.c.updated_at.type),
            )
        )


def write_pipeline(context: WriteContext, rows: list[Row]) -> BatchResult:
    result = BatchResult()
    _create_missing_leads(context, rows)
    rows = resolve_rep(context, resolve_leads(context, rows, result), result)
    records = []
    for row in rows:
        values = row.values
        if "rep_id" in values:
            values["owner_id"] = values["rep_id"]
        records.append({k: v for k, v in values.items() if k in history_table.c})
    diff = upsert_by_key(
        context.conn,
        history_table,
        ["lead_id", "changed_at", "to_stage"],
        records,
        defaults={"origin": "import", "forced": False},
    )
    touched = sorted({row["lead_id"] for row in diff.new + diff.changed})
    if touched:
        refresh_leads(context.conn, touched, context.started)
        refresh_stays(context.conn, touched)
    result.inserted, result.updated, result.unchanged = (
        len(diff.new),
        len(diff.changed),
        diff.unchanged,
    )
    return result


PIPELINE = Importer(
    name="pipeline",
    spec=PIPELINE_SPEC,
    model=StageRow,
    key=lambda values: (lead_key(values), values["changed_at"], values["to_stage"]),
    write=write_pipeline,
    money=True,
)
