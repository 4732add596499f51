from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from miroir.errors import MiroirError
from miroir.importers.salesforce import import_salesforce

from .conftest import read_out

O1, O2, O3, O4, O5 = (f"00600000000000{i}AAA" for i in range(1, 6))


@pytest.fixture
def imported(sf_src: Path, tmp_path: Path):
    out = tmp_path / "ds"
    report = import_salesforce(sf_src, out)
    return report, out


def test_deals_mapped_with_status_from_isclosed_iswon(imported) -> None:
    report, out = imported
    deals = read_out(out, "deals").set_index("deal_id")
    assert report.tables["deals"] == 4
    assert O4 not in deals.index  # IsDeleted
    assert deals.loc[O2, "status"] == "won" and deals.loc[O2, "stage"] == "Conclue gagnée"
    assert deals.loc[O3, "status"] == "lost" and deals.loc[O3, "stage"] == "Cerrada perdida"
    assert deals.loc[O1, "status"] == "open"
    # ids -> names, inactive owner kept
    assert deals.loc[O1, "owner"] == "Alice Martin" and deals.loc[O1, "account"] == "Acme SA"
    assert deals.loc[O2, "owner"] == "Bob Leroy"
    # forecast categories in API names and labels
    assert deals.loc[[O1, O2, O3, O5], "forecast_category"].tolist() == ["best_case", "closed", "omitted", "commit"]
    # dates with Z and +0000
    assert deals.loc[O5, "created_at"] == "2024-02-01"
    assert deals.loc[O1, "close_date"] == "2024-03-29"


def test_currencies_kept_and_converted_at_dated_rate(imported) -> None:
    _, out = imported
    deals = read_out(out, "deals").set_index("deal_id")
    assert deals.loc[O2, "currency"] == "USD" and deals.loc[O2, "amount"] == "120000.5"
    # close date 2024-02-15 -> rate of 2024-02-01 (1.08), not 2024-01-01 (1.10)
    assert float(deals.loc[O2, "amount_converted"]) == pytest.approx(120000.5 / 1.08, abs=1e-3)
    assert float(deals.loc[O3, "amount_converted"]) == pytest.approx(8000 / 0.86, abs=1e-3)
    assert set(deals["converted_currency"]) == {"EUR"}
    cfg = tomllib.loads((out / "miroir.toml").read_text())
    assert cfg["currency"] == "EUR"


def test_several_currencies_without_rates_reported(sf_src: Path, tmp_path: Path) -> None:
    (sf_src / "DatedConversionRate.csv").unlink()
    (sf_src / "CurrencyType.csv").unlink()
    report = import_salesforce(sf_src, tmp_path / "ds")
    assert any(p.code == "no_conversion_rates" for p in report.problems)
    deals = read_out(tmp_path / "ds", "deals")
    assert "amount_converted" not in deals.columns
    assert sorted(set(deals["currency"])) == ["EUR", "GBP", "USD"]


def test_deal_changes_field_history_wins_and_snapshots_diffed(imported) -> None:
    report, out = imported
    ch = read_out(out, "deal_changes")
    assert len(ch) == 33  # counted by hand from the fixture, see below
    o1 = ch[ch["deal_id"] == O1]
    # snapshots before field history kept (initial values and the first stage move)
    stage = o1[o1["field"] == "stage"][["changed_at", "old_value", "new_value"]].values.tolist()
    assert stage == [["2024-01-10T09:00:00Z", "", "Qualification"],
                     ["2024-01-20T10:00:00Z", "Qualification", "Proposition"],
                     ["2024-02-20T08:00:00Z", "Proposition", "Négociation"]]
    # amount change from field history (11:00:03), not from the snapshot at 11:00:00
    amount = o1[o1["field"] == "amount"][["changed_at", "old_value", "new_value"]].values.tolist()
    assert amount == [["2024-01-10T09:00:00Z", "", "40000"], ["2024-02-05T11:00:03Z", "40000", "50000"]]
    # owner change recorded twice (ids + names) -> once, with names
    owner = o1[o1["field"] == "owner"]
    assert owner[["old_value", "new_value", "changed_by"]].values.tolist() == [["Bob Leroy", "Alice Martin", "Diane Dupont"]]
    # the deleted field-history row (stage -> Conclue perdue) is not there
    assert "Conclue perdue" not in set(ch["new_value"])
    # status derived from stage moves into won/lost stages
    st = ch[ch["field"] == "status"].set_index("deal_id")
    assert st.loc[O2, "new_value"] == "won" and st.loc[O3, "new_value"] == "lost"
    # forecast categories normalised
    assert set(ch.loc[ch["field"] == "forecast_category", "new_value"]) <= {"pipeline", "best_case", "commit",
                                                                           "closed", "omitted"}
    # deleted snapshot row of O5 (amount 99999) excluded, its deal otherwise imported
    assert "99999" not in set(ch["new_value"])
    assert report.excluded["duplicate snapshot rows in OpportunityHistory.csv"] == 1
    assert report.excluded["deleted rows (IsDeleted) in Opportunity.csv"] == 1
    assert report.excluded["snapshot rows of opportunities not in Opportunity.csv (OpportunityHistory.csv)"] == 1


def test_stage_order_inferred_from_history_when_no_stage_table(imported) -> None:
    report, out = imported
    cfg = tomllib.loads((out / "miroir.toml").read_text())
    stages = cfg["stages"]
    assert stages.index("Qualification") < stages.index("Proposition") < stages.index("Négociation")
    assert stages[-2:] == ["Conclue gagnée", "Cerrada perdida"]
    assert cfg["won_stages"] == ["Conclue gagnée"] and cfg["lost_stages"] == ["Cerrada perdida"]


def test_stage_order_from_opportunitystage(sf_src: Path, tmp_path: Path) -> None:
    (sf_src / "OpportunityStage.csv").write_text(
        "Id,MasterLabel,ApiName,IsActive,SortOrder,IsClosed,IsWon,ForecastCategoryName,DefaultProbability\n"
        "01J1,Calificación,Calificación,true,1,false,false,Pipeline,10\n"
        "01J2,Qualification,Qualification,true,2,false,false,Pipeline,10\n"
        "01J3,Propuesta,Propuesta,true,3,false,false,Pipeline,50\n"
        "01J4,Proposition,Proposition,true,4,false,false,Best Case,50\n"
        "01J5,Négociation,Négociation,true,5,false,false,Best Case,75\n"
        "01J6,Conclue gagnée,Conclue gagnée,true,6,true,true,Closed,100\n"
        "01J7,Cerrada perdida,Cerrada perdida,true,7,true,false,Omitted,0\n", encoding="utf-8")
    report = import_salesforce(sf_src, tmp_path / "ds")
    cfg = tomllib.loads((tmp_path / "ds" / "miroir.toml").read_text())
    assert cfg["stages"] == ["Calificación", "Qualification", "Propuesta", "Proposition", "Négociation",
                             "Conclue gagnée", "Cerrada perdida"]
    assert any("SortOrder" in n for n in report.notes)


def test_people_roles_managers_inactive(imported) -> None:
    report, out = imported
    people = read_out(out, "people").set_index("name")
    assert "Pat Portal" not in people.index  # partner portal user
    assert people.loc["Alice Martin", "role"] == "rep" and people.loc["Alice Martin", "manager"] == "Diane Dupont"
    assert people.loc["Diane Dupont", "role"] == "manager"
    assert people.loc["Eric Boss", "role"] == "director"
    assert people.loc["Bob Leroy", "active"] == "false"
    assert people.loc["Carmen Ruiz", "team"] == "Ventas España"  # from UserRole when no Department
    assert any("inactive" in n for n in report.notes)


def test_forecasts_and_quotas(imported) -> None:
    _, out = imported
    fc = read_out(out, "forecasts")
    assert fc.values.tolist() == [["Alice Martin", "2024-Q1", "2024-02-26", "commit", "60000"],
                                  ["Alice Martin", "2024-Q1", "2024-02-26", "best_case", "90000"],
                                  ["Carmen Ruiz", "2024-Q1", "2024-02-27", "pipeline", "20000"]]
    q = read_out(out, "quotas")
    assert q[["owner", "period", "amount"]].values.tolist() == [["Alice Martin", "2024-Q1", "150000"],
                                                                ["Carmen Ruiz", "2024-Q1", "80000"]]


def test_report_json_written(imported) -> None:
    _, out = imported
    doc = json.loads((out / "import_report.json").read_text())
    assert doc["tables"]["deal_changes"] == 33
    assert "Description" in doc["unmapped_columns"]["Opportunity.csv"]
    assert all({"file", "row", "column", "remedy"} <= set(p) for p in doc["problems"])


def test_snapshots_only_without_prevamount(sf_src: Path, tmp_path: Path) -> None:
    (sf_src / "OpportunityFieldHistory.csv").unlink()
    h = pd.read_csv(sf_src / "OpportunityHistory.csv", dtype=str, keep_default_na=False)
    h.drop(columns=["PrevAmount", "PrevCloseDate"]).to_csv(sf_src / "OpportunityHistory.csv", index=False)
    report = import_salesforce(sf_src, tmp_path / "ds")
    ch = read_out(tmp_path / "ds", "deal_changes")
    o1 = ch[(ch["deal_id"] == O1) & (ch["field"] == "amount")]
    assert o1[["changed_at", "old_value", "new_value"]].values.tolist() == [
        ["2024-01-10T09:00:00Z", "", "40000"], ["2024-02-05T11:00:00Z", "40000", "50000"]]
    assert any("PrevAmount" in n for n in report.notes)
    # no field history: owner change unknown, stage move at 08:00 from the snapshot
    assert not (ch["field"] == "owner").any()


def test_fifteen_char_ids_and_missing_isclosed(sf_src: Path, tmp_path: Path) -> None:
    opp = pd.read_csv(sf_src / "Opportunity.csv", dtype=str, keep_default_na=False)
    opp["OwnerId"] = opp["OwnerId"].str[:15]
    opp = opp.drop(columns=["IsClosed", "IsWon"])
    opp.to_csv(sf_src / "Opportunity.csv", index=False, sep=";")
    import_salesforce(sf_src, tmp_path / "ds")
    deals = read_out(tmp_path / "ds", "deals").set_index("deal_id")
    assert deals.loc[O1, "owner"] == "Alice Martin"
    # status from stage names in French/Spanish
    assert deals.loc[O2, "status"] == "won" and deals.loc[O3, "status"] == "lost"


def test_missing_opportunity_is_actionable(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    with pytest.raises(MiroirError) as exc:
        import_salesforce(tmp_path / "src", tmp_path / "ds")
    assert "Opportunity.csv" in str(exc.value) and exc.value.remedy


def test_bad_values_reported_not_crashing(sf_src: Path, tmp_path: Path) -> None:
    opp = pd.read_csv(sf_src / "Opportunity.csv", dtype=str, keep_default_na=False)
    opp.loc[0, "Amount"] = "lots"
    opp.loc[1, "CloseDate"] = "someday"
    opp.loc[2, "ForecastCategory"] = "Maybe"
    opp.loc[2, "ForecastCategoryName"] = "Maybe"
    opp.to_csv(sf_src / "Opportunity.csv", index=False)
    report = import_salesforce(sf_src, tmp_path / "ds")
    codes = {(p.code, p.row) for p in report.problems}
    assert ("bad_amount", 1) in codes and ("bad_date", 2) in codes and ("forecast_category", 3) in codes
