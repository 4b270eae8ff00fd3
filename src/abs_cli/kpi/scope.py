"""`--owner`, `--role`, `--source`: which leads and accounts a report looks at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from abs_cli.errors import UsageError
from abs_cli.store import tables

# Column handles of the store's tables, named like their models.
Account, Lead, Rep = tables.account.c, tables.lead.c, tables.rep.c


@dataclass(frozen=True)
class Scope:
    """A filter on lead owners (a rep, or the reps of a role) and lead sources.

    Lead-based metrics (pipeline, speed-to-lead, campaigns) keep the matching leads;
    account-based ones (revenue, tickets, NPS) keep accounts owned by the matching reps
    (a source filter does not apply to accounts). Activities keep the matching reps.
    """

    owner_id: int | None = None
    owner: str | None = None
    role: str | None = None
    source: str | None = None

    @property
    def is_all(self) -> bool:
        return self.owner_id is None and self.role is None and self.source is None

    def to_json(self) -> dict[str, str | None]:
        return {"owner": self.owner, "role": self.role, "source": self.source}

    def reps(self) -> Select[Any] | None:
        if self.owner_id is not None:
            return select(Rep.id).where(Rep.id == self.owner_id)
        if self.role is not None:
            return select(Rep.id).where(Rep.role == self.role)
        return None

    def leads(self) -> Select[Any] | None:
        if self.is_all:
            return None
        query = select(Lead.id)
        reps = self.reps()
        if reps is not None:
            query = query.where(Lead.owner_id.in_(reps))
        if self.source is not None:
            query = query.where(func.lower(Lead.source) == self.source)
        return query

    def accounts(self) -> Select[Any] | None:
        reps = self.reps()
        return None if reps is None else select(Account.id).where(Account.owner_id.in_(reps))


def make_scope(session: Session, owner: str | None, role: str | None, source: str | None) -> Scope:
    """Resolve the command-line filters (one of them at most) into a `Scope`."""
    given = [
        name
        for name, value in (("--owner", owner), ("--role", role), ("--source", source))
        if value is not None
    ]
    if len(given) > 1:
        raise UsageError(
            f"{given[0]} and {given[1]} cannot be combined", hint="filter by one of them"
        )
    if owner is not None:
        from abs_cli.crm.team import find_rep

        rep = find_rep(session, owner)
        return Scope(owner_id=rep.id, owner=rep.email)
    if role is not None:
        from abs_cli.crm.team import parse_role

        try:
            return Scope(role=parse_role(role))
        except ValueError as error:
            raise UsageError(str(error)) from None
    if source is not None:
        return Scope(source=source.strip().lower())
    return Scope()
