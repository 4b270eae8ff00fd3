"""The scoring file: the default, `abs score init`, resolution order and refused files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scoring_data import add_leads
from sqlalchemy import select

from abs_cli.scoring.model import default_text, parse_model
from abs_cli.store.engine import Store, make_engine
from abs_cli.store.location import StoreLocation
from abs_cli.store.models import LeadScore

DEFAULT = default_text()

BAD_FILES = [
    (
        DEFAULT.replace('field = "industry"', 'field = "sector"'),
        "fit rule 'industry in ICP': unknown field 'sector'; use one of industry, country, "
        "title, source, email_domain, activity_outcome, employees, target_tier, consent or "
        "custom.NAME",
    ),
    (
        DEFAULT.replace("pattern = '\\b(vp|svp", "pattern = '(vp|svp").replace(
            "pr[ée]sident)\\b'", "pr[ée]sident\\b'"
        ),
        "fit rule 'VP': bad regex '(vp|svp|evp|vice[- ]president|vice-pr[ée]sident\\b': "
        "missing ), unterminated subpattern at position 0",
    ),
    (
        DEFAULT.replace("half_life_days = 60", "half_life_days = -3"),
        "engagement rule 'meeting or demo held': half_life_days must be more than 0, got -3",
    ),
    (
        DEFAULT.replace("cap = 50\nhalf_life_days = 30", "cap = 50\nhalf_life_days = -1"),
        "[engagement] half_life_days must be more than 0, got -1",
    ),
    (
        DEFAULT.replace('name = "clicked"\n', 'name = "clicked"\ncolour = "red"\n'),
        "engagement rule 'clicked': unknown key 'colour'",
    ),
    (
        DEFAULT.replace('types = ["email_click"]', 'types = ["tweet"]'),
        "engagement rule 'clicked': unknown activity type 'tweet'; use one of call, email, "
        "meeting, demo, note, social, web_visit, email_open, email_click, content_download, "
        "webinar, form_submit, demo_request",
    ),
    (
        DEFAULT.replace("points = -40", "points = 40"),
        "negative rule 'bounced e-mail': points must be 0 or less in a negative rule, got 40",
    ),
    (
        DEFAULT.replace('field = "employees"\nmin = 50', 'field = "employees"\nmin = 5000'),
        "fit rule 'mid-market size': min 5000 is above max 2000",
    ),
    (
        DEFAULT.replace('field = "country"\n', 'field = "country"\nmin = 3\n'),
        "fit rule 'core country': needs exactly one of `in`, `pattern` or `min`/`max`",
    ),
    (
        DEFAULT.replace("[readiness]\nmql = 45", "[readiness]\nmql = 75"),
        "[readiness] sql 70 is below mql 75",
    ),
    (DEFAULT.replace('version = "default-1"', ""), "missing key 'version'"),
    (DEFAULT + "\n[extra]\n", "unknown key 'extra'"),
]  # fmt: skip


def test_default_file_is_valid_and_covers_the_issue() -> None:
    model = parse_model(DEFAULT, "default")
    fields = {rule.field for rule in model.fit.rules}
    assert {"industry", "employees", "country", "title", "target_tier"} <= fields
    titles = [rule for rule in model.fit.rules if rule.field == "title"]
    c_level = titles[0].matcher()
    assert all(c_level(t) for t in ("PDG", "DG France", "Directeur Général", "CEO & Founder"))
    assert not c_level("Sales Engineer")
    director = titles[2].matcher()
    assert director("Directeur commercial") and director("Head of Sales")
    assert titles[3].matcher()("Responsable marketing")
    negatives = {rule.name for rule in model.negative.rules}
    assert {"freemail address", "student or intern", "competitor", "no consent"} <= negatives
    assert (
        model.engagement.sources.points["demo_request"]
        > model.engagement.sources.points["content_download"]
    )


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_bad_files_are_refused_naming_the_rule(sqlite_cli, tmp_path: Path, text, message) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    result = sqlite_cli("leads", "score", "--config", str(path))
    assert result.exit_code == 3
    first_line = " ".join(result.stderr.split())
    assert f"error: scoring file {path}: {message}" in first_line


def test_invalid_toml_is_refused(sqlite_cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("version = [", encoding="utf-8")
    result = sqlite_cli("leads", "score", "--config", str(path))
    assert result.exit_code == 3
    assert f"scoring file {path} is not valid TOML" in result.stderr


def test_a_bad_file_rescores_nothing(cli, tmp_path: Path) -> None:
    assert cli("db", "init").exit_code == 0
    location = StoreLocation(cli.url, "test")
    store = Store(location, make_engine(location))
    with store.session(write=True) as session:
        add_leads(session, [{"id": 1, "email": "a@acme.io", "title": "CEO"}])
    assert cli("leads", "score", "--as-of", "2026-01-31").exit_code == 0
    with store.session() as session:
        before = session.execute(select(LeadScore.__table__)).all()

    bad = tmp_path / "bad.toml"
    bad.write_text(DEFAULT.replace("half_life_days = 60", "half_life_days = -3"), "utf-8")
    result = cli("leads", "score", "--as-of", "2026-06-30", "--config", str(bad))
    assert result.exit_code == 3
    with store.session() as session:
        assert session.execute(select(LeadScore.__table__)).all() == before
    store.dispose()


def test_init_writes_the_default_and_refuses_to_overwrite(sqlite_cli, tmp_path: Path) -> None:
    path = tmp_path / "scoring.toml"
    assert sqlite_cli("score", "init", str(path)).exit_code == 0
    assert path.read_text("utf-8") == DEFAULT
    again = sqlite_cli("score", "init", str(path))
    assert again.exit_code == 2
    assert f"error: {path} already exists (hint: pass --force to overwrite it)" in " ".join(
        again.stderr.split()
    )
    path.write_text("x", "utf-8")
    assert sqlite_cli("score", "init", str(path), "--force").exit_code == 0
    assert path.read_text("utf-8") == DEFAULT


def test_model_resolution_order(sqlite_cli, tmp_path: Path, monkeypatch) -> None:
    def version() -> str:
        result = sqlite_cli("leads", "score", "--format", "json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)["model_version"]

    def write(name: str, ver: str) -> Path:
        path = tmp_path / name
        path.write_text(DEFAULT.replace('"default-1"', f'"{ver}"'), "utf-8")
        return path

    assert version() == "default-1"
    stored = write("stored.toml", "stored-1")
    assert sqlite_cli("score", "init", str(stored), "--store").exit_code == 0
    assert version() == "stored-1"
    monkeypatch.setenv("ABS_SCORING", str(write("env.toml", "env-1")))
    assert version() == "env-1"
    result = sqlite_cli(
        "leads", "score", "--config", str(write("cfg.toml", "cfg-1")), "--format", "json"
    )
    assert json.loads(result.stdout)["model_version"] == "cfg-1"
