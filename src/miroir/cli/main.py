"""Entry point: ``miroir COMMAND ...``.

Exit codes: 0 ok, 1 invalid data, 2 usage error. User errors never print a
traceback; ``--debug`` shows one.
"""

from __future__ import annotations

import sys

import typer

from ..errors import MiroirError
from . import annotate, data, importers, report, simulate
from .common import STATE, console

app = typer.Typer(
    name="miroir",
    help="Show a sales organisation how its system produces decisions (CRM + conversations, FR/EN).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors.")) -> None:
    STATE["debug"] = debug


for module in (data, simulate, annotate, report, importers):
    module.register(app)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        rv = app(args=args, standalone_mode=False)
        if isinstance(rv, int) and rv:
            sys.exit(rv)
    except MiroirError as err:
        if debug:
            raise
        console.print(f"[bold red]Error:[/] {err}", markup=True, soft_wrap=True)
        if err.remedy:
            console.print(f"[bold]What to do:[/] {err.remedy}", soft_wrap=True)
        sys.exit(err.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        console.print("Aborted.")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:
        show = getattr(exc, "show", None)
        code = getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):  # click/typer usage errors
            show()
            sys.exit(code)
        if debug:
            raise
        console.print(f"[bold red]Internal error:[/] {type(exc).__name__}: {exc}", soft_wrap=True)
        console.print("This is a bug in miroir. Re-run with --debug for the traceback and report it.")
        sys.exit(3)


if __name__ == "__main__":
    main()
