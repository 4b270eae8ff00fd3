"""The one renderer: results become a Rich table, JSON, JSON Lines, CSV, TSV or Markdown.

Commands build `Section`s (titled rows with typed columns) and, when the JSON shape
differs from the rows, a `document`; everything else about output lives here.
Rich and tabulate are imported only when something is printed.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Any

from abs_cli.values import iso, round_half_up

if TYPE_CHECKING:
    from rich.console import Console, JustifyMethod


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    markdown = "markdown"


NUMERIC_KINDS = frozenset({"int", "money", "rate", "number", "bar"})
NULLABLE_KINDS = frozenset({"money", "rate", "number", "bar"})
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BAR_WIDTH = 20
SPARKS = "▁▂▃▄▅▆▇█"
PIPED_WIDTH = 1000


@dataclass(frozen=True)
class Column:
    """A column of a section. `kind` decides how table formats show the value:
    text, int, money (2 decimals), rate (a fraction shown as %), number, datetime,
    bar (a fraction shown as a % with a bar), or spark (a list of numbers shown as a
    sparkline, a gap for a missing value)."""

    key: str
    header: str | None = None
    kind: str = "text"
    decimals: int = 1

    @property
    def title(self) -> str:
        return self.header or self.key.replace("_", " ")


@dataclass
class Section:
    """Rows with typed columns under an optional title."""

    title: str | None
    columns: Sequence[Column]
    rows: Iterable[Mapping[str, Any]]
    caption: str | None = None
    transpose: bool = False
    """Tables and Markdown show one column per row (headed by its first column's value),
    like a board; CSV, TSV and JSON keep one record per row."""

    @classmethod
    def record(
        cls, title: str | None, values: Mapping[str, Any], kinds: Mapping[str, str] | None = None
    ) -> Section:
        """A two-column field/value section for one object (e.g. `db info`)."""
        kinds = kinds or {}
        rows = [
            {"field": key, "value": format_cell(value, kinds.get(key, _guess_kind(value)))}
            for key, value in values.items()
        ]
        return cls(title, [Column("field"), Column("value")], rows)


@dataclass
class Report:
    """What a command prints: sections for people, a JSON document for scripts."""

    sections: list[Section]
    document: Any = None
    notes: list[str] = field(default_factory=list)


def _guess_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "text"
    if isinstance(value, int):
        return "int"
    if isinstance(value, (float, Decimal)):
        return "number"
    return "text"


def sparkline(values: Sequence[Any]) -> str:
    """Numbers as a one-line trend, lowest ▁ to highest █; None shows as a space."""
    numbers = [Decimal(str(value)) for value in values if value is not None]
    if not numbers:
        return " " * len(values)
    low, high = min(numbers), max(numbers)
    top = len(SPARKS) - 1
    marks = []
    for value in values:
        if value is None:
            marks.append(" ")
        elif high == low:
            marks.append(SPARKS[top // 2])
        else:
            level = round_half_up((Decimal(str(value)) - low) / (high - low) * top, 0)
            marks.append(SPARKS[int(level)])
    return "".join(marks)


def format_cell(value: Any, kind: str = "text", decimals: int = 1) -> str:
    """A value as a person reads it in a table."""
    if kind == "spark":
        return sparkline(value or [])
    if value is None:
        return "n/a" if kind in NULLABLE_KINDS else ""
    if kind == "money":
        return f"{round_half_up(value, 2):,.2f}"
    if kind in ("rate", "bar"):
        text = f"{round_half_up(Decimal(str(value)) * 100, decimals)}%"
        if kind == "bar":
            filled = max(0, min(BAR_WIDTH, int(round_half_up(float(value) * BAR_WIDTH, 0))))
            return f"{'█' * filled}{'░' * (BAR_WIDTH - filled)} {text}"
        return text
    if kind == "int" and isinstance(value, (int, Decimal, float)) and not isinstance(value, bool):
        return f"{int(value):,}"
    if kind == "number" and isinstance(value, (int, float, Decimal)):
        return f"{round_half_up(value, decimals):,}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return (
            int(value)
            if value == value.to_integral_value() and abs(value) < 2**53
            else float(value)
        )
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def to_json(document: Any, *, indent: int | None = 2) -> str:
    """JSON with Decimals as numbers and datetimes as ISO 8601 UTC."""
    return json.dumps(document, default=_json_default, indent=indent, ensure_ascii=False)


def _plain_cell(value: Any) -> Any:
    """A value as CSV/TSV carries it: raw numbers, ISO dates, escaped formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, (dict, list)):
        return to_json(value, indent=None)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _rows_document(report: Report) -> Any:
    if report.document is not None:
        return report.document
    if len(report.sections) == 1:
        return [dict(row) for row in report.sections[0].rows]
    return {
        (section.title or str(i)): [dict(r) for r in section.rows]
        for i, section in enumerate(report.sections)
    }


def render(
    report: Report | Section,
    fmt: OutputFormat | str = OutputFormat.table,
    out: IO[str] | None = None,
) -> None:
    """Print a report in the chosen format on `out` (stdout by default)."""
    if isinstance(report, Section):
        report = Report([report])
    fmt = OutputFormat(fmt)
    out = out or sys.stdout
    if fmt is OutputFormat.json:
        out.write(to_json(_rows_document(report)) + "\n")
    elif fmt is OutputFormat.jsonl:
        _render_jsonl(report, out)
    elif fmt in (OutputFormat.csv, OutputFormat.tsv):
        _render_delimited(report, out, "," if fmt is OutputFormat.csv else "\t")
    elif fmt is OutputFormat.markdown:
        _render_markdown(report, out)
    else:
        _render_table(report, out)


def _render_jsonl(report: Report, out: IO[str]) -> None:
    document = report.document
    if isinstance(document, list):
        rows: Iterable[Any] = document
    elif document is not None and not report.sections:
        rows = [document]
    else:
        rows = (row for section in report.sections for row in section.rows)
    for row in rows:
        out.write(to_json(row, indent=None) + "\n")


def _render_delimited(report: Report, out: IO[str], delimiter: str) -> None:
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    for index, section in enumerate(report.sections):
        if index:
            out.write("\n")
        keys = [column.key for column in section.columns]
        writer.writerow(keys)
        for row in section.rows:
            writer.writerow([_plain_cell(row.get(key)) for key in keys])


def _transposed(section: Section) -> Section:
    """Rows become columns: a header per row, a line per column, cells formatted by kind."""
    if not section.transpose:
        return section
    rows = list(section.rows)
    first, *rest = section.columns
    keys = [f"c{index}" for index in range(len(rows))]
    columns = [Column("field", first.title)] + [
        Column(key, format_cell(row.get(first.key), first.kind))
        for key, row in zip(keys, rows, strict=True)
    ]
    lines = [
        {"field": column.title}
        | {
            key: format_cell(row.get(column.key), column.kind, column.decimals)
            for key, row in zip(keys, rows, strict=True)
        }
        for column in rest
    ]
    return Section(section.title, columns, lines, section.caption)


def _render_markdown(report: Report, out: IO[str]) -> None:
    from tabulate import tabulate

    for index, section in enumerate(_transposed(section) for section in report.sections):
        if index:
            out.write("\n")
        if section.title:
            out.write(f"## {section.title}\n\n")
        headers = [column.title for column in section.columns]
        body = [
            [
                format_cell(row.get(c.key), c.kind, c.decimals).replace("|", "\\|")
                for c in section.columns
            ]
            for row in section.rows
        ]
        align = ["right" if c.kind in NUMERIC_KINDS else "left" for c in section.columns]
        out.write(
            tabulate(body, headers=headers, tablefmt="pipe", colalign=align, disable_numparse=True)
        )
        out.write("\n")
        if section.caption:
            out.write(f"\n_{section.caption}_\n")
    for note in report.notes:
        out.write(f"\n{note}\n")


def console(out: IO[str] | None = None, *, stderr: bool = False) -> Console:
    """A Rich console that decides colour itself (NO_COLOR, TERM, pipes).

    On a terminal it uses the terminal's width. Piped into a file, a mail or a pager
    there is no width to respect: Rich's default of 80 columns would fold every cell of
    a wide report, so tables keep their natural width unless `COLUMNS` asks otherwise.
    """
    from rich.console import Console

    stream = out if out is not None else (sys.stderr if stderr else sys.stdout)
    width = None
    if "COLUMNS" not in os.environ and not _is_terminal(stream):
        width = PIPED_WIDTH
    if out is not None:
        return Console(file=out, soft_wrap=False, width=width)
    return Console(stderr=stderr, width=width)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _render_table(report: Report, out: IO[str]) -> None:
    from rich.table import Table
    from rich.text import Text

    target = console(out if out is not sys.stdout else None)
    for section in (_transposed(section) for section in report.sections):
        table = Table(title=section.title, caption=section.caption, title_justify="left")
        for column in section.columns:
            justify: JustifyMethod = (
                "right" if column.kind in NUMERIC_KINDS and column.kind != "bar" else "left"
            )
            table.add_column(column.title, justify=justify, overflow="fold")
        for row in section.rows:
            table.add_row(
                *(Text(format_cell(row.get(c.key), c.kind, c.decimals)) for c in section.columns)
            )
        target.print(table)
    for note in report.notes:
        target.print(Text(note))
