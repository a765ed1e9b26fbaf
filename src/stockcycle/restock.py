"""Restock plans from a workspace: what each SKU has, what it will sell, and what to order when.

Flow: ``load_supply`` reads the workspace once (stock per location, open purchase orders,
products, the forecast batch with its backtest errors, the life-cycle stages) into one
``SkuSupply`` per SKU; ``plan_sku`` turns a ``SkuSupply`` and the seller's policy choices
(service level, review period, shipping mode) into a ``SkuPlan`` with ``stockcycle.policy``'s
formulas; ``restock_plan`` does both for every SKU and returns the plan table the CLI
(``stockcycle plan``) and the Growth page show. The policy arithmetic itself lives in
``stockcycle.policy``; this module only gathers its inputs and applies the stage rules (R-S2).

Decisions, each a documented simplification:

- Stock: the latest snapshot of each location, pooled (``policy.pooled_position``, R-A4).
- Arrivals: open purchase orders (status not received / cancelled / closed) arrive at their ETA
  plus the receiving time; the units a location reports inbound beyond those POs arrive after
  the receiving time (a shipment already on its way whose date the reports do not give).
- Demand: the forecast batch (``stockcycle.forecast.run_batch``, cached) summed over channels,
  extended beyond its horizon by the mean of its last 28 days; ``daily_demand`` is its mean over
  the total lead time. ``sd_daily_demand`` is the standard deviation of the in-stock daily
  demand over the last 8 weeks.
- Lead time: production (``products.lead_time_days``, else the middle of the setting's range)
  + transit of the shipping mode (products' ``sea_days`` / ``air_days``, else the settings'
  long end) + receiving. Its standard deviation comes from the SKU's received purchase orders
  (ETA - ordered) when there are at least three, else 0.
- Safety stock: the textbook formula over lead time + review period; the figure from the
  measured lead-time demand quantile (``forecast.lead_time_quantiles``) is kept beside it as a
  second opinion (see ``plan_sku`` for why it does not size the order).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from stockcycle import fees, policy
from stockcycle.errors import InputError
from stockcycle.settings import Settings
from stockcycle.store import Workspace

#: Purchase-order statuses that mean the units are no longer on order.
CLOSED_PO_STATUSES = frozenset({"received", "closed", "cancelled", "canceled", "complete"})
#: Stages in which nothing is reordered (R-S2: decline clears stock, exit liquidates).
NO_REORDER_STAGES = frozenset({"decline", "exit"})
#: Days of recent demand behind ``sd_daily_demand``.
VOLATILITY_WINDOW_DAYS = 56
#: Longest projection and forecast extension, days.
PLAN_HORIZON_DAYS = 365
SHIPPING_MODES = ("sea", "air")

PLAN_COLUMNS = [
    "sku",
    "stage",
    "daily_demand",
    "sd_daily_demand",
    "on_hand",
    "inbound",
    "position",
    "lead_time_days",
    "safety_stock_units",
    "safety_stock_method",
    "safety_stock_forecast_units",
    "reorder_point_units",
    "order_up_to_units",
    "order_units",
    "order_date",
    "order_by_date",
    "stockout_date",
    "days_of_cover",
    "shipping_mode",
    "unit_cost",
    "cash_needed",
    "reason",
]


@dataclass
class SkuSupply:
    """Everything the policy needs for one SKU, read from a workspace (see the module doc)."""

    sku: str
    stage: str | None
    as_of: date
    on_hand: float
    inbound: float
    arrivals: pd.DataFrame  # date, units, source
    daily_forecast: pd.Series  # units/day indexed by date from as_of + 1
    daily_demand: float
    sd_daily_demand: float
    # {protection days (lead time + review period) of each mode: {0.5/0.9/0.95/0.99: units}}
    lead_time_quantiles: dict[int, dict[float, float]]
    lead_time_days: float
    transit_days: dict[str, float]
    freight_cost: dict[str, float]
    unit_cost: float | None
    price: float | None
    case_pack: float | None
    moq: float | None
    sd_lead_time_days: float = 0.0
    receiving_days: float = 0.0
    has_errors: bool = False
    stock_known: bool = True  # False: no inventory snapshot of this SKU at all
    product: dict[str, Any] = field(default_factory=dict)
    forecast_model: str = ""
    forecast_result: Any = field(default=None, repr=False)  # the batch's SkuForecast

    def total_lead_time(self, mode: str) -> float:
        """Production + transit of ``mode`` + receiving, days."""
        return policy.total_lead_time(
            self.lead_time_days, [self.transit_days[mode]], self.receiving_days
        )

    def demand_over(self, start_offset: int, days: int) -> float:
        """Forecast units over ``days`` days starting ``start_offset`` days after ``as_of``."""
        values = self.daily_forecast.to_numpy()
        return float(values[start_offset : start_offset + days].sum())


@dataclass
class SkuPlan:
    """One SKU's restock decision; ``row`` is its line of the plan table (``PLAN_COLUMNS``)."""

    row: dict[str, Any]
    safety: policy.SafetyStock  # the one the plan uses
    safety_formula: policy.SafetyStock  # the textbook formula, always shown
    safety_quantile: policy.SafetyStock | None  # from measured errors, when there are some
    projection: pd.DataFrame
    deliveries: pd.DataFrame
    shipping: pd.DataFrame

    def explain(self) -> str:
        r = self.row
        lines = [
            f"**{r['sku']}** ({r['stage'] or 'stage unknown'}): {r['reason']}",
            "",
            f"- Total lead time L = {r['lead_time_days']:,.0f} days "
            f"({r['shipping_mode']} shipping, production + transit + receiving).",
            f"- Expected demand d = {r['daily_demand']:,.2f} units/day over L (forecast).",
            f"- Safety stock: {self.safety.explain()}",
            f"- Reorder point = d x L + SS = {r['reorder_point_units']:,.0f} units.",
            f"- Order-up-to S = demand over L + order cycle + SS = "
            f"{r['order_up_to_units']:,.0f} units; order = S - inventory position at the order "
            f"date, rounded to case pack and MOQ = {r['order_units']:,} units.",
        ]
        return "\n".join(lines)


# -- reading the workspace ----------------------------------------------------------------------
def _latest_stock(inventory: pd.DataFrame) -> pd.DataFrame:
    """The latest snapshot row of each SKU and location."""
    if inventory.empty:
        return inventory
    inv = inventory.sort_values("snapshot_date")
    return inv.groupby(["sku", "location"], as_index=False, dropna=False).tail(1)


def _open_orders(orders: pd.DataFrame) -> pd.DataFrame:
    if orders.empty:
        return orders
    status = orders["status"].astype("string").str.strip().str.lower().fillna("")
    return orders[~status.isin(CLOSED_PO_STATUSES)]


def _lead_time_sd(orders: pd.DataFrame) -> dict[str, float]:
    """Per SKU: standard deviation of ETA - ordered over received orders (at least 3)."""
    if orders.empty:
        return {}
    done = orders[orders["status"].astype("string").str.strip().str.lower() == "received"]
    days = (done["eta"] - done["ordered"]).dt.days
    frame = pd.DataFrame({"sku": done["sku"], "days": days}).dropna()
    grouped = frame.groupby("sku")["days"]
    sd = grouped.std(ddof=1)[grouped.count() >= 3]
    return {str(k): float(v) for k, v in sd.items()}


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return float(value)


def _extended_forecast(result: Any, as_of: date) -> pd.Series:
    """The batch forecast from ``as_of + 1``, extended to ``PLAN_HORIZON_DAYS`` days by the mean
    of its last 28 days (the same rule as the lead-time quantiles)."""
    from stockcycle.forecast.core import _extend

    start = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    skip = max(0, (start - result.start).days)
    values = np.maximum(_extend(result.forecast, skip + PLAN_HORIZON_DAYS)[skip:], 0.0)
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="D"))


def _recent_sd(panel: pd.DataFrame, sku: str) -> float:
    rows = panel[panel["sku"] == sku].tail(VOLATILITY_WINDOW_DAYS)
    demand = rows["demand"].dropna()
    return float(demand.std(ddof=1)) if len(demand) >= 2 else 0.0


def _arrivals(
    sku: str,
    stock: pd.DataFrame,
    open_orders: pd.DataFrame,
    as_of: date,
    receiving_days: float,
) -> pd.DataFrame:
    """Open POs at ETA + receiving; reported inbound beyond them after the receiving time."""
    rows = []
    pos = open_orders[open_orders["sku"] == sku] if not open_orders.empty else open_orders
    for po in pos.itertuples(index=False):
        eta = po.eta.date() if pd.notna(po.eta) else as_of
        arrive = max(eta, as_of) + timedelta(days=round(receiving_days))
        rows.append({"date": arrive, "units": float(po.units or 0), "source": str(po.po)})
    reported = float(stock.loc[stock["sku"] == sku, "inbound"].fillna(0).sum()) if len(stock) else 0
    unmatched = reported - sum(r["units"] for r in rows)
    if unmatched > 0:
        arrive = as_of + timedelta(days=max(1, round(receiving_days)))
        rows.append({"date": arrive, "units": unmatched, "source": "inbound"})
    return pd.DataFrame(rows, columns=["date", "units", "source"])


def load_supply(
    ws: Workspace,
    *,
    batch: Any | None = None,
    settings: Settings | None = None,
    skus: Sequence[str] | None = None,
    as_of: date | None = None,
    stages: pd.DataFrame | None = None,
) -> dict[str, SkuSupply]:
    """One ``SkuSupply`` per SKU with a forecast (``skus`` restricts them), as of the day
    before the forecast starts unless ``as_of`` is given. Runs ``forecast.run_batch(ws)`` when
    ``batch`` is None (cached: fast when nothing changed) and ``lifecycle.stage_table`` when
    ``stages`` is None."""
    from stockcycle.forecast import run_batch
    from stockcycle.forecast.core import lead_time_quantiles_many
    from stockcycle.forecast.demand import demand_panel
    from stockcycle.lifecycle import stage_table

    settings = settings or ws.settings()
    if batch is None:
        batch = run_batch(ws)
    wanted = list(batch.results) if skus is None else [s for s in skus if s in batch.results]
    if not wanted:
        return {}
    if stages is None:
        stages = stage_table(ws, settings=settings)
    stage_of = dict(zip(stages["sku"], stages["stage"], strict=True)) if len(stages) else {}
    products = ws.read("products")
    product_rows = {
        str(r["sku"]): {k: v for k, v in r.items() if not pd.isna(v)}
        for r in products.to_dict("records")
    }
    sales, inventory = ws.read("sales"), ws.read("inventory")
    panel = demand_panel(sales, inventory) if not sales.empty else pd.DataFrame(columns=["sku"])
    stock = _latest_stock(inventory)
    pooled = policy.pooled_position(stock) if len(stock) else pd.DataFrame(columns=["sku"])
    pooled = pooled.set_index("sku") if len(pooled) else pooled
    orders = ws.read("purchase_orders")
    open_orders = _open_orders(orders)
    lead_sd = _lead_time_sd(orders)
    receiving = float(settings.receiving_days)
    default_production = (settings.lead_time_min_days + settings.lead_time_max_days) / 2

    out: dict[str, SkuSupply] = {}
    for sku in wanted:
        result = batch.results[sku]
        day = as_of or (result.start - pd.Timedelta(days=1)).date()
        prod = product_rows.get(sku, {})
        transit = {
            "sea": _number(prod.get("sea_days")) or float(settings.sea_days_max),
            "air": _number(prod.get("air_days")) or float(settings.air_days_max),
        }
        freight = {
            "sea": _number(prod.get("sea_cost"))
            if prod.get("sea_cost") is not None
            else _number(prod.get("freight_cost")) or 0.0,
            "air": _number(prod.get("air_cost")) or _number(prod.get("freight_cost")) or 0.0,
        }
        production = _number(prod.get("lead_time_days"))
        forecast = _extended_forecast(result, day)
        production_days = production if production is not None else default_production
        protection = {
            mode: max(1, round(production_days + days + receiving + settings.review_period_days))
            for mode, days in transit.items()
        }
        has_errors = result.errors is not None and result.errors.size > 0
        known = sku in pooled.index if len(pooled) else False
        on_hand = float(pooled.loc[sku, "on_hand"]) if known else 0.0
        inbound = float(pooled.loc[sku, "inbound"]) if known else 0.0
        sea_lead = round(production_days + transit["sea"] + receiving)
        out[sku] = SkuSupply(
            sku=sku,
            stage=stage_of.get(sku, result.stage),
            as_of=day,
            on_hand=on_hand,
            inbound=inbound,
            arrivals=_arrivals(sku, stock, open_orders, day, receiving),
            daily_forecast=forecast,
            daily_demand=float(forecast.iloc[: max(1, sea_lead)].mean()),
            sd_daily_demand=_recent_sd(panel, sku),
            lead_time_quantiles=lead_time_quantiles_many(
                result, tuple(sorted(set(protection.values())))
            ),
            lead_time_days=production_days,
            transit_days=transit,
            freight_cost=freight,
            unit_cost=_number(prod.get("unit_cost")),
            price=_number(prod.get("price")),
            case_pack=_number(prod.get("case_pack")),
            moq=_number(prod.get("moq")),
            sd_lead_time_days=lead_sd.get(sku, 0.0),
            receiving_days=receiving,
            has_errors=has_errors,
            stock_known=known,
            product=prod,
            forecast_model=result.model,
            forecast_result=result,
        )
    return out


# -- planning one SKU ---------------------------------------------------------------------------
def order_cycle_days(
    daily_demand: float,
    unit_cost: float | None,
    review_period_days: float,
    ordering_cost: float,
    holding_cost_rate: float,
) -> int:
    """Days of demand one order covers: C = max(R, EOQ / d), EOQ = sqrt(2 K D / h) with
    D = 365 d units/yr and h = holding cost rate x unit cost ($/unit/yr) (Harris 1913; R-M5).
    Without a unit cost (or a holding cost rate of 0) EOQ is undefined: 30 days."""
    if daily_demand <= 0:
        return max(1, round(review_period_days))
    if unit_cost and unit_cost > 0 and holding_cost_rate > 0 and ordering_cost > 0:
        eoq, _ = policy.economic_order_quantity(
            ordering_cost, holding_cost_rate * unit_cost, 365 * daily_demand
        )
        days = eoq / daily_demand
    else:
        days = 30.0
    return max(1, round(max(review_period_days, days)))


def _fmt_date(d: date | None) -> str:
    return d.isoformat() if d else "never within a year"


def _reorder_trigger(
    forecast: np.ndarray,
    stock_end: np.ndarray,
    arrivals_by_day: np.ndarray,
    on_hand: float,
    lead_days: int,
    cover_days: int,
    safety_units: float,
) -> tuple[int | None, float, float]:
    """First day index t (-1 = today, 0 = tomorrow, ...) on which the inventory position
    (stock + arrivals still to come) is at or below the reorder point, with that position and
    the order-up-to level then.

    Reorder point at t = forecast demand over the L days after t + SS; order-up-to at t =
    forecast demand over the L + R days after t + SS (Silver, Pyke & Thomas, ch. 6, with a
    forecast in place of a flat rate; R-G2).
    """
    n = len(forecast)
    cum = np.concatenate([[0.0], np.cumsum(forecast)])
    total_arrivals = float(arrivals_by_day.sum())
    arrived = np.concatenate([[0.0], np.cumsum(arrivals_by_day)])
    # Index k = 0 is today (before tomorrow's demand), k >= 1 is the end of day k - 1.
    stock = np.concatenate([[on_hand], stock_end])
    position = stock + (total_arrivals - arrived)
    days = np.arange(n + 1)
    ahead = np.minimum(days + lead_days, n)
    ahead_s = np.minimum(days + cover_days, n)
    rop = cum[ahead] - cum[days] + safety_units
    out = cum[ahead_s] - cum[days] + safety_units
    hits = np.flatnonzero(position <= rop)
    # The last L days of the year cannot see a full lead time ahead: no trigger there.
    hits = hits[hits + lead_days <= n]
    if hits.size == 0:
        return None, float(position[0]), float(out[0])
    k = int(hits[0])
    return k - 1, float(position[k]), float(out[k])


def _lands_late(row: dict[str, Any]) -> bool:
    """Whether the plan's order becomes sellable only after its projected stockout."""
    if not row["order_units"] or row["stockout_date"] is None or row["order_date"] is None:
        return False
    return row["order_date"] + timedelta(days=round(row["lead_time_days"])) > row["stockout_date"]


def plan_sku(
    supply: SkuSupply,
    *,
    service_level: float = 0.95,
    review_period_days: float = 7,
    shipping_mode: str = "auto",
    shipments: int = 3,
    slow_mover_cover_days: float = 90,
    duty_rate: float = 0.0,
    ordering_cost: float = 150.0,
    holding_cost_rate: float = 0.25,
) -> SkuPlan:
    """The restock decision for one SKU (R-G2, R-G4, R-M3, R-S2, R-L7).

    Protection interval P = total lead time L (production + transit + receiving) + review
    period R. Safety stock over P: SS = z sqrt(P sd_d^2 + d^2 sd_L^2) (``policy.safety_stock``);
    with backtest errors, the lead-time demand quantile's figure (``policy.quantile_safety_stock``)
    is computed too and shown beside it.

    An (s, S) policy (Silver, Pyke & Thomas, ch. 7) with a forecast instead of a flat rate:
    the order is placed on the first day the inventory position (stock + everything on order)
    falls to the reorder point s = demand over the next L days + SS (today if it already has),
    and brings it up to S = demand over the next L + C days + SS, where the order cycle
    C = max(R, EOQ / d) days, EOQ = sqrt(2 K D / h) with K the cost of an order, D = 365 d and
    h = holding cost rate x unit cost (R-M5; 30 days of demand when the unit cost is unknown).
    The quantity is rounded up to the case pack and MOQ. Decline and
    exit SKUs, and SKUs with more than ``slow_mover_cover_days`` of cover (R-M3), are not
    reordered. ``shipping_mode`` "auto" takes sea unless only air arrives before a stockout.
    """
    if shipping_mode not in (*SHIPPING_MODES, "auto"):
        raise InputError(
            f"shipping mode '{shipping_mode}'", column="shipping_mode", expected="sea, air or auto"
        )
    if shipping_mode == "auto":
        options = {
            "service_level": service_level,
            "review_period_days": review_period_days,
            "shipments": shipments,
            "slow_mover_cover_days": slow_mover_cover_days,
            "duty_rate": duty_rate,
            "ordering_cost": ordering_cost,
            "holding_cost_rate": holding_cost_rate,
        }
        sea = plan_sku(supply, shipping_mode="sea", **options)
        if not _lands_late(sea.row):
            return sea
        stockout, ordered = sea.row["stockout_date"], sea.row["order_date"]
        if stockout >= ordered:
            sea.row["reason"] += f" Even this order lands after the stockout on {stockout}."
        air = plan_sku(supply, shipping_mode="air", **options)
        if air.row["order_date"] is None or _lands_late(air.row):
            return sea  # air is late as well: it would only pay more for the same gap
        air.row["reason"] += " Sea freight would land after the stockout, air before it: fly it."
        return air

    lead = supply.total_lead_time(shipping_mode)
    protection = max(1, round(lead + review_period_days))
    lead_days = max(1, round(lead))
    forecast = supply.daily_forecast.to_numpy(dtype=float)
    d = float(forecast[:lead_days].mean())
    formula = policy.safety_stock(
        d, supply.sd_daily_demand, protection, supply.sd_lead_time_days, service_level
    )
    quantile = None
    if supply.has_errors and supply.forecast_result is not None:
        from stockcycle.forecast.core import lead_time_quantiles

        q_units = lead_time_quantiles(supply.forecast_result, protection, (service_level,))
        quantile = policy.quantile_safety_stock(
            q_units[service_level], float(forecast[:protection].sum()), service_level
        )
    # The plan uses the textbook figure. The quantile of measured errors is kept and shown
    # beside it: its upper tail comes from a few dozen 28-day backtest errors (pooled over
    # similar SKUs) stretched to lead times of 60-100 days, so at 95% it is often simply the
    # largest error seen, too unstable to size an order by.
    safety = formula
    ss = float(safety.units)
    cycle_days = order_cycle_days(
        d, supply.unit_cost, review_period_days, ordering_cost, holding_cost_rate
    )

    start = supply.as_of + timedelta(days=1)
    projection = policy.projected_stock(start, supply.on_hand, forecast, supply.arrivals)
    stockout = policy.stockout_date(projection)
    arrivals_by_day = projection["arrivals"].to_numpy(dtype=float)
    trigger, position_then, up_to = _reorder_trigger(
        forecast,
        projection["stock"].to_numpy(dtype=float),
        arrivals_by_day,
        supply.on_hand,
        lead_days,
        lead_days + cycle_days,
        ss,
    )
    cover = policy.days_of_cover(supply.on_hand, d)
    reorder = policy.reorder_point(d, lead, ss)
    order_up_to = policy.order_up_to_level(d, lead, cycle_days, ss)
    position = supply.on_hand + float(supply.arrivals["units"].sum())

    order_units, order_date = 0, None
    stage = supply.stage
    if stage in NO_REORDER_STAGES:
        reason = (
            f"{stage.capitalize()} stage: no reorder; clear the {supply.on_hand:,.0f} units on "
            "hand instead (R-S2)."
        )
    elif math.isfinite(cover) and cover > slow_mover_cover_days:
        reason = (
            f"{cover:,.0f} days of cover, more than {slow_mover_cover_days:,.0f}: slow mover, "
            "protection mode, no reorder (R-M3)."
        )
    elif d <= 0:
        reason = "No demand expected: nothing to order."
    elif trigger is None:
        reason = (
            f"{cover:,.0f} days of cover and {position:,.0f} units on hand and on order last "
            "beyond the year ahead: no order needed."
        )
    else:
        order_date = supply.as_of + timedelta(days=trigger + 1) if trigger >= 0 else supply.as_of
        needed = max(0.0, up_to - position_then)
        order_units = policy.round_order(needed, supply.case_pack, supply.moq)
        when = "now" if order_date <= supply.as_of else f"on {order_date.isoformat()}"
        if stockout is None:
            runs_out = "stock lasts the year without it only if nothing goes wrong"
        elif stockout < order_date:
            runs_out = (
                f"stock runs out on {stockout.isoformat()}, before the open orders land "
                "(no new order arrives sooner)"
            )
        else:
            runs_out = f"stock runs out on {stockout.isoformat()} without it"
        reason = (
            f"Order {order_units:,} units {when}: {cover:,.0f} days of cover, {runs_out}, and "
            f"{'an' if shipping_mode == 'air' else 'a'} {shipping_mode} order takes {lead:,.0f} "
            "days to be sellable."
        )
    order_by = policy.order_by_date(stockout, lead, review_period_days) if stockout else None
    freight = supply.freight_cost.get(shipping_mode, 0.0)
    cash = (
        fees.cash_needed(order_units, supply.unit_cost, freight, duty_rate)
        if supply.unit_cost is not None
        else float("nan")
    )
    first_arrival = (order_date or supply.as_of) + timedelta(days=lead_days)
    deliveries = (
        policy.split_deliveries(order_units, shipments, d, first_arrival, supply.case_pack)
        if order_units > 0
        else pd.DataFrame(columns=["delivery", "arrival", "units", "covers_days"])
    )
    shipping = policy.compare_shipping(
        max(order_units, 1),
        d,
        supply.sd_daily_demand,
        supply.on_hand,
        order_date or supply.as_of,
        supply.lead_time_days + supply.receiving_days,
        {m: (supply.transit_days[m], supply.freight_cost.get(m, 0.0)) for m in SHIPPING_MODES},
    )
    row = {
        "sku": supply.sku,
        "stage": stage,
        "daily_demand": d,
        "sd_daily_demand": supply.sd_daily_demand,
        "on_hand": supply.on_hand,
        "inbound": float(supply.arrivals["units"].sum()),
        "position": position,
        "lead_time_days": lead,
        "safety_stock_units": ss,
        "safety_stock_method": safety.method,
        "safety_stock_forecast_units": quantile.units if quantile is not None else float("nan"),
        "reorder_point_units": reorder,
        "order_up_to_units": order_up_to,
        "order_units": int(order_units),
        "order_date": order_date,
        "order_by_date": order_by,
        "stockout_date": stockout,
        "days_of_cover": cover,
        "shipping_mode": shipping_mode,
        "unit_cost": supply.unit_cost,
        "cash_needed": cash,
        "reason": reason,
    }
    if not supply.stock_known:
        row["reason"] = (
            "No stock figures for this SKU (import an FBA inventory report or an inventory "
            "table): planned as if nothing were on hand. " + row["reason"]
        )
    return SkuPlan(row, safety, formula, quantile, projection, deliveries, shipping)


def restock_plan(
    ws: Workspace,
    *,
    settings: Settings | None = None,
    service_level: float | None = None,
    skus: Sequence[str] | None = None,
    batch: Any | None = None,
    as_of: date | None = None,
    supplies: dict[str, SkuSupply] | None = None,
    **plan_kwargs: Any,
) -> pd.DataFrame:
    """The restock plan of every SKU (or ``skus``): one ``plan_sku`` row each, ``PLAN_COLUMNS``,
    most urgent order first. Defaults from the workspace settings: service level = 1 - target
    stockout probability (R-L4), review period, deliveries (R-G4), slow-mover cover (R-M3),
    duty rate. ``supplies`` reuses a ``load_supply`` result."""
    settings = settings or ws.settings()
    if supplies is None:
        supplies = load_supply(ws, batch=batch, settings=settings, skus=skus, as_of=as_of)
    elif skus is not None:
        supplies = {s: supplies[s] for s in skus if s in supplies}
    options: dict[str, Any] = {
        "service_level": (
            service_level if service_level is not None else 1 - settings.stockout_probability
        ),
        "review_period_days": settings.review_period_days,
        "shipments": settings.restock_shipments,
        "slow_mover_cover_days": settings.slow_mover_cover_days,
        "duty_rate": settings.duty_rate,
        "ordering_cost": settings.ordering_cost,
        "holding_cost_rate": settings.holding_cost_rate,
    }
    options.update(plan_kwargs)
    rows = [plan_sku(s, **options).row for s in supplies.values()]
    table = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    if table.empty:
        return table
    urgent = table["order_date"].map(lambda d: d or date.max)
    return (
        table.assign(_urgent=urgent)
        .sort_values(["_urgent", "days_of_cover", "sku"])
        .drop(columns="_urgent")
        .reset_index(drop=True)
    )
