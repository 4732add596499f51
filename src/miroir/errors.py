"""Errors and data problems a user can act on.

Every problem names the file, the row and the column, says what was expected
and what to do. Nothing here ever formats a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


class MiroirError(Exception):
    """An error caused by the user's input or environment, with a remedy.

    The CLI prints ``str(err)`` and ``err.remedy`` and exits with ``exit_code``;
    it never shows a traceback unless ``--debug`` is given.
    """

    exit_code = 1

    def __init__(self, message: str, remedy: str = "", *, file: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy
        self.file = file

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"{where}{self.message}"


class UsageError(MiroirError):
    """Wrong command-line usage (exit code 2)."""

    exit_code = 2


class ParseError(MiroirError):
    """A file could not be parsed (e.g. a transcript in an unknown shape)."""

    def __init__(
        self,
        message: str,
        remedy: str = "",
        *,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message, remedy, file=file)
        self.line = line

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class Problem:
    """One data problem found while reading a dataset.

    ``severity == "error"`` means the row (or file) could not be used and is
    not in the store; ``"warning"`` means the row was kept as it is or with
    the stated fix. ``row`` is the 1-based data row (header excluded) or None
    for a whole-file problem.
    """

    severity: Severity
    file: str
    message: str
    expected: str = ""
    remedy: str = ""
    row: int | None = None
    column: str | None = None
    value: str | None = None
    table: str | None = None
    code: str = ""

    def location(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def render(self) -> str:
        text = f"{self.location()}: {self.message}"
        if self.value is not None:
            text += f" (found {self.value!r})"
        if self.expected:
            text += f"; expected {self.expected}"
        if self.remedy:
            text += f". {self.remedy}"
        return text


@dataclass
class ProblemList:
    """An ordered collection of problems, with helpers to add them."""

    items: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.items.append(problem)

    def error(self, file: str, message: str, **kw: object) -> None:
        self.items.append(Problem("error", file, message, **kw))  # type: ignore[arg-type]

    def warning(self, file: str, message: str, **kw: object) -> None:
        self.items.append(Problem("warning", file, message, **kw))  # type: ignore[arg-type]

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
