"""``miroir import SOURCE ... --out DATASET``: CRM and conversation exports -> dataset folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from .common import out, progress_steps

import_app = typer.Typer(
    name="import",
    help="Turn a CRM or conversation export into a dataset folder (then run `miroir diagnose`).",
    no_args_is_help=True,
)

OUT_OPT = typer.Option(..., "--out", "-o", help="Dataset folder to write (created if needed).")


def _print_report(report: Any) -> None:
    lines = report.summary_lines() if hasattr(report, "summary_lines") else report.lines()
    for line in lines:
        out.print(line, soft_wrap=True, markup=False, highlight=False)
    where = getattr(report, "out", None)
    if where is not None and (Path(where) / "import_report.json").exists():
        out.print(f"Details: {Path(where) / 'import_report.json'}", markup=False, highlight=False)


def _crm_import(source: str, src: Path, out_dir: Path, live: bool,
                pull: Callable[[Path], dict[str, int]] | None, run: Callable[[Path, Path], Any]) -> None:
    """Optionally pull from the live API into SRC, then import SRC into the dataset folder."""
    if live and pull is not None:
        with progress_steps(f"pulling from {source}"):
            pulled = pull(src)
        out.print(f"Pulled {', '.join(f'{k} ({v})' for k, v in pulled.items())} into {src}", markup=False)
    with progress_steps(f"importing {source} export"):
        report = run(src, out_dir)
    _print_report(report)


@import_app.command("salesforce")
def salesforce_cmd(
    src: Path = typer.Argument(..., help="Folder of the Salesforce export CSVs (Opportunity.csv, "
                               "OpportunityFieldHistory.csv, OpportunityHistory.csv, User.csv, Account.csv...)."),
    out_dir: Path = OUT_OPT,
    live: bool = typer.Option(False, "--live", help="Pull the objects from the Salesforce API first (needs "
                              "miroir[connectors] and SF_* environment variables); SRC receives the CSVs."),
) -> None:
    """Import a Salesforce data export (Setup > Data Export, Data Loader or API CSVs)."""
    from ..importers.salesforce import import_salesforce

    pull: Callable[[Path], dict[str, int]] | None = None
    if live:
        from ..importers.live import pull_salesforce as pull
    _crm_import("Salesforce", src, out_dir, live, pull, import_salesforce)


@import_app.command("hubspot")
def hubspot_cmd(
    src: Path = typer.Argument(..., help="Folder with the deals export CSV, and optionally owners.json, "
                               "pipelines.json and deal property history JSON."),
    out_dir: Path = OUT_OPT,
    live: bool = typer.Option(False, "--live", help="Pull deals (with property history), owners and pipelines "
                              "from the HubSpot API first (HUBSPOT_ACCESS_TOKEN); SRC receives the files."),
) -> None:
    """Import HubSpot deals (export CSV + property history JSON)."""
    from ..importers.hubspot import import_hubspot

    pull: Callable[[Path], dict[str, int]] | None = None
    if live:
        from ..importers.live import pull_hubspot as pull
    _crm_import("HubSpot", src, out_dir, live, pull, import_hubspot)


@import_app.command("gong")
def gong_cmd(
    src: Path = typer.Argument(..., help="Folder of saved Gong API responses (/v2/calls/transcript and "
                               "/v2/calls/extensive, .json)."),
    out_dir: Path = OUT_OPT,
    rules: Path | None = typer.Option(None, "--rules", help="TOML rules: title patterns -> conversation kind."),
) -> None:
    """Import Gong calls and transcripts (import the CRM into the same folder first to link deals)."""
    from ..importers.gong import import_gong

    with progress_steps("importing Gong calls"):
        report = import_gong(src, out_dir, rules=rules)
    _print_report(report)


@import_app.command("meetings")
def meetings_cmd(
    src: Path = typer.Argument(..., help="Folder of Zoom / Teams / Google Meet .vtt transcripts."),
    out_dir: Path = OUT_OPT,
    rules: Path | None = typer.Option(None, "--rules", help="TOML rules: title patterns -> conversation kind."),
    people: Path | None = typer.Option(None, "--people", help="people.csv of internal people (default: the "
                                       "dataset's own people.csv)."),
) -> None:
    """Import meeting transcripts; kind from title rules, then participants (all internal -> pipeline_review)."""
    from ..importers.meetings import import_meetings

    with progress_steps("importing meetings"):
        report = import_meetings(src, out_dir, rules=rules, people=people)
    _print_report(report)


@import_app.command("csv")
def csv_cmd(
    src: Path = typer.Argument(..., help="Folder of CSV files to map."),
    mapping: Path = typer.Option(..., "--mapping", "-m", help="mapping.toml (see examples/maven/mapping.toml)."),
    out_dir: Path = OUT_OPT,
) -> None:
    """Map arbitrary CSV columns and values onto the data contract with a mapping file."""
    from ..importers.csv_mapping import import_csv

    with progress_steps("mapping CSV files"):
        report = import_csv(src, mapping, out_dir)
    _print_report(report)


def register(app: typer.Typer) -> None:
    """Add ``miroir import ...`` to the app."""
    app.add_typer(import_app, name="import")
