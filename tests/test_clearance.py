"""Workspace -> clearance, markdown and exit analysis of one SKU (R-D2..R-D5, R-E1..R-E3)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from stockcycle.clearance import (
    aged_surcharge_per_unit,
    clearance_analysis,
    competitor_price_band,
    weekly_decline,
)
from stockcycle.errors import InputError
from stockcycle.ingest.result import ParsedFile
from stockcycle.schema import TABLES
from stockcycle.store import Workspace

DAYS_PER_MONTH = 365 / 12


def _frame(table: str, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col, typ in TABLES[table].columns.items():
        if col not in frame.columns:
            frame[col] = pd.NA
        elif typ == "date":
            frame[col] = pd.to_datetime(frame[col])
    return frame[list(TABLES[table].columns)]


def clearance_workspace(path: Path) -> Workspace:
    """SKU C: 2 units/day at 10.00 for the 28 days to Jan 31 (one price: the elasticity falls
    back to the default -1.5), 100 units at FBA, unit cost 3, FBA fee 2, referral 15%,
    0.1 cu ft small standard (January storage 0.078 per unit-month), no aging report."""
    start = date(2026, 1, 4)
    sales = [
        {
            "date": (start + timedelta(days=k)).isoformat(),
            "sku": "C",
            "channel": "Amazon.com",
            "units": 2,
            "revenue": 20,
        }
        for k in range(28)
    ]
    inventory = [{"snapshot_date": "2026-01-31", "sku": "C", "location": "FBA", "available": 100}]
    products = [
        {
            "sku": "C",
            "asin": "B0OWN",
            "unit_cost": 3.0,
            "price": 10.0,
            "fba_fee": 2.0,
            "referral_pct": 0.15,
            "cubic_feet": 0.1,
            "size_tier": "Small standard",
        }
    ]
    ws = Workspace.open(path)
    tables = {
        "sales": _frame("sales", sales),
        "inventory": _frame("inventory", inventory),
        "products": _frame("products", products),
    }
    ws.import_files([ParsedFile("test.csv", "generic", "test", tables, 30)])
    return ws


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return clearance_workspace(tmp_path / "clear")


def _unit_days(units: float, rate: float, days: float, base: float, horizon: float) -> float:
    """Area under the stock line: ``rate``/day for ``days``, then ``base``/day (by hand)."""
    left = max(0.0, units - rate * days)
    t_out = min(days, units / rate)
    area = (units + (units - rate * t_out)) / 2 * t_out
    if left > 0:
        t2 = min(horizon - days, left / base)
        area += (left + left - base * t2) / 2 * t2
    return area


def test_inputs_come_from_the_workspace_with_their_sources(ws: Workspace) -> None:
    result = clearance_analysis(ws, "C", days=30)
    inp = result.inputs
    assert result.as_of == date(2026, 1, 31)
    assert inp["units_on_hand"]["value"] == 100
    assert inp["base_units_per_day"]["value"] == pytest.approx(2.0)
    assert inp["price"]["source"] == "products.price"
    assert inp["storage_per_unit_month"]["value"] == pytest.approx(0.078)
    assert inp["aged_surcharge_per_unit_month"]["value"] == 0
    assert result.elasticity.value == -1.5
    assert result.elasticity.source == "category default"
    assert result.price_band is None  # no Xray data
    assert result.missing == []


def test_one_clearance_row_by_hand(ws: Workspace) -> None:
    table = clearance_analysis(ws, "C", days=30).scenarios.set_index("scenario")
    same = table.loc["no change"]
    # 2/day x 30 days = 60 units at 10: revenue 600, fees 60 x (2 + 1.5) = 210, COGS 180.
    assert same["units_sold"] == pytest.approx(60)
    assert same["profit"] == pytest.approx(600 - 210 - 180)
    off = table.loc["20% off"]
    rate = 2 * 0.8**-1.5  # 2.795 units/day at 8.00
    sold = rate * 30  # 83.85 < 100 on hand
    assert off["units_per_day"] == pytest.approx(rate)
    assert off["units_sold"] == pytest.approx(sold)
    revenue = sold * 8
    fees = sold * (2 + 0.15 * 8)
    cogs = sold * 3
    # Storage avoided over a year: 100 units at 2/day hold 100 x 50 / 2 = 2,500 unit-days; with
    # the promotion first, then 2/day for the rest.
    held = _unit_days(100, rate, 30, 2, 365)
    avoided = (2500 - held) * 0.078 / DAYS_PER_MONTH
    assert off["storage_avoided"] == pytest.approx(avoided)
    assert off["profit"] == pytest.approx(revenue - fees - cogs + avoided)


def test_markdown_exit_and_residual_options(ws: Workspace) -> None:
    result = clearance_analysis(ws, "C", days=30)
    plan = result.markdown
    assert plan["week"].tolist() == [1, 2, 3, 4, 5]
    assert plan["price"].is_monotonic_decreasing or plan["price"].nunique() == 1
    assert (plan["stock_left"] >= 0).all() and plan["units_sold"].sum() <= 100
    # Selling out at 2/day takes 50 days: storage 100^2 / 4 x 0.078 / 30.42 = 6.4 is far below
    # half the gross profit 100 x (10 - 3 - 2 - 1.5) = 350 -> no exit date (keep selling).
    assert result.exit_date is None
    check = result.exit_check
    assert check["future_storage_and_upkeep"] == pytest.approx(0.078 * 100**2 / 4 / DAYS_PER_MONTH)
    assert check["remaining_gross_profit"] == pytest.approx(350.0)
    residual = result.residual.set_index("option")
    assert residual["recommended"].sum() == 1
    assert result.recommended_option == "keep selling"
    assert residual.loc["keep selling", "date"] == date(2026, 1, 31) + timedelta(days=50)
    disposal = result.inputs["disposal_fee_per_unit"]["value"]
    assert residual.loc["disposal", "net"] == pytest.approx(-100 * disposal)


def test_aged_surcharge_is_weighted_over_all_units() -> None:
    aging = pd.DataFrame(
        {
            "snapshot_date": pd.to_datetime(["2026-01-31"] * 3),
            "bucket": ["0-90", "181-270", "365+"],
            "units": [50.0, 30.0, 20.0],
        }
    )
    # 30 units at 181 days: 0.1 x 0.50 = 0.05; 20 at 366: max(0.1 x 6.90, 0.30) = 0.69.
    assert aged_surcharge_per_unit(aging, 0.1) == pytest.approx((30 * 0.05 + 20 * 0.69) / 100)


def test_competitor_band_uses_latest_snapshot_without_own_asins() -> None:
    rows = pd.DataFrame(
        {
            "snapshot_date": pd.to_datetime(["2026-01-01"] * 2 + ["2026-02-01"] * 5),
            "search": ["mats"] * 7,
            "asin": ["X", "Y", "P1", "P2", "P3", "P4", "B0OWN"],
            "price": [100.0, 100.0, 10.0, 20.0, 30.0, 40.0, 99.0],
        }
    )
    band = competitor_price_band(rows, {"B0OWN"}, "B0OWN")
    assert band["n"] == 4 and band["median"] == pytest.approx(25.0)
    assert band["q1"] == pytest.approx(17.5) and band["q3"] == pytest.approx(32.5)
    assert band["sku_listed"]


def test_unknown_sku_and_bad_days_are_input_errors(ws: Workspace) -> None:
    with pytest.raises(InputError, match="unknown SKU 'NOPE'"):
        clearance_analysis(ws, "NOPE")
    with pytest.raises(InputError, match="days"):
        clearance_analysis(ws, "C", days=0)


def test_weekly_decline_from_the_8_week_change() -> None:
    # Sales at 0.9^8 of their level 8 weeks ago: 10% a week; rising or unknown sales: 0.
    assert weekly_decline(0.9**8 - 1) == pytest.approx(0.10)
    assert weekly_decline(0.25) == 0 and weekly_decline(None) == 0
    assert weekly_decline(-1.0) == 0.5  # capped


def test_stage_is_reported_and_a_non_decline_sku_gets_a_note(ws: Workspace) -> None:
    # Four weeks of sales make C a young SKU (launch stage, R-S1), not a decline one.
    result = clearance_analysis(ws, "C")
    assert result.stage == "launch" == result.inputs["stage"]["value"]
    assert "clearance and exit are meant for decline and exit" in result.notes[0]
    # Flat sales: no weekly decline in the markdown plan.
    assert result.inputs["demand_decline_per_week"]["value"] == 0
