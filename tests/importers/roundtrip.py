"""Test helper: export a dataset folder (e.g. a simulated organisation) as a Salesforce data export and as
HubSpot exports, the way those tools write them, so the importers can be checked by a round trip."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from miroir.calendar import FiscalCalendar

SF_FC = {"pipeline": "Pipeline", "best_case": "Best Case", "commit": "Commit", "closed": "Closed", "omitted": "Omitted"}
SF_FIELD = {"stage": "StageName", "amount": "Amount", "close_date": "CloseDate", "forecast_category": "ForecastCategoryName",
            "owner": "Owner", "discount_pct": "Discount__c"}
HS_FC = {"pipeline": "PIPELINE", "best_case": "BEST_CASE", "commit": "COMMIT", "closed": "CLOSED", "omitted": "OMIT"}
CONVERSATION_SIDE = ("conversations.csv", "org_events.csv", "intuitions.csv", "transcripts")


def _read(ds: Path, name: str) -> pd.DataFrame:
    p = ds / f"{name}.csv"
    return pd.read_csv(p, dtype=str, keep_default_na=False) if p.exists() else pd.DataFrame()


def _cfg(ds: Path) -> dict:
    p = ds / "miroir.toml"
    return tomllib.loads(p.read_text(encoding="utf-8")) if p.exists() else {}


def _z(date_or_dt: pd.Series) -> pd.Series:
    ts = pd.to_datetime(date_or_dt, utc=True, format="ISO8601")
    return ts.dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def copy_conversation_side(ds: Path, out: Path) -> None:
    """CRM exports do not hold conversations, events or gut calls: carry them over unchanged."""
    for name in CONVERSATION_SIDE:
        src = ds / name
        if src.is_dir():
            shutil.copytree(src, out / name, dirs_exist_ok=True)
        elif src.exists():
            shutil.copy(src, out / name)


def export_salesforce(ds: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    cfg = _cfg(ds)
    people, deals, changes = _read(ds, "people"), _read(ds, "deals"), _read(ds, "deal_changes")
    uid = {n: f"005{i:012d}AAA" for i, n in enumerate(people["name"])}
    pd.DataFrame({"Id": people["name"].map(uid), "Name": people["name"], "IsActive": "true", "UserType": "Standard",
                  "ManagerId": people["manager"].map(uid).fillna(""), "Department": people["team"]}
                 ).to_csv(dest / "User.csv", index=False)
    accounts = sorted(set(deals["account"]) - {""})
    aid = {a: f"001{i:012d}AAA" for i, a in enumerate(accounts)}
    pd.DataFrame({"Id": [aid[a] for a in accounts], "Name": accounts, "IsDeleted": "false"}).to_csv(
        dest / "Account.csv", index=False)
    status = deals["status"]
    pd.DataFrame({
        "Id": deals["deal_id"], "IsDeleted": "false", "Name": deals["name"], "AccountId": deals["account"].map(aid).fillna(""),
        "OwnerId": deals["owner"].map(uid), "Amount": deals["amount"], "CurrencyIsoCode": deals["currency"],
        "StageName": deals["stage"], "ForecastCategoryName": deals["forecast_category"].map(SF_FC).fillna(""),
        "CloseDate": deals["close_date"], "CreatedDate": _z(deals["created_at"]),
        "IsClosed": np.where(status != "open", "true", "false"), "IsWon": np.where(status == "won", "true", "false"),
        "Discount__c": deals.get("discount_pct", ""), "List_Amount__c": deals.get("list_amount", ""),
    }).to_csv(dest / "Opportunity.csv", index=False)
    stages = cfg.get("stages", [])
    won, lost = set(cfg.get("won_stages", [])), set(cfg.get("lost_stages", []))
    pd.DataFrame({"Id": [f"01J{i:012d}AAA" for i in range(len(stages))], "MasterLabel": stages, "ApiName": stages,
                  "IsActive": "true", "SortOrder": range(1, len(stages) + 1),
                  "IsClosed": ["true" if s in won | lost else "false" for s in stages],
                  "IsWon": ["true" if s in won else "false" for s in stages]}).to_csv(dest / "OpportunityStage.csv", index=False)
    ch = changes[changes["field"].isin(SF_FIELD)].copy()
    # snapshots (OpportunityHistory) rebuilt from the changes: state after each change time
    snap_fields = ["stage", "amount", "close_date", "forecast_category"]
    s = ch[ch["field"].isin(snap_fields)]
    wide = s.pivot_table(index=["deal_id", "changed_at"], columns="field", values="new_value", aggfunc="last")
    wide = wide.reindex(columns=snap_fields).groupby(level=0).ffill().reset_index()
    by = s.groupby(["deal_id", "changed_at"])["changed_by"].last()
    wide["by"] = [by.get((d, t), "") for d, t in zip(wide["deal_id"], wide["changed_at"], strict=True)]
    pd.DataFrame({
        "Id": [f"008{i:015d}" for i in range(len(wide))], "OpportunityId": wide["deal_id"],
        "CreatedById": wide["by"].map(uid).fillna(""), "CreatedDate": _z(wide["changed_at"]),
        "StageName": wide["stage"].fillna(""), "Amount": wide["amount"].fillna(""),
        "CloseDate": wide["close_date"].fillna(""), "ForecastCategory": wide["forecast_category"].map(
            {"pipeline": "Pipeline", "best_case": "BestCase", "commit": "Forecast", "closed": "Closed",
             "omitted": "Omitted"}).fillna(""),
        "IsDeleted": "false"}).to_csv(dest / "OpportunityHistory.csv", index=False)
    # field history: every change except initial values (Salesforce records no old->new for creation)
    fh = ch[ch["old_value"] != ""]
    vals = {c: fh[c].where(fh["field"] != "forecast_category", fh[c].map(SF_FC).fillna(fh[c])) for c in
            ("old_value", "new_value")}
    pd.DataFrame({"Id": [f"017{i:015d}" for i in range(len(fh))], "IsDeleted": "false", "OpportunityId": fh["deal_id"],
                  "CreatedById": fh["changed_by"].map(uid).fillna(""), "CreatedDate": _z(fh["changed_at"]),
                  "Field": fh["field"].map(SF_FIELD), "OldValue": vals["old_value"], "NewValue": vals["new_value"]}
                 ).to_csv(dest / "OpportunityFieldHistory.csv", index=False)
    cal = FiscalCalendar(int(cfg.get("fiscal_year_start_month", 1)))
    fc, q = _read(ds, "forecasts"), _read(ds, "quotas")
    labels = sorted(set(fc.get("period", pd.Series(dtype=str))) | set(q.get("period", pd.Series(dtype=str))))
    pid = {p: f"026{i:012d}AAA" for i, p in enumerate(labels)}
    rows = []
    for p in labels:
        start, end = cal.period_bounds(p)
        kind = "Year" if p.upper().startswith("FY") else "Quarter" if "Q" in p.upper() else "Month"
        rows.append({"Id": pid[p], "Type": kind, "StartDate": start.isoformat(), "EndDate": end.isoformat()})
    pd.DataFrame(rows, columns=["Id", "Type", "StartDate", "EndDate"]).to_csv(dest / "Period.csv", index=False)
    if len(fc):
        cat = {"commit": "CommitForecast", "best_case": "BestCaseForecast", "pipeline": "PipelineForecast"}
        pd.DataFrame({"Id": [f"0Fi{i:015d}" for i in range(len(fc))], "OwnerId": fc["owner"].map(uid).fillna(""),
                      "PeriodId": fc["period"].map(pid), "ForecastingItemCategory": fc["category"].map(cat),
                      "ForecastAmount": fc["amount"], "SystemModstamp": _z(fc["submitted_at"]), "IsAmount": "true"}
                     ).to_csv(dest / "ForecastingItem.csv", index=False)
    if len(q):
        pd.DataFrame({"Id": [f"0J9{i:015d}" for i in range(len(q))], "QuotaOwnerId": q["owner"].map(uid).fillna(""),
                      "StartDate": [cal.period_bounds(p)[0].isoformat() for p in q["period"]],
                      "PeriodId": q["period"].map(pid), "QuotaAmount": q["amount"], "IsAmount": "true",
                      "IsQuantity": "false"}).to_csv(dest / "ForecastingQuota.csv", index=False)
    pd.DataFrame({"Id": ["00D000000000001AAA"], "FiscalYearStartMonth": [cfg.get("fiscal_year_start_month", 1)]}
                 ).to_csv(dest / "Organization.csv", index=False)


def export_hubspot(ds: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    cfg = _cfg(ds)
    people, deals, changes = _read(ds, "people"), _read(ds, "deals"), _read(ds, "deal_changes")
    owners = []
    oid, userid = {}, {}
    for i, r in enumerate(people.itertuples()):
        first, _, last = r.name.partition(" ")
        oid[r.name], userid[r.name] = str(500 + i), 9000 + i
        owners.append({"id": str(500 + i), "email": f"user{i}@example.com", "firstName": first, "lastName": last,
                       "userId": 9000 + i, "archived": False,
                       "teams": [{"id": str(i), "name": r.team, "primary": True}] if r.team else []})
    (dest / "owners.json").write_text(json.dumps({"results": owners}, ensure_ascii=False), encoding="utf-8")
    stages = cfg.get("stages", [])
    won, lost = set(cfg.get("won_stages", [])), set(cfg.get("lost_stages", []))
    sid = {s: f"stage{i}" for i, s in enumerate(stages)}
    (dest / "pipelines.json").write_text(json.dumps({"results": [{"id": "default", "label": "Sales", "displayOrder": 0,
        "stages": [{"id": sid[s], "label": s, "displayOrder": i, "metadata": {
            "isClosed": "true" if s in won | lost else "false",
            "probability": "1.0" if s in won else "0.0" if s in lost else "0.5"}} for i, s in enumerate(stages)]}]},
        ensure_ascii=False), encoding="utf-8")
    pd.DataFrame({
        "Record ID": deals["deal_id"], "Deal Name": deals["name"], "Deal Stage": deals["stage"], "Amount": deals["amount"],
        "Deal owner": deals["owner"], "Close Date": deals["close_date"] + " 00:00", "Create Date": deals["created_at"] + " 00:00",
        "Pipeline": "Sales", "Forecast category": deals["forecast_category"].map(HS_FC).fillna(""),
        "Currency": deals["currency"], "Is Closed Won": np.where(deals["status"] == "won", "true", "false"),
        "Is Deal Closed?": np.where(deals["status"] != "open", "true", "false"), "Associated Company": deals["account"],
        "Discount": deals.get("discount_pct", ""),
    }).to_csv(dest / "hubspot-crm-exports-all-deals.csv", index=False)
    prop = {"stage": "dealstage", "amount": "amount", "close_date": "closedate", "owner": "hubspot_owner_id",
            "forecast_category": "hs_manual_forecast_category"}
    results = []
    ch = changes[changes["field"].isin(prop)]
    for deal_id, g in ch.groupby("deal_id", sort=False):
        pwh: dict[str, list] = {}
        for r in g.iloc[::-1].itertuples():  # newest first
            v = r.new_value
            v = sid.get(v, v) if r.field == "stage" else oid.get(v, v) if r.field == "owner" else \
                HS_FC.get(v, v) if r.field == "forecast_category" else \
                (v + "T00:00:00Z") if r.field == "close_date" else v
            pwh.setdefault(prop[r.field], []).append({"value": v, "timestamp": r.changed_at, "sourceType": "CRM_UI",
                                                      "updatedByUserId": userid.get(r.changed_by)})
        results.append({"id": deal_id, "properties": {}, "propertiesWithHistory": pwh})
    (dest / "deals_history.json").write_text(json.dumps({"results": results}, ensure_ascii=False), encoding="utf-8")
