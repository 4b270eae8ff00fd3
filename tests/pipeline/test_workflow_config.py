"""The workflow TOML: defaults, where it is found, and refusals that name the key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from abs_cli.errors import InputError
from abs_cli.pipeline.config import Gate, WorkflowConfig, load_config, parse_config


@pytest.fixture(autouse=True)
def _no_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ABS_CONFIG", raising=False)


def test_defaults() -> None:
    config = WorkflowConfig()
    assert config.gate_for("qualified") == Gate(readiness="sql")
    assert config.gate_for("discovery") == Gate(activity=("meeting",))
    assert all(config.gate_for(stage).amount for stage in ("proposal", "negotiation", "customer"))
    assert config.gate_for("demo") == Gate()
    assert config.speed_to_lead_minutes == 60
    assert config.max_days["customer"] is None and config.max_days["prospect"] == 14
    assert config.routing_for("sdr").strategy == "round_robin"


def test_a_full_file(tmp_path: Path) -> None:
    path = tmp_path / "workflow.toml"
    path.write_text(
        """
[scoring]                      # another feature's table: ignored here
anything = 1

[pipeline.gates.qualified]
readiness = "none"
[pipeline.gates.demo]
activity = ["demo", "meeting"]
[pipeline.probabilities]
demo = 0.5
[sla]
speed_to_lead_minutes = 15
[sla.max_days]
prospect = 3
negotiation = 0
[routing.sources]
Event = "SDR"
[routing.ae]
strategy = "least_loaded"
capacity = 40
weights = { "Bob@Acme.io" = 3 }
[[routing.sdr.territories]]
countries = ["fr", "BE"]
reps = ["ana@acme.io"]
""",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.origin == str(path)
    assert config.gate_for("qualified") == Gate()
    assert config.gate_for("demo") == Gate(activity=("demo", "meeting"))
    assert config.probabilities == {"demo": Decimal("0.5")}
    assert config.speed_to_lead_minutes == 15
    assert config.max_days["prospect"] == 3 and config.max_days["negotiation"] is None
    assert config.source_roles == {"event": "sdr"}
    assert config.routing_for("ae").capacity == 40
    assert config.routing_for("ae").weights == {"bob@acme.io": 3}
    (rule,) = config.routing_for("sdr").territories
    assert rule.countries == frozenset({"FR", "BE"}) and rule.reps == ("ana@acme.io",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[pipeline]\ngate = 1", "pipeline.gate is not a known key (use gates, probabilities)"),
        (
            "[pipeline.gates.won]\namount = true",
            "pipeline.gates.won is not a stage (use prospect, qualified, discovery",
        ),
        (
            '[pipeline.gates.qualified]\nreadiness = "hot"',
            "pipeline.gates.qualified.readiness must be one of none, mql, sql (got 'hot')",
        ),
        (
            '[pipeline.gates.discovery]\nactivity = ["lunch"]',
            "pipeline.gates.discovery.activity names an unknown activity type 'lunch'",
        ),
        (
            '[pipeline.gates.proposal]\namount = "yes"',
            "pipeline.gates.proposal.amount must be true or false (got 'yes')",
        ),
        (
            "[pipeline.probabilities]\ndemo = 1.5",
            "pipeline.probabilities.demo must be a number between 0 and 1 (got 1.5)",
        ),
        (
            "[sla]\nspeed_to_lead_minutes = -5",
            "sla.speed_to_lead_minutes must be a whole number ≥ 1 (got -5)",
        ),
        ('[routing.sdr]\nstrategy = "random"', "routing.sdr.strategy must be one of round_robin"),
        ('[routing.manager]\nstrategy = "round_robin"', "routing.manager is not a known key"),
        ('[routing.sources]\nevent = "ae"', "routing.sources.event must be one of sdr, ir"),
        (
            '[[routing.ae.territories]]\ncountries = ["France"]\nreps = ["a@acme.io"]',
            "routing.ae.territories[0].countries holds 'France', not a 2-letter country code",
        ),
        (
            '[[routing.ae.territories]]\ncountries = ["FR"]',
            "routing.ae.territories[0] needs both countries and reps",
        ),
        ("[routing.ae]\nweights = { a = 0 }", "routing.ae.weights.a must be a whole number ≥ 1"),
        ("[pipeline\n", "not valid TOML"),
    ],
)
def test_invalid_files_exit_3_naming_the_key(tmp_path: Path, sqlite_cli, text, message) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    result = sqlite_cli("pipeline", "board", "--config", str(path))
    assert result.exit_code == 3
    assert f"config {path}:" in result.stderr
    assert message in result.stderr


def test_where_the_file_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "store" / "abs.db"
    store.parent.mkdir()
    assert load_config(None, store).origin == "built-in defaults"
    beside = store.parent / "abs.toml"
    beside.write_text("[sla]\nspeed_to_lead_minutes = 5\n", encoding="utf-8")
    assert load_config(None, store).speed_to_lead_minutes == 5
    env = tmp_path / "env.toml"
    env.write_text("[sla]\nspeed_to_lead_minutes = 7\n", encoding="utf-8")
    monkeypatch.setenv("ABS_CONFIG", str(env))
    assert load_config(None, store).speed_to_lead_minutes == 7
    option = tmp_path / "option.toml"
    option.write_text("[sla]\nspeed_to_lead_minutes = 9\n", encoding="utf-8")
    assert load_config(option, store).speed_to_lead_minutes == 9
    monkeypatch.setenv("ABS_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(InputError, match=r"missing.toml \(from ABS_CONFIG\) does not exist"):
        load_config(None, store)


def test_parse_config_rejects_non_tables() -> None:
    with pytest.raises(InputError, match=r"config inline: routing\.sdr must be a table"):
        parse_config({"routing": {"sdr": "round_robin"}})
