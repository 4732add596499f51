from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def read_out(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)


@pytest.fixture
def sf_src(tmp_path: Path) -> Path:
    dest = tmp_path / "sf"
    shutil.copytree(FIXTURES / "salesforce", dest)
    return dest
