"""Helpers for the KPI tests: fill the store's tables directly with set-based inserts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, text

from abs_cli.store import models
from abs_cli.store.stays import refresh_stays

T0 = datetime(2025, 1, 1, tzinfo=UTC)

TABLES = {
    "rep": models.Rep,
    "account": models.Account,
    "lead": models.Lead,
    "stage_history": models.StageHistory,
    "activity": models.Activity,
    "subscription": models.Subscription,
    "spend": models.Spend,
    "nps_response": models.NpsResponse,
    "usage_event": models.UsageEvent,
    "campaign_member": models.CampaignMember,
    "ticket": models.Ticket,
    "goal": models.Goal,
}

DEFAULTS: dict[str, dict[str, Any]] = {
    "rep": {"created_at": T0, "updated_at": T0, "active": True},
    "account": {"created_at": T0, "updated_at": T0},
    "lead": {"stage": "prospect", "inbound": False},
    "subscription": {"plan": "", "interval": "month", "is_trial": False, "ended_at": None},
    "stage_history": {"forced": False, "origin": "import"},
    "spend": {"channel": ""},
}


def at(text: str) -> datetime:
    """'2026-01-15' or '2026-01-15T10:00' as an aware UTC datetime."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC)


def seed(store: Any, **tables: Iterable[Mapping[str, Any]]) -> None:
    """Insert rows into each named table, in a dependency-safe order, in one transaction."""
    with store.session(write=True) as session:
        for name, model in TABLES.items():
            rows = [dict(row) for row in tables.get(name, ())]
            if not rows:
                continue
            for row in rows:
                for key, value in DEFAULTS.get(name, {}).items():
                    row.setdefault(key, value)
                if name == "lead":
                    row.setdefault("updated_at", row["created_at"])
                    row.setdefault("stage_changed_at", row["created_at"])
                for key, value in row.items():
                    if isinstance(value, str) and key.endswith("_at") and value:
                        row[key] = at(value)
                    if key in ("amount", "target") and isinstance(value, (int, str)):
                        row[key] = Decimal(str(value))
            keys = sorted({key for row in rows for key in row})
            session.execute(insert(model), [{key: row.get(key) for key in keys} for row in rows])
            if "id" in keys and session.get_bind().dialect.name == "postgresql":
                # explicit ids leave the serial behind: move it past them, as a writer would
                table = model.__table__.name  # type: ignore[attr-defined]
                serial = f"pg_get_serial_sequence('{table}', 'id')"
                session.execute(text(f"SELECT setval({serial}, max(id)) FROM {table}"))
        if tables.get("stage_history"):
            refresh_stays(session)  # as every writer of stage history does


def accounts(n: int) -> list[dict[str, Any]]:
    return [{"id": i, "domain": f"c{i}.example"} for i in range(1, n + 1)]


def open_store(url: str):  # type: ignore[no-untyped-def]
    """An opened, migrated store at `url`."""
    from abs_cli.store.engine import Store, make_engine
    from abs_cli.store.location import StoreLocation
    from abs_cli.store.migrate import ensure_current

    location = StoreLocation(url, "test")
    store = Store(location, make_engine(location))
    ensure_current(store)
    return store
