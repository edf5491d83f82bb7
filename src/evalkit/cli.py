"""The ``evalkit`` command: init, templates, demo, validate, report.

Each command is a thin wrapper over a package function, so everything it does is also available
from a notebook. Heavy imports happen inside the commands, keeping ``evalkit --help`` quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evalkit.errors import EvalkitError

__all__ = ["app"]

app = typer.Typer(
    help="evalkit: realist evaluation of integrated health and wellbeing services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(exc: EvalkitError) -> None:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


@app.command()
def templates(
    out: Annotated[Path, typer.Option(help="Folder to write the templates into.")] = Path(
        "data_templates"
    ),
) -> None:
    """Write provider templates (CSV, XLSX) and the data dictionary, generated from the schema."""
    from evalkit.data.templates import write_templates

    for path in write_templates(out):
        typer.echo(f"wrote {path}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo evaluation.")] = Path("data/demo"),
    episodes: Annotated[int, typer.Option(min=10, help="Number of referral episodes.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 20261125,
    messy: Annotated[
        bool, typer.Option(help="Plant realistic data faults for the validator to find.")
    ] = False,
) -> None:
    """Generate a synthetic multi-provider evaluation (data, qualitative coding, config)."""
    from evalkit.demo import write_demo

    try:
        config = write_demo(out, episodes=episodes, seed=seed, messy=messy)
    except EvalkitError as exc:
        _fail(exc)
    typer.echo(f"wrote demo evaluation: {config}")


@app.command()
def validate(
    directory: Annotated[Path, typer.Argument(help="Evaluation folder (holds extracts/).")],
    show: Annotated[int, typer.Option(help="How many issues to print (0 = all).")] = 50,
) -> None:
    """Check every extract; write clean tables, quarantine and a reconciliation to validated/.

    Exits with status 1 when any table has errors.
    """
    from evalkit.config import load_config
    from evalkit.data.validate import format_issues, validate_directory, write_validation

    config_path = directory / "evaluation.yml"
    try:
        config = load_config(config_path) if config_path.exists() else None
    except EvalkitError as exc:
        _fail(exc)
    result = validate_directory(directory, config)
    out = write_validation(result, directory / "validated")
    recon = result.reconciliation
    typer.echo("Reconciliation (read = kept + quarantined):")
    for r in recon.itertuples(index=False):
        typer.echo(
            f"  {r.table:<16} {r.file:<40} {r.unit:<6} read {r.read:>9,}  kept {r.kept:>9,}  "
            f"quarantined {r.quarantined:>7,}  {r.note}".rstrip()
        )
    errors, warnings = len(result.errors), len(result.issues) - len(result.errors)
    if len(result.issues):
        typer.echo(f"\n{errors} error(s), {warnings} warning(s):")
        typer.echo(format_issues(result.issues, None if show == 0 else show))
    typer.echo(f"\nwrote {out}/ (clean/, quarantine/, issues.csv, reconciliation.csv)")
    if errors:
        raise typer.Exit(code=1)


@app.command()
def report(
    config: Annotated[Path, typer.Option(help="The evaluation.yml.")],
    period: Annotated[str, typer.Option(help="Report period, e.g. 2026-Q2, or 'latest'.")] = (
        "latest"
    ),
    site: Annotated[str, typer.Option(help="A site name, or 'all'.")] = "all",
    jobs: Annotated[int | None, typer.Option(help="Notebooks run at once (default: cores).")] = (
        None
    ),
    force: Annotated[bool, typer.Option(help="Re-run every notebook, ignoring the cache.")] = (
        False
    ),
    out: Annotated[Path, typer.Option(help="Folder reports are published under.")] = Path(
        "reports"
    ),
) -> None:
    """Run the evaluation notebooks and publish the HTML report (cached, parallel, atomic)."""
    from evalkit.pipeline import run_report

    try:
        published = run_report(
            config, period=period, site=site, jobs=jobs, force=force, out=out, progress=typer.echo
        )
    except EvalkitError as exc:
        _fail(exc)
    typer.echo(f"published {published}")


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new evaluation.")],
) -> None:
    """Start a new evaluation: a commented evaluation.yml and its folders."""
    from evalkit.pipeline import init_evaluation

    try:
        path = init_evaluation(directory)
    except EvalkitError as exc:
        _fail(exc)
    typer.echo(f"wrote {path}")


if __name__ == "__main__":  # pragma: no cover
    app()
