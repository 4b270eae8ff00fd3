"""The layers of docs/architecture.md hold: every import of the package runs downhill.

cli → core → store, and cli → render; core never reaches the command line or the
terminal libraries, render never reads the store, a migration replays nothing of today's
code outside `store/`, and only `store/` knows which database it talks to.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "abs_cli"
CORE = ("crm", "pipeline", "imports", "scoring", "kpi", "enablement", "demo")
SHARED = ("errors", "domain", "values")
TERMINAL = ("typer", "rich", "click", "tabulate")


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        yield ".".join(part for part in parts if part != "__init__"), path


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function, as dotted names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def layer(name: str) -> str:
    """The first part of a module of the package (`kpi` for `abs_cli.kpi.report`)."""
    return name.removeprefix("abs_cli.").split(".")[0]


def forbidden(module: str) -> tuple[str, ...]:
    top = module.split(".")[0]
    if top in CORE or top in SHARED:
        return ("abs_cli.cli", "abs_cli.render", *TERMINAL)
    if top == "render":
        return ("abs_cli.store", *(f"abs_cli.{name}" for name in CORE), "abs_cli.cli")
    if top == "store":
        return ("abs_cli.cli", "abs_cli.render", *(f"abs_cli.{name}" for name in CORE), *TERMINAL)
    return ()


@pytest.mark.parametrize(("module", "path"), list(modules()), ids=lambda value: str(value))
def test_imports_run_downhill(module: str, path: Path) -> None:
    wrong = sorted(
        name
        for name in imports_of(path)
        for prefix in forbidden(module)
        if name == prefix or name.startswith(prefix + ".")
    )
    assert wrong == [], f"{module} imports {wrong}"


def test_a_migration_imports_only_the_store() -> None:
    for path in sorted((PACKAGE / "store" / "migrations").rglob("*.py")):
        outside = sorted(
            name
            for name in imports_of(path)
            if name.startswith("abs_cli.") and not name.startswith("abs_cli.store")
        )
        assert outside == [], f"{path.name} imports {outside}"


def test_only_the_store_knows_the_dialect() -> None:
    for module, path in modules():
        if layer(module) == "store":
            continue
        assert "dialect.name" not in path.read_text(encoding="utf-8"), module


def test_the_command_line_holds_no_sql() -> None:
    sql_words = ("select(", "insert(", "update(", "delete(", "text(", "exec_driver_sql")
    for module, path in modules():
        if layer(module) != "cli":
            continue
        source = path.read_text(encoding="utf-8")
        assert "sqlalchemy" not in imports_of(path), module
        assert not [word for word in sql_words if f" {word}" in source], module


def test_the_top_stays_small_and_names_stay_distinct() -> None:
    loose = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(loose) <= 6, loose
    names: dict[str, int] = {}
    for _, path in modules():
        if path.name != "__init__.py" and "migrations" not in path.parts:
            names[path.name] = names.get(path.name, 0) + 1
    assert {name: count for name, count in names.items() if count >= 4} == {}
