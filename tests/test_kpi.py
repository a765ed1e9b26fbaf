"""KPIs (R-K1..R-K4, R-M5, R-G5): every figure checked against numbers worked out by hand."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import pytest

from stockcycle import kpi
from stockcycle.errors import InputError

# --------------------------------------------------------------------------- R-K1 turnover


def test_turnover_and_days_of_inventory_by_hand() -> None:
    # $120,000 of COGS a year over $30,000 of average stock: 4 turns, 365 / 4 = 91.25 days.
    assert kpi.inventory_turnover(120_000, 30_000) == pytest.approx(4.0)
    assert kpi.days_of_inventory(30_000, 120_000) == pytest.approx(91.25)
    # A quarter: 30 days of COGS 10,000 on 5,000 of stock -> 15 days.
    assert kpi.days_of_inventory(5_000, 10_000, period_days=30) == pytest.approx(15.0)


def test_turnover_edge_cases_and_bad_input() -> None:
    assert kpi.inventory_turnover(0, 0) == 0.0
    assert math.isinf(kpi.inventory_turnover(100, 0))
    assert math.isinf(kpi.days_of_inventory(100, 0))
    with pytest.raises(InputError) as err:
        kpi.inventory_turnover(-5, 100)
    assert err.value.column == "cogs"


@pytest.mark.parametrize(
    ("turns", "status"),
    [
        (2.9, "alert"),
        (3.0, "below target"),
        (4.0, "on target"),
        (6.0, "on target"),
        (6.1, "above target"),
    ],
)
def test_turnover_status_against_r_k1_band(turns: float, status: str) -> None:
    assert kpi.turnover_status(turns) == status


# --------------------------------------------------------------------------- R-K2 aging


def test_fifo_aging_consumes_oldest_first() -> None:
    # Ages on 2026-07-20: Jan 1 -> 200 days, Mar 1 -> 141, Jun 1 -> 49 (counted on a calendar).
    receipts = pd.DataFrame(
        {"date": ["2026-06-01", "2026-01-01", "2026-03-01"], "units": [50, 100, 100]}
    )
    layers = kpi.fifo_layers(receipts, 150, date(2026, 7, 20))
    assert layers["age_days"].tolist() == [141, 49]
    assert layers["units"].tolist() == [50.0, 50.0]
    buckets = kpi.fifo_aging(receipts, 150, date(2026, 7, 20))
    assert list(buckets.index) == ["0-90", "91-180", "181-270", "271-365", "365+"]
    assert buckets.tolist() == [50.0, 50.0, 0.0, 0.0, 0.0]
    # Nothing sold: the January receipt is in 181-270.
    assert kpi.fifo_aging(receipts, 0, date(2026, 7, 20))["181-270"] == 100.0


@pytest.mark.parametrize(
    ("age", "bucket"),
    [
        (0, "0-90"),
        (90, "0-90"),
        (91, "91-180"),
        (180, "91-180"),
        (181, "181-270"),
        (365, "271-365"),
        (366, "365+"),
    ],
)
def test_bucket_boundaries(age: int, bucket: str) -> None:
    as_of = date(2026, 12, 31)
    receipts = pd.DataFrame({"date": [as_of - timedelta(days=age)], "units": [7]})
    assert kpi.fifo_aging(receipts, 0, as_of)[bucket] == 7.0


def test_fifo_aging_bad_input_names_row_and_column() -> None:
    receipts = pd.DataFrame({"date": ["2026-01-01", "2026-09-01"], "units": [10, 10]})
    with pytest.raises(InputError) as err:
        kpi.fifo_aging(receipts, 5, date(2026, 7, 1))
    assert (err.value.row, err.value.column) == (3, "date")
    with pytest.raises(InputError) as err:
        kpi.fifo_aging(receipts, 25, date(2026, 12, 1))
    assert err.value.column == "units_sold"
    with pytest.raises(InputError) as err:
        kpi.fifo_aging(pd.DataFrame({"date": ["2026-01-01"], "units": [-1]}), 0, date(2026, 2, 1))
    assert (err.value.row, err.value.column) == (2, "units")


def _aging_rows(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["snapshot_date", "sku", "bucket", "units"])


def test_aging_from_report_flags_r_k2() -> None:
    aging = _aging_rows(
        [
            ("2026-05-01", "A", "0-90", 40),
            ("2026-05-01", "A", "181-270", 99),  # older snapshot: ignored
            ("2026-06-01", "A", "0-90", 40),
            ("2026-06-01", "B", "0-90", 5),
            ("2026-06-01", "B", "91-180", 10),
            ("2026-06-01", "C", "91-180", 3),
            ("2026-06-01", "C", "181-270", 5),
            ("2026-06-01", "C", "365+", 2),
        ]
    )
    out = kpi.aging_from_report(aging).set_index("sku")
    assert out.loc["A", "total"] == 40.0 and out.loc["A", "181-270"] == 0.0
    assert out.loc["A", "status"] == "ok"
    # B: 10 units over 90 days; whether they are over 120 the report cannot tell.
    assert out.loc["B", "watch"] and out.loc["B", "watch_units"] == 10.0
    assert not out.loc["B", "discount"] and out.loc["B", "discount_maybe"]
    assert out.loc["B", "status"] == "discount? (check 91-180)"
    # C: 7 units over 180 days -> write-down candidate; 10 over 90.
    assert out.loc["C", "watch_units"] == 10.0
    assert out.loc["C", "discount_units"] == 7.0 and out.loc["C", "write_down_units"] == 7.0
    assert out.loc["C", "status"] == "write-down candidate"


def test_aging_from_report_unknown_bucket() -> None:
    aging = _aging_rows([("2026-06-01", "A", "0-90", 1), ("2026-06-01", "A", "90-180", 1)])
    with pytest.raises(InputError) as err:
        kpi.aging_from_report(aging)
    assert (err.value.row, err.value.column) == (3, "bucket")


# --------------------------------------------------------------------------- R-K3 cash cycle


def test_cash_conversion_cycle_by_hand() -> None:
    assert kpi.cash_conversion_cycle(90, 14, 30) == pytest.approx(74.0)
    # Receivables 5,000 on 130,000 of yearly revenue: 14.04 days; payables 10,000 on 120,000.
    assert kpi.days_sales_outstanding(5_000, 130_000) == pytest.approx(5_000 * 365 / 130_000)
    assert kpi.days_payable_outstanding(10_000, 120_000) == pytest.approx(30.4166667)


# --------------------------------------------------------------------------- R-K4 stress test


def test_stress_test_by_hand() -> None:
    s = kpi.stress_test(
        monthly_revenue=100_000,
        gross_margin=0.30,
        monthly_fixed_costs=20_000,
        cash=90_000,
        current_liabilities=200_000,
        inventory_cost=50_000,
        sales_drop=0.30,
        supply_delay_days=20,
        safety_stock_days=5,
    )
    assert s.months_covered == pytest.approx(4.5)  # 90,000 / 20,000
    assert s.stressed_gross_profit == pytest.approx(21_000)  # 100,000 x 0.7 x 0.3
    assert s.lost_sales_days == 15
    # Months of 365 / 12 days, the one figure every module uses (policy.DAYS_PER_MONTH).
    assert s.delay_loss == pytest.approx(21_000 / (365 / 12) * 15)  # 10,356.16
    assert s.months_covered_stressed == pytest.approx((90_000 - 10_356.164) / 20_000, rel=1e-6)
    assert math.isinf(s.runway_months_stressed)  # gross profit 21,000 > fixed 20,000
    assert s.cash_ratio == pytest.approx(0.45)
    assert s.inventory_months_stressed == pytest.approx(50_000 / 49_000)
    assert len(s.warnings) == 1 and "Cash ratio 0.45" in s.warnings[0]
    text = s.explain()
    assert "90,000.00 / 20,000.00 = **4.5**" in text and "**0.45**" in text


def test_stress_test_burn_and_runway() -> None:
    s = kpi.stress_test(50_000, 0.4, 20_000, 30_000, 10_000, 0, sales_drop=0.5)
    # Stressed gross profit 50,000 x 0.5 x 0.4 = 10,000; burn 10,000 a month; 3 months runway.
    assert s.stressed_burn == pytest.approx(10_000)
    assert s.runway_months_stressed == pytest.approx(3.0)
    assert s.months_covered == pytest.approx(1.5)
    assert any("1.5 months" in w for w in s.warnings)
    assert any("burn" in w for w in s.warnings)
    assert s.to_dict()["cash_ratio"] == pytest.approx(3.0)


def test_stress_test_rejects_bad_shares() -> None:
    with pytest.raises(InputError) as err:
        kpi.stress_test(1, 0.3, 1, 1, 1, 1, sales_drop=30)
    assert err.value.column == "sales_drop"


# --------------------------------------------------------------------------- R-M5 ABC


def test_abc_classes_by_hand() -> None:
    revenue = pd.Series({"d": 5.0, "a": 50.0, "c": 10.0, "e": 5.0, "b": 30.0, "z": 0.0})
    # Sorted 50, 30, 10, 5 (d), 5 (e): shares before each 0, .5, .8, .9, .95 -> A A B B C.
    classes = kpi.abc_classes(revenue)
    assert list(classes.index) == list(revenue.index)
    assert classes.to_dict() == {"a": "A", "b": "A", "c": "B", "d": "B", "e": "C", "z": "C"}


def test_abc_crossing_sku_stays_in_higher_class() -> None:
    # 70 then 20: the second SKU starts at 70% < 80% -> A although A+it = 90%.
    classes = kpi.abc_classes(pd.Series({"x": 70.0, "y": 20.0, "w": 10.0}))
    assert classes.tolist() == ["A", "A", "B"]
    with pytest.raises(InputError):
        kpi.abc_classes(pd.Series({"x": 1.0}), a_share=0.9, b_share=0.8)


def test_c_class_cash_cap_spreads_excess() -> None:
    cost = pd.Series({"A1": 1000.0, "B1": 500.0, "C1": 300.0, "C2": 200.0})
    classes = pd.Series({"A1": "A", "B1": "B", "C1": "C", "C2": "C"})
    out = kpi.c_class_cash_cap(cost, classes).set_index("sku")
    # Total 2,000, cap 5% = 100, C holds 500 -> 400 too much, split 300:200.
    assert out.attrs["cap"] == pytest.approx(100.0)
    assert out.attrs["excess"] == pytest.approx(400.0) and out.attrs["over_cap"]
    assert out["excess_cost"].to_dict() == pytest.approx(
        {"A1": 0.0, "B1": 0.0, "C1": 240.0, "C2": 160.0}
    )
    assert out.loc["C1", "share_of_total"] == pytest.approx(0.15)
    under = kpi.c_class_cash_cap(cost, classes, cap_share=0.30)
    assert not under.attrs["over_cap"] and under["excess_cost"].sum() == 0


# --------------------------------------------------------------------------- R-G5 review


def _review_data() -> tuple[pd.DataFrame, pd.DataFrame, date]:
    change = date(2026, 3, 1)
    days = [change - timedelta(days=28) + timedelta(days=i) for i in range(56)]
    # Before: out of stock on 10 of 28 days, else 90 units; after: 6 days out, else 100 units.
    before = [0.0] * 10 + [90.0] * 18
    after = [0.0] * 6 + [100.0] * 22
    stock = pd.DataFrame({"date": days, "sku": "S", "on_hand": before + after})
    sales = pd.DataFrame({"date": days, "sku": "S", "units": [2.0] * 56})
    return sales, stock, change


def test_weekly_review_flags_smaller_batches() -> None:
    sales, stock, change = _review_data()
    row = kpi.weekly_review(sales, stock, change).iloc[0]
    mean_before, mean_after = 90 * 18 / 28, 100 * 22 / 28
    assert row["stockout_days_before"] == 10 and row["stockout_days_after"] == 6
    assert row["stockout_change"] == pytest.approx(-0.4)
    assert row["cover_days_before"] == pytest.approx(mean_before / 2)
    assert row["cover_change"] == pytest.approx(mean_after / mean_before - 1)  # +35.8%
    assert row["turnover_before"] == pytest.approx(56 / mean_before * 365 / 28)
    assert bool(row["smaller_batches"]) and "smaller" in row["advice"]


def test_weekly_review_no_flag_when_cover_did_not_grow() -> None:
    sales, stock, change = _review_data()
    # Stockouts fell 40% but the stock held on in-stock days dropped to 73: cover did not grow.
    stock.loc[stock["date"] >= change, "on_hand"] = [0.0] * 6 + [73.0] * 22
    row = kpi.weekly_review(sales, stock, change).iloc[0]
    assert row["cover_change"] == pytest.approx(73 * 22 / (90 * 18) - 1)  # -0.9%
    assert not row["smaller_batches"]


def test_weekly_review_weekly_snapshots_hold_until_next() -> None:
    change = date(2026, 3, 1)
    start = change - timedelta(days=14)
    # Snapshots every 7 days, two locations on the same date summed; the last one before
    # the window holds on its first days.
    stock = pd.DataFrame(
        {
            "snapshot_date": [
                start - timedelta(days=10),  # superseded by the next snapshot
                start - timedelta(days=3),  # carries into the window
                start - timedelta(days=3),
                start + timedelta(days=7),
                change,
                change + timedelta(days=7),
            ],
            "sku": "S",
            "location": ["FBA", "FBA", "3PL", "FBA", "FBA", "FBA"],
            "available": [999.0, 30.0, 10.0, 0.0, 50.0, 50.0],
        }
    )
    sales = pd.DataFrame({"date": [start], "sku": ["S"], "units": [28.0]})
    row = kpi.weekly_review(sales, stock, change, weeks=2).iloc[0]
    # Before: 7 days at 40, 7 days at 0 -> mean 20, 7 stockout days; after: 14 days at 50.
    assert row["stockout_days_before"] == 7 and row["stockout_days_after"] == 0
    assert row["cover_days_before"] == pytest.approx(20 / (28 / 14))
    assert math.isinf(row["cover_days_after"])  # no sales after the change


# --------------------------------------------------------------------------- restock cash (R-K5)


def test_cash_tied_up_is_safety_stock_plus_half_an_order_at_cost() -> None:
    # SS 150, order 600 at $4.00: on average 150 + 600 / 2 = 450 units on the shelf -> $1,800.
    assert kpi.cash_tied_up(150, 600, 4.0) == pytest.approx(1_800.0)
    assert kpi.cash_tied_up(150, 0, 4.0) == pytest.approx(600.0)  # the safety stock alone
    assert math.isnan(kpi.cash_tied_up(150, 600, None))  # unknown cost is not $0
    assert math.isnan(kpi.cash_tied_up(150, 600, float("nan")))
    with pytest.raises(InputError):
        kpi.cash_tied_up(-1, 600, 4.0)


def test_demand_volatility_is_sd_over_mean() -> None:
    assert kpi.demand_volatility(3.0, 12.0) == pytest.approx(0.25)
    assert math.isnan(kpi.demand_volatility(3.0, 0.0))
