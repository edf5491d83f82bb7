"""The library of an evaluation's published reports: ``<out>/index.html``, and each report's
link to the previous report of the same scope.

Every published report is a folder ``<out>/<period>/<site>/`` holding ``manifest.json``; the
library is built from those manifests alone (period, site, draft or final, when, from which
data), so it can always be rebuilt from what is published. It is rebuilt at every publish, while
the report lock is held, and replaced in one rename: a reader sees the old library or the new
one, never half of one.

A report links to the one published before it for the same site (the latest earlier period), as
published when it is built: a report published for an earlier period afterwards is listed in
the library, but reports already published keep their links.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from evalkit.config import EvaluationConfig
from evalkit.pipeline.committee_paper import COMMITTEE_PAPER, COMMITTEE_PAPER_PDF
from evalkit.pipeline.manifest import MANIFEST_FILE
from evalkit.pipeline.render import TEMPLATES

__all__ = [
    "LIBRARY_FILE",
    "PublishedReport",
    "data_digest",
    "evaluation_folder",
    "report_links",
    "previous_report",
    "published_reports",
    "write_library",
]

#: The library page, at the top of the folder reports are published under.
LIBRARY_FILE = "index.html"


@dataclass(frozen=True)
class PublishedReport:
    """One published report, as its manifest describes it.

    Attributes
    ----------
    period, site : str
        The report's period and site (``"all"`` for the whole service).
    folder : str
        Its folder relative to the library, ``<period>/<site folder>``.
    status : str
        ``"draft"`` or ``"final"`` (``"not recorded"`` for reports published before drafts
        were recorded).
    generated_at : str
        When it was built, as readers read it (``3 December 2026 at 06:00``).
    data : str
        Which data: the extracts' vintage and a digest of every input file's content.
    papers : tuple of (str, str)
        The committee paper as published with it, ``(label, href)`` relative to the library:
        ``("Word (.docx)", "<folder>/committee-paper.docx")`` and ``("PDF", ...)`` when one
        was made (only files the manifest records and the folder holds).
    """

    period: str
    site: str
    folder: str
    status: str
    generated_at: str
    data: str
    papers: tuple[tuple[str, str], ...] = ()

    @property
    def site_label(self) -> str:
        return "All sites" if self.site == "all" else self.site


def data_digest(inputs: list[dict[str, Any]]) -> str:
    """A short digest of a report's input files (their paths and SHA-256), naming its data.

    Examples
    --------
    >>> data_digest([{"path": "extracts/a.csv", "sha256": "ab"}])
    '39984a92ff95'
    >>> data_digest([]) == data_digest([])
    True
    """
    text = "\n".join(f"{i['path']} {i['sha256']}" for i in sorted(inputs, key=lambda i: i["path"]))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _when(iso: str) -> str:
    """An ISO 8601 time as readers read it: ``3 December 2026 at 06:00``."""
    try:
        when = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{when.day} {when:%B %Y} at {when:%H:%M}"


def _read(manifest: Path, root: Path) -> PublishedReport | None:
    try:
        document = json.loads(manifest.read_text(encoding="utf-8"))
        parameters = document["parameters"]
        period, site = str(parameters["period"]), str(parameters["site"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not a report evalkit published; the library leaves it out
    publication = document.get("publication") or {}
    vintage = (publication.get("data") or {}).get("vintage", "")
    files = document.get("inputs") or []
    digest = f"{len(files)} input files, content {data_digest(files)}"
    folder = manifest.parent.relative_to(root).as_posix()
    return PublishedReport(
        period=period,
        site=site,
        folder=folder,
        status=str(publication.get("status", "not recorded")),
        generated_at=_when(str(document.get("generated_at", ""))),
        data=f"{vintage}; {digest}" if vintage else digest,
        papers=_papers(document, manifest.parent, folder),
    )


def _papers(document: dict[str, Any], report: Path, folder: str) -> tuple[tuple[str, str], ...]:
    """The committee paper files the manifest records and the report folder holds."""
    recorded = (document.get("disclosure") or {}).get("committee_paper") or {}
    if not isinstance(recorded, dict):
        return ()
    found = []
    for key, label, name in (
        ("docx", "Word (.docx)", COMMITTEE_PAPER),
        ("pdf", "PDF", COMMITTEE_PAPER_PDF),
    ):
        if recorded.get(key) == name and (report / name).is_file():
            found.append((label, f"{folder}/{name}"))
    return tuple(found)


def published_reports(out: str | Path) -> list[PublishedReport]:
    """Every report published under ``out``, newest period first, the whole service first.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> (out / "2026-Q1" / "all").mkdir(parents=True)
    >>> _ = (out / "2026-Q1" / "all" / "manifest.json").write_text(json.dumps(
    ...     {"parameters": {"period": "2026-Q1", "site": "all"}, "inputs": []}))
    >>> [(r.folder, r.status) for r in published_reports(out)]
    [('2026-Q1/all', 'not recorded')]
    """
    root = Path(out)
    found = []
    for manifest in sorted(root.glob(f"*/*/{MANIFEST_FILE}")):
        if any(part.startswith(".") for part in manifest.relative_to(root).parts):
            continue  # the cache, failed runs and build folders
        report = _read(manifest, root)
        if report is not None:
            found.append(report)
    found.sort(key=lambda r: (r.site != "all", r.site))
    found.sort(key=lambda r: r.period, reverse=True)
    return found


def previous_report(out: str | Path, period: str, site: str) -> PublishedReport | None:
    """The report published for ``site`` for the latest period before ``period``, if any.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> for period in ("2025-Q4", "2026-Q1"):
    ...     (out / period / "all").mkdir(parents=True)
    ...     _ = (out / period / "all" / "manifest.json").write_text(json.dumps(
    ...         {"parameters": {"period": period, "site": "all"}, "inputs": []}))
    >>> previous_report(out, "2026-Q2", "all").period, previous_report(out, "2025-Q4", "all")
    ('2026-Q1', None)
    """
    earlier = [r for r in published_reports(out) if r.site == site and r.period < period]
    return max(earlier, key=lambda r: r.period, default=None)


def evaluation_folder(config: EvaluationConfig) -> Path:
    """Where an evaluation's reports are published by default: ``reports/<evaluation>``, the
    evaluation named by the folder of its ``evaluation.yml`` (as ``make report`` publishes the
    demo's, ``data/demo``, to ``reports/demo``).

    Examples
    --------
    >>> config = EvaluationConfig(name="Live Well", data_dir=Path("."),
    ...                           path=Path("/work/live-well/evaluation.yml"))
    >>> evaluation_folder(config).as_posix()
    'reports/live-well'
    """
    name = re.sub(r"[^a-z0-9]+", "-", config.root.name.lower()).strip("-")
    return Path("reports") / (name or "evaluation")


def report_links(out: str | Path, period: str, site: str, folder: str) -> dict[str, str]:
    """The links every page of a report shows: the library, and the previous report of the
    same scope (empty ``previous_href`` when there is none).

    ``folder`` is the site's folder name; a page is at ``<out>/<period>/<folder>/page.html``.

    Examples
    --------
    >>> import tempfile
    >>> report_links(tempfile.mkdtemp(), "2026-Q2", "all", "all")["library_href"]
    '../../index.html'
    """
    previous = previous_report(out, period, site)
    return {
        "library_href": f"../../{LIBRARY_FILE}",
        "previous_href": "" if previous is None else f"../../{previous.folder}/index.html",
        "previous_label": "" if previous is None else previous.period,
    }


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def write_library(out: str | Path, *, title: str, generated: str) -> Path:
    """Rebuild ``<out>/index.html``, the list of every published report, in one rename.

    Parameters
    ----------
    out : str or Path
        The folder reports are published under (``<out>/<period>/<site>/``).
    title : str
        The evaluation's report title.
    generated : str
        When the library was rebuilt, as readers read it.

    Returns
    -------
    Path
        The library page.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> page = write_library(out, title="Live Well", generated="today")
    >>> "No report has been published yet" in page.read_text()
    True
    """
    root = Path(out)
    reports = published_reports(root)
    previous = {}
    for report in reports:
        before = [r for r in reports if r.site == report.site and r.period < report.period]
        previous[report.folder] = max(before, key=lambda r: r.period, default=None)
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    html = (
        _templates()
        .get_template("library.html.j2")
        .render(
            title=title,
            generated=generated,
            reports=reports,
            previous=previous,
            css=jinja2.utils.markupsafe.Markup(css),
        )
    )
    root.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".library-", suffix=".html", dir=root)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(html)
        os.chmod(temporary, 0o644)
        os.replace(temporary, root / LIBRARY_FILE)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return root / LIBRARY_FILE
