"""Checklists per lead: ticking a playbook item (who, when), a lead's checklist, what is left.

Items are the playbook's (`Playbook.items`); a tick is one `checklist_tick` row per lead
and item, removed by `--undo`. Readers fetch the ticks of many leads in one query.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from abs_cli.crm.lookup import find_lead_id, find_rep_ref
from abs_cli.enablement.playbook import ChecklistItem, Playbook
from abs_cli.errors import InputError
from abs_cli.store.tables import checklist_tick as TICK
from abs_cli.store.tables import lead as LEAD
from abs_cli.store.tables import rep as REP


@dataclass(frozen=True)
class TickResult:
    lead: str
    item: ChecklistItem
    changed: bool
    """False when the item already was in the asked state (a repeated tick or undo)."""
    checked_at: datetime | None
    by: str | None


def known_item(playbook: Playbook, item: str) -> ChecklistItem:
    """The playbook's item of that id, or InputError listing the lead's choices."""
    items = playbook.items()
    found = items.get(item.strip().lower())
    if found is None:
        raise InputError(
            f"checklist item {item!r} is not in the playbook",
            hint="`abs playbook show STEP` lists each step's items",
        )
    return found


def tick(
    session: Session,
    playbook: Playbook,
    lead: str,
    item: str,
    *,
    at: datetime,
    rep: str | None = None,
    undo: bool = False,
) -> TickResult:
    """Record that `rep` completed `item` for the lead at `at`, or take the tick back."""
    lead_id = find_lead_id(session, lead)
    chosen = known_item(playbook, item)
    rep_row = find_rep_ref(session, rep) if rep else None
    existing = session.execute(
        select(TICK.c.checked_at, REP.c.email)
        .select_from(TICK.outerjoin(REP, REP.c.id == TICK.c.rep_id))
        .where(TICK.c.lead_id == lead_id, TICK.c.item == chosen.id)
    ).first()
    if undo:
        if existing is None:
            return TickResult(lead.strip(), chosen, False, None, None)
        session.execute(delete(TICK).where(TICK.c.lead_id == lead_id, TICK.c.item == chosen.id))
        return TickResult(lead.strip(), chosen, True, existing.checked_at, existing.email)
    if existing is not None:
        return TickResult(lead.strip(), chosen, False, existing.checked_at, existing.email)
    session.execute(
        insert(TICK).values(
            lead_id=lead_id, item=chosen.id, rep_id=rep_row.id if rep_row else None, checked_at=at
        )
    )
    return TickResult(lead.strip(), chosen, True, at, rep_row.email if rep_row else None)


def ticks_of(
    session: Session, lead_ids: Collection[int], *, at: datetime | None = None
) -> dict[int, dict[str, tuple[datetime, str | None]]]:
    """Each lead's ticked items (item → when, by whom), ticked at or before `at`."""
    if not lead_ids:
        return {}
    query = (
        select(TICK.c.lead_id, TICK.c.item, TICK.c.checked_at, REP.c.email)
        .select_from(TICK.outerjoin(REP, REP.c.id == TICK.c.rep_id))
        .where(TICK.c.lead_id.in_(sorted(lead_ids)))
    )
    if at is not None:
        query = query.where(TICK.c.checked_at <= at)
    found: dict[int, dict[str, tuple[datetime, str | None]]] = {}
    for lead_id, item, checked_at, email in session.execute(query):
        found.setdefault(lead_id, {})[item] = (checked_at, email)
    return found


def lead_checklist(session: Session, playbook: Playbook, lead_id: int) -> list[dict[str, Any]]:
    """The checklist of the lead's current step, each item done or not, by whom and when."""
    stage = session.execute(select(LEAD.c.stage).where(LEAD.c.id == lead_id)).scalar_one()
    done = ticks_of(session, [lead_id]).get(lead_id, {})
    return [
        {
            "item": item.id,
            "label": item.label,
            "stage": item.stage,
            "done": item.id in done,
            "by": done[item.id][1] if item.id in done else None,
            "checked_at": done[item.id][0] if item.id in done else None,
        }
        for item in playbook.checklist_of(stage)
    ]


def next_unchecked(
    session: Session, playbook: Playbook, leads: Iterable[tuple[int, str]]
) -> dict[int, ChecklistItem]:
    """For (lead id, stage) pairs, the first item of the step's checklist not yet ticked."""
    pairs = list(leads)
    done = ticks_of(session, [lead_id for lead_id, _ in pairs])
    found: dict[int, ChecklistItem] = {}
    for lead_id, stage in pairs:
        ticked = done.get(lead_id, {})
        for item in playbook.checklist_of(stage):
            if item.id not in ticked:
                found[lead_id] = item
                break
    return found
