"""Reading the KPI page back: its numbers (by `data-key`), charts and outside references."""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from typing import Any

SHOWN_NUMBER = re.compile(
    r"(?P<sign>[−+-]?)(?P<digits>[\d,]+(?:\.(?P<decimals>\d+))?)(?P<percent>%?)"
)


class PageReader(HTMLParser):
    """Collects every tagged number (key, raw value, text), every chart figure and
    whether it holds an SVG, and every attribute that could fetch something."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.numbers: list[tuple[str, str, str]] = []
        self.charts: dict[str, int] = {}
        self.references: list[str] = []
        self._open: list[tuple[str, str, str, list[str]]] = []
        self._chart: str | None = None
        self._chart_depth = 0
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self._depth += 1
        for name in ("src", "href", "xlink:href", "srcset", "action"):
            if name in values:
                self.references.append(f"{tag} {name}={values[name]}")
        if tag == "figure" and "data-chart" in values:
            self._chart, self._chart_depth = values["data-chart"], self._depth
            self.charts[self._chart] = 0
        if tag == "svg" and self._chart is not None:
            self.charts[self._chart] += 1
        if "data-key" in values:
            self._open.append((tag, values["data-key"], values.get("data-value", ""), []))

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _, key, value, text = self._open.pop()
            self.numbers.append((key, value, "".join(text).strip()))
        if tag == "figure" and self._chart is not None and self._depth == self._chart_depth:
            self._chart = None
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        for entry in self._open:
            entry[3].append(data)


def read_page(page: str) -> PageReader:
    reader = PageReader()
    reader.feed(page)
    reader.close()
    return reader


def at_path(document: Any, key: str) -> Any:
    """The value at a dotted path of the document (`funnel.2.reached`)."""
    value = document
    for part in key.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def half_up(value: Any, decimals: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def shown_matches(value: Any, text: str) -> bool:
    """Whether `text` shows `value` as the tables do: half-up at the decimals shown, rates
    as %, null as n/a. A leading − marks a movement that lowers MRR (a positive magnitude)."""
    if value is None:
        return "n/a" in text
    match = SHOWN_NUMBER.search(text)
    if match is None:
        return False
    decimals = len(match["decimals"] or "")
    shown = Decimal(match["digits"].replace(",", ""))
    raw = Decimal(str(value)) * (100 if match["percent"] else 1)
    if match["sign"] == "−":
        return shown == half_up(raw, decimals)
    if match["sign"] == "-":
        shown = -shown
    return shown == half_up(raw, decimals)


def mismatches(page: str, document: dict[str, Any]) -> list[str]:
    """Every tagged number of the page whose raw value or text disagrees with the JSON."""
    wrong = []
    for key, raw_value, text in read_page(page).numbers:
        expected = at_path(document, key)
        if json.loads(raw_value) != expected:
            wrong.append(f"{key}: page holds {raw_value}, JSON {expected!r}")
        elif not shown_matches(expected, text):
            wrong.append(f"{key}: shows {text!r} for {expected!r}")
    return wrong
