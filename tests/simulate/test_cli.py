from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from miroir.cli import simulate as sim_cli


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    sim_cli.register(app)
    return app


def test_simulate_command_plants_and_prints_dataset(tmp_path: Path) -> None:
    out = tmp_path / "org" / "ds"
    r = CliRunner().invoke(_app(), ["simulate", "--out", str(out), "--lang", "en", "--scale", "0.1", "--seed", "3",
                                    "--plant", "forecast_bias@rep:#1", "--plant", "stalled_deals@team"])
    assert r.exit_code == 0, r.output
    assert str(out) in r.output
    gt = json.loads((tmp_path / "org" / "ground_truth.json").read_text(encoding="utf-8"))
    assert [g["kind"] for g in gt] == ["forecast_bias", "stalled_deals"]
    assert (out / "deals.csv").is_file() and (out / "transcripts").is_dir()


def test_simulate_command_rejects_unknown_kind(tmp_path: Path) -> None:
    r = CliRunner().invoke(_app(), ["simulate", "--out", str(tmp_path / "x"), "--plant", "nope@org"])
    assert r.exit_code != 0
    assert "unknown plant kind" in str(r.exception)
