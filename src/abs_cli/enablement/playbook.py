"""The playbook: per step its goal, checklist, questions, talk tracks, objections and content.

A TOML file (`default.toml` beside this module is the commented template `abs playbook
init` writes). Parsing validates the whole file and refuses the first mistake with its
line: tomllib gives values but not where they stand, so `_LineIndex` maps each table
and key of the text to its line.

Which playbook is in force: `--playbook FILE`, then `ABS_PLAYBOOK`, then the one stored
with `abs playbook check FILE --store`, else the built-in template.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from abs_cli.domain import ROLES, STAGES
from abs_cli.errors import InputError, UsageError

if TYPE_CHECKING:
    from abs_cli.pipeline.config import WorkflowConfig

ENV_PLAYBOOK = "ABS_PLAYBOOK"
SETTING_PLAYBOOK = "enablement.playbook"
"""The setting row holding the stored playbook's TOML text."""
RAMP_DAYS: tuple[int, ...] = (30, 60, 90)
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
STEP_KEYS = ("goal", "questions", "talk_tracks", "checklist", "objections", "content")


@dataclass(frozen=True)
class ChecklistItem:
    """An exit criterion of a step, ticked per lead with `abs leads check`."""

    id: str
    label: str
    stage: str


@dataclass(frozen=True)
class Objection:
    objection: str
    answer: str


@dataclass(frozen=True)
class ContentPiece:
    """A piece of content a rep uses at a step; stale once past its review date."""

    id: str
    title: str
    link: str
    owner: str | None
    review: date | None
    stage: str


@dataclass(frozen=True)
class Step:
    stage: str
    goal: str | None = None
    questions: tuple[str, ...] = ()
    talk_tracks: tuple[str, ...] = ()
    checklist: tuple[ChecklistItem, ...] = ()
    objections: tuple[Objection, ...] = ()
    content: tuple[ContentPiece, ...] = ()


@dataclass(frozen=True)
class Playbook:
    """A validated playbook; steps it leaves out have nothing (no checklist, no content)."""

    version: str | None
    steps: Mapping[str, Step]
    ramp: Mapping[str, Mapping[int, int]] = field(default_factory=dict)
    """Per role, the activities expected by day 30, 60 and 90 of a rep's ramp."""

    def step(self, stage: str) -> Step:
        return self.steps.get(stage, Step(stage))

    def items(self) -> dict[str, ChecklistItem]:
        """Every checklist item by id, in step order."""
        return {item.id: item for step in self._ordered() for item in step.checklist}

    def content(self) -> dict[str, ContentPiece]:
        """Every content piece by id, in step order."""
        return {piece.id: piece for step in self._ordered() for piece in step.content}

    def checklist_of(self, stage: str) -> tuple[ChecklistItem, ...]:
        return self.step(stage).checklist

    def _ordered(self) -> list[Step]:
        return [self.steps[stage] for stage in STAGES if stage in self.steps]


@dataclass(frozen=True)
class LoadedPlaybook:
    """A playbook with its text and where it came from."""

    playbook: Playbook
    text: str
    origin: str


def default_text() -> str:
    """The commented template playbook."""
    return resources.files("abs_cli.enablement").joinpath("default.toml").read_text("utf-8")


class _LineIndex:
    """The line of each table and key of a TOML text, by its path (`steps.demo.checklist.0.id`).

    Reads the simple TOML a playbook is written in: `[table]`, `[[array.of.tables]]` and
    `key = value` lines, values spanning lines inside brackets or triple quotes.
    """

    HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")

    def __init__(self, text: str) -> None:
        self.lines: dict[tuple[str, ...], int] = {}
        counters: dict[tuple[str, ...], int] = {}
        current: tuple[str, ...] = ()
        depth = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if depth > 0:
                depth += _bracket_balance(line)
                continue
            header = self.HEADER.match(line)
            if header:
                path = tuple(_split_key(header.group(2)))
                if header.group(1) == "[[":
                    counters[path] = counters.get(path, -1) + 1
                    path = (*path, str(counters[path]))
                current = path
                self.lines.setdefault(current, number)
                continue
            key = self.KEY.match(line)
            if key:
                self.lines.setdefault((*current, *_split_key(key.group(1))), number)
                depth = max(0, _bracket_balance(line[key.end() :]))

    def line_of(self, path: Sequence[str | int]) -> int | None:
        parts = tuple(str(part) for part in path)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return None


def _dotted(path: Sequence[str | int]) -> str:
    """`steps.demo.checklist[2].id` for a path; list positions count from 1."""
    return "".join(f"[{p + 1}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _split_key(key: str) -> list[str]:
    return [part.strip().strip("\"'") for part in key.split(".")]


def _bracket_balance(text: str) -> int:
    """Opened minus closed brackets outside strings and comments."""
    balance, quote = 0, ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char in "[{":
            balance += 1
        elif char in "]}":
            balance -= 1
    return balance


class _Parser:
    """Validators that refuse a mistake naming its line and path."""

    def __init__(self, text: str, origin: str) -> None:
        self.origin = origin
        self.index = _LineIndex(text)

    def fail(self, path: Sequence[str | int], message: str) -> InputError:
        line = self.index.line_of(path)
        where = f", line {line}" if line is not None else ""
        return InputError(
            f"playbook {self.origin}{where}: {_dotted(path)} {message}",
            hint="`abs playbook init` writes a commented example",
        )

    def table(self, value: Any, path: Sequence[str | int]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, "must be a table")
        return value

    def only(self, data: Mapping[str, Any], path: Sequence[str | int], keys: Sequence[str]) -> None:
        for key in data:
            if key not in keys:
                raise self.fail([*path, key], f"is not a known key (use {', '.join(keys)})")

    def text(self, value: Any, path: Sequence[str | int], *, required: bool = True) -> str | None:
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"must be a non-empty string (got {value!r})")
        return value.strip()

    def texts(self, value: Any, path: Sequence[str | int]) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(path, f"must be a list of strings (got {value!r})")
        return tuple(self.text(item, [*path, index]) or "" for index, item in enumerate(value))

    def tables(self, value: Any, path: Sequence[str | int]) -> list[Mapping[str, Any]]:
        if not isinstance(value, list):
            raise self.fail(path, f"must be an array of tables ([[{'.'.join(map(str, path))}]])")
        return [self.table(item, [*path, index]) for index, item in enumerate(value)]

    def identifier(self, value: Any, path: Sequence[str | int], seen: dict[str, str]) -> str:
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            raise self.fail(
                path, f"{value!r} is not an id (lowercase letters, digits, _ or -, at most 64)"
            )
        if value in seen:
            raise self.fail(path, f"{value!r} is already the id of {seen[value]}")
        line = self.index.line_of(path)
        seen[value] = _dotted(path[:-1]) + (f" (line {line})" if line is not None else "")
        return value

    def review(self, value: Any, path: Sequence[str | int]) -> date | None:
        if value is None:
            return None
        if isinstance(value, date) and not hasattr(value, "hour"):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.fail(path, f"must be a date, YYYY-MM-DD (got {value!r})")

    def count(self, value: Any, path: Sequence[str | int]) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(path, f"must be a whole number ≥ 0 (got {value!r})")
        return value


def parse_playbook(text: str, origin: str) -> Playbook:
    """Parse and validate a playbook; the first mistake is an InputError naming its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(
            f"playbook {origin}: not valid TOML ({error})",
            hint="`abs playbook init` writes a commented example",
        ) from None
    parser = _Parser(text, origin)
    parser.only(data, [], ("version", "ramp", "steps"))
    version = data.get("version")
    if version is not None and not isinstance(version, (str, int, float)):
        raise parser.fail(["version"], f"must be a string (got {version!r})")
    item_ids: dict[str, str] = {}
    content_ids: dict[str, str] = {}
    steps: dict[str, Step] = {}
    for stage, spec in parser.table(data.get("steps", {}), ["steps"]).items():
        if stage not in STAGES:
            raise parser.fail(["steps", stage], f"is not a step (use {', '.join(STAGES)})")
        steps[stage] = _step(
            parser, stage, parser.table(spec, ["steps", stage]), item_ids, content_ids
        )
    ramp: dict[str, dict[int, int]] = {}
    for role, spec in parser.table(data.get("ramp", {}), ["ramp"]).items():
        if role not in ROLES:
            raise parser.fail(["ramp", role], f"is not a role (use {', '.join(ROLES)})")
        table = parser.table(spec, ["ramp", role])
        keys = [f"activities_{days}" for days in RAMP_DAYS]
        parser.only(table, ["ramp", role], keys)
        ramp[role] = {
            days: parser.count(table[key], ["ramp", role, key])
            for days, key in zip(RAMP_DAYS, keys, strict=True)
            if key in table
        }
    return Playbook(None if version is None else str(version), steps, ramp)


def _step(
    parser: _Parser,
    stage: str,
    spec: Mapping[str, Any],
    item_ids: dict[str, str],
    content_ids: dict[str, str],
) -> Step:
    path: list[str | int] = ["steps", stage]
    parser.only(spec, path, STEP_KEYS)
    checklist = []
    for index, item in enumerate(parser.tables(spec.get("checklist", []), [*path, "checklist"])):
        where = [*path, "checklist", index]
        parser.only(item, where, ("id", "label"))
        item_id = parser.identifier(item.get("id"), [*where, "id"], item_ids)
        label = parser.text(item.get("label"), [*where, "label"]) or item_id
        checklist.append(ChecklistItem(item_id, label, stage))
    objections = []
    for index, entry in enumerate(parser.tables(spec.get("objections", []), [*path, "objections"])):
        where = [*path, "objections", index]
        parser.only(entry, where, ("objection", "answer"))
        objections.append(
            Objection(
                parser.text(entry.get("objection"), [*where, "objection"]) or "",
                parser.text(entry.get("answer"), [*where, "answer"]) or "",
            )
        )
    content = []
    for index, entry in enumerate(parser.tables(spec.get("content", []), [*path, "content"])):
        where = [*path, "content", index]
        parser.only(entry, where, ("id", "title", "link", "owner", "review"))
        content.append(
            ContentPiece(
                id=parser.identifier(entry.get("id"), [*where, "id"], content_ids),
                title=parser.text(entry.get("title"), [*where, "title"]) or "",
                link=parser.text(entry.get("link"), [*where, "link"]) or "",
                owner=parser.text(entry.get("owner"), [*where, "owner"], required=False),
                review=parser.review(entry.get("review"), [*where, "review"]),
                stage=stage,
            )
        )
    return Step(
        stage=stage,
        goal=parser.text(spec.get("goal"), [*path, "goal"], required=False),
        questions=parser.texts(spec.get("questions", []), [*path, "questions"]),
        talk_tracks=parser.texts(spec.get("talk_tracks", []), [*path, "talk_tracks"]),
        checklist=tuple(checklist),
        objections=tuple(objections),
        content=tuple(content),
    )


def read_playbook_file(path: Path) -> LoadedPlaybook:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"cannot read playbook {path}: {error.strerror}") from None
    return LoadedPlaybook(parse_playbook(text, str(path)), text, str(path))


def resolve_playbook(reader: Session | Connection, path: Path | None = None) -> LoadedPlaybook:
    """`path` (--playbook), then `ABS_PLAYBOOK`, then the stored playbook, else the template."""
    from abs_cli.store.tables import setting

    if path is not None:
        return read_playbook_file(path)
    env_path = os.environ.get(ENV_PLAYBOOK)
    if env_path:
        return read_playbook_file(Path(env_path))
    stored = reader.execute(
        select(setting.c.value).where(setting.c.key == SETTING_PLAYBOOK)
    ).scalar()
    if stored:
        return LoadedPlaybook(parse_playbook(stored, "stored in the store"), stored, "stored")
    text = default_text()
    return LoadedPlaybook(parse_playbook(text, "built-in template"), text, "built-in template")


def store_playbook(session: Session, loaded: LoadedPlaybook) -> None:
    """Make a playbook the store's own, used when neither --playbook nor ABS_PLAYBOOK is given."""
    from abs_cli.store.settings import set_setting

    set_setting(session, SETTING_PLAYBOOK, loaded.text)


def write_template(path: Path | None, *, force: bool = False) -> str:
    """Write the commented template to `path` (refusing to overwrite without `force`);
    returns the text."""
    text = default_text()
    if path is None:
        return text
    if path.exists() and not force:
        raise UsageError(f"{path} already exists", hint="pass --force to overwrite it")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror}") from None
    return text


def parse_step(value: str) -> str:
    """A step id or number; UsageError (exit 2) for anything else, exit stages included."""
    text = value.strip().lower()
    if text.isdigit() and 1 <= int(text) <= len(STAGES):
        return STAGES[int(text) - 1]
    if text in STAGES:
        return text
    raise UsageError(f"step {value!r} is not one of {', '.join(STAGES)} or 1-7")


def check_gates(playbook: Playbook, config: WorkflowConfig) -> None:
    """Refuse a workflow gate that requires an item the playbook does not define."""
    items = playbook.items()
    for stage, gate in config.gates.items():
        for item in gate.require:
            if item not in items:
                raise InputError(
                    f"gate {stage} of {config.origin} requires checklist item {item!r}, "
                    "which the playbook does not define",
                    hint="add the item to a step's checklist, or drop it from the gate",
                )
