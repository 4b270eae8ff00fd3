"""A small hand-computed company for January 2026, used by the pipeline, team,
customers and report tests (expected values are worked out in the tests)."""

from __future__ import annotations

from typing import Any

REPS = [
    {"id": 1, "email": "ana@acme.io", "name": "Ana", "role": "ae"},
    {"id": 2, "email": "sam@acme.io", "name": "Sam", "role": "sdr"},
    {"id": 3, "email": "cat@acme.io", "name": "Cat", "role": "cs"},
]
ACCOUNTS = [
    {"id": 1, "domain": "one.io", "owner_id": 3},
    {"id": 2, "domain": "two.io"},
]
LEADS = [
    {"id": 1, "email": "l1@one.io", "created_at": "2026-01-01", "source": "webinar", "owner_id": 2},
    {"id": 2, "email": "l2@two.io", "created_at": "2026-01-05", "source": "Demo_Request"},
    {"id": 3, "email": "l3@x.io", "created_at": "2026-01-10", "source": "cold_call"},
    {"id": 4, "email": "l4@x.io", "created_at": "2025-12-01"},
    {"id": 5, "email": "l5@x.io", "created_at": "2026-01-15", "source": "referral"},
    {"id": 6, "email": "l6@x.io", "created_at": "2025-12-15"},
]
HISTORY = [
    {"id": 1, "lead_id": 1, "to_stage": "qualified", "changed_at": "2026-01-02", "rep_id": 2},
    {
        "id": 2,
        "lead_id": 1,
        "to_stage": "discovery",
        "changed_at": "2026-01-04",
        "rep_id": 1,
        "amount": 1000,
    },
    {"id": 3, "lead_id": 1, "to_stage": "customer", "changed_at": "2026-01-11", "rep_id": 1},
    {"id": 4, "lead_id": 2, "to_stage": "discovery", "changed_at": "2026-01-06", "amount": 500},
    {"id": 5, "lead_id": 2, "to_stage": "discovery", "changed_at": "2026-01-07", "amount": 600},
    {"id": 6, "lead_id": 2, "to_stage": "lost", "changed_at": "2026-01-09", "rep_id": 1},
    {"id": 7, "lead_id": 3, "to_stage": "proposal", "changed_at": "2026-01-12", "amount": 300},
    {"id": 8, "lead_id": 4, "to_stage": "qualified", "changed_at": "2025-11-20"},
    {
        "id": 9,
        "lead_id": 4,
        "to_stage": "discovery",
        "changed_at": "2026-01-03",
        "rep_id": 1,
        "amount": 200,
    },
    {"id": 10, "lead_id": 4, "to_stage": "qualified", "changed_at": "2026-01-08"},
    {"id": 11, "lead_id": 5, "to_stage": "qualified", "changed_at": "2026-01-16T10:00"},
    {"id": 12, "lead_id": 5, "to_stage": "discovery", "changed_at": "2026-01-16T10:00"},
    {"id": 13, "lead_id": 6, "to_stage": "negotiation", "changed_at": "2025-12-20", "amount": 800},
]
ACTIVITIES = [
    {"lead_id": 1, "rep_id": 2, "type": "call", "occurred_at": "2026-01-01T00:04"},
    {"lead_id": 1, "rep_id": 2, "type": "email", "occurred_at": "2026-01-01T00:30"},
    {"lead_id": 2, "rep_id": 2, "type": "email", "occurred_at": "2026-01-04"},
    {"lead_id": 2, "rep_id": 1, "type": "email", "occurred_at": "2026-01-05T01:00"},
    {"lead_id": 5, "rep_id": 1, "type": "web_visit", "occurred_at": "2026-01-15T00:01"},
    {"lead_id": 3, "rep_id": 1, "type": "demo", "occurred_at": "2026-01-13"},
    {"lead_id": 3, "type": "call", "occurred_at": "2026-01-20"},
]
SUBSCRIPTIONS = [
    {"account_id": 1, "started_at": "2025-12-01", "amount": 100},
    {"account_id": 2, "started_at": "2025-12-01", "ended_at": "2026-01-20", "amount": 50},
]
NPS = [
    # 3 promoters, 3 passives, 2 detractors: NPS 12.5, shown 13 (Python's round gives 12).
    {"respondent": "a", "score": 10, "responded_at": "2026-01-03", "account_id": 1},
    {"respondent": "b", "score": 9, "responded_at": "2026-01-03"},
    {"respondent": "c", "score": 9, "responded_at": "2026-01-04"},
    {"respondent": "d", "score": 8, "responded_at": "2026-01-04"},
    {"respondent": "e", "score": 7, "responded_at": "2026-01-04"},
    {"respondent": "f", "score": 7, "responded_at": "2026-01-05"},
    {"respondent": "g", "score": 6, "responded_at": "2026-01-05"},
    {"respondent": "h", "score": 0, "responded_at": "2026-01-31T23:59"},
    {"respondent": "i", "score": 0, "responded_at": "2026-02-01"},
]
USAGE = [
    {"user_key": "u1", "occurred_at": "2026-01-03", "feature": "export"},
    {"user_key": "u1", "occurred_at": "2026-01-04"},
    {"user_key": "u1", "occurred_at": "2026-01-04T05:00"},
    {"user_key": "u2", "occurred_at": "2025-12-04"},
    {"user_key": "u2", "occurred_at": "2026-01-04", "feature": "api"},
    {"user_key": "u3", "occurred_at": "2026-01-31T23:59", "feature": "export"},
]
CAMPAIGNS = [
    {"campaign": "w1", "lead_id": 1, "sent_at": "2026-01-02", "responded_at": "2026-02-01"},
    {"campaign": "w1", "lead_id": 2, "sent_at": "2026-01-02"},
    {"campaign": "w2", "lead_id": 1, "sent_at": "2026-01-20", "responded_at": "2026-01-21"},
    {"campaign": "w0", "lead_id": 3, "sent_at": "2025-12-20", "responded_at": "2026-01-02"},
]
TICKETS = [
    {"account_id": 1, "opened_at": "2026-01-05", "type": "bug"},
    {"account_id": 1, "opened_at": "2026-01-06", "type": "incident"},
    {"account_id": 2, "opened_at": "2026-01-07", "type": "question"},
    {"account_id": 2, "opened_at": "2026-01-08", "type": "unknown"},
]
GOALS = [
    {"metric": "deals_won", "period": "2026-01", "scope": "role:ae", "role": "ae", "target": 2},
    {"metric": "meetings_booked", "period": "2026-01", "scope": "rep:2", "rep_id": 2, "target": 1},
    {"metric": "calls", "period": "2026-01", "scope": "company", "target": 4},
    {"metric": "meetings_booked", "period": "2026-01", "scope": "company", "target": 4},
    {"metric": "win_rate", "period": "2025-12", "scope": "company", "target": 1},
]


SNAPSHOTS = {
    1: ("customer", "2026-01-11"),
    2: ("lost", "2026-01-09"),
    3: ("proposal", "2026-01-12"),
    4: ("qualified", "2026-01-08"),
    5: ("discovery", "2026-01-16T10:00"),
    6: ("negotiation", "2025-12-20"),
}
"""Each lead's stage snapshot, equal to its last history row (as every writer keeps it)."""
for lead in LEADS:
    lead["stage"], lead["stage_changed_at"] = SNAPSHOTS[lead["id"]]


def company() -> dict[str, Any]:
    return {
        "rep": REPS,
        "account": ACCOUNTS,
        "lead": LEADS,
        "stage_history": HISTORY,
        "activity": ACTIVITIES,
        "subscription": SUBSCRIPTIONS,
        "nps_response": NPS,
        "usage_event": USAGE,
        "campaign_member": CAMPAIGNS,
        "ticket": TICKETS,
        "goal": GOALS,
        "spend": [{"month": "2026-01", "category": "marketing", "amount": 100}],
    }
