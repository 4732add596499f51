"""A whole diagnosis of a simulated organisation, pseudonymised: schema, no real name anywhere, re-render."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from .test_render import body_of
from .test_schema import schema

pytestmark = pytest.mark.slow


def test_simulated_org_pseudonymised(tmp_path: Path) -> None:
    import jsonschema

    from miroir.cli.report import rerender
    from miroir.diagnose import diagnose
    from miroir.simulate import simulate

    data = tmp_path / "sim"
    simulate(data, lang="fr", seed=3, scale=0.3)
    res = diagnose(data, tmp_path / "out", lang="fr", pseudonymise=True, xlsx=True)
    doc = json.loads(res.findings_path.read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema(), cls=jsonschema.Draft202012Validator)
    ids = [f["id"] for f in doc["findings"]]
    assert ids == [f"f-{i:04d}" for i in range(1, len(ids) + 1)]
    assert (len(doc["optimizing_for"]) >= 1) == bool(ids)

    con = duckdb.connect(str(data / ".miroir" / "miroir.duckdb"), read_only=True)
    names = {r[0] for q in ("SELECT name FROM people", "SELECT DISTINCT owner FROM deals",
                            "SELECT DISTINCT account FROM deals", "SELECT DISTINCT speaker FROM utterances")
             for r in con.execute(q).fetchall() if r[0]}
    con.close()
    assert len(names) > 20
    html = body_of((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
    doc["dataset"]["path"] = ""
    for label, text in (("report.html", html), ("findings.json", json.dumps(doc, ensure_ascii=False))):
        left = [n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text)]
        assert left == [], f"{label} keeps real names: {left[:5]}"
    assert "Qu&#x27;est-ce que notre système optimise" in html

    rerender(tmp_path / "out", lang="en")
    html_en = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "What is our system optimising for" in html_en
    assert "pseudonymised" in html_en
