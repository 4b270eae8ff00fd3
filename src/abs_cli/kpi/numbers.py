"""Exact arithmetic for metrics: fractions inside, Decimal at the edge, None for 0/0.

Every ratio is computed from integer sums returned by SQL, so SQLite and PostgreSQL
give identical results; nothing is accumulated in binary floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

Number = Fraction | int


def ratio(numerator: Number, denominator: Number) -> Fraction | None:
    """numerator / denominator, or None when the denominator is zero (docs/metrics.md: null)."""
    if not denominator:
        return None
    return Fraction(numerator) / Fraction(denominator)


def dec(value: Number | None) -> Decimal | int | None:
    """A fraction as a Decimal (28 significant digits); integers stay integers."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    if value.denominator == 1:
        return int(value.numerator)
    return Decimal(value.numerator) / Decimal(value.denominator)


def minus_one(value: Fraction | None) -> Fraction | None:
    return None if value is None else value - 1


def one_minus(value: Fraction | None) -> Fraction | None:
    return None if value is None else 1 - value


def times(a: Fraction | int | None, b: Fraction | int | None) -> Fraction | None:
    return None if a is None or b is None else Fraction(a) * Fraction(b)


def divide(a: Fraction | int | None, b: Fraction | int | None) -> Fraction | None:
    return None if a is None or b is None else ratio(a, b)


def mean(values: Sequence[Number]) -> Fraction | None:
    return ratio(sum(values, Fraction(0)), len(values)) if values else None


def percentile(ordered: Sequence[Number], q: Fraction) -> Fraction | None:
    """The q-quantile of sorted values by linear interpolation (numpy's default)."""
    if not ordered:
        return None
    position = Fraction(q) * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    weight = position - low
    return Fraction(ordered[low]) + (Fraction(ordered[high]) - Fraction(ordered[low])) * weight


def median(ordered: Sequence[Number]) -> Fraction | None:
    return percentile(ordered, Fraction(1, 2))
