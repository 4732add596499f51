"""Map transcript speaker labels to people.

Matching is case-, accent- and whitespace-insensitive, on each person's name
and on their ``;``-separated aliases. A label that does not match as written
is tried again without a trailing ``(Company)`` / ``[Company]`` /
``- Company`` / ``| Company`` part, and with ``Last, First`` turned into
``First Last``. Meeting tools often show ``First L.`` or ``F. Last``: such a
label matches the one person whose name has that first name and last initial
(or first initial and last name); when several do, it matches nobody (a bare
first name never matches). When two people share a normalised name, the first
one listed wins and the label is recorded in :attr:`SpeakerResolver.ambiguous`.
Anyone not found is on the customer side: ``(None, "customer")``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

CUSTOMER_ROLE = "customer"
_PUNCT_RE = re.compile(r"[.\u2019'`´_]+")
_SUFFIX_RES = (
    re.compile(r"^(.+?)\s*[(\[][^()\[\]]*[)\]]\s*$"),
    re.compile(r"^(.+?)\s+[-–—|/@]\s+.+$"),
)


def normalise_name(text: str) -> str:
    """Case-folded, accent-free, whitespace-collapsed form used for matching."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = _PUNCT_RE.sub(" ", stripped.replace("-", " "))
    return " ".join(stripped.casefold().split())


def _variants(label: str) -> list[str]:
    """Label forms to try, most literal first."""
    out = [label]
    for rx in _SUFFIX_RES:
        m = rx.match(label)
        if m and m.group(1).strip():
            out.append(m.group(1).strip())
    for form in list(out):
        if form.count(",") == 1:
            last, first = (p.strip() for p in form.split(","))
            if last and first:
                out.append(f"{first} {last}")
    return out


class SpeakerResolver:
    """Resolve speaker labels to ``(person_id, role)``."""

    def __init__(self, people: Iterable[tuple[str | None, str, str, str | None]]) -> None:
        self._index: dict[str, tuple[str, str]] = {}
        self.ambiguous: dict[str, list[str]] = {}
        self._cache: dict[str, tuple[str | None, str]] = {}
        # "first l" / "f last" forms of each name -> the people they fit (unique ones are used)
        self._initials: dict[str, set[tuple[str, str]]] = {}
        aliases_later: list[tuple[str, tuple[str, str]]] = []
        for person_id, name, role, aliases in people:
            name = name or ""
            pid = (person_id or "").strip() or name.strip()
            if not pid:
                continue
            entry = (pid, (role or "").strip().lower() or "other")
            self._register(name, entry)
            words = normalise_name(name).split()
            if len(words) >= 2:
                for form in (f"{words[0]} {words[-1][0]}", f"{words[0][0]} {words[-1]}"):
                    self._initials.setdefault(form, set()).add(entry)
            for alias in (aliases or "").split(";"):
                if alias.strip():
                    aliases_later.append((alias, entry))
        # Names win over other people's aliases.
        for alias, entry in aliases_later:
            self._register(alias, entry)

    def _register(self, label: str, entry: tuple[str, str]) -> None:
        key = normalise_name(label)
        if not key:
            return
        current = self._index.get(key)
        if current is None:
            self._index[key] = entry
        elif current[0] != entry[0]:
            ids = self.ambiguous.setdefault(key, [current[0]])
            if entry[0] not in ids:
                ids.append(entry[0])

    def resolve(self, speaker: str) -> tuple[str | None, str]:
        """``(person_id, role)``; unknown speakers are ``(None, "customer")``."""
        hit = self._cache.get(speaker)
        if hit is not None:
            return hit
        result: tuple[str | None, str] = (None, CUSTOMER_ROLE)
        forms = [normalise_name(form) for form in _variants(speaker)]
        for key in forms:
            entry = self._index.get(key)
            if entry is not None:
                result = entry
                break
        else:
            for key in forms:
                words = key.split()
                if len(words) == 2 and min(len(w) for w in words) == 1:  # "emilie t" / "e thomas"
                    fits = self._initials.get(key, set())
                    if len(fits) == 1:
                        result = next(iter(fits))
                        break
        if len(self._cache) < 100_000:
            self._cache[speaker] = result
        return result
