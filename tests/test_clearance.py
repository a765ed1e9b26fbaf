"""Workspace -> clearance, markdown and exit analysis of one SKU (R-D2..R-D5, R-E1..R-E3)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from stockcycle import fees
from stockcycle.clearance import (
    age_cohorts,
    aged_surcharge_per_unit,
    clearance_analysis,
    competitor_price_band,
    holding_cost_schedule,
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
    # No shipping weight in the products row: the default is used, and said (R-F3).
    assert result.missing == ["shipping_weight_lb"]
    assert inp["weight_lb"]["value"] == 1.0
    assert inp["weight_lb"]["source"].startswith("default 1 lb used")


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
    # Selling out at 2/day takes 50 days, Jan 31 to Mar 21: 2,500 unit-days, Jan 31 (99 on
    # average) at 0.078 / 31 a day, Feb 1-28 (sum of 99 - 2d for d = 1..28 = 1,960) at
    # 0.078 / 28, Mar 1-21 (441) at 0.078 / 31: 6.82, far below half the gross profit
    # 100 x (10 - 3 - 2 - 1.5) = 350 -> no exit date (keep selling).
    assert result.exit_date is None
    assert result.exit_reason.startswith("keep selling")
    check = result.exit_check
    storage = 0.078 * ((99 + 441) / 31 + 1960 / 28)
    assert check["future_storage_and_upkeep"] == pytest.approx(storage)  # 6.82
    assert check["remaining_gross_profit"] == pytest.approx(350.0)
    residual = result.residual.set_index("option")
    assert residual["recommended"].sum() == 1
    assert result.recommended_option == "keep selling"
    assert residual.loc["keep selling", "date"] == date(2026, 1, 31) + timedelta(days=50)
    disposal = result.residual.attrs["disposal_fee_per_unit"]
    assert disposal == pytest.approx(1.53)  # standard size, default 1 lb: the 0.5-1 lb band
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


# --------------------------------------------------- exit date from rising costs (R-E2, R-D3)


def exit_workspace(
    path: Path,
    end: date,
    unit_cost: float,
    cubic_feet: float,
    aging: list[dict],
    units: float = 100,
) -> Workspace:
    """SKU Q: 2 units/day at 10.00 for the 28 days to ``end``, ``units`` at FBA, FBA fee 2,
    referral 15% (gross profit per unit 10 - cost - 2 - 1.5), standard size, an aging report
    of ``end``."""
    sales = [
        {
            "date": (end - timedelta(days=k)).isoformat(),
            "sku": "Q",
            "channel": "Amazon.com",
            "units": 2,
            "revenue": 20,
        }
        for k in range(28)
    ]
    inventory = [
        {"snapshot_date": end.isoformat(), "sku": "Q", "location": "FBA", "available": units}
    ]
    products = [
        {
            "sku": "Q",
            "unit_cost": unit_cost,
            "price": 10.0,
            "fba_fee": 2.0,
            "referral_pct": 0.15,
            "cubic_feet": cubic_feet,
            "size_tier": "Large standard",
        }
    ]
    rows = [{"snapshot_date": end.isoformat(), "sku": "Q", **a} for a in aging]
    ws = Workspace.open(path)
    tables = {
        "sales": _frame("sales", sales),
        "inventory": _frame("inventory", inventory),
        "products": _frame("products", products),
        "aging": _frame("aging", rows),
    }
    ws.import_files([ParsedFile("test.csv", "generic", "test", tables, 30)])
    return ws


def _simulated_exit(
    as_of: date, cubic: float, ages: list[int], units: list[float], rate: float, margin: float
) -> date | None:
    """R-E2 by simulation with the fee functions: each day cut in 10 slices, FIFO (oldest
    cohort first), every unit held pays (storage of the day's month + its surcharge) / days
    in the month for the slice; exit on the first day the storage still to pay exceeds half
    the gross profit left."""
    import calendar

    total = sum(units)
    daily = []
    d = 0
    while rate * d < total:
        day = as_of + timedelta(days=d)
        month_days = calendar.monthrange(day.year, day.month)[1]
        storage = fees.monthly_storage_fee(cubic, "Large standard", day.month)
        cost = 0.0
        for i in range(10):
            gone = rate * (d + (i + 0.5) / 10)
            for size, age in zip(units, ages, strict=True):
                taken = min(size, gone)
                gone -= taken
                held = size - taken
                cost += held * (storage + fees.aged_surcharge(cubic, age + d)) / month_days / 10
        daily.append(cost)
        d += 1
    for t in range(len(daily)):
        left = total - rate * t
        if left > 0 and sum(daily[t:]) > 0.5 * left * margin:
            return as_of + timedelta(days=t)
    return None


def test_exit_date_on_the_first_day_of_the_q4_storage_rate(tmp_path: Path) -> None:
    # 100 new units (0-90 bucket: no surcharge before they are 181 days old) at 2/day from
    # Sep 20, 1 cu ft standard: 0.78 a month to Sep 30, 2.40 from Oct 1. Gross profit 3.01 a
    # unit (unit cost 3.49). Oct 1 (day 11): 78 units left hold 1,457 unit-days in October
    # (2.40 / 31 a day) and 64 in November (2.40 / 30): 117.92 > 0.5 x 78 x 3.01 = 117.39 ->
    # exit. Sep 30: 79 unit-days more at 0.78 / 30: 119.97 <= 0.5 x 80 x 3.01 = 120.40.
    end = date(2026, 9, 20)
    ws = exit_workspace(tmp_path / "q4", end, 3.49, 1.0, [{"bucket": "0-90", "units": 100}])
    result = clearance_analysis(ws, "Q")
    assert result.exit_date == date(2026, 10, 1)
    assert result.exit_date == _simulated_exit(end, 1.0, [0], [100], 2, 3.01)
    on = result.exit_check["on_exit_date"]
    assert on["future_storage_and_upkeep"] == pytest.approx(2.40 * (1457 / 31 + 64 / 30))
    assert on["remaining_gross_profit"] == pytest.approx(78 * 3.01)
    assert result.exit_reason.startswith("from 2026-10-01 the Q4 storage rate (2.40")
    assert result.exit_check["cost_step"]["kind"] == "storage"
    # With a gross profit of 3.10 a unit the rule never fires: keep selling.
    ws2 = exit_workspace(tmp_path / "q4b", end, 3.40, 1.0, [{"bucket": "0-90", "units": 100}])
    assert clearance_analysis(ws2, "Q").exit_date is None
    assert _simulated_exit(end, 1.0, [0], [100], 2, 3.10) is None


def test_exit_date_on_the_day_a_surcharge_tier_starts(tmp_path: Path) -> None:
    # 300 units in the 181-270 bucket (taken as 181 days old) at 2/day from May 1 (sold out
    # Sep 28, day 150), 0.1 cu ft: storage 0.078 a month, surcharge 0.05, 0.10 from May 31,
    # 0.15 from Jun 30, then 0.545 from Jul 30 (day 90, 271 days: the 271-300 tier), 0.57 from
    # Aug 29. Gross profit 1.225 a unit (unit cost 5.275). Jul 30: 120 units left hold 236
    # unit-days in July and 2,464 in Aug 1-28 at 0.623 / 31 a day, 171 in Aug 29-31 at
    # 0.648 / 31 and 729 in September at 0.648 / 30: 73.58 > 0.5 x 120 x 1.225 = 73.50 -> exit.
    end = date(2026, 5, 1)
    aging = [{"bucket": "181-270", "units": 300}]
    ws = exit_workspace(tmp_path / "aged", end, 5.275, 0.1, aging, units=300)
    result = clearance_analysis(ws, "Q")
    assert result.exit_date == date(2026, 7, 30)
    assert result.exit_date == _simulated_exit(end, 0.1, [181], [300], 2, 1.225)
    on = result.exit_check["on_exit_date"]
    hand = 0.623 * (236 + 2464) / 31 + 0.648 * 171 / 31 + 0.648 * 729 / 30
    assert on["future_storage_and_upkeep"] == pytest.approx(hand)  # 73.58
    assert result.exit_reason.startswith(
        "the 271-300-day aged-inventory surcharge tier from 2026-07-30"
    )
    assert result.exit_check["cost_step"]["kind"] == "surcharge"
    assert result.inputs["age_cohorts"]["value"] == [
        {"bucket": "181-270", "units": 300.0, "age_days": 181}
    ]


def test_fifo_cohorts_and_the_schedule_match_the_fee_functions() -> None:
    aging = pd.DataFrame(
        {
            "snapshot_date": pd.to_datetime(["2026-09-01"] * 3),
            "bucket": ["0-90", "365+", "181-270"],
            "units": [50.0, 20.0, 30.0],
        }
    )
    # Oldest first, ages from the snapshot 10 days before, units scaled to 200 on hand.
    cohorts = age_cohorts(aging, 200.0, date(2026, 9, 11))
    assert cohorts.labels == ["365+", "181-270", "0-90"]
    assert cohorts.ages == [376, 191, 10]
    assert cohorts.units == pytest.approx([40.0, 60.0, 100.0])
    assert age_cohorts(aging.iloc[:0], 80.0, date(2026, 9, 11)).ages == [0]
    # One unit of each cohort kept 120 days costs what fees.holding_fees says.
    schedule, steps = holding_cost_schedule(0.2, "Small standard", date(2026, 9, 11), cohorts, 120)
    for j, age in enumerate(cohorts.ages):
        expected = fees.holding_fees(0.2, "Small standard", date(2026, 9, 11), 120, age_days=age)
        assert schedule[:, j].sum() == pytest.approx(expected)
    q4 = [s for s in steps if s.kind == "storage"]
    assert [(s.date, s.before, s.after) for s in q4] == [
        (date(2026, 10, 1), pytest.approx(0.156), pytest.approx(0.48)),
        (date(2027, 1, 1), pytest.approx(0.48), pytest.approx(0.156)),
    ]
    # The 10-day-old cohort reaches the 181-210 tier on day 171: beyond these 120 days.
    assert not [s for s in steps if s.cohort == "0-90"]
