"""Privacy: no network at run time, purge removes the workspace, PII redacted by default."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from miroir.diagnose import diagnose


class NetworkAttempt(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    attempts: list[str] = []

    def refuse(self: socket.socket, address: object, *a: object, **k: object) -> None:
        attempts.append(repr(address))
        raise NetworkAttempt(f"network access attempted: {address!r}")

    def refuse_dns(*a: object, **k: object) -> None:
        attempts.append(f"getaddrinfo{a!r}")
        raise NetworkAttempt(f"DNS lookup attempted: {a!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket.socket, "sendto", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse_dns)
    monkeypatch.setattr(socket, "create_connection", refuse_dns)
    return attempts


@pytest.mark.slow
def test_whole_diagnosis_with_sockets_blocked(tmp_path: Path, no_network: list[str]) -> None:
    from miroir.simulate import simulate

    ds = tmp_path / "ds"
    simulate(ds, lang="fr", seed=3, scale=0.15)
    res = diagnose(ds, tmp_path / "out", lang="fr", pseudonymise=True, xlsx=True)
    assert no_network == []
    assert (tmp_path / "out" / "report.html").exists()
    assert res.doc["lenses_run"], "the diagnosis ran no lens"
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    # no element that loads a resource from a host (links inside the vendored chart library's strings are
    # not requests; tests/report/test_browser.py also blocks and records every request in Chromium)
    import re

    remote = re.findall(r"<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*\b(?:src|href|data)"
                        r"\s*=\s*[\"']?(?:https?:)?//", html, flags=re.I)
    assert not remote, f"report loads remote resources: {remote[:3]}"
    assert not re.search(r"@import\s+url\(\s*[\"']?(?:https?:)?//", html, flags=re.I)


def test_purge_removes_store(tmp_path: Path) -> None:
    ds = tmp_path / "d"
    ds.mkdir()
    (ds / "deals.csv").write_text("deal_id,owner,amount,stage,created_at,close_date,status\n"
                                  "D1,Ann,10,S1,2026-01-01,2026-02-01,open\n")
    r = subprocess.run([sys.executable, "-m", "miroir.cli.main", "ingest", str(ds)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (ds / ".miroir" / "miroir.duckdb").exists()
    r = subprocess.run([sys.executable, "-m", "miroir.cli.main", "purge", str(ds), "--yes"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert not (ds / ".miroir").exists() and (ds / "deals.csv").exists()
