"""Whether a move is allowed: the transition rules and the gates of the workflow config.

A move forward by one step is normal; `kind_of_move` names what makes any other move
exceptional (skipping, moving back, reopening), which then needs `force` and a reason.
A gate guards entering a stage (a readiness level, a held activity, a deal amount);
`GateChecks` fetches what a chunk of moves needs in two queries and refuses one move at a
time with the gate's name and what would satisfy it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from abs_cli.domain import EXIT_STAGES, READINESS, STEP_OF
from abs_cli.pipeline.config import WorkflowConfig
from abs_cli.store.models import Activity, LeadScore

EXIT_FROM: dict[str, tuple[str, ...]] = {
    "lost": ("discovery", "demo", "proposal", "negotiation"),
    "disqualified": ("prospect", "qualified"),
    "churned": ("customer",),
}
"""The stages each side exit may be entered from without `force`."""


class Refused(Exception):
    """A rule or gate refused one lead's move (reported on its line, not raised further)."""


def kind_of_move(current: str, target: str) -> str | None:
    """None for a normal move, else what makes it exceptional."""
    if target in EXIT_STAGES:
        if current in EXIT_FROM[target]:
            return None
        allowed = ", ".join(EXIT_FROM[target])
        return f"{target} is reached from {allowed}, not from {current}"
    if current in EXIT_STAGES:
        return f"reopening a {current} lead at {target}"
    gap = STEP_OF[target] - STEP_OF[current]
    if gap == 1:
        return None
    if gap < 0:
        return f"moving back from {current} to {target}"
    skipped = gap - 1
    return f"moving from {current} to {target} skips {skipped} step{'s' * (skipped > 1)}"


@dataclass
class GateChecks:
    """What the gates of one chunk need, fetched set-based: scores and held activities."""

    config: WorkflowConfig
    scores: dict[int, tuple[str, int]]
    activities: dict[int, set[str]]

    @classmethod
    def load(
        cls,
        session: Session,
        config: WorkflowConfig,
        targets: Iterable[tuple[int, str]],
        at: datetime,
    ) -> GateChecks:
        """Fetch what the gates of these (lead id, target stage) moves need, as of `at`."""
        need_score: list[int] = []
        need_activity: list[int] = []
        kinds: set[str] = set()
        for lead_id, target in targets:
            if target in EXIT_STAGES:
                continue
            gate = config.gate_for(target)
            if gate.readiness:
                need_score.append(lead_id)
            if gate.activity:
                need_activity.append(lead_id)
                kinds.update(gate.activity)
        scores: dict[int, tuple[str, int]] = {}
        if need_score:
            query = select(
                col(LeadScore.lead_id), col(LeadScore.readiness), col(LeadScore.score)
            ).where(col(LeadScore.lead_id).in_(need_score))
            scores = {
                lead_id: (readiness, score) for lead_id, readiness, score in session.execute(query)
            }
        activities: dict[int, set[str]] = {}
        if need_activity:
            held = (
                select(col(Activity.lead_id), col(Activity.type))
                .where(
                    col(Activity.lead_id).in_(need_activity),
                    col(Activity.type).in_(sorted(kinds)),
                    col(Activity.occurred_at) <= at,
                    (col(Activity.due_at).is_(None)) | (col(Activity.due_at) <= at),
                )
                .distinct()
            )
            for lead_id, kind in session.execute(held):
                activities.setdefault(lead_id, set()).add(kind)
        return cls(config, scores, activities)

    def check(self, row: Any, target: str, amount: int | None) -> None:
        """Refuse with the gate's name and what would satisfy it."""
        if target in EXIT_STAGES:
            return
        gate = self.config.gate_for(target)
        if not (gate.readiness or gate.activity or gate.amount):
            return
        if gate.readiness and row.id in self.scores:
            readiness, score = self.scores[row.id]
            if READINESS.index(readiness) < READINESS.index(gate.readiness):
                raise Refused(
                    f"gate {target}: needs readiness {gate.readiness}, the lead's score "
                    f"{score} is {readiness}; raise the score or pass --force --reason"
                )
        if gate.activity and not self.activities.get(row.id):
            kinds = " or ".join(gate.activity)
            raise Refused(
                f"gate {target}: needs a held {kinds} activity; log one with "
                f"`abs activities log LEAD --type {gate.activity[0]}` or pass --force --reason"
            )
        if gate.amount and amount is None:
            raise Refused(f"gate {target}: needs a deal amount; pass --amount")
