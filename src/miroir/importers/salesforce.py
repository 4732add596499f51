"""Salesforce export (Setup -> Data Export, Data Loader or API CSVs) -> dataset folder.

Reads, from one folder (file names case-insensitive, ``Object.csv`` or
``Object_1.csv``, ``Object_2.csv``... parts):

- ``Opportunity.csv`` (required) -> ``deals``
- ``OpportunityFieldHistory.csv`` (Field/OldValue/NewValue) and
  ``OpportunityHistory.csv`` (snapshot rows) -> ``deal_changes``. For a deal
  and a field, field-history rows win; snapshot-derived changes are only kept
  for the time *before* the first field-history row (older history that field
  history no longer holds). Snapshots are diffed row to row per opportunity.
- ``User.csv`` (+ ``UserRole.csv``) -> ``people``; ids -> names everywhere.
- ``Account.csv`` -> deal account names.
- ``ForecastingItem.csv`` / ``ForecastingQuota.csv`` (+ ``Period.csv``) ->
  ``forecasts`` / ``quotas``.
- ``OpportunityStage.csv`` (stage order and won/lost), ``DatedConversionRate.csv``
  and ``CurrencyType.csv`` (multi-currency), ``Organization.csv`` (fiscal year).

Rows with ``IsDeleted`` true are excluded and reported. Every choice lands in
the :class:`ImportReport`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..calendar import FiscalCalendar
from ..errors import MiroirError, ParseError
from ._common import (
    col_or_empty,
    find_col,
    fmt_date,
    fmt_datetime,
    fmt_number,
    infer_stage_order,
    map_forecast_category,
    norm_key,
    parse_bool,
    parse_datetime,
    parse_number,
    read_export_csv,
    row_numbers,
    sf_id_key,
    stage_sequences,
    status_changes,
    status_from_stage_name,
)
from .writer import DatasetWriter, ImportReport, report_rows

SOURCE = "salesforce"

# Opportunity columns with a place in the contract (API names; report-style labels accepted too)
OPP_COLUMNS: dict[str, tuple[str, ...]] = {
    "deal_id": ("Id", "Opportunity ID", "OpportunityId", "Opportunity Id"),
    "name": ("Name", "Opportunity Name"),
    "account_id": ("AccountId", "Account ID"),
    "account_name": ("Account.Name", "Account Name", "AccountName"),
    "owner_id": ("OwnerId", "Owner ID", "Opportunity Owner ID"),
    "owner_name": ("Owner.Name", "Opportunity Owner", "Owner Name", "OwnerName"),
    "amount": ("Amount",),
    "currency": ("CurrencyIsoCode", "Opportunity Currency", "Currency"),
    "stage": ("StageName", "Stage"),
    "forecast_category": ("ForecastCategoryName", "ForecastCategory", "Forecast Category"),
    "created_at": ("CreatedDate", "Created Date"),
    "close_date": ("CloseDate", "Close Date"),
    "is_closed": ("IsClosed", "Closed"),
    "is_won": ("IsWon", "Won"),
    "is_deleted": ("IsDeleted",),
    "discount": ("Discount__c", "Discount_Percent__c", "DiscountPct__c", "Discount_Pct__c", "Discount"),
    "list_amount": ("List_Amount__c", "ListAmount__c", "List_Price__c"),
}

# columns we read but that are not "unmapped" (we use them, or they are bookkeeping)
_OPP_USED_QUIET = {"ForecastCategory", "Probability", "ExpectedRevenue", "SystemModstamp", "LastModifiedDate",
                   "LastModifiedById", "CreatedById", "IsDeleted"}

FIELD_HISTORY_FIELDS: dict[str, str] = {
    "stagename": "stage", "amount": "amount", "closedate": "close_date", "forecastcategoryname": "forecast_category",
    "forecastcategory": "forecast_category", "owner": "owner", "ownerid": "owner",
}
_DISCOUNT_FIELD = re.compile(r"discount", re.I)
_USER_ID = re.compile(r"^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$")
SNAPSHOT_FIELDS = ("stage", "amount", "close_date", "forecast_category")
MERGE_TOLERANCE = pd.Timedelta(seconds=60)


@dataclass
class SfFiles:
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # object -> file name(s) for messages


def _object_files(src: Path, obj: str) -> list[Path]:
    want = obj.lower()
    hits: list[Path] = []
    for p in sorted(src.iterdir()):
        if not p.is_file() or p.suffix.lower() != ".csv":
            continue
        stem = p.stem.lower()
        if stem == want or re.fullmatch(re.escape(want) + r"[_-]?\d+", stem):
            hits.append(p)
    return hits


def _read_object(src: Path, obj: str, report: ImportReport, files: SfFiles) -> pd.DataFrame | None:
    paths = _object_files(src, obj)
    if not paths:
        return None
    parts = []
    for p in paths:
        if p.is_symlink() and not p.resolve().is_relative_to(src.resolve()):
            report.problem("error", p.name, "file is a link to outside the export folder; not read",
                           remedy="Copy the file into the folder instead of linking it.", code="outside_link")
            continue
        try:
            got = read_export_csv(p)
        except ParseError as exc:
            report.problem("error", p.name, exc.message, remedy=exc.remedy, code="unreadable")
            continue
        report.problems.extend(got.problems)
        report.inputs[p.name] = len(got.frame)
        parts.append(got.frame)
    if not parts:
        return None
    frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True).fillna("")
    label = paths[0].name if len(paths) == 1 else f"{obj}_*.csv"
    files.names[obj] = label
    # IsDeleted rows are excluded everywhere, and reported
    dcol = find_col(frame, "IsDeleted")
    if dcol is not None and len(frame):
        deleted = parse_bool(frame[dcol]).fillna(False).to_numpy(dtype=bool)
        if deleted.any():
            rows = row_numbers(deleted)
            report_rows(report, "warning", label, "deleted rows (IsDeleted = true) excluded", rows, column=dcol,
                        remedy="Nothing to do: deleted records are not part of the history. Restore them in "
                               "Salesforce if they should count.", code="is_deleted")
            report.exclude(f"deleted rows (IsDeleted) in {label}", len(rows))
            frame = frame.loc[~deleted].reset_index(drop=True)
            frame.attrs["src_rows"] = np.flatnonzero(~deleted) + 1
    if "src_rows" not in frame.attrs:
        frame.attrs["src_rows"] = np.arange(1, len(frame) + 1)
    files.frames[obj] = frame
    return frame


def _src_rows(frame: pd.DataFrame, mask: pd.Series | np.ndarray) -> list[int]:
    rows = frame.attrs.get("src_rows")
    arr = np.asarray(mask, dtype=bool)
    if rows is None or len(rows) != len(arr):
        return row_numbers(arr)
    return [int(r) for r in np.asarray(rows)[arr]]


# ----------------------------------------------------------------------------------------------
# users, accounts


@dataclass
class Directory:
    user_name: dict[str, str] = field(default_factory=dict)  # id15 -> name
    user_email: dict[str, str] = field(default_factory=dict)
    account_name: dict[str, str] = field(default_factory=dict)

    def users(self, ids: pd.Series) -> tuple[pd.Series, pd.Series]:
        """(names, mask of non-empty ids not found)."""
        key = sf_id_key(ids)
        names = key.map(self.user_name).astype(object)
        missing = names.isna() & (key != "")
        return names.fillna(ids.astype(str).str.strip()).astype(object), missing


def _user_names(users: pd.DataFrame) -> pd.Series:
    name = col_or_empty(users, "Name", "Full Name")
    first = col_or_empty(users, "FirstName", "First Name")
    last = col_or_empty(users, "LastName", "Last Name")
    joined = (first + " " + last).str.strip()
    name = name.where(name != "", joined)
    uname = col_or_empty(users, "Username", "Email")
    return name.where(name != "", uname)


def _build_directory(files: SfFiles) -> Directory:
    d = Directory()
    users = files.frames.get("User")
    if users is not None and find_col(users, "Id") is not None:
        ids = sf_id_key(users[find_col(users, "Id")])  # type: ignore[index]
        d.user_name = dict(zip(ids, _user_names(users), strict=True))
        d.user_email = dict(zip(ids, col_or_empty(users, "Email"), strict=True))
    accounts = files.frames.get("Account")
    if accounts is not None and find_col(accounts, "Id") is not None:
        d.account_name = dict(zip(sf_id_key(accounts[find_col(accounts, "Id")]),  # type: ignore[index]
                                  col_or_empty(accounts, "Name", "Account Name"), strict=True))
    return d


# ----------------------------------------------------------------------------------------------
# stages


@dataclass
class StageInfo:
    status: dict[str, str] = field(default_factory=dict)  # stage -> open/won/lost
    order: list[str] = field(default_factory=list)
    order_source: str = ""


def _stage_table(files: SfFiles, report: ImportReport) -> StageInfo:
    info = StageInfo()
    st = files.frames.get("OpportunityStage")
    if st is None:
        return info
    label = col_or_empty(st, "MasterLabel", "ApiName", "Label")
    api = col_or_empty(st, "ApiName")
    closed = parse_bool(col_or_empty(st, "IsClosed")).fillna(False)
    won = parse_bool(col_or_empty(st, "IsWon")).fillna(False)
    order = parse_number(col_or_empty(st, "SortOrder"))
    active = parse_bool(col_or_empty(st, "IsActive")).fillna(True)
    for lab, a, c, w in zip(label, api, closed, won, strict=True):
        status = "won" if (c and w) else "lost" if c else "open"
        for name in {lab, a} - {""}:
            info.status[name] = status
    tbl = pd.DataFrame({"label": label, "order": order, "active": active})
    tbl = tbl[tbl["label"] != ""]
    if len(tbl):
        tbl = tbl.sort_values(["order", "label"], kind="stable", na_position="last")
        info.order = list(dict.fromkeys(tbl["label"]))
        info.order_source = f"{files.names['OpportunityStage']} (SortOrder)"
    return info


def _read_src_config(src: Path, report: ImportReport) -> dict[str, object]:
    p = src / "miroir.toml"
    if not p.exists():
        return {}
    try:
        return tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        report.problem("warning", "miroir.toml", f"cannot read the export folder's miroir.toml: {exc}",
                       remedy="Fix the TOML syntax; it was ignored.", code="config")
        return {}


# ----------------------------------------------------------------------------------------------
# currencies


def _convert(deals: pd.DataFrame, files: SfFiles, report: ImportReport, default_ccy: str) -> str | None:
    """Add ``amount_converted`` (corporate currency) when rates exist; return the corporate currency."""
    currencies = sorted(set(deals["currency"]) - {""})
    corporate: str | None = None
    ct = files.frames.get("CurrencyType")
    if ct is not None:
        corp = parse_bool(col_or_empty(ct, "IsCorporate")).fillna(False).to_numpy(dtype=bool)
        codes = col_or_empty(ct, "IsoCode")
        if corp.any():
            corporate = str(codes[corp].iloc[0]).upper()
    rates = files.frames.get("DatedConversionRate")
    if rates is None:
        static = None
        if ct is not None:
            static = dict(zip(col_or_empty(ct, "IsoCode").str.upper(), parse_number(col_or_empty(ct, "ConversionRate")),
                              strict=True))
        if len(currencies) > 1 and not static:
            report.problem("warning", "Opportunity.csv",
                           f"amounts are in {len(currencies)} currencies ({', '.join(currencies)}) and no "
                           "DatedConversionRate.csv or CurrencyType.csv was found: amounts are kept per deal in "
                           "their own currency, not converted",
                           column="CurrencyIsoCode",
                           remedy="Export DatedConversionRate (advanced currency management) or CurrencyType with "
                                  "the data, or analyse one currency at a time.", code="no_conversion_rates")
            return corporate
        if static:
            rate = deals["currency"].str.upper().map(static)
            deals["amount_converted"] = fmt_number(parse_number(deals["amount"]) / rate)
            deals["converted_currency"] = corporate or default_ccy
            report.note("amounts converted with the static rates of CurrencyType.csv (no dated rates)")
        return corporate
    iso = col_or_empty(rates, "IsoCode").str.upper()
    start = parse_datetime(col_or_empty(rates, "StartDate"))
    rate = parse_number(col_or_empty(rates, "ConversionRate"))
    ok = (iso != "") & start.notna() & rate.notna() & (rate > 0)
    if (~ok).any():
        report_rows(report, "warning", files.names["DatedConversionRate"], "conversion rate rows without a usable "
                    "IsoCode, StartDate or positive ConversionRate were ignored", _src_rows(rates, ~ok),
                    remedy="Check the rate export.", code="bad_rate")
    tbl = pd.DataFrame({"currency": iso[ok], "start": start[ok], "rate": rate[ok]})
    if corporate is None:
        ones = tbl.groupby("currency")["rate"].agg(lambda r: bool(np.allclose(r, 1.0)))
        corp_guess = [c for c, v in ones.items() if v]
        if len(corp_guess) == 1:
            corporate = str(corp_guess[0])
    close = parse_datetime(deals["close_date"])
    left = pd.DataFrame({"currency": deals["currency"].str.upper(), "start": close, "pos": np.arange(len(deals))})
    usable = left["start"].notna() & (left["currency"] != "")
    conv = pd.Series(np.nan, index=range(len(deals)))
    if usable.any() and len(tbl):
        merged = pd.merge_asof(left[usable].sort_values("start"), tbl.sort_values("start"), on="start",
                               by="currency", direction="backward")
        conv[merged["pos"].to_numpy()] = merged["rate"].to_numpy()
    amount = parse_number(deals["amount"]).to_numpy()
    converted = pd.Series(amount / conv.to_numpy(), index=deals.index)
    deals["amount_converted"] = fmt_number(converted)
    deals["converted_currency"] = corporate or ""
    missing = converted.isna().to_numpy() & (deals["amount"] != "").to_numpy()
    if missing.any():
        report_rows(report, "warning", "Opportunity.csv", "no conversion rate for the deal's currency at its close "
                    "date; amount_converted left empty", _src_rows(files.frames["Opportunity"], missing),
                    column="CurrencyIsoCode", remedy="Add the missing rates to DatedConversionRate.csv.",
                    code="missing_rate")
    report.note(f"amounts kept in each deal's currency; amount_converted = amount in {corporate or 'the corporate currency'}"
                " at the dated rate in force on the close date (DatedConversionRate.csv)")
    return corporate


# ----------------------------------------------------------------------------------------------
# deals


def _deals(files: SfFiles, d: Directory, report: ImportReport, default_ccy: str) -> pd.DataFrame:
    opp = files.frames["Opportunity"]
    fname = files.names["Opportunity"]
    cols = {k: find_col(opp, *names) for k, names in OPP_COLUMNS.items()}
    if cols["deal_id"] is None:
        raise MiroirError(f"{fname} has no Id column", "Export the Opportunity object with its Id field "
                          "(Data Export includes it; in Data Loader select Id).", file=fname)

    def get(key: str) -> pd.Series:
        c = cols[key]
        return opp[c].astype(str).str.strip() if c is not None else pd.Series("", index=opp.index, dtype=object)

    out = pd.DataFrame(index=opp.index)
    out["deal_id"] = get("deal_id")
    out["name"] = get("name")
    acc_ids = get("account_id")
    acc = sf_id_key(acc_ids).map(d.account_name).astype(object)
    out["account"] = get("account_name").where(get("account_name") != "", acc.fillna(""))
    unresolved_acc = acc.isna() & (acc_ids != "") & (out["account"] == "")
    if unresolved_acc.any():
        out.loc[unresolved_acc, "account"] = acc_ids[unresolved_acc]
        report_rows(report, "warning", fname, "AccountId not found in Account.csv; the id is used as the account",
                    _src_rows(opp, unresolved_acc), column=cols["account_id"],
                    remedy="Include Account.csv in the export folder.", code="unresolved_account")
    owner_names, missing_owner = d.users(get("owner_id"))
    given_owner = get("owner_name")
    out["owner"] = given_owner.where(given_owner != "", owner_names)
    missing_owner &= given_owner == ""
    if missing_owner.any():
        report_rows(report, "warning", fname, "OwnerId not found in User.csv; the id is used as the owner",
                    _src_rows(opp, missing_owner), column=cols["owner_id"],
                    remedy="Include User.csv (all users, active and inactive) in the export folder.",
                    code="unresolved_owner")
    no_owner = out["owner"] == ""
    if no_owner.any():
        report_rows(report, "error", fname, "deal without an owner", _src_rows(opp, no_owner),
                    column=cols["owner_id"] or "OwnerId", remedy="Export OwnerId with the opportunities.",
                    code="missing_owner")
    amount = parse_number(get("amount"))
    bad_amount = amount.isna() & (get("amount") != "")
    if bad_amount.any():
        report_rows(report, "error", fname, "Amount is not a number", _src_rows(opp, bad_amount),
                    column=cols["amount"], expected="a number like 12500.00", value=str(get("amount")[bad_amount].iloc[0]),
                    remedy="Fix the values; these deals are written with amount 0.", code="bad_amount")
    blank_amount = get("amount") == ""
    if blank_amount.any():
        report_rows(report, "warning", fname, "Amount is blank; written as 0", _src_rows(opp, blank_amount),
                    column=cols["amount"] or "Amount", remedy="Fill the Amount in Salesforce if these deals have a value.",
                    code="blank_amount")
    out["amount"] = fmt_number(amount.fillna(0.0))
    out["currency"] = get("currency").str.upper().where(get("currency") != "", default_ccy)
    out["stage"] = get("stage")
    fc, unknown_fc = map_forecast_category(get("forecast_category"))
    out["forecast_category"] = fc
    if unknown_fc.any():
        report_rows(report, "warning", fname, "forecast category not recognised; left empty", _src_rows(opp, unknown_fc),
                    column=cols["forecast_category"], value=str(get("forecast_category")[unknown_fc].iloc[0]),
                    expected="Pipeline, Best Case, Commit/Forecast, Closed or Omitted", code="forecast_category")
    for key in ("created_at", "close_date"):
        raw = get(key)
        ts = parse_datetime(raw)
        bad = ts.isna()
        out[key] = fmt_date(ts)
        if bad.any():
            report_rows(report, "error", fname, f"{cols[key] or key} is missing or not a date",
                        _src_rows(opp, bad), column=cols[key] or key, expected="ISO date like 2024-03-31",
                        value=str(raw[bad].iloc[0]), remedy="Fix the values in the export; these rows will be "
                        "rejected by miroir validate.", code="bad_date")
    out["discount_pct"] = fmt_number(parse_number(get("discount"))) if cols["discount"] else ""
    out["list_amount"] = fmt_number(parse_number(get("list_amount"))) if cols["list_amount"] else ""
    # status from IsClosed/IsWon; stage names only when those columns are absent
    closed = parse_bool(get("is_closed"))
    won = parse_bool(get("is_won"))
    status = pd.Series(np.where(closed.fillna(False).to_numpy(dtype=bool),
                                np.where(won.fillna(False).to_numpy(dtype=bool), "won", "lost"), "open"),
                       index=opp.index, dtype=object)
    status[closed.isna().to_numpy()] = ""
    out["status"] = status
    # duplicates
    dup = out["deal_id"].duplicated(keep="last") & (out["deal_id"] != "")
    if dup.any():
        report_rows(report, "warning", fname, "duplicate opportunity Id; the last row is kept", _src_rows(opp, dup),
                    column=cols["deal_id"], remedy="Check that the export parts do not overlap.", code="duplicate_id")
        report.exclude(f"duplicate opportunity rows in {fname}", int(dup.sum()))
    no_id = out["deal_id"] == ""
    if no_id.any():
        report_rows(report, "error", fname, "row without an Id; excluded", _src_rows(opp, no_id),
                    column=cols["deal_id"], code="missing_id")
        report.exclude(f"opportunity rows without Id in {fname}", int(no_id.sum()))
    used = {c for c in cols.values() if c}
    extra = [c for c in opp.columns if c not in used and c not in _OPP_USED_QUIET]
    kept_extra = [c for c in extra if (opp[c].astype(str).str.strip() != "").any()]
    for c in kept_extra:
        out[f"sf_{c}"] = opp[c].astype(str)
    if extra:
        report.unmapped_columns[fname] = extra
    if kept_extra:
        report.note(f"{len(kept_extra)} unmapped Opportunity column(s) with values kept as extra sf_* columns of deals.csv")
    keep = ~(dup | no_id)
    out = out.loc[keep].reset_index(drop=True)
    out.attrs["src_rows"] = np.asarray(opp.attrs.get("src_rows", np.arange(1, len(opp) + 1)))[keep.to_numpy()]
    return out


def _resolve_status(deals: pd.DataFrame, stage_info: StageInfo, report: ImportReport, fname: str) -> None:
    """Learn stage -> status from the deals (IsClosed/IsWon), fill missing statuses."""
    known = deals[deals["status"] != ""]
    if len(known):
        majority = known.groupby("stage")["status"].agg(lambda s: s.value_counts().index[0])
        for st, status in majority.items():
            stage_info.status.setdefault(str(st), str(status))
    missing = deals["status"] == ""
    if missing.any():
        guessed = deals.loc[missing, "stage"].map(
            lambda s: stage_info.status.get(s) or status_from_stage_name(s) or "")
        deals.loc[missing, "status"] = guessed
        still = (deals["status"] == "").to_numpy()
        if still.any():
            report_rows(report, "error", fname, "status unknown: no IsClosed/IsWon and the stage name does not say "
                        "won or lost", _src_rows(deals, still), column="StageName",
                        remedy="Export IsClosed and IsWon, or list won_stages/lost_stages in miroir.toml.",
                        code="unknown_status")
        else:
            report.note("IsClosed/IsWon missing for some deals: status taken from the stage")


# ----------------------------------------------------------------------------------------------
# deal changes


def _norm_values(field_name: pd.Series, values: pd.Series) -> pd.Series:
    """Normalise change values per field: ISO dates, plain numbers, contract categories."""
    out = values.astype(str).str.strip().astype(object)
    for fld, fn in (("amount", "num"), ("discount_pct", "num"), ("close_date", "date"), ("forecast_category", "fc")):
        m = (field_name == fld).to_numpy()
        if not m.any():
            continue
        v = out[m]
        if fn == "num":
            num = parse_number(v)
            out[m] = fmt_number(num).where(num.notna(), v).to_numpy()
        elif fn == "date":
            ts = parse_datetime(v)
            out[m] = fmt_date(ts).where(ts.notna(), v).to_numpy()
        else:
            fc, _unk = map_forecast_category(v)
            out[m] = fc.where(fc != "", v).to_numpy()
    return out


def _field_history(files: SfFiles, d: Directory, deal_keys: set[str], report: ImportReport) -> pd.DataFrame:
    fh = files.frames.get("OpportunityFieldHistory")
    if fh is None or not len(fh):
        return pd.DataFrame(columns=["key", "deal_id", "ts", "field", "old_value", "new_value", "changed_by"])
    fname = files.names["OpportunityFieldHistory"]
    opp_id = col_or_empty(fh, "OpportunityId", "Opportunity ID", "ParentId")
    raw_field = col_or_empty(fh, "Field", "Field / Event", "Field/Event")
    fkey = raw_field.map(norm_key)
    mapped = fkey.map(FIELD_HISTORY_FIELDS)
    discount = mapped.isna() & raw_field.str.contains(_DISCOUNT_FIELD)
    mapped = mapped.where(~discount, "discount_pct")
    created = fkey.isin({"created", "opportunitycreatedfromlead", "opportunitycreated"})
    other = mapped.isna() & ~created
    if other.any():
        counts = raw_field[other].value_counts()
        report.exclude("field-history rows of fields miroir does not track", int(other.sum()))
        report.note(f"{fname}: fields not tracked by miroir, not imported: "
                    + ", ".join(f"{k} ({v})" for k, v in counts.items()))
    ts = parse_datetime(col_or_empty(fh, "CreatedDate", "Edit Date", "Date")).dt.tz_localize(None)
    bad_ts = ts.isna() & mapped.notna()
    if bad_ts.any():
        report_rows(report, "error", fname, "CreatedDate missing or not a date/time; row excluded",
                    _src_rows(fh, bad_ts), column="CreatedDate", expected="2024-03-01T10:00:00.000Z",
                    remedy="Re-export with CreatedDate.", code="bad_date")
        report.exclude(f"field-history rows without a date in {fname}", int(bad_ts.sum()))
    key = sf_id_key(opp_id)
    orphan = mapped.notna() & ~bad_ts & ~key.isin(deal_keys)
    if orphan.any():
        report_rows(report, "warning", fname, "history of opportunities not in Opportunity.csv (deleted or not "
                    "exported); excluded", _src_rows(fh, orphan), column="OpportunityId",
                    remedy="Export all opportunities (include deleted ones only if you want them counted).",
                    code="orphan_history")
        report.exclude(f"field-history rows of opportunities not in Opportunity.csv ({fname})", int(orphan.sum()))
    keep = (mapped.notna() & ~bad_ts & ~orphan).to_numpy()
    out = pd.DataFrame({
        "key": key[keep], "ts": ts[keep], "field": mapped[keep],
        "old_value": col_or_empty(fh, "OldValue", "Old Value")[keep],
        "new_value": col_or_empty(fh, "NewValue", "New Value")[keep],
        "changed_by": d.users(col_or_empty(fh, "CreatedById", "Edited By"))[0][keep],
        "src": np.asarray(fh.attrs["src_rows"])[keep],
    })
    # owner changes come twice (ids and names): resolve ids, then keep one row
    own = (out["field"] == "owner").to_numpy()
    if own.any():
        for c in ("old_value", "new_value"):
            v = out.loc[own, c]
            is_id = v.str.match(_USER_ID)
            names = sf_id_key(v).map(d.user_name)
            out.loc[own, c] = v.where(~(is_id & names.notna()), names).to_numpy()
    out["old_value"] = _norm_values(out["field"], out["old_value"])
    out["new_value"] = _norm_values(out["field"], out["new_value"])
    before = len(out)
    out = out.drop_duplicates(subset=["key", "ts", "field", "old_value", "new_value"], keep="first")
    ids_left = (out["field"] == "owner") & (out["old_value"].str.match(_USER_ID) | out["new_value"].str.match(_USER_ID))
    twin = ids_left & out.duplicated(subset=["key", "ts", "field"], keep=False)
    out = out[~twin]
    if before - len(out):
        report.note(f"{fname}: {before - len(out)} duplicate row(s) merged (owner changes are recorded twice, "
                    "as ids and as names)")
    empty_new = (out["new_value"] == "").to_numpy()
    if empty_new.any():
        report_rows(report, "warning", fname, "change to an empty value (field cleared) not imported",
                    [int(r) for r in out["src"].to_numpy()[empty_new]], column="NewValue",
                    remedy="Nothing to do unless cleared values matter to you.", code="cleared_value")
        report.exclude(f"field-history rows clearing a value ({fname})", int(empty_new.sum()))
        out = out[~empty_new]
    return out.drop(columns=["src"]).reset_index(drop=True)


def _snapshot_history(files: SfFiles, d: Directory, deal_keys: set[str], report: ImportReport) -> pd.DataFrame:
    """Diff OpportunityHistory snapshots row to row into changes (vectorised)."""
    empty = pd.DataFrame(columns=["key", "ts", "field", "old_value", "new_value", "changed_by"])
    h = files.frames.get("OpportunityHistory")
    if h is None or not len(h):
        return empty
    fname = files.names["OpportunityHistory"]
    key = sf_id_key(col_or_empty(h, "OpportunityId", "Opportunity ID"))
    ts = parse_datetime(col_or_empty(h, "CreatedDate", "Last Modified", "Created Date")).dt.tz_localize(None)
    bad_ts = ts.isna().to_numpy()
    if bad_ts.any():
        report_rows(report, "error", fname, "CreatedDate missing or not a date/time; snapshot excluded",
                    _src_rows(h, bad_ts), column="CreatedDate", expected="2024-03-01T10:00:00.000Z",
                    remedy="Re-export with CreatedDate.", code="bad_date")
        report.exclude(f"snapshot rows without a date in {fname}", int(bad_ts.sum()))
    orphan = ~bad_ts & ~key.isin(deal_keys).to_numpy()
    if orphan.any():
        report_rows(report, "warning", fname, "snapshots of opportunities not in Opportunity.csv (deleted or not "
                    "exported); excluded", _src_rows(h, orphan), column="OpportunityId", code="orphan_history",
                    remedy="Export all opportunities.")
        report.exclude(f"snapshot rows of opportunities not in Opportunity.csv ({fname})", int(orphan.sum()))
    amount_num = parse_number(col_or_empty(h, "Amount"))
    close_ts = parse_datetime(col_or_empty(h, "CloseDate"))
    fc, _unk = map_forecast_category(col_or_empty(h, "ForecastCategory", "ForecastCategoryName"))
    snap = pd.DataFrame({
        "key": key, "ts": ts,
        "stage": col_or_empty(h, "StageName"),
        "amount": fmt_number(amount_num),
        "close_date": fmt_date(close_ts),
        "forecast_category": fc,
        "prob": col_or_empty(h, "Probability"),
        "prev_amount": fmt_number(parse_number(col_or_empty(h, "PrevAmount"))),
        "prev_close": fmt_date(parse_datetime(col_or_empty(h, "PrevCloseDate"))),
        "by": d.users(col_or_empty(h, "CreatedById"))[0],
        "src": np.asarray(h.attrs["src_rows"]),
    })
    snap = snap[~(bad_ts | orphan)]
    snap = snap.sort_values(["key", "ts", "src"], kind="stable")
    dup = snap.duplicated(subset=["key", "ts", "stage", "amount", "close_date", "forecast_category", "prob"], keep="first")
    if dup.any():
        report_rows(report, "warning", fname, "duplicate snapshot rows (same opportunity, time and values) counted once",
                    sorted(int(r) for r in snap.loc[dup, "src"]), remedy="Nothing to do; check that export parts "
                    "do not overlap.", code="duplicate_snapshot")
        report.exclude(f"duplicate snapshot rows in {fname}", int(dup.sum()))
        snap = snap[~dup]
    k = snap["key"].to_numpy()
    first = np.ones(len(snap), dtype=bool)
    if len(snap) > 1:
        first[1:] = k[1:] != k[:-1]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(first)), 0)) if len(first) else first.astype(int)
    parts = []
    for fld in SNAPSHOT_FIELDS:
        v = snap[fld].to_numpy(dtype=object)
        prev = np.empty(len(v), dtype=object)
        if len(v):
            prev[0] = ""
            prev[1:] = v[:-1]
        prev[first] = ""
        if fld == "amount":
            prev[first] = snap["prev_amount"].to_numpy(dtype=object)[first]
        elif fld == "close_date":
            prev[first] = snap["prev_close"].to_numpy(dtype=object)[first]
        # empty values carry the previous value forward (nothing changed that we can see):
        # previous non-empty value within the same deal, vectorised (rows are sorted by deal, time)
        later = ~first
        pos = np.arange(len(v))
        last_ok = np.maximum.accumulate(np.where(v != "", pos, -1)) if len(v) else pos
        prev_pos = np.empty(len(v), dtype=np.int64)
        if len(v):
            prev_pos[0] = -1
            prev_pos[1:] = last_ok[:-1]
        valid = later & (prev_pos >= group_start)
        prev[later] = ""
        prev[valid] = v[prev_pos[valid]]
        changed = (v != prev) & (v != "")
        if not changed.any():
            continue
        parts.append(pd.DataFrame({
            "key": k[changed], "ts": snap["ts"].to_numpy()[changed], "field": fld,
            "old_value": prev[changed], "new_value": v[changed], "changed_by": snap["by"].to_numpy(dtype=object)[changed],
        }))
    has_prev = (snap["prev_amount"] != "").any()
    if not has_prev and "PrevAmount" not in " ".join(h.columns):
        report.note(f"{fname} has no PrevAmount/PrevCloseDate (older export): changes derived from consecutive "
                    "snapshots only; the first snapshot of each deal gives its initial values")
    else:
        n_old = int(((snap["prev_amount"] == "") & ~pd.Series(first, index=snap.index)).sum())
        if n_old:
            report.note(f"{fname}: {n_old} snapshot(s) predate PrevAmount; their changes come from the previous "
                        "snapshot")
    if not parts:
        return empty
    return pd.concat(parts, ignore_index=True)


def _merge_changes(fh: pd.DataFrame, snap: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    """Field history wins: snapshot-derived changes kept only before the first field-history change of the
    same deal and field (minus a tolerance)."""
    if not len(fh):
        return snap
    if not len(snap):
        return fh[["key", "ts", "field", "old_value", "new_value", "changed_by"]]
    first_fh = fh.groupby(["key", "field"], as_index=False)["ts"].min().rename(columns={"ts": "fh_start"})
    s = snap.merge(first_fh, on=["key", "field"], how="left")
    keep = s["fh_start"].isna() | (s["ts"] < s["fh_start"] - MERGE_TOLERANCE)
    dropped = int((~keep).sum())
    if dropped:
        report.note(f"field history wins: {dropped} snapshot-derived change(s) covered by OpportunityFieldHistory "
                    "were not used; older snapshot changes were kept")
    merged = pd.concat([s.loc[keep, ["key", "ts", "field", "old_value", "new_value", "changed_by"]],
                        fh[["key", "ts", "field", "old_value", "new_value", "changed_by"]]], ignore_index=True)
    return merged


# ----------------------------------------------------------------------------------------------
# forecasts and quotas


def _period_labels(start: pd.Series, end: pd.Series, ptype: pd.Series, cal: FiscalCalendar,
                   owner: pd.Series | None = None) -> pd.Series:
    t = ptype.astype(str).str.lower()
    days = (end - start).dt.days
    kind = pd.Series(np.where(t.str.startswith("quarter"), "q", np.where(t.str.startswith("month"), "m",
                     np.where(t.str.startswith("year"), "y", ""))), index=start.index)
    unknown = kind == ""
    if unknown.any():
        by_len = np.where(days > 200, "y", np.where(days > 45, "q", np.where(days.notna(), "m", "")))
        kind = kind.where(~unknown, pd.Series(by_len, index=start.index))
    unknown = kind == ""
    if unknown.any() and owner is not None:
        # only start dates: quarter when each owner's periods start >= 80 days apart
        starts = pd.DataFrame({"o": owner, "s": start})[unknown]
        gaps = starts.sort_values("s").groupby("o")["s"].diff().dt.days
        quarterly = bool(len(gaps.dropna())) and bool((gaps.dropna() >= 80).all())
        kind[unknown] = "q" if quarterly else "m"
    labels = []
    for s, k in zip(start, kind, strict=True):
        if pd.isna(s):
            labels.append("")
        elif k == "y":
            labels.append(f"FY{cal.fiscal_year_of(s.date())}")
        elif k == "q":
            labels.append(cal.quarter_of(s.date()))
        else:
            labels.append(f"{s.year:04d}-{s.month:02d}")
    return pd.Series(labels, index=start.index, dtype=object)


def _periods(files: SfFiles) -> pd.DataFrame | None:
    p = files.frames.get("Period")
    if p is None:
        return None
    return pd.DataFrame({"key": sf_id_key(col_or_empty(p, "Id")),
                         "start": parse_datetime(col_or_empty(p, "StartDate")),
                         "end": parse_datetime(col_or_empty(p, "EndDate")),
                         "type": col_or_empty(p, "Type")})


_ITEM_CATEGORY = {"commitforecast": "commit", "bestcaseforecast": "best_case", "pipelineforecast": "pipeline",
                  "mostlikelyforecast": "commit"}


def _forecasts(files: SfFiles, d: Directory, cal: FiscalCalendar, report: ImportReport) -> pd.DataFrame | None:
    fi = files.frames.get("ForecastingItem")
    if fi is None:
        return None
    fname = files.names["ForecastingItem"]
    owner, miss = d.users(col_or_empty(fi, "OwnerId"))
    item_cat = col_or_empty(fi, "ForecastingItemCategory")
    if (item_cat != "").any():
        cat = item_cat.map(norm_key).map(_ITEM_CATEGORY).fillna("")
        skipped = (cat == "") & (item_cat != "")
        if skipped.any():
            report.exclude(f"ForecastingItem rows of non-cumulative categories (…Only, Closed) in {fname}",
                           int(skipped.sum()))
            report.note(f"{fname}: cumulative forecast items (CommitForecast, BestCaseForecast, PipelineForecast) "
                        "used as the submitted calls; the per-category '…Only' items were not imported")
    else:
        cat, unk = map_forecast_category(col_or_empty(fi, "ForecastCategoryName", "ForecastCategory"))
        cat = cat.where(cat.isin(["commit", "best_case", "pipeline"]), "")
        skipped = cat == ""
        if skipped.any():
            report.exclude(f"ForecastingItem rows outside commit/best case/pipeline in {fname}", int(skipped.sum()))
    amount = parse_number(col_or_empty(fi, "ForecastAmount", "AmountWithoutAdjustments", "Amount"))
    submitted = parse_datetime(col_or_empty(fi, "SubmittedDate", "LastModifiedDate", "SystemModstamp", "CreatedDate"))
    periods = _periods(files)
    start = parse_datetime(col_or_empty(fi, "PeriodStartDate", "StartDate"))
    end = parse_datetime(col_or_empty(fi, "PeriodEndDate", "EndDate"))
    ptype = col_or_empty(fi, "PeriodType")
    if periods is not None:
        pk = sf_id_key(col_or_empty(fi, "PeriodId"))
        m = pd.DataFrame({"key": pk}).merge(periods, on="key", how="left")
        start = start.where(start.notna(), pd.Series(m["start"].to_numpy(), index=fi.index))
        end = end.where(end.notna(), pd.Series(m["end"].to_numpy(), index=fi.index))
        ptype = ptype.where(ptype != "", pd.Series(m["type"].fillna("").to_numpy(), index=fi.index))
    period = _period_labels(start, end, ptype, cal, owner)
    bad = ~skipped & ((period == "") | amount.isna() | submitted.isna())
    if bad.any():
        report_rows(report, "error", fname, "forecast item without a period, amount or date; excluded",
                    _src_rows(fi, bad), column="PeriodId", expected="PeriodId resolvable in Period.csv, "
                    "ForecastAmount and LastModifiedDate",
                    remedy="Export Period.csv with the forecasting objects, and LastModifiedDate.", code="bad_forecast")
        report.exclude(f"ForecastingItem rows without period/amount/date in {fname}", int(bad.sum()))
    keep = (~skipped & ~bad).to_numpy()
    return pd.DataFrame({"owner": owner[keep], "period": period[keep], "submitted_at": fmt_date(submitted)[keep],
                         "category": cat[keep], "amount": fmt_number(amount)[keep]})


def _quotas(files: SfFiles, d: Directory, cal: FiscalCalendar, report: ImportReport) -> pd.DataFrame | None:
    q = files.frames.get("ForecastingQuota")
    if q is None:
        return None
    fname = files.names["ForecastingQuota"]
    owner, _miss = d.users(col_or_empty(q, "QuotaOwnerId", "OwnerId"))
    amount = parse_number(col_or_empty(q, "QuotaAmount", "Amount"))
    start = parse_datetime(col_or_empty(q, "StartDate"))
    end = parse_datetime(col_or_empty(q, "EndDate"))
    ptype = col_or_empty(q, "PeriodType")
    periods = _periods(files)
    if periods is not None and find_col(q, "PeriodId"):
        m = pd.DataFrame({"key": sf_id_key(col_or_empty(q, "PeriodId"))}).merge(periods, on="key", how="left")
        start = start.where(start.notna(), pd.Series(m["start"].to_numpy(), index=q.index))
        end = end.where(end.notna(), pd.Series(m["end"].to_numpy(), index=q.index))
        ptype = ptype.where(ptype != "", pd.Series(m["type"].fillna("").to_numpy(), index=q.index))
    period = _period_labels(start, end, ptype, cal, owner)
    qty_only = parse_bool(col_or_empty(q, "IsQuantity")).fillna(False) & ~parse_bool(col_or_empty(q, "IsAmount")).fillna(True)
    if qty_only.any():
        report.exclude(f"quantity quotas (not amounts) in {fname}", int(qty_only.sum()))
    bad = ~qty_only & ((period == "") | amount.isna())
    if bad.any():
        report_rows(report, "error", fname, "quota without a start date or amount; excluded", _src_rows(q, bad),
                    column="StartDate", remedy="Export StartDate and QuotaAmount.", code="bad_quota")
        report.exclude(f"quota rows without period/amount in {fname}", int(bad.sum()))
    keep = (~qty_only & ~bad).to_numpy()
    out = pd.DataFrame({"owner": owner[keep], "period": period[keep], "amount": amount[keep]})
    # monthly quotas summed per period label (a quarter can hold 3 monthly rows only if labelled by quarter)
    out = out.groupby(["owner", "period"], as_index=False, sort=False)["amount"].sum()
    out["amount"] = fmt_number(out["amount"])
    return out


# ----------------------------------------------------------------------------------------------
# people


def _people(files: SfFiles, d: Directory, deals: pd.DataFrame, report: ImportReport) -> pd.DataFrame | None:
    users = files.frames.get("User")
    if users is None or find_col(users, "Id") is None:
        owner_list = sorted(set(deals["owner"]) - {""})
        report.note("no User.csv: people.csv lists the deal owners as reps; add roles and managers by hand")
        return pd.DataFrame({"person_id": owner_list, "name": owner_list, "role": "rep"})
    fname = files.names["User"]
    ids = sf_id_key(users[find_col(users, "Id")])  # type: ignore[index]
    names = _user_names(users)
    mgr_key = sf_id_key(col_or_empty(users, "ManagerId"))
    utype = col_or_empty(users, "UserType")
    active = parse_bool(col_or_empty(users, "IsActive"))
    owners = set(sf_id_key(col_or_empty(files.frames["Opportunity"], "OwnerId")))
    owner_names = set(deals["owner"])
    managers = set(mgr_key) - {""}
    directors = set(mgr_key[ids.isin(managers)]) - {""}
    role = np.where(ids.isin(directors), "director",
                    np.where(ids.isin(managers), "manager",
                             np.where(ids.isin(owners) | names.isin(owner_names), "rep", "other")))
    team = col_or_empty(users, "Department", "Division")
    roles = files.frames.get("UserRole")
    if roles is not None:
        role_name = dict(zip(sf_id_key(col_or_empty(roles, "Id")), col_or_empty(roles, "Name"), strict=True))
        rn = sf_id_key(col_or_empty(users, "UserRoleId")).map(role_name).fillna("")
        team = team.where(team != "", rn)
    manager = mgr_key.map(d.user_name).astype(object).fillna("")
    external = (utype != "") & (utype.str.lower() != "standard")
    referenced = ids.isin(owners) | ids.isin(managers)
    drop = (external & ~referenced).to_numpy()
    if drop.any():
        report.exclude(f"non-standard users (portal, partner, integration) in {fname}", int(drop.sum()))
    inactive = (active == False).fillna(False).to_numpy(dtype=bool) & ~drop  # noqa: E712
    if inactive.any():
        report.note(f"{int(inactive.sum())} inactive user(s) kept (people who left still own history): "
                    + ", ".join(names[inactive].head(8)))
    out = pd.DataFrame({"person_id": users[find_col(users, "Id")].astype(str).str.strip(),  # type: ignore[index]
                        "name": names, "role": role, "team": team, "manager": manager,
                        "active": np.where(inactive, "false", "true")})
    out = out[~drop]
    unnamed = out["name"] == ""
    if unnamed.any():
        report.exclude(f"users without a name in {fname}", int(unnamed.sum()))
        out = out[~unnamed]
    dupn = out["name"].duplicated(keep=False)
    if dupn.any():
        report.problem("warning", fname, "several users share a name: "
                       + ", ".join(sorted(set(out.loc[dupn, "name"]))[:5]),
                       remedy="Deals are attributed by name; rename one of them in people.csv if they are "
                              "different people.", column="Name", code="duplicate_name")
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------------------------


def import_salesforce(src: Path, out: Path) -> ImportReport:
    """Import a Salesforce export folder into the dataset folder ``out``."""
    src = Path(src)
    report = ImportReport(source=SOURCE)
    if not src.is_dir():
        raise MiroirError(f"{src} is not a folder", "Give the folder where the export's CSV files were unzipped.")
    files = SfFiles()
    for obj in ("Opportunity", "OpportunityHistory", "OpportunityFieldHistory", "User", "UserRole", "Account",
                "ForecastingItem", "ForecastingQuota", "Period", "OpportunityStage", "DatedConversionRate",
                "CurrencyType", "Organization"):
        _read_object(src, obj, report, files)
    if "Opportunity" not in files.frames:
        raise MiroirError(f"no Opportunity.csv in {src}",
                          "Export the Opportunity object (Setup -> Data Export, or Data Loader) into this folder. "
                          "OpportunityFieldHistory.csv, OpportunityHistory.csv, User.csv and Account.csv are "
                          "strongly recommended.")
    for obj in ("OpportunityFieldHistory", "OpportunityHistory", "User", "Account"):
        if obj not in files.frames:
            report.note(f"{obj}.csv not found" + (" — no deal history will be available" if obj.startswith("Opp")
                        and "OpportunityHistory" not in files.frames and "OpportunityFieldHistory" not in files.frames
                        else ""))
    src_cfg = _read_src_config(src, report)
    fy_start = 1
    org = files.frames.get("Organization")
    if org is not None and len(org):
        v = parse_number(col_or_empty(org, "FiscalYearStartMonth"))
        if v.notna().any() and 1 <= int(v.dropna().iloc[0]) <= 12:
            fy_start = int(v.dropna().iloc[0])
    cfg_fy = src_cfg.get("fiscal_year_start_month")
    if isinstance(cfg_fy, int) and 1 <= cfg_fy <= 12:
        fy_start = cfg_fy
    cal = FiscalCalendar(fy_start)
    default_ccy = str(src_cfg.get("currency", "")).upper()
    d = _build_directory(files)
    writer = DatasetWriter(out, report)
    deals = _deals(files, d, report, default_ccy or "")
    # currency: corporate currency when known, else the single currency used
    corporate = _convert(deals, files, report, default_ccy)
    currencies = sorted(set(deals["currency"]) - {""})
    dataset_ccy = corporate or default_ccy or (currencies[0] if len(currencies) == 1 else "")
    if not dataset_ccy and not currencies:
        report.note("no currency column: amounts written without currency (the dataset default applies)")
    stage_info = _stage_table(files, report)
    won_cfg = src_cfg.get("won_stages", [])
    lost_cfg = src_cfg.get("lost_stages", [])
    if isinstance(won_cfg, list):
        stage_info.status.update({str(s): "won" for s in won_cfg})
    if isinstance(lost_cfg, list):
        stage_info.status.update({str(s): "lost" for s in lost_cfg})
    _resolve_status(deals, stage_info, report, files.names["Opportunity"])
    # history
    deal_keys = set(sf_id_key(deals["deal_id"]))
    fh = _field_history(files, d, deal_keys, report)
    snap = _snapshot_history(files, d, deal_keys, report)
    changes = _merge_changes(fh, snap, report)
    # stage statuses for stages seen only in history
    stage_rows = changes[changes["field"] == "stage"]
    history_stages = set(pd.unique(stage_rows["new_value"])) | set(pd.unique(stage_rows["old_value"]))
    for st in history_stages:
        if st and st not in stage_info.status:
            guess = status_from_stage_name(st)
            stage_info.status[st] = guess or "open"
    changes = pd.concat([changes, status_changes(changes, stage_info.status)], ignore_index=True)
    id_of_key = dict(zip(sf_id_key(deals["deal_id"]), deals["deal_id"], strict=True))
    changes["deal_id"] = changes["key"].map(id_of_key)
    changes = changes.sort_values(["deal_id", "ts", "field"], kind="stable")
    changes["changed_at"] = fmt_datetime(changes["ts"])
    # stage order
    if not stage_info.order:
        cfg_stages = src_cfg.get("stages")
        if isinstance(cfg_stages, list) and cfg_stages:
            stage_info.order = [str(s) for s in cfg_stages]
            stage_info.order_source = "miroir.toml in the export folder"
        else:
            seqs = stage_sequences(changes)
            closed = {s: v for s, v in stage_info.status.items() if v in ("won", "lost")}
            in_history = set(pd.unique(changes.loc[changes["field"] == "stage", "new_value"]))
            seq_list = seqs + [[s] for s in pd.unique(deals["stage"]) if s not in in_history]
            stage_info.order = infer_stage_order(seq_list, closed)
            stage_info.order_source = "inferred from the order deals went through stages in the history"
    report.note(f"stage order ({stage_info.order_source}): {' > '.join(stage_info.order)}")
    unordered = sorted(set(deals["stage"]) - set(stage_info.order) - {""})
    if unordered:
        report.problem("warning", files.names["Opportunity"], "stages not in the stage order: " + ", ".join(unordered),
                       column="StageName", remedy="Add them to stages in miroir.toml.", code="unordered_stage")
    forecasts = _forecasts(files, d, cal, report)
    quotas = _quotas(files, d, cal, report)
    people = _people(files, d, deals, report)
    # write
    writer.write_table("deals", deals)
    writer.write_table("deal_changes", changes[["deal_id", "changed_at", "field", "old_value", "new_value",
                                                 "changed_by"]])
    if forecasts is not None:
        writer.write_table("forecasts", forecasts)
    if quotas is not None:
        writer.write_table("quotas", quotas)
    if people is not None:
        writer.write_table("people", people, merge_on="name")
    writer.write_config({
        "currency": dataset_ccy,
        "fiscal_year_start_month": fy_start if fy_start != 1 else None,
        "stages": stage_info.order,
        "won_stages": sorted(s for s, v in stage_info.status.items() if v == "won"),
        "lost_stages": sorted(s for s, v in stage_info.status.items() if v == "lost"),
    })
    return writer.finish()
