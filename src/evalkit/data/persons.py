"""People, not episodes: one ``person_id`` per person, and the person table.

:func:`assign_person_ids` turns the links of :func:`evalkit.data.linkage.link_episodes` into
people (the connected components of the graph whose nodes are episodes and whose edges are
links, from :func:`scipy.sparse.csgraph.connected_components`) and names each person:

- a person with a valid NHS number: the HMAC-SHA256 of the number (the smallest, should a
  probabilistic link join two), so the same key gives the same id every quarter;
- otherwise, a person seen under a ``client_id`` shared by providers: the SHA-256 of
  ``client:<shared id>``;
- otherwise: the SHA-256 of ``episode:<client_id>`` of the person's first episode.

Each is 64 hexadecimal characters. :func:`person_table` summarises each person's episodes.

Examples
--------
>>> episodes = pd.DataFrame({"person_id": ["p1", "p1", "p2"], "client_id": ["a", "b", "c"],
...     "provider": ["North", "VCS", "North"], "strands": ["wellbeing", "smoking;diet", "diet"]})
>>> person_table(episodes).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
[{'person_id': 'p1', 'episodes': 2, 'providers': 'North;VCS', 'n_providers': 2,
  'strands': 'diet;smoking;wellbeing'},
 {'person_id': 'p2', 'episodes': 1, 'providers': 'North', 'n_providers': 1, 'strands': 'diet'}]
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

if TYPE_CHECKING:
    from evalkit.config import EvaluationConfig
    from evalkit.data.linkage import Linkage, PersonalFields

__all__ = [
    "PERSON_COLUMNS",
    "assign_person_ids",
    "identify_people",
    "people_count",
    "person_table",
]

#: The person table's columns, in order.
PERSON_COLUMNS = ["person_id", "episodes", "providers", "n_providers", "strands"]


def _sha256(prefix: str, values: pd.Series) -> np.ndarray:
    return np.array(
        [hashlib.sha256(f"{prefix}:{v}".encode()).hexdigest() for v in values], dtype=object
    )


def assign_person_ids(participants: pd.DataFrame, linkage: Linkage) -> pd.DataFrame:
    """``participants`` with ``person_id`` and ``link_method`` added.

    Parameters
    ----------
    participants : DataFrame
        Clean participants with ``client_id`` (positions are the episodes of the links).
    linkage : Linkage
        Links between episodes (``episode_l``, ``episode_r``), each episode's method, the HMAC
        of its NHS number and the client id it shares with another provider (NA where none).

    Examples
    --------
    >>> from evalkit.data.linkage import Linkage
    >>> p = pd.DataFrame({"client_id": ["a", "b", "c"]})
    >>> links = pd.DataFrame({"episode_l": [0], "episode_r": [2], "method": ["nhs_number"],
    ...                       "match_probability": [1.0]})
    >>> methods = pd.Series(["nhs_number", "none", "nhs_number"])
    >>> linkage = Linkage(links, methods, pd.Series(["k1", pd.NA, "k1"]), pd.Series([pd.NA] * 3))
    >>> out = assign_person_ids(p, linkage)
    >>> out["person_id"].tolist()[0] == out["person_id"].tolist()[2] == "k1"
    True
    >>> out["link_method"].tolist()
    ['nhs_number', 'none', 'nhs_number']
    """
    n = len(participants)
    out = participants.reset_index(drop=True).copy()
    if n == 0:
        return out.assign(person_id=pd.Series(dtype=object), link_method=pd.Series(dtype=object))
    links = linkage.links
    left = links["episode_l"].to_numpy(dtype=np.int64)
    right = links["episode_r"].to_numpy(dtype=np.int64)
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    frame = pd.DataFrame(
        {
            "component": component,
            "nhs_key": linkage.nhs_keys.reset_index(drop=True).astype(object),
            "shared": linkage.shared_ids.reset_index(drop=True).astype(object),
        }
    )
    by_key = frame.dropna(subset=["nhs_key"]).groupby("component")["nhs_key"].min()
    by_shared = frame.dropna(subset=["shared"]).groupby("component")["shared"].min()
    first = pd.Series(out["client_id"].astype(str).to_numpy()).groupby(component).first()
    names = pd.Series(_sha256("episode", first), index=first.index, dtype=object)
    if len(by_shared):
        names[by_shared.index] = _sha256("client", by_shared)
    names[by_key.index] = by_key.to_numpy()
    out["person_id"] = names.reindex(component).to_numpy()
    out["link_method"] = linkage.methods.reset_index(drop=True).to_numpy()
    return out


def person_table(episodes: pd.DataFrame) -> pd.DataFrame:
    """One row per person: ``person_id``, ``episodes``, ``providers``, ``n_providers``, ``strands``.

    Parameters
    ----------
    episodes : DataFrame
        Episodes (or participants) with ``person_id``, ``client_id``, ``provider`` and
        ``strands`` (``;``-separated).

    Returns
    -------
    DataFrame
        Columns :data:`PERSON_COLUMNS`, sorted by ``person_id``: the number of episodes, the
        providers seen (sorted, ``;``-separated) and their number, and every strand offered in
        any episode (sorted, ``;``-separated).
    """
    if episodes.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PERSON_COLUMNS})
    # Each person's id is hashed once; the rest is integer work on its code (a Python function
    # per person, as this was before, cost about 200 µs a person: 20 s at 100,000 episodes).
    codes, people = pd.factorize(episodes["person_id"], sort=True)
    known = codes >= 0  # episodes without a person id belong to nobody
    providers, n_providers = _distinct_joined(
        codes[known], episodes["provider"][known], len(people)
    )
    strands = (
        pd.DataFrame({"person": codes, "strands": episodes["strands"].to_numpy()})[known]
        .dropna()
        .assign(strands=lambda d: d["strands"].astype(str).str.split(";"))
        .explode("strands")
        .assign(strands=lambda d: d["strands"].str.strip())
    )
    strands = strands[strands["strands"] != ""]
    joined_strands, _ = _distinct_joined(
        strands["person"].to_numpy(dtype=np.int64), strands["strands"], len(people)
    )
    table = pd.DataFrame(
        {
            "person_id": pd.Series(people, dtype=episodes["person_id"].dtype),
            "episodes": np.bincount(codes[known], minlength=len(people)),
            "providers": pd.Series(providers, dtype="str"),
            "n_providers": n_providers,
            "strands": pd.Series(joined_strands, dtype="str"),
        }
    )
    return table[PERSON_COLUMNS]


def _distinct_joined(codes: np.ndarray, values: pd.Series, n: int) -> tuple[pa.Array, np.ndarray]:
    """For each of ``n`` keys (``codes`` 0 … n-1, one per value), its distinct non-missing
    values sorted and ``;``-joined (``""`` for none), and how many there are.

    Vectorised: the values are factorised in sorted order, each distinct (key, value) pair is
    one integer, and Arrow joins each key's values (``binary_join`` over a list array whose
    offsets are the key boundaries).

    Examples
    --------
    >>> joined, n = _distinct_joined(np.array([1, 0, 0, 0, 2]),
    ...                              pd.Series(["x", "z", "y", "z", None]), 4)
    >>> joined.to_pylist(), n.tolist()
    (['y;z', 'x', '', ''], [2, 1, 0, 0])
    """
    present = values.notna().to_numpy()
    value_codes, names = pd.factorize(values[present], sort=True)
    width = max(len(names), 1)
    pairs = np.unique(codes[present].astype(np.int64) * width + value_codes)
    keys, which = np.divmod(pairs, width)
    offsets = np.searchsorted(keys, np.arange(n + 1))
    names = np.asarray(names, dtype=object)[which]
    lists = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(names, pa.string()))
    return pc.binary_join(lists, ";"), np.diff(offsets)


def people_count(episodes: pd.DataFrame) -> int:
    """How many people the episodes belong to (each episode its own person without ids).

    Examples
    --------
    >>> people_count(pd.DataFrame({"person_id": ["a", "a", "b"]}))
    2
    """
    if "person_id" not in episodes.columns:
        return len(episodes)
    return int(episodes["person_id"].nunique())


def identify_people(
    participants: pd.DataFrame, fields: PersonalFields, config: EvaluationConfig | None = None
) -> tuple[pd.DataFrame, Linkage]:
    """Clean participants with ``person_id`` and ``link_method``, and the linkage behind them.

    Links the episodes (:func:`evalkit.data.linkage.link_episodes`), names the people
    (:func:`assign_person_ids`) and drops every personal column the schema declares, so that
    none reaches ``validated/``. Validation calls it once, on the clean participants.

    Returns
    -------
    tuple of (DataFrame, Linkage)
    """
    from evalkit.data.linkage import PERSONAL_COLUMNS, link_episodes

    linkage = link_episodes(participants, fields, config)
    out = assign_person_ids(participants, linkage)
    return out.drop(columns=[c for c in PERSONAL_COLUMNS if c in out.columns]), linkage
