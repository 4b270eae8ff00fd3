"""The playbook file: the template, a mistake refused whole naming its line, init/check/show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abs_cli.domain import STAGES
from abs_cli.enablement.playbook import default_text, parse_playbook
from abs_cli.errors import InputError


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first line holding `fragment`."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_the_template_covers_the_seven_steps_with_bant_at_step_two() -> None:
    playbook = parse_playbook(default_text(), "template")
    assert list(playbook.steps) == list(STAGES)
    assert [item.id for item in playbook.checklist_of("qualified")] == [
        "budget",
        "authority",
        "need",
        "timing",
    ]
    assert all(step.content for step in playbook.steps.values())
    assert playbook.ramp["ae"] == {30: 60, 60: 150, 90: 250}


@pytest.mark.parametrize(
    ("old", "new", "where", "says"),
    [
        ('id = "need"', 'id = "budget"', 'id = "budget"', "already the id of"),
        ("review = 2027-08-31", 'review = "soon"', 'review = "soon"', "must be a date"),
        ('talk_tracks = ["Demo', 'talkTracks = ["Demo', "talkTracks", "is not a known key"),
        ("[steps.demo]", "[steps.won]", "[steps.won]", "is not a step"),
        ('id = "icp_fit"', 'id = "ICP fit"', 'id = "ICP fit"', "is not an id"),
        ("activities_30 = 60", "activities_30 = -1", "activities_30 = -1", "whole number"),
    ],
)
def test_a_mistake_is_refused_naming_its_line(old: str, new: str, where: str, says: str) -> None:
    text = default_text()
    assert old in text
    broken = text.replace(old, new, 1)
    if where == 'id = "budget"':  # the duplicate, not the original
        line = line_of(broken, 'id = "timing"') - 4
    else:
        line = line_of(broken, where)
    with pytest.raises(InputError) as refused:
        parse_playbook(broken, "p.toml")
    assert refused.value.message.startswith(f"playbook p.toml, line {line}: ")
    assert says in refused.value.message


def test_invalid_toml_is_refused_with_the_parser_line() -> None:
    with pytest.raises(InputError, match=r"not valid TOML .*line 2"):
        parse_playbook('version = "1"\n[steps.prospect\n', "p.toml")


@settings(max_examples=25, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=len(STAGES)),
    data=st.data(),
)
def test_a_bad_item_id_is_named_at_its_own_line(counts: list[int], data: st.DataObject) -> None:
    """Whatever the shape of the file, the line named is the line of the bad id."""
    lines, item_lines = ['version = "x"'], []
    for stage, count in zip(STAGES, counts, strict=False):
        lines += [
            "",
            f"[steps.{stage}]",
            f'goal = "goal of {stage}"',
            "questions = [",
            '  "q",',
            "]",
        ]
        for index in range(count):
            lines += ["", f"[[steps.{stage}.checklist]]"]
            item_lines.append(len(lines) + 1)
            lines += [f'id = "{stage}_{index}"', f'label = "item {index}"']
    if not item_lines:
        return
    bad = data.draw(st.sampled_from(item_lines))
    lines[bad - 1] = 'id = "Not An Id"'
    with pytest.raises(InputError) as refused:
        parse_playbook("\n".join(lines), "gen.toml")
    assert f"line {bad}:" in refused.value.message


def test_init_check_store_and_show(cli, tmp_path: Path) -> None:
    path = tmp_path / "playbook.toml"
    assert cli("playbook", "init", str(path)).exit_code == 0
    again = cli("playbook", "init", str(path))
    assert again.exit_code == 2 and "already exists" in again.stderr
    printed = cli("playbook", "init")
    assert printed.exit_code == 0 and printed.stdout == path.read_text(encoding="utf-8")
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'goal = "Show the product on the prospect\'s own use case."',
            'goal = "Demo the three pains."',
        ),
        encoding="utf-8",
    )
    checked = cli("playbook", "check", str(path), "--store")
    assert checked.exit_code == 0, checked.stderr
    assert "7 steps, 16 checklist items, 7 content pieces: valid" in checked.stderr
    shown = json.loads(cli("playbook", "show", "4", "-f", "json").stdout)
    assert shown["stage"] == "demo" and shown["goal"] == "Demo the three pains."
    assert shown["playbook"] == "stored"
    assert [item["item"] for item in shown["checklist"]] == ["demo_tailored", "champion_confirmed"]
    assert shown["content"][0]["id"] == "demo-script"
    table = cli("playbook", "show", "demo")
    assert "Objections" in table.stdout and "guided trial" in table.stdout


def test_check_refuses_the_whole_file_and_stores_nothing(cli, tmp_path: Path) -> None:
    path = tmp_path / "playbook.toml"
    text = default_text().replace('label = "Signature date agreed"', "label = 3")
    path.write_text(text, encoding="utf-8")
    result = cli("playbook", "check", str(path), "--store")
    assert result.exit_code == 3
    line = line_of(text, "label = 3")
    assert f"line {line}: steps.negotiation.checklist[2].label must be a non-empty string" in (
        result.stderr
    )
    shown = json.loads(cli("playbook", "show", "negotiation", "-f", "json").stdout)
    assert shown["playbook"] == "built-in template"


def test_check_refuses_a_gate_that_requires_an_unknown_item(cli, tmp_path: Path) -> None:
    config = tmp_path / "abs.toml"
    config.write_text('[pipeline.gates.discovery]\nrequire = ["budget", "champion"]\n')
    playbook = tmp_path / "playbook.toml"
    playbook.write_text(default_text(), encoding="utf-8")
    result = cli("playbook", "check", str(playbook), "--config", str(config))
    assert result.exit_code == 3
    assert "gate discovery" in result.stderr and "'champion'" in result.stderr


def test_show_refuses_an_unknown_step_as_usage(cli) -> None:
    result = cli("playbook", "show", "won")
    assert result.exit_code == 2 and "step 'won'" in result.stderr
