"""Finding what import rows refer to, a batch at a time: reps, leads, accounts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from abs_cli.imports.fastpath import execute_many, select_in
from abs_cli.store.models import Account, Lead, Rep

ACCOUNT_CACHE_LIMIT = 20_000

account_table = Account.__table__  # type: ignore[attr-defined]
lead_table = Lead.__table__  # type: ignore[attr-defined]
rep_table = Rep.__table__  # type: ignore[attr-defined]


class Reps:
    """The team, read once per import: a rep by e-mail or exact name (docs/domain.md §4)."""

    def __init__(self, conn: Connection) -> None:
        self.by_key: dict[str, int] = {}
        for rep_id, email, name in conn.execute(
            select(rep_table.c.id, rep_table.c.email, rep_table.c.name)
        ):
            self.by_key[email] = rep_id
            if name:
                self.by_key.setdefault(name, rep_id)

    def find(self, value: str, column: str) -> int:
        """The rep's id, or ValueError naming the column and the value."""
        rep_id = self.by_key.get(value.strip().lower()) or self.by_key.get(value.strip())
        if rep_id is None:
            raise ValueError(f"{column} {value!r} is not a rep on the team (see `abs team list`)")
        return rep_id


def reps(context: Any) -> Reps:
    """The run's `Reps`, read on first use."""
    if "reps" not in context.cache:
        context.cache["reps"] = Reps(context.conn)
    return context.cache["reps"]


def ensure_accounts(context: Any, names: dict[str, str | None], stamp: datetime) -> dict[str, int]:
    """Account ids by domain, creating missing accounts (named when a name is known)."""
    cache: dict[str, int] = context.cache.setdefault("accounts", {})
    if len(cache) > ACCOUNT_CACHE_LIMIT:
        cache.clear()
    missing = [domain for domain in names if domain not in cache]
    if missing:
        conn = context.conn
        execute_many(
            conn,
            account_table,
            ["domain", "name", "created_at", "updated_at"],
            [
                {"domain": d, "name": names[d], "created_at": stamp, "updated_at": stamp}
                for d in missing
            ],
            conflict=["domain"],
        )
        cache.update(select_in(conn, "SELECT domain, id FROM account WHERE domain IN", missing))
    return {domain: cache[domain] for domain in names}


def lead_ids(
    conn: Connection, emails: Iterable[str], external_ids: Iterable[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Lead ids by e-mail and by external id."""
    by_email = dict(select_in(conn, "SELECT email, id FROM lead WHERE email IN", list(set(emails))))
    by_external = dict(
        select_in(
            conn, "SELECT external_id, id FROM lead WHERE external_id IN", list(set(external_ids))
        )
    )
    return by_email, by_external
