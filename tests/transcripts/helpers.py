"""Small helpers for transcript tests."""

from __future__ import annotations

from miroir.importers.transcripts import ParseWarning, Turn, parse_transcript_ex


def parse(text: str | bytes, name: str, fmt: str | None = None) -> tuple[list[Turn], list[ParseWarning]]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_transcript_ex(data, filename=name, fmt=fmt)


def triples(turns: list[Turn]) -> list[tuple[str, str, float | None, float | None]]:
    return [(t.speaker, t.text, t.start_s, t.end_s) for t in turns]
