"""Storing a batch of scores in `lead_score`, set-based.

SQLite gets the whole batch as one JSON array of integers, one per lead, that carry the
lead's id (as an offset from the batch's first) and every stored column in bit fields:
`json_each` and a few shifts unpack it inside one `INSERT OR REPLACE`, about half the
cost of binding seven values per row through `executemany` (a JSON array of numbers
also encodes several times faster than an object keyed by id). PostgreSQL (and SQLite,
for values too wide to pack) fill a temporary staging table with `executemany`, then
replace the batch's rows in two statements.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import numpy as np
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from abs_cli.domain import GRADES, READINESS
from abs_cli.scoring.rules import BatchScores
from abs_cli.store import tables
from abs_cli.store.sql import is_sqlite, placeholder
from abs_cli.values import utc

score_t = tables.lead_score

STAGED_COLUMNS = ("lead_id", "score", "fit", "engagement", "grade", "level", "readiness")
STAGE_TABLE = "lead_score_stage"

PACKED_BITS = (("offset", 18), ("score", 7), ("fit", 16), ("engagement", 16), ("grade", 2),
               ("level", 2), ("readiness", 2))  # fmt: skip
"""Each bit field of a packed integer, most significant first (63 bits)."""


@contextmanager
def staging(session: Session) -> Iterator[None]:
    """A temporary table for one run's batches of scores, dropped afterwards."""
    connection = session.connection()
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE_TABLE} (lead_id BIGINT PRIMARY KEY, "
        "score INTEGER, fit INTEGER, engagement INTEGER, grade VARCHAR(1), level INTEGER, "
        "readiness VARCHAR(8))"
    )
    try:
        yield
    finally:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGE_TABLE}")


def write_scores(session: Session, scores: BatchScores, version: str, scored_at: datetime) -> None:
    """Replace one batch's scores in `lead_score`, inside `staging`."""
    if not len(scores.ids):
        return
    connection = session.connection()
    to_db = score_t.c.scored_at.type.bind_processor(connection.dialect)
    stamp = to_db(utc(scored_at)) if to_db else utc(scored_at)
    base = int(scores.ids.min())
    values = {
        "offset": scores.ids.astype(np.int64) - base,
        "score": scores.score.astype(np.int64),
        "fit": np.floor(scores.fit + 0.5).astype(np.int64),
        "engagement": np.floor(scores.engagement + 0.5).astype(np.int64),
        "grade": _codes(scores.grade, GRADES),
        "level": scores.level.astype(np.int64) - 1,
        "readiness": _codes(scores.readiness, READINESS),
    }
    if is_sqlite(connection):
        packed = _pack(values)
        if packed is not None:
            _write_packed(connection, base, packed, version, stamp)
            return
    _write_staged(connection, scores, values, version, stamp)


def _codes(labels: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Each label's index in `names`."""
    codes = np.zeros(len(labels), dtype=np.int64)
    for code, name in enumerate(names):
        codes[labels == name] = code
    return codes


def _pack(values: dict[str, np.ndarray]) -> np.ndarray | None:
    """The columns as one integer per lead, or None when one does not fit its field."""
    packed = np.zeros(len(values["score"]), dtype=np.int64)
    for name, bits in PACKED_BITS:
        column = values[name]
        if len(column) and (column.min() < 0 or column.max() >= 1 << bits):
            return None
        packed = (packed << bits) | column
    return packed


def _unpack_sql() -> str:
    """SQL expressions turning json_each's `value` back into the stored columns."""
    shift = sum(bits for _, bits in PACKED_BITS)
    fields = {}
    for name, bits in PACKED_BITS:
        shift -= bits
        fields[name] = f"((value >> {shift}) & {(1 << bits) - 1})"
    grade = f"substr('{''.join(GRADES)}', {fields['grade']} + 1, 1)"
    readiness = " ".join(f"WHEN {code} THEN '{name}'" for code, name in enumerate(READINESS))
    return (
        f"? + {fields['offset']}, {fields['score']}, {fields['fit']}, {fields['engagement']}, "
        f"{grade}, {fields['level']} + 1, CASE {fields['readiness']} {readiness} END"
    )


def _write_packed(
    connection: Connection, base: int, packed: np.ndarray, version: str, stamp: object
) -> None:
    connection.exec_driver_sql(
        f"INSERT OR REPLACE INTO {score_t.name} ({', '.join(STAGED_COLUMNS)}, model_version, "
        f"scored_at) SELECT {_unpack_sql()}, ?, ? FROM json_each(?)",
        (base, version, stamp, json.dumps(packed.tolist())),
    )


def _write_staged(
    connection: Connection,
    scores: BatchScores,
    values: dict[str, np.ndarray],
    version: str,
    stamp: object,
) -> None:
    """Fill the staging table; delete the batch's old scores; insert the new ones.

    One statement per batch rather than one per row, and a delete with a plain insert
    costs less than `ON CONFLICT DO UPDATE` on both databases.
    """
    rows = list(
        zip(
            scores.ids.tolist(),
            values["score"].tolist(),
            values["fit"].tolist(),
            values["engagement"].tolist(),
            scores.grade.tolist(),
            scores.level.tolist(),
            scores.readiness.tolist(),
            strict=True,
        )
    )
    mark = placeholder(connection)
    staged = ", ".join(STAGED_COLUMNS)
    connection.exec_driver_sql(f"DELETE FROM {STAGE_TABLE}")
    connection.exec_driver_sql(
        f"INSERT INTO {STAGE_TABLE} ({staged}) VALUES ({', '.join([mark] * len(STAGED_COLUMNS))})",
        rows,
    )
    connection.exec_driver_sql(
        f"DELETE FROM {score_t.name} WHERE lead_id IN (SELECT lead_id FROM {STAGE_TABLE})"
    )
    connection.exec_driver_sql(
        f"INSERT INTO {score_t.name} ({staged}, model_version, scored_at) "
        f"SELECT {staged}, {mark}, {mark} FROM {STAGE_TABLE}",
        (version, stamp),
    )
