"""report.html from a sample diagnosis: languages, escaping, redaction, symptoms, sections."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from miroir.report.i18n import kind_labels, strings
from miroir.report.render import build_html, render_report

from .sample import EVIL, sample_doc, sample_store


def body_of(html: str) -> str:
    """The page without the vendored Plotly bundle (which is third-party code)."""
    start = html.index("<body>")
    i = html.find("plotly.js v")
    if i < 0:
        return html[start:]
    j = html.rfind("<script", 0, i)
    k = html.index("</script>", i)
    return html[start:j] + html[k:]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    con = sample_store()
    doc = sample_doc()
    out = {}
    for lang in ("en", "fr"):
        path = render_report(doc, tmp_path_factory.mktemp(lang), lang=lang, con=con)
        assert path.name == "report.html"
        out[lang] = path.read_text(encoding="utf-8")
    return out


def test_strings_have_the_same_keys_in_both_languages() -> None:
    assert set(strings("en")) == set(strings("fr"))
    assert set(kind_labels("en")) == set(kind_labels("fr"))


def test_first_screen_question_and_statements(pages: dict[str, str]) -> None:
    en, fr = pages["en"], pages["fr"]
    assert "What is our system optimising for, without our being aware of it?" in en
    assert "Qu&#x27;est-ce que notre système optimise, sans que nous en soyons conscients ?" in fr
    assert '<html lang="en">' in en and '<html lang="fr">' in fr
    doc = sample_doc()
    for o in doc["optimizing_for"]:
        assert o["statement"] in en.replace("&#x27;", "'")
        assert o["statement_fr"] in fr.replace("&#x27;", "'")
        for fid in o["finding_ids"]:
            assert f'href="#{fid}"' in en
    # the first screen comes before the first lens section
    assert en.index("Closing inside the period") < en.index('id="lens-')


def test_findings_in_the_right_language(pages: dict[str, str]) -> None:
    en, fr = pages["en"], pages["fr"]
    assert "Discounts deepen in the last two weeks of the quarter" in en
    assert "Les remises se creusent dans les deux dernières semaines" in fr
    assert "Les remises se creusent" not in en
    # a finding without French text falls back on English
    assert "Won value bunches at quarter end" in fr
    # numbers: effect, interval, n, confidence
    assert "1,200,000 EUR" in en  # value at stake, currency from the deals
    assert "5.80 pts" in en and "[3.10 pts, 8.40 pts]" in en and "<b>214</b>" in en and "97%" in en
    assert "5,80 pts" in fr and "97\u202f%" in fr
    assert "Which discounts would we have granted" in en
    assert "Quelles remises aurions-nous accordées" in fr


def test_every_finding_has_an_anchor_and_evidence(pages: dict[str, str]) -> None:
    body = body_of(pages["en"])
    for f in sample_doc()["findings"]:
        m = re.search(rf'<article class="finding" id="{f["id"]}">(.*?)</article>', body, re.S)
        assert m, f["id"]
        assert '<details class="evidence">' in m.group(1)
        assert f"Evidence ({len(f['evidence'])})" in m.group(1)


def test_evidence_drill_down_content(pages: dict[str, str]) -> None:
    body = body_of(pages["en"])
    block = re.search(r'id="f-0001">(.*?)</article>', body, re.S).group(1)  # type: ignore[union-attr]
    assert "discount_pct" in block and "5 → 18" in block and "2026-03-29 17:02" in block
    assert "role: customer" in block and "time 13:32" in block and "conversation C-0311" in block
    assert "customer_call" in block  # conversation details read from the store
    assert "Acme Industries - renewal 2026" in block  # deal details from the store
    # evidence is capped: late_period_concentration has 29 deals, 15 shown
    block2 = re.search(r'id="f-0002">(.*?)</article>', body, re.S).group(1)  # type: ignore[union-attr]
    assert block2.count("<tr>") == 15 and "14 more items in findings.json" in block2


def test_quotes_are_always_redacted(pages: dict[str, str]) -> None:
    for html in pages.values():
        assert "06 12 34 56 78" not in html
        assert "paul.martin@acme-industries.fr" not in html
        assert "FR76 3000" not in html
        assert "[phone]" in html and "[e-mail]" in html and "[IBAN]" in html


def test_script_names_are_escaped(pages: dict[str, str]) -> None:
    body = body_of(pages["en"])
    assert EVIL not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Evil" in body
    assert "&lt;b&gt;Let me&lt;/b&gt;" in body
    # the only <script> tags are ours: the Plotly bundle, chart data, PlotlyConfig, and the page script
    tags = re.findall(r"<script[^>]*>", body)
    assert tags and all(t == "<script>" or t.startswith('<script type="application/json" id="spec-chart-')
                        for t in tags)


def test_chart_specs_cannot_break_out_of_their_script() -> None:
    doc = sample_doc()
    doc["findings"][0]["title"] = "</script><script>alert(1)</script>"
    html = build_html(doc, lang="en")
    for spec in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        json.loads(spec)
        assert "<" not in spec


def test_self_contained(pages: dict[str, str]) -> None:
    html = pages["en"]
    assert html.count("plotly.js v") == 1  # bundle inlined once
    assert '<script type="text/x-plotly-bundle" id="plotly-bundle">/**' in html
    body = body_of(html)
    assert not re.search(r'(src|href|action)\s*=\s*"(?!#)', body)  # no external (nor relative) resource
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_lens_sections_methods_and_not_assessed(pages: dict[str, str]) -> None:
    en = pages["en"]
    for lens_title in ("Forecast reliability", "Incentive effects", "Pressure", "Assumptions and clarification"):
        assert f"Lens: {lens_title}" in en
    assert "Discount regressed on position in period, OLS with HC1 errors." in en  # what was measured
    assert "<code>window_days</code>" in en  # methods appendix params
    assert "What could not be assessed, and why" in en
    assert "no data in conversations of kind pipeline_review" in en  # skipped
    assert "ValueError: boom" in en  # failed lens
    assert "12 commits, need 30" in en  # observation
    assert "close date before creation date" in en and "bad_number" in en  # data quality from the store
    assert "Annexe méthodologique" in pages["fr"]


def test_symptoms_from_metric_tables(pages: dict[str, str]) -> None:
    en = pages["en"]
    first = en[en.index('<section class="first"'):en.index("</section>")]
    # team commit calls at mid-period: Q1 1 - (10 + 20) / 200 = 85%, Q2 1 - (50 + 0) / 200 = 75%
    assert "Forecast accuracy" in first and "<div class=\"value\">75%</div>" in first
    # won value per period 100, 300, 100, 300: sample sd / mean = 115.47 / 200
    assert "<div class=\"value\">0.58</div>" in first
    # slipped / expected summed over owners: Q2 (8 + 4) / (10 + 30) = 30% (not the 47% mean of rates)
    assert "Slippage" in first and "<div class=\"value\">30%</div>" in first
    assert "Recurring deals in reviews" in first and '<div class="value">2</div>' in first


def test_symptom_values_by_hand() -> None:
    from miroir.report.symptoms import read_symptoms

    con = sample_store()
    got = {s.key: s for s in read_symptoms(con, {"forecast": {"primary_snapshot": "mid", "call_category": "commit"}})}
    assert got["sym_forecast_accuracy"].series == [("2025-Q1", pytest.approx(0.85)), ("2025-Q2", pytest.approx(0.75))]
    assert got["sym_irregularity"].value == pytest.approx((4 * 100**2 / 3) ** 0.5 / 200)
    assert got["sym_slippage"].series == [("2025-Q1", pytest.approx(5 / 40)), ("2025-Q2", pytest.approx(12 / 40))]
    assert got["sym_recurring"].value == 2
    # without lens tables: irregularity from won deals, slippage as close-date pushes from deal_changes
    for t in ("metric_forecast_accuracy", "metric_forecast_concentration", "metric_pipeline_slippage",
              "metric_meetings_recurring_per_deal"):
        con.execute(f"DROP TABLE {t}")
    con.executemany("INSERT INTO deal_changes (deal_id, changed_at, field, old_value, new_value) VALUES (?,?,?,?,?)", [
        ("D-0192", "2026-01-10 10:00:00", "close_date", "2026-01-31", "2026-03-31"),  # push in 2026-Q1
        ("D-0192", "2026-02-10 10:00:00", "close_date", "2026-03-31", "2026-02-28"),  # pull-in: not a push
        ("D-0001", "2025-11-10 10:00:00", "close_date", "2025-12-15", "2026-01-15"),  # push in 2025-Q4
        ("D-0001", "2025-11-12 10:00:00", "amount", "1", "2"),
    ])
    got = {s.key: s for s in read_symptoms(con)}
    assert set(got) == {"sym_irregularity", "sym_slippage"}
    assert got["sym_slippage"].series == [("2025-Q4", 1.0), ("2026-Q1", 1.0)]
    assert got["sym_slippage"].help_key == "sym_pushes_help"
    # won deals per quarter in the sample: 2025-Q1..Q4 and 2026-Q1
    per = dict(got["sym_irregularity"].series)
    assert per["2026-Q1"] == 120000.0 + sum(1000.0 * i for i in range(1, 30) if i % 4 == 0)


def test_missing_store_tables_omit_symptoms(tmp_path: Path) -> None:
    import duckdb

    con = duckdb.connect(":memory:")  # no table at all
    html = render_report(sample_doc(), tmp_path, lang="en", con=con).read_text(encoding="utf-8")
    assert "Symptoms" not in html.split('id="lens-')[0]
    con.execute("CREATE TABLE metric_forecast_x AS SELECT 'a' AS period")  # no value column
    con.execute("CREATE TABLE deals (x INTEGER)")  # wrong columns
    html = build_html(sample_doc(), lang="fr", con=con)
    assert "Symptômes" not in html.split('id="lens-')[0]


def test_no_findings(tmp_path: Path) -> None:
    doc = sample_doc()
    doc.update(findings=[], optimizing_for=[], observations=[], lenses_skipped=[], lenses_failed=[])
    html = build_html(doc, lang="en")
    assert "No finding reached its evidence threshold" in html
    assert "plotly.js v" not in html  # no chart, no bundle
    html_fr = build_html(doc, lang="fr")
    assert "Aucun constat n&#x27;a atteint son seuil de preuve" in html_fr


def test_unknown_language() -> None:
    from miroir.errors import UsageError

    with pytest.raises(UsageError):
        build_html(sample_doc(), lang="de")


def test_number_formats() -> None:
    from miroir.report.i18n import Texts

    en, fr = Texts("en"), Texts("fr")
    assert [en.num(x) for x in (0, 5.0, -0.25, 12.345, 1234567.8, None, float("nan"))] == \
        ["0", "5", "−0.25", "12.3", "1,234,568", "–", "–"]
    assert [fr.num(x) for x in (0.25, 1234567.8)] == ["0,25", "1\u202f234\u202f568"]
    assert en.pct(0.125, 1) == "12.5%" and fr.pct(0.125, 1) == "12,5\u202f%"
    assert en.value(0.05, "share") == "5.0%" and en.value(3.1, "pts") == "3.10 pts"
    assert en.clock(3725.4) == "1:02:05" and en.clock(65) == "1:05"
    assert en.date("2026-03-29T17:02:00Z") == "2026-03-29 17:02" and fr.date("2026-03-29") == "29/03/2026"


def test_malformed_metric_tables_do_not_crash() -> None:
    import duckdb

    from miroir.report.symptoms import read_symptoms

    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE metric_forecast_accuracy AS SELECT 'x' AS period, 'abc' AS forecast, NULL AS actual")
    con.execute("CREATE TABLE metric_forecast_concentration AS SELECT 1 AS period, 'n/a' AS won_value")
    con.execute("CREATE TABLE metric_pipeline_slippage AS SELECT '2025-Q1' AS period, 0 AS slipped, 0 AS expected")
    con.execute("CREATE TABLE metric_meetings_recurring_per_deal AS SELECT 'D1' AS deal_id")
    assert read_symptoms(con) == []


def test_changes_section() -> None:
    from miroir.models import Effect, Finding, Metric, Scope

    doc = sample_doc()
    assert "What the last changes did" not in build_html(doc, lang="en")
    f = Finding("org_change_effect", "intuition", Scope("org", "all"), "New CRM tool (2025-06-01): forecast accuracy",
                "s", Metric("accuracy_change", -0.08, 0.0, "share"), Effect(-0.08, -0.12, -0.04), 12, 0.95, [], "q",
                id="f-0099")
    doc["findings"].append(f.to_dict())
    doc["observations"].append({"lens": "intuition", "kind": "org_change_effect", "scope": None,
                                "statement": "Placebo date: no change.", "reason": "not_significant"})
    html = build_html(doc, lang="en")
    sect = html[html.index('id="changes"'):]
    sect = sect[:sect.index("</section>")]
    assert 'href="#f-0099"' in sect and "−8.0%" in sect and "[−12%, −4.0%]" in sect and "Placebo date" in sect
    assert "Ce que les derniers changements ont fait au système" in build_html(doc, lang="fr")
