"""The expression language: hostile input is refused with no side effect; real input still works.

Every hostile expression below would, if run, create a marker file. Each test checks both that
evalkit refuses the expression with a clear :class:`ExpressionError` and that the marker is not
there afterwards. A control shows that pandas' own ``DataFrame.eval`` (what evalkit used before)
does run the first of them, so the marker check can fail.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.data.expressions import MAX_LENGTH, evaluate, parse_expression
from evalkit.data.validate import validate_directory
from evalkit.demo import write_demo
from evalkit.demo.truths import PLANTED
from evalkit.errors import ConfigError, ExpressionError
from evalkit.kpi import compute_kpis, load_kpis
from evalkit.outcomes import contrast
from evalkit.realist.link import cmoc_outcome_link

FRAME = pd.DataFrame(
    {
        "age": pd.array([70, 30, None, 45], dtype="Int64"),
        "imd_quintile": pd.array([1, 2, 1, 5], dtype="Int64"),
        "delivery_mode": ["peer_led", "digital", "peer_led", None],
        "wemwbs_change": [4.0, np.nan, -2.0, 7.0],
        "started": [True, True, False, True],
        "completed": pd.array([True, None, False, False], dtype="boolean"),
    }
)


def hostile(marker: Path) -> list[str]:
    """At least 30 expressions that try to run code; each would create ``marker`` if run."""
    cmd = f"touch {marker}"
    imp = f"__import__('os').system('{cmd}')"
    return [
        f"@pd.io.common.os.system('{cmd}') == 0",
        f"@os.system('{cmd}')",
        "age == @x",
        imp,
        f"{imp} == 0",
        f"age > 1 and {imp} == 0",
        f"os.system('{cmd}')",
        f"open('{marker}', 'w')",
        f"open('{marker}', 'w').write('x') > 0",
        f"(lambda: {imp})()",
        f"[{imp} for _ in [1]]",
        f"{{{imp} for _ in [1]}}",
        f"{{k: {imp} for k in [1]}}",
        f"({imp} for _ in [1])",
        f'exec("{imp}")',
        f'eval("{imp}")',
        f"getattr(__import__('os'), 'system')('{cmd}')",
        "globals()",
        "__builtins__",
        "age.__class__",
        "age.__class__.__mro__[1].__subclasses__()",
        "().__class__.__bases__[0].__subclasses__()",
        f"age.apply(lambda v: {imp})",
        f"age.pipe(lambda v: {imp})",
        "delivery_mode.str.contains('peer')",
        "age.between.__globals__",
        "age[0] == 70",
        f'f"{{{imp}}}" == ""',
        f"(x := {imp})",
        f"{imp} if age > 1 else 0",
        f"between(age, 1, 2, key={imp})",
        f"abs(*[{imp}])",
        "breakpoint()",
        f"print({imp})",
        f"age > 1; {imp}",
        f"age > 1\n{imp}",
        f"`age` > 1 or {imp} == 0",
        "10 ** 10 ** 10 > 1",
        "'a' * 1000000000 == 'a'",
        "age in [" + ",".join(["1"] * 480) + "]",
        "(" * 200 + "age" + ")" * 200 + " > 1",
        "not " * 40 + "started",
        "age > " + "1" * (MAX_LENGTH + 1),
        f"type(age) == int or {imp} == 0",
        f"sys.modules['os'].system('{cmd}')",
        "age is None",
        f"age == 1\x00 or {imp}",
    ]


def _refused(text: str, marker: Path, run) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        run(text)
    assert not marker.exists(), f"{text!r} ran code"
    message = str(caught.value)
    assert "is refused" in message and caught.value.problem
    return caught.value


def test_the_corpus_is_large_and_pandas_eval_does_run_it(tmp_path):
    marker = tmp_path / "ran"
    corpus = hostile(marker)
    assert len(corpus) >= 30
    # control: pandas' eval, the mechanism evalkit used before, runs the first expression
    frame = pd.DataFrame({"age": [1]})
    pd_local = {"pd": pd}
    frame.eval(corpus[0], engine="python", local_dict=pd_local)
    assert marker.exists()


@pytest.mark.parametrize("index", range(len(hostile(Path("m")))))
def test_hostile_expression_is_refused_with_no_side_effect(tmp_path, index):
    marker = tmp_path / "ran"
    text = hostile(marker)[index]
    error = _refused(text, marker, lambda t: evaluate(FRAME, t, where="qual/cmocs.csv row 2"))
    assert error.where == "qual/cmocs.csv row 2"
    assert str(error).startswith("qual/cmocs.csv row 2: the expression")


@pytest.mark.parametrize("index", [0, 3, 9, 10, 19, 26, 36])
def test_hostile_kpi_and_context_are_refused_on_every_path(tmp_path, index):
    marker = tmp_path / "ran"
    text = hostile(marker)[index]
    kpi = {"id": "k", "title": "K", "numerator": text, "denominator": "all", "unit": "count"}
    _refused(text, marker, lambda t: load_kpis([kpi]))
    _refused(text, marker, lambda t: contrast(FRAME, "wemwbs_change", t, min_n=1))
    cmocs = pd.DataFrame(
        {
            "cmoc_id": ["C1"],
            "programme_theory": ["PT1"],
            "status": ["initial"],
            "context_filter": [text],
            "outcome_measure": ["wemwbs_change"],
            "expected_direction": ["higher"],
        }
    )
    _refused(text, marker, lambda t: cmoc_outcome_link(cmocs, FRAME, min_n=1))


def test_size_limits_are_each_enforced_on_their_own():
    def problem(start: str) -> str:
        (text,) = [t for t in hostile(Path("unused")) if t.startswith(start)]
        with pytest.raises(ExpressionError) as caught:
            parse_expression(text)
        return caught.value.problem

    assert "too complex" in problem("age in [1,1")  # 480 list items: too many parts
    assert "too complex" in problem("not not")  # 40 levels of 'not'
    assert "nests brackets" in problem("((((")
    assert "characters long" in problem("age > 111")
    assert "f-string" in problem('f"{')


def test_kpi_error_names_the_config_key_path():
    kpi = {"id": "k", "title": "K", "numerator": "age.__class__", "denominator": "all"}
    with pytest.raises(ExpressionError) as caught:
        load_kpis(
            [
                {
                    "id": "a",
                    "title": "A",
                    "numerator": "started",
                    "denominator": "all",
                    "unit": "count",
                },
                {**kpi, "unit": "count"},
            ]
        )
    assert caught.value.where == "evaluation.yml kpis[1] numerator (KPI 'k')"
    assert caught.value.token == "age.__class__" and caught.value.position == 1
    assert isinstance(caught.value, ConfigError)  # callers catching config errors still do


def test_position_and_token_point_at_the_offence():
    with pytest.raises(ExpressionError) as caught:
        parse_expression("imd_quintile == 1 and delivery_mode.upper() == 'X'")
    assert caught.value.token == "upper" and caught.value.position == 23
    with pytest.raises(ExpressionError) as caught:
        parse_expression("age > 1 & @secret")
    assert caught.value.token == "@" and caught.value.position == 11
    with pytest.raises(ExpressionError) as caught:
        parse_expression("age >> 1")
    assert caught.value.token == ">>"
    with pytest.raises(ExpressionError, match="not valid") as caught:
        parse_expression("age >= ")
    assert caught.value.position is not None


def test_unknown_column_names_the_nearest_few_not_all():
    columns = [f"col_{i}" for i in range(140)] + ["wemwbs_change", "wemwbs_baseline"]
    expression = parse_expression("wemwbs_chnage >= 3", where="kpis[0].numerator")
    with pytest.raises(ExpressionError) as caught:
        expression.check_columns(columns)
    error = caught.value
    assert error.suggestions[0] == "wemwbs_change" and len(error.suggestions) <= 5
    assert "col_17" not in str(error) and error.token == "wemwbs_chnage"


def test_language_semantics_on_a_hand_worked_frame():
    def values(text):
        return evaluate(FRAME, text).astype(object).where(lambda s: s.notna(), None).tolist()

    assert values("imd_quintile == 1 and delivery_mode == 'peer_led'") == [True, False, True, False]
    # '&' and '|' bind like 'and' and 'or', as in pandas' eval
    assert values("imd_quintile == 1 & age >= 65") == [True, False, None, False]
    assert values("imd_quintile == 5 | started == False") == [False, False, True, True]
    assert values("not started") == [False, False, True, False]
    assert values("~started") == [False, False, True, False]
    assert values("18 <= age < 65") == [False, True, None, True]
    assert values("delivery_mode in ['digital', 'peer_led']") == [True, True, True, False]
    assert values("delivery_mode not in ('digital',)") == [True, False, True, True]
    assert values("wemwbs_change.notna()") == [True, False, True, True]
    assert values("isna(wemwbs_change)") == [False, True, False, False]
    assert values("age.between(30, 45)") == [False, True, None, True]
    assert values("between(age, 46, 200)") == [True, False, None, False]
    assert values("abs(wemwbs_change) >= 3") == [True, False, False, True]
    assert values("wemwbs_change * 2 - 1 > 6") == [True, False, False, True]
    assert values("wemwbs_change ** 2 >= 16") == [True, False, False, True]
    assert values("completed or started") == [True, True, False, True]  # Kleene: NA or True
    assert values("completed and started") == [True, None, False, False]
    assert values("True") == [True] * 4
    assert values("age % 2 == 0") == [True, True, None, False]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("delivery_mode > 3", "cannot be computed"),
        ("'a' + age > 1", "numbers only"),
        ("delivery_mode in age", "must be followed by a list"),
        ("age in [started]", "literal values only"),
        ("age == [1, 2]", "may only follow 'in'"),
        ("age in [1] == True", "cannot be chained"),
        ("between(age, 1)", "takes 3"),
        ("age == None", "isna()"),
        ("isna", "not a column"),
        ("", "blank"),
    ],
)
def test_misuse_is_refused_with_a_reason(text, problem):
    with pytest.raises(ExpressionError, match="refused") as caught:
        evaluate(FRAME, text)
    assert problem in caught.value.problem


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("expr") / "demo"
    return write_demo(root, episodes=600, seed=7).parent


@pytest.fixture(scope="module")
def demo_episodes(demo):
    from evalkit.data.evaluation import load_evaluation

    return load_evaluation(demo / "evaluation.yml").episodes


def test_demo_and_default_expressions_give_what_pandas_eval_gave(demo, demo_episodes):
    """Every expression the demo and the default KPIs use, against pandas' eval as before."""
    episodes = demo_episodes
    cmoc_filters = pd.read_csv(demo / "qual" / "cmocs.csv")["context_filter"].dropna()
    expressions = {
        *cmoc_filters,
        *(e.context_filter for e in PLANTED.effects),
        *(e.comparison_filter for e in PLANTED.effects if getattr(e, "comparison_filter", None)),
        *(c.context_filter for c in PLANTED.cmocs),
        *(x for k in load_kpis() for x in k.expressions() if x != "all"),
    }
    assert len(expressions) >= 20
    for text in sorted(expressions):
        ours = evaluate(episodes, text)
        theirs = episodes.eval(text, engine="python")
        pd.testing.assert_series_equal(ours, theirs, check_names=False, obj=text)


def test_default_kpis_compute_as_before(demo_episodes):
    """The default KPI table equals one computed with pandas' eval as the numerator/denominator."""
    table = compute_kpis(demo_episodes, levels=["service"])
    for kpi in load_kpis():
        if kpi.unit == "mean" or kpi.has_population_denominator:
            continue
        denominator = (
            pd.Series(True, index=demo_episodes.index)
            if kpi.denominator == "all"
            else demo_episodes.eval(str(kpi.denominator), engine="python").fillna(False)
        ).astype(bool)
        numerator = (
            pd.Series(True, index=demo_episodes.index)
            if kpi.numerator == "all"
            else demo_episodes.eval(kpi.numerator, engine="python").fillna(False)
        ).astype(bool)
        rows = table[table["kpi_id"] == kpi.id]
        assert rows["numerator"].sum() == (numerator & denominator).sum(), kpi.id


def _rewrite_cmocs(demo: Path, target: Path, filters: dict[int, str]) -> None:
    shutil.copytree(demo, target)
    shutil.rmtree(target / "validated", ignore_errors=True)
    path = target / "qual" / "cmocs.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for index, text in filters.items():
        rows[index]["context_filter"] = text
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_validate_refuses_hostile_and_misspelt_filters_and_quarantines_the_rows(demo, tmp_path):
    from evalkit.config import load_config

    marker = tmp_path / "ran"
    target = tmp_path / "evaluation"
    _rewrite_cmocs(
        demo, target, {0: hostile(marker)[0], 2: "age >= 65 and delivery_mod == 'digital'"}
    )
    result = validate_directory(target, load_config(target / "evaluation.yml"))
    assert not marker.exists()
    errors = result.errors[result.errors["table"] == "cmocs"]
    assert errors[["file", "row", "column"]].values.tolist() == [
        ["qual/cmocs.csv", 2, "context_filter"],
        ["qual/cmocs.csv", 4, "context_filter"],
    ]
    assert errors.iloc[0]["value"] == hostile(marker)[0]
    assert "'@'" in errors.iloc[0]["rule"] and "character 1" in errors.iloc[0]["rule"]
    assert "delivery_mode" in errors.iloc[1]["hint"] and errors.iloc[1]["hint"].count(",") < 5
    assert sorted(result.quarantine["cmocs"]["source_row"]) == [2, 4]
    recon = result.reconciliation.set_index("table").loc["cmocs"]
    assert recon["read"] == recon["kept"] + recon["quarantined"] and recon["quarantined"] == 2


def test_validate_checks_kpi_expressions_against_the_episode_columns(demo, tmp_path):
    from evalkit.config import load_config

    target = tmp_path / "evaluation"
    shutil.copytree(demo, target)
    config = target / "evaluation.yml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "kpis:\n  - id: k\n    title: K\n    numerator: wembws_change >= 3\n"
        "    denominator: all\n    unit: proportion\n",
        encoding="utf-8",
    )
    result = validate_directory(target, load_config(config))
    error = result.errors[result.errors["table"] == "kpis"].iloc[0]
    assert error["file"] == "evaluation.yml kpis[0]" and error["column"] == "numerator"
    assert "'wembws_change' is not a column" in error["rule"]
    assert error["hint"].startswith("Nearest columns: wemwbs_change")
