"""Commands on a dataset folder: validate, ingest, diagnose, purge."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from ..errors import UsageError
from .common import STATE, console, out, progress_steps, step_reporter


def _print_problems(problems: list, limit: int) -> None:  # type: ignore[type-arg]
    shown = 0
    for p in problems:
        if shown >= limit:
            break
        style = "red" if p.severity == "error" else "yellow"
        out.print(f"[{style}]{p.severity.upper():7}[/] {p.render()}", soft_wrap=True, markup=True)
        shown += 1
    if len(problems) > shown:
        out.print(f"... and {len(problems) - shown} more (use --all to list every problem, or --json)")


def register(app: typer.Typer) -> None:
    @app.command()
    def validate(
        dataset: Path = typer.Argument(..., help="Dataset folder (see shared/data-contract.md)."),
        all_problems: bool = typer.Option(False, "--all", help="List every problem, not the first 200."),
        as_json: bool = typer.Option(False, "--json", help="Print problems as JSON lines."),
    ) -> None:
        """Check a dataset folder and list every problem (file, row, column, expected, what to do).

        Exit 0 when the data can be used as is (warnings only), 1 when some rows or files would be rejected.
        """
        import json

        from ..dataset import read_dataset

        with progress_steps("validate") as prog:
            ds = read_dataset(dataset, progress=step_reporter(prog))
        if as_json:
            for p in ds.problems:
                out.print(json.dumps(p.to_dict(), ensure_ascii=False), soft_wrap=True, markup=False,
                          highlight=False)
        else:
            errors = sorted(ds.errors, key=lambda p: (p.file, p.row or 0))
            warnings = sorted(ds.warnings, key=lambda p: (p.file, p.row or 0))
            _print_problems(errors + warnings, 10**9 if all_problems else 200)
            t = Table(title="Tables", show_lines=False)
            for c in ("table", "file", "rows read", "usable", "rejected"):
                t.add_column(c)
            for f in ds.files:
                t.add_row(f.table, f.path, str(f.rows_read), str(f.rows_stored), str(f.rows_rejected))
            if len(ds.utterances):
                t.add_row("utterances", "transcripts/", "", str(len(ds.utterances)), "")
            out.print(t)
            codes = Counter(p.code for p in ds.problems)
            summary = ", ".join(f"{c or 'other'}: {n}" for c, n in codes.most_common(8))
            out.print(f"{len(ds.errors)} errors, {len(ds.warnings)} warnings" + (f" ({summary})" if summary else ""))
        if not ds.usable:
            out.print("[red]Not usable:[/] no valid deal could be read.")
            raise typer.Exit(1)
        if ds.errors:
            out.print("Some rows would be rejected; `miroir ingest` keeps the good rows and records the problems.")
            raise typer.Exit(1)
        out.print("[green]OK[/]: the dataset can be used.")

    @app.command()
    def ingest(
        dataset: Path = typer.Argument(..., help="Dataset folder."),
        db: Path | None = typer.Option(None, "--db", help="Store file (default DATASET/.miroir/miroir.duckdb)."),
        force: bool = typer.Option(False, "--force", help="Re-read even if nothing changed."),
        keep_pii: bool = typer.Option(False, "--keep-pii", help="Do not redact e-mails, phones, IBANs in quotes."),
    ) -> None:
        """Load a dataset folder into the embedded store (idempotent; atomic)."""
        from ..diagnose import default_db_path
        from ..store.ingest import ingest_dataset

        db_path = db or default_db_path(dataset)
        with progress_steps("ingest") as prog:
            rep = ingest_dataset(dataset, db_path, keep_pii=keep_pii, force=force, progress=step_reporter(prog))
        if rep.skipped:
            out.print(f"Unchanged since the last ingest: {db_path}")
        t = Table(title=f"Store {db_path}")
        t.add_column("table")
        t.add_column("rows", justify="right")
        for k, v in rep.counts.items():
            t.add_row(k, f"{v:,}")
        out.print(t)
        out.print(f"{rep.errors} rows/files rejected, {rep.warnings} warnings "
                  "(`miroir validate` lists them).")

    @app.command()
    def diagnose(
        dataset: Path = typer.Argument(..., help="Dataset folder."),
        out_dir: Path = typer.Option(..., "--out", help="Folder for findings.json, report.html and metrics/."),
        lang: str = typer.Option("en", "--lang", help="Report language: fr or en."),
        db: Path | None = typer.Option(None, "--db", help="Store file (default DATASET/.miroir/miroir.duckdb)."),
        pseudonymise: bool = typer.Option(False, "--pseudonymise", help="Replace people and accounts by pseudonyms."),
        xlsx: bool = typer.Option(False, "--xlsx", help="Also write an Excel workbook of findings and metrics."),
        keep_pii: bool = typer.Option(False, "--keep-pii", help="Do not redact e-mails, phones, IBANs in quotes."),
    ) -> None:
        """Ingest if needed, run every lens, write findings.json, metrics/ and report.html."""
        from ..diagnose import diagnose as run

        if lang not in ("fr", "en"):
            raise UsageError(f"--lang must be 'fr' or 'en', not {lang!r}", "Use --lang fr or --lang en.")
        with progress_steps("diagnose") as prog:
            res = run(dataset, out_dir, lang=lang, db=db, pseudonymise=pseudonymise, xlsx=xlsx,
                      keep_pii=keep_pii, progress=step_reporter(prog), debug=bool(STATE["debug"]))
        doc = res.doc
        out.print(f"{len(doc['findings'])} findings, {len(doc['observations'])} observations; "
                  f"lenses run: {', '.join(doc['lenses_run']) or 'none'}")
        for s in doc["lenses_skipped"]:
            out.print(f"  skipped {s['lens']}: {s['reason']}")
        out.print(f"findings: {res.findings_path}")
        if res.report_path:
            out.print(f"report:   {res.report_path}")

    @app.command()
    def purge(
        dataset: Path = typer.Argument(..., help="Dataset folder whose workspace to remove."),
        db: Path | None = typer.Option(None, "--db", help="A store file kept elsewhere."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    ) -> None:
        """Remove a workspace's store and caches (the dataset files are not touched)."""
        targets = [p for p in (dataset / ".miroir", db) if p is not None and p.exists()]
        if db is not None:
            targets += [p for p in (Path(str(db) + ".wal"),) if p.exists()]
        if not targets:
            console.print("Nothing to purge.")
            return
        if not yes and not typer.confirm(f"Delete {', '.join(map(str, targets))}?"):
            raise typer.Exit(1)
        for p in targets:
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        console.print(f"Removed {', '.join(map(str, targets))}")
