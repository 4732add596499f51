"""Dataset configuration read from ``miroir.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .calendar import FiscalCalendar
from .errors import Problem

KNOWN_KEYS = {"currency", "fiscal_year_start_month", "stages", "language", "date_order", "won_stages", "lost_stages"}


@dataclass(frozen=True)
class DatasetConfig:
    currency: str = "EUR"
    fiscal_year_start_month: int = 1
    stages: tuple[str, ...] = ()
    language: str | None = None
    date_order: str | None = None  # "dmy" or "mdy" to declare ambiguous dates
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def calendar(self) -> FiscalCalendar:
        return FiscalCalendar(self.fiscal_year_start_month)


def load_config(folder: Path) -> tuple[DatasetConfig, list[Problem]]:
    """Read ``folder/miroir.toml`` if present; problems are returned, never raised."""
    path = folder / "miroir.toml"
    problems: list[Problem] = []
    if not path.exists():
        return DatasetConfig(), problems
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(
            Problem("error", "miroir.toml", f"cannot read TOML: {exc}", expected="valid TOML",
                    remedy="Fix the syntax or delete the file to use the defaults.", code="config")
        )
        return DatasetConfig(), problems
    kw: dict[str, object] = {}
    fy = raw.get("fiscal_year_start_month", 1)
    if not isinstance(fy, int) or not 1 <= fy <= 12:
        problems.append(Problem("error", "miroir.toml", "fiscal_year_start_month is not a month number",
                                column="fiscal_year_start_month", value=str(fy), expected="an integer 1..12",
                                remedy="Use 1 for a calendar fiscal year, 2 for February, etc.", code="config"))
        fy = 1
    kw["fiscal_year_start_month"] = fy
    if "currency" in raw:
        kw["currency"] = str(raw["currency"]).upper()
    stages = raw.get("stages", [])
    if not isinstance(stages, list) or not all(isinstance(s, str) for s in stages):
        problems.append(Problem("error", "miroir.toml", "stages must be a list of stage names",
                                column="stages", expected='stages = ["Qualification", ...]', code="config"))
        stages = []
    kw["stages"] = tuple(stages)
    lang = raw.get("language")
    if lang is not None and lang not in ("fr", "en"):
        problems.append(Problem("warning", "miroir.toml", "language must be 'fr' or 'en'; ignored",
                                column="language", value=str(lang), code="config"))
        lang = None
    kw["language"] = lang
    order = raw.get("date_order")
    if order is not None and order not in ("dmy", "mdy", "ymd"):
        problems.append(Problem("warning", "miroir.toml", "date_order must be 'dmy', 'mdy' or 'ymd'; ignored",
                                column="date_order", value=str(order), code="config"))
        order = None
    kw["date_order"] = order
    kw["extra"] = {k: v for k, v in raw.items() if k not in KNOWN_KEYS}
    return DatasetConfig(**kw), problems  # type: ignore[arg-type]
