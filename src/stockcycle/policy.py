"""Inventory policy arithmetic: how much to hold, when to order, how much to order.

Pure functions over plain numbers, dates and DataFrames (no workspace, no streamlit).

Map of the module:

- Normal building blocks: ``z_score`` (Phi^-1), ``standard_normal_loss`` (L(z)).
- Safety stock (R-G2, R-L4, R-M1, R-K5), all returning ``SafetyStock`` with ``explain()``:
  ``safety_stock`` (cycle service level, type I), ``fill_rate_safety_stock`` (type II, solved
  with the loss function), ``quantile_safety_stock`` (from forecast-error quantiles).
- Levels and dates: ``reorder_point``, ``order_up_to_level``, ``low_stock_threshold`` (R-A1),
  ``days_of_cover``, ``total_lead_time``, ``projected_stock`` (day by day, lost sales),
  ``stockout_date``, ``order_by_date``.
- Order quantities: ``economic_order_quantity`` (Harris, R-M5), ``newsvendor_normal``,
  ``critical_ratio``, ``launch_newsvendor`` (one-shot launch buy), ``r_q_policy`` (EOQ + SS),
  ``round_order`` (case pack and MOQ).
- Launch (R-L3, R-L5): ``launch_order`` -> ``LaunchOrder``.
- Restock (R-G4, R-L7, R-A4): ``split_deliveries``, ``shipment_split_costs``,
  ``compare_shipping`` / ``shipping_options`` (air vs sea), ``pooled_position`` (stock over
  all locations).

Units: quantities in units, demand in units/day, times in days, money in the seller's
currency; shares and rates are floats 0..1. References: Silver, Pyke & Thomas, "Inventory and
Production Management in Supply Chains" (4th ed., 2017) [SPT]; Snyder & Shen, "Fundamentals of
Supply Chain Theory" (2nd ed., 2019) [SS]; Nahmias, "Production and Operations Analysis" [N];
Harris (1913), "How many parts to make at once".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.stats import norm

from stockcycle.checks import number
from stockcycle.errors import InputError

# Days in a month for monthly storage fees: a 365-day year over 12 months, matching the
# 365-day year used for yearly holding-cost rates.
DAYS_PER_MONTH = 365.0 / 12.0
# Latest a split delivery is scheduled, in days after the first one (R-G4). A restock plan
# looks one year ahead (its forecast and stock projection end there), so a date further out is
# guesswork no supplier can be held to; and a demand that has decayed to almost nothing
# (1e-20 units/day) would otherwise put the next delivery 1e22 days away, past any calendar.
MAX_DELIVERY_SPREAD_DAYS = 365

__all__ = [
    "DAYS_PER_MONTH",
    "MAX_DELIVERY_SPREAD_DAYS",
    "LaunchOrder",
    "Newsvendor",
    "SafetyStock",
    "ShippingOption",
    "compare_shipping",
    "critical_ratio",
    "days_of_cover",
    "economic_order_quantity",
    "fill_rate_safety_stock",
    "launch_newsvendor",
    "launch_order",
    "low_stock_threshold",
    "newsvendor_normal",
    "order_by_date",
    "order_up_to_level",
    "pooled_position",
    "projected_stock",
    "quantile_safety_stock",
    "r_q_policy",
    "reorder_point",
    "round_order",
    "safety_stock",
    "shipment_split_costs",
    "shipping_options",
    "split_deliveries",
    "standard_normal_loss",
    "stockout_date",
    "total_lead_time",
    "z_score",
]


# --------------------------------------------------------------------------- checks and format


def _number(value: Any, name: str) -> float:
    return number(name, value, minimum=None)


def _non_negative(value: Any, name: str) -> float:
    return number(name, value, finite=True)


def _positive(value: Any, name: str) -> float:
    return number(name, value, strict=True, finite=True)


def _share(value: Any, name: str) -> float:
    """A probability strictly between 0 and 1 (a service level, a fill rate, a split)."""
    out = _number(value, name)
    if not 0 < out < 1:
        raise InputError(
            f"'{name}' is {out:g}", column=name, expected="a share between 0 and 1, e.g. 0.95"
        )
    return out


def _fmt(x: float, decimals: int | None = None) -> str:
    """Thousands separators; decimals shrink as the number grows unless given."""
    if isinstance(x, float) and math.isinf(x):
        return "infinite"
    if decimals is None:
        ax = abs(x)
        whole = float(round(x, 6)).is_integer()  # 12.00000000000001 reads as 12
        decimals = 0 if ax >= 1000 or whole else 1 if ax >= 10 else 2
    return f"{x:,.{decimals}f}"


def _exact(x: float) -> str:
    """Up to 3 decimals, trailing zeros dropped: the figure a seller can redo by hand."""
    text = f"{x:,.3f}".rstrip("0").rstrip(".")
    return text


def _up(raw: float, units: int) -> str:
    """' = 10,555.65 -> 10,556' when rounding up changed the figure, else ' = 2,250'."""
    if abs(raw - units) < 1e-6:
        return f" = {_fmt(units, 0)}"
    return f" = {_exact(raw)} -> {_fmt(units, 0)}"


def _pct(share: float) -> str:
    text = f"{share * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _json_safe(values: dict[str, Any]) -> dict[str, Any]:
    """asdict() with NaN / inf as None and dates as ISO text, so json.dumps gives valid JSON."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        elif isinstance(value, date):
            value = value.isoformat()
        out[key] = value
    return out


# --------------------------------------------------------------------------- normal helpers


def z_score(service_level: float) -> float:
    """Standard normal quantile z = Phi^-1(service level).

    Unitless. A 95% cycle service level (R-L4: stockout probability <= 5%) gives z = 1.645.
    Source: [SPT] sec. 6.7.
    """
    return float(norm.ppf(_share(service_level, "service_level")))


def standard_normal_loss(z: float) -> float:
    """Standard normal loss function L(z) = phi(z) - z (1 - Phi(z)) = E[(Z - z)+].

    Expected units short per unit of standard deviation when stocking z standard deviations
    above the mean. Unitless; decreasing in z, L(0) = 0.3989. Source: [SS] eq. (C.22); [SPT]
    sec. 6.9 (G_u(k)).
    """
    z = _number(z, "z")
    # norm.sf keeps precision in the upper tail where 1 - cdf cancels.
    return float(norm.pdf(z) - z * norm.sf(z))


# --------------------------------------------------------------------------- safety stock


_METHOD_RULES = {
    "cycle service level": "R-L4 / R-M1 (stockout probability per cycle), SPT sec. 6.7",
    "fill rate": "R-G2 (fill-rate target, type II service), SPT sec. 6.9",
    "forecast quantile": "R-G2 / R-K5 (lead-time demand quantile from forecast errors)",
}


@dataclass(frozen=True)
class SafetyStock:
    """Safety stock and the inputs it came from (units; demand in units/day; days)."""

    units: float
    z: float
    service_level: float
    daily_demand: float
    sd_daily_demand: float
    lead_time_days: float
    sd_lead_time_days: float
    sd_lead_time_demand: float  # sqrt(L sd_d^2 + d^2 sd_L^2)
    method: str  # "cycle service level" | "fill rate" | "forecast quantile"
    order_quantity: float = float("nan")  # fill-rate method only
    lead_time_quantile_units: float = float("nan")  # forecast-quantile method only
    mean_lead_time_demand_units: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return _json_safe(asdict(self))

    def explain(self) -> str:
        d, sd_d = self.daily_demand, self.sd_daily_demand
        lt, sd_lt = self.lead_time_days, self.sd_lead_time_days
        sigma_line = (
            f"sigma_LT = sqrt(L x sd_d^2 + d^2 x sd_L^2) = sqrt({_fmt(lt)} x {_fmt(sd_d)}^2 + "
            f"{_fmt(d)}^2 x {_fmt(sd_lt)}^2) = {_fmt(self.sd_lead_time_demand)} units"
        )
        if self.method == "cycle service level":
            lines = [
                f"**Safety stock: {_fmt(self.units)} units** "
                f"(cycle service level {_pct(self.service_level)}).",
                "",
                f"- {sigma_line}",
                f"- z = Phi^-1({self.service_level:g}) = {self.z:.3f}",
                f"- SS = z x sigma_LT = {self.z:.3f} x {_fmt(self.sd_lead_time_demand)} "
                f"= {_fmt(self.units)} units"
                + (" (floored at 0: z < 0 below a 50% service level)" if self.z < 0 else ""),
            ]
        elif self.method == "fill rate":
            target = (
                (1 - self.service_level) * self.order_quantity / self.sd_lead_time_demand
                if self.sd_lead_time_demand > 0
                else float("inf")
            )
            lines = [
                f"**Safety stock: {_fmt(self.units)} units** "
                f"(fill rate {_pct(self.service_level)} with orders of "
                f"{_fmt(self.order_quantity)} units).",
                "",
                f"- {sigma_line}",
            ]
            if self.sd_lead_time_demand > 0:
                lines += [
                    f"- L(z) = (1 - fill rate) x Q / sigma_LT = (1 - {self.service_level:g}) x "
                    f"{_fmt(self.order_quantity)} / {_fmt(self.sd_lead_time_demand)} "
                    f"= {target:.4f} -> z = {self.z:.3f}",
                    f"- SS = z x sigma_LT = {self.z:.3f} x {_fmt(self.sd_lead_time_demand)} "
                    f"= {_fmt(self.units)} units",
                ]
            else:
                lines.append(
                    "- Demand and lead time do not vary: the fill rate is met with "
                    f"SS = -(1 - fill rate) x Q = -(1 - {self.service_level:g}) x "
                    f"{_fmt(self.order_quantity)} = {_fmt(self.units)} units"
                )
            if self.units < 0:
                lines.append(
                    "- The safety stock is negative: each order is large enough that the fill "
                    "rate is met even when the reorder point is below the expected lead-time "
                    "demand."
                )
        else:
            raw = self.lead_time_quantile_units - self.mean_lead_time_demand_units
            lines = [
                f"**Safety stock: {_fmt(self.units)} units** "
                f"(lead-time demand quantile at {_pct(self.service_level)}).",
                "",
                f"- SS = q_{self.service_level:g}(lead-time demand) - E[lead-time demand] = "
                f"{_fmt(self.lead_time_quantile_units)} - "
                f"{_fmt(self.mean_lead_time_demand_units)} = "
                + (
                    f"{_fmt(raw)}, floored at 0 = {_fmt(self.units)} units"
                    if raw < 0
                    else f"{_fmt(self.units)} units"
                ),
                "- The quantile comes from the forecast's backtest errors over the lead time.",
            ]
        lines += ["", f"Source: {_METHOD_RULES[self.method]}."]
        return "\n".join(lines)


def _sd_lead_time_demand(
    daily_demand: float, sd_daily_demand: float, lead_time_days: float, sd_lead_time_days: float
) -> float:
    return math.sqrt(lead_time_days * sd_daily_demand**2 + daily_demand**2 * sd_lead_time_days**2)


def safety_stock(
    daily_demand: float,
    sd_daily_demand: float,
    lead_time_days: float,
    sd_lead_time_days: float = 0.0,
    service_level: float = 0.95,
) -> SafetyStock:
    """Safety stock for a cycle service level (type I: P(no stockout in a cycle)).

    SS = max(z x sqrt(L x sd_d^2 + d^2 x sd_L^2), 0), z = Phi^-1(service level).
    d, sd_d in units/day; L, sd_L in days; SS in units. Independent, normal daily demand and
    lead time. The default 0.95 is R-L4's "stockout probability <= 5%" (R-M1 alike). Below a
    50% service level z < 0; the stock is floored at 0 rather than planning to run short.
    Source: [SPT] sec. 6.7 and eq. (6.12) (random lead time); R-G2, R-L4, R-M1.
    """
    d = _non_negative(daily_demand, "daily_demand")
    sd_d = _non_negative(sd_daily_demand, "sd_daily_demand")
    lt = _non_negative(lead_time_days, "lead_time_days")
    sd_lt = _non_negative(sd_lead_time_days, "sd_lead_time_days")
    z = z_score(service_level)
    sigma = _sd_lead_time_demand(d, sd_d, lt, sd_lt)
    return SafetyStock(
        units=max(z * sigma, 0.0),
        z=z,
        service_level=float(service_level),
        daily_demand=d,
        sd_daily_demand=sd_d,
        lead_time_days=lt,
        sd_lead_time_days=sd_lt,
        sd_lead_time_demand=sigma,
        method="cycle service level",
    )


# Bracket for z when solving L(z) = target. L is strictly decreasing; below -5 it equals -z
# up to 1e-7, so the lower end is widened when the target calls for it.
_Z_LOW, _Z_HIGH = -5.0, 8.0


def _z_for_loss(target: float) -> float:
    if target <= standard_normal_loss(_Z_HIGH):
        return _Z_HIGH
    if target >= 38.0:
        # L(z) = -z + L(-z) and L(38) < 1e-300: the root is -target to float precision.
        return -target
    low = min(_Z_LOW, -target - 1.0)  # L(z) > -z, so L(-target - 1) > target
    return float(brentq(lambda z: standard_normal_loss(z) - target, low, _Z_HIGH, xtol=1e-10))


def fill_rate_safety_stock(
    daily_demand: float,
    sd_daily_demand: float,
    lead_time_days: float,
    order_quantity: float,
    fill_rate: float = 0.98,
    sd_lead_time_days: float = 0.0,
) -> SafetyStock:
    """Safety stock for a fill-rate target (type II: share of demand served from stock).

    Solve L(z) = (1 - fill rate) x Q / sigma_LT for z, then SS = z x sigma_LT, where
    sigma_LT = sqrt(L x sd_d^2 + d^2 x sd_L^2) and L(z) is the standard normal loss function
    (solved with Brent's method). Q in units per order. z may be negative when orders are large:
    the units are not floored at 0. With no variability (sigma_LT = 0) SS = -(1 - fill rate) Q,
    the limit of z sigma_LT (z is then -inf).
    Source: [SPT] sec. 6.9, eq. (6.23) (G_u(k) = Q (1 - P2) / sigma_L); [SS] sec. 4.3; R-G2.
    """
    d = _non_negative(daily_demand, "daily_demand")
    sd_d = _non_negative(sd_daily_demand, "sd_daily_demand")
    lt = _non_negative(lead_time_days, "lead_time_days")
    sd_lt = _non_negative(sd_lead_time_days, "sd_lead_time_days")
    q = _positive(order_quantity, "order_quantity")
    fr = _share(fill_rate, "fill_rate")
    sigma = _sd_lead_time_demand(d, sd_d, lt, sd_lt)
    if sigma == 0:
        # Known demand: a reorder point (1 - fill rate) x Q below d L loses exactly that share
        # of each order, the limit of z sigma_LT as sigma_LT -> 0.
        z, units = -math.inf, -(1 - fr) * q
    else:
        z = _z_for_loss((1 - fr) * q / sigma)
        units = z * sigma
    return SafetyStock(
        units=units,
        z=z,
        service_level=fr,
        daily_demand=d,
        sd_daily_demand=sd_d,
        lead_time_days=lt,
        sd_lead_time_days=sd_lt,
        sd_lead_time_demand=sigma,
        method="fill rate",
        order_quantity=q,
    )


def quantile_safety_stock(
    lead_time_quantile_units: float,
    mean_lead_time_demand_units: float,
    service_level: float,
    lead_time_days: float | None = None,
) -> SafetyStock:
    """Safety stock from a forecast quantile of lead-time demand.

    SS = max(q_p(lead-time demand) - E[lead-time demand], 0), in units, p = service level.
    The quantile comes from the forecast's backtest errors (forecast.core.lead_time_quantiles),
    so it needs no normal assumption. ``z`` is Phi^-1(p) for comparison with the normal method,
    ``sd_lead_time_demand`` the implied normal sd SS / z; with ``lead_time_days`` the daily
    demand is the mean over the lead time. Fields the method does not know are NaN.
    Source: [SPT] sec. 6.10 (empirical lead-time demand distribution); R-G2, R-K5.
    """
    q = _non_negative(lead_time_quantile_units, "lead_time_quantile_units")
    mean = _non_negative(mean_lead_time_demand_units, "mean_lead_time_demand_units")
    z = z_score(service_level)
    units = max(q - mean, 0.0)
    lt = float("nan") if lead_time_days is None else _non_negative(lead_time_days, "lead_time_days")
    daily = mean / lt if lt and lt > 0 else float("nan")
    implied_sd = units / z if z > 0 else float("nan")
    return SafetyStock(
        units=units,
        z=z,
        service_level=float(service_level),
        daily_demand=daily,
        sd_daily_demand=float("nan"),
        lead_time_days=lt,
        sd_lead_time_days=float("nan"),
        sd_lead_time_demand=implied_sd,
        method="forecast quantile",
        lead_time_quantile_units=q,
        mean_lead_time_demand_units=mean,
    )


# --------------------------------------------------------------------------- levels and dates


def reorder_point(daily_demand: float, lead_time_days: float, safety_stock_units: float) -> float:
    """Reorder point r = d x L + SS (units): order when the inventory position falls to r.

    d in units/day, L in days. With SS = 0 this is R-M1's base threshold "daily sales x
    replenishment cycle" and R-A4's example (20/day + 5/day over 30 days -> 750 units).
    Source: [SPT] sec. 6.7; R-M1, R-A4, R-G2.
    """
    d = _non_negative(daily_demand, "daily_demand")
    lt = _non_negative(lead_time_days, "lead_time_days")
    return d * lt + _number(safety_stock_units, "safety_stock_units")


def order_up_to_level(
    daily_demand: float,
    lead_time_days: float,
    review_period_days: float,
    safety_stock_units: float,
) -> float:
    """Order-up-to level S = d x (L + R) + SS (units) for periodic review every R days.

    The safety stock should cover L + R days of uncertainty (pass SS computed with L + R).
    Source: [SPT] sec. 6.8 ((R, S) system); R-G4.
    """
    d = _non_negative(daily_demand, "daily_demand")
    lt = _non_negative(lead_time_days, "lead_time_days")
    r = _non_negative(review_period_days, "review_period_days")
    return d * (lt + r) + _number(safety_stock_units, "safety_stock_units")


def low_stock_threshold(
    sales_30_days_units: float, lead_time_days: float, safety_factor: float = 1.2
) -> float:
    """Low-stock alert threshold = (30-day sales / 30) x lead time x safety factor (units).

    Recomputed from live sales so it moves with velocity. Default factor from
    Settings.low_stock_safety_factor. Source: R-A1.
    """
    sales = _non_negative(sales_30_days_units, "sales_30_days_units")
    lt = _non_negative(lead_time_days, "lead_time_days")
    factor = _positive(safety_factor, "safety_factor")
    return sales / 30.0 * lt * factor


def days_of_cover(stock_units: float, daily_demand: float) -> float:
    """Days of cover = stock / daily demand (days); inf when demand is 0 and stock > 0.

    No stock (or a negative net position) covers 0 days. Source: R-M5 (days of cover KPI).
    """
    stock = _number(stock_units, "stock_units")
    d = _non_negative(daily_demand, "daily_demand")
    if stock <= 0:
        return 0.0
    return math.inf if d == 0 else stock / d


def total_lead_time(
    production_days: float, transit_days: Sequence[float] = (), receiving_days: float = 0.0
) -> float:
    """Total lead time = production + each transit leg + receiving (days).

    Example: 30 days production, 35 days sea + 5 days truck, 5 days FBA check-in -> 75 days.
    Source: R-G2 (supplier + inbound lead time), R-L4.
    """
    total = _non_negative(production_days, "production_days")
    for leg in transit_days:
        total += _non_negative(leg, "transit_days")
    return total + _non_negative(receiving_days, "receiving_days")


def _demand_array(start: date, daily_demand: Sequence[float] | pd.Series) -> np.ndarray:
    dated = (
        isinstance(daily_demand, pd.Series)
        and len(daily_demand) > 0
        and not pd.api.types.is_integer_dtype(daily_demand.index)
    )
    if dated:
        idx = pd.to_datetime(daily_demand.index).normalize()
        series = pd.Series(daily_demand.to_numpy(dtype=float), index=idx)
        series = series[~series.index.duplicated(keep="last")].sort_index()
        last = series.index[-1]
        first = pd.Timestamp(start)
        if last < first:
            raise InputError(
                f"the demand forecast ends on {last.date()}, before {start}",
                column="daily_demand",
                expected=f"a forecast from {start} on",
            )
        days = pd.date_range(first, last, freq="D")
        # Days before the first forecast date take its first value, gaps the previous value.
        values = series.reindex(days).bfill().ffill().to_numpy(dtype=float)
    else:
        values = np.asarray(daily_demand, dtype=float)
    if values.ndim != 1:
        raise InputError("the demand forecast is not one value per day", column="daily_demand")
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        day = int(np.argmax(bad))
        raise InputError(
            f"demand on day {day + 1} is {values[day]}",
            column="daily_demand",
            expected="a number >= 0",
        )
    return values


def projected_stock(
    start: date,
    on_hand_units: float,
    daily_demand: Sequence[float] | pd.Series,
    arrivals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Projected end-of-day stock, day by day, with lost sales.

    stock_t = max(0, stock_(t-1) + arrivals_t - demand_t), stock_0 = on hand;
    lost_t = max(0, demand_t - stock_(t-1) - arrivals_t) (demand not served is lost, as on
    Amazon, not backordered). Arrivals (inbound shipments and open purchase orders: columns
    ``date``, ``units``) count from the morning of their date; arrivals dated before ``start``
    (overdue) count on the first day, those after the last day are left out.
    ``daily_demand``: units/day for start, start + 1, ...; a Series indexed by date runs from
    ``start`` to its last date (days before its first date take its first value).
    Returns columns date (datetime64), demand, arrivals, stock, lost_units; one row per day.
    Vectorised: the floored recursion is stock = C - min(0, running min of C) with
    C = on hand + cumsum(arrivals - demand) (Lindley's recursion).
    Source: R-G1, R-G4 (projected stock and order date); [N] ch. 5.
    """
    on_hand = _non_negative(on_hand_units, "on_hand_units")
    demand = _demand_array(start, daily_demand)
    n = demand.size
    arriving = np.zeros(n)
    if arrivals is not None and len(arrivals) and n:
        for col in ("date", "units"):
            if col not in arrivals.columns:
                raise InputError(
                    f"the arrivals table has no '{col}' column",
                    column=col,
                    expected="columns date, units",
                )
        when = pd.to_datetime(arrivals["date"], errors="coerce")
        units = pd.to_numeric(arrivals["units"], errors="coerce").to_numpy(dtype=float)
        bad = when.isna().to_numpy() | ~np.isfinite(units) | (units < 0)
        if bad.any():
            row = int(np.argmax(bad))
            raise InputError(
                f"arrival {row + 1} has date {arrivals['date'].iloc[row]!r} and units "
                f"{arrivals['units'].iloc[row]!r}",
                row=row + 2,
                column="date" if when.isna().iloc[row] else "units",
                expected="a date and a number of units >= 0",
            )
        offset = (when.dt.normalize() - pd.Timestamp(start)).dt.days.to_numpy()
        offset = np.maximum(offset, 0)
        keep = offset < n
        arriving = np.bincount(offset[keep].astype(np.int64), weights=units[keep], minlength=n)
    net = arriving - demand
    level = on_hand + np.cumsum(net)
    stock = level - np.minimum(np.minimum.accumulate(level), 0.0) if n else level
    before = np.concatenate(([on_hand], stock[:-1]))
    lost = np.maximum(demand - before - arriving, 0.0)
    return pd.DataFrame(
        {
            "date": pd.date_range(pd.Timestamp(start), periods=n, freq="D"),
            "demand": demand,
            "arrivals": arriving,
            "stock": stock,
            "lost_units": lost,
        }
    )


def stockout_date(projection: pd.DataFrame) -> date | None:
    """First day whose end-of-day stock reaches 0 in a ``projected_stock`` frame; None if never.

    Source: R-G1, R-G4 (order before the stock runs out).
    """
    if projection.empty:
        return None
    # A tolerance keeps float dust (1e-12 units) from hiding a stockout.
    out = projection["stock"].to_numpy(dtype=float) <= 1e-9
    if not out.any():
        return None
    return pd.Timestamp(projection["date"].iloc[int(np.argmax(out))]).date()


def order_by_date(
    stockout: date, total_lead_time_days: float, review_period_days: float = 0
) -> date:
    """Latest order date = stockout date - total lead time - review period.

    Fractional days round up (ordering a day early rather than a day late).
    Source: R-G4 (suggested order date), R-G2 (supplier + inbound lead time).
    """
    lt = _non_negative(total_lead_time_days, "total_lead_time_days")
    r = _non_negative(review_period_days, "review_period_days")
    return stockout - timedelta(days=math.ceil(lt + r - 1e-9))


# --------------------------------------------------------------------------- order quantities


def economic_order_quantity(
    fixed_cost: float, holding_cost: float, demand_rate: float
) -> tuple[float, float]:
    """Economic order quantity (Harris 1913): Q* = sqrt(2 K D / h), cost g* = sqrt(2 K h D).

    K = cost per order, h = holding cost per unit per time unit, D = demand per the same time
    unit (e.g. per year with a yearly h). Returns (Q* units, g* cost per time unit), the same
    order and meaning as stockpyl.eoq.economic_order_quantity. Source: Harris (1913); [SS]
    eq. (3.4)-(3.5); [SPT] sec. 4.2; R-M5 (class B: EOQ).
    """
    k = _non_negative(fixed_cost, "fixed_cost")
    h = _positive(holding_cost, "holding_cost")
    d = _non_negative(demand_rate, "demand_rate")
    return math.sqrt(2 * k * d / h), math.sqrt(2 * k * h * d)


def critical_ratio(underage_cost: float, overage_cost: float) -> float:
    """Critical ratio = cu / (cu + co): the optimal probability of not running out.

    cu = cost of one unit short (lost margin), co = cost of one unit left over (per unit,
    same currency). Source: [N] sec. 5.3; [SS] eq. (4.22).
    """
    cu = _non_negative(underage_cost, "underage_cost")
    co = _non_negative(overage_cost, "overage_cost")
    if cu + co == 0:
        raise InputError(
            "underage and overage costs are both 0",
            column="underage_cost",
            expected="at least one cost > 0",
        )
    return cu / (cu + co)


def newsvendor_normal(
    holding_cost: float, stockout_cost: float, mean: float, sd: float
) -> tuple[float, float]:
    """Newsvendor with normal demand: q* = mu + z sigma, z = Phi^-1(p / (p + h)).

    h = cost per unit left over, p = cost per unit short; mu, sigma of demand in units.
    Expected cost at the optimum g* = (p + h) sigma phi(z). Returns (q* units, g*), like
    stockpyl.newsvendor.newsvendor_normal. Source: [SS] eq. (4.24), (4.30); [N] sec. 5.3.
    """
    h = _non_negative(holding_cost, "holding_cost")
    p = _non_negative(stockout_cost, "stockout_cost")
    mu = _non_negative(mean, "mean")
    sigma = _non_negative(sd, "sd")
    ratio = critical_ratio(p, h)
    if not 0 < ratio < 1:
        raise InputError(
            "a newsvendor needs both a cost of running short and of being left over",
            column="holding_cost" if h == 0 else "stockout_cost",
            expected="a number > 0",
        )
    z = float(norm.ppf(ratio))
    return mu + z * sigma, (p + h) * sigma * float(norm.pdf(z))


@dataclass(frozen=True)
class Newsvendor:
    """One-shot launch buy (units; money per unit)."""

    price: float
    landed_cost: float
    salvage_value_per_unit: float
    underage_cost: float  # price - landed cost: margin lost per unit short
    overage_cost: float  # landed cost - salvage: loss per unit left over
    critical_ratio: float
    z: float
    mean_demand_units: float
    sd_demand_units: float
    q: float  # optimal quantity, units (not rounded)
    units: int  # q rounded up to whole units
    expected_sales_units: float
    expected_leftover_units: float
    expected_lost_units: float
    expected_profit: float

    def to_dict(self) -> dict[str, Any]:
        return _json_safe(asdict(self))

    def explain(self) -> str:
        return "\n".join(
            [
                f"**Launch buy (newsvendor): {_fmt(self.units, 0)} units.**",
                "",
                f"- Short one unit: lose the margin cu = price - landed cost = "
                f"{_fmt(self.price, 2)} - {_fmt(self.landed_cost, 2)} = "
                f"{_fmt(self.underage_cost, 2)}",
                f"- One unit left over: lose co = landed cost - salvage = "
                f"{_fmt(self.landed_cost, 2)} - {_fmt(self.salvage_value_per_unit, 2)} = "
                f"{_fmt(self.overage_cost, 2)}",
                f"- Critical ratio = cu / (cu + co) = {_fmt(self.underage_cost, 2)} / "
                f"({_fmt(self.underage_cost, 2)} + {_fmt(self.overage_cost, 2)}) = "
                f"{self.critical_ratio:.3f}, z = {self.z:.3f}",
                f"- q = mu + z x sigma = {_fmt(self.mean_demand_units)} + {self.z:.3f} x "
                f"{_fmt(self.sd_demand_units)} = {_fmt(self.q)} units",
                f"- Expected: sell {_fmt(self.expected_sales_units)}, left over "
                f"{_fmt(self.expected_leftover_units)}, short {_fmt(self.expected_lost_units)} "
                f"units; profit {_fmt(self.expected_profit, 2)}",
                "",
                "Source: newsvendor model (Nahmias sec. 5.3; Snyder & Shen ch. 4), a second "
                "opinion on R-L3's launch order.",
            ]
        )


def launch_newsvendor(
    price: float,
    landed_cost: float,
    salvage_value_per_unit: float,
    mean_demand_units: float,
    sd_demand_units: float,
) -> Newsvendor:
    """Newsvendor quantity for a one-shot launch buy with normal demand.

    cu = price - landed cost, co = landed cost - salvage, CR = cu / (cu + co),
    q = mu + Phi^-1(CR) sigma. Expected lost units = sigma L(z), expected sales = mu - lost,
    leftover = q - sales, profit = cu x sales - co x leftover (money). Money per unit;
    demand over the selling window in units.
    Source: [N] sec. 5.3; [SS] ch. 4; R-L3 (second opinion on the first order).
    """
    p = _positive(price, "price")
    c = _non_negative(landed_cost, "landed_cost")
    s = _non_negative(salvage_value_per_unit, "salvage_value_per_unit")
    mu = _non_negative(mean_demand_units, "mean_demand_units")
    sigma = _non_negative(sd_demand_units, "sd_demand_units")
    if p <= c:
        raise InputError(
            f"price {p:g} does not cover the landed cost {c:g}",
            column="price",
            expected="a price above the landed cost",
        )
    if s >= c:
        raise InputError(
            f"salvage value {s:g} is not below the landed cost {c:g}",
            column="salvage_value_per_unit",
            expected="a salvage value below the landed cost",
        )
    cu, co = p - c, c - s
    ratio = critical_ratio(cu, co)
    z = float(norm.ppf(ratio))
    q = max(mu + z * sigma, 0.0)
    lost = sigma * standard_normal_loss((q - mu) / sigma) if sigma > 0 else max(mu - q, 0.0)
    sales = mu - lost
    leftover = q - sales
    return Newsvendor(
        price=p,
        landed_cost=c,
        salvage_value_per_unit=s,
        underage_cost=cu,
        overage_cost=co,
        critical_ratio=ratio,
        z=z,
        mean_demand_units=mu,
        sd_demand_units=sigma,
        q=q,
        units=math.ceil(q - 1e-9),
        expected_sales_units=sales,
        expected_leftover_units=leftover,
        expected_lost_units=lost,
        expected_profit=cu * sales - co * leftover,
    )


def r_q_policy(
    fixed_cost: float,
    holding_cost: float,
    stockout_cost: float,
    mean_lead_time_demand: float,
    sd_lead_time_demand: float,
    demand_rate: float,
) -> tuple[float, float]:
    """Continuous-review (r, Q) by the EOQ + safety stock approximation.

    Q = sqrt(2 K D / h) (EOQ); r = mu_LT + z sigma_LT with z = Phi^-1(p / (p + h)).
    K per order, h per unit per time unit, p per unit short per time unit, D units per time
    unit; mu_LT, sigma_LT: lead-time demand in units. Returns (r units, Q units), the same as
    stockpyl.rq.r_q_eoqss_approximation given mu_LT = lambda L, sigma_LT = tau sqrt(L).
    Source: [SS] sec. 5.3, eq. (3.4) and (5.21); [SPT] sec. 7.3; R-M5.
    """
    q, _ = economic_order_quantity(fixed_cost, holding_cost, demand_rate)
    r, _ = newsvendor_normal(
        holding_cost, stockout_cost, mean_lead_time_demand, sd_lead_time_demand
    )
    return r, q


def _case_pack(case_pack: float | None) -> int:
    if case_pack is None or (isinstance(case_pack, float) and math.isnan(case_pack)):
        return 1
    pack = _number(case_pack, "case_pack")
    if pack <= 0:
        return 1  # 0 in a products sheet means "not sold in cases"
    if abs(pack - round(pack)) > 1e-9:
        raise InputError(f"case pack {pack:g}", column="case_pack", expected="a whole number")
    return int(round(pack))


def round_order(units: float, case_pack: float | None = None, moq: float | None = None) -> int:
    """Order rounded up to whole cases, then up to the MOQ (itself rounded up to cases).

    Units in, whole units out. An order of 0 or less stays 0 (no order: the MOQ does not
    force one), and so does float dust below a millionth of a case (1e-18 units from a
    forecast that has decayed to almost nothing). Source: R-G4 (restock quantity), supplier
    terms.
    """
    need = _number(units, "units")
    if need <= 0:
        return 0
    pack = _case_pack(case_pack)
    # Rounding away float dust first keeps 2,250.0000001 from becoming 2,251.
    cases = math.ceil(round(need / pack, 6))
    if cases == 0:
        return 0  # dust is no order, so the MOQ does not turn it into one
    out = cases * pack
    if moq is not None and not (isinstance(moq, float) and math.isnan(moq)):
        minimum = _non_negative(moq, "moq")
        out = max(out, math.ceil(round(minimum / pack, 6)) * pack)
    return int(out)


# --------------------------------------------------------------------------- launch


@dataclass(frozen=True)
class LaunchOrder:
    """First order for a launch (R-L3) and its 70/30 split (R-L5); units, units/day, days."""

    peer_daily_sales: float
    lift: float
    expected_daily_sales: float
    cover_days: int
    safety_days: int
    cycle_stock_units: int  # expected daily x cover days, rounded up to whole units
    safety_stock_units: int  # expected daily x safety days, rounded up to whole units
    total_units: int  # cycle + safety stock
    first_order_share: float
    first_order_units: int  # share of the total, rounded up to cases
    follow_up_units: int  # the rest, rounded up to cases, decided by early results (R-L5)
    case_pack: int = 1

    def to_dict(self) -> dict[str, Any]:
        return _json_safe(asdict(self))

    def explain(self) -> str:
        share_units = round(self.first_order_share * self.total_units, 6)
        daily = _exact(self.expected_daily_sales)
        cycle_raw = self.expected_daily_sales * self.cover_days
        safety_raw = self.expected_daily_sales * self.safety_days
        cases = (
            f" (rounded up to cases of {self.case_pack})"
            if self.case_pack > 1
            else " (rounded up to whole units)"
        )
        return "\n".join(
            [
                f"**Launch order: {_fmt(self.total_units)} units; first order "
                f"{_fmt(self.first_order_units, 0)}, follow-up {_fmt(self.follow_up_units, 0)}.**",
                "",
                f"- Expected daily sales = peer daily sales x lift = "
                f"{_exact(self.peer_daily_sales)} x {self.lift:g} = {daily} units/day",
                f"- Cycle stock = {self.cover_days} days of sales = {daily} x {self.cover_days}"
                f"{_up(cycle_raw, self.cycle_stock_units)} units; safety stock = "
                f"{self.safety_days} days = {daily} x {self.safety_days}"
                f"{_up(safety_raw, self.safety_stock_units)} units (each rounded up to whole "
                "units)",
                f"- Order = cycle + safety stock = {_fmt(self.cycle_stock_units, 0)} + "
                f"{_fmt(self.safety_stock_units, 0)} = {_fmt(self.total_units, 0)} units",
                f"- First order = {_pct(self.first_order_share)} x {_fmt(self.total_units)} = "
                f"{_fmt(share_units, 0 if float(share_units).is_integer() else 1)} -> "
                f"{_fmt(self.first_order_units, 0)} units{cases}; the remaining "
                f"{_fmt(self.follow_up_units, 0)} units wait for the first weeks of sales",
                "",
                "Source: R-L3 (first order = 30-day sales + 15 days safety stock, lift +50%), "
                "R-L5 (70/30 split).",
            ]
        )


def launch_order(
    peer_daily_sales: float,
    lift: float = 1.5,
    cover_days: int = 30,
    safety_days: int = 15,
    first_order_share: float = 0.70,
    case_pack: float | None = None,
) -> LaunchOrder:
    """Launch first order: expected daily sales = peer daily sales x lift;
    cycle stock = ceil(expected daily x cover days), safety stock = ceil(expected daily x safety
    days) (each part whole units), total = cycle + safety; first order = share x total rounded
    up to cases, follow-up = the rest rounded up to cases (without cases first + follow-up =
    total).

    Seed example: 50/day x 1.5 = 75/day; 75 x 30 = 2,250 + 75 x 15 = 1,125 -> 3,375 units.
    Defaults: Settings.launch_lift, launch_cover_days, launch_safety_days, first_order_share.
    Source: R-L3, R-L5.
    """
    peer = _non_negative(peer_daily_sales, "peer_daily_sales")
    lift_x = _positive(lift, "lift")
    cover = _non_negative(cover_days, "cover_days")
    safety = _non_negative(safety_days, "safety_days")
    share = _number(first_order_share, "first_order_share")
    if not 0 < share <= 1:
        raise InputError(
            f"'first_order_share' is {share:g}",
            column="first_order_share",
            expected="a share above 0 and at most 1, e.g. 0.70",
        )
    pack = _case_pack(case_pack)
    daily = peer * lift_x
    # Rounding away float dust first keeps 351.9 x 30 = 10,557.000000001 at 10,557.
    cycle = math.ceil(round(daily * cover, 6))
    safety_units = math.ceil(round(daily * safety, 6))
    total = cycle + safety_units
    first = round_order(total * share, pack)
    follow = round_order(total - first, pack)
    return LaunchOrder(
        peer_daily_sales=peer,
        lift=lift_x,
        expected_daily_sales=daily,
        cover_days=int(cover),
        safety_days=int(safety),
        cycle_stock_units=cycle,
        safety_stock_units=safety_units,
        total_units=total,
        first_order_share=share,
        first_order_units=first,
        follow_up_units=follow,
        case_pack=pack,
    )


# --------------------------------------------------------------------------- restock


def split_deliveries(
    total_units: float,
    shipments: int,
    daily_demand: float,
    first_arrival: date,
    case_pack: float | None = None,
) -> pd.DataFrame:
    """Split a restock into k deliveries of about total / k units, spaced by the days each covers.

    The total is rounded up to whole cases; the cases are shared out evenly, the first
    deliveries taking any extra case (early stock is the safer side). A delivery carries at
    least one case, so k is capped at the number of cases (24 units in 3 shipments of cases
    of 12 -> at most 2 deliveries) and a total of 0 gives no delivery. Delivery i arrives when
    the deliveries before it have been sold:
      arrival_i = first arrival + min(floor(sum of the units of deliveries 1..i-1 / d),
                                      MAX_DELIVERY_SPREAD_DAYS) days
    so no delivery comes more than ``MAX_DELIVERY_SPREAD_DAYS`` (a year) after the first; the
    ones that would come later (a demand too small to sell a delivery within the year) arrive
    together on that last day. Deliveries that land on the same day are merged into one.
    Columns: delivery (1..k), arrival (date), units, covers_days (units / d).
    Example (R-G4): 1,000 units in 3 shipments -> 334, 333, 333; at 20/day they arrive on
    days 0, 16 and 33 (334 / 20 = 16.7 and 667 / 20 = 33.35 days, rounded down).
    Source: R-G4 (split into several deliveries to balance cash and storage cost).
    """
    total = round_order(total_units, case_pack)
    k = _number(shipments, "shipments")
    if k < 1 or k != int(k):
        raise InputError(
            f"'shipments' is {k:g}", column="shipments", expected="a whole number >= 1"
        )
    k = int(k)
    d = _positive(daily_demand, "daily_demand")
    pack = _case_pack(case_pack)
    n_cases = int(total // pack)
    # No empty deliveries: a shipment of 0 units is not a shipment.
    k = min(k, n_cases)
    if k == 0:
        return pd.DataFrame(
            {
                "delivery": pd.Series(dtype="int64"),
                "arrival": pd.Series(dtype="object"),
                "units": pd.Series(dtype="int64"),
                "covers_days": pd.Series(dtype="float64"),
            }
        )
    base, extra = divmod(n_cases, k)
    units = np.array([(base + (1 if i < extra else 0)) * pack for i in range(k)], dtype=np.int64)
    sold_before = np.concatenate(([0], np.cumsum(units)[:-1]))
    # units / d may be 1e22 days, or overflow to inf, for a demand of almost nothing: both
    # mean "not sold within the cap", so no warning. The days are capped while still floats,
    # since no integer or date type holds 1e22 days.
    with np.errstate(over="ignore"):
        days = np.minimum(sold_before / d, MAX_DELIVERY_SPREAD_DAYS)
        start_offsets = np.floor(days + 1e-9).astype(np.int64)
        # Deliveries that would land on the same day (each covering less than a day, or all
        # those pushed to the cap) are one.
        offsets, at = np.unique(start_offsets, return_inverse=True)
        units = np.bincount(at, weights=units).astype(np.int64)
        covers = units / d
    # Python dates (a Timestamp is a datetime, so a date too): they reach the year 9999 where
    # pandas stops in 2262, and at most a year of whole days is added to them.
    first = first_arrival.date() if isinstance(first_arrival, datetime) else first_arrival
    return pd.DataFrame(
        {
            "delivery": np.arange(1, len(units) + 1),
            "arrival": [first + timedelta(days=int(o)) for o in offsets],
            "units": units,
            "covers_days": covers,
        }
    )


def shipment_split_costs(
    total_units: float,
    daily_demand: float,
    unit_cost: float,
    holding_cost_rate: float,
    storage_cost_per_unit_month: float,
    cost_per_shipment: float,
    max_shipments: int = 6,
) -> pd.DataFrame:
    """Cost of bringing in Q units in k equal deliveries, for k = 1..max_shipments.

    The quantity lasts T = Q / d days. With k deliveries of Q / k units, stock saw-tooths from
    Q / k to 0 k times, so on average Q / (2k) units are held:
      cash_tied_up   = Q / (2k) x unit cost (average over T)
      holding_cost   = Q / (2k) x unit cost x yearly rate x T / 365
      storage_cost   = Q / (2k) x storage per unit-month x T / (365 / 12)
      shipment_cost  = k x cost per shipment
      total_cost     = holding + storage + shipments
    The minimum is near k* = sqrt((holding + storage at k = 1) / cost per shipment).
    Columns: shipments, batch_units, average_units, cash_tied_up, peak_cash, holding_cost,
    storage_cost, shipment_cost, total_cost, best (True on the cheapest k, the smallest k on a
    tie). Defaults: Settings.holding_cost_rate (0.25/yr). Source: R-G4 (cash vs storage cost);
    [SPT] sec. 4.2 (the EOQ trade-off over a fixed horizon).
    """
    q = _positive(total_units, "total_units")
    d = _positive(daily_demand, "daily_demand")
    c = _non_negative(unit_cost, "unit_cost")
    rate = _non_negative(holding_cost_rate, "holding_cost_rate")
    storage = _non_negative(storage_cost_per_unit_month, "storage_cost_per_unit_month")
    ship = _non_negative(cost_per_shipment, "cost_per_shipment")
    top = _number(max_shipments, "max_shipments")
    if top < 1 or top != int(top):
        raise InputError(
            f"'max_shipments' is {top:g}", column="max_shipments", expected="a whole number >= 1"
        )
    k = np.arange(1, int(top) + 1)
    horizon_days = q / d
    average = q / (2 * k)
    holding = average * c * rate * horizon_days / 365.0
    storage_cost = average * storage * horizon_days / DAYS_PER_MONTH
    shipment = k * ship
    total = holding + storage_cost + shipment
    best = np.zeros(k.size, dtype=bool)
    best[int(np.argmin(np.round(total, 9)))] = True
    return pd.DataFrame(
        {
            "shipments": k,
            "batch_units": q / k,
            "average_units": average,
            "cash_tied_up": average * c,
            "peak_cash": q / k * c,
            "holding_cost": holding,
            "storage_cost": storage_cost,
            "shipment_cost": shipment,
            "total_cost": total,
            "best": best,
        }
    )


@dataclass(frozen=True)
class ShippingOption:
    """One shipping mode for a restock (R-L7): arrival, freight cost and stockout risk."""

    mode: str
    transit_days: float
    cost_per_unit: float
    arrival: date
    total_cost: float  # freight for the order
    stockout_probability: float  # P(demand until arrival > on hand)
    expected_lost_units: float  # E[(demand until arrival - on hand)+]
    lead_time_days: float = 0.0  # production + transit
    mean_demand_units: float = 0.0  # expected demand until arrival
    sd_demand_units: float = 0.0
    on_hand_units: float = 0.0
    lost_margin: float = 0.0  # expected lost units x margin per unit
    cost_with_lost_margin: float = 0.0  # freight + lost margin

    def to_dict(self) -> dict[str, Any]:
        return _json_safe(asdict(self))

    def explain(self) -> str:
        if self.sd_demand_units > 0:
            z = (self.on_hand_units - self.mean_demand_units) / self.sd_demand_units
            risk = (
                f"- z = (on hand - mean) / sd = ({_fmt(self.on_hand_units)} - "
                f"{_fmt(self.mean_demand_units)}) / {_fmt(self.sd_demand_units)} = {z:.2f}; "
                f"P(stockout) = 1 - Phi(z) = {_pct(self.stockout_probability)}; expected lost "
                f"sales = sd x L(z) = {_fmt(self.expected_lost_units)} units"
            )
        else:
            risk = (
                f"- Demand does not vary: {_fmt(self.on_hand_units)} on hand against "
                f"{_fmt(self.mean_demand_units)} needed, {_fmt(self.expected_lost_units)} "
                "units short"
            )
        lines = [
            f"**{self.mode}: arrives {self.arrival.isoformat()}, freight "
            f"{_fmt(self.total_cost, 2)}, stockout risk {_pct(self.stockout_probability)}.**",
            "",
            f"- Lead time = production + transit = {_fmt(self.lead_time_days)} days "
            f"({_fmt(self.transit_days)} in transit)",
            f"- Freight = units x cost per unit = {_fmt(self.total_cost, 2)} at "
            f"{_fmt(self.cost_per_unit, 2)} per unit",
            f"- Demand until arrival ~ Normal(mean {_fmt(self.mean_demand_units)}, sd "
            f"{_fmt(self.sd_demand_units)}) units",
            risk,
        ]
        if self.lost_margin > 0:
            lines.append(
                f"- Freight + lost margin = {_fmt(self.total_cost, 2)} + "
                f"{_fmt(self.lost_margin, 2)} = {_fmt(self.cost_with_lost_margin, 2)}"
            )
        lines += [
            "",
            "Source: R-L7 (air 7-14 days for the launch window, sea 30-45 days for "
            "replenishment: compare cost and stockout risk).",
        ]
        return "\n".join(lines)


def shipping_options(
    units: float,
    daily_demand: float,
    sd_daily_demand: float,
    on_hand_units: float,
    order_date: date,
    production_days: float,
    options: Mapping[str, tuple[float, float]],
    margin_per_unit: float = 0.0,
    sd_lead_time_demand: float | Mapping[str, float] | None = None,
) -> list[ShippingOption]:
    """``compare_shipping`` as a list of ``ShippingOption`` (each with ``explain()``)."""
    q = _non_negative(units, "units")
    d = _non_negative(daily_demand, "daily_demand")
    sd_d = _non_negative(sd_daily_demand, "sd_daily_demand")
    stock = _non_negative(on_hand_units, "on_hand_units")
    production = _non_negative(production_days, "production_days")
    margin = _non_negative(margin_per_unit, "margin_per_unit")
    if not options:
        raise InputError(
            "no shipping options given",
            column="options",
            expected='e.g. {"air": (10, 2.5), "sea": (40, 0.6)}',
        )
    out = []
    for mode, spec in options.items():
        try:
            transit, cost = spec
        except (TypeError, ValueError):
            raise InputError(
                f"shipping option '{mode}' is {spec!r}",
                column="options",
                expected="(transit days, cost per unit)",
            ) from None
        transit = _non_negative(transit, f"{mode} transit_days")
        cost = _non_negative(cost, f"{mode} cost_per_unit")
        lead = production + transit
        mean = d * lead
        if sd_lead_time_demand is None:
            sigma = sd_d * math.sqrt(lead)
        elif isinstance(sd_lead_time_demand, Mapping):
            if mode not in sd_lead_time_demand:
                raise InputError(
                    f"no lead-time demand sd for shipping option '{mode}'",
                    column="sd_lead_time_demand",
                    expected=f"one sd per mode: {', '.join(map(str, options))}",
                )
            sigma = _non_negative(sd_lead_time_demand[mode], f"{mode} sd_lead_time_demand")
        else:
            sigma = _non_negative(sd_lead_time_demand, "sd_lead_time_demand")
        if sigma > 0:
            z = (stock - mean) / sigma
            p_out = float(norm.sf(z))
            lost = sigma * standard_normal_loss(z)
        else:
            p_out = 1.0 if mean > stock else 0.0
            lost = max(mean - stock, 0.0)
        out.append(
            ShippingOption(
                mode=str(mode),
                transit_days=transit,
                cost_per_unit=cost,
                arrival=order_date + timedelta(days=math.ceil(lead - 1e-9)),
                total_cost=q * cost,
                stockout_probability=p_out,
                expected_lost_units=lost,
                lead_time_days=lead,
                mean_demand_units=mean,
                sd_demand_units=sigma,
                on_hand_units=stock,
                lost_margin=lost * margin,
                cost_with_lost_margin=q * cost + lost * margin,
            )
        )
    return out


def compare_shipping(
    units: float,
    daily_demand: float,
    sd_daily_demand: float,
    on_hand_units: float,
    order_date: date,
    production_days: float,
    options: Mapping[str, tuple[float, float]],
    margin_per_unit: float = 0.0,
    sd_lead_time_demand: float | Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Compare shipping modes for one order: arrival, freight cost and stockout risk.

    Per mode (transit days t, cost per unit f): lead time L = production + t; arrival =
    order date + ceil(L); demand until arrival D ~ Normal(d L, sd_d^2 L);
    P(stockout) = P(D > on hand) = 1 - Phi(z), z = (on hand - d L) / (sd_d sqrt(L));
    expected lost units = sd_d sqrt(L) x L(z); freight = units x f. With ``margin_per_unit``
    lost_margin = lost units x margin and cost_with_lost_margin = freight + lost margin.
    ``sd_lead_time_demand`` (units; a number for every mode or a mapping mode -> sd) replaces
    sd_d sqrt(L), which holds for independent daily noise. When the uncertainty is the demand
    level itself (a launch: the daily rate is unknown but the same every day, sd_level units/
    day), demand until arrival has sd = sd_level x L, so pass {mode: sd_level x L_mode}
    (``peers.follow_up_shipping`` does); ``sd_daily_demand`` is then unused.
    One row per mode, columns the fields of ``ShippingOption`` (``shipping_options`` gives
    the dataclasses, with ``explain()``).
    Source: R-L7; R-L4 (stockout probability target); [SPT] sec. 6.9 (loss function).
    """
    found = shipping_options(
        units,
        daily_demand,
        sd_daily_demand,
        on_hand_units,
        order_date,
        production_days,
        options,
        margin_per_unit,
        sd_lead_time_demand,
    )
    return pd.DataFrame([asdict(o) for o in found])


POOLED_COLUMNS = ("sku", "location", "available", "inbound", "reserved")


def pooled_position(inventory: pd.DataFrame, include_reserved: bool = True) -> pd.DataFrame:
    """Stock of each SKU pooled over all locations (FBA, WFS, own site, 3PL, supplier).

    on_hand = sum of available (+ reserved when ``include_reserved``), inbound = sum of
    inbound, position = on_hand + inbound; plus one column per location (named as the
    location) with its available units. Reserved units are counted by default: at FBA they are
    mostly transfers between fulfilment centres and units being processed, which return to
    sellable stock; pass False to leave them out (conservative: the share reserved for customer
    orders is already sold). Unfulfillable units never count. When ``snapshot_date`` is given,
    each SKU and location uses its latest snapshot. Blank numbers count as 0.
    The demand to compare with is the sum over channels (R-A4: 20/day Amazon + 5/day own site,
    30-day lead time -> reorder at 750 units before safety stock).
    Source: R-A4.
    """
    missing = [c for c in ("sku", "location", "available") if c not in inventory.columns]
    if missing:
        raise InputError(
            f"the inventory table has no '{missing[0]}' column",
            column=missing[0],
            expected="columns " + ", ".join(POOLED_COLUMNS),
        )
    frame = inventory.copy()
    for col in ("available", "inbound", "reserved"):
        if col not in frame.columns:
            frame[col] = 0.0
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() & frame[col].notna() & (frame[col].astype("string").str.strip() != "")
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            raise InputError(
                f"'{col}' is {frame[col].iloc[row]!r}",
                row=row + 2,
                column=col,
                expected="a number of units",
            )
        frame[col] = values.fillna(0.0).astype(float)
    frame["sku"] = frame["sku"].astype("string")
    frame["location"] = frame["location"].astype("string").fillna("unknown")
    if "snapshot_date" in frame.columns:
        frame["_when"] = pd.to_datetime(frame["snapshot_date"], errors="coerce")
        latest = frame.groupby(["sku", "location"])["_when"].transform("max")
        frame = frame[(frame["_when"] == latest) | latest.isna()]
    if frame.empty:
        return pd.DataFrame(columns=["sku", "on_hand", "inbound", "reserved", "position"])
    frame["_on_hand"] = frame["available"] + (frame["reserved"] if include_reserved else 0.0)
    totals = frame.groupby("sku", sort=True).agg(
        on_hand=("_on_hand", "sum"),
        inbound=("inbound", "sum"),
        reserved=("reserved", "sum"),
    )
    totals["position"] = totals["on_hand"] + totals["inbound"]
    by_location = frame.pivot_table(
        index="sku", columns="location", values="available", aggfunc="sum", fill_value=0.0
    )
    # A location called like a total column keeps its units under a longer name.
    by_location.columns = [
        f"{c} available" if str(c) in {"sku", *totals.columns} else str(c)
        for c in by_location.columns
    ]
    out = totals.join(by_location, how="left").fillna(0.0)
    out.columns.name = None
    return out.reset_index()
