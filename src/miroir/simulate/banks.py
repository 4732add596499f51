"""Phrase banks (data files under ``banks/``) and the utterance composer.

A bank file is a list of sections: ``[name]`` opens a section, every other
non-empty line is one template (``#`` starts a comment line). Sections named
``slot:X`` hold the values of slot ``{X}`` when the caller gives none.
The composer fills slots, adds disfluencies and fillers, and fixes French
elision (``que ils`` -> ``qu'ils``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from ..errors import MiroirError

_SLOT = re.compile(r"\{([a-z_0-9]+)\}")
_ELISION = re.compile(r"\b([Qq]ue|[Jj]e|[Dd]e) (?=(?:il|ils|elle|elles|on|un|une|en|est|a|avez|ai)\b)")


_CONTRACTIONS = {" à le ": " au ", " à les ": " aux ", " de le ": " du ", " de les ": " des "}
_CONTRACT = re.compile("|".join(re.escape(k) for k in _CONTRACTIONS), re.I)


def parse_bank(text: str, source: str = "<bank>") -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1].strip()
            current = sections.setdefault(name, [])
            continue
        if current is None:
            raise MiroirError(f"{source}:{lineno}: template outside any [section]",
                              "Start the file with a [section] line.")
        current.append(line)
    return sections


@lru_cache(maxsize=8)
def load_bank(name: str) -> dict[str, list[str]]:
    """Load ``banks/<name>.txt`` shipped with the package."""
    try:
        text = resources.files("miroir.simulate").joinpath("banks").joinpath(f"{name}.txt").read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise MiroirError(f"phrase bank {name!r} is missing", "Reinstall miroir.") from exc
    return parse_bank(text, f"banks/{name}.txt")


def _elide(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        w = m.group(1)
        return w[:-1] + "'"
    return _ELISION.sub(repl, text)


@dataclass
class Composer:
    """Fills templates of one language's bank with slot values and spoken-style noise."""

    lang: str
    rng: np.random.Generator
    disfluency: float = 0.14  # chance that a turn gets a filler or a repeated word
    bank: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.bank = load_bank(self.lang)

    def has(self, intent: str) -> bool:
        return bool(self.bank.get(intent))

    def pick(self, section: str) -> str:
        items = self.bank.get(section)
        if not items:
            raise KeyError(f"phrase bank {self.lang}: no section [{section}]")
        return items[int(self.rng.integers(len(items)))]

    def fill(self, template: str, ctx: dict[str, str]) -> str:
        def repl(m: re.Match[str]) -> str:
            key = m.group(1)
            if key in ctx:
                return ctx[key]
            if f"slot:{key}" in self.bank:
                return self.pick(f"slot:{key}")
            return m.group(0)
        # nested slots (a fact holding {title}) need two passes
        out = _SLOT.sub(repl, template)
        out = _SLOT.sub(repl, out)
        if self.lang == "fr":
            out = _CONTRACT.sub(lambda m: _CONTRACTIONS[m.group(0).lower()], _elide(out))
        return out

    def say(self, intent: str, ctx: dict[str, str] | None = None, *, noisy: bool = True) -> str:
        template = self.pick(intent)
        return self.fill(self.spoken(template) if noisy else _cap(template), ctx or {})

    def pair(self, intent: str, ctx: dict[str, str] | None = None) -> tuple[str, str]:
        """A two-turn exchange written as 'first || reply' in the bank."""
        first, _, reply = self.pick(intent).partition("||")
        c = ctx or {}
        return self.fill(self.spoken(first.strip()), c), self.fill(_cap(reply.strip() or "Ok."), c)

    def spoken(self, template: str) -> str:
        """Add a filler at the start or a repeated word, as people speak (on a template, before filling)."""
        r = self.rng.random()
        if r >= self.disfluency:
            return _cap(template)
        words = template.split(" ")
        if r < self.disfluency * 0.6 or len(words) < 4:
            first = words[0]
            if not _keep_case(first):
                words[0] = first[:1].lower() + first[1:]
            return _cap(f"{self.pick('filler')}, " + " ".join(words))
        i = int(self.rng.integers(1, min(4, len(words))))
        w = words[i]
        if w.isalpha() and len(w) <= 5 and w.islower():
            words.insert(i, w)  # "on on", "I I"
            return _cap(" ".join(words))
        first = words[0]
        if not _keep_case(first):
            words[0] = first[:1].lower() + first[1:]
        return _cap(f"{self.pick('filler')}, " + " ".join(words))


def _keep_case(word: str) -> bool:
    """Slots, acronyms and the English 'I' keep their case after a filler."""
    return (word.startswith("{") or word.split("'")[0] == "I" or (len(word) > 1 and word.isupper()))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
