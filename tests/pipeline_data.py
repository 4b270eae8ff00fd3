"""Builders for pipeline tests: reps and leads inserted set-based, as the importer would."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from abs_cli.store.models import Activity, Lead, LeadScore, Rep

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def add_reps(session, *specs: tuple[str, str], **extra: Any) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Insert reps given as (email, role); returns e-mail → id."""
    rows = [
        {
            "email": email,
            "role": role,
            "active": True,
            "territory": None,
            "capacity": None,
            "created_at": T0,
            "updated_at": T0,
        }
        | extra.get(email, {})
        for email, role in specs
    ]
    session.execute(insert(Rep.__table__), rows)
    return {email: id_ for email, id_ in session.execute(select(Rep.email, Rep.id))}


def add_leads(session, rows: list[dict[str, Any]]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Insert leads (e-mail, stage, source, owner_id…); returns e-mail → id."""
    full = []
    for row in rows:
        created = row.get("created_at", T0)
        full.append(
            {
                "stage": "prospect",
                "inbound": False,
                "stage_changed_at": created,
                "created_at": created,
                "updated_at": created,
                "source": "outbound_list",
                "owner_id": None,
                "amount": None,
                "country": None,
                "external_id": None,
            }
            | row
        )
    session.execute(insert(Lead.__table__), full)
    return {email: id_ for email, id_ in session.execute(select(Lead.email, Lead.id))}


def add_activity(session, lead_id: int, kind: str, at: datetime, **extra: Any) -> None:  # type: ignore[no-untyped-def]
    session.execute(
        insert(Activity.__table__),
        [{"lead_id": lead_id, "type": kind, "occurred_at": at} | extra],
    )


def add_score(session, lead_id: int, score: int, readiness: str) -> None:  # type: ignore[no-untyped-def]
    session.execute(
        insert(LeadScore.__table__),
        [
            {
                "lead_id": lead_id,
                "score": score,
                "fit": score,
                "engagement": score,
                "grade": "A",
                "level": 1,
                "readiness": readiness,
                "model_version": "test",
                "scored_at": T0,
            }
        ],
    )


def money(value: str) -> Decimal:
    return Decimal(value)
