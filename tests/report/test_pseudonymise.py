"""Pseudonymisation: stable pseudonyms, every real name gone from HTML, JSON and metric tables."""

from __future__ import annotations

import json
import re
import unicodedata

import pandas as pd
import pytest

from miroir.report.pseudonymise import build_pseudonymiser, pseudonymise_doc, pseudonymise_tables
from miroir.report.render import build_html

from .sample import ACCOUNTS, EVIL, PEOPLE, sample_doc, sample_store
from .test_render import body_of

# every word of every real name, accents and case folded
WORDS = sorted({w for n in PEOPLE + ACCOUNTS for w in re.findall(r"\w+", n) if len(w) >= 3} - {"script"})


def fold(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s.casefold()) if not unicodedata.combining(c))


def leaked(text: str) -> list[str]:
    t = fold(text)
    return [w for w in WORDS if re.search(rf"\b{re.escape(fold(w))}\b", t)]


def test_pseudonyms_by_hand() -> None:
    p = build_pseudonymiser(sample_store(), sample_doc())
    # reps sorted by folded name: jean dupont, lea rousseau, script alert x script evil, sophie bernard
    assert p.value("Jean Dupont") == "Rep 01"
    assert p.value("Léa Rousseau") == "Rep 02"
    assert p.value(EVIL) == "Rep 03"
    assert p.value("Sophie Bernard") == "Rep 04"
    assert p.value("Marie Curie") == "Manager 01"
    assert p.value("Paul Martin") == "Customer 001"
    assert p.value("Acme Industries") == "Account 001"
    assert p.value("Boulangerie Zéphyr") == "Account 002"
    assert p.value("JD") == "Rep 01"  # alias from the people table
    assert p.value("Sud") == "Sud"  # teams are kept
    assert p.text("JEAN DUPONT met marie curie at ACME industries") == "Rep 01 met Manager 01 at Account 001"
    assert p.text("Jean, Sophie: Boulangerie Zéphyr") == "Rep 01, Rep 04: Account 002"
    assert p.text("we will see, jean") == "we will see, jean"  # one lower-case word is not a name


def test_same_mapping_everywhere_and_stable() -> None:
    con = sample_store()
    a = build_pseudonymiser(con, sample_doc())
    b = build_pseudonymiser(con, None)
    assert a.mapping == b.mapping  # every name of the doc is in the store: the doc adds nothing
    doc = pseudonymise_doc(sample_doc(), con)
    assert pseudonymise_doc(sample_doc(), con) == doc
    f = next(f for f in doc["findings"] if f["kind"] == "forecast_bias")
    assert f["scope"] == {"level": "rep", "id": "Rep 01"}
    assert f["title"] == "Rep 01's calls are optimistic"
    assert f["params"]["title_fr"] == "Les annonces de Rep 01 sont optimistes"
    assert f["evidence"][0]["quote"] == "Account 001 will sign, Manager 01, I promise."
    assert doc["pseudonymised"] is True


def test_doc_only_names_get_numbers_after_the_store_ones() -> None:
    doc = sample_doc()
    doc["findings"][0]["evidence"].append(
        {"type": "utterance", "conversation_id": "C-9", "speaker": "Zoé Zed", "speaker_role": "rep", "quote": "hi"})
    p = build_pseudonymiser(sample_store(), doc)
    assert p.value("Zoé Zed") == "Rep 05" and p.value("Jean Dupont") == "Rep 01"
    p0 = build_pseudonymiser(None, doc)  # without a store: from the doc alone
    assert p0.value("Zoé Zed").startswith("Rep ")


def test_no_real_name_left_in_json_and_html() -> None:
    con = sample_store()
    doc = pseudonymise_doc(sample_doc(), con)
    # dataset.path is kept as is (a local folder, needed by `miroir report` to find the store)
    assert doc["dataset"]["path"] == "/data/acme"
    doc["dataset"]["path"] = ""
    text = json.dumps(doc, ensure_ascii=False)
    assert leaked(text) == []
    for lang in ("en", "fr"):
        body = body_of(build_html(sample_doc(), lang=lang, con=con, pseudonymise=True))
        assert leaked(body) == [], lang
        assert "Rep 01" in body and "Account 001" in body and "Manager 01" in body
        # rendering an already pseudonymised doc gives the same page
        assert body_of(build_html(doc, lang=lang, con=con)) == body


def test_metric_tables() -> None:
    con = sample_store()
    tables = {"metric_forecast_accuracy": con.execute("SELECT * FROM metric_forecast_accuracy").df(),
              "x": pd.DataFrame({"owner": ["Jean Dupont", "Léa Rousseau", None], "note": ["Jean said", "ok", "x"],
                                 "amount": [1.0, 2.0, 3.0]})}
    out = pseudonymise_tables(tables, con, sample_doc())
    assert out["x"]["owner"].tolist()[:2] == ["Rep 01", "Rep 02"] and out["x"]["owner"].isna().tolist()[2]
    assert out["x"]["note"].tolist() == ["Rep 01 said", "ok", "x"]
    assert out["x"]["amount"].tolist() == [1.0, 2.0, 3.0]
    assert set(out["metric_forecast_accuracy"]["owner"]) == {"Rep 01", "Sud", "Nord"}  # teams kept
    assert tables["x"]["owner"][0] == "Jean Dupont"  # input untouched
    for df in out.values():
        assert leaked(df.to_csv()) == []


@pytest.mark.parametrize("n", [1, 150])
def test_numbering_width(n: int) -> None:
    from miroir.store.schema import memory_store

    con = memory_store()
    con.executemany("INSERT INTO people (name, role) VALUES (?, 'rep')", [[f"Person Number{i:03d}"] for i in range(n)])
    p = build_pseudonymiser(con)
    assert p.value("Person Number000") == ("Rep 01" if n < 100 else "Rep 001")


def test_sector_words_of_accounts_are_kept() -> None:
    from miroir.store.schema import memory_store

    con = memory_store()
    con.executemany("INSERT INTO deals (deal_id, account) VALUES (?, ?)", [
        ("D1", "Assurances André"), ("D2", "Assurances Aubert"), ("D3", "Assurances Blanc"),
        ("D4", "Hôtels Dumas"), ("D5", "Hôtels Ferrand")])
    p = build_pseudonymiser(con)
    assert p.text("Les Assurances André et Aubert, chez Hôtels") == "Les Account 001 et Account 002, chez [name]"
