"""Custom fields of leads as users meet them: shown, exported, and filtered with
`abs leads list --where 'time_on_site>600'` (docs/domain.md §4.7).

A `--where` condition is parsed, never pasted into SQL: the name must be a custom field
or one of a few lead columns, the operator one of six, and the value is parsed by the
field's type and bound as a parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from abs_cli.errors import UsageError
from abs_cli.imports.values import parse_datetime
from abs_cli.store import tables
from abs_cli.values import parse_bool

CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|!=|=|<|>)\s*(.*?)\s*$")
LEAD_COLUMNS: dict[str, str] = {
    "employees": "number",
    "created_at": "date",
    "country": "text",
    "source": "text",
    "stage": "text",
    "industry": "text",
    "title": "text",
    "company": "text",
    "campaign": "text",
}
"""Lead columns `--where` also takes, with the type their values are read as."""
ORDERED = ("number", "date")


@dataclass(frozen=True)
class FieldInfo:
    id: int
    name: str
    type: str


def custom_fields(connection: Connection | Session, entity: str = "lead") -> dict[str, FieldInfo]:
    """The store's custom fields of leads (or accounts) by name, in creation order."""
    custom = tables.custom_field.c
    rows = connection.execute(
        select(custom.id, custom.name, custom.type)
        .where(custom.entity == entity)
        .order_by(custom.id)
    ).all()
    return {name: FieldInfo(int(field_id), name, kind) for field_id, name, kind in rows}


def typed(kind: str, text_value: str, number: float | None) -> Any:
    """A stored value as the renderer should see it: numbers and booleans typed."""
    if kind == "number" and number is not None:
        return int(number) if number.is_integer() else number
    if kind == "boolean" and number is not None:
        return bool(number)
    return text_value


def lead_custom_values(session: Session, lead_id: int) -> dict[str, Any]:
    """A lead's custom field values, by field name, in the fields' order."""
    value, custom = tables.lead_field_value, tables.custom_field
    rows = session.execute(
        select(custom.c.name, custom.c.type, value.c.text_value, value.c.number_value)
        .join(custom, custom.c.id == value.c.field_id)
        .where(value.c.lead_id == lead_id)
        .order_by(custom.c.id)
    )
    return {name: typed(kind, text_value, number) for name, kind, text_value, number in rows}


def account_custom_values(session: Session, account_id: int) -> dict[str, Any]:
    """An account's custom field values, by field name, in the fields' order."""
    value, custom = tables.account_field_value, tables.custom_field
    rows = session.execute(
        select(custom.c.name, custom.c.type, value.c.text_value, value.c.number_value)
        .join(custom, custom.c.id == value.c.field_id)
        .where(value.c.account_id == account_id)
        .order_by(custom.c.id)
    )
    return {name: typed(kind, text_value, number) for name, kind, text_value, number in rows}


def custom_value_columns(fields: dict[str, FieldInfo]) -> list[Any]:
    """One correlated scalar subquery per field: a lead's value (for `leads export`)."""
    value, lead = tables.lead_field_value, tables.lead
    return [
        select(value.c.text_value)
        .where(value.c.lead_id == lead.c.id, value.c.field_id == info.id)
        .scalar_subquery()
        .label(name)
        for name, info in fields.items()
    ]


def where_condition(session: Session, condition: str) -> ColumnElement[bool]:
    """The SQL condition of one `--where NAME OP VALUE`.

    Raises:
        UsageError: malformed, an unknown name, an operator the type has no use for, or
            a value that is not of the field's type.
    """
    match = CONDITION.match(condition)
    if match is None or not match.group(3):
        raise UsageError(
            f"--where {condition!r} is not NAME OP VALUE",
            hint="e.g. --where 'time_on_site>600'; operators: = != < <= > >=",
        )
    name, operator, raw = match.group(1).lower(), match.group(2), match.group(3).strip("'\"")
    fields = custom_fields(session)
    if name in fields:
        info = fields[name]
        kind = info.type
    elif name in LEAD_COLUMNS:
        kind = LEAD_COLUMNS[name]
    else:
        known = ", ".join([*fields, *LEAD_COLUMNS])
        raise UsageError(f"--where {condition!r}: no field {name!r}", hint=f"fields: {known}")
    if operator not in ("=", "!=") and kind not in ORDERED:
        raise UsageError(
            f"--where {condition!r}: {name} is a {kind} field; use = or !=",
        )
    value = _value(condition, name, kind, raw)
    if name in LEAD_COLUMNS:
        column: Any = tables.lead.c[name]
        if kind == "text":
            column, value = func.lower(column), str(value).lower()
        return _compare(column, operator, value)
    stored = tables.lead_field_value
    column = stored.c.number_value if kind in ("number", "boolean") else stored.c.text_value
    if kind in ("category", "text"):
        column, value = func.lower(column), str(value).lower()
    return exists().where(
        stored.c.lead_id == tables.lead.c.id,
        stored.c.field_id == info.id,
        _compare(column, operator, value),
    )


def _value(condition: str, name: str, kind: str, raw: str) -> Any:
    try:
        if kind == "number":
            return float(raw)
        if kind == "boolean":
            return float(parse_bool(raw))
        if kind == "date":
            moment = parse_datetime(raw)
            if name in LEAD_COLUMNS:
                return moment
            return moment.isoformat().replace("+00:00", "Z")
    except ValueError:
        raise UsageError(f"--where {condition!r}: {raw!r} is not a {kind}") from None
    return raw


def _compare(column: ColumnElement[Any], operator: str, value: Any) -> ColumnElement[bool]:
    comparisons = {
        "=": column == value,
        "!=": column != value,
        "<": column < value,
        "<=": column <= value,
        ">": column > value,
        ">=": column >= value,
    }
    return cast("ColumnElement[bool]", comparisons[operator])
