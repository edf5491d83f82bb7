"""The fictional service the synthetic evaluation describes: Live Well Anytown.

Three providers (an NHS trust, a council team and a voluntary-sector partner) deliver an integrated
health and wellbeing service across four sites of a deprived town, under a contract that started
in July 2024. This module holds the layout as data: who delivers where, how, to whom and over
which quarters, the contract's dates, and the town's neighbourhoods (LSOAs) with their IMD 2019
ranks.

Examples
--------
>>> [p.slug for p in PROVIDERS]
['nhs_trust', 'council', 'vcs']
>>> sorted({site for p in PROVIDERS for site in p.sites}) == sorted(SITES)
True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.data.schema import IMD_LSOA_COUNT

__all__ = [
    "CONTRACT",
    "EXTRACT_DATE",
    "LSOAS_PER_SITE",
    "OLDER_DIGITAL_FACTOR",
    "PERIODS",
    "POPULATION_IMD_QUINTILE_SHARE",
    "PROVIDERS",
    "REFERRAL_PROPENSITY_BY_QUINTILE",
    "REFERRAL_SOURCES",
    "REFERRAL_WINDOW",
    "SITES",
    "Provider",
    "neighbourhoods",
]

SITES = ("North", "South", "East", "West")
#: The eight quarters (24 months) of referrals so far.
PERIODS = (
    "2024-Q3",
    "2024-Q4",
    "2025-Q1",
    "2025-Q2",
    "2025-Q3",
    "2025-Q4",
    "2026-Q1",
    "2026-Q2",
)
#: Referrals are received from the first to the last day of the eight quarters, at a steady
#: monthly rate but for the planted shift (``PLANTED.spc_shift``, demo/participants.py).
REFERRAL_WINDOW = (np.datetime64("2024-07-01"), np.datetime64("2026-06-30"))
#: The ``contract:`` section of the demo's evaluation.yml: a 5 + 2 + 2 year contract with a
#: three-month mobilisation and a break clause after three years. No change point is declared:
#: the planted shift (:attr:`~evalkit.demo.truths.PlantedTruths.spc_shift`) is for the report
#: to find.
CONTRACT: dict[str, Any] = {
    "start": dt.date(2024, 7, 1),
    "mobilisation_end": dt.date(2024, 9, 30),
    "end": dt.date(2029, 6, 30),
    "break_clauses": [dt.date(2027, 6, 30)],
    "extensions": [
        {"until": dt.date(2031, 6, 30), "label": "first 2-year extension ends"},
        {"until": dt.date(2033, 6, 30), "label": "second 2-year extension ends"},
    ],
}
#: Providers extract their data three months after the last quarter, once the 4-week smoking
#: follow-ups of every quit date are due.
EXTRACT_DATE = np.datetime64("2026-09-30")
#: Residents of Anytown by national IMD quintile: a deprived-town profile.
POPULATION_IMD_QUINTILE_SHARE = {1: 0.31, 2: 0.24, 3: 0.18, 4: 0.15, 5: 0.12}
#: How much more likely residents of each quintile are to be referred (proportionate
#: universalism: the service is targeted at the most deprived areas).
REFERRAL_PROPENSITY_BY_QUINTILE = {1: 1.6, 2: 1.2, 3: 0.9, 4: 0.8, 5: 0.7}
LSOAS_PER_SITE = 40


@dataclass(frozen=True)
class Provider:
    """One organisation delivering the service.

    Parameters
    ----------
    name, slug : str
        Name as written in the extracts, and the file-name prefix of its extracts.
    id_prefix : str
        Prefix of its case-management system's client ids.
    share : float
        Share of all referral episodes.
    sites : dict
        Site -> share of this provider's episodes.
    delivery_modes : dict
        Delivery mode -> probability (for people under 65; see ``older_digital_factor``).
    deprivation_focus : float
        Multiplies the referral propensity of quintile-1 neighbourhoods (outreach on estates).
    talking_therapy_share : float
        Share of its episodes offered talking therapy (only the NHS trust offers it).
    wellbeing_template : bool
        Whether it submits wellbeing items as the wide ``wellbeing`` XLSX template.
    """

    name: str
    slug: str
    id_prefix: str
    share: float
    sites: dict[str, float]
    delivery_modes: dict[str, float]
    deprivation_focus: float = 1.0
    talking_therapy_share: float = 0.0
    wellbeing_template: bool = False


#: Who refers people, town-wide. Deliberately the same for every provider: the planted null (GP-
#: versus self-referral) stays exactly null only if referral source is independent of the
#: delivery mode and deprivation that carry the other planted effects.
REFERRAL_SOURCES = {
    "gp": 0.38,
    "self": 0.30,
    "link_worker": 0.12,
    "health_visitor": 0.03,
    "community": 0.08,
    "hospital": 0.06,
    "other": 0.03,
}
#: People aged 65+ are offered digital support less often (digital probability times this).
OLDER_DIGITAL_FACTOR = 0.6

PROVIDERS = (
    Provider(
        name="Northgate NHS Foundation Trust",
        slug="nhs_trust",
        id_prefix="NT",
        share=0.40,
        sites={"North": 0.55, "East": 0.45},
        delivery_modes={
            "face_to_face": 0.45,
            "telephone": 0.30,
            "digital": 0.17,
            "group": 0.08,
            "peer_led": 0.0,
        },
        talking_therapy_share=0.30,
    ),
    Provider(
        name="Anytown Council Healthy Lifestyles",
        slug="council",
        id_prefix="AC",
        share=0.35,
        sites={"South": 0.5, "West": 0.5},
        delivery_modes={
            "face_to_face": 0.30,
            "telephone": 0.25,
            "digital": 0.25,
            "group": 0.20,
            "peer_led": 0.0,
        },
    ),
    Provider(
        name="Communities Together CIC",
        slug="vcs",
        id_prefix="CT",
        share=0.25,
        sites={"East": 0.35, "South": 0.30, "West": 0.35},
        delivery_modes={
            "face_to_face": 0.15,
            "telephone": 0.05,
            "digital": 0.05,
            "group": 0.25,
            "peer_led": 0.50,
        },
        deprivation_focus=1.6,
        wellbeing_template=True,
    ),
)


def neighbourhoods(rng: np.random.Generator) -> pd.DataFrame:
    """Anytown's LSOAs: code, site and IMD 2019 rank, matching the town's deprivation profile.

    Each site has :data:`LSOAS_PER_SITE` LSOAs; the number in each national IMD quintile follows
    :data:`POPULATION_IMD_QUINTILE_SHARE`, and each LSOA's rank is drawn inside its quintile's band
    of the 32,844 English LSOAs (rank 1 = most deprived).

    Returns
    -------
    DataFrame
        ``lsoa_code, site, imd_rank, imd_decile, imd_quintile``, one row per LSOA.

    Examples
    --------
    >>> areas = neighbourhoods(np.random.default_rng(1))
    >>> len(areas), areas["imd_quintile"].value_counts().sort_index().tolist()
    (160, [48, 40, 28, 24, 20])
    """
    per_quintile = np.array(
        [round(share * LSOAS_PER_SITE) for share in POPULATION_IMD_QUINTILE_SHARE.values()]
    )
    per_quintile[0] += LSOAS_PER_SITE - per_quintile.sum()
    quintile = np.tile(np.repeat(np.arange(1, 6), per_quintile), len(SITES))
    site = np.repeat(np.array(SITES, dtype=object), LSOAS_PER_SITE)
    # the quintile band is ranks (q-1)*N/5 < rank <= q*N/5
    low = (quintile - 1) * IMD_LSOA_COUNT // 5 + 1
    high = quintile * IMD_LSOA_COUNT // 5
    rank = rng.integers(low, high + 1)
    decile = -(-rank * 10 // IMD_LSOA_COUNT)  # ceil(rank / (N / 10))
    codes = 12_000 + rng.permutation(len(rank) * 4)[: len(rank)]
    return pd.DataFrame(
        {
            "lsoa_code": [f"E0{c:07d}" for c in 1_000_000 + codes],
            "site": pd.array(site, dtype="str"),
            "imd_rank": rank,
            "imd_decile": decile,
            "imd_quintile": (decile + 1) // 2,
        }
    )
