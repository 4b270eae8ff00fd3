"""The journal triggers exist on a store migrated to 0010_stewardship as on a fresh one:
an import into a migrated store is recorded and reverted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Cli

from abs_cli.store.engine import Store, make_engine
from abs_cli.store.location import StoreLocation
from abs_cli.store.migrate import upgrade


@pytest.mark.slow
def test_a_store_migrated_from_0008_journals_its_imports(db_url: str, tmp_path: Path) -> None:
    location = StoreLocation(db_url, "test")
    store = Store(location, make_engine(location))
    try:
        upgrade(store, "0008_history_indexes")
        upgrade(store)
    finally:
        store.dispose()
    cli = Cli(db_url)
    path = tmp_path / "leads.csv"
    path.write_text("email,stage,Score Card\nana@acme.io,qualified,7\n", encoding="utf-8")
    imported = cli("leads", "import", str(path), "--format", "json")
    assert imported.exit_code == 0, imported.output
    summary = json.loads(imported.stdout)
    assert summary["custom_fields"][0]["name"] == "score_card"
    reverted = json.loads(cli("imports", "revert", str(summary["import_id"]), "-f", "json").stdout)
    assert reverted["deleted"] == 5  # account, lead, history row, field, value
    assert json.loads(cli("leads", "export", "--format", "json").stdout) == []
