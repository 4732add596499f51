"""UI strings and number formatting for the report, in English and French.

The strings live in ``assets/strings.json`` and ``assets/kinds.json`` (one
dict per language, the same keys in both: a test checks it).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ..errors import UsageError

LANGS = ("en", "fr")
NNBSP = "\u202f"  # French thousands separator (narrow no-break space)


@cache
def _load(name: str) -> dict[str, dict[str, str]]:
    text = resources.files("miroir.report").joinpath("assets", name).read_text(encoding="utf-8")
    data: dict[str, dict[str, str]] = json.loads(text)
    return data


def strings(lang: str) -> dict[str, str]:
    return _load("strings.json")[lang]


def kind_labels(lang: str) -> dict[str, str]:
    return _load("kinds.json")[lang]


@dataclass(frozen=True)
class Texts:
    lang: str

    def __post_init__(self) -> None:
        if self.lang not in LANGS:
            raise UsageError(f"unknown report language {self.lang!r}", "Use --lang fr or --lang en.")

    def __call__(self, key: str, **kw: Any) -> str:
        s = strings(self.lang).get(key) or strings("en").get(key) or key
        return s.format(**kw) if kw else s

    def kind(self, kind: str) -> str:
        return kind_labels(self.lang).get(kind) or kind.replace("_", " ").capitalize()

    def lens(self, lens: str) -> str:
        return strings(self.lang).get(f"lens_{lens}") or lens.replace("_", " ").capitalize()

    def level(self, level: str) -> str:
        return strings(self.lang).get(f"level_{level}", level)

    def role(self, role: str | None) -> str:
        if not role:
            return "?"
        return strings(self.lang).get(f"role_{role}", role)

    # -- numbers -----------------------------------------------------------
    def num(self, v: float | int | None, digits: int | None = None) -> str:
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return "–"
        x = float(v)
        if digits is None:
            a = abs(x)
            digits = 0 if a >= 100 or x == int(x) else 1 if a >= 10 else 2 if a >= 0.1 else 3
        s = f"{x:,.{digits}f}"
        if self.lang == "fr":
            s = s.replace(",", NNBSP).replace(".", ",")
        return s.replace("-", "−") if x < 0 else s

    def pct(self, v: float | None, digits: int = 0) -> str:
        if v is None or not math.isfinite(v):
            return "–"
        s = self.num(100 * v, digits)
        return f"{s}{NNBSP}%" if self.lang == "fr" else f"{s}%"

    def value(self, v: float | None, unit: str = "") -> str:
        """A metric value with its unit ("share"/"ratio" in [0, 1] shown as a percentage)."""
        if v is None:
            return "–"
        u = (unit or "").strip()
        if u in ("share", "rate", "fraction", "proportion"):
            return self.pct(v, 1 if abs(v) < 0.1 else 0)
        if u in ("%", "pct", "percent"):
            return f"{self.num(v)}{NNBSP if self.lang == 'fr' else ''}%"
        s = self.num(v)
        return f"{s} {u}" if u else s

    def date(self, v: Any) -> str:
        if v is None or v == "":
            return "–"
        if isinstance(v, dt.datetime | dt.date):
            d = v
        else:
            try:
                d = dt.datetime.fromisoformat(str(v).replace("Z", "+00:00"))
            except ValueError:
                return str(v)
        if isinstance(d, dt.datetime) and (d.hour or d.minute):
            return d.strftime("%d/%m/%Y %H:%M" if self.lang == "fr" else "%Y-%m-%d %H:%M")
        return d.strftime("%d/%m/%Y" if self.lang == "fr" else "%Y-%m-%d")

    @staticmethod
    def clock(seconds: float | None) -> str:
        if seconds is None or not math.isfinite(seconds):
            return "–"
        s = int(seconds)
        h, rem = divmod(s, 3600)
        m, sec = divmod(rem, 60)
        return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
