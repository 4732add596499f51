"""``miroir annotate`` (JSONL in, JSONL out) and its error messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from miroir.errors import ParseError, UsageError
from miroir.language.jsonl import annotate_file


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_annotate_file_writes_one_line_per_utterance(tmp_path: Path) -> None:
    src = _write(tmp_path / "in.jsonl", [
        json.dumps({"id": "a", "text": "Qui signe chez vous ?"}),
        "",
        json.dumps({"id": 2, "text": "I think they're ready.", "lang": "en", "role": "rep",
                    "context": "pipeline_review"}),
        json.dumps({"id": "c", "text": "Merci, bonne journée.", "lang": "FR"}),
    ])
    summary = annotate_file(src, tmp_path / "out.jsonl", n_jobs=1)
    rows = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert summary.utterances == 3 and summary.per_lang == {"fr": 2, "en": 1}
    assert rows[0] == {"id": "a", "lang": "fr", "labels": ["decision_maker", "open_question", "question"],
                       "spans": {"decision_maker": [[0, 9]], "open_question": [[0, 21]], "question": [[0, 21]]}}
    assert rows[1]["id"] == 2 and rows[1]["labels"] == ["assumption", "hedge"]
    assert rows[1]["spans"]["hedge"] == [[0, 7]]
    assert rows[2] == {"id": "c", "lang": "fr", "labels": [], "spans": {}}


def test_lang_option_sets_language_of_lines_without_lang(tmp_path: Path) -> None:
    src = _write(tmp_path / "in.jsonl", [json.dumps({"id": 1, "text": "ok"})])
    annotate_file(src, tmp_path / "out.jsonl", lang="fr")
    assert json.loads((tmp_path / "out.jsonl").read_text())["lang"] == "fr"


@pytest.mark.parametrize("bad,message", [
    ('{"id": 1, "text": "x"', "not valid JSON"),
    ('["id", "text"]', "expected a JSON object"),
    ('{"text": "x"}', "missing field 'id'"),
    ('{"id": 1, "text": 3}', "'text' must be a string"),
    ('{"id": 1, "text": "x", "lang": "de"}', "'lang' is 'de'"),
])
def test_bad_line_names_file_and_line_and_leaves_no_output(tmp_path: Path, bad: str, message: str) -> None:
    src = _write(tmp_path / "in.jsonl", [json.dumps({"id": 0, "text": "ok"}), bad])
    with pytest.raises(ParseError) as info:
        annotate_file(src, tmp_path / "out.jsonl")
    assert info.value.line == 2 and message in str(info.value)
    assert str(src) in str(info.value) and info.value.remedy
    assert not (tmp_path / "out.jsonl").exists()
    assert not (tmp_path / "out.jsonl.tmp").exists()


def test_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        annotate_file(tmp_path / "missing.jsonl", tmp_path / "out.jsonl")
    src = _write(tmp_path / "in.jsonl", [json.dumps({"id": 1, "text": "ok"})])
    with pytest.raises(UsageError):
        annotate_file(src, tmp_path / "out.jsonl", lang="de")


def test_command_through_the_cli(tmp_path: Path) -> None:
    typer_testing = pytest.importorskip("typer.testing")
    try:
        from miroir.cli.main import app
    except ImportError as exc:  # the CLI frame may be incomplete while other areas land
        pytest.skip(f"CLI not importable yet: {exc}")
    src = _write(tmp_path / "in.jsonl", [json.dumps({"id": 1, "text": "Le budget est validé ?"})])
    result = typer_testing.CliRunner().invoke(app, ["annotate", str(src), "--out", str(tmp_path / "o.jsonl"),
                                                    "--jobs", "1"])
    assert result.exit_code == 0, result.output
    row = json.loads((tmp_path / "o.jsonl").read_text())
    assert row["labels"] == ["budget", "question"]


def test_cli_bad_line_exit_code_and_message(tmp_path: Path) -> None:
    import subprocess
    import sys

    src = _write(tmp_path / "in.jsonl", ['{"id": 1, "text": "ok"}', "{oops"])
    proc = subprocess.run([sys.executable, "-c", "from miroir.cli.main import main; main()", "annotate",
                           str(src), "--out", str(tmp_path / "o.jsonl")], capture_output=True, text=True)
    if "ImportError" in proc.stderr or "ModuleNotFoundError" in proc.stderr:
        pytest.skip("CLI not importable yet")
    assert proc.returncode == 1
    assert f"{src}:2" in proc.stderr and "Traceback" not in proc.stderr


def test_rules_only_gives_the_rules_labels(tmp_path: Path) -> None:
    from miroir.language import annotate

    texts = ["They're keen, the CFO loves it and procurement is a formality.", "Honestly it's a nightmare for us."]
    src = _write(tmp_path / "in.jsonl", [json.dumps({"id": i, "text": t, "lang": "en", "role": "rep",
                                                      "context": "pipeline_review"}) for i, t in enumerate(texts)])
    annotate_file(src, tmp_path / "rules.jsonl", n_jobs=1, learned=False)
    annotate_file(src, tmp_path / "default.jsonl", n_jobs=1)
    rules = [json.loads(x) for x in (tmp_path / "rules.jsonl").read_text(encoding="utf-8").splitlines()]
    default = [json.loads(x) for x in (tmp_path / "default.jsonl").read_text(encoding="utf-8").splitlines()]
    for text, r, d in zip(texts, rules, default, strict=True):
        assert r["labels"] == sorted(annotate(text, "en", "rep", "pipeline_review", learned=False).labels)
        assert d["labels"] == sorted(annotate(text, "en", "rep", "pipeline_review").labels)
