"""Command-line interface (Typer + Rich). Each module registers its commands."""
