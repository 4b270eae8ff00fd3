"""Leads: list, show, export (re-importable) and forget (right to erasure)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from abs_cli.crm.fields import (
    custom_fields,
    custom_value_columns,
    lead_custom_values,
    where_condition,
)
from abs_cli.crm.lookup import find_lead_id
from abs_cli.crm.team import find_rep
from abs_cli.domain import ROLES, lead_label, stage_from_user
from abs_cli.errors import UsageError
from abs_cli.store.marks import mark
from abs_cli.store.models import (
    Account,
    Activity,
    ErasureLog,
    Lead,
    LeadScore,
    NpsResponse,
    Rep,
    StageHistory,
    UsageEvent,
)
from abs_cli.store.sql import month_key
from abs_cli.values import now

EXPORT_COLUMNS: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "title",
    "phone",
    "company",
    "domain",
    "industry",
    "employees",
    "country",
    "source",
    "campaign",
    "created_at",
    "consent",
    "owner",
    "stage",
    "buying_role",
    "external_id",
)
"""The columns of `abs leads export`, exactly those `abs leads import` reads."""

SORTS = {
    "created": (col(Lead.created_at).desc(), col(Lead.id).desc()),
    "email": (col(Lead.email).asc(),),
    "stage": (col(Lead.stage).asc(), col(Lead.email).asc()),
    "score": (func.coalesce(col(LeadScore.score), -1).desc(), col(Lead.email).asc()),
    "updated": (col(Lead.updated_at).desc(), col(Lead.id).desc()),
}


def _lead_query() -> Select[*tuple[Any, ...]]:
    return (
        select(
            Lead,
            col(Account.domain).label("domain"),
            col(Rep.email).label("owner"),
            col(LeadScore.score).label("score"),
        )
        .outerjoin(Account, col(Account.id) == col(Lead.account_id))
        .outerjoin(Rep, col(Rep.id) == col(Lead.owner_id))
        .outerjoin(LeadScore, col(LeadScore.lead_id) == col(Lead.id))
        .where(col(Lead.forgotten_at).is_(None))
    )


def list_leads(
    session: Session,
    *,
    stage: str | None = None,
    owner: str | None = None,
    role: str | None = None,
    source: str | None = None,
    account: str | None = None,
    min_score: int | None = None,
    since: datetime | None = None,
    where: Sequence[str] = (),
    sort: str = "created",
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Leads matching every given filter, sorted, at most `limit` of them.

    `where` holds conditions on custom fields and some lead columns
    (`time_on_site>600`, see `abs_cli.crm.fields.where_condition`).
    """
    query = _lead_query()
    for condition in where:
        query = query.where(where_condition(session, condition))
    if stage:
        try:
            query = query.where(col(Lead.stage) == stage_from_user(stage))
        except ValueError as error:
            raise UsageError(f"--stage: {error}") from None
    if owner:
        query = query.where(col(Lead.owner_id) == find_rep(session, owner).id)
    if role:
        if role.lower() not in ROLES:
            raise UsageError(f"--role {role!r} is not one of {', '.join(ROLES)}")
        query = query.where(col(Rep.role) == role.lower())
    if source:
        from abs_cli.imports.values import normalise_source

        query = query.where(col(Lead.source) == normalise_source(source))
    if account:
        query = query.where(col(Account.domain) == account.strip().lower())
    if min_score is not None:
        query = query.where(col(LeadScore.score) >= min_score)
    if since is not None:
        query = query.where(col(Lead.created_at) >= since)
    if sort not in SORTS:
        raise UsageError(f"--sort {sort!r} is not one of {', '.join(SORTS)}")
    query = query.order_by(*SORTS[sort])
    if limit:
        query = query.limit(limit)
    return [
        {
            "lead": lead_label(lead.email, lead.external_id, lead.id),
            "email": lead.email,
            "external_id": lead.external_id,
            "name": _name(lead),
            "company": lead.company,
            "account": domain,
            "stage": lead.stage,
            "owner": owner_email,
            "source": lead.source,
            "inbound": lead.inbound,
            "score": score,
            "created_at": lead.created_at,
        }
        for lead, domain, owner_email, score in session.execute(query)
    ]


def _name(lead: Lead) -> str | None:
    parts = [part for part in (lead.first_name, lead.last_name) if part]
    return " ".join(parts) or None


def get_lead(session: Session, key: str) -> Lead:
    """The lead named by its e-mail or its external id (`crm.lookup`), or NotFoundError."""
    lead = session.get(Lead, find_lead_id(session, key))
    assert lead is not None  # the id was just read in this transaction
    return lead


def show_lead(session: Session, key: str) -> dict[str, Any]:
    """A lead (by e-mail or external id) with its account, owner, score, stage history
    and activities."""
    lead = get_lead(session, key)
    account = session.get(Account, lead.account_id) if lead.account_id else None
    owner = session.get(Rep, lead.owner_id) if lead.owner_id else None
    score = session.get(LeadScore, lead.id)
    by = aliased(Rep)
    history = [
        {
            "changed_at": row.changed_at,
            "from_stage": row.from_stage,
            "to_stage": row.to_stage,
            "by": rep_email,
            "reason": row.reason,
            "amount": row.amount,
            "origin": row.origin,
        }
        for row, rep_email in session.execute(
            select(StageHistory, col(by.email))
            .outerjoin(by, col(by.id) == col(StageHistory.rep_id))
            .where(col(StageHistory.lead_id) == lead.id)
            .order_by(col(StageHistory.changed_at), col(StageHistory.id))
        )
    ]
    activities = [
        {
            "occurred_at": row.occurred_at,
            "type": row.type,
            "rep": rep_email,
            "outcome": row.outcome,
            "notes": row.notes,
            "due_at": row.due_at,
        }
        for row, rep_email in session.execute(
            select(Activity, col(by.email))
            .outerjoin(by, col(by.id) == col(Activity.rep_id))
            .where(col(Activity.lead_id) == lead.id)
            .order_by(col(Activity.occurred_at), col(Activity.id))
        )
    ]
    fields = {
        "email": lead.email,
        "name": _name(lead),
        "title": lead.title,
        "phone": lead.phone,
        "company": lead.company,
        "account": account.domain if account else None,
        "target_tier": account.target_tier if account else None,
        "industry": lead.industry,
        "employees": lead.employees,
        "country": lead.country,
        "source": lead.source,
        "inbound": lead.inbound,
        "campaign": lead.campaign,
        "consent": lead.consent,
        "owner": owner.email if owner else None,
        "stage": lead.stage,
        "stage_changed_at": lead.stage_changed_at,
        "amount": lead.amount,
        "buying_role": lead.buying_role,
        "external_id": lead.external_id,
        "score": score.score if score else None,
        "grade": score.grade if score else None,
        "created_at": lead.created_at,
    }
    return {
        "lead": fields,
        "custom_fields": lead_custom_values(session, lead.id),  # type: ignore[arg-type]
        "history": history,
        "activities": activities,
    }


def export_columns(session: Session) -> list[str]:
    """The columns of `abs leads export`: the importer's, then every custom field."""
    return [*EXPORT_COLUMNS, *custom_fields(session)]


def export_leads(session: Session) -> Iterator[dict[str, Any]]:
    """Every lead (not forgotten) as `abs leads import` reads it, with its custom
    fields, streamed."""
    fields = custom_fields(session)
    query = (
        _lead_query()
        .add_columns(*custom_value_columns(fields))
        .order_by(col(Lead.id))
        .execution_options(yield_per=2000)
    )
    for lead, domain, owner_email, _score, *values in session.execute(query):
        row = {name: getattr(lead, name, None) for name in EXPORT_COLUMNS}
        row["domain"] = domain
        row["owner"] = owner_email
        row.update(zip(fields, values, strict=True))
        yield row


def forget_lead(session: Session, key: str, reason: str | None = None) -> int:
    """Erase a lead's personal data, keep an anonymous row (KPIs unchanged), log it.

    Returns the lead's id, the only thing kept that points at it.
    """
    lead = get_lead(session, key)
    email = lead.email
    anonymous = f"forgotten-{lead.id}"
    stamp = now()
    for column in ("email", "external_id", "first_name", "last_name", "title", "phone", "referrer"):
        setattr(lead, column, None)
    lead.forgotten_at = stamp
    lead.updated_at = stamp
    session.execute(update(Activity).where(col(Activity.lead_id) == lead.id).values(notes=None))
    answered = col(NpsResponse.lead_id) == lead.id
    if email is not None:
        answered = answered | (col(NpsResponse.respondent) == email)
    session.execute(update(NpsResponse).where(answered).values(respondent=anonymous, comment=None))
    if email is not None:  # usage events name a user by e-mail, never by CRM id
        erased = select(month_key(col(UsageEvent.occurred_at))).where(
            col(UsageEvent.user_key) == email
        )
        mark(session, "usage", erased)  # the counts stay, but their months are re-read
        session.execute(
            update(UsageEvent).where(col(UsageEvent.user_key) == email).values(user_key=anonymous)
        )
    lead_id = lead.id
    assert lead_id is not None  # read from the store, so it has its id
    session.add(ErasureLog(lead_id=lead_id, erased_at=stamp, reason=reason))
    session.flush()
    return lead_id
