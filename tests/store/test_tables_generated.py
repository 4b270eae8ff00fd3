"""`store/tables.py` is generated from the models: current, and the same schema on both backends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import SQLModel

from abs_cli.store import codegen, models, rollup_tables, tables

DIALECTS = [sqlite.dialect(), postgresql.dialect()]


def test_the_generated_module_is_current() -> None:
    assert models  # registers the models' tables
    expected = codegen.schema_source(SQLModel.metadata, rollup_tables.metadata)
    written = Path(tables.__file__).read_text(encoding="utf-8")
    assert written == expected, (
        "store/tables.py is stale: run "
        "`python -m abs_cli.store.codegen > src/abs_cli/store/tables.py`"
    )


def _ddl(table: Table, dialect: Dialect) -> list[str]:
    statements = [str(CreateTable(table).compile(dialect=dialect))]
    statements += sorted(
        str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes
    )
    return statements


def _defaults(table: Table) -> dict[str, object]:
    return {
        column.name: (
            getattr(column.default, "arg", None),
            getattr(column.server_default, "arg", None),
            column.autoincrement,
        )
        for column in table.columns
    }


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda dialect: dialect.name)
def test_the_generated_tables_have_the_models_ddl(dialect: Dialect) -> None:
    declared: MetaData = SQLModel.metadata
    assert set(tables.metadata.tables) == set(declared.tables)
    for name, table in declared.tables.items():
        twin = tables.metadata.tables[name]
        assert _ddl(twin, dialect) == _ddl(table, dialect), name
        assert _defaults(twin) == _defaults(table), name


def test_the_generated_tables_sort_like_the_models() -> None:
    """Revert and erase walk the tables children first: the foreign keys must be there."""
    declared = [table.name for table in SQLModel.metadata.sorted_tables]
    assert [table.name for table in tables.metadata.sorted_tables] == declared


@pytest.mark.parametrize(
    "module",
    [
        "abs_cli.kpi.report",
        "abs_cli.pipeline.board",
        "abs_cli.pipeline.queue",
        "abs_cli.crm.lookup",
    ],
)
def test_read_paths_do_not_build_the_orm_classes(module: str) -> None:
    """Building the SQLModel classes costs ~110 ms of start-up that a report never needs."""
    probe = f"import sys, {module}; print('abs_cli.store.models' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
