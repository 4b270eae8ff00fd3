"""Batch scoring: one query reads a batch's lead fields, one aggregate streams its
activities (coded type and outcome, age) as text that numpy decays and sums per rule,
`rules.evaluate` does the arithmetic in numpy, `writer` stores the scores set-based.

Leads are read in ranges of ids, so memory stays flat whatever the store's size.
A *scope* is a subquery of `(lead_id, as_of)`: one instant for `abs leads score`, each
lead's outcome date for backtesting, so nothing after that instant is ever counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    bindparam,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql import FromClause, Select, Subquery

from abs_cli.errors import UsageError
from abs_cli.scoring.model import CUSTOM_PREFIX, LoadedModel
from abs_cli.scoring.rules import BatchInput, BatchScores, CompiledModel, compile_model, evaluate
from abs_cli.scoring.writer import staging, write_scores
from abs_cli.store import tables
from abs_cli.store.engine import WRITE_OPTION
from abs_cli.store.settings import get_setting, set_setting
from abs_cli.store.sql import days_before, joined_text, julian_day, rounded_bigint
from abs_cli.store.types import UTCDateTime
from abs_cli.values import now, utc

BATCH_SIZE = 10_000
SETTING_LAST_RUN = "scoring.last_run"
SETTING_LAST_ACTIVITY = "scoring.last_activity_id"

lead_t = tables.lead
account_t = tables.account
activity_t = tables.activity
score_t = tables.lead_score

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


def parse_date(value: str, option: str) -> datetime:
    """A date (midnight UTC starting it) or a date-time (UTC if naive) given on the command line."""
    text = value.strip()
    try:
        return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise UsageError(
            f"{option} {value!r} is not a date", hint="use 2026-03-31 or 2026-03-31T18:00:00"
        ) from None


def parse_as_of(value: str) -> datetime:
    """`2026-03-31` means the end of that day; a date-time is taken as is (UTC if naive)."""
    moment = parse_date(value, "--as-of")
    return moment + timedelta(days=1) if len(value.strip()) == 10 else moment


def data_as_of(session: Session) -> datetime | None:
    """Just after the newest activity or lead: the `today` of a store of past data."""
    newest = [
        session.scalar(select(func.max(activity_t.c.occurred_at))),
        session.scalar(select(func.max(lead_t.c.created_at))),
    ]
    known = [utc(value) for value in newest if value is not None]
    return max(known) + timedelta(seconds=1) if known else None


@dataclass(frozen=True)
class Scope:
    """The leads to score, as a subquery of `(lead_id, as_of)`.

    `instant` is set instead when every lead is scored at the same instant: the
    queries then read the lead table directly, with no join back to a scope.
    """

    leads: Subquery | None = None
    instant: datetime | None = None
    where: ColumnElement | None = None
    """With `instant`: which leads (besides not forgotten); None = all."""


def instant_scope(as_of: datetime, where: ColumnElement | None = None) -> Scope:
    """Every lead (or those matching `where`) scored at one instant."""
    return Scope(instant=utc(as_of), where=where)


@dataclass(frozen=True)
class ActivityCodes:
    """How the activity stream codes each activity, and what each code means.

    SQL codes an activity's type and lower-cased outcome as small integers (0 = a type
    or outcome no rule names); numpy looks each combined code up in these tables.
    """

    types: tuple[str, ...]
    outcomes: tuple[str, ...]
    rule: np.ndarray
    """Per code: the activity rule the activity counts for (the first that matches), or -1."""
    hit: np.ndarray
    """Per outcome rule and outcome code: whether the rule lists that outcome."""
    half_life: np.ndarray
    """Per activity rule, in days."""

    @property
    def width(self) -> int:
        """Codes per lead: a lead's activities are keyed `offset * width + code`."""
        return (len(self.types) + 1) * (len(self.outcomes) + 1)


def activity_codes(compiled: CompiledModel) -> ActivityCodes:
    """The code tables of a model's activity and outcome rules."""
    rules = compiled.model.engagement.rules
    wanted = [[str(v).strip().lower() for v in rule.in_ or ()] for rule in compiled.outcome_rules]
    types = tuple(dict.fromkeys(kind for rule in rules for kind in rule.types))
    named = [*(o for rule in rules for o in rule.outcomes), *(o for w in wanted for o in w)]
    outcomes = tuple(dict.fromkeys(named))
    type_names: list[str | None] = [None, *types]
    outcome_names: list[str | None] = [None, *outcomes]
    rule_of = np.full(len(type_names) * len(outcome_names), -1, dtype=np.int64)
    for t, kind in enumerate(type_names):
        for o, outcome in enumerate(outcome_names):
            for index, rule in enumerate(rules):
                if kind in rule.types and (not rule.outcomes or outcome in rule.outcomes):
                    rule_of[t * len(outcome_names) + o] = index
                    break
    hit = np.array([[name in w for name in outcome_names] for w in wanted], dtype=bool)
    half_life = np.array([compiled.model.engagement.half_life(rule) for rule in rules])
    return ActivityCodes(
        types, outcomes, rule_of, hit.reshape(len(wanted), len(outcome_names)), half_life
    )


NO_AGE = -1
"""The age streamed for an activity whose date the database cannot read: it counts,
but weighs nothing (as a NULL decay summed in SQL would)."""


def _inline(value: object) -> ColumnElement:
    """A constant written into the SQL (safely quoted), not bound: SQLite evaluates a
    CASE over literals about 15 % faster than over bound parameters."""
    return bindparam(None, value, literal_execute=True)


def _codes(column: ColumnElement, names: tuple[str, ...]) -> ColumnElement:
    """1 + the index of the column's value in `names`, else 0."""
    whens = [(column == _inline(name), _inline(index + 1)) for index, name in enumerate(names)]
    return case(*whens, else_=_inline(0))


def _activity_stream(
    codes: ActivityCodes,
    scope: Scope,
    low: int,
    high: int,
    as_of_day: float | None = None,
) -> Select[Any, Any]:
    """Two texts, the `key`s and the `age`s of every activity of the leads in [low, high).

    `key` = (lead_id - low) * width + code; `age` in whole milliseconds before the
    scope's instant (SQLite's own precision, far below any decay's). One aggregated text
    per column, parsed by numpy in C, is far cheaper than one row per activity through
    the driver, or one SQL aggregate per rule and activity. Both aggregates read the
    same rows in the same order, and neither skips one (no NULLs), so they align.
    """
    if scope.instant is not None:
        as_of: ColumnElement = literal(scope.instant, UTCDateTime)
        source: FromClause = activity_t
    else:
        assert scope.leads is not None
        as_of = scope.leads.c.as_of
        source = activity_t.join(scope.leads, scope.leads.c.lead_id == activity_t.c.lead_id)
    code: ColumnElement = _inline(0)
    if codes.types:
        code = _codes(activity_t.c.type, codes.types) * _inline(len(codes.outcomes) + 1)
    if codes.outcomes:
        code = code + _codes(func.lower(activity_t.c.outcome), codes.outcomes)
    key = (activity_t.c.lead_id - low) * _inline(codes.width) + code
    age_in_days = days_before(activity_t.c.occurred_at, as_of, as_of_day)
    milliseconds = age_in_days * _inline(86_400_000.0)
    space, no_age = _inline(" "), _inline(NO_AGE)
    age = rounded_bigint(milliseconds)  # ages here are positive
    keys = joined_text(key, space)
    ages = joined_text(func.coalesce(age, no_age), space)
    return (
        select(keys, ages)
        .select_from(source)
        .where(
            activity_t.c.lead_id >= low,
            activity_t.c.lead_id < high,
            activity_t.c.occurred_at < as_of,
            or_(activity_t.c.due_at.is_(None), activity_t.c.due_at < as_of),
        )
    )


def _scope_as_of(scope: Scope) -> ColumnElement:
    if scope.instant is not None:
        return literal(scope.instant, UTCDateTime)
    assert scope.leads is not None
    return scope.leads.c.as_of


def as_of_day(session: Session, scope: Scope) -> float | None:
    """On SQLite, the Julian day of the scope's single instant (see `store.sql.age_in_days`)."""
    if scope.instant is None:
        return None
    return julian_day(session, _scope_as_of(scope))


def custom_columns(session: Session, names: Sequence[str]) -> dict[str, Any]:
    """A lead's value of each custom field (`custom.NAME`) as a rule reads it: the number
    of a number field, else the text; NULL for a field the store does not have."""
    if not names:
        return {}
    custom, value = tables.custom_field, tables.lead_field_value
    stored = {
        name: (field_id, kind)
        for field_id, name, kind in session.execute(
            select(custom.c.id, custom.c.name, custom.c.type).where(
                custom.c.entity == "lead",
                custom.c.name.in_([name.removeprefix(CUSTOM_PREFIX) for name in names]),
            )
        )
    }
    columns: dict[str, Any] = {}
    for name in names:
        found = stored.get(name.removeprefix(CUSTOM_PREFIX))
        if found is None:
            columns[name] = null()
            continue
        field_id, kind = found
        chosen = value.c.number_value if kind == "number" else value.c.text_value
        columns[name] = (
            select(chosen)
            .where(value.c.lead_id == lead_t.c.id, value.c.field_id == field_id)
            .scalar_subquery()
        )
    return columns


def read_leads(
    session: Session,
    scope: Scope,
    low: int,
    high: int,
    day: float | None,
    custom: Sequence[str] = (),
) -> BatchInput:
    """The fields of the scope's leads with ids in [low, high), in id order, with the
    custom fields `custom` (`custom.NAME`, those the model's rules read)."""
    as_of = _scope_as_of(scope)
    if scope.instant is not None:
        joined = lead_t.outerjoin(account_t, account_t.c.id == lead_t.c.account_id)
        conditions: list[ColumnElement[bool]] = [lead_t.c.forgotten_at.is_(None)]
        if scope.where is not None:
            conditions.append(scope.where)
    else:
        assert scope.leads is not None
        joined = scope.leads.join(lead_t, lead_t.c.id == scope.leads.c.lead_id).outerjoin(
            account_t, account_t.c.id == lead_t.c.account_id
        )
        conditions = []
    query = (
        select(
            lead_t.c.id,
            lead_t.c.email,
            days_before(lead_t.c.created_at, as_of, day).label("created_age"),
            *(column.label(name) for name, column in FIELD_COLUMNS.items()),
            *(column.label(name) for name, column in custom_columns(session, custom).items()),
        )
        .select_from(joined)
        .where(lead_t.c.id >= low, lead_t.c.id < high, *conditions)
        .order_by(lead_t.c.id)
    )
    return _lead_input(_raw_rows(session, query)[1], custom)


def read_activities(
    session: Session,
    codes: ActivityCodes,
    scope: Scope,
    low: int,
    high: int,
    day: float | None,
    only: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The keys and ages of the activities of leads in [low, high) (or of `only` those)."""
    stream = _activity_stream(codes, scope, low, high, day)
    if only is not None:
        stream = stream.where(activity_t.c.lead_id.in_(only.tolist()))
    keys, ages = session.execute(stream).one()
    return _integers(keys), _integers(ages)


def fetch_batch(
    session: Session,
    compiled: CompiledModel,
    scope: Scope,
    low: int,
    high: int,
    *,
    counts: bool = False,
    day: float | None = None,
) -> BatchInput:
    """Two set-based queries for the leads of the scope with ids in [low, high).

    The leads' fields and the activity stream are read separately and aligned in
    numpy: cheaper than a join. Without `counts`, activity counts (only shown by
    explanations) are not summed. `day` is `as_of_day`, read here when not given.
    """
    day = as_of_day(session, scope) if day is None else day
    batch = read_leads(session, scope, low, high, day, compiled.custom_fields)
    if len(batch.ids) and (compiled.activity_rules or compiled.outcome_rules):
        codes = activity_codes(compiled)
        few = len(batch.ids) * 4 < high - low  # few leads of the range (--changed): theirs
        keys, ages = read_activities(
            session, codes, scope, low, high, day, batch.ids if few else None
        )
        _add_activities(codes, batch, low, high, keys, ages, counts)
    return batch


def _raw_rows(
    session: Session, query: Select[*tuple[Any, ...]]
) -> tuple[list[str], Sequence[tuple[Any, ...]]]:
    """Column names and the driver's own row tuples, skipping per-row result processing.

    Only plain values are selected here (ids, text, numbers, 0/1 or true/false), which
    the rules read the same with or without SQLAlchemy's conversions.
    """
    result = session.execute(query)
    assert isinstance(result, CursorResult)  # a Core SELECT's result holds the driver's cursor
    rows = result.cursor.fetchall()
    result.close()
    return list(result.keys()), rows


def _columns(keys: list[str], rows: Sequence[tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    return dict(zip(keys, zip(*rows, strict=True) if rows else [()] * len(keys), strict=True))


def _lead_input(rows: Sequence[tuple[Any, ...]], custom: Sequence[str] = ()) -> BatchInput:
    """The leads' fields as lists; activity aggregates zero until `_add_activities`."""
    n = len(rows)
    keys = ["id", "email", "created_age", *FIELD_COLUMNS, *custom]
    data = _columns(keys, rows)
    emails = list(data["email"])
    fields: dict[str, Sequence[Any]] = {name: data[name] for name in (*FIELD_COLUMNS, *custom)}
    fields["email_domain"] = [
        email.rpartition("@")[2].lower() if email else None for email in emails
    ]
    return BatchInput(
        ids=np.array(data["id"], dtype=np.int64).reshape(n),
        emails=emails,
        fields=fields,
        created_age=np.array(data["created_age"], dtype=float).reshape(n),
        activity_weight=np.zeros((0, n)),
        activity_count=np.zeros((0, n)),
        outcome_hit=np.zeros((0, n)),
    )


def _integers(text: str | None) -> np.ndarray:
    """The integers of a space-separated text, parsed in C."""
    return np.fromstring(text, dtype=np.int64, sep=" ") if text else np.zeros(0, np.int64)


def _add_activities(
    codes: ActivityCodes,
    batch: BatchInput,
    low: int,
    high: int,
    key: np.ndarray,
    age_ms: np.ndarray,
    counts: bool,
) -> None:
    """Sum the stream's decayed weights (and counts) per lead and rule; set outcome flags.

    Activities of leads outside the batch (forgotten, or not changed) are dropped.
    """
    n = len(batch.ids)
    offset, code = np.divmod(key, codes.width)
    position = np.full(high - low, -1, dtype=np.int64)
    position[batch.ids - low] = np.arange(n)
    lead = position[offset]
    rule = codes.rule[code]
    counted = (lead >= 0) & (rule >= 0)
    rules = len(codes.half_life)
    flat = rule[counted] * n + lead[counted]
    age = age_ms[counted] / 86_400_000.0
    weight = np.power(0.5, age / codes.half_life[rule[counted]])
    weight[age_ms[counted] == NO_AGE] = 0.0
    batch.activity_weight = np.bincount(flat, weight, rules * n).reshape(rules, n)
    batch.activity_count = (
        np.bincount(flat, minlength=rules * n).reshape(rules, n).astype(float)
        if counts
        else np.zeros((rules, n))
    )
    outcome = code % (len(codes.outcomes) + 1)
    batch.outcome_hit = np.zeros((len(codes.hit), n))
    for index, wanted in enumerate(codes.hit):
        hit = wanted[outcome] & (lead >= 0)
        batch.outcome_hit[index, lead[hit]] = 1.0


def id_ranges(session: Session, batch_size: int = BATCH_SIZE) -> Iterator[tuple[int, int]]:
    """Half-open id ranges covering every lead, `batch_size` ids each."""
    low, high = session.execute(select(func.min(lead_t.c.id), func.max(lead_t.c.id))).one()
    if low is None:
        return
    for start in range(low, high + 1, batch_size):
        yield start, start + batch_size


def iter_scores(
    session: Session,
    compiled: CompiledModel,
    scope: Scope,
    batch_size: int = BATCH_SIZE,
    *,
    counts: bool = False,
    readers: tuple[Session, Session] | None = None,
) -> Iterator[BatchScores]:
    """Scores of every lead of the scope, one batch at a time.

    With two `readers` (sessions on other connections), the next batch is read while
    the caller evaluates and writes the current one, its leads and its activities in
    two worker threads: the databases do that work outside the GIL, so reading and
    writing overlap on two cores. Readers see only committed data.
    """
    source = readers[0] if readers else session
    ranges = list(id_ranges(source, batch_size))
    day = as_of_day(source, scope)
    if readers is None:
        batches: Iterator[BatchInput] = (
            fetch_batch(session, compiled, scope, *bounds, counts=counts, day=day)
            for bounds in ranges
        )
    elif scope.where is not None or not (compiled.activity_rules or compiled.outcome_rules):
        # a sparse scope reads only its leads' activities, known once its leads are read
        batches = _read_ahead(
            lambda bounds: fetch_batch(source, compiled, scope, *bounds, counts=counts, day=day),
            ranges,
        )
    else:
        batches = _read_in_two(compiled, scope, ranges, readers, day, counts)
    for batch in batches:
        if len(batch.ids):
            yield evaluate(compiled, batch)


def _read_ahead(
    read: Callable[[tuple[int, int]], BatchInput], ranges: list[tuple[int, int]]
) -> Iterator[BatchInput]:
    """`map(read, ranges)`, one batch read ahead in a worker thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="abs-score-read") as pool:
        pending = pool.submit(read, ranges[0]) if ranges else None
        for index in range(len(ranges)):
            assert pending is not None
            batch = pending.result()
            if index + 1 < len(ranges):
                pending = pool.submit(read, ranges[index + 1])
            yield batch


def _read_in_two(
    compiled: CompiledModel,
    scope: Scope,
    ranges: list[tuple[int, int]],
    readers: tuple[Session, Session],
    day: float | None,
    counts: bool,
) -> Iterator[BatchInput]:
    """Each range's leads and activities read one batch ahead, in one thread each (each
    thread keeps to its own connection)."""
    from concurrent.futures import Future, ThreadPoolExecutor

    codes = activity_codes(compiled)
    lead_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="abs-score-leads")
    activity_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="abs-score-activities")

    def submit(
        bounds: tuple[int, int],
    ) -> tuple[Future[BatchInput], Future[tuple[np.ndarray, np.ndarray]]]:
        return (
            lead_pool.submit(read_leads, readers[0], scope, *bounds, day, compiled.custom_fields),
            activity_pool.submit(read_activities, readers[1], codes, scope, *bounds, day),
        )

    with lead_pool, activity_pool:
        pending = submit(ranges[0]) if ranges else None
        for index, (low, high) in enumerate(ranges):
            assert pending is not None
            leads, activities = pending
            if index + 1 < len(ranges):
                pending = submit(ranges[index + 1])
            batch = leads.result()
            keys, ages = activities.result()
            _add_activities(codes, batch, low, high, keys, ages, counts)
            yield batch


@contextmanager
def _readers(session: Session, wanted: bool) -> Iterator[tuple[Session, Session] | None]:
    """Two read-only sessions on other connections of the same store, or None."""
    bind = session.get_bind()
    if not wanted or not isinstance(bind, Engine) or str(bind.url).endswith(":memory:"):
        yield None
        return
    reading = bind.execution_options(**{WRITE_OPTION: False})
    with (
        Session(bind=reading) as first,
        Session(bind=reading) as second,
        first.begin(),
        second.begin(),
    ):
        yield first, second


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
    read_ahead: bool = False,
) -> ScoreRun:
    """Rescore every lead (or those changed since the last run) and store the scores.

    `read_ahead` reads the next batch on a second connection while the current one is
    written (see `iter_scores`); it sees committed data only, so callers that changed
    leads or activities in this same transaction leave it off.
    """
    started = now()
    as_of = utc(as_of) if as_of is not None else started
    compiled = compile_model(loaded.model)
    last_activity = session.scalar(select(func.max(activity_t.c.id))) or 0
    where = _changed_since(session, compiled.version) if changed_only else None
    scope = instant_scope(as_of, where)
    run = ScoreRun(compiled.version, loaded.origin, as_of)
    with staging(session), _readers(session, read_ahead) as readers:
        for scores in iter_scores(session, compiled, scope, batch_size, readers=readers):
            write_scores(session, scores, compiled.version, as_of)
            run.scored += len(scores.ids)
            run.by_grade.update(scores.grade.tolist())
            run.by_readiness.update(scores.readiness.tolist())
    set_setting(session, SETTING_LAST_RUN, started.isoformat())
    set_setting(session, SETTING_LAST_ACTIVITY, str(last_activity))
    return run
