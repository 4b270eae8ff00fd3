"""`abs leads edit LEAD field=value …`: fix a lead by hand, as one recorded import row.

The assignments are validated by the leads importer's row model and written by its
set-based writer as a one-row file, so an edit accepts exactly what a leads file accepts
(the same parsers, the same owner look-up, a stage change recorded in the history) and
is journaled as a change set that `abs imports revert` undoes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from abs_cli.crm.lookup import find_lead_id
from abs_cli.errors import InputError, UsageError
from abs_cli.imports.engine import BatchRows, WriteContext
from abs_cli.imports.lead_fields import LeadRow
from abs_cli.imports.leads import LEADS
from abs_cli.imports.log import Counts, recorded_change
from abs_cli.store import tables
from abs_cli.store.engine import Store
from abs_cli.values import now

EDITABLE: tuple[str, ...] = tuple(LeadRow.model_fields)


@dataclass(frozen=True)
class EditResult:
    change_id: int
    lead_id: int
    changed: bool


def parse_assignments(assignments: Sequence[str]) -> dict[str, str]:
    """`field=value` pairs, by field; a field named twice keeps the last value.

    Raises:
        UsageError: a pair without `=`, an unknown field, or an empty value.
    """
    parsed: dict[str, str] = {}
    for assignment in assignments:
        name, equals, value = assignment.partition("=")
        field_name = name.strip().lower().replace(" ", "_").replace("-", "_")
        if not equals:
            raise UsageError(f"{assignment!r} is not field=value (e.g. title=CEO)")
        if field_name not in EDITABLE:
            raise UsageError(
                f"{name.strip()!r} is not a lead field",
                hint="one of " + ", ".join(EDITABLE),
            )
        if not value.strip():
            raise UsageError(
                f"{field_name}= has no value; an edit, like an import, never blanks a field"
            )
        parsed[field_name] = value.strip()
    if not parsed:
        raise UsageError("nothing to edit: give at least one field=value")
    return parsed


def edit_lead(
    store: Store, lead: str, assignments: Sequence[str], actor: str | None = None
) -> EditResult:
    """Apply `assignments` to the lead named `lead` (e-mail or external id).

    Raises:
        UsageError: malformed assignments (see `parse_assignments`).
        NotFoundError: no such lead.
        InputError: a value the leads importer rejects, named with its field.
    """
    values = parse_assignments(assignments)
    with recorded_change(store, "edit", lead.strip(), " ".join(assignments), actor) as change:
        connection = change.connection
        lead_id = find_lead_id(Session(bind=connection), lead)
        lead_table = tables.lead
        email, external_id = connection.execute(
            select(lead_table.c.email, lead_table.c.external_id).where(lead_table.c.id == lead_id)
        ).one()
        cells = {**_key(email, external_id, values), **values}
        _validated(lead.strip(), cells)
        result = _write_row(connection, cells, lead.strip())
        change.counts = Counts(
            read=1, updated=result.updated, unchanged=result.unchanged, inserted=result.inserted
        )
        return EditResult(change.id, lead_id, changed=bool(result.updated))


def _key(email: str | None, external_id: str | None, values: dict[str, str]) -> dict[str, str]:
    """The key the writer finds the lead by: its e-mail, or its external id when the
    edit changes the e-mail (or the lead has none)."""
    if "email" in values or email is None:
        if external_id is None:
            raise UsageError(
                "this lead has no external_id to find it by while its e-mail changes",
                hint="set its external_id first: abs leads edit LEAD external_id=…",
            )
        return {"external_id": external_id}
    return {"email": email}


def _validated(lead: str, values: dict[str, Any]) -> dict[str, Any]:
    try:
        return LeadRow.model_validate(values).model_dump(exclude_unset=True)
    except ValidationError as error:
        first = error.errors()[0]
        name = ".".join(str(part) for part in first.get("loc", ()))
        message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        if name and name not in message:
            message = f"{name} {first.get('input')!r}: {message}"
        raise InputError(f"lead {lead!r}: {message}; nothing was changed") from None


def _write_row(connection: Any, cells: dict[str, str], lead: str) -> BatchRows:
    """Write one leads-file row (cells by column) through the importer's writer."""
    names = list(cells)
    assert LEADS.bulk is not None  # the leads importer always has its set-based writer
    options = {"dayfirst": False, "monthfirst": False, "decimal_comma": False}
    writer = LEADS.bulk(
        WriteContext(connection, now()), {name: i for i, name in enumerate(names)}, {}, options
    )
    try:
        row = [cells[name] for name in names]
        try:
            writer.stage([(1, row, writer.convert(row))])
        except ValueError as error:
            raise InputError(f"lead {lead!r}: {error}; nothing was changed") from None
        writer.drop_earlier_duplicates()
        result = writer.write_next(1) or BatchRows()
        if result.rejects:
            raise InputError(f"lead {lead!r}: {result.rejects[0][2]}; nothing was changed")
        writer.finish()
        return result
    finally:
        writer.close()
