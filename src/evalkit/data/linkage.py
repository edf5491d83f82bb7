"""Linking one person's episodes across providers: identifiers taken at ingest, deterministic
links first, Splink for the rest.

Three steps, in the order validation calls them (docs/linkage.md):

1. :class:`PersonalFields` takes the personal columns (:data:`PERSONAL_COLUMNS`) out of every
   extract *as it is read*, before any check could copy a value into the issues or the
   quarantine. The NHS number is checked (:mod:`evalkit.data.nhs_number`) and replaced at once
   by its keyed hash (:mod:`evalkit.data.pseudonym`); the date of birth and postcode, the
   quasi-identifiers, are normalised and held in memory for step 3 only. A value that fails is
   reported with its file, row, column, rule and hint, the value masked.
2. :func:`scope_client_ids` makes ``client_id`` an identifier *within a provider*: a repeat in
   one provider's episode files is a duplicate; the same id at two providers is one person seen
   by both (a shared pseudonym), so each episode's ``client_id`` is qualified with its provider
   (``<slug>:<client_id>``) and the shared id becomes a deterministic link.
3. :func:`link_episodes` links episodes: the same NHS number or the same shared client id
   (deterministic), then a Splink model (DuckDB backend) on date of birth, postcode, sex and
   LSOA for episodes without a common identifier; links at or above the threshold join
   people. :func:`evalkit.data.persons.assign_person_ids` turns the links into ``person_id``.

Nothing personal is returned: the links name episodes, the model holds m and u
probabilities, and the clerical-review sample shows comparison levels, never values.

Examples
--------
>>> provider_slug("extracts/north_participants.csv"), provider_slug("extracts/vcs.xlsx [sheet x]")
('north', 'vcs')
"""

from __future__ import annotations

import gc
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evalkit.data.nhs_number import NHS_NUMBER_RULES, check_nhs_numbers, mask_nhs_number
from evalkit.data.pseudonym import KEY_VARIABLE, key_path, load_key, person_keys
from evalkit.data.schema import TABLES
from evalkit.errors import ConfigError

if TYPE_CHECKING:
    from evalkit.config import EvaluationConfig
    from evalkit.data.readers import RawTable

__all__ = [
    "DROPPED_COLUMNS",
    "LINKAGE_SETTINGS",
    "MIN_LABELLED_PAIRS",
    "MIN_RECORDS_FOR_EM",
    "PERSONAL_COLUMNS",
    "REVIEW_DIFFERENT",
    "REVIEW_SAME",
    "Linkage",
    "PersonalFields",
    "link_episodes",
    "linkage_settings",
    "mask_personal_issues",
    "provider_slug",
    "read_linkage_quality",
    "scope_client_ids",
    "write_linkage",
]

#: Personal columns used for linkage, with the header spellings providers use for each. They are
#: taken out of the extract as it is read and never stored.
PERSONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "nhs_number": ("nhs_number", "nhs_no", "nhsnumber", "nhs_num", "nhs"),
    "date_of_birth": ("date_of_birth", "dob", "birth_date", "birthdate"),
    "postcode": ("postcode", "post_code", "postal_code", "home_postcode"),
}
#: Personal columns evalkit has no use for: dropped at ingest with a warning, never stored.
DROPPED_COLUMNS = (
    "name",
    "full_name",
    "forename",
    "first_name",
    "given_name",
    "surname",
    "last_name",
    "family_name",
    "address",
    "address_line_1",
    "address_line_2",
    "phone",
    "telephone",
    "mobile",
    "email",
)

#: The linkage settings (``linkage:`` in evaluation.yml) and their defaults.
LINKAGE_SETTINGS: dict[str, Any] = {
    "key_file": None,
    #: Splink match probability at or above which two episodes are one person.
    "threshold": 0.95,
    #: Pairs drawn for clerical review, nearest the threshold first.
    "review_sample": 100,
    #: Run the probabilistic step (episodes without a common identifier).
    "probabilistic": True,
    #: Journeys: a referral to another provider within this many days of the person's previous
    #: referral is a referral between providers (evalkit.outcomes.journeys).
    "journey_window_days": 365,
    #: Journeys: the ``referral_source`` codes of the single point of access; a referral from
    #: any other source bypassed it. Empty: the evaluation has no single point of access.
    "single_point_sources": [],
}

_SPELLINGS = {
    spelling: column for column, spellings in PERSONAL_COLUMNS.items() for spelling in spellings
}
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
_DATE_FORMATS = (
    (r"^\d{4}-\d{1,2}-\d{1,2}$", "%Y-%m-%d"),
    (r"^\d{1,2}/\d{1,2}/\d{4}$", "%d/%m/%Y"),
    (r"^\d{1,2}-\d{1,2}-\d{4}$", "%d-%m-%Y"),
    (r"^\d{1,2}\.\d{1,2}\.\d{4}$", "%d.%m.%Y"),
)
_RULES = {
    "date_of_birth": (
        "date of birth is not a date (yyyy-mm-dd or dd/mm/yyyy)",
        "Give the date of birth as yyyy-mm-dd or dd/mm/yyyy, or leave it blank; the episode is "
        "kept and linked without it.",
    ),
    "date_of_birth_range": (
        "date of birth outside 1900 to today",
        "Check the date of birth (a placeholder such as 1900-01-01?); the episode is kept and "
        "linked without it.",
    ),
    "postcode": (
        "postcode is not a UK postcode",
        "Give the full postcode of the home address (e.g. LS1 4AP), or leave it blank; the "
        "episode is kept and linked without it.",
    ),
}
_KEPT = " The episode is kept and linked without it."


def provider_slug(file: str) -> str:
    """The provider a file belongs to, from its name: the part before ``_<table>``, or the whole
    name of a workbook named after the provider (as ``evaluation.yml`` ``slug`` names it).

    Examples
    --------
    >>> provider_slug("extracts/north_trust_talking_therapy.xlsx")
    'north_trust'
    """
    name = re.sub(r" \[sheet .*\]$", "", str(file)).replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0].lower()
    for table in sorted(TABLES, key=len, reverse=True):
        if stem.endswith("_" + table):
            return stem[: -len(table) - 1]
    return stem


def _header(name: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _mask(value: object) -> str:
    return mask_nhs_number(value)


@dataclass
class PersonalFields:
    """The personal columns taken out of the extracts, held in memory until linkage.

    Parameters
    ----------
    config : EvaluationConfig, optional
        Says where the pseudonymisation key is (:func:`evalkit.data.pseudonym.key_path`).
    key : bytes, optional
        The key itself (tests); otherwise it is loaded when the first NHS number is read.

    Attributes
    ----------
    records : list of DataFrame
        Per participants file: ``source_file, source_row, nhs_key, date_of_birth, postcode``
        (``nhs_key`` is the HMAC of a valid NHS number; the raw number is never kept).
    issues : list of dict
        Problems found, in the columns of :data:`evalkit.data.validate.ISSUE_COLUMNS`.
    shared_ids : dict
        Qualified episode ``client_id`` -> the id shared across providers (from
        :func:`scope_client_ids`).
    """

    config: EvaluationConfig | None = None
    key: bytes | None = None
    records: list[pd.DataFrame] = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)
    shared_ids: dict[str, str] = field(default_factory=dict)

    def _issue(self, file, row, table, column, value, rule, hint, severity="warning") -> None:
        self.issues.append(
            {
                "severity": severity,
                "file": file,
                "row": row,
                "table": table,
                "column": column,
                "value": value,
                "rule": rule,
                "hint": hint,
            }
        )

    def take(self, raw: RawTable, label: str) -> None:
        """Remove the personal columns from ``raw.frame`` (in place), keeping what linkage needs.

        Examples
        --------
        >>> from evalkit.data.readers import RawTable
        >>> from pathlib import Path
        >>> raw = RawTable(Path("p_participants.csv"), "participants", pd.DataFrame(
        ...     {"client_id": ["A1"], "NHS Number": ["943 476 5910"]}, index=[2]))
        >>> fields = PersonalFields(key=b"k" * 32)
        >>> fields.take(raw, "extracts/p_participants.csv")
        >>> list(raw.frame.columns), fields.issues[0]["value"], fields.issues[0]["rule"]
        (['client_id'], 'XXX XXX XXXX', 'NHS number check digit does not match (modulus 11)')
        """
        # a column the table declares (codebook.name, sources.name) is the table's own
        own = set(TABLES[raw.table].names) - set(PERSONAL_COLUMNS) if raw.table in TABLES else set()
        headers = {c: _header(c) for c in raw.frame.columns if c not in own}
        columns = {c: _SPELLINGS[h] for c, h in headers.items() if h in _SPELLINGS}
        dropped = [c for c, h in headers.items() if h in DROPPED_COLUMNS]
        if not columns and not dropped:
            return
        frame = raw.frame
        raw.frame = frame.drop(columns=[*columns, *dropped])
        for column in dropped:
            self._issue(
                label,
                raw.header_row,
                raw.table,
                column,
                column,
                "personal column dropped at ingest (not stored)",
                "evalkit never needs names, addresses, phone numbers or e-mail addresses: "
                "leave the column out of the export.",
            )
        if raw.table != "participants":
            for column in columns:
                self._issue(
                    label,
                    raw.header_row,
                    raw.table,
                    column,
                    column,
                    f"personal column dropped at ingest ({raw.table} does not use it)",
                    "Give NHS number, date of birth and postcode in the participants file only.",
                )
            return
        out = pd.DataFrame({"source_file": label, "source_row": frame.index.to_numpy()})
        out.index = frame.index
        for column, name in columns.items():
            values = frame[column]
            if name == "nhs_number":
                out["nhs_key"] = self._nhs_keys(values, label, column)
            elif name == "date_of_birth":
                out["date_of_birth"] = self._dates_of_birth(values, label, column)
            else:
                out["postcode"] = self._postcodes(values, label, column)
        for name in ("nhs_key", "date_of_birth", "postcode"):
            if name not in out:
                out[name] = pd.Series(pd.NA, index=out.index, dtype="string")
        self.records.append(out.reset_index(drop=True))

    def _nhs_keys(self, values: pd.Series, label: str, column: str) -> pd.Series:
        checked = check_nhs_numbers(values)
        for row in checked.index[checked["problem"].notna()]:
            rule = str(checked.at[row, "problem"])
            self._issue(
                label,
                row,
                "participants",
                column,
                _mask(values[row]),
                rule,
                NHS_NUMBER_RULES[rule] + _KEPT,
            )
        if checked["nhs_number"].isna().all():
            return pd.Series(pd.NA, index=values.index, dtype="string")
        if self.key is None and self.config is None and key_path(None) is None:
            # a data folder checked on its own: no evaluation names a key
            self._issue(
                label,
                None,
                "participants",
                column,
                None,
                "NHS numbers checked and dropped, not used: no pseudonymisation key",
                f"Validate the evaluation (its evaluation.yml names the key) or set "
                f"{KEY_VARIABLE}; without the key the NHS numbers cannot link episodes.",
            )
            return pd.Series(pd.NA, index=values.index, dtype="string")
        if self.key is None:
            self.key = load_key(self.config)
        return person_keys(checked["nhs_number"], self.key)

    def _dates_of_birth(self, values: pd.Series, label: str, column: str) -> pd.Series:
        text = values.astype("string").str.strip()
        parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        for pattern, form in _DATE_FORMATS:
            match = text.str.fullmatch(pattern).fillna(False).astype(bool)
            if match.any():
                parsed[match] = pd.to_datetime(text[match], format=form, errors="coerce")
        serial = text.str.fullmatch(r"\d{4,5}(\.0+)?").fillna(False).astype(bool)
        if serial.any():  # an Excel date cell
            days = pd.to_numeric(text[serial], errors="coerce")
            parsed[serial] = pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D")
        given = text.notna() & (text != "")
        bad = given & parsed.isna()
        outside = parsed.notna() & (
            (parsed < pd.Timestamp("1900-01-01")) | (parsed > pd.Timestamp.today())
        )
        for row in bad[bad].index:
            self._issue(label, row, "participants", column, _mask(values[row]), *_RULES[column])
        for row in outside[outside].index:
            rule, hint = _RULES["date_of_birth_range"]
            self._issue(label, row, "participants", column, _mask(values[row]), rule, hint)
        parsed = parsed.where(~outside)
        return parsed.dt.strftime("%Y-%m-%d").astype("string")

    def _postcodes(self, values: pd.Series, label: str, column: str) -> pd.Series:
        compact = values.astype("string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
        ok = compact.str.fullmatch(_POSTCODE.pattern).fillna(False).astype(bool)
        given = compact.notna() & (compact != "")
        for row in (given & ~ok)[given & ~ok].index:
            self._issue(label, row, "participants", column, _mask(values[row]), *_RULES["postcode"])
        spaced = compact.str[:-3] + " " + compact.str[-3:]
        return spaced.where(ok, pd.NA).astype("string")

    @property
    def frame(self) -> pd.DataFrame:
        """Every participants row's linkage fields (empty when no file had any)."""
        columns = ["source_file", "source_row", "nhs_key", "date_of_birth", "postcode"]
        if not self.records:
            return pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
        return pd.concat(self.records, ignore_index=True)[columns]


def mask_personal_issues(issues: list[dict]) -> None:
    """Mask (in place) the value of any issue about a personal column, whoever reported it.

    A safety net behind :class:`PersonalFields`: a reader's problem or a check on a misnamed
    column must not put an NHS number, date of birth or postcode into ``issues.csv``.

    Examples
    --------
    >>> issues = [{"column": "NHS Number", "value": "9434765919"}]
    >>> mask_personal_issues(issues); issues[0]["value"]
    'XXXXXXXXXX'
    """
    personal = set(_SPELLINGS) | set(DROPPED_COLUMNS)
    for issue in issues:
        column = issue.get("column")
        value = issue.get("value")
        if column is None or value is None or value == column:
            continue
        if _header(column) in personal:
            issue["value"] = _mask(value)


def scope_client_ids(tables: dict, fields: PersonalFields) -> list[dict]:
    """Duplicates within a provider, and client ids shared across providers qualified.

    Parameters
    ----------
    tables : dict
        Validation's working tables: name -> ``(frame, raw, reasons, file, row)``; the
        ``participants`` and ``measures`` frames are changed in place.
    fields : PersonalFields
        Receives ``shared_ids``.

    Returns
    -------
    list of dict
        One issue per repeated ``client_id`` row within one provider's participants files (each
        row's reasons get the failure, so it is quarantined).

    Examples
    --------
    >>> frame = pd.DataFrame({"client_id": ["X1", "X1", "A2", "A2"]})
    >>> files = pd.Series(["extracts/north_participants.csv"] * 2
    ...     + ["extracts/north_participants.csv", "extracts/vcs_participants.csv"])
    >>> why = pd.Series([[] for _ in range(4)])
    >>> tables = {"participants": (frame, frame.copy(), why, files, pd.Series([2, 3, 4, 2])),
    ...           "measures": (pd.DataFrame({"client_id": []}), None, pd.Series([]),
    ...                        pd.Series([], dtype=str), pd.Series([]))}
    >>> issues = scope_client_ids(tables, fields := PersonalFields())
    >>> [i["row"] for i in issues], frame["client_id"].tolist()
    ([2, 3], ['X1', 'X1', 'north:A2', 'vcs:A2'])
    """
    frame, raw, why, file, row = tables["participants"]
    if frame.empty:
        return []
    slug = file.map(provider_slug)
    ids = frame["client_id"]
    issues = []
    present = ids.notna()
    repeated = frame.assign(_slug=slug.to_numpy()).duplicated(["_slug", "client_id"], keep=False)
    repeated &= present
    for index in repeated[repeated].index:
        value = raw.at[index, "client_id"] if "client_id" in raw.columns else ids[index]
        rule = "duplicate client_id"
        issues.append(
            {
                "severity": "error",
                "file": file[index],
                "row": None if pd.isna(row[index]) else int(row[index]),
                "table": "participants",
                "column": "client_id",
                "value": value,
                "rule": rule,
                "hint": "Each episode's client_id appears once in a provider's participants "
                "files: remove or renumber the repeat. (The same client_id at another provider "
                "is not a duplicate: it links the two episodes as one person.)",
            }
        )
        why[index].append(f"client_id: {rule} ({value!r})")
    providers = pd.DataFrame({"client_id": ids, "slug": slug}).loc[present].drop_duplicates()
    spread = providers.groupby("client_id")["slug"].nunique()
    shared = set(spread.index[spread > 1])
    if not shared:
        return issues
    qualify = present & ids.isin(shared)
    qualified = slug[qualify] + ":" + ids[qualify].astype(str)
    fields.shared_ids.update(dict(zip(qualified, ids[qualify].astype(str), strict=True)))
    frame.loc[qualify, "client_id"] = qualified
    mframe, _, _, mfile, _ = tables["measures"]
    if not mframe.empty:
        mslug = mfile.map(provider_slug)
        mkey = mslug + ":" + mframe["client_id"].astype(str)
        hit = mframe["client_id"].notna() & mkey.isin(set(qualified))
        mframe.loc[hit, "client_id"] = mkey[hit]
    return issues


def linkage_settings(config: EvaluationConfig | None) -> dict[str, Any]:
    """The ``linkage:`` settings of an evaluation, defaults filled in and checked.

    Raises
    ------
    ConfigError
        An unknown setting or a value out of range.

    Examples
    --------
    >>> linkage_settings(None)["threshold"], linkage_settings(None)["journey_window_days"]
    (0.95, 365)
    """
    given = dict(getattr(config, "linkage", None) or {})
    unknown = sorted(set(given) - set(LINKAGE_SETTINGS))
    if unknown:
        raise ConfigError(
            f"linkage: unknown setting(s) {', '.join(unknown)} (allowed: "
            f"{', '.join(LINKAGE_SETTINGS)}; docs/linkage.md)."
        )
    settings = {**LINKAGE_SETTINGS, **given}
    threshold = settings["threshold"]
    if not isinstance(threshold, int | float) or not 0.5 <= float(threshold) < 1:
        raise ConfigError(
            f"linkage.threshold: expected a match probability from 0.5 to below 1, got "
            f"{threshold!r} (docs/linkage.md)."
        )
    window = settings["journey_window_days"]
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ConfigError(
            f"linkage.journey_window_days: expected a whole number of days, 1 or more, got "
            f"{window!r} (docs/linkage.md)."
        )
    sources = settings["single_point_sources"]
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list | tuple) or not all(isinstance(s, str) for s in sources):
        raise ConfigError(
            f"linkage.single_point_sources: expected a list of referral_source codes, e.g. "
            f"[spa], got {sources!r} (docs/linkage.md)."
        )
    settings["single_point_sources"] = [s.strip() for s in sources if s.strip()]
    return settings


@dataclass
class Linkage:
    """What linkage found, with nothing personal in it.

    Attributes
    ----------
    links : DataFrame
        ``episode_l, episode_r, method, match_probability``: one row per link between two
        episodes (positions in the participants table); ``method`` is ``nhs_number``,
        ``client_id`` or ``probabilistic``.
    methods : Series
        Per episode (participants' order): how it was linked (the first method that linked it,
        in that order), or ``none``.
    match_weights : DataFrame
        The Splink model's ``comparison, level, m_probability, u_probability, match_weight``.
    review : DataFrame
        The clerical-review sample: both episodes' ``client_id``, ``source_file``,
        ``source_row``, each comparison's level, the match weight and probability, and the
        decision at the threshold.
    summary : DataFrame
        ``measure, value``: episodes, with each key, links by method, threshold, estimated
        false-match rate among the probabilistic links.
    model : dict
        The Splink model (settings with m and u), empty when it did not run.
    nhs_keys, shared_ids : Series
        Per episode: the HMAC of its NHS number, and the client id it shares with another
        provider's episode (NA where none).
    """

    links: pd.DataFrame
    methods: pd.Series
    nhs_keys: pd.Series = field(default_factory=lambda: pd.Series(dtype="string"))
    shared_ids: pd.Series = field(default_factory=lambda: pd.Series(dtype="string"))
    match_weights: pd.DataFrame = field(default_factory=pd.DataFrame)
    review: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    model: dict = field(default_factory=dict)


_LINK_COLUMNS = ["episode_l", "episode_r", "method", "match_probability"]


def _same_key_links(keys: pd.Series, method: str) -> pd.DataFrame:
    """Links from each episode to the first episode with the same key (a star per key)."""
    present = keys.dropna()
    if present.empty:
        return pd.DataFrame(columns=_LINK_COLUMNS)
    positions = pd.Series(present.index.to_numpy(), index=present.index)
    first = positions.groupby(present.to_numpy()).transform("min")
    pairs = pd.DataFrame({"episode_l": first.to_numpy(), "episode_r": positions.to_numpy()})
    pairs = pairs[pairs["episode_l"] != pairs["episode_r"]]
    return pairs.assign(method=method, match_probability=1.0)


def _splink_records(records: pd.DataFrame) -> pd.DataFrame:
    sex = records["sex"].where(records["sex"].isin(["female", "male", "other"]))
    return pd.DataFrame(
        {
            "unique_id": np.arange(len(records)),
            "date_of_birth": records["date_of_birth"]
            .astype(object)
            .where(records["date_of_birth"].notna(), None),
            "postcode": records["postcode"].astype(object).where(records["postcode"].notna(), None),
            "sex": sex.astype(object).where(sex.notna(), None),
            "lsoa_code": records["lsoa_code"]
            .astype(object)
            .where(records["lsoa_code"].notna(), None),
            "nhs_key": records["nhs_key"].astype(object).where(records["nhs_key"].notna(), None),
        }
    )


#: Day and month swapped (a date typed month first): the year agrees and the parts cross.
_DAY_MONTH_SWAPPED = (
    "substr(date_of_birth_l, 1, 4) = substr(date_of_birth_r, 1, 4) AND "
    "substr(date_of_birth_l, 6, 2) = substr(date_of_birth_r, 9, 2) AND "
    "substr(date_of_birth_l, 9, 2) = substr(date_of_birth_r, 6, 2)"
)


def _date_of_birth_comparison() -> Any:
    """Date of birth levels: exact; day and month swapped; one edit or two characters
    transposed (Damerau-Levenshtein 1: a mistyped or transposed digit); within a month; within
    a year; else. Splink's own ``DateOfBirthComparison`` lacks the swap, the commonest error of
    a date typed the US way."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_description="date of birth",
        comparison_levels=[
            cll.NullLevel("date_of_birth"),
            cll.ExactMatchLevel("date_of_birth"),
            cll.CustomLevel(_DAY_MONTH_SWAPPED, label_for_charts="Day and month swapped"),
            cll.DamerauLevenshteinLevel("date_of_birth", 1),
            cll.AbsoluteDateDifferenceLevel(
                "date_of_birth", input_is_string=True, threshold=1, metric="month"
            ),
            cll.AbsoluteDateDifferenceLevel(
                "date_of_birth", input_is_string=True, threshold=1, metric="year"
            ),
            cll.ElseLevel(),
        ],
    )


#: Pairs linked by NHS number from which m probabilities are estimated; with fewer, and at least
#: :data:`MIN_RECORDS_FOR_EM` episodes, by expectation maximisation; else Splink is not run.
MIN_LABELLED_PAIRS = 5
MIN_RECORDS_FOR_EM = 1_000


class _TooFewToTrain(Exception):
    """Too little data to estimate the model: the probabilistic step is skipped, and said so."""


def _home_comparison() -> Any:
    """Where a person lives, as one comparison (postcode and LSOA are not independent: the same
    postcode is the same LSOA, so two comparisons would count one agreement twice): the same
    postcode; the same sector (one character of the unit differs); the same LSOA; the same
    district; else. Null when neither the postcodes nor the LSOAs can be compared."""
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="home",
        comparison_description="postcode, else LSOA",
        comparison_levels=[
            {
                "sql_condition": "(postcode_l IS NULL OR postcode_r IS NULL) AND "
                "(lsoa_code_l IS NULL OR lsoa_code_r IS NULL)",
                "label_for_charts": "Postcode and LSOA missing",
                "is_null_level": True,
            },
            {"sql_condition": "postcode_l = postcode_r", "label_for_charts": "Same postcode"},
            {
                "sql_condition": "substr(postcode_l, 1, length(postcode_l) - 2) = "
                "substr(postcode_r, 1, length(postcode_r) - 2)",
                "label_for_charts": "Same postcode sector",
            },
            {"sql_condition": "lsoa_code_l = lsoa_code_r", "label_for_charts": "Same LSOA"},
            {
                "sql_condition": "split_part(postcode_l, ' ', 1) = split_part(postcode_r, ' ', 1)",
                "label_for_charts": "Same postcode district",
            },
            {"sql_condition": "ELSE", "label_for_charts": "All other comparisons"},
        ],
    )


def _probabilistic(
    records: pd.DataFrame, settings: dict[str, Any]
) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """Splink (DuckDB backend): scored pairs, the model, and its match weights."""
    import duckdb
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    data = _splink_records(records)
    labelled = data["nhs_key"].notna()
    same = data.loc[labelled].groupby("nhs_key").size()
    label_pairs = int((same * (same - 1) // 2).sum())
    n_labelled = int(labelled.sum())
    all_pairs = n_labelled * (n_labelled - 1) // 2
    prior = min(max(label_pairs / all_pairs if all_pairs else 0.0, 1e-6), 0.5) or 1e-4
    creator = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            _date_of_birth_comparison(),
            _home_comparison(),
            cl.ExactMatch("sex"),
        ],
        # candidate pairs: the same date of birth (finds postcode typos), or the same postcode
        # and year of birth (day and month typos) or day and month of birth (year typos)
        blocking_rules_to_generate_predictions=[
            block_on("date_of_birth"),
            block_on("postcode", "substr(date_of_birth, 1, 4)"),
            block_on("postcode", "substr(date_of_birth, 6, 5)"),
        ],
        probability_two_random_records_match=prior,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
    )
    logging.getLogger("splink").setLevel(logging.ERROR)
    # Our own DuckDB database, closed and collected when done, so that its worker threads end
    # with it: a process forked while they live (a warm report kernel, a process pool worker)
    # dies at start ("terminate called without an active exception"). Splink's objects hold
    # the database in reference cycles, hence the collection.
    connection = duckdb.connect()
    db_api = DuckDBAPI(connection=connection)
    linker = Linker(db_api.register(data), creator, log_level=logging.ERROR)
    try:
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
        if label_pairs >= MIN_LABELLED_PAIRS:
            linker.training.estimate_m_from_label_column("nhs_key")
        elif len(data) < MIN_RECORDS_FOR_EM:
            raise _TooFewToTrain(
                f"{label_pairs} pairs linked by NHS number to learn from and {len(data)} episodes, "
                f"too few to estimate the model (at least {MIN_LABELLED_PAIRS} pairs, or "
                f"{MIN_RECORDS_FOR_EM:,} episodes for expectation maximisation)"
            )
        else:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on("date_of_birth")
            )
            linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
        floor = min(0.5, float(settings["threshold"]) / 2)
        pairs = linker.inference.predict(threshold_match_probability=floor).as_pandas_dataframe()
        model = linker.misc.save_model_to_json()
    finally:
        connection.close()
        del linker, db_api, connection
        gc.collect()
    weights = []
    for comparison in model.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weights.append(
                {
                    "comparison": comparison.get("output_column_name"),
                    "level": level.get("label_for_charts"),
                    "m_probability": m,
                    "u_probability": u,
                    "match_weight": np.log2(m / u) if m and u else np.nan,
                }
            )
    return pairs, model, pd.DataFrame(weights)


def _review_sample(
    pairs: pd.DataFrame, records: pd.DataFrame, threshold: float, size: int
) -> pd.DataFrame:
    """The pairs nearest the threshold, both sides named by episode, no values shown."""
    if pairs.empty or size <= 0:
        return pd.DataFrame()
    distance = (pairs["match_probability"] - threshold).abs()
    chosen = pairs.loc[distance.sort_values(kind="stable").index[:size]].copy()
    weights = [c for c in chosen.columns if c.startswith(("mw_", "gamma_"))]
    out = pd.DataFrame(index=chosen.index)
    for side in ("l", "r"):
        at = chosen[f"unique_id_{side}"].to_numpy()
        for column in ("client_id", "source_file", "source_row"):
            out[f"{column}_{side}"] = records[column].to_numpy()[at]
    for column in weights:  # each comparison's match weight (Splink 5) or level (Splink 4)
        name, kind = column.split("_", 1)[1], "weight" if column.startswith("mw_") else "level"
        out[f"{name}_{kind}"] = chosen[column]
    out["match_weight"] = chosen["match_weight"]
    out["match_probability"] = chosen["match_probability"]
    out["linked"] = chosen["match_probability"] >= threshold
    out["reviewer_decision"] = ""
    return out.reset_index(drop=True)


def link_episodes(
    participants: pd.DataFrame, fields: PersonalFields, config: EvaluationConfig | None = None
) -> Linkage:
    """Links between episodes of one person: deterministic first, then Splink.

    Parameters
    ----------
    participants : DataFrame
        Clean participants (``client_id``, ``source_file``, ``source_row``, ``sex``,
        ``lsoa_code``), in the order person ids are assigned.
    fields : PersonalFields
        What was taken from the extracts at ingest.
    config : EvaluationConfig, optional
        ``linkage:`` settings (:func:`linkage_settings`).

    Returns
    -------
    Linkage
    """
    settings = linkage_settings(config)
    n = len(participants)
    personal = fields.frame
    records = participants[["client_id", "source_file", "source_row"]].copy()
    for column in ("sex", "lsoa_code"):
        records[column] = participants[column] if column in participants else pd.NA
    records = records.reset_index(drop=True)
    records["source_row"] = pd.to_numeric(records["source_row"], errors="coerce").astype("Int64")
    personal = personal.assign(
        source_row=pd.to_numeric(personal["source_row"], errors="coerce").astype("Int64")
    )
    records = records.merge(
        personal.drop_duplicates(["source_file", "source_row"]),
        on=["source_file", "source_row"],
        how="left",
    )
    shared = records["client_id"].map(fields.shared_ids)
    links = [
        _same_key_links(records["nhs_key"], "nhs_number"),
        _same_key_links(shared, "client_id"),
    ]
    threshold = float(settings["threshold"])
    has_quasi = records["date_of_birth"].notna() | records["postcode"].notna()
    unkeyed = has_quasi & records["nhs_key"].isna() & shared.isna()
    match_weights, review = pd.DataFrame(), pd.DataFrame()
    model: dict[str, Any] = {}
    false_rate = np.nan
    probable = pd.DataFrame(columns=_LINK_COLUMNS)
    pairs = pd.DataFrame()
    not_run = "" if settings["probabilistic"] else "probabilistic step switched off"
    if settings["probabilistic"] and unkeyed.any() and has_quasi.sum() >= 50:
        from splink.internals.exceptions import SplinkException

        try:
            pairs, model, match_weights = _probabilistic(records, settings)
        except (_TooFewToTrain, SplinkException, ValueError) as exc:  # a small extract
            not_run = f"probabilistic step not run: {str(exc).splitlines()[0]}"
    if len(pairs):
        left, right = pairs["unique_id_l"].to_numpy(), pairs["unique_id_r"].to_numpy()
        key = records["nhs_key"].fillna("").to_numpy(dtype=object)
        both = records["nhs_key"].notna().to_numpy()
        # two different valid NHS numbers are two people, whatever else agrees
        conflict = both[left] & both[right] & (key[left] != key[right])
        pairs = pairs.loc[~conflict].reset_index(drop=True)
        # a pair both of whose episodes carry the same NHS number is already linked
        left, right = pairs["unique_id_l"].to_numpy(), pairs["unique_id_r"].to_numpy()
        pairs = pairs.loc[~(both[left] & both[right])].reset_index(drop=True)
        review = _review_sample(pairs, records, threshold, int(settings["review_sample"]))
        accepted = pairs[pairs["match_probability"] >= threshold]
        probable = pd.DataFrame(
            {
                "episode_l": accepted["unique_id_l"].to_numpy(),
                "episode_r": accepted["unique_id_r"].to_numpy(),
                "method": "probabilistic",
                "match_probability": accepted["match_probability"].to_numpy(),
            }
        )
        if len(probable):
            false_rate = float((1 - probable["match_probability"]).mean())
    links.append(probable)
    all_links = (
        pd.concat([x for x in links if len(x)], ignore_index=True)
        if any(len(x) for x in links)
        else pd.DataFrame(columns=_LINK_COLUMNS)
    )
    methods = pd.Series("none", index=range(n), dtype=object)
    for method in ("probabilistic", "client_id", "nhs_number"):  # the first method wins
        mine = all_links[all_links["method"] == method]
        ends = np.concatenate([mine["episode_l"].to_numpy(), mine["episode_r"].to_numpy()])
        methods[np.unique(ends.astype(int))] = method
    summary = pd.DataFrame(
        [
            ("episodes", n),
            ("episodes with a valid NHS number", int(records["nhs_key"].notna().sum())),
            ("episodes with a date of birth or postcode", int(has_quasi.sum())),
            ("episodes with a client_id shared across providers", int(shared.notna().sum())),
            ("links on NHS number", int((all_links["method"] == "nhs_number").sum())),
            ("links on a shared client_id", int((all_links["method"] == "client_id").sum())),
            ("probabilistic links", len(probable)),
            ("episodes linked to another episode", int((methods != "none").sum())),
            ("threshold (match probability)", threshold),
            ("estimated false-match rate of probabilistic links", false_rate),
            *([("note", not_run)] if not_run else []),
        ],
        columns=["measure", "value"],
    )
    return Linkage(
        all_links,
        methods,
        records["nhs_key"],
        shared,
        match_weights,
        review,
        summary,
        model,
    )


def write_linkage(linkage: Linkage | None, folder: Path) -> None:
    """Write the linkage outputs under ``validated/linkage/`` (for the evaluator only).

    ``summary.csv``, ``match_weights.csv``, ``model.json`` (Splink's settings with m and u) and
    ``clerical_review.csv`` (pairs nearest the threshold: episodes named by file and row,
    comparison levels, weights; a ``reviewer_decision`` column to fill in). None holds a date
    of birth, postcode or NHS number.
    """
    if linkage is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    linkage.summary.to_csv(folder / "summary.csv", index=False)
    for name, frame in (
        ("match_weights", linkage.match_weights),
        ("clerical_review", linkage.review),
    ):
        path = folder / f"{name}.csv"
        if len(frame):
            frame.to_csv(path, index=False)
        else:
            path.unlink(missing_ok=True)
    path = folder / "model.json"
    if linkage.model:
        path.write_text(json.dumps(linkage.model, indent=2, default=str))
    else:
        path.unlink(missing_ok=True)


#: Answers in ``clerical_review.csv``'s ``reviewer_decision`` meaning "the same person", and
#: meaning "two people" (compared in lower case).
REVIEW_SAME = ("match", "same", "same person", "yes", "y", "1", "true")
REVIEW_DIFFERENT = ("no match", "non-match", "nonmatch", "different", "no", "n", "0", "false")


def read_linkage_quality(folder: Path) -> dict[str, float] | None:
    """The linkage figures a report may show, from ``validated/linkage/`` (aggregates only).

    ``summary.csv`` gives its measures by name (``episodes``, ``episodes with a valid NHS
    number``, ``links on NHS number``, ``probabilistic links``, ``estimated false-match rate of
    probabilistic links`` ...). From ``clerical_review.csv``, when it exists, come
    ``review pairs``, ``reviewed linked pairs`` (linked pairs with a decision) and
    ``reviewed linked pairs judged two people``. No episode, client id or value is returned.

    Returns
    -------
    dict or None
        None when the folder has no ``summary.csv`` (validated before person linkage).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"measure": ["episodes", "probabilistic links"], "value": [10, 2]}).to_csv(
    ...     folder / "summary.csv", index=False)
    >>> pd.DataFrame({"linked": [True, True, False],
    ...               "reviewer_decision": ["same", "different", ""]}).to_csv(
    ...     folder / "clerical_review.csv", index=False)
    >>> quality = read_linkage_quality(folder)
    >>> quality["episodes"], quality["reviewed linked pairs"]
    (10.0, 2.0)
    >>> quality["reviewed linked pairs judged two people"]
    1.0
    """
    summary = folder / "summary.csv"
    if not summary.exists():
        return None
    table = pd.read_csv(summary, dtype={"value": str})
    # the figures only: summary.csv also holds notes ("probabilistic step not run: ...")
    values = pd.to_numeric(table["value"], errors="coerce")
    quality = {str(m): float(v) for m, v in zip(table["measure"], values, strict=True) if v == v}
    review = folder / "clerical_review.csv"
    if review.exists():
        pairs = pd.read_csv(review, dtype={"reviewer_decision": str}, keep_default_na=False)
        decision = pairs.get("reviewer_decision", pd.Series("", index=pairs.index))
        decision = decision.astype(str).str.strip().str.lower()
        linked = pairs.get("linked", pd.Series(False, index=pairs.index))
        linked = linked.astype(str).str.lower().isin(("true", "1"))
        decided = decision.isin(REVIEW_SAME + REVIEW_DIFFERENT)
        quality["review pairs"] = float(len(pairs))
        quality["reviewed linked pairs"] = float((linked & decided).sum())
        quality["reviewed linked pairs judged two people"] = float(
            (linked & decision.isin(REVIEW_DIFFERENT)).sum()
        )
    return quality
