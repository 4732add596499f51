"""WebVTT transcripts (Zoom, Microsoft Teams, Google Meet exports)."""

from __future__ import annotations

from collections.abc import Iterable

from .cues import parse_cues
from .model import Turn, WarningSink


def parse_vtt(lines: Iterable[str], sink: WarningSink) -> list[Turn]:
    """Turns of a WebVTT file (see :mod:`.cues` for the rules).

    A missing ``WEBVTT`` header line only gives a warning; ``NOTE``,
    ``STYLE`` and ``REGION`` blocks are skipped.
    """
    return parse_cues(lines, sink, fmt_name="WebVTT", skip_header=True).finish()
