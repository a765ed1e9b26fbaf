"""The Alerts page in a real browser: load the sample on Home, open Alerts from the sidebar,
download the open alerts as CSV and check them against ``alerts.workspace_alerts`` on the same
sample (R-A2). Screenshots go to ``/tmp/shots_alerts/``."""

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

from stockcycle import alerts

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots_alerts")
STEP_MS = 180_000


def test_alerts_page_lists_the_rules_alerts(
    server: str,  # noqa: F811
    browser,  # noqa: F811
    sample_workspace,
    tmp_path: Path,
) -> None:
    want = alerts.workspace_alerts(sample_workspace, today=APP_TODAY)
    context = browser.new_context(viewport={"width": 1400, "height": 3000}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(server)
        settle(page)
        page.get_by_role("button", name="Load sample workspace").click()
        page.get_by_test_id("stMetric").filter(has_text="SKUs").wait_for(timeout=STEP_MS)
        settle(page)
        page.get_by_test_id("stSidebar").get_by_role("link", name="Alerts").click()
        page.get_by_text("Explain: the alert rules").wait_for(timeout=STEP_MS)
        settle(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "alerts.png"), full_page=True)
        high = sum(a.severity == "high" for a in want)
        metric = page.get_by_test_id("stMetric").filter(has_text="High")
        metric.get_by_text(str(high), exact=True).wait_for(timeout=STEP_MS)
        with page.expect_download(timeout=STEP_MS) as info:
            page.get_by_role("button", name="Download open alerts (CSV)").click()
        path = tmp_path / "alerts.csv"
        info.value.save_as(path)
        got = pd.read_csv(io.BytesIO(path.read_bytes()))
        assert set(zip(got["rule"], got["sku"], strict=True)) == {(a.rule, a.sku) for a in want}
        assert set(got["as_of"]) == {"2026-10-31"}  # every row states its data date
        assert page.get_by_test_id("stException").count() == 0
    finally:
        context.close()
