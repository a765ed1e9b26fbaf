"""Demand, not sales: a complete daily grid per SKU with stockout days masked.

A day on which the SKU could not be bought says nothing about how many people wanted it, so
forecasting on raw sales would learn the stockouts as low demand and plan the next stockout.
``demand_panel`` builds one row per SKU and day, marks the days the SKU was out of stock (from
inventory snapshots where they exist, else inferred from improbable runs of zero sales) and sets
their demand to NaN. Models then fit on the days that carry information (R-G2, R-K5).
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd

from stockcycle.errors import InputError

#: A zero-sales run whose probability under the SKU's recent Poisson rate falls below this is a
#: stockout: P(k zero days) = exp(-rate * k).
STOCKOUT_RUN_PROBABILITY = 0.01
#: Days on each side of a zero run used to measure the SKU's rate around it.
RATE_WINDOW_DAYS = 28

PANEL_COLUMNS = ["sku", "date", "units", "in_stock", "demand"]


def stockout_run_length(rate: float, probability: float = STOCKOUT_RUN_PROBABILITY) -> float:
    """Shortest run of zero-sale days that counts as a stockout at a daily sales ``rate``.

    Formula: with Poisson daily sales at ``rate`` units/day, P(k zero days in a row) =
    exp(-rate * k); the run is a stockout when that is below ``probability``, i.e. when
    k > ln(1 / probability) / rate. Units: days. Example: at 10/day, ln(100)/10 = 0.46 days
    (any interior zero day at that rate is suspicious, a run of 20 certainly is); at 0.2/day,
    23 days (a 3-day gap is normal for a slow seller).
    """
    if rate <= 0:
        return math.inf
    return math.log(1.0 / probability) / rate


def _daily_units(sales: pd.DataFrame, channel: str | None) -> pd.DataFrame:
    missing = [c for c in ("date", "sku", "units") if c not in sales.columns]
    if missing:
        raise InputError(
            f"the sales table has no column '{missing[0]}'",
            column=missing[0],
            expected="the columns of the sales table",
        )
    df = sales
    if channel is not None:
        if "channel" not in df.columns:
            raise InputError(
                "the sales table has no channel column",
                column="channel",
                expected="a channel per sales row",
            )
        df = df[df["channel"].astype("string") == channel]
    out = pd.DataFrame(
        {
            "sku": df["sku"].astype("string"),
            "date": pd.to_datetime(df["date"], errors="coerce").dt.normalize(),
            "units": pd.to_numeric(df["units"], errors="coerce").fillna(0.0).clip(lower=0.0),
        }
    )
    out = out[out["sku"].notna() & out["date"].notna()]
    return out.groupby(["sku", "date"], as_index=False, sort=True)["units"].sum()


def _stock_known(inventory: pd.DataFrame | None, skus: pd.Index) -> pd.DataFrame:
    """sku, date, stocked: True where the summed ``available`` over locations is > 0."""
    if inventory is None or inventory.empty:
        return pd.DataFrame(
            {
                "sku": pd.Series(dtype="string"),
                "date": pd.Series(dtype="datetime64[ns]"),
                "stocked": pd.Series(dtype=bool),
            }
        )
    inv = pd.DataFrame(
        {
            "sku": inventory["sku"].astype("string"),
            "date": pd.to_datetime(inventory["snapshot_date"], errors="coerce").dt.normalize(),
            "available": pd.to_numeric(inventory["available"], errors="coerce"),
        }
    )
    inv = inv[inv["sku"].isin(skus) & inv["date"].notna() & inv["available"].notna()]
    tot = inv.groupby(["sku", "date"], as_index=False, sort=False)["available"].sum()
    tot["stocked"] = tot["available"] > 0
    return tot[["sku", "date", "stocked"]]


def demand_panel(
    sales: pd.DataFrame,
    inventory: pd.DataFrame | None = None,
    *,
    channel: str | None = None,
    end: date | None = None,
) -> pd.DataFrame:
    """Long frame ``sku, date, units, in_stock, demand``, one row per SKU and day.

    - The grid runs from each SKU's first sale (first day with units > 0) to ``end`` (default:
      the last sales date in the data); days without a sales row have 0 units.
    - ``units`` is summed over channels, or taken from one ``channel`` (R-A4: demand summed
      across channels).
    - ``in_stock`` comes from inventory snapshots where one exists for that SKU and day
      (``available`` summed over locations > 0; a day with sales counts as in stock even if the
      snapshot shows 0, since the SKU sold out during the day). On other days it is inferred:
      a run of zero-sale days of length k inside an otherwise selling period (sales on both
      sides) is a stockout when exp(-rate * k) < 1%, rate being the mean units/day over the
      28 days on each side of the run (``stockout_run_length``). A zero run that holds a
      snapshot with no stock and none with stock is a stockout from start to end. A zero run
      reaching ``end`` with no snapshot is left as zero demand: it cannot be told apart from the
      end of a product's sales.
    - ``demand`` = units on in-stock days, NaN on stockout days (demand, not sales).

    Vectorised over all SKUs (no per-SKU Python loop): 1,000 SKUs x 730 days take well under
    a second.
    """
    daily = _daily_units(sales, channel)
    selling = daily[daily["units"] > 0]
    if selling.empty:
        return pd.DataFrame(
            {
                "sku": pd.Series(dtype="string"),
                "date": pd.Series(dtype="datetime64[ns]"),
                "units": pd.Series(dtype=float),
                "in_stock": pd.Series(dtype=bool),
                "demand": pd.Series(dtype=float),
            }
        )
    end_ts = (
        pd.Timestamp(end)
        if end is not None
        else pd.to_datetime(sales["date"], errors="coerce").max()
    ).normalize()
    first = selling.groupby("sku", sort=True)["date"].min()
    first = first[first <= end_ts]
    skus = first.index
    n_days = ((end_ts - first).dt.days + 1).to_numpy(dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(n_days)])
    total = int(offsets[-1])
    sku_code = np.repeat(np.arange(len(skus)), n_days)
    day_in_sku = np.arange(total) - offsets[:-1][sku_code]
    first_ns = first.to_numpy(dtype="datetime64[ns]")
    dates = first_ns[sku_code] + day_in_sku.astype("timedelta64[D]")

    def positions(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Grid row of each (sku, date) in ``frame`` and a mask of those on the grid."""
        code = skus.get_indexer(frame["sku"])
        ok = code >= 0
        day = np.zeros(len(frame), dtype=np.int64)
        day[ok] = (
            (frame["date"].to_numpy(dtype="datetime64[ns]")[ok] - first_ns[code[ok]])
            // np.timedelta64(1, "D")
        ).astype(np.int64)
        ok &= (day >= 0) & (day < np.where(ok, n_days[np.maximum(code, 0)], 0))
        return offsets[code[ok]] + day[ok], ok

    units = np.zeros(total)
    pos, ok = positions(daily)
    units[pos] = daily["units"].to_numpy(dtype=float)[ok]

    # Known stock state from snapshots: +1 in stock, -1 out, 0 unknown.
    known = np.zeros(total, dtype=np.int8)
    stock = _stock_known(inventory, skus)
    if not stock.empty:
        pos, ok = positions(stock)
        known[pos] = np.where(stock["stocked"].to_numpy(dtype=bool)[ok], 1, -1)
    sold = units > 0
    known[sold] = 1

    # Maximal runs of zero-sale days within each SKU.
    zero = ~sold
    new_run = np.ones(total, dtype=bool)
    new_run[1:] = (zero[1:] != zero[:-1]) | (sku_code[1:] != sku_code[:-1])
    run_id = np.cumsum(new_run) - 1
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:], total) - 1
    run_zero = zero[starts]
    run_sku = sku_code[starts]
    sku_end = offsets[1:][run_sku] - 1  # last grid row of the run's SKU
    sku_start = offsets[:-1][run_sku]
    length = ends - starts + 1

    # Rate around each run: mean units/day over up to 28 days before and 28 days after it.
    cs = np.concatenate([[0.0], np.cumsum(units)])
    lo = np.maximum(starts - RATE_WINDOW_DAYS, sku_start)
    hi = np.minimum(ends + RATE_WINDOW_DAYS, sku_end)
    around_units = (cs[starts] - cs[lo]) + (cs[hi + 1] - cs[ends + 1])
    around_days = (starts - lo) + (hi - ends)
    rate = np.divide(around_units, around_days, out=np.zeros(len(starts)), where=around_days > 0)
    interior = ends < sku_end  # sales resume after the run (it always follows a sale)
    improbable = np.exp(-rate * length) < STOCKOUT_RUN_PROBABILITY

    # Snapshot evidence per run.
    has_out = np.bincount(run_id, weights=(known == -1), minlength=len(starts)) > 0
    has_in = np.bincount(run_id, weights=(known == 1) & zero, minlength=len(starts)) > 0
    run_out = run_zero & ((interior & improbable) | (has_out & ~has_in))

    in_stock = ~run_out[run_id]
    # Snapshots win over inference on the days they cover.
    in_stock[known == 1] = True
    in_stock[known == -1] = False

    demand = np.where(in_stock, units, np.nan)
    return pd.DataFrame(
        {
            "sku": pd.array(skus[sku_code], dtype="string"),
            "date": dates,
            "units": units,
            "in_stock": in_stock,
            "demand": demand,
        }
    )


def sku_series(panel: pd.DataFrame, sku: str) -> pd.DataFrame:
    """One SKU's rows of a ``demand_panel``: ``date, units, in_stock, demand``, by date."""
    rows = panel[panel["sku"] == sku]
    if rows.empty:
        raise InputError(
            f"SKU '{sku}' has no sales in the data",
            column="sku",
            expected="a SKU with at least one day of sales",
        )
    return rows[["date", "units", "in_stock", "demand"]].sort_values("date").reset_index(drop=True)
