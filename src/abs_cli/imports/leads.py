"""`abs leads import`: people, their account, source, owner and stage.

A new lead enters the line with a stage-history row at its `created_at` (step 1, or the
file's `stage`); an existing lead whose file stage differs moves there, recorded as a
forced change by the import.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam

from abs_cli.imports.engine import BatchResult, Importer, Row, WriteContext
from abs_cli.imports.fastpath import execute_many
from abs_cli.imports.lead_fields import LEAD_SPEC, STORED_FIELDS, LeadRow, account_domain, lead_key
from abs_cli.imports.resolve import ensure_accounts, fetch_leads, lead_ids, lead_table, reps
from abs_cli.imports.values import (
    is_inbound,
)
from abs_cli.store import tables
from abs_cli.store.marks import mark_leads
from abs_cli.store.stays import refresh_stays

history_table = tables.stage_history


def write_leads(context: WriteContext, rows: list[Row]) -> BatchResult:
    """Upsert a batch of leads with their accounts, owners and stage history."""
    conn, stamp = context.conn, context.started
    result = BatchResult()
    emails = [row.values["email"] for row in rows if "email" in row.values]
    external_ids = [row.values["external_id"] for row in rows if "external_id" in row.values]
    stored = fetch_leads(conn, emails, external_ids)
    by_email = {lead["email"]: lead for lead in stored if lead["email"]}
    by_external = {lead["external_id"]: lead for lead in stored if lead["external_id"]}
    domains: dict[str, str | None] = {}
    row_domains = [account_domain(row.values) for row in rows]
    for row, domain in zip(rows, row_domains, strict=True):
        if domain is not None and domains.get(domain) is None:
            domains[domain] = row.values.get("company")
    accounts = ensure_accounts(context, domains, stamp) if domains else {}
    team = reps(context) if any("owner" in row.values for row in rows) else None

    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    new_external: set[str] = set()
    for row, domain in zip(rows, row_domains, strict=True):
        values = row.values
        record = {name: values[name] for name in STORED_FIELDS if name in values}
        if team is not None and "owner" in values:
            try:
                record["owner_id"] = team.find(values["owner"], "owner")
            except ValueError as error:
                result.rejects.append((row, str(error)))
                continue
        if domain is not None:
            record["account_id"] = accounts[domain]
        if "source" in values:
            record["inbound"] = is_inbound(values["source"])
        external_id = values.get("external_id")
        before = by_email.get(values["email"]) if "email" in values else None
        owner_of_external = by_external.get(external_id) if external_id else None
        if before is None:
            before = owner_of_external
        elif owner_of_external is not None and owner_of_external["id"] != before["id"]:
            result.rejects.append((row, f"external_id {external_id!r} belongs to another lead"))
            continue
        if before is None:
            if external_id is not None and external_id in new_external:
                result.rejects.append(
                    (row, f"external_id {external_id!r} is given to two e-mails in the file")
                )
                continue
            if external_id is not None:
                new_external.add(external_id)
            created = record.get("created_at") or stamp
            new.append(
                {
                    "inbound": False,
                    **record,
                    "stage": record.get("stage") or "prospect",
                    "created_at": created,
                    "stage_changed_at": created,
                    "updated_at": stamp,
                }
            )
            continue
        if all(before[name] == value for name, value in record.items()):
            result.unchanged += 1
            continue
        merged = {**before, **record, "updated_at": stamp}
        if record.get("stage") not in (None, before["stage"]):
            merged["stage_changed_at"] = stamp
            moves.append(_history(before["id"], before["stage"], record["stage"], stamp, merged))
            moves[-1]["forced"] = True
        changed.append(merged)

    if changed:
        mark_leads(conn, [row["id"] for row in changed])  # their creation months before
        statement = lead_table.update().where(lead_table.c.id == bindparam("lead_id"))
        columns = [
            *STORED_FIELDS,
            "account_id",
            "owner_id",
            "inbound",
            "stage_changed_at",
            "updated_at",
        ]
        conn.execute(
            statement,
            [{"lead_id": row["id"], **{c: row[c] for c in columns}} for row in changed],
        )
    if new:
        columns = sorted(set().union(*new))  # columns no new lead fills stay NULL
        execute_many(conn, lead_table, columns, new, conflict=None)
        by_email_id, by_external_id = lead_ids(
            conn,
            [row["email"] for row in new if row.get("email")],
            [row["external_id"] for row in new if not row.get("email")],
        )
        for lead in new:
            lead_id = (
                by_email_id.get(lead["email"])
                if lead.get("email")
                else by_external_id.get(lead["external_id"])
            )
            if lead_id is not None:
                moves.append(_history(lead_id, None, lead["stage"], lead["stage_changed_at"], lead))
    if moves:
        execute_many(
            conn,
            history_table,
            list(moves[0]),
            moves,
            conflict=["lead_id", "changed_at", "to_stage"],
        )
    # A lead's first stay starts at its creation: an updated lead may have moved it.
    touched = [row["lead_id"] for row in moves] + [row["id"] for row in changed]
    refresh_stays(conn, touched)
    mark_leads(conn, touched)
    result.inserted = len(new)
    result.updated = len(changed)
    return result


def _history(
    lead_id: int, from_stage: str | None, to_stage: str, when: datetime, lead: dict[str, Any]
) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "from_stage": from_stage,
        "to_stage": to_stage,
        "changed_at": when,
        "rep_id": None,
        "owner_id": lead.get("owner_id"),
        "reason": None,
        "amount": None,
        "forced": False,
        "origin": "import",
    }


def bulk_leads(context: WriteContext, *args: Any) -> Any:
    """The set-based SQLite writer of `abs leads import` (see `imports/bulk.py`)."""
    from abs_cli.imports.bulk import LeadBulkWriter

    return LeadBulkWriter(context, *args)


LEADS = Importer(
    name="leads",
    spec=LEAD_SPEC,
    model=LeadRow,
    key=lead_key,
    write=write_leads,
    custom="lead",
    bulk=bulk_leads,
)
