"""Shared, read-only datasets for the reliability tests (built once per session; copy before changing)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def sim_fr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated French organisation (CRM tables and transcripts). Do not modify: copy it."""
    from miroir.simulate import simulate

    out = tmp_path_factory.mktemp("sim") / "fr"
    simulate(out, lang="fr", seed=1, scale=0.2)
    return out


@pytest.fixture(scope="session")
def crm_org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated organisation with its default planted patterns, CRM tables only (no conversations)."""
    import shutil

    from miroir.simulate import simulate

    out = tmp_path_factory.mktemp("org") / "en"
    simulate(out, lang="en", seed=1, scale=1.0)
    (out / "conversations.csv").unlink()
    shutil.rmtree(out / "transcripts")
    return out


@pytest.fixture(scope="session")
def maven_ds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Maven CRM export mapped onto the contract with examples/maven/mapping.toml."""
    from miroir.importers.csv_mapping import import_csv

    shared = (REPO / ".." / "shared" / "data" / "external" / "maven-crm-sales-opportunities").resolve()
    if not shared.exists():
        pytest.fail(f"Maven export not found at {shared}")
    out = tmp_path_factory.mktemp("maven") / "ds"
    import_csv(shared, REPO / "examples" / "maven" / "mapping.toml", out)
    return out
