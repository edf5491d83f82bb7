"""``evalkit report``: run, render, check and publish one report for a period and site.

Steps (each in the module named for it):

1. Read the config and settings; find the notebooks; resolve ``latest`` to the last configured
   period with referrals in the extracts; check the site.
2. Hash every input file; compute each notebook's cache key (:mod:`.cache`).
3. Check the parameters of every notebook that will run, in the worker processes
   (:mod:`.parameters`, :mod:`.execute`).
4. Run the notebooks whose key changed, in parallel, longest first (by their last run time);
   notebooks that read other notebooks' key figures run after the rest (:mod:`.execute`).
5. Assemble the pages, the index and ``manifest.json`` (:mod:`.render`, :mod:`.manifest`).
6. Scan every page for identifiers from the extracts, small numbers and live markup
   (:mod:`evalkit.disclosure.scan`); write the Word committee paper from the pages, scan it
   too, and convert it to PDF when LibreOffice is installed (:mod:`.committee_paper`).
7. Move the report into place (:mod:`.publish`).

The published report is ``<out>/<period>/<site>/``; the cache is ``<out>/.cache/``; the
executed notebook of a failed run is kept in ``<out>/.failed/<period>/<site>/``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

import evalkit
from evalkit.config import EvaluationConfig, load_config
from evalkit.data.evaluation import mapping_files, prepare_validated
from evalkit.data.fingerprint import content_key, sha256_file
from evalkit.data.periods import resolve_period
from evalkit.disclosure.scan import (
    IDENTIFIER_COLUMNS,
    identifiers_in_extract,
    is_scannable_client_id,
    scan_disclosure,
    scan_html,
    scan_live_markup,
)
from evalkit.errors import DisclosureError, PipelineError
from evalkit.kpi.exceptions import EXCEPTIONS_FILE
from evalkit.pages import page_names
from evalkit.pipeline.cache import FileHashes, NotebookCache, evalkit_fingerprint, remembered
from evalkit.pipeline.committee_paper import (
    COMMITTEE_PAPER,
    COMMITTEE_PAPER_PDF,
    paper_links,
    write_committee_paper,
)
from evalkit.pipeline.execute import NotebookOutcome, NotebookRunner, NotebookTask
from evalkit.pipeline.inputs import (
    extract_files,
    files_in_groups,
    is_participants_extract,
    mapped_participants,
    periods_in_extract,
    periods_in_mapped_extract,
)
from evalkit.pipeline.kernels.kernelspec import write_kernelspec
from evalkit.pipeline.kernels.server import KernelServer, KernelWarmup
from evalkit.pipeline.library import evaluation_folder, report_links, write_library
from evalkit.pipeline.manifest import MANIFEST_FILE, build_manifest, git_state
from evalkit.pipeline.publish import (
    ReportLock,
    build_folder,
    check_exceptions,
    check_publication,
    publish,
)
from evalkit.pipeline.render import render_index_body, render_page
from evalkit.pipeline.settings import PipelineSettings
from evalkit.pipeline.since_last import publishable_key_figures, since_last
from evalkit.present.keyfigures import KEY_FIGURES_FILE, read_key_figures
from evalkit.present.labels import date_text
from evalkit.present.since_last import SinceLast, write_since_last
from evalkit.project.narrative import narrative_path

__all__ = ["resolve_notebooks_dir", "run_report", "site_folder"]


def resolve_notebooks_dir(config: EvaluationConfig) -> Path:
    """The folder of report notebooks.

    In order: the config's ``notebooks_dir``; ``notebooks/`` next to the config file, if it
    holds the first configured notebook; ``notebooks/`` at the root of the evalkit source tree
    (``src/evalkit`` -> ``../../notebooks``), where the standard notebooks live.

    Raises
    ------
    PipelineError
        If none of these holds the configured notebooks' folder.
    """
    if config.notebooks_dir is not None:
        return config.notebooks_dir
    first = f"{page_names(config.notebooks)[0]}.ipynb"
    candidates = [
        config.root / "notebooks",
        Path(evalkit.__file__).resolve().parents[2] / "notebooks",
    ]
    for folder in candidates:
        if (folder / first).is_file():
            return folder
    raise PipelineError(
        f"cannot find the report notebooks (looked for {first or 'notebooks'} in "
        f"{', '.join(map(str, candidates))}); set notebooks_dir in {config.path}."
    )


def site_folder(site: str) -> str:
    """Folder name for a site.

    Examples
    --------
    >>> site_folder("North East"), site_folder("all")
    ('north-east', 'all')
    """
    return re.sub(r"[^a-z0-9]+", "-", site.lower()).strip("-") or "site"


@dataclass
class _Notebook:
    """One notebook of the report, as planned and then as run or reused."""

    name: str
    path: Path
    groups: tuple[str, ...]
    files: list[Path]
    slot: Path
    key: str = ""
    components: dict[str, Any] = field(default_factory=dict)
    entry: dict[str, Any] | None = None
    title: str = ""
    seconds: float = 0.0
    cached: bool = False


class _Progress:
    """Progress lines with the elapsed pipeline time."""

    def __init__(self, sink: Callable[[str], object]) -> None:
        self.sink = sink
        self.started = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def __call__(self, message: str) -> None:
        self.sink(f"[{self.elapsed:6.1f} s] {message}")


def _periods_with_data(
    config: EvaluationConfig, extracts: list[Path], hashes: FileHashes, facts: Path
) -> set[str]:
    """The periods with referrals: from every participants extract, and from every provider
    file a mapping feeds into participants (its referral dates read through the mapping, so
    remembered under the file's and the mapping's content)."""
    mapped = mapped_participants(config.root, config.mappings, extracts)
    claimed = {source.path for source in mapped}
    participants = [p for p in extracts if is_participants_extract(p) and p not in claimed]
    if not participants and not mapped:
        raise PipelineError(
            "no participants extract (a file named *_participants.csv or .xlsx, or a provider "
            "file a mapping under mappings: feeds into participants) in "
            f"{extracts[0].parent if extracts else 'the extracts folder'}."
        )
    periods: set[str] = set()
    for path in participants:
        periods.update(
            remembered(facts / "periods", hashes.sha256(path), partial(periods_in_extract, path))
        )
    for source in mapped:
        key = content_key(
            {
                "file": hashes.sha256(source.path),
                "mapping": hashes.sha256(source.mapping_path),
                "entry": source.entry.pattern,
            }
        )
        periods.update(
            remembered(facts / "periods", key, partial(periods_in_mapped_extract, source))
        )
    return periods


def _identifier_rows(extract: Path) -> list[list[str]]:
    """The extract's identifiers as JSON-able ``[kind, value]`` rows."""
    return identifiers_in_extract(extract).to_numpy().tolist()


def _identifiers(extracts: list[Path], hashes: FileHashes, facts: Path) -> pd.DataFrame:
    parts = []
    for path in extracts:
        rows = remembered(
            facts / "identifiers", hashes.sha256(path), partial(_identifier_rows, path)
        )
        parts.append(pd.DataFrame(rows, columns=["kind", "value"], dtype="str"))
    if not parts:
        return pd.DataFrame({"kind": [], "value": []}, dtype="str")
    return pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _key_figures_digest(outputs: Path, names: list[str]) -> dict[str, str | None]:
    digest = {}
    for name in names:
        path = outputs / name / KEY_FIGURES_FILE
        digest[name] = sha256_file(path) if path.is_file() else None
    return digest


def _parameters_key(nb: _Notebook, parameters: dict[str, str]) -> str:
    kinds = {name: type(value).__name__ for name, value in parameters.items()}
    return content_key({"notebook": nb.components["notebook_sha256"], "parameters": kinds})


def available_cores() -> int:
    """Cores this process may use: its CPU affinity where the system has one (Linux), else the
    machine's count (macOS, Windows)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _report_facts(
    config: EvaluationConfig, period: str, site: str, extracts: list[Path]
) -> dict[str, Any]:
    """Header, footer and index facts: titles, period, area, generation time, data vintage."""
    now = dt.datetime.now().astimezone()
    first = config.periods[0] if config.periods else period
    latest = max((p.stat().st_mtime for p in extracts), default=None)
    vintage = (
        "provider extracts last updated " + date_text(dt.datetime.fromtimestamp(latest))
        if latest is not None
        else "no provider extracts"
    )
    cumulative = f" (cumulative from {first})" if first != period else ""
    return {
        "report_title": config.titles.get("report", config.name),
        "period_label": f"{period}{cumulative}",
        "site_label": "All sites" if site == "all" else f"Site: {site}",
        "generated": f"{date_text(now)} at {now:%H:%M}",
        "generated_iso": now.isoformat(timespec="seconds"),
        "vintage": vintage,
        "threshold": config.disclosure.threshold,
        "evalkit_version": evalkit.__version__,
    }


@dataclass
class _ReportRun:
    """State of one ``run_report`` call between planning and publishing."""

    config: EvaluationConfig
    settings: PipelineSettings
    out: Path
    cache: NotebookCache
    hashes: FileHashes
    extracts: list[Path]
    period: str
    period_requested: str
    site: str
    build: Path
    jobs: int
    force: bool
    say: _Progress

    @property
    def target(self) -> Path:
        return self.out / self.period / site_folder(self.site)

    @property
    def parameters(self) -> dict[str, str]:
        """Report parameters, without ``output_dir`` (set per notebook; not in the cache key)."""
        return {"config_path": str(self.config.path), "period": self.period, "site": self.site}

    @property
    def notebook_parameters(self) -> dict[str, str]:
        """Every parameter a notebook receives (``output_dir`` filled in per notebook)."""
        return {**self.parameters, "output_dir": ""}

    def plan(self, notebooks_dir: Path) -> list[_Notebook]:
        """Each notebook with its input files, cache slot and key components (stage-1 part)."""
        fingerprint = evalkit_fingerprint()
        assert self.config.path is not None  # run_report reads the config from its file
        config_sha = self.hashes.sha256(self.config.path)
        # the provider mappings and geography lookups the extracts are read through
        mappings = {
            _relative(p, self.config.root): self.hashes.sha256(p)
            for p in mapping_files(self.config)
        }
        notebooks = []
        for name in page_names(self.config.notebooks):
            groups = self.settings.inputs_of(name)
            nb = _Notebook(
                name=name,
                path=notebooks_dir / f"{name}.ipynb",
                groups=groups,
                files=files_in_groups(self.config.data_dir, groups, self.settings.input_groups),
                slot=self.cache.slot(self.period, site_folder(self.site), name),
            )
            nb.components = {
                "notebook_sha256": self.hashes.sha256(nb.path),
                # The config's location is left out: its content and the data's are hashed, so
                # an evaluation folder can be moved or copied without re-running everything.
                "parameters": {"period": self.period, "site": self.site},
                "inputs": {
                    _relative(p, self.config.data_dir): self.hashes.sha256(p) for p in nb.files
                },
                "config_sha256": config_sha,
                "mappings": mappings,
                "evalkit": fingerprint,
            }
            if self.settings.reads_key_figures(name):  # the summary shows the evaluator's text
                narrative = narrative_path(self.config)
                nb.components["narrative_sha256"] = (
                    self.hashes.sha256(narrative) if narrative.is_file() else None
                )
            if self.settings.reads_exceptions(name):  # beside evaluation.yml, as the page reads
                exceptions = self.config.root / EXCEPTIONS_FILE
                nb.components["exceptions_sha256"] = (
                    self.hashes.sha256(exceptions) if exceptions.is_file() else None
                )
            nb.entry = self.cache.lookup(nb.slot)
            notebooks.append(nb)
        return notebooks

    def kernel_server(self, notebooks: list[_Notebook]) -> KernelServer | None:
        """A warm kernel server that imports what the notebooks import and reads this report's
        evaluation; None when ``pipeline.warm_kernels`` is off."""
        if not self.settings.warm_kernels:
            return None
        # Validate here, not in the server: validation links people with Splink on DuckDB, whose
        # threads a forked kernel cannot survive; the server then only reads the cache.
        prepare_validated(self.config)
        paths = tuple(nb.path for nb in notebooks)
        return KernelServer(KernelWarmup(notebooks=paths, evaluation=self.parameters))

    def will_run(self, notebooks: list[_Notebook]) -> bool:
        """Whether any notebook is likely to run (forced, never run, or its notebook, inputs,
        config, parameters or evalkit changed): decides whether to start the workers early.
        The key figures a summary reads are left out; they change only if another notebook
        runs."""

        def without_key_figures(components: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in components.items() if k not in ("key_figures", "since_last")}

        return self.force or any(
            nb.entry is None
            or without_key_figures(nb.entry.get("components", {}))
            != without_key_figures(nb.components)
            for nb in notebooks
        )

    def check(self, notebooks: list[_Notebook], runner: NotebookRunner) -> None:
        """Check the parameters of every notebook whose check is not cached for its content
        (a notebook whose cache entry was checked with the same file and parameter types is
        fine; anything else will run, so it is checked before anything runs)."""
        parameters = self.notebook_parameters
        to_check = [
            nb.path
            for nb in notebooks
            if (nb.entry or {}).get("parameters_checked") != _parameters_key(nb, parameters)
        ]
        problems = runner.check(to_check, parameters) if to_check else []
        if problems:
            raise PipelineError("\n".join(problems))

    def run(
        self, notebooks: list[_Notebook], runner: NotebookRunner, server: KernelServer | None
    ) -> None:
        """Reuse or run every notebook: those not reading key figures first, then the rest."""
        for folder in ("outputs", "executed", "pages"):
            (self.build / folder).mkdir()
        kernels = write_kernelspec(
            self.build / "jupyter", server=server.address if server is not None else None
        )
        first = [nb for nb in notebooks if not self.settings.reads_key_figures(nb.name)]
        last = [nb for nb in notebooks if self.settings.reads_key_figures(nb.name)]
        by_name = {nb.name: nb for nb in notebooks}
        for stage in (first, last):
            if stage is last:
                digest = _key_figures_digest(self.build / "outputs", [nb.name for nb in first])
                compared = self.compared_with_last(read_key_figures(self.build / "outputs"))
                since = sha256_file(write_since_last(self.build / "outputs", compared))
                for nb in last:
                    nb.components["key_figures"] = digest
                    nb.components["since_last"] = since  # the last report's figures, too
            planned = [self._reuse_or_task(nb, kernels) for nb in stage]
            # Longest first (by the time each took when it last ran; never run counts as
            # longest), so one slow notebook does not start last and leave cores idle.
            tasks = sorted(
                (t for t in planned if t is not None),
                key=lambda t: -(by_name[t.name].entry or {}).get("run_seconds", float("inf")),
            )
            outcomes = runner.run(
                tasks,
                on_start=lambda t: self.say(f"{t.name}: running"),
                on_done=lambda o: self._finished(by_name[o.name], o),
            )
            failures = [o for o in outcomes if o.error is not None]
            if failures:
                raise self._failure(failures[0])

    def compared_with_last(self, figures: pd.DataFrame) -> SinceLast:
        """These key figures against the last published report of this scope
        (:func:`evalkit.pipeline.since_last.since_last`)."""
        return since_last(figures, self.target, self.period, self.config.disclosure)

    def _reuse_or_task(self, nb: _Notebook, kernels: Path) -> NotebookTask | None:
        """Copy a valid cached result into the build, or describe the run needed."""
        nb.key = content_key(nb.components)
        outputs = self.build / "outputs" / nb.name
        page = self.build / "pages" / f"{nb.name}.html"
        hit = None if self.force else self.cache.lookup(nb.slot, nb.key)
        if hit is not None:
            nb.cached, nb.title, nb.seconds = True, hit["title"], hit["run_seconds"]
            shutil.copytree(nb.slot / "outputs", outputs)
            shutil.copyfile(nb.slot / "page.html", page)
            self.say(f"{nb.name}: cached (ran in {nb.seconds:.1f} s)")
            return None
        outputs.mkdir()
        return NotebookTask(
            name=nb.name,
            notebook=nb.path,
            executed=self.build / "executed" / f"{nb.name}.ipynb",
            page=page,
            parameters={**self.notebook_parameters, "output_dir": str(outputs)},
            jupyter_path=kernels,
            execution_timeout=self.settings.execution_timeout,
        )

    def _finished(self, nb: _Notebook, outcome: NotebookOutcome) -> None:
        """Store a successful run in the cache at once (it stays valid if another fails)."""
        if outcome.error is not None:
            self.say(f"{nb.name}: FAILED after {outcome.seconds:.1f} s")
            return
        nb.title, nb.seconds = outcome.title, outcome.seconds
        entry = {
            "key": nb.key,
            "components": nb.components,
            "parameters_checked": _parameters_key(nb, self.notebook_parameters),
            "title": nb.title,
            "run_seconds": round(nb.seconds, 3),
        }
        self.cache.store(
            nb.slot,
            entry,
            executed=self.build / "executed" / f"{nb.name}.ipynb",
            page=self.build / "pages" / f"{nb.name}.html",
            outputs=self.build / "outputs" / nb.name,
        )
        self.say(f"{nb.name}: ran in {nb.seconds:.1f} s")

    def _failure(self, outcome: NotebookOutcome) -> PipelineError:
        """The error for a failed notebook, after keeping its executed copy for debugging."""
        source = self.build / "executed" / f"{outcome.name}.ipynb"
        if source.is_file():
            kept_dir = self.out / ".failed" / self.period / site_folder(self.site)
            kept_dir.mkdir(parents=True, exist_ok=True)
            kept = shutil.copyfile(source, kept_dir / f"{outcome.name}.ipynb")
            where = f"The executed notebook, with the traceback, is kept at {kept}."
        else:
            where = "The notebook did not start, so there is no executed copy."
        previous = (
            f"The published report at {self.target} is unchanged."
            if self.target.exists()
            else "Nothing was published."
        )
        return PipelineError(
            f"notebook {outcome.name}.ipynb failed: {outcome.error}\n{where}\n{previous}"
        )

    def assemble(self, notebooks: list[_Notebook], report: dict[str, Any]) -> Path:
        """Write every page and the index into ``build/site``."""
        site = self.build / "site"
        site.mkdir()
        titles = self.config.titles
        pages = [("index.html", "Overview")] + [
            (f"{nb.name}.html", titles.get(nb.name) or nb.title) for nb in notebooks
        ]
        sections = []
        for nb, (href, title) in zip(notebooks, pages[1:], strict=True):
            body = (self.build / "pages" / href).read_text(encoding="utf-8")
            html = render_page(body, page_title=title, report=report, pages=pages, href=href)
            (site / href).write_text(html, encoding="utf-8")
            figures = read_key_figures(self.build / "outputs" / nb.name)
            sections.append({"name": nb.name, "title": title, "href": href, "figures": figures})
        threshold = self.config.disclosure.threshold
        round_to = self.config.disclosure.round_to
        every = [section["figures"] for section in sections if len(section["figures"])]
        figures = pd.concat(every, ignore_index=True) if every else pd.DataFrame(columns=["key"])
        index_body = render_index_body(
            report, sections, threshold, round_to, since_last=self.compared_with_last(figures)
        )
        index = render_page(
            index_body, page_title="Overview", report=report, pages=pages, href="index.html"
        )
        (site / "index.html").write_text(index, encoding="utf-8")
        # every page's key figures, small numbers withheld, for the next report's
        # "since the last report" comparison (evalkit.pipeline.since_last)
        published = publishable_key_figures(figures, self.config.disclosure)
        (site / KEY_FIGURES_FILE).write_text(json.dumps(published, indent=1), encoding="utf-8")
        return site

    def scan(self, site: Path, identifiers: pd.DataFrame) -> dict[str, Any]:
        """Refuse to publish pages that contain an identifier from the extracts or live markup."""
        html_files = sorted(site.glob("*.html"))
        hits = scan_html(html_files, identifiers)
        if len(hits):
            shown = [
                f"  {Path(h.file).name} line {h.line}: {h.kind} {h.value}"
                for h in hits.head(10).itertuples()
            ]
            more = [f"  ... and {len(hits) - 10} more"] if len(hits) > 10 else []
            raise DisclosureError(
                f"not published: {len(hits)} identifier(s) from the extracts appear in the "
                "rendered report; change the notebook to show counts, not rows.\n"
                + "\n".join(shown + more)
            )
        live = scan_live_markup(html_files, documents=(COMMITTEE_PAPER, COMMITTEE_PAPER_PDF))
        if len(live):
            shown = [
                f"  {Path(h.file).name} line {h.line}: {h.what}" for h in live.head(10).itertuples()
            ]
            raise DisclosureError(
                f"not published: {len(live)} piece(s) of live markup (script, event handler or "
                "unsafe link) in the rendered report; text from the data must reach a page "
                "escaped.\n" + "\n".join(shown)
            )
        small = scan_disclosure(html_files, self.config.disclosure)
        if len(small):
            shown = [
                f"  {Path(h.file).name} line {h.line}: {h.what}"
                for h in small.head(10).itertuples()
            ]
            more = [f"  ... and {len(small) - 10} more"] if len(small) > 10 else []
            raise DisclosureError(
                f"not published: {len(small)} number(s) in the rendered report break the "
                "small-number rules (docs/disclosure.md); show them through the page's table "
                "and sentence helpers, which suppress and round them.\n" + "\n".join(shown + more)
            )
        self.say(f"identifier scan: {len(html_files)} pages clean")
        client = identifiers["kind"] == "client_id"
        too_short = client & ~identifiers["value"].map(is_scannable_client_id).astype(bool)
        kinds = identifiers.loc[~too_short, "kind"].value_counts()
        return {
            "threshold": self.config.disclosure.threshold,
            "pages_scanned": [p.name for p in html_files],
            "identifiers_scanned": {k: int(kinds.get(k, 0)) for k in IDENTIFIER_COLUMNS},
            "client_ids_too_short_to_scan": int(too_short.sum()),
        }

    def manifest(
        self, notebooks: list[_Notebook], report: dict[str, Any], disclosure: dict[str, Any]
    ) -> dict[str, Any]:
        """The manifest document for the built report."""
        files = sorted({p for nb in notebooks for p in nb.files})
        inputs = pd.DataFrame(
            {
                "path": [_relative(p, self.config.data_dir) for p in files],
                "size": [p.stat().st_size for p in files],
                "sha256": [self.hashes.sha256(p) for p in files],
            }
        )
        return build_manifest(
            evalkit=notebooks[0].components["evalkit"],
            git=git_state(Path(evalkit.__file__).parent),
            generated_at=report["generated_iso"],
            config={
                "path": str(self.config.path),
                "sha256": notebooks[0].components["config_sha256"],
            },
            parameters={
                **self.parameters,
                "period_requested": self.period_requested,
                "jobs": self.jobs,
                "force": self.force,
            },
            inputs=inputs,
            notebooks=[
                {
                    "name": nb.name,
                    "title": nb.title,
                    "page": f"{nb.name}.html",
                    "inputs": list(nb.groups),
                    "cache_key": nb.key,
                    "cached": nb.cached,
                    "run_seconds": round(nb.seconds, 3),
                }
                for nb in notebooks
            ],
            disclosure=disclosure,
        )


def run_report(
    config_path: str | Path,
    period: str = "latest",
    site: str = "all",
    jobs: int | None = None,
    force: bool = False,
    out: str | Path | None = None,
    progress: Callable[[str], object] = print,
    final: bool = False,
) -> Path:
    """Run the report notebooks and publish the HTML report for one period and site.

    Parameters
    ----------
    config_path : str or Path
        The evaluation's ``evaluation.yml``.
    period : str, default "latest"
        A configured period, or ``"latest"``: the last configured period with referrals.
    site : str, default "all"
        A configured site, or ``"all"`` for the whole service.
    jobs : int, optional
        Notebooks run at once (default: the number of CPU cores available).
    force : bool, default False
        Re-run every notebook even when its cached result is still valid.
    out : str or Path, optional
        Output folder (default ``reports/<evaluation>``, :func:`.library.evaluation_folder`);
        the report is published to ``<out>/<period>/<site>/`` and listed in the library,
        ``<out>/index.html``, rebuilt at every publish.
    progress : callable, default print
        Receives one line per step: which notebook, elapsed time, cached or run; and every
        question for the evaluator still unanswered.
    final : bool, default False
        Publish as final: refused while any of the summary's questions is unanswered in
        ``narrative.yml``. Otherwise such a report is published as a DRAFT (every page, the
        titles and the manifest say so).

    Returns
    -------
    Path
        The published report folder (``index.html``, one page per notebook, ``manifest.json``).

    Raises
    ------
    ConfigError
        If the config cannot be read.
    PipelineError
        If a notebook is missing, has wrong parameters or fails (naming notebook, cell and
        error); the previously published report is left untouched.
    DisclosureError
        If a page contains an identifier from the extracts; nothing is published.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from evalkit.demo import write_demo
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> config = write_demo(root / "demo", episodes=200, seed=1)
    >>> published = run_report(config, out=root / "reports", progress=lambda message: None)
    >>> published.relative_to(root).as_posix(), (published / "index.html").exists()
    ('reports/2026-Q2/all', True)
    """
    say = _Progress(progress)
    config = load_config(config_path)
    settings = PipelineSettings.from_config(config)
    notebooks_dir = resolve_notebooks_dir(config)
    for name in page_names(config.notebooks):
        if not (notebooks_dir / f"{name}.ipynb").is_file():
            raise PipelineError(
                f"notebook {name}.ipynb (listed in {config.path}) is not in {notebooks_dir}."
            )
    if site != "all" and site not in config.sites:
        raise PipelineError(
            f"site {site!r} is not configured in {config.path} "
            f"(configured: {', '.join(config.sites) or 'none'}; use 'all' for the whole service)."
        )
    out = Path(out if out is not None else evaluation_folder(config)).resolve()
    with ReportLock(out):
        cache = NotebookCache(out / ".cache")
        hashes = FileHashes(cache.root / "file_hashes.json")
        try:
            extracts = extract_files(config.extracts_dir)
            with_data = _periods_with_data(config, extracts, hashes, cache.root / "facts")
            run = _ReportRun(
                config=config,
                settings=settings,
                out=out,
                cache=cache,
                hashes=hashes,
                extracts=extracts,
                period=resolve_period(config.periods, period, with_data, config_path=config.path),
                period_requested=period,
                site=site,
                build=build_folder(out),
                jobs=jobs or available_cores(),
                force=force,
                say=say,
            )
            try:
                publication = check_publication(config, run.period, final=final)
                check_exceptions(config)  # refused with its message before anything runs
                for prompt in publication.unanswered:
                    say(f"unanswered for {run.period} (answers.{prompt.id}): {prompt.question}")
                site_name = "all sites" if site == "all" else site
                say(f"report for {run.period}, {site_name} -> {run.target}")
                notebooks = run.plan(notebooks_dir)
                background = ThreadPoolExecutor(max_workers=1)
                will_run = run.will_run(notebooks)
                server = run.kernel_server(notebooks) if will_run else None
                try:
                    with NotebookRunner(run.jobs) as runner:
                        # Workers are forked while this process has one thread (forking a
                        # process with more threads is unsafe; later, they would be spawned),
                        # and before the kernel server starts, so they hold none of its pipes.
                        if will_run:
                            runner.start()
                        with server or nullcontext():
                            # Read the extracts' identifiers while the notebooks run: the main
                            # process is otherwise idle.
                            identifiers = background.submit(
                                _identifiers, extracts, hashes, cache.root / "facts"
                            )
                            run.check(notebooks, runner)
                            run.run(notebooks, runner, server)
                    report = _report_facts(config, run.period, site, extracts)
                    report.update(publication.page_facts())
                    report.update(report_links(out, run.period, site, site_folder(site)))
                    report.update(paper_links())
                    built = run.assemble(notebooks, report)
                    disclosure = run.scan(built, identifiers.result())
                    disclosure["committee_paper"] = write_committee_paper(
                        built, report, config.disclosure, identifiers.result(), progress=say
                    )
                finally:
                    background.shutdown(wait=False, cancel_futures=True)
                manifest = run.manifest(notebooks, report, disclosure)
                manifest["publication"] = {
                    **publication.manifest(),
                    "previous": report["previous_href"].removeprefix("../../") or None,
                    "data": {"folder": str(config.data_dir), "vintage": report["vintage"]},
                }
                (built / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1), "utf-8")
                publish(built, run.target)
                write_library(out, title=report["report_title"], generated=report["generated"])
            finally:
                shutil.rmtree(run.build, ignore_errors=True)
        finally:
            hashes.save()
    ran = sum(not nb.cached for nb in notebooks)
    status = (
        f"published as DRAFT ({len(publication.unanswered)} questions unanswered)"
        if publication.draft
        else "published as final"
    )
    say(f"{len(notebooks)} notebooks ({ran} run, {len(notebooks) - ran} cached); report {status}")
    return run.target
