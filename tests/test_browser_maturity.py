"""The Maturity wizard in a real browser: load the sample on Home, open Maturity, walk to the
plan, download the CSV and check it against ``maturity.plan_maturity`` on the same sample
(R-M1..R-M5, R-F1, R-F2, R-A3).

Screenshots of every step go to ``/tmp/shots_maturity/``.
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

from stockcycle import maturity

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots_maturity")
STEP_MS = 120_000


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def next_step(page, title: str) -> None:
    page.get_by_role("button", name=f"Next: {title}").click()
    settle(page)


def test_maturity_wizard_walk_and_download_plan(
    server: str,  # noqa: F811
    browser,  # noqa: F811
    sample_workspace,
    tmp_path: Path,
) -> None:
    # The library's plan for the same sample, made on the app's today (R-T1).
    inputs = maturity.load_maturity(sample_workspace, today=APP_TODAY)
    want = maturity.plan_maturity(
        inputs, maturity.MaturityChoices.from_settings(inputs.settings)
    ).plan.set_index("sku")

    context = browser.new_context(viewport={"width": 1400, "height": 3000}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(server)
        settle(page)
        page.get_by_role("button", name="Load sample workspace").click()
        page.get_by_test_id("stMetric").filter(has_text="SKUs").wait_for(timeout=STEP_MS)
        settle(page)
        page.get_by_test_id("stSidebar").get_by_role("link", name="Maturity").click()
        page.get_by_role("heading", name="Maturity").first.wait_for(timeout=STEP_MS)
        page.get_by_text("Explain: the product list").first.wait_for(timeout=STEP_MS)
        settle(page)
        shot(page, "1_skus")

        next_step(page, "Thresholds")
        page.get_by_text("Explain: thresholds of").first.wait_for(timeout=STEP_MS)
        settle(page)
        shot(page, "2_thresholds")

        next_step(page, "ABC and EOQ")
        page.get_by_text("Explain: EOQ").first.wait_for(timeout=STEP_MS)
        settle(page)
        shot(page, "3_abc")

        next_step(page, "Fee corridor and capacity")
        page.get_by_text("Explain: fee corridor").first.wait_for(timeout=STEP_MS)
        settle(page)
        shot(page, "4_corridor")

        next_step(page, "Plan and alerts")
        button = page.get_by_role("button", name="Download plan (CSV)")
        button.wait_for(timeout=STEP_MS)
        page.get_by_text(f"Plan made on {APP_TODAY.isoformat()} from data up to").wait_for(
            timeout=STEP_MS
        )
        page.get_by_text("Explain: alerts").wait_for(timeout=STEP_MS)
        settle(page)
        shot(page, "5_plan")
        with page.expect_download(timeout=STEP_MS) as info:
            button.click()
        path = tmp_path / "plan.csv"
        info.value.save_as(path)
        plan = pd.read_csv(io.BytesIO(path.read_bytes())).set_index("sku")
        assert sorted(plan.index) == sorted(want.index)
        assert len(plan) == 21
        for sku in want.index:
            assert plan.loc[sku, "order_units"] == want.loc[sku, "order_units"], sku
            assert plan.loc[sku, "abc_class"] == want.loc[sku, "abc_class"]
            ordered = want.loc[sku, "order_date"]
            if ordered is not None and pd.notna(ordered):
                assert plan.loc[sku, "order_date"] == ordered.isoformat()
        assert (plan["today"] == APP_TODAY.isoformat()).all()
        assert page.get_by_test_id("stException").count() == 0
        assert page.get_by_test_id("stAlertContentError").count() == 0
    finally:
        context.close()
