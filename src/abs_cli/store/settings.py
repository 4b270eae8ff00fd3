"""Store-wide settings kept in the `setting` table (currency, gross margin…)."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from abs_cli.errors import InputError
from abs_cli.store import tables

DEFAULTS: dict[str, str] = {"currency": "EUR"}
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")


def get_setting(session: Session, key: str) -> str | None:
    table = tables.setting
    value = session.execute(select(table.c.value).where(table.c.key == key)).scalar()
    return value if value is not None else DEFAULTS.get(key)


def set_setting(session: Session, key: str, value: str) -> None:
    from abs_cli.store.models import Setting

    existing = session.get(Setting, key)
    if existing is None:
        session.add(Setting(key=key, value=value))
    else:
        existing.value = value
    session.flush()


def all_settings(session: Session) -> dict[str, str]:
    stored = dict(session.execute(select(tables.setting.c.key, tables.setting.c.value)).all())
    return {**DEFAULTS, **stored}


def set_currency(session: Session, currency: str) -> str:
    """Set the store's one currency; refuse to relabel money already recorded in another."""
    code = currency.strip().upper()
    if not CURRENCY_PATTERN.match(code):
        raise InputError(
            f"currency {currency!r} is not an ISO 4217 code", hint="e.g. EUR, USD, GBP"
        )
    current = get_setting(session, "currency")
    stored = session.execute(
        select(tables.setting.c.key).where(tables.setting.c.key == "currency")
    ).first()
    if current != code and stored is not None and _holds_money(session):
        raise InputError(
            f"the store already records amounts in {current}; it cannot switch to {code}",
            hint="start a new store with `abs --db NEW db init --currency " + code + "`",
        )
    set_setting(session, "currency", code)
    return code


def _holds_money(session: Session) -> bool:
    for table in (tables.subscription, tables.spend):
        if session.scalar(select(func.count(table.c.id)).select_from(table)):
            return True
    amounts = select(func.count()).where(tables.stage_history.c.amount.is_not(None))
    return bool(session.scalar(amounts)) or bool(
        session.scalar(select(func.count()).where(tables.lead.c.amount.is_not(None)))
    )
