"""Demand panel (R-T2): a zero-sale day is zero demand unless inventory data shows no stock
that day; a day the whole catalogue sold nothing, at a rate that makes that improbable, is a
closed day. Neither kind of unknown day is demand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stockcycle.demand import closed_days, demand_panel, sku_series
from stockcycle.errors import InputError


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


def test_zero_days_without_inventory_data_are_zero_demand() -> None:
    # A fast seller silent for 20 days while another SKU keeps selling: without inventory
    # data nothing says it was out of stock, so those days are demand of 0 (no phantom
    # stockouts, which made forecasts run high on real data).
    units = [10.0] * 30 + [0.0] * 20 + [10.0] * 30
    sales = pd.concat([_sales("S", units), _sales("OTHER", [5.0] * 80)])
    rows = sku_series(demand_panel(sales), "S")
    assert rows["in_stock"].all() and not rows["closed"].any()
    assert rows["demand"].equals(rows["units"])
    assert rows["demand"].iloc[30:50].eq(0).all()


def test_a_day_the_whole_catalogue_sold_nothing_is_closed() -> None:
    # Three SKUs selling 3 a day each (9 a day in all), none on Saturdays: P(0 | 9/day) is
    # exp(-9) << 1%, so every Saturday is a closed day, left out of demand, not a zero.
    days = pd.date_range("2024-01-01", periods=56, freq="D")  # 2024-01-01 is a Monday
    units = np.where(days.day_of_week == 5, 0.0, 3.0)
    sales = pd.concat([_sales(s, list(units)) for s in ("A", "B", "C")])
    panel = demand_panel(sales)
    rows = sku_series(panel, "A")
    saturday = rows["date"].dt.day_of_week == 5
    assert rows["closed"].eq(saturday).all()
    assert rows.loc[saturday, "demand"].isna().all()
    assert rows.loc[~saturday, "demand"].eq(3).all()
    assert rows["in_stock"].all()  # closed is not out of stock


def test_closed_day_threshold_is_the_poisson_formula() -> None:
    # Closed when exp(-rate) < 1%, i.e. a catalogue rate above ln(100) = 4.6 units a day.
    day = pd.Timestamp("2024-02-01")
    for rate, expect_closed in [(4.5, False), (4.7, True)]:
        around = pd.date_range(day - pd.Timedelta(days=28), day + pd.Timedelta(days=28))
        totals = pd.Series(rate, index=around[around != day])
        totals.loc[day] = 0.0
        assert (day in closed_days(totals.sort_index())) == expect_closed, rate


def test_end_defaults_to_the_latest_sales_or_inventory_date_and_cuts_later_data() -> None:
    sales = _sales("A", [1, 2, 3, 4, 5])
    inv = pd.DataFrame(
        {
            "snapshot_date": [pd.Timestamp("2024-01-08")],
            "sku": "A",
            "location": "FBA",
            "available": [7.0],
        }
    )
    # The inventory snapshot of 8 January is the data date: three more days of zero sales.
    assert sku_series(demand_panel(sales, inv), "A")["date"].max() == pd.Timestamp("2024-01-08")
    # As of 3 January nothing later is read: not the sales of the 4th and 5th.
    rows = sku_series(demand_panel(sales, inv, end=pd.Timestamp("2024-01-03").date()), "A")
    assert list(rows["units"]) == [1, 2, 3]


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
    units = [0.3] * 10 + [0.0] * 6  # a slow seller: zero days are zeros without the snapshot
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
