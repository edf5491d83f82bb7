"""The reach and lifestyle KPI pages run on the synthetic demo for the whole service and for one
site with a single quarter of data, record their key figures, and show no raw codes or "nan"."""

import json
import re

import nbformat
import papermill
import pytest

from evalkit.synth import write_demo

KEYS = {
    "01_reach_and_equity": {"episodes", "start_rate", "share_most_deprived", "reach_ratio_q1"},
    "03_lifestyle_kpis": {
        "kpis_green",
        "kpis_red",
        "quit_4wk_co_rate",
        "co_validation_rate",
        "weight_loss_5pct_rate",
        "became_more_active_rate",
    },
}
# Words a commissioner must never meet: raw codes, column names, missing-value markers.
RAW = re.compile(
    r"\b(nan|NaN|<NA>|None|face_to_face|link_worker|peer_led|imd_quintile|kpi_id|"
    r"unit_name|quit_4wk_co|not_stated)\b"
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    return write_demo(root, episodes=600, seed=7), root


def visible_text(notebook):
    """Text a reader sees: markdown cells and the text/HTML outputs (images left out)."""
    parts = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                pytest.fail(f"cell raised {output['ename']}: {output['evalue']}")
            data = output.get("data", {})
            for kind in ("text/html", "text/markdown", "text/plain"):
                if kind in data:
                    text = re.sub(r'src="data:[^"]+"', "", data[kind])
                    parts.append(text)
                    break
            parts.append(output.get("text", ""))
    return "\n".join(parts)


# Each run costs a kernel start and ~8 s, so each page is run once, in the harder scenario for
# it: the reach page for one site with a single quarter (no trend), the KPI page for the whole
# service (trend, funnels by provider and site).
@pytest.mark.parametrize(
    ("name", "site", "period"),
    [("01_reach_and_equity", "North", "2025-Q3"), ("03_lifestyle_kpis", "all", "latest")],
)
def test_page_runs_and_reads_in_plain_english(demo, name, site, period, tmp_path):
    config, _ = demo
    out_dir = tmp_path / name
    executed = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(
        f"notebooks/{name}.ipynb",
        executed,
        parameters={
            "config_path": str(config),
            "period": period,
            "site": site,
            "output_dir": str(out_dir),
        },
        kernel_name="python3",
        progress_bar=False,
    )
    text = visible_text(nbformat.read(executed, as_version=4))
    assert not RAW.findall(text), sorted(set(RAW.findall(text)))
    figures = json.loads((out_dir / "key_figures.json").read_text())
    recorded = {f["key"] for f in figures}
    required = KEYS[name] - ({"share_most_deprived", "reach_ratio_q1"} if site != "all" else set())
    assert required <= recorded
    if period != "latest":
        assert "Only one quarter" in text  # no trend section, and the page says why
    else:
        assert "Only one quarter" not in text
    for figure in re.findall(r"<img [^>]*>", text):
        assert re.search(r'alt="[^"]{20,}"', figure), figure
