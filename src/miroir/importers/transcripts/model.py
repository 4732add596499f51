"""Records produced by the transcript parsers, and the turn builder they share."""

from __future__ import annotations

from dataclasses import dataclass, field

UNKNOWN_SPEAKER = "Unknown"


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker turn: consecutive speech by the same speaker label.

    ``speaker`` is the label as written in the file (stripped, inner
    whitespace collapsed), never empty: ``"Unknown"`` when the file gives none.
    ``start_s``/``end_s`` are seconds from the start of the recording, or None
    when the file gives no (usable) time.
    """

    speaker: str
    text: str
    start_s: float | None
    end_s: float | None


@dataclass(frozen=True)
class ParseWarning:
    """A non-fatal issue: the data was kept, as stated in ``message``."""

    line: int | None
    message: str


@dataclass
class WarningSink:
    """Collects warnings, keeping at most ``limit`` (then counts the rest)."""

    limit: int = 200
    items: list[ParseWarning] = field(default_factory=list)
    dropped: int = 0

    def add(self, line: int | None, message: str) -> None:
        if len(self.items) < self.limit:
            self.items.append(ParseWarning(line, message))
        else:
            self.dropped += 1

    def result(self) -> list[ParseWarning]:
        if self.dropped:
            return [*self.items, ParseWarning(None, f"{self.dropped} more warnings of the same kinds not listed")]
        return list(self.items)


def clean_label(label: str) -> str:
    """A speaker label as stored: stripped, inner whitespace collapsed."""
    return " ".join(label.split())


class TurnBuilder:
    """Accumulates cues into turns, merging consecutive cues of the same speaker.

    A merged turn keeps the first known start and the last known end. Cues
    with no text are ignored (there is nothing to keep).
    """

    __slots__ = ("turns", "_speaker", "_texts", "_start", "_end")

    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self._speaker: str | None = None
        self._texts: list[str] = []
        self._start: float | None = None
        self._end: float | None = None

    @property
    def speaker(self) -> str | None:
        return self._speaker

    def add(self, speaker: str, text: str, start: float | None, end: float | None) -> None:
        """Add a cue; ``speaker`` must already be cleaned and non-empty."""
        if speaker != self._speaker:
            self._flush()
            self._speaker = speaker
            self._start = start
            self._end = end
        else:
            if self._start is None:
                self._start = start
            if end is not None:
                self._end = end
        if text:
            self._texts.append(text)

    def extend(self, text: str) -> None:
        """Continue the current turn (caller ensures there is one)."""
        if text:
            self._texts.append(text)

    def _flush(self) -> None:
        if self._speaker is not None and self._texts:
            text = self._texts[0] if len(self._texts) == 1 else " ".join(self._texts)
            self.turns.append(Turn(self._speaker, text, self._start, self._end))
        self._speaker = None
        self._texts = []
        self._start = None
        self._end = None

    def finish(self) -> list[Turn]:
        self._flush()
        return self.turns
