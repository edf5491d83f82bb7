"""The evaluation config (``evaluation.yml``): one file names the data, periods, sites and rules.

Every key has a documented default except ``name`` and ``data_dir``. Unknown keys are an error
(a typo such as ``disclousre`` must not silently fall back to a default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
import yaml

from evalkit.errors import ConfigError

__all__ = [
    "DisclosurePolicy",
    "EvaluationConfig",
    "load_config",
    "write_config",
]


class DisclosurePolicy(pydantic.BaseModel):
    """The small-number rule of a report: the one home of its threshold and rounding.

    Every table, sentence, caption and key figure asks this policy whether a count may be shown
    and how it is rounded; :mod:`evalkit.disclosure.suppression` applies it to tables.

    Attributes
    ----------
    threshold : int
        Smallest count that may be shown; counts 1 to ``threshold - 1`` are suppressed (zero
        is shown).
    round_to : int or None
        Shown counts are rounded to the nearest multiple (halves up); None shows them exactly.

    Examples
    --------
    >>> policy = DisclosurePolicy(threshold=8, round_to=5)
    >>> policy.shown(0), policy.shown(7), policy.shown(8)
    (True, False, True)
    >>> policy.rounded(1233), policy.rounded(1234)
    (1235, 1235)
    """

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    threshold: int = 8
    round_to: int | None = 5

    def shown(self, n: float) -> bool:
        """Whether a figure resting on ``n`` people may be shown: zero, or at least the
        threshold."""
        return n == 0 or n >= self.threshold

    def rounded(self, n: float) -> int:
        """A count as shown: rounded to the nearest ``round_to`` (halves up), else exact."""
        if not self.round_to:
            return int(n)
        return int(math.floor(n / self.round_to + 0.5) * self.round_to)


@dataclass
class EvaluationConfig:
    """A parsed ``evaluation.yml``.

    Paths in the file are relative to the file's own folder; :attr:`data_dir` is resolved.

    Examples
    --------
    >>> cfg = EvaluationConfig(name="Demo", data_dir=Path("."))
    >>> cfg.disclosure.threshold
    8
    """

    name: str
    data_dir: Path
    periods: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    providers: list[dict[str, str]] = field(default_factory=list)
    #: Report notebooks to run, in order; empty means every page of evalkit.pages.PAGES.
    notebooks: list[str] = field(default_factory=list)
    notebooks_dir: Path | None = None
    population_imd_quintile_share: dict[int, float] = field(
        default_factory=lambda: {1: 0.2, 2: 0.2, 3: 0.2, 4: 0.2, 5: 0.2}
    )
    target_most_deprived: dict[str, Any] = field(
        default_factory=lambda: {"quintiles": [1], "share": 0.30}
    )
    instruments: dict[str, dict[str, Any]] = field(default_factory=dict)
    disclosure: DisclosurePolicy = field(default_factory=DisclosurePolicy)
    kpis: list[dict[str, Any]] | None = None
    qualitative: dict[str, Any] = field(default_factory=dict)
    realist: dict[str, Any] = field(default_factory=lambda: {"min_n": 30})
    titles: dict[str, str] = field(default_factory=dict)
    pipeline: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def root(self) -> Path:
        """Folder holding the config file (or the current folder for an in-memory config)."""
        return self.path.parent if self.path else Path.cwd()

    @property
    def extracts_dir(self) -> Path:
        """Folder of provider extracts."""
        return self.data_dir / "extracts"

    @property
    def validated_dir(self) -> Path:
        """Folder evalkit writes clean tables, quarantine and reconciliation into."""
        return self.data_dir / "validated"

    @property
    def qual_dir(self) -> Path:
        """Folder of qualitative inputs."""
        return self.data_dir / "qual"


_FIELDS = set(EvaluationConfig.__dataclass_fields__) - {"path"}


def load_config(path: str | Path) -> EvaluationConfig:
    """Read and check an ``evaluation.yml``.

    Parameters
    ----------
    path : str or Path
        The config file.

    Returns
    -------
    EvaluationConfig

    Raises
    ------
    ConfigError
        If the file is missing, is not a YAML mapping, lacks ``name``/``data_dir`` or has an
        unknown key.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "evaluation.yml").write_text("name: Demo\\ndata_dir: .\\nperiods: [2026-Q1]\\n")
    >>> load_config(d / "evaluation.yml").periods
    ['2026-Q1']
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found. Create one with `evalkit init DIR`.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}).") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(raw).__name__}.")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(_FIELDS))}."
        )
    for key in ("name", "data_dir"):
        if not raw.get(key):
            raise ConfigError(f"{path}: required setting '{key}' is missing.")
    raw = dict(raw)
    raw["data_dir"] = (path.parent / str(raw["data_dir"])).resolve()
    if raw.get("notebooks_dir"):
        raw["notebooks_dir"] = (path.parent / str(raw["notebooks_dir"])).resolve()
    raw["periods"] = [str(p) for p in raw.get("periods") or []]
    raw["sites"] = [str(s) for s in raw.get("sites") or []]
    if "population_imd_quintile_share" in raw:
        shares = {int(k): float(v) for k, v in raw["population_imd_quintile_share"].items()}
        if sorted(shares) != [1, 2, 3, 4, 5] or abs(sum(shares.values()) - 1) > 0.01:
            raise ConfigError(
                f"{path}: population_imd_quintile_share needs quintiles 1-5 summing to 1 "
                f"(got {shares})."
            )
        raw["population_imd_quintile_share"] = shares
    defaults = EvaluationConfig(name="", data_dir=Path("."))
    for key in ("realist", "target_most_deprived"):
        if key in raw:
            raw[key] = {**getattr(defaults, key), **(raw[key] or {})}
    try:
        raw["disclosure"] = DisclosurePolicy(**(raw.get("disclosure") or {}))
    except (pydantic.ValidationError, TypeError) as exc:
        raise ConfigError(f"{path}: disclosure: {exc}") from None
    return EvaluationConfig(**raw, path=path.resolve())


def write_config(config: dict[str, Any], path: str | Path) -> Path:
    """Write a config mapping as YAML (keys in the order given) and return the path."""
    path = Path(path)
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
