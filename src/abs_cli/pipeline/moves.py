"""Moving leads along the seven steps: rules, gates, handoffs and the append-only history.

Forward one step at a time is normal; skipping, moving back or reopening a closed lead
needs `force` and a reason, both recorded. Gates (from the workflow configuration)
guard entering a step; `force` overrides them (both live in `gates.py`). Entering a step
whose owner role differs from the current owner's hands the lead on (step 3 → an AE,
step 7 → a CS).

Many leads are moved chunk by chunk, each chunk set-based in one short transaction:
one query loads the chunk's leads, two more fetch what the gates need, the rules run in
Python over plain rows, and the history, lead updates and assignments are written with
one bulk statement each (`abs_cli.store.sql`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from sqlalchemy import BigInteger, Select, String, select, type_coerce
from sqlalchemy.orm import Session
from sqlmodel import col

from abs_cli.crm.lookup import find_lead_id, lead_label, not_found_message, resolve_leads
from abs_cli.domain import (
    EXIT_STAGES,
    STAGE_OWNER_ROLE,
    STAGES,
    STEP_OF,
    TOUCH_TYPES,
)
from abs_cli.errors import InputError
from abs_cli.pipeline.config import WorkflowConfig
from abs_cli.pipeline.gates import GateChecks, Refused, kind_of_move
from abs_cli.pipeline.routing import Router, lead_role
from abs_cli.store import tables
from abs_cli.store.engine import Store
from abs_cli.store.models import Activity, Rep, StageHistory
from abs_cli.store.sql import db_value, insert_rows, update_rows
from abs_cli.store.stays import refresh_stays
from abs_cli.values import iso

LEAD = tables.lead
HISTORY = tables.stage_history
CHUNK = 5_000
REASON_MAX = 500

HISTORY_FIELDS = (
    ("lead_id", "int"),
    ("from_stage", "text"),
    ("to_stage", "text"),
    ("changed_at", "timestamp"),
    ("rep_id", "int"),
    ("owner_id", "int"),
    ("reason", "text"),
    ("amount", "bigint"),
    ("forced", "boolean"),
    ("origin", "text"),
)
LEAD_MOVE_FIELDS = (
    ("stage", "text"),
    ("stage_changed_at", "timestamp"),
    ("amount", "bigint"),
    ("owner_id", "int"),
    ("updated_at", "timestamp"),
)
MOVED, REFUSED, NOT_FOUND, WOULD_MOVE = "moved", "refused", "not found", "would move"
_COLUMNS = (
    LEAD.c.id,
    LEAD.c.stage,
    type_coerce(LEAD.c.stage_changed_at, String).label("entered_raw"),
    type_coerce(LEAD.c.amount, BigInteger).label("cents"),
    LEAD.c.owner_id,
    LEAD.c.source,
    LEAD.c.inbound,
    LEAD.c.country,
)


@dataclass(frozen=True)
class Move:
    """What to do with each lead of a command.

    Attributes:
        to: the target stage, or None for the next step.
        at: when the change happened (default: now).
        rep_id: the acting rep, credited on the history row.
    """

    to: str | None = None
    reason: str | None = None
    amount: Decimal | None = None
    at: datetime | None = None
    force: bool = False
    dry_run: bool = False
    rep_id: int | None = None
    origin: str = "cli"


@dataclass(frozen=True, slots=True)
class MoveResult:
    """The outcome for one lead, as one line of output."""

    lead: str
    status: str
    from_stage: str | None = None
    to_stage: str | None = None
    owner: str | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in (MOVED, WOULD_MOVE)

    def as_row(self) -> dict[str, Any]:
        return {
            "lead": self.lead,
            "status": self.status,
            "from_stage": self.from_stage,
            "to_stage": self.to_stage,
            "owner": self.owner,
            "message": self.message,
        }


def advance(
    store: Store,
    keys: Iterable[str],
    move: Move,
    config: WorkflowConfig,
    *,
    now: datetime,
    chunk_size: int = CHUNK,
) -> Iterator[MoveResult]:
    """Move every lead named by `keys`, one short transaction per chunk.

    Yields one result per key, in input order. A lead named twice is moved once.
    """
    _check_move_options(move)
    move = replace(move, at=move.at or now)
    seen: set[int] = set()
    iterator = iter(keys)
    while chunk := list(islice(iterator, chunk_size)):
        with store.session(write=not move.dry_run) as session:
            results = move_chunk(session, chunk, move, config, now=now, seen=seen)
        yield from results


def move_chunk(
    session: Session,
    keys: Sequence[str],
    move: Move,
    config: WorkflowConfig,
    *,
    now: datetime,
    seen: set[int] | None = None,
) -> list[MoveResult]:
    """Apply `move` to the leads named by `keys` within the caller's transaction."""
    at = move.at or now
    seen = set() if seen is None else seen
    _check_move_options(move)
    router = Router(session, config, now, lock=not move.dry_run)
    rows = resolve_leads(session, keys, _COLUMNS, lock=not move.dry_run)
    dialect = session.get_bind().dialect
    clock = _StoredTime(dialect, at)
    plans: list[tuple[str, Any, str] | MoveResult] = []
    for key in keys:
        row = rows.get(key)
        if row is None:
            plans.append(MoveResult(key.strip(), NOT_FOUND, message=not_found_message(key)))
            continue
        label = lead_label(row.email, row.external_id, row.id)
        if row.id in seen:
            plans.append(MoveResult(label, REFUSED, row.stage, message="listed more than once"))
            continue
        seen.add(row.id)
        try:
            target = _target(row, move, clock)
        except Refused as refusal:
            plans.append(MoveResult(label, REFUSED, row.stage, message=str(refusal)))
            continue
        plans.append((label, row, target))
    targets = [] if move.force else [(p[1].id, p[2]) for p in plans if isinstance(p, tuple)]
    checks = GateChecks.load(session, config, targets, at)
    roles = {rep.id: rep.role for rep in router.reps.values()}
    emails = {rep.id: rep.email for rep in router.reps.values()}
    at_db = clock.stored
    new_cents = db_value(LEAD.c.amount, move.amount, dialect)
    history: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    results: list[MoveResult] = []
    for plan in plans:
        if isinstance(plan, MoveResult):
            results.append(plan)
            continue
        label, row, target = plan
        try:
            cents = new_cents if new_cents is not None else row.cents
            if not move.force:
                checks.check(row, target, cents)
        except Refused as refusal:
            results.append(MoveResult(label, REFUSED, row.stage, target, message=str(refusal)))
            continue
        owner, note = row.owner_id, ""
        if target in STAGES and roles.get(owner) not in STAGE_OWNER_ROLE[target]:
            role = lead_role(target, row.source, bool(row.inbound), config)
            router.release(owner)
            assignment = router.route(row.id, role, row.country) if role else None
            owner = assignment.rep_id if assignment else None
            if assignment is not None:
                note = (
                    f"handed to {assignment.rep_email} ({role}, {assignment.rule})"
                    if owner is not None
                    else f"unassigned: {assignment.rule}"
                )
        elif target in EXIT_STAGES:
            router.release(owner)
        history.append(
            (
                row.id,
                row.stage,
                target,
                at_db,
                move.rep_id,
                owner,
                move.reason,
                cents,
                move.force,
                move.origin,
            )
        )
        updates.append((target, at_db, cents, owner, at_db, row.id))
        status = WOULD_MOVE if move.dry_run else MOVED
        results.append(MoveResult(label, status, row.stage, target, emails.get(owner), note))
    if history and not move.dry_run:
        insert_rows(session, "stage_history", HISTORY_FIELDS, history)
        refresh_stays(session, [row[0] for row in history])
        update_rows(session, "lead", ("id", "int"), LEAD_MOVE_FIELDS, updates)
        router.flush()
    return results


def _check_move_options(move: Move) -> None:
    if move.amount is not None and move.amount < 0:
        raise InputError(f"--amount {move.amount} must not be negative")
    if move.reason is not None and len(move.reason) > REASON_MAX:
        raise InputError(f"--reason is {len(move.reason)} characters long; at most {REASON_MAX}")
    if move.to in EXIT_STAGES and not (move.reason or "").strip():
        raise InputError(f"moving a lead to {move.to} needs --reason")


@dataclass
class _StoredTime:
    """The move's time as the store holds timestamps, to compare with raw column values.

    Comparing in the database's own representation (ISO text on SQLite, naive UTC on
    PostgreSQL, both ordered chronologically) spares parsing every lead's timestamp.
    """

    dialect: Any
    at: datetime

    def __post_init__(self) -> None:
        self.stored = db_value(HISTORY.c.changed_at, self.at, self.dialect)
        kind = HISTORY.c.changed_at.type.dialect_impl(self.dialect)
        self._load: Callable[[Any], Any] = kind.result_processor(self.dialect, None) or (
            lambda value: value
        )

    def before(self, raw: Any) -> bool:
        return bool(self.stored < raw)

    def loaded(self, raw: Any) -> datetime:
        loaded: datetime = self._load(raw)
        return loaded


def _target(row: Any, move: Move, clock: _StoredTime) -> str:
    """The stage this lead moves to, or `Refused` by the transition rules."""
    current = row.stage
    if move.to is None:
        if current in EXIT_STAGES:
            raise Refused(f"the lead is {current}; reopen it with --to STAGE --force --reason")
        if current == STAGES[-1]:
            raise Refused("the lead is a customer, the last step; use `abs pipeline churn`")
        target = STAGES[STEP_OF[current]]
    else:
        target = move.to
    if target == current:
        raise Refused(f"the lead is already at {current}")
    if clock.before(row.entered_raw):
        entered = iso(clock.loaded(row.entered_raw))
        raise Refused(f"--at {iso(clock.at)} is before the lead entered {current} ({entered})")
    kind = kind_of_move(current, target)
    if kind is not None and not move.force:
        raise Refused(f"{kind}; pass --force and --reason to do it anyway")
    if move.force and not (move.reason or "").strip():
        raise Refused("a forced move needs --reason, recorded in the history")
    return target


def history(session: Session, key: str) -> list[dict[str, Any]]:
    """A lead's stage history, oldest first, with the acting rep and the owner after."""
    from sqlalchemy.orm import aliased

    lead_id = find_lead_id(session, key)
    actor, owner = aliased(Rep), aliased(Rep)
    query: Select[*tuple[Any, ...]] = (
        select(
            col(StageHistory.changed_at),
            col(StageHistory.from_stage),
            col(StageHistory.to_stage),
            col(actor.email).label("rep"),
            col(owner.email).label("owner"),
            col(StageHistory.reason),
            col(StageHistory.amount),
            col(StageHistory.forced),
            col(StageHistory.origin),
        )
        .outerjoin(actor, col(actor.id) == col(StageHistory.rep_id))
        .outerjoin(owner, col(owner.id) == col(StageHistory.owner_id))
        .where(col(StageHistory.lead_id) == lead_id)
        .order_by(col(StageHistory.changed_at), col(StageHistory.id))
    )
    return [dict(row._mapping) for row in session.execute(query)]


def ready_to_advance(session: Session, *, now: datetime) -> list[str]:
    """Leads that look ready for their next step: touched prospects, met qualified leads.

    A work list for cron and the demo; the gates still decide when they are moved.
    """

    def having(stage: str, kinds: Sequence[str]) -> Any:
        held = (
            select(col(Activity.id))
            .where(
                col(Activity.lead_id) == LEAD.c.id,
                col(Activity.type).in_(kinds),
                col(Activity.occurred_at) <= now,
            )
            .exists()
        )
        return (LEAD.c.stage == stage) & held

    query = (
        select(LEAD.c.id, LEAD.c.email, LEAD.c.external_id)
        .where(having("prospect", TOUCH_TYPES) | having("qualified", ("meeting",)))
        .where(LEAD.c.email.is_not(None) | LEAD.c.external_id.is_not(None))
        .order_by(LEAD.c.id)
    )
    return [lead_label(row.email, row.external_id, row.id) for row in session.execute(query)]
