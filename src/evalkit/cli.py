"""The ``evalkit`` command: init, templates, demo, validate, report.

Each command is a thin wrapper over a package function, so everything it does is also available
from a notebook. Heavy imports happen inside the commands, keeping ``evalkit --help`` quick.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from evalkit.errors import EvalkitError

if TYPE_CHECKING:
    from evalkit.config import EvaluationConfig

__all__ = ["app"]

app = typer.Typer(
    help="evalkit: realist evaluation of integrated health and wellbeing services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(exc: EvalkitError, code: int = 2) -> NoReturn:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=code)


_DATA_DIR_HELP = (
    "The data folder (holding extracts/ and qual/), instead of the config's data_dir; "
    "may be outside the evaluation folder."
)


def _data_dir_source(given: Path | None, config_name: str) -> str:
    """Where the data folder came from, as the output names it."""
    from evalkit.config import DATA_DIR_VARIABLE

    if given is not None:
        return "given with --data-dir"
    if os.environ.get(DATA_DIR_VARIABLE):
        return f"given with {DATA_DIR_VARIABLE}"
    return f"data_dir in {config_name}"


@contextmanager
def _data_dir_for_notebooks(given: Path | None) -> Iterator[None]:
    """Pass an explicit data folder to everything the command starts (the report's notebooks
    read the config with :func:`evalkit.config.load_config`, which honours the variable)."""
    from evalkit.config import DATA_DIR_VARIABLE

    if given is None:
        yield
        return
    before = os.environ.get(DATA_DIR_VARIABLE)
    os.environ[DATA_DIR_VARIABLE] = str(given.expanduser().resolve())
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(DATA_DIR_VARIABLE, None)
        else:
            os.environ[DATA_DIR_VARIABLE] = before


def _settings_problems(config: EvaluationConfig) -> list[str]:
    """Problems of the sections checked where they are used (KPIs, instruments, pipeline,
    qualitative), which would otherwise stop a report only inside a notebook."""
    from evalkit.instruments import instrument_settings
    from evalkit.kpi import load_kpis
    from evalkit.pipeline.settings import PipelineSettings
    from evalkit.qual.tables import load_qualitative

    checks: list[Callable[[], object]] = [
        lambda: load_kpis(config.kpis),
        *[lambda name=name: instrument_settings(config, name) for name in config.instruments],
        lambda: PipelineSettings.from_config(config),
    ]
    if config.qualitative:
        checks.append(lambda: load_qualitative(config))
    problems: list[str] = []
    for check in checks:
        try:
            check()
        except EvalkitError as exc:
            if str(exc) not in problems:
                problems.append(str(exc))
    return problems


@app.command()
def templates(
    out: Annotated[Path, typer.Option(help="Folder to write the templates into.")] = Path(
        "data_templates"
    ),
) -> None:
    """Write provider templates (CSV, XLSX) and the data dictionary, generated from the schema."""
    from evalkit.data.templates import write_templates

    try:
        written = write_templates(out)
    except EvalkitError as exc:
        _fail(exc)
    for path in written:
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
    evaluation: Annotated[
        Path,
        typer.Argument(
            help="The evaluation folder or its evaluation.yml (a folder without one is the data "
            "folder itself)."
        ),
    ],
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=_DATA_DIR_HELP)] = None,
    show: Annotated[int, typer.Option(help="How many issues to print (0 = all).")] = 50,
) -> None:
    """Check the config and every extract; write clean tables, quarantine and a reconciliation
    to validated/ in the data folder (the config's data_dir, as evalkit report reads it).

    Exits with status 1 when the config or any table has errors, or there is nothing to check.
    """
    from evalkit.config import load_config
    from evalkit.data.readers import detect_table
    from evalkit.data.validate import (
        format_issues,
        input_paths,
        validate_directory,
        write_validation,
    )

    config_path = evaluation if evaluation.is_file() else evaluation / "evaluation.yml"
    if not evaluation.exists():
        _fail(EvalkitError(f"{evaluation}: no such folder or file."), code=1)
    config, problems = None, []
    if config_path.is_file():
        try:
            config = load_config(config_path, data_dir=data_dir)
        except EvalkitError as exc:
            _fail(exc, code=1)
        folder = config.data_dir
        typer.echo(f"config: {config.path}")
        typer.echo(f"data folder: {folder} ({_data_dir_source(data_dir, config_path.name)})")
        problems = _settings_problems(config)
    else:
        folder = (data_dir or evaluation).expanduser().resolve()
        typer.echo(f"data folder: {folder} (no evaluation.yml in {evaluation})")
    for problem in problems:
        typer.secho(f"error: {problem}", fg=typer.colors.RED, err=True)
    found = input_paths(folder)
    if not any(detect_table(path) for path in found):
        ignored = f" (not recognised: {', '.join(p.name for p in found)})" if found else ""
        _fail(
            EvalkitError(
                f"nothing to validate: no extract or qualitative table in {folder / 'extracts'} "
                f"or {folder / 'qual'}{ignored}. Files are named <provider>_<table>.csv or "
                ".xlsx, e.g. north_participants.csv; `evalkit templates` writes the templates."
            ),
            code=1,
        )
    try:
        result = validate_directory(folder, config)
        out = write_validation(result, folder / "validated")
    except EvalkitError as exc:
        _fail(exc, code=1)
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
    if problems:
        typer.secho(
            f"{len(problems)} problem(s) in {config_path.name} would stop the report "
            "(listed above as error lines).",
            fg=typer.colors.RED,
            err=True,
        )
    if errors or problems:
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
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=_DATA_DIR_HELP)] = None,
) -> None:
    """Run the evaluation notebooks and publish the HTML report (cached, parallel, atomic)."""
    from evalkit.config import load_config
    from evalkit.pipeline import run_report

    try:
        with _data_dir_for_notebooks(data_dir):
            folder = load_config(config).data_dir
            typer.echo(f"data folder: {folder} ({_data_dir_source(data_dir, config.name)})")
            published = run_report(
                config,
                period=period,
                site=site,
                jobs=jobs,
                force=force,
                out=out,
                progress=typer.echo,
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
