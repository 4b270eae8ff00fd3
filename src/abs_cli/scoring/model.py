"""The scoring model: a TOML file parsed into typed, validated rules.

A file is accepted whole or refused with one sentence naming the rule and what is
wrong with it, so a typo never rescores the store with half a model.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy.orm import Session

from abs_cli.domain import ACTIVITY_TYPES
from abs_cli.errors import InputError

ENV_SCORING = "ABS_SCORING"
SETTING_MODEL = "scoring.model"
"""The setting row holding the stored model's TOML text."""

TEXT_FIELDS: tuple[str, ...] = (
    "industry",
    "country",
    "title",
    "source",
    "email_domain",
    "activity_outcome",
)
NUMBER_FIELDS: tuple[str, ...] = ("employees", "target_tier")
BOOL_FIELDS: tuple[str, ...] = ("consent",)
RULE_FIELDS: tuple[str, ...] = TEXT_FIELDS + NUMBER_FIELDS + BOOL_FIELDS
CUSTOM_PREFIX = "custom."
"""A rule on a custom field names it `custom.NAME` (docs/domain.md §4.7); it matches with
`in` (its text: `true`/`false` for booleans), `pattern`, or `min`/`max` (numbers)."""
CUSTOM_NAME = re.compile(r"^custom\.[a-z_][a-z0-9_]{0,63}$")


def is_custom(field: str | None) -> bool:
    return bool(field) and str(field).startswith(CUSTOM_PREFIX)


Part = Literal["fit", "engagement", "negative"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _half_life(value: float | None) -> float | None:
    if value is not None and value <= 0:
        raise ValueError(f"half_life_days must be more than 0, got {value:g}")
    return value


class FieldRule(_Strict):
    """A rule on one lead field, matched by a list, a pattern or a numeric range."""

    name: str
    field: str
    in_: tuple[str | int | bool, ...] | None = Field(default=None, alias="in")
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    points: float

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str) -> str:
        if is_custom(value):
            if not CUSTOM_NAME.match(value):
                raise ValueError(f"{value!r} is not custom.NAME with a snake_case NAME")
            return value
        if value not in RULE_FIELDS:
            raise ValueError(
                f"unknown field {value!r}; use one of {', '.join(RULE_FIELDS)} or custom.NAME"
            )
        return value

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value, re.IGNORECASE)
            except re.error as error:
                raise ValueError(f"bad regex '{value}': {error}") from None
        return value

    @model_validator(mode="after")
    def _one_matcher(self) -> FieldRule:
        kinds = [
            kind
            for kind, present in (
                ("in", self.in_ is not None),
                ("pattern", self.pattern is not None),
                ("min/max", self.min is not None or self.max is not None),
            )
            if present
        ]
        if len(kinds) != 1:
            raise ValueError("needs exactly one of `in`, `pattern` or `min`/`max`")
        custom = is_custom(self.field)
        if self.pattern is not None and self.field not in TEXT_FIELDS and not custom:
            raise ValueError(f"`pattern` needs a text field, not {self.field!r}")
        if self.field == "activity_outcome" and self.in_ is None:
            raise ValueError("`activity_outcome` rules match with `in` only")
        if kinds == ["min/max"]:
            if self.field not in NUMBER_FIELDS and not custom:
                raise ValueError(f"`min`/`max` need a number field, not {self.field!r}")
            if self.min is not None and self.max is not None and self.min > self.max:
                raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self

    @property
    def matcher_kind(self) -> str:
        """`in`, `pattern` or `range`: rules of one kind on one field exclude each other."""
        if self.pattern is not None:
            return "pattern"
        return "in" if self.in_ is not None else "range"

    def wanted_text(self) -> frozenset[str] | None:
        """For an `in` rule on a text field, the `normal_text` values it matches."""
        if (
            self.in_ is None
            or self.field in BOOL_FIELDS
            or self.field in NUMBER_FIELDS
            or is_custom(self.field)
        ):
            return None
        return frozenset(str(item).strip().lower() for item in self.in_)

    def matcher(self) -> Any:
        """A predicate over one field value (None = missing), shared by engine and explain."""
        if self.pattern is not None:
            regex = re.compile(self.pattern, re.IGNORECASE)
            return lambda value: value is not None and regex.search(str(value)) is not None
        if self.in_ is not None:
            if self.field in BOOL_FIELDS:
                wanted_bools = {bool(item) for item in self.in_}
                return lambda value: bool(value) in wanted_bools
            wanted = {str(item).strip().lower() for item in self.in_}
            if is_custom(self.field):
                return lambda value: custom_text(value) in wanted
            if self.field in NUMBER_FIELDS:
                return lambda value: value is not None and str(int(value)) in wanted
            return lambda value: normal_text(value) in wanted
        low = float("-inf") if self.min is None else self.min
        high = float("inf") if self.max is None else self.max
        return lambda value: value is not None and low <= float(value) <= high


def custom_text(value: Any) -> str | None:
    """A custom field's value as `in` rules compare it: `1200` for the number 1200.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return normal_text(value)


def normal_text(value: Any) -> str | None:
    """A text value as `in` rules compare it: trimmed, lower case (None stays None)."""
    return None if value is None else str(value).strip().lower()


class FitPart(_Strict):
    cap: float = Field(default=50, ge=0)
    rules: tuple[FieldRule, ...] = ()


class NegativeRule(FieldRule):
    @field_validator("points")
    @classmethod
    def _not_positive(cls, value: float) -> float:
        if value > 0:
            raise ValueError(f"points must be 0 or less in a negative rule, got {value:g}")
        return value


class NegativePart(_Strict):
    cap: float = Field(default=100, ge=0)
    rules: tuple[NegativeRule, ...] = ()


class SourcePoints(_Strict):
    half_life_days: float | None = None
    points: dict[str, float] = Field(default_factory=dict)

    _check_half_life = field_validator("half_life_days")(_half_life)

    @field_validator("points")
    @classmethod
    def _lower(cls, value: dict[str, float]) -> dict[str, float]:
        return {key.strip().lower(): points for key, points in value.items()}


class ActivityRule(_Strict):
    """Points per activity of some types (and outcomes), decaying with a half-life."""

    name: str
    types: tuple[str, ...]
    outcomes: tuple[str, ...] = ()
    points: float
    max: float | None = Field(default=None, ge=0)
    half_life_days: float | None = None

    _check_half_life = field_validator("half_life_days")(_half_life)

    @field_validator("types")
    @classmethod
    def _known_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("types must name at least one activity type")
        for item in value:
            if item not in ACTIVITY_TYPES:
                raise ValueError(
                    f"unknown activity type {item!r}; use one of {', '.join(ACTIVITY_TYPES)}"
                )
        return value

    @field_validator("outcomes")
    @classmethod
    def _lower(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(item.strip().lower() for item in value)


class EngagementPart(_Strict):
    cap: float = Field(default=50, ge=0)
    half_life_days: float = 30
    sources: SourcePoints = SourcePoints()
    rules: tuple[ActivityRule, ...] = ()

    _check_half_life = field_validator("half_life_days")(_half_life)

    def half_life(self, rule: ActivityRule) -> float:
        return rule.half_life_days or self.half_life_days


class Grades(_Strict):
    """Minimum fit points of grades A, B and C (below C: D)."""

    A: float = 35
    B: float = 22
    C: float = 10

    @model_validator(mode="after")
    def _descending(self) -> Grades:
        if not self.A >= self.B >= self.C:
            raise ValueError("thresholds must descend: A >= B >= C")
        return self


class Levels(_Strict):
    """Minimum engagement points of levels 1, 2 and 3 (below 3: level 4)."""

    one: float = Field(default=30, alias="1")
    two: float = Field(default=15, alias="2")
    three: float = Field(default=5, alias="3")

    @model_validator(mode="after")
    def _descending(self) -> Levels:
        if not self.one >= self.two >= self.three:
            raise ValueError("thresholds must descend: 1 >= 2 >= 3")
        return self


class Readiness(_Strict):
    """Minimum total scores of a marketing- and a sales-qualified lead."""

    mql: float = Field(default=45, ge=0, le=100)
    sql: float = Field(default=70, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Readiness:
        if self.sql < self.mql:
            raise ValueError(f"sql {self.sql:g} is below mql {self.mql:g}")
        return self


class ScoringModel(_Strict):
    """A whole scoring file."""

    version: str = Field(min_length=1, max_length=64)
    fit: FitPart = FitPart()
    engagement: EngagementPart = EngagementPart()
    negative: NegativePart = NegativePart()
    grades: Grades = Grades()
    levels: Levels = Levels()
    readiness: Readiness = Readiness()


@dataclass(frozen=True)
class LoadedModel:
    """A validated model, its TOML text and where it came from."""

    model: ScoringModel
    text: str
    origin: str
    path: Path | None = None


def default_text() -> str:
    """The commented default scoring file."""
    return resources.files("abs_cli.scoring").joinpath("default.toml").read_text("utf-8")


def parse_model(text: str, origin: str) -> ScoringModel:
    """Parse and validate a scoring file; InputError names the rule and the problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"scoring file {origin} is not valid TOML: {error}") from None
    try:
        return ScoringModel.model_validate(data)
    except ValidationError as error:
        raise InputError(
            f"scoring file {origin}: {_describe(error, data)}",
            hint="fix the file; nothing was rescored",
        ) from None


def _describe(error: ValidationError, data: dict[str, Any]) -> str:
    """The first problem as `<part> rule 'name': what is wrong` or `[section] what`."""
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] in ("extra_forbidden", "missing"):
        kind = "unknown" if first["type"] == "extra_forbidden" else "missing"
        message = f"{kind} key {loc[-1]!r}"
        loc = loc[:-1]
    elif loc and not loc[-1].isdigit() and first["type"] != "value_error":
        message = f"{loc[-1]}: {message}"
        loc = loc[:-1]
    elif loc and loc[-1] in _VALIDATED_KEYS and loc[-1] not in ("1", "2", "3"):
        loc = loc[:-1]
    if len(loc) >= 3 and loc[1] == "rules" and loc[2].isdigit():
        index = int(loc[2])
        rule = data.get(loc[0], {}).get("rules", [])[index]
        name = rule.get("name") if isinstance(rule, dict) else None
        label = f"{loc[0]} rule {name!r}" if name else f"{loc[0]} rule #{index + 1}"
        return f"{label}: {message}"
    return f"[{'.'.join(loc)}] {message}" if loc else message


_VALIDATED_KEYS = frozenset({"field", "pattern", "points", "half_life_days", "types", "outcomes"})


def read_model_file(path: Path) -> LoadedModel:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"cannot read scoring file {path}: {error.strerror}") from None
    return LoadedModel(parse_model(text, str(path)), text, str(path), path)


def resolve_model(session: Session, config: Path | None = None) -> LoadedModel:
    """`--config`, then `ABS_SCORING`, then the model stored in the store, else the default."""
    from abs_cli.store.settings import get_setting

    if config is not None:
        return read_model_file(config)
    env_path = os.environ.get(ENV_SCORING)
    if env_path:
        return read_model_file(Path(env_path))
    stored = get_setting(session, SETTING_MODEL)
    if stored:
        return LoadedModel(parse_model(stored, "stored in the store"), stored, "stored model")
    text = default_text()
    return LoadedModel(parse_model(text, "built-in default"), text, "built-in default")


def store_model(session: Session, loaded: LoadedModel) -> None:
    """Make a model the store's own, used when no --config or ABS_SCORING is given."""
    from abs_cli.store.settings import set_setting

    set_setting(session, SETTING_MODEL, loaded.text)


def save_new_version(
    session: Session, loaded: LoadedModel, text: str, version: str, output: Path | None = None
) -> str:
    """Write a new model version, keeping the old one; returns where it went.

    To `output` when given; else over the model's own file, the old file kept beside it
    as `<name>.<old version>.toml`; else as the store's model, the old text kept in the
    `scoring.model.previous` setting.
    """
    from abs_cli.store.settings import get_setting, set_setting

    parse_model(text, "the new model")
    target = output or loaded.path
    if target is not None:
        try:
            if target.exists():
                backup = target.with_name(f"{target.stem}.{loaded.model.version}{target.suffix}")
                backup.write_text(target.read_text(encoding="utf-8"), encoding="utf-8")
            target.write_text(text, encoding="utf-8")
        except OSError as error:
            raise InputError(f"cannot write {target}: {error.strerror}") from None
        return str(target)
    previous = get_setting(session, SETTING_MODEL)
    set_setting(session, f"{SETTING_MODEL}.previous", previous or loaded.text)
    set_setting(session, SETTING_MODEL, text)
    return f"the store (model {version})"


def write_default(path: Path, *, force: bool = False, keep_existing: bool = False) -> bool:
    """Write the default file; an existing file is refused, kept or overwritten.

    Returns whether the file was written.
    """
    from abs_cli.errors import UsageError

    if path.exists() and not force:
        if keep_existing:
            return False
        raise UsageError(f"{path} already exists", hint="pass --force to overwrite it")
    try:
        path.write_text(default_text(), encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror}") from None
    return True
