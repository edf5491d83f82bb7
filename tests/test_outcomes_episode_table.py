"""The outcome functions take the episode table as well as the long scored table.

On the synthetic demo, each public outcome function gives the same result from ``ev.episodes``
(``wemwbs_baseline`` / ``wemwbs_exit``) as from the long scored table (``client_id``,
``timepoint``, ``wemwbs_total``); and a missing column is reported by name, with what it is
needed for and its nearest neighbours, never with the whole column list.
"""

import pandas as pd
import pytest

import evalkit as ek
from evalkit.errors import StatisticsError
from evalkit.instruments import instrument_settings


@pytest.fixture(scope="module")
def ev(tmp_path_factory):
    config = ek.write_demo(tmp_path_factory.mktemp("episodes") / "demo", episodes=400, seed=11)
    return ek.load_evaluation(config)


def scored_long(ev, name: str) -> pd.DataFrame:
    """The long scored table of one instrument, scored with the evaluation's settings."""
    return ek.score(ev.measures, name, **instrument_settings(ev.config, name))


@pytest.mark.parametrize("name", ["wemwbs", "swemwbs", "phq9", "gad7"])
def test_before_after_same_from_both_tables(ev, name):
    column = ek.instrument(name).score_column
    from_long = ek.before_after(scored_long(ev, name), column)
    assert from_long.loc[0, "n_paired"] > 0
    from_episodes = ek.before_after(ev.episodes, name)
    assert from_episodes.loc[0, "measure"] == name
    pd.testing.assert_frame_equal(
        from_episodes.drop(columns="measure"), from_long.drop(columns="measure")
    )
    # the long table's score column names the same score in the episode table
    pd.testing.assert_frame_equal(ek.before_after(ev.episodes, column), from_long)


@pytest.mark.parametrize("by", ["site", "imd_quintile", "age_band"])
def test_before_after_by_group_same_from_both_tables(ev, by):
    long = scored_long(ev, "wemwbs").merge(ev.participants[["client_id", by]], on="client_id")
    from_long = ek.before_after(long, "wemwbs_total", by=by)
    from_episodes = ek.before_after(ev.episodes, "wemwbs_total", by=by)
    assert len(from_episodes) >= ev.episodes[by].nunique() > 1
    pd.testing.assert_frame_equal(from_episodes, from_long)


def test_attrition_sensitivity_for_whom_same_from_both_tables(ev):
    long = scored_long(ev, "wemwbs")
    pd.testing.assert_frame_equal(
        ek.attrition(ev.participants, ev.episodes, "wemwbs_total"),
        ek.attrition(ev.participants, long, "wemwbs_total"),
    )
    covariates = {"participants": ev.participants, "covariates": ["age", "sex"]}
    pd.testing.assert_frame_equal(
        ek.sensitivity(ev.episodes, "wemwbs_total", **covariates),
        ek.sensitivity(long, "wemwbs_total", **covariates),
    )
    pd.testing.assert_frame_equal(
        ek.for_whom(ev.episodes, ev.participants, "wemwbs_total", ["sex"], ["age"]),
        ek.for_whom(long, ev.participants, "wemwbs_total", ["sex"], ["age"]),
    )
    # the episode table also serves as the participants table: it has every participants column
    pd.testing.assert_frame_equal(
        ek.attrition(ev.episodes, ev.episodes, "wemwbs"),
        ek.attrition(ev.participants, ev.episodes, "wemwbs"),
    )


def test_missing_column_names_the_few_that_matter(ev):
    assert ev.episodes.shape[1] >= 140
    with pytest.raises(StatisticsError) as caught:
        ek.before_after(ev.episodes, "wembws")
    message = str(caught.value)
    assert "'wembws_baseline', the wembws score at baseline" in message
    assert "nearest columns: wemwbs_baseline" in message
    assert "'wembws_exit'" in message and "wemwbs_exit" in message
    assert "no 'timepoint' column" in message  # says how the table was read
    assert "lsoa_code" not in message and "referral_source" not in message
    assert len(message.splitlines()) <= 5

    with pytest.raises(StatisticsError, match="'wemwbs_exti'.*nearest columns: wemwbs_exit"):
        ek.before_after(ev.episodes, "wemwbs", followup="exti")
    with pytest.raises(StatisticsError, match="'sitee', the column to split the results by"):
        ek.before_after(ev.episodes, "wemwbs", by="sitee")
    with pytest.raises(StatisticsError, match="'ethnicty', a characteristic.*ethnicity"):
        ek.attrition(ev.participants, ev.episodes, "wemwbs", characteristics=["ethnicty"])
    with pytest.raises(StatisticsError, match="'imd_quintle', a factor.*imd_quintile"):
        ek.for_whom(ev.episodes, ev.participants, "wemwbs", ["imd_quintle"])
    with pytest.raises(StatisticsError, match="'wemwbs_basline', the baseline score"):
        ek.contrast(ev.episodes, "wemwbs_change", "age >= 65", baseline="wemwbs_basline")


def test_missing_column_of_a_wide_long_table():
    filler = {f"extract_field_{i:03d}": [0.0] * 2 for i in range(137)}
    scored = pd.DataFrame(
        {"client_id": ["a", "a"], "timepoint": ["baseline", "exit"], "wemwbs_total": [40, 45]}
        | filler
    )
    assert scored.shape[1] == 140
    with pytest.raises(StatisticsError) as caught:
        ek.before_after(scored, "wemwbs_totl")
    message = str(caught.value)
    assert "'wemwbs_totl', the score to compare; nearest columns: wemwbs_total" in message
    assert "the table has 140 columns" in message
    assert "extract_field" not in message


def test_episode_table_errors(ev):
    twice = pd.concat([ev.episodes, ev.episodes.iloc[[3]]], ignore_index=True)
    first = ev.episodes.loc[3, "client_id"]
    with pytest.raises(StatisticsError, match=f"client '{first}' has 2 rows"):
        ek.before_after(twice, "wemwbs")
    with pytest.raises(StatisticsError, match="'site_baseline' must hold numbers"):
        ek.before_after(ev.episodes.assign(site_baseline="N", site_exit="S"), "site")
