"""French/English language detection from function words (fast, no model)."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-zàâäçéèêëîïôöûùüÿœæ']+", re.I)
_ACCENT = re.compile(r"[éèçàêâîôûùœ]")

_FR = frozenset(
    ["le", "la", "les", "un", "une", "des", "du", "de", "et", "est", "pas", "que", "qui", "nous", "vous", "je", "tu", "il", "ils", "elle", "elles", "ce", "cette", "ces", "mais", "ou", "donc", "avec", "pour", "dans", "sur", "chez", "au", "aux", "en", "ne", "plus", "très", "bien", "oui", "non", "c'est", "j'ai", "qu'il", "d'accord", "alors", "voilà", "ça", "sont", "été", "être", "avoir", "fait", "faire", "leur", "leurs", "notre", "votre", "nos", "vos", "mon", "ma", "mes", "ton", "ta", "tes", "son", "sa", "ses", "quoi", "comment", "pourquoi", "quand", "sans", "merci", "madame", "monsieur", "jamais", "quelques", "aussi", "encore", "toujours", "rien", "tout", "tous", "toute", "peu", "beaucoup", "trop", "vraiment", "déjà", "après", "avant", "depuis", "pendant", "entre", "chose", "bon", "bonjour", "salut", "y", "ferai", "fais", "suis", "es", "ai", "as", "avons", "avez", "ont", "sommes", "êtes", "vais", "va", "vont", "j'y", "c'était"]
)
_EN = frozenset(
    ["the", "a", "an", "and", "is", "are", "was", "were", "not", "that", "which", "who", "we", "you", "i", "he", "she", "they", "it", "this", "these", "those", "but", "or", "so", "with", "for", "in", "at", "of", "to", "be", "been", "have", "has", "had", "do", "does", "did", "yes", "no", "what", "how", "why", "when", "where", "there", "their", "our", "your", "my", "his", "her", "its", "can", "will", "would", "should", "it's", "i'm", "don't", "we're", "they're", "okay", "ok", "just"]
)


def language_scores(text: str) -> tuple[int, int]:
    """(French evidence, English evidence): function words, plus French accents."""
    words = _WORD.findall(text.lower())
    fr = sum(1 for w in words if w in _FR) + len(_ACCENT.findall(text))
    en = sum(1 for w in words if w in _EN)
    return fr, en


def detect_language(text: str, default: str = "en") -> str:
    """Return ``"fr"`` or ``"en"``; ``default`` when the text gives no signal."""
    fr, en = language_scores(text)
    if fr == en:
        return default
    return "fr" if fr > en else "en"
