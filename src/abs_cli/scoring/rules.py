"""The scoring arithmetic over a batch of leads, vectorised with numpy.

One function, `evaluate`, turns a batch's fields and activity aggregates into every
rule's points and the final score; batch scoring and `--explain` both call it, so
they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from abs_cli.scoring.model import FieldRule, ScoringModel, is_custom, normal_text

SOURCE_RULE = "source"


@dataclass(frozen=True)
class RuleSpec:
    """One column of the contributions matrix."""

    name: str
    part: str
    kind: str  # "field", "source" or "activity"
    field: str | None = None
    points: float = 0.0
    cap: float | None = None
    half_life: float | None = None
    predicate: Callable[[Any], bool] | None = None
    wanted: frozenset[str] | None = None
    """For an `in` rule on text: the normalised values it matches (a set lookup per
    distinct value, sharing the normalisation between rules on one field)."""
    group: str = ""
    """Rules sharing a part and a group: only the first that matches counts."""


@dataclass(frozen=True)
class CompiledModel:
    """A model's rules in evaluation order, with the activity rules' SQL needs."""

    model: ScoringModel
    rules: tuple[RuleSpec, ...]

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def custom_fields(self) -> tuple[str, ...]:
        """The custom fields (`custom.NAME`) the model's rules read, once each."""
        names = (rule.field for rule in (*self.model.fit.rules, *self.model.negative.rules))
        return tuple(dict.fromkeys(name for name in names if is_custom(name)))

    @property
    def activity_rules(self) -> tuple[RuleSpec, ...]:
        return tuple(rule for rule in self.rules if rule.kind == "activity")

    @property
    def outcome_rules(self) -> tuple[FieldRule, ...]:
        """Field rules on `activity_outcome`: answered by SQL, one flag per rule."""
        return tuple(
            rule
            for rule in (*self.model.fit.rules, *self.model.negative.rules)
            if rule.field == "activity_outcome"
        )


def compile_model(model: ScoringModel) -> CompiledModel:
    rules: list[RuleSpec] = [_field_spec(rule, "fit") for rule in model.fit.rules]
    sources = model.engagement.sources
    if sources.points:
        half_life = sources.half_life_days
        rules.append(RuleSpec(SOURCE_RULE, "engagement", "source", half_life=half_life))
    rules.extend(
        RuleSpec(
            rule.name,
            "engagement",
            "activity",
            points=rule.points,
            cap=rule.max,
            half_life=model.engagement.half_life(rule),
        )
        for rule in model.engagement.rules
    )
    rules.extend(_field_spec(rule, "negative") for rule in model.negative.rules)
    return CompiledModel(model, tuple(rules))


def _field_spec(rule: FieldRule, part: str) -> RuleSpec:
    return RuleSpec(
        rule.name,
        part,
        "field",
        rule.field,
        rule.points,
        predicate=rule.matcher(),
        wanted=rule.wanted_text(),
        group=f"{rule.field}:{rule.matcher_kind}",
    )


@dataclass
class BatchInput:
    """What the engine fetched for n leads: fields as lists, aggregates as arrays.

    `activity_weight[j]` is the sum over the lead's activities matching activity rule j
    of 0.5 ** (age_days / half_life); `outcome_hit[m]` says whether any activity had an
    outcome listed by outcome rule m.
    """

    ids: np.ndarray
    emails: list[str | None]
    fields: dict[str, Sequence[Any]]
    created_age: np.ndarray
    activity_weight: np.ndarray
    activity_count: np.ndarray
    outcome_hit: np.ndarray


@dataclass
class BatchScores:
    """Every rule's points per lead (rows = rules) and the resulting scores."""

    ids: np.ndarray
    emails: list[str | None]
    fields: dict[str, Sequence[Any]]
    matched: np.ndarray
    undecayed: np.ndarray
    decayed: np.ndarray
    points: np.ndarray
    count: np.ndarray
    fit_raw: np.ndarray
    engagement_raw: np.ndarray
    negative_raw: np.ndarray
    fit: np.ndarray
    engagement: np.ndarray
    negative: np.ndarray
    total_raw: np.ndarray
    score: np.ndarray
    grade: np.ndarray
    level: np.ndarray
    readiness: np.ndarray


def _factorize(values: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    """Codes of each value into the list of distinct values: rules then test each
    distinct value once (a title pattern runs per distinct title, not per lead)."""
    uniques = list(dict.fromkeys(values))
    lookup = {value: code for code, value in enumerate(uniques)}
    codes = np.fromiter(map(lookup.__getitem__, values), np.int64, len(values))
    return codes, uniques


def evaluate(compiled: CompiledModel, batch: BatchInput) -> BatchScores:
    """Apply every rule to a batch of leads, then the caps, grade, level and readiness."""
    model = compiled.model
    n = len(batch.ids)
    size = len(compiled.rules)
    matched = np.zeros((size, n), dtype=bool)
    undecayed = np.zeros((size, n))
    decayed = np.zeros((size, n))
    count = np.zeros((size, n))
    factorized = {name: _factorize(values) for name, values in batch.fields.items()}
    normal: dict[str, list[str | None]] = {}
    taken: dict[tuple[str, str], np.ndarray] = {}  # (part, group) -> leads already matched
    outcome_index = 0
    activity_index = 0
    for row, rule in enumerate(compiled.rules):
        if rule.kind == "field":
            if rule.field == "activity_outcome":
                hit = batch.outcome_hit[outcome_index].astype(bool)
                outcome_index += 1
            else:
                codes, uniques = factorized[rule.field or ""]
                if rule.wanted is not None:
                    if rule.field not in normal:
                        normal[rule.field or ""] = list(map(normal_text, uniques))
                    keys = normal[rule.field or ""]
                    table = np.fromiter(map(rule.wanted.__contains__, keys), bool, len(keys))
                else:
                    assert rule.predicate is not None
                    table = np.fromiter(map(rule.predicate, uniques), bool, len(uniques))
                hit = table[codes]
            group = (rule.part, rule.group)
            before = taken.get(group, np.zeros(n, dtype=bool))
            hit = hit & ~before
            taken[group] = before | hit
            matched[row] = hit
            count[row] = hit
            undecayed[row] = decayed[row] = np.where(hit, rule.points, 0.0)
        elif rule.kind == "source":
            codes, uniques = factorized["source"]
            known, table = _source_points(model.engagement.sources.points, uniques)
            base = table[codes]
            matched[row] = count[row] = known[codes]
            undecayed[row] = base
            decay = _decay(np.maximum(batch.created_age, 0.0), rule.half_life)
            decayed[row] = base * decay
        else:
            weight = batch.activity_weight[activity_index]
            count[row] = batch.activity_count[activity_index]
            activity_index += 1
            matched[row] = (count[row] > 0) | (weight > 0)
            undecayed[row] = rule.points * count[row]
            decayed[row] = rule.points * weight
    points = decayed.copy()
    for row, rule in enumerate(compiled.rules):
        if rule.cap is not None:
            points[row] = np.sign(points[row]) * np.minimum(np.abs(points[row]), rule.cap)
    parts = np.array([rule.part for rule in compiled.rules])
    fit_raw = points[parts == "fit"].sum(axis=0)
    engagement_raw = points[parts == "engagement"].sum(axis=0)
    negative_raw = points[parts == "negative"].sum(axis=0)
    fit = np.clip(fit_raw, 0.0, model.fit.cap)
    engagement = np.clip(engagement_raw, 0.0, model.engagement.cap)
    negative = np.clip(negative_raw, -model.negative.cap, 0.0)
    total_raw = fit + engagement + negative
    score = np.floor(np.clip(total_raw, 0.0, 100.0) + 0.5).astype(np.int64)
    grades, levels, ready = model.grades, model.levels, model.readiness
    grade = np.select([fit >= grades.A, fit >= grades.B, fit >= grades.C], ["A", "B", "C"], "D")
    level = np.select(
        [engagement >= levels.one, engagement >= levels.two, engagement >= levels.three],
        [1, 2, 3],
        4,
    )
    readiness = np.select([score >= ready.sql, score >= ready.mql], ["sql", "mql"], "none")
    return BatchScores(
        ids=batch.ids,
        emails=batch.emails,
        fields=batch.fields,
        matched=matched,
        undecayed=undecayed,
        decayed=decayed,
        points=points,
        count=count,
        fit_raw=fit_raw,
        engagement_raw=engagement_raw,
        negative_raw=negative_raw,
        fit=fit,
        engagement=engagement,
        negative=negative,
        total_raw=total_raw,
        score=score,
        grade=grade,
        level=level,
        readiness=readiness,
    )


def _source_points(points: dict[str, float], uniques: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct source: whether the model lists it, and its points."""
    keys = [str(value).strip().lower() if value else "" for value in uniques]
    known = np.array([key in points for key in keys], dtype=bool)
    return known, np.array([points.get(key, 0.0) for key in keys], dtype=float)


def _decay(age_days: np.ndarray, half_life: float | None) -> np.ndarray:
    if half_life is None:
        return np.ones_like(age_days)
    return np.power(0.5, age_days / half_life)
