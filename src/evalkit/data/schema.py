"""The data model, defined once: every input table, its columns and their rules.

Templates, the data dictionary and validation are all generated from the declarations here
(:data:`TABLES` and :data:`MEASURES`), never written by hand. Each column records its type,
whether it is required, its allowed values or range, a one-line description for providers and an
example value.

Examples
--------
>>> TABLES["participants"].column("imd_decile").allowed_text
'1 to 10'
>>> MEASURES["wemwbs_01"].max
5
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd
import pandera.pandas as pa

from evalkit.instruments.definitions import DEFINITIONS, InstrumentDefinition
from evalkit.instruments.lifestyle import QUIT_4WK_STATUSES

__all__ = [
    "EARLIEST_DATE",
    "FOREIGN_KEYS",
    "FREE_TEXT_COLUMNS",
    "LATEST_DATE_AHEAD",
    "MEASURE_BEFORE_REFERRAL_DAYS",
    "NAN_TOKENS",
    "SPREADSHEET_ERRORS",
    "MEASURES",
    "MISSING_TOKENS",
    "TABLES",
    "TIMEPOINTS",
    "ColumnSpec",
    "MeasureSpec",
    "CLIENT_ID_PATTERN",
    "ROW_RULES",
    "RowRule",
    "TableSpec",
    "code_tree_problems",
    "data_dictionary",
    "pandera_schema",
    "plausible_dates",
]

Kind = Literal["string", "integer", "float", "date"]

#: Strings providers use for "no value"; they are read as missing, never as data.
MISSING_TOKENS = ("", "N/A", "n/a", "NA", "na", "-", "--", "null", "NULL", "None", "none", ".")
#: "Not a number" as software writes a missing value; read as missing, with a warning (lower case).
NAN_TOKENS = ("nan", "-nan", "+nan")
#: Excel's error values: a formula that failed, never data (upper case; an error, not a blank).
SPREADSHEET_ERRORS = (
    "#N/A",
    "#VALUE!",
    "#REF!",
    "#DIV/0!",
    "#NAME?",
    "#NUM!",
    "#NULL!",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#BUSY!",
    "#UNKNOWN!",
    "#GETTING_DATA",
)
#: No date of a current evaluation is earlier: the services evaluated, their referrals and IMD
#: 2019 are all later; 1900-01-00 is Excel's "blank cell formatted as a date".
EARLIEST_DATE = pd.Timestamp("2000-01-01")
#: Dates may lie at most this far after the day of validation (a booked follow-up); later ones
#: are placeholders such as 2099-12-31 or 9999-12-31.
LATEST_DATE_AHEAD = pd.DateOffset(years=1)
#: A measure may be taken this many days before its referral (screening); earlier is a typo.
MEASURE_BEFORE_REFERRAL_DAYS = 90

TIMEPOINTS = ("baseline", "followup_4wk", "exit", "followup_3m", "followup_6m", "followup_12m")
STRANDS = ("smoking", "weight", "activity", "diet", "alcohol", "wellbeing", "talking_therapy")
DELIVERY_MODES = ("face_to_face", "telephone", "digital", "group", "peer_led")
REFERRAL_SOURCES = ("gp", "self", "link_worker", "health_visitor", "community", "hospital", "other")
EXIT_REASONS = (
    "completed",
    "disengaged",
    "moved_away",
    "declined",
    "transferred",
    "other",
    "ongoing",
)
AGE_BANDS = ("16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")
SEXES = ("female", "male", "other", "not_stated")
ETHNICITIES = ("asian", "black", "mixed", "white", "other", "not_stated")
FAMILY_BACKGROUNDS = (
    "south_asian",
    "chinese",
    "other_asian",
    "middle_eastern",
    "black_african",
    "african_caribbean",
    "white",
    "mixed",
    "other",
    "not_stated",
)
YES_NO = ("yes", "no", "not_stated")
IMD_LSOA_COUNT = 32_844  # LSOAs ranked in the English Indices of Deprivation 2019


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an input table.

    Parameters
    ----------
    name : str
        Column name exactly as it appears in the header.
    kind : {"string", "integer", "float", "date"}
        Type after parsing. Dates may be ``yyyy-mm-dd``, ``dd/mm/yyyy`` or an Excel serial number.
    required : bool
        Whether the column must be present *and* filled in on every row.
    description : str
        One line for providers.
    example : str
        A valid example value.
    allowed : tuple of str, optional
        The allowed values (for ``multi`` columns, each ``;``-separated part).
    min, max : float, optional
        Inclusive range for numbers.
    unique : bool
        Values must not repeat.
    multi : bool
        A ``;``-separated list of allowed values.
    pattern : str, optional
        A regular expression the whole value must match.
    """

    name: str
    kind: Kind
    required: bool
    description: str
    example: str
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    unique: bool = False
    multi: bool = False
    pattern: str | None = None

    @property
    def allowed_text(self) -> str:
        """The allowed values or range, as a provider reads it in the data dictionary."""
        if self.allowed:
            joined = ", ".join(self.allowed)
            return f"one or more of {joined} (separate with ;)" if self.multi else joined
        if self.min is not None and self.max is not None:
            return f"{_num(self.min)} to {_num(self.max)}"
        if self.min is not None:
            return f"{_num(self.min)} or more"
        if self.kind == "date":
            return "a date: yyyy-mm-dd (dd/mm/yyyy and Excel dates are accepted)"
        if self.pattern:
            return f"text matching {self.pattern}"
        return "any text"


@dataclass(frozen=True)
class MeasureSpec:
    """A measure allowed in ``measures.measure``: an instrument item or a lifestyle value."""

    name: str
    description: str
    min: float
    max: float
    integer: bool
    instrument: str

    @property
    def column(self) -> ColumnSpec:
        """The measure as a column of a wide template."""
        return ColumnSpec(
            self.name,
            "integer" if self.integer else "float",
            False,
            self.description,
            _num(self.min + (self.max - self.min) // 2 if self.integer else self.min),
            min=self.min,
            max=self.max,
        )


@dataclass(frozen=True)
class TableSpec:
    """An input table: its purpose and its columns, in template order."""

    name: str
    description: str
    columns: tuple[ColumnSpec, ...]
    group: Literal["service", "wide", "qualitative"] = "service"
    row_checks: tuple[tuple[str, str], ...] = field(default=())

    def column(self, name: str) -> ColumnSpec:
        """Look a column up by name."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name} has no column {name}")

    @property
    def names(self) -> list[str]:
        """Column names in template order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """Names of required columns."""
        return [c.name for c in self.columns if c.required]


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _item_description(definition: InstrumentDefinition, position: int) -> str:
    """An item's data-dictionary line: ``WEMWBS item 1: I've been ... (1-5)``, or for items
    named by topic rather than number ``ONS4: How satisfied ...? (0-10)``."""
    item = definition.items[position]
    label = definition.short_name
    if item[-1].isdigit():
        label += f" item {int(item.rsplit('_', 1)[-1])}"
    wording = f": {definition.item_wording[position]}" if definition.item_wording else ""
    return f"{label}{wording} ({definition.response_min}-{definition.response_max})"


def _measures() -> dict[str, MeasureSpec]:
    # Instrument items come from their one declaration (evalkit.instruments.definitions); a
    # short form's items (SWEMWBS) are its long form's, declared once under the long form.
    specs: list[MeasureSpec] = []
    for definition in DEFINITIONS.values():
        for position, item in enumerate(definition.items):
            if item not in {s.name for s in specs}:
                specs.append(
                    MeasureSpec(
                        item,
                        _item_description(definition, position),
                        definition.response_min,
                        definition.response_max,
                        True,
                        definition.name,
                    )
                )
    # a total sent without its items (instruments that accept one: total_accepted)
    for definition in DEFINITIONS.values():
        if definition.total_measure is not None:
            specs.append(
                MeasureSpec(
                    definition.total_measure,
                    f"{definition.short_name} total score, where the items are not sent "
                    f"({definition.total_min}-{definition.total_max})",
                    definition.total_min,
                    definition.total_max,
                    True,
                    definition.name,
                )
            )
        if definition.metric_measure is not None:  # SWEMWBS: the metric score alone
            scores = (definition.metric_conversion or {}).values()
            specs.append(
                MeasureSpec(
                    definition.metric_measure,
                    f"{definition.short_name} metric score (the published conversion of the raw "
                    f"total), where neither the items nor the raw total are sent "
                    f"({min(scores):.2f}-{max(scores):.2f})",
                    min(scores),
                    max(scores),
                    False,
                    definition.name,
                )
            )
    specs += [
        MeasureSpec("weight_kg", "Measured weight in kilograms", 30, 350, False, "lifestyle"),
        MeasureSpec("height_cm", "Measured height in centimetres", 120, 230, False, "lifestyle"),
        MeasureSpec("smoker", "Currently smokes: 1 = yes, 0 = no", 0, 1, True, "lifestyle"),
        MeasureSpec(
            "smoking_abstinent",
            "At the 4-week review: 1 = not smoked since day 15 of the quit attempt, 0 = smoking",
            0,
            1,
            True,
            "lifestyle",
        ),
        MeasureSpec("co_ppm", "Exhaled carbon monoxide reading (ppm)", 0, 100, False, "lifestyle"),
        MeasureSpec(
            "activity_minutes",
            "Moderate-intensity-equivalent minutes of activity in the last week "
            "(vigorous minutes count double)",
            0,
            5000,
            False,
            "lifestyle",
        ),
        MeasureSpec(
            "fruit_veg_portions",
            "Portions of fruit and vegetables a day",
            0,
            30,
            False,
            "lifestyle",
        ),
        MeasureSpec(
            "treatment_sessions",
            "Talking therapy treatment appointments attended",
            0,
            100,
            True,
            "talking_therapy",
        ),
    ]
    return {s.name: s for s in specs}


#: Every measure name a provider may submit, with its valid range.
MEASURES: dict[str, MeasureSpec] = _measures()


#: A client id: up to 128 characters, so a hash pseudonym (SHA-256: 64 hex characters) fits.
CLIENT_ID_PATTERN = r"[A-Za-z0-9_\-]{1,128}"


def _id_col(description: str = "Pseudonymous client identifier (never a name or NHS number)"):
    return ColumnSpec(
        "client_id", "string", True, description, "NT-000123", pattern=CLIENT_ID_PATTERN
    )


_WIDE_ID_COLUMNS = (
    _id_col(),
    ColumnSpec(
        "timepoint", "string", True, "When the measure was taken", "baseline", allowed=TIMEPOINTS
    ),
    ColumnSpec("date", "date", True, "Date the measure was taken", "2026-01-15"),
)


def _wide(name: str, description: str, instruments: tuple[str, ...]) -> TableSpec:
    totals = {m for d in DEFINITIONS.values() for m in (d.total_measure, d.metric_measure)}
    cols = [m.column for m in MEASURES.values() if m.instrument in instruments]
    cols = [c for c in cols if c.name not in totals]  # the templates hold items
    return TableSpec(name, description, _WIDE_ID_COLUMNS + tuple(cols), group="wide")


PARTICIPANTS = TableSpec(
    "participants",
    "One row per referral episode (a person referred twice has two rows with different ids).",
    (
        ColumnSpec(
            "client_id",
            "string",
            True,
            "Pseudonymous episode identifier, once per provider (never a name or NHS number; "
            "the same id at another provider links the two episodes as one person)",
            "NT-000123",
            pattern=CLIENT_ID_PATTERN,
        ),
        ColumnSpec(
            "provider",
            "string",
            True,
            "Organisation delivering the episode",
            "Northgate NHS Foundation Trust",
        ),
        ColumnSpec("site", "string", True, "Delivery site or locality", "North"),
        ColumnSpec(
            "strands",
            "string",
            True,
            "Support strands offered",
            "wellbeing;smoking",
            allowed=STRANDS,
            multi=True,
        ),
        ColumnSpec(
            "referral_source",
            "string",
            True,
            "Who referred the client",
            "gp",
            allowed=REFERRAL_SOURCES,
        ),
        ColumnSpec("referral_date", "date", True, "Date the referral was received", "2026-01-05"),
        ColumnSpec(
            "start_date",
            "date",
            False,
            "Date of the first session (blank if not started)",
            "2026-01-12",
        ),
        ColumnSpec(
            "end_date", "date", False, "Date the episode ended (blank if ongoing)", "2026-03-30"
        ),
        ColumnSpec(
            "exit_reason",
            "string",
            False,
            "Why the episode ended",
            "completed",
            allowed=EXIT_REASONS,
        ),
        ColumnSpec(
            "contacts", "integer", False, "Number of contacts attended", "6", min=0, max=500
        ),
        ColumnSpec(
            "age",
            "integer",
            False,
            "Age in years at referral (or give age_band)",
            "47",
            min=16,
            max=110,
        ),
        ColumnSpec(
            "age_band",
            "string",
            False,
            "Age band at referral (if age is not given)",
            "45-54",
            allowed=AGE_BANDS,
        ),
        ColumnSpec("sex", "string", True, "Sex", "female", allowed=SEXES),
        ColumnSpec(
            "ethnicity",
            "string",
            True,
            "Ethnic group (ONS 2021 high-level groups)",
            "white",
            allowed=ETHNICITIES,
        ),
        ColumnSpec(
            "family_background",
            "string",
            False,
            "Family background, for the lower BMI thresholds (NICE)",
            "south_asian",
            allowed=FAMILY_BACKGROUNDS,
        ),
        ColumnSpec(
            "imd_decile",
            "integer",
            False,
            "IMD 2019 decile of home LSOA (1 = most deprived 10%)",
            "2",
            min=1,
            max=10,
        ),
        ColumnSpec(
            "imd_rank",
            "integer",
            False,
            "IMD 2019 rank of home LSOA (1 = most deprived of 32,844)",
            "3120",
            min=1,
            max=IMD_LSOA_COUNT,
        ),
        ColumnSpec(
            "lsoa_code",
            "string",
            False,
            "2011 LSOA code of home address",
            "E01012345",
            pattern=r"[EW]0\d{7}",
        ),
        ColumnSpec(
            "disability", "string", False, "Has a disability (Equality Act)", "no", allowed=YES_NO
        ),
        ColumnSpec(
            "delivery_mode",
            "string",
            True,
            "Main way support was delivered",
            "face_to_face",
            allowed=DELIVERY_MODES,
        ),
        ColumnSpec("quit_date", "date", False, "Quit date set (smoking strand only)", "2026-01-20"),
        ColumnSpec(
            "quit_4wk_status",
            "string",
            False,
            "4-week smoking outcome as a status code, when the 4-week review is not in measures "
            "(NHS Stop Smoking Services categories; blank if recorded in measures)",
            "quit_co_verified",
            allowed=tuple(QUIT_4WK_STATUSES),
        ),
        # personal: taken out at ingest by evalkit.data.linkage, never stored (docs/linkage.md)
        ColumnSpec(
            "nhs_number",
            "string",
            False,
            "NHS number, for linking a person's episodes (checked, replaced by a keyed "
            "pseudonym as it is read, never stored)",
            "943 476 5919",
        ),
        ColumnSpec(
            "date_of_birth",
            "string",
            False,
            "Date of birth (yyyy-mm-dd or dd/mm/yyyy), for linking when the NHS number is "
            "missing (dropped after linkage, never stored)",
            "1979-04-23",
        ),
        ColumnSpec(
            "postcode",
            "string",
            False,
            "Home postcode, for linking when the NHS number is missing (dropped after linkage, "
            "never stored)",
            "LS1 4AP",
        ),
    ),
)

MEASURES_TABLE = TableSpec(
    "measures",
    "One row per client, timepoint and measure (the long format every template melts into).",
    (
        _id_col("client_id of the episode in participants"),
        _WIDE_ID_COLUMNS[1],
        _WIDE_ID_COLUMNS[2],
        ColumnSpec(
            "measure",
            "string",
            True,
            "Measure name (see the measures list)",
            "wemwbs_01",
            allowed=tuple(MEASURES),
        ),
        ColumnSpec("value", "float", True, "The value, within the measure's range", "4"),
    ),
)

SOURCES = TableSpec(
    "sources",
    "One row per qualitative source (interview, focus group, field note or document).",
    (
        ColumnSpec("source_id", "string", True, "Identifier of the source", "S01", unique=True),
        ColumnSpec(
            "name",
            "string",
            True,
            "Label of the source (no real names)",
            "Interview 07 - service user",
        ),
        ColumnSpec(
            "type",
            "string",
            True,
            "Kind of source",
            "interview",
            allowed=("interview", "focus_group", "fieldnote", "document"),
        ),
        ColumnSpec("date", "date", False, "Date of data collection", "2026-02-03"),
        ColumnSpec("site", "string", False, "Site the source speaks about", "North"),
        ColumnSpec(
            "stakeholder_group",
            "string",
            True,
            "Who is speaking",
            "service_user",
            allowed=(
                "commissioner",
                "provider_manager",
                "frontline_staff",
                "service_user",
                "partner",
            ),
        ),
        ColumnSpec(
            "provider",
            "string",
            False,
            "Provider the source speaks about",
            "Communities Together CIC",
        ),
        ColumnSpec("round", "integer", False, "Fieldwork round (1, 2, ...)", "1", min=1),
        ColumnSpec(
            "participant",
            "string",
            False,
            "Pseudonym of the person interviewed (the same in every round; no real names)",
            "P07",
        ),
    ),
    group="qualitative",
)

CODEBOOK = TableSpec(
    "codebook",
    "One row per code; kinds classify codes as context, mechanism or outcome.",
    (
        ColumnSpec("code_id", "string", True, "Identifier of the code", "C01", unique=True),
        ColumnSpec("name", "string", True, "Code name", "C: lives in a deprived area"),
        ColumnSpec(
            "kind",
            "string",
            True,
            "Realist role of the code",
            "context",
            allowed=("context", "mechanism_resource", "mechanism_reasoning", "outcome", "other"),
        ),
        ColumnSpec("parent_id", "string", False, "code_id of the parent code", "CTX"),
        ColumnSpec(
            "description",
            "string",
            False,
            "What the code captures",
            "Client lives in an IMD quintile 1 neighbourhood",
        ),
    ),
    group="qualitative",
)

CODINGS = TableSpec(
    "codings",
    "One row per coded excerpt and code.",
    (
        ColumnSpec("coding_id", "string", True, "Identifier of the coding", "K0001", unique=True),
        ColumnSpec("source_id", "string", True, "source_id of the source", "S01"),
        ColumnSpec("code_id", "string", True, "code_id of the code applied", "C01"),
        ColumnSpec("text", "string", True, "The excerpt", "The group is run by people like me."),
        ColumnSpec("coder", "string", False, "Who coded it", "evaluator_1"),
        ColumnSpec(
            "start", "integer", False, "Start position of the excerpt in the source", "120", min=0
        ),
        ColumnSpec("end", "integer", False, "End position (exclusive)", "155", min=0),
    ),
    group="qualitative",
)

CMOCS = TableSpec(
    "cmocs",
    "One row per context-mechanism-outcome configuration (CMOC).",
    (
        ColumnSpec("cmoc_id", "string", True, "Identifier of the CMOC", "CMOC1", unique=True),
        ColumnSpec(
            "programme_theory",
            "string",
            True,
            "Programme theory it belongs to",
            "PT1 peer support builds trust",
        ),
        ColumnSpec("context", "string", True, "Context (C)", "Most deprived neighbourhoods"),
        ColumnSpec(
            "mechanism_resource",
            "string",
            True,
            "Mechanism: what the programme offers",
            "Peer-led groups",
        ),
        ColumnSpec(
            "mechanism_reasoning",
            "string",
            True,
            "Mechanism: how people respond",
            "Trust; people like me",
        ),
        ColumnSpec("outcome", "string", True, "Outcome (O)", "Larger wellbeing gain"),
        ColumnSpec(
            "codes",
            "string",
            False,
            "Code names evidencing it (separate with ;)",
            "C: deprived area;M: peer support",
        ),
        ColumnSpec(
            "status",
            "string",
            True,
            "The evaluator's judgement",
            "initial",
            allowed=("initial", "supported", "refined", "refuted", "inconclusive"),
        ),
        ColumnSpec(
            "context_filter",
            "string",
            False,
            "Episodes in this context, as a filter over the episode table",
            "imd_quintile == 1 and delivery_mode == 'peer_led'",
        ),
        ColumnSpec(
            "outcome_measure", "string", False, "Episode-table outcome it predicts", "wemwbs_change"
        ),
        ColumnSpec(
            "expected_direction",
            "string",
            False,
            "Is the outcome higher or lower there?",
            "higher",
            allowed=("higher", "lower"),
        ),
        ColumnSpec(
            "memo",
            "string",
            False,
            "The evaluator's memo on the CMOC (evaluator-only; never in the report)",
            "Round 2: trust takes weeks to build.",
        ),
    ),
    group="qualitative",
)

#: Every table evalkit reads, in template order.
TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        PARTICIPANTS,
        MEASURES_TABLE,
        _wide(
            "wellbeing",
            "Wide template: WEMWBS/SWEMWBS and ONS4 items, one row per client and timepoint.",
            ("wemwbs", "ons4"),
        ),
        _wide(
            "lifestyle",
            "Wide template: weight, height, smoking, CO, activity, diet and "
            "AUDIT-C, one row per client and timepoint.",
            ("lifestyle", "auditc"),
        ),
        _wide(
            "talking_therapy",
            "Wide template: PHQ-9 and GAD-7 items and treatment sessions, "
            "one row per client and timepoint.",
            ("phq9", "gad7", "talking_therapy"),
        ),
        SOURCES,
        CODEBOOK,
        CODINGS,
        CMOCS,
    )
}

_PANDERA_DTYPES = {"string": str, "integer": "Int64", "float": float, "date": "datetime64[ns]"}


def _column_checks(col: ColumnSpec) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if col.allowed and col.multi:
        allowed = set(col.allowed)
        checks.append(
            pa.Check(
                lambda s, allowed=allowed: s.str.split(";").map(
                    lambda parts: all(p.strip() in allowed for p in parts)
                ),
                element_wise=False,
                name=f"each part in {{{', '.join(col.allowed)}}}",
            )
        )
    elif col.allowed:
        checks.append(pa.Check.isin(col.allowed))
    if col.min is not None and col.max is not None:
        checks.append(pa.Check.in_range(col.min, col.max))
    elif col.min is not None:
        checks.append(pa.Check.ge(col.min))
    if col.pattern:
        checks.append(pa.Check.str_matches(f"^(?:{col.pattern})$"))
    return checks


def _measure_in_range(df: pd.DataFrame) -> pd.Series:
    lo = df["measure"].map({k: m.min for k, m in MEASURES.items()})
    hi = df["measure"].map({k: m.max for k, m in MEASURES.items()})
    whole = df["measure"].map({k: m.integer for k, m in MEASURES.items()}).eq(True)
    ok = df["value"].between(lo, hi) & (~whole | (df["value"] % 1 == 0))
    return ok | lo.isna() | df["value"].isna()


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row; ``columns`` are the ones named in an error report."""

    name: str
    columns: tuple[str, ...]
    check: Callable[[pd.DataFrame], pd.Series]
    hint: str


def _before(later: str, earlier: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda df: ~(df[later] < df[earlier]).fillna(False)


#: Rules across columns, per table (checked by pandera as DataFrame-level checks).
ROW_RULES: dict[str, tuple[RowRule, ...]] = {
    "participants": (
        RowRule(
            "end_date is on or after start_date",
            ("end_date", "start_date"),
            _before("end_date", "start_date"),
            "Check both dates; an episode cannot end before it starts.",
        ),
        RowRule(
            "start_date is on or after referral_date",
            ("start_date", "referral_date"),
            _before("start_date", "referral_date"),
            "Check both dates; support cannot start before the referral.",
        ),
        RowRule(
            "end_date is on or after referral_date",
            ("end_date", "referral_date"),
            lambda df: (
                df["start_date"].notna() | ~(df["end_date"] < df["referral_date"]).fillna(False)
            ),
            "Check both dates; an episode cannot end before its referral.",
        ),
        RowRule(
            "age or age_band is given",
            ("age", "age_band"),
            lambda df: df["age"].notna() | df["age_band"].notna(),
            "Fill in age (years) or age_band.",
        ),
    ),
    "measures": (
        RowRule(
            "value within the measure's range",
            ("value",),
            _measure_in_range,
            "See the measures list in the data dictionary for each measure's range.",
        ),
    ),
}


#: Columns of free text (excerpts, descriptions, CMOC wording): an invisible character there is
#: a warning, elsewhere (identifiers, categories, sites) an error, as it splits groups silently.
FREE_TEXT_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    {("codings", "text"), ("codebook", "name"), ("codebook", "description"), ("sources", "name")}
    | {
        ("cmocs", c)
        for c in (
            "programme_theory",
            "context",
            "mechanism_resource",
            "mechanism_reasoning",
            "outcome",
            "codes",
            "memo",
        )
    }
)


def plausible_dates(today: pd.Timestamp | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The window every date must lie in: :data:`EARLIEST_DATE` to today plus
    :data:`LATEST_DATE_AHEAD`.

    Examples
    --------
    >>> plausible_dates(pd.Timestamp("2026-12-02"))
    (Timestamp('2000-01-01 00:00:00'), Timestamp('2027-12-02 00:00:00'))
    """
    today = pd.Timestamp.today().normalize() if today is None else today
    return EARLIEST_DATE, today + LATEST_DATE_AHEAD


def code_tree_problems(
    code_ids: Iterable[object], parent_ids: Iterable[object]
) -> dict[object, tuple[str, list[object]]]:
    """Codes whose ``parent_id`` cannot place them in a tree.

    Returns
    -------
    dict
        ``code_id -> (problem, codes)``: ``"own parent"`` (``[code, code]``), ``"unknown
        parent"`` (``[code, parent_id]``) or ``"cycle"`` (the codes round the cycle, starting
        and ending with the code). Codes below such a code are not listed.

    Examples
    --------
    >>> code_tree_problems(["A", "B", "C", "D"], ["B", "A", "C", "Z"])
    {'C': ('own parent', ['C', 'C']), 'D': ('unknown parent', ['D', 'Z']), \
'A': ('cycle', ['A', 'B', 'A']), 'B': ('cycle', ['B', 'A', 'B'])}
    """
    parent: dict[object, object] = {}
    for code, up in zip(code_ids, parent_ids, strict=True):
        parent[code] = None if up is None or pd.isna(up) or str(up).strip() == "" else up
    problems: dict[object, tuple[str, list[object]]] = {}
    for code, up in parent.items():
        if up is not None and up == code:
            problems[code] = ("own parent", [code, code])
        elif up is not None and up not in parent:
            problems[code] = ("unknown parent", [code, up])
    for code in parent:
        if code in problems:
            continue
        chain, node = [code], parent[code]
        while node is not None and node in parent and node not in chain:
            chain.append(node)
            node = parent[node]
        if node == code:
            problems[code] = ("cycle", [*chain, code])
    return problems


#: Identifiers that must exist in another table: (table, column) -> (parent table, column).
FOREIGN_KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("measures", "client_id"): ("participants", "client_id"),
    ("codings", "source_id"): ("sources", "source_id"),
    ("codings", "code_id"): ("codebook", "code_id"),
}


def pandera_schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema that checks a parsed table (types already coerced by
    :mod:`evalkit.data.readers`).

    Parameters
    ----------
    table : str
        A key of :data:`TABLES`.

    Returns
    -------
    pandera.DataFrameSchema
        Column checks (presence of values, allowed sets, ranges, patterns, uniqueness) plus the
        table's cross-column rules.

    Examples
    --------
    >>> import pandas as pd
    >>> schema = pandera_schema("measures")
    >>> bad = pd.DataFrame({"client_id": ["A1"], "timepoint": ["baseline"],
    ...     "date": pd.to_datetime(["2026-01-01"]), "measure": ["wemwbs_01"], "value": [9.0]})
    >>> try:
    ...     schema.validate(bad, lazy=True)
    ... except Exception as exc:
    ...     print(type(exc).__name__)
    SchemaErrors
    """
    spec = TABLES[table]
    columns = {
        c.name: pa.Column(
            _PANDERA_DTYPES[c.kind],
            checks=_column_checks(c),
            nullable=not c.required,
            unique=c.unique,
            required=False,
            coerce=False,
        )
        for c in spec.columns
    }
    checks = [pa.Check(rule.check, name=rule.name) for rule in ROW_RULES.get(table, ())]
    return pa.DataFrameSchema(columns, checks=checks, strict=False, name=table)


def data_dictionary() -> pd.DataFrame:
    """Every column of every table as a tidy data dictionary.

    Returns
    -------
    DataFrame
        Columns ``table, column, type, required, allowed, description, example``, plus one row
        per measure name under table ``measures (measure names)``.

    Examples
    --------
    >>> dd = data_dictionary()
    >>> dd.loc[dd["column"] == "imd_decile", "allowed"].iloc[0]
    '1 to 10'
    """
    rows = [
        {
            "table": t.name,
            "column": c.name,
            "type": c.kind,
            "required": "yes" if c.required else "no",
            "allowed": c.allowed_text,
            "description": c.description,
            "example": c.example,
        }
        for t in TABLES.values()
        if t.group != "wide"
        for c in t.columns
    ]
    rows += [
        {
            "table": "measures (measure names)",
            "column": m.name,
            "type": "integer" if m.integer else "number",
            "required": "no",
            "allowed": f"{_num(m.min)} to {_num(m.max)}",
            "description": m.description,
            "example": m.column.example,
        }
        for m in MEASURES.values()
    ]
    return pd.DataFrame(rows)
