"""Optional live pulls (``miroir import salesforce|hubspot --live``, extra ``miroir[connectors]``).

The pulls write the same files as a manual export into the source folder,
then the ordinary importer runs on them: one code path for mapping, and the
files stay on disk as a record of what was pulled.

HTTP goes through a ``requests``-compatible session (``get(url, params=...,
headers=..., timeout=...)`` returning an object with ``status_code`` and
``json()``), so tests replay recorded API responses through a fake session and
never touch the network. Credentials come from environment variables only:

- Salesforce: ``SF_INSTANCE_URL`` + ``SF_ACCESS_TOKEN`` (an OAuth access token
  or session id), or ``SF_USERNAME`` + ``SF_PASSWORD`` + ``SF_SECURITY_TOKEN``
  (+ ``SF_DOMAIN=test`` for a sandbox), logged in with simple-salesforce.
- HubSpot: ``HUBSPOT_ACCESS_TOKEN`` (private app token).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from ..errors import MiroirError

SF_API_VERSION = "59.0"
HUBSPOT_BASE = "https://api.hubapi.com"
TIMEOUT_S = 60

SF_OBJECTS: dict[str, tuple[str, ...]] = {
    "Opportunity": ("Id", "IsDeleted", "AccountId", "Name", "StageName", "Amount", "Probability", "CloseDate",
                    "IsClosed", "IsWon", "ForecastCategory", "ForecastCategoryName", "CurrencyIsoCode", "OwnerId",
                    "CreatedDate", "CreatedById", "LastModifiedDate", "Type", "LeadSource"),
    "OpportunityFieldHistory": ("Id", "IsDeleted", "OpportunityId", "CreatedById", "CreatedDate", "Field",
                                "DataType", "OldValue", "NewValue"),
    "OpportunityHistory": ("Id", "IsDeleted", "OpportunityId", "CreatedById", "CreatedDate", "StageName", "Amount",
                           "ExpectedRevenue", "CloseDate", "Probability", "ForecastCategory", "PrevAmount",
                           "PrevCloseDate", "CurrencyIsoCode"),
    "User": ("Id", "Name", "FirstName", "LastName", "Username", "Email", "IsActive", "UserRoleId", "UserType",
             "ManagerId", "Department", "Division", "Title"),
    "UserRole": ("Id", "Name", "ParentRoleId"),
    "Account": ("Id", "IsDeleted", "Name"),
    "OpportunityStage": ("Id", "MasterLabel", "ApiName", "IsActive", "SortOrder", "IsClosed", "IsWon",
                         "ForecastCategoryName", "DefaultProbability"),
    "CurrencyType": ("Id", "IsoCode", "ConversionRate", "IsActive", "IsCorporate"),
    "DatedConversionRate": ("Id", "IsoCode", "ConversionRate", "StartDate", "NextStartDate"),
    "Period": ("Id", "Type", "StartDate", "EndDate", "FiscalYearSettingsId", "Number"),
    "ForecastingItem": ("Id", "OwnerId", "PeriodId", "ForecastingTypeId", "ForecastingItemCategory",
                        "ForecastCategoryName", "ForecastAmount", "AmountWithoutAdjustments", "IsAmount",
                        "IsQuantity", "CurrencyIsoCode", "SystemModstamp"),
    "ForecastingQuota": ("Id", "QuotaOwnerId", "StartDate", "QuotaAmount", "PeriodId", "ForecastingTypeId",
                         "IsAmount", "IsQuantity", "CurrencyIsoCode"),
    "Organization": ("Id", "FiscalYearStartMonth", "DefaultLocaleSidKey"),
}
HUBSPOT_HISTORY = ("dealstage", "amount", "closedate", "hubspot_owner_id", "hs_manual_forecast_category")
HUBSPOT_PROPERTIES = ("dealname", "dealstage", "amount", "closedate", "createdate", "pipeline", "hubspot_owner_id",
                      "deal_currency_code", "amount_in_home_currency", "hs_manual_forecast_category",
                      "hs_is_closed_won", "hs_is_closed")


class Response(Protocol):
    status_code: int

    def json(self) -> Any: ...


class Session(Protocol):
    def get(self, url: str, *, params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
            timeout: float | None = None) -> Response: ...


def _requests_session() -> Session:
    try:
        import requests
    except ImportError:  # pragma: no cover - requests comes with the connectors extra
        raise MiroirError("live import needs the 'requests' package",
                          "Install the connectors: pip install 'miroir[connectors]'.") from None
    return requests.Session()  # type: ignore[return-value]


def _get(session: Session, url: str, headers: Mapping[str, str], params: Mapping[str, Any] | None = None,
         what: str = "") -> tuple[int, Any]:
    try:
        resp = session.get(url, params=params, headers=headers, timeout=TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - any transport failure becomes an actionable error
        raise MiroirError(f"cannot reach {url.split('?')[0]}: {type(exc).__name__}: {exc}",
                          "Check the network and the instance URL, or export the files by hand.") from None
    if resp.status_code in (401, 403):
        raise MiroirError(f"{what or url}: access refused (HTTP {resp.status_code})",
                          "Check the token in the environment variables and its permissions (scopes).")
    try:
        body = resp.json()
    except ValueError:
        body = None
    return resp.status_code, body


def _write_csv(path: Path, fields: list[str], records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(fields)
        for r in records:
            w.writerow(["" if r.get(f) is None else str(r.get(f)).lower() if isinstance(r.get(f), bool)
                        else r.get(f) for f in fields])


# ----------------------------------------------------------------------------------------------
# Salesforce


def salesforce_credentials(env: Mapping[str, str]) -> tuple[str, str]:
    """(instance_url, access token) from the environment; logs in with simple-salesforce if needed."""
    inst, token = env.get("SF_INSTANCE_URL", ""), env.get("SF_ACCESS_TOKEN") or env.get("SF_SESSION_ID", "")
    if inst and token:
        return inst.rstrip("/"), token
    user, pwd = env.get("SF_USERNAME", ""), env.get("SF_PASSWORD", "")
    if not (user and pwd):
        raise MiroirError("no Salesforce credentials in the environment",
                          "Set SF_INSTANCE_URL and SF_ACCESS_TOKEN, or SF_USERNAME, SF_PASSWORD and "
                          "SF_SECURITY_TOKEN (SF_DOMAIN=test for a sandbox).")
    try:
        from simple_salesforce import SalesforceLogin  # type: ignore[import-not-found]
    except ImportError:
        raise MiroirError("--live needs simple-salesforce", "pip install 'miroir[connectors]'") from None
    try:
        session_id, instance = SalesforceLogin(username=user, password=pwd,
                                               security_token=env.get("SF_SECURITY_TOKEN", ""),
                                               domain=env.get("SF_DOMAIN", "login"))
    except Exception as exc:  # noqa: BLE001 - library raises its own types
        raise MiroirError(f"Salesforce login failed: {exc}", "Check SF_USERNAME, SF_PASSWORD, SF_SECURITY_TOKEN.") from None
    return f"https://{instance}", str(session_id)


def pull_salesforce(dest: Path, *, session: Session | None = None, env: Mapping[str, str] | None = None,
                    objects: Mapping[str, tuple[str, ...]] = SF_OBJECTS) -> dict[str, int]:
    """Query each object (``queryAll``: deleted rows included, flagged by IsDeleted) into ``dest/Object.csv``.

    Fields an org lacks (e.g. CurrencyIsoCode without multi-currency) are left out after ``describe``;
    objects the org or user cannot read (no forecasting, no field history) are skipped.
    """
    env = os.environ if env is None else env
    instance, token = salesforce_credentials(env)
    session = session or _requests_session()
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    base = f"{instance}/services/data/v{SF_API_VERSION}"
    pulled: dict[str, int] = {}
    for obj, wanted in objects.items():
        status, desc = _get(session, f"{base}/sobjects/{obj}/describe", headers, what=f"describe {obj}")
        if status != 200 or not isinstance(desc, dict):
            continue
        have = {f.get("name") for f in desc.get("fields", []) if isinstance(f, dict)}
        fields = [f for f in wanted if f in have]
        if "Id" not in fields:
            continue
        soql = f"SELECT {', '.join(fields)} FROM {obj}"
        records: list[dict[str, Any]] = []
        status, page = _get(session, f"{base}/queryAll", headers, params={"q": soql}, what=f"query {obj}")
        while status == 200 and isinstance(page, dict):
            records += [r for r in page.get("records", []) if isinstance(r, dict)]
            nxt = page.get("nextRecordsUrl")
            if page.get("done", True) or not nxt:
                break
            status, page = _get(session, f"{instance}{nxt}", headers, what=f"query {obj}")
        if status != 200:
            raise MiroirError(f"query on {obj} failed (HTTP {status}): {page}",
                              "Check the user's permissions on this object, or export it by hand.")
        _write_csv(Path(dest) / f"{obj}.csv", fields, records)
        pulled[obj] = len(records)
    if "Opportunity" not in pulled:
        raise MiroirError("the Opportunity object could not be read", "Check the user's permissions.")
    return pulled


# ----------------------------------------------------------------------------------------------
# HubSpot


def _hubspot_pages(session: Session, url: str, headers: Mapping[str, str], params: dict[str, Any],
                   what: str) -> list[Any]:
    out: list[Any] = []
    after: str | None = None
    for _ in range(100_000):
        p = dict(params)
        if after:
            p["after"] = after
        status, body = _get(session, url, headers, params=p, what=what)
        if status != 200 or not isinstance(body, dict):
            raise MiroirError(f"{what} failed (HTTP {status}): {body}", "Check the token's scopes "
                              "(crm.objects.deals.read, crm.objects.owners.read).")
        out += body.get("results", []) if isinstance(body.get("results"), list) else []
        nxt = body.get("paging", {}).get("next", {}) if isinstance(body.get("paging"), dict) else {}
        after = nxt.get("after") if isinstance(nxt, dict) else None
        if not after:
            break
    return out


def pull_hubspot(dest: Path, *, session: Session | None = None, env: Mapping[str, str] | None = None) -> dict[str, int]:
    """Owners (active and archived), deal pipelines and deals with property history into ``dest``."""
    env = os.environ if env is None else env
    token = env.get("HUBSPOT_ACCESS_TOKEN", "")
    if not token:
        raise MiroirError("HUBSPOT_ACCESS_TOKEN is not set", "Create a private app with the crm.objects.deals.read "
                          "and crm.objects.owners.read scopes and export its token as HUBSPOT_ACCESS_TOKEN.")
    session = session or _requests_session()
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    owners = _hubspot_pages(session, f"{HUBSPOT_BASE}/crm/v3/owners", headers, {"limit": 100, "archived": "false"},
                            "owners")
    owners += _hubspot_pages(session, f"{HUBSPOT_BASE}/crm/v3/owners", headers, {"limit": 100, "archived": "true"},
                             "archived owners")
    (dest / "owners.json").write_text(json.dumps({"results": owners}, ensure_ascii=False), encoding="utf-8")
    _s, pipelines = _get(session, f"{HUBSPOT_BASE}/crm/v3/pipelines/deals", headers, what="pipelines")
    (dest / "pipelines.json").write_text(json.dumps(pipelines if isinstance(pipelines, dict) else {"results": []},
                                                    ensure_ascii=False), encoding="utf-8")
    deals = _hubspot_pages(session, f"{HUBSPOT_BASE}/crm/v3/objects/deals", headers,
                           {"limit": 50, "archived": "false", "properties": ",".join(HUBSPOT_PROPERTIES),
                            "propertiesWithHistory": ",".join(HUBSPOT_HISTORY)}, "deals")
    (dest / "deals_history.json").write_text(json.dumps({"results": deals}, ensure_ascii=False), encoding="utf-8")
    cols = {"Record ID": "hs_object_id", "Deal Name": "dealname", "Deal Stage": "dealstage", "Amount": "amount",
            "Deal owner": "hubspot_owner_id", "Close Date": "closedate", "Create Date": "createdate",
            "Pipeline": "pipeline", "Currency": "deal_currency_code",
            "Amount in company currency": "amount_in_home_currency",
            "Forecast category": "hs_manual_forecast_category", "Is Closed Won": "hs_is_closed_won",
            "Is Deal Closed?": "hs_is_closed"}
    rows = []
    for d in deals:
        if not isinstance(d, dict):
            continue
        props: dict[str, Any] = d["properties"] if isinstance(d.get("properties"), dict) else {}
        row = {label: props.get(p) for label, p in cols.items()}
        row["Record ID"] = row["Record ID"] or d.get("id")
        rows.append(row)
    _write_csv(dest / "hubspot-deals-api.csv", list(cols), rows)
    return {"owners": len(owners), "deals": len(rows)}
