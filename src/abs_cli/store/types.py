"""Column types shared by the tables: money as exact integer cents, datetimes in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")


def to_cents(value: Decimal | int | float | str) -> int:
    """Convert an amount to integer cents, rounding half-up."""
    return int((Decimal(str(value)) / CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class Money(TypeDecorator[Decimal]):
    """An amount stored as integer cents so that sums in SQL are exact on every database.

    Python sees `Decimal`; SQL aggregates see integers (divide by 100 at the edge).
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(
        self, value: Decimal | int | float | str | None, dialect: Dialect
    ) -> int | None:
        return None if value is None else to_cents(value)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else (Decimal(value) * CENT).quantize(CENT)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and returned as an aware UTC datetime.

    Naive values given to the store are taken as UTC (docs/domain.md §4).
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(
        self, value: datetime | str | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
