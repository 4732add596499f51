"""``miroir annotate``: label utterances of a JSONL file (language engine)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from .common import console, out


def run_annotate(input_path: Path, output: Path, lang: str | None = None, jobs: int | None = None,
                 rules_only: bool = False) -> None:
    """The command body (also called directly by tests)."""
    from ..language.jsonl import annotate_file

    prog = Progress(
        TextColumn("[bold]annotate"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    )
    with prog:
        task = prog.add_task("annotate", total=None)

        def progress(done: int, total: int) -> None:
            prog.update(task, completed=done, total=total)

        summary = annotate_file(input_path, output, lang=lang, n_jobs=jobs, progress=progress, learned=not rules_only)
    langs = ", ".join(f"{k}: {v}" for k, v in sorted(summary.per_lang.items()))
    out.print(f"Annotated {summary.utterances} utterances ({summary.words} words; {langs or 'none'}) -> {output}",
              soft_wrap=True)
    if summary.per_label:
        top = sorted(summary.per_label.items(), key=lambda kv: (-kv[1], kv[0]))
        out.print("Labels: " + ", ".join(f"{k} {v}" for k, v in top), soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""

    @app.command()
    def annotate(
        input_path: Path = typer.Argument(..., metavar="INPUT.jsonl",
                                          help='Lines {"id", "text", "lang"?, "role"?, "context"?}.'),
        output: Path = typer.Option(..., "--out", help="Output JSONL: {id, lang, labels, spans} per line."),
        lang: str | None = typer.Option(None, "--lang", help="Language (fr|en) of lines without 'lang' "
                                                              "(default: detected per line)."),
        jobs: int | None = typer.Option(None, "--jobs", help="Worker processes (default: all cores)."),
        rules_only: bool = typer.Option(False, "--rules-only",
                                        help="The hand-written rules alone, without the learned layer: faster, "
                                             "less accurate (docs/language.md)."),
    ) -> None:
        """Label each utterance (question, hedge, pressure, budget...) with its evidence spans (FR/EN)."""
        run_annotate(input_path, output, lang=lang, jobs=jobs, rules_only=rules_only)
