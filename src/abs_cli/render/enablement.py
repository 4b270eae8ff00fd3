"""How enablement results read: a playbook step for a rep, and the KPI report's section."""

from __future__ import annotations

from typing import Any

from abs_cli.render.output import Column, Report, Section

CONTENT_COLUMNS = [
    Column("id"),
    Column("step", kind="int"),
    Column("title"),
    Column("link"),
    Column("owner"),
    Column("review"),
    Column("stale"),
]


def step_view(step: Any, content: list[dict[str, Any]], origin: str) -> Report:
    """A playbook step (`enablement.playbook.Step`) as sections, and as one JSON object."""
    from abs_cli.domain import STEP_OF

    number = STEP_OF[step.stage]
    head = Section.record(
        f"Step {number}: {step.stage}",
        {"goal": step.goal or "", "playbook": origin},
    )
    checklist = [{"item": item.id, "label": item.label} for item in step.checklist]
    questions = [{"question": text} for text in step.questions]
    tracks = [{"talk_track": text} for text in step.talk_tracks]
    objections = [{"objection": o.objection, "answer": o.answer} for o in step.objections]
    sections = [
        head,
        Section("Checklist (exit criteria)", [Column("item"), Column("label")], checklist),
        Section("Questions", [Column("question")], questions),
        Section("Talk tracks", [Column("talk_track", "talk track")], tracks),
        Section("Objections", [Column("objection"), Column("answer")], objections),
        Section("Content", CONTENT_COLUMNS, content),
    ]
    document = {
        "step": number,
        "stage": step.stage,
        "goal": step.goal,
        "checklist": checklist,
        "questions": list(step.questions),
        "talk_tracks": list(step.talk_tracks),
        "objections": objections,
        "content": content,
        "playbook": origin,
    }
    return Report([section for section in sections if section is head or section.rows], document)


def content_section(title: str, rows: list[dict[str, Any]]) -> Section:
    return Section(
        title, [*CONTENT_COLUMNS, Column("days_overdue", "days overdue", kind="int")], rows
    )


def enablement_sections(document: dict[str, Any]) -> list[Section]:
    """The `enablement` part of a KPI document as tables."""
    section = document.get("enablement")
    if section is None:
        return []
    checklists = Section(
        "Checklists: completion and conversion of the leads leaving each step",
        [
            Column("step", kind="int"),
            Column("stage"),
            Column("items", kind="int"),
            Column("leads", kind="int"),
            Column("completion", kind="rate"),
            Column("complete", kind="int"),
            Column("complete_conversion", "conversion (complete)", kind="rate"),
            Column("incomplete", kind="int"),
            Column("incomplete_conversion", "conversion (incomplete)", kind="rate"),
        ],
        section["checklists"],
    )
    by_step = Section(
        "Content used per step",
        [
            Column("step", kind="int"),
            Column("stage"),
            Column("uses", kind="int"),
            Column("pieces", kind="int"),
            Column("leads", kind="int"),
        ],
        section["content_by_step"],
    )
    content = Section(
        "Content and closed deals (won / closed, with and without the piece)",
        [
            Column("id"),
            Column("step", kind="int"),
            Column("uses", kind="int"),
            Column("deals_used", "deals with", kind="int"),
            Column("win_rate_used", "win rate with", kind="rate"),
            Column("deals_not_used", "deals without", kind="int"),
            Column("win_rate_not_used", "win rate without", kind="rate"),
        ],
        section["content"],
        caption="Counts describe; they do not show that a piece causes wins.",
    )
    feedback = Section(
        "Field feedback by step and tag",
        [
            Column("step", kind="int"),
            Column("stage"),
            Column("tag"),
            Column("count", kind="int"),
            Column("previous", "previous period", kind="int"),
            Column("change", kind="int"),
            Column("months", "trend", kind="spark"),
        ],
        section["feedback"],
    )
    cohorts = Section(
        "Ramp by hire cohort",
        [
            Column("cohort"),
            Column("reps", kind="int"),
            Column("avg_days_to_first_meeting", "days to 1st meeting", kind="number"),
            Column("avg_days_to_first_qualified", "days to 1st qualified", kind="number"),
            Column("avg_days_to_first_win", "days to 1st win", kind="number"),
            Column("attainment_30", "activity attainment 30 d", kind="rate"),
            Column("attainment_60", "60 d", kind="rate"),
            Column("attainment_90", "90 d", kind="rate"),
        ],
        section["ramp"]["cohorts"],
    )
    parts = [checklists, by_step, content]
    if section["stale_content"]:
        parts.append(
            content_section("Stale content (past its review date)", section["stale_content"])
        )
    return [*parts, feedback, cohorts]


def ramp_section(rows: list[dict[str, Any]]) -> Section:
    """Each rep's ramp (`abs kpi enablement --reps`)."""
    return Section(
        "Ramp by rep",
        [
            Column("rep"),
            Column("role"),
            Column("cohort"),
            Column("days_to_first_meeting", "days to 1st meeting", kind="number"),
            Column("days_to_first_qualified", "days to 1st qualified", kind="number"),
            Column("days_to_first_win", "days to 1st win", kind="number"),
            Column("activities_30", "acts 30 d", kind="int"),
            Column("attainment_30", "att. 30 d", kind="rate"),
            Column("activities_60", "acts 60 d", kind="int"),
            Column("attainment_60", "att. 60 d", kind="rate"),
            Column("activities_90", "acts 90 d", kind="int"),
            Column("attainment_90", "att. 90 d", kind="rate"),
        ],
        rows,
    )
