"""The workflow configuration: pipeline gates, stage probabilities, SLAs and routing.

One TOML file, found by `--config`, then `ABS_CONFIG`, then `abs.toml` beside a SQLite
store; anything it leaves out keeps the built-in default. Top-level tables other than
`pipeline`, `sla` and `routing` belong to other features and are ignored here; inside
those three, an unknown key or a bad value is an `InputError` naming the key.

    [pipeline.gates.qualified]          # a table per stage replaces that stage's gate
    readiness = "sql"                   # none | mql | sql (checked when a score exists)
    [pipeline.gates.discovery]
    activity = ["meeting"]              # a held activity of one of these types
    [pipeline.gates.proposal]
    amount = true                       # the deal needs an amount
    require = ["budget", "authority"]   # playbook checklist items ticked for the lead
    [pipeline.probabilities]
    discovery = 0.2                     # win probability, for weighted amounts
    [sla]
    speed_to_lead_minutes = 60          # first touch of an inbound lead
    [sla.max_days]
    prospect = 14                       # a lead longer in the step is stale
    [routing.sources]
    event = "sdr"                       # source → role for steps 1–2
    [routing.sdr]
    strategy = "round_robin"            # round_robin | least_loaded | territory
    fallback = "round_robin"            # territory: when no rule matches (or "none")
    capacity = 200                      # for reps without their own capacity
    weights = { "ana@acme.io" = 2 }
    [[routing.sdr.territories]]
    countries = ["FR", "BE"]
    reps = ["ana@acme.io"]
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from abs_cli.domain import ACTIVITY_TYPES, READINESS, SELLING_ROLES, STAGES, STEP_OF
from abs_cli.errors import InputError

ENV_CONFIG = "ABS_CONFIG"
CONFIG_FILENAME = "abs.toml"
STRATEGIES: tuple[str, ...] = ("round_robin", "least_loaded", "territory")
FALLBACKS: tuple[str, ...] = ("round_robin", "least_loaded", "none")
ROUTED_ROLES: tuple[str, ...] = SELLING_ROLES


@dataclass(frozen=True)
class Gate:
    """What a lead needs to enter a stage (without `--force`)."""

    readiness: str | None = None
    activity: tuple[str, ...] = ()
    amount: bool = False
    require: tuple[str, ...] = ()
    """Playbook checklist items the lead must have ticked (`abs leads check`)."""


@dataclass(frozen=True)
class TerritoryRule:
    """Leads from these countries go to these reps (by e-mail); first match wins."""

    countries: frozenset[str]
    reps: tuple[str, ...]

    @property
    def label(self) -> str:
        return "territory " + ",".join(sorted(self.countries))


@dataclass(frozen=True)
class RoleRouting:
    """How leads are spread over the reps of one role."""

    strategy: str = "round_robin"
    fallback: str = "round_robin"
    capacity: int | None = None
    weights: Mapping[str, int] = field(default_factory=dict)
    territories: tuple[TerritoryRule, ...] = ()


DEFAULT_GATES: dict[str, Gate] = {
    "qualified": Gate(readiness="sql"),
    "discovery": Gate(activity=("meeting",)),
    "proposal": Gate(amount=True),
    "negotiation": Gate(amount=True),
    "customer": Gate(amount=True),
}
DEFAULT_PROBABILITIES: dict[str, Decimal] = {
    "prospect": Decimal(0),
    "qualified": Decimal(0),
    "discovery": Decimal("0.2"),
    "demo": Decimal("0.4"),
    "proposal": Decimal("0.6"),
    "negotiation": Decimal("0.8"),
    "customer": Decimal(1),
}
DEFAULT_MAX_DAYS: dict[str, int | None] = {
    "prospect": 14,
    "qualified": 7,
    "discovery": 14,
    "demo": 14,
    "proposal": 21,
    "negotiation": 30,
    "customer": None,
}


@dataclass(frozen=True)
class WorkflowConfig:
    """Everything the pipeline, routing, queue and stale commands can be told."""

    gates: Mapping[str, Gate] = field(default_factory=lambda: dict(DEFAULT_GATES))
    probabilities: Mapping[str, Decimal] = field(default_factory=dict)
    """Only the probabilities the file sets; see `board.stage_probabilities`."""
    max_days: Mapping[str, int | None] = field(default_factory=lambda: dict(DEFAULT_MAX_DAYS))
    speed_to_lead_minutes: int = 60
    source_roles: Mapping[str, str] = field(default_factory=dict)
    routing: Mapping[str, RoleRouting] = field(default_factory=dict)
    origin: str = "built-in defaults"

    def routing_for(self, role: str) -> RoleRouting:
        return self.routing.get(role, RoleRouting())

    def gate_for(self, stage: str) -> Gate:
        return self.gates.get(stage, Gate())


def config_path(option: str | Path | None, store_path: Path | None) -> Path | None:
    """The config file to read: `--config`, then `ABS_CONFIG`, then `abs.toml` beside the store."""
    chosen = option or os.environ.get(ENV_CONFIG)
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            how = "--config" if option else ENV_CONFIG
            raise InputError(f"config file {path} (from {how}) does not exist")
        return path
    if store_path is not None:
        beside = store_path.parent / CONFIG_FILENAME
        if beside.is_file():
            return beside
    return None


def load_config(option: str | Path | None = None, store_path: Path | None = None) -> WorkflowConfig:
    """Read the workflow configuration, or the built-in defaults when there is no file."""
    path = config_path(option, store_path)
    if path is None:
        return WorkflowConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"config {path}: not valid TOML ({error})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"config {path}: cannot be read ({error})") from None
    return parse_config(data, origin=str(path))


def parse_config(data: Mapping[str, Any], *, origin: str = "inline") -> WorkflowConfig:
    """Build a `WorkflowConfig` from parsed TOML, validating every key it knows."""
    reader = _Reader(origin)
    pipeline = reader.table(data, "pipeline")
    reader.only(pipeline, "pipeline", ("gates", "probabilities"))
    sla = reader.table(data, "sla")
    reader.only(sla, "sla", ("speed_to_lead_minutes", "max_days"))
    routing = reader.table(data, "routing")
    reader.only(routing, "routing", ("sources", *ROUTED_ROLES))

    gates = dict(DEFAULT_GATES)
    for stage, spec in reader.table(pipeline, "gates", "pipeline.").items():
        gates[reader.stage(stage, "pipeline.gates")] = reader.gate(spec, f"pipeline.gates.{stage}")
    probabilities: dict[str, Decimal] = {}
    for stage, value in reader.table(pipeline, "probabilities", "pipeline.").items():
        key = f"pipeline.probabilities.{stage}"
        probabilities[reader.stage(stage, "pipeline.probabilities")] = reader.fraction(value, key)
    max_days = dict(DEFAULT_MAX_DAYS)
    for stage, value in reader.table(sla, "max_days", "sla.").items():
        key = f"sla.max_days.{stage}"
        days = reader.integer(value, key, minimum=1) if value != 0 else None
        max_days[reader.stage(stage, "sla.max_days")] = days
    speed = reader.integer(
        sla.get("speed_to_lead_minutes", 60), "sla.speed_to_lead_minutes", minimum=1
    )
    sources = {
        str(source).strip().lower(): reader.choice(
            value, f"routing.sources.{source}", ("sdr", "ir")
        )
        for source, value in reader.table(routing, "sources", "routing.").items()
    }
    roles = {
        role: reader.role_routing(routing[role], f"routing.{role}")
        for role in ROUTED_ROLES
        if role in routing
    }
    return WorkflowConfig(
        gates=gates,
        probabilities=probabilities,
        max_days=max_days,
        speed_to_lead_minutes=speed,
        source_roles=sources,
        routing=roles,
        origin=origin,
    )


class _Reader:
    """Validators that name the offending key in every message."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, key: str, message: str) -> InputError:
        return InputError(
            f"config {self.origin}: {key} {message}",
            hint="see the workflow configuration keys in `abs pipeline --help`",
        )

    def table(self, data: Mapping[str, Any], key: str, prefix: str = "") -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, Mapping):
            raise self.fail(prefix + key, "must be a table")
        return value

    def only(self, data: Mapping[str, Any], where: str, allowed: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(f"{where}.{key}", f"is not a known key (use {', '.join(allowed)})")

    def stage(self, value: str, where: str) -> str:
        if value not in STEP_OF:
            raise self.fail(f"{where}.{value}", f"is not a stage (use {', '.join(STAGES)})")
        return value

    def choice(self, value: Any, key: str, choices: tuple[str, ...]) -> str:
        if not isinstance(value, str) or value.strip().lower() not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)} (got {value!r})")
        return value.strip().lower()

    def integer(self, value: Any, key: str, *, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"must be a whole number ≥ {minimum} (got {value!r})")
        return value

    def fraction(self, value: Any, key: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise self.fail(key, f"must be a number between 0 and 1 (got {value!r})")
        return Decimal(str(value))

    def strings(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(key, f"must be a list of strings (got {value!r})")
        return tuple(item.strip() for item in value)

    def gate(self, spec: Any, key: str) -> Gate:
        if not isinstance(spec, Mapping):
            raise self.fail(key, "must be a table")
        self.only(spec, key, ("readiness", "activity", "amount", "require"))
        readiness = spec.get("readiness")
        if readiness is not None:
            readiness = self.choice(readiness, f"{key}.readiness", READINESS)
        activity = self.strings(spec.get("activity", []), f"{key}.activity")
        for kind in activity:
            if kind not in ACTIVITY_TYPES:
                raise self.fail(f"{key}.activity", f"names an unknown activity type {kind!r}")
        amount = spec.get("amount", False)
        if not isinstance(amount, bool):
            raise self.fail(f"{key}.amount", f"must be true or false (got {amount!r})")
        require = tuple(
            item.lower() for item in self.strings(spec.get("require", []), f"{key}.require")
        )
        for item in require:
            if not item:
                raise self.fail(f"{key}.require", "holds an empty item id")
        return Gate(
            readiness=None if readiness == "none" else readiness,
            activity=activity,
            amount=amount,
            require=require,
        )

    def role_routing(self, spec: Any, key: str) -> RoleRouting:
        if not isinstance(spec, Mapping):
            raise self.fail(key, "must be a table")
        self.only(spec, key, ("strategy", "fallback", "capacity", "weights", "territories"))
        strategy = self.choice(spec.get("strategy", "round_robin"), f"{key}.strategy", STRATEGIES)
        fallback = self.choice(spec.get("fallback", "round_robin"), f"{key}.fallback", FALLBACKS)
        capacity = spec.get("capacity")
        if capacity is not None:
            capacity = self.integer(capacity, f"{key}.capacity", minimum=0)
        weights = {
            str(email).strip().lower(): self.integer(weight, f"{key}.weights.{email}", minimum=1)
            for email, weight in self.table(spec, "weights", f"{key}.").items()
        }
        rules = spec.get("territories", [])
        if not isinstance(rules, list):
            raise self.fail(f"{key}.territories", "must be an array of tables")
        territories = tuple(
            self.territory(rule, f"{key}.territories[{index}]") for index, rule in enumerate(rules)
        )
        return RoleRouting(strategy, fallback, capacity, weights, territories)

    def territory(self, rule: Any, key: str) -> TerritoryRule:
        if not isinstance(rule, Mapping):
            raise self.fail(key, "must be a table")
        self.only(rule, key, ("countries", "reps"))
        countries = self.strings(rule.get("countries", []), f"{key}.countries")
        for code in countries:
            if len(code) != 2 or not code.isalpha():
                raise self.fail(f"{key}.countries", f"holds {code!r}, not a 2-letter country code")
        reps = self.strings(rule.get("reps", []), f"{key}.reps")
        if not countries or not reps:
            raise self.fail(key, "needs both countries and reps")
        return TerritoryRule(
            frozenset(c.upper() for c in countries), tuple(r.lower() for r in reps)
        )
