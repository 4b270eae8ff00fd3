"""The command reference, generated from the help text.

    python -m abs_cli.cli.docs > docs/commands.md

Walks the Click command tree Typer builds and writes, for every command, its full path,
its help and a table of its arguments and options. The output depends on nothing but
the code (no terminal width, no colours), so a test can compare it with the committed file.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

REGENERATE = "python -m abs_cli.cli.docs > docs/commands.md"
HIDDEN_OPTIONS = frozenset({"--help", "--install-completion", "--show-completion"})


@dataclass(frozen=True)
class DocumentedCommand:
    """A command (or group) at its full path, e.g. `abs team add`."""

    path: str
    command: Any
    is_group: bool

    @property
    def help(self) -> str:
        return (self.command.help or "").strip()


def iter_commands(command: Any = None, path: str = "abs") -> Iterator[DocumentedCommand]:
    """Every visible command under `command` (default: the `abs` app), depth first,
    in the order `--help` lists them."""
    if command is None:
        import typer

        from abs_cli.cli.app import app

        command = typer.main.get_command(app)
    subcommands = getattr(command, "commands", None)
    yield DocumentedCommand(path, command, subcommands is not None)
    if subcommands is None:
        return
    context = _context(command)
    for name in command.list_commands(context):
        child = command.get_command(context, name)
        if not getattr(child, "hidden", False):
            yield from iter_commands(child, f"{path} {name}")


def _context(command: Any) -> Any:
    from typer.core import TyperGroup  # Typer's own Click, never imported by name

    context_class = TyperGroup.context_class
    return context_class(command, info_name=command.name)


def parameter_rows(command: Any) -> list[tuple[str, str, str, str]]:
    """(name, type, default, help) of each argument and option, as the reference shows them."""
    context = _context(command)
    rows = []
    for param in command.params:
        if getattr(param, "hidden", False):
            continue
        names = [*param.opts, *param.secondary_opts]
        if param.param_type_name == "argument":
            label = str(param.name).upper()
        else:
            if set(names) & HIDDEN_OPTIONS:
                continue
            label = ", ".join(names)
        rows.append(
            (label, _type_name(param, context), _default(param), _one_line(param_help(param)))
        )
    return rows


def param_help(param: Any) -> str:
    return (getattr(param, "help", None) or "").strip()


def _type_name(param: Any, context: Any) -> str:
    if getattr(param, "is_flag", False):
        return "flag"
    if hasattr(param, "display_type"):  # Typer ≥ 0.24 describes its own types
        label = str(param.display_type(context)).strip("<>").replace("|", "\\|")
        if label.endswith(" range"):
            label = label.removesuffix(" range") + _bounds(param)
        return label
    choices = getattr(param.type, "choices", None)
    if choices:
        return "\\|".join(str(getattr(choice, "value", choice)) for choice in choices)
    return str(param.type.name).lower()


def _bounds(param: Any) -> str:
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is not None and high is not None:
        return f" {low}–{high}"
    if low is not None:
        return f" ≥ {low}"
    return f" ≤ {high}" if high is not None else ""


def _default(param: Any) -> str:
    if param.required:
        return "required"
    default = param.default
    if default is None or callable(default) or (getattr(param, "is_flag", False) and not default):
        return ""
    if isinstance(default, Enum):
        default = default.value
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, (list, tuple)):
        return ", ".join(str(item) for item in default)
    return str(default)


def _default_cell(default: str) -> str:
    return default if default in ("", "required") else f"`{default}`"


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _help_markdown(text: str) -> list[str]:
    """Help paragraphs as Markdown; each `Example: abs ...` line becomes a code block."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("Example:") and line[len("Example:") :].strip():
            lines += ["Example:", "", "```", line[len("Example:") :].strip(), "```"]
        else:
            lines.append(line)
    return lines


def render_reference() -> str:
    """The whole `docs/commands.md`."""
    out = [
        "# Command reference",
        "",
        f"Generated from the help text by `{REGENERATE}`; do not edit by hand.",
        "",
    ]
    for entry in iter_commands():
        out += [f"## `{entry.path}`", ""]
        out += [*_help_markdown(entry.help), ""]
        if entry.is_group:
            children = [child.path for child in iter_commands(entry.command, entry.path)][1:]
            direct = [path for path in children if path.count(" ") == entry.path.count(" ") + 1]
            if direct:
                out += ["Commands: " + ", ".join(f"`{path}`" for path in direct), ""]
        rows = parameter_rows(entry.command)
        if rows:
            out += ["| Argument / option | Type | Default | Help |", "|---|---|---|---|"]
            out += [
                f"| `{name}` | {kind} | {_default_cell(default)} | {text} |"
                for name, kind, default, text in rows
            ]
            out.append("")
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def main() -> None:
    sys.stdout.write(render_reference())


if __name__ == "__main__":
    main()
