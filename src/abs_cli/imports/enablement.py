"""The enablement importers: checklist ticks and field feedback; and the check that an
activity's content piece is in the playbook.

Items and content ids are checked against the playbook in force (`ABS_PLAYBOOK`, else
the stored one, else the template), read once per import.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo

from abs_cli.domain import STAGES
from abs_cli.enablement.feedback import parse_tag
from abs_cli.enablement.playbook import Playbook, resolve_playbook
from abs_cli.errors import InputError
from abs_cli.imports.engine import BatchResult, Importer, Row, WriteContext
from abs_cli.imports.headers import ColumnSpec
from abs_cli.imports.records import LeadRef, _key, _writer, lead_key, resolve_leads, resolve_rep
from abs_cli.imports.values import Text, UTCDate
from abs_cli.store.models import ChecklistTick, Feedback


def playbook_of(context: WriteContext) -> Playbook:
    """The playbook in force, read once per import."""
    if "playbook" not in context.cache:
        context.cache["playbook"] = resolve_playbook(context.conn).playbook
    return context.cache["playbook"]  # type: ignore[no-any-return]


def known_content(context: WriteContext, rows: list[Row], result: BatchResult) -> list[Row]:
    """Reject rows whose `content_id` is not a piece of the playbook."""
    pieces = playbook_of(context).content()
    kept = []
    for row in rows:
        content_id = row.values.get("content_id")
        if content_id is not None and content_id not in pieces:
            result.rejects.append((row, f"content {content_id!r} is not in the playbook"))
            continue
        kept.append(row)
    return kept


def _known_items(context: WriteContext, rows: list[Row], result: BatchResult) -> list[Row]:
    items = playbook_of(context).items()
    kept = []
    for row in rows:
        if row.values["item"] not in items:
            result.rejects.append((row, f"item {row.values['item']!r} is not in the playbook"))
            continue
        kept.append(row)
    return kept


def _identifier(value: Any, info: ValidationInfo) -> str:
    return str(value).strip().lower()


def _step(value: Any, info: ValidationInfo) -> str:
    text = str(value).strip().lower()
    if text.isdigit() and 1 <= int(text) <= len(STAGES):
        return STAGES[int(text) - 1]
    if text not in STAGES:
        raise ValueError(f"stage {value!r} is not one of {', '.join(STAGES)} or 1-7")
    return text


def _tag(value: Any, info: ValidationInfo) -> str:
    try:
        return parse_tag(str(value))
    except InputError as error:
        raise ValueError(error.message) from None


class ChecklistRow(LeadRef):
    item: Annotated[str, BeforeValidator(_identifier)]
    checked_at: UTCDate
    rep_email: Annotated[str, Text(254)] | None = None


CHECKLIST = Importer(
    name="checklist",
    spec=ColumnSpec(
        columns=tuple(ChecklistRow.model_fields),
        required=(("lead_email", "external_id"), ("item",), ("checked_at",)),
        aliases={
            "email": "lead_email",
            "lead": "lead_email",
            "checklist item": "item",
            "date": "checked_at",
            "checked": "checked_at",
            "rep": "rep_email",
            "by": "rep_email",
        },
    ),
    model=ChecklistRow,
    key=lambda values: (lead_key(values), values["item"]),
    write=_writer(
        ChecklistTick.__table__,  # type: ignore[attr-defined]
        ["lead_id", "item"],
        _known_items,
        resolve_leads,
        resolve_rep,
    ),
)


class FeedbackRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Annotated[str, BeforeValidator(_step)]
    tag: Annotated[str, BeforeValidator(_tag)] = "other"
    body: Annotated[str, Text(4000)]
    rep_email: Annotated[str, Text(254)]
    created_at: UTCDate


FEEDBACK = Importer(
    name="feedback",
    spec=ColumnSpec(
        columns=tuple(FeedbackRow.model_fields),
        required=(("stage",), ("body",), ("rep_email",), ("created_at",)),
        aliases={
            "step": "stage",
            "topic": "tag",
            "feedback": "body",
            "text": "body",
            "comment": "body",
            "rep": "rep_email",
            "email": "rep_email",
            "date": "created_at",
        },
    ),
    model=FeedbackRow,
    key=_key("rep_email", "created_at", "stage", "tag"),
    write=_writer(
        Feedback.__table__,  # type: ignore[attr-defined]
        ["rep_id", "created_at", "stage", "tag"],
        resolve_rep,
    ),
)
