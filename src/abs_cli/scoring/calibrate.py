"""Learn from won/lost history which fields and activities predict a win.

Features are taken as they stood at each lead's outcome: the lead's fields, and counts
of its activities per type *before* the outcome (no leakage, and no decay measured from
today, so a calibration does not drift from one day to the next). A logistic regression
(L2-regularised, Newton's method in numpy) is trained on the older leads and compared
with the current model on the newest ones.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from abs_cli.domain import ACTIVITY_TYPES
from abs_cli.errors import InputError
from abs_cli.scoring.backtest import auc, closed_leads, score_outcomes
from abs_cli.scoring.engine import FIELD_COLUMNS, account_t, activity_t, lead_t
from abs_cli.scoring.model import CUSTOM_PREFIX, LoadedModel, ScoringModel, parse_model
from abs_cli.scoring.rules import compile_model
from abs_cli.store import tables

MIN_OUTCOMES = 50
LEARNED_TYPES = ("number", "boolean", "category")
"""Custom field types calibration learns from: numbers by band, the others by value."""
COUNT_CAP = 5
"""Activity counts are capped at this many: the learned points per activity get `max`."""
SIZE_BANDS: tuple[tuple[int, int | None], ...] = (
    (0, 9),
    (10, 49),
    (50, 199),
    (200, 999),
    (1000, 4999),
    (5000, None),
)
CATEGORY_FIELDS = ("source", "industry", "country", "target_tier", "title")
NUMBER_BINS = 6
"""A number custom field is cut at the training leads' sextiles: a feature per band."""


@dataclass(frozen=True)
class Feature:
    """One column of the design matrix: a field value, a seniority class or an activity type."""

    kind: str  # "field", "seniority", "size", "consent", "activity", "custom" or "band"
    field: str
    value: Any = None
    low: float | None = None
    high: float | None = None

    @property
    def label(self) -> str:
        if self.kind == "custom":
            return f"{self.field} = {self.value}"
        if self.kind == "band":
            low = "" if self.low is None else f"{self.low:g}"
            high = "" if self.high is None else f"{self.high:g}"
            return (
                f"{self.field} {low}–{high}"
                if low and high
                else (f"{self.field} under {high}" if high else f"{self.field} {low} or more")
            )
        if self.kind == "activity":
            return f"activities {self.field} (per activity, up to {COUNT_CAP})"
        if self.kind == "size":
            top = f"-{self.high}" if self.high is not None else "+"
            return f"employees {self.low}{top}"
        if self.kind == "consent":
            return "consent given"
        if self.kind == "seniority":
            return f"title seniority {self.value}"
        return f"{self.field} = {self.value}"


@dataclass
class History:
    """Closed leads' fields and activity counts at their outcome, oldest first."""

    ids: np.ndarray
    won: np.ndarray
    created_at: np.ndarray
    fields: dict[str, list[Any]]
    counts: np.ndarray  # (leads, activity types)
    custom: dict[str, tuple[str, list[Any]]] = field(default_factory=dict)
    """Custom field → (type, each lead's value: a float for numbers, else the text)."""


def load_history(session: Session) -> History:
    """One set-based query: fields and per-type activity counts before each outcome."""
    closed = closed_leads()
    counts = (
        select(
            activity_t.c.lead_id,
            *(
                func.sum(case((activity_t.c.type == kind, 1), else_=0)).label(kind)
                for kind in ACTIVITY_TYPES
            ),
        )
        .select_from(activity_t.join(closed, closed.c.lead_id == activity_t.c.lead_id))
        .where(activity_t.c.occurred_at < closed.c.as_of)
        .group_by(activity_t.c.lead_id)
        .subquery("counts")
    )
    query = (
        select(
            closed.c.lead_id,
            closed.c.won,
            closed.c.created_at,
            *(column.label(name) for name, column in FIELD_COLUMNS.items()),
            *(func.coalesce(counts.c[kind], 0).label(f"n_{kind}") for kind in ACTIVITY_TYPES),
        )
        .select_from(
            closed.join(lead_t, lead_t.c.id == closed.c.lead_id)
            .outerjoin(account_t, account_t.c.id == lead_t.c.account_id)
            .outerjoin(counts, counts.c.lead_id == closed.c.lead_id)
        )
        .order_by(closed.c.created_at, closed.c.lead_id)
    )
    result = session.execute(query)
    keys = list(result.keys())
    rows = result.all()
    columns = dict(zip(keys, zip(*rows, strict=True) if rows else [()] * len(keys), strict=True))
    return _with_custom(
        session,
        closed,
        History(
            ids=np.array(columns["lead_id"], dtype=np.int64),
            won=np.array(columns["won"], dtype=float),
            created_at=np.array([value.timestamp() for value in columns["created_at"]]),
            fields={name: list(columns[name]) for name in FIELD_COLUMNS},
            counts=np.array(
                [columns[f"n_{kind}"] for kind in ACTIVITY_TYPES], dtype=float
            ).T.reshape(len(rows), len(ACTIVITY_TYPES)),
        ),
    )


def _with_custom(session: Session, closed: Any, history: History) -> History:
    """The closed leads' custom field values (one query), aligned with `history.ids`."""
    custom, value = tables.custom_field, tables.lead_field_value
    position = {int(lead_id): index for index, lead_id in enumerate(history.ids)}
    kinds = dict(
        session.execute(
            select(custom.c.name, custom.c.type)
            .where(custom.c.entity == "lead", custom.c.type.in_(LEARNED_TYPES))
            .order_by(custom.c.id)
        ).all()
    )
    history.custom = {name: (kind, [None] * len(history.ids)) for name, kind in kinds.items()}
    rows = session.execute(
        select(value.c.lead_id, custom.c.name, value.c.text_value, value.c.number_value)
        .join(custom, custom.c.id == value.c.field_id)
        .join(closed, closed.c.lead_id == value.c.lead_id)
        .where(custom.c.entity == "lead", custom.c.type.in_(LEARNED_TYPES))
    )
    for lead_id, name, text_value, number in rows:
        kind, values = history.custom[name]
        values[position[lead_id]] = number if kind == "number" else text_value
    return history


def _normal(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        return text or None
    return value


def choose_features(model: ScoringModel, history: History, train: np.ndarray) -> list[Feature]:
    """Every value held by enough training leads, the seniority classes, bands, activities."""
    support = max(10, int(0.01 * train.sum()))
    features: list[Feature] = []
    for name in CATEGORY_FIELDS:
        values = Counter(
            _normal(value) for value, keep in zip(history.fields[name], train, strict=True) if keep
        )
        features.extend(
            Feature("field", name, value)
            for value, count in sorted(values.items(), key=lambda item: str(item[0]))
            if value is not None and count >= support
        )
    features.extend(
        Feature("seniority", "title", rule.name)
        for rule in model.fit.rules
        if rule.field == "title" and rule.pattern is not None
    )
    features.extend(Feature("size", "employees", low=low, high=high) for low, high in SIZE_BANDS)
    features.append(Feature("consent", "consent", True))
    features.extend(Feature("activity", kind) for kind in ACTIVITY_TYPES)
    for name, (kind, column) in history.custom.items():
        trained = [value for value, keep in zip(column, train, strict=True) if keep]
        if kind == "number":
            features.extend(_bands(CUSTOM_PREFIX + name, trained))
            continue
        counted = Counter(_normal(value) for value in trained)
        features.extend(
            Feature("custom", CUSTOM_PREFIX + name, value)
            for value, count in sorted(counted.items(), key=lambda item: str(item[0]))
            if value is not None and count >= support
        )
    return features


def _bands(name: str, values: list[Any]) -> list[Feature]:
    """Bands of a number field between the training values' quantiles; each band's
    `high` is the next band's `low` (exclusive), the last band is open."""
    numbers = np.array([value for value in values if value is not None], dtype=float)
    if len(numbers) < 2:
        return []
    shares = np.arange(1, NUMBER_BINS) / NUMBER_BINS
    edges = [float(edge) for edge in np.unique(np.quantile(numbers, shares))]
    bounds = [None, *edges]
    return [
        Feature("band", name, low=low, high=high)
        for low, high in zip(bounds, [*edges, None], strict=True)
    ]


def design_matrix(model: ScoringModel, history: History, features: list[Feature]) -> np.ndarray:
    n = len(history.ids)
    matrix = np.zeros((n, len(features)))
    title_rules = [
        (rule.name, re.compile(rule.pattern, re.IGNORECASE))
        for rule in model.fit.rules
        if rule.field == "title" and rule.pattern is not None
    ]
    seniority = [
        next((name for name, regex in title_rules if title and regex.search(title)), None)
        for title in history.fields["title"]
    ]
    normal = {name: [_normal(v) for v in history.fields[name]] for name in CATEGORY_FIELDS}
    employees = np.array(
        [np.nan if v is None else float(v) for v in history.fields["employees"]], dtype=float
    )
    custom_numbers = {
        CUSTOM_PREFIX + name: np.array([np.nan if v is None else v for v in values], dtype=float)
        for name, (kind, values) in history.custom.items()
        if kind == "number"
    }
    custom_texts = {
        CUSTOM_PREFIX + name: [_normal(v) for v in values]
        for name, (kind, values) in history.custom.items()
        if kind != "number"
    }
    for column, feature in enumerate(features):
        if feature.kind == "band":
            numbers = custom_numbers[feature.field]
            low = -np.inf if feature.low is None else feature.low
            high = np.inf if feature.high is None else feature.high
            with np.errstate(invalid="ignore"):
                matrix[:, column] = (numbers >= low) & (numbers < high)
        elif feature.kind == "custom":
            matrix[:, column] = [value == feature.value for value in custom_texts[feature.field]]
        elif feature.kind == "field":
            matrix[:, column] = [value == feature.value for value in normal[feature.field]]
        elif feature.kind == "seniority":
            matrix[:, column] = [level == feature.value for level in seniority]
        elif feature.kind == "size":
            high = np.inf if feature.high is None else feature.high
            matrix[:, column] = (employees >= feature.low) & (employees <= high)
        elif feature.kind == "consent":
            matrix[:, column] = [bool(value) for value in history.fields["consent"]]
        else:
            index = ACTIVITY_TYPES.index(feature.field)
            matrix[:, column] = np.minimum(history.counts[:, index], COUNT_CAP) / COUNT_CAP
    return matrix


def fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 50
) -> tuple[float, np.ndarray]:
    """Intercept and weights of an L2-regularised logistic regression (Newton's method)."""
    n, p = x.shape
    design = np.hstack([np.ones((n, 1)), x])
    weights = np.zeros(p + 1)
    penalty = np.full(p + 1, l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        z = design @ weights
        prob = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        gradient = design.T @ (prob - y) + penalty * weights
        hessian = (design * (prob * (1 - prob))[:, None]).T @ design + np.diag(penalty)
        hessian[np.diag_indices_from(hessian)] += 1e-9
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return float(weights[0]), weights[1:]


def top_decile_conversion(scores: np.ndarray, won: np.ndarray) -> float | None:
    if not len(scores):
        return None
    order = np.argsort(-scores, kind="mergesort")
    top = order[: max(1, len(order) // 10)]
    return float(won[top].mean())


@dataclass
class Calibration:
    """What `abs score calibrate` found, and what `--apply` wrote."""

    model_version: str
    train_leads: int
    test_leads: int
    train_won: int
    test_won: int
    current: dict[str, Any]
    learned: dict[str, Any]
    weights: list[dict[str, Any]] = field(default_factory=list)
    new_model_text: str | None = None
    new_version: str | None = None
    applied_to: str | None = None

    def document(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version,
            "current": self.current,
            "learned": self.learned,
            "train_leads": self.train_leads,
            "test_leads": self.test_leads,
            "train_won": self.train_won,
            "test_won": self.test_won,
            "weights": self.weights,
            "new_version": self.new_version,
            "applied_to": self.applied_to,
        }


def calibrate(session: Session, loaded: LoadedModel, holdout: float = 0.3) -> Calibration:
    """Train on the older closed leads, compare with the current model on the newest."""
    if not 0.05 <= holdout <= 0.9:
        raise InputError(f"--holdout {holdout:g} must be between 0.05 and 0.9")
    history = load_history(session)
    won_total = int(history.won.sum())
    lost_total = len(history.won) - won_total
    if won_total < MIN_OUTCOMES or lost_total < MIN_OUTCOMES:
        raise InputError(
            f"calibration needs at least {MIN_OUTCOMES} won and {MIN_OUTCOMES} lost leads; "
            f"the store has {won_total} won and {lost_total} lost",
            hint="keep the current model until more outcomes are recorded",
        )
    cut = len(history.ids) - round(holdout * len(history.ids))
    train = np.zeros(len(history.ids), dtype=bool)
    train[:cut] = True
    test = ~train
    if history.won[test].sum() == 0 or history.won[test].sum() == test.sum():
        raise InputError(
            "the newest leads held out for testing are all won or all lost",
            hint="try another --holdout",
        )
    model = loaded.model
    features = choose_features(model, history, train)
    matrix = design_matrix(model, history, features)
    intercept, weights = fit_logistic(matrix[train], history.won[train])
    learned_scores = matrix[test] @ weights + intercept

    compiled = compile_model(model)
    outcomes = score_outcomes(session, compiled)
    position = np.searchsorted(outcomes.ids, history.ids[test])
    current_scores = outcomes.score[position].astype(float)
    test_won = history.won[test]
    result = Calibration(
        model_version=model.version,
        train_leads=int(train.sum()),
        test_leads=int(test.sum()),
        train_won=int(history.won[train].sum()),
        test_won=int(test_won.sum()),
        current={
            "auc": auc(current_scores, test_won),
            "top_decile_conversion": top_decile_conversion(current_scores, test_won),
        },
        learned={
            "auc": auc(learned_scores, test_won),
            "top_decile_conversion": top_decile_conversion(learned_scores, test_won),
        },
    )
    scale = _points_scale(matrix[train] @ weights)
    result.weights = [
        {
            "feature": feature.label,
            "weight": round(float(weight), 4),
            "points": round(
                float(weight) * scale / (COUNT_CAP if feature.kind == "activity" else 1), 2
            ),
        }
        for feature, weight in sorted(
            zip(features, weights, strict=True), key=lambda item: -abs(item[1])
        )
        if abs(weight) >= 0.01
    ]
    version = f"{model.version}-cal-{datetime.now(UTC):%Y%m%d%H%M}"[-64:]
    result.new_version = version
    parts = _part_points(features, matrix[train] * (weights * scale))
    result.new_model_text = learned_model_text(
        model, features, weights, scale, version, parts, result
    )
    parse_model(result.new_model_text, "the learned model")
    return result


def _points_scale(linear: np.ndarray) -> float:
    """Points per unit of log-odds: the 95th percentile of training leads lands at 90."""
    top = float(np.quantile(linear, 0.95)) if len(linear) else 0.0
    return 90.0 / top if top > 1e-6 else 10.0


SHARES = (0.9, 0.7, 0.4)


def _per_unit(feature: Feature) -> int:
    """Activity features are count / COUNT_CAP: points per activity divide by it."""
    return COUNT_CAP if feature.kind == "activity" else 1


def _part_points(features: list[Feature], points: np.ndarray) -> dict[str, np.ndarray]:
    """Training leads' fit, engagement and total points under the learned file."""
    engagement_columns = np.array(
        [f.kind == "activity" or (f.kind == "field" and f.field == "source") for f in features]
    )
    if not len(features):
        empty = np.zeros(len(points))
        return {"fit": empty, "engagement": empty, "total": empty}
    fit_part = np.where(~engagement_columns & (points > 0), points, 0).sum(axis=1)
    negative = np.where(~engagement_columns & (points < 0), points, 0).sum(axis=1)
    engagement = np.clip(points[:, engagement_columns].sum(axis=1), 0, 100)
    fit = np.clip(fit_part, 0, 100)
    return {
        "fit": fit,
        "engagement": engagement,
        "total": np.clip(fit + engagement + negative, 0, 100),
    }


def _toml_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def learned_model_text(
    model: ScoringModel,
    features: list[Feature],
    weights: np.ndarray,
    scale: float,
    version: str,
    parts: dict[str, np.ndarray],
    result: Calibration,
) -> str:
    """A scoring file whose points are the learned weights, in the current file's shape."""
    lines = [
        f"# Learned by `abs score calibrate` from {result.train_leads} closed leads "
        f"({result.train_won} won) on {datetime.now(UTC):%Y-%m-%d}.",
        f"# Hold-out AUC {_fmt(result.learned['auc'])} (the model {model.version} had "
        f"{_fmt(result.current['auc'])}) on the newest {result.test_leads} leads.",
        "# Points are log-odds of winning scaled so that the top 5 % of leads score about 90;",
        "# activity points decay with the half-life below, which the learning did not see.",
        f"version = {_toml_string(version)}",
        "",
        "[fit]",
        "cap = 100",
    ]
    negatives: list[str] = []
    sources: dict[str, float] = {}
    activities: list[str] = []
    for feature, weight in zip(features, weights, strict=True):
        points = round(float(weight) * scale, 2)
        if abs(points) < 0.5:
            continue
        if feature.kind == "activity":
            per = round(points / COUNT_CAP, 2)
            activities += [
                "",
                "[[engagement.rules]]",
                f"name = {_toml_string(feature.label)}",
                f"types = [{_toml_string(feature.field)}]",
                f"points = {per}",
                f"max = {abs(points)}",
            ]
            continue
        if feature.kind == "field" and feature.field == "source":
            sources[str(feature.value)] = points
            continue
        rule = ["", f"name = {_toml_string(feature.label)}", *_matcher(feature, model)]
        rule.append(f"points = {points}")
        target = negatives if points < 0 else lines
        target += ["", "[[negative.rules]]" if points < 0 else "[[fit.rules]]", *rule[1:]]
    lines += [
        "",
        "[engagement]",
        "cap = 100",
        f"half_life_days = {model.engagement.half_life_days:g}",
        "",
        "[engagement.sources]",
        "points = { "
        + ", ".join(f"{_toml_string(k)} = {v}" for k, v in sorted(sources.items()))
        + " }",
        *activities,
        "",
        "[negative]",
        "cap = 100",
        *negatives,
        "",
        *_thresholds(parts),
    ]
    return "\n".join(lines) + "\n"


def _matcher(feature: Feature, model: ScoringModel) -> list[str]:
    if feature.kind == "band":
        bounds = [] if feature.low is None else [f"min = {feature.low!r}"]
        if feature.high is not None:  # `max` is inclusive: the float just below the next band
            bounds.append(f"max = {float(np.nextafter(feature.high, -np.inf))!r}")
        return [f"field = {_toml_string(feature.field)}", *bounds]
    if feature.kind == "seniority":
        pattern = next(r.pattern for r in model.fit.rules if r.name == feature.value)
        return ['field = "title"', f"pattern = {_toml_string(pattern or '')}"]
    if feature.kind == "size":
        bounds = [f"min = {feature.low}"]
        if feature.high is not None:
            bounds.append(f"max = {feature.high}")
        return ['field = "employees"', *bounds]
    if feature.kind == "consent":
        return ['field = "consent"', "in = [true]"]
    value = feature.value
    shown = str(value) if isinstance(value, int) else _toml_string(str(value))
    return [f"field = {_toml_string(feature.field)}", f"in = [{shown}]"]


def _thresholds(parts: dict[str, np.ndarray]) -> list[str]:
    """Grades, levels and readiness at the training leads' 90th, 70th and 40th percentiles."""

    def at(name: str, share: float) -> float:
        values = parts[name]
        return round(float(np.quantile(values, share)), 1) if len(values) else 0.0

    return [
        "[grades]",
        *(f"{grade} = {at('fit', share)}" for grade, share in (("A", 0.9), ("B", 0.7), ("C", 0.4))),
        "",
        "[levels]",
        *(
            f"{level} = {at('engagement', share)}"
            for level, share in ((1, 0.9), (2, 0.7), (3, 0.4))
        ),
        "",
        "[readiness]",
        f"mql = {at('total', 0.7)}",
        f"sql = {at('total', 0.9)}",
    ]


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
