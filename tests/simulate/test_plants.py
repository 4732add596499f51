from __future__ import annotations

import pytest

from miroir.errors import UsageError
from miroir.models import KIND_LENS
from miroir.simulate import DEFAULT_PLANTS, PLANT_LEVELS, parse_plant
from miroir.simulate.plants import parse_plants


def test_every_finding_kind_is_plantable() -> None:
    from miroir.simulate.plants import PLANT_ALIASES

    assert set(KIND_LENS) <= set(PLANT_LEVELS) | set(PLANT_ALIASES)
    assert set(PLANT_ALIASES.values()) <= set(PLANT_LEVELS)
    assert parse_plant("intuition_calibration@manager").kind == "gut_call_accuracy"


def test_parse_forms() -> None:
    p = parse_plant("period_end_discounting@team:Sud")
    assert (p.kind, p.level, p.ref) == ("period_end_discounting", "team", "Sud")
    p = parse_plant("sandbagging@rep")
    assert (p.level, p.ref) == ("rep", None)
    p = parse_plant("fragile_deal")
    assert (p.level, p.ref) == ("org", None)
    p = parse_plant("low_discovery@rep:#3")
    assert p.ref == "#3"


def test_unknown_kind_lists_valid_ones() -> None:
    with pytest.raises(UsageError) as e:
        parse_plant("hockey@team:Sud")
    assert "sandbagging@" in e.value.remedy and "fragile_deal@org" in e.value.remedy


def test_wrong_level_says_which_levels() -> None:
    with pytest.raises(UsageError) as e:
        parse_plant("defensive_reviews@rep:Bob")
    assert "defensive_reviews@manager" in e.value.remedy


def test_null_excludes_plants_and_default_is_a_handful() -> None:
    assert parse_plants(None, null=True) == []
    with pytest.raises(UsageError):
        parse_plants(["sandbagging@rep"], null=True)
    defaults = parse_plants(None, null=False)
    assert len(defaults) == len(DEFAULT_PLANTS) >= 5
    assert len({d.kind for d in defaults}) == len(defaults)


def test_unknown_scope_id_lists_valid_names(sim_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from miroir.simulate import simulate

    with pytest.raises(UsageError) as e:
        simulate(tmp_path / "d", scale=0.1, plants=["sandbagging@rep:Nobody Here"])
    assert "Valid reps" in e.value.remedy
    with pytest.raises(UsageError):
        simulate(tmp_path / "d2", scale=0.1, plants=["stalled_deals@team:#9"])
