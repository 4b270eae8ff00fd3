"""`abs leads duplicates`: likely duplicate leads beyond the exact e-mail, scored pairs.

The same person often arrives twice: a work and a personal address, a typo in the
name, a second export with a phone but no e-mail. Comparing every pair of a big store
is out of the question, so candidates come from blocking in SQL — pairs that share an
account and a last name (or its first letter), a full name, a phone, or the part of
the e-mail before the `@` — and only those pairs are scored, in Python, with RapidFuzz
(a maintained C++ implementation of the usual string similarities).

A pair's score (0–100) weighs the evidence: how alike the names are (token-sorted, so
`Lima Ana` matches `Ana Lima`), a shared account, phone, e-mail name or company.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import and_, func, select, union
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from abs_cli.store import tables
from abs_cli.store.sql import email_local, last_chars

WEIGHTS = {"name": 50, "phone": 30, "email_name": 25, "account": 20, "company": 10}
"""Points per kind of evidence; the name earns its weight times its similarity."""
MIN_NAME_LENGTH = 2
SAME_COMPANY = 90
"""Company names at least this alike (RapidFuzz ratio, 0–100) count as one company."""
PHONE_DIGITS = 9
"""Phones match on their last nine digits: `+33 6 12 34 56 78` is `06 12 34 56 78`."""
CHUNK = 5_000


@dataclass(frozen=True)
class DuplicatePair:
    """Two leads that are likely one person, with the score and the evidence."""

    lead: str
    other: str
    score: int
    reasons: list[str] = field(default_factory=list)
    lead_name: str | None = None
    other_name: str | None = None

    def document(self) -> dict[str, Any]:
        return {
            "lead": self.lead,
            "lead_name": self.lead_name,
            "other": self.other,
            "other_name": self.other_name,
            "score": self.score,
            "reasons": "; ".join(self.reasons),
        }


def _phone_digits(column: Any) -> Any:
    for character in (" ", "-", ".", "(", ")", "/", "+"):
        column = func.replace(column, character, "")
    return column


def candidate_pairs(connection: Connection) -> Select[Any]:
    """(lead id, other id) pairs that share a blocking key, each pair once."""
    lead = tables.lead
    a, b = lead.alias("a"), lead.alias("b")
    live = and_(a.c.id < b.c.id, a.c.forgotten_at.is_(None), b.c.forgotten_at.is_(None))
    last_a, last_b = func.lower(a.c.last_name), func.lower(b.c.last_name)
    blocks = [
        and_(a.c.account_id == b.c.account_id, last_a == last_b),
        and_(
            a.c.account_id == b.c.account_id,
            func.substr(last_a, 1, 1) == func.substr(last_b, 1, 1),
            func.lower(func.substr(a.c.first_name, 1, 1))
            == func.lower(func.substr(b.c.first_name, 1, 1)),
        ),
        and_(func.lower(a.c.first_name) == func.lower(b.c.first_name), last_a == last_b),
        and_(
            a.c.phone.is_not(None),
            func.length(_phone_digits(a.c.phone)) >= PHONE_DIGITS,
            last_chars(_phone_digits(a.c.phone), PHONE_DIGITS)
            == last_chars(_phone_digits(b.c.phone), PHONE_DIGITS),
        ),
        and_(
            func.length(email_local(a.c.email)) >= 4,
            email_local(a.c.email) == email_local(b.c.email),
        ),
    ]
    return union(
        *(select(a.c.id.label("a"), b.c.id.label("b")).where(live, block) for block in blocks)
    )  # type: ignore[return-value]


def find_duplicates(
    connection: Connection, *, min_score: int = 60, limit: int | None = None
) -> list[DuplicatePair]:
    """Scored pairs of likely duplicates, best first, at least `min_score`."""
    pairs = [(int(a), int(b)) for a, b in connection.execute(candidate_pairs(connection))]
    people = _people(connection, {lead_id for pair in pairs for lead_id in pair})
    scored = [
        pair
        for pair in (score_pair(people[a], people[b]) for a, b in pairs)
        if pair.score >= min_score
    ]
    scored.sort(key=lambda pair: (-pair.score, pair.lead, pair.other))
    return scored[:limit] if limit is not None else scored


def _people(connection: Connection, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    lead, account = tables.lead, tables.account
    chosen = sorted(ids)
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(chosen), CHUNK):
        query = (
            select(
                lead.c.id,
                lead.c.email,
                lead.c.external_id,
                lead.c.first_name,
                lead.c.last_name,
                lead.c.phone,
                lead.c.company,
                lead.c.account_id,
                account.c.name.label("account_name"),
            )
            .outerjoin(account, account.c.id == lead.c.account_id)
            .where(lead.c.id.in_(chosen[start : start + CHUNK]))
        )
        found.update({row.id: dict(row._mapping) for row in connection.execute(query)})
    return found


def _full_name(person: dict[str, Any]) -> str:
    return " ".join(part for part in (person["first_name"], person["last_name"]) if part)


def _digits(phone: str | None) -> str:
    return "".join(character for character in phone or "" if character.isdigit())


def _local(email: str | None) -> str:
    return email.split("@", 1)[0] if email else ""


def score_pair(one: dict[str, Any], other: dict[str, Any]) -> DuplicatePair:
    """The evidence that two leads are one person, as points out of 100."""
    reasons: list[str] = []
    points = 0.0
    name_one, name_other = _full_name(one), _full_name(other)
    if len(name_one) >= MIN_NAME_LENGTH and len(name_other) >= MIN_NAME_LENGTH:
        similarity = fuzz.token_sort_ratio(name_one.lower(), name_other.lower()) / 100
        points += WEIGHTS["name"] * similarity
        reasons.append(f"names {similarity:.0%} alike")
    phone = _digits(one["phone"])[-PHONE_DIGITS:]
    if len(phone) == PHONE_DIGITS and phone == _digits(other["phone"])[-PHONE_DIGITS:]:
        points += WEIGHTS["phone"]
        reasons.append("same phone")
    local = _local(one["email"])
    if len(local) >= 4 and local.lower() == _local(other["email"]).lower():
        points += WEIGHTS["email_name"]
        reasons.append(f"same e-mail name {local!r}")
    if one["account_id"] is not None and one["account_id"] == other["account_id"]:
        points += WEIGHTS["account"]
        reasons.append("same account")
    elif (
        one["company"]
        and other["company"]
        and fuzz.ratio(one["company"].lower(), other["company"].lower()) >= SAME_COMPANY
    ):
        points += WEIGHTS["company"]
        reasons.append("same company")
    return DuplicatePair(
        lead=one["email"] or one["external_id"],
        other=other["email"] or other["external_id"],
        score=min(100, round(points)),
        reasons=reasons,
        lead_name=name_one or None,
        other_name=name_other or None,
    )
