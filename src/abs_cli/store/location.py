"""Where the store lives, and why: `--db`, then `ABS_DB`, then the user data dir.

Imports no database code, so the CLI can resolve the store before deciding to open it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_DB = "ABS_DB"
ENV_HOME = "ABS_HOME"
DEFAULT_FILENAME = "abs.db"
DEFAULT_REASON = "default file in the user data dir"


@dataclass(frozen=True)
class StoreLocation:
    """A resolved store: its SQLAlchemy URL and the reason it was chosen."""

    url: str
    reason: str

    @property
    def is_default(self) -> bool:
        """Chosen by neither --db nor ABS_DB: the file in the user data dir."""
        return self.reason == DEFAULT_REASON

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        path = self.url.split(":///", 1)[1]
        return Path(path) if path and path != ":memory:" else None

    @property
    def display(self) -> str:
        """The URL with any password masked, safe to print."""
        if "@" in self.url and "://" in self.url:
            scheme, rest = self.url.split("://", 1)
            credentials, host = rest.rsplit("@", 1)
            user = credentials.split(":", 1)[0]
            return f"{scheme}://{user}:***@{host}"
        return self.url


def data_dir() -> Path:
    """The folder for the default store: `ABS_HOME`, else the platform's user data dir."""
    home = os.environ.get(ENV_HOME)
    if home:
        return Path(home)
    from platformdirs import user_data_dir

    return Path(user_data_dir("abs", appauthor=False))


def to_url(value: str) -> str:
    """Turn a path or URL given by the user into a SQLAlchemy URL."""
    if "://" in value:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value
    return f"sqlite:///{Path(value).expanduser().absolute()}"


def resolve_store(db_option: str | None) -> StoreLocation:
    """Resolve the store locator in the documented order."""
    if db_option:
        return StoreLocation(to_url(db_option), "--db option")
    env_value = os.environ.get(ENV_DB)
    if env_value:
        return StoreLocation(to_url(env_value), f"{ENV_DB} environment variable")
    path = data_dir() / DEFAULT_FILENAME
    return StoreLocation(to_url(str(path)), DEFAULT_REASON)
