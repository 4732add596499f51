"""Redaction of personal contact data in free text (quotes, notes).

``redact_pii`` replaces e-mail addresses, phone numbers (French, international
``+`` numbers, North-American) and IBAN-like strings by a bracketed marker.
It is used by the report (always on) and by the ingest (unless ``--keep-pii``).

The patterns are deliberately conservative about numbers: amounts
("120 000 €", "1,250,000"), dates ("2026-03-31", "31/03/2026"), times and
percentages are left alone; a phone number needs a recognisable shape
(``0X XX XX XX XX``, ``+CC ...``, ``(555) 123-4567``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL_MARK = "[e-mail]"
PHONE_MARK = "[phone]"
IBAN_MARK = "[IBAN]"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")

# IBAN: 2 letters, 2 check digits, then 11-30 alphanumerics, optionally in groups of 4.
# Case-insensitive; groups may be separated by a space or a hyphen, also after the country code.
_IBAN = re.compile(r"\b[A-Z]{2}[ \-]?\d{2}(?:[ \-]?[A-Z0-9]{4}){2,7}(?:[ \-]?[A-Z0-9]{1,4})?\b", re.I)

_SEP = r"[ .\-\u00a0]?"
_PHONE = re.compile(
    "|".join(
        [
            # international: +33 6 12 34 56 78, +44 20 7946 0958, +1 415-555-0100, +33 (0)6 12 34 56 78
            r"(?<![\w+])\+\d{1,3}" + _SEP + r"(?:\(0\)" + _SEP + r")?\(?\d{1,4}\)?(?:" + _SEP + r"\d{2,4}){2,5}(?!\w)",
            # 00 33 6 12 34 56 78
            r"(?<!\w)00" + _SEP + r"\d{1,3}" + _SEP + r"\d{1,4}(?:" + _SEP + r"\d{2,4}){2,5}(?!\w)",
            # French national: 06 12 34 56 78, 01.23.45.67.89, 0612345678
            r"(?<![\w.,])0[1-9](?:" + _SEP + r"\d{2}){4}(?![\w]|[.,]\d)",
            # North American: (415) 555-0100, 415-555-0100, 415.555.0100
            r"(?<!\w)(?:\(\d{3}\)\s?|\d{3}[-.])\d{3}[-.]\d{4}(?!\w)",
        ]
    )
)


@dataclass(frozen=True)
class RedactionCount:
    emails: int = 0
    phones: int = 0
    ibans: int = 0

    @property
    def total(self) -> int:
        return self.emails + self.phones + self.ibans


def redact_pii_counted(text: str) -> tuple[str, RedactionCount]:
    """Redact and say how many of each kind were replaced."""
    if not text:
        return text, RedactionCount()
    text, n_mail = _EMAIL.subn(EMAIL_MARK, text)
    text, n_iban = _IBAN.subn(_iban_sub, text)
    n_iban = text.count(IBAN_MARK) if n_iban else 0
    text, n_phone = _PHONE.subn(PHONE_MARK, text)
    return text, RedactionCount(n_mail, n_phone, n_iban)


def _iban_sub(m: re.Match[str]) -> str:
    compact = m.group(0).replace(" ", "").replace("-", "")
    # a real IBAN is 15..34 characters long and has digits after the check digits
    if 15 <= len(compact) <= 34 and sum(c.isdigit() for c in compact[4:]) >= 4:
        return IBAN_MARK
    return m.group(0)


def redact_pii(text: str | None) -> str:
    """``text`` with e-mails, phone numbers and IBAN-like strings replaced by markers."""
    if not text:
        return text or ""
    return redact_pii_counted(text)[0]
