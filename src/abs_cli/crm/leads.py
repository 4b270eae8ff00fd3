"""Leads: list, show, export (re-importable) and forget (right to erasure)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.orm import Session

from abs_cli.crm.fields import (
    custom_fields,
    custom_value_columns,
    lead_custom_values,
    where_condition,
)
from abs_cli.crm.lookup import find_lead_id, find_rep_ref
from abs_cli.domain import ROLES, lead_label, stage_from_user
from abs_cli.errors import UsageError
from abs_cli.store import tables
from abs_cli.store.marks import mark
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

ERASED_FIELDS = ("email", "external_id", "first_name", "last_name", "title", "phone", "referrer")
"""The personal data `abs leads forget` erases; the anonymous row keeps the rest."""

LEAD, ACCOUNT, REP, SCORE = tables.lead, tables.account, tables.rep, tables.lead_score

SORTS = {
    "created": (LEAD.c.created_at.desc(), LEAD.c.id.desc()),
    "email": (LEAD.c.email.asc(),),
    "stage": (LEAD.c.stage.asc(), LEAD.c.email.asc()),
    "score": (func.coalesce(SCORE.c.score, -1).desc(), LEAD.c.email.asc()),
    "updated": (LEAD.c.updated_at.desc(), LEAD.c.id.desc()),
}


def _lead_query() -> Select[*tuple[Any, ...]]:
    """Leads not forgotten, each row its columns plus `domain`, `owner` and `score`.

    Core, like the custom-field conditions it is combined with (`crm.fields`).
    """
    joined = (
        LEAD.outerjoin(ACCOUNT, ACCOUNT.c.id == LEAD.c.account_id)
        .outerjoin(REP, REP.c.id == LEAD.c.owner_id)
        .outerjoin(SCORE, SCORE.c.lead_id == LEAD.c.id)
    )
    return (
        select(
            LEAD,
            ACCOUNT.c.domain.label("domain"),
            REP.c.email.label("owner"),
            SCORE.c.score.label("score"),
        )
        .select_from(joined)
        .where(LEAD.c.forgotten_at.is_(None))
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
            query = query.where(LEAD.c.stage == stage_from_user(stage))
        except ValueError as error:
            raise UsageError(f"--stage: {error}") from None
    if owner:
        query = query.where(LEAD.c.owner_id == find_rep_ref(session, owner).id)
    if role:
        if role.lower() not in ROLES:
            raise UsageError(f"--role {role!r} is not one of {', '.join(ROLES)}")
        query = query.where(REP.c.role == role.lower())
    if source:
        from abs_cli.imports.values import normalise_source

        query = query.where(LEAD.c.source == normalise_source(source))
    if account:
        query = query.where(ACCOUNT.c.domain == account.strip().lower())
    if min_score is not None:
        query = query.where(SCORE.c.score >= min_score)
    if since is not None:
        query = query.where(LEAD.c.created_at >= since)
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
            "account": lead.domain,
            "stage": lead.stage,
            "owner": lead.owner,
            "source": lead.source,
            "inbound": lead.inbound,
            "score": lead.score,
            "created_at": lead.created_at,
        }
        for lead in session.execute(query)
    ]


def _name(lead: Any) -> str | None:
    parts = [part for part in (lead.first_name, lead.last_name) if part]
    return " ".join(parts) or None


def _lead_row(session: Session, key: str) -> Any:
    """The lead named by its e-mail or its external id (`crm.lookup`), or NotFoundError."""
    lead_id = find_lead_id(session, key)
    return session.execute(select(LEAD).where(LEAD.c.id == lead_id)).one()


def show_lead(session: Session, key: str) -> dict[str, Any]:
    """A lead (by e-mail or external id) with its account, owner, score, stage history
    and activities."""
    lead = _lead_row(session, key)
    account = session.execute(
        select(ACCOUNT.c.domain, ACCOUNT.c.target_tier).where(ACCOUNT.c.id == lead.account_id)
    ).first()
    owner = session.scalar(select(REP.c.email).where(REP.c.id == lead.owner_id))
    score = session.execute(
        select(SCORE.c.score, SCORE.c.grade).where(SCORE.c.lead_id == lead.id)
    ).first()
    by = REP.alias("by")
    history_table, activity_table = tables.stage_history, tables.activity
    history = [
        {
            "changed_at": row.changed_at,
            "from_stage": row.from_stage,
            "to_stage": row.to_stage,
            "by": row.by,
            "reason": row.reason,
            "amount": row.amount,
            "origin": row.origin,
        }
        for row in session.execute(
            select(history_table, by.c.email.label("by"))
            .select_from(history_table.outerjoin(by, by.c.id == history_table.c.rep_id))
            .where(history_table.c.lead_id == lead.id)
            .order_by(history_table.c.changed_at, history_table.c.id)
        )
    ]
    activities = [
        {
            "occurred_at": row.occurred_at,
            "type": row.type,
            "rep": row.by,
            "outcome": row.outcome,
            "notes": row.notes,
            "due_at": row.due_at,
        }
        for row in session.execute(
            select(activity_table, by.c.email.label("by"))
            .select_from(activity_table.outerjoin(by, by.c.id == activity_table.c.rep_id))
            .where(activity_table.c.lead_id == lead.id)
            .order_by(activity_table.c.occurred_at, activity_table.c.id)
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
        "owner": owner,
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
        "custom_fields": lead_custom_values(session, lead.id),
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
        .order_by(LEAD.c.id)
        .execution_options(yield_per=2000)
    )
    for lead in session.execute(query):
        row = {name: getattr(lead, name, None) for name in EXPORT_COLUMNS}
        values = tuple(lead)[len(lead) - len(fields) :]  # the custom columns come last
        row.update(zip(fields, values, strict=True))
        yield row


def forget_lead(session: Session, key: str, reason: str | None = None) -> int:
    """Erase a lead's personal data, keep an anonymous row (KPIs unchanged), log it.

    Returns the lead's id, the only thing kept that points at it.
    """
    lead = _lead_row(session, key)
    email, lead_id = lead.email, lead.id
    anonymous = f"forgotten-{lead_id}"
    stamp = now()
    session.execute(
        update(LEAD)
        .where(LEAD.c.id == lead_id)
        .values({**dict.fromkeys(ERASED_FIELDS), "forgotten_at": stamp, "updated_at": stamp})
    )
    activity, answers, usage = tables.activity, tables.nps_response, tables.usage_event
    session.execute(update(activity).where(activity.c.lead_id == lead_id).values(notes=None))
    answered = answers.c.lead_id == lead_id
    if email is not None:
        answered = answered | (answers.c.respondent == email)
    session.execute(update(answers).where(answered).values(respondent=anonymous, comment=None))
    if email is not None:  # usage events name a user by e-mail, never by CRM id
        erased = select(month_key(usage.c.occurred_at)).where(usage.c.user_key == email)
        mark(session, "usage", erased)  # the counts stay, but their months are re-read
        session.execute(update(usage).where(usage.c.user_key == email).values(user_key=anonymous))
    session.execute(
        insert(tables.erasure_log).values(lead_id=lead_id, erased_at=stamp, reason=reason)
    )
    return int(lead_id)
