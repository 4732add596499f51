"""PII in stored quotes: e-mails, phone numbers (FR and international) and IBANs are redacted by default;
``--keep-pii`` keeps them; business numbers (amounts, dates, ids, percentages) are never touched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from miroir.privacy import EMAIL_MARK, IBAN_MARK, PHONE_MARK, redact_pii

PII = [
    ("ann.lee@example.com", EMAIL_MARK),
    ("Jean.Dupont+crm@sub.example.co.uk", EMAIL_MARK),
    ("06 12 34 56 78", PHONE_MARK),
    ("06.12.34.56.78", PHONE_MARK),
    ("0612345678", PHONE_MARK),
    ("06-12-34-56-78", PHONE_MARK),
    ("+33 6 12 34 56 78", PHONE_MARK),
    ("+33 (0)6 12 34 56 78", PHONE_MARK),
    ("+33612345678", PHONE_MARK),
    ("0033 6 12 34 56 78", PHONE_MARK),
    ("+44 20 7946 0958", PHONE_MARK),
    ("+1 415-555-0100", PHONE_MARK),
    ("(415) 555-0100", PHONE_MARK),
    ("+49 (0)30 901820", PHONE_MARK),
    ("FR76 3000 6000 0112 3456 7890 189", IBAN_MARK),
    ("FR7630006000011234567890189", IBAN_MARK),
    ("DE89 3704 0044 0532 0130 00", IBAN_MARK),
    ("GB29 NWBK 6016 1331 9268 19", IBAN_MARK),
    ("BE68 5390 0754 7034", IBAN_MARK),
]
NOT_PII = [
    "budget de 120 000 € au 31/03/2026", "1,250,000 USD", "2026-03-31", "15 % de remise", "deal D-00123",
    "le 12/03 à 14:30", "SIRET 552 100 554 00025", "version 2.4.1", "Q3 2026", "0,5 %", "ref 2024-001-0042",
    "on signe 3 licences à 45 000 chacune", "call at 10:30, 2 pm or 16h", "opportunity 006000000000001AAA",
]


@pytest.mark.parametrize(("value", "mark"), PII)
def test_pii_redacted_inside_a_sentence(value: str, mark: str) -> None:
    text = f"Bon, note bien : {value}, et rappelle-moi demain."
    assert redact_pii(text) == f"Bon, note bien : {mark}, et rappelle-moi demain."


@pytest.mark.parametrize("text", NOT_PII)
def test_business_numbers_untouched(text: str) -> None:
    assert redact_pii(text) == text


@pytest.mark.parametrize("value", ["fr76 3000 6000 0112 3456 7890 189", "FR 76 3000 6000 0112 3456 7890 189",
                                   "FR76-3000-6000-0112-3456-7890-189"])
def test_iban_spelling_variants(value: str) -> None:
    assert redact_pii(f"IBAN {value} merci") == f"IBAN {IBAN_MARK} merci"


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "d"
    (d / "transcripts").mkdir(parents=True)
    (d / "deals.csv").write_text("deal_id,owner,amount,stage,created_at,close_date,status\n"
                                 "D1,Ann Lee,120000,S1,2026-01-01,2026-02-01,open\n")
    lines = [f"Ann Lee: tour {i}, c'est {v}, pour les 120 000 € du 31/03/2026" if i % 2 == 0 else
             f"Client: noté, {v}" for i, (v, _) in enumerate(PII)]
    (d / "transcripts" / "c.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (d / "conversations.csv").write_text("conversation_id,kind,started_at,file\n"
                                         "C1,customer_call,2026-01-02T10:00:00,transcripts/c.txt\n")
    return d


def _texts(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT text FROM utterances ORDER BY turn").fetchall()]
    finally:
        con.close()


def _ingest(d: Path, db: Path, *flags: str) -> None:
    r = subprocess.run([sys.executable, "-m", "miroir.cli.main", "ingest", str(d), "--db", str(db), *flags],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_store_redacts_by_default_and_keep_pii_opts_out(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    db = tmp_path / "s.duckdb"
    _ingest(d, db)
    texts = _texts(db)
    assert len(texts) == len(PII)
    for text, (value, mark) in zip(texts, PII, strict=True):
        assert value not in text and mark in text, text
        if text.startswith("tour"):
            assert "120 000 € du 31/03/2026" in text  # amounts and dates kept
    _ingest(d, db, "--keep-pii")  # a changed flag re-ingests: nothing stale is reused
    assert all(value in text for text, (value, _) in zip(_texts(db), PII, strict=True))
    _ingest(d, db)  # and back
    assert all(value not in text for text, (value, _) in zip(_texts(db), PII, strict=True))
