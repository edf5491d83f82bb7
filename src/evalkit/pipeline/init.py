"""``evalkit init DIR``: a commented starter ``evaluation.yml`` and a new evaluation's folders."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

from evalkit.errors import ConfigError
from evalkit.pages import page_names

__all__ = ["EVALUATION_FOLDERS", "init_evaluation", "starter_config"]

#: Folders a new evaluation starts with (see docs/data-model.md).
EVALUATION_FOLDERS = ("extracts", "qual")

_STARTER = """\
# evalkit evaluation config. Paths are relative to this file. Every setting is checked when the
# file is read (unknown keys, types, ranges); see docs/configuration.md.
# Every setting except `name` and `data_dir` has a default; delete what you do not need.

# Report title shown on every page.
name: {name}

# Folder holding extracts/ (provider CSV/XLSX files) and qual/ (qualitative tables); it must be
# inside this folder (a folder elsewhere is named with `--data-dir` on the command line).
data_dir: .

# Reporting periods (YYYY-Qn), oldest first. A report for a period is cumulative from the first
# one; referrals before the first period are left out of every report.
# `evalkit report --period latest` uses the last period that has referrals in the extracts.
periods: [{periods}]

# Delivery sites; `evalkit report --site <site>` reports on one, `--site all` on the whole service.
sites: []

# Providers and the file-name slug of their extracts (required: lower-case letters, digits and
# underscores), e.g. extracts/north_participants.csv:
# providers:
#   - {{name: North Community Trust, slug: north}}
providers: []

# Disclosure control (NHS practice): counts of 1 to threshold-1 are shown as "*";
# other counts may be rounded to the nearest `round_to` (null: exact). The threshold is at
# least 5 (counts below 5 are always suppressed); it may only be raised.
disclosure: {{threshold: 8, round_to: 5}}

# Resident population share by IMD quintile (1 = most deprived), for reach and equity.
population_imd_quintile_share: {{1: 0.2, 2: 0.2, 3: 0.2, 4: 0.2, 5: 0.2}}

# Report notebooks, run in this order (05_summary last, from the others' key figures);
# default: every page of the report.
# notebooks_dir: notebooks          # default: notebooks/ next to this file, else evalkit's own
{notebooks}

# Page titles by notebook name (default: each notebook's first heading).
# titles: {{01_reach_and_equity: Who the service reaches}}
"""


def _quarters_of(year: int) -> str:
    return ", ".join(f"{year}-Q{q}" for q in range(1, 5))


def starter_config(name: str, year: int | None = None) -> str:
    """The text of a commented starter ``evaluation.yml``.

    Parameters
    ----------
    name : str
        The evaluation's name.
    year : int, optional
        Year whose quarters are listed as periods (default: this year).

    Examples
    --------
    >>> [line for line in starter_config("Live Well", 2026).splitlines() if line[:5] == "name:"]
    ['name: "Live Well"']
    """
    year = year or dt.date.today().year
    # Quoted (a JSON string is a YAML string), so names like "2026" or "yes" stay text.
    pages = textwrap.wrap(
        f"# notebooks: [{', '.join(page_names())}]", width=96, subsequent_indent="#" + " " * 13
    )
    return _STARTER.format(
        name=json.dumps(name), periods=_quarters_of(year), notebooks="\n".join(pages)
    )


def init_evaluation(directory: str | Path) -> Path:
    """Create a new evaluation: ``evaluation.yml`` plus the ``extracts/`` and ``qual/`` folders.

    Parameters
    ----------
    directory : str or Path
        The evaluation's folder (created if missing). Its name becomes the evaluation's name.

    Returns
    -------
    Path
        The config written.

    Raises
    ------
    ConfigError
        If the folder already has an ``evaluation.yml`` (it is never overwritten).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evalkit.config import load_config
    >>> config = init_evaluation(pathlib.Path(tempfile.mkdtemp()) / "live_well")
    >>> load_config(config).name
    'live_well'
    """
    directory = Path(directory)
    config = directory / "evaluation.yml"
    if config.exists():
        raise ConfigError(f"{config}: already exists; evalkit init never overwrites a config.")
    for folder in EVALUATION_FOLDERS:
        (directory / folder).mkdir(parents=True, exist_ok=True)
    config.write_text(starter_config(directory.resolve().name), encoding="utf-8")
    return config
