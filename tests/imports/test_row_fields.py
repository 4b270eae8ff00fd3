"""A row model's plain text field, read by both writers: the row model (generic path)
and the length check the bulk writer runs inline from the validator's `limit`."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from abs_cli.imports.fastpath import field_parsers
from abs_cli.imports.lead_fields import LeadRow

TITLE_LIMIT = 200


def _model_reading(cell: str) -> str:
    """The row model's value for a `title` cell, or its error message."""
    try:
        return str(LeadRow.model_validate({"title": cell}).title)
    except ValidationError as error:
        return str(error.errors()[0]["ctx"]["error"])


def _bulk_reading(cell: str, limit: int) -> str:
    """What the bulk writer makes of the same (stripped) cell with the field's limit."""
    if len(cell) > limit:
        return f"title is longer than {limit} characters ({len(cell)})"
    return cell


def test_a_text_field_gives_the_bulk_writer_its_limit() -> None:
    _parse, limit = field_parsers(LeadRow, {})["title"]
    assert limit == TITLE_LIMIT


@given(st.text(min_size=1, max_size=TITLE_LIMIT + 40).filter(str.strip))
def test_both_writers_read_a_text_cell_alike(raw: str) -> None:
    cell = raw.strip()
    _parse, limit = field_parsers(LeadRow, {})["title"]
    assert limit is not None
    assert _model_reading(cell) == _bulk_reading(cell, limit)
