"""Set-based inserts of leads, accounts, activities and stage history for scoring tests.

Other issues build the importers; these tests fill the tables directly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from abs_cli.store.models import Account, Activity, Lead, StageHistory

T0 = datetime(2026, 1, 1, tzinfo=UTC)

LEAD_DEFAULTS: dict[str, Any] = {
    "email": None,
    "title": None,
    "account_id": None,
    "industry": None,
    "employees": None,
    "country": None,
    "source": None,
    "consent": True,
    "stage": "prospect",
    "stage_changed_at": T0,
    "created_at": T0,
    "updated_at": T0,
}
ACCOUNT_DEFAULTS: dict[str, Any] = {
    "name": None,
    "industry": None,
    "employees": None,
    "country": None,
    "target_tier": None,
    "created_at": T0,
    "updated_at": T0,
}
ACTIVITY_DEFAULTS: dict[str, Any] = {"outcome": None, "due_at": None}


def add_accounts(session, rows: list[dict[str, Any]]) -> None:  # type: ignore[no-untyped-def]
    session.execute(insert(Account.__table__), [{**ACCOUNT_DEFAULTS, **row} for row in rows])


def add_leads(session, rows: list[dict[str, Any]]) -> None:  # type: ignore[no-untyped-def]
    session.execute(insert(Lead.__table__), [{**LEAD_DEFAULTS, **row} for row in rows])


def add_activities(session, rows: list[dict[str, Any]]) -> None:  # type: ignore[no-untyped-def]
    if rows:
        session.execute(insert(Activity.__table__), [{**ACTIVITY_DEFAULTS, **row} for row in rows])


def add_history(session, rows: list[dict[str, Any]]) -> None:  # type: ignore[no-untyped-def]
    if rows:
        session.execute(
            insert(StageHistory.__table__),
            [{"from_stage": None, "reason": None, **row} for row in rows],
        )
