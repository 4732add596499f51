"""Shared test fixtures and paths."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
EXTERNAL = SHARED / "data" / "external"


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.exists():
        pytest.fail(f"shared/ folder not found beside the repo at {SHARED}")
    return SHARED


@pytest.fixture
def external_dir(shared_dir: Path) -> Path:
    return shared_dir / "data" / "external"
