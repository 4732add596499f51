"""Timestamps used by transcript formats, as seconds (float)."""

from __future__ import annotations

import re

# hh:mm:ss.fff, mm:ss.fff (WebVTT), hh:mm:ss,fff (SRT); fraction optional, '.' or ','.
# Digit counts are bounded so that no conversion can blow up on hostile input.
_TS = r"(?:(\d{1,9}):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,9}))?"
TIMING_RE = re.compile(rf"^\s*{_TS}\s*-->\s*{_TS}(?:[ \t]+.*)?\s*$")
# A line that is probably meant as a timing line even if it is broken.
TIMINGISH_RE = re.compile(r"^\s*[\d:.,]{0,20}\d[\d:.,]{0,20}\s*(?:-{1,3}>|→|–|—|-)\s*\S{0,20}\d")
# Plain-text clock: h:mm:ss(.fff) or mm:ss(.fff).
CLOCK = r"\d{1,3}:\d{1,2}(?::\d{1,2})?(?:[.,]\d{1,3})?"
_CLOCK_RE = re.compile(r"^(\d{1,3}):(\d{1,2})(?::(\d{1,2}))?(?:[.,](\d{1,3}))?$")


def _seconds(h: str | None, m: str, s: str, frac: str | None) -> float | None:
    hours = int(h) if h else 0
    minutes = int(m)
    secs = int(s)
    if secs >= 60 or (h is not None and minutes >= 60):
        return None
    value = hours * 3600 + minutes * 60 + secs
    if frac:
        return value + int(frac) / 10 ** len(frac)
    return float(value)


def parse_timing(line: str) -> tuple[float, float] | None:
    """``(start, end)`` of a cue timing line, or None when it does not parse."""
    m = TIMING_RE.match(line)
    if not m:
        return None
    g = m.groups()
    start = _seconds(g[0], g[1], g[2], g[3])
    end = _seconds(g[4], g[5], g[6], g[7])
    if start is None or end is None:
        return None
    return start, end


def parse_clock(text: str) -> float | None:
    """Seconds for ``h:mm:ss``/``mm:ss`` (optional fraction), None when invalid."""
    m = _CLOCK_RE.match(text.strip())
    if not m:
        return None
    a, b, c, frac = m.groups()
    if c is None:  # mm:ss
        return _seconds(None, a, b, frac)
    return _seconds(a, b, c, frac)
