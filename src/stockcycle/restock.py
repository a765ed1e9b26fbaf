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

import functools
import logging
import math
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stockcycle import datadate, fees, policy
from stockcycle.checks import first_number, optional_number
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
#: A location snapshot older than this many days before the plan date is flagged in the reason.
STALE_STOCK_DAYS = 30
#: Data ending more than this many days before today gets a stale-data warning (R-T1); the one
#: threshold of the CLI and the pages (``datadate``).
STALE_DATA_DAYS = datadate.STALE_DATA_DAYS
#: Longest error text quoted in a "Not planned" reason: one line a seller can read, with the
#: full text and traceback in the log.
PROBLEM_DETAIL_CHARS = 120

log = logging.getLogger(__name__)

PLAN_COLUMNS = [
    "sku",
    "stage",
    "as_of",
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
    "overdue_days",
    "ship_by_date",
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
    on_hand: float  # pooled over locations (``policy.pooled_position``)
    arrivals: pd.DataFrame  # date, units, source: open POs and reported inbound
    daily_forecast: pd.Series  # units/day indexed by date from as_of + 1
    daily_demand: float  # mean forecast over the total lead time by sea
    sd_daily_demand: float  # of in-stock daily demand over the last 8 weeks
    lead_time_days: float  # production at the supplier
    transit_days: dict[str, float]  # {"sea": days, "air": days}
    freight_cost: dict[str, float]  # {"sea": $/unit, "air": $/unit}
    unit_cost: float | None
    price: float | None
    case_pack: float | None
    moq: float | None
    sd_lead_time_days: float = 0.0
    receiving_days: float = 0.0
    has_errors: bool = False
    stock_known: bool = True  # False: no inventory snapshot of this SKU at all
    stock_note: str = ""  # stale snapshots, blank counts (``_stock_notes``)
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
    position_at_order: float = float("nan")  # stock + open orders on the order (review) date
    review_period_days: float = 0.0
    cycle_days: int = 0
    first_arrival: date | None = None  # when the order lands: placed max(order date, today)

    def explain(self) -> str:
        r = self.row
        when = r["order_date"].isoformat() if r["order_date"] else "the first review day"
        lines = [
            f"**{r['sku']}** ({r['stage'] or 'stage unknown'}): {r['reason']}",
            "",
            f"- Total lead time L = {r['lead_time_days']:,.1f} days "
            f"({r['shipping_mode']} shipping: production + transit + receiving); review "
            f"period R = {self.review_period_days:g} days; order cycle C = {self.cycle_days} "
            "days.",
            f"- Safety stock over L + R: {self.safety.explain()}",
            f"- Reorder point on {when}: s = forecast demand over the next L + R days + SS = "
            f"{r['reorder_point_units']:,.0f} units.",
            f"- Order-up-to level then: S = forecast demand over the next L + C days + SS = "
            f"{r['order_up_to_units']:,.0f} units.",
            f"- Inventory position then (stock + open orders) = {self.position_at_order:,.0f} "
            f"units; order = S - position, rounded up to case pack and MOQ = "
            f"{r['order_units']:,} units.",
        ]
        return "\n".join(lines)


def plan_dates_line(today: date, as_of: date | None) -> str:
    """The line above every plan (R-T1): Plan made on <today> from data up to <as-of>."""
    data = as_of.isoformat() if as_of is not None else "no data"
    return f"Plan made on {today.isoformat()} from data up to {data}"


def stale_data_warning(today: date, as_of: date | None) -> str | None:
    """The stale-data warning of a plan (R-T1, ``datadate.stale_data_warning``: "Your data ends
    N days before today: import recent reports ...") when the data date is more than
    ``STALE_DATA_DAYS`` before ``today``; None otherwise."""
    if as_of is None:
        return None
    return datadate.stale_data_warning(
        today,
        as_of,
        advice=f"import recent reports. Until then the plan projects the stock from "
        f"{as_of.isoformat()}, and order dates before today are shown as overdue.",
    )


def table_as_of(table: pd.DataFrame) -> date | None:
    """The data date of a plan table: the latest ``as_of`` of its rows (None without one)."""
    if "as_of" not in table.columns:
        return None
    dates = [d for d in table["as_of"] if d is not None and not pd.isna(d)]
    return max(dates) if dates else None


# -- reading the workspace ----------------------------------------------------------------------
def _latest_stock(inventory: pd.DataFrame) -> pd.DataFrame:
    """The latest snapshot row of each SKU and location."""
    if inventory.empty:
        return inventory
    inv = inventory.sort_values("snapshot_date")
    return inv.groupby(["sku", "location"], as_index=False, dropna=False).tail(1)


def open_orders(orders: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Purchase orders still to arrive: a closed status (received, cancelled, ...) is done; a
    blank status counts as open only while its ETA is after ``as_of`` (an old order without a
    status has been received long ago, not "arriving in a few days")."""
    if orders.empty:
        return orders
    status = orders["status"].astype("string").str.strip().str.lower()
    blank = status.isna() | (status == "")
    future = orders["eta"].notna() & (orders["eta"] > pd.Timestamp(as_of))
    closed = status.isin(CLOSED_PO_STATUSES).fillna(False)
    return orders[~closed & (~blank | future)]


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


def _product_figure(prod: dict[str, Any], column: str, *, positive: bool = False) -> float | None:
    """A products-table figure of one SKU, None when blank; an ``InputError`` naming the SKU
    and column when negative (or not above 0 where ``positive``) or infinite (no lead time,
    cost or case pack is; days of it would not fit in a date either)."""
    value = optional_number(prod.get(column))
    if value is not None and (value < 0 or (positive and value == 0) or math.isinf(value)):
        raise InputError(
            f"SKU {prod.get('sku')} has {column} {value:g}",
            file="products table",
            column=column,
            expected="a number above 0" if positive else "a number >= 0",
        )
    return value


def _extended_forecast(result: Any, as_of: date) -> pd.Series:
    """The batch forecast from ``as_of + 1``, extended to ``PLAN_HORIZON_DAYS`` days by the mean
    of its last 28 days (the same rule as the lead-time quantiles)."""
    from stockcycle.forecast.core import extend_path

    start = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    skip = max(0, (start - result.start).days)
    values = np.maximum(extend_path(result.forecast, skip + PLAN_HORIZON_DAYS)[skip:], 0.0)
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="D"))


def recent_sd(panel: pd.DataFrame) -> dict[str, float]:
    """Per SKU: standard deviation of its in-stock daily demand over its last
    ``VOLATILITY_WINDOW_DAYS`` days (stockout days left out; 0 with fewer than 2 days)."""
    if panel.empty:
        return {}
    recent = panel.groupby("sku", sort=False).tail(VOLATILITY_WINDOW_DAYS)
    sd = recent.groupby("sku")["demand"].std(ddof=1).fillna(0.0)
    return {str(k): float(v) for k, v in sd.items()}


def _by_sku(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The rows of each SKU, split once (instead of filtering the whole table per SKU)."""
    if frame.empty:
        return {}
    return {str(k): rows for k, rows in frame.groupby("sku", sort=False)}


def _arrivals(
    sku: str,
    stock: pd.DataFrame | None,
    orders: pd.DataFrame | None,
    as_of: date,
    receiving_days: float,
    order_lead_days: float,
) -> pd.DataFrame:
    """Open POs at ETA + receiving (an ETA already past: after the receiving time; no ETA:
    ordered + ``order_lead_days``); units a location reports inbound beyond those POs after
    the receiving time. A PO without units (or with negative units) is an ``InputError``.
    ``stock`` and ``orders``: this SKU's latest stock rows and purchase orders (None: none)."""
    rows = []
    receiving = timedelta(days=math.ceil(receiving_days))
    pos = [] if orders is None else open_orders(orders, as_of).itertuples(index=False)
    for po in pos:
        units = optional_number(po.units)
        if units is None or units < 0:
            raise InputError(
                f"purchase order {po.po} of SKU {sku} has units {po.units}",
                file="purchase_orders table",
                column="units",
                expected="the units ordered, a number >= 0",
            )
        if pd.notna(po.eta):
            arrive = max(po.eta.date(), as_of) + receiving
        elif pd.notna(po.ordered):
            arrive = max(po.ordered.date() + timedelta(days=math.ceil(order_lead_days)), as_of)
        else:
            raise InputError(
                f"open purchase order {po.po} of SKU {sku} has neither an ETA nor an order date",
                file="purchase_orders table",
                column="eta",
                expected="the date the order arrives (or at least the date it was placed)",
            )
        rows.append({"date": arrive, "units": units, "source": str(po.po)})
    reported = float(stock["inbound"].fillna(0).sum()) if stock is not None else 0.0
    unmatched = reported - sum(r["units"] for r in rows)
    if unmatched > 0:
        rows.append(
            {
                "date": as_of + max(receiving, timedelta(days=1)),
                "units": unmatched,
                "source": "inbound",
            }
        )
    return pd.DataFrame(rows, columns=["date", "units", "source"])


def _stock_notes(rows: pd.DataFrame, as_of: date) -> str:
    """What the seller should know about the stock figures behind a plan (``rows``: the SKU's
    latest snapshot per location): snapshots more than ``STALE_STOCK_DAYS`` older than the plan
    date, and blank ``available`` counts."""
    notes = []
    for r in rows.itertuples(index=False):
        when = r.snapshot_date.date() if pd.notna(r.snapshot_date) else None
        if when is not None and (as_of - when).days > STALE_STOCK_DAYS:
            notes.append(f"{r.location} stock is as of {when.isoformat()}")
        if pd.isna(r.available):
            notes.append(f"{r.location} has no available count (taken as 0)")
    return ("Check the stock figures: " + "; ".join(notes) + ". ") if notes else ""


def _failed_in(err: BaseException) -> str:
    """The stockcycle function ``err`` was raised in (the innermost of our named frames, e.g.
    ``policy.split_deliveries``; comprehensions and lambdas are part of the function around
    them), or "" when none of its frames is ours."""
    package = Path(__file__).resolve().parent
    ours = ""
    for frame in traceback.extract_tb(err.__traceback__):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(package) and not frame.name.startswith("<"):
            module = ".".join(path.relative_to(package).with_suffix("").parts)
            ours = f"{module}.{frame.name}"
    return ours


def sku_problem(err: Exception, sku: str) -> str:
    """Why ``sku`` could not be planned, in one plain line for its "Not planned" row.

    An ``InputError`` is a problem in the seller's data and is quoted as written. Anything
    else is a fault of ours: the line says the plan could not be computed, which of our
    functions failed and with which error (its text shortened to ``PROBLEM_DETAIL_CHARS``),
    e.g. "its plan could not be computed: policy.split_deliveries failed with
    OutOfBoundsTimedelta (...)"; the traceback goes to the log (logger
    ``stockcycle.restock``), so the fault is recorded, never swallowed.
    """
    if isinstance(err, InputError):
        return str(err)
    log.error("the plan of SKU %s could not be computed", sku, exc_info=err)
    where = _failed_in(err)
    failed = f"{where} failed with {type(err).__name__}" if where else type(err).__name__
    detail = " ".join(str(err).split())
    if len(detail) > PROBLEM_DETAIL_CHARS:
        detail = detail[: PROBLEM_DETAIL_CHARS - 1] + "…"
    return (
        f"its plan could not be computed: {failed}{f' ({detail})' if detail else ''}. "
        "The details are in the log."
    )


def not_planned_row(sku: str, problem: str, stage: str | None = None) -> dict[str, Any]:
    """The plan row (``PLAN_COLUMNS``) of a SKU that could not be planned: no order, no dates
    (None, as a planned row without them), the problem as the reason."""
    row: dict[str, Any] = dict.fromkeys(PLAN_COLUMNS, float("nan"))
    for col in ("as_of", "order_date", "ship_by_date", "order_by_date", "stockout_date"):
        row[col] = None
    row.update(
        sku=sku, stage=stage, order_units=0, overdue_days=0, reason=f"Not planned: {problem}"
    )
    return row


def plan_each(
    supplies: Mapping[str, SkuSupply], plan: Callable[[SkuSupply], SkuPlan]
) -> tuple[dict[str, SkuPlan], dict[str, str]]:
    """``plan(supply)`` for every SKU: (plans by SKU, problems by SKU). One SKU whose plan
    fails, whatever the error, does not stop the others: its ``sku_problem`` line goes into
    the problems instead."""
    plans: dict[str, SkuPlan] = {}
    problems: dict[str, str] = {}
    for sku, supply in supplies.items():
        try:
            plans[sku] = plan(supply)
        except Exception as err:  # noqa: BLE001 - one SKU must not stop the plan of the others
            problems[sku] = sku_problem(err, sku)
    return plans, problems


def load_supply(
    ws: Workspace,
    *,
    batch: Any | None = None,
    settings: Settings | None = None,
    skus: Sequence[str] | None = None,
    as_of: date | None = None,
    stages: pd.DataFrame | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, SkuSupply]:
    """One ``SkuSupply`` per SKU with a forecast (``skus`` restricts them), as of the day
    before the forecast starts unless ``as_of`` is given. Runs ``forecast.run_batch(ws)`` when
    ``batch`` is None (cached: fast when nothing changed) and ``lifecycle.stage_table`` when
    ``stages`` is None (both as of ``as_of`` when it is given).

    With ``as_of``, nothing dated after it is read: inventory snapshots up to that day, purchase
    orders placed by then (an order without an order date counts), the demand panel to that day.

    A SKU whose products or purchase-order rows are unusable raises ``InputError``; with an
    ``errors`` dictionary, its message is put there under the SKU instead and the SKU left out,
    so one bad row does not stop the plan of every other SKU. With ``errors``, any other
    exception from one SKU is put there too (``sku_problem``: a plain line, the traceback in
    the log); without it, every exception propagates."""
    from stockcycle.demand import workspace_panel
    from stockcycle.forecast import run_batch
    from stockcycle.lifecycle import stage_table

    settings = settings or ws.settings()
    if batch is None:
        batch = run_batch(ws, as_of=as_of)
    wanted = list(batch.results) if skus is None else [s for s in skus if s in batch.results]
    if not wanted:
        return {}
    if stages is None:
        stages = stage_table(ws, settings=settings, as_of=as_of)
    stage_of = dict(zip(stages["sku"], stages["stage"], strict=True)) if len(stages) else {}
    inventory = ws.read("inventory")
    orders = ws.read("purchase_orders")
    if as_of is not None:
        day = pd.Timestamp(as_of)
        inventory = inventory[inventory["snapshot_date"] <= day]
        orders = orders[orders["ordered"].isna() | (orders["ordered"] <= day)]
    panel = workspace_panel(ws, end=as_of, inventory=inventory)
    stock = _latest_stock(inventory)
    pooled = policy.pooled_position(stock) if len(stock) else pd.DataFrame(columns=["sku"])
    pooled = pooled.set_index("sku") if len(pooled) else pooled
    context = _Context(
        settings=settings,
        stage_of=stage_of,
        product_rows=ws.product_rows(),
        recent_sd=recent_sd(panel),
        stock_of=_by_sku(stock),
        pooled=pooled,
        orders_of=_by_sku(orders),
        lead_sd=_lead_time_sd(orders),
    )
    out: dict[str, SkuSupply] = {}
    for sku in wanted:
        try:
            out[sku] = _supply_of(sku, batch.results[sku], context, as_of)
        except Exception as err:  # noqa: BLE001 - one SKU must not stop the plan of the others
            if errors is None:
                raise
            errors[sku] = sku_problem(err, sku)
    return out


@dataclass
class _Context:
    """What ``load_supply`` reads once for all SKUs."""

    settings: Settings
    stage_of: dict[str, str]
    product_rows: dict[str, dict[str, Any]]
    recent_sd: dict[str, float]  # sd of in-stock daily demand, last 8 weeks
    stock_of: dict[str, pd.DataFrame]  # latest snapshot rows per location
    pooled: pd.DataFrame
    orders_of: dict[str, pd.DataFrame]  # every purchase order of the SKU
    lead_sd: dict[str, float]


def _supply_of(sku: str, result: Any, ctx: _Context, as_of: date | None) -> SkuSupply:
    settings = ctx.settings
    day = as_of or (result.start - pd.Timedelta(days=1)).date()
    prod = ctx.product_rows.get(sku, {"sku": sku})
    transit = {
        "sea": first_number(_product_figure(prod, "sea_days"), settings.sea_days_max),
        "air": first_number(_product_figure(prod, "air_days"), settings.air_days_max),
    }
    freight_default = first_number(_product_figure(prod, "freight_cost"), 0.0)
    freight = {
        "sea": first_number(_product_figure(prod, "sea_cost"), freight_default),
        "air": first_number(_product_figure(prod, "air_cost"), freight_default),
    }
    receiving = float(settings.receiving_days)
    production_days = first_number(
        _product_figure(prod, "lead_time_days"),
        (settings.lead_time_min_days + settings.lead_time_max_days) / 2,
    )
    known = sku in ctx.pooled.index if len(ctx.pooled) else False
    forecast = _extended_forecast(result, day)
    sea_lead = math.ceil(production_days + transit["sea"] + receiving)
    return SkuSupply(
        sku=sku,
        stage=ctx.stage_of.get(sku, result.stage),
        as_of=day,
        on_hand=float(ctx.pooled.loc[sku, "on_hand"]) if known else 0.0,
        arrivals=_arrivals(
            sku, ctx.stock_of.get(sku), ctx.orders_of.get(sku), day, receiving, sea_lead
        ),
        daily_forecast=forecast,
        daily_demand=float(forecast.iloc[: max(1, sea_lead)].mean()),
        sd_daily_demand=ctx.recent_sd.get(sku, 0.0),
        lead_time_days=production_days,
        transit_days=transit,
        freight_cost=freight,
        unit_cost=_product_figure(prod, "unit_cost"),
        price=_product_figure(prod, "price"),
        case_pack=_product_figure(prod, "case_pack", positive=True),
        moq=_product_figure(prod, "moq"),
        sd_lead_time_days=ctx.lead_sd.get(sku, 0.0),
        receiving_days=receiving,
        has_errors=result.errors is not None and result.errors.size > 0,
        stock_known=known,
        stock_note=_stock_notes(ctx.stock_of[sku], day) if sku in ctx.stock_of else "",
        forecast_model=result.model,
        forecast_result=result,
    )


def supply_from(
    sku: str,
    result: Any,
    *,
    as_of: date,
    on_hand: float,
    arrivals: pd.DataFrame,
    settings: Settings,
    product: dict[str, Any] | None = None,
    stage: str | None = None,
    sd_daily_demand: float = 0.0,
    sd_lead_time_days: float = 0.0,
) -> SkuSupply:
    """A ``SkuSupply`` from given figures instead of the workspace's latest stock: what a
    policy replay (``stockcycle.replay``, R-T4) hands ``plan_sku`` on a past review day.

    ``result``: the SKU's forecast (``SkuForecast``) made on or before ``as_of``, rolled
    forward to start the day after it; ``on_hand``: units on hand at the end of ``as_of``;
    ``arrivals``: the orders still to come (``date, units, source``, dates already sellable,
    so no receiving time is added); ``product``: its products-table row (lead time, transit,
    costs, case pack, MOQ; blanks take the same settings defaults as ``load_supply``).
    Everything else is built exactly as ``load_supply`` builds it (``_supply_of``)."""
    product = dict(product or {"sku": sku})
    product.setdefault("sku", sku)
    ctx = _Context(
        settings=settings,
        stage_of={sku: stage} if stage else {},
        product_rows={sku: product},
        recent_sd={sku: float(sd_daily_demand)},
        stock_of={},
        pooled=pd.DataFrame(),  # the stock is given: set below, no per-call frame
        orders_of={},
        lead_sd={sku: float(sd_lead_time_days)},
    )
    supply = _supply_of(sku, result, ctx, as_of)
    supply.on_hand = float(on_hand)
    supply.stock_known = True
    supply.arrivals = arrivals.reindex(columns=["date", "units", "source"])
    return supply


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


@dataclass(frozen=True)
class _Trigger:
    day: int | None  # days after as_of of the order (0 = today); None: no order within a year
    position: float  # inventory position on that day (on the first review day without one)
    reorder_point: float
    order_up_to: float


def _reorder_trigger(
    forecast: np.ndarray,
    stock_end: np.ndarray,
    arrivals_by_day: np.ndarray,
    on_hand: float,
    lead_days: int,
    review_days: int,
    cycle_days: int,
    safety_units: float,
) -> _Trigger:
    """The first review day (today, then every R days) on which the inventory position (stock
    + arrivals still to come) is at or below s = forecast demand over the next L + R days + SS;
    the order brings it to S = forecast demand over the next L + C days + SS.

    An (R, s, S) policy (Silver, Pyke & Thomas, ch. 6-7) with a forecast in place of a flat
    rate (R-G2): between two reviews nothing is ordered, so s must cover L + R days.
    """
    n = len(forecast)
    # Indexes past the forecast read its end anyway; clipping first keeps the sums below in
    # int64 when a barely selling SKU has an order cycle of 1e22 days (EOQ / d at 1e-40/day).
    cycle_days = min(cycle_days, n)
    cum = np.concatenate([[0.0], np.cumsum(forecast)])
    arrived = np.concatenate([[0.0], np.cumsum(arrivals_by_day)])
    # Index k = 0 is today (before tomorrow's demand), k >= 1 is the end of day k.
    position = np.concatenate([[on_hand], stock_end]) + (arrived[-1] - arrived)
    days = np.arange(n + 1)
    reorder = cum[np.minimum(days + lead_days + review_days, n)] - cum[days] + safety_units
    up_to = cum[np.minimum(days + lead_days + cycle_days, n)] - cum[days] + safety_units
    step = max(1, review_days)
    # Review days only, and only where a whole lead time still lies within the forecast year.
    reviews = days[(days % step == 0) & (days + lead_days + review_days <= n)]
    hits = reviews[position[reviews] <= reorder[reviews]]
    k = int(hits[0]) if hits.size else None
    at = k if k is not None else 0
    return _Trigger(k, float(position[at]), float(reorder[at]), float(up_to[at]))


def _placed(row: dict[str, Any]) -> date | None:
    """The day the plan's order is placed: its order date, or today when that date is past
    (``overdue_days`` after it)."""
    if row["order_date"] is None:
        return None
    return row["order_date"] + timedelta(days=int(row.get("overdue_days") or 0))


def order_arrival(row: dict[str, Any]) -> date | None:
    """When the plan's order becomes sellable: placed + the total lead time of its mode."""
    placed = _placed(row)
    if placed is None:
        return None
    return placed + timedelta(days=max(1, math.ceil(row["lead_time_days"])))


#: Unserved demand under half a unit is float dust, not a late order.
LOST_UNITS_DUST = 0.5


@dataclass(frozen=True)
class LateArrival:
    """An order that becomes sellable only after the stock on hand and on order runs out."""

    arrival: date  # the day the order becomes sellable (``order_arrival``)
    first_lost_day: date  # the first day from today on whose demand the stock cannot serve
    lost_units: float  # forecast demand not served from then to the day before the arrival


def late_arrival(supply: SkuSupply, row: dict[str, Any], today: date) -> LateArrival | None:
    """Whether the plan's order ``row`` lands after the stock runs out, and what is lost.

    The stock is projected from the data date with the forecast and the open orders, without
    this order (``policy.projected_stock``: lost_t = max(0, demand_t - stock_(t-1) -
    arrivals_t)). Lost units = the sum of lost_t from max(today, the day after the data date)
    to the day before the order becomes sellable (``order_arrival``). Days before today are
    not counted (no order can save them), nor are stockouts that an open order ends before
    this order is needed. None: no order, or less than ``LOST_UNITS_DUST`` units lost.
    """
    arrival = order_arrival(row)
    if arrival is None or not row["order_units"]:
        return None
    start = supply.as_of + timedelta(days=1)
    projection = policy.projected_stock(
        start, supply.on_hand, supply.daily_forecast.to_numpy(dtype=float), supply.arrivals
    )
    lost = projection["lost_units"].to_numpy(dtype=float)
    lo = max(0, (today - start).days)
    window = lost[lo : max(lo, (arrival - start).days)]
    units = float(window.sum())
    if units < LOST_UNITS_DUST:
        return None
    first = start + timedelta(days=lo + int(np.argmax(window > 1e-9)))
    return LateArrival(arrival, first, units)


def _lost_units(supply: SkuSupply, row: dict[str, Any], today: date) -> float:
    late = late_arrival(supply, row, today)
    return late.lost_units if late is not None else 0.0


def unit_margin(supply: SkuSupply, mode: str) -> float | None:
    """Price - unit cost - freight of ``mode`` per unit; None without a price or a cost."""
    if supply.price is None or supply.unit_cost is None:
        return None
    return supply.price - supply.unit_cost - supply.freight_cost.get(mode, 0.0)


def _late_note(supply: SkuSupply, row: dict[str, Any], today: date) -> str:
    """The reason's note for an order that lands after the stock runs out ("It lands after the
    stock runs out: ...") with the sales it cannot save, in units and margin; "" when in time."""
    late = late_arrival(supply, row, today)
    if late is None:
        return ""
    margin = unit_margin(supply, row["shipping_mode"])
    money = f", {late.lost_units * margin:,.2f} of margin" if margin is not None else ""
    return (
        f" It lands after the stock runs out: on {late.arrival.isoformat()}; from "
        f"{late.first_lost_day.isoformat()} until then about {late.lost_units:,.0f} units of "
        f"sales are lost{money}."
    )


def _choose_mode(supply: SkuSupply, sea: SkuPlan, air: SkuPlan, today: date) -> SkuPlan:
    """Auto shipping (R-L7), called when the sea order lands after the stock runs out: air
    when it lands in time (a mode that avoids the stockout beats one that does not); when air
    is late too, air only if flying pays: the margin of the sales it saves is more than the
    extra air freight."""
    if air.row["order_date"] is None:
        return sea
    saved = _lost_units(supply, sea.row, today) - _lost_units(supply, air.row, today)
    margin = unit_margin(supply, "sea")
    extra = air.row["order_units"] * (
        supply.freight_cost.get("air", 0.0) - supply.freight_cost.get("sea", 0.0)
    )
    money = f" ({saved * margin:,.2f} of margin)" if margin is not None else ""
    if late_arrival(supply, air.row, today) is None:
        late_sea = late_arrival(supply, sea.row, today)
        assert late_sea is not None  # called only when the sea order is late
        air.row["reason"] += (
            f" Air, not sea: a sea order would land on {late_sea.arrival.isoformat()}, after "
            f"the stock runs out ({late_sea.first_lost_day.isoformat()}); flying saves about "
            f"{saved:,.0f} units of lost sales{money} for {extra:,.2f} of extra freight."
        )
        return air
    if saved <= 0 or margin is None or saved * margin <= extra:
        return sea
    air.row["reason"] += (
        f" Flying saves about {saved:,.0f} units of lost sales (it still lands after the "
        f"stockout): {saved * margin:,.2f} of margin against {extra:,.2f} of extra freight."
    )
    return air


def plan_sku(
    supply: SkuSupply,
    *,
    today: date | None = None,
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

    Lead time L = production + transit + receiving (``SkuSupply.total_lead_time``), review
    period R: stock is reviewed today and every R days (daily when R = 0). Safety stock over
    L + R: SS = z sqrt((L + R) sd_d^2 + d^2 sd_L^2) (``policy.safety_stock``); with backtest
    errors the lead-time demand quantile's figure (``policy.quantile_safety_stock``) is computed
    too and shown beside it (``restock`` module doc says why it does not size the order).

    An (R, s, S) policy with the forecast instead of a flat rate (``_reorder_trigger``): order
    on the first review day on which stock + open orders is at or below s = forecast demand over
    the next L + R days + SS, up to S = forecast demand over the next L + C days + SS, with the
    order cycle C = max(R, EOQ / d) days (``order_cycle_days``, R-M5); rounded up to the case
    pack and MOQ. Decline and exit SKUs, and SKUs with more than ``slow_mover_cover_days`` of
    cover (R-M3), are not reordered. ``shipping_mode`` "auto": sea unless the sea order lands
    after the stockout and air either lands before it or saves more margin than its extra
    freight (``_choose_mode``).

    ``today`` (R-T1; None: the supply's as-of date, the data date): the stock is projected from
    the data date with the forecast, as before; an order date before today stays in the row with
    ``overdue_days`` = days late and a reason that starts "Overdue by N days: order now", and
    the order is placed today: its arrival, deliveries and ship-by date run from
    max(order date, today). A projected stockout before today is told as past ("ran out on").
    An order that lands after the stockout says so with the sales it cannot save.
    """
    if shipping_mode not in (*SHIPPING_MODES, "auto"):
        raise InputError(
            f"shipping mode '{shipping_mode}'", column="shipping_mode", expected="sea, air or auto"
        )
    options = {
        "today": today,
        "service_level": service_level,
        "review_period_days": review_period_days,
        "shipments": shipments,
        "slow_mover_cover_days": slow_mover_cover_days,
        "duty_rate": duty_rate,
        "ordering_cost": ordering_cost,
        "holding_cost_rate": holding_cost_rate,
    }
    today = max(today or supply.as_of, supply.as_of)
    if shipping_mode == "auto":
        sea = plan_sku(supply, shipping_mode="sea", **options)
        if late_arrival(supply, sea.row, today) is None:
            return sea
        air = plan_sku(supply, shipping_mode="air", **options)
        return _choose_mode(supply, sea, air, today)

    lead = supply.total_lead_time(shipping_mode)
    lead_days = max(1, math.ceil(lead))
    review_days = max(0, math.ceil(review_period_days))
    protection = lead_days + review_days
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
    # The plan uses the textbook figure; see the module doc for why not the quantile's.
    safety = formula
    ss = float(safety.units)
    cycle_days = order_cycle_days(
        d, supply.unit_cost, review_period_days, ordering_cost, holding_cost_rate
    )

    projection = policy.projected_stock(
        supply.as_of + timedelta(days=1), supply.on_hand, forecast, supply.arrivals
    )
    # Without demand nothing runs out, whatever the stock.
    stockout = policy.stockout_date(projection) if forecast.sum() > 0 else None
    trigger = _reorder_trigger(
        forecast,
        projection["stock"].to_numpy(dtype=float),
        projection["arrivals"].to_numpy(dtype=float),
        supply.on_hand,
        lead_days,
        review_days,
        cycle_days,
        ss,
    )
    cover = policy.days_of_cover(supply.on_hand, d)
    position = supply.on_hand + float(supply.arrivals["units"].sum())

    order_units, order_date, overdue = 0, None, 0
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
    elif trigger.day is None:
        reason = (
            f"{cover:,.0f} days of cover and {position:,.0f} units on hand and on order last "
            "beyond the year ahead: no order needed."
        )
    else:
        needed = max(0.0, trigger.order_up_to - trigger.position)
        order_units = policy.round_order(needed, supply.case_pack, supply.moq)
        if order_units == 0:
            # The trigger fired, but the order rounds to nothing (a forecast that has decayed
            # to almost 0/day): no order, so neither a case nor the MOQ.
            reason = (
                f"Nothing to order: the order-up-to level is only {needed:.2g} units above the "
                f"stock and open orders, less than one (the forecast is {d:.2g} units/day)."
            )
        else:
            order_date = supply.as_of + timedelta(days=trigger.day)
            overdue = max(0, (today - order_date).days)
            if overdue:
                when = f"(due on {order_date.isoformat()})"
            elif order_date == today:
                when = "now"
            else:
                when = f"on {order_date.isoformat()}"
            # The stockout the order is for: the first one from today on (an earlier one that
            # open orders have ended is history, told as such).
            ahead = projection[projection["date"] >= pd.Timestamp(today)]
            next_out = policy.stockout_date(ahead) if stockout is not None else None
            if stockout is None:
                runs_out = "stock lasts the year without it only if nothing goes wrong"
            elif stockout < today and next_out != today and next_out != stockout:
                runs_out = (
                    f"the stock ran out on {stockout.isoformat()} until open orders landed, "
                    + (
                        f"and runs out again on {next_out.isoformat()} without it"
                        if next_out is not None
                        else "and then lasts the year"
                    )
                )
            elif stockout < today:
                runs_out = (
                    f"the stock ran out on {stockout.isoformat()} (projected from the data up "
                    f"to {supply.as_of.isoformat()})"
                )
            elif stockout < order_date:
                runs_out = (
                    f"stock runs out on {stockout.isoformat()}, before the open orders land "
                    "(no new order arrives sooner)"
                )
            else:
                runs_out = f"stock runs out on {stockout.isoformat()} without it"
            article = "an" if shipping_mode == "air" else "a"
            on_data = f" on {supply.as_of.isoformat()}" if today > supply.as_of else ""
            reason = (
                f"Order {order_units:,} units {when}: {cover:,.0f} days of cover{on_data}, "
                f"{runs_out}, "
                f"and {article} {shipping_mode} order takes {lead:,.0f} days to be sellable."
            )
    if not supply.stock_known:
        reason = (
            "No stock figures for this SKU (import an FBA inventory report or an inventory "
            "table): planned as if nothing were on hand. " + reason
        )
    reason = supply.stock_note + reason
    if overdue:
        reason = f"Overdue by {datadate.days_text(overdue)}: order now. {reason}"
    order_by = policy.order_by_date(stockout, lead, review_period_days) if stockout else None
    freight = supply.freight_cost.get(shipping_mode, 0.0)
    cash = (
        fees.cash_needed(order_units, supply.unit_cost, freight, duty_rate)
        if supply.unit_cost is not None
        else float("nan")
    )
    # Placed today when its date is past (R-T1): arrivals run from then.
    ordered_on = max(order_date or today, today)
    first_arrival = ordered_on + timedelta(days=lead_days)
    deliveries = (
        policy.split_deliveries(order_units, shipments, d, first_arrival, supply.case_pack)
        if order_units > 0
        else pd.DataFrame(columns=["delivery", "arrival", "units", "covers_days"])
    )
    # Air against sea for this order, from the stock and open orders expected on its date.
    shipping = policy.compare_shipping(
        max(order_units, 1),
        d,
        supply.sd_daily_demand,
        max(0.0, trigger.position),
        ordered_on,
        supply.lead_time_days + supply.receiving_days,
        {m: (supply.transit_days[m], supply.freight_cost.get(m, 0.0)) for m in SHIPPING_MODES},
    )
    row = {
        "sku": supply.sku,
        "stage": stage,
        "as_of": supply.as_of,
        "daily_demand": d,
        "sd_daily_demand": supply.sd_daily_demand,
        "on_hand": supply.on_hand,
        "inbound": float(supply.arrivals["units"].sum()),
        "position": position,
        "lead_time_days": lead,
        "safety_stock_units": ss,
        "safety_stock_method": safety.method,
        "safety_stock_forecast_units": quantile.units if quantile is not None else float("nan"),
        "reorder_point_units": trigger.reorder_point,
        "order_up_to_units": trigger.order_up_to,
        "order_units": int(order_units),
        "order_date": order_date,
        "overdue_days": overdue,
        # The supplier must hand the goods over when production (from the day the order is
        # placed) is done.
        "ship_by_date": (
            ordered_on + timedelta(days=math.ceil(supply.lead_time_days)) if order_date else None
        ),
        "order_by_date": order_by,
        "stockout_date": stockout,
        "days_of_cover": cover,
        "shipping_mode": shipping_mode,
        "unit_cost": supply.unit_cost,
        "cash_needed": cash,
        "reason": reason,
    }
    row["reason"] += _late_note(supply, row, today)
    return SkuPlan(
        row,
        safety,
        formula,
        quantile,
        projection,
        deliveries,
        shipping,
        position_at_order=trigger.position,
        review_period_days=review_period_days,
        cycle_days=cycle_days,
        first_arrival=first_arrival,
    )


def plan_options(settings: Settings) -> dict[str, Any]:
    """``plan_sku``'s keywords from the Settings, the one place they are read for a plan (the
    CLI, Today, the Growth and Maturity pages): service level = 1 - the target stockout
    probability (R-L4), review period, deliveries (R-G4), slow-mover cover (R-M3), duty rate,
    ordering cost and holding cost rate (R-M5)."""
    return {
        "service_level": 1 - settings.stockout_probability,
        "review_period_days": settings.review_period_days,
        "shipments": settings.restock_shipments,
        "slow_mover_cover_days": settings.slow_mover_cover_days,
        "duty_rate": settings.duty_rate,
        "ordering_cost": settings.ordering_cost,
        "holding_cost_rate": settings.holding_cost_rate,
    }


def restock_plan(
    ws: Workspace,
    *,
    settings: Settings | None = None,
    service_level: float | None = None,
    skus: Sequence[str] | None = None,
    batch: Any | None = None,
    as_of: date | None = None,
    supplies: dict[str, SkuSupply] | None = None,
    today: date | None = None,
    **plan_kwargs: Any,
) -> pd.DataFrame:
    """The restock plan of every SKU (or ``skus``): one ``plan_sku`` row each, ``PLAN_COLUMNS``,
    most urgent order first. Defaults from the workspace settings: service level = 1 - target
    stockout probability (R-L4), review period, deliveries (R-G4), slow-mover cover (R-M3),
    duty rate. ``supplies`` reuses a ``load_supply`` result. ``today`` (R-T1): the day the plan
    is made (None: each SKU's data date); see ``plan_sku`` for what an order date before it
    does.

    A SKU that cannot be planned gets a row with no order and "Not planned: <why>" as its
    reason (``not_planned_row``), and the other SKUs are planned: its own data is unusable (a
    products or purchase-order row, ``InputError``: the message as written), or its plan
    failed some other way (``sku_problem``: what failed, the traceback in the log)."""
    settings = settings or ws.settings()
    problems: dict[str, str] = {}
    if supplies is None:
        supplies = load_supply(
            ws, batch=batch, settings=settings, skus=skus, as_of=as_of, errors=problems
        )
    elif skus is not None:
        supplies = {s: supplies[s] for s in skus if s in supplies}
    options: dict[str, Any] = {"today": today, **plan_options(settings)}
    if service_level is not None:
        options["service_level"] = service_level
    options.update(plan_kwargs)
    plans, failed = plan_each(supplies, functools.partial(plan_sku, **options))
    problems.update(failed)
    rows = [p.row for p in plans.values()]
    rows += [
        not_planned_row(sku, message, supplies[sku].stage if sku in supplies else None)
        for sku, message in problems.items()
    ]
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
