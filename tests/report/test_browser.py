"""report.html in headless Chromium: no request leaves the file, evidence opens, charts draw.

Needs Debian's ``chromium`` (``apt-get install chromium``) and the ``playwright``
Python package (its driver, not its browsers). Screenshots of the first screen
are written to the test's temporary folder; the ones in ``docs/`` come from
``bench/report_screenshots.py`` on a simulated organisation.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from miroir.report.render import render_report

from .sample import sample_doc, sample_store

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def browser() -> Any:
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright Python package")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def open_report(browser: Any, path: Path) -> tuple[Any, list[str], list[str], float]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, offline=True)
    attempted: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            attempted.append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    page = ctx.new_page()
    page.on("request", lambda req: None if req.url.startswith(("file:", "data:", "blob:"))
            else attempted.append(req.url))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    t0 = time.perf_counter()
    page.goto(path.as_uri(), wait_until="load")
    return page, attempted, errors, time.perf_counter() - t0


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_report_in_chromium(browser: Any, tmp_path: Path, lang: str) -> None:
    path = render_report(sample_doc(), tmp_path, lang=lang, con=sample_store())
    page, attempted, errors, _ = open_report(browser, path)
    try:
        # first screen
        question = page.locator("h1.question")
        assert question.is_visible()
        assert question.inner_text().startswith("What is our system" if lang == "en" else "Qu'est-ce que notre")
        assert page.locator("ol.statements li").count() == 4
        # fits a laptop screen: no horizontal scrolling
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        shot = tmp_path / f"report-{lang}.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
        # evidence of a finding is hidden until expanded
        finding = page.locator("article#f-0001")
        quote = finding.locator("details.evidence blockquote").first
        assert not quote.is_visible()
        finding.locator("details.evidence > summary").click()
        assert quote.is_visible()
        assert "[phone]" in quote.inner_text()
        assert finding.locator("details.evidence table td", has_text="discount_pct").first.is_visible()
        # a link from a statement opens the finding's evidence
        page.locator("ol.statements a[href='#f-0002']").click()
        assert page.locator("article#f-0002 details.evidence").get_attribute("open") is not None
        # an interactive chart is drawn (offline Plotly) once scrolled into view
        chart = page.locator("div.chart").first
        chart.scroll_into_view_if_needed()
        page.wait_for_selector("div.chart .main-svg", timeout=10_000)
        # printing (to PDF here) opens every evidence block and draws every chart
        page.evaluate("window.addEventListener('beforeprint', () => { window.__atPrint = ["
                      "document.querySelectorAll('details.evidence:not([open])').length,"
                      "document.querySelectorAll('div.chart:not([data-drawn])').length]; })")
        pdf = page.pdf(format="A4")
        assert pdf[:5] == b"%PDF-" and len(pdf) > 20_000
        assert page.evaluate("window.__atPrint") == [0, 0]
        assert errors == []
    finally:
        page.context.close()
    assert attempted == [], f"the report tried to reach: {attempted}"


def test_blocking_is_effective(browser: Any, tmp_path: Path) -> None:
    """The route really sees and blocks outside requests (so the assertion above can fail)."""
    page_path = tmp_path / "leaky.html"
    page_path.write_text('<html><body><img src="https://example.invalid/x.png"></body></html>', encoding="utf-8")
    page, attempted, _errors, _ = open_report(browser, page_path)
    page.context.close()
    assert attempted and attempted[0].startswith("https://example.invalid/")
