"""Periods: calendar months `YYYY-MM` (UTC) and ranges of whole months."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from abs_cli.errors import UsageError

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: str, *, option: str = "--period") -> str:
    """A month key `YYYY-MM`, or UsageError naming the option and the value."""
    match = MONTH_PATTERN.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise UsageError(f"{option} {value!r} is not a month", hint="use YYYY-MM, e.g. 2026-03")
    return value.strip()


def shift(month: str, months: int) -> str:
    """The month `months` after `month` (negative: before)."""
    year, number = int(month[:4]), int(month[5:7])
    index = year * 12 + number - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_start(month: str) -> datetime:
    """00:00 UTC on the first day of the month."""
    return datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=UTC)


def month_end(month: str) -> datetime:
    """The exclusive end of the month: the start of the next one."""
    return month_start(shift(month, 1))


def month_of(moment: datetime) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return f"{moment.year:04d}-{moment.month:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included."""
    months = [first]
    while months[-1] < last:
        months.append(shift(months[-1], 1))
    return months


def days_in(month: str) -> int:
    return (month_end(month) - month_start(month)).days


@dataclass(frozen=True)
class Period:
    """A range of whole months, `first` to `last` inclusive (one month: first == last)."""

    first: str
    last: str

    @property
    def months(self) -> list[str]:
        return months_between(self.first, self.last)

    @property
    def start(self) -> datetime:
        return month_start(self.first)

    @property
    def end(self) -> datetime:
        return month_end(self.last)

    @property
    def before(self) -> str:
        """The month before the period (its cohort metrics start at that month's end)."""
        return shift(self.first, -1)

    def label(self) -> str:
        return self.first if self.first == self.last else f"{self.first}..{self.last}"

    def to_json(self) -> dict[str, str]:
        return {"from": self.first, "to": self.last}


def last_complete_month(as_of: datetime) -> str:
    """The month before the one `as_of` falls in."""
    return shift(month_of(as_of), -1)


def resolve_period(
    period: str | None, first: str | None, last: str | None, as_of: datetime
) -> Period:
    """The period asked for on the command line; default: the last complete month.

    Raises:
        UsageError: for a malformed month, `--period` mixed with `--from/--to`,
            or a range that ends before it starts.
    """
    if period is not None and (first is not None or last is not None):
        raise UsageError(
            "--period cannot be combined with --from/--to",
            hint="give one month with --period, or a range with --from and --to",
        )
    if period is not None:
        month = parse_month(period)
        return Period(month, month)
    if first is None and last is None:
        month = last_complete_month(as_of)
        return Period(month, month)
    start = parse_month(first, option="--from") if first else None
    end = parse_month(last, option="--to") if last else None
    start = start or end
    end = end or last_complete_month(as_of)
    assert start is not None
    if end < start:
        raise UsageError(f"--to {end} is before --from {start}", hint="swap the two months")
    return Period(start, end)


def parse_as_of(value: str | None) -> datetime:
    """`--as-of` as an aware UTC datetime (a bare date or naive time is UTC); default now."""
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--as-of {value!r} is not an ISO 8601 date or time",
            hint="e.g. 2026-04-02 or 2026-04-02T06:00:00Z",
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso_as_of(moment: datetime | None) -> str | None:
    """A datetime as an `--as-of` value (None stays None: now)."""
    return None if moment is None else moment.astimezone(UTC).isoformat()
