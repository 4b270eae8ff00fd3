"""The KPI page as a person sees it: headless Chromium renders it, draws every chart,
logs no console error, prints it on A4 landscape, and shows the JSON's numbers.

Skipped only when Chromium is not installed, and never in CI (CI=true), where
.ci/run installs it from Debian's packages.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from conftest import IN_CI, Cli
from html_checks import mismatches, read_page
from kpi_data import open_store, seed
from kpi_scenario import company
from test_html_enablement import PERIOD as ENABLEMENT_PERIOD
from test_html_enablement import seed_march

AS_OF = "2026-02-02T06:00:00Z"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
A4_LANDSCAPE_POINTS = (841.92, 595.2)

PROBE = """
<script>
const charts = [...document.querySelectorAll("figure.chart")].map(figure => {
  const drawing = figure.querySelector("svg");
  const box = drawing ? drawing.getBoundingClientRect() : {width: 0, height: 0};
  const marks = drawing ? [...drawing.querySelectorAll("rect, polygon")]
    .filter(mark => { const b = mark.getBBox(); return b.width > 0 && b.height > 0; }).length : 0;
  return {chart: figure.dataset.chart, width: box.width, height: box.height, marks};
});
const probe = document.createElement("pre");
probe.id = "probe";
probe.textContent = JSON.stringify(charts);
document.body.append(probe);
</script>
"""
"""Appended to a copy of the page: measures each chart as laid out (the page has no script)."""


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if IN_CI:
        pytest.fail("CI=true but Chromium is not installed (.ci/run installs it)")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


def _run(browser: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        browser,
        "--headless=new",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def _console_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if "Uncaught" in line or "ERROR:CONSOLE" in line]


@pytest.fixture(scope="module")
def browser() -> str:
    return _browser()


@pytest.fixture
def page(sqlite_cli: Cli, tmp_path: Path) -> tuple[Path, dict]:
    store = open_store(sqlite_cli.url)
    seed(store, **company())
    store.dispose()
    args = ("kpi", "report", "--from", "2025-11", "--to", "2026-01", "--as-of", AS_OF)
    target = tmp_path / "kpi.html"
    written = sqlite_cli(*args, "--format", "html", "-o", str(target))
    assert written.exit_code == 0, written.stderr
    document = json.loads(sqlite_cli(*args, "--format", "json").stdout)
    return target, document


@pytest.mark.slow
def test_chromium_draws_every_chart_with_the_json_numbers(browser: str, page, tmp_path) -> None:
    path, document = page
    probed = tmp_path / "probed.html"
    probed.write_text(path.read_text(encoding="utf-8") + PROBE, encoding="utf-8")
    rendered = _run(browser, "--window-size=1600,1200", "--dump-dom", probed.as_uri())
    assert _console_errors(rendered.stderr) == []
    dom = rendered.stdout
    charts = json.loads(dom.split('<pre id="probe">', 1)[1].split("</pre>", 1)[0])
    assert {chart["chart"] for chart in charts} == set(read_page(dom).charts)
    assert len(charts) == 11
    for chart in charts:
        assert chart["width"] > 300 and chart["height"] > 40, chart
        assert chart["marks"] >= 2, chart
    assert mismatches(dom, document) == []


@pytest.mark.slow
def test_chromium_screenshot_and_a4_landscape_print(browser: str, page, tmp_path) -> None:
    path, _ = page
    shot = tmp_path / "kpi.png"
    taken = _run(browser, "--window-size=1600,1200", f"--screenshot={shot}", path.as_uri())
    assert _console_errors(taken.stderr) == []
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1600, 1200)
    assert shot.stat().st_size > 50_000  # a blank page compresses to a few kB
    pdf = tmp_path / "kpi.pdf"
    _run(browser, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", path.as_uri())
    boxes = {
        tuple(round(float(number), 0) for number in box.split()[2:4])
        for box in _media_boxes(pdf.read_bytes())
    }
    assert boxes == {tuple(round(side, 0) for side in A4_LANDSCAPE_POINTS)}
    assert len(_media_boxes(pdf.read_bytes())) >= 5  # a sheet per section


def _media_boxes(pdf: bytes) -> list[str]:
    found = []
    for chunk in pdf.split(b"/MediaBox [")[1:]:
        found.append(chunk.split(b"]", 1)[0].decode("ascii"))
    return found


FIT_PROBE = """
<script>
const edge = document.querySelector("h2").getBoundingClientRect().right;
const wider = [...document.querySelectorAll("svg.chart-svg, table")]
  .filter(part => !part.closest("td"))
  .map(part => ({tag: part.tagName, right: part.getBoundingClientRect().right}))
  .filter(part => part.right > edge + 0.5);
const probe = document.createElement("pre");
probe.id = "probe";
probe.textContent = JSON.stringify(wider);
document.body.append(probe);
</script>
"""
"""Lists every chart or table (outside a table cell) reaching past the section's heading."""


@pytest.mark.slow
def test_chromium_keeps_the_enablement_section_within_an_a4_width(
    browser: str, sqlite_cli: Cli, tmp_path: Path
) -> None:
    """At 1,100 px (about the 277 mm of an A4 landscape sheet's printable width), every
    enablement chart and table, the ramp of each rep included, fits inside the page."""
    args = ("kpi", "enablement", *ENABLEMENT_PERIOD, "--reps")
    seeded = seed_march(sqlite_cli)
    page = seeded(*args, "--format", "html")
    assert page.exit_code == 0, page.stderr
    probed = tmp_path / "enablement.html"
    probed.write_text(page.stdout + FIT_PROBE, encoding="utf-8")
    rendered = _run(browser, "--window-size=1100,1200", "--dump-dom", probed.as_uri())
    assert _console_errors(rendered.stderr) == []
    dom = rendered.stdout
    assert json.loads(dom.split('<pre id="probe">', 1)[1].split("</pre>", 1)[0]) == []
    assert set(read_page(dom).charts) == {"checklists", "content-steps", "content-wins", "feedback"}
    document = json.loads(seeded(*args, "--format", "json").stdout)
    assert mismatches(dom, document) == []
