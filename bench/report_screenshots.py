"""Screenshots of the report's first screen (EN and FR) for docs/.

    .venv/bin/miroir simulate --out /tmp/sim --seed 1
    .venv/bin/miroir diagnose /tmp/sim --out /tmp/diag
    .venv/bin/python bench/report_screenshots.py /tmp/diag [--docs docs]

Re-renders report.html in each language from the diagnosis folder (no
recomputation) and opens it in headless Chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from miroir.cli.report import rerender

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("diagnosis", type=Path)
    ap.add_argument("--docs", type=Path, default=Path(__file__).resolve().parents[1] / "docs")
    a = ap.parse_args()
    a.docs.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        work = Path(tmp) / "diag"
        shutil.copytree(a.diagnosis, work)
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for lang in ("en", "fr"):
            rerender(work, lang=lang)
            page = browser.new_page(viewport={"width": 1280, "height": 1040}, device_scale_factor=1)
            page.goto((work / "report.html").as_uri(), wait_until="load")
            out = a.docs / f"report-{lang}.png"
            page.screenshot(path=str(out))
            print(f"wrote {out}")
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
