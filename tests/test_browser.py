"""Open every page of a rendered report in headless Chromium.

Checks per page: no console errors or uncaught exceptions, no request leaving the file (every
non-file URL is blocked and recorded), every image loaded and described by non-empty alt text,
and no serious or critical axe-core accessibility violation. Screenshots go to
tests/_screenshots/ for inspection.

The report checked is the demo report: ``evalkit demo`` data through the real notebooks, as
``make report`` builds it (building it is most of this file's run time: each notebook starts a
kernel and imports the analysis stack). Uses Debian's chromium through Playwright's
``executable_path`` (Playwright's own browser download is not available here). Without
Chromium these tests skip loudly, except under CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pytest

from evalkit.config import load_config
from evalkit.pages import page_names
from evalkit.pipeline import run_report
from evalkit.pipeline.report import resolve_notebooks_dir

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SCREENSHOTS = Path(__file__).parent / "_screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# nbconvert's text for an image output without alt text; it describes nothing.
PLACEHOLDER_ALT = "No description has been provided for this image"
DEMO_EPISODES = 600


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = (
        "BROWSER TESTS NOT RUN: no Chromium found. Install Debian's chromium "
        "(apt-get install chromium; .ci/run does this) to check the rendered report."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    warnings.warn(message, stacklevel=1)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    from evalkit.demo import write_demo

    root = tmp_path_factory.mktemp("browser-demo")
    config_path = write_demo(root / "demo", episodes=DEMO_EPISODES)
    config = load_config(config_path)
    folder = resolve_notebooks_dir(config)
    missing = [n for n in page_names(config.notebooks) if not (folder / f"{n}.ipynb").is_file()]
    if missing:
        message = f"demo report notebooks not written yet: {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        warnings.warn(f"{message}; checking the pages of the others", stacklevel=1)
        present = [n for n in page_names(config.notebooks) if n not in missing]
        with open(config_path, "a", encoding="utf-8") as handle:
            handle.write(f"notebooks: [{', '.join(present)}]\n")
    return run_report(config_path, out=root / "reports", progress=lambda line: None)


def check_page(browser, page_path: Path, screenshot: Path) -> dict[str, list]:
    """Open one page; return the problems found, by kind."""
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page()
    problems: dict[str, list] = {"console": [], "network": [], "images": [], "axe": []}
    page.on(
        "console",
        lambda message: (
            problems["console"].append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: problems["console"].append(str(error)))

    def route(request_route):
        url = request_route.request.url
        if url.startswith(("file:", "data:")):
            request_route.continue_()
        else:
            problems["network"].append(url)
            request_route.abort()

    page.route("**/*", route)
    page.goto(page_path.resolve().as_uri(), wait_until="load")
    images = page.evaluate(
        "Array.from(document.images).map(i => ({src: i.src.slice(0, 40), alt: i.alt,"
        " loaded: i.complete && i.naturalWidth > 0}))"
    )
    for image in images:
        if not image["loaded"]:
            problems["images"].append(f"not loaded: {image['src']}")
        if not image["alt"].strip() or image["alt"] == PLACEHOLDER_ALT:
            problems["images"].append(f"no alt text: {image['src']}")
    results = Axe().run(page)
    problems["axe"] = [
        f"{v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return problems


def pages_of(report: Path) -> list[Path]:
    pages = sorted(report.glob("*.html"))
    assert (report / "index.html") in pages and len(pages) >= 2
    return pages


def test_every_demo_page_is_clean_offline_accessible_and_fully_loaded(browser, demo_report):
    found = {}
    for page in pages_of(demo_report):
        problems = check_page(browser, page, SCREENSHOTS / "demo" / f"{page.stem}.png")
        found[page.name] = {kind: items for kind, items in problems.items() if items}
    assert found == {page.name: {} for page in pages_of(demo_report)}
    assert (SCREENSHOTS / "demo" / "index.png").stat().st_size > 0


def test_the_check_catches_a_page_that_breaks_each_rule(browser, tmp_path):
    # Guard against a check that cannot fail: one page breaking every rule.
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>x</title>"
        '<script src="https://cdn.example.org/lib.js"></script></head><body>'
        '<img src="missing.png"><img src="data:image/png;base64,iVBORw0KGgo=" alt="">'
        "<script>undefinedFunction()</script></body></html>"
    )
    problems = check_page(browser, page, tmp_path / "broken.png")
    assert problems["network"] == ["https://cdn.example.org/lib.js"]
    assert any("undefinedFunction" in text for text in problems["console"])
    assert len([p for p in problems["images"] if p.startswith("not loaded")]) == 2
    assert len([p for p in problems["images"] if p.startswith("no alt text")]) == 2
    assert any(v.startswith("image-alt (critical)") for v in problems["axe"])
