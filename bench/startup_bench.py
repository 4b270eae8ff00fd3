"""Start-up benchmark: median wall time of `abs --help`, `abs --version` and `python -c pass`.

    python bench/startup_bench.py [--runs 20]

Runs each command in a fresh process (after two warm-up runs) and prints the median,
the spread and the median CPU time (user + system, steady when the machine is busy).
When `hyperfine` is on PATH it is run on the same commands as a cross-check.
The budget for `abs --help` is ~150 ms on a 2-core machine (issue 2).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_MS = 150.0


def abs_command() -> list[str]:
    """The `abs` console script of this interpreter's environment, else `python -m abs_cli`."""
    script = Path(sys.executable).parent / "abs"
    return [str(script)] if script.exists() else [sys.executable, "-m", "abs_cli"]


def commands() -> dict[str, list[str]]:
    abs_cli = abs_command()
    return {
        "abs --help": [*abs_cli, "--help"],
        "abs --version": [*abs_cli, "--version"],
        "python -c pass": [sys.executable, "-c", "pass"],
    }


def measure(argv: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) milliseconds of `runs` executions, after two warm-ups.

    CPU time hardly moves when other jobs share the machine; wall time does.
    """
    env = {**os.environ, "COLUMNS": "100"}
    times, cpu_times = [], []
    for index in range(runs + 2):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env
        )
        wall = (time.perf_counter() - start) * 1000
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
        if index >= 2:
            times.append(wall)
            cpu_times.append(cpu)
    return times, cpu_times


def hyperfine(named: dict[str, list[str]], runs: int) -> dict[str, float] | None:
    """Median milliseconds per command according to hyperfine, if it is installed."""
    if shutil.which("hyperfine") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "hyperfine.json"
        quoted = [" ".join(argv) for argv in named.values()]
        subprocess.run(
            [
                "hyperfine",
                "--warmup",
                "2",
                "--runs",
                str(runs),
                "-N",
                "--export-json",
                str(export),
                *quoted,
            ],
            stdout=subprocess.DEVNULL,
            check=True,
        )
        results = json.loads(export.read_text())["results"]
    return {name: result["median"] * 1000 for name, result in zip(named, results, strict=True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs per command")
    args = parser.parse_args()
    named = commands()
    rows = []
    for name, argv in named.items():
        times, cpu_times = measure(argv, args.runs)
        rows.append(
            (name, statistics.median(times), min(times), max(times), statistics.median(cpu_times))
        )
    cross_check = hyperfine(named, args.runs)
    header = f"{'command':<16} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'cpu ms':>8}"
    if cross_check:
        header += f" {'hyperfine ms':>13}"
    print(header)
    for name, median, low, high, cpu in rows:
        line = f"{name:<16} {median:>10.1f} {low:>8.1f} {high:>8.1f} {cpu:>8.1f}"
        if cross_check:
            line += f" {cross_check[name]:>13.1f}"
        print(line)
    help_median = rows[0][1]
    verdict = "within" if help_median <= BUDGET_MS else "above"
    print(
        f"\nabs --help: {help_median:.0f} ms, {verdict} the {BUDGET_MS:.0f} ms budget "
        f"({args.runs} runs each, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f})"
    )


if __name__ == "__main__":
    main()
