"""Backtests and calibration on a synthetic history whose signal is known."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scoring_data import T0, add_activities, add_history, add_leads, synthetic_history

from abs_cli.errors import InputError
from abs_cli.scoring.backtest import auc, backtest, score_outcomes
from abs_cli.scoring.calibrate import calibrate, load_history
from abs_cli.scoring.model import LoadedModel, default_text, parse_model, read_model_file
from abs_cli.scoring.rules import compile_model

DEFAULT = LoadedModel(parse_model(default_text(), "default"), default_text(), "default")


def test_auc_matches_hand_computed_values() -> None:
    won = np.array([1, 1, 0, 0])
    assert auc(np.array([4.0, 3.0, 2.0, 1.0]), won) == 1.0
    assert auc(np.array([1.0, 2.0, 3.0, 4.0]), won) == 0.0
    assert auc(np.array([1.0, 1.0, 1.0, 1.0]), won) == 0.5
    # pairs (won, lost): (3,2) (3,1) (1,2)=0 (1,1)=half -> 2.5 / 4
    assert auc(np.array([3.0, 1.0, 2.0, 1.0]), won) == 0.625
    assert auc(np.array([1.0, 2.0]), np.array([1, 1])) is None


def test_backtest_scores_each_lead_at_its_outcome(store) -> None:
    from datetime import timedelta

    day = timedelta(days=1)
    with store.session(write=True) as session:
        add_leads(
            session,
            [
                {"id": 1, "email": "w@a.io", "stage": "customer", "stage_changed_at": T0 + 30*day},
                {"id": 2, "email": "l@a.io", "stage": "lost", "stage_changed_at": T0 + 30*day},
                {"id": 3, "email": "d@a.io", "stage": "disqualified", "stage_changed_at": T0 + 5 * day},  # noqa: E501
                {"id": 4, "email": "open@a.io", "stage": "demo"},
                {"id": 5, "email": "c@a.io", "stage": "churned", "stage_changed_at": T0 + 90*day},
            ],
        )  # fmt: skip
        add_history(
            session,
            [
                {"lead_id": 1, "to_stage": "customer", "changed_at": T0 + 20 * day},
                {"lead_id": 5, "to_stage": "customer", "changed_at": T0 + 10 * day},
                {"lead_id": 5, "to_stage": "churned", "changed_at": T0 + 90 * day},
            ],
        )
        add_activities(
            session,
            [
                {"lead_id": 1, "type": "demo_request", "occurred_at": T0 + 19 * day},
                {"lead_id": 2, "type": "demo_request", "occurred_at": T0 + 25 * day},
                {"lead_id": 3, "type": "demo_request", "occurred_at": T0 + 6 * day},
                {"lead_id": 5, "type": "demo_request", "occurred_at": T0 + 9 * day},
            ],
        )
        outcomes = score_outcomes(session, compile_model(DEFAULT.model))
        result = backtest(session, DEFAULT)
    # won at the first `customer` row (churned included), lost at the last change;
    # demo request worth 20 with a 30-day half-life: 1 day old -> 19.5, 5 days -> 17.8;
    # lead 3's request came after its disqualification and must not count
    assert outcomes.ids.tolist() == [1, 2, 3, 5]
    assert outcomes.won.tolist() == [1, 0, 0, 1]
    assert outcomes.score.tolist() == [20, 18, 0, 20]
    assert (result.leads, result.won, result.lost) == (4, 2, 2)
    assert result.auc == 1.0
    by_readiness = {row["readiness"]: row for row in result.thresholds}
    assert by_readiness["mql"]["flagged"] == 0
    assert [row["leads"] for row in result.by_grade] == [0, 0, 0, 4]


def test_backtest_refuses_without_outcomes(store) -> None:
    with store.session(write=True) as session:
        add_leads(session, [{"id": 1, "email": "open@a.io"}])
        with pytest.raises(InputError, match="no won, lost or disqualified leads to backtest"):
            backtest(session, DEFAULT)


@pytest.mark.slow
def test_calibration_finds_the_known_signal_and_beats_random(store) -> None:
    synthetic_history(store, leads=600, seed=1)
    with store.session() as session:
        result = calibrate(session, DEFAULT, holdout=0.3)
        history = load_history(session)
    assert (result.train_leads, result.test_leads) == (420, 180)
    # time-based: every training lead was created before every test lead
    assert history.created_at[:420].max() < history.created_at[420:].min()
    # only the meetings before the outcome are counted (one post-outcome demo each)
    assert history.counts[:, 3].sum() == 0
    assert result.learned["auc"] > 0.75
    weights = {row["feature"]: row["weight"] for row in result.weights}
    meeting = weights["activities meeting (per activity, up to 5)"]
    assert meeting > 1.5
    assert weights["industry = saas"] > 0.5
    assert weights["title = student"] < -0.5
    assert weights["title = head of sales"] + weights["title seniority Director / Head of"] > 0.6
    noise = [
        abs(w) for f, w in weights.items() if f.startswith(("country", "activities email_open"))
    ]
    assert max(noise) < 0.5 * meeting
    assert "activities demo (per activity, up to 5)" not in weights


def test_calibration_refuses_a_small_history(store) -> None:
    synthetic_history(store, leads=80, seed=2)
    with store.session() as session, pytest.raises(InputError) as error:
        calibrate(session, DEFAULT)
    assert error.value.message.startswith(
        "calibration needs at least 50 won and 50 lost leads; the store has "
    )


def test_calibrate_apply_writes_a_new_version_and_keeps_the_old(sqlite_cli, tmp_path: Path) -> None:
    from abs_cli.store.engine import Store, make_engine
    from abs_cli.store.location import StoreLocation

    assert sqlite_cli("db", "init").exit_code == 0
    location = StoreLocation(sqlite_cli.url, "test")
    store = Store(location, make_engine(location))
    synthetic_history(store, leads=400, seed=3)
    store.dispose()
    config = tmp_path / "scoring.toml"
    assert sqlite_cli("score", "init", str(config)).exit_code == 0

    result = sqlite_cli("score", "calibrate", "--config", str(config), "--apply", "-f", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) >= {"current", "learned", "train_leads", "test_leads"}
    assert (document["train_leads"], document["test_leads"]) == (280, 120)
    assert document["learned"]["auc"] > 0.7
    assert document["applied_to"] == str(config)
    kept = tmp_path / "scoring.default-1.toml"
    assert kept.read_text("utf-8") == default_text()
    learned = read_model_file(config)
    assert learned.model.version == document["new_version"]
    assert learned.model.version.startswith("default-1-cal-")

    backtested = sqlite_cli("score", "backtest", "--config", str(config), "-f", "json")
    assert backtested.exit_code == 0, backtested.stderr
    report = json.loads(backtested.stdout)
    assert report["model_version"] == learned.model.version
    assert report["auc"] > 0.7
    assert [row["decile"] for row in report["by_decile"]] == list(range(1, 11))


def test_calibrate_refusal_exits_3(sqlite_cli) -> None:
    result = sqlite_cli("score", "calibrate")
    assert result.exit_code == 3
    assert (
        "calibration needs at least 50 won and 50 lost leads; the store has 0 won and 0 lost"
        in (" ".join(result.stderr.split()))
    )
