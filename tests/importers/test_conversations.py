from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from miroir.errors import MiroirError
from miroir.importers.gong import import_gong
from miroir.importers.meetings import import_meetings
from miroir.importers.salesforce import import_salesforce

from .conftest import FIXTURES, read_out


def test_gong_after_salesforce_links_deals(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    import_salesforce(FIXTURES / "salesforce", out)
    report = import_gong(FIXTURES / "gong", out)
    conv = read_out(out, "conversations").set_index("conversation_id")
    c1 = conv.loc["gong-7782342274025937895"]
    assert c1["kind"] == "customer_call" and c1["deal_ids"] == "006000000000001AAA"
    assert c1["started_at"] == "2024-03-01T17:02:11Z"  # -08:00 -> UTC
    assert c1["language"] == "fr"
    assert conv.loc["gong-8123456789012345678", "kind"] == "pipeline_review"
    # call without metadata excluded and reported; unknown deal id reported
    assert report.excluded["transcripts without call metadata"] == 1
    assert any(p.code == "unknown_deal" and "006000000000077AAA" in p.message for p in report.problems)
    utts = json.loads((out / c1["file"]).read_text())["utterances"]
    assert [u["speaker"] for u in utts] == ["Alice Martin", "John Smith", "Unknown speaker 9999999999999999999",
                                            "Alice Martin"]
    assert utts[0]["start"] == pytest.approx(460.23) and utts[0]["end"] == pytest.approx(465.0)
    people = read_out(out, "people")
    assert "Frank Nouveau" in set(people["name"])  # internal participant added
    assert people.set_index("name").loc["Eric Boss", "role"] == "director"  # CRM roles untouched


def test_gong_without_crm_keeps_ids(tmp_path: Path) -> None:
    report = import_gong(FIXTURES / "gong", tmp_path / "ds")
    conv = read_out(tmp_path / "ds", "conversations").set_index("conversation_id")
    assert conv.loc["gong-7782342274025937895", "deal_ids"] == "006000000000001AAA;006000000000077AAA"
    assert any("no deals.csv" in n for n in report.notes)


def test_gong_transcripts_parse_with_contract_parser(tmp_path: Path) -> None:
    from miroir.importers.transcripts import parse_transcript

    import_gong(FIXTURES / "gong", tmp_path / "ds")
    f = tmp_path / "ds" / "transcripts" / "gong-8123456789012345678.json"
    turns = parse_transcript(f.read_bytes(), filename=f.name)
    assert [t.speaker for t in turns] == ["Alice Martin", "Frank Nouveau"]


def test_meetings_kinds(tmp_path: Path) -> None:
    src = FIXTURES / "meetings"
    report = import_meetings(src, tmp_path / "ds", people=src / "people.csv")
    conv = read_out(tmp_path / "ds", "conversations").set_index("title")
    assert conv.loc["Pipeline review", "kind"] == "pipeline_review"  # Zoom folder title, built-in rule
    assert conv.loc["Pipeline review", "started_at"] == "2024-03-04T10:00:00Z"
    assert conv.loc["Forecast call Q1", "kind"] == "forecast_call"
    assert conv.loc["Point hebdo équipe", "kind"] == "pipeline_review"  # everyone internal
    assert conv.loc["Point hebdo équipe", "kind_reason"] == "all participants are internal"
    zoom = conv[conv["file"].str.contains("GMT20240305")].iloc[0]
    assert zoom["kind"] == "customer_call" and zoom["started_at"] == "2024-03-05T14:00:00Z"
    assert zoom["external_speakers"] == "John Smith"
    # the broken file is reported, the others imported
    assert report.excluded["transcripts that could not be parsed"] == 1
    assert any(p.file == "2024-03-08 broken.vtt" for p in report.errors)
    for f in conv["file"]:
        assert (tmp_path / "ds" / f).exists()


def test_meetings_rules_file_overrides(tmp_path: Path) -> None:
    src = tmp_path / "vtt"
    src.mkdir()
    shutil.copy(FIXTURES / "meetings" / "GMT20240305-140000_Recording.transcript.vtt", src / "2024-03-05 Sync équipe.vtt")
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\npattern = "sync"\nkind = "other"\n')
    import_meetings(src, tmp_path / "ds", rules=rules, people=FIXTURES / "meetings" / "people.csv")
    conv = read_out(tmp_path / "ds", "conversations")
    assert conv["kind"].tolist() == ["other"]


def test_meetings_without_people_and_bad_rules(tmp_path: Path) -> None:
    src = FIXTURES / "meetings"
    report = import_meetings(src, tmp_path / "ds")
    conv = read_out(tmp_path / "ds", "conversations").set_index("title")
    assert conv.loc["Point hebdo équipe", "kind"] == "customer_call"
    assert any("no people list" in n for n in report.notes)
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rules]]\npattern = "("\nkind = "pipeline_review"\n')
    with pytest.raises(MiroirError):
        import_meetings(src, tmp_path / "ds2", rules=bad)
    bad.write_text('[[rules]]\npattern = "x"\nkind = "party"\n')
    with pytest.raises(MiroirError):
        import_meetings(src, tmp_path / "ds2", rules=bad)


def test_imported_folders_validate(tmp_path: Path) -> None:
    from miroir.dataset import read_dataset

    out = tmp_path / "ds"
    import_salesforce(FIXTURES / "salesforce", out)
    import_gong(FIXTURES / "gong", out)
    ds = read_dataset(out)
    assert not ds.errors, [p.render() for p in ds.errors]
    assert len(ds.tables["deals"]) == 4 and len(ds.tables["deal_changes"]) == 33
