"""The sales team: reps, their one role, territory and capacity."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from abs_cli.crm.lookup import find_rep_ref
from abs_cli.domain import ROLES, STAGES
from abs_cli.errors import InputError, UsageError
from abs_cli.imports.values import UTCDate
from abs_cli.store.models import Lead, Rep
from abs_cli.values import normalise_email, now, parse_territory

OPEN_STAGES: tuple[str, ...] = STAGES[:-1]


def parse_role(value: str) -> str:
    """A role id, case-insensitive, or ValueError naming the value and the choices."""
    role = value.strip().lower()
    if role not in ROLES:
        raise ValueError(f"role {value!r} is not one of {', '.join(ROLES)}")
    return role


class RepIn(BaseModel):
    """A rep as given on the command line or in `team.csv`."""

    model_config = ConfigDict(str_strip_whitespace=True)

    email: str
    name: str | None = None
    role: str
    territory: str | None = None
    capacity: int | None = None
    active: bool = True
    started_at: UTCDate | None = None
    """The rep's first day: day 0 of their ramp."""

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalise_email(value)

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        return parse_role(value)

    @field_validator("territory")
    @classmethod
    def _territory(cls, value: str | None) -> str | None:
        return parse_territory(value)

    @field_validator("capacity")
    @classmethod
    def _capacity(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError(f"capacity {value} must be 0 or more")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return value or None


def add_rep(session: Session, rep: RepIn) -> Rep:
    """Add a rep; an e-mail already on the team is refused."""
    if session.scalar(select(col(Rep.id)).where(col(Rep.email) == rep.email)) is not None:
        raise InputError(
            f"rep {rep.email} already exists", hint="use `abs team set-role` to change a role"
        )
    stamp = now()
    row = Rep(**rep.model_dump(), created_at=stamp, updated_at=stamp)
    session.add(row)
    session.flush()
    return row


def find_rep(session: Session, key: str) -> Rep:
    """A rep by e-mail or exact name (docs/domain.md §4)."""
    rep = session.get(Rep, find_rep_ref(session, key).id)
    assert rep is not None  # found in this session a moment ago
    return rep


def set_role(session: Session, key: str, role: str) -> Rep:
    rep = find_rep(session, key)
    try:
        rep.role = parse_role(role)
    except ValueError as error:
        raise UsageError(str(error)) from None
    rep.updated_at = now()
    session.flush()
    return rep


def deactivate(session: Session, key: str) -> Rep:
    rep = find_rep(session, key)
    rep.active = False
    rep.updated_at = now()
    session.flush()
    return rep


def list_reps(
    session: Session, *, role: str | None = None, include_inactive: bool = True
) -> list[dict[str, Any]]:
    """Reps with their count of open leads, ordered by role then e-mail."""
    open_leads = (
        select(col(Lead.owner_id), func.count().label("open_leads"))
        .where(col(Lead.stage).in_(OPEN_STAGES))
        .group_by(col(Lead.owner_id))
        .subquery()
    )
    query = select(Rep, func.coalesce(open_leads.c.open_leads, 0)).outerjoin(
        open_leads, open_leads.c.owner_id == col(Rep.id)
    )
    if role:
        try:
            query = query.where(col(Rep.role) == parse_role(role))
        except ValueError as error:
            raise UsageError(str(error)) from None
    if not include_inactive:
        query = query.where(col(Rep.active).is_(True))
    order = {name: index for index, name in enumerate(ROLES)}
    rows = [
        {
            "email": rep.email,
            "name": rep.name,
            "role": rep.role,
            "territory": rep.territory,
            "capacity": rep.capacity,
            "active": rep.active,
            "started_at": rep.started_at,
            "open_leads": count,
        }
        for rep, count in session.execute(query)
    ]
    return sorted(rows, key=lambda row: (order[row["role"]], row["email"]))
