"""Shared CLI helpers: console, error handling, progress."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

console = Console(stderr=True, highlight=False)
out = Console(highlight=False)

STATE = {"debug": False}


@contextlib.contextmanager
def progress_steps(description: str) -> Iterator[Progress]:
    """A Rich progress display that shows only if the work takes > 1 s."""
    prog = Progress(
        SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    )
    with prog:
        prog.add_task(description, total=None)
        yield prog


def step_reporter(prog: Progress):  # type: ignore[no-untyped-def]
    task_ids = list(prog.task_ids)

    def say(msg: str) -> None:
        if task_ids:
            prog.update(task_ids[0], description=msg)

    return say
