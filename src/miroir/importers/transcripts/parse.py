"""Entry points: bytes or a file → speaker turns."""

from __future__ import annotations

from pathlib import Path

from miroir.errors import ParseError

from .decode import decode_bytes, iter_lines
from .detect import detect_format, format_from_extension
from .jsonfmt import parse_json
from .model import ParseWarning, Turn, WarningSink
from .srt import parse_srt
from .text import parse_text
from .vtt import parse_vtt

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
"""Largest transcript file read (512 MiB ≈ several million turns)."""

_EMPTY_REMEDY = (
    "Check that the file holds the transcript itself with speaker labels "
    "(e.g. 'Name: text' lines, WebVTT cues or JSON utterances), not an empty export."
)
_NAMES = {"vtt": "WebVTT", "srt": "SRT", "txt": "plain-text", "json": "JSON"}


def _parse_unguarded(data: bytes, *, filename: str, fmt: str | None) -> tuple[list[Turn], list[ParseWarning]]:
    sink = WarningSink()
    text = decode_bytes(data, filename=filename, sink=sink)
    kind = detect_format(text[:4096], filename, fmt)
    if kind == "json":
        turns = parse_json(text, filename=filename, sink=sink)
    else:
        lines = iter_lines(text)
        if kind == "vtt":
            turns = parse_vtt(lines, sink)
        elif kind == "srt":
            turns = parse_srt(lines, sink)
        else:
            turns = parse_text(lines, sink)
    if not turns:
        raise ParseError(
            "transcript has no speaker turns",
            _EMPTY_REMEDY + f" (read as {_NAMES[kind]})",
            file=filename,
        )
    return turns, sink.result()


def parse_transcript_ex(
    data: bytes, *, filename: str, fmt: str | None = None
) -> tuple[list[Turn], list[ParseWarning]]:
    """Turns and non-fatal warnings. Raises only :class:`ParseError`."""
    try:
        return _parse_unguarded(data, filename=filename, fmt=fmt)
    except ParseError:
        raise
    except MemoryError:
        raise ParseError(
            "not enough memory to read this transcript",
            f"Split the file (about {_size(len(data))}) into smaller transcripts, or use a machine with more memory.",
            file=filename,
        ) from None
    except RecursionError:
        raise ParseError("the file is too deeply nested to read", "Check the export.", file=filename) from None
    except Exception as exc:  # a parser bug must not crash an ingest: report it on this file
        raise ParseError(
            f"internal error while reading this transcript ({type(exc).__name__}: {str(exc)[:200]})",
            "Please report this as a miroir bug, attaching the file if you can.",
            file=filename,
        ) from exc


def parse_transcript(data: bytes, *, filename: str, fmt: str | None = None) -> list[Turn]:
    """Speaker turns of a transcript file's bytes.

    ``fmt`` is ``"vtt"``, ``"srt"``, ``"txt"``, ``"json"`` or None (from the
    extension of ``filename``, else sniffed from the content). Raises
    :class:`~miroir.errors.ParseError` for unusable input, including a
    transcript without any turn, and never any other exception.
    """
    return parse_transcript_ex(data, filename=filename, fmt=fmt)[0]


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def read_transcript_bytes(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, filename: str | None = None) -> bytes:
    name = filename or str(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise ParseError("transcript file not found", "Check the path in conversations.file.", file=name) from None
    except IsADirectoryError:
        raise ParseError("transcript path is a folder, not a file", "Point conversations.file at a file.",
                         file=name) from None
    except OSError as exc:
        raise ParseError(f"cannot read the transcript file ({exc.strerror or exc})",
                         "Check the file's permissions.", file=name) from None
    if len(data) > max_bytes:
        raise ParseError(
            f"transcript file larger than {_size(max_bytes)}",
            "Split the transcript, or raise the limit if the machine has the memory.",
            file=name,
        )
    return data


def parse_transcript_file_ex(
    path: Path, *, fmt: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES, filename: str | None = None
) -> tuple[list[Turn], list[ParseWarning]]:
    """Like :func:`parse_transcript_ex` on a file; ``filename`` names it in messages (default: the path)."""
    name = filename or str(path)
    data = read_transcript_bytes(path, max_bytes=max_bytes, filename=name)
    if fmt is None and format_from_extension(name) is None:
        fmt = format_from_extension(path.name)  # a display name without extension: use the real one
    return parse_transcript_ex(data, filename=name, fmt=fmt)


def parse_transcript_file(
    path: Path, *, fmt: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES, filename: str | None = None
) -> list[Turn]:
    """Speaker turns of a transcript file (see :func:`parse_transcript`)."""
    return parse_transcript_file_ex(path, fmt=fmt, max_bytes=max_bytes, filename=filename)[0]
