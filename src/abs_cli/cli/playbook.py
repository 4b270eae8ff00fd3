"""`abs playbook`: write, check, store and show the sales playbook."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from abs_cli.cli.options import FormatOption
from abs_cli.cli.state import AppState, get_state
from abs_cli.render.output import OutputFormat

if TYPE_CHECKING:
    from abs_cli.enablement.playbook import LoadedPlaybook

app = typer.Typer(
    help="The sales playbook: per step its goal, checklist, questions, objections, content.\n\n"
    "The playbook in force is --playbook FILE, then $ABS_PLAYBOOK, then the one stored with "
    "`abs playbook check FILE --store`, else the built-in template.",
    short_help="The sales playbook: per step its goal, checklist, questions, objections, content.",
    no_args_is_help=True,
)

PlaybookOption = Annotated[
    Path | None,
    typer.Option(
        "--playbook",
        help="Playbook TOML file; default $ABS_PLAYBOOK, then the stored one, then the "
        "built-in template.",
        dir_okay=False,
        show_default=False,
    ),
]


def playbook_in_force(state: AppState, path: Path | None) -> LoadedPlaybook:
    """The playbook for this invocation (see `abs_cli.enablement.playbook`)."""
    from abs_cli.enablement.playbook import read_playbook_file, resolve_playbook

    if path is not None:
        return read_playbook_file(path)
    with state.store().session() as session:
        return resolve_playbook(session)


@app.command("init")
def init(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(help="Where to write the playbook (default: print it).", dir_okay=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the commented template playbook: seven steps, each with its goal, checklist
    (BANT at step 2), questions, talk tracks, objections and content.

    Example: abs playbook init playbook.toml
    """
    from abs_cli.enablement.playbook import write_template

    text = write_template(path, force=force)
    if path is None:
        typer.echo(text, nl=False)
    else:
        get_state(ctx).info(f"wrote the template playbook to {path}")


@app.command("check")
def check(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The playbook file to check.", dir_okay=False)],
    store: Annotated[
        bool,
        typer.Option(
            "--store",
            help="Once valid, make it the store's playbook (used when neither --playbook "
            "nor ABS_PLAYBOOK is given).",
        ),
    ] = False,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            "-c",
            help="Workflow TOML file whose gate `require` items must exist in the playbook; "
            "default $ABS_CONFIG, then abs.toml beside the store.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Validate a playbook: a mistake refuses the whole file, naming its line (exit 3).

    The gates of the workflow configuration may only require items the playbook defines.

    Example: abs playbook check playbook.toml --store
    """
    from abs_cli.cli.workflow import workflow_config
    from abs_cli.enablement.playbook import check_gates, read_playbook_file, store_playbook

    state = get_state(ctx)
    loaded = read_playbook_file(path)
    check_gates(loaded.playbook, workflow_config(state, config))
    playbook = loaded.playbook
    summary = (
        f"{path}: {len(playbook.steps)} steps, {len(playbook.items())} checklist items, "
        f"{len(playbook.content())} content pieces: valid"
    )
    if store:
        with state.store().session(write=True) as session:
            store_playbook(session, loaded)
        summary += "; stored as the store's playbook"
    state.info(summary)


@app.command("show")
def show(
    ctx: typer.Context,
    step: Annotated[str, typer.Argument(help="Step id or number (1-7).")],
    playbook: PlaybookOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """One step of the playbook as a rep reads it: goal, checklist, questions, talk
    tracks, objections and content.

    Example: abs playbook show qualified
    """
    from abs_cli.enablement.content import content_rows
    from abs_cli.enablement.playbook import parse_step
    from abs_cli.render.enablement import step_view
    from abs_cli.render.output import render
    from abs_cli.values import now

    stage = parse_step(step)
    loaded = playbook_in_force(get_state(ctx), playbook)
    chosen = loaded.playbook.step(stage)
    render(
        step_view(chosen, content_rows(loaded.playbook, now().date(), stage), loaded.origin), output
    )
