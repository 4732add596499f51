"""Bytes → text for transcript files.

Rules, in order:

1. UTF-32 / UTF-16 / UTF-8 byte-order mark → that encoding (invalid bytes are
   replaced by U+FFFD and reported as a warning).
2. No BOM but NUL bytes laid out like UTF-16 → UTF-16 LE/BE (warning).
3. Valid UTF-8 → UTF-8.
4. Otherwise Windows-1252 (the five bytes it leaves undefined map to the
   Latin-1 code point, as browsers do) — unless the file is mostly valid UTF-8
   with a few bad bytes, then UTF-8 with replacements (warning).

Line endings CRLF and CR become LF. A file with NUL bytes or many control
characters after decoding is rejected as binary.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from miroir.errors import ParseError

from .model import WarningSink

_CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    bad = err.object[err.start : err.end]
    return "".join(chr(b) for b in bad), err.end


codecs.register_error("miroir-cp1252", _cp1252_fallback)

# C0 controls except TAB, LF, FF, CR; plus DEL.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BINARY_SAMPLE = 65536


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def _decode_bom(data: bytes, encoding: str, skip: int, filename: str, sink: WarningSink) -> str:
    body = data[skip:]
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        sink.add(None, f"invalid {encoding.upper()} bytes (first at byte {exc.start + skip}) replaced by '\ufffd'")
        return body.decode(encoding, errors="replace")


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2]
    odd = sample[1::2]
    even_nul = even.count(0) / len(even)
    odd_nul = odd.count(0) / len(odd)
    if odd_nul > 0.4 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.4 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def decode_bytes(data: bytes, *, filename: str, sink: WarningSink) -> str:
    """Decode ``data`` and normalise line endings to LF."""
    if data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        enc = "utf-32-le" if data.startswith(codecs.BOM_UTF32_LE) else "utf-32-be"
        text = _decode_bom(data, enc, 4, filename, sink)
    elif data.startswith(codecs.BOM_UTF8):
        text = _decode_bom(data, "utf-8", 3, filename, sink)
    elif data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        enc = "utf-16-le" if data.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
        text = _decode_bom(data, enc, 2, filename, sink)
    elif b"\x00" in data[:4096] and (enc16 := _utf16_without_bom(data)) is not None:
        sink.add(None, f"no byte-order mark; decoded as {enc16.upper()} from the byte layout")
        text = data.decode(enc16, errors="replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = _decode_fallback(data, exc, sink)
    if "\x00" in text:
        pos = text.index("\x00")
        raise ParseError(
            "the file contains NUL characters: it is not a text transcript",
            "Export the transcript as WebVTT, SRT, plain text or JSON (UTF-8).",
            file=filename,
            line=text.count("\n", 0, pos) + 1,
        )
    sample = text[:_BINARY_SAMPLE]
    if sample and len(_CONTROL_RE.findall(sample)) > max(8, len(sample) // 100):
        raise ParseError(
            "the file is full of control characters: it looks binary, not a text transcript",
            "Export the transcript as WebVTT, SRT, plain text or JSON (UTF-8).",
            file=filename,
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _decode_fallback(data: bytes, exc: UnicodeDecodeError, sink: WarningSink) -> str:
    utf = data.decode("utf-8", errors="replace")
    bad = utf.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    multibyte_extra = len(data) - len(utf)  # bytes consumed by valid multi-byte characters (roughly)
    if bad > 0 and multibyte_extra >= 4 * bad:
        sink.add(
            _line_of(data, exc.start),
            f"not valid UTF-8 ({bad} bad byte sequence(s), first at byte {exc.start}); "
            "kept as UTF-8 with '\ufffd' in their place",
        )
        return utf
    return data.decode("cp1252", errors="miroir-cp1252")


def iter_lines(text: str) -> Iterator[str]:
    """Lines of LF-normalised ``text`` without building a list (bounded extra memory)."""
    pos = 0
    n = len(text)
    find = text.find
    while pos < n:
        j = find("\n", pos)
        if j < 0:
            yield text[pos:]
            return
        yield text[pos:j]
        pos = j + 1
