"""French/English language detection from function words (fast, no model)."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-zàâäçéèêëîïôöûùüÿœæ']+", re.I)

_FR = frozenset(
    "le la les un une des du de et est pas que qui on nous vous je tu il ils elle elles "
    "ce cette ces mais ou donc avec pour dans sur chez au aux en ne plus très bien oui non "
    "c'est j'ai qu'il d'accord alors voilà ça sont été être avoir fait faire leur leurs "
    "notre votre nos vos mon ma mes ton ta tes son sa ses quoi comment pourquoi quand".split()
)
_EN = frozenset(
    "the a an and is are was were not that which who we you i he she they it this these "
    "those but or so with for in on at of to be been have has had do does did yes no "
    "what how why when where there their our your my his her its can will would should "
    "it's i'm don't we're they're okay ok just".split()
)


def language_scores(text: str) -> tuple[int, int]:
    fr = en = 0
    for w in _WORD.findall(text.lower()):
        if w in _FR:
            fr += 1
        if w in _EN:
            en += 1
        if "é" in w or "è" in w or "ç" in w or "à" in w or "ê" in w:
            fr += 1
    return fr, en


def detect_language(text: str, default: str = "en") -> str:
    """Return ``"fr"`` or ``"en"``; ``default`` when the text gives no signal."""
    fr, en = language_scores(text)
    if fr == en:
        return default
    return "fr" if fr > en else "en"
