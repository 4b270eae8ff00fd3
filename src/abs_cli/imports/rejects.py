"""The rejects file of an import: every refused row, in line order, with its reason.

Rows are refused in two runs, each in line order: while the file is read and staged
(bad cells), then while the winning rows are written (what only the store can tell, e.g.
an `external_id` that belongs to another lead, an activity whose lead is unknown). The
first run goes straight to the file, a later one to a temporary file; `close` merges them
by line, streaming.

A row refused while written need not carry its cells: staging every row's cells for the
few refused ones cost 6 % of an activities file's staging (1,000,000 rows, pickled: 11.1
against 10.4 s, 3 interleaved runs each). The writers leave them out
(`None`) when the source can be read again, a file on disk, and `close` copies them from
a second reading of the file, which only an import with such rejects pays for; from
stdin, the writers stage them (`WriteContext.rereads_cells`).
"""

from __future__ import annotations

import csv
import heapq
import os
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from abs_cli.errors import InputError, UsageError
from abs_cli.imports.reader import open_csv, read_failure

CHANGED = "; its cells are not copied: the file changed during the import"


def default_rejects_path(source: str) -> Path:
    """`leads.csv` → `leads.rejects.csv` beside it; stdin → `./stdin.rejects.csv`.

    A file read from a folder the user cannot write to (a read-only export share, a
    system directory) gets its rejects file in the current directory instead.
    """
    if source == "-":
        return Path("stdin.rejects.csv")
    path = Path(source)
    name = path.name
    for suffix in (".csv.gz", ".tsv.gz", ".gz", ".csv", ".tsv", ".txt"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    beside = path.with_name(name + ".rejects.csv")
    return beside if os.access(beside.parent, os.W_OK) else Path(beside.name)


def check_rejects_path(path: Path) -> None:
    """Refuse, before anything is written, a rejects file that could not be created."""
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(
            f"--rejects {str(path)!r}: the folder {str(folder)!r} does not exist; nothing was "
            "imported",
            hint="create it, or give another path",
        )
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(
            f"the rejects file {str(path)!r} cannot be written; nothing was imported",
            hint="give a writable path with --rejects",
        )


class SourceAgain:
    """An import's source file, to read a second time if it has not changed since."""

    def __init__(self, path: str, encoding: str, delimiter: str) -> None:
        self.path = Path(path)
        self.encoding = encoding
        self.delimiter = delimiter
        self.seen = self._stamp()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            status = self.path.stat()
        except OSError:
            return None
        return status.st_size, status.st_mtime_ns

    def rows(self) -> Generator[tuple[int, list[str]], None, None]:
        """Its rows as the first reading gave them; none if it changed in between."""
        if self.seen is None or self._stamp() != self.seen:
            return
        source = open_csv(str(self.path), encoding=self.encoding, delimiter=self.delimiter)
        try:
            yield from source.rows
        finally:
            source.close()


_Refused = tuple[int, str, bool, list[str]]
"""A row of a run: its line, the reason, whether its cells are still to be copied, and
its cells."""


class RejectsFile:
    """The rejects CSV in line order, opened on the first rejected row only."""

    SHOWN = 5

    def __init__(self, path: Path | None, header: list[str], source: SourceAgain | None) -> None:
        self.path = path
        self.header = header
        self.source = source
        """Where the cells of rows refused without them are copied from; None: stdin."""
        self.handle: IO[str] | None = None
        self.writer: Any = None
        self.first_run = True
        self.later: list[IO[str]] = []
        self.count = 0
        self.shown: list[tuple[int, str]] = []
        self.listeners: list[Callable[[int], None]] = []
        """Called with the line of every rejected row."""

    @property
    def rereads_cells(self) -> bool:
        """Whether a row refused in a later run may come without its cells: they are
        copied from the source, or not written at all (no rejects file)."""
        return self.path is None or self.source is not None

    @property
    def first(self) -> list[str]:
        """The reasons of the first rejected lines, for the summary on stderr."""
        return [reason for _line, reason in self.shown]

    def add(self, line: int, cells: list[str] | None, reason: str) -> None:
        """Refuse a row; `cells` None (a later run's row only): copy them from the source."""
        self.count += 1
        for listener in self.listeners:
            listener(line)
        if len(self.shown) < self.SHOWN or line < self.shown[-1][0]:
            self.shown = sorted([*self.shown, (line, f"line {line}: {reason}")])[: self.SHOWN]
        if self.path is None:
            return
        if self.handle is None:
            try:
                self.handle = self.path.open("w", newline="", encoding="utf-8")
            except OSError as error:
                raise InputError(
                    f"line {line} is rejected ({reason}) but the rejects file {self.path} "
                    f"cannot be written: {read_failure(error)}; batches already committed "
                    "are kept",
                    hint="choose where rejected rows go with --rejects PATH",
                ) from None
            csv.writer(self.handle).writerow(["line", "reason", *self.header])
        if self.writer is None:
            if self.first_run:
                self.writer = csv.writer(self.handle)
            else:
                run = tempfile.TemporaryFile("w+", newline="", encoding="utf-8")  # noqa: SIM115  (closed in `close`)
                self.later.append(run)
                self.writer = csv.writer(run)
        if self.first_run:
            self.writer.writerow([line, reason, *(cells or ())])
        else:  # a later run's row says whether its cells are still to be copied
            self.writer.writerow([line, reason, "" if cells is not None else "?", *(cells or ())])

    def next_run(self) -> None:
        """Rows refused from now on start a new run, in line order of its own."""
        self.first_run = False
        self.writer = None

    def close(self) -> None:
        if self.handle is None:
            return
        self.handle.close()
        if not self.later or self.path is None:
            return
        merged = self.path.with_name(self.path.name + ".partial")
        with (
            self.path.open(newline="", encoding="utf-8") as first,
            merged.open("w", newline="", encoding="utf-8") as target,
        ):
            reader = csv.reader(first)
            writer = csv.writer(target)
            writer.writerow(next(reader))
            runs: list[Iterable[_Refused]] = [
                ((int(row[0]), row[1], False, row[2:]) for row in reader)
            ]
            for run in self.later:
                run.seek(0)
                runs.append(
                    (int(row[0]), row[1], row[2] == "?", row[3:]) for row in csv.reader(run)
                )
            writer.writerows(self._with_cells(heapq.merge(*runs, key=lambda row: row[0])))
        for run in self.later:
            run.close()
        os.replace(merged, self.path)

    def _with_cells(self, refused: Iterable[_Refused]) -> Iterator[list[Any]]:
        """The rows of the rejects file, the cells still to copy read from the source
        once more, up to the last of them."""
        source = self.source.rows() if self.source is not None else None
        try:
            for line, reason, to_copy, cells in refused:
                if not to_copy:
                    yield [line, reason, *cells]
                    continue
                copied = None
                if source is not None:
                    copied = next((read for at, read in source if at == line), None)
                yield [line, reason + CHANGED] if copied is None else [line, reason, *copied]
        finally:
            if source is not None:
                source.close()
