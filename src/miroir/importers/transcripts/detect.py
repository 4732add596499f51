"""Choose a transcript format: explicit ``fmt``, else the file extension, else the content."""

from __future__ import annotations

import re
from pathlib import PurePath

from miroir.errors import ParseError

FORMATS = ("vtt", "srt", "txt", "json")
_ALIASES = {
    "vtt": "vtt", "webvtt": "vtt", "srt": "srt", "subrip": "srt", "txt": "txt", "text": "txt",
    "plain": "txt", "json": "json",
}
_EXTENSIONS = {".vtt": "vtt", ".webvtt": "vtt", ".srt": "srt", ".txt": "txt", ".text": "txt", ".json": "json"}
_SRT_HEAD_RE = re.compile(r"^\s*\d+\s*\n\s*\d[\d:.,]*\s*-->")


def normalise_fmt(fmt: str, filename: str) -> str:
    key = fmt.strip().lower().lstrip(".")
    if key not in _ALIASES:
        raise ParseError(
            f"unknown transcript format {fmt!r}",
            f"Use one of: {', '.join(FORMATS)}.",
            file=filename,
        )
    return _ALIASES[key]


def format_from_extension(name: str) -> str | None:
    """The format a file name's extension implies, if any."""
    return _EXTENSIONS.get(PurePath(name).suffix.lower())


def sniff(head: str) -> str:
    """Format from the first few kilobytes of decoded text."""
    stripped = head.lstrip("\ufeff \t\n")
    if stripped.startswith("WEBVTT"):
        return "vtt"
    if stripped.startswith("{"):
        return "json"
    if stripped.startswith("[") and stripped[1:].lstrip()[:1] in ("{", "]", ""):
        return "json"
    if _SRT_HEAD_RE.match(stripped):
        return "srt"
    lines = stripped.split("\n", 12)[:12]
    if any("-->" in line for line in lines):
        return "vtt"
    return "txt"


def detect_format(head: str, filename: str, fmt: str | None) -> str:
    """The format to parse with. A ``.txt`` file that starts with ``WEBVTT``
    is read as WebVTT (a common mis-named export)."""
    if fmt is not None:
        return normalise_fmt(fmt, filename)
    by_ext = format_from_extension(filename)
    if by_ext is None:
        return sniff(head)
    if by_ext == "txt" and head.lstrip("\ufeff \t\n").startswith("WEBVTT"):
        return "vtt"
    return by_ext
