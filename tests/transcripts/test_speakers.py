"""Speaker resolution against people."""

from __future__ import annotations

from miroir.importers.transcripts import SpeakerResolver

PEOPLE = [
    ("p1", "Hélène Durand", "Rep", "Helene D.; H. Durand"),
    ("p2", "Marc Lefèvre", "manager", None),
    (None, "Jean-Pierre Olivier", "director", ""),
    ("p4", "Sam Lee", "rep", "Samuel"),
    ("p5", "Samuel", "other", None),  # name of p5 beats p4's alias
    ("p6", "Sam Lee", "rep", None),  # duplicate name: first listed wins, recorded
]


def test_name_alias_case_accents_whitespace() -> None:
    r = SpeakerResolver(PEOPLE)
    assert r.resolve("Hélène Durand") == ("p1", "rep")
    assert r.resolve("  HELENE   durand ") == ("p1", "rep")
    assert r.resolve("helene d.") == ("p1", "rep")
    assert r.resolve("h. durand") == ("p1", "rep")
    assert r.resolve("marc lefevre") == ("p2", "manager")
    assert r.resolve("Jean Pierre Olivier") == ("Jean-Pierre Olivier", "director")


def test_company_suffix_and_last_first() -> None:
    r = SpeakerResolver(PEOPLE)
    assert r.resolve("Marc Lefèvre (Acme SA)") == ("p2", "manager")
    assert r.resolve("Marc Lefèvre - Acme") == ("p2", "manager")
    assert r.resolve("Lefevre, Marc") == ("p2", "manager")
    assert r.resolve("Lefèvre, Marc (Acme)") == ("p2", "manager")


def test_unknown_is_customer_and_conflicts_recorded() -> None:
    r = SpeakerResolver(PEOPLE)
    assert r.resolve("Paul Client") == (None, "customer")
    assert r.resolve("Unknown") == (None, "customer")
    assert r.resolve("Marc") == (None, "customer")  # no first-name guessing
    assert r.resolve("Samuel") == ("p5", "other")
    assert r.resolve("Sam Lee") == ("p4", "rep")
    assert r.ambiguous == {"samuel": ["p5", "p4"], "sam lee": ["p4", "p6"]}


def test_first_name_and_initial_as_meeting_tools_show_them() -> None:
    r = SpeakerResolver(PEOPLE + [("p7", "Émilie Thomas", "rep", None), ("p8", "Marc Lambert", "rep", None)])
    assert r.resolve("Émilie T.") == ("p7", "rep")
    assert r.resolve("E. Thomas") == ("p7", "rep")
    assert r.resolve("emilie t") == ("p7", "rep")
    assert r.resolve("Marc L.") == (None, "customer")  # Marc Lefèvre or Marc Lambert: nobody
    assert r.resolve("M. Lambert") == ("p8", "rep")
    assert r.resolve("Émilie") == (None, "customer")  # a first name alone never matches
    assert r.resolve("Émilie X.") == (None, "customer")
