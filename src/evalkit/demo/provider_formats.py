"""The demo evaluation as its providers' own systems would export it (``--formats provider``).

The canonical demo's tables are written again as each provider's own export, with the mapping
file that reads it back, so the same synthetic service runs through the mapping layer:

- ``nhs_trust``: an IAPTus-style referrals report, one row a referral, instrument **totals**
  only (PHQ-9, GAD-7, WEMWBS, SWEMWBS) at first/last session, its own ending and contact codes,
  LSOA codes (IMD from the IoD lookup);
- ``council``: a weight-management export with dd/mm/yyyy dates, a date of birth instead of
  age, weights in kilograms for some people and in stones and pounds for others, heights in
  metres;
- ``vcs``: a voluntary-sector spreadsheet (XLSX, title lines above the header) with its own
  codes and postcodes instead of LSOA and IMD;

plus a small IoD2019 File 1 (CSV, the official layout) and an ONS Postcode Directory extract
for the demo's LSOAs, and ``mappings:``/``geography:`` in ``evaluation.yml``. Each style is data
(:data:`STYLES`); the values are exactly the canonical ones, so the report's figures are equal.
The export files sort in the canonical files' provider order (council, nhs_trust, vcs), as the
probabilistic person linkage depends on the order of the episodes it reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import yaml

from evalkit.config import load_config, write_config
from evalkit.data.schema import TABLES
from evalkit.data.units import KG_PER_POUND
from evalkit.data.validate import input_paths, validate_directory
from evalkit.instruments.scoring import get, instrument_settings, score

__all__ = ["STYLES", "write_provider_formats"]

_PERSONAL = ["nhs_number", "date_of_birth", "postcode"]
_TIMEPOINTS = {"baseline": "First", "exit": "Last", "followup_4wk": "4 Week"}

#: Each provider's export: file, headers of the evalkit columns it sends, its own codes
#: (evalkit code -> its value), instruments it sends as totals, and what it sends instead of
#: age, LSOA/IMD and weight in kilograms.
STYLES: dict[str, dict[str, Any]] = {
    "nhs_trust": {
        "file": "iaptus_referrals_{period}.csv",
        "date_format": "%d/%m/%Y",
        "totals": ["phq9", "gad7", "wemwbs", "swemwbs"],
        "geography": "lsoa",
        "headers": {
            "client_id": "Referral ID",
            "site": "Team",
            "strands": "Pathways",
            "referral_source": "Source of Referral",
            "referral_date": "Referral Received Date",
            "start_date": "First Treatment Date",
            "end_date": "Discharge Date",
            "exit_reason": "Ending Reason",
            "contacts": "Total Contacts",
            "age": "Age at Referral",
            "age_band": "Age Band",
            "sex": "Gender",
            "ethnicity": "Ethnicity",
            "family_background": "Ethnic Background",
            "disability": "Disability Status",
            "delivery_mode": "Primary Contact Mode",
            "quit_date": "Quit Date",
            "quit_4wk_status": "Four Week Status",
            "lsoa_code": "LSOA Code",
        },
        "codes": {
            "exit_reason": {
                "completed": "Completed treatment",
                "disengaged": "Dropped out of treatment",
                "moved_away": "Moved out of area",
                "declined": "Declined treatment",
                "transferred": "Referred to another service",
                "other": "Other",
                "ongoing": "Still in treatment",
            },
            "delivery_mode": {
                "face_to_face": "Face to face",
                "telephone": "Telephone",
                "digital": "Video",
                "group": "Group",
                "peer_led": "Peer support",
            },
            "sex": {
                "female": "Female",
                "male": "Male",
                "other": "Other",
                "not_stated": "Not known",
            },
        },
    },
    "council": {
        "file": "healthy_lifestyles_export_{period}.csv",
        "date_format": "%d/%m/%Y",
        "totals": [],
        "geography": "imd",
        "birth": True,
        "weight": "stones_pounds_for_some",
        "headers": {
            "client_id": "Client No",
            "site": "Venue",
            "strands": "Programmes",
            "referral_source": "Referred By",
            "referral_date": "Referral Date",
            "start_date": "Programme Start",
            "end_date": "Programme End",
            "exit_reason": "Outcome",
            "contacts": "Sessions",
            "sex": "Gender",
            "ethnicity": "Ethnic Group",
            "family_background": "Heritage",
            "disability": "Disabled",
            "delivery_mode": "Delivery",
            "quit_date": "Quit Date",
            "quit_4wk_status": "4 Week Outcome",
            "lsoa_code": "LSOA",
            "imd_decile": "IMD Decile",
            "imd_rank": "IMD Rank",
        },
        "codes": {
            "sex": {"female": "F", "male": "M", "other": "O", "not_stated": "U"},
            "referral_source": {
                "gp": "GP",
                "self": "Self Referral",
                "link_worker": "Social Prescriber",
                "health_visitor": "Health Visitor",
                "community": "Community Pharmacy",
                "hospital": "Hospital",
                "other": "Other",
            },
            "exit_reason": {
                "completed": "Completed Programme",
                "disengaged": "Dropped Out",
                "moved_away": "Moved Away",
                "declined": "Declined",
                "transferred": "Transferred",
                "other": "Other",
                "ongoing": "Active",
            },
        },
    },
    "vcs": {
        "file": "voluntary_sector_monitoring_{period}.xlsx",
        "sheet": "Participants",
        "title_lines": ["Communities Together CIC: participant monitoring", "Exported by staff"],
        "date_format": "%d/%m/%Y",
        "totals": [],
        "geography": "postcode",
        "headers": {
            "client_id": "ID",
            "site": "Area",
            "strands": "Activities",
            "referral_source": "How Referred",
            "referral_date": "Date Referred",
            "start_date": "Date Started",
            "end_date": "Date Left",
            "exit_reason": "Reason Left",
            "contacts": "Attendances",
            "age": "Age",
            "age_band": "Age Group",
            "sex": "Sex",
            "ethnicity": "Ethnic Origin",
            "family_background": "Background",
            "disability": "Long Term Condition",
            "delivery_mode": "How Delivered",
            "quit_date": "Quit Date",
            "quit_4wk_status": "Quit Status",
        },
        "codes": {
            "sex": {
                "female": "Woman",
                "male": "Man",
                "other": "Other",
                "not_stated": "Prefer not to say",
            },
            "ethnicity": {
                "asian": "Asian or Asian British",
                "black": "Black or Black British",
                "mixed": "Mixed heritage",
                "white": "White",
                "other": "Other ethnic group",
                "not_stated": "Not stated",
            },
            "disability": {"yes": "Y", "no": "N", "not_stated": "Not known"},
            "exit_reason": {
                "completed": "Finished",
                "disengaged": "Stopped coming",
                "moved_away": "Moved",
                "declined": "Did not want to start",
                "transferred": "Passed to another group",
                "other": "Other",
                "ongoing": "Still attending",
            },
        },
    },
}


def _label(measure: str) -> str:
    return measure.replace("_", " ").upper()


def _text(values: pd.Series, kind: str, date_format: str) -> pd.Series:
    if kind == "date":
        return values.dt.strftime(date_format).where(values.notna(), "")
    if kind == "integer":
        return values.astype("Int64").astype("string").fillna("")
    return values.astype("string").fillna("")


def _measure_columns(
    measures: pd.DataFrame, style: dict[str, Any], config: Any
) -> tuple[pd.DataFrame, list[dict[str, Any]], dict[str, str]]:
    """Wide measure columns (one per measure and timepoint), their mapping entries and the
    date column of each timepoint."""
    long = measures.copy()
    for name in style["totals"]:
        definition = get(name)
        scored = score(long, definition, **instrument_settings(config, definition))
        scored = scored.dropna(subset=[f"{name}_total"])
        rows = scored[["client_id", "timepoint"]].assign(
            measure=f"{name}_total", value=scored[f"{name}_total"].to_numpy()
        )
        dates = long.drop_duplicates(["client_id", "timepoint"])[["client_id", "timepoint", "date"]]
        long = pd.concat([long, rows.merge(dates, on=["client_id", "timepoint"])])
    sent_as_total = {item for name in style["totals"] for item in get(name).items}
    long = long[~long["measure"].isin(sent_as_total)]
    wide = long.pivot_table(
        index="client_id", columns=["measure", "timepoint"], values="value", aggfunc="first"
    )
    dates = long.pivot_table(index="client_id", columns="timepoint", values="date", aggfunc="first")
    out, entries, date_headers = {}, [], {}
    for timepoint in dates.columns:
        header = f"Assessment Date {_TIMEPOINTS[timepoint]}"
        out[header] = dates[timepoint]
        date_headers[timepoint] = header
    for measure in sorted({m for m, _ in wide.columns}):
        timepoints = sorted(
            (t for m, t in wide.columns if m == measure), key=list(_TIMEPOINTS).index
        )
        if measure == "weight_kg" and style.get("weight") == "stones_pounds_for_some":
            entries += _weights(wide, timepoints, out)
            continue
        if measure == "height_cm" and style.get("weight"):
            columns = {}
            for t in timepoints:
                header = f"Height (m) {_TIMEPOINTS[t]}"
                out[header] = (wide[(measure, t)] / 100).round(4)
                columns[t] = header
            entries.append({"measure": measure, "unit": "metres", "timepoints": columns})
            continue
        columns = {}
        for t in timepoints:
            header = f"{_label(measure)} {_TIMEPOINTS[t]}"
            out[header] = wide[(measure, t)]
            columns[t] = header
        entries.append({"measure": measure, "timepoints": columns})
    return pd.DataFrame(out), entries, date_headers


def _weights(wide: pd.DataFrame, timepoints: list[str], out: dict) -> list[dict[str, Any]]:
    """Weights in kilograms for every other person, in stones and pounds for the rest (pounds
    to 4 decimals: converted back, they round to the kilograms sent)."""
    kg_entry: dict[str, Any] = {"measure": "weight_kg", "unit": "kg", "timepoints": {}}
    st_entry: dict[str, Any] = {"measure": "weight_kg", "unit": "stones_pounds", "timepoints": {}}
    imperial = pd.Series(np.arange(len(wide)) % 2 == 1, index=wide.index)
    for t in timepoints:
        kg = wide[("weight_kg", t)]
        pounds = kg / KG_PER_POUND
        stones = np.floor(pounds / 14)
        label = _TIMEPOINTS[t]
        out[f"Weight (kg) {label}"] = kg.where(~imperial)
        out[f"Weight (st) {label}"] = stones.where(imperial)
        out[f"Weight (lb) {label}"] = (pounds - 14 * stones).round(4).where(imperial)
        kg_entry["timepoints"][t] = f"Weight (kg) {label}"
        st_entry["timepoints"][t] = [f"Weight (st) {label}", f"Weight (lb) {label}"]
    return [kg_entry, st_entry]


def _export(
    slug: str,
    participants: pd.DataFrame,
    measures: pd.DataFrame,
    config: Any,
    personal: pd.DataFrame,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One provider's export (every cell as text) and its mapping file's content."""
    style = STYLES[slug]
    spec = TABLES["participants"]
    fmt = style["date_format"]
    frame = pd.DataFrame(index=participants["client_id"].to_numpy())
    values: dict[str, dict[str, str]] = {}
    for column, header in style["headers"].items():
        kind = spec.column(column).kind
        text = _text(participants[column].reset_index(drop=True), kind, fmt)
        codes = style["codes"].get(column)
        if codes:
            text = text.map(lambda v, codes=codes: codes.get(v, v))
            values[column] = {sent: code for code, sent in codes.items()}
        frame[header] = text.to_numpy()
    entry: dict[str, Any] = {
        "pattern": style["file"].replace("{period}", "*"),
        "feeds": ["participants", "measures"],
        "constants": {"provider": str(participants["provider"].iloc[0])},
        "columns": {header: column for column, header in style["headers"].items()},
        "values": values,
        "dates": {"format": fmt},
    }
    # the identifiers linkage uses, as the canonical extracts carry them (never stored)
    ids = personal.reindex(participants["client_id"])
    frame["NHS Number"] = ids["nhs_number"].fillna("").to_numpy()
    born = pd.to_datetime(ids["date_of_birth"], format="%Y-%m-%d", errors="coerce")
    frame["Date of Birth"] = born.dt.strftime(fmt).where(born.notna(), "").to_numpy()
    frame["Postcode"] = ids["postcode"].fillna("").to_numpy()
    entry["nhs_number"] = "NHS Number"
    entry["postcode"] = "Postcode"
    if style.get("birth"):  # age from the date of birth
        entry["age_from_birth"] = {"column": "Date of Birth", "at": "referral_date"}
    else:  # an age column; the date of birth only for linkage
        entry["columns"]["Date of Birth"] = "date_of_birth"
    if style["geography"] == "postcode":  # LSOA only where the postcode is missing
        lsoa = participants["lsoa_code"].where(ids["postcode"].isna().to_numpy())
        frame["LSOA (no postcode)"] = lsoa.fillna("").to_numpy()
        entry["columns"]["LSOA (no postcode)"] = "lsoa_code"
    if style.get("birth"):  # no age column: the age of those without a usable date of birth
        # those whose date of birth does not give their age (missing, a placeholder): the age
        referral = pd.to_datetime(participants["referral_date"]).reset_index(drop=True)
        born_at = born.reset_index(drop=True)
        years = referral.dt.year - born_at.dt.year
        before = (referral.dt.month < born_at.dt.month) | (
            (referral.dt.month == born_at.dt.month) & (referral.dt.day < born_at.dt.day)
        )
        derived = years - before.astype(int)
        ages_sent = participants["age"].astype(float).reset_index(drop=True)
        unusable = (born_at.isna() | (born_at < "1900-01-01") | (derived != ages_sent)).to_numpy()
        ages = participants["age"].astype("Int64").astype("string")
        frame["Age (no DOB)"] = ages.where(unusable).fillna("").to_numpy()
        entry["columns"]["Age (no DOB)"] = "age"
    wide, measure_entries, date_headers = _measure_columns(measures, style, config)
    wide = wide.reindex(frame.index)
    for header in wide.columns:
        column = wide[header]
        if pd.api.types.is_datetime64_any_dtype(column):
            frame[header] = column.dt.strftime(fmt).where(column.notna(), "")
        else:
            frame[header] = column.map(lambda v: "" if pd.isna(v) else f"{v:.10g}")
    entry["measures"] = measure_entries
    entry["measure_dates"] = date_headers
    if style.get("sheet"):
        entry["sheet"] = style["sheet"]
        entry["header_row"] = len(style.get("title_lines", [])) + 1
    return frame.reset_index(drop=True), {"provider": slug, "files": [entry]}


def _write_export(frame: pd.DataFrame, path: Path, style: dict[str, Any]) -> None:
    if path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = style["sheet"]
        for line in style.get("title_lines", []):
            sheet.append([line])
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([v if v != "" else None for v in row])
        book.save(path)
    else:
        frame.to_csv(path, index=False)


def write_provider_formats(config_path: str | Path) -> Path:
    """Rewrite a canonical demo evaluation's extracts as its providers' own exports.

    The canonical extracts are validated, rewritten in each provider's format (:data:`STYLES`)
    with a mapping file each under ``mappings/``, the IoD and postcode lookups under
    ``lookups/``, and ``evaluation.yml`` gains ``mappings:`` and ``geography:``. The canonical
    extracts are removed.

    Returns
    -------
    Path
        ``evaluation.yml``.
    """
    config_path = Path(config_path)
    config = load_config(config_path)
    root = config.root
    result = validate_directory(config.data_dir, config)
    participants = result.tables["participants"].drop(columns=["source_file", "source_row"])
    measures = result.tables["measures"].drop(columns=["source_file", "source_row"])
    lsoas = participants.drop_duplicates("lsoa_code").sort_values("lsoa_code")
    extracts = [p for p in input_paths(config.data_dir) if p.parent.name == "extracts"]
    personal = pd.concat(
        [pd.read_csv(p, dtype=str) for p in extracts if p.name.endswith("_participants.csv")]
    )
    personal = personal.reindex(columns=["client_id", *_PERSONAL]).set_index("client_id")
    lsoa_of = participants.set_index("client_id")["lsoa_code"]
    directory = (
        personal.assign(lsoa=lsoa_of.reindex(personal.index))
        .dropna(subset=["postcode", "lsoa"])
        .drop_duplicates("postcode")
    )
    (root / "lookups").mkdir(exist_ok=True)
    pd.DataFrame(
        {
            "LSOA code (2011)": lsoas["lsoa_code"],
            "LSOA name (2011)": [f"Anytown {i + 1:03d}A" for i in range(len(lsoas))],
            "Local Authority District code (2019)": "E08000999",
            "Local Authority District name (2019)": "Anytown",
            "Index of Multiple Deprivation (IMD) Rank": lsoas["imd_rank"].astype("Int64"),
            "Index of Multiple Deprivation (IMD) Decile": lsoas["imd_decile"].astype("Int64"),
        }
    ).to_csv(root / "lookups" / "File_1_IoD2019_Index_of_Multiple_Deprivation.csv", index=False)
    pd.DataFrame(
        {
            "pcd": directory["postcode"].str.replace(" ", "").to_numpy(),
            "pcds": directory["postcode"].to_numpy(),
            "lsoa11": directory["lsoa"].to_numpy(),
            "lsoa21": directory["lsoa"].to_numpy(),
        }
    ).to_csv(root / "lookups" / "onspd_extract.csv", index=False)
    period = (config.periods[-1] if config.periods else "latest").replace("-", "")
    for path in extracts:
        path.unlink()
    (root / "mappings").mkdir(exist_ok=True)
    listed = []
    for provider in config.providers:
        slug = provider["slug"]
        if slug not in STYLES:
            continue
        mine = participants[participants["provider"] == provider["name"]]
        frame, mapping = _export(
            slug, mine, measures[measures["client_id"].isin(mine["client_id"])], config, personal
        )
        name = STYLES[slug]["file"].replace("{period}", period)
        _write_export(frame, config.data_dir / "extracts" / name, STYLES[slug])
        target = root / "mappings" / f"{slug}.yml"
        header = (
            f"# How evalkit reads {provider['name']}'s own export ({name}); docs/onboarding.md\n"
        )
        target.write_text(header + yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True))
        listed.append(f"mappings/{slug}.yml")
    raw = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    raw["mappings"] = listed
    raw["geography"] = {
        "imd_lookup": "lookups/File_1_IoD2019_Index_of_Multiple_Deprivation.csv",
        "postcode_lookup": "lookups/onspd_extract.csv",
    }
    return write_config(raw, config_path)
