from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from miroir.errors import MiroirError
from miroir.importers.hubspot import import_hubspot

from .conftest import FIXTURES, read_out


@pytest.fixture
def hs(tmp_path: Path):
    src = tmp_path / "hs"
    shutil.copytree(FIXTURES / "hubspot", src)
    out = tmp_path / "ds"
    return src, out, import_hubspot(src, out)


def test_deals_from_export_csv(hs) -> None:
    _, out, report = hs
    deals = read_out(out, "deals").set_index("deal_id")
    assert report.tables["deals"] == 4
    assert deals.loc["1002", "status"] == "won"  # Is Closed Won
    assert deals.loc["1003", "status"] == "lost"  # Spanish custom stage, pipelines.json isClosed + probability 0
    assert deals.loc["1001", "status"] == "open" and deals.loc["1004", "status"] == "open"
    assert deals.loc["1003", "forecast_category"] == "omitted"  # "Not forecasted"
    assert deals.loc["1004", "forecast_category"] == "commit"
    assert deals.loc["1004", "amount"] == "0"  # blank amount, reported
    assert any(p.code == "blank_amount" and p.row == 4 for p in report.problems)
    assert deals.loc["1002", "currency"] == "USD" and deals.loc["1002", "amount_converted"] == "111111.11"
    assert deals.loc["1001", "close_date"] == "2024-03-29" and deals.loc["1001", "created_at"] == "2024-01-10"
    assert report.unmapped_columns[next(iter(report.unmapped_columns))] == ["Deal Description"]


def test_v3_history_newest_first_and_v1_versions(hs) -> None:
    _, out, report = hs
    ch = read_out(out, "deal_changes")
    d1 = ch[ch["deal_id"] == "1001"]
    stage = d1[d1["field"] == "stage"][["changed_at", "old_value", "new_value", "changed_by"]].values.tolist()
    # ids mapped to pipeline labels, oldest first, updatedByUserId resolved via owners userId
    assert stage == [["2024-01-10T09:00:00Z", "", "Rendez-vous programmé", "Bob Leroy"],
                     ["2024-01-20T10:00:00Z", "Rendez-vous programmé", "Qualifié", "Bob Leroy"],
                     ["2024-02-20T08:00:00Z", "Qualifié", "Contrat envoyé", "Alice Martin"]]
    owner = d1[d1["field"] == "owner"][["old_value", "new_value", "changed_by"]].values.tolist()
    assert owner[-1] == ["Bob Leroy", "Alice Martin", "Diane Dupont"]
    close = d1[d1["field"] == "close_date"]["new_value"].tolist()
    assert close == ["2024-03-15", "2024-03-29"]
    # legacy v1: epoch-ms timestamps, sourceId e-mail resolved
    d2 = ch[ch["deal_id"] == "1002"]
    assert d2[d2["field"] == "stage"][["changed_at", "new_value", "changed_by"]].values.tolist() == [
        ["2024-01-05T09:00:00Z", "Rendez-vous programmé", "Bob Leroy"],
        ["2024-01-25T09:00:00Z", "Qualifié", "Bob Leroy"],
        ["2024-02-15T16:00:00Z", "Closed Won", "Bob Leroy"]]
    assert d2[d2["field"] == "status"]["new_value"].tolist() == ["won"]
    # history of a deal not in the export is excluded and reported
    assert "9999" not in set(ch["deal_id"])
    assert report.excluded["history entries of deals not in the deals export"] == 1
    assert len(ch) == 18


def test_owners_and_stage_order(hs) -> None:
    _, out, report = hs
    people = read_out(out, "people").set_index("name")
    assert people.loc["Bob Leroy", "active"] == "false"  # archived owner kept
    assert people.loc["Carmen Ruiz", "team"] == "España"
    cfg = tomllib.loads((out / "miroir.toml").read_text())
    assert cfg["stages"][:3] == ["Rendez-vous programmé", "Qualifié", "Contrat envoyé"]
    assert "Cerrada perdida" in cfg["lost_stages"] and "Closed Won" in cfg["won_stages"]


def test_without_pipelines_or_owners(hs, tmp_path: Path) -> None:
    src, _, _ = hs
    (src / "pipelines.json").unlink()
    (src / "owners.json").unlink()
    report = import_hubspot(src, tmp_path / "ds2")
    deals = read_out(tmp_path / "ds2", "deals").set_index("deal_id")
    assert deals.loc["1003", "status"] == "lost"  # from the stage name
    ch = read_out(tmp_path / "ds2", "deal_changes")
    # default HubSpot stage ids fall back to their default labels; custom numeric ids stay as they are
    assert "Contract Sent" in set(ch["new_value"]) and "225" in set(ch["new_value"])
    assert any("owners.json" in n for n in report.notes)


def test_no_deals_csv(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(MiroirError) as exc:
        import_hubspot(tmp_path / "empty", tmp_path / "ds")
    assert "Record ID" in exc.value.remedy


def test_bad_json_reported(hs, tmp_path: Path) -> None:
    src, _, _ = hs
    (src / "deals_history_v3.json").write_text('{"results": [ {"id": ')
    report = import_hubspot(src, tmp_path / "ds3")
    assert any(p.code == "bad_json" and p.file == "deals_history_v3.json" for p in report.problems)
    assert report.tables["deals"] == 4
