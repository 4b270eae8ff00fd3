"""HTML for people: the KPI report as one self-contained page, and any report's tables.

The page holds everything it shows: the style sheet (`report.css`, package data) is
inlined, the charts are SVG written here, and nothing is fetched, so it opens offline,
in a mail or from a file share, and prints on A4 landscape, one sheet per section.

The charts are hand-built SVG rather than a chart library's: the report needs a funnel,
a waterfall, stacked movement bars, a cohort heat-map and a pyramid, drawn from numbers
already computed. Vega-Lite through vl-convert draws them all but weighs a 33.5 MB
wheel (84 MB installed) and takes ~370 ms to render its first chart; pygal has no
heat-map, waterfall or pyramid and loads its tooltip script from the network unless
told not to; leather draws bars, lines and dots only. A few primitives here (bars, text,
rectangles) draw every chart in about a millisecond, with no dependency.

Every number is formatted from the JSON document `abs kpi report --format json` prints
(the caller decodes that JSON and passes it here), rounded half-up like the tables,
and carries `data-key` (its path in the document, e.g. `funnel.2.reached`) and
`data-value` (the raw JSON value), so a test or a script can check the page against
the JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from importlib.resources import files
from typing import Any

from abs_cli.render.kpi import PYRAMID, WATERFALL, show
from abs_cli.render.output import NUMERIC_KINDS, Report, Section, format_cell

# The colours of MRR movements, shared by the waterfall, the stacked bars and the legend.
MOVEMENT_COLOURS = {
    "mrr_new": "#2e7d32",
    "mrr_expansion": "#66bb6a",
    "mrr_reactivation": "#26a69a",
    "mrr_contraction": "#ef8a3c",
    "mrr_churn": "#d84343",
}
GAINS = ("mrr_new", "mrr_expansion", "mrr_reactivation")
LOSSES = ("mrr_contraction", "mrr_churn")
LABELS = {key: label for label, key, _ in WATERFALL}
ACCENT = "#3461c1"
MUTED = "#c9d3e6"


class Markup(str):
    """Text that is already HTML or SVG (built here, every value escaped)."""


def _escaped(child: Any) -> str:
    if child is None or child is False:
        return ""
    if isinstance(child, Markup):
        return child
    if isinstance(child, (list, tuple)):
        return "".join(_escaped(item) for item in child)
    return escape(str(child), quote=False)


def el(tag: str, attributes: Mapping[str, Any] | None = None, *children: Any) -> Markup:
    """An element: attribute values and text children are escaped, Markup is kept.
    An attribute whose value is None or False is left out."""
    parts = [f"<{tag}"]
    for name, value in (attributes or {}).items():
        if value is None or value is False:
            continue
        parts.append(f' {name}="{escape(str(value), quote=True)}"')
    body = "".join(_escaped(child) for child in children)
    return Markup("".join(parts) + f">{body}</{tag}>")


def raw(value: Any) -> str:
    """A JSON value as the document spells it (the `data-value` of a number)."""
    return json.dumps(value, ensure_ascii=False)


def number(key: str, value: Any, text: str, tag: str = "span", **attributes: Any) -> Markup:
    """A number shown as `text`, tagged with its path and raw value in the document."""
    attributes = {"class": "num", **attributes, "data-key": key, "data-value": raw(value)}
    return el(tag, attributes, text)


def metric(document: Mapping[str, Any], name: str, tag: str = "span", **attributes: Any) -> Markup:
    """One metric of the period, as the tables show it."""
    value = document["metrics"].get(name)
    return number(f"metrics.{name}", value, show(name, value), tag, **attributes)


# ---------------------------------------------------------------------------- SVG primitives


def svg(width: float, height: float, *children: Any, label: str, compact: bool = False) -> Markup:
    """An SVG drawing that scales to its container, with a title for screen readers;
    `compact` ones (bars in a crowded table row) are drawn narrower."""
    return el(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {width:g} {height:g}",
            "role": "img",
            "aria-label": label,
            "class": "chart-svg compact" if compact else "chart-svg",
        },
        el("title", None, label),
        *children,
    )


def rect(x: float, y: float, width: float, height: float, fill: str, **attributes: Any) -> Markup:
    return el(
        "rect",
        {
            "x": f"{x:.1f}",
            "y": f"{y:.1f}",
            "width": f"{max(width, 0):.1f}",
            "height": f"{max(height, 0):.1f}",
            "fill": fill,
            **attributes,
        },
    )


def text(x: float, y: float, content: Any, **attributes: Any) -> Markup:
    return el("text", {"x": f"{x:.1f}", "y": f"{y:.1f}", **attributes}, content)


def svg_number(x: float, y: float, key: str, value: Any, shown: str, **attributes: Any) -> Markup:
    """A number drawn in a chart, tagged like `number`."""
    return el(
        "text",
        {
            "x": f"{x:.1f}",
            "y": f"{y:.1f}",
            "class": "num",
            **attributes,
            "data-key": key,
            "data-value": raw(value),
        },
        shown,
    )


def _value(value: Any) -> float:
    """A JSON number as a float for geometry only (None draws as 0)."""
    return float(value) if isinstance(value, (int, float)) else 0.0


def _scale(values: Iterable[Any]) -> float:
    """The largest magnitude among values, or 1 when all are 0 or null."""
    return max((abs(_value(value)) for value in values), default=0.0) or 1.0


# ---------------------------------------------------------------------------- charts


def hbar_chart(
    rows: Sequence[tuple[str, str, Any, str]],
    *,
    label: str,
    notes: Sequence[Markup | None] = (),
    colour: str = ACCENT,
) -> Markup:
    """Horizontal bars: one (label, key, value, shown) per row, the value at the bar's
    end; `notes` (one per row) are drawn in a column on the right."""
    width, left, right, row_height = 960, 170, 170, 34
    height = row_height * len(rows) + 10
    top = _scale(value for _, _, value, _ in rows)
    span = width - left - right - 70
    parts: list[Any] = []
    for index, (name, key, value, shown) in enumerate(rows):
        y = 5 + index * row_height
        length = span * _value(value) / top
        parts.append(text(left - 10, y + 21, name, **{"text-anchor": "end", "class": "axis"}))
        parts.append(rect(left, y + 4, length, row_height - 10, colour, rx=3))
        parts.append(svg_number(left + length + 8, y + 21, key, value, shown))
        if index < len(notes) and notes[index] is not None:
            parts.append(notes[index])
    return svg(width, height, *parts, label=label)


def funnel_chart(document: Mapping[str, Any]) -> Markup:
    """The funnel: leads per step as bars, the conversion to the next step beside them."""
    count_key = "reached" if document.get("funnel_mode", "cohort") == "cohort" else "entered"
    rows, notes = [], []
    for index, step in enumerate(document["funnel"]):
        value = step.get(count_key)
        rows.append(
            (
                f"{step['step']} {step['stage']}",
                f"funnel.{index}.{count_key}",
                value,
                format_cell(value, "int"),
            )
        )
        conversion = step.get("conversion")
        notes.append(
            None
            if step["step"] == 7
            else svg_number(
                960 - 10,
                5 + index * 34 + 21,
                f"funnel.{index}.conversion",
                conversion,
                "→ " + format_cell(conversion, "rate"),
                **{"text-anchor": "end", "class": "num note"},
            )
        )
    return hbar_chart(rows, label="Leads per step and conversion to the next step", notes=notes)


def stages_chart(document: Mapping[str, Any]) -> Markup:
    """Time in step: the mean days per step, with the exits it is measured over."""
    rows, notes = [], []
    for index, stage in enumerate(document["stages"]):
        days = stage.get("avg_days_in_stage")
        rows.append(
            (
                f"{stage['step']} {stage['stage']}",
                f"stages.{index}.avg_days_in_stage",
                days,
                format_cell(days, "number") + " d" if days is not None else "n/a",
            )
        )
        exits = stage.get("exits")
        notes.append(
            svg_number(
                960 - 10,
                5 + index * 34 + 21,
                f"stages.{index}.exits",
                exits,
                f"{format_cell(exits, 'int')} exits",
                **{"text-anchor": "end", "class": "num note"},
            )
        )
    return hbar_chart(rows, label="Mean days in each step", notes=notes, colour="#7b61c4")


CROWDED = 13
"""Bars per chart beyond which labels turn: month names slanted, values upright."""


def month_label(x: float, y: float, name: str, crowded: bool) -> Markup:
    """A month under its bar: level, or slanted when the bars are many."""
    if not crowded:
        return text(x, y, name, **{"text-anchor": "middle", "class": "axis"})
    return text(
        x,
        y - 4,
        name,
        **{"text-anchor": "end", "class": "axis", "transform": f"rotate(-45 {x:.1f} {y - 4:.1f})"},
    )


def mrr_chart(document: Mapping[str, Any]) -> Markup:
    """MRR at the end of the month before the period, then at each month's end. With many
    bars, each value is written up its bar (inside when it fits, else above)."""
    months = document["months"]
    bars = [("start", "metrics.mrr_start", document["metrics"].get("mrr_start"))]
    bars += [
        (month["month"], f"months.{index}.metrics.mrr", month["metrics"].get("mrr"))
        for index, month in enumerate(months)
    ]
    crowded = len(bars) > CROWDED
    width, height, top_margin = 960, 300, 28
    bottom = 64 if crowded else 40
    top = _scale(value for _, _, value in bars)
    slot = (width - 20) / len(bars)
    bar_width = min(60.0, slot * 0.7)
    plot = height - bottom - top_margin
    parts: list[Any] = [rect(10, height - bottom, width - 20, 1, "#888")]
    for index, (name, key, value) in enumerate(bars):
        x = 10 + slot * index + (slot - bar_width) / 2
        bar_height = plot * _value(value) / top
        y = height - bottom - bar_height
        parts.append(rect(x, y, bar_width, bar_height, MUTED if index == 0 else ACCENT, rx=2))
        centre = x + bar_width / 2
        shown = format_cell(value, "number", 0)
        if not crowded:
            label = {"text-anchor": "middle", "class": "num small" if len(bars) > 8 else "num"}
            parts.append(svg_number(centre, y - 6, key, value, shown, **label))
        else:
            inside = bar_height > 8 * len(shown)
            anchor_y = y + 6 if inside else y - 4
            upright = {
                "text-anchor": "end" if inside else "start",
                "class": "num small",
                "transform": f"rotate(-90 {centre + 4:.1f} {anchor_y:.1f})",
                "style": "fill:#fff" if inside else None,
            }
            parts.append(svg_number(centre + 4, anchor_y, key, value, shown, **upright))
        parts.append(month_label(centre, height - bottom + 18, name, crowded))
    return svg(width, height, *parts, label="MRR at each month end")


def waterfall_chart(document: Mapping[str, Any]) -> Markup:
    """The period's MRR bridge: start, each movement up or down, end."""
    metrics = document["metrics"]
    width, height, bottom, top_margin = 960, 310, 50, 28
    steps = []
    level = 0.0
    for label, key, sign in WATERFALL:
        value = metrics.get(key)
        amount = _value(value)
        if key in ("mrr_start", "mrr"):
            low, high = 0.0, amount
            level = amount
        else:
            low, high = (level, level + amount) if sign > 0 else (level - amount, level)
            level = high if sign > 0 else low
        steps.append((label, key, value, sign, low, high))
    base = _bridge_base(steps)
    top = max(max(step[5] for step in steps), base + 1.0)
    floor = base or min(min(step[4] for step in steps), 0.0)
    plot = height - bottom - top_margin
    scale = plot / (top - floor)
    slot = (width - 20) / len(steps)
    bar_width = slot * 0.62
    axis_y = height - bottom
    parts: list[Any] = [rect(10, axis_y, width - 20, 1, "#888")]
    if base > 0:
        parts.append(
            text(
                width - 14,
                axis_y + 34,
                f"MRR bars start at {format_cell(base, 'int')}, not 0",
                **{"text-anchor": "end", "class": "axis"},
            )
        )
    for index, (label, key, value, sign, low, high) in enumerate(steps):
        x = 10 + slot * index + (slot - bar_width) / 2
        y = axis_y - (high - floor) * scale
        colour = MOVEMENT_COLOURS.get(key, ACCENT if key == "mrr" else MUTED)
        parts.append(rect(x, y, bar_width, (high - max(low, floor)) * scale, colour, rx=2))
        shown = show(key, value)
        if key not in ("mrr_start", "mrr") and value:
            shown = ("+" if sign > 0 else "−") + shown
        centre = x + bar_width / 2
        parts.append(
            svg_number(centre, y - 6, f"metrics.{key}", value, shown, **{"text-anchor": "middle"})
        )
        parts.append(text(centre, axis_y + 18, label, **{"text-anchor": "middle", "class": "axis"}))
    return svg(width, height, *parts, label="MRR bridge over the period")


def _bridge_base(steps: Sequence[tuple[str, str, Any, int, float, float]]) -> float:
    """Where the bridge's bars start: 0, unless the movements are small beside MRR (a
    month's bridge, typically), when bars from 0 would flatten them; then a round number
    below the lowest level by twice the movements, which the chart states."""
    lowest = min(step[4] if step[1] not in ("mrr_start", "mrr") else step[5] for step in steps)
    moved = sum(step[5] - step[4] for step in steps if step[1] not in ("mrr_start", "mrr"))
    if lowest <= 0 or not moved or moved * 4 > lowest:
        return 0.0
    base = lowest - 2 * moved
    magnitude = 10 ** max(len(str(int(base))) - 2, 0)
    return float(int(base // magnitude) * magnitude)


def movements_chart(document: Mapping[str, Any]) -> Markup:
    """Each month's movements as stacked bars: gains above the line, losses below."""
    months = document["months"]
    crowded = len(months) > CROWDED
    width, height = 960, 260
    bottom = 58 if crowded else 30
    gains = [sum(_value(m["metrics"].get(key)) for key in GAINS) for m in months]
    losses = [sum(_value(m["metrics"].get(key)) for key in LOSSES) for m in months]
    top, low = max(gains, default=0) or 1.0, max(losses, default=0)
    plot = height - bottom - 12
    scale = plot / (top + low or 1.0)
    zero_y = 8 + top * scale
    left = 40 if crowded else 10  # room for the first slanted month
    slot = (width - left - 10) / max(len(months), 1)
    bar_width = min(48.0, slot * 0.6)
    parts: list[Any] = []
    for index, month in enumerate(months):
        x = left + slot * index + (slot - bar_width) / 2
        up = zero_y
        for key in GAINS:
            size = _value(month["metrics"].get(key)) * scale
            up -= size
            parts.append(rect(x, up, bar_width, size, MOVEMENT_COLOURS[key]))
        down = zero_y
        for key in LOSSES:
            size = _value(month["metrics"].get(key)) * scale
            parts.append(rect(x, down, bar_width, size, MOVEMENT_COLOURS[key]))
            down += size
        parts.append(month_label(x + bar_width / 2, height - bottom + 18, month["month"], crowded))
    parts.append(rect(left, zero_y, width - left - 10, 1, "#888"))
    return svg(width, height, *parts, label="MRR movements per month")


def legend(keys: Iterable[str]) -> Markup:
    return swatches((MOVEMENT_COLOURS[key], LABELS[key]) for key in keys)


def swatches(entries: Iterable[tuple[str, str]]) -> Markup:
    """A legend: one (colour, label) per entry."""
    return el(
        "p",
        {"class": "legend"},
        *(
            el("span", None, el("i", {"style": f"background:{colour}"}), name)
            for colour, name in entries
        ),
    )


def _heat(share: float, low: float, high: float) -> tuple[str, str]:
    """A cell's fill and text colour, from lightest at `low` to darkest at `high`."""
    level = 0.12 + 0.88 * (share - low) / (high - low)
    light, dark = (236, 242, 252), (31, 74, 160)
    fill = tuple(round(a + (b - a) * level) for a, b in zip(light, dark, strict=True))
    return f"rgb{fill}", "#fff" if level > 0.55 else "#1b2a44"


def first_cohort(cohorts: Sequence[Mapping[str, Any]]) -> int:
    """The index of the first cohort with customers (0 when none has): the months before
    it are left out of the heat-maps, which say so."""
    return next((index for index, cohort in enumerate(cohorts) if cohort["customers"]), 0)


def heatmap_chart(document: Mapping[str, Any], field: str, title: str) -> Markup:
    """Cohorts as rows, months since the cohort's first as columns, each cell its share."""
    cohorts = document["cohorts"]
    shares = [
        float(cell[field])
        for cohort in cohorts
        for cell in cohort["retention"]
        if cell.get(field) is not None
    ]
    # Shading runs from half the cohort (or less, when a share is lower) to its whole
    # (or more, with expansion): a dip of a few points shows, and does not look like 0.
    low, high = min([*shares, 0.5]), max([*shares, 1.0])
    first = first_cohort(cohorts)
    shown = list(enumerate(cohorts))[first:]
    columns = max((len(cohort["retention"]) for _, cohort in shown), default=1)
    # Up to a year of columns fits at 0.1 %; a longer range shows whole percents in
    # narrower cells (and a wider drawing) rather than overlapping labels.
    decimals = 1 if columns <= 13 else 0
    left, cell_width, cell_height, header = 170, 60.0 if decimals else 40.0, 24, 24
    width = left + cell_width * columns + 10
    height = header + cell_height * len(shown) + 6
    parts: list[Any] = [
        text(left - 10, 16, "cohort (customers)", **{"text-anchor": "end", "class": "axis"})
    ]
    for age in range(columns):
        parts.append(
            text(
                left + cell_width * (age + 0.5),
                16,
                f"+{age}",
                **{"text-anchor": "middle", "class": "axis"},
            )
        )
    for line, (row, cohort) in enumerate(shown):
        y = header + line * cell_height
        parts.append(
            text(left - 52, y + 16, cohort["cohort"], **{"text-anchor": "end", "class": "axis"})
        )
        parts.append(
            svg_number(
                left - 10,
                y + 16,
                f"cohorts.{row}.customers",
                cohort["customers"],
                format_cell(cohort["customers"], "int"),
                **{"text-anchor": "end", "class": "num axis"},
            )
        )
        for age, cell in enumerate(cohort["retention"]):
            share = cell.get(field)
            x = left + age * cell_width
            if share is None:
                fill, ink = "#f4f4f4", "#999"
            else:
                fill, ink = _heat(float(share), low, high)
            parts.append(rect(x + 1, y + 1, cell_width - 2, cell_height - 2, fill))
            parts.append(
                svg_number(
                    x + cell_width / 2,
                    y + 16,
                    f"cohorts.{row}.retention.{age}.{field}",
                    share,
                    format_cell(share, "rate", decimals),
                    **{"text-anchor": "middle", "class": "num cell", "style": f"fill:{ink}"},
                )
            )
    return svg(width, height, *parts, label=title)


def pyramid_chart(document: Mapping[str, Any]) -> Markup:
    """The product manager's pyramid: the north star on top, its drivers below."""
    width, height = 960, 400
    apex, base_y, half_base = 360.0, height - 10, 350.0
    levels = list(PYRAMID)
    tiers = len(levels)
    tier_height = (base_y - 10) / tiers
    fills = ("#1f4aa0", "#5577c4", "#a9bde6")
    inks = ("#fff", "#fff", "#1b2a44")
    parts: list[Any] = []
    for index, (name, keys) in enumerate(levels):
        y_top, y_bottom = 10 + index * tier_height, 10 + (index + 1) * tier_height
        half_top = half_base * (y_top - 10) / (base_y - 10)
        half_bottom = half_base * (y_bottom - 10) / (base_y - 10)
        points = (
            f"{apex - half_top:.1f},{y_top:.1f} {apex + half_top:.1f},{y_top:.1f} "
            f"{apex + half_bottom:.1f},{y_bottom:.1f} {apex - half_bottom:.1f},{y_bottom:.1f}"
        )
        parts.append(
            el(
                "polygon",
                {"points": points, "fill": fills[index], "stroke": "#fff", "stroke-width": 3},
            )
        )
        shown = [key for key in keys if key in document["metrics"]]
        centre_y = y_top + tier_height * (0.7 if index == 0 else 0.45)
        usable = (half_top + half_bottom) * 0.9
        step = usable / max(len(shown), 1)
        for position, key in enumerate(shown):
            x = apex - usable / 2 + step * (position + 0.5)
            value = document["metrics"].get(key)
            big = "num big" if index == 0 else "num tier"
            parts.append(
                svg_number(
                    x,
                    centre_y,
                    f"metrics.{key}",
                    value,
                    show(key, value),
                    **{"text-anchor": "middle", "class": big, "style": f"fill:{inks[index]}"},
                )
            )
            parts.append(
                text(
                    x,
                    centre_y + 18,
                    key.replace("_", " "),
                    **{"text-anchor": "middle", "class": "axis", "style": f"fill:{inks[index]}"},
                )
            )
        level, _, drivers = name.partition(": ")
        label_x, label_y = apex + half_base + 30, y_top + tier_height / 2
        parts.append(text(label_x, label_y, level, **{"class": "level"}))
        parts.append(text(label_x, label_y + 18, drivers, **{"class": "axis"}))
    return svg(width, height, *parts, label="The pyramid: north star on top")


def attainment_bar(key: str, value: Any, *, compact: bool = False) -> Markup:
    """A goal's attainment as a bar: the tick is the target (100 %), the bar runs to 150 %;
    green from 100 %, orange from 70 %, red below. `compact` draws it shorter, for tables
    with several bars a row."""
    width, height = (70, 14) if compact else (160, 14)
    share = _value(value)
    filled = min(share, 1.5) / 1.5 * width
    target_x = width / 1.5
    colour = "#2e7d32" if share >= 1 else "#ef8a3c" if share >= 0.7 else "#d84343"
    return svg(
        width + 60,
        height,
        rect(0, 0, width, height, "#eef1f6", rx=2),
        rect(0, 0, filled, height, colour, rx=2),
        rect(target_x, 0, 1.5, height, "#1b2a44"),
        svg_number(
            width + 56, 11, key, value, format_cell(value, "rate"), **{"text-anchor": "end"}
        ),
        label="attainment",
        compact=compact,
    )


# Enablement: the conversion of leads that left a step with their checklist complete, and
# of those without; deals with a piece of content, and without it.
WITH_COLOUR = "#2e7d32"
WITHOUT_COLOUR = "#9aa5b8"
TRACK = "#eef1f6"


def tspan(key: str, value: Any, shown: str, **attributes: Any) -> Markup:
    """A number inside a line of chart text, tagged like `number`."""
    return el(
        "tspan",
        {"class": "num", **attributes, "data-key": key, "data-value": raw(value)},
        shown,
    )


def share_bar(
    x: float, y: float, span: float, height: float, share: Any, colour: str
) -> list[Markup]:
    """A share from 0 to 100 % as a bar on a light track (the track is the 100 %)."""
    filled = span * min(max(_value(share), 0.0), 1.0)
    return [rect(x, y, span, height, TRACK, rx=2), rect(x, y, filled, height, colour, rx=2)]


def noun(count: Any, word: str) -> str:
    """` word` after a count, plural unless the count is 1."""
    return f" {word}" if count == 1 else f" {word}s"


def _stage_name(step: Any, stage: Any) -> str:
    return f"{step} {stage}" if stage else "no step"


def checklist_chart(document: Mapping[str, Any]) -> Markup:
    """Per step: the share of checklist items ticked by the leads leaving it, then the
    conversion of those who left complete against those who left incomplete."""
    rows = document["enablement"]["checklists"]
    width, row_height, header = 960, 52, 26
    completion_x, completion_span = 190, 200
    conversion_x, conversion_span = 500, 190
    height = header + row_height * len(rows) + 4
    parts: list[Any] = [
        text(completion_x, 16, "items ticked when leaving", **{"class": "axis"}),
        text(conversion_x, 16, "went on to the next step", **{"class": "axis"}),
    ]
    for index, row in enumerate(rows):
        key = f"enablement.checklists.{index}"
        y = header + index * row_height
        parts.append(
            text(
                completion_x - 12,
                y + 17,
                _stage_name(row["step"], row["stage"]),
                **{"text-anchor": "end"},
            )
        )
        parts.append(
            el(
                "text",
                {
                    "x": f"{completion_x - 12:.1f}",
                    "y": f"{y + 35:.1f}",
                    "text-anchor": "end",
                    "class": "axis",
                },
                tspan(f"{key}.items", row["items"], format_cell(row["items"], "int")),
                noun(row["items"], "item") + " · ",
                tspan(f"{key}.leads", row["leads"], format_cell(row["leads"], "int")),
                " left",
            )
        )
        parts += share_bar(completion_x, y + 5, completion_span, 16, row["completion"], ACCENT)
        parts.append(
            svg_number(
                completion_x + completion_span + 8,
                y + 18,
                f"{key}.completion",
                row["completion"],
                format_cell(row["completion"], "rate"),
            )
        )
        if not row["leads"]:
            parts.append(
                text(
                    conversion_x,
                    y + 18,
                    "no lead left the step in the period",
                    **{"class": "axis"},
                )
            )
            continue
        for line, (group, colour) in enumerate(
            (("complete", WITH_COLOUR), ("incomplete", WITHOUT_COLOUR))
        ):
            bar_y = y + 4 + line * 20
            conversion = row[f"{group}_conversion"]
            parts += share_bar(conversion_x, bar_y, conversion_span, 14, conversion, colour)
            parts.append(
                el(
                    "text",
                    {"x": f"{conversion_x + conversion_span + 8:.1f}", "y": f"{bar_y + 12:.1f}"},
                    tspan(
                        f"{key}.{group}_conversion",
                        conversion,
                        format_cell(conversion, "rate"),
                    ),
                    el(
                        "tspan",
                        {"class": "axis"},
                        " ",
                        tspan(
                            f"{key}.{group}_advanced",
                            row[f"{group}_advanced"],
                            format_cell(row[f"{group}_advanced"], "int"),
                        ),
                        " of ",
                        tspan(f"{key}.{group}", row[group], format_cell(row[group], "int")),
                        f" {group}",
                    ),
                )
            )
    return svg(width, height, *parts, label="Checklist completion and conversion per step")


def content_steps_chart(document: Mapping[str, Any]) -> Markup:
    """Content used per step the lead was at: uses as bars, pieces and leads beside them."""
    steps = document["enablement"]["content_by_step"]
    rows, notes = [], []
    for index, row in enumerate(steps):
        key = f"enablement.content_by_step.{index}"
        rows.append(
            (
                _stage_name(row["step"], row["stage"]),
                f"{key}.uses",
                row["uses"],
                format_cell(row["uses"], "int") + noun(row["uses"], "use"),
            )
        )
        notes.append(
            el(
                "text",
                {
                    "x": f"{960 - 10:.1f}",
                    "y": f"{5 + index * 34 + 21:.1f}",
                    "text-anchor": "end",
                    "class": "note",
                },
                tspan(f"{key}.pieces", row["pieces"], format_cell(row["pieces"], "int")),
                noun(row["pieces"], "piece") + " · ",
                tspan(f"{key}.leads", row["leads"], format_cell(row["leads"], "int")),
                noun(row["leads"], "lead"),
            )
        )
    return hbar_chart(rows, label="Content uses per step", notes=notes, colour="#26a69a")


def content_wins_chart(document: Mapping[str, Any]) -> Markup:
    """Per piece: the win rate of closed deals that used it, and of those that did not."""
    pieces = document["enablement"]["content"]
    width, row_height = 960, 46
    label_x, bar_x, span = 210, 222, 300
    height = row_height * len(pieces) + 6
    parts: list[Any] = []
    for index, piece in enumerate(pieces):
        key = f"enablement.content.{index}"
        y = 4 + index * row_height
        parts.append(text(label_x, y + 15, piece["id"], **{"text-anchor": "end"}))
        step = f"step {piece['step']}" if piece.get("step") else "not in the playbook"
        parts.append(text(label_x, y + 33, step, **{"text-anchor": "end", "class": "axis"}))
        for line, (group, colour, word) in enumerate(
            (("used", ACCENT, "with"), ("not_used", WITHOUT_COLOUR, "without"))
        ):
            bar_y = y + 3 + line * 19
            rate = piece[f"win_rate_{group}"]
            parts += share_bar(bar_x, bar_y, span, 14, rate, colour)
            parts.append(
                el(
                    "text",
                    {"x": f"{bar_x + span + 8:.1f}", "y": f"{bar_y + 12:.1f}"},
                    tspan(f"{key}.win_rate_{group}", rate, format_cell(rate, "rate")),
                    el(
                        "tspan",
                        {"class": "axis"},
                        " ",
                        tspan(
                            f"{key}.won_{group}",
                            piece[f"won_{group}"],
                            format_cell(piece[f"won_{group}"], "int"),
                        ),
                        " won of ",
                        tspan(
                            f"{key}.deals_{group}",
                            piece[f"deals_{group}"],
                            format_cell(piece[f"deals_{group}"], "int"),
                        ),
                        f" closed {word}",
                    ),
                )
            )
        parts.append(
            el(
                "text",
                {
                    "x": f"{width - 10:.1f}",
                    "y": f"{y + 15:.1f}",
                    "text-anchor": "end",
                    "class": "note",
                },
                tspan(f"{key}.uses", piece["uses"], format_cell(piece["uses"], "int")),
                noun(piece["uses"], "use") + " · ",
                tspan(f"{key}.leads", piece["leads"], format_cell(piece["leads"], "int")),
                noun(piece["leads"], "lead"),
            )
        )
    return svg(width, height, *parts, label="Win rate of deals with and without each piece")


def feedback_chart(document: Mapping[str, Any]) -> Markup:
    """Feedback per step and tag: the period's count as a bar, the previous period's and
    the change beside it, and a small bar per month of the period (its trend, scaled to
    the row's busiest month)."""
    rows = document["enablement"]["feedback"]
    width, row_height, header = 960, 30, 22
    label_x, bar_x, span = 250, 262, 230
    trend_x, trend_width = 770, 180
    top = _scale(row["count"] for row in rows)
    months = max((len(row["months"]) for row in rows), default=1) or 1
    slot = trend_width / months
    height = header + row_height * len(rows) + 4
    period = document["period"]
    parts: list[Any] = [
        text(bar_x, 14, "notes in the period", **{"class": "axis"}),
        text(bar_x + span + 78, 14, "previous period, change", **{"class": "axis"}),
        text(
            trend_x + trend_width,
            14,
            f"per month, {period['from']} to {period['to']}"
            if period["from"] != period["to"]
            else f"in {period['from']}",
            **{"class": "axis", "text-anchor": "end"},
        ),
    ]
    for index, row in enumerate(rows):
        key = f"enablement.feedback.{index}"
        y = header + index * row_height
        name = f"{_stage_name(row['step'], row['stage'])} · {row['tag']}"
        parts.append(text(label_x, y + 17, name, **{"text-anchor": "end"}))
        length = span * _value(row["count"]) / top
        parts.append(rect(bar_x, y + 5, length, 16, "#7b61c4", rx=2))
        parts.append(
            svg_number(
                bar_x + length + 6,
                y + 18,
                f"{key}.count",
                row["count"],
                format_cell(row["count"], "int"),
            )
        )
        change = row["change"]
        shown_change = ("+" if _value(change) > 0 else "") + format_cell(change, "int")
        parts.append(
            el(
                "text",
                {"x": f"{bar_x + span + 78:.1f}", "y": f"{y + 18:.1f}", "class": "note"},
                tspan(f"{key}.previous", row["previous"], format_cell(row["previous"], "int")),
                ", ",
                tspan(f"{key}.change", change, shown_change),
            )
        )
        parts.append(rect(trend_x, y + 24, trend_width, 1, "#c9d3e6"))
        peak = _scale(row["months"])  # each row's own trend, its size is the count bar's
        for month, count in enumerate(row["months"]):
            bar_height = 19 * _value(count) / peak
            parts.append(
                rect(
                    trend_x + slot * month + slot * 0.15,
                    y + 24 - bar_height,
                    slot * 0.7,
                    bar_height,
                    "#7b61c4",
                )
            )
    return svg(width, height, *parts, label="Field feedback per step and tag, and its trend")


# ---------------------------------------------------------------------------- page parts


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    numeric: Sequence[bool] | None = None,
    dense: bool = False,
) -> Markup:
    """A table; `dense` ones (many columns, bars in cells) have narrower cell padding."""
    numeric = numeric or [False] * len(headers)
    head = el(
        "tr",
        None,
        *(
            el("th", {"class": "n" if n else None}, h)
            for h, n in zip(headers, numeric, strict=True)
        ),
    )
    body = [
        el(
            "tr",
            None,
            *(
                el("td", {"class": "n" if n else None}, cell)
                for cell, n in zip(row, numeric, strict=True)
            ),
        )
        for row in rows
    ]
    return el(
        "table",
        {"class": "dense" if dense else None},
        el("thead", None, head),
        el("tbody", None, *body),
    )


def tile(document: Mapping[str, Any], key: str, caption: str | None = None) -> Markup:
    return el(
        "div",
        {"class": "tile"},
        metric(document, key, "div", **{"class": "num value"}),
        el("div", {"class": "caption"}, caption or key.replace("_", " ")),
    )


def figure(name: str, title: str, chart: Markup, *after: Any) -> Markup:
    return el(
        "figure",
        {"class": "chart", "data-chart": name},
        el("figcaption", None, title),
        chart,
        *after,
    )


def sheet(name: str, title: str, *children: Any) -> Markup:
    return el("section", {"class": "sheet", "id": name}, el("h2", None, title), *children)


def _period_label(document: Mapping[str, Any]) -> str:
    period = document["period"]
    return (
        period["from"] if period["from"] == period["to"] else f"{period['from']} to {period['to']}"
    )


def overview(document: Mapping[str, Any]) -> Markup:
    settings = document["settings"]
    scope = ", ".join(f"{key} {value}" for key, value in document.get("scope", {}).items() if value)
    facts = [
        f"as of {document['as_of']}",
        f"currency {settings['currency']}",
        f"gross margin {format_cell(settings['gross_margin'], 'rate')}",
    ]
    if scope:
        facts.append(f"filter: {scope}")
    metrics = document["metrics"]
    keys = [
        key
        for key in (
            "mrr_growth_rate",
            "mrr",
            "customers",
            "net_revenue_retention",
            "gross_revenue_retention",
            "customer_churn_rate",
            "arpa",
            "leads_new",
            "win_rate",
            "pipeline_value",
            "nps",
            "dau_mau",
        )
        if key in metrics
    ]
    return el(
        "header",
        {"class": "overview"},
        el("h1", None, f"KPI report {_period_label(document)}"),
        el("p", {"class": "facts"}, " · ".join(facts)),
        el("div", {"class": "tiles"}, *(tile(document, key) for key in keys)),
    )


def pipeline_sheet(document: Mapping[str, Any]) -> Markup:
    cohort = document.get("funnel_mode", "cohort") == "cohort"
    funnel_title = (
        "Funnel: leads created in the period, steps reached so far"
        if cohort
        else "Funnel: entries into each step during the period (conversion can exceed 100 %)"
    )
    keys = [
        "leads_new",
        "lead_to_customer_rate",
        "deals_won",
        "win_rate",
        "sales_cycle_days",
        "pipeline_value",
        "weighted_pipeline_value",
        "sales_velocity",
    ]
    return sheet(
        "pipeline",
        "Pipeline",
        el(
            "div",
            {"class": "tiles"},
            *(tile(document, key) for key in keys if key in document["metrics"]),
        ),
        figure("funnel", funnel_title, funnel_chart(document)),
        figure("stages", "Time in step: mean days before leaving the step", stages_chart(document)),
    )


def _money_row(document: Mapping[str, Any], index: int, key: str) -> Markup:
    value = document["months"][index]["metrics"].get(key)
    return number(f"months.{index}.metrics.{key}", value, show(key, value))


def revenue_sheet(document: Mapping[str, Any]) -> Markup:
    months = document["months"]
    columns = [
        "mrr",
        *GAINS,
        *LOSSES,
        "mrr_net_new",
        "gross_revenue_retention",
        "net_revenue_retention",
    ]
    rows = [
        [month["month"], *(_money_row(document, index, key) for key in columns)]
        for index, month in enumerate(months)
    ]
    headers = [
        "month",
        "MRR",
        "new",
        "expansion",
        "reactivation",
        "contraction",
        "churn",
        "net new",
        "GRR",
        "NRR",
    ]
    return sheet(
        "revenue",
        "Revenue",
        el(
            "div",
            {"class": "tiles"},
            *(
                tile(document, key)
                for key in (
                    "mrr",
                    "mrr_growth_rate",
                    "gross_revenue_retention",
                    "net_revenue_retention",
                    "quick_ratio",
                    "ltv",
                )
            ),
        ),
        figure(
            "mrr",
            "MRR at each month end (whole units; the table below has cents)",
            mrr_chart(document),
        ),
        figure("waterfall", "MRR bridge over the period", waterfall_chart(document)),
        el("div", {"class": "page-break"}),
        figure(
            "movements",
            "Monthly movements: gains above the line, losses below",
            movements_chart(document),
            legend((*GAINS, *LOSSES)),
        ),
        table(headers, rows, [False] + [True] * (len(headers) - 1)),
    )


def cohorts_sheet(document: Mapping[str, Any]) -> Markup:
    cohorts = document["cohorts"]
    first = first_cohort(cohorts)
    return sheet(
        "cohorts",
        "Cohort retention",
        el(
            "p",
            {"class": "note"},
            "Customers grouped by the month they first paid; each column is a later month end. "
            "Logo: share of the cohort still paying. Revenue: the cohort's MRR against its first "
            "month's (expansion included, so it can pass 100 %).",
            f" Before {cohorts[first]['cohort']}, no month had new customers." if first else "",
        ),
        figure(
            "cohorts-logo",
            "Logo retention",
            heatmap_chart(document, "logo_retention", "Logo retention by cohort"),
        ),
        figure(
            "cohorts-revenue",
            "Revenue retention",
            heatmap_chart(document, "revenue_retention", "Revenue retention by cohort"),
        ),
    )


def pyramid_sheet(document: Mapping[str, Any]) -> Markup:
    return sheet(
        "pyramid",
        "The pyramid",
        el(
            "p",
            {"class": "note"},
            "Read bottom-up: satisfaction, adoption and acquisition drive churn and price, "
            "which drive the north star, month-over-month MRR growth.",
        ),
        figure("pyramid", "North star on top", pyramid_chart(document)),
    )


def _cell(key: str, value: Any, kind: str, decimals: int = 1) -> Markup:
    return number(key, value, format_cell(value, kind, decimals))


def team_sheet(document: Mapping[str, Any]) -> Markup:
    rows = []
    for group in ("team", "roles"):
        for index, row in enumerate(document[group]):
            key = f"{group}.{index}"
            rows.append(
                [
                    row["rep"] or f"all {row['role']}",
                    row.get("name") or "",
                    row["role"],
                    _cell(f"{key}.activities_total", row.get("activities_total"), "int"),
                    _cell(f"{key}.meetings_booked", row.get("meetings_booked"), "int"),
                    _cell(f"{key}.deals_won", row["deals_won"], "int")
                    if "deals_won" in row
                    else "",
                    _cell(f"{key}.win_rate", row["win_rate"], "rate") if "win_rate" in row else "",
                    _cell(f"{key}.won_amount", row["won_amount"], "money")
                    if "won_amount" in row
                    else "",
                    _cell(f"{key}.customers", row["customers"], "int")
                    if "customers" in row
                    else "",
                    _cell(f"{key}.nps", row["nps"], "number", 0) if "nps" in row else "",
                ]
            )
    headers = [
        "rep",
        "name",
        "role",
        "activities",
        "meetings booked",
        "won",
        "win rate",
        "won amount",
        "customers",
        "NPS",
    ]
    team = table(headers, rows, [False] * 3 + [True] * 7)
    goal_rows = [
        [
            goal["month"],
            goal["role"] or "",
            goal["rep"] or ("all of the role" if goal["role"] else "company"),
            goal["metric"],
            _cell(f"goals.{index}.target", goal["target"], "number", 2),
            _cell(f"goals.{index}.actual", goal["actual"], "number", 2),
            attainment_bar(f"goals.{index}.attainment", goal["attainment"]),
        ]
        for index, goal in enumerate(document["goals"])
    ]
    goals: Any = (
        table(
            ["month", "role", "rep", "metric", "target", "actual", "attainment"],
            goal_rows,
            [False] * 4 + [True] * 3,
        )
        if goal_rows
        else el("p", {"class": "note"}, "No goals set for the period (abs goals set).")
    )
    return sheet("team", "Team", team, el("h3", None, "Goals and attainment"), goals)


def customers_sheet(document: Mapping[str, Any]) -> Markup:
    features = document["features"]
    rows = [
        (
            row["feature"],
            f"features.{index}.adoption",
            row["adoption"],
            format_cell(row["adoption"], "rate"),
        )
        for index, row in enumerate(features[:12])
    ]
    chart: Any = (
        figure(
            "features",
            "Feature adoption in the period's last month",
            hbar_chart(rows, label="Feature adoption", colour="#26a69a"),
        )
        if rows
        else el("p", {"class": "note"}, "No product usage recorded in the period's last month.")
    )
    keys = (
        "nps",
        "nps_responses",
        "mau",
        "dau_mau",
        "new_users",
        "tickets_total",
        "bugs_per_customer",
    )
    return sheet(
        "customers",
        "Customers",
        el(
            "div",
            {"class": "tiles"},
            *(tile(document, key) for key in keys if key in document["metrics"]),
        ),
        chart,
    )


FILTERED_ENABLEMENT = (
    "Enablement covers the whole company, so a report filtered by owner, role or source "
    "leaves it out."
)
NO_CAUSAL_CLAIM = (
    "Counts describe, they make no causal claim: the deals that used a piece may differ "
    "from the others in many ways besides it."
)


def stale_content_table(document: Mapping[str, Any]) -> Markup:
    stale = document["enablement"]["stale_content"]
    if not stale:
        return el("p", {"class": "note"}, "No content is past its review date.")
    rows = [
        [
            piece["id"],
            _stage_name(piece["step"], piece["stage"]) if piece.get("step") else "",
            piece.get("title") or "",
            piece.get("link") or "",
            piece.get("owner") or "",
            piece.get("review") or "",
            _cell(f"enablement.stale_content.{index}.days_overdue", piece["days_overdue"], "int"),
        ]
        for index, piece in enumerate(stale)
    ]
    return table(
        ["id", "step", "title", "link", "owner", "review by", "days overdue"],
        rows,
        [False] * 6 + [True],
    )


def _ramp_milestones(key: str, row: Mapping[str, Any]) -> list[Markup]:
    cells = []
    for milestone in ("first_meeting", "first_qualified", "first_win"):
        reached = row[f"reached_{milestone}"]
        days = row[f"avg_days_to_{milestone}"]
        cells.append(
            el(
                "span",
                None,
                _cell(f"{key}.reached_{milestone}", reached, "int"),
                noun(reached, "rep") + " · ",
                _cell(f"{key}.avg_days_to_{milestone}", days, "number"),
                " d" if days is not None else "",
            )
        )
    return cells


def ramp_tables(document: Mapping[str, Any], reps: bool) -> list[Markup]:
    ramp = document["enablement"]["ramp"]
    windows = (30, 60, 90)
    cohorts = [
        [
            row["cohort"],
            _cell(f"enablement.ramp.cohorts.{index}.reps", row["reps"], "int"),
            *_ramp_milestones(f"enablement.ramp.cohorts.{index}", row),
            *(
                attainment_bar(
                    f"enablement.ramp.cohorts.{index}.attainment_{days}",
                    row[f"attainment_{days}"],
                    compact=True,
                )
                for days in windows
            ),
        ]
        for index, row in enumerate(ramp["cohorts"])
    ]
    parts = [
        el("h3", None, "Ramp by hire cohort"),
        table(
            [
                "cohort",
                "reps",
                "1st meeting: reached · mean days",
                "1st qualified",
                "1st win",
                "activities vs target 30 d",
                "60 d",
                "90 d",
            ],
            cohorts,
            [False] + [True] * 7,
            dense=True,
        )
        if cohorts
        else el(
            "p", {"class": "note"}, "No selling rep has a start date (abs team add --started)."
        ),
    ]
    if reps and ramp["reps"]:
        rows = []
        for index, row in enumerate(ramp["reps"]):
            key = f"enablement.ramp.reps.{index}"
            rows.append(
                [
                    row["rep"],
                    row["role"],
                    row["cohort"],
                    *(
                        el(
                            "span",
                            None,
                            _cell(
                                f"{key}.days_to_{milestone}", row[f"days_to_{milestone}"], "number"
                            ),
                            " d" if row[f"days_to_{milestone}"] is not None else "",
                        )
                        for milestone in ("first_meeting", "first_qualified", "first_win")
                    ),
                    *(
                        el(
                            "span",
                            None,
                            _cell(f"{key}.activities_{days}", row[f"activities_{days}"], "int"),
                            "/",
                            _cell(f"{key}.target_{days}", row[f"target_{days}"], "number", 0),
                            " ",
                            attainment_bar(
                                f"{key}.attainment_{days}", row[f"attainment_{days}"], compact=True
                            ),
                        )
                        for days in windows
                    ),
                ]
            )
        parts += [
            el("h3", None, "Ramp by rep"),
            table(
                [
                    "rep",
                    "role",
                    "cohort",
                    "1st meeting",
                    "1st qualified",
                    "1st win",
                    "activities/target 30 d",
                    "60 d",
                    "90 d",
                ],
                rows,
                [False] * 3 + [True] * 6,
                dense=True,
            ),
        ]
    return parts


def enablement_sheet(document: Mapping[str, Any], reps: bool = False) -> Markup:
    """Checklists and conversion, content and win rates, stale content, field feedback
    and ramp; one line when the report is filtered (the section covers the company)."""
    section = document["enablement"]
    if section is None:
        # One line: no sheet of its own (a printed page) for it.
        return el(
            "section",
            {"class": "plain", "id": "enablement"},
            el("h2", None, "Enablement"),
            el("p", {"class": "note"}, FILTERED_ENABLEMENT),
        )
    content_use: Any = (
        figure(
            "content-steps",
            "Content used per step the lead was at",
            content_steps_chart(document),
        )
        if section["content_by_step"]
        else el("p", {"class": "note"}, "No content was used in the period.")
    )
    closed = any(piece["deals_used"] or piece["deals_not_used"] for piece in section["content"])
    content_wins: Any = (
        figure(
            "content-wins",
            "Closed deals won with and without each piece",
            content_wins_chart(document),
            swatches(
                ((ACCENT, "deals that used the piece"), (WITHOUT_COLOUR, "deals that did not"))
            ),
            el("p", {"class": "note"}, NO_CAUSAL_CLAIM),
        )
        if closed
        else el(
            "p",
            {"class": "note"},
            "No deal closed in the period: no win rate with or without a piece to compare."
            if section["content"]
            else "The playbook lists no content and none was used.",
        )
    )
    feedback: Any = (
        figure("feedback", "Field feedback by step and tag", feedback_chart(document))
        if section["feedback"]
        else el("p", {"class": "note"}, "No field feedback in the period or the one before.")
    )
    checklists: Any = (
        figure(
            "checklists",
            "Checklists: completion and conversion of the leads leaving each step",
            checklist_chart(document),
            swatches(
                (
                    (WITH_COLOUR, "left with the checklist complete"),
                    (WITHOUT_COLOUR, "left with it incomplete"),
                )
            ),
        )
        if section["checklists"]
        else el("p", {"class": "note"}, "The playbook has no checklist.")
    )
    return sheet(
        "enablement",
        "Enablement",
        checklists,
        content_use,
        content_wins,
        el("h3", None, "Stale content (past its review date)"),
        stale_content_table(document),
        feedback,
        *ramp_tables(document, reps),
    )


def style() -> str:
    return files("abs_cli.render").joinpath("report.css").read_text(encoding="utf-8")


def page(title: str, *body: Any) -> str:
    """A complete, self-contained HTML document."""
    head = el(
        "head",
        None,
        Markup('<meta charset="utf-8">'),
        Markup('<meta name="viewport" content="width=device-width, initial-scale=1">'),
        el("title", None, title),
        el("style", None, Markup(style())),
    )
    return "<!DOCTYPE html>\n" + el("html", {"lang": "en"}, head, el("body", None, *body)) + "\n"


def kpi_page(document: Mapping[str, Any], *, reps: bool = False) -> str:
    """The KPI report for people: overview, pyramid, pipeline, revenue, cohorts, team,
    customers and enablement, as far as the document holds them (a section command holds
    one); `reps` adds each rep's ramp to the enablement section."""
    parts: list[Any] = [overview(document)]
    full = all(key in document for key in ("funnel", "team", "cohorts", "features"))
    if full:
        parts.append(pyramid_sheet(document))
    if "funnel" in document:
        parts.append(pipeline_sheet(document))
    if "cohorts" in document:
        parts += [revenue_sheet(document), cohorts_sheet(document)]
    if "team" in document:
        parts.append(team_sheet(document))
    if "features" in document:
        parts.append(customers_sheet(document))
    if "enablement" in document:
        parts.append(enablement_sheet(document, reps))
    return page(f"KPI report {_period_label(document)}", *parts)


def sections_page(report: Report) -> str:
    """Any report's sections as HTML tables, formatted as the terminal shows them."""
    parts = [_section_table(section) for section in report.sections]
    parts += [el("p", {"class": "note"}, note) for note in report.notes]
    title = next((s.title for s in report.sections if s.title), None) or "abs"
    return page(title, *parts)


def _section_table(section: Section) -> Markup:
    """A section as a table; a `bar` column shows its percentage (a page draws no text bars)."""
    columns = list(section.columns)
    kinds = ["rate" if column.kind == "bar" else column.kind for column in columns]
    rows = [
        [
            format_cell(row.get(column.key), kind, column.decimals)
            for column, kind in zip(columns, kinds, strict=True)
        ]
        for row in section.rows
    ]
    numeric = [column.kind in NUMERIC_KINDS for column in columns]
    return el(
        "section",
        {"class": "plain"},
        el("h2", None, section.title) if section.title else None,
        table([column.title for column in columns], rows, numeric),
        el("p", {"class": "note"}, section.caption) if section.caption else None,
    )
