from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from miroir.errors import MiroirError
from miroir.importers.gong import import_gong
from miroir.importers.hubspot import import_hubspot
from miroir.importers.salesforce import import_salesforce

from .conftest import FIXTURES


def test_cli_import_salesforce(tmp_path: Path) -> None:
    from miroir.cli.main import app

    res = CliRunner().invoke(app, ["import", "salesforce", str(FIXTURES / "salesforce"), "--out", str(tmp_path / "ds")])
    assert res.exit_code == 0, res.output
    assert "deal_changes: 33 rows" in res.output
    assert (tmp_path / "ds" / "import_report.json").exists()


def test_cli_import_meetings_and_missing_source(tmp_path: Path) -> None:
    from miroir.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["import", "salesforce", str(tmp_path / "nope"), "--out", str(tmp_path / "ds")])
    assert exc.value.code == 1
    main(["import", "meetings", str(FIXTURES / "meetings"), "--out", str(tmp_path / "ds"),
          "--people", str(FIXTURES / "meetings" / "people.csv")])
    assert (tmp_path / "ds" / "conversations.csv").exists()


SF_HEADERS = ["Id", "IsDeleted", "Name", "StageName", "Amount", "CloseDate", "CreatedDate", "IsClosed", "IsWon",
              "OwnerId", "AccountId", "ForecastCategory", "CurrencyIsoCode", "OpportunityId", "Field", "OldValue",
              "NewValue", "PrevAmount", "Record ID", "Deal Stage", "Deal owner", "Close Date", "x"]
cell = st.one_of(st.text(alphabet=string.printable + "éçñ€\x00\u00a0", max_size=12),
                 st.sampled_from(["", "true", "1", "2024-03-01T10:00:00.000Z", "31/12/2024", "1e308", "-5", "NaN",
                                  "006000000000001AAA", "005000000000001AAA", "Closed Won", "Best Case"]))
table = st.tuples(st.lists(st.sampled_from(SF_HEADERS), min_size=1, max_size=8, unique=True),
                  st.integers(0, 6), st.data())


def _csv(headers: list[str], rows: list[list[str]], sep: str) -> bytes:
    def q(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in f'"{sep}\n\r') else v
    return ("\n".join([sep.join(q(h) for h in headers)] + [sep.join(q(c) for c in r) for r in rows])).encode(
        "utf-8", "surrogatepass")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(table, st.sampled_from([",", ";"]), st.sampled_from(["Opportunity", "OpportunityHistory",
                                                             "OpportunityFieldHistory", "User"]))
def test_salesforce_never_crashes_on_arbitrary_csv(tmp_path_factory: pytest.TempPathFactory, t, sep: str,
                                                   obj: str) -> None:
    headers, n, data = t
    rows = [[data.draw(cell) for _ in headers] for _ in range(n)]
    src = tmp_path_factory.mktemp("src")
    (src / f"{obj}.csv").write_bytes(_csv(headers, rows, sep))
    if obj != "Opportunity":
        (src / "Opportunity.csv").write_bytes((FIXTURES / "salesforce" / "Opportunity.csv").read_bytes())
    try:
        report = import_salesforce(src, src / "out")
    except MiroirError as exc:
        assert exc.remedy
        return
    assert (src / "out" / "import_report.json").exists()
    assert report.tables["deals"] >= 0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_importers_never_crash_on_arbitrary_bytes(tmp_path_factory: pytest.TempPathFactory, blob: bytes) -> None:
    src = tmp_path_factory.mktemp("bytes")
    (src / "Opportunity.csv").write_bytes(blob)
    (src / "deals.csv").write_bytes(b"Record ID,Deal Stage\n" + blob)
    (src / "history.json").write_bytes(blob)
    (src / "calls.json").write_bytes(blob)
    for fn in (import_salesforce, import_hubspot, import_gong):
        try:
            fn(src, src / "out")
        except MiroirError as exc:
            assert exc.remedy


json_val = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                                  st.text(max_size=8)),
                        lambda ch: st.lists(ch, max_size=3) | st.dictionaries(
                            st.sampled_from(["calls", "callTranscripts", "metaData", "id", "started", "parties",
                                             "speakerId", "sentences", "transcript", "callId", "start", "text",
                                             "results", "propertiesWithHistory", "dealstage", "value", "timestamp",
                                             "versions", "dealId", "properties", "affiliation", "name"]),
                            ch, max_size=4), max_leaves=20)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(json_val)
def test_json_importers_never_crash_on_wrong_types(tmp_path_factory: pytest.TempPathFactory, doc: object) -> None:
    src = tmp_path_factory.mktemp("json")
    (src / "x.json").write_text(json.dumps(doc))
    (src / "deals.csv").write_bytes((FIXTURES / "hubspot" / "hubspot-crm-exports-all-deals-2024-03-01.csv").read_bytes())
    for fn in (import_gong, import_hubspot):
        try:
            fn(src, src / "out")
        except MiroirError as exc:
            assert exc.remedy
