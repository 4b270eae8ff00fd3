"""How well a model separates won leads from lost or disqualified ones.

Each closed lead is scored as of its outcome (the day it became a customer, or was lost
or disqualified), so activities that came after the outcome never inflate the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from abs_cli.errors import InputError
from abs_cli.scoring.engine import Scope, iter_scores, lead_t
from abs_cli.scoring.model import LoadedModel
from abs_cli.scoring.rules import CompiledModel, compile_model
from abs_cli.store import tables
from abs_cli.values import utc

WON_STAGES = ("customer", "churned")
LOST_STAGES = ("lost", "disqualified")
history_t = tables.stage_history


def closed_leads(since: datetime | None = None) -> Subquery:
    """`(lead_id, as_of, won, created_at)` of every lead with an outcome.

    Won = reached `customer` (in the history or as its stage, churned included), at the
    first time it did; lost = now `lost` or `disqualified` and never a customer, at its
    last change of stage.
    """
    first_win = (
        select(history_t.c.lead_id, func.min(history_t.c.changed_at).label("won_at"))
        .where(history_t.c.to_stage == "customer")
        .group_by(history_t.c.lead_id)
        .subquery("first_win")
    )
    won = or_(first_win.c.lead_id.is_not(None), lead_t.c.stage.in_(WON_STAGES))
    query = (
        select(
            lead_t.c.id.label("lead_id"),
            func.coalesce(first_win.c.won_at, lead_t.c.stage_changed_at).label("as_of"),
            case((won, literal(1)), else_=literal(0)).label("won"),
            lead_t.c.created_at.label("created_at"),
        )
        .select_from(lead_t.outerjoin(first_win, first_win.c.lead_id == lead_t.c.id))
        .where(lead_t.c.forgotten_at.is_(None), or_(won, lead_t.c.stage.in_(LOST_STAGES)))
    )
    if since is not None:
        query = query.where(lead_t.c.created_at >= utc(since))
    return query.subquery("closed")


def auc(scores: np.ndarray, won: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties counted half); None without both classes."""
    positives = int(won.sum())
    negatives = len(won) - positives
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    _, starts, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = starts + (counts + 1) / 2.0
    ranks[order] = np.repeat(average, counts)
    rank_sum = ranks[won.astype(bool)].sum()
    return float((rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives))


@dataclass
class ScoredOutcomes:
    """Closed leads with their score at the outcome, in lead-id order."""

    ids: np.ndarray
    won: np.ndarray
    created_at: np.ndarray
    score: np.ndarray
    grade: np.ndarray
    readiness: np.ndarray


def score_outcomes(
    session: Session, compiled: CompiledModel, since: datetime | None = None
) -> ScoredOutcomes:
    """Score every closed lead as of its own outcome, with the batch engine."""
    closed = closed_leads(since)
    rows = session.execute(
        select(closed.c.lead_id, closed.c.won, closed.c.created_at).order_by(closed.c.lead_id)
    ).all()
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    won = np.array([row[1] for row in rows], dtype=np.int8)
    created = np.array([utc(row[2]).timestamp() for row in rows], dtype=float)
    parts: dict[str, list[np.ndarray]] = {"ids": [], "score": [], "grade": [], "readiness": []}
    for batch in iter_scores(session, compiled, Scope(closed)):
        parts["ids"].append(batch.ids)
        parts["score"].append(batch.score)
        parts["grade"].append(batch.grade)
        parts["readiness"].append(batch.readiness)
    scored_ids = np.concatenate(parts["ids"]) if parts["ids"] else np.zeros(0, np.int64)
    if not np.array_equal(scored_ids, ids):
        raise RuntimeError("closed leads and their scores are out of step")
    return ScoredOutcomes(
        ids=ids,
        won=won,
        created_at=created,
        score=np.concatenate(parts["score"]) if parts["score"] else np.zeros(0, np.int64),
        grade=np.concatenate(parts["grade"]) if parts["grade"] else np.zeros(0, str),
        readiness=np.concatenate(parts["readiness"]) if parts["readiness"] else np.zeros(0, str),
    )


@dataclass
class Backtest:
    """What `abs score backtest` reports."""

    model_version: str
    leads: int
    won: int
    lost: int
    auc: float | None
    by_grade: list[dict[str, Any]] = field(default_factory=list)
    by_decile: list[dict[str, Any]] = field(default_factory=list)
    thresholds: list[dict[str, Any]] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version,
            "leads": self.leads,
            "won": self.won,
            "lost": self.lost,
            "auc": self.auc,
            "by_grade": self.by_grade,
            "by_decile": self.by_decile,
            "thresholds": self.thresholds,
        }


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summarise(version: str, outcomes: ScoredOutcomes, mql: float, sql: float) -> Backtest:
    """AUC, conversion by grade and by score decile, and the thresholds' precision/recall."""
    won = outcomes.won.astype(bool)
    total_won = int(won.sum())
    result = Backtest(version, len(won), total_won, len(won) - total_won, None)
    result.auc = auc(outcomes.score.astype(float), won)
    for grade in ("A", "B", "C", "D"):
        mask = outcomes.grade == grade
        count, wins = int(mask.sum()), int(won[mask].sum())
        result.by_grade.append(
            {"grade": grade, "leads": count, "won": wins, "conversion": _rate(wins, count)}
        )
    order = np.lexsort((outcomes.ids, -outcomes.score))
    for decile, chunk in enumerate(np.array_split(order, 10), start=1):
        if not len(chunk):
            continue
        wins = int(won[chunk].sum())
        result.by_decile.append(
            {
                "decile": decile,
                "leads": len(chunk),
                "min_score": int(outcomes.score[chunk].min()),
                "max_score": int(outcomes.score[chunk].max()),
                "won": wins,
                "conversion": _rate(wins, len(chunk)),
            }
        )
    for name, threshold, flagged in (
        ("mql", mql, np.isin(outcomes.readiness, ("mql", "sql"))),
        ("sql", sql, outcomes.readiness == "sql"),
    ):
        hits = int((flagged & won).sum())
        result.thresholds.append(
            {
                "readiness": name,
                "threshold": threshold,
                "flagged": int(flagged.sum()),
                "won_flagged": hits,
                "precision": _rate(hits, int(flagged.sum())),
                "recall": _rate(hits, total_won),
            }
        )
    return result


def backtest(session: Session, loaded: LoadedModel, since: datetime | None = None) -> Backtest:
    """Backtest a model on every closed lead (created since `since`)."""
    compiled = compile_model(loaded.model)
    outcomes = score_outcomes(session, compiled, since)
    if not len(outcomes.ids):
        raise InputError(
            "no won, lost or disqualified leads to backtest on"
            + (f" created since {since:%Y-%m-%d}" if since else ""),
            hint="record outcomes with `abs pipeline` or import the stage history",
        )
    readiness = loaded.model.readiness
    return summarise(compiled.version, outcomes, readiness.mql, readiness.sql)
