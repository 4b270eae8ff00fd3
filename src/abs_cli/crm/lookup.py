"""Finding leads and reps by the keys users type: an e-mail (any case), an external id, a name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from abs_cli.domain import lead_label
from abs_cli.errors import NotFoundError
from abs_cli.store import tables
from abs_cli.store.sql import match_any

LEAD = tables.lead
REP = tables.rep
__all__ = [
    "RepRef",
    "find_lead_id",
    "find_rep_ref",
    "lead_label",
    "not_found_message",
    "resolve_leads",
]


def resolve_leads(
    session: Session, keys: Sequence[str], columns: Sequence[Any], *, lock: bool = False
) -> dict[str, Any]:
    """Map each key to its lead row (the given columns plus `email` and `external_id`).

    An e-mail match wins over an external-id match; unknown keys are absent from the
    result. `lock` takes row locks (PostgreSQL `FOR UPDATE`, in id order).
    """
    stripped = {key.strip() for key in keys if key.strip()}
    emails = {key.lower() for key in stripped if "@" in key}
    by_email = _fetch(session, LEAD.c.email, emails, columns, lock)
    # Only keys that matched no e-mail are looked up as external ids.
    others = {key for key in stripped if key.lower() not in by_email}
    by_external = _fetch(session, LEAD.c.external_id, others, columns, lock)
    found: dict[str, Any] = {}
    for key in keys:
        text = key.strip()
        row = by_email.get(text.lower()) or by_external.get(text)
        if row is not None:
            found[key] = row
    return found


def _fetch(
    session: Session, key: Any, values: set[str], columns: Sequence[Any], lock: bool
) -> dict[str, Any]:
    if not values:
        return {}
    match = match_any(session, key, values)
    query = select(*columns, LEAD.c.email, LEAD.c.external_id).where(match).order_by(LEAD.c.id)
    if lock:
        query = query.with_for_update()
    return {getattr(row, key.name): row for row in session.execute(query)}


def find_lead_id(session: Session, key: str) -> int:
    """The id of the lead with this e-mail or external id, or `NotFoundError`."""
    found = resolve_leads(session, [key], [LEAD.c.id])
    if key not in found:
        raise NotFoundError(not_found_message(key), hint="see `abs leads list`")
    lead_id: int = found[key].id
    return lead_id


def not_found_message(key: str) -> str:
    return f"no lead with e-mail or external id {key.strip()!r}"


@dataclass(frozen=True)
class RepRef:
    """A rep as commands that only point at one need it: no ORM object to build."""

    id: int
    email: str


def find_rep_ref(session: Session, key: str) -> RepRef:
    """The rep with this e-mail (any case) or exact name (docs/domain.md §4), or `NotFoundError`."""
    text = key.strip()
    match = or_(REP.c.email == text.lower(), REP.c.name == text)
    row = session.execute(select(REP.c.id, REP.c.email).where(match).order_by(REP.c.id)).first()
    if row is None:
        raise NotFoundError(f"no rep {key!r} on the team", hint="see `abs team list`")
    return RepRef(row.id, row.email)
