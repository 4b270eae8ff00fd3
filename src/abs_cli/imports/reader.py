"""Streaming CSV reading: encoding and delimiter detection, gzip, stdin, line numbers.

A file is read once, as a stream: only a sample of its first bytes is held to guess the
encoding and the delimiter, so memory stays flat whatever the size.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from abs_cli.errors import InputError

SAMPLE_BYTES = 64 * 1024
MAX_FIELD_BYTES = 16 * 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


@dataclass(frozen=True)
class SourceInfo:
    """What was detected about the input, reported to the user."""

    name: str
    encoding: str
    delimiter: str


@dataclass
class CsvSource:
    """An opened CSV: its header and a stream of `(line_number, cells)` rows.

    `line_number` is the physical line where the record starts (1 = the header), so a
    user finds the row in their editor even when quoted cells span several lines.
    """

    info: SourceInfo
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    handle: IO[str]
    disk: IO[bytes] | None = None
    """The file as stored (compressed, for a `.gz`), to tell how much of it was read."""
    size: int | None = None
    """Its size in bytes; None for stdin."""

    def bytes_read(self) -> int:
        """How far into the stored file reading has come (read-ahead included)."""
        if self.disk is None:
            return 0
        try:
            return self.disk.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        self.handle.close()


def _binary_stream(path: str) -> BinaryIO | gzip.GzipFile:
    if path == "-":
        return sys.stdin.buffer
    file = Path(path)
    if not file.exists():
        raise InputError(f"file {path} does not exist")
    if file.is_dir():
        raise InputError(f"{path} is a folder, not a CSV file")
    try:
        raw = file.open("rb")
    except OSError as error:
        raise InputError(
            f"{path} cannot be read: {read_failure(error)}",
            hint="check the file's permissions, or pipe it in: abs … import - < FILE",
        ) from None
    if raw.peek(2)[:2] == b"\x1f\x8b" or path.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw)
    return raw


def read_failure(error: BaseException) -> str:
    """Why a file could not be read, in words (no errno, no library class)."""
    if isinstance(error, EOFError) or "end-of-stream" in str(error):
        return "the compressed file is cut short (truncated .gz)"
    if isinstance(error, gzip.BadGzipFile | zlib.error):
        return f"the compressed data is damaged ({error})"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error)


def _cut_short(name: str, last_line: int, error: BaseException) -> InputError:
    return InputError(
        f"{name} cannot be read after line {last_line}: {read_failure(error)}",
        hint="the rows of batches already committed are kept; re-run the import with the "
        "whole file (re-importing is safe)",
    )


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) when the sample decodes as such, else a guess.

    French exports from Excel are Windows-1252; charset-normalizer tells it from other
    single-byte encodings on the sample. The sample may cut a multi-byte character in
    two, hence the incremental decoder.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=["cp1252", "latin_1", "iso8859_15"]).best()
    return "cp1252" if best is None or best.encoding in ("cp1252", "latin_1") else best.encoding


def detect_delimiter(first_line: str) -> str:
    """The delimiter that splits the header into the most columns (`,` on a tie)."""
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def parse_delimiter(value: str) -> str:
    text = DELIMITER_NAMES.get(value.lower(), value)
    if len(text) != 1:
        raise InputError(
            f"delimiter {value!r} is not one character", hint="use ',', ';', 'tab' or '|'"
        )
    return text


def _looks_binary(sample: bytes, encoding: str) -> bool:
    return not encoding.startswith("utf-16") and b"\x00" in sample


def open_csv(path: str, *, encoding: str | None = None, delimiter: str | None = None) -> CsvSource:
    """Open a CSV file, `.csv.gz`, JSON Lines or `-` (stdin) for streaming.

    Raises:
        InputError: missing, binary or empty file, or an unknown encoding.
    """
    name = "stdin" if path == "-" else path
    raw = _binary_stream(path)
    disk: IO[bytes] | None = None if path == "-" else getattr(raw, "fileobj", raw)  # type: ignore[arg-type]  # a GzipFile's compressed file, else the file itself
    size = None if disk is None else Path(path).stat().st_size
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[type-var]  # stdin's BinaryIO has readinto at runtime
    try:
        sample = buffered.peek(SAMPLE_BYTES)[:SAMPLE_BYTES]
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(f"{name} cannot be read: {read_failure(error)}") from None
    chosen = encoding or detect_encoding(sample)
    try:
        codecs.lookup(chosen)
    except LookupError:
        raise InputError(
            f"encoding {chosen!r} is unknown", hint="e.g. utf-8, cp1252, latin-1"
        ) from None
    if _looks_binary(sample, chosen):
        raise InputError(
            f"{name} is a binary file, not a CSV text file",
            hint="export the data as CSV (comma or semicolon separated)",
        )
    if chosen == "utf-8" and sample.startswith(codecs.BOM_UTF8):
        chosen = "utf-8-sig"
    text = io.TextIOWrapper(buffered, encoding=chosen, errors="strict", newline="")
    try:
        first = text.readline()
    except UnicodeDecodeError as error:
        raise _decode_error(name, chosen, error) from None
    except (OSError, EOFError, zlib.error) as error:
        raise _cut_short(name, 0, error) from None
    if not first.strip():
        raise InputError(f"{name} is empty: expected a header line of column names")
    if first.lstrip().startswith(("{", "[")):
        return _open_json(name, chosen, first, text, disk, size)
    chosen_delimiter = parse_delimiter(delimiter) if delimiter else detect_delimiter(first)
    csv.field_size_limit(MAX_FIELD_BYTES)
    header_cells = next(csv.reader([first], delimiter=chosen_delimiter))
    info = SourceInfo(name=name, encoding=chosen, delimiter=chosen_delimiter)
    rows = _rows(text, chosen_delimiter, name, chosen)
    return CsvSource(info, header_cells, rows, text, disk, size)


def _decode_error(name: str, encoding: str, error: UnicodeDecodeError) -> InputError:
    return InputError(
        f"{name} is not valid {encoding} text ({error.reason} at byte {error.start})",
        hint="pass --encoding cp1252 (or latin-1) for a Windows export",
    )


def _rows(
    text: IO[str], delimiter: str, name: str, encoding: str
) -> Iterator[tuple[int, list[str]]]:
    """Rows after the header with the line each starts on; blank lines are skipped."""
    reader = csv.reader(text, delimiter=delimiter, strict=False)
    previous_end = 1
    try:
        for cells in reader:
            start = previous_end + 1
            previous_end = reader.line_num + 1
            if any(cells) and (len(cells) > 1 or cells[0].strip()):
                yield start, cells
    except UnicodeDecodeError as error:
        raise _decode_error(name, encoding, error) from None
    except csv.Error as error:
        raise InputError(
            f"line {previous_end + 1}: the CSV cannot be parsed ({error})",
            hint="a field larger than 16 MB or an unclosed quote",
        ) from None
    except (OSError, EOFError, zlib.error) as error:
        raise _cut_short(name, previous_end, error) from None


def _cell(value: object) -> str:
    """A JSON value as the CSV cell `abs leads export` would have written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _open_json(
    name: str,
    encoding: str,
    first: str,
    text: IO[str],
    disk: IO[bytes] | None,
    size: int | None,
) -> CsvSource:
    """JSON Lines (streamed) or a JSON array of objects (read whole), as `--format json`
    and `jsonl` exports write them; the first object's keys are the header."""
    import json

    def fail(line: int, error: Exception) -> InputError:
        return InputError(f"line {line}: {name} is not valid JSON ({error})")

    if first.lstrip().startswith("["):
        try:
            records = json.loads(first + text.read())
        except ValueError as error:
            raise fail(1, error) from None
        numbered: Iterator[tuple[int, object]] = enumerate(records, start=2)
    else:

        def lines() -> Iterator[tuple[int, object]]:
            line = 0
            try:
                for line, raw in enumerate(_chain(first, text), start=1):
                    if raw.strip():
                        try:
                            yield line, json.loads(raw)
                        except ValueError as error:
                            raise fail(line, error) from None
            except (OSError, EOFError, zlib.error) as error:
                raise _cut_short(name, line, error) from None

        numbered = lines()
    peeked = next(numbered, None)
    if peeked is None or not isinstance(peeked[1], dict):
        raise InputError(f"{name} holds no JSON objects to import")
    header = list(peeked[1])

    def rows() -> Iterator[tuple[int, list[str]]]:
        for line, record in _chain_one(peeked, numbered):
            if not isinstance(record, dict):
                raise InputError(f"line {line}: expected a JSON object")
            yield line, [_cell(record.get(key)) for key in header]

    info = SourceInfo(name=name, encoding=encoding, delimiter="json")
    return CsvSource(info, header, rows(), text, disk, size)


def _chain(first: str, text: IO[str]) -> Iterator[str]:
    yield first
    yield from text


def _chain_one(
    first: tuple[int, object], rest: Iterator[tuple[int, object]]
) -> Iterator[tuple[int, object]]:
    yield first
    yield from rest
