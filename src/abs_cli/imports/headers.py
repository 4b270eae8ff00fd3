"""Header matching: canonical columns, aliases, CRM presets, `--map` and `--value`.

Names match ignoring case, spaces, `_` and `-` (docs/domain.md §4), so `First Name`,
`first_name` and `FIRSTNAME` are one column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from abs_cli.errors import InputError, UsageError

_IGNORED = re.compile(r"[\s_\-]+")


def normalise_header(name: str) -> str:
    return _IGNORED.sub("", name.strip().lstrip("\ufeff").lower())


PRESETS: dict[str, dict[str, str]] = {
    "hubspot": {
        "Email": "email",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Job Title": "title",
        "Phone Number": "phone",
        "Company Name": "company",
        "Company Domain Name": "domain",
        "Website URL": "domain",
        "Industry": "industry",
        "Number of Employees": "employees",
        "Country/Region": "country",
        "Original Source": "source",
        "Create Date": "created_at",
        "Contact owner": "owner",
        "Lifecycle Stage": "stage",
        "Record ID": "external_id",
        "Marketing contact status": "consent",
    },
    "salesforce": {
        "Email": "email",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Title": "title",
        "Phone": "phone",
        "Company": "company",
        "Website": "domain",
        "Industry": "industry",
        "No. of Employees": "employees",
        "NumberOfEmployees": "employees",
        "Country": "country",
        "Lead Source": "source",
        "LeadSource": "source",
        "Created Date": "created_at",
        "CreatedDate": "created_at",
        "Lead Owner": "owner",
        "Lead Status": "stage",
        "Status": "stage",
        "Lead ID": "external_id",
        "Id": "external_id",
        "Stage": "to_stage",
        "StageName": "to_stage",
        "Opportunity ID": "external_id",
        "Amount": "amount",
    },
    "pipedrive": {
        "Person - Email": "email",
        "Person - First name": "first_name",
        "Person - Last name": "last_name",
        "Person - Job title": "title",
        "Person - Phone": "phone",
        "Organization - Name": "company",
        "Person - Organization": "company",
        "Organization - Website": "domain",
        "Organization - Industry": "industry",
        "Organization - Number of employees": "employees",
        "Organization - Country": "country",
        "Person - Source": "source",
        "Person - Lead source": "source",
        "Person - Person created": "created_at",
        "Person - Owner": "owner",
        "Person - ID": "external_id",
        "Deal - ID": "external_id",
        "Deal - Stage": "to_stage",
        "Deal - Value": "amount",
        "Deal - Owner": "rep_email",
        "Deal - Update time": "changed_at",
        "Deal - Lost reason": "reason",
    },
}
"""Export headers of the CRMs users come from, by preset name."""

_HUBSPOT_LIFECYCLE = {
    "subscriber": "prospect",
    "lead": "prospect",
    "marketing qualified lead": "prospect",
    "marketingqualifiedlead": "prospect",
    "sales qualified lead": "qualified",
    "salesqualifiedlead": "qualified",
    "opportunity": "discovery",
    "customer": "customer",
    "evangelist": "customer",
}
_SALESFORCE_LEAD_STATUS = {
    "open - not contacted": "prospect",
    "working - contacted": "prospect",
    "open": "prospect",
    "contacted": "prospect",
    "working": "prospect",
    "nurturing": "prospect",
    "closed - converted": "qualified",
    "converted": "qualified",
    "closed - not converted": "disqualified",
    "unqualified": "disqualified",
}
_SALESFORCE_OPPORTUNITY_STAGE = {
    "prospecting": "discovery",
    "qualification": "discovery",
    "needs analysis": "discovery",
    "value proposition": "demo",
    "id. decision makers": "demo",
    "perception analysis": "demo",
    "proposal/price quote": "proposal",
    "negotiation/review": "negotiation",
    "closed won": "customer",
    "closed lost": "lost",
}
_PIPEDRIVE_DEAL_STAGE = {
    "lead in": "prospect",
    "qualified": "qualified",
    "contact made": "discovery",
    "needs defined": "discovery",
    "demo scheduled": "demo",
    "proposal made": "proposal",
    "negotiations started": "negotiation",
}

PRESET_VALUES: dict[str, dict[str, dict[str, str]]] = {
    "hubspot": {"stage": _HUBSPOT_LIFECYCLE},
    "salesforce": {"stage": _SALESFORCE_LEAD_STATUS, "to_stage": _SALESFORCE_OPPORTUNITY_STAGE},
    "pipedrive": {"to_stage": _PIPEDRIVE_DEAL_STAGE},
}
"""The default pipelines' stage names of each CRM, as abs stages (keys lower-case).

A preset translates them unless `--value` says otherwise for the same value.
"""


def value_translations(
    preset: str | None, translations: Mapping[str, Mapping[str, str]], columns: Sequence[str]
) -> dict[str, dict[str, str]]:
    """The value tables of an import: the preset's stage names, then `--value` over them.

    `translations` comes from `parse_value_maps` (normalised column names); the result
    is keyed by the importer's canonical column names.
    """
    canonical = {normalise_header(column): column for column in columns}
    tables: dict[str, dict[str, str]] = {
        column: dict(table)
        for column, table in PRESET_VALUES.get(preset or "", {}).items()
        if column in columns
    }
    for column, table in translations.items():
        if column not in canonical:
            raise InputError(
                f"--value names {column!r}, which is not a column of this import",
                hint="columns: " + ", ".join(columns),
            )
        tables.setdefault(canonical[column], {}).update(table)
    return tables


_SIGNATURES: dict[str, tuple[str, ...]] = {
    "hubspot": ("recordid", "contactowner", "lifecyclestage", "createdate", "originalsource"),
    "salesforce": (
        "leadid",
        "leadowner",
        "leadsource",
        "leadstatus",
        "stagename",
        "isconverted",
        "systemmodstamp",
        "forecastcategory",
    ),
    "pipedrive": ("personemail", "personowner", "dealstage", "organizationname", "personid"),
}


def detect_preset(header: Sequence[str]) -> str | None:
    """The CRM preset whose signature headers the file carries (at least two)."""
    names = {normalise_header(cell) for cell in header}
    scores = {name: len(names.intersection(sig)) for name, sig in _SIGNATURES.items()}
    best = max(scores, key=lambda name: scores[name])
    if scores[best] >= 2 or (best == "pipedrive" and scores[best] >= 1):
        return best
    return None


class ColumnMap(NamedTuple):
    """One `--map SOURCE=COLUMN`, as the user typed it (messages echo it unchanged)."""

    source: str
    column: str

    @property
    def ignores(self) -> bool:
        """`--map "SOURCE="`: the column is ignored."""
        return not self.column

    def __str__(self) -> str:
        return f"--map {self.source}={self.column}"


def parse_maps(values: Sequence[str]) -> dict[str, ColumnMap]:
    """`--map "Mail Address=email"` options into `{normalised source: ColumnMap}`."""
    maps: dict[str, ColumnMap] = {}
    for value in values:
        source, sep, column = value.partition("=")
        if not sep or not source.strip():
            raise UsageError(
                f"--map {value!r} is not SOURCE=COLUMN",
                hint='e.g. --map "Mail Address=email", or --map "Notes=" to ignore a column',
            )
        maps[normalise_header(source)] = ColumnMap(source.strip(), column.strip())
    return maps


def parse_value_maps(values: Sequence[str]) -> dict[str, dict[str, str]]:
    """`--value "to_stage:Closed Won=customer"` options into `{column: {from: to}}`.

    Matching of FROM ignores case and surrounding spaces.
    """
    result: dict[str, dict[str, str]] = {}
    for value in values:
        column, sep, rest = value.partition(":")
        source, sep2, target = rest.partition("=")
        if not sep or not sep2 or not column.strip() or not source.strip():
            raise UsageError(
                f"--value {value!r} is not COLUMN:FROM=TO",
                hint='e.g. --value "to_stage:Closed Won=customer"',
            )
        result.setdefault(normalise_header(column), {})[source.strip().lower()] = target.strip()
    return result


@dataclass(frozen=True)
class ColumnSpec:
    """The columns of one importer: names, required ones, aliases."""

    columns: tuple[str, ...]
    required: tuple[tuple[str, ...], ...]
    """Each entry is satisfied by any one of its columns (`lead_email` or `external_id`)."""
    aliases: Mapping[str, str] = field(default_factory=dict)


@dataclass
class HeaderPlan:
    """How the file's columns map onto an importer's columns."""

    positions: dict[str, int]
    unknown: list[str]
    preset: str | None
    extra: dict[int, str] = field(default_factory=dict)
    """Position → header of every column no importer column took (custom fields)."""
    renamed: dict[int, str] = field(default_factory=dict)
    """Position → the name `--map` gives a column that is not an importer column
    (only with `custom=True`: it names a custom field)."""


def plan_header(
    header: Sequence[str],
    spec: ColumnSpec,
    *,
    maps: Mapping[str, ColumnMap],
    preset: str | None,
    custom: bool = False,
) -> HeaderPlan:
    """Match each header cell to a column; raise when a required column is missing.

    Order of precedence: `--map`, the preset's headers, the canonical name, an alias.
    Two file columns for one field are refused (which one holds the truth?) unless
    `--map` names one of them, or both are the preset's alternative headers for it (the
    first listed wins). A `--map` whose SOURCE is no column of the file is refused.
    """
    chosen = preset or detect_preset(header)
    if chosen is not None and chosen not in PRESETS:
        raise UsageError(
            f"preset {preset!r} is unknown", hint="use one of " + ", ".join(sorted(PRESETS))
        )
    preset_map = (
        {normalise_header(k): v for k, v in PRESETS[chosen].items()} if chosen is not None else {}
    )
    canonical = {normalise_header(column): column for column in spec.columns}
    aliases = {normalise_header(k): v for k, v in spec.aliases.items()}
    keys = [normalise_header(cell) for cell in header]
    for key, mapped in maps.items():
        if key not in keys:
            raise UsageError(
                f"{mapped}: the file has no column {mapped.source!r}",
                hint="its columns: " + ", ".join(cell.strip() for cell in header if cell.strip()),
            )
    positions: dict[str, int] = {}
    by_map: set[str] = set()
    by_preset: set[str] = set()
    unknown: list[str] = []
    extra: dict[int, str] = {}
    renamed: dict[int, str] = {}
    for index, (cell, key) in enumerate(zip(header, keys, strict=True)):
        given = maps.get(key)
        if given is not None and given.ignores:
            continue
        if given is not None:
            target = canonical.get(normalise_header(given.column))
            if target is None and custom:
                renamed[index] = given.column
                extra[index] = cell.strip()
                continue
            if target is None:
                raise UsageError(
                    f"{given}: {given.column!r} is not a column of this import",
                    hint="columns: " + ", ".join(spec.columns),
                )
        elif key in preset_map and preset_map[key] in spec.columns:
            target = preset_map[key]
        else:
            target = canonical.get(key) or aliases.get(key)
        if target is None:
            if cell.strip():
                unknown.append(cell.strip())
                extra[index] = cell.strip()
            continue
        if target in positions:
            if target in by_map or (target in by_preset and key in preset_map):
                unknown.append(cell.strip())
                continue
            if given is None:
                first = header[positions[target]].strip()
                raise InputError(
                    f"columns {first!r} (column {positions[target] + 1}) and {cell.strip()!r} "
                    f"(column {index + 1}) both give {target}; nothing was imported",
                    hint=f"say which with --map '{first}={target}' or --map "
                    f"'{cell.strip()}={target}'"
                    if normalise_header(first) != key
                    else "remove or rename one of them",
                )
            unknown.append(header[positions[target]].strip())
        positions[target] = index
        if given is not None:
            by_map.add(target)
        elif key in preset_map:
            by_preset.add(target)
    missing = [group for group in spec.required if not any(c in positions for c in group)]
    if missing:
        names = " or ".join(missing[0])
        raise InputError(
            f"the file has no {names} column (required); nothing was imported",
            hint="rename it with --map 'YOUR HEADER=" + missing[0][0] + "'",
        )
    return HeaderPlan(positions, unknown, chosen, extra, renamed)
