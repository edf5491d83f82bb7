"""Disclosure control: suppression against NHS rules and an independent attacker; identifier scan.

Expectations come from /work/shared/reference/measures.md §10 (NHS Digital: counts 1-7 shown
as '*', 8 and over shown, zero shown; rounding to the nearest 5), from hand-worked tables, and
from an attacker that uses scipy's linear programming to bound every hidden cell from the row
and column totals (the standard audit of cell suppression).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import linprog

from evalkit.config import DisclosurePolicy
from evalkit.disclosure.scan import identifiers_in_extract, scan_disclosure, scan_html
from evalkit.disclosure.suppression import (
    percent_pins_count,
    round_counts,
    rule_statement,
    share_candidates,
    share_withheld,
    suppress,
    suppression_mask,
)
from evalkit.errors import DisclosureError
from evalkit.present.tables import show_table, table_html


def lp_bounds(original: np.ndarray, hidden: np.ndarray, threshold: int = 8, targets=None):
    """Smallest and largest value each hidden cell (or each of ``targets``) can take: an
    attacker's best knowledge. The attacker knows the shown cells, that cells are >= 0, and
    every row and column total that may itself be published (0 or >= threshold; a total of
    1..threshold-1 is a small number and is suppressed wherever it appears)."""
    cells = [tuple(c) for c in np.argwhere(hidden)]
    rows, cols = original.shape
    equations, totals = [], []
    lines = [(original[i], hidden[i], lambda c, i=i: c[0] == i) for i in range(rows) if cols > 1]
    lines += [
        (original[:, j], hidden[:, j], lambda c, j=j: c[1] == j) for j in range(cols) if rows > 1
    ]
    for line, line_hidden, contains in lines:
        total = line.sum()
        if total == 0 or total >= threshold:
            equations.append([1.0 if contains(c) else 0.0 for c in cells])
            totals.append(total - line[~line_hidden].sum())
    if not equations:  # a lone cell: no total constrains it
        return {cell: (0.0, np.inf) for cell in cells}
    bounds = {}
    for k, cell in enumerate(cells):
        if targets is not None and cell not in targets:
            continue
        objective = np.zeros(len(cells))
        objective[k] = 1.0
        low = linprog(objective, A_eq=equations, b_eq=totals, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=equations, b_eq=totals, bounds=(0, None), method="highs")
        bounds[cell] = (low.fun, np.inf if high.status == 3 else -high.fun)  # 3: unbounded
    return bounds


def test_nhs_threshold_suppresses_one_to_seven_and_shows_zero_and_eight():
    # measures.md §10: "between 1 and 7 inclusive ... '*'"; ">=8 the value is shown"; 0 -> 0.
    table = pd.DataFrame({"n": [0, 1, 7, 8, 40]}, index=list("abcde"))
    mask = suppression_mask(table, secondary="rows")  # rows have one cell: no complement
    assert mask["n"].tolist() == ["", "primary", "primary", "", ""]


def test_secondary_suppression_stops_the_leak_that_primary_alone_leaves():
    # Quitters by site. Primary suppression hides North's 3. The row total 53 (3 + 20 + 30) is
    # published elsewhere in the report, so 53 - 20 - 30 = 3 gives it back; the column total
    # 43 (3 + 40) gives it back too.
    table = pd.DataFrame(
        {"North": [3, 40], "South": [20, 25], "East": [30, 35]}, index=["quit", "not_quit"]
    )
    original = table.to_numpy(dtype=float)
    primary_only = suppression_mask(table).to_numpy() == "primary"
    leaked = lp_bounds(original, primary_only)
    assert leaked[(0, 0)] == pytest.approx((3.0, 3.0))  # the attacker recovers it exactly

    hidden = suppression_mask(table).to_numpy() != ""
    # Hand-worked: row "quit" also hides its smallest other cell (South 20); column North
    # hides 40; column South then has one hidden cell, so 25 goes too.
    assert hidden.tolist() == [[True, True, False], [True, True, False]]
    low, high = lp_bounds(original, hidden)[(0, 0)]
    assert (low, high) == pytest.approx((0.0, 23.0))  # 3 is only known to be in 0..23


def test_suppress_blanks_hidden_cells_and_keeps_the_rest_unchanged():
    table = pd.DataFrame({"site": ["North", "South", "East"], "referrals": [5, 120, 98]})
    shown = suppress(table)
    assert shown["referrals"].isna().tolist() == [True, False, True]  # 5, and 98 to protect it
    assert shown.loc[1, "referrals"] == 120
    assert shown["site"].tolist() == ["North", "South", "East"]


def test_percentages_from_suppressed_counts_are_suppressed():
    table = pd.DataFrame(
        {"quit": [4, 30, 45], "percent": [40.0, 60.0, 75.0]}, index=["North", "South", "East"]
    )
    mask = suppression_mask(table, count_columns=["quit"], derived_columns={"percent": "quit"})
    assert mask["percent"].tolist() == ["derived", "derived", ""]
    shown = suppress(table, count_columns=["quit"], derived_columns={"percent": "quit"})
    assert shown["percent"].isna().tolist() == [True, True, False]
    assert shown.loc["East", "percent"] == 75.0


def test_totals_are_chosen_as_complements_only_when_nothing_else_is_left():
    table = pd.DataFrame({"n": [3, 50, 9, 62]}, index=["North", "South", "East", "Total"])
    mask = suppression_mask(table)
    assert mask["n"].tolist() == ["primary", "", "secondary", ""]  # 9, not the total 62


def test_rounding_to_nearest_five_after_suppression_decided_on_raw_counts():
    # measures.md §10: ">=8 -> rounded to the nearest 5": 12 -> 10, 13 -> 15, 102 -> 100.
    assert round_counts(pd.Series([0, 12, 13, 102, 8])).tolist() == [0, 10, 15, 100, 10]
    shown = suppress(pd.DataFrame({"n": [12, 13, 102]}), round_to=5)
    assert shown["n"].tolist() == [10, 15, 100]


def test_not_a_count_is_an_error_naming_row_and_column():
    with pytest.raises(DisclosureError, match=r"row 'b', column 'n': value 2.5 is not a count"):
        suppress(pd.DataFrame({"n": [10, 2.5]}, index=["a", "b"]), count_columns=["n"])
    with pytest.raises(DisclosureError, match="not in the table"):
        suppress(pd.DataFrame({"n": [10]}), count_columns=["people"])


tables = arrays(
    np.int64,
    st.tuples(st.integers(1, 5), st.integers(1, 4)),
    elements=st.integers(0, 30),
)


def publishable_lines(values: np.ndarray, threshold: int):
    """Rows and columns (value and index arrays) whose total may be shown: 0 or >= threshold."""
    rows, cols = values.shape
    lines = [(values[i], (np.full(cols, i), np.arange(cols))) for i in range(rows)]
    lines += [(values[:, j], (np.arange(rows), np.full(rows, j))) for j in range(cols)]
    return [
        (line, where)
        for line, where in lines
        if line.size >= 2 and (line.sum() == 0 or line.sum() >= threshold)
    ]


@settings(max_examples=60, deadline=None)
@given(tables, st.sampled_from([5, 8, 10]))
def test_property_no_small_count_shown_and_no_hidden_cell_pinned_down(values, threshold):
    table = pd.DataFrame(values, columns=[f"c{j}" for j in range(values.shape[1])])
    small = {tuple(c) for c in np.argwhere((values > 0) & (values < threshold))}
    try:
        mask = suppression_mask(table, threshold)
    except DisclosureError:
        # Claimed unprotectable: even with every cell hidden except the known zeros of
        # zero-total lines, the attacker pins a small count.
        everything = np.ones_like(values, dtype=bool)
        for line, where in publishable_lines(values, threshold):
            if line.sum() == 0:
                everything[where] = False
        bounds = lp_bounds(values.astype(float), everything, threshold, small)
        assert any(high - low < 0.5 for low, high in bounds.values())
        return
    hidden = mask.to_numpy() != ""
    # Primary: every count in 1..threshold-1 is hidden; shown cells keep their values.
    assert not ((values > 0) & (values < threshold) & ~hidden).any()
    shown = suppress(table, threshold)
    assert (shown.to_numpy(dtype=float, na_value=np.nan)[~hidden] == values[~hidden]).all()
    # Secondary: the attacker cannot pin any hidden small count to one value.
    for cell, (low, high) in lp_bounds(values.astype(float), hidden, threshold, small).items():
        assert high - low > 0.5, (values.tolist(), hidden.tolist(), cell)


def test_table_html_is_accessible_and_explains_suppression():
    table = pd.DataFrame(
        {"referrals": [5, 120, 98], "percent": [2.2, 53.8, 44.0]},
        index=pd.Index(["North", "South", "East"], name="Site"),
    )
    markup = table_html(
        table,
        caption="Referrals <by> site",
        count_columns=["referrals"],
        derived_columns={"percent": "referrals"},
        formats={"percent": "{:.1f}%"},
    )
    assert "<caption>Referrals &lt;by&gt; site</caption>" in markup
    assert '<th scope="col">Site</th><th scope="col" class="number">referrals</th>' in markup
    # Counts of people are marked for the pre-publish small-number scan.
    assert '<tr><th scope="row">South</th><td class="number count">120</td>' in markup
    assert "53.8%" in markup and "2.2%" not in markup and "44.0%" not in markup
    assert markup.count('<td class="suppressed">*</td>') == 4
    assert "fewer than 8 people" in markup


def test_table_html_multiindex_rows_and_threshold_zero_shows_everything():
    table = pd.DataFrame(
        {"Read": [3, 1200], "Kept": [3, 1150]},
        index=pd.MultiIndex.from_tuples(
            [("North", "measures"), ("North", "participants")], names=["Provider", "Table"]
        ),
    )
    markup = table_html(table, caption="Records", threshold=0)
    assert '<th scope="col">Provider</th><th scope="col">Table</th>' in markup
    assert '<th scope="row">North</th><th scope="row">participants</th>' in markup
    assert "suppressed" not in markup and "1,200" in markup


def test_show_table_displays_even_inside_a_branch(monkeypatch):
    shown = []
    monkeypatch.setattr("evalkit.present.tables.display", shown.append)
    if True:  # a returned object would not be displayed here in a notebook
        show_table(pd.DataFrame({"n": [10, 20]}), caption="Counts")
    assert len(shown) == 1 and "<caption>Counts</caption>" in shown[0].data


# ------------------------------------------------------------------------ identifiers


def test_identifiers_read_from_csv_and_xlsx_with_provider_column_names(tmp_path):
    csv = tmp_path / "north_participants.csv"
    csv.write_bytes(
        "Client ID,NHS No,DOB,Post Code,site\n"
        "NT-000101,943 476 5919,02/03/1980,ab1 2cd,Nörth\n"
        "NT-000102,123,1975-12-31,AB1,North\n".encode("cp1252")
    )
    found = identifiers_in_extract(csv)
    assert sorted(map(tuple, found.to_numpy().tolist())) == [
        ("client_id", "NT-000101"),
        ("client_id", "NT-000102"),
        ("date_of_birth", "1975-12-31"),
        ("date_of_birth", "1980-03-02"),
        ("nhs_number", "9434765919"),  # "123" is not NHS-number shaped: left out
        ("postcode", "AB12CD"),  # "AB1" is a partial postcode: left out
    ]
    xlsx = tmp_path / "south_participants.xlsx"
    pd.DataFrame({"client_id": ["ST-9"], "postcode": ["ZX9 8YW"]}).to_excel(xlsx, index=False)
    assert identifiers_in_extract(xlsx).to_numpy().tolist() == [
        ["client_id", "ST-9"],
        ["postcode", "ZX98YW"],
    ]


def _page(tmp_path, body: str):
    page = tmp_path / "page.html"
    page.write_text(f"<html><body>\n{body}\n</body></html>", encoding="utf-8")
    return page


IDS = pd.DataFrame(
    {
        "kind": ["client_id", "client_id", "nhs_number", "postcode", "date_of_birth"],
        "value": ["NT-000123", "42", "9434765919", "AB12CD", "1980-03-02"],
    }
)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("<td>NT-000123</td>", "client_id"),
        ('<img alt="client NT&#45;000123 improved" src="x.png">', "client_id"),
        ("NHS 943 476 5919", "nhs_number"),
        ("<p>lives at ab1 2cd</p>", "postcode"),
        ("<p>AB12CD</p>", "postcode"),
        ("born 02/03/1980", "date_of_birth"),
        ("born 1980-03-02", "date_of_birth"),
    ],
)
def test_scan_finds_each_kind_of_identifier_however_it_is_written(tmp_path, body, kind):
    hits = scan_html([_page(tmp_path, body)], IDS)
    assert hits["kind"].tolist() == [kind]
    assert hits["line"].tolist() == [2]
    assert hits["value"].str.contains(r"\*").all()  # the report of a leak is masked


def test_scan_ignores_embedded_images_short_ids_and_longer_tokens(tmp_path):
    body = (
        '<img alt="chart" src="data:image/png;base64,QUJDTlQtMDAwMTIzTlQtMDAwMTIz+/NT-000123=">'
        "<p>42 people; NT-0001234 is another id; 09434765919 is not an NHS number</p>"
    )
    assert scan_html([_page(tmp_path, body)], IDS).empty


def test_a_small_count_the_totals_give_away_whatever_is_hidden_is_an_error():
    # Threshold 5. Row totals 6 and 0, column totals 5 and 1. The zero row shows the bottom
    # cells are 0, so column 1's total gives 5, and row 1's total gives 6 - 5 = 1.
    table = pd.DataFrame({"a": [5, 0], "b": [1, 0]}, index=["x", "y"])
    with pytest.raises(DisclosureError, match=r"row 'x', column 'b'.*worked out from the table"):
        suppression_mask(table, 5)
    # If only column totals are published (column b's total is 1, itself suppressed), hiding
    # the 1 is enough.
    assert suppression_mask(table, 5, secondary="columns")["b"].tolist() == ["primary", ""]


# ------------------------------------------------------------------------ identifiers in workbooks


def _typed_workbook(path):
    """A participants workbook written cell by cell, so each cell has a real Excel type."""
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Client ID", "NHS No", "DOB", "Post Code", "Referral date"])
    sheet.append(
        [" NT-000101 ", 9434765919, dt.date(1980, 3, 2), "ab1 2cd", dt.datetime(2025, 7, 15, 9, 30)]
    )
    sheet.append(["NT-000102", "401 023 2137", dt.datetime(1975, 12, 31, 13, 45), None, None])
    sheet.append([100234, None, "02/03/1980", "ZX9 8YW", None])
    sheet.append([None, 123, None, "AB1", dt.datetime(2025, 8, 1)])
    sheet["C2"].number_format = "dd/mm/yyyy"
    sheet["C3"].number_format = "dd/mm/yyyy hh:mm"
    book.save(path)
    return path


# Worked out by hand from identifiers_in_extract's rules: column by column, in row order.
TYPED_WORKBOOK_IDENTIFIERS = [
    ["client_id", "NT-000101"],  # surrounding spaces stripped
    ["client_id", "NT-000102"],
    ["client_id", "100234"],  # a number cell: its digits, no ".0"; the blank cell is skipped
    ["nhs_number", "9434765919"],  # stored as a number
    ["nhs_number", "4010232137"],  # stored as text with spaces; 123 is not NHS-number shaped
    ["date_of_birth", "1980-03-02"],  # a date cell; the text "02/03/1980" is the same date
    ["date_of_birth", "1975-12-31"],  # a date-time cell: the time of day is dropped
    ["postcode", "AB12CD"],  # lower case with a space; "AB1" is a partial postcode
    ["postcode", "ZX98YW"],
]  # "Referral date" is not an identifier column: its dates are not read


def test_identifiers_from_typed_xlsx_cells_are_normalised_like_text(tmp_path):
    xlsx = _typed_workbook(tmp_path / "north_participants.xlsx")
    assert identifiers_in_extract(xlsx).to_numpy().tolist() == TYPED_WORKBOOK_IDENTIFIERS


def test_identifiers_from_xlsx_are_those_openpyxl_reads(tmp_path):
    from evalkit.disclosure.scan import _identifiers_in_frame, _is_identifier_column

    xlsx = _typed_workbook(tmp_path / "north_participants.xlsx")
    by_openpyxl = _identifiers_in_frame(
        pd.read_excel(xlsx, usecols=_is_identifier_column, dtype=str, engine="openpyxl")
    )
    assert set(map(tuple, by_openpyxl.to_numpy().tolist())) == set(
        map(tuple, identifiers_in_extract(xlsx).to_numpy().tolist())
    )


def test_identifiers_from_xlsx_come_from_the_first_worksheet_not_a_chart_sheet(tmp_path):
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    book = Workbook()
    sheet = book.active
    sheet.append(["client_id", "sessions"])
    sheet.append(["NT-000101", 4])
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=2))
    book.create_chartsheet("Summary", 0).add_chart(chart)  # the first tab is a chart
    book.save(tmp_path / "north_participants.xlsx")
    found = identifiers_in_extract(tmp_path / "north_participants.xlsx")
    assert found.to_numpy().tolist() == [["client_id", "NT-000101"]]


@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date:UserWarning")
def test_identifiers_from_xlsx_with_a_duration_cell_calamine_cannot_hold(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["client_id", "time_in_service"])
    sheet.append(["NT-000101", 9434765919])  # a billion days and more as [h]:mm:ss
    sheet["B2"].number_format = "[h]:mm:ss"
    book.save(tmp_path / "north_participants.xlsx")
    found = identifiers_in_extract(tmp_path / "north_participants.xlsx")
    assert found.to_numpy().tolist() == [["client_id", "NT-000101"]]


# ------------------------------------------------------- shares, precision and the page scan


@pytest.mark.parametrize(
    ("numerator", "denominator", "withheld"),
    [
        (3, 11, True),  # 3 followed up: a small numerator
        (8, 11, True),  # 3 not followed up: a small complement
        (8, 16, False),  # 8 and 8
        (0, 20, False),  # nobody: zero is shown
        (20, 20, False),  # everybody: the complement is zero
        (7, 7, True),  # the denominator itself is small
    ],
)
def test_a_share_is_withheld_when_its_numerator_or_complement_is_small(
    numerator, denominator, withheld
):
    assert bool(share_withheld(numerator, denominator, 8)) is withheld


def test_percent_precision_that_gives_back_the_exact_count():
    # Shown denominator 95 with counts rounded to 5: the true one is 93 to 97.
    # 26.9% at one place fits only 25/93 (25/94 = 26.6, 26/96 = 27.1, 26/97 = 26.8).
    assert share_candidates(26.9, 1, 95, 5) == [(25, 93)]
    assert percent_pins_count(26.9, 1, 95, 5) == 25
    # As a whole percent it fits 25/93, 25/94, 26/95, 26/96 and 26/97: not pinned.
    assert share_candidates(27, 0, 95, 5) == [(25, 93), (25, 94), (26, 95), (26, 96), (26, 97)]
    assert percent_pins_count(27, 0, 95, 5) is None
    # Exact denominators show the count anyway: nothing extra is given away.
    assert percent_pins_count(26.9, 1, 93, None) is None


def test_a_share_column_is_hidden_where_the_people_without_it_are_few():
    # Row A: 11 with a start score, 8 followed up, so 3 lost: the 73% would give the 3 away.
    table = pd.DataFrame(
        {"start": [11, 40, 51], "end": [8, 20, 28], "pct": [72.7, 50.0, 54.9]},
        index=["A", "B", "All"],
    )
    mask = suppression_mask(
        table, 8, count_columns=["start", "end"], shares={"pct": ("end", "start")},
        secondary="columns",
    )  # fmt: skip
    assert mask.loc["A"].tolist() == ["", "", "share"]
    assert mask.loc["B", "pct"] == "" and mask.loc["All", "pct"] == ""
    shown = suppress(
        table, 8, count_columns=["start", "end"], shares={"pct": ("end", "start")},
        secondary="columns", round_to=5,
    )  # fmt: skip
    assert shown["start"].tolist() == [10, 40, 50] and pd.isna(shown.loc["A", "pct"])
    with pytest.raises(DisclosureError, match="share column 'pct'"):
        suppression_mask(table, 8, count_columns=["start"], shares={"pct": ("end", "start")})


def test_the_rule_statement_names_threshold_rounding_complement_and_the_floor():
    text = rule_statement(DisclosurePolicy(threshold=10, round_to=5))
    assert "counts below 10 (1 to 9 people) are not shown" in text
    assert "NHS Digital's floor of 5" in text
    assert "rounded to the nearest 5" in text
    assert "with or without the outcome number 1 to 9" in text
    assert "counts are shown exactly" in rule_statement(DisclosurePolicy(round_to=None))


def test_the_page_scan_finds_small_shares_exact_percentages_and_unrounded_counts(tmp_path):
    page = tmp_path / "00_data_quality.html"
    page.write_text(
        "<p><strong>27%</strong> of 11 people with a start score were followed up.</p>\n"
        "<p>Of the 95 who finished, <strong>26.9%</strong> recovered; 26.9% of 95 is exact.</p>\n"
        '<table><tr><td class="number count">3</td><td class="number count">1,466</td>'
        '<td class="number count">1,465</td><td class="number">3</td>'
        '<td class="suppressed">*</td></tr></table>\n'
        '<p>52% of the 1,465 people.</p><img alt="40% of 10 quit" src="x.png">\n',
        encoding="utf-8",
    )
    found = scan_disclosure([page], DisclosurePolicy(threshold=8, round_to=5))
    assert found[["line", "what"]].values.tolist() == [
        [1, '"27% of 11": 3 people have it or 8 do not, fewer than 8'],
        [2, '"26.9% of 95": gives back the exact count, 25 of 93'],
        [3, "a count of 3 people in a table, fewer than 8"],
        [3, "a count of 1,466 people in a table, not rounded to the nearest 5"],
        # Of 8 to 12 people only 4 of 10 is 40% to a whole percent (3/8 is 38%, 5/12 42%).
        [4, '"40% of 10": 4 people have it or 6 do not, fewer than 8'],
    ]
    clean = tmp_path / "01.html"
    clean.write_text('<p>52% of the 1,465 people.</p><td class="number count">1,465</td>')
    assert scan_disclosure([clean], DisclosurePolicy(threshold=8, round_to=None)).empty


def test_every_table_of_people_marks_its_counts_for_the_scan_and_records_tables_do_not():
    table = pd.DataFrame({"Referrals": [120, 98]}, index=["North", "South"])
    assert table_html(table, caption="c", round_to=5).count('class="number count"') == 2
    assert 'class="number count"' not in table_html(table, caption="c", threshold=0)


def test_the_publish_is_refused_when_a_rendered_page_breaks_the_small_number_rules(tmp_path):
    from types import SimpleNamespace

    from evalkit.pipeline.report import _ReportRun

    (tmp_path / "00_data_quality.html").write_text(
        "<p><strong>27%</strong> of 11 people were followed up.</p>", encoding="utf-8"
    )
    run = SimpleNamespace(config=SimpleNamespace(disclosure=DisclosurePolicy()), say=print)
    no_identifiers = pd.DataFrame({"kind": pd.Series(dtype=str), "value": pd.Series(dtype=str)})
    with pytest.raises(DisclosureError, match=r"00_data_quality.html line 1: \"27% of 11\""):
        _ReportRun.scan(run, tmp_path, no_identifiers)
    (tmp_path / "00_data_quality.html").write_text("<p>52% of the 1,465 people.</p>")
    assert _ReportRun.scan(run, tmp_path, no_identifiers)["threshold"] == 8
