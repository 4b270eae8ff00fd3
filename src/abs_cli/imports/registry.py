"""Every importer by the name of the command group that offers it.

The mapping imports an importer's module when it is first asked for: `abs leads import`
then loads the leads importer only, not the row models of the eleven others (nor the ORM
models `abs team import` needs), which cost a fifth of a small import's time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from abs_cli.imports.engine import Importer

_WHERE: dict[str, tuple[str, str]] = {
    "team": ("accounts", "TEAM"),
    "leads": ("leads", "LEADS"),
    "accounts": ("accounts", "ACCOUNTS"),
    "activities": ("records", "ACTIVITIES"),
    "pipeline": ("history", "PIPELINE"),
    "subscriptions": ("records", "SUBSCRIPTIONS"),
    "spend": ("records", "SPEND"),
    "nps": ("records", "NPS"),
    "usage": ("records", "USAGE"),
    "campaigns": ("records", "CAMPAIGNS"),
    "tickets": ("records", "TICKETS"),
    "checklist": ("enablement", "CHECKLIST"),
    "feedback": ("enablement", "FEEDBACK"),
}
"""Importer name → (module under `abs_cli.imports`, attribute)."""


class _Importers(Mapping[str, "Importer"]):
    def __getitem__(self, name: str) -> Importer:
        module, attribute = _WHERE[name]
        importer: Importer = getattr(import_module(f"abs_cli.imports.{module}"), attribute)
        return importer

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


IMPORTERS: Mapping[str, Importer] = _Importers()
