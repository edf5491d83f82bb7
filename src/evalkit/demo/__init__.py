"""A seeded, realistic synthetic evaluation: Live Well Anytown, for demos and tests.

:func:`generate` returns the clean canonical tables; :func:`write_demo` writes a whole evaluation
folder (``evaluation.yml``, provider extracts as their systems would export them, qualitative
coding) and, with ``messy=True``, plants every validation fault class at a known place. The
planted truths the data are built to show are declared once in :data:`PLANTED`.

The same seed gives byte-identical files. See docs/synthetic-data.md.

Examples
--------
>>> tables = generate(300, seed=1)
>>> sorted(tables)
['cmocs', 'codebook', 'codings', 'measures', 'participants', 'sources']
>>> tables["participants"]["client_id"].is_unique
True
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.config import write_config
from evalkit.demo.files import (
    RawFile,
    provider_files,
    write_file,
    write_small_csv,
)
from evalkit.demo.linkage import demo_key, plant_people
from evalkit.demo.measures import MeasureRows, make_measures
from evalkit.demo.messy import FAULTS, MIN_EPISODES, plant_faults
from evalkit.demo.participants import Cohort, make_cohort
from evalkit.demo.qualitative import make_qualitative
from evalkit.demo.service import (
    CONTRACT,
    PERIODS,
    POPULATION_IMD_QUINTILE_SHARE,
    PROVIDERS,
    SITES,
)
from evalkit.demo.truths import PLANTED, PlantedCMOC, PlantedEffect, PlantedTruths
from evalkit.errors import ConfigError

__all__ = [
    "DEFAULT_SEED",
    "PLANTED",
    "PlantedCMOC",
    "PlantedEffect",
    "PlantedTruths",
    "demo_config",
    "demo_exceptions",
    "generate",
    "write_demo",
]

DEFAULT_SEED = 20261125
QUAL_TABLES = ("sources", "codebook", "codings", "cmocs")


def _build(episodes: int, seed: int) -> tuple[Cohort, MeasureRows, dict]:
    if episodes < 1:
        raise ConfigError(f"episodes must be at least 1 (got {episodes}).")
    cohort_seed, measures_seed, qual_seed = np.random.SeedSequence(seed).spawn(3)
    cohort = make_cohort(np.random.default_rng(cohort_seed), episodes)
    rows = make_measures(np.random.default_rng(measures_seed), cohort)
    qual = make_qualitative(np.random.default_rng(qual_seed))
    return cohort, rows, qual


def generate(episodes: int = 2000, seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """The clean canonical tables of the synthetic evaluation.

    Parameters
    ----------
    episodes : int
        Number of referral episodes.
    seed : int
        Random seed; the same seed gives the same tables.

    Returns
    -------
    dict of DataFrame
        ``participants`` and ``measures`` (long; the VCS wellbeing template already melted) with
        the columns of docs/data-model.md, and the qualitative ``sources``, ``codebook``,
        ``codings`` and ``cmocs``.

    Examples
    --------
    >>> m = generate(200, seed=3)["measures"]
    >>> list(m.columns), bool(m["measure"].str.startswith("wemwbs").any())
    (['client_id', 'timepoint', 'date', 'measure', 'value'], True)
    """
    cohort, rows, qual = _build(episodes, seed)
    participants = cohort.participants
    sources = qual["sources"].assign(date=lambda d: pd.to_datetime(d["date"]))
    return {
        "participants": participants,
        "measures": rows.to_frame(participants["client_id"].to_numpy()),
        "sources": sources,
        **{t: qual[t] for t in QUAL_TABLES if t != "sources"},
    }


def demo_config() -> dict:
    """The ``evaluation.yml`` settings of the demo (keys of :class:`EvaluationConfig`).

    Examples
    --------
    >>> demo_config()["providers"][2]
    {'name': 'Communities Together CIC', 'slug': 'vcs'}
    """
    return {
        "name": "Live Well Anytown – integrated health and wellbeing service (synthetic demo)",
        "data_dir": ".",
        "periods": list(PERIODS),
        "sites": list(SITES),
        "providers": [{"name": p.name, "slug": p.slug} for p in PROVIDERS],
        "population_imd_quintile_share": dict(POPULATION_IMD_QUINTILE_SHARE),
        "target_most_deprived": {"quintiles": [1], "share": 0.35},
        "disclosure": {"threshold": 8, "round_to": 5},
        # Anytown's single point of access is its link workers: a referral from anyone else
        # went to a provider directly (the journeys section of the reach page).
        "linkage": {"single_point_sources": ["link_worker"]},
        "titles": {
            "service": "Live Well Anytown",
            "report": "Live Well Anytown: evaluation of the integrated health and wellbeing "
            "service",
            "commissioner": "Anytown Council Public Health",
        },
        "contract": {
            **CONTRACT,
            "break_clauses": list(CONTRACT["break_clauses"]),
            "extensions": [dict(extension) for extension in CONTRACT["extensions"]],
        },
    }


def demo_exceptions() -> dict:
    """The demo's ``exceptions.yml``: the evaluator has explained the planted shift only.

    Every other exception of the demo report is therefore listed as "to be explained".

    Examples
    --------
    >>> [entry["kpi"] for entry in demo_exceptions()["exceptions"]]
    ['referrals']
    """
    shift = PLANTED.spc_shift
    return {
        "exceptions": [
            {
                "kpi": shift.kpi_id,
                "explanation": "Since August 2025 referrals have gone through a new triage "
                "provider. GP practices say the new referral form takes longer, and about 30% "
                "fewer people a month have been referred since.",
                "actions": [
                    {
                        "action": "Agree a one-page referral form with the triage provider "
                        "and the GP practices",
                        "owner": "Commissioning manager, Anytown Council Public Health",
                        "due": dt.date(2026, 9, 30),
                    },
                    {
                        "action": "Declare the triage change as a change point in "
                        "evaluation.yml once it is confirmed, so the charts rebase",
                        "owner": "Evaluation lead",
                        "due": dt.date(2026, 8, 31),
                    },
                ],
            }
        ]
    }


def _generated_paths(root: Path) -> list[Path]:
    """Every file a previous run of :func:`write_demo` may have left in ``root``."""
    names = [f"extracts/{p.slug}_{t}.csv" for p in PROVIDERS for t in ("participants", "measures")]
    names += [f"extracts/{p.slug}_wellbeing.xlsx" for p in PROVIDERS]
    names += [f.file for f in FAULTS]
    names += [f"qual/{t}.csv" for t in QUAL_TABLES]
    names += ["evaluation.yml", "exceptions.yml", "messy_faults.csv"]
    return [root / n for n in names] + sorted((root / "qual" / "transcripts").glob("S*.txt"))


def write_demo(
    out_dir: str | Path,
    *,
    episodes: int = 2000,
    seed: int = DEFAULT_SEED,
    messy: bool = False,
) -> Path:
    """Write the synthetic evaluation folder and return the path of its ``evaluation.yml``.

    Parameters
    ----------
    out_dir : str or Path
        Evaluation folder (created if needed). Files from an earlier demo run are replaced;
        nothing else in the folder is touched.
    episodes : int
        Number of referral episodes (a million take about half a minute and 2 GB).
    seed : int
        Random seed; the same seed gives byte-identical files.
    messy : bool
        Plant every validation fault class at a known place and list them in
        ``messy_faults.csv`` (needs at least 200 episodes).

    Returns
    -------
    Path
        ``<out_dir>/evaluation.yml``.

    Raises
    ------
    ConfigError
        ``episodes`` too small (below 1, or below 200 with ``messy``).

    Examples
    --------
    >>> import tempfile
    >>> config = write_demo(tempfile.mkdtemp(), episodes=300, seed=7)
    >>> sorted(p.name for p in (config.parent / "extracts").iterdir())[:2]
    ['council_measures.csv', 'council_participants.csv']
    """
    if messy and episodes < MIN_EPISODES:
        raise ConfigError(
            f"--messy needs at least {MIN_EPISODES} episodes to plant every fault in its own "
            f"row (got {episodes})."
        )
    root = Path(out_dir)
    cohort, rows, qual = _build(episodes, seed)
    for stale in _generated_paths(root):
        stale.unlink(missing_ok=True)
    # people shared across providers, and the truth of who is who (evalkit.demo.linkage)
    cohort, people = plant_people(cohort, seed)
    demo_key(demo_config()["name"])
    write_small_csv(people, root / "planted_people.csv")
    files: list = provider_files(cohort, rows)
    if messy:
        files, manifest = plant_faults(files, cohort.participants["client_id"])
        write_small_csv(manifest, root / "messy_faults.csv")
    for file in files:
        write_file(root, file)
    for table in QUAL_TABLES:
        write_small_csv(qual[table], root / "qual" / f"{table}.csv")
    for source_id, text in qual["transcripts"].items():
        write_file(root, RawFile(f"qual/transcripts/{source_id}.txt", text.encode("utf-8")))
    write_config(demo_exceptions(), root / "exceptions.yml")
    return write_config(demo_config(), root / "evaluation.yml")
