"""Error types carrying their exit code, turned into one message at the CLI boundary."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes users and cron jobs rely on (docs/domain.md §3)."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    INPUT_REJECTED = 3
    STORE = 4
    CHECK_BREACHED = 5
    INTERRUPTED = 130
    CLOSED_PIPE = 141
    """The reader of stdout went away (`abs … | head`): ended quietly with the status git
    and coreutils get from SIGPIPE (128 + 13), so `set -o pipefail` scripts see the same."""


class AbsError(Exception):
    """Base of every error `abs` reports to the user as one sentence."""

    exit_code: ExitCode = ExitCode.UNEXPECTED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(AbsError):
    """The command line asks for something that cannot be done as asked."""

    exit_code = ExitCode.USAGE


class InputError(AbsError):
    """An input file, row, value or configuration was rejected."""

    exit_code = ExitCode.INPUT_REJECTED


class NotFoundError(InputError):
    """A rep, lead or account named on the command line does not exist."""


class StoreError(AbsError):
    """The store cannot be opened, migrated, locked or written."""

    exit_code = ExitCode.STORE


class CheckBreached(AbsError):
    """A `kpi check` threshold was breached."""

    exit_code = ExitCode.CHECK_BREACHED
