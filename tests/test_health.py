"""Workspace -> unit economics and health KPIs (R-L6, R-K1..R-K4, R-M5), on a small workspace
whose figures are worked out by hand in the comments."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from stockcycle.errors import InputError
from stockcycle.health import cash_figures, daily_stock, economics_table, health_report
from stockcycle.ingest.result import ParsedFile
from stockcycle.schema import TABLES
from stockcycle.store import Workspace


def _frame(table: str, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in TABLES[table].columns:
        if col not in frame.columns:
            frame[col] = pd.NA
    for col, typ in TABLES[table].columns.items():
        if typ == "date":
            frame[col] = pd.to_datetime(frame[col])
    return frame[list(TABLES[table].columns)]


def small_workspace(path: Path) -> Workspace:
    """SKU A: unit cost 2; stock FBA 100 on Jan 1, FBA 50 available + 10 reserved from Jan 6,
    3PL 20 from Jan 3. SKU B: sales but no unit cost."""
    sales = [
        # Outside the period (Jan 1-10): before it and after it.
        {"date": "2025-12-30", "sku": "A", "channel": "Amazon.com", "units": 100, "revenue": 1000},
        {"date": "2026-01-12", "sku": "A", "channel": "Amazon.com", "units": 7, "revenue": 70},
        {"date": "2026-01-02", "sku": "A", "channel": "Amazon.com", "units": 5, "revenue": 50},
        {"date": "2026-01-05", "sku": "A", "channel": "Amazon.com", "units": 10, "revenue": 100},
        {"date": "2026-01-08", "sku": "A", "channel": "Walmart", "units": 5, "revenue": 50},
        {"date": "2026-01-04", "sku": "B", "channel": "Amazon.com", "units": 3, "revenue": 30},
    ]
    inventory = [
        {"snapshot_date": "2026-01-01", "sku": "A", "location": "FBA", "available": 100},
        {
            "snapshot_date": "2026-01-06",
            "sku": "A",
            "location": "FBA",
            "available": 50,
            "reserved": 10,
        },
        {"snapshot_date": "2026-01-03", "sku": "A", "location": "3PL", "available": 20},
        {"snapshot_date": "2026-01-01", "sku": "B", "location": "FBA", "available": 10},
    ]
    products = [
        {
            "sku": "A",
            "unit_cost": 2.0,
            "freight_cost": 0.5,
            "price": 10.0,
            "fba_fee": 3.0,
            "referral_pct": 0.15,
            "cubic_feet": 0.1,
            "size_tier": "Small standard",
        },
        {"sku": "B", "price": 10.0},
    ]
    aging = [
        {"snapshot_date": "2026-01-10", "sku": "A", "bucket": "0-90", "units": 30},
        {"snapshot_date": "2026-01-10", "sku": "A", "bucket": "181-270", "units": 20},
    ]
    ws = Workspace.open(path)
    tables = {
        "sales": _frame("sales", sales),
        "inventory": _frame("inventory", inventory),
        "products": _frame("products", products),
        "aging": _frame("aging", aging),
    }
    ws.import_files([ParsedFile("test.csv", "generic", "test", tables, 10)])
    return ws


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return small_workspace(tmp_path / "small")


def test_daily_stock_carries_each_location_forward(ws: Workspace) -> None:
    stock = daily_stock(ws.read("inventory"), date(2026, 1, 1), date(2026, 1, 10))
    # Jan 1-2: FBA 100; Jan 3-5: + 3PL 20; from Jan 6: FBA 50 + 10 reserved + 3PL 20.
    assert stock["A"].tolist() == [100, 100, 120, 120, 120, 80, 80, 80, 80, 80]


def test_turnover_cogs_and_average_inventory_by_hand(ws: Workspace) -> None:
    report = health_report(ws, as_of=date(2026, 1, 10), period_days=10)
    a = report.table.set_index("sku").loc["A"]
    # Units sold Jan 1-10: 5 + 10 + 5 = 20 (Dec 30 and Jan 12 are outside) -> COGS 20 x 2 = 40.
    assert a["units_sold"] == 20
    assert a["cogs"] == pytest.approx(40.0)
    # Average stock (100 + 100 + 120 x 3 + 80 x 5) / 10 = 96 units -> 192 at cost.
    assert a["average_inventory_units"] == pytest.approx(96.0)
    assert a["average_inventory_cost"] == pytest.approx(192.0)
    # Turnover 40 / 192 over 10 days = 7.60 per year; days of inventory 192 / 40 x 10 = 48.
    assert a["turnover_per_year"] == pytest.approx(40 / 192 * 36.5)
    assert a["days_of_inventory"] == pytest.approx(48.0)
    assert a["turnover_status"] == "above target"  # 7.6 > 6 (R-K1 band 4-6)
    assert a["on_hand_units"] == 80 and a["inventory_cost"] == pytest.approx(160.0)
    # Low-inventory-level fee: FBA available 50; Amazon units over 30 days 100 + 5 + 10 = 115,
    # over 90 days the same: 30-day supply 13.0 < 28 but 90-day 39.1 is not -> no fee.
    assert a["days_of_supply_30"] == pytest.approx(50 / (115 / 30))
    assert a["days_of_supply_90"] == pytest.approx(50 / (115 / 90))
    assert not a["low_inventory_fee"]
    # Aging (R-K2): 20 units in 181-270 -> write-down candidate.
    assert a["age_181-270"] == 20 and a["aging_status"] == "write-down candidate"
    assert report.inputs["period_start"] == date(2026, 1, 1)
    assert report.inputs["period_days"] == 10


def test_sku_without_unit_cost_gets_no_turnover_but_a_reason(ws: Workspace) -> None:
    report = health_report(ws, as_of=date(2026, 1, 10), period_days=10)
    b = report.table.set_index("sku").loc["B"]
    assert math.isnan(b["turnover_per_year"])
    assert b["turnover_status"] == "no unit_cost in products"
    assert report.total["skus_without_unit_cost"] == 1
    assert b["aging_status"] == "no aging report"
    # The total only counts SKUs with a cost: A's figures.
    assert report.total["cogs"] == pytest.approx(40.0)


def test_period_is_clipped_to_the_inventory_history(ws: Workspace) -> None:
    report = health_report(ws, as_of=date(2026, 1, 10), period_days=365)
    assert report.inputs["period_start"] == date(2026, 1, 1)
    assert report.inputs["period_days"] == 10
    assert any("inventory history starts" in n for n in report.notes)


def test_abc_by_revenue_and_c_cap(ws: Workspace) -> None:
    report = health_report(ws, as_of=date(2026, 1, 10), period_days=10)
    classes = dict(zip(report.table["sku"], report.table["abc_class"], strict=True))
    # Revenue A 200, B 30: A is the first 80%; B comes after 200 / 230 = 87% -> B.
    assert classes == {"A": "A", "B": "B"}
    assert report.abc["c_total"] == 0 and not report.abc["over_cap"]


def test_cash_conversion_cycle_and_stress_test(ws: Workspace) -> None:
    report = health_report(ws, as_of=date(2026, 1, 10), period_days=10)
    cash = cash_figures(
        report,
        receivables=23,
        payables=8,
        cash=1000,
        liabilities=4000,
        fixed_costs=100,
    )
    ccc = cash["cash_conversion_cycle"]
    # DIO 48; DSO = 23 / revenue 230 x 10 = 1; DPO = 8 / COGS 40 x 10 = 2 -> 47 days.
    assert ccc["days"] == pytest.approx(48 + 1 - 2)
    stress = cash["stress_test"]
    assert stress["cash_ratio"] == pytest.approx(0.25)
    assert any("Cash ratio" in w for w in stress["warnings"])
    assert stress["sources"]["gross_margin"].startswith("1 - COGS")
    with pytest.raises(InputError, match="liabilities"):
        cash_figures(report, cash=1000, fixed_costs=100)


def test_unit_economics_by_hand_and_missing_columns(ws: Workspace) -> None:
    table = economics_table(ws, month=10).set_index("sku")
    a = table.loc["A"]
    # Storage Oct (peak): 0.1 cu ft x 2.40 = 0.24; landed 2 + 0.5 = 2.5; referral 1.5;
    # total 2.5 + 3 + 1.5 + 0.24 = 7.24; profit 2.76; margin 27.6% >= 25%.
    assert a["storage_per_unit"] == pytest.approx(0.24)
    assert a["profit_per_unit"] == pytest.approx(2.76)
    assert a["gross_margin"] == pytest.approx(0.276)
    assert a["status"] == "ok"
    b = table.loc["B"]
    assert b["status"] == "missing figures"
    assert "unit_cost" in b["missing"] and "fba_fee" in b["missing"]
    assert table.attrs["month_source"] == "--month"
    # Default month: the month of the latest sales date (Jan): off-peak 0.78.
    jan = economics_table(ws, skus=["A"]).set_index("sku").loc["A"]
    assert jan["storage_per_unit"] == pytest.approx(0.078)


def test_unknown_sku_is_an_input_error(ws: Workspace) -> None:
    with pytest.raises(InputError, match="unknown SKU 'Z'"):
        economics_table(ws, skus=["Z"])
