"""Names for shell completion, read without the ORM, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from kpi_data import seed

from abs_cli.store.location import StoreLocation, to_url
from abs_cli.store.names import rep_emails

REPS = [
    {"id": 1, "email": "ana@acme.io", "name": "Ana", "role": "ae"},
    {"id": 2, "email": "anton@acme.io", "name": "Anton", "role": "sdr"},
    {"id": 3, "email": "an_old@acme.io", "name": "Old", "role": "sdr", "active": False},
    {"id": 4, "email": "bea@acme.io", "name": "Bea", "role": "cs"},
]


def test_active_reps_by_prefix_in_order(store, store_url: str) -> None:
    seed(store, rep=REPS)
    location = StoreLocation(store_url, "test")
    assert rep_emails(location, "an") == ["ana@acme.io", "anton@acme.io"]
    assert rep_emails(location, "AN", limit=1) == ["ana@acme.io"]
    assert rep_emails(location, "an_") == []  # `_` is a character here, not a wildcard
    assert rep_emails(location) == ["ana@acme.io", "anton@acme.io", "bea@acme.io"]


def test_a_missing_sqlite_store_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "abs.db"
    assert rep_emails(StoreLocation(to_url(str(path)), "test"), "a") == []
    assert not path.exists()
