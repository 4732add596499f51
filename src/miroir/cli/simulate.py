"""CLI commands of this area: ``miroir simulate`` and ``miroir demo``."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import console, out


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""

    @app.command("simulate")
    def simulate_cmd(
        out_dir: Path = typer.Option(..., "--out", help="Dataset folder to write (created; ground_truth.json goes beside it)."),
        lang: str = typer.Option("fr", "--lang", help="Language of the organisation: fr or en."),
        seed: int = typer.Option(0, "--seed", help="Random seed (same seed and options = byte-identical dataset)."),
        scale: float = typer.Option(1.0, "--scale", help="Size: 1 = 4 teams, 30 reps, ~2,000 deals, ~600 conversations."),
        plant: list[str] = typer.Option(None, "--plant", help="KIND@SCOPE to plant, e.g. sandbagging@rep or "
                                        "period_end_discounting@team:Sud (repeatable). Default: a realistic handful."),
        null: bool = typer.Option(False, "--null", help="Plant nothing: a healthy organisation."),
    ) -> None:
        """Write a simulated sales organisation (CRM history + conversations) with planted dynamics."""
        from ..simulate import simulate

        res = simulate(out_dir, lang=lang, seed=seed, scale=scale, plants=list(plant) if plant else None, null=null)
        c = res.counts
        console.print(f"{c['deals']} deals, {c['deal_changes']} deal changes, {c['conversations']} conversations, "
                      f"{c['reps']} reps in {c['teams']} teams.")
        for p in res.plants:
            console.print(f"  planted {p.kind} at {p.level}:{p.id}")
        console.print(f"Ground truth: {res.ground_truth_path}")
        out.print(str(res.dataset))

    @app.command("demo")
    def demo_cmd(
        lang: str = typer.Option("fr", "--lang", help="Language of the demo organisation and report: fr or en."),
        out_dir: Path = typer.Option(Path("demo-out"), "--out", help="Folder for the dataset and the report."),
        seed: int = typer.Option(0, "--seed", help="Random seed."),
    ) -> None:
        """Simulate an organisation (default plants), diagnose it, and print the report path."""
        from ..diagnose import diagnose
        from ..simulate import simulate
        from .common import progress_steps, step_reporter

        with progress_steps("simulate") as prog:
            say = step_reporter(prog)
            res = simulate(out_dir / "dataset", lang=lang, seed=seed)
            say("diagnose")
            result = diagnose(res.dataset, out_dir, lang=lang, progress=say)
        console.print(f"Simulated {res.counts['deals']} deals and {res.counts['conversations']} conversations; "
                      f"ground truth in {res.ground_truth_path}.")
        out.print(str(result.report_path or result.findings_path))
