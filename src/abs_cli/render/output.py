"""The one renderer: results become a Rich table, JSON, JSON Lines, CSV, TSV or Markdown.

Commands build `Section`s (titled rows with typed columns) and, when the JSON shape
differs from the rows, a `document`; everything else about output lives here.
Rich and tabulate are imported only when something is printed.

Rows carry raw values; the column's kind (or a `Cell`'s own) decides how people see
them. Machine formats (JSON, JSONL, CSV, TSV) carry the raw value (docs/domain.md §3.2):
numbers as numbers, ratios as fractions, money to the cent, ISO dates, null as an empty
csv/tsv cell, and one table per csv/tsv stream (a `section` column when there are several).
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Any, Literal

from abs_cli.values import iso, round_half_up

if TYPE_CHECKING:
    from rich.console import Console


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    markdown = "markdown"
    html = "html"


MACHINE_FORMATS = frozenset(
    {OutputFormat.json, OutputFormat.jsonl, OutputFormat.csv, OutputFormat.tsv}
)
NUMERIC_KINDS = frozenset({"int", "money", "rate", "number", "bar"})
VISUAL_KINDS = frozenset({"spark"})
"""Kinds that only draw other columns' values: machine formats leave them out."""
NULLABLE_KINDS = frozenset({"money", "rate", "number", "bar"})
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BAR_WIDTH = 20
SPARKS = "▁▂▃▄▅▆▇█"
PIPED_WIDTH = 1000
PIPED_TABLE_WIDTH = 120
"""Tables piped with no COLUMNS: a width a mail, a pager or a log file shows whole."""
LABEL_MAX_WIDTH = 24
"""The first column (what each row is) keeps up to this many characters unfolded."""
TEXT_WORD_MAX = 10
"""A word of text up to this long is never split; a longer one (an e-mail) may fold."""


@dataclass(frozen=True)
class Column:
    """A column of a section. `kind` decides how table formats show the value:
    text, int, money (2 decimals), rate (a fraction shown as %), number, datetime,
    bar (a fraction shown as a % with a bar), or spark (a list of numbers shown as a
    sparkline, a gap for a missing value). `audience` is "all", "people" (tables and
    Markdown only: a label, a drawing of other columns) or "scripts" (machine formats
    only: what a label spells out)."""

    key: str
    header: str | None = None
    kind: str = "text"
    decimals: int = 1
    audience: str = "all"

    @property
    def for_people(self) -> bool:
        return self.audience != "scripts"

    @property
    def for_scripts(self) -> bool:
        return self.audience != "people" and self.kind not in VISUAL_KINDS

    @property
    def title(self) -> str:
        return self.header or self.key.replace("_", " ")


@dataclass(frozen=True)
class Cell:
    """A value that carries its own kind, in a column whose rows hold different quantities
    (a metric/value list). `shown`, when set, is what people read instead of the value
    formatted by its kind (e.g. a mapping summarised on one line)."""

    value: Any
    kind: str = "text"
    decimals: int = 1
    shown: str | None = None


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
    key: str | None = None
    """The section's name in machine formats (the `section` column); default: its title
    up to any parenthesis, in snake_case."""

    @property
    def name(self) -> str:
        if self.key:
            return self.key
        title = (self.title or "rows").split(" (")[0]
        return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or "rows"

    @classmethod
    def record(
        cls,
        title: str | None,
        values: Mapping[str, Any],
        kinds: Mapping[str, str] | None = None,
        *,
        key: str | None = None,
    ) -> Section:
        """A two-column field/value section for one object (e.g. `db info`)."""
        kinds = kinds or {}
        rows = [
            {
                "field": name,
                "value": value
                if isinstance(value, Cell)
                else Cell(value, kinds.get(name, _guess_kind(value))),
            }
            for name, value in values.items()
        ]
        return cls(title, [Column("field"), Column("value")], rows, key=key)


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
    if isinstance(value, Cell):
        if value.shown is not None:
            return value.shown
        return format_cell(value.value, value.kind, value.decimals)
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


def raw_value(value: Any, kind: str = "text") -> Any:
    """A value as machine formats carry it: unformatted, money to the cent, a Decimal as
    an int or a float (never a 28-digit string), a `Cell` unwrapped."""
    if isinstance(value, Cell):
        return raw_value(value.value, value.kind)
    if value is None or isinstance(value, bool):
        return value
    if kind == "money" and isinstance(value, (int, float, Decimal)):
        return round_half_up(value, 2)
    if isinstance(value, Decimal):
        return _decimal_number(value)
    if isinstance(value, (list, tuple)):
        return [raw_value(item) for item in value]
    if isinstance(value, Mapping):
        return {key: raw_value(item) for key, item in value.items()}
    return value


def _decimal_number(value: Decimal) -> int | float | Decimal:
    """An int when whole; a short Decimal (`0.75`, `12.50`) as written; a long quotient
    (`0.1307189542483660130718954248`) as the float JSON would carry."""
    if value == value.to_integral_value() and abs(value) < 2**53:
        return int(value)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -6 and abs(value) < 2**53:
        return value
    return float(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        number = _decimal_number(value)
        return float(number) if isinstance(number, Decimal) else number
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Cell):
        return raw_value(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def to_json(document: Any, *, indent: int | None = 2) -> str:
    """JSON with Decimals as numbers and datetimes as ISO 8601 UTC."""
    return json.dumps(document, default=_json_default, indent=indent, ensure_ascii=False)


def _plain_cell(value: Any) -> Any:
    """A raw value as CSV/TSV carries it: numbers as written, ISO dates, null empty,
    nested values as compact JSON, text that a spreadsheet would run as a formula escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return to_json(value, indent=None)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _data_columns(section: Section) -> list[Column]:
    return [column for column in section.columns if column.for_scripts]


def _raw_rows(section: Section) -> Iterator[dict[str, Any]]:
    """The section's rows with raw values: its columns by kind, other keys as they are
    (JSON keeps every key of a row), columns for people only left out."""
    kinds = {column.key: column.kind for column in section.columns}
    hidden = {column.key for column in section.columns if not column.for_scripts}
    for row in section.rows:
        yield {
            key: raw_value(value, kinds.get(key, "text"))
            for key, value in row.items()
            if key not in hidden
        }


def _rows_document(report: Report) -> Any:
    if report.document is not None:
        return report.document
    if len(report.sections) == 1:
        return list(_raw_rows(report.sections[0]))
    return {section.name: list(_raw_rows(section)) for section in report.sections}


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
    elif fmt is OutputFormat.html:
        from abs_cli.render.html import sections_page

        out.write(sections_page(report))
    else:
        _render_table(report, out)


def _render_jsonl(report: Report, out: IO[str]) -> None:
    document = report.document
    rows: Iterable[Any]
    if isinstance(document, list):
        rows = document
    elif document is not None and not report.sections:
        rows = [document]
    elif len(report.sections) == 1:
        rows = _raw_rows(report.sections[0])
    else:
        rows = (
            {"section": section.name} | row
            for section in report.sections
            for row in _raw_rows(section)
        )
    for row in rows:
        out.write(to_json(row, indent=None) + "\n")


def _render_delimited(report: Report, out: IO[str], delimiter: str) -> None:
    """One table: a single section as it is; several under the union of their columns,
    after a `section` column naming each row's section."""
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    several = len(report.sections) > 1
    keys = ["section"] if several else []
    for section in report.sections:
        keys += [column.key for column in _data_columns(section) if column.key not in keys]
    writer.writerow(keys)
    for section in report.sections:
        kinds = {column.key: column.kind for column in _data_columns(section)}
        for row in section.rows:
            values = {"section": section.name} if several else {}
            values |= {key: raw_value(row.get(key), kinds.get(key, "text")) for key in kinds}
            writer.writerow([_plain_cell(values.get(key)) for key in keys])


def _transposed(section: Section) -> Section:
    """Rows become columns: a header per row, a line per column, each cell typed by the
    column it came from. Columns for scripts only are left out, as in every table."""
    shown = [column for column in section.columns if column.for_people]
    if not section.transpose:
        if len(shown) == len(section.columns):
            return section
        return Section(section.title, shown, section.rows, section.caption, key=section.key)
    rows = list(section.rows)
    first, *rest = shown
    keys = [f"c{index}" for index in range(len(rows))]
    columns = [Column("field", first.title)] + [
        Column(key, format_cell(row.get(first.key), first.kind))
        for key, row in zip(keys, rows, strict=True)
    ]
    lines = [
        {"field": column.title}
        | {key: _typed(row.get(column.key), column) for key, row in zip(keys, rows, strict=True)}
        for column in rest
    ]
    return Section(section.title, columns, lines, section.caption)


def _typed(value: Any, column: Column) -> Cell:
    return value if isinstance(value, Cell) else Cell(value, column.kind, column.decimals)


def _render_markdown(report: Report, out: IO[str]) -> None:
    from tabulate import tabulate

    for index, section in enumerate(_transposed(section) for section in report.sections):
        if index:
            out.write("\n")
        if section.title:
            out.write(f"## {section.title}\n\n")
        headers = [column.title for column in section.columns]
        rows = list(section.rows)
        body = [
            [
                format_cell(row.get(c.key), c.kind, c.decimals).replace("|", "\\|")
                for c in section.columns
            ]
            for row in rows
        ]
        align = ["right" if _is_numeric(c, rows) else "left" for c in section.columns]
        out.write(
            tabulate(body, headers=headers, tablefmt="pipe", colalign=align, disable_numparse=True)
        )
        out.write("\n")
        if section.caption:
            out.write(f"\n_{section.caption}_\n")
    for note in report.notes:
        out.write(f"\n{note}\n")


def console(
    out: IO[str] | None = None, *, stderr: bool = False, piped_width: int = PIPED_WIDTH
) -> Console:
    """A Rich console that decides colour itself (NO_COLOR, TERM, pipes).

    On a terminal it uses the terminal's width. Piped into a file, a mail or a pager
    there is no width to respect: it uses `COLUMNS` when set, else `piped_width` (wide
    for diagnostics, so a sentence stays on one line; `PIPED_TABLE_WIDTH` for tables).
    """
    from rich.console import Console

    stream = out if out is not None else (sys.stderr if stderr else sys.stdout)
    width = None
    if "COLUMNS" not in os.environ and not _is_terminal(stream):
        width = piped_width
    if out is not None:
        return Console(file=out, soft_wrap=False, width=width)
    return Console(stderr=stderr, width=width)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _is_numeric(column: Column, rows: Sequence[Mapping[str, Any]]) -> bool:
    """Right-aligned: a numeric column (bars excepted), or one whose cells are all numbers."""
    if column.kind != "text":
        return column.kind in NUMERIC_KINDS and column.kind != "bar"
    cells = [row.get(column.key) for row in rows if row.get(column.key) is not None]
    return bool(cells) and all(
        isinstance(cell, Cell) and cell.kind in NUMERIC_KINDS and cell.kind != "bar"
        for cell in cells
    )


def set_notifier(notify: Callable[[str], None] | None) -> None:
    """Where the renderer's diagnostics go (the CLI passes its `-q`-aware stderr writer);
    None: straight to stderr."""
    global _notify
    _notify = notify


_notify: Callable[[str], None] | None = None


def _diagnostic(message: str) -> None:
    if _notify is not None:
        _notify(message)
    else:
        console(stderr=True).print(message, highlight=False, soft_wrap=True)


def _is_number_cell(value: Any, column: Column) -> bool:
    kind = value.kind if isinstance(value, Cell) else column.kind
    return kind in NUMERIC_KINDS and kind != "bar" and raw_value(value) is not None


def _min_width(column: Column, rows: Sequence[Mapping[str, Any]]) -> int:
    """The narrowest a column may get: its widest number (a number is never split), its
    longest header word, and its longest word of text up to `TEXT_WORD_MAX` characters
    (a role or a stage stays whole; an e-mail may fold)."""
    widths = [len(word) for word in column.title.split()]
    words = [0]
    for row in rows:
        value = row.get(column.key)
        text = format_cell(value, column.kind, column.decimals)
        if _is_number_cell(value, column):
            widths.append(len(text))
        else:
            words += [len(word) for word in text.split()]
    return max([*widths, min(TEXT_WORD_MAX, max(words))])


def _natural_width(column: Column, rows: Sequence[Mapping[str, Any]]) -> int:
    cells = [len(format_cell(row.get(column.key), column.kind, column.decimals)) for row in rows]
    return max([len(column.title), *cells])


def fold_widths(widths: Sequence[int], available: int) -> list[list[int]]:
    """Column indexes per table so that each fits `available` characters: the first
    column (what each row is) starts every table, the others follow in order. A box
    table takes 3 characters per column (padding and a rule) plus 1."""
    if sum(widths) + 3 * len(widths) + 1 <= available or len(widths) < 3:
        return [list(range(len(widths)))]
    folds: list[list[int]] = []
    current = [0]
    used = widths[0] + 3 + 1
    for index in range(1, len(widths)):
        if len(current) > 1 and used + widths[index] + 3 > available:
            folds.append(current)
            current, used = [0], widths[0] + 3 + 1
        current.append(index)
        used += widths[index] + 3
    folds.append(current)
    return folds


def fit_widths(
    minimums: Sequence[int], naturals: Sequence[int], available: int
) -> list[int] | None:
    """Column widths for a table that does not fit at its natural width: each column gets
    its minimum, and the space left goes to the columns in proportion to how much more
    they would take. None when the natural widths fit (Rich lays the table out itself).

    Rich, left to itself, narrows the widest wrapping columns evenly, below a number's
    width when a long text line shares its column (the board's oldest leads)."""
    overhead = 3 * len(naturals) + 1
    if sum(naturals) + overhead <= available:
        return None
    spare = max(0, available - overhead - sum(minimums))
    wants = [max(0, natural - minimum) for natural, minimum in zip(naturals, minimums, strict=True)]
    total = sum(wants)
    return [
        minimum + (want * spare // total if total else 0)
        for minimum, want in zip(minimums, wants, strict=True)
    ]


def _render_table(report: Report, out: IO[str]) -> None:
    from rich.table import Table
    from rich.text import Text

    target = console(out if out is not sys.stdout else None, piped_width=PIPED_TABLE_WIDTH)
    for original in report.sections:
        section = _transposed(original)
        rows = list(section.rows)
        columns = list(section.columns)
        widths = [_min_width(column, rows) for column in columns]
        if len(columns) > 1:  # the row labels, repeated in every part: kept whole if short
            widths[0] = max(widths[0], min(LABEL_MAX_WIDTH, _natural_width(columns[0], rows)))
        folds = fold_widths(widths, target.width)
        if len(folds) > 1:
            starts = ", ".join(repr(columns[part[1]].title) for part in folds[1:])
            _diagnostic(
                f"{section.title or 'table'}: folded into {len(folds)} tables to fit "
                f"{target.width} columns (continued from {starts})"
            )
        naturals = [_natural_width(column, rows) for column in columns]
        for part, indexes in enumerate(folds):
            title = section.title if part == 0 else None
            caption = section.caption if part == len(folds) - 1 else None
            table = Table(title=title, caption=caption, title_justify="left")
            fitted = fit_widths(
                [widths[i] for i in indexes], [naturals[i] for i in indexes], target.width
            )
            for position, index in enumerate(indexes):
                column = columns[index]
                justify: Literal["right", "left"] = "right" if _is_numeric(column, rows) else "left"
                table.add_column(
                    column.title,
                    justify=justify,
                    overflow="fold",
                    min_width=widths[index],
                    width=None if fitted is None else fitted[position],
                )
            for row in rows:
                table.add_row(
                    *(
                        _table_cell(row.get(columns[i].key), columns[i], original.transpose)
                        for i in indexes
                    )
                )
            target.print(table)
    for note in report.notes:
        target.print(Text(note))


def _table_cell(value: Any, column: Column, numbers_right: bool) -> Any:
    """A cell as Rich shows it: a number on one line, never split (its column is at least
    as wide); right-aligned in a board, whose columns mix numbers and a text line."""
    from rich.text import Text

    text = format_cell(value, column.kind, column.decimals)
    if _is_number_cell(value, column):
        return Text(
            text, no_wrap=True, overflow="ellipsis", justify="right" if numbers_right else None
        )
    return Text(text)
