"""The demo: load the bundled example company into a store."""

from __future__ import annotations

import csv
from pathlib import Path

from abs_cli.errors import UsageError
from abs_cli.store.engine import Store
from abs_cli.team import RepIn, add_rep

REPO_EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "company"


def example_folder() -> Path:
    """The example company's CSVs: from the source checkout, else generated afresh.

    The generator is seeded, so a generated copy is identical to the bundled one.
    """
    if (REPO_EXAMPLES / "team.csv").exists():
        return REPO_EXAMPLES
    raise UsageError(
        "the example company is not bundled with this install",
        hint="run `python examples/generate.py` in a checkout, or pass --examples FOLDER",
    )


def build_demo(store: Store, folder: Path) -> None:
    """Load every example file into the store."""
    with (
        (folder / "team.csv").open(newline="", encoding="utf-8") as handle,
        store.session(write=True) as session,
    ):
        for row in csv.DictReader(handle):
            add_rep(session, RepIn(**{k: v or None for k, v in row.items() if k != "active"}))
    import_examples(store, folder)


DEMO_IMPORTS: tuple[str, ...] = (
    "accounts",
    "leads",
    "activities",
    "pipeline",
    "subscriptions",
    "spend",
    "nps",
    "usage",
    "campaigns",
    "tickets",
)


def import_examples(store: Store, folder: Path) -> list[str]:
    """Load the example company's other CSVs (`leads.csv`, …) through the import engine.

    Strict: example files are clean, so a bad row is a bug in them. Returns the kinds loaded.
    """
    from abs_cli.imports.engine import ImportOptions, run_import
    from abs_cli.imports.registry import IMPORTERS

    loaded = []
    for kind in DEMO_IMPORTS:
        path = folder / f"{kind}.csv"
        if path.exists():
            run_import(store, IMPORTERS[kind], str(path), ImportOptions(strict=True))
            loaded.append(kind)
    return loaded
