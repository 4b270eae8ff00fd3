"""Finding leads by the keys users type: an e-mail (any case) or an external id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from abs_cli.domain import lead_label
from abs_cli.errors import NotFoundError
from abs_cli.store.models import Lead

LEAD = Lead.__table__
__all__ = ["find_lead_id", "lead_label", "not_found_message", "resolve_leads"]


def resolve_leads(
    session: Session, keys: Sequence[str], columns: Sequence[Any], *, lock: bool = False
) -> dict[str, Any]:
    """Map each key to its lead row (the given columns plus `email` and `external_id`).

    An e-mail match wins over an external-id match; unknown keys are absent from the
    result. `lock` takes row locks (PostgreSQL `FOR UPDATE`, in id order).
    """
    stripped = {key.strip() for key in keys if key.strip()}
    emails = {key.lower() for key in stripped}
    query = (
        select(*columns, LEAD.c.email, LEAD.c.external_id)
        .where(or_(LEAD.c.email.in_(emails), LEAD.c.external_id.in_(stripped)))
        .order_by(LEAD.c.id)
    )
    if lock:
        query = query.with_for_update()
    by_email: dict[str, Any] = {}
    by_external: dict[str, Any] = {}
    for row in session.execute(query):
        if row.email is not None:
            by_email[row.email] = row
        if row.external_id is not None:
            by_external[row.external_id] = row
    found: dict[str, Any] = {}
    for key in keys:
        text = key.strip()
        row = by_email.get(text.lower()) or by_external.get(text)
        if row is not None:
            found[key] = row
    return found


def find_lead_id(session: Session, key: str) -> int:
    """The id of the lead with this e-mail or external id, or `NotFoundError`."""
    found = resolve_leads(session, [key], [LEAD.c.id])
    if key not in found:
        raise NotFoundError(not_found_message(key), hint="see `abs leads list`")
    return found[key].id


def not_found_message(key: str) -> str:
    return f"no lead with e-mail or external id {key.strip()!r}"
