"""The Decline and Exit wizards in a real browser: load the sample on Home, walk each wizard
to its last step and download its file (the clearance plan, the exit order list), checked
against ``stockcycle.clearance`` called on the same sample (R-D5, R-E3).

Screenshots of the last steps go to ``/tmp/shots_decline_exit/``.
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

from stockcycle import clearance

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots_decline_exit")
STEP_MS = 120_000


def open_page(page, name: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link", name=name, exact=True).click()
    page.get_by_role("heading", name=name).first.wait_for(timeout=STEP_MS)
    settle(page)


def walk_to(page, steps: list[str]) -> None:
    for title in steps:
        page.get_by_role("button", name=f"Next: {title}").click()
        settle(page)


def download(page, label: str, path: Path) -> pd.DataFrame:
    button = page.get_by_role("button", name=label)
    button.wait_for(timeout=STEP_MS)
    with page.expect_download(timeout=STEP_MS) as info:
        button.click()
    info.value.save_as(path)
    return pd.read_csv(io.BytesIO(path.read_bytes()))


def test_decline_and_exit_downloads(
    server: str,  # noqa: F811
    browser,  # noqa: F811
    sample_workspace,
    tmp_path: Path,
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 2600}, accept_downloads=True)
    page = context.new_page()
    # A loaded machine can take longer than Playwright's 30 s default for a click's target.
    page.set_default_timeout(STEP_MS)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(server)
        settle(page)
        page.get_by_role("button", name="Load sample workspace").click()
        page.get_by_test_id("stMetric").filter(has_text="SKUs").wait_for(timeout=STEP_MS)
        settle(page)

        # Decline: the first decline SKU, the default 15% coupon for 30 days without ads.
        open_page(page, "Decline")
        walk_to(page, ["Price reference", "Scenarios", "Sensitivity"])
        page.screenshot(path=str(SHOTS / "decline_sensitivity.png"), full_page=True)
        plan = download(page, "Download clearance plan (CSV)", tmp_path / "plan.csv")
        sku = plan.loc[0, "sku"]
        inp = clearance.load_clearance(sample_workspace, sku, today=APP_TODAY)
        assert inp.stage == "decline"
        want = clearance.scenarios(inp, 30, 0.0).set_index("scenario").loc["15% coupon + ads"]
        assert plan.loc[0, "scenario"] == "15% coupon + ads"
        assert plan.loc[0, "profit"] == pytest.approx(want["profit"], abs=0.01)
        assert plan.loc[0, "start"] == APP_TODAY.isoformat()

        # Exit: the first exit SKU's decision and its order list.
        open_page(page, "Exit")
        walk_to(page, ["Markdown plan", "Where the last units go", "Decision"])
        page.screenshot(path=str(SHOTS / "exit_decision.png"), full_page=True)
        orders = download(page, "Download order list (CSV)", tmp_path / "orders.csv")
        sku = orders.loc[0, "sku"]
        inp = clearance.load_clearance(sample_workspace, sku, today=APP_TODAY)
        assert inp.stage == "exit"
        rec, _ = clearance.recommend(inp)
        want = clearance.order_list(inp, rec, clearance.markdown(inp, 8))
        assert orders["disposition"].tolist() == want["disposition"].tolist()
        assert orders["units"].tolist() == want["units"].tolist()
        assert page.get_by_text(rec.action, exact=False).count() >= 1
        assert page.get_by_test_id("stException").count() == 0
    finally:
        context.close()
