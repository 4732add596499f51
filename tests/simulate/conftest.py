"""Small simulated datasets shared by the simulator tests (generated once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from miroir.simulate import SimulationResult, simulate


@pytest.fixture(scope="session")
def sim_factory(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    cache: dict[tuple[object, ...], SimulationResult] = {}

    def make(*, lang: str = "fr", seed: int = 0, scale: float = 0.3, plants: tuple[str, ...] | None = None,
             null: bool = False) -> SimulationResult:
        key = (lang, seed, scale, plants, null)
        if key not in cache:
            root: Path = tmp_path_factory.mktemp("sim")
            cache[key] = simulate(root / "dataset", lang=lang, seed=seed, scale=scale,
                                  plants=None if plants is None else list(plants), null=null)
        return cache[key]

    return make
