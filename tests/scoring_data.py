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
    "first_name": None,
    "last_name": None,
    "company": None,
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


def synthetic_history(store, leads: int = 600, seed: int = 1) -> None:  # type: ignore[no-untyped-def]
    """Closed leads whose outcome follows a known signal.

    Wins are likelier for SaaS leads, for `Head of` titles and with more meetings before
    the outcome; `Student` titles rarely win; country and e-mail opens carry no signal.
    """
    import math
    import random
    from datetime import timedelta

    rng = random.Random(seed)
    lead_rows, activity_rows, history_rows = [], [], []
    for i in range(1, leads + 1):
        created = T0 + timedelta(days=730 * i / leads, hours=rng.random())
        industry = rng.choice(["SaaS", "Retail", "Banking"])
        title = rng.choice(["Head of Sales", "Engineer", "Student", "Buyer"])
        meetings = rng.randint(0, 4)
        opens = rng.randint(0, 6)
        logit = (
            -1.5
            + 1.6 * (industry == "SaaS")
            + 1.2 * (title == "Head of Sales")
            - 2.0 * (title == "Student")
            + 0.7 * meetings
        )
        won = rng.random() < 1 / (1 + math.exp(-logit))
        closed = created + timedelta(days=20 + rng.randint(0, 40))
        lead_rows.append(
            {
                "id": i,
                "email": f"p{i}@c{i % 50}.io",
                "title": title,
                "industry": industry,
                "country": rng.choice(["FR", "DE", "US"]),
                "source": rng.choice(["webinar", "cold_call"]),
                "stage": "customer" if won else "lost",
                "stage_changed_at": closed,
                "created_at": created,
                "updated_at": closed,
            }
        )
        history_rows.append(
            {
                "lead_id": i,
                "to_stage": "customer" if won else "lost",
                "changed_at": closed,
                "origin": "import",
            }
        )
        for n in range(meetings):
            activity_rows.append(
                {"lead_id": i, "type": "meeting", "occurred_at": created + timedelta(days=n + 1)}
            )
        for n in range(opens):
            activity_rows.append(
                {"lead_id": i, "type": "email_open", "occurred_at": created + timedelta(days=n + 2)}
            )
        # after the outcome: must never count (no leakage)
        activity_rows.append(
            {"lead_id": i, "type": "demo", "occurred_at": closed + timedelta(days=3)}
        )
    with store.session(write=True) as session:
        add_leads(session, lead_rows)
        add_activities(session, activity_rows)
        add_history(session, history_rows)
