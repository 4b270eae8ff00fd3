"""The vocabulary of activity-based selling (docs/domain.md §1): roles, steps, sources, types.

Plain constants only, so the CLI can use them for help and validation without
importing the database layer.
"""

from __future__ import annotations

ROLES: tuple[str, ...] = ("sdr", "ir", "ae", "cs", "manager", "enablement")
SELLING_ROLES: tuple[str, ...] = ("sdr", "ir", "ae", "cs")

STAGES: tuple[str, ...] = (
    "prospect",
    "qualified",
    "discovery",
    "demo",
    "proposal",
    "negotiation",
    "customer",
)
EXIT_STAGES: tuple[str, ...] = ("lost", "disqualified", "churned")
ALL_STAGES: tuple[str, ...] = STAGES + EXIT_STAGES
STEP_OF: dict[str, int] = {stage: number for number, stage in enumerate(STAGES, start=1)}
STAGE_OWNER_ROLE: dict[str, tuple[str, ...]] = {
    "prospect": ("sdr", "ir"),
    "qualified": ("sdr", "ir"),
    "discovery": ("ae",),
    "demo": ("ae",),
    "proposal": ("ae",),
    "negotiation": ("ae",),
    "customer": ("cs",),
}

INBOUND_SOURCES: tuple[str, ...] = (
    "demo_request",
    "content_download",
    "webinar",
    "trial_signup",
    "contact_form",
    "referral",
    "event",
)
OUTBOUND_SOURCES: tuple[str, ...] = (
    "outbound_list",
    "cold_call",
    "purchased_list",
    "social_selling",
)

SALES_ACTIVITY_TYPES: tuple[str, ...] = ("call", "email", "meeting", "demo", "note", "social")
MARKETING_TOUCH_TYPES: tuple[str, ...] = (
    "web_visit",
    "email_open",
    "email_click",
    "content_download",
    "webinar",
    "form_submit",
    "demo_request",
)
ACTIVITY_TYPES: tuple[str, ...] = SALES_ACTIVITY_TYPES + MARKETING_TOUCH_TYPES
TOUCH_TYPES: tuple[str, ...] = ("call", "email", "social", "meeting")
"""Activities that count as a first touch for speed-to-lead (docs/metrics.md, Team)."""

BUYING_ROLES: tuple[str, ...] = ("decision_maker", "champion", "influencer", "user", "blocker")
INTERVALS: tuple[str, ...] = ("month", "quarter", "year")
SPEND_CATEGORIES: tuple[str, ...] = ("sales", "marketing")
TICKET_TYPES: tuple[str, ...] = ("bug", "incident", "question", "request", "unknown")
READINESS: tuple[str, ...] = ("none", "mql", "sql")
GRADES: tuple[str, ...] = ("A", "B", "C", "D")
CHANGE_KINDS: tuple[str, ...] = ("import", "edit", "merge")
"""What a recorded change set is (docs/domain.md §5): `abs … import`, `abs leads edit`,
`abs leads merge`."""
CHANGE_STATUSES: tuple[str, ...] = ("running", "done", "failed", "reverted")
CUSTOM_TYPES: tuple[str, ...] = ("number", "date", "boolean", "category", "text")
CUSTOM_ENTITIES: tuple[str, ...] = ("lead", "account")
"""The types of a custom field (docs/domain.md §4.7): a column of a leads or accounts file
that the contract does not name; a field belongs to leads or to accounts."""


def stage_from_user(value: str) -> str:
    """Accept a stage id or step number ('3', 'discovery', 'Discovery') and return the id.

    Raises:
        ValueError: when the value names no stage.
    """
    text = value.strip().lower()
    if text.isdigit() and 1 <= int(text) <= len(STAGES):
        return STAGES[int(text) - 1]
    if text in ALL_STAGES:
        return text
    raise ValueError(
        f"unknown stage {value!r}; use one of {', '.join(ALL_STAGES)} or a step number 1-7"
    )


def lead_label(email: str | None, external_id: str | None, lead_id: int) -> str:
    """How a lead is named in output: its e-mail, else its external id, else `#id`."""
    return email or external_id or f"#{lead_id}"
