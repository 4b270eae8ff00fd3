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
    score_demo(store)


def score_demo(store: Store) -> None:
    """Score the example company's leads with the built-in model, as of its last activity."""
    from abs_cli.scoring.engine import data_as_of, score_leads
    from abs_cli.scoring.model import resolve_model

    with store.session(write=True) as session:
        score_leads(session, resolve_model(session), as_of=data_as_of(session))
