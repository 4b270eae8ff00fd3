"""Routing: which rep gets a lead, by role, strategy, territory, weights and capacity.

New leads go by source (inbound → IR, outbound and referrals → SDR); entering step 3
hands a lead to an AE, entering step 7 to a CS. A `Router` serialises routing across
processes: it first locks the `routing_cursor` rows (SQLite: the `BEGIN IMMEDIATE` write
lock; PostgreSQL: `SELECT … FOR UPDATE`), and only then reads leads and loads, so two
processes never hand out the same lead or the same round-robin turn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from abs_cli.crm.lookup import lead_label
from abs_cli.crm.team import OPEN_STAGES, find_rep
from abs_cli.crm.team import deactivate as deactivate_rep
from abs_cli.domain import EXIT_STAGES, INBOUND_SOURCES, STAGES, STEP_OF
from abs_cli.pipeline.config import ROUTED_ROLES, RoleRouting, WorkflowConfig
from abs_cli.store import tables
from abs_cli.store.models import Rep
from abs_cli.store.sql import db_value, insert_rows, update_rows, upsert

LEAD = tables.lead
CURSOR = tables.routing_cursor
LOG = tables.assignment_log
CHUNK = 5_000


def lead_role(stage: str, source: str | None, inbound: bool, config: WorkflowConfig) -> str | None:
    """The role that owns a lead at `stage`; None for the side exits.

    Steps 1–2 go by source: referrals to an SDR (the loop back from Customer Success),
    inbound sources to an IR, everything else (unknown sources included) to an SDR,
    unless `[routing.sources]` says otherwise.
    """
    if stage in EXIT_STAGES:
        return None
    step = STEP_OF[stage]
    if step == 7:
        return "cs"
    if step >= 3:
        return "ae"
    key = (source or "").strip().lower()
    if key in config.source_roles:
        return config.source_roles[key]
    if key == "referral":
        return "sdr"
    return "ir" if inbound or key in INBOUND_SOURCES else "sdr"


def load_stages(role: str) -> tuple[str, ...]:
    """The stages whose leads count towards a rep's load and capacity."""
    return ("customer",) if role == "cs" else OPEN_STAGES


@dataclass(frozen=True)
class RepInfo:
    id: int
    email: str
    role: str
    active: bool
    territory: frozenset[str]
    capacity: int | None


@dataclass(frozen=True, slots=True)
class Assignment:
    """The outcome of routing one lead: the chosen rep (or none) and the rule that chose."""

    lead_id: int
    role: str | None
    rep_id: int | None
    rep_email: str | None
    rule: str
    lead: str = ""


@dataclass
class _Cursor:
    last_rep_id: int | None
    turns: int
    changed: bool = False


@dataclass
class Router:
    """Routes leads within one transaction; `flush` writes the cursors and the log.

    Create it before reading the leads to route: its constructor takes the routing lock.
    """

    session: Session
    config: WorkflowConfig
    now: datetime
    lock: bool = True
    reps: dict[int, RepInfo] = field(init=False)
    _cursors: dict[str, _Cursor] = field(init=False)
    _loads: dict[str, dict[int, int]] = field(init=False, default_factory=dict)
    _log: list[tuple[int, int | None, str, str]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self._cursors = self._lock_cursors()
        rows = self.session.execute(
            select(
                col(Rep.id),
                col(Rep.email),
                col(Rep.role),
                col(Rep.active),
                col(Rep.territory),
                col(Rep.capacity),
            )
        )
        self.reps = {
            row.id: RepInfo(
                row.id,
                row.email,
                row.role,
                bool(row.active),
                frozenset((row.territory or "").split(";")) - {""},
                row.capacity,
            )
            for row in rows
        }
        self._pools: dict[str, list[RepInfo]] = {}
        for rep in sorted(self.reps.values(), key=lambda rep: rep.id):
            if rep.active:
                self._pools.setdefault(rep.role, []).append(rep)

    def _lock_cursors(self) -> dict[str, _Cursor]:
        query = select(CURSOR.c.role, CURSOR.c.last_rep_id, CURSOR.c.turns).where(
            CURSOR.c.role.in_(ROUTED_ROLES)
        )
        if not self.lock:
            found = {
                row.role: _Cursor(row.last_rep_id, row.turns) for row in self.session.execute(query)
            }
            return {role: found.get(role, _Cursor(None, 0)) for role in ROUTED_ROLES}
        self.session.execute(
            upsert(self.session, CURSOR)
            .values([{"role": role, "last_rep_id": None, "turns": 0} for role in ROUTED_ROLES])
            .on_conflict_do_nothing(index_elements=["role"])
        )
        rows = self.session.execute(query.order_by(CURSOR.c.role).with_for_update())
        return {row.role: _Cursor(row.last_rep_id, row.turns) for row in rows}

    def _role_loads(self, role: str) -> dict[int, int]:
        if role not in self._loads:
            ids = [rep.id for rep in self.reps.values() if rep.role == role]
            counts = self.session.execute(
                select(LEAD.c.owner_id, func.count())
                .where(LEAD.c.owner_id.in_(ids), LEAD.c.stage.in_(load_stages(role)))
                .group_by(LEAD.c.owner_id)
            )
            self._loads[role] = dict.fromkeys(ids, 0) | {owner: n for owner, n in counts}
        return self._loads[role]

    def release(self, rep_id: int | None) -> None:
        """A lead left `rep_id`'s load (handed on, closed, reassigned)."""
        if rep_id is None or rep_id not in self.reps:
            return
        loads = self._loads.get(self.reps[rep_id].role)
        if loads is not None and loads.get(rep_id, 0) > 0:
            loads[rep_id] -= 1

    def route(self, lead_id: int, role: str, country: str | None, lead: str = "") -> Assignment:
        """Choose a rep of `role` for one lead, and remember it for the log."""
        settings = self.config.routing_for(role)
        pool, strategy, label = self._narrow(
            self._pools.get(role, []), settings, (country or "").upper()
        )
        rep = None
        if strategy != "none":
            eligible = self._under_capacity(pool, role, settings)
            if eligible:
                rep, detail = self._choose(eligible, role, strategy, settings)
                label = f"{label}: {detail}" if label else detail
            else:
                label = f"{label}: " if label else ""
                label += f"no active {role} rep with free capacity"
        assignment = Assignment(
            lead_id, role, rep.id if rep else None, rep.email if rep else None, label, lead
        )
        if rep is not None:
            loads = self._loads.get(role)
            if loads is not None:
                loads[rep.id] = loads.get(rep.id, 0) + 1
        self._log.append((lead_id, assignment.rep_id, role, assignment.rule[:200]))
        return assignment

    def _narrow(
        self, pool: list[RepInfo], settings: RoleRouting, country: str
    ) -> tuple[list[RepInfo], str, str]:
        """Apply territory rules: the pool, the strategy to use within it, and a label."""
        if settings.strategy != "territory":
            return pool, settings.strategy, ""
        within = "least_loaded" if settings.fallback == "least_loaded" else "round_robin"
        for rule in settings.territories:
            if country in rule.countries:
                emails = set(rule.reps)
                return [rep for rep in pool if rep.email in emails], within, rule.label
        if not settings.territories:
            covering = [rep for rep in pool if country and country in rep.territory]
            if covering:
                return covering, within, f"rep territory {country}"
        reason = f"no territory rule for {country or 'an unknown country'}"
        if settings.fallback == "none":
            return [], "none", f"{reason}, fallback none"
        return pool, settings.fallback, f"{reason}, fallback"

    def _under_capacity(
        self, pool: list[RepInfo], role: str, settings: RoleRouting
    ) -> list[RepInfo]:
        caps = {
            rep.id: rep.capacity if rep.capacity is not None else settings.capacity for rep in pool
        }
        if all(cap is None for cap in caps.values()):
            return pool
        loads = self._role_loads(role)
        return [rep for rep in pool if (cap := caps[rep.id]) is None or loads.get(rep.id, 0) < cap]

    def _choose(
        self, eligible: Sequence[RepInfo], role: str, strategy: str, settings: RoleRouting
    ) -> tuple[RepInfo, str]:
        def weight(rep: RepInfo) -> int:
            return settings.weights.get(rep.email, 1)

        if strategy == "least_loaded":
            loads = self._role_loads(role)
            rep = min(eligible, key=lambda r: (loads.get(r.id, 0) / weight(r), r.id))
            return rep, f"least_loaded ({loads.get(rep.id, 0)} open)"
        cursor = self._cursors[role]
        current = next((rep for rep in eligible if rep.id == cursor.last_rep_id), None)
        if current is not None and cursor.turns < weight(current):
            cursor.turns += 1
            rep = current
        else:
            after = [
                rep for rep in eligible if cursor.last_rep_id is None or rep.id > cursor.last_rep_id
            ]
            rep = after[0] if after else eligible[0]
            cursor.last_rep_id, cursor.turns = rep.id, 1
        cursor.changed = True
        detail = "round_robin" if weight(rep) == 1 else f"round_robin (weight {weight(rep)})"
        return rep, detail

    def flush(self) -> None:
        """Write the moved cursors and the assignment log."""
        changed = [
            {"b_role": role, "b_last": cursor.last_rep_id, "b_turns": cursor.turns}
            for role, cursor in self._cursors.items()
            if cursor.changed
        ]
        if changed:
            self.session.execute(
                update(CURSOR)
                .where(CURSOR.c.role == bindparam("b_role"))
                .values(last_rep_id=bindparam("b_last"), turns=bindparam("b_turns")),
                changed,
            )
        if self._log:
            at = db_value(LOG.c.assigned_at, self.now, self.session.get_bind().dialect)
            insert_rows(
                self.session,
                "assignment_log",
                (
                    ("lead_id", "int"),
                    ("rep_id", "int"),
                    ("role", "text"),
                    ("rule", "text"),
                    ("assigned_at", "timestamp"),
                ),
                [(*entry, at) for entry in self._log],
            )
        self._log = []


def set_owners(session: Session, owners: Iterable[tuple[int, int | None]], now: datetime) -> None:
    """Write lead owners in one statement: (lead id, rep id or None) pairs."""
    at = db_value(LEAD.c.updated_at, now, session.get_bind().dialect)
    update_rows(
        session,
        "lead",
        ("id", "int"),
        (("owner_id", "int"), ("updated_at", "timestamp")),
        [(owner, at, lead_id) for lead_id, owner in owners],
    )


def assign_leads(
    session: Session,
    config: WorkflowConfig,
    *,
    now: datetime,
    lead_ids: Iterable[int] | None = None,
    unassigned: bool = False,
    limit: int | None = None,
    dry_run: bool = False,
) -> list[Assignment]:
    """Route leads to reps and record why; the function the importer's `--assign` calls.

    Args:
        lead_ids: these leads, whether owned or not (an owned lead is re-routed).
        unassigned: every lead in steps 1–7 without an owner (at most `limit`, oldest
            first, so a cron job can work through a backlog in short transactions).
        dry_run: decide, but write nothing.

    Returns:
        One `Assignment` per lead considered, in lead id order; a lead no rep can take
        keeps no owner and is reported with the reason.
    """
    router = Router(session, config, now, lock=not dry_run)
    columns = (
        LEAD.c.id,
        LEAD.c.email,
        LEAD.c.external_id,
        LEAD.c.stage,
        LEAD.c.source,
        LEAD.c.inbound,
        LEAD.c.country,
        LEAD.c.owner_id,
    )
    batches: list[list] = []
    if lead_ids is not None:
        ids = sorted(set(lead_ids))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            batches.append(
                list(
                    session.execute(
                        select(*columns).where(LEAD.c.id.in_(chunk)).order_by(LEAD.c.id)
                    )
                )
            )
    if unassigned:
        query = (
            select(*columns)
            .where(LEAD.c.owner_id.is_(None), LEAD.c.stage.in_(STAGES))
            .order_by(LEAD.c.id)
            .limit(limit)
        )
        batches.append(list(session.execute(query)))
    results: list[Assignment] = []
    for batch in batches:
        owners: list[tuple[int, int | None]] = []
        for row in batch:
            label = lead_label(row.email, row.external_id, row.id)
            role = lead_role(row.stage, row.source, bool(row.inbound), config)
            if role is None:
                results.append(
                    Assignment(row.id, None, None, None, f"not routed: lead is {row.stage}", label)
                )
                continue
            router.release(row.owner_id)
            assignment = router.route(row.id, role, row.country, label)
            results.append(assignment)
            owners.append((row.id, assignment.rep_id))
        if not dry_run:
            set_owners(session, owners, now)
    if not dry_run:
        router.flush()
    return results


def deactivate_and_reassign(
    session: Session, key: str, config: WorkflowConfig, *, now: datetime
) -> tuple[Rep, list[Assignment]]:
    """Deactivate a rep and route their open leads (customers, for a CS) to others."""
    rep = deactivate_rep(session, key)
    owned = session.scalars(
        select(LEAD.c.id).where(LEAD.c.owner_id == rep.id, LEAD.c.stage.in_(STAGES))
    ).all()
    return rep, assign_leads(session, config, now=now, lead_ids=owned)


def rep_id_for(session: Session, key: str | None) -> int | None:
    """The id of the rep named by e-mail or exact name, or None when no rep is named."""
    return find_rep(session, key).id if key else None
