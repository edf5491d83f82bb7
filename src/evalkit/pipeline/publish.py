"""Publishing a built report atomically, and keeping one report run at a time per output folder.

A report is built in a temporary folder inside the output folder (same file system) and moved
into place only when every notebook ran and the identifier scan passed. Moving in is two
renames: the published folder is renamed aside, the new one renamed in, the old one deleted; if
the second rename fails the old folder is renamed back. Readers never see a half-built report,
and a failed run leaves the previous report untouched.

Before anything runs, :func:`check_publication` reads the evaluator's ``narrative.yml``
(:mod:`evalkit.project.narrative`): a report with any of the summary's questions unanswered for its
period is published as a DRAFT (marked on every page, in the title and in the manifest), and a
``final`` publish refuses it; :func:`check_exceptions` refuses an invalid ``exceptions.yml``
(the evaluator's explanations of KPI exceptions) before any notebook meets it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import filelock

from evalkit.config import EvaluationConfig
from evalkit.data.fingerprint import sha256_file
from evalkit.errors import ConfigError, EvalkitError, PipelineError
from evalkit.project.narrative import Narrative, Prompt, load_narrative, reference_problems

__all__ = [
    "Publication",
    "ReportLock",
    "build_folder",
    "check_exceptions",
    "check_narrative",
    "check_publication",
    "publish",
]


class ReportLock:
    """An exclusive lock on an output folder, so two unattended runs cannot interleave.

    The lock is the operating system's (through :mod:`filelock`, on Linux, macOS and Windows),
    so a run that is killed, even with SIGKILL, releases it: the ``.lock`` file it leaves behind
    does not block the next run.

    Raises
    ------
    PipelineError
        If another run holds the lock.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> with ReportLock(out):
    ...     (out / ".lock").exists()
    True
    """

    def __init__(self, out: Path) -> None:
        self.path = out / ".lock"
        self._lock = filelock.FileLock(self.path, timeout=0, is_singleton=False)

    def __enter__(self) -> ReportLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except filelock.Timeout as exc:
            raise PipelineError(
                f"{self.path.parent}: another `evalkit report` is writing to this folder; "
                "wait for it to finish."
            ) from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()


def build_folder(out: Path) -> Path:
    """A new, empty temporary build folder inside ``out`` (so publishing is a rename)."""
    out.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".build-", dir=out))


def publish(site: Path, target: Path) -> Path:
    """Move a finished report folder into place, replacing any previous report.

    Parameters
    ----------
    site : Path
        The finished report (on the same file system as ``target``).
    target : Path
        Where readers find it.

    Returns
    -------
    Path
        ``target``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "new").mkdir(); _ = (root / "new" / "index.html").write_text("v2")
    >>> (root / "live").mkdir(); _ = (root / "live" / "index.html").write_text("v1")
    >>> (publish(root / "new", root / "live") / "index.html").read_text()
    'v2'
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    previous = None
    if target.exists():
        previous = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
        os.rename(target, previous / "report")
    try:
        os.rename(site, target)
    except OSError:
        if previous is not None:
            os.rename(previous / "report", target)
            previous.rmdir()
        raise
    if previous is not None:
        shutil.rmtree(previous)
    return target


def check_narrative(config: EvaluationConfig) -> Narrative:
    """Read an evaluation's ``narrative.yml`` and check every name in it against the evaluation.

    Raises
    ------
    ConfigError
        Listing every problem: those of the file itself
        (:func:`evalkit.project.narrative.load_narrative`) and every period, CMOC id or KPI id
        it names that the evaluation does not have, each with the nearest name it does have;
        and every CMOC whose latest ``status_change.to``
        is not its ``status`` in the CMOC table, naming both.
    """
    from evalkit.kpi import load_kpis
    from evalkit.qual.tables import load_qualitative

    narrative = load_narrative(config)
    if narrative.path is None:
        return narrative
    statuses: dict[str, str] = {}
    try:
        cmocs = load_qualitative(config).cmocs
        if cmocs is not None and "cmoc_id" in cmocs:
            known = cmocs.dropna(subset=["cmoc_id"])
            status = known["status"] if "status" in known else [""] * len(known)
            statuses = {str(c): str(s) for c, s in zip(known["cmoc_id"], status, strict=True)}
    except (EvalkitError, OSError):
        pass  # the qualitative data's own problems are reported where it is read
    problems = reference_problems(
        narrative,
        periods=config.periods,
        cmoc_ids=list(statuses),
        kpi_ids=[kpi.id for kpi in load_kpis(config.kpis)],
        cmoc_statuses=statuses,
    )
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        lines = "\n".join(f"  {problem}" for problem in problems)
        raise ConfigError(f"{narrative.path}: {count}:\n{lines}")
    return narrative


def check_exceptions(config: EvaluationConfig) -> Path | None:
    """Check the evaluator's ``exceptions.yml`` beside ``evaluation.yml``, where the KPI page
    reads it, against the evaluation's KPIs (:func:`evalkit.kpi.exceptions.load_exceptions`).

    Returns
    -------
    Path or None
        The file checked; None when the evaluation has none (every exception is then "to be
        explained").

    Raises
    ------
    ConfigError
        With the file's own message: not YAML, an unknown key, a value of the wrong type, an
        unknown KPI id (with the nearest) or a KPI listed twice, each with its key path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> config = EvaluationConfig(name="X", data_dir=folder, path=folder / "evaluation.yml")
    >>> check_exceptions(config) is None
    True
    >>> _ = (folder / "exceptions.yml").write_text("exceptions:\\n  - kpi: referals\\n")
    >>> check_exceptions(config)
    Traceback (most recent call last):
    ...
    evalkit.errors.ConfigError: ...exceptions.yml: 1 problem:
      exceptions[0].kpi: unknown KPI id 'referals' (did you mean 'referrals'?)
    """
    from evalkit.kpi import load_kpis
    from evalkit.kpi.exceptions import EXCEPTIONS_FILE, load_exceptions

    path = config.root / EXCEPTIONS_FILE
    if not path.is_file():
        return None
    load_exceptions(path, load_kpis(config.kpis))
    return path


@dataclass(frozen=True)
class Publication:
    """Whether a report is published final or as a draft, and why.

    Attributes
    ----------
    period : str
        The report's period.
    unanswered : list of Prompt
        The summary's questions with no answer for the period in ``narrative.yml``.
    narrative : Path or None
        The ``narrative.yml`` read (None when the evaluation has none).
    """

    period: str
    unanswered: list[Prompt] = field(default_factory=list)
    narrative: Path | None = None

    @property
    def draft(self) -> bool:
        """A report is a draft while any question is unanswered."""
        return bool(self.unanswered)

    @property
    def status(self) -> str:
        return "draft" if self.draft else "final"

    def page_facts(self) -> dict[str, Any]:
        """What every page shows of it: the DRAFT mark and the unanswered questions."""
        return {"draft": self.draft, "unanswered": [p.question for p in self.unanswered]}

    def manifest(self) -> dict[str, Any]:
        """The manifest's record of it (``status``, ``unanswered_prompts``, ``narrative``)."""
        narrative = (
            None
            if self.narrative is None
            else {"path": str(self.narrative), "sha256": sha256_file(self.narrative)}
        )
        return {
            "status": self.status,
            "unanswered_prompts": [{"id": p.id, "question": p.question} for p in self.unanswered],
            "narrative": narrative,
        }


def check_publication(config: EvaluationConfig, period: str, *, final: bool) -> Publication:
    """Check the narrative and decide whether a report may be published final.

    Parameters
    ----------
    config : EvaluationConfig
    period : str
        The resolved report period.
    final : bool
        Whether a final report is asked for (``evalkit report --final``).

    Returns
    -------
    Publication
        Listing the unanswered questions (a draft) or none (final).

    Raises
    ------
    ConfigError
        If ``narrative.yml`` is invalid (:func:`check_narrative`).
    PipelineError
        If ``final`` and any question is unanswered for ``period``, listing each one and where
        its answer goes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> cfg = EvaluationConfig(name="Demo", data_dir=root, path=root / "evaluation.yml")
    >>> check_publication(cfg, "2026-Q2", final=False).status
    'draft'
    >>> check_publication(cfg, "2026-Q2", final=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evalkit.errors.PipelineError: not published as final: 5 questions for the evaluator are ...
    """
    narrative = check_narrative(config)
    publication = Publication(period, narrative.unanswered(period), narrative.path)
    if final and publication.draft:
        where = narrative.path or config.root / "narrative.yml"
        lines = "\n".join(f"  answers.{p.id}: {p.question}" for p in publication.unanswered)
        count = len(publication.unanswered)
        raise PipelineError(
            f"not published as final: {count} question{'s' if count != 1 else ''} for the "
            f"evaluator {'are' if count != 1 else 'is'} unanswered for {period}. Answer "
            f"{'them' if count != 1 else 'it'} under periods.{period}.answers in {where}, or "
            f"publish a draft (without --final):\n{lines}"
        )
    return publication
