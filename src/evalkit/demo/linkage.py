"""People shared across the demo's providers: NHS numbers, dates of birth and postcodes, with
the truth of who is who declared.

:func:`plant_people` gives every episode an NHS number, a date of birth (consistent with its
``age`` at referral) and a postcode (inside its LSOA), and makes some pairs of episodes at
different providers the same person. No column the demo already had is changed, so every other
planted truth holds. How many, and how their identifiers are damaged, is declared once in
:data:`PLANTED_PEOPLE`:

- pairs *with* an NHS number in both episodes (linked deterministically; some with a typo in
  the date of birth or postcode of the second, which the NHS number survives; most at one
  address, some who moved home between referrals);
- pairs whose second episode has *no* NHS number (same sex, LSOA and compatible age, so a
  probabilistic link can find them), some with a typo in the date of birth or the postcode;
- pairs with no NHS number in either episode.

Other episodes lack an NHS number, a date of birth or a postcode at the declared rates. The NHS
numbers are in the 999 range (never issued; NHS England's test numbers). Postcodes are in the
fictional area ``AT`` (Anytown).

Examples
--------
>>> import numpy as np
>>> from evalkit.demo.participants import make_cohort
>>> cohort = make_cohort(np.random.default_rng(1), 400)
>>> planted, truth = plant_people(cohort, seed=1)
>>> sorted(set(planted.participants.columns) - set(cohort.participants.columns))
['date_of_birth', 'nhs_number', 'postcode']
>>> int(truth["person"].nunique()) < len(truth)
True
"""

from __future__ import annotations

import string
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.data.nhs_number import WEIGHTS
from evalkit.data.pseudonym import key_path, new_key
from evalkit.demo.participants import Cohort

__all__ = ["PLANTED_PEOPLE", "PlantedPeople", "demo_key", "plant_people"]


@dataclass(frozen=True)
class PlantedPeople:
    """The planted truth about people (shares of episodes, or of the planted pairs)."""

    #: Episodes that are the second episode of a person also seen by another provider,
    #: with an NHS number in both.
    shared_with_nhs: float = 0.05
    #: ... of those, the second episode's date of birth mistyped, or its postcode (so the pairs
    #: the NHS number links, which train the model, carry the errors the others do).
    dob_typo_with_nhs: float = 0.2
    postcode_typo_with_nhs: float = 0.2
    #: ... and the share of them who moved home between the two referrals (other LSOA).
    moved: float = 0.15
    #: Episodes that are a second episode without an NHS number (same sex, LSOA and age).
    shared_without_nhs: float = 0.03
    #: ... of those, neither episode has an NHS number.
    neither_has_nhs: float = 0.3
    #: ... of those, the second episode's date of birth mistyped (one day, a digit transposed
    #: in the year, day and month swapped).
    dob_typo: float = 0.2
    #: ... of those, the second episode's postcode mistyped (one character of the unit).
    postcode_typo: float = 0.2
    #: Other episodes: the NHS number, date of birth and postcode missing.
    no_nhs_number: float = 0.08
    no_date_of_birth: float = 0.02
    no_postcode: float = 0.04
    #: Postcodes (units) per LSOA.
    postcodes_per_lsoa: int = 30


#: The planted people of the demo.
PLANTED_PEOPLE = PlantedPeople()


def _nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid NHS numbers in the 999 range (prefix 99 when more are needed)."""
    prefix, free = ("999", 6) if n < 800_000 else ("99", 7)
    draws = rng.choice(10**free, size=min(10**free, int(n * 1.2) + 50), replace=False)
    nine = np.char.add(prefix, np.char.zfill(draws.astype(str), free))
    digits = np.array([list(map(int, s)) for s in nine]) if n < 200_000 else None
    if digits is None:
        digits = (nine.astype("S9").view(np.uint8).reshape(-1, 9) - ord("0")).astype(np.int64)
    check = 11 - (digits @ WEIGHTS) % 11
    keep = check != 10
    numbers = np.char.add(nine[keep], (check[keep] % 11).astype(str))
    return numbers[:n]


def _years_before(dates: pd.Series, years: np.ndarray) -> pd.Series:
    """Each date ``years`` earlier (29 February becomes 28 February)."""
    day = np.where((dates.dt.month == 2) & (dates.dt.day == 29), 28, dates.dt.day)
    return pd.to_datetime(
        pd.DataFrame({"year": dates.dt.year - years, "month": dates.dt.month, "day": day})
    )


def _birth_window(participants: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The dates of birth that give each episode its ``age`` at referral: ``(first, last)``."""
    referral = pd.to_datetime(participants["referral_date"]).reset_index(drop=True)
    age = participants["age"].to_numpy(dtype=np.int64)
    last = _years_before(referral, age)
    first = _years_before(referral, age + 1) + pd.Timedelta(days=1)
    return first, last


def _pairs(
    rng: np.random.Generator,
    participants: pd.DataFrame,
    first: pd.Series,
    last: pd.Series,
    wanted: int,
    same_area: bool,
    taken: np.ndarray,
) -> list[tuple[int, int]]:
    """Pairs of episodes at different providers that can be one person (same sex, an age
    that fits both, and with ``same_area`` the same LSOA), neither already taken."""
    frame = pd.DataFrame(
        {
            "sex": participants["sex"].to_numpy(),
            "lsoa": participants["lsoa_code"].to_numpy() if same_area else "",
            "provider": participants["provider"].to_numpy(),
            "age": participants["age"].to_numpy(),
        }
    )
    frame = frame.iloc[rng.permutation(len(frame))]
    found: list[tuple[int, int]] = []
    for _, group in frame.groupby(["sex", "lsoa"], sort=True):
        group = group.sort_values("age", kind="stable")
        index = group.index.to_numpy()
        for i, a in enumerate(index):
            if len(found) >= wanted:
                return found
            if taken[a]:
                continue
            for b in index[i + 1 : i + 8]:
                if taken[b] or group.at[b, "provider"] == group.at[a, "provider"]:
                    continue
                if max(first[a], first[b]) <= min(last[a], last[b]):
                    found.append((int(a), int(b)))
                    taken[a] = taken[b] = True
                    break
    return found


def _dob_typo(rng: np.random.Generator, dob: pd.Timestamp) -> str:
    text = dob.strftime("%Y-%m-%d")
    kind = rng.integers(3)
    if kind == 0 and dob.day <= 12 and dob.day != dob.month:
        return f"{dob.year:04d}-{dob.day:02d}-{dob.month:02d}"
    if kind == 1 and text[2] != text[3]:
        return text[:2] + text[3] + text[2] + text[4:]
    return (dob + pd.Timedelta(days=1 if dob.day < 28 else -1)).strftime("%Y-%m-%d")


def _postcode_typo(rng: np.random.Generator, postcode: str) -> str:
    letters = [c for c in string.ascii_uppercase if c != postcode[-1]]
    return postcode[:-1] + letters[int(rng.integers(len(letters)))]


def _postcodes(rng: np.random.Generator, lsoa: pd.Series, per_lsoa: int) -> np.ndarray:
    """A postcode inside each episode's LSOA (fictional area AT: one district per 8 LSOAs)."""
    codes = pd.Series(sorted(lsoa.dropna().unique()))
    district = {c: 1 + i // 8 for i, c in enumerate(codes)}
    sector = {c: i % 8 + 1 for i, c in enumerate(codes)}
    units = np.array([a + b for a in "ABDEFGHJLNPQRSTUWXYZ" for b in "ABDEFGHJLNPQRSTUWXYZ"])
    unit = units[rng.integers(0, per_lsoa, len(lsoa)) * 7 % len(units)]
    return np.array(
        [
            f"AT{district[c]} {sector[c]}{u}" if isinstance(c, str) else None
            for c, u in zip(lsoa, unit, strict=True)
        ],
        dtype=object,
    )


def plant_people(
    cohort: Cohort, seed: int, planted: PlantedPeople = PLANTED_PEOPLE
) -> tuple[Cohort, pd.DataFrame]:
    """The cohort with ``nhs_number``, ``date_of_birth`` and ``postcode``, and the truth.

    Parameters
    ----------
    cohort : Cohort
        The demo's episodes (their columns are not changed).
    seed : int
        Random seed (the demo's).
    planted : PlantedPeople
        How many people to share and how to damage their identifiers.

    Returns
    -------
    tuple of (Cohort, DataFrame)
        The cohort with the three identifier columns (text, blank where missing), and the
        truth: ``client_id, provider, person, planted`` (``person`` numbers people;
        ``planted`` says how the episode was planted: ``alone``, ``with_nhs``,
        ``with_nhs_dob_typo``, ``with_nhs_postcode_typo``, ``without_nhs``,
        ``without_nhs_dob_typo``, ``without_nhs_postcode_typo``, or ``first`` for the first
        episode of a pair).
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 13]))
    participants = cohort.participants.reset_index(drop=True)
    n = len(participants)
    first, last = _birth_window(participants)
    taken = np.zeros(n, dtype=bool)
    # pairs who can be one person at one address (same sex, LSOA and an age that fits), shared
    # between the two kinds as declared; then a few people who moved home between referrals
    wanted_with = round(planted.shared_with_nhs * n)
    wanted_without = round(planted.shared_without_nhs * n)
    at_home = _pairs(rng, participants, first, last, wanted_with + wanted_without, True, taken)
    order = rng.permutation(len(at_home))
    split = round(len(at_home) * wanted_without / max(wanted_with + wanted_without, 1))
    without = [at_home[i] for i in order[:split]]
    with_nhs = [at_home[i] for i in order[split:]]
    movers = round(len(with_nhs) * planted.moved / (1 - planted.moved))
    with_nhs += _pairs(rng, participants, first, last, movers, False, taken)
    person = np.arange(n)
    how = np.full(n, "alone", dtype=object)
    for a, b in with_nhs + without:
        person[b] = person[a]
        how[a], how[b] = "first", "second"
    # one date of birth per person, inside every one of its episodes' windows
    low = pd.Series(first.to_numpy()).groupby(person).transform("max")
    high = pd.Series(last.to_numpy()).groupby(person).transform("min")
    span = (high - low).dt.days.to_numpy()
    offset = np.floor(rng.random(n) * (span + 1)).astype(int)
    by_person = (low + pd.to_timedelta(offset, unit="D")).groupby(person).transform("first")
    dob = by_person.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    postcode = _postcodes(rng, participants["lsoa_code"], planted.postcodes_per_lsoa)
    home = pd.Series(postcode).groupby([person, participants["lsoa_code"].to_numpy()])
    postcode = home.transform("first").to_numpy(dtype=object)  # one per person and LSOA
    numbers = _nhs_numbers(rng, n)[person].astype(object)
    nhs = pd.Series(numbers).str.replace(r"^(\d{3})(\d{3})(\d{4})$", r"\1 \2 \3", regex=True)
    nhs = nhs.to_numpy(dtype=object)
    alone = how == "alone"
    nhs[alone & (rng.random(n) < planted.no_nhs_number)] = None
    dob[alone & (rng.random(n) < planted.no_date_of_birth)] = None
    postcode[alone & (rng.random(n) < planted.no_postcode)] = None
    for _, b in with_nhs:
        draw = rng.random()
        if draw < planted.dob_typo_with_nhs:
            dob[b] = _dob_typo(rng, pd.Timestamp(dob[b]))
            how[b] = "with_nhs_dob_typo"
        elif draw < planted.dob_typo_with_nhs + planted.postcode_typo_with_nhs:
            postcode[b] = _postcode_typo(rng, str(postcode[b]))
            how[b] = "with_nhs_postcode_typo"
        else:
            how[b] = "with_nhs"
    for a, b in without:
        nhs[b] = None
        if rng.random() < planted.neither_has_nhs:
            nhs[a] = None
        draw = rng.random()
        if draw < planted.dob_typo:
            dob[b] = _dob_typo(rng, pd.Timestamp(dob[b]))
            how[b] = "without_nhs_dob_typo"
        elif draw < planted.dob_typo + planted.postcode_typo:
            postcode[b] = _postcode_typo(rng, str(postcode[b]))
            how[b] = "without_nhs_postcode_typo"
        else:
            how[b] = "without_nhs"
    frame = participants.copy()
    for column, values in (("nhs_number", nhs), ("date_of_birth", dob), ("postcode", postcode)):
        frame[column] = pd.Series(values, dtype=object)  # None: a blank cell
    truth = pd.DataFrame(
        {
            "client_id": participants["client_id"].to_numpy(),
            "provider": participants["provider"].to_numpy(),
            "person": person,
            "planted": how,
        }
    )
    return replace(cohort, participants=frame), truth


def demo_key(name: str) -> Path:
    """The demo evaluation's pseudonymisation key, written once where :func:`key_path` looks
    (``EVALKIT_KEY_FILE``, else ``~/.config/evalkit/<evaluation>.key``), outside the demo's
    data folder; an existing key is kept, so every demo run gives the same person ids.
    """
    from evalkit.config import EvaluationConfig

    path = key_path(EvaluationConfig(name=name, data_dir=Path(".")))
    assert path is not None  # a config always names a key file
    if not path.exists():
        try:
            new_key(path)
        except FileExistsError:  # written by a demo running at the same time
            pass
    return path
