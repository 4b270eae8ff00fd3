"""Batch scoring: set-based SQL gathers each lead's fields and decayed activity sums,
`rules.evaluate` does the arithmetic in numpy, batched upserts store the result.

Leads are read in ranges of ids, so memory stays flat whatever the store's size.
A *scope* is a subquery of `(lead_id, as_of)`: one instant for `abs leads score`, each
lead's outcome date for backtesting, so nothing after that instant is ever counted.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from abs_cli.errors import InputError
from abs_cli.scoring.model import LoadedModel
from abs_cli.scoring.rules import BatchInput, BatchScores, CompiledModel, compile_model, evaluate
from abs_cli.settings import get_setting, set_setting
from abs_cli.store.models import Account, Activity, Lead, LeadScore
from abs_cli.store.types import UTCDateTime
from abs_cli.validation import now, utc

BATCH_SIZE = 50_000
SETTING_LAST_RUN = "scoring.last_run"
SETTING_LAST_ACTIVITY = "scoring.last_activity_id"

lead_t = Lead.__table__
account_t = Account.__table__
activity_t = Activity.__table__
score_t = LeadScore.__table__

FIELD_COLUMNS: dict[str, ColumnElement] = {
    "title": lead_t.c.title,
    "industry": func.coalesce(lead_t.c.industry, account_t.c.industry),
    "employees": func.coalesce(lead_t.c.employees, account_t.c.employees),
    "country": func.coalesce(lead_t.c.country, account_t.c.country),
    "target_tier": account_t.c.target_tier,
    "source": lead_t.c.source,
    "consent": lead_t.c.consent,
}
"""Lead fields as rules see them: the lead's own value, else its account's."""


@dataclass
class ScoreRun:
    """What `abs leads score` did."""

    model_version: str
    origin: str
    as_of: datetime
    scored: int = 0
    by_grade: Counter[str] = field(default_factory=Counter)
    by_readiness: Counter[str] = field(default_factory=Counter)


def parse_as_of(value: str) -> datetime:
    """`2026-03-31` means the end of that day; a date-time is taken as is (UTC if naive)."""
    from datetime import date, timedelta

    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
        return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise InputError(
            f"--as-of {value!r} is not a date", hint="use 2026-03-31 or 2026-03-31T18:00:00"
        ) from None


def ensure_power(session: Session) -> None:
    """SQLite builds without math functions lack `power`: provide it from Python."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    try:
        connection.exec_driver_sql("SELECT power(2, 3)").scalar()
    except Exception:
        raw = connection.connection.driver_connection
        raw.create_function("power", 2, math.pow, deterministic=True)  # type: ignore[union-attr]


def age_days(dialect: str, when: ColumnElement, as_of: ColumnElement) -> ColumnElement:
    """Days from `when` to `as_of` as a float, in SQL."""
    if dialect == "sqlite":
        return func.julianday(as_of) - func.julianday(when)
    return cast(func.extract("epoch", as_of - when), Float) / 86400.0


def instant_scope(as_of: datetime, where: ColumnElement | None = None) -> Subquery:
    """Every lead (or those matching `where`) scored at one instant."""
    query = select(
        lead_t.c.id.label("lead_id"),
        literal(utc(as_of), UTCDateTime).label("as_of"),
    ).where(lead_t.c.forgotten_at.is_(None))
    if where is not None:
        query = query.where(where)
    return query.subquery("scope")


def _activity_aggregate(
    compiled: CompiledModel, dialect: str, scope: Subquery, low: int, high: int
) -> Subquery | None:
    """Per lead: decayed weight and count per activity rule, one flag per outcome rule."""
    rules = compiled.activity_rules
    outcome_rules = compiled.outcome_rules
    if not rules and not outcome_rules:
        return None
    activity_rules = compiled.model.engagement.rules
    outcome = func.lower(activity_t.c.outcome)
    conditions = []
    for rule in activity_rules:
        condition = activity_t.c.type.in_(rule.types)
        if rule.outcomes:
            condition = and_(condition, outcome.in_(rule.outcomes))
        conditions.append(condition)
    which = (
        case(*[(cond, index) for index, cond in enumerate(conditions)], else_=-1)
        if conditions
        else literal(-1)
    )
    inner = (
        select(
            activity_t.c.lead_id,
            which.label("k"),
            age_days(dialect, activity_t.c.occurred_at, scope.c.as_of).label("age"),
            outcome.label("outcome"),
        )
        .select_from(activity_t.join(scope, scope.c.lead_id == activity_t.c.lead_id))
        .where(
            activity_t.c.lead_id >= low,
            activity_t.c.lead_id < high,
            activity_t.c.occurred_at < scope.c.as_of,
            or_(activity_t.c.due_at.is_(None), activity_t.c.due_at < scope.c.as_of),
        )
        .subquery("act")
    )
    columns = [inner.c.lead_id]
    for index, rule in enumerate(rules):
        is_rule = inner.c.k == index
        columns.append(
            func.sum(
                case((is_rule, func.power(0.5, inner.c.age / rule.half_life)), else_=0.0)
            ).label(f"w{index}")
        )
        columns.append(func.sum(case((is_rule, 1), else_=0)).label(f"n{index}"))
    for index, rule in enumerate(outcome_rules):
        wanted = [str(value).strip().lower() for value in rule.in_ or ()]
        hit = case((inner.c.outcome.in_(wanted), 1), else_=0) if wanted else literal(0)
        columns.append(func.max(hit).label(f"o{index}"))
    return select(*columns).group_by(inner.c.lead_id).subquery("agg")


def fetch_batch(
    session: Session, compiled: CompiledModel, scope: Subquery, low: int, high: int
) -> BatchInput:
    """One set-based query for the leads of the scope with ids in [low, high)."""
    dialect = session.get_bind().dialect.name
    agg = _activity_aggregate(compiled, dialect, scope, low, high)
    columns: list[ColumnElement] = [
        lead_t.c.id,
        lead_t.c.email,
        age_days(dialect, lead_t.c.created_at, scope.c.as_of).label("created_age"),
        *(column.label(name) for name, column in FIELD_COLUMNS.items()),
    ]
    joined = scope.join(lead_t, lead_t.c.id == scope.c.lead_id).outerjoin(
        account_t, account_t.c.id == lead_t.c.account_id
    )
    if agg is not None:
        joined = joined.outerjoin(agg, agg.c.lead_id == lead_t.c.id)
        columns.extend(c for c in agg.c if c.name != "lead_id")
    query = (
        select(*columns)
        .select_from(joined)
        .where(lead_t.c.id >= low, lead_t.c.id < high)
        .order_by(lead_t.c.id)
    )
    rows = session.execute(query).all()
    return _to_input(compiled, rows, len(columns))


def _to_input(compiled: CompiledModel, rows: list, width: int) -> BatchInput:  # type: ignore[type-arg]
    """Columns of the fetched rows as lists and float arrays (NULL sums are 0)."""
    n = len(rows)
    data = list(zip(*rows, strict=True)) if rows else [()] * width
    emails = list(data[1])
    fields = {name: data[3 + i] for i, name in enumerate(FIELD_COLUMNS)}
    fields["email_domain"] = [
        email.rpartition("@")[2].lower() if email else None for email in emails
    ]
    offset = 3 + len(FIELD_COLUMNS)
    n_rules = len(compiled.activity_rules)

    def floats(index: int) -> np.ndarray:
        return np.array([value or 0.0 for value in data[index]], dtype=float).reshape(n)

    weight = np.array([floats(offset + 2 * j) for j in range(n_rules)]).reshape(n_rules, n)
    counts = np.array([floats(offset + 2 * j + 1) for j in range(n_rules)]).reshape(n_rules, n)
    n_out = len(compiled.outcome_rules)
    hits = np.array([floats(offset + 2 * n_rules + m) for m in range(n_out)]).reshape(n_out, n)
    return BatchInput(
        ids=np.array(data[0], dtype=np.int64).reshape(n),
        emails=emails,
        fields=fields,
        created_age=np.array(data[2], dtype=float).reshape(n),
        activity_weight=weight,
        activity_count=counts,
        outcome_hit=hits,
    )


def id_ranges(session: Session, batch_size: int = BATCH_SIZE) -> Iterator[tuple[int, int]]:
    """Half-open id ranges covering every lead, `batch_size` ids each."""
    low, high = session.execute(select(func.min(lead_t.c.id), func.max(lead_t.c.id))).one()
    if low is None:
        return
    for start in range(low, high + 1, batch_size):
        yield start, start + batch_size


def iter_scores(
    session: Session, compiled: CompiledModel, scope: Subquery, batch_size: int = BATCH_SIZE
) -> Iterator[BatchScores]:
    """Scores of every lead of the scope, one batch at a time."""
    ensure_power(session)
    for low, high in id_ranges(session, batch_size):
        batch = fetch_batch(session, compiled, scope, low, high)
        if len(batch.ids):
            yield evaluate(compiled, batch)


def _changed_since(session: Session, version: str) -> ColumnElement | None:
    """Leads updated, given new activities, never scored or scored by another model."""
    last_run = get_setting(session, SETTING_LAST_RUN)
    if last_run is None:
        return None
    last_activity = int(get_setting(session, SETTING_LAST_ACTIVITY) or 0)
    since = datetime.fromisoformat(last_run)
    fresh_activity = exists().where(
        activity_t.c.lead_id == lead_t.c.id, activity_t.c.id > last_activity
    )
    current_score = exists().where(
        score_t.c.lead_id == lead_t.c.id, score_t.c.model_version == version
    )
    return or_(lead_t.c.updated_at > since, fresh_activity, ~current_score)


def score_leads(
    session: Session,
    loaded: LoadedModel,
    *,
    as_of: datetime | None = None,
    changed_only: bool = False,
    batch_size: int = BATCH_SIZE,
) -> ScoreRun:
    """Rescore every lead (or those changed since the last run) and store the scores."""
    started = now()
    as_of = utc(as_of) if as_of is not None else started
    compiled = compile_model(loaded.model)
    last_activity = session.scalar(select(func.max(activity_t.c.id))) or 0
    where = _changed_since(session, compiled.version) if changed_only else None
    scope = instant_scope(as_of, where)
    run = ScoreRun(compiled.version, loaded.origin, as_of)
    for scores in iter_scores(session, compiled, scope, batch_size):
        write_scores(session, scores, compiled.version, as_of)
        run.scored += len(scores.ids)
        run.by_grade.update(scores.grade.tolist())
        run.by_readiness.update(scores.readiness.tolist())
    set_setting(session, SETTING_LAST_RUN, started.isoformat())
    set_setting(session, SETTING_LAST_ACTIVITY, str(last_activity))
    return run


def write_scores(session: Session, scores: BatchScores, version: str, scored_at: datetime) -> None:
    """Batched upsert of one batch's scores into `lead_score`."""
    if not len(scores.ids):
        return
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    fit = np.floor(scores.fit + 0.5).astype(np.int64).tolist()
    engagement = np.floor(scores.engagement + 0.5).astype(np.int64).tolist()
    rows = [
        {
            "lead_id": lead_id,
            "score": score,
            "fit": fit_points,
            "engagement": engagement_points,
            "grade": grade,
            "level": level,
            "readiness": readiness,
        }
        for lead_id, score, fit_points, engagement_points, grade, level, readiness in zip(
            scores.ids.tolist(),
            scores.score.tolist(),
            fit,
            engagement,
            scores.grade.tolist(),
            scores.level.tolist(),
            scores.readiness.tolist(),
            strict=True,
        )
    ]
    statement = insert(score_t).values(
        model_version=literal(version), scored_at=literal(utc(scored_at), UTCDateTime)
    )
    keys = ("score", "fit", "engagement", "grade", "level", "readiness", "model_version")
    statement = statement.on_conflict_do_update(
        index_elements=[score_t.c.lead_id],
        set_={key: statement.excluded[key] for key in (*keys, "scored_at")},
    )
    session.execute(statement, rows)
