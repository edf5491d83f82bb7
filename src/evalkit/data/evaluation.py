"""One call that gives a notebook everything it analyses: :func:`load_evaluation`.

Validation runs once per set of inputs: its clean tables, quarantine, issues and reconciliation
are cached under ``<data_dir>/validated/`` together with the episode table, keyed by the SHA-256 of
every input file, the instrument settings and evalkit's version. Parallel notebooks therefore
read the same validated data instead of validating it six times.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import pandas as pd

import evalkit
from evalkit.config import EvaluationConfig, load_config
from evalkit.data.fingerprint import content_key, sha256_file
from evalkit.data.periods import resolve_period
from evalkit.data.pseudonym import key_stamp
from evalkit.data.readers import detect_table
from evalkit.errors import ConfigError, ValidationError

__all__ = [
    "Evaluation",
    "input_files",
    "load_evaluation",
    "mapping_files",
    "preload_evaluation",
    "prepare_validated",
]

_TABLES = ("participants", "sources", "codebook", "codings", "cmocs")


@dataclass
class Evaluation:
    """The validated data of one report: a period (cumulative) and a site or the whole service.

    Attributes
    ----------
    config : EvaluationConfig
    period : str
        The report period (``"YYYY-Qn"``); episodes referred in it or earlier, from the first
        configured period on, are included.
    site : str
        ``"all"`` or one site.
    participants, episodes : DataFrame
        Clean rows in scope. ``episodes`` is one row per referral episode with scored outcomes.
    out_of_scope : int
        Clean episodes of the site (or the whole service) referred before the first configured
        period: left out of every report (docs/data-model.md), counted for the data-quality page.
    measures : DataFrame
        Clean measures of the episodes in scope; read on first use (most pages need only the
        episode table, and the long measures table is the largest file).
    qual : dict of DataFrame
        ``sources``, ``codebook``, ``codings``, ``cmocs`` (clean rows).
    reconciliation, issues : DataFrame
        From validation of *all* inputs (see :mod:`evalkit.data.validate`).
    quarantine : dict of DataFrame
    input_files : list of Path
        Every input file read.
    """

    config: EvaluationConfig
    period: str
    site: str
    participants: pd.DataFrame
    episodes: pd.DataFrame
    qual: dict[str, pd.DataFrame]
    reconciliation: pd.DataFrame
    issues: pd.DataFrame
    quarantine: dict[str, pd.DataFrame] = field(default_factory=dict)
    input_files: list[Path] = field(default_factory=list)
    validated_dir: Path | None = None
    out_of_scope: int = 0

    @cached_property
    def measures(self) -> pd.DataFrame:
        """Clean measures of the episodes in scope (read from the validation cache once)."""
        if self.validated_dir is None:
            return pd.DataFrame(columns=["client_id", "timepoint", "date", "measure", "value"])
        measures = pd.read_parquet(self.validated_dir / "clean" / "measures.parquet")
        in_scope = measures["client_id"].isin(set(self.participants["client_id"]))
        return measures[in_scope].reset_index(drop=True)

    @property
    def people(self) -> pd.DataFrame:
        """One row per person among the episodes in scope: ``person_id, episodes, providers,
        n_providers, strands`` (:func:`evalkit.data.persons.person_table`)."""
        from evalkit.data.persons import person_table

        if "person_id" not in self.episodes.columns:  # validated before person linkage
            return person_table(self.episodes.assign(person_id=self.episodes["client_id"]))
        return person_table(self.episodes)

    def copy(self) -> Evaluation:
        """A new Evaluation whose tables are new DataFrames over the same data.

        Under pandas' copy-on-write, changing a table of the copy leaves the original as it was
        (and the other way round) without copying any data up front.
        """
        shallow = {
            "participants": self.participants.copy(deep=False),
            "episodes": self.episodes.copy(deep=False),
            "qual": {name: table.copy(deep=False) for name, table in self.qual.items()},
            "reconciliation": self.reconciliation.copy(deep=False),
            "issues": self.issues.copy(deep=False),
            "quarantine": {name: t.copy(deep=False) for name, t in self.quarantine.items()},
            "input_files": list(self.input_files),
        }
        copied = replace(self, **shallow)
        if "measures" in self.__dict__:
            copied.__dict__["measures"] = self.measures.copy(deep=False)
        return copied

    @property
    def scope(self) -> str:
        """Plain-English scope, e.g. ``"North site, referrals to 2026-Q2"``."""
        where = "whole service" if self.site == "all" else f"{self.site} site"
        return f"{where}, referrals up to and including {self.period}"


def input_files(config: EvaluationConfig) -> list[Path]:
    """Every file validation reads for this evaluation, sorted."""
    from evalkit.data.validate import input_paths

    return input_paths(config.data_dir)


def mapping_files(config: EvaluationConfig) -> list[Path]:
    """The provider mappings (``mappings:``) and geography lookups (``geography:``) that
    ``evaluation.yml`` names and that exist: what validation reads the extracts through.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "north.yml").write_text("provider: n")
    >>> config = EvaluationConfig(name="T", data_dir=d, mappings=["north.yml", "gone.yml"],
    ...                           path=d / "evaluation.yml")
    >>> [p.name for p in mapping_files(config)]
    ['north.yml']
    """
    return list(_named_paths(config).values())


def _named_paths(config: EvaluationConfig) -> dict[str, Path]:
    named = [*config.mappings, *(v for v in (config.geography or {}).values() if v)]
    paths = {str(n): config.root / str(n) for n in named}
    return {name: path for name, path in paths.items() if path.is_file()}


def _named_files(config: EvaluationConfig, stat: bool) -> dict[str, object]:
    """The mapping files and lookups as ``evaluation.yml`` names them, with their size and
    modification time (``stat``) or their content hash."""
    return {
        name: ([p.stat().st_size, p.stat().st_mtime_ns] if stat else sha256_file(p))
        for name, p in _named_paths(config).items()
    }


def _file_stats(config: EvaluationConfig, files: list[Path]) -> dict[str, object]:
    """Size and modification time of every input, with the settings the cache key covers."""
    found = {}
    for path in files:
        info = path.stat()
        found[str(path.relative_to(config.data_dir))] = [info.st_size, info.st_mtime_ns]
    return json.loads(
        json.dumps(
            {
                "files": found,
                "mappings": _named_files(config, stat=True),
                "instruments": config.instruments,
                "providers": config.providers,
                "linkage": [config.linkage, key_stamp(config)],
                "evalkit": evalkit.__version__,
            },
            default=str,
        )
    )


def _cache_key(config: EvaluationConfig, files: list[Path]) -> str:
    payload = {
        "files": {str(p.relative_to(config.data_dir)): sha256_file(p) for p in files},
        "mappings": _named_files(config, stat=False),
        "instruments": config.instruments,
        "providers": config.providers,
        "linkage": [config.linkage, key_stamp(config)],  # another key: other person ids
        "evalkit": evalkit.__version__,
    }
    return content_key(payload)


def prepare_validated(config: EvaluationConfig) -> Path:
    """Validate the inputs and build the episode table, unless the cache is already current.

    The result is written to a temporary folder and renamed into ``validated/``, so parallel
    readers never see a half-written cache.

    Returns
    -------
    Path
        The ``validated/`` folder.
    """
    from evalkit.data.episodes import build_episodes, derive_columns
    from evalkit.data.validate import validate_directory, write_validation

    files = input_files(config)
    if not any(detect_table(path) for path in files) and not config.mappings:
        raise ValidationError(
            f"nothing to validate in {config.data_dir}: no extract or qualitative table in "
            f"{config.extracts_dir} or {config.qual_dir} (files are named <provider>_<table>.csv "
            "or .xlsx, e.g. north_participants.csv; `evalkit templates` writes the templates)."
        )
    target = config.validated_dir
    stamp, stats = target / "cache_key.txt", target / "cache_stats.json"
    # fast path: same files with the same size and modification time as when the key was made
    # (hashing every extract in every notebook's first cell cost ~0.6 s at 100,000 episodes)
    current = _file_stats(config, files)
    if stamp.exists() and stats.exists() and json.loads(stats.read_text()) == current:
        return target
    key = _cache_key(config, files)
    if stamp.exists() and stamp.read_text() == key:
        stats.write_text(json.dumps(current))
        return target
    result = validate_directory(config.data_dir, config)
    work = Path(tempfile.mkdtemp(prefix=".validated-", dir=config.data_dir))
    write_validation(result, work)
    participants = derive_columns(result.tables["participants"])
    episodes = build_episodes(participants, result.tables["measures"], config)
    episodes.to_parquet(work / "episodes.parquet", index=False)
    participants.to_parquet(work / "clean" / "participants.parquet", index=False)
    (work / "cache_key.txt").write_text(key)
    (work / "cache_stats.json").write_text(json.dumps(current))
    old = None
    if target.exists():
        old = target.with_name(f".validated-old-{os.getpid()}")
        target.rename(old)
    try:
        work.rename(target)
    except OSError:  # another process published first: theirs is as good as ours
        shutil.rmtree(work, ignore_errors=True)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target


# Evaluations read ahead of the notebooks by the report pipeline's kernel servers
# (see preload_evaluation): (config path, period, site) -> (what they were read from, evaluation).
_preloaded: dict[tuple[str, str, str], tuple[tuple[object, ...], Evaluation]] = {}


def _preload_key(config_path: str | Path, period: str, site: str) -> tuple[str, str, str]:
    return str(Path(config_path).resolve()), period, site


def _read_from(config: EvaluationConfig, folder: Path) -> tuple[object, ...]:
    """What an evaluation was read from: the config file's size and modification time, and the
    validated data's cache key (which covers the content of every input file)."""
    assert config.path is not None  # only evaluations loaded from a config file are kept
    info = config.path.stat()
    return info.st_size, info.st_mtime_ns, (folder / "cache_key.txt").read_text()


def preload_evaluation(config_path: str | Path, period: str, site: str) -> Evaluation:
    """Read an evaluation (measures included) and keep it for :func:`load_evaluation`.

    Used by the report pipeline's kernel servers (:mod:`evalkit.pipeline.kernels.kernelspec`): each
    notebook's kernel is a fork of the server, so its ``load_evaluation`` with the same
    arguments returns a copy of this one instead of reading the files again, as long as the
    config file and the validated data are unchanged.

    Returns
    -------
    Evaluation
        The evaluation kept.
    """
    evaluation = load_evaluation(config_path, period=period, site=site)
    evaluation.measures  # noqa: B018 - read now, so kernels do not each read it
    assert evaluation.validated_dir is not None  # load_evaluation reads from the cache
    stamp = _read_from(evaluation.config, evaluation.validated_dir)
    _preloaded[_preload_key(config_path, period, site)] = (stamp, evaluation)
    return evaluation


def load_evaluation(
    config_path: str | Path | EvaluationConfig, period: str = "latest", site: str = "all"
) -> Evaluation:
    """Load the validated, scored data of one report.

    Parameters
    ----------
    config_path : str, Path or EvaluationConfig
        The evaluation's ``evaluation.yml`` (or a loaded config).
    period : str
        ``"YYYY-Qn"`` or ``"latest"``. The report is cumulative: episodes referred in the period
        or earlier, from the first configured period on (per-quarter trends use the ``period``
        column). Episodes referred before the first configured period are left out of every
        report and counted in ``out_of_scope``.
    site : str
        ``"all"`` or a site name.

    Returns
    -------
    Evaluation

    Raises
    ------
    ConfigError
        For an unknown period or site.
    ValidationError
        If the data folder has no extract or qualitative table to validate.
    """
    config = config_path if isinstance(config_path, EvaluationConfig) else load_config(config_path)
    folder = prepare_validated(config)
    if not isinstance(config_path, EvaluationConfig):
        stamp, kept = _preloaded.get(_preload_key(config_path, period, site), (None, None))
        if kept is not None and stamp == _read_from(config, folder):
            return kept.copy()
    tables = {t: pd.read_parquet(folder / "clean" / f"{t}.parquet") for t in _TABLES}
    episodes = pd.read_parquet(folder / "episodes.parquet")
    participants = tables["participants"]
    period = resolve_period(
        config.periods, period, set(participants["period"].dropna()), config_path=config.path
    )
    referred = participants["period"].notna()
    if site != "all":
        sites = sorted(participants["site"].dropna().unique())
        if site not in sites:
            raise ConfigError(f"site {site!r} has no episodes; sites in the data: {sites}.")
        referred &= participants["site"] == site
    # The report covers the configured periods only: cumulative from the first one.
    before_first = (
        referred & (participants["period"] < config.periods[0])
        if config.periods
        else pd.Series(False, index=participants.index)
    )
    in_scope = referred & ~before_first & (participants["period"] <= period)
    clients = set(participants.loc[in_scope, "client_id"])
    quarantine = {
        p.stem: pd.read_csv(p, dtype=str, keep_default_na=False)
        for p in sorted((folder / "quarantine").glob("*.csv"))
    }
    return Evaluation(
        config=config,
        period=period,
        site=site,
        participants=participants[in_scope].reset_index(drop=True),
        episodes=episodes[episodes["client_id"].isin(clients)].reset_index(drop=True),
        qual={t: tables[t] for t in ("sources", "codebook", "codings", "cmocs")},
        reconciliation=pd.read_csv(folder / "reconciliation.csv", keep_default_na=False),
        issues=pd.read_csv(folder / "issues.csv", keep_default_na=False),
        quarantine=quarantine,
        input_files=input_files(config),
        validated_dir=folder,
        out_of_scope=int(before_first.sum()),
    )
