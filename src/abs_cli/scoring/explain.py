"""Why a lead has its score: every rule that fired, the decay, the caps that clipped.

The explanation runs the batch engine on a batch of one lead, so the rule points are
the ones batch scoring stores; the contributions, rounded to cents of a point, add up
to the score exactly (a last `rounding` line carries what rounding left over).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from abs_cli.scoring.engine import fetch_batch, instant_scope
from abs_cli.scoring.model import BOOL_FIELDS, LoadedModel, resolve_model
from abs_cli.scoring.rules import BatchScores, CompiledModel, RuleSpec, compile_model, evaluate
from abs_cli.values import now, round_half_up, utc


@dataclass(frozen=True)
class Contribution:
    """One line of an explanation: a rule's points, or a cap or rounding adjustment."""

    rule: str
    part: str
    points: Decimal
    count: int | None = None
    undecayed: Decimal | None = None
    decay: Decimal | None = None
    capped_from: Decimal | None = None
    detail: str = ""


@dataclass(frozen=True)
class Explanation:
    """A lead's score, grade, level and readiness, and the contributions that sum to it."""

    email: str
    score: int
    grade: str
    level: int
    readiness: str
    fit: Decimal
    engagement: Decimal
    negative: Decimal
    model_version: str
    as_of: datetime
    contributions: list[Contribution] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """The JSON shape of `abs leads score --explain EMAIL --format json`."""
        data = asdict(self)
        data["contributions"] = [
            {key: value for key, value in item.items() if value not in (None, "")}
            for item in data["contributions"]
        ]
        return data


def _points(value: float) -> Decimal:
    return round_half_up(value, 2)


def explain_lead(
    session: Session,
    email: str,
    as_of: datetime | None = None,
    loaded: LoadedModel | None = None,
) -> Explanation:
    """Score one lead as batch scoring would, and say why, rule by rule."""
    from abs_cli.crm.lookup import find_lead_id

    lead_id = find_lead_id(session, email)
    loaded = loaded or resolve_model(session)
    compiled = compile_model(loaded.model)
    moment = utc(as_of) if as_of is not None else now()
    batch = fetch_batch(session, compiled, instant_scope(moment), lead_id, lead_id + 1, counts=True)
    return build_explanation(compiled, evaluate(compiled, batch), 0, moment)


def build_explanation(
    compiled: CompiledModel, scores: BatchScores, index: int, as_of: datetime
) -> Explanation:
    """The explanation of lead `index` of an evaluated batch."""
    model = compiled.model
    lines: list[Contribution] = []
    for row, rule in enumerate(compiled.rules):
        if not scores.matched[row, index]:
            continue
        decayed = float(scores.decayed[row, index])
        undecayed = float(scores.undecayed[row, index])
        final = float(scores.points[row, index])
        decay = decayed / undecayed if rule.kind != "field" and undecayed else None
        name = rule.name
        if rule.kind == "source":
            name = f"source {scores.fields['source'][index]}"
        lines.append(
            Contribution(
                rule=name,
                part=rule.part,
                points=_points(final),
                count=int(scores.count[row, index]) if rule.kind == "activity" else None,
                undecayed=_points(undecayed) if decay is not None else None,
                decay=round_half_up(decay, 4) if decay is not None else None,
                capped_from=_points(decayed) if final != decayed else None,
                detail=_detail(scores, index, rule, decayed if final != decayed else None),
            )
        )
    parts = (
        ("fit", scores.fit_raw, scores.fit, f"fit part capped to 0-{model.fit.cap:g}"),
        (
            "engagement",
            scores.engagement_raw,
            scores.engagement,
            f"engagement part capped to 0-{model.engagement.cap:g}",
        ),
        (
            "negative",
            scores.negative_raw,
            scores.negative,
            f"negative part capped at -{model.negative.cap:g}",
        ),
    )
    for part, raw, capped, label in parts:
        if raw[index] != capped[index]:
            lines.append(
                Contribution(rule=label, part=part, points=_points(capped[index] - raw[index]))
            )
    total = float(scores.total_raw[index])
    if not 0.0 <= total <= 100.0:
        clipped = min(max(total, 0.0), 100.0)
        lines.append(
            Contribution(rule="score range 0-100", part="total", points=_points(clipped - total))
        )
    score = int(scores.score[index])
    leftover = Decimal(score) - sum((line.points for line in lines), Decimal(0))
    if leftover:
        lines.append(Contribution(rule="rounding", part="total", points=leftover))
    return Explanation(
        email=scores.emails[index] or "",
        score=score,
        grade=str(scores.grade[index]),
        level=int(scores.level[index]),
        readiness=str(scores.readiness[index]),
        fit=_points(scores.fit[index]),
        engagement=_points(scores.engagement[index]),
        negative=_points(scores.negative[index]),
        model_version=compiled.version,
        as_of=as_of,
        contributions=lines,
    )


def _detail(scores: BatchScores, index: int, rule: RuleSpec, capped_from: float | None) -> str:
    """What matched (a field's value) and how the points were shaped (decay, cap)."""
    notes = []
    if rule.kind == "field" and rule.field in scores.fields:
        value = scores.fields[rule.field][index]
        if rule.field in BOOL_FIELDS:
            value = "unknown" if value is None else ("yes" if value else "no")
        notes.append(f"{rule.field} {value}")
    if rule.kind != "field" and rule.half_life is not None:
        notes.append(f"half-life {rule.half_life:g} days")
    if rule.cap is not None:
        notes.append(f"at most {rule.cap:g}")
    if capped_from is not None:
        notes.append(f"capped from {_points(capped_from)}")
    return ", ".join(notes)
