"""The app in a real browser: `streamlit run` + Playwright driving the system Chromium.

Covers what AppTest cannot: the real file uploader, page links, deep links (`/Data`) and what
the seller actually sees (screenshots in the temporary folder's stockcycle-shots/, one per step;
nothing is written into the checkout).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from stockcycle.datadate import TODAY_VARIABLE

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(tempfile.gettempdir()) / "stockcycle-shots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE = "[data-test-script-state='notRunning']"
XRAY = "Xray_silicone-baking-mat_2026-10-31.csv"  # a sample Helium 10 Xray export
STEP_MS = 60_000
#: Today's date in the app under test (``STOCKCYCLE_TODAY``).
APP_TODAY = date(2026, 11, 1)

# A generic sales table for a product the sample does not have: 4 + 6 units.
NEW_SALES = (
    "date,sku,units,revenue,price\n"
    "2026-10-30,NW-NEW-01,4,79.60,19.90\n"
    "2026-10-31,NW-NEW-01,6,119.40,19.90\n"
)


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing on CI: apt-get install -y chromium")
        pytest.skip("install Chromium: apt-get install -y chromium")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_app(folders: pytest.TempPathFactory, env: dict[str, str]) -> Iterator[str]:
    """The app served by ``streamlit run`` on a free port, with ``env`` over this process's
    environment and its own empty data directory; yields its URL, stops it afterwards."""
    port = _free_port()
    env = {**os.environ, "STOCKCYCLE_HOME": str(folders.mktemp("browser-home")), **env}
    log = (folders.mktemp("browser-log") / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"streamlit did not start: see {log.name}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def server(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app in local mode. Its today is the day after the sample's data, so the sample
    loads as written (not moved to end yesterday) and what the pages show can be checked
    in-process."""
    yield from serve_app(
        tmp_path_factory, {"STOCKCYCLE_SHARED": "", TODAY_VARIABLE: APP_TODAY.isoformat()}
    )


@pytest.fixture(scope="module")
def browser(chromium: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield b
        b.close()


def settle(page) -> None:
    """Wait until the script run triggered by the last action has finished."""
    page.wait_for_timeout(250)  # let the rerun start before looking for the idle state
    page.wait_for_selector(IDLE, timeout=STEP_MS)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_deep_link_to_data_page_without_workspace(server: str, browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    page = context.new_page()
    try:
        page.goto(f"{server}/Data")
        settle(page)
        page.get_by_text("Open or create a workspace on Home first").wait_for(timeout=STEP_MS)
        assert page.get_by_role("heading", name="Data").first.is_visible()
        sidebar = page.get_by_test_id("stSidebar")
        assert sidebar.is_visible()
        assert sidebar.get_by_role("link", name="Home").is_visible()
        assert sidebar.get_by_role("link", name="Settings").is_visible()
        shot(page, "0_deep_link_data")
    finally:
        context.close()


def test_load_sample_then_upload_and_import_a_file(server: str, browser, tmp_path: Path) -> None:
    from stockcycle.sample import SAMPLE_DIR

    skus = len(json.loads((SAMPLE_DIR / "manifest.json").read_text())["skus"])
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    page = context.new_page()
    try:
        page.goto(server)
        settle(page)
        shot(page, "1_home")
        page.get_by_role("button", name="Load sample workspace").click()
        metric = page.get_by_test_id("stMetric").filter(has_text="SKUs")
        metric.wait_for(timeout=STEP_MS)
        settle(page)
        assert metric.get_by_test_id("stMetricValue").inner_text().strip() == f"{skus:,}"
        shot(page, "2_sample_loaded")

        page.get_by_test_id("stSidebar").get_by_role("link", name="Data").click()
        settle(page)
        page.get_by_role("heading", name="Data").first.wait_for(timeout=STEP_MS)
        file = tmp_path / "new_product_sales.csv"
        file.write_text(NEW_SALES, encoding="utf-8")
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(file))
        page.get_by_text("recognised as").first.wait_for(timeout=STEP_MS)
        settle(page)
        shot(page, "3_file_recognised")

        page.get_by_role("button", name="Import 1 file into workspace").click()
        page.get_by_text("Imported 1 file (2 rows)").wait_for(timeout=STEP_MS)
        settle(page)
        shot(page, "4_imported")

        # An Xray export does not say which search it shows: the seller must name it.
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(SAMPLE_DIR / XRAY))
        search = page.get_by_placeholder("e.g. silicone baking mat")
        search.wait_for(timeout=STEP_MS)
        settle(page)
        assert search.input_value() == ""
        assert page.get_by_test_id("stAlertContentWarning").filter(has_text=XRAY).count() == 1
        assert page.get_by_role("button", name="Import 0 files into workspace").is_disabled()
        shot(page, "5_xray_needs_search")
        search.fill("silicone baking mat")
        search.press("Enter")
        page.get_by_text("recognised as").first.wait_for(timeout=STEP_MS)
        settle(page)
        assert page.get_by_test_id("stAlertContentWarning").filter(has_text=XRAY).count() == 0
        assert page.get_by_role("button", name="Import 1 file into workspace").is_enabled()
        shot(page, "6_xray_search_given")
        assert page.get_by_test_id("stException").count() == 0
    finally:
        context.close()


def test_stages_page_shows_counts_explanation_and_chart(server: str, browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 2000})
    page = context.new_page()
    try:
        page.goto(server)
        settle(page)
        page.get_by_role("button", name="Load sample workspace").click()
        metric = page.get_by_test_id("stMetric").filter(has_text="SKUs")
        metric.wait_for(timeout=STEP_MS)
        settle(page)
        # Every SKU Home counts (the sample's, plus any another test imported) has a stage.
        skus = int(metric.get_by_test_id("stMetricValue").inner_text().replace(",", ""))
        page.get_by_test_id("stSidebar").get_by_role("link", name="Life-cycle stages").click()
        page.get_by_role("heading", name="One SKU").wait_for(timeout=STEP_MS)
        settle(page)
        counts = [
            int(v.inner_text().replace(",", "")) for v in page.get_by_test_id("stMetricValue").all()
        ]
        assert len(counts) == 5 and sum(counts) == skus
        page.get_by_text("Explain").first.click()
        page.get_by_text("1 October to 15 January", exact=False).wait_for(timeout=STEP_MS)
        assert page.locator("[data-testid='stVegaLiteChart'], .vega-embed").count() >= 1
        shot(page, "7_stages")
        assert page.get_by_test_id("stException").count() == 0
    finally:
        context.close()
