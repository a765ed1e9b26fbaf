"""The Growth restock wizard in a real browser: load the sample on Home, open Growth, walk to
the plan, download the CSV and check it against ``restock.restock_plan`` (R-G4, R-A3).

Screenshots of every step go to ``/tmp/shots_growth/``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from test_browser import (  # noqa: F401 - pytest fixtures
    APP_TODAY,
    browser,
    chromium,
    server,
    settle,
)

from stockcycle import restock
from stockcycle.lifecycle import stage_table

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots_growth")
STEP_MS = 120_000


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def edit_cell(page, grid, row: int, column: int, value: str) -> None:
    """Type ``value`` into a cell of a ``st.data_editor`` grid (rows and columns from 0)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = grid.bounding_box()
    editor = page.locator("input.gdg-input, textarea.gdg-input").first
    for _ in range(3):  # a click that lands while the grid redraws selects nothing: retry
        page.mouse.click(box["x"] + 30, box["y"] + 35 * (row + 1) + 17)
        page.wait_for_timeout(300)
        for _ in range(column):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        try:
            editor.wait_for(state="visible", timeout=3000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        editor.fill(value)
        page.keyboard.press("Enter")
        return
    raise AssertionError("the cell editor did not open")


def next_step(page, title: str) -> None:
    page.get_by_role("button", name=f"Next: {title}").click()
    settle(page)


def test_growth_wizard_walk_and_download_plan(
    server: str,  # noqa: F811
    browser,  # noqa: F811
    sample_workspace,
    tmp_path: Path,
) -> None:
    # The library's plan for the same sample (the server loads its own copy of it).
    stages = stage_table(sample_workspace)
    growth = sorted(stages.loc[stages["stage"] == "growth", "sku"])
    # The page plans on today's date (R-T1): orders due before it are overdue, placed today.
    today = APP_TODAY
    want = restock.restock_plan(sample_workspace, skus=growth, today=today).set_index("sku")

    context = browser.new_context(viewport={"width": 1400, "height": 3000}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(server)
        settle(page)
        page.get_by_role("button", name="Load sample workspace").click()
        page.get_by_test_id("stMetric").filter(has_text="SKUs").wait_for(timeout=STEP_MS)
        settle(page)
        page.get_by_test_id("stSidebar").get_by_role("link", name="Growth").click()
        page.get_by_role("heading", name="Growth").first.wait_for(timeout=STEP_MS)
        page.get_by_text("Explain: priority of").first.wait_for(timeout=STEP_MS)
        settle(page)
        shot(page, "1_skus")

        next_step(page, "Forecast")
        page.get_by_text("Stockout date (no new order)").wait_for(timeout=STEP_MS)
        settle(page)
        shot(page, "2_forecast")

        next_step(page, "Policy")
        page.get_by_text("Safety stock (units)").first.wait_for(timeout=STEP_MS)
        settle(page)
        shot(page, "3_policy")

        next_step(page, "Plan")
        button = page.get_by_role("button", name="Download plan (CSV)")
        button.wait_for(timeout=STEP_MS)
        page.get_by_text(f"Plan made on {today.isoformat()} from data up to").wait_for(
            timeout=STEP_MS
        )
        settle(page)
        shot(page, "4_plan")
        # Override the first row's quantity in the editable table (a canvas grid): select its
        # first cell, move to "Your quantity", open the cell editor and type over it.
        grid = page.get_by_test_id("stDataFrame").first
        first = grid.locator("[role=gridcell]").first.inner_text().strip()
        edit_cell(page, grid, row=0, column=3, value="1000")
        settle(page)
        total = int(want["order_units"].sum()) - int(want.loc[first, "order_units"]) + 1000
        units = page.get_by_test_id("stMetric").filter(has_text="Units to order")
        units.get_by_text(f"{total:,}").wait_for(timeout=STEP_MS)
        settle(page)
        shot(page, "4b_plan_override")
        with page.expect_download(timeout=STEP_MS) as info:
            button.click()
        path = tmp_path / "plan.csv"
        info.value.save_as(path)
        plan = pd.read_csv(io.BytesIO(path.read_bytes())).set_index("sku")
        assert sorted(plan.index) == growth
        assert plan.loc[first, "order_units"] == 1000
        assert plan.loc[first, "proposed_units"] == want.loc[first, "order_units"]
        for sku in growth:
            if sku != first:
                assert plan.loc[sku, "order_units"] == want.loc[sku, "order_units"]
            assert plan.loc[sku, "shipping_mode"] == want.loc[sku, "shipping_mode"]
            ordered = want.loc[sku, "order_date"]
            if ordered is not None and pd.notna(ordered):
                assert plan.loc[sku, "order_date"] == ordered.isoformat()

        next_step(page, "Review")
        page.get_by_text("Explain: weekly review").wait_for(timeout=STEP_MS)
        settle(page)
        shot(page, "5_review")
        assert page.get_by_test_id("stException").count() == 0
        assert page.get_by_test_id("stAlertContentError").count() == 0
    finally:
        context.close()
