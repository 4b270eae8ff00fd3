"""The table format of the one renderer, on a terminal and piped."""

from __future__ import annotations

import io

import pytest

from abs_cli.render.output import Column, Section, render

LONG_EMAIL = "constance.de-la-fontaine-verneuil@etablissements-fontaine-et-fils.example.fr"


def _section() -> Section:
    columns = [
        Column("email"),
        Column("name"),
        Column("open", kind="int"),
        Column("mrr", kind="money"),
    ]
    rows = [{"email": LONG_EMAIL, "name": "Constance de La Fontaine", "open": 3, "mrr": 1250}]
    return Section("Contacts", columns, rows)


def test_piped_table_keeps_its_natural_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    out = io.StringIO()
    render(_section(), "table", out)
    row = next(line for line in out.getvalue().splitlines() if LONG_EMAIL in line)
    assert "Constance de La Fontaine" in row and "1,250.00" in row
    assert len(row) > 120


def test_piped_table_follows_columns_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    out = io.StringIO()
    render(_section(), "table", out)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 60
    assert not any(LONG_EMAIL in line for line in lines)
