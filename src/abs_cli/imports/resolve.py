"""Finding what import rows refer to, a batch at a time: reps, leads, accounts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from abs_cli.imports.fastpath import execute_many, select_in
from abs_cli.store import tables

ACCOUNT_CACHE_LIMIT = 20_000

account_table = tables.account
lead_table = tables.lead
rep_table = tables.rep


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
    found: Reps = context.cache["reps"]
    return found


ACCOUNTS_CREATED = "accounts_created"
"""The key of `context.cache` counting the accounts an import created as a side effect."""


def ensure_accounts(context: Any, names: dict[str, str | None], stamp: datetime) -> dict[str, int]:
    """Account ids by domain, creating missing accounts (named when a name is known) and
    counting them in `context.cache[ACCOUNTS_CREATED]` for the import's summary."""
    cache: dict[str, int] = context.cache.setdefault("accounts", {})
    if len(cache) > ACCOUNT_CACHE_LIMIT:
        cache.clear()
    missing = [domain for domain in names if domain not in cache]
    if missing:
        conn = context.conn
        query = "SELECT domain, id FROM account WHERE domain IN"
        cache.update(select_in(conn, query, missing))
        new = [domain for domain in missing if domain not in cache]
        if new:
            execute_many(
                conn,
                account_table,
                ["domain", "name", "created_at", "updated_at"],
                [
                    {"domain": d, "name": names[d], "created_at": stamp, "updated_at": stamp}
                    for d in new
                ],
                conflict=["domain"],
            )
            cache.update(select_in(conn, query, new))
            context.cache[ACCOUNTS_CREATED] = context.cache.get(ACCOUNTS_CREATED, 0) + len(new)
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
