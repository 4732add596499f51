from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from miroir.errors import MiroirError
from miroir.simulate.banks import Composer, load_bank, parse_bank

BANK_DIR = Path(__file__).resolve().parents[2] / "src" / "miroir" / "simulate" / "banks"


def test_parse_bank_sections_and_comments() -> None:
    b = parse_bank("# c\n[a]\nx {y}\n\n[slot:y]\none\ntwo\n")
    assert b == {"a": ["x {y}"], "slot:y": ["one", "two"]}
    with pytest.raises(MiroirError):
        parse_bank("orphan line\n[a]\nx\n")


def test_fr_and_en_banks_have_the_same_intents() -> None:
    fr, en = load_bank("fr"), load_bank("en")
    assert set(fr) == set(en)
    for name in fr:
        assert fr[name] and en[name], name


def test_rich_banks() -> None:
    for lang in ("fr", "en"):
        b = load_bank(lang)
        assert sum(len(v) for v in b.values()) >= 400
        for el in ("pain", "budget", "decision_maker", "decision_process", "decision_criteria", "timeline",
                   "competition"):
            assert len(b[f"ask_open_{el}"]) >= 3 and len(b[f"tell_{el}"]) >= 4


def test_every_slot_used_in_templates_is_known() -> None:
    ctx_slots = {"account", "deal", "first", "first2", "person", "amount", "amount2", "rep", "stage", "n", "pct",
                 "date"}
    for lang in ("fr", "en"):
        b = load_bank(lang)
        known = ctx_slots | {k[5:] for k in b if k.startswith("slot:")}
        for name, items in b.items():
            for t in items:
                for slot in re.findall(r"\{([a-z_0-9]+)\}", t):
                    assert slot in known, (lang, name, t)


def test_banks_are_independent_of_the_language_engine() -> None:
    """The simulator never reads the engine's lexicons (src/miroir/language/)."""
    src = (BANK_DIR.parent).glob("*.py")
    for f in src:
        assert "language" not in re.findall(r"from \.\.(\w+)", f.read_text(encoding="utf-8")), f


def test_fill_slots_elision_and_contractions() -> None:
    c = Composer("fr", np.random.default_rng(0))
    assert c.fill("Il me semble que ils signent, je transfère à le DAF", {}) == \
        "Il me semble qu'ils signent, je transfère au DAF"
    assert c.fill("{first} signe", {"first": "Zoé"}) == "Zoé signe"
    out = c.fill("{competitor}", {})
    assert out in load_bank("fr")["slot:competitor"]


def test_spoken_noise_keeps_slots_and_i() -> None:
    c = Composer("en", np.random.default_rng(3), disfluency=1.0)
    seen = {c.spoken("I think {title} signs") for _ in range(30)}
    assert all(s.count("{title}") == 1 for s in seen)
    assert any(s != "I think {title} signs" for s in seen)
    assert all(", I think" in s or s.startswith("I I") or "I think" in s for s in seen)
