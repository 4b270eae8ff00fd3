"""Accounts (companies keyed by domain): list, show with buying committee, ABM targets."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from abs_cli.crm.fields import account_custom_values
from abs_cli.domain import BUYING_ROLES, EXIT_STAGES
from abs_cli.errors import InputError, NotFoundError
from abs_cli.store.models import Account, Lead, Rep
from abs_cli.values import now


def get_account(session: Session, domain: str) -> Account:
    from abs_cli.imports.values import normalise_domain

    try:
        key = normalise_domain(domain)
    except ValueError as error:
        raise InputError(str(error)) from None
    account = session.scalar(select(Account).where(col(Account.domain) == key))
    if account is None:
        raise NotFoundError(f"no account {key}", hint="see `abs accounts list`")
    return account


def list_accounts(
    session: Session,
    *,
    targets_only: bool = False,
    tier: int | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Accounts with their owner and number of leads, targets first (by tier)."""
    leads = (
        select(col(Lead.account_id), func.count().label("leads"))
        .where(col(Lead.account_id).is_not(None))
        .group_by(col(Lead.account_id))
        .subquery()
    )
    query = (
        select(Account, col(Rep.email), func.coalesce(leads.c.leads, 0))
        .outerjoin(Rep, col(Rep.id) == Account.owner_id)
        .outerjoin(leads, leads.c.account_id == col(Account.id))
        .order_by(func.coalesce(Account.target_tier, 9), Account.domain)
    )
    if targets_only:
        query = query.where(col(Account.target_tier).is_not(None))
    if tier is not None:
        query = query.where(col(Account.target_tier) == tier)
    if limit:
        query = query.limit(limit)
    return [
        {
            "domain": account.domain,
            "name": account.name,
            "industry": account.industry,
            "employees": account.employees,
            "country": account.country,
            "target_tier": account.target_tier,
            "owner": owner,
            "leads": count,
        }
        for account, owner, count in session.execute(query)
    ]


def show_account(session: Session, domain: str) -> dict[str, Any]:
    """An account, its contacts with their buying role, and the uncovered roles.

    A role is covered by a contact still in play: not forgotten, and not in an exit
    stage (lost, disqualified, churned).
    """
    account = get_account(session, domain)
    owner = session.get(Rep, account.owner_id) if account.owner_id else None
    contacts = [
        {
            "email": lead.email,
            "name": " ".join(p for p in (lead.first_name, lead.last_name) if p) or None,
            "title": lead.title,
            "buying_role": lead.buying_role,
            "stage": lead.stage,
        }
        for lead in session.scalars(
            select(Lead)
            .where(col(Lead.account_id) == account.id, col(Lead.forgotten_at).is_(None))
            .order_by(col(Lead.buying_role).is_(None), col(Lead.buying_role), col(Lead.email))
        )
    ]
    covered = {
        contact["buying_role"] for contact in contacts if contact["stage"] not in EXIT_STAGES
    }
    fields = {
        "domain": account.domain,
        "name": account.name,
        "industry": account.industry,
        "employees": account.employees,
        "country": account.country,
        "target_tier": account.target_tier,
        "owner": owner.email if owner else None,
        "contacts": len(contacts),
    }
    return {
        "account": fields,
        "custom_fields": account_custom_values(session, account.id),  # type: ignore[arg-type]
        "contacts": contacts,
        "uncovered_roles": [role for role in BUYING_ROLES if role not in covered],
    }


def set_target(session: Session, domain: str, tier: int | None) -> Account:
    """Mark an account as an ABM target of `tier` (1-3), or not a target (None)."""
    if tier is not None and tier not in (1, 2, 3):
        raise InputError(f"tier {tier} is not 1, 2 or 3")
    account = get_account(session, domain)
    account.target_tier = tier
    account.updated_at = now()
    session.flush()
    return account
