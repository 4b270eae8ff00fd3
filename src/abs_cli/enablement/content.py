"""Content: the playbook's pieces per step, the stale ones, and checking a piece named on use."""

from __future__ import annotations

from datetime import date
from typing import Any

from abs_cli.domain import STEP_OF
from abs_cli.enablement.playbook import ContentPiece, Playbook
from abs_cli.errors import InputError


def known_content(playbook: Playbook, content_id: str) -> ContentPiece:
    """The playbook's piece of that id, or InputError naming the value."""
    piece = playbook.content().get(content_id.strip().lower())
    if piece is None:
        raise InputError(
            f"content {content_id!r} is not in the playbook",
            hint="`abs content list` shows the pieces and their ids",
        )
    return piece


def is_stale(piece: ContentPiece, today: date) -> bool:
    """Past its review date (a piece without one never goes stale)."""
    return piece.review is not None and piece.review < today


def content_rows(playbook: Playbook, today: date, stage: str | None = None) -> list[dict[str, Any]]:
    """Every piece in step order (or only one step's), with whether it is stale."""
    return [
        _row(piece, today)
        for piece in playbook.content().values()
        if stage is None or piece.stage == stage
    ]


def stale_rows(playbook: Playbook, today: date) -> list[dict[str, Any]]:
    """Pieces past their review date, by owner, the longest overdue first."""
    stale = [piece for piece in playbook.content().values() if is_stale(piece, today)]
    stale.sort(key=lambda piece: (piece.owner or "", piece.review or today, piece.id))
    return [_row(piece, today) for piece in stale]


def _row(piece: ContentPiece, today: date) -> dict[str, Any]:
    overdue = (today - piece.review).days if piece.review is not None else None
    return {
        "id": piece.id,
        "step": STEP_OF[piece.stage],
        "stage": piece.stage,
        "title": piece.title,
        "link": piece.link,
        "owner": piece.owner,
        "review": piece.review,
        "stale": is_stale(piece, today),
        "days_overdue": overdue if overdue is not None and overdue > 0 else None,
    }
