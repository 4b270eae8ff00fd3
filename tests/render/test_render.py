"""The table format of the one renderer, on a terminal and piped."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from abs_cli.render.output import (
    PIPED_TABLE_WIDTH,
    Column,
    Report,
    Section,
    fit_widths,
    fold_widths,
    render,
    set_notifier,
)

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


def test_piped_table_fits_a_mail_and_keeps_numbers_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    out = io.StringIO()
    render(_section(), "table", out)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= PIPED_TABLE_WIDTH
    assert any("1,250.00" in line for line in lines)


def test_piped_table_follows_columns_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    out = io.StringIO()
    render(_section(), "table", out)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 60
    assert not any(LONG_EMAIL in line for line in lines)


BOARD_AMOUNTS = [0, 0, 10020534, 437498, 283020, 160180.5, 2291600]


def _board() -> Section:
    """A board like `abs pipeline board`: one column per step, a long text line."""
    stages = ["prospect", "qualified", "discovery", "demo", "proposal", "negotiation", "customer"]
    rows = [
        {
            "column": f"{step} {stage}",
            "leads": 700 - 90 * step,
            "amount": amount,
            "probability": step / 10,
            "oldest": ", ".join(
                f"lead{n}.{stage}@example-company.co.uk ({300 + n} d)" for n in range(3)
            ),
        }
        for step, (stage, amount) in enumerate(zip(stages, BOARD_AMOUNTS, strict=True), start=1)
    ]
    columns = [
        Column("column", "step"),
        Column("leads", kind="int"),
        Column("amount", kind="money"),
        Column("probability", kind="rate", decimals=0),
        Column("oldest", "oldest leads"),
    ]
    return Section("Pipeline", columns, rows, transpose=True)


def _render_board(monkeypatch: pytest.MonkeyPatch, columns: str | None) -> tuple[str, list[str]]:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    notes: list[str] = []
    set_notifier(notes.append)
    try:
        out = io.StringIO()
        render(Report([_board()]), "table", out)
    finally:
        set_notifier(None)
    return out.getvalue(), notes


@pytest.mark.parametrize(("columns", "fewest_parts"), [("100", 2), ("60", 3), (None, 1)])
def test_a_wide_board_fits_and_never_splits_a_number(
    monkeypatch: pytest.MonkeyPatch, columns: str | None, fewest_parts: int
) -> None:
    """On a 100-column terminal, a narrow one, and piped (no COLUMNS)."""
    text, notes = _render_board(monkeypatch, columns)
    width = int(columns) if columns else PIPED_TABLE_WIDTH
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    for amount in ("10,020,534.00", "2,291,600.00", "160,180.50", "437,498.00"):
        assert sum(amount in line for line in lines) == 1, amount
    for word in ("prospect", "negotiation", "customer"):
        assert word in text, word  # a header word is never split either
    parts = text.count("probability")  # each part repeats what its rows are
    assert parts >= fewest_parts
    if parts > 1:
        assert len(notes) == 1
        assert notes[0].startswith(f"Pipeline: folded into {parts} tables to fit {width} columns")
        assert notes[0].endswith(" customer')")  # names where each part continues
    else:
        assert notes == []


def test_a_board_that_fits_is_one_table(monkeypatch: pytest.MonkeyPatch) -> None:
    text, notes = _render_board(monkeypatch, "200")
    assert notes == [] and text.count("probability") == 1
    leads_line = next(line for line in text.splitlines() if line.startswith("│ leads"))
    cells = leads_line.split("│")[2:-1]
    assert all(cell[-2].isdigit() and cell[1] == " " for cell in cells)  # right-aligned


@given(
    widths=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=14),
    available=st.integers(min_value=90, max_value=200),
)
def test_folds_keep_every_column_once_and_fit(widths: list[int], available: int) -> None:
    """Each part starts with the first column, the others appear once, in order, and a
    part fits whenever the first column and one other can."""
    folds = fold_widths(widths, available)
    assert all(part[0] == 0 for part in folds)
    assert [index for part in folds for index in part[1:]] == list(range(1, len(widths)))
    for part in folds:
        if len(part) > 2:
            assert sum(widths[i] for i in part) + 3 * len(part) + 1 <= available


@given(
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, places=6)
)
def test_money_in_csv_is_the_value_to_the_cent(amount: Decimal) -> None:
    out = io.StringIO()
    render(Section(None, [Column("mrr", kind="money")], [{"mrr": amount}]), "csv", out)
    cell = out.getvalue().splitlines()[1]
    assert re.fullmatch(r"-?\d+\.\d{2}", cell), cell
    assert abs(Decimal(cell) - amount) <= Decimal("0.005")


@given(
    st.lists(st.tuples(st.integers(1, 30), st.integers(0, 200)), min_size=2, max_size=10).map(
        lambda pairs: [(low, low + extra) for low, extra in pairs]
    ),
    st.integers(60, 200),
)
def test_fitted_widths_keep_minimums_and_the_width(
    pairs: list[tuple[int, int]], available: int
) -> None:
    minimums, naturals = [low for low, _ in pairs], [high for _, high in pairs]
    fitted = fit_widths(minimums, naturals, available)
    overhead = 3 * len(pairs) + 1
    if fitted is None:
        assert sum(naturals) + overhead <= available
        return
    assert all(
        low <= width <= high for width, low, high in zip(fitted, minimums, naturals, strict=True)
    )
    if sum(minimums) + overhead <= available:
        assert sum(fitted) + overhead <= available
