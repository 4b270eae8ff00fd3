"""`abs accounts import` and `abs team import`: upserts keyed by domain and by e-mail."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict

from abs_cli.crm.team import RepIn
from abs_cli.imports.engine import BatchResult, Importer, Row, WriteContext
from abs_cli.imports.headers import ColumnSpec
from abs_cli.imports.resolve import account_table, rep_table, reps
from abs_cli.imports.upsert import upsert_by_key
from abs_cli.imports.values import Count, Country, Domain, Text, choice
from abs_cli.store.marks import mark_owners

Tier = Annotated[str, choice(("1", "2", "3"))]


class AccountRow(BaseModel):
    """One row of an accounts file (docs/domain.md §4)."""

    model_config = ConfigDict(extra="forbid")

    domain: Domain
    name: Annotated[str, Text(200)] | None = None
    industry: Annotated[str, Text(120)] | None = None
    employees: Count | None = None
    country: Country | None = None
    target_tier: Tier | None = None
    owner: Annotated[str, Text(254)] | None = None


ACCOUNT_SPEC = ColumnSpec(
    columns=tuple(AccountRow.model_fields),
    required=(("domain",),),
    aliases={
        "website": "domain",
        "company domain": "domain",
        "company domain name": "domain",
        "account": "name",
        "account name": "name",
        "company": "name",
        "company name": "name",
        "sector": "industry",
        "number of employees": "employees",
        "headcount": "employees",
        "tier": "target_tier",
        "abm tier": "target_tier",
        "account owner": "owner",
        "office location": "country",
    },
)


def write_accounts(context: WriteContext, rows: list[Row]) -> BatchResult:
    result = BatchResult()
    records: list[dict[str, Any]] = []
    for row in rows:
        record = {k: v for k, v in row.values.items() if k != "owner"}
        if "target_tier" in record:
            record["target_tier"] = int(record["target_tier"])
        if "owner" in row.values:
            try:
                record["owner_id"] = reps(context).find(row.values["owner"], "owner")
            except ValueError as error:
                result.rejects.append((row, str(error)))
                continue
        records.append(record)
    stamp = context.started
    diff = upsert_by_key(
        context.conn,
        account_table,
        ["domain"],
        records,
        stamps={"created_at": stamp, "updated_at": stamp},
    )
    result.inserted, result.updated, result.unchanged = (
        len(diff.new),
        len(diff.changed),
        diff.unchanged,
    )
    owned = [record["domain"] for record in diff.changed if "owner_id" in record]
    if owned:
        mark_owners(context.conn, owned)
    return result


ACCOUNTS = Importer(
    name="accounts",
    spec=ACCOUNT_SPEC,
    model=AccountRow,
    key=lambda values: values["domain"],
    write=write_accounts,
    custom="account",
)

TEAM_SPEC = ColumnSpec(
    columns=tuple(RepIn.model_fields),
    required=(("email",), ("role",)),
    aliases={
        "e-mail": "email",
        "rep": "email",
        "rep email": "email",
        "full name": "name",
        "sales agent": "name",
        "territories": "territory",
        "countries": "territory",
        "max open leads": "capacity",
        "is active": "active",
        "enabled": "active",
        "started": "started_at",
        "start date": "started_at",
        "hire date": "started_at",
    },
)


def write_team(context: WriteContext, rows: list[Row]) -> BatchResult:
    stamp = context.started
    diff = upsert_by_key(
        context.conn,
        rep_table,
        ["email"],
        [row.values for row in rows],
        defaults={"active": True},
        stamps={"created_at": stamp, "updated_at": stamp},
    )
    context.cache.pop("reps", None)
    return BatchResult(len(diff.new), len(diff.changed), diff.unchanged)


TEAM = Importer(
    name="team",
    spec=TEAM_SPEC,
    model=RepIn,
    key=lambda values: values["email"],
    write=write_team,
)
