"""The Today page and the product editor in a real browser: load the sample, read today's cash
for the orders, type a higher unit cost for one ordered SKU on the Data page, and see Today's
cash move by exactly that SKU's order (R-T5, R-T1). Expected figures come from
``today.today_table`` on the same sample in-process.

Screenshots go to ``/tmp/shots_today/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser import (  # noqa: F401 - pytest fixtures
    APP_TODAY,
    browser,
    chromium,
    server,
    settle,
)
from test_browser_growth import edit_cell

from stockcycle.today import today_table

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots_today")
STEP_MS = 180_000


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def cash_line(table) -> str:
    """The start of Today's caption on the cash for the orders, as the page words it."""
    orders = table[table["order_units"] > 0]
    return f"cash for {len(orders):,} orders {orders['cash_needed'].dropna().sum():,.2f}"


def open_page(page, name: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link", name=name, exact=True).click()
    page.get_by_role("heading", name=name).first.wait_for(timeout=STEP_MS)
    settle(page)


def test_a_typed_unit_cost_changes_todays_cash(
    server: str,  # noqa: F811
    browser,  # noqa: F811
    forecast_workspace,
) -> None:
    ws = forecast_workspace
    before = today_table(ws, today=APP_TODAY).table
    ordered = before[(before["order_units"] > 0) & before["cash_needed"].notna()]
    sku = str(ordered["sku"].iloc[0])
    cost = float(ws.product_rows()[sku]["unit_cost"])
    ws.set_product_values({sku: {"unit_cost": cost + 2.0}})
    after = today_table(ws, today=APP_TODAY).table
    assert cash_line(after) != cash_line(before)

    context = browser.new_context(viewport={"width": 1400, "height": 2200})
    page = context.new_page()
    try:
        page.goto(server)
        settle(page)
        page.get_by_role("button", name="Load sample workspace").click()
        page.get_by_test_id("stMetric").filter(has_text="SKUs").wait_for(timeout=STEP_MS)
        settle(page)

        open_page(page, "Today")
        page.get_by_text(cash_line(before)).wait_for(timeout=STEP_MS)
        shot(page, "1_today")

        open_page(page, "Data")
        page.get_by_label("Find SKU or title").fill(sku)
        page.keyboard.press("Enter")
        settle(page)
        grid = page.get_by_test_id("stDataFrame").first
        edit_cell(page, grid, row=0, column=2, value=f"{cost + 2.0:.2f}")
        settle(page)
        shot(page, "2_cost_typed")
        page.get_by_role("button", name="Save product figures").click()
        page.get_by_text("Saved 1 figure for 1 SKU(s).").wait_for(timeout=STEP_MS)
        settle(page)
        shot(page, "3_saved")

        open_page(page, "Today")
        page.get_by_text(cash_line(after)).wait_for(timeout=STEP_MS)
        shot(page, "4_today_after")
        assert page.get_by_test_id("stException").count() == 0
    finally:
        context.close()
