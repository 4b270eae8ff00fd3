"""Revenue metrics from `subscription` (docs/metrics.md, Revenue): MRR, its movements, retention.

Per-customer MRR at a month end is held as an integer in 1/1200ths of the currency
(a monthly amount in cents ×12, quarterly ×4, yearly ×1), so every sum in SQL is an
exact integer; it becomes a Decimal only at the edge. One grouped query computes each
customer's MRR at every month end the report needs (columns `m_0…m_k`); an outer
aggregate turns those into movements, counts and cohort sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import CompoundSelect, Select
from sqlalchemy.sql.expression import ColumnElement

from abs_cli.kpi.assumptions import KpiSettings
from abs_cli.kpi.numbers import dec, divide, mean, minus_one, one_minus, ratio, times
from abs_cli.kpi.periods import Period, month_end, months_between, shift
from abs_cli.kpi.rollups import Rollup
from abs_cli.store import tables
from abs_cli.store.rollup_tables import kpi_revenue
from abs_cli.store.sql import count_if, month_key, sum_if

UNITS = 1200
"""MRR units per currency unit: cents × 12 for monthly plans."""

# Column handles of the store's tables, named like their models.
SUB = tables.subscription.c
Spend = tables.spend.c


def paid_amount() -> ColumnElement[int]:
    """A row's monthly amount in 1/1200ths of the currency (before the paid filter)."""
    cents = type_coerce(SUB.amount, BigInteger)
    factor = case((SUB.interval == "quarter", 4), (SUB.interval == "year", 1), else_=12)
    return cents * factor


def is_paid() -> ColumnElement[bool]:
    return and_(SUB.is_trial.is_(False), type_coerce(SUB.amount, BigInteger) > 0)


def active_at_end(month: str) -> ColumnElement[bool]:
    """Active at the end of `month`: started before the next month, not ended before it."""
    boundary = month_end(month)
    return and_(SUB.started_at < boundary, or_(SUB.ended_at.is_(None), SUB.ended_at >= boundary))


def customer_mrr(
    months: list[str], accounts: Select[Any] | None = None
) -> Select[*tuple[Any, ...]]:
    """One row per customer with MRR at some month end: its MRR at the end of each month
    (`m_0`…) and `first_month`, the first month at whose end it ever had MRR (a row
    visible at a month end), or `months[0]` when that is earlier than `months[0]`.

    Only rows still running at the end of `months[0]` can give MRR at one of the ends,
    so the others are read only through one probe per customer (index account_id, …):
    did it pay in some earlier month? Every movement compares `first_month` with a month
    after `months[0]`, for which any earlier month is the same answer.
    """
    amount = paid_amount()
    first_end = month_end(months[0])
    columns: list[Any] = [SUB.account_id.label("account_id")]
    columns += [
        func.sum(case((active_at_end(month), amount), else_=0)).label(f"m_{index}")
        for index, month in enumerate(months)
    ]
    earlier = tables.subscription.alias("earlier")
    paid_before = (
        select(earlier.c.id)
        .where(
            earlier.c.account_id == SUB.account_id,
            earlier.c.is_trial.is_(False),
            type_coerce(earlier.c.amount, BigInteger) > 0,
            earlier.c.ended_at < first_end,
            _visible(earlier.c),
        )
        .exists()
    )
    columns.append(
        case(
            (paid_before, literal(months[0], String)),
            else_=func.min(case((_visible(SUB), month_key(SUB.started_at)))),
        ).label("first_month")
    )
    query = select(*columns).where(
        is_paid(),
        SUB.started_at < month_end(months[-1]),
        or_(SUB.ended_at.is_(None), SUB.ended_at >= first_end),
    )
    if accounts is not None:
        query = query.where(SUB.account_id.in_(accounts))
    return query.group_by(SUB.account_id)


def _visible(rows: Any) -> ColumnElement[bool]:
    """A subscription row seen at a month end: not ended within the month it started."""
    return or_(rows.ended_at.is_(None), month_key(rows.ended_at) > month_key(rows.started_at))


@dataclass
class Movements:
    """The month-over-month figures of one month, in MRR units (1/1200 currency)."""

    month: str
    start: int
    mrr: int
    customers_start: int
    customers: int
    new: int = 0
    customers_new: int = 0
    reactivation: int = 0
    customers_reactivated: int = 0
    expansion: int = 0
    contraction: int = 0
    churn: int = 0
    customers_churned: int = 0

    @property
    def churn_rate(self) -> Fraction | None:
        return ratio(self.customers_churned, self.customers_start)


@dataclass
class Cohort:
    """C0 (customers paying before the period) and their MRR at its end."""

    start: int = 0
    retained: int = 0
    end: int = 0
    customers: int = 0
    churned: int = 0

    @classmethod
    def of_month(cls, move: Movements) -> Cohort:
        """The cohort over one month follows from that month's movements."""
        retained = move.start - move.contraction - move.churn
        return cls(
            move.start,
            retained,
            retained + move.expansion,
            move.customers_start,
            move.customers_churned,
        )


def _month_columns(a: Any, b: Any, first_month: Any, month: str) -> list[Any]:
    """The ten movement figures of one month, from each customer's MRR at the end of the
    month before (`a`) and of the month (`b`): MRR, customers, new, reactivation,
    expansion, contraction and churn (with their customer counts)."""
    starts = and_(a == 0, b > 0)
    return [
        func.coalesce(func.sum(b), 0),
        count_if(b > 0),
        sum_if(and_(starts, first_month == month), b),
        count_if(and_(starts, first_month == month)),
        sum_if(and_(starts, first_month < month), b),
        count_if(and_(starts, first_month < month)),
        sum_if(and_(a > 0, b > a), b - a),
        sum_if(and_(b > 0, b < a), a - b),
        sum_if(and_(a > 0, b == 0), a),
        count_if(and_(a > 0, b == 0)),
    ]


def _movement_columns(per_customer: Any, months: list[str]) -> list[Any]:
    c = per_customer.c
    columns: list[Any] = [func.coalesce(func.sum(c.m_0), 0), count_if(c.m_0 > 0)]
    for index in range(1, len(months)):
        a, b = c[f"m_{index - 1}"], c[f"m_{index}"]
        columns += _month_columns(a, b, c.first_month, months[index])
    return columns


def _cohort_columns(per_customer: Any, first: int, last: int) -> list[Any]:
    a, b = per_customer.c[f"m_{first}"], per_customer.c[f"m_{last}"]
    return [
        sum_if(a > 0, a),
        sum_if(a > 0, case((b < a, b), else_=a)),
        sum_if(a > 0, b),
        count_if(a > 0),
        count_if(and_(a > 0, b == 0)),
    ]


OwnerCustomers = dict[int | None, dict[str, tuple[int, int]]]
"""Per account owner (None: no owner), per month: (paying customers at its end, churned)."""


def _per_owner(
    session: Session,
    months: list[str],
    cohort: tuple[str, str] | None,
    accounts: Select[Any] | None,
) -> tuple[list[int], OwnerCustomers]:
    """The movement (and cohort) columns summed over all accounts, and the customer counts
    per account owner: one pass over the per-customer MRR, grouped by owner (or the
    monthly rollup, for all accounts)."""
    if accounts is None:
        stored = REVENUE.read(session, Period(months[0], months[-1]))
        if stored is not None:
            return _from_rollup(session, stored, months, cohort)
    per_customer = customer_mrr(months, accounts).subquery("per_customer")
    columns = _movement_columns(per_customer, months)
    if cohort is not None:
        columns += _cohort_columns(per_customer, months.index(cohort[0]), months.index(cohort[1]))
    account = tables.account.c
    query = (
        select(account.owner_id, *columns)
        .select_from(per_customer)
        .join(tables.account, account.id == per_customer.c.account_id)
        .group_by(account.owner_id)
    )
    total = [0] * len(columns)
    owners: OwnerCustomers = {}
    for owner, *values in session.execute(query):
        row = [int(value or 0) for value in values]
        total = [a + b for a, b in zip(total, row, strict=True)]
        owners[owner] = {
            month: (row[3 + index * 10], row[11 + index * 10])
            for index, month in enumerate(months[1:])
        }
    return total, owners


def _revenue_query(
    period: Period, accounts: Select[Any] | None = None
) -> CompoundSelect[*tuple[Any, ...]]:
    """Per month of the period and account owner: the ten movement figures of the month
    (`kpi_revenue`'s columns). One per-customer MRR pass over the month ends from the
    month before the period to its last, then one grouped select per month."""
    months = [period.before, *period.months]
    per_customer = customer_mrr(months, accounts).cte("per_customer").prefix_with("MATERIALIZED")
    c, account = per_customer.c, tables.account.c
    parts = [
        select(
            literal(month, String).label("month"),
            account.owner_id,
            *_month_columns(c[f"m_{index - 1}"], c[f"m_{index}"], c.first_month, month),
        )
        .select_from(per_customer)
        .join(tables.account, account.id == c.account_id)
        .group_by(account.owner_id)
        for index, month in enumerate(months[1:], start=1)
    ]
    return union_all(*parts)


REVENUE = Rollup(
    kpi_revenue,
    _revenue_query,
    months_before=lambda settings: settings.ltv_churn_window + 1,  # see `revenue_report`
)


def _from_rollup(
    session: Session, stored: Any, months: list[str], cohort: tuple[str, str] | None
) -> tuple[list[int], OwnerCustomers]:
    """`_per_owner`'s figures from the monthly rollup: the first month gives the MRR and
    customers at its end, each later one its movements; the cohort of a range of months
    needs each customer's MRR at its two ends (one more, narrow pass)."""
    index = {month: position for position, month in enumerate(months)}
    width = 2 + 10 * (len(months) - 1)
    total = [0] * width
    owners: OwnerCustomers = {}
    for month, owner, *values in stored:
        figures = [int(value) for value in values]
        position = index[month]
        if position == 0:
            total[0] += figures[0]
            total[1] += figures[1]
            continue
        offset = 2 + 10 * (position - 1)
        for number, value in enumerate(figures):
            total[offset + number] += value
        owners.setdefault(owner, {})[month] = (figures[1], figures[9])
    for months_of in owners.values():
        for month in months[1:]:
            months_of.setdefault(month, (0, 0))
    if cohort is not None:
        total += _cohort(session, total, months, cohort)
    return total, owners


def _cohort(
    session: Session, total: list[int], months: list[str], cohort: tuple[str, str]
) -> list[int]:
    """The cohort columns from `cohort[0]`'s end to `cohort[1]`'s end: for consecutive
    months they follow from that month's movements, otherwise one narrow pass."""
    first, last = months.index(cohort[0]), months.index(cohort[1])
    if last == first + 1:
        one = Cohort.of_month(_movements(months, total)[0][last - 1])
        return [one.start, one.retained, one.end, one.customers, one.churned]
    ends = [months[first], months[last]]
    per_customer = customer_mrr(ends).subquery("per_customer")
    row = session.execute(select(*_cohort_columns(per_customer, 0, 1))).one()
    return [int(value or 0) for value in row]


def owner_customers(
    session: Session, months: list[str], accounts: Select[Any] | None = None
) -> OwnerCustomers:
    """Per account owner: paying customers at the end of each of `months[1:]`, and churned."""
    return _per_owner(session, months, None, accounts)[1]


def mrr_movements(
    session: Session,
    months: list[str],
    cohort: tuple[str, str] | None = None,
    accounts: Select[Any] | None = None,
) -> tuple[list[Movements], Cohort]:
    """Movements for each of `months[1:]` (from the month before), and the cohort from
    `cohort[0]`'s end to `cohort[1]`'s end (both in `months`), in one query."""
    return _movements(months, _per_owner(session, months, cohort, accounts)[0])


def _movements(months: list[str], row: list[int]) -> tuple[list[Movements], Cohort]:
    previous_mrr, previous_customers = row[0], row[1]
    result: list[Movements] = []
    for index, month in enumerate(months[1:]):
        values = row[2 + index * 10 : 12 + index * 10]
        mrr, customers, new, n_new, react, n_react, expansion, contraction, churn, n_churn = values
        result.append(
            Movements(
                month,
                previous_mrr,
                mrr,
                previous_customers,
                customers,
                new,
                n_new,
                react,
                n_react,
                expansion,
                contraction,
                churn,
                n_churn,
            )
        )
        previous_mrr, previous_customers = mrr, customers
    tail = row[2 + 10 * (len(months) - 1) :]
    return result, Cohort(*tail) if tail else Cohort()


def _spend(session: Session, months: list[str]) -> dict[str, int]:
    cents = type_coerce(Spend.amount, BigInteger)
    query = (
        select(Spend.month, func.sum(cents)).where(Spend.month.in_(months)).group_by(Spend.month)
    )
    return {month: int(total) for month, total in session.execute(query)}


def _trials(
    session: Session, period: Period, accounts: Select[Any] | None = None
) -> dict[str, tuple[int, int]]:
    """Per month of the period: (accounts whose first trial starts then, converted)."""
    first = select(SUB.account_id, func.min(SUB.started_at).label("first_trial")).where(
        SUB.is_trial.is_(True)
    )
    if accounts is not None:
        first = first.where(SUB.account_id.in_(accounts))
    cohort = first.group_by(SUB.account_id).subquery("first_trial")
    paid = tables.subscription.alias("paid")
    converted = (
        select(paid.c.id)
        .where(
            paid.c.account_id == cohort.c.account_id,
            paid.c.is_trial.is_(False),
            type_coerce(paid.c.amount, BigInteger) > 0,
            paid.c.started_at >= cohort.c.first_trial,
        )
        .exists()
    )
    month = month_key(cohort.c.first_trial)
    query = (
        select(month, func.count(), count_if(converted))
        .where(cohort.c.first_trial >= period.start, cohort.c.first_trial < period.end)
        .group_by(month)
    )
    return {key: (int(total), int(won)) for key, total, won in session.execute(query)}


def _money(units: int | Fraction | None) -> Fraction | None:
    return None if units is None else Fraction(units, UNITS)


def _metrics(
    moves: list[Movements],
    cohort: Cohort,
    ltv_churn: Fraction | None,
    spend_cents: int,
    trials: tuple[int, int],
    settings: KpiSettings,
) -> dict[str, Any]:
    """The revenue metrics of a run of consecutive months (one month: a list of one)."""
    first, last = moves[0], moves[-1]
    total = {
        name: sum(getattr(move, name) for move in moves)
        for name in ("new", "expansion", "reactivation", "contraction", "churn")
    }
    counts = {
        name: sum(getattr(move, name) for move in moves)
        for name in ("customers_new", "customers_reactivated", "customers_churned")
    }
    months = len(moves)
    growth = ratio(last.mrr, first.start)
    grr = ratio(cohort.retained, cohort.start)
    nrr = ratio(cohort.end, cohort.start)
    arpa = divide(_money(last.mrr), last.customers)
    gm = Fraction(settings.gross_margin)
    ltv = divide(times(arpa, gm), ltv_churn)
    cac = ratio(Fraction(spend_cents, 100), counts["customers_new"])
    new_per_customer = divide(_money(total["new"]), counts["customers_new"] or None)
    payback = divide(cac, times(new_per_customer, gm) or None)
    metrics: dict[str, Any] = {
        "mrr": dec(_money(last.mrr)),
        "arr": dec(_money(last.mrr * 12)),
        "mrr_start": dec(_money(first.start)),
        "mrr_new": dec(_money(total["new"])),
        "mrr_expansion": dec(_money(total["expansion"])),
        "mrr_reactivation": dec(_money(total["reactivation"])),
        "mrr_contraction": dec(_money(total["contraction"])),
        "mrr_churn": dec(_money(total["churn"])),
        "mrr_net_new": dec(
            _money(
                total["new"]
                + total["expansion"]
                + total["reactivation"]
                - total["contraction"]
                - total["churn"]
            )
        ),
        "mrr_growth_rate": dec(minus_one(growth)),
        "cmgr": _cmgr(growth, months),
        "customers": last.customers,
        "customers_start": first.customers_start,
        **counts,
        "customer_churn_rate": dec(ratio(cohort.churned, cohort.customers)),
        "gross_revenue_retention": dec(grr),
        "net_revenue_retention": dec(nrr),
        "revenue_churn_rate": dec(one_minus(grr)),
        "net_revenue_churn_rate": dec(one_minus(nrr)),
        "arpa": dec(arpa),
        "arpu": dec(arpa),
        "quick_ratio": dec(
            ratio(total["new"] + total["expansion"], total["contraction"] + total["churn"])
        ),
        "ltv": dec(ltv),
        "spend": dec(Fraction(spend_cents, 100)),
        "cac": dec(cac),
        "cac_payback_months": dec(payback),
        "ltv_to_cac": dec(divide(ltv, cac or None)),
        "trials": trials[0],
        "trials_converted": trials[1],
        "trial_conversion_rate": dec(ratio(trials[1], trials[0])),
    }
    return metrics


def _cmgr(growth: Fraction | None, months: int) -> Decimal | int | None:
    """(end / start)^(1/n) − 1 in Decimal (a root is rarely rational); −1 when MRR fell
    to 0, None when there was none before."""
    if growth is None:
        return None
    if growth == 0:
        return -1
    if months == 1:
        return dec(growth - 1)
    base = Decimal(growth.numerator) / Decimal(growth.denominator)
    return base ** (Decimal(1) / Decimal(months)) - 1


def _ltv_churn(moves: dict[str, Movements], month: str, window: int) -> Fraction | None:
    """Mean monthly customer churn of the `window` months ending with `month`,
    leaving out months that start with no paying customer."""
    rates = [
        rate
        for key in months_between(shift(month, 1 - window), month)
        if (rate := moves[key].churn_rate) is not None
    ]
    return mean(rates) or None


def revenue_metrics(
    session: Session,
    period: Period,
    settings: KpiSettings,
    accounts: Select[Any] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The revenue metrics of the whole period and of each of its months."""
    whole, per_month, _ = revenue_report(session, period, settings, accounts)
    return whole, per_month


def revenue_report(
    session: Session,
    period: Period,
    settings: KpiSettings,
    accounts: Select[Any] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]], OwnerCustomers]:
    """`revenue_metrics`, and the customers per account owner that the team rows show,
    from the same pass over the subscriptions."""
    window = settings.ltv_churn_window
    months = months_between(shift(period.first, -window - 1), period.last)
    total, owners = _per_owner(session, months, (period.before, period.last), accounts)
    moves, cohort = _movements(months, total)
    by_month = {move.month: move for move in moves}
    spend = _spend(session, period.months)
    trials = _trials(session, period, accounts)
    per_month = []
    for month in period.months:
        move = by_month[month]
        one = Cohort.of_month(move)
        per_month.append(
            _metrics(
                [move],
                one,
                _ltv_churn(by_month, month, window),
                spend.get(month, 0),
                trials.get(month, (0, 0)),
                settings,
            )
        )
    in_period = [by_month[month] for month in period.months]
    pooled = tuple(sum(values) for values in zip(*trials.values(), strict=False)) or (0, 0)
    whole = _metrics(
        in_period,
        cohort,
        _ltv_churn(by_month, period.last, window),
        sum(spend.values()),
        pooled,
        settings,
    )
    return whole, per_month, owners


def mrr_at(session: Session, month: str) -> Fraction:
    """MRR at the end of `month` (a convenience for checks and tests)."""
    query = select(func.coalesce(func.sum(paid_amount()), 0)).where(is_paid(), active_at_end(month))
    return Fraction(int(session.scalar(query) or 0), UNITS)
