"""SubRip (.srt) transcripts: numbered cues with ``Name:`` prefixes."""

from __future__ import annotations

from collections.abc import Iterable

from .cues import parse_cues
from .model import Turn, WarningSink


def parse_srt(lines: Iterable[str], sink: WarningSink) -> list[Turn]:
    """Turns of an SRT file (see :mod:`.cues` for the rules)."""
    return parse_cues(lines, sink, fmt_name="SRT", skip_header=False).finish()
