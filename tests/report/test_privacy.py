"""Redaction of e-mails, phone numbers and IBANs in free text."""

from __future__ import annotations

import pytest

from miroir.privacy import redact_pii, redact_pii_counted


@pytest.mark.parametrize(("text", "expected"), [
    ("write to jean.dupont@acme.fr today", "write to [e-mail] today"),
    ("Call 06 12 34 56 78.", "Call [phone]."),
    ("Call 01.23.45.67.89 or 0612345678", "Call [phone] or [phone]"),
    ("Call +33 6 12 34 56 78 please", "Call [phone] please"),
    ("London +44 20 7946 0958", "London [phone]"),
    ("US (415) 555-0100 or 415-555-0100", "US [phone] or [phone]"),
    ("IBAN FR76 3000 6000 0112 3456 7890 189 ok", "IBAN [IBAN] ok"),
    ("DE89370400440532013000", "[IBAN]"),
])
def test_redacts(text: str, expected: str) -> None:
    assert redact_pii(text) == expected


@pytest.mark.parametrize("text", [
    "deal of 120 000 € signed 2026-03-31 (31/03/2026), 1,250,000 USD",
    "25% discount, 0.12 ratio, 10 000 000 in pipe",
    "version 2.0.1, FY2026-Q1, deal D-0192, call at 10:30",
    "SIRET 123 456 789 00012",
])
def test_leaves_numbers_alone(text: str) -> None:
    assert redact_pii(text) == text


def test_counts_and_empty() -> None:
    out, n = redact_pii_counted("a@b.io, c@d.fr, 06 12 34 56 78")
    assert out == "[e-mail], [e-mail], [phone]"
    assert (n.emails, n.phones, n.ibans, n.total) == (2, 1, 0, 3)
    assert redact_pii(None) == "" and redact_pii("") == ""
