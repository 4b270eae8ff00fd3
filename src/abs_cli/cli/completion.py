"""Shell completion of option values: stage ids, roles, rep e-mails, metric ids, presets.

A completion runs at every Tab press, so it must be fast and must never fail: rep
e-mails come from the store only if it already exists (never created, never migrated),
read without the ORM (`store/names.py`), and any error completes nothing.
"""

from __future__ import annotations

import typer

from abs_cli.domain import ALL_STAGES, ROLES, STAGES

REPORT_METRICS: tuple[str, ...] = (
    "mrr",
    "arr",
    "mrr_start",
    "mrr_new",
    "mrr_expansion",
    "mrr_reactivation",
    "mrr_contraction",
    "mrr_churn",
    "mrr_net_new",
    "mrr_growth_rate",
    "cmgr",
    "customers",
    "customers_start",
    "customers_new",
    "customers_reactivated",
    "customers_churned",
    "customer_churn_rate",
    "gross_revenue_retention",
    "net_revenue_retention",
    "revenue_churn_rate",
    "net_revenue_churn_rate",
    "arpa",
    "arpu",
    "quick_ratio",
    "ltv",
    "spend",
    "cac",
    "cac_payback_months",
    "ltv_to_cac",
    "trials",
    "trials_converted",
    "trial_conversion_rate",
    "leads_new",
    "lead_to_customer_rate",
    "deals_won",
    "deals_lost",
    "won_amount",
    "avg_won_amount",
    "win_rate",
    "sales_cycle_days",
    "sales_cycle_days_median",
    "meetings_booked",
    "open_deals",
    "pipeline_value",
    "weighted_pipeline_value",
    "sales_velocity",
    "nps",
    "nps_responses",
    "nps_promoters",
    "nps_passives",
    "nps_detractors",
    "mau",
    "dau_mau",
    "new_users",
    "campaign_response_rate",
    "tickets_total",
    "bugs_per_customer",
)
"""The scalar metrics of docs/kpi-json.md, the ones `abs kpi check` compares
(tests/cli/test_completion.py keeps this list equal to a real report's)."""

PRESET_NAMES: tuple[str, ...] = ("hubspot", "salesforce", "pipedrive")
REP_LIMIT = 50


def _starting(values: tuple[str, ...] | list[str], incomplete: str) -> list[str]:
    prefix = incomplete.lower()
    return [value for value in values if value.lower().startswith(prefix)]


def complete_stage(incomplete: str) -> list[str]:
    """A stage id (the seven steps and the exit stages); the step numbers also work."""
    return _starting(list(ALL_STAGES), incomplete)


def complete_step(incomplete: str) -> list[str]:
    """A stage id of the seven steps (where exit stages make no sense)."""
    return _starting(list(STAGES), incomplete)


def complete_role(incomplete: str) -> list[str]:
    return _starting(list(ROLES), incomplete)


def complete_preset(incomplete: str) -> list[str]:
    return _starting(list(PRESET_NAMES), incomplete)


def complete_metric(incomplete: str) -> list[str]:
    return _starting(list(REPORT_METRICS), incomplete)


def complete_goal_metric(incomplete: str) -> list[str]:
    from abs_cli.kpi.goals import METRICS

    return _starting(list(METRICS), incomplete)


def complete_check(incomplete: str) -> list[str]:
    """`abs kpi check` arguments start with a metric id: complete that part."""
    if any(operator in incomplete for operator in "<>=!"):
        return []
    return complete_metric(incomplete)


def complete_rep(ctx: typer.Context, incomplete: str) -> list[str]:
    """Rep e-mails from the store named by --db / ABS_DB / the default; nothing when the
    store does not exist yet or cannot be read."""
    try:
        return _rep_emails(ctx, incomplete)
    except Exception:  # a completion never fails: no store, a locked one, a bad URL…
        return []


def _rep_emails(ctx: typer.Context, incomplete: str) -> list[str]:
    from abs_cli.store.location import resolve_store
    from abs_cli.store.names import rep_emails

    location = resolve_store(ctx.find_root().params.get("db"))
    return rep_emails(location, incomplete, limit=REP_LIMIT)
