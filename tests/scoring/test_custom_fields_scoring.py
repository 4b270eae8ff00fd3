"""Custom fields in scoring: rules on `custom.NAME`, and calibration learning from them
(numbers by band, categories by frequent value), end to end on both backends."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli

from abs_cli.errors import InputError
from abs_cli.scoring.model import parse_model


def _leads_file(tmp_path: Path, count: int = 400) -> Path:
    """Leads whose time on site and plan predict the outcome; nothing else does."""
    chosen = random.Random(7)
    lines = ["email,created_at,stage,Time On Site,Plan,Nickname"]
    for index in range(count):
        time_on_site = chosen.randint(0, 2000)
        plan = chosen.choice(["pro", "free", "team"])
        odds = (0.75 if time_on_site > 1000 else 0.1) + (0.2 if plan == "pro" else 0.0)
        won = chosen.random() < odds
        day = 1 + index * 360 // count
        created = f"2025-{1 + day // 31 % 12:02d}-{1 + day % 28:02d}T{index % 24:02d}:00:00"
        stage = "customer" if won else "lost"
        lines.append(f"l{index}@acme{index}.io,{created},{stage},{time_on_site},{plan},n{index}")
    path = tmp_path / "leads.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _json(cli: Cli, *args: str) -> Any:
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow
def test_calibration_learns_from_custom_fields(cli: Cli, tmp_path: Path) -> None:
    assert cli("-q", "leads", "import", str(_leads_file(tmp_path))).exit_code == 0
    calibration = _json(cli, "score", "calibrate")
    assert calibration["learned"]["auc"] > 0.75
    learned = [weight["feature"] for weight in calibration["weights"]]
    assert any(feature.startswith("custom.time_on_site ") for feature in learned)
    assert "custom.plan = pro" in learned
    assert not any("nickname" in feature for feature in learned)  # text: not learned

    applied = cli("score", "calibrate", "--apply", "-f", "json")
    assert applied.exit_code == 0, applied.output
    backtest = _json(cli, "score", "backtest")
    assert backtest["auc"] > 0.75  # the rules on custom fields score as learned


def test_a_scoring_rule_reads_a_custom_field(cli: Cli, tmp_path: Path) -> None:
    assert cli("-q", "leads", "import", str(_leads_file(tmp_path, 20))).exit_code == 0
    model = tmp_path / "model.toml"
    model.write_text(
        'version = "custom-1"\n[fit]\ncap = 100\n'
        '[[fit.rules]]\nname = "long visit"\nfield = "custom.time_on_site"\nmin = 1000\n'
        "points = 40\n"
        '[[fit.rules]]\nname = "pro plan"\nfield = "custom.plan"\nin = ["PRO"]\npoints = 20\n',
        encoding="utf-8",
    )
    shown = _json(cli, "leads", "show", "l3@acme3.io")["custom_fields"]
    expected = (40 if shown["time_on_site"] >= 1000 else 0) + (20 if shown["plan"] == "pro" else 0)
    explained = _json(cli, "leads", "score", "--config", str(model), "--explain", "l3@acme3.io")
    assert explained["score"] == expected
    fired = {item["rule"]: item["detail"] for item in explained["contributions"]}
    if shown["time_on_site"] >= 1000:
        assert fired["long visit"].startswith("custom.time_on_site ")
    assert ("pro plan" in fired) == (shown["plan"] == "pro")


def test_a_custom_field_rule_is_checked_like_any_rule() -> None:
    text = (
        'version = "x"\n[[fit.rules]]\nname = "x"\nfield = "custom.Bad-Name"\nin = ["a"]\n'
        "points = 1\n"
    )
    with pytest.raises(InputError, match=r"is not custom\.NAME with a snake_case NAME"):
        parse_model(text, "test")
