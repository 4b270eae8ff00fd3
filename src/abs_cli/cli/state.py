"""Per-invocation state shared by all commands: the store locator, quiet and debug flags."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

from abs_cli.store.location import StoreLocation, resolve_store

if TYPE_CHECKING:
    from abs_cli.store.engine import Store


@dataclass
class AppState:
    db_option: str | None = None
    quiet: bool = False
    debug: bool = False
    _store: Store | None = field(default=None, repr=False)

    @property
    def location(self) -> StoreLocation:
        return resolve_store(self.db_option)

    def store(self, *, create: bool = False) -> Store:
        """Open the store once per invocation, upgrading its schema.

        Args:
            create: create the store when it does not exist (`abs db init`, `abs demo`).
                Without it, a store named by --db or ABS_DB must exist (docs/domain.md
                §3.1); the default store in the user data dir is created on first use.
        """
        if self._store is None:
            from abs_cli.store.engine import make_engine
            from abs_cli.store.migrate import ensure_current, missing_store_error

            location = self.location
            may_create = create or location.is_default
            path = location.sqlite_path
            if path is not None and not path.exists():
                if not may_create:
                    raise missing_store_error(location)
                if location.is_default:
                    path.parent.mkdir(parents=True, exist_ok=True)
            store = _open(location, make_engine)
            try:
                ensure_current(store, create=may_create)
            except BaseException:
                store.dispose()
                raise
            self._store = store
        return self._store

    def info(self, message: str) -> None:
        """A diagnostic line on stderr, unless -q."""
        if not self.quiet:
            from abs_cli.render.output import console

            console(stderr=True).print(message, highlight=False)

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()
            self._store = None


def _open(location: StoreLocation, make_engine: Any) -> Store:
    from abs_cli.store.engine import Store

    return Store(location, make_engine(location))


def get_state(ctx: typer.Context) -> AppState:
    """The state the root callback put on the context (a fresh one when run standalone)."""
    from abs_cli.render.output import set_notifier

    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    set_notifier(root.obj.info)  # the renderer's notes (a folded table) obey -q too
    return root.obj


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()
