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


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> EvalkitError:
    """The message for a config file that is not UTF-8 text (saved by Word, or binary)."""
    return EvalkitError(
        f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at position {exc.start}); "
        "save evaluation.yml as plain UTF-8 text, e.g. from a code editor, not a word processor."
    )


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
    qualitative) and of the evaluator's narrative.yml and exceptions.yml, which would otherwise
    stop a report only inside a notebook or at publication."""
    from evalkit.instruments import instrument_settings
    from evalkit.kpi import load_kpis
    from evalkit.pipeline.publish import check_exceptions, check_narrative
    from evalkit.pipeline.settings import PipelineSettings
    from evalkit.qual.tables import load_qualitative

    checks: list[Callable[[], object]] = [
        lambda: load_kpis(config.kpis),
        lambda: check_narrative(config),
        lambda: check_exceptions(config),
        *[lambda name=name: instrument_settings(config, name) for name in config.instruments],
        lambda: PipelineSettings.from_config(config),
        lambda: _listed_notebooks(config),
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


def _listed_notebooks(config: EvaluationConfig) -> None:
    """Refuse a configured notebook the report would not find, as ``evalkit report`` would."""
    from evalkit.errors import PipelineError
    from evalkit.pages import page_names
    from evalkit.pipeline.report import resolve_notebooks_dir

    folder = resolve_notebooks_dir(config)
    names = page_names(config.notebooks)
    missing = [name for name in names if not (folder / f"{name}.ipynb").is_file()]
    if missing:
        raise PipelineError(
            f"notebooks: {', '.join(missing)} not found in {folder} (the report pages are "
            f"{', '.join(page_names())}); correct the names, or remove notebooks: to run them all."
        )


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
    formats: Annotated[
        str,
        typer.Option(
            help="canonical: evalkit's own templates; provider: each provider's own export with "
            "its mapping file (docs/onboarding.md)."
        ),
    ] = "canonical",
) -> None:
    """Generate a synthetic multi-provider evaluation (data, qualitative coding, config)."""
    from evalkit.demo import write_demo

    if formats not in ("canonical", "provider"):
        _fail(EvalkitError(f"--formats: expected canonical or provider, got {formats!r}."))
    try:
        config = write_demo(out, episodes=episodes, seed=seed, messy=messy)
        if formats == "provider":
            from evalkit.demo.provider_formats import write_provider_formats

            config = write_provider_formats(config)
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
        except UnicodeDecodeError as exc:
            _fail(_not_utf8(config_path, exc), code=1)
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
    mapped = config is not None and bool(config.mappings)  # provider exports, read by mapping
    if not mapped and not any(detect_table(path) for path in found):
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
    except OSError as exc:  # validated/ cannot be written: a read-only or full drive
        _fail(EvalkitError(f"cannot write {exc.filename or folder}: {exc.strerror or exc}"), 1)
    except Exception as exc:  # a fault of evalkit's, not of the data: a message, not a traceback
        if os.environ.get("EVALKIT_DEBUG"):
            raise
        _fail(
            EvalkitError(
                f"validation of {folder} stopped on an internal error ({type(exc).__name__}: "
                f"{exc}). This is a fault in evalkit, not a rule your data broke: please report "
                "it with the file that caused it (set EVALKIT_DEBUG=1 to see the traceback)."
            ),
            code=1,
        )
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
    kept = result.tables.get("participants")
    if kept is not None and "person_id" in kept.columns and len(kept):
        typer.echo(
            f"people: {kept['person_id'].nunique():,} in {len(kept):,} clean episodes "
            "(how they were linked: linkage/summary.csv, for the evaluator only)"
        )
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
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder reports are published under, with their library index.html "
            "(default: reports/<evaluation>)."
        ),
    ] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=_DATA_DIR_HELP)] = None,
    final: Annotated[
        bool,
        typer.Option(
            "--final",
            help="Publish as final: refused while any question for the evaluator is unanswered "
            "in narrative.yml (without it, such a report is published as a DRAFT).",
        ),
    ] = False,
) -> None:
    """Run the evaluation notebooks and publish the HTML report (cached, parallel, atomic).

    Lists every question for the evaluator still unanswered in narrative.yml; while any is, the
    report is a DRAFT, and --final refuses to publish it.
    """
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
                final=final,
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


map_app = typer.Typer(
    help="Provider mapping files (docs/onboarding.md): suggest one for a provider's file, check "
    "what the mappings make of the files.",
    no_args_is_help=True,
)
app.add_typer(map_app, name="map")


@map_app.command("suggest")
def map_suggest(
    file: Annotated[Path, typer.Argument(help="The provider's CSV or XLSX file.")],
    provider: Annotated[
        str, typer.Option(help="The provider's slug in evaluation.yml.")
    ] = "provider_slug",
    sheet: Annotated[str | None, typer.Option(help="The workbook sheet (default: first).")] = None,
    header_row: Annotated[
        int | None, typer.Option(min=1, help="Spreadsheet row of the headers (default: found).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the mapping here (default: print it).")
    ] = None,
) -> None:
    """Suggest a commented mapping for a provider's file, to confirm line by line."""
    from evalkit.data.mapping_suggest import suggest_mapping

    if not file.is_file():
        _fail(EvalkitError(f"{file}: no such file."), code=1)
    try:
        suggestion = suggest_mapping(file, provider=provider, sheet=sheet, header_row=header_row)
    except EvalkitError as exc:
        _fail(exc, code=1)
    except (OSError, ValueError) as exc:
        _fail(EvalkitError(f"{file}: cannot be read as a CSV or XLSX file ({exc})."), code=1)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(suggestion.text, encoding="utf-8")
        typer.echo(f"wrote {out}")
    else:
        typer.echo(suggestion.text)
    matched = sum(target is not None for target in suggestion.targets.values())
    typer.echo(f"matched {matched} of {len(suggestion.targets)} headers", err=True)
    if suggestion.unmapped_columns:
        typer.echo(f"not mapped: {', '.join(suggestion.unmapped_columns)}", err=True)
    for column, values in suggestion.unmapped_values.items():
        typer.echo(f"values of {column} with no code: {', '.join(values)}", err=True)


@map_app.command("check")
def map_check(
    evaluation: Annotated[
        Path, typer.Argument(help="The evaluation folder or its evaluation.yml.")
    ] = Path("."),
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help=_DATA_DIR_HELP)] = None,
    rows: Annotated[int, typer.Option(min=1, help="How many rows to show per table.")] = 5,
) -> None:
    """Show, per provider file, the first rows as evalkit reads them and every unmapped column
    and value. Exits with status 1 when anything is unmapped or wrong."""
    from evalkit.config import load_config
    from evalkit.data.mapping_check import check_mappings, format_mapping_check

    config_path = evaluation if evaluation.is_file() else evaluation / "evaluation.yml"
    try:
        config = load_config(config_path, data_dir=data_dir)
        typer.echo(format_mapping_check(config, rows=rows))
        problems = check_mappings(config)
    except EvalkitError as exc:
        _fail(exc, code=1)
    if len(problems):
        raise typer.Exit(code=1)


key_app = typer.Typer(
    help="The pseudonymisation key that turns NHS numbers into person ids (docs/linkage.md).",
    no_args_is_help=True,
)
app.add_typer(key_app, name="key")


@key_app.command("new")
def key_new(
    evaluation: Annotated[
        Path | None,
        typer.Argument(help="The evaluation folder or its evaluation.yml (names the key)."),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option("--key-file", help="Where to write the key (default: where evalkit looks)."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace an existing key (every person id changes).")
    ] = False,
) -> None:
    """Write a new secret key, outside the data folder, readable by you only."""
    from evalkit.config import load_config
    from evalkit.data.pseudonym import key_path, new_key

    try:
        config = None
        if evaluation is not None:
            config_path = evaluation if evaluation.is_file() else evaluation / "evaluation.yml"
            config = load_config(config_path)
        target = key_file or key_path(config)
        if target is None:
            raise EvalkitError(
                "name the evaluation (evalkit key new EVALUATION) or the file (--key-file PATH)."
            )
        written = new_key(target, data_dir=config.data_dir if config else None, overwrite=overwrite)
    except EvalkitError as exc:
        _fail(exc, code=1)
    typer.echo(f"wrote {written} (keep it safe and keep it: the same key gives the same ids)")
    if key_file is not None and key_path(config) != key_file:
        typer.echo(
            "evalkit does not look there by itself: set EVALKIT_KEY_FILE to it, or "
            "`linkage: key_file:` in evaluation.yml (docs/linkage.md)"
        )


if __name__ == "__main__":  # pragma: no cover
    app()
