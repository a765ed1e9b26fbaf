"""Demand panel: stockout days are not zero demand (R-G2, R-K5)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from stockcycle.errors import InputError
from stockcycle.forecast.demand import demand_panel, sku_series, stockout_run_length


def _sales(
    sku: str, units: list[float], start: str = "2024-01-01", channel: str = "amazon"
) -> pd.DataFrame:
    days = pd.date_range(start, periods=len(units), freq="D")
    return pd.DataFrame(
        {"date": days, "sku": sku, "channel": channel, "units": np.asarray(units, dtype=float)}
    )


def test_grid_is_complete_from_first_sale_and_sums_channels() -> None:
    a = _sales("A", [0, 0, 2, 0, 3], channel="amazon")  # first sale on day 3
    b = _sales("A", [0, 0, 1, 1, 0], channel="shopify")
    # Rows missing entirely (not just zero) must also appear on the grid.
    sales = pd.concat([a, b]).query("units > 0")
    sales = pd.concat([sales, _sales("B", [0, 0, 0, 0, 1])]).reset_index(drop=True)
    panel = demand_panel(sales)
    a_rows = sku_series(panel, "A")
    assert list(a_rows["date"].dt.day) == [3, 4, 5]  # grid starts at the first sale
    assert list(a_rows["units"]) == [3.0, 1.0, 3.0]  # 2+1, 0+1, 3+0
    assert list(sku_series(panel, "B")["date"].dt.day) == [5]
    only_amazon = sku_series(demand_panel(sales, channel="amazon"), "A")
    assert list(only_amazon["units"]) == [2.0, 0.0, 3.0]


def test_end_extends_the_grid_with_zero_days() -> None:
    panel = demand_panel(_sales("A", [1, 1]), end=pd.Timestamp("2024-01-05").date())
    rows = sku_series(panel, "A")
    assert len(rows) == 5
    assert list(rows["units"]) == [1, 1, 0, 0, 0]
    # A zero run reaching the end is kept as zero demand (cannot be told from an exit).
    assert rows["in_stock"].all()


def test_short_zero_run_at_low_rate_is_not_a_stockout() -> None:
    # Rate 0.2/day around the gap: one sale every 5 days; a 3-day gap has P = exp(-0.6) = 55%.
    units = [1, 0, 0, 0, 0] * 8 + [1]
    panel = sku_series(demand_panel(_sales("S", units)), "S")
    assert panel["in_stock"].all()
    assert panel["demand"].equals(panel["units"])


def test_long_zero_run_at_high_rate_is_a_stockout() -> None:
    units = [10.0] * 30 + [0.0] * 20 + [10.0] * 30
    panel = sku_series(demand_panel(_sales("S", units)), "S")
    out = ~panel["in_stock"]
    assert out.sum() == 20
    assert out.iloc[30:50].all()
    assert panel["demand"].iloc[30:50].isna().all()
    assert panel["demand"].iloc[:30].eq(10).all() and panel["demand"].iloc[50:].eq(10).all()


def test_threshold_matches_the_poisson_formula() -> None:
    # exp(-rate * k) < 1%  <=>  k > ln(100) / rate
    assert stockout_run_length(0.2) == pytest.approx(math.log(100) / 0.2)
    assert stockout_run_length(0.0) == math.inf
    # At 1/day the threshold is 4.6 days: a 4-day gap stays, a 5-day gap is a stockout.
    for gap, expect_out in [(4, False), (5, True)]:
        units = [1.0] * 28 + [0.0] * gap + [1.0] * 28
        rows = sku_series(demand_panel(_sales("S", units)), "S")
        # The rate around the gap is exactly 1/day (28 ones on each side).
        assert (~rows["in_stock"]).any() == expect_out, gap


def test_inventory_snapshots_mark_stockouts_where_known() -> None:
    units = [1.0, 0.0, 0.0, 1.0, 0.0, 1.0]
    sales = _sales("S", units)
    days = pd.date_range("2024-01-01", periods=6)
    # Two locations on day 2: 0 + 0 -> out; day 3: 0 + 4 -> in; day 5: 0 -> out.
    inv = pd.DataFrame(
        {
            "snapshot_date": [days[1], days[1], days[2], days[2], days[4]],
            "sku": "S",
            "location": ["FBA", "3PL", "FBA", "3PL", "FBA"],
            "available": [0.0, 0.0, 0.0, 4.0, 0.0],
        }
    )
    rows = sku_series(demand_panel(sales, inv), "S")
    assert list(rows["in_stock"]) == [True, False, True, True, False, True]
    assert rows["demand"].isna().tolist() == [False, True, False, False, True, False]


def test_zero_run_with_an_empty_snapshot_is_a_stockout_throughout() -> None:
    units = [0.3] * 10 + [0.0] * 6  # slow seller, run reaches the end: not inferred alone
    sales = _sales("S", units)
    inv = pd.DataFrame(
        {
            "snapshot_date": [pd.Timestamp("2024-01-16")],
            "sku": "S",
            "location": "FBA",
            "available": [0.0],
        }
    )
    rows = sku_series(demand_panel(sales, inv), "S")
    assert (~rows["in_stock"]).sum() == 6
    assert rows["demand"].iloc[10:].isna().all()


def test_unknown_sku_is_an_input_error() -> None:
    panel = demand_panel(_sales("A", [1.0]))
    with pytest.raises(InputError, match="SKU 'Z'"):
        sku_series(panel, "Z")


def test_missing_units_column_names_the_column() -> None:
    with pytest.raises(InputError) as err:
        demand_panel(pd.DataFrame({"date": [], "sku": []}))
    assert err.value.column == "units"
