"""Values every layer shares: parsers for e-mails, countries and booleans, UTC times,
and the canonical forms of a moment (`iso`) and of a rounded number (`round_half_up`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z0-9-]{2,}$", re.IGNORECASE)
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "t", "oui", "x"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "f", "non"})


def normalise_email(value: str) -> str:
    """Trim and lower-case an e-mail address, or raise ValueError naming it."""
    email = value.strip().lower()
    if not EMAIL_PATTERN.match(email) or ".." in email:
        raise ValueError(f"email {value!r} is not a valid address")
    return email


def parse_bool(value: str | bool | int) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"{value!r} is not a boolean (use true/false, yes/no, 1/0)")


def parse_territory(value: str | None) -> str | None:
    """`FR; be ,DE` → `FR;BE;DE`: ISO 3166 alpha-2 codes, `;` or `,` separated."""
    if value is None or not value.strip():
        return None
    codes = [code.strip().upper() for code in re.split(r"[;,]", value) if code.strip()]
    for code in codes:
        if not re.fullmatch(r"[A-Z]{2}", code):
            raise ValueError(f"territory {code!r} is not an ISO 3166 alpha-2 country code")
    return ";".join(dict.fromkeys(codes))


def utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def now() -> datetime:
    return datetime.now(UTC)


def validation_message(error: Any) -> str:
    """The first problem of a pydantic `ValidationError`, as one sentence."""
    first = error.errors()[0]
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    field = ".".join(str(part) for part in first.get("loc", ()))
    if field and field not in message:
        return f"{field}: {message}"
    return message


def round_half_up(value: Decimal | float | int, decimals: int) -> Decimal:
    """Round like people and accountants do (2.5 → 3, −2.5 → −3), not half-to-even."""
    quantum = Decimal(1).scaleb(-decimals)
    return Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)


def iso(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the second."""
    text = value.replace(microsecond=0).isoformat()
    return text.replace("+00:00", "Z") if value.tzinfo is not None else text + "Z"
