"""The Launch sizing wizard in a real browser: load the sample, walk the steps to the order,
download the plan as CSV and check its rows (R-L3, R-L5, R-A3).

Screenshots of every step go to the temporary folder's stockcycle-shots/ (like the other
browser tests) and, when ``STOCKCYCLE_SHOTS`` names a folder, there too.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd
import pytest

# One server per module: the fixtures are the ones of the main browser test module.
from test_browser import ARTIFACTS, STEP_MS, browser, chromium, server, settle  # noqa: F401

pytestmark = pytest.mark.browser


def _shot(page, name: str) -> None:
    folders = [ARTIFACTS]
    if os.environ.get("STOCKCYCLE_SHOTS"):
        folders.append(Path(os.environ["STOCKCYCLE_SHOTS"]))
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _metric(page, label: str) -> str:
    box = page.get_by_test_id("stMetric").filter(has_text=label).first
    return box.get_by_test_id("stMetricValue").inner_text().strip()


def _next(page, number: int, step: str) -> None:
    page.get_by_role("button", name=f"Next: {step}").click()
    settle(page)
    page.get_by_role("heading", name=f"{number} {step}").first.wait_for(timeout=STEP_MS)


def test_launch_wizard_walks_to_the_order_and_downloads_the_plan(
    server: str,  # noqa: F811
    browser,  # noqa: F811
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 2600}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(server)
        settle(page)
        page.get_by_role("button", name="Load sample workspace").click()
        page.get_by_test_id("stMetric").filter(has_text="SKUs").wait_for(timeout=STEP_MS)
        settle(page)

        page.get_by_test_id("stSidebar").get_by_role("link", name="Launch").click()
        page.get_by_role("heading", name="Launch sizing").wait_for(timeout=STEP_MS)
        page.get_by_role("heading", name="1 Peers").wait_for(timeout=STEP_MS)
        settle(page)
        assert int(_metric(page, "Peers")) >= 1
        assert page.locator("[data-testid='stVegaLiteChart'], .vega-embed").count() >= 1
        _shot(page, "launch_1_peers")

        _next(page, 2, "Demand")
        # The seed example (R-L3): peers selling 50/day, lift 1.5, no events.
        peer_daily = page.get_by_role("spinbutton", name="Peer daily sales (units/day)")
        peer_daily.fill("50")
        peer_daily.press("Enter")
        settle(page)
        for label in ("Amazon events", "My promotions of this product"):
            box = page.get_by_role("checkbox", name=label)
            if box.is_checked():
                box.uncheck(force=True)
                settle(page)
        assert _metric(page, "Expected daily sales (factor 1)") == "75.0"
        _shot(page, "launch_2_demand")

        _next(page, 3, "Economics")
        assert "%" in _metric(page, "Gross margin")
        _shot(page, "launch_3_economics")

        _next(page, 4, "Order")
        assert _metric(page, "Cycle stock (30 days)") == "2,250"
        assert _metric(page, "Safety stock (15 days)") == "1,125"
        first = int(_metric(page, "First order (70%)").replace(",", ""))
        follow = int(_metric(page, "Follow-up (30%)").replace(",", ""))
        # 70% of 3,375 = 2,362.5, rounded up to whole units; the rest follows.
        assert first == math.ceil(0.7 * 3375) and first + follow == 3375
        _shot(page, "launch_4_order")

        with page.expect_download() as download:
            page.get_by_role("button", name="Download plan (CSV)").click()
        assert download.value.suggested_filename.endswith(".csv")
        plan = pd.read_csv(download.value.path())
        assert list(plan["batch"]) == ["first order", "follow-up"]
        assert list(plan["units"]) == [first, follow]
        assert plan["share"].round(2).tolist() == [0.7, 0.3]
        assert (plan["cash_needed"] > 0).all()

        _next(page, 5, "Monitor")
        _shot(page, "launch_5_monitor")
        assert page.get_by_test_id("stException").count() == 0
    finally:
        context.close()
