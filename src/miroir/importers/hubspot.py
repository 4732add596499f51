"""HubSpot exports -> dataset folder.

Reads, from one folder:

- the deals export CSV (any ``.csv`` with ``Record ID`` and ``Deal Name`` /
  ``Deal Stage`` columns: Record ID, Deal Name, Deal Stage, Amount, Deal owner,
  Close Date, Create Date, Pipeline, and when present Forecast category,
  Currency, Amount in company currency, Is Closed Won, Associated Company);
- deal property history as JSON: the v3 API's ``propertiesWithHistory``
  (``{"results": [{"id", "propertiesWithHistory": {prop: [newest first
  {value, timestamp, sourceType, sourceId, updatedByUserId}]}}]}``, a single
  deal object or a list of them) and the legacy v1 shape
  (``{"deals": [{"dealId", "properties": {prop: {"versions": [...]}}}]}``,
  timestamps in epoch milliseconds);
- ``owners.json`` (``/crm/v3/owners``: id, userId, email, firstName,
  lastName, teams, archived) to resolve owner ids and the users who made changes;
- ``pipelines.json`` (``/crm/v3/pipelines/deals``) for stage id -> label,
  won/lost (``metadata.isClosed`` + ``probability``) and stage order.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MiroirError, ParseError
from ._common import (
    find_col,
    fmt_date,
    fmt_datetime,
    fmt_number,
    infer_stage_order,
    map_forecast_category,
    parse_bool,
    parse_datetime,
    parse_number,
    read_export_csv,
    stage_sequences,
    status_changes,
    status_from_stage_name,
)
from .writer import DatasetWriter, ImportReport, report_rows

SOURCE = "hubspot"

DEAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "deal_id": ("Record ID", "Deal ID", "hs_object_id", "dealId"),
    "name": ("Deal Name", "dealname"),
    "stage": ("Deal Stage", "dealstage"),
    "amount": ("Amount", "amount"),
    "owner": ("Deal owner", "Deal Owner", "hubspot_owner_id", "Owner"),
    "close_date": ("Close Date", "closedate"),
    "created_at": ("Create Date", "createdate", "Created Date"),
    "pipeline": ("Pipeline", "pipeline"),
    "forecast_category": ("Forecast category", "Forecast Category", "hs_manual_forecast_category",
                          "hs_forecast_category"),
    "currency": ("Currency", "deal_currency_code", "Deal currency code"),
    "amount_home": ("Amount in company currency", "amount_in_home_currency"),
    "is_won": ("Is Closed Won", "hs_is_closed_won", "Is closed won"),
    "is_closed": ("Is Deal Closed?", "Is closed", "hs_is_closed", "Is Closed"),
    "account": ("Associated Company", "Associated Company (Primary)", "Company name", "Associated company"),
    "discount": ("Discount", "Discount (%)", "discount_pct"),
}

HISTORY_PROPERTIES: dict[str, str] = {
    "dealstage": "stage", "amount": "amount", "closedate": "close_date", "hubspot_owner_id": "owner",
    "hs_manual_forecast_category": "forecast_category", "hs_forecast_category": "forecast_category",
}
_QUIET_PROPERTIES = {"hs_lastmodifieddate", "hs_object_id", "createdate", "dealname", "pipeline",
                     "deal_currency_code", "hs_is_closed_won", "hs_is_closed", "amount_in_home_currency"}

# HubSpot default pipeline stage ids -> default labels
DEFAULT_STAGES: dict[str, tuple[str, str]] = {
    "appointmentscheduled": ("Appointment Scheduled", "open"),
    "qualifiedtobuy": ("Qualified To Buy", "open"),
    "presentationscheduled": ("Presentation Scheduled", "open"),
    "decisionmakerboughtin": ("Decision Maker Bought-In", "open"),
    "contractsent": ("Contract Sent", "open"),
    "closedwon": ("Closed Won", "won"),
    "closedlost": ("Closed Lost", "lost"),
}


@dataclass
class Owners:
    by_id: dict[str, str] = field(default_factory=dict)
    by_user: dict[str, str] = field(default_factory=dict)
    by_email: dict[str, str] = field(default_factory=dict)
    rows: list[dict[str, str]] = field(default_factory=list)

    def name(self, value: object) -> str | None:
        s = str(value if value is not None else "").strip()
        if not s:
            return None
        if s.startswith("userId:"):
            s = s[7:]
        return self.by_id.get(s) or self.by_user.get(s) or self.by_email.get(s.lower())


@dataclass
class Pipelines:
    label: dict[str, str] = field(default_factory=dict)  # stage id -> label
    status: dict[str, str] = field(default_factory=dict)  # label -> open/won/lost
    order: list[str] = field(default_factory=list)


def _load_json(path: Path, report: ImportReport) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        report.problem("error", path.name, f"not valid JSON: {exc}", expected="a HubSpot API response saved as JSON",
                       remedy="Save the API response body as UTF-8 JSON.", code="bad_json")
        return None
    except OSError as exc:
        report.problem("error", path.name, f"cannot read: {exc}", code="unreadable")
        return None


def _results(doc: Any) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for k in ("results", "deals", "owners", "pipelines"):
            if isinstance(doc.get(k), list):
                return list(doc[k])
        return [doc]
    return []


def _owners(doc: Any, fname: str, report: ImportReport) -> Owners:
    o = Owners()
    for i, r in enumerate(_results(doc), start=1):
        if not isinstance(r, dict):
            report.problem("warning", fname, "owner entry is not an object; ignored", row=i, code="bad_owner")
            continue
        name = " ".join(str(r.get(k) or "").strip() for k in ("firstName", "lastName")).strip()
        email = str(r.get("email") or "").strip()
        name = name or email
        oid = str(r.get("id") or r.get("ownerId") or "").strip()
        if not name or not oid:
            report.problem("warning", fname, "owner without id or name; ignored", row=i, code="bad_owner")
            continue
        o.by_id[oid] = name
        if r.get("userId") not in (None, ""):
            o.by_user[str(r["userId"])] = name
        if email:
            o.by_email[email.lower()] = name
        teams: list[Any] = r["teams"] if isinstance(r.get("teams"), list) else []
        primary = [t for t in teams if isinstance(t, dict) and t.get("primary")] or [t for t in teams if isinstance(t, dict)]
        o.rows.append({"person_id": oid, "name": name, "team": str(primary[0].get("name", "")) if primary else "",
                       "active": "false" if r.get("archived") or r.get("active") is False else "true"})
    return o


def _display_order(x: dict[str, Any]) -> int:
    v = x.get("displayOrder")
    return v if isinstance(v, int) else 0


def _pipelines(doc: Any, fname: str, report: ImportReport) -> Pipelines:
    p = Pipelines()
    pls = [x for x in _results(doc) if isinstance(x, dict)]
    pls.sort(key=_display_order)
    won: list[str] = []
    lost: list[str] = []
    for pl in pls:
        raw_stages: list[Any] = pl["stages"] if isinstance(pl.get("stages"), list) else []
        stages = [s for s in raw_stages if isinstance(s, dict)]
        stages.sort(key=_display_order)
        for s in stages:
            sid, label = str(s.get("id") or s.get("stageId") or ""), str(s.get("label") or "")
            if not label:
                continue
            if sid:
                p.label[sid] = label
            meta: dict[str, Any] = s["metadata"] if isinstance(s.get("metadata"), dict) else {}
            closed = str(meta.get("isClosed", "false")).lower() == "true"
            try:
                prob = float(meta.get("probability", "nan"))
            except (TypeError, ValueError):
                prob = float("nan")
            status = "open"
            if closed:
                status = "won" if prob >= 0.999 else "lost" if prob <= 0.001 else (status_from_stage_name(label) or "lost")
            p.status[label] = status
            if status == "won":
                won.append(label)
            elif status == "lost":
                lost.append(label)
            elif label not in p.order:
                p.order.append(label)
    p.order += [s for s in won if s not in p.order] + [s for s in lost if s not in p.order]
    if not p.label:
        report.problem("warning", fname, "no stages found in the pipelines file", code="bad_pipelines",
                       remedy="Save the response of GET /crm/v3/pipelines/deals.")
    return p


# ----------------------------------------------------------------------------------------------
# property history


@dataclass
class HistoryRow:
    deal_id: str
    prop: str
    value: str
    ts: object
    by: str


def _history_rows(doc: Any, fname: str, report: ImportReport) -> list[HistoryRow]:
    rows: list[HistoryRow] = []
    bad = 0
    for item in _results(doc):
        if not isinstance(item, dict):
            bad += 1
            continue
        if isinstance(item.get("propertiesWithHistory"), dict):  # v3
            did = str(item.get("id") or item.get("hs_object_id") or "").strip()
            for prop, versions in item["propertiesWithHistory"].items():
                if not isinstance(versions, list):
                    bad += 1
                    continue
                for v in versions:
                    if not isinstance(v, dict):
                        bad += 1
                        continue
                    by = v.get("updatedByUserId")
                    if by in (None, ""):
                        by = v.get("sourceId")
                    rows.append(HistoryRow(did, str(prop), "" if v.get("value") is None else str(v.get("value")),
                                           v.get("timestamp"), "" if by is None else str(by)))
        elif isinstance(item.get("properties"), dict) and ("dealId" in item or "portalId" in item):  # v1
            did = str(item.get("dealId") or "").strip()
            for prop, body in item["properties"].items():
                if not isinstance(body, dict):
                    bad += 1
                    continue
                versions = body.get("versions")
                if not isinstance(versions, list):
                    versions = [body]
                for v in versions:
                    if not isinstance(v, dict):
                        bad += 1
                        continue
                    rows.append(HistoryRow(did, str(v.get("name") or prop),
                                           "" if v.get("value") is None else str(v.get("value")),
                                           v.get("timestamp"), str(v.get("sourceId") or "")))
        else:
            bad += 1
    if bad:
        report.problem("warning", fname, f"{bad} entr(y/ies) not in the v3 propertiesWithHistory or v1 versions "
                       "shape were ignored", remedy="Save deals fetched with ?propertiesWithHistory=dealstage,amount,"
                       "closedate,hubspot_owner_id (v3) or includePropertyVersions=true (v1).", code="bad_history")
    return rows


def _changes(rows: list[HistoryRow], owners: Owners, pipes: Pipelines, deal_ids: set[str],
             report: ImportReport, files: str) -> pd.DataFrame:
    cols = ["deal_id", "ts", "field", "old_value", "new_value", "changed_by"]
    if not rows:
        return pd.DataFrame(columns=cols)
    h = pd.DataFrame([r.__dict__ for r in rows])
    h["field"] = h["prop"].map(HISTORY_PROPERTIES)
    other = h["field"].isna() & ~h["prop"].isin(_QUIET_PROPERTIES)
    if other.any():
        report.note(f"{files}: properties not tracked by miroir, not imported: "
                    + ", ".join(f"{k} ({v})" for k, v in h.loc[other, "prop"].value_counts().items()))
        report.exclude("history entries of properties miroir does not track", int(other.sum()))
    h = h[h["field"].notna()]
    h["ts"] = parse_datetime(h["ts"].astype(str))
    bad_ts = h["ts"].isna()
    if bad_ts.any():
        report.problem("error", files, f"{int(bad_ts.sum())} history entr(y/ies) without a valid timestamp; excluded",
                       column="timestamp", expected="ISO time or epoch milliseconds", code="bad_date")
        report.exclude("history entries without a timestamp", int(bad_ts.sum()))
    orphan = ~bad_ts & ~h["deal_id"].isin(deal_ids)
    if orphan.any():
        report.problem("warning", files, f"history of {h.loc[orphan, 'deal_id'].nunique()} deal(s) not in the deals "
                       f"export ({int(orphan.sum())} entries) excluded", column="id",
                       remedy="Export all deals, or fetch history only for exported deals.", code="orphan_history")
        report.exclude("history entries of deals not in the deals export", int(orphan.sum()))
    h = h[~bad_ts & ~orphan].copy()
    # values -> labels/names
    stage = h["field"] == "stage"
    h.loc[stage, "value"] = h.loc[stage, "value"].map(lambda v: pipes.label.get(v) or DEFAULT_STAGES.get(v, (v,))[0])
    own = h["field"] == "owner"
    h.loc[own, "value"] = h.loc[own, "value"].map(lambda v: owners.name(v) or v)
    amt = h["field"] == "amount"
    h.loc[amt, "value"] = fmt_number(parse_number(h.loc[amt, "value"])).where(
        parse_number(h.loc[amt, "value"]).notna(), h.loc[amt, "value"])
    cd = h["field"] == "close_date"
    cts = parse_datetime(h.loc[cd, "value"])
    h.loc[cd, "value"] = fmt_date(cts).where(cts.notna(), h.loc[cd, "value"])
    fc = h["field"] == "forecast_category"
    mapped, _unk = map_forecast_category(h.loc[fc, "value"].str.replace("_", " "))
    h.loc[fc, "value"] = mapped.where(mapped != "", h.loc[fc, "value"])
    h["by"] = h["by"].map(lambda v: owners.name(v) or "")
    h = h.drop_duplicates(subset=["deal_id", "field", "ts", "value"])
    h = h.sort_values(["deal_id", "field", "ts"], kind="stable")
    h["old"] = h.groupby(["deal_id", "field"], sort=False)["value"].shift(1).fillna("")
    keep = (h["value"] != h["old"]) & (h["value"] != "")
    h = h[keep]
    out = pd.DataFrame({"deal_id": h["deal_id"], "ts": h["ts"], "field": h["field"], "old_value": h["old"],
                        "new_value": h["value"], "changed_by": h["by"]})
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------------------------


def _find_deals_csv(src: Path, report: ImportReport) -> tuple[Path, pd.DataFrame]:
    candidates = []
    for p in sorted(src.iterdir()):
        if p.is_file() and p.suffix.lower() == ".csv":
            try:
                got = read_export_csv(p)
            except ParseError as exc:
                report.problem("error", p.name, exc.message, remedy=exc.remedy, code="unreadable")
                continue
            if find_col(got.frame, *DEAL_COLUMNS["deal_id"]) and find_col(got.frame, *DEAL_COLUMNS["stage"]):
                report.problems.extend(got.problems)
                candidates.append((p, got.frame))
    if not candidates:
        raise MiroirError(f"no HubSpot deals export in {src}",
                          "Export deals from HubSpot (CRM > Deals > Export, CSV, all properties) into this folder; "
                          "the file needs the Record ID and Deal Stage columns.")
    if len(candidates) > 1:
        report.note("several deals exports found; concatenated: " + ", ".join(p.name for p, _ in candidates))
        frame = pd.concat([f for _, f in candidates], ignore_index=True).fillna("")
        return candidates[0][0], frame
    return candidates[0]


def import_hubspot(src: Path, out: Path) -> ImportReport:
    """Import a folder of HubSpot exports into the dataset folder ``out``."""
    src = Path(src)
    report = ImportReport(source=SOURCE)
    if not src.is_dir():
        raise MiroirError(f"{src} is not a folder", "Give the folder holding the HubSpot deals export CSV.")
    path, df = _find_deals_csv(src, report)
    fname = path.name
    report.inputs[fname] = len(df)
    src_cfg: dict[str, Any] = {}
    if (src / "miroir.toml").exists():
        try:
            src_cfg = tomllib.loads((src / "miroir.toml").read_text(encoding="utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            report.problem("warning", "miroir.toml", "export folder's miroir.toml unreadable; ignored", code="config")
    owners, pipes = Owners(), Pipelines()
    history: list[HistoryRow] = []
    hist_files: list[str] = []
    for p in sorted(src.iterdir()):
        if not (p.is_file() and p.suffix.lower() == ".json"):
            continue
        doc = _load_json(p, report)
        if doc is None:
            continue
        stem = p.stem.lower()
        if "owner" in stem:
            owners = _owners(doc, p.name, report)
            report.inputs[p.name] = len(owners.rows)
        elif "pipeline" in stem:
            pipes = _pipelines(doc, p.name, report)
            report.inputs[p.name] = len(pipes.label)
        else:
            got = _history_rows(doc, p.name, report)
            report.inputs[p.name] = len(got)
            history += got
            hist_files.append(p.name)
    cols = {k: find_col(df, *names) for k, names in DEAL_COLUMNS.items()}

    def get(key: str) -> pd.Series:
        c = cols[key]
        return df[c].astype(str).str.strip() if c is not None else pd.Series("", index=df.index, dtype=object)

    deals = pd.DataFrame(index=df.index)
    deals["deal_id"] = get("deal_id")
    deals["name"] = get("name")
    deals["account"] = get("account")
    owner_raw = get("owner")
    deals["owner"] = owner_raw.map(lambda v: owners.name(v) or v)
    if (deals["owner"] == "").any():
        report_rows(report, "error", fname, "deal without an owner", [int(i) + 1 for i in np.flatnonzero(deals["owner"] == "")],
                    column=cols["owner"] or "Deal owner", remedy="Assign an owner in HubSpot or fill it in deals.csv.",
                    code="missing_owner")
    stage_raw = get("stage")
    deals["stage"] = stage_raw.map(lambda v: pipes.label.get(v) or DEFAULT_STAGES.get(v, (v,))[0])
    amount = parse_number(get("amount"))
    blank = get("amount") == ""
    bad = amount.isna() & ~blank
    if bad.any():
        report_rows(report, "error", fname, "Amount is not a number; written as 0", [int(i) + 1 for i in np.flatnonzero(bad)],
                    column=cols["amount"], value=str(get("amount")[bad].iloc[0]), expected="a number", code="bad_amount")
    if blank.any():
        report_rows(report, "warning", fname, "Amount is blank; written as 0", [int(i) + 1 for i in np.flatnonzero(blank)],
                    column=cols["amount"] or "Amount", remedy="Fill the amount in HubSpot if these deals have a value.",
                    code="blank_amount")
    deals["amount"] = fmt_number(amount.fillna(0.0))
    default_ccy = str(src_cfg.get("currency", "")).upper()
    deals["currency"] = get("currency").str.upper().where(get("currency") != "", default_ccy)
    fc, unk = map_forecast_category(get("forecast_category").str.replace("_", " "))
    deals["forecast_category"] = fc
    if unk.any():
        report_rows(report, "warning", fname, "forecast category not recognised; left empty",
                    [int(i) + 1 for i in np.flatnonzero(unk)], column=cols["forecast_category"],
                    value=str(get("forecast_category")[unk].iloc[0]), code="forecast_category")
    for key in ("created_at", "close_date"):
        ts = parse_datetime(get(key))
        deals[key] = fmt_date(ts)
        badd = ts.isna()
        if key == "close_date" and badd.any():
            # open deals without a close date: fall back to nothing, reported
            pass
        if badd.any():
            report_rows(report, "error", fname, f"{cols[key] or key} missing or not a date",
                        [int(i) + 1 for i in np.flatnonzero(badd)], column=cols[key] or key,
                        expected="a date like 2024-03-31", remedy="Fill the date in HubSpot or in deals.csv; "
                        "miroir validate rejects rows without it.", code="bad_date")
    deals["discount_pct"] = fmt_number(parse_number(get("discount"))) if cols["discount"] else ""
    # status
    won = parse_bool(get("is_won"))
    closed = parse_bool(get("is_closed"))
    status = pd.Series("", index=df.index, dtype=object)
    if cols["is_won"] and cols["is_closed"]:
        status[:] = np.where(won.fillna(False).to_numpy(dtype=bool), "won",
                             np.where(closed.fillna(False).to_numpy(dtype=bool), "lost", "open"))
        status[(won.isna() | closed.isna()).to_numpy()] = ""
    by_stage = deals["stage"].map(lambda s: pipes.status.get(s) or DEFAULT_STAGES.get(
        next((k for k, v in DEFAULT_STAGES.items() if v[0] == s), ""), ("", ""))[1] or "")
    status = status.where(status != "", by_stage)
    by_name = deals["stage"].map(lambda s: status_from_stage_name(s) or "")
    if cols["is_won"] and not cols["is_closed"]:
        # "Is Closed Won" alone: won when true; otherwise lost only if the stage says so
        status = status.where(status != "", pd.Series(np.where(won.fillna(False).to_numpy(dtype=bool), "won", ""),
                                                      index=df.index))
    status = status.where(status != "", by_name)
    if not pipes.status and not cols["is_closed"]:
        status = status.where(status != "", "open")
        report.note("no pipelines.json and no 'Is Deal Closed?' column: deals whose stage name does not say won/lost "
                    "are taken as open")
    unknown = status == ""
    if unknown.any():
        report_rows(report, "error", fname, "status unknown for this stage", [int(i) + 1 for i in np.flatnonzero(unknown)],
                    column=cols["stage"], value=str(deals.loc[unknown, "stage"].iloc[0]),
                    remedy="Add pipelines.json (GET /crm/v3/pipelines/deals) or won_stages/lost_stages to miroir.toml.",
                    code="unknown_status")
    deals["status"] = status
    home = parse_number(get("amount_home"))
    if cols["amount_home"]:
        deals["amount_converted"] = fmt_number(home)
        deals["converted_currency"] = default_ccy
    currencies = sorted(set(deals["currency"]) - {""})
    if len(currencies) > 1 and not cols["amount_home"]:
        report.problem("warning", fname, f"amounts in {len(currencies)} currencies ({', '.join(currencies)}) and no "
                       "'Amount in company currency' column: amounts kept per deal, not converted",
                       column=cols["currency"], remedy="Add the 'Amount in company currency' property to the export.",
                       code="no_conversion_rates")
    dup = deals["deal_id"].duplicated(keep="last") | (deals["deal_id"] == "")
    if dup.any():
        report_rows(report, "warning", fname, "duplicate or empty Record ID; row excluded (last duplicate kept)",
                    [int(i) + 1 for i in np.flatnonzero(dup)], column=cols["deal_id"], code="duplicate_id")
        report.exclude(f"duplicate/empty Record ID rows in {fname}", int(dup.sum()))
    used = {c for c in cols.values() if c}
    extra = [c for c in df.columns if c not in used]
    if extra:
        report.unmapped_columns[fname] = extra
        for c in extra:
            if (df[c].astype(str).str.strip() != "").any():
                deals[f"hubspot_{c}"] = df[c].astype(str)
    if cols["pipeline"]:
        deals["pipeline"] = get("pipeline")
    deals = deals[~dup].reset_index(drop=True)
    changes = _changes(history, owners, pipes, set(deals["deal_id"]), report, ", ".join(hist_files) or "history")
    if not hist_files:
        report.note("no property history JSON: deal_changes.csv not written; lenses that need history will say so")
    stage_status = dict(zip(deals["stage"], deals["status"], strict=True))
    stage_status.update(pipes.status)
    for st in set(changes.loc[changes["field"] == "stage", "new_value"]) | set(
            changes.loc[changes["field"] == "stage", "old_value"]):
        if st and st not in stage_status:
            stage_status[st] = status_from_stage_name(st) or "open"
    changes = pd.concat([changes, status_changes(changes, stage_status)], ignore_index=True)
    changes = changes.sort_values(["deal_id", "ts", "field"], kind="stable")
    changes["changed_at"] = fmt_datetime(changes["ts"]) if len(changes) else ""
    # stage order
    if pipes.order:
        order, order_src = pipes.order, "pipelines.json displayOrder"
    elif isinstance(src_cfg.get("stages"), list) and src_cfg["stages"]:
        order, order_src = [str(s) for s in src_cfg["stages"]], "miroir.toml in the export folder"
    else:
        seqs = stage_sequences(changes)
        seen = {s for q in seqs for s in q}
        closed_map = {s: v for s, v in stage_status.items() if v in ("won", "lost")}
        order = infer_stage_order(seqs + [[s] for s in deals["stage"] if s not in seen], closed_map)
        order_src = "inferred from the deals' stage history"
    report.note(f"stage order ({order_src}): {' > '.join(order)}")
    # people
    if owners.rows:
        people = pd.DataFrame(owners.rows)
        owner_names = set(deals["owner"])
        people["role"] = np.where(people["name"].isin(owner_names), "rep", "other")
        inactive = people["active"] == "false"
        if inactive.any():
            report.note(f"{int(inactive.sum())} archived owner(s) kept (people who left still own history): "
                        + ", ".join(people.loc[inactive, "name"].head(8)))
        missing = sorted(owner_names - set(people["name"]) - {""})
        if missing:
            report.problem("warning", fname, "deal owners not in owners.json: " + ", ".join(missing[:8]),
                           column=cols["owner"], remedy="Export owners including archived ones (?archived=true).",
                           code="unresolved_owner")
            people = pd.concat([people, pd.DataFrame({"person_id": missing, "name": missing, "role": "rep"})],
                               ignore_index=True)
        report.note("roles: owners of deals are 'rep', others 'other'; set managers and directors in people.csv")
    else:
        names = sorted(set(deals["owner"]) - {""})
        people = pd.DataFrame({"person_id": names, "name": names, "role": "rep"})
        report.note("no owners.json: people.csv lists deal owners as reps; add managers by hand")
    writer = DatasetWriter(out, report)
    existing_people = writer.existing("people")
    if existing_people is not None and "name" in existing_people.columns:
        have = set(existing_people["name"])
        add = people[~people["name"].isin(have)]
        report.note(f"people.csv already in the dataset: kept as is (roles, managers); {len(add)} owner(s) added")
        people = pd.concat([existing_people, add], ignore_index=True).fillna("")
    writer.write_table("deals", deals)
    if hist_files:
        writer.write_table("deal_changes", changes[["deal_id", "changed_at", "field", "old_value", "new_value",
                                                     "changed_by"]])
    writer.write_table("people", people)
    writer.write_config({
        "currency": default_ccy or (currencies[0] if len(currencies) == 1 else ""),
        "stages": order,
        "won_stages": sorted(s for s, v in stage_status.items() if v == "won" and s),
        "lost_stages": sorted(s for s, v in stage_status.items() if v == "lost" and s),
    })
    return writer.finish()
