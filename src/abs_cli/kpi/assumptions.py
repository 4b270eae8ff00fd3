"""KPI settings: gross margin, stage win probabilities, LTV churn window.

Read from the store's `setting` table (keys `gross_margin`, `stage_probabilities` as
`3:0.2,4:0.4,…`, `ltv_churn_window`) and overridden by a TOML file given with
`--settings`; every report echoes the values it used.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from abs_cli.errors import InputError
from abs_cli.store.settings import all_settings

DEFAULT_PROBABILITIES: dict[int, Decimal] = {
    3: Decimal("0.2"),
    4: Decimal("0.4"),
    5: Decimal("0.6"),
    6: Decimal("0.8"),
}
OPEN_STEPS: tuple[int, ...] = (3, 4, 5, 6)


@dataclass(frozen=True)
class KpiSettings:
    currency: str = "EUR"
    gross_margin: Decimal = Decimal(1)
    stage_probabilities: dict[int, Decimal] = field(
        default_factory=lambda: dict(DEFAULT_PROBABILITIES)
    )
    ltv_churn_window: int = 6

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "gross_margin": self.gross_margin,
            "stage_probabilities": {str(k): v for k, v in self.stage_probabilities.items()},
            "ltv_churn_window": self.ltv_churn_window,
        }


def _fraction(value: Any, name: str, source: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InputError(f"{source}: {name} {value!r} is not a number") from None
    if not number.is_finite() or not 0 <= number <= 1:
        raise InputError(f"{source}: {name} {value!r} must be between 0 and 1")
    return number


def _window(value: Any, source: str) -> int:
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 36:
        raise InputError(f"{source}: ltv_churn_window {value!r} must be a whole number 1-36")
    return int(text)


def _probabilities(value: Any, source: str) -> dict[int, Decimal]:
    if isinstance(value, str):
        pairs = [item.split(":", 1) for item in value.split(",") if item.strip()]
        if any(len(pair) != 2 for pair in pairs):
            raise InputError(
                f"{source}: stage_probabilities {value!r} is not a list of STEP:PROBABILITY",
                hint="e.g. 3:0.2,4:0.4,5:0.6,6:0.8",
            )
        items = {key.strip(): prob for key, prob in pairs}
    elif isinstance(value, dict):
        items = {str(key).strip(): prob for key, prob in value.items()}
    else:
        raise InputError(f"{source}: stage_probabilities must be a table of step = probability")
    result = dict(DEFAULT_PROBABILITIES)
    for key, prob in items.items():
        if not key.isdigit() or int(key) not in OPEN_STEPS:
            raise InputError(f"{source}: stage_probabilities step {key!r} is not one of 3-6")
        result[int(key)] = _fraction(prob, f"stage_probabilities.{key}", source)
    return result


def _apply(base: KpiSettings, values: dict[str, Any], source: str) -> KpiSettings:
    known = {"gross_margin", "stage_probabilities", "ltv_churn_window", "currency"}
    unknown = sorted(set(values) - known)
    if source != "store" and unknown:
        raise InputError(
            f"{source}: unknown setting {unknown[0]!r}",
            hint="known: gross_margin, stage_probabilities, ltv_churn_window",
        )
    return KpiSettings(
        currency=str(values.get("currency", base.currency)),
        gross_margin=(
            _fraction(values["gross_margin"], "gross_margin", source)
            if "gross_margin" in values
            else base.gross_margin
        ),
        stage_probabilities=(
            _probabilities(values["stage_probabilities"], source)
            if "stage_probabilities" in values
            else base.stage_probabilities
        ),
        ltv_churn_window=(
            _window(values["ltv_churn_window"], source)
            if "ltv_churn_window" in values
            else base.ltv_churn_window
        ),
    )


def load_kpi_settings(session: Session, path: Path | None = None) -> KpiSettings:
    """The store's settings, overridden by the TOML file at `path` when given."""
    settings = _apply(KpiSettings(), all_settings(session), "store")
    if path is None:
        return settings
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read settings file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"settings file {path} is not valid TOML: {error}") from None
    values.pop("currency", None)
    return _apply(settings, values, str(path))
