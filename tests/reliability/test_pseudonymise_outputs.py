"""Pseudonymisation applies to every output file: no real person or account name anywhere in --out.

Every name is collected from the dataset (people, owners, accounts, history authors, gut-call
authors, transcript speakers); every file under the output folder is read as text (findings.json,
report.html, metrics/*.csv and *.parquet, miroir.xlsx) and searched, case- and accent-insensitively.
"""

from __future__ import annotations

import html
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from miroir.dataset import read_dataset


def _fold(text: str) -> str:
    t = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in t if not unicodedata.combining(c))


def real_names(folder: Path) -> set[str]:
    ds = read_dataset(folder)
    names: set[str] = set()
    for table, cols in (("people", ("name",)), ("deals", ("owner", "account")), ("forecasts", ("owner",)),
                        ("quotas", ("owner",)), ("intuitions", ("person",)), ("deal_changes", ("changed_by",))):
        t = ds.tables.get(table)
        if t is not None:
            for c in cols:
                names |= {str(v) for v in t[c].dropna()}
    people = ds.tables.get("people")
    if people is not None:
        names |= {a.strip() for v in people["aliases"].dropna() for a in str(v).split(";")}
    if len(ds.utterances):
        names |= {str(s) for s in ds.utterances["speaker"].dropna()}
    # whole names of two words or more (one-word labels such as "Client" are roles, not names)
    return {n for n in names if len(n.split()) >= 2 and not n.lower().startswith(("unknown", "speaker"))}


def output_texts(out: Path) -> dict[str, str]:
    texts: dict[str, str] = {}
    for p in sorted(out.rglob("*")):
        if not p.is_file():
            continue
        rel = str(p.relative_to(out))
        if p.suffix == ".parquet":
            texts[rel] = pd.read_parquet(p).to_csv(index=False)
        elif p.suffix == ".xlsx":
            from openpyxl import load_workbook

            wb = load_workbook(p, read_only=True)
            texts[rel] = "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                                   for c in row if c is not None)
            wb.close()
        else:
            texts[rel] = html.unescape(p.read_text(encoding="utf-8", errors="replace"))
    return texts


def leaks(out: Path, names: set[str]) -> dict[str, list[str]]:
    folded = {n: _fold(n) for n in names}
    found: dict[str, list[str]] = {}
    for rel, text in output_texts(out).items():
        t = _fold(text)
        hits = sorted(n for n, f in folded.items() if f in t)
        if hits:
            found[rel] = hits[:5] + ([f"... {len(hits)} in all"] if len(hits) > 5 else [])
    return found


def test_leak_detector_sees_names_in_every_format(tmp_path: Path) -> None:
    out = tmp_path / "o"
    (out / "metrics").mkdir(parents=True)
    pd.DataFrame({"owner": ["Hélène Dupont"]}).to_parquet(out / "metrics" / "m.parquet")
    (out / "report.html").write_text("<td>L&#x27;Or&eacute;al Group</td>", encoding="utf-8")
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["x", "JEAN MARTIN"])  # type: ignore[union-attr]
    wb.save(out / "miroir.xlsx")
    got = leaks(out, {"Helene Dupont", "L'Oréal Group", "Jean Martin", "Absent Name"})
    assert got == {"metrics/m.parquet": ["Helene Dupont"], "report.html": ["L'Oréal Group"],
                   "miroir.xlsx": ["Jean Martin"]}


def _crm_lenses(monkeypatch: pytest.MonkeyPatch) -> None:
    import miroir.lenses.runner as runner
    from miroir.lenses.incentives import IncentivesLens
    from miroir.lenses.pipeline import PipelineLens

    monkeypatch.setattr(runner, "all_lenses", lambda: [PipelineLens(), IncentivesLens()])


@pytest.mark.slow
def test_report_command_pseudonymises_every_file(crm_org: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from miroir.cli.report import rerender
    from miroir.diagnose import diagnose

    _crm_lenses(monkeypatch)
    out = tmp_path / "out"
    # the default store (DATASET/.miroir): `miroir report` finds it from findings.json
    diagnose(crm_org, out, lang="en", xlsx=True)
    names = real_names(crm_org)
    assert len(names) > 30
    assert leaks(out, names), "the plain report should name people (else this test proves nothing)"
    rerender(out, lang="en", pseudonymise=True, xlsx=True)
    assert leaks(out, names) == {}


@pytest.mark.slow
def test_diagnose_pseudonymise_covers_every_file(crm_org: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from miroir.diagnose import diagnose

    _crm_lenses(monkeypatch)
    out = tmp_path / "out"
    diagnose(crm_org, out, lang="fr", db=tmp_path / "s.duckdb", pseudonymise=True, xlsx=True)
    assert leaks(out, real_names(crm_org)) == {}


@pytest.mark.slow
def test_whole_diagnosis_with_conversations_pseudonymised(sim_fr: Path, tmp_path: Path) -> None:
    from miroir.diagnose import diagnose

    out = tmp_path / "out"
    diagnose(sim_fr, out, lang="fr", db=tmp_path / "s.duckdb", pseudonymise=True, xlsx=True)
    names = real_names(sim_fr)
    assert any(len(n.split()) >= 2 for n in names)
    assert leaks(out, names) == {}
