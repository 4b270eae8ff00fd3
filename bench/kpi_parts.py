"""Where `abs kpi report` spends its time: each part timed in-process on a bench store.

    python bench/kpi_parts.py DIR/bench-1.db 2026-05             # one month
    python bench/kpi_parts.py DIR/bench-1.db 2025-06 2026-05     # a range

Prints the import time of the report modules, the report's total, then each part's wall
and CPU time (CPU is the steadier figure on a shared machine). Stores come from
`kpi_bench.py --keep DIR`.
"""

from __future__ import annotations

import argparse
import functools
import time
from collections import defaultdict
from collections.abc import Callable
from types import ModuleType
from typing import Any

AS_OF = "2026-06-15T06:00:00Z"
PARTS = {
    "report": ("revenue_report", "stage_moves", "speed_to_lead", "goal_actuals", "team_rows"),
    "pipeline": ("funnel_cohorts", "open_deals"),
    "team": ("_activities", "_nps"),
    "customers": ("nps_counts", "usage", "campaigns", "tickets"),
}


def timed(module: ModuleType, name: str, into: dict[str, list[float]]) -> None:
    function: Callable[..., Any] = getattr(module, name)

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent = into[name]
            spent[0] += time.perf_counter() - wall
            spent[1] += time.process_time() - cpu

    setattr(module, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", help="a SQLite bench store")
    parser.add_argument("first", help="the month (or the first month of the range)")
    parser.add_argument("last", nargs="?", help="the last month of the range")
    options = parser.parse_args()
    began = time.perf_counter()
    import importlib

    from abs_cli.kpi import report
    from abs_cli.store.engine import Store, make_engine
    from abs_cli.store.location import StoreLocation, to_url

    imported = time.perf_counter() - began
    spent: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for module_name, names in PARTS.items():
        module = importlib.import_module(f"abs_cli.kpi.{module_name}")
        for name in names:
            timed(module, name, spent)
    location = StoreLocation(to_url(options.db), "bench")
    store = Store(location, make_engine(location))
    period = {"period": options.first} if options.last is None else {}
    if options.last is not None:
        period = {"first": options.first, "last": options.last}
    wall, cpu = time.perf_counter(), time.process_time()
    with store.session() as session:
        report.kpi_document(session, as_of=AS_OF, **period)
    print(
        f"imports {imported:.2f} s | report {time.perf_counter() - wall:.2f} s"
        f" (cpu {time.process_time() - cpu:.2f} s)"
    )
    print("part | wall s | cpu s")
    print("---|---|---")
    for name, (seconds, cpu_seconds) in sorted(spent.items(), key=lambda item: -item[1][0]):
        print(f"{name} | {seconds:.2f} | {cpu_seconds:.2f}")
    store.dispose()


if __name__ == "__main__":
    main()
