"""`abs leads merge KEEP DROP`: two records of one person become one.

Everything DROP carries moves to KEEP — its stage history, activities, campaign
memberships, custom field values, NPS answers, routing log, erasure log and score (when
KEEP has none) —
then DROP is deleted and KEEP takes DROP's values for the fields it leaves empty (and
the earlier creation date). Rows KEEP already has (the same activity at the same
moment, the same history row) are not doubled: DROP's copy is dropped.

The merge is one recorded change set, so `abs leads unmerge MERGE` puts both leads back
exactly as they were (`abs_cli.imports.revert`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, exists, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from abs_cli.crm.lookup import find_lead_id
from abs_cli.errors import UsageError
from abs_cli.imports.log import Counts, recorded_change
from abs_cli.store import tables
from abs_cli.store.engine import Store
from abs_cli.store.marks import mark_leads, mark_stays
from abs_cli.store.stays import refresh_stays
from abs_cli.values import now

FILLED = (
    "first_name",
    "last_name",
    "title",
    "phone",
    "company",
    "account_id",
    "industry",
    "employees",
    "country",
    "source",
    "campaign",
    "referrer",
    "consent",
    "owner_id",
    "amount",
    "buying_role",
)
"""Fields KEEP takes from DROP where its own are empty."""

UNIQUE_PER_LEAD: dict[str, tuple[str, ...]] = {
    "stage_history": ("changed_at", "to_stage"),
    "activity": ("type", "occurred_at"),
    "campaign_member": ("campaign",),
    "lead_field_value": ("field_id",),
}
"""Child tables whose rows are unique per lead: DROP's copy of a row KEEP has goes."""
MOVED = ("nps_response", "assignment_log", "erasure_log")


@dataclass(frozen=True)
class MergeResult:
    change_id: int
    keep_id: int
    drop_id: int
    moved: dict[str, int]

    def document(self) -> dict[str, Any]:
        return {
            "merge_id": self.change_id,
            "kept": self.keep_id,
            "dropped": self.drop_id,
            "moved": self.moved,
        }


def merge_leads(store: Store, keep: str, drop: str, actor: str | None = None) -> MergeResult:
    """Merge lead `drop` into lead `keep` (each an e-mail or external id), recorded.

    Raises:
        NotFoundError: either lead does not exist.
        UsageError: both name the same lead.
    """
    subject = f"{keep.strip()} <- {drop.strip()}"
    with recorded_change(store, "merge", subject, None, actor) as change:
        connection = change.connection
        session = Session(bind=connection)
        keep_id, drop_id = find_lead_id(session, keep), find_lead_id(session, drop)
        if keep_id == drop_id:
            raise UsageError(f"{keep.strip()!r} and {drop.strip()!r} are the same lead")
        both = [keep_id, drop_id]
        mark_stays(connection, both)  # the months of their stays before the merge
        mark_leads(connection, both)
        moved = _move_children(connection, keep_id, drop_id)
        _absorb(connection, keep_id, drop_id)
        refresh_stays(connection, [keep_id])
        mark_leads(connection, [keep_id])
        change.counts = Counts(read=2, updated=1)
        return MergeResult(change.id, keep_id, drop_id, moved)


def _child(name: str) -> Table:
    return tables.lead.metadata.tables[name]


def _move_children(connection: Connection, keep_id: int, drop_id: int) -> dict[str, int]:
    moved: dict[str, int] = {}
    for name, unique in UNIQUE_PER_LEAD.items():
        table = _child(name)
        kept = table.alias("kept")
        clash = exists().where(
            kept.c.lead_id == keep_id, *(kept.c[column] == table.c[column] for column in unique)
        )
        result = connection.execute(
            update(table).where(table.c.lead_id == drop_id, ~clash).values(lead_id=keep_id)
        )
        moved[name] = result.rowcount
        connection.execute(delete(table).where(table.c.lead_id == drop_id))
    for name in MOVED:
        table = _child(name)
        result = connection.execute(
            update(table).where(table.c.lead_id == drop_id).values(lead_id=keep_id)
        )
        moved[name] = result.rowcount
    score = tables.lead_score
    has_score = exists().where(score.c.lead_id == keep_id)
    result = connection.execute(
        update(score).where(score.c.lead_id == drop_id, ~has_score).values(lead_id=keep_id)
    )
    moved["lead_score"] = result.rowcount
    connection.execute(delete(score).where(score.c.lead_id == drop_id))
    stay = tables.stage_stay
    connection.execute(delete(stay).where(stay.c.lead_id == drop_id))
    return moved


def _absorb(connection: Connection, keep_id: int, drop_id: int) -> None:
    """Delete DROP, then fill KEEP's empty fields (and its external id, freed by the
    deletion) from DROP's values and take the earlier creation."""
    lead = tables.lead
    dropped = connection.execute(select(lead).where(lead.c.id == drop_id)).mappings().one()
    kept = connection.execute(select(lead).where(lead.c.id == keep_id)).mappings().one()
    connection.execute(delete(lead).where(lead.c.id == drop_id))
    values = {
        name: dropped[name]
        for name in (*FILLED, "external_id")
        if kept[name] is None and dropped[name] is not None
    }
    if "source" in values:
        values["inbound"] = dropped["inbound"]
    if dropped["created_at"] < kept["created_at"]:
        values["created_at"] = dropped["created_at"]
    values["updated_at"] = now()
    connection.execute(update(lead).where(lead.c.id == keep_id).values(**values))
