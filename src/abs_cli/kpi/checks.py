"""`abs kpi check`: thresholds on the report's metrics, for cron."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from abs_cli.errors import UsageError

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "=": operator.eq,
}
PATTERN = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(<=|>=|==|!=|<|>|=)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Check:
    """`metric op threshold`, e.g. `customer_churn_rate<=0.03` (`3%` means 0.03)."""

    text: str
    metric: str
    op: str
    threshold: Decimal


def parse_check(text: str, known: set[str]) -> Check:
    """A check from the command line, or UsageError naming what is wrong."""
    match = PATTERN.match(text)
    if not match:
        raise UsageError(
            f"check {text!r} is not METRIC OPERATOR NUMBER",
            hint="e.g. 'customer_churn_rate<=0.03' 'nps>=30' 'mrr_growth_rate>0'",
        )
    metric, op, number = match.groups()
    if metric not in known:
        raise UsageError(
            f"check {text!r}: unknown metric {metric!r}",
            hint="the ids are those of `abs kpi report --format json` under metrics",
        )
    try:
        threshold = Decimal(number[:-1]) / 100 if number.endswith("%") else Decimal(number)
    except InvalidOperation:
        raise UsageError(f"check {text!r}: threshold {number!r} is not a number") from None
    return Check(text.strip(), metric, op, threshold)


def evaluate(
    checks: list[Check], metrics: dict[str, Any], *, allow_null: bool
) -> list[dict[str, Any]]:
    """One row per check: its value and status (`ok`, `breached`, `null`)."""
    rows = []
    for check in checks:
        value = metrics.get(check.metric)
        if value is None:
            status = "null" if allow_null else "breached (null)"
        else:
            passed = OPERATORS[check.op](Decimal(str(value)), check.threshold)
            status = "ok" if passed else "breached"
        rows.append(
            {
                "check": check.text,
                "metric": check.metric,
                "value": value,
                "threshold": check.threshold,
                "status": status,
            }
        )
    return rows


def breached(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in rows if row["status"].startswith("breached")]
