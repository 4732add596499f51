"""Transcript parsers: WebVTT, SRT, plain text, JSON (utterances and Gong) → speaker turns.

Public API::

    parse_transcript(data, filename=..., fmt=None) -> list[Turn]
    parse_transcript_ex(...) -> (list[Turn], list[ParseWarning])
    parse_transcript_file(path, fmt=None, max_bytes=DEFAULT_MAX_BYTES) -> list[Turn]
    SpeakerResolver(people).resolve(label) -> (person_id | None, role)

Every parser raises only :class:`miroir.errors.ParseError` on bad input.
"""

from .model import UNKNOWN_SPEAKER, ParseWarning, Turn
from .parse import (
    DEFAULT_MAX_BYTES,
    parse_transcript,
    parse_transcript_ex,
    parse_transcript_file,
    parse_transcript_file_ex,
)
from .speakers import CUSTOMER_ROLE, SpeakerResolver, normalise_name

__all__ = [
    "CUSTOMER_ROLE",
    "DEFAULT_MAX_BYTES",
    "UNKNOWN_SPEAKER",
    "ParseWarning",
    "SpeakerResolver",
    "Turn",
    "normalise_name",
    "parse_transcript",
    "parse_transcript_ex",
    "parse_transcript_file",
    "parse_transcript_file_ex",
]
