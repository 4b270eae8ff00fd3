"""The report document as sections for people: tables, waterfall, trends, the pyramid.

Only typed rows and column kinds are built here; the renderer formats them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from abs_cli.render.output import Column, Report, Section, format_cell

MONEY = {
    "mrr",
    "arr",
    "mrr_start",
    "mrr_new",
    "mrr_expansion",
    "mrr_reactivation",
    "mrr_contraction",
    "mrr_churn",
    "mrr_net_new",
    "arpa",
    "arpu",
    "ltv",
    "spend",
    "cac",
    "won_amount",
    "avg_won_amount",
    "pipeline_value",
    "weighted_pipeline_value",
    "sales_velocity",
}
RATES = {
    "mrr_growth_rate",
    "cmgr",
    "customer_churn_rate",
    "gross_revenue_retention",
    "net_revenue_retention",
    "revenue_churn_rate",
    "net_revenue_churn_rate",
    "trial_conversion_rate",
    "lead_to_customer_rate",
    "win_rate",
    "dau_mau",
    "campaign_response_rate",
}
NUMBERS = {
    "quick_ratio",
    "cac_payback_months",
    "ltv_to_cac",
    "sales_cycle_days",
    "sales_cycle_days_median",
    "bugs_per_customer",
}


def kind_of(metric: str) -> str:
    """How a metric is shown in a table."""
    if metric in MONEY:
        return "money"
    if metric in RATES:
        return "rate"
    if metric in NUMBERS:
        return "number"
    if metric == "nps":
        return "nps"
    return "int"


def show(metric: str, value: Any) -> str:
    """A metric's value as a table shows it (NPS as a half-up integer)."""
    kind = kind_of(metric)
    if kind == "nps":
        return format_cell(value, "number", 0)
    return format_cell(value, kind, 2 if kind == "number" else 1)


def _record(title: str, metrics: dict[str, Any], keys: list[str]) -> Section:
    rows = [{"metric": key, "value": show(key, metrics.get(key))} for key in keys]
    return Section(title, [Column("metric"), Column("value", kind="text")], rows)


def header(document: dict[str, Any]) -> Section:
    period = document["period"]
    label = (
        period["from"] if period["from"] == period["to"] else f"{period['from']} to {period['to']}"
    )
    settings = document["settings"]
    values = {
        "period": label,
        "as of": format_cell(document["as_of"]),
        "currency": settings["currency"],
        "gross margin": format_cell(settings["gross_margin"], "rate"),
        "stage probabilities": ", ".join(
            f"{step}: {format_cell(p, 'rate', 0)}"
            for step, p in settings["stage_probabilities"].items()
        ),
        "LTV churn window": f"{settings['ltv_churn_window']} months",
    }
    scope = {key: value for key, value in document.get("scope", {}).items() if value}
    if scope:
        values["filter"] = ", ".join(f"{key} {value}" for key, value in scope.items())
    return Section.record("KPI report", values)


def pipeline_sections(document: dict[str, Any]) -> list[Section]:
    metrics = document["metrics"]
    mode = document.get("funnel_mode", "cohort")
    count_key = "reached" if mode == "cohort" else "entered"
    funnel = Section(
        "Funnel"
        + (
            " (leads created in the period, steps reached so far)"
            if mode == "cohort"
            else " (entries into each step during the period; can exceed 100 %)"
        ),
        [
            Column("step", kind="int"),
            Column("stage"),
            Column(count_key, kind="int"),
            Column("conversion", "conversion to next", kind="bar"),
        ],
        document["funnel"],
    )
    stages = Section(
        "Time in step",
        [
            Column("step", kind="int"),
            Column("stage"),
            Column("exits", kind="int"),
            Column("avg_days_in_stage", "avg days", kind="number"),
        ],
        document["stages"],
    )
    keys = [
        "leads_new",
        "lead_to_customer_rate",
        "deals_won",
        "deals_lost",
        "win_rate",
        "won_amount",
        "avg_won_amount",
        "sales_cycle_days",
        "sales_cycle_days_median",
        "open_deals",
        "pipeline_value",
        "weighted_pipeline_value",
        "sales_velocity",
    ]
    return [funnel, stages, _record("Pipeline", metrics, keys)]


def team_sections(document: dict[str, Any]) -> list[Section]:
    def flat(row: dict[str, Any]) -> dict[str, Any]:
        activities = row["activities"]
        return {
            **row,
            "rep": row["rep"] or f"all {row['role']}",
            "calls": activities.get("call", 0),
            "emails": activities.get("email", 0),
            "meetings": activities.get("meeting", 0),
            "demos": activities.get("demo", 0),
        }

    rows = [flat(row) for row in document["team"]] + [flat(row) for row in document["roles"]]
    activity = Section(
        "Team activity",
        [
            Column("rep"),
            Column("role"),
            Column("activities_total", "activities", kind="int"),
            Column("calls", kind="int"),
            Column("emails", kind="int"),
            Column("meetings", kind="int"),
            Column("demos", kind="int"),
            Column("meetings_booked", kind="int"),
        ],
        rows,
    )
    deals = Section(
        "Account executives",
        [
            Column("rep"),
            Column("deals_won", "won", kind="int"),
            Column("deals_lost", "lost", kind="int"),
            Column("win_rate", kind="rate"),
            Column("won_amount", kind="money"),
        ],
        [row for row in rows if row["role"] == "ae"],
    )
    success = Section(
        "Customer success",
        [
            Column("rep"),
            Column("customers", kind="int"),
            Column("customers_churned", "churned", kind="int"),
            Column("nps", kind="number", decimals=0),
            Column("nps_responses", "responses", kind="int"),
        ],
        [row for row in rows if row["role"] == "cs"],
    )
    speed = document["metrics"]["speed_to_lead"]
    speed_values = {
        "inbound leads": speed["leads"],
        "touched": speed["touched"],
        "untouched": speed["untouched"],
        "median minutes": format_cell(speed["median_minutes"], "number"),
        "p90 minutes": format_cell(speed["p90_minutes"], "number"),
        "within 5 min": format_cell(speed["within_5m"], "rate"),
        "within 1 hour": format_cell(speed["within_1h"], "rate"),
        "within 24 hours": format_cell(speed["within_24h"], "rate"),
    }
    goals = Section(
        "Goals",
        [
            Column("month"),
            Column("role"),
            Column("rep"),
            Column("metric"),
            Column("target", kind="number", decimals=2),
            Column("actual", kind="number", decimals=2),
            Column("attainment", kind="bar"),
        ],
        document["goals"],
    )
    return [activity, deals, success, Section.record("Speed to lead", speed_values), goals]


WATERFALL = (
    ("MRR at start", "mrr_start", 1),
    ("new", "mrr_new", 1),
    ("expansion", "mrr_expansion", 1),
    ("reactivation", "mrr_reactivation", 1),
    ("contraction", "mrr_contraction", -1),
    ("churn", "mrr_churn", -1),
    ("MRR at end", "mrr", 1),
)


def revenue_sections(document: dict[str, Any]) -> list[Section]:
    metrics = document["metrics"]
    start = metrics["mrr_start"]
    rows = []
    for label, key, sign in WATERFALL:
        amount = metrics[key] * sign if metrics[key] is not None else None
        share = Decimal(str(amount)) / Decimal(str(start)) if start and amount is not None else None
        rows.append({"movement": label, "amount": amount, "of_start": share})
    waterfall = Section(
        "MRR movements",
        [
            Column("movement"),
            Column("amount", kind="money"),
            Column("of_start", "of MRR at start", kind="bar"),
        ],
        rows,
    )
    keys = [
        "mrr_growth_rate",
        "cmgr",
        "mrr",
        "arr",
        "customers",
        "customers_new",
        "customers_reactivated",
        "customers_churned",
        "customer_churn_rate",
        "gross_revenue_retention",
        "net_revenue_retention",
        "revenue_churn_rate",
        "net_revenue_churn_rate",
        "arpa",
        "ltv",
        "spend",
        "cac",
        "cac_payback_months",
        "ltv_to_cac",
        "quick_ratio",
        "trials",
        "trials_converted",
        "trial_conversion_rate",
    ]
    return [waterfall, _record("Revenue", metrics, keys)]


def customers_sections(document: dict[str, Any]) -> list[Section]:
    metrics = document["metrics"]
    keys = [
        "nps",
        "nps_responses",
        "nps_promoters",
        "nps_passives",
        "nps_detractors",
        "mau",
        "dau_mau",
        "new_users",
        "leads_new",
        "campaign_response_rate",
        "tickets_total",
        "bugs_per_customer",
    ]
    record = _record("Customers", metrics, keys)
    record.rows = [
        *record.rows,
        *(
            {"metric": f"tickets: {name}", "value": format_cell(count, "int")}
            for name, count in metrics["tickets"].items()
        ),
    ]
    features = Section(
        "Feature adoption (last month of the period)",
        [Column("feature"), Column("users", kind="int"), Column("adoption", kind="bar")],
        document["features"],
    )
    campaigns = Section(
        "Campaigns sent in the period",
        [
            Column("campaign"),
            Column("sent", kind="int"),
            Column("responded", kind="int"),
            Column("response_rate", kind="rate"),
        ],
        document["campaigns"],
    )
    return [record, features, campaigns]


TREND_METRICS = (
    "mrr",
    "mrr_growth_rate",
    "customers",
    "customer_churn_rate",
    "net_revenue_retention",
    "arpa",
    "leads_new",
    "deals_won",
    "win_rate",
    "pipeline_value",
    "nps",
    "mau",
    "dau_mau",
)


def trend_section(document: dict[str, Any], metrics: tuple[str, ...] = TREND_METRICS) -> Section:
    months = document["months"]
    rows = []
    for key in metrics:
        if key not in months[0]["metrics"]:
            continue
        values = [month["metrics"].get(key) for month in months]
        row = {"metric": key, "trend": values}
        for month, value in zip(months, values, strict=True):
            row[month["month"]] = show(key, value)
        rows.append(row)
    columns = [Column("metric"), Column("trend", kind="spark")]
    columns += [Column(month["month"], kind="int") for month in months]
    return Section("Month by month", columns, rows)


PYRAMID = (
    ("top: north star", ("mrr_growth_rate",)),
    ("middle: churn and price", ("customer_churn_rate", "arpa")),
    (
        "base: satisfaction, adoption, acquisition",
        ("nps", "mau", "dau_mau", "new_users", "leads_new"),
    ),
)


def pyramid_section(document: dict[str, Any]) -> Section:
    metrics = document["metrics"]
    rows = [
        {"level": level, "metric": key, "value": show(key, metrics.get(key))}
        for level, keys in PYRAMID
        for key in keys
        if key in metrics
    ]
    return Section(
        "The pyramid (read bottom-up)", [Column("level"), Column("metric"), Column("value")], rows
    )


BUILDERS = {
    "pipeline": pipeline_sections,
    "team": team_sections,
    "revenue": revenue_sections,
    "customers": customers_sections,
}


def report_view(
    document: dict[str, Any], sections: tuple[str, ...], *, by_month: bool, pyramid: bool
) -> Report:
    """The sections people read, with the document as JSON for scripts."""
    parts = [header(document)]
    for name in sections:
        parts += BUILDERS[name](document)
    if by_month or len(document["months"]) > 1:
        parts.append(trend_section(document))
    if pyramid:
        parts.append(pyramid_section(document))
    return Report(parts, document=document)
