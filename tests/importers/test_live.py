"""Live pulls replayed from recorded API responses through a fake HTTP session (never the network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from miroir.errors import MiroirError
from miroir.importers.hubspot import import_hubspot
from miroir.importers.live import pull_hubspot, pull_salesforce
from miroir.importers.salesforce import import_salesforce

from .conftest import FIXTURES, read_out


class FakeResponse:
    def __init__(self, status: int, body: Any) -> None:
        self.status_code = status
        self._body = body

    def json(self) -> Any:
        return self._body


class RecordedSession:
    """Answers GETs from a recording {"GET /path?query": {"status", "body"}}; unknown requests get 404."""

    def __init__(self, recording: Path) -> None:
        self.recording = json.loads(recording.read_text(encoding="utf-8"))
        self.calls: list[str] = []

    def get(self, url: str, *, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
            timeout: float | None = None) -> FakeResponse:
        assert headers and headers["Authorization"].startswith("Bearer ")
        parts = urlsplit(url)
        key = "GET " + parts.path
        if params:
            q = "&".join(f"{k}={v}" for k, v in params.items())
            key += "?" + q
        self.calls.append(key)
        hit = self.recording.get(key)
        if hit is None:
            return FakeResponse(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
        return FakeResponse(hit["status"], hit["body"])


ENV_SF = {"SF_INSTANCE_URL": "https://example.my.salesforce.com", "SF_ACCESS_TOKEN": "00Dxx!token"}


def test_salesforce_pull_then_import(tmp_path: Path) -> None:
    session = RecordedSession(FIXTURES / "live" / "salesforce.json")
    pulled = pull_salesforce(tmp_path / "src", session=session, env=ENV_SF)
    assert pulled == {"Opportunity": 3, "OpportunityFieldHistory": 1, "User": 1}  # paged query followed
    assert any("query/01gD0000002HU6KIAW-2000" in c for c in session.calls)
    report = import_salesforce(tmp_path / "src", tmp_path / "ds")
    deals = read_out(tmp_path / "ds", "deals").set_index("deal_id")
    assert list(deals.index) == ["006000000000001AAA", "006000000000003AAA"]  # IsDeleted excluded
    assert deals.loc["006000000000003AAA", "status"] == "won" and deals.loc["006000000000003AAA", "owner"] == "Lucía Gómez"
    assert deals.loc["006000000000003AAA", "amount"] == "9000.5"
    ch = read_out(tmp_path / "ds", "deal_changes")
    assert ch[ch["field"] == "stage"]["new_value"].tolist() == ["Cerrada ganada"]
    assert report.excluded["deleted rows (IsDeleted) in Opportunity.csv"] == 1


def test_salesforce_no_credentials() -> None:
    with pytest.raises(MiroirError) as exc:
        pull_salesforce(Path("/nonexistent"), session=RecordedSession(FIXTURES / "live" / "salesforce.json"), env={})
    assert "SF_INSTANCE_URL" in exc.value.remedy


def test_salesforce_refused_token(tmp_path: Path) -> None:
    class Refusing(RecordedSession):
        def get(self, url: str, **kw: Any) -> FakeResponse:  # type: ignore[override]
            return FakeResponse(401, [{"errorCode": "INVALID_SESSION_ID"}])

    with pytest.raises(MiroirError) as exc:
        pull_salesforce(tmp_path, session=Refusing(FIXTURES / "live" / "salesforce.json"), env=ENV_SF)
    assert "HTTP 401" in str(exc.value)


def test_hubspot_pull_then_import(tmp_path: Path) -> None:
    session = RecordedSession(FIXTURES / "live" / "hubspot.json")
    pulled = pull_hubspot(tmp_path / "src", session=session, env={"HUBSPOT_ACCESS_TOKEN": "pat-eu1-x"})
    assert pulled == {"owners": 2, "deals": 2}
    import_hubspot(tmp_path / "src", tmp_path / "ds")
    deals = read_out(tmp_path / "ds", "deals").set_index("deal_id")
    assert deals.loc["2001", "owner"] == "Bob Leroy" and deals.loc["2001", "status"] == "won"
    assert deals.loc["2001", "stage"] == "Closed Won" and deals.loc["2002", "stage"] == "Appointment Scheduled"
    ch = read_out(tmp_path / "ds", "deal_changes")
    assert ch[ch["deal_id"] == "2001"]["field"].tolist() == ["stage", "stage", "status"]


def test_hubspot_no_token(tmp_path: Path) -> None:
    with pytest.raises(MiroirError):
        pull_hubspot(tmp_path, session=RecordedSession(FIXTURES / "live" / "hubspot.json"), env={})

