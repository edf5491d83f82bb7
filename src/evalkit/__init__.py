"""evalkit: a realist-evaluation workbench for integrated health and wellbeing services.

Use it in JupyterLab as ``import evalkit as ek``. Every function takes and returns tidy pandas
DataFrames (as pingouin does); the report pages in ``notebooks/`` are thin narratives over the
same functions.

Evaluation and report
    load_evaluation       The validated data of one report: ``ev.episodes``, ``ev.measures``, ...
    validate_directory    Check every extract; each problem by file, row, column, value and rule.
    run_report            Run the report notebooks (parallel, cached) and publish the HTML.
    init_evaluation       Start a new evaluation folder with a commented evaluation.yml.
    load_config           Read and check an evaluation.yml.
    load_narrative        Read and check the evaluator's narrative.yml (answers, recommendations).
    notebook_paths        A notebook's evaluation and output folder, found when left empty.
    write_demo            Write the synthetic demo evaluation (data, coding, config).
    evaluate              Evaluate a filter expression (CMOC context, KPI) on a table.

Instruments
    score                 Score an instrument (WEMWBS, SWEMWBS, ONS4, PHQ-9, GAD-7, AUDIT-C).
    change                Change between two timepoints, with meaningful and reliable change.
    instrument            The declarative definition of an instrument (items, range, bands).

Outcomes
    before_after          Paired change: mean, CI, t-test / Wilcoxon, effect sizes.
    attrition             Follow-up rates, and followed-up against lost clients.
    sensitivity           Change under complete case, BOCF and multiple imputation.
    for_whom              Change by subgroup (ANCOVA and site mixed model), Holm-adjusted.
    contrast              An outcome inside a context against the rest (the realist link).

People and journeys
    person_table          One row per person: episodes, providers, strands (``ev.people``).
    referrals_between_providers  Referrals from one provider to another within a window.
    time_to_second_service  Days from a person's first referral to their first elsewhere.
    multi_strand_outcomes  An outcome of people on more than one strand against one strand.
    bypassed_single_point  Referrals that bypassed the single point of access.

KPIs and equity
    compute_kpis          Every KPI by period and provider/site, with CI, target and RAG.
    load_kpis             KPI definitions from evaluation.yml, or the default set.
    reach_by_imd_quintile Referrals against the local population by IMD quintile.
    most_deprived_share   Share of referrals from the most deprived areas.
    outcome_by_imd_quintile  An outcome by IMD quintile, with CIs.
    sii                   Slope and relative index of inequality (PHE method).

Realist synthesis
    load_qualitative      Qualitative coding (evalkit CSV, REFI-QDA, Taguette) as tables.
    cmoc_evidence         Evidence tallies per CMOC: sources, sites, stakeholder groups.
    cmoc_outcome_link     Whether the numbers show the outcome pattern each CMOC predicts.

Statistics and disclosure
    wilson_ci             Wilson score interval of a proportion.
    byars_ci              Byar's interval of a count or rate.
    rate_ci               Interval of a rate (exact Poisson below 10 events, Byar's above).
    mean_ci               Student's t interval of a mean.
    funnel_limits         Funnel-plot control limits around a target.
    xmr                   XmR (SPC) chart of a series: limits and special-cause signals.
    xmr_summary           Variation and assurance of an XmR chart (Making Data Count).
    suppress              Small-number suppression of a table (primary and secondary).
    DisclosurePolicy      The small-number rule of a report (threshold, rounding).

Examples
--------
>>> import evalkit as ek
>>> [round(v, 3) for v in ek.wilson_ci(40, 100)]
[0.309, 0.498]
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("evalkit")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

#: Public name -> "module:attribute". Imported on first use, so ``import evalkit`` (and the
#: command line, every notebook and every worker) does not load pandas, statsmodels and
#: matplotlib until something needs them.
API: dict[str, str] = {
    "load_evaluation": "evalkit.data.evaluation:load_evaluation",
    "validate_directory": "evalkit.data.validate:validate_directory",
    "run_report": "evalkit.pipeline.report:run_report",
    "init_evaluation": "evalkit.pipeline.init:init_evaluation",
    "load_config": "evalkit.config:load_config",
    "load_narrative": "evalkit.project.narrative:load_narrative",
    "notebook_paths": "evalkit.project:notebook_paths",
    "write_demo": "evalkit.demo:write_demo",
    "evaluate": "evalkit.data.expressions:evaluate",
    "score": "evalkit.instruments.scoring:score",
    "change": "evalkit.instruments.scoring:change",
    "instrument": "evalkit.instruments.scoring:get",
    "before_after": "evalkit.outcomes.paired:before_after",
    "attrition": "evalkit.outcomes.attrition:attrition",
    "sensitivity": "evalkit.outcomes.sensitivity:sensitivity",
    "for_whom": "evalkit.outcomes.subgroups:for_whom",
    "contrast": "evalkit.outcomes.contrast:contrast",
    "person_table": "evalkit.data.persons:person_table",
    "referrals_between_providers": "evalkit.outcomes.journeys:referrals_between_providers",
    "time_to_second_service": "evalkit.outcomes.journeys:time_to_second_service",
    "multi_strand_outcomes": "evalkit.outcomes.journeys:multi_strand_outcomes",
    "bypassed_single_point": "evalkit.outcomes.journeys:bypassed_single_point",
    "compute_kpis": "evalkit.kpi.compute:compute_kpis",
    "load_kpis": "evalkit.kpi.definitions:load_kpis",
    "reach_by_imd_quintile": "evalkit.equity.deprivation:reach_by_imd_quintile",
    "most_deprived_share": "evalkit.equity.deprivation:most_deprived_share",
    "outcome_by_imd_quintile": "evalkit.equity.deprivation:outcome_by_imd_quintile",
    "sii": "evalkit.equity.deprivation:sii",
    "load_qualitative": "evalkit.qual.tables:load_qualitative",
    "cmoc_evidence": "evalkit.realist.evidence:cmoc_evidence",
    "cmoc_outcome_link": "evalkit.realist.link:cmoc_outcome_link",
    "wilson_ci": "evalkit.stats.intervals:wilson_ci",
    "byars_ci": "evalkit.stats.intervals:byars_ci",
    "rate_ci": "evalkit.stats.intervals:rate_ci",
    "mean_ci": "evalkit.stats.intervals:mean_ci",
    "funnel_limits": "evalkit.stats.funnel:funnel_limits",
    "xmr": "evalkit.stats.spc:xmr",
    "xmr_summary": "evalkit.stats.spc:xmr_summary",
    "suppress": "evalkit.disclosure.suppression:suppress",
    "DisclosurePolicy": "evalkit.config:DisclosurePolicy",
}

__all__ = ["__version__", *API]


def __getattr__(name: str) -> Any:
    if name not in API:
        raise AttributeError(f"module 'evalkit' has no attribute {name!r}")
    module, _, attribute = API[name].partition(":")
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *API})


if TYPE_CHECKING:  # for type checkers and editors; not imported at run time
    from evalkit.config import DisclosurePolicy as DisclosurePolicy
    from evalkit.config import load_config as load_config
    from evalkit.data.evaluation import load_evaluation as load_evaluation
    from evalkit.data.expressions import evaluate as evaluate
    from evalkit.data.persons import person_table as person_table
    from evalkit.data.validate import validate_directory as validate_directory
    from evalkit.demo import write_demo as write_demo
    from evalkit.disclosure.suppression import suppress as suppress
    from evalkit.equity.deprivation import most_deprived_share as most_deprived_share
    from evalkit.equity.deprivation import outcome_by_imd_quintile as outcome_by_imd_quintile
    from evalkit.equity.deprivation import reach_by_imd_quintile as reach_by_imd_quintile
    from evalkit.equity.deprivation import sii as sii
    from evalkit.instruments.scoring import change as change
    from evalkit.instruments.scoring import get as instrument  # noqa: F401 (public name)
    from evalkit.instruments.scoring import score as score
    from evalkit.kpi.compute import compute_kpis as compute_kpis
    from evalkit.kpi.definitions import load_kpis as load_kpis
    from evalkit.outcomes.attrition import attrition as attrition
    from evalkit.outcomes.contrast import contrast as contrast
    from evalkit.outcomes.journeys import bypassed_single_point as bypassed_single_point
    from evalkit.outcomes.journeys import multi_strand_outcomes as multi_strand_outcomes
    from evalkit.outcomes.journeys import (
        referrals_between_providers as referrals_between_providers,
    )
    from evalkit.outcomes.journeys import time_to_second_service as time_to_second_service
    from evalkit.outcomes.paired import before_after as before_after
    from evalkit.outcomes.sensitivity import sensitivity as sensitivity
    from evalkit.outcomes.subgroups import for_whom as for_whom
    from evalkit.pipeline.init import init_evaluation as init_evaluation
    from evalkit.pipeline.report import run_report as run_report
    from evalkit.project import notebook_paths as notebook_paths
    from evalkit.project.narrative import load_narrative as load_narrative
    from evalkit.qual.tables import load_qualitative as load_qualitative
    from evalkit.realist.evidence import cmoc_evidence as cmoc_evidence
    from evalkit.realist.link import cmoc_outcome_link as cmoc_outcome_link
    from evalkit.stats.funnel import funnel_limits as funnel_limits
    from evalkit.stats.intervals import byars_ci as byars_ci
    from evalkit.stats.intervals import mean_ci as mean_ci
    from evalkit.stats.intervals import rate_ci as rate_ci
    from evalkit.stats.intervals import wilson_ci as wilson_ci
    from evalkit.stats.spc import xmr as xmr
    from evalkit.stats.spc import xmr_summary as xmr_summary
