"""Render findings.json (+ the store, when available) into one self-contained report.html.

All CSS and JS are inline, Plotly's bundle included once; the page makes no
request to any host (a Content-Security-Policy forbids it too). Every piece
of data text is HTML-escaped; quotes always go through ``privacy.redact_pii``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import duckdb

from ..privacy import redact_pii
from .charts import ChartSpec, forest_charts, series_chart, sparkline_svg
from .html import esc, safe_id, script_json, tag
from .i18n import Texts
from .pseudonymise import Pseudonymiser, apply_to_doc, build_pseudonymiser
from .storeinfo import (
    ConversationInfo,
    DealInfo,
    ProblemSummary,
    conversation_info,
    currency,
    deal_info,
    problems,
)
from .symptoms import Symptom, read_symptoms

MAX_QUOTES = 6
MAX_CHANGES = 15
MAX_DEALS = 15
MAX_OTHER = 6
MAX_OBSERVATIONS = 200
MAX_LINKS = 10  # finding links shown under a statement
LENS_ORDER = ("forecast", "pipeline", "incentives", "pressure", "assumptions", "meetings", "customers",
              "intuition")


@cache
def _template(name: str) -> str:
    return resources.files("miroir.report").joinpath("templates", name).read_text(encoding="utf-8")


@cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    js: str = get_plotlyjs()
    return js.replace("</script", "<\\/script")


@dataclass
class Ctx:
    t: Texts
    lang: str
    p: Pseudonymiser | None
    deals: dict[str, DealInfo]
    convs: dict[str, ConversationInfo]
    charts: list[ChartSpec]
    currency: str = ""

    def loc(self, f: dict[str, Any], key: str) -> str:
        """A finding's text in the report language (French from params ``<key>_fr``)."""
        if self.lang == "fr":
            fr = (f.get("params") or {}).get(f"{key}_fr")
            if isinstance(fr, str) and fr.strip():
                return fr
        return str(f.get(key) or "")

    def ps(self, s: Any) -> str:
        """Store text (deal names, accounts...) pseudonymised when asked."""
        if s is None:
            return ""
        return str(self.p.value(str(s))) if self.p is not None else str(s)

    def quote(self, s: Any) -> str:
        q = redact_pii(str(s or ""))
        return str(self.p.text(q)) if self.p is not None else q


# -- sections -------------------------------------------------------------------------------------

def _header(doc: dict[str, Any], c: Ctx) -> str:
    t = c.t
    ds = doc.get("dataset") or {}
    bits = [tag("span", "miroir", class_="brand")]
    bits.append(tag("span", f"{esc(t('dataset'))}{t('colon')}{esc(t.num(ds.get('deals')))} {esc(t('deals'))}, "
                            f"{esc(t.num(ds.get('conversations')))} {esc(t('conversations'))}"))
    if ds.get("period_from") or ds.get("period_to"):
        bits.append(tag("span", f"{esc(t('period'))}{t('colon')}{esc(t.date(ds.get('period_from')))} → "
                                f"{esc(t.date(ds.get('period_to')))}"))
    if doc.get("generated_at"):
        bits.append(tag("span", f"{esc(t('generated'))} {esc(t.date(doc['generated_at']))}"))
    if doc.get("pseudonymised"):
        bits.append(tag("span", esc(t("pseudonymised")), class_="badge"))
    tools = (tag("button", esc(t("expand_all")), id="expand-all", type="button")
             + tag("button", esc(t("collapse_all")), id="collapse-all", type="button")
             + tag("button", esc(t("print")), id="print", type="button"))
    bits.append(tag("span", tools, class_="tools"))
    return tag("header", tag("div", "".join(bits), class_="inner"), class_="top")


def _statement_text(o: dict[str, Any], c: Ctx) -> str:
    if c.lang == "fr" and o.get("statement_fr"):
        return str(o["statement_fr"])
    return str(o.get("statement") or "")


def _first_screen(doc: dict[str, Any], symptoms: list[Symptom], titles: dict[str, str], c: Ctx) -> str:
    t = c.t
    parts = [tag("h1", esc(t("question")), class_="question")]
    stmts = doc.get("optimizing_for") or []
    if stmts:
        parts.append(tag("p", esc(t("intro")), class_="intro"))
        items = []
        for o in stmts[:5]:
            ids = list(o.get("finding_ids", []))
            links = ", ".join(
                tag("a", esc(fid), href=f"#{safe_id(fid)}", title=titles.get(fid, "")) for fid in ids[:MAX_LINKS])
            if len(ids) > MAX_LINKS:
                links += f" (+{len(ids) - MAX_LINKS})"
            rule = f' · {esc(t("rule"))} <code>{esc(o["rule"])}</code>' if o.get("rule") else ""
            items.append(tag("li", tag("div", esc(_statement_text(o, c)), class_="st")
                             + tag("div", f"{esc(t('see_findings'))} {links}{rule}", class_="links")))
        parts.append(tag("ol", "".join(items), class_="statements"))
    else:
        parts.append(tag("p", esc(t("no_statements")), class_="intro"))
    if symptoms:
        parts.append(tag("h3", esc(t("symptoms"))))
        parts.append(tag("div", "".join(_symptom_card(s, t) for s in symptoms), class_="symptoms"))
    return tag("section", "".join(parts), class_="first", id="top")


def _symptom_value(s: Symptom, t: Texts) -> str:
    if s.kind == "share":
        return t.pct(s.value)
    if s.kind == "count":
        return t.num(s.value, 0)
    return t.num(s.value, 2)


def _symptom_card(s: Symptom, t: Texts) -> str:
    label = t(s.key)
    val = _symptom_value(s, t)
    sub = t(s.help_key)
    if s.series and len(s.series) >= 2:
        sub += f" · {len(s.series)} {t('periods')}, {t('last')} {s.series[-1][0]}"
    return tag("div", tag("div", esc(label), class_="label") + tag("div", esc(val), class_="value")
               + sparkline_svg(s.series, label) + tag("div", esc(sub), class_="help"), class_="symptom")


def _scope_text(sc: dict[str, Any] | None, c: Ctx) -> str:
    if not sc:
        return ""
    lvl = str(sc.get("level", ""))
    return f"{c.t.level(lvl)} {sc.get('id', '')}" if lvl != "org" else c.t.level("org")


def _stats(f: dict[str, Any], c: Ctx) -> str:
    t = c.t
    m = f.get("metric") or {}
    e = f.get("effect") or {}
    unit = str(m.get("unit") or "")
    items = []
    metric = f"{esc(m.get('name', ''))} = {esc(t.value(m.get('value'), unit))}"
    if m.get("baseline") is not None:
        metric += f" ({esc(t('baseline'))} {esc(t.value(m.get('baseline'), unit))})"
    items.append(f"<span>{esc(t('metric'))}{t('colon')}<b>{metric}</b></span>")
    items.append(f"<span>{esc(t('effect'))}{t('colon')}<b>{esc(t.value(e.get('estimate'), unit))}</b> "
                 f"[{esc(t.value(e.get('ci_low'), unit))}, {esc(t.value(e.get('ci_high'), unit))}] "
                 f"<span class=\"muted\">{esc(t('interval'))}</span></span>")
    items.append(f"<span>{esc(t('n'))} = <b>{esc(t.num(f.get('n'), 0))}</b></span>")
    conf = float(f.get("confidence") or 0.0)
    items.append(f"<span>{esc(t('confidence'))}{t('colon')}<b>{esc(t.pct(conf))}</b> "
                 f"<span class=\"conf\"><span style=\"width:{max(0.0, min(1.0, conf)) * 100:.0f}%\"></span></span></span>")
    if f.get("value_at_stake") is not None:
        money = f"{t.num(f['value_at_stake'], 0)} {c.currency}".strip()
        items.append(f"<span>{esc(t('value_at_stake'))}{t('colon')}<b>{esc(money)}</b></span>")
    return tag("div", "".join(items), class_="stats")


def _evidence(f: dict[str, Any], c: Ctx) -> str:
    t = c.t
    ev = f.get("evidence") or []
    quotes = [e for e in ev if e.get("type") == "utterance"]
    changes = [e for e in ev if e.get("type") == "deal_change"]
    deals = [e for e in ev if e.get("type") == "deal"]
    other = [e for e in ev if e.get("type") not in ("utterance", "deal_change", "deal")]
    shown = min(len(quotes), MAX_QUOTES) + min(len(changes), MAX_CHANGES) + min(len(deals), MAX_DEALS) \
        + min(len(other), MAX_OTHER)
    body = []
    if quotes:
        qs = []
        for e in quotes[:MAX_QUOTES]:
            cid = str(e.get("conversation_id") or "")
            info = c.convs.get(cid)
            meta = [f"{t('speaker_role')}{t('colon')}{t.role(e.get('speaker_role'))}"]
            if e.get("speaker"):
                meta.append(c.ps(e["speaker"]))
            meta.append(f"{t('time')} {t.clock(e.get('start_s'))}")
            conv = f"{t('conversation')} {cid}"
            if info is not None:
                extra = [x for x in (info.kind, t.date(info.started_at) if info.started_at else None,
                                     c.ps(info.title) if info.title else None) if x]
                conv += f" ({', '.join(str(x) for x in extra)})"
            meta.append(conv)
            qs.append(tag("blockquote", esc(c.quote(e.get("quote"))) + tag("span", esc(" · ".join(meta)), class_="meta")))
        body.append(tag("h4", esc(t("quotes"))) + "".join(qs))
    if changes:
        change_rows = "".join(
            tag("tr", tag("td", esc(e.get("deal_id"))) + tag("td", esc(e.get("field")))
                + tag("td", f"{esc(c.ps(e.get('old_value')) or '∅')} → {esc(c.ps(e.get('new_value')) or '?')}")
                + tag("td", esc(t.date(e.get("changed_at")))))
            for e in changes[:MAX_CHANGES])
        head = tag("tr", "".join(tag("th", esc(t(k))) for k in ("deal", "field", "change", "date")))
        body.append(tag("h4", esc(t("crm_events"))) + tag("table", head + change_rows))
    if deals:
        rows = []
        for e in deals[:MAX_DEALS]:
            did = str(e.get("deal_id") or "")
            d = c.deals.get(did)
            desc = ""
            if d is not None:
                bits = [c.ps(d.name) if d.name else "", c.ps(d.account) if d.account else "",
                        f"{t.num(d.amount, 0)} {d.currency or ''}".strip() if d.amount is not None else "",
                        d.stage or "", d.status or ""]
                desc = " · ".join(b for b in bits if b)
            note = c.quote(e.get("note")) if e.get("note") else ""
            rows.append(tag("tr", tag("td", esc(did)) + tag("td", esc(desc)) + tag("td", esc(note))))
        body.append(tag("h4", esc(t("deals_ev"))) + tag("table", "".join(rows)))
    if other:
        items = []
        for e in other[:MAX_OTHER]:
            ref = e.get("conversation_id") or e.get("deal_id") or ""
            items.append(tag("li", f"{esc(e.get('type'))} {esc(ref)} {esc(c.quote(e.get('note') or e.get('quote') or ''))}"))
        body.append(tag("h4", esc(t("other_ev"))) + tag("ul", "".join(items)))
    if len(ev) > shown:
        body.append(tag("p", esc(t("evidence_more", n=len(ev) - shown)), class_="muted"))
    summary = tag("summary", f"{esc(t('evidence'))} ({len(ev)})")
    return tag("details", summary + "".join(body), class_="evidence")


def _finding(f: dict[str, Any], c: Ctx) -> str:
    t = c.t
    fid = str(f.get("id") or "")
    head = (tag("span", esc(fid), class_="fid") + tag("span", esc(c.loc(f, "title")), class_="ftitle")
            + tag("span", esc(f"{t.kind(str(f.get('kind', '')))} · {t('scope')}{t('colon')}{_scope_text(f.get('scope'), c)}"),
                  class_="kind"))
    parts = [tag("div", head, class_="fhead"), tag("p", esc(c.loc(f, "statement")))]
    parts.append(_stats(f, c))
    q = c.loc(f, "question")
    if q:
        parts.append(tag("div", f"<b>{esc(t('question_for_leadership'))}{t('colon').rstrip()}</b> {esc(q)}", class_="q"))
    parts.append(_evidence(f, c))
    return tag("article", "".join(parts), class_="finding", id=safe_id(fid))


def _params_table(params: dict[str, Any], c: Ctx) -> str:
    if not params:
        return ""
    rows = "".join(tag("tr", tag("td", tag("code", esc(k)))
                       + tag("td", esc(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str))))
                   for k, v in sorted(params.items()))
    return tag("table", rows)


def _lens_section(lens: str, findings: list[dict[str, Any]], doc: dict[str, Any], c: Ctx) -> str:
    t = c.t
    meth = (doc.get("methods") or {}).get(lens) or {}
    parts = [tag("h2", f"{esc(t('lens'))}{t('colon')}{esc(t.lens(lens))}", id=f"lens-{safe_id(lens)}")]
    if meth.get("methods"):
        parts.append(tag("div", tag("h3", esc(t("what_measured")))
                         + tag("ul", "".join(tag("li", esc(m)) for m in meth["methods"])), class_="measured"))
    titles = {str(f.get("id")): c.loc(f, "title") for f in findings}
    for spec in forest_charts(lens, findings, t, titles):
        c.charts.append(spec)
        parts.append(tag("h3", esc(spec.title)) + _chart_div(spec))
    parts.append(tag("h3", f"{esc(t('findings'))} ({len(findings)})"))
    if findings:
        parts.extend(_finding(f, c) for f in findings)
    else:
        parts.append(tag("p", esc(t("no_findings_lens")), class_="muted"))
    return tag("section", "".join(parts), class_="lens")


def _chart_div(spec: ChartSpec) -> str:
    return tag("div", "", class_="chart", id=spec.id, data_spec=f"spec-{spec.id}")


def _symptom_charts(symptoms: list[Symptom], c: Ctx) -> str:
    parts = []
    for s in symptoms:
        if len(s.series) >= 3:
            spec = series_chart(f"chart-sym-{safe_id(s.key)}", c.t(s.key), s.series, c.t(s.key), s.kind == "share")
            c.charts.append(spec)
            parts.append(tag("h3", esc(spec.title)) + _chart_div(spec))
    if not parts:
        return ""
    return tag("section", tag("h2", esc(c.t("symptoms")), id="symptoms") + "".join(parts))


def _changes(findings: list[dict[str, Any]], doc: dict[str, Any], c: Ctx) -> str:
    """"What the last changes did to the system": org_change_effect findings and observations."""
    t = c.t
    fs = [f for f in findings if f.get("kind") == "org_change_effect"]
    obs = [o for o in doc.get("observations") or [] if o.get("kind") == "org_change_effect"]
    if not fs and not obs:
        return ""
    items = [tag("li", tag("a", esc(f.get("id")), href=f"#{safe_id(str(f.get('id')))}") + " "
                 + esc(c.loc(f, "title")) + f" — {esc(t('effect'))}{t('colon')}"
                 + esc(t.value((f.get("effect") or {}).get("estimate"), str((f.get("metric") or {}).get("unit") or "")))
                 + " [" + esc(t.value((f.get("effect") or {}).get("ci_low"), str((f.get("metric") or {}).get("unit") or "")))
                 + ", " + esc(t.value((f.get("effect") or {}).get("ci_high"), str((f.get("metric") or {}).get("unit") or "")))
                 + "]") for f in fs]
    items += [tag("li", esc(o.get("statement", "")), class_="muted") for o in obs]
    return tag("section", tag("h2", esc(t("changes")), id="changes") + tag("ul", "".join(items)))


def _not_assessed(doc: dict[str, Any], prob: ProblemSummary, c: Ctx) -> str:
    t = c.t
    parts = [tag("h2", esc(t("not_assessed")), id="not-assessed")]
    failed = {str(x.get("lens")): str(x.get("error", "")) for x in doc.get("lenses_failed") or []}
    skipped = [s for s in doc.get("lenses_skipped") or [] if str(s.get("lens")) not in failed]
    if skipped:
        srows = "".join(tag("tr", tag("td", esc(t.lens(str(s.get("lens"))))) + tag("td", esc(s.get("reason"))))
                        for s in skipped)
        parts.append(tag("h3", esc(t("skipped_lenses"))) + tag("table", srows))
    if failed:
        frows = "".join(tag("tr", tag("td", esc(t.lens(k))) + tag("td", tag("code", esc(v)), class_="bad"))
                        for k, v in failed.items())
        parts.append(tag("h3", esc(t("failed_lenses"))) + tag("table", frows))
    obs = doc.get("observations") or []
    if obs:
        rows = []
        for o in obs[:MAX_OBSERVATIONS]:
            stmt = o.get("statement", "")
            if c.lang == "fr" and isinstance(o.get("details"), dict) and o["details"].get("statement_fr"):
                stmt = o["details"]["statement_fr"]
            rows.append(tag("tr", tag("td", esc(t.lens(str(o.get("lens", "")))))
                            + tag("td", esc(t.kind(str(o["kind"])) if o.get("kind") else ""))
                            + tag("td", esc(_scope_text(o.get("scope"), c)))
                            + tag("td", esc(stmt))
                            + tag("td", esc(o.get("reason", "")))
                            + tag("td", esc(t.num(o.get("n"), 0)) if o.get("n") is not None else "", class_="num")))
        more = tag("p", esc(t("evidence_more", n=len(obs) - MAX_OBSERVATIONS)), class_="muted") \
            if len(obs) > MAX_OBSERVATIONS else ""
        ohead = tag("tr", "".join(tag("th", esc(t(k))) for k in ("lens", "kind", "scope", "statement", "reason", "n")))
        parts.append(tag("h3", f"{esc(t('observations'))} ({len(obs)})") + tag("table", ohead + "".join(rows)) + more)
    if prob.total:
        summary = "".join(tag("tr", tag("td", esc(s), class_="warn" if s == "warning" else "bad")
                              + tag("td", tag("code", esc(code))) + tag("td", esc(t.num(n, 0)), class_="num"))
                          for s, code, n in prob.by_code)
        head = tag("tr", "".join(tag("th", esc(t(k))) for k in ("severity", "location", "message")))
        rows = []
        for r in prob.rows:
            loc = ", ".join(str(x) for x in (r.get("file"), r.get("row_no"), r.get("col")) if x not in (None, ""))
            msg = " — ".join(str(x) for x in (r.get("message"), r.get("expected"), r.get("remedy")) if x)
            rows.append(tag("tr", tag("td", esc(r.get("severity")))
                            + tag("td", esc(c.quote(loc))) + tag("td", esc(c.quote(msg)))))
        parts.append(tag("h3", f"{esc(t('data_quality'))} ({prob.total})") + tag("table", summary)
                     + tag("table", head + "".join(rows))
                     + tag("p", esc(t("problems_shown", shown=len(prob.rows), total=prob.total)), class_="muted"))
    if len(parts) == 1:
        parts.append(tag("p", esc(t("nothing_missing")), class_="muted"))
    return tag("section", "".join(parts))


def _methods(doc: dict[str, Any], c: Ctx) -> str:
    t = c.t
    parts = [tag("h2", esc(t("methods")), id="methods"), tag("p", esc(t("methods_intro")), class_="muted"),
             tag("p", esc(t("ranking_method")))]
    for lens, meth in (doc.get("methods") or {}).items():
        if not isinstance(meth, dict):
            continue
        parts.append(tag("h3", esc(t.lens(lens))))
        if meth.get("methods"):
            parts.append(tag("ul", "".join(tag("li", esc(m)) for m in meth["methods"])))
        if meth.get("params"):
            parts.append(tag("div", esc(t("parameters")), class_="muted") + _params_table(meth["params"], c))
    return tag("section", "".join(parts))


def _lens_order(doc: dict[str, Any]) -> list[str]:
    seen: list[str] = []
    for name in list(doc.get("lenses_run") or []) + [f.get("lens") for f in doc.get("findings") or []]:
        if name and name not in seen:
            seen.append(str(name))
    return sorted(seen, key=lambda n: (LENS_ORDER.index(n) if n in LENS_ORDER else len(LENS_ORDER), seen.index(n)))


def _evidence_ids(findings: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    deals: set[str] = set()
    convs: set[str] = set()
    for f in findings:
        ev = f.get("evidence") or []
        for e in [e for e in ev if e.get("type") == "deal"][:MAX_DEALS]:
            if e.get("deal_id"):
                deals.add(str(e["deal_id"]))
        for e in [e for e in ev if e.get("type") == "utterance"][:MAX_QUOTES]:
            if e.get("conversation_id"):
                convs.add(str(e["conversation_id"]))
    return deals, convs


def build_html(doc: dict[str, Any], *, lang: str = "en", con: duckdb.DuckDBPyConnection | None = None,
               pseudonymise: bool = False) -> str:
    t = Texts(lang)
    p: Pseudonymiser | None = None
    if pseudonymise or doc.get("pseudonymised"):
        p = build_pseudonymiser(con, doc)
        if not doc.get("pseudonymised"):
            doc = apply_to_doc(doc, p)
    findings = list(doc.get("findings") or [])
    deal_ids, conv_ids = _evidence_ids(findings)
    c = Ctx(t, lang, p, deal_info(con, deal_ids), conversation_info(con, conv_ids), [], currency(con))
    symptoms = read_symptoms(con, {k: (v or {}).get("params") or {} for k, v in (doc.get("methods") or {}).items()
                                   if isinstance(v, dict)})
    titles = {str(f.get("id")): c.loc(f, "title") for f in findings}
    order = _lens_order(doc)
    changes = _changes(findings, doc, c)
    links = [tag("a", esc(t.lens(n)), href=f"#lens-{safe_id(n)}") for n in order]
    if changes:
        links.append(tag("a", esc(t("changes")), href="#changes"))
    links += [tag("a", esc(t("not_assessed")), href="#not-assessed"), tag("a", esc(t("methods")), href="#methods")]
    toc = tag("nav", f"{esc(t('contents'))}{t('colon')}" + " ".join(links), class_="toc")
    body = [_header(doc, c), "<main>", _first_screen(doc, symptoms, titles, c), toc]
    for lens in order:
        body.append(_lens_section(lens, [f for f in findings if f.get("lens") == lens], doc, c))
    body.append(changes)
    body.append(_symptom_charts(symptoms, c))
    body.append(_not_assessed(doc, problems(con), c))
    body.append(_methods(doc, c))
    body.append(tag("footer", esc(t("footer"))))
    body.append("</main>")
    for spec in c.charts:
        body.append(f'<script type="application/json" id="spec-{esc(spec.id)}">{script_json(spec.figure)}</script>')
    plotly = f'<script type="text/x-plotly-bundle" id="plotly-bundle">{_plotly_js()}</script>' if c.charts else ""
    return Template(_template("page.html")).substitute(
        html_lang=esc(t("html_lang")), title=esc(t("doc_title")), css=_template("report.css"),
        body="\n".join(body), plotly_script=plotly, js=_template("report.js"))


def render_report(doc: dict[str, Any], out_dir: Path, *, lang: str = "en",
                  con: duckdb.DuckDBPyConnection | None = None, pseudonymise: bool = False) -> Path:
    """Write ``out_dir/report.html`` and return its path."""
    text = build_html(doc, lang=lang, con=con, pseudonymise=pseudonymise)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
