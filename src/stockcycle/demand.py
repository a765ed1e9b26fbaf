"""Demand, not sales: a complete daily grid per SKU with stockout and closed days marked.

A day on which the SKU could not be bought says nothing about how many people wanted it, so
forecasting on raw sales would learn the stockouts as low demand and plan the next stockout.
But a day without sales is, far more often, simply a day nobody bought: taking those for
stockouts makes every forecast run high. ``demand_panel`` builds one row per SKU and day and
marks a day unknown (NaN demand) only on evidence (R-T2):

- a stockout: the seller's inventory data shows no sellable stock that day;
- a closed day: the whole catalogue sold nothing on a day its recent rate makes that
  improbable (the shop was closed: a weekend, a holiday, an account suspension).

Every other zero-sale day is zero demand. Models fit on the days that carry information.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from stockcycle.errors import InputError

if TYPE_CHECKING:
    from stockcycle.store import Workspace

#: A day on which the whole catalogue sold nothing is closed when the probability of that
#: under the catalogue's recent Poisson rate is below this: P(0 units) = exp(-rate).
CLOSED_DAY_PROBABILITY = 0.01
#: Days on each side of a day used to measure the catalogue's rate around it.
RATE_WINDOW_DAYS = 28

PANEL_COLUMNS = ["sku", "date", "units", "in_stock", "closed", "demand"]


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


def closed_days(totals: pd.Series) -> pd.DatetimeIndex:
    """Days the shop was closed, from the catalogue's total units per day (``totals``,
    indexed by day; days missing from it sold nothing).

    A day with no unit sold anywhere is closed when exp(-rate) < 1%
    (``CLOSED_DAY_PROBABILITY``), i.e. rate > ln(100) = 4.6 units/day, rate being the
    catalogue's mean units per day over the 28 days on each side of it (the day itself left
    out). A catalogue that sells 50 a day and sells nothing on a Saturday was closed; one that
    sells 2 a day has zero days by chance, and none of them is called closed. Source: R-T2.
    """
    if totals.empty:
        return pd.DatetimeIndex([])
    idx = pd.DatetimeIndex(pd.to_datetime(totals.index)).normalize()
    tot = pd.Series(totals.to_numpy(dtype=float), index=idx).groupby(level=0).sum()
    grid = tot.reindex(pd.date_range(tot.index.min(), tot.index.max(), freq="D"), fill_value=0.0)
    vals = grid.to_numpy()
    cs = np.concatenate([[0.0], np.cumsum(vals)])
    n = len(vals)
    i = np.arange(n)
    lo = np.maximum(i - RATE_WINDOW_DAYS, 0)
    hi = np.minimum(i + RATE_WINDOW_DAYS, n - 1)
    around = (cs[i] - cs[lo]) + (cs[hi + 1] - cs[i + 1])
    days = (i - lo) + (hi - i)
    rate = np.divide(around, days, out=np.zeros(n), where=days > 0)
    closed = (vals <= 0) & (np.exp(-rate) < CLOSED_DAY_PROBABILITY)
    return grid.index[closed]


def demand_panel(
    sales: pd.DataFrame,
    inventory: pd.DataFrame | None = None,
    *,
    channel: str | None = None,
    end: date | None = None,
    catalogue_totals: pd.Series | None = None,
) -> pd.DataFrame:
    """Long frame ``sku, date, units, in_stock, closed, demand``, one row per SKU and day.

    - The grid runs from each SKU's first sale (first day with units > 0) to ``end``, the
      as-of date (default: the latest date of the sales and inventory data). Nothing after
      ``end`` is read. Days without a sales row have 0 units.
    - ``units`` is summed over channels, or taken from one ``channel`` (R-A4: demand summed
      across channels).
    - ``in_stock`` is False only on evidence (R-T2): a snapshot of that day with no sellable
      stock (``available`` summed over locations = 0), or a run of zero-sale days that holds
      such a snapshot and none with stock (no sale happened, so the stock it found at 0 had
      not been sold down during the run). A day with sales is in stock. Without inventory
      data nothing is a stockout.
    - ``closed`` marks the days the shop was closed (``closed_days`` of ``catalogue_totals``,
      the whole catalogue's units per day; default: the totals of ``sales``, right when
      ``sales`` holds every SKU). A day with sales is never closed for that SKU.
    - ``demand`` = units on in-stock open days, NaN on stockout and closed days.

    Vectorised over all SKUs (no per-SKU Python loop).
    """
    daily = _daily_units(sales, channel)
    inventory_dates = (
        pd.to_datetime(inventory["snapshot_date"], errors="coerce")
        if inventory is not None and len(inventory)
        else pd.Series(dtype="datetime64[ns]")
    )
    if end is not None:
        end_ts = pd.Timestamp(end).normalize()
    else:
        latest = [pd.to_datetime(sales["date"], errors="coerce").max(), inventory_dates.max()]
        end_ts = max((d for d in latest if pd.notna(d)), default=pd.NaT)
        end_ts = end_ts.normalize() if pd.notna(end_ts) else end_ts
    daily = daily[daily["date"] <= end_ts] if pd.notna(end_ts) else daily
    if inventory is not None and len(inventory):
        inventory = inventory[inventory_dates.dt.normalize() <= end_ts]
    selling = daily[daily["units"] > 0]
    if selling.empty:
        return pd.DataFrame(
            {
                "sku": pd.Series(dtype="string"),
                "date": pd.Series(dtype="datetime64[ns]"),
                "units": pd.Series(dtype=float),
                "in_stock": pd.Series(dtype=bool),
                "closed": pd.Series(dtype=bool),
                "demand": pd.Series(dtype=float),
            }
        )
    first = selling.groupby("sku", sort=True)["date"].min()
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

    # Maximal runs of zero-sale days within each SKU; a run whose snapshots say "no stock"
    # and never "stock" was out of stock throughout.
    zero = ~sold
    new_run = np.ones(total, dtype=bool)
    new_run[1:] = (zero[1:] != zero[:-1]) | (sku_code[1:] != sku_code[:-1])
    run_id = np.cumsum(new_run) - 1
    n_runs = int(run_id[-1]) + 1
    run_zero = zero[np.flatnonzero(new_run)]
    has_out = np.bincount(run_id, weights=(known == -1), minlength=n_runs) > 0
    has_in = np.bincount(run_id, weights=(known == 1) & zero, minlength=n_runs) > 0
    run_out = run_zero & has_out & ~has_in
    in_stock = ~run_out[run_id]
    # Snapshots win on the days they cover.
    in_stock[known == 1] = True
    in_stock[known == -1] = False

    if catalogue_totals is None:
        catalogue_totals = daily.groupby("date")["units"].sum()
    shut = closed_days(catalogue_totals)
    closed = np.isin(dates, shut.to_numpy(dtype="datetime64[ns]")) & ~sold

    demand = np.where(in_stock & ~closed, units, np.nan)
    return pd.DataFrame(
        {
            "sku": pd.array(skus[sku_code], dtype="string"),
            "date": dates,
            "units": units,
            "in_stock": in_stock,
            "closed": closed,
            "demand": demand,
        }
    )


def sku_series(panel: pd.DataFrame, sku: str) -> pd.DataFrame:
    """One SKU's rows of a ``demand_panel``: ``date, units, in_stock, closed, demand``."""
    rows = panel[panel["sku"] == sku]
    if rows.empty:
        raise InputError(
            f"SKU '{sku}' has no sales in the data",
            column="sku",
            expected="a SKU with at least one day of sales",
        )
    return (
        rows[["date", "units", "in_stock", "closed", "demand"]]
        .sort_values("date")
        .reset_index(drop=True)
    )


def workspace_panel(
    ws: Workspace,
    *,
    skus: list[str] | None = None,
    end: date | None = None,
    inventory: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The ``demand_panel`` of a workspace, or of some of its ``skus``, as of ``end`` (default:
    the workspace's data date, ``Workspace.data_date``). Closed days always come from the
    whole catalogue's daily units, so one SKU's panel marks the same closed days as the
    catalogue's. ``inventory``: the (same SKUs') inventory table when the caller has read it
    already, so it is not read twice."""
    sales = ws.read("sales", skus=skus)
    if inventory is None:
        inventory = ws.read("inventory", skus=skus)
    return demand_panel(
        sales,
        inventory,
        end=end or ws.data_date(),
        catalogue_totals=ws.daily_units() if skus is not None else None,
    )
