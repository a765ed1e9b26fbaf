"""Policy replay (R-T4): what a reorder policy would have done on the seller's own history.

Flow: ``load_replay`` reads the workspace once (the slow part: the demand panel, a forecast
and the life-cycle stages at every refit day, the starting stock) into ``ReplayInputs``;
``run_policy`` replays one policy at one setting over the window (cheap: no workspace read);
``replay`` runs the policies (and with ``sweep`` each one's main knob over
``SWEEP_SETTINGS``) and returns a ``ReplayResult`` with the trade-off table, the per-SKU
table and the stock each policy needs at the seller's target fill rate.

The replay, day by day (every choice a documented simplification):

- Reviews: on the window's first day and every review period after it (the settings'
  ``review_period_days``, 7 by default: weekly). At a review on day t a policy sees only
  data up to t: the demand panel as of t (``demand.demand_panel(end=t)``: stockout
  days from inventory evidence and closed days left out, R-T2), the forecast made on the
  last refit day <= t (``forecast.run_batch(as_of=...)``, refitted every ``refit_weeks``
  = 4 weeks and rolled forward in between, as ``restock`` extends a forecast), the
  life-cycle stages classified on that refit day, and the replay's own stock and orders.
- Orders placed on day t are sellable from the morning of day t + L, L = production
  (products' ``lead_time_days``, blank: the middle of the settings' supplier lead time
  range) + sea transit (products' ``sea_days``, blank: the settings' long end) +
  receiving days (settings), rounded up to whole days: ``restock``'s lead time by sea.
  Both policies ship by sea, so both wait the same lead time.
- Demand actually served: the demand panel as of the window's end. A closed day has no
  demand; a stockout day recorded in the seller's inventory history (demand unknown) takes
  the mean demand of the 28 days before it. Demand not served from stock is lost (as on
  Amazon), never backordered.
- Starting stock: the seller's pooled stock on the window's first day where the inventory
  history has a snapshot on or before it, plus purchase orders placed before it that were
  still to arrive (at their ETA + receiving). Otherwise the stated assumption
  ``START_COVER``: the mean daily demand of the 90 days before the window x (L + review
  period), enough to last until the first order either policy places can land. The same
  for every policy.
- Fees (R-F1, ``stockcycle.fees``, fee table figures of the day): monthly storage spread
  over the days of the month by storage class; the aged-inventory surcharge on FIFO units
  181+ days old (stock on hand at the start counts as new); the low-inventory-level fee on
  the units shipped on days when both the 30- and 90-day historical days of supply are
  under the threshold (unless the SKU sold fewer than the exemption's units in 7 days).
  A SKU without ``cubic_feet`` pays no storage or surcharge (warned).

Policies:

- ``stockcycle``: the restock plan itself: ``restock.supply_from`` builds the SKU's supply
  as of the review day and ``restock.plan_sku`` decides (the stage rules, the forecast, the
  safety stock at the service level, the order cycle, case pack and MOQ, the split
  deliveries). An order is placed when the plan's order date is the review day.
- ``days-of-supply``: the rule Helium 10's and Jungle Scout's inventory tools document
  (``days_of_supply_order``).
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from stockcycle import fees, policy, restock
from stockcycle.checks import first_number
from stockcycle.errors import InputError
from stockcycle.settings import Settings
from stockcycle.store import Workspace

Progress = Callable[[float, str], None]

POLICIES = ("stockcycle", "days-of-supply")
#: A diagnostic variant, not replayed by default: the stockcycle plan without the life-cycle
#: classifier's stages (no "decline/exit: no reorder" rule; the seller's own stage overrides
#: still apply), to see what the stage rules cost or save on a history.
NO_STAGES = "stockcycle-no-stages"
POLICY_LABELS = {
    "stockcycle": "stockcycle plan",
    "days-of-supply": "days-of-supply rule",
    NO_STAGES: "stockcycle plan, stage rules off",
}
#: Each policy's main knob and the values a sweep tries (issue 11: service level 0.80-0.99,
#: target days 30-120, six settings each).
SWEEP_SETTINGS: dict[str, tuple[float, ...]] = {
    "stockcycle": (0.80, 0.85, 0.90, 0.95, 0.97, 0.99),
    NO_STAGES: (0.80, 0.85, 0.90, 0.95, 0.97, 0.99),
    "days-of-supply": (30.0, 45.0, 60.0, 90.0, 105.0, 120.0),
}
#: Weeks between two forecast refits (the issue allows at most one refit every 4 weeks).
REFIT_WEEKS = 4
#: Days of history before the window kept for the trailing averages and the fee measures.
PRE_DAYS = 90
#: Days before a stockout day whose mean demand stands in for its unknown demand.
FILL_DAYS = 28
#: The starting stock assumed for a product without an inventory snapshot (module doc).
START_COVER = "mean daily demand of the 90 days before the window x (lead time + review period)"
#: Days after the window's end over which orders still to arrive are tracked (split deliveries
#: land up to a year after the first, ``policy.split_deliveries``).
AFTER_DAYS = 800
#: Below this many units a remainder is float dust, not stock.
EPS = 1e-9

RUN_COLUMNS = [
    "policy",
    "setting",
    "fill_rate",
    "avg_inventory_value",
    "avg_inventory_units",
    "stockout_days",
    "lost_units",
    "lost_margin",
    "peak_cash",
    "orders",
    "storage_fees",
    "aged_surcharges",
    "low_inventory_fees",
    "low_inventory_fee_days",
    "fees",
    "end_stock_units",
    "end_stock_value",
]
SKU_COLUMNS = [
    "sku",
    "policy",
    "setting",
    "demand_units",
    "served_units",
    "fill_rate",
    "stockout_days",
    "lost_units",
    "lost_margin",
    "avg_inventory_units",
    "avg_inventory_value",
    "peak_cash",
    "orders",
    "ordered_units",
    "storage_fees",
    "aged_surcharges",
    "low_inventory_fees",
    "low_inventory_fee_days",
    "fees",
    "start_stock_units",
    "start_stock_source",
    "end_stock_units",
    "lead_time_days",
    "unit_cost",
]


# -- the days-of-supply rule -------------------------------------------------------------------
@dataclass(frozen=True)
class DaysOfSupplyRule:
    """The days-of-supply rule of the tools sellers compare us with (R-T4).

    Defaults from what those tools document: Jungle Scout's Inventory Manager says "reorder
    soon" within 7 days of the lead time and sizes the order as Reorder Days of Supply x
    average daily sales; Helium 10's Inventory Manager orders "reorder frequency" days of the
    sales velocity when the stock falls to the lead time's sales (its example: 90 days).
    Both default to the average of the last 30 days. The seller's values are settings
    (``from_settings``); the class defaults are the same figures.
    """

    buffer_days: float = 7.0
    target_days: float = 90.0
    trailing_days: int = 30

    @classmethod
    def from_settings(cls, settings: Settings) -> DaysOfSupplyRule:
        """The rule with the seller's settings (``dos_*``, R-T4)."""
        return cls(
            float(settings.dos_buffer_days),
            float(settings.dos_target_days),
            int(settings.dos_trailing_days),
        )


def days_of_supply_order(
    position_units: float,
    trailing_daily_units: float,
    lead_time_days: float,
    rule: DaysOfSupplyRule,
    case_pack: float | None = None,
    moq: float | None = None,
) -> int:
    """Units the days-of-supply rule orders at a review (0: none).

    cover = position / a, with position = stock on hand + units on order and a = the trailing
    ``rule.trailing_days``-day average daily demand; order when cover < L + buffer days, then
    order = target days x a, rounded up to the case pack and MOQ (``policy.round_order``).
    No demand (a = 0): no order. Units: units, units/day, days. Source: R-T4 (the rule
    Helium 10 and Jungle Scout use), ``DaysOfSupplyRule`` for the defaults.
    """
    if trailing_daily_units <= 0 or not math.isfinite(trailing_daily_units):
        return 0
    cover = position_units / trailing_daily_units
    if cover >= lead_time_days + rule.buffer_days:
        return 0
    return policy.round_order(rule.target_days * trailing_daily_units, case_pack, moq)


def replay_lead_days(product: dict[str, Any], settings: Settings) -> int:
    """Whole days from ordering to sellable by sea: ceil(production + sea transit + receiving),
    production = products' ``lead_time_days`` (blank: the middle of the settings' supplier
    lead time range), sea transit = products' ``sea_days`` (blank: the settings' long end),
    receiving = the settings' receiving days: the lead time ``restock.load_supply`` builds
    (``SkuSupply.total_lead_time("sea")``), at least one day. Source: R-G2, R-L4, R-L7."""
    production = first_number(
        product.get("lead_time_days"),
        (settings.lead_time_min_days + settings.lead_time_max_days) / 2,
    )
    transit = first_number(product.get("sea_days"), settings.sea_days_max)
    total = policy.total_lead_time(production, [transit], settings.receiving_days)
    return max(1, math.ceil(total))


# -- inputs ---------------------------------------------------------------------------------
@dataclass
class ReplayInputs:
    """Everything a replay reads from the workspace, once (see the module doc).

    Matrices are SKU x day over ``days`` = the ``PRE_DAYS`` days before the window's first
    day, that day (index ``PRE_DAYS``) and the window's days up to ``end``."""

    start: date
    end: date
    skus: list[str]
    days: pd.DatetimeIndex
    actual: np.ndarray  # demand served against (see the module doc)
    start_stock: np.ndarray  # units at the end of the first day
    start_source: list[str]  # "inventory snapshot of <date>" or the assumption
    start_arrivals: list[list[tuple[int, float]]]  # (day index, units) of open POs
    lead_days: np.ndarray  # whole days, by sea
    products: dict[str, dict[str, Any]]
    settings: Settings
    review_days: int
    reviews: list[int]  # day indexes
    refit_of: dict[int, int]  # review index -> its refit day index
    forecasts: dict[int, dict[str, Any]]  # refit day index -> sku -> SkuForecast
    stages: dict[int, dict[str, str]]  # refit day index -> sku -> stage
    seen: dict[int, pd.DataFrame]  # review day index -> demand panel as of that day (tail)
    recent_sd: dict[int, dict[str, float]]  # review day index -> sku -> sd (restock's rule)
    warnings: list[str] = field(default_factory=list)

    @property
    def window_days(self) -> int:
        return len(self.days) - PRE_DAYS - 1

    def unit_cost(self, i: int) -> float:
        value = first_number(self.products.get(self.skus[i], {}).get("unit_cost"))
        return float(value) if value is not None else float("nan")

    def explain(self) -> str:
        """The window, the reviews, the lead times and the assumptions behind a replay."""
        leads = sorted({int(x) for x in self.lead_days})
        lead_text = ", ".join(str(x) for x in leads[:6]) + (" ..." if len(leads) > 6 else "")
        assumed = sum(1 for s in self.start_source if s.startswith("assumed"))
        return "\n".join(
            [
                f"- Window: {self.start.isoformat()} to {self.end.isoformat()} "
                f"({self.window_days} days), {len(self.skus):,} products; a review every "
                f"{self.review_days} days ({len(self.reviews)} reviews), the forecast refitted "
                f"every {REFIT_WEEKS} weeks ({len(self.forecasts)} refits) from the data up to "
                "that day only (R-T4).",
                f"- Lead time by sea, whole days (production + sea transit + receiving; blanks "
                f"take the settings' defaults): {lead_text}.",
                f"- Starting stock: the inventory history where it has a snapshot on or before "
                f"the first day; otherwise ({assumed:,} products) the {START_COVER}.",
                "- Demand served: the recorded demand (closed days none; a recorded stockout "
                f"day the mean of the {FILL_DAYS} days before it); demand without stock is lost.",
            ]
        )


def _window(ws: Workspace, start: date | None, end: date | None, weeks: int) -> tuple[date, date]:
    data_end = ws.data_date()
    if data_end is None:
        raise InputError("the workspace has no sales yet", expected="a sales history to replay")
    end = end or data_end
    start = start or end - timedelta(days=7 * weeks)
    if start >= end:
        raise InputError(
            f"the replay window starts on {start.isoformat()}, not before its end "
            f"{end.isoformat()}",
            column="start",
            expected="a start date before the end date",
        )
    if end > data_end:
        raise InputError(
            f"the replay window ends on {end.isoformat()}, after the data ({data_end.isoformat()})",
            column="end",
            expected=f"an end date on or before {data_end.isoformat()}",
        )
    return start, end


def _matrix(panel: pd.DataFrame, skus: list[str], days: pd.DatetimeIndex, col: str) -> np.ndarray:
    """``panel[col]`` as a SKU x day matrix (NaN where the panel has no row)."""
    wide = panel.pivot_table(index="sku", columns="date", values=col, aggfunc="sum", dropna=False)
    return wide.reindex(index=skus, columns=days).to_numpy(dtype=float)


def _served_demand(panel: pd.DataFrame, skus: list[str], days: pd.DatetimeIndex) -> np.ndarray:
    """The demand the replay serves (module doc): closed days 0, days before a SKU's first
    sale 0, a recorded stockout day the mean known demand of the ``FILL_DAYS`` days before."""
    known = _matrix(panel, skus, days, "demand")
    closed = _matrix(panel, skus, days, "closed")
    known = np.where(closed == 1, 0.0, known)
    frame = pd.DataFrame(known.T)
    fill = frame.rolling(FILL_DAYS, min_periods=1).mean().shift(1).to_numpy().T
    out = np.where(np.isnan(known), fill, known)
    return np.nan_to_num(out, nan=0.0)


def load_replay(
    ws: Workspace,
    *,
    start: date | None = None,
    end: date | None = None,
    weeks: int | None = None,
    skus: Sequence[str] | None = None,
    settings: Settings | None = None,
    refit_weeks: int = REFIT_WEEKS,
    forecasts: bool = True,
    progress: Progress | None = None,
) -> ReplayInputs:
    """Read the workspace once for a replay of ``start``..``end`` (default: the last
    ``weeks`` weeks up to the data date; None: the settings' ``replay_weeks``, 26): the
    demand panels, the forecasts and stages of each refit day (every ``refit_weeks`` weeks;
    ``forecast.run_batch(as_of=...)``, cached in the workspace), the starting stock.
    ``skus`` restricts the products; ``forecasts`` False skips the refits (only the
    days-of-supply rule can then be replayed). See the module doc."""
    from stockcycle.demand import demand_panel
    from stockcycle.forecast import run_batch
    from stockcycle.lifecycle import OVERRIDE_NAME, classify_panel

    settings = settings or ws.settings()
    start, end = _window(ws, start, end, weeks or settings.replay_weeks)
    say = progress or (lambda frac, msg: None)
    say(0.0, "reading the workspace")
    sales = ws.read("sales")
    inventory = ws.read("inventory")
    orders = ws.read("purchase_orders")
    products = ws.product_rows()
    full = demand_panel(sales, inventory, end=end)
    names = sorted(str(s) for s in full["sku"].unique())
    if skus is not None:
        wanted = {str(s) for s in skus}
        names = [s for s in names if s in wanted]
    if not names:
        raise InputError("no product has sales up to the window's end", expected="sales history")
    full = full[full["sku"].astype(str).isin(names)]
    days = pd.date_range(pd.Timestamp(start) - pd.Timedelta(days=PRE_DAYS), pd.Timestamp(end))
    actual = _served_demand(full, names, days)
    review_days = max(1, int(settings.review_period_days))
    n_days = len(days)
    reviews = list(range(PRE_DAYS, n_days - 1, review_days))
    refits = reviews[:: max(1, refit_weeks * 7 // review_days)]
    refit_of = {r: max(f for f in refits if f <= r) for r in reviews}
    lead = np.array([replay_lead_days(products.get(s, {}), settings) for s in names], dtype=int)

    warnings: list[str] = []
    pinned = {s: str(v[OVERRIDE_NAME]) for s, v in ws.overrides(OVERRIDE_NAME).items()}
    fitted: dict[int, dict[str, Any]] = {}
    stages: dict[int, dict[str, str]] = {}
    seen: dict[int, pd.DataFrame] = {}
    recent_sd: dict[int, dict[str, float]] = {}
    steps = len(refits) + 1
    for k, r in enumerate(refits if forecasts else []):
        day = days[r].date()
        base = k / steps

        def sub(frac: float, msg: str, base: float = base, day: date = day) -> None:
            say(base + frac / steps, f"forecast as of {day.isoformat()}: {msg}")

        batch = run_batch(ws, as_of=day, progress=sub)
        fitted[r] = batch.results
        panel_r = demand_panel(sales, inventory, end=day)
        panel_r = panel_r[panel_r["sku"].astype(str).isin(names)]
        auto = classify_panel(panel_r, settings=settings, end=day) if len(panel_r) else None
        found = dict(zip(auto["sku"], auto["stage"], strict=True)) if auto is not None else {}
        stages[r] = {**found, **{s: v for s, v in pinned.items() if s in found}}
    say(len(refits) / steps, "reading the demand each review sees")
    for r in reviews:
        day = days[r].date()
        panel_r = demand_panel(sales, inventory, end=day)
        panel_r = panel_r[panel_r["sku"].astype(str).isin(names)]
        recent_sd[r] = restock.recent_sd(panel_r)
        cut = pd.Timestamp(day) - pd.Timedelta(days=max(PRE_DAYS, 30))
        seen[r] = panel_r[panel_r["date"] > cut]

    # Starting stock: the inventory history, else the stated assumption (module doc).
    start_stock = np.zeros(len(names))
    source: list[str] = []
    stock_at = pd.DataFrame()
    snap = pd.Series(dtype="datetime64[ns]")
    if len(inventory):
        before = inventory[inventory["snapshot_date"] <= pd.Timestamp(start)]
        if len(before):
            latest = before.sort_values("snapshot_date").groupby(["sku", "location"]).tail(1)
            stock_at = policy.pooled_position(latest).set_index("sku")
            snap = latest.groupby("sku")["snapshot_date"].max()
    first_panel = seen[reviews[0]] if reviews else full.iloc[0:0]
    mean90 = first_panel.groupby("sku")["demand"].mean().to_dict() if len(first_panel) else {}
    for i, s in enumerate(names):
        if len(stock_at) and s in stock_at.index:
            start_stock[i] = float(stock_at.loc[s, "on_hand"])
            source.append(f"inventory snapshot of {snap[s].date().isoformat()}")
        else:
            rate = float(mean90.get(s, 0.0) or 0.0)
            start_stock[i] = math.ceil(rate * (lead[i] + review_days) - EPS) if rate > 0 else 0.0
            source.append(f"assumed: {rate:.2f}/day x {lead[i] + review_days} days")
    start_arrivals: list[list[tuple[int, float]]] = [[] for _ in names]
    if len(orders):
        index = {s: i for i, s in enumerate(names)}
        status = orders["status"].astype("string").str.strip().str.lower().fillna("")
        live = orders[
            orders["ordered"].notna()
            & orders["eta"].notna()
            & (orders["ordered"] <= pd.Timestamp(start))
            & (orders["eta"] > pd.Timestamp(start))
            & ~status.isin({"cancelled", "canceled"})
        ]
        for po in live.itertuples(index=False):
            i = index.get(str(po.sku))
            units = first_number(po.units)
            if i is None or not units or units <= 0:
                continue
            at = (po.eta.normalize() - days[0]).days + math.ceil(settings.receiving_days)
            start_arrivals[i].append((int(at), float(units)))
    no_cf = [s for s in names if first_number(products.get(s, {}).get("cubic_feet")) is None]
    if no_cf:
        warnings.append(
            f"{len(no_cf):,} products have no cubic feet in the products table: their storage "
            f"fees and aged-inventory surcharges are not counted (e.g. {', '.join(no_cf[:3])})."
        )
    no_cost = [s for s in names if first_number(products.get(s, {}).get("unit_cost")) is None]
    if no_cost:
        warnings.append(
            f"{len(no_cost):,} products have no unit cost: their stock counts no value and no "
            f"cash (e.g. {', '.join(no_cost[:3])})."
        )
    assumed = sum(1 for x in source if x.startswith("assumed"))
    if assumed:
        warnings.append(
            f"{assumed:,} products have no inventory snapshot on or before "
            f"{start.isoformat()}: their starting stock is assumed ({START_COVER}), the same "
            "for every policy."
        )
    say(1.0, f"{len(names):,} products, {len(reviews)} reviews, {len(refits)} forecast refits")
    return ReplayInputs(
        start=start,
        end=end,
        skus=names,
        days=days,
        actual=actual,
        start_stock=start_stock,
        start_source=source,
        start_arrivals=start_arrivals,
        lead_days=lead,
        products=products,
        settings=settings,
        review_days=review_days,
        reviews=reviews,
        refit_of=refit_of,
        forecasts=fitted,
        stages=stages,
        seen=seen,
        recent_sd=recent_sd,
        warnings=warnings,
    )


# -- deciding ----------------------------------------------------------------------------------
#: A decision: the SKU's (arrival day index, units) of the order placed at this review.
Decision = list[tuple[int, float]]


def _outstanding(arrivals: np.ndarray, day: int, days: pd.DatetimeIndex) -> pd.DataFrame:
    """Orders still to arrive after ``day`` as ``date, units, source`` (``restock`` arrivals)."""
    idx = np.flatnonzero(arrivals[day + 1 :] > EPS) + day + 1
    dates = [(days[0] + pd.Timedelta(days=int(k))).date() for k in idx]
    return pd.DataFrame({"date": dates, "units": arrivals[idx], "source": "replay order"})


def _stockcycle_decider(
    inputs: ReplayInputs, service_level: float, stage_rules: bool = True
) -> Callable[..., Decision]:
    s = inputs.settings
    # The restock plan's own keywords from the settings (``restock.plan_options``), at the
    # replayed service level, by sea (both policies wait the same lead time).
    options = {
        **restock.plan_options(s),
        "service_level": service_level,
        "shipping_mode": "sea",
    }

    def decide(i: int, day: int, stock: float, arrivals: np.ndarray) -> Decision:
        sku = inputs.skus[i]
        refit = inputs.refit_of[day]
        if refit not in inputs.forecasts:
            raise InputError(
                "the replay was read without forecasts",
                expected="load_replay(..., forecasts=True) to replay the stockcycle plan",
            )
        result = inputs.forecasts[refit].get(sku)
        if result is None:
            return []  # no forecast yet (launched after the last refit): no plan, no order
        stage = inputs.stages[refit].get(sku) if stage_rules else None
        if stage in restock.NO_REORDER_STAGES:
            # plan_sku's own stage rule (R-S2), read before building its inputs: it never
            # reorders these, so the replay skips the work.
            return []
        as_of = inputs.days[day].date()
        supply = restock.supply_from(
            sku,
            result,
            as_of=as_of,
            on_hand=max(0.0, stock),
            arrivals=_outstanding(arrivals, day, inputs.days),
            settings=s,
            product=inputs.products.get(sku),
            stage=stage,
            sd_daily_demand=inputs.recent_sd[day].get(sku, 0.0),
        )
        plan = restock.plan_sku(supply, today=as_of, **options)
        if plan.row["order_units"] <= 0 or plan.row["order_date"] != as_of:
            return []
        out = []
        for d in plan.deliveries.itertuples(index=False):
            at = (pd.Timestamp(d.arrival) - inputs.days[0]).days
            out.append((int(at), float(d.units)))
        return out

    return decide


def trailing_average(panel: pd.DataFrame, day: pd.Timestamp, days: int) -> dict[str, float]:
    """Per SKU: mean daily demand of the ``days`` days up to ``day`` in a demand panel as of
    that day (stockout and closed days, NaN there, left out; R-T2). The days-of-supply rule's
    average daily sales (``DaysOfSupplyRule.trailing_days``)."""
    recent = panel[panel["date"] > day - pd.Timedelta(days=days)]
    return {str(k): float(v) for k, v in recent.groupby("sku")["demand"].mean().dropna().items()}


def _dos_decider(inputs: ReplayInputs, rule: DaysOfSupplyRule) -> Callable[..., Decision]:
    averages: dict[int, dict[str, float]] = {}

    def decide(i: int, day: int, stock: float, arrivals: np.ndarray) -> Decision:
        sku = inputs.skus[i]
        if day not in averages:
            averages[day] = trailing_average(inputs.seen[day], inputs.days[day], rule.trailing_days)
        avg = averages[day].get(sku, 0.0)
        prod = inputs.products.get(sku, {})
        position = stock + float(arrivals[day + 1 :].sum())
        units = days_of_supply_order(
            position,
            avg,
            float(inputs.lead_days[i]),
            rule,
            first_number(prod.get("case_pack")),
            first_number(prod.get("moq")),
        )
        return [(day + int(inputs.lead_days[i]), float(units))] if units > 0 else []

    return decide


# -- simulating ---------------------------------------------------------------------------------
@dataclass
class Simulation:
    """Day-by-day lines of one replay (SKU x day over ``ReplayInputs.days``); the days before
    the window's first day hold the starting stock and the recorded demand."""

    stock: np.ndarray  # end of day
    served: np.ndarray
    demand: np.ndarray
    on_order: np.ndarray  # units ordered, not yet arrived, end of day
    arrivals: np.ndarray  # units sellable from the morning of the day
    orders: list[tuple[int, int, int, float]]  # (sku index, placed day, arrival day, units)


def simulate(
    start_stock: np.ndarray,
    demand: np.ndarray,
    first: int,
    reviews: Sequence[int],
    decide: Callable[[int, int, float, np.ndarray], Decision],
    start_arrivals: Sequence[Sequence[tuple[int, float]]] | None = None,
    progress: Progress | None = None,
) -> Simulation:
    """Replay reviews and days: at each review day r (after day r's sales) ``decide(i, r,
    stock, arrivals_row)`` returns the SKU's new orders as (arrival day, units); between two
    reviews every SKU's stock runs through the days at once (numpy, all SKUs together):

        stock_d = max(0, stock_(d-1) + arrivals_d - demand_d)
        served_d = min(demand_d, stock_(d-1) + arrivals_d), lost_d = demand_d - served_d

    vectorised per segment as Lindley's recursion (stock = C - min(0, running min C), C =
    stock + cumsum(arrivals - demand), as ``policy.projected_stock``). Day ``first`` ends
    with ``start_stock``; arrivals beyond the last day stay on order (and count in the
    arrivals row a later review sees). Source: R-T4."""
    n_sku, n_days = demand.shape
    stock = np.zeros((n_sku, n_days))
    stock[:, : first + 1] = start_stock[:, None]
    served = np.zeros((n_sku, n_days))
    # Arrivals are kept beyond the last day (split deliveries come up to a year after the
    # first), so a review near the end still counts an order that lands after the window.
    arrivals = np.zeros((n_sku, n_days + AFTER_DAYS))
    ordered = np.zeros((n_sku, n_days))  # units placed on the day (any arrival date)
    orders: list[tuple[int, int, int, float]] = []

    def place(i: int, placed: int, at: int, units: float) -> None:
        ordered[i, placed] += units
        arrivals[i, min(max(at, placed + 1), arrivals.shape[1] - 1)] += units

    for i, rows in enumerate(start_arrivals or []):
        for at, units in rows:
            place(i, first, at, units)
    bounds = [*reviews, n_days - 1]
    for k, r in enumerate(bounds[:-1]):
        for i in range(n_sku):
            for at, units in decide(i, r, float(stock[i, r]), arrivals[i]):
                if units > EPS:
                    orders.append((i, r, at, units))
                    place(i, r, at, units)
        lo, hi = r + 1, bounds[k + 1] + 1
        net = arrivals[:, lo:hi] - demand[:, lo:hi]
        level = stock[:, r : r + 1] + np.cumsum(net, axis=1)
        seg = level - np.minimum(np.minimum.accumulate(level, axis=1), 0.0)
        before = np.concatenate([stock[:, r : r + 1], seg[:, :-1]], axis=1)
        stock[:, lo:hi] = seg
        served[:, lo:hi] = np.minimum(demand[:, lo:hi], before + arrivals[:, lo:hi])
        if progress:
            progress((k + 1) / (len(bounds) - 1), f"review {k + 1}/{len(bounds) - 1}")
    # Units ordered and not yet sellable at the end of each day (an order landing after the
    # window stays on order to its end).
    on_order = np.cumsum(ordered, axis=1) - np.cumsum(arrivals[:, :n_days], axis=1)
    return Simulation(
        stock, served, demand, np.maximum(on_order, 0.0), arrivals[:, :n_days], orders
    )


# -- fees --------------------------------------------------------------------------------------
def storage_fees(
    stock: np.ndarray, days: pd.DatetimeIndex, cubic_feet: float, size_tier: str | None
) -> float:
    """Monthly storage over a stock line, money: sum over days d of stock_d x
    ``fees.monthly_storage_fee(cubic_feet, tier, month of d)`` / days in that month (the
    monthly fee spread evenly over the month's days, as ``fees.holding_fees``). End-of-day
    units. Source: R-F1, R-D3; rates from the fee table."""
    if cubic_feet <= 0 or len(stock) == 0:
        return 0.0
    rate = {m: fees.monthly_storage_fee(cubic_feet, size_tier, m) for m in sorted(set(days.month))}
    per_day = np.array(
        [rate[d.month] / calendar.monthrange(d.year, d.month)[1] for d in days], dtype=float
    )
    return float(np.dot(stock, per_day))


def fifo_units_older_than(arrived: np.ndarray, served: np.ndarray, age_days: int) -> np.ndarray:
    """Units on hand at the end of each day that arrived at least ``age_days`` days before
    (FIFO: the oldest units sell first): max(0, units arrived up to day d - age - units served
    up to day d). ``arrived`` includes the starting stock on its day. Source: R-K2, R-F1."""
    got = np.cumsum(arrived)
    sold = np.cumsum(served)
    shifted = np.concatenate([np.zeros(age_days), got[: len(got) - age_days]])[: len(got)]
    return np.maximum(shifted - sold, 0.0)


def aged_surcharges(
    arrived: np.ndarray, served: np.ndarray, days: pd.DatetimeIndex, cubic_feet: float
) -> float:
    """Aged-inventory surcharge over a replay, money: on every day with units 181+ days old
    (FIFO, ``fifo_units_older_than``), each cohort's units pay ``fees.aged_surcharge``
    (cubic feet, its age, on that day) / days in the month (the monthly charge spread over
    the month, as ``fees.holding_fees``). Source: R-F1, R-D3, R-K2; tiers from the fee table."""
    if cubic_feet <= 0:
        return 0.0
    first_age = 181
    old = fifo_units_older_than(arrived, served, first_age)
    if not (old > EPS).any():
        return 0.0
    got = np.cumsum(arrived)
    sold = np.cumsum(served)
    cohorts = np.flatnonzero(arrived > EPS)
    total = 0.0
    for d in np.flatnonzero(old > EPS):
        day = days[d].date()
        month_days = calendar.monthrange(day.year, day.month)[1]
        for c in cohorts[cohorts <= d - first_age]:
            before = got[c] - arrived[c]
            left = min(arrived[c], max(0.0, got[c] - max(sold[d], before)))
            if left > EPS:
                total += left * fees.aged_surcharge(cubic_feet, d - c, on=day) / month_days
    return total


def low_inventory_fees(
    stock: np.ndarray, shipped: np.ndarray, first: int, size_tier: str | None
) -> tuple[float, int]:
    """Low-inventory-level fee over a replay (R-F1): (money, fee days).

    On each day d of the window (index > ``first``), Amazon's historical days of supply over
    k = 30 and 90 days = mean units on hand / mean units shipped over the k days up to d
    (inf without shipments). When both are under the threshold (28 days) and the SKU shipped
    at least the exemption's units in the 7 days up to d, the units shipped that day pay
    ``fees.low_inventory_fee_per_unit`` (the band of max(DOS30, DOS90)). The days before the
    window hold the starting stock and the recorded demand. Source: R-F1; the threshold, the
    exemption and the rates from the fee table."""
    cs = np.concatenate([[0.0], np.cumsum(stock)])
    cq = np.concatenate([[0.0], np.cumsum(shipped)])
    n = len(stock)
    idx = np.arange(first + 1, n) + 1

    def dos(k: int) -> np.ndarray:
        lo = np.maximum(idx - k, 0)
        held = cs[idx] - cs[lo]
        sold = cq[idx] - cq[lo]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(sold > EPS, held / np.where(sold > EPS, sold, 1.0), np.inf)

    d30, d90 = dos(30), dos(90)
    sold7 = cq[idx] - cq[np.maximum(idx - 7, 0)]
    threshold = fees.low_inventory_threshold()
    total, fee_days = 0.0, 0
    for j in np.flatnonzero((d30 < threshold) & (d90 < threshold)):
        rate = fees.low_inventory_fee_per_unit(size_tier, d30[j], d90[j], sold7[j])
        if rate > 0:
            fee_days += 1
            total += rate * float(shipped[first + 1 + j])
    return total, fee_days


# -- one run -------------------------------------------------------------------------------
@dataclass
class PolicyRun:
    """One policy at one setting over the window: totals (``RUN_COLUMNS``), one row per SKU
    (``SKU_COLUMNS``), the day lines and the orders."""

    policy: str
    setting: float
    totals: dict[str, Any]
    sku_table: pd.DataFrame
    simulation: Simulation
    orders: pd.DataFrame  # sku, placed, arrival, units

    def sku_line(self, inputs: ReplayInputs, sku: str) -> pd.DataFrame:
        """One SKU's window, day by day from its first day (the starting stock; orders of the
        first review are placed that day, its demand is before the replay and left blank):
        date, demand, served, lost, stock (end of day), on_order, arrivals, ordered (units
        placed that day)."""
        i = inputs.skus.index(sku)
        sim, w = self.simulation, slice(PRE_DAYS, None)
        demand = sim.demand[i, w].copy()
        served = sim.served[i, w].copy()
        demand[0] = served[0] = np.nan
        frame = pd.DataFrame(
            {
                "date": inputs.days[w],
                "demand": demand,
                "served": served,
                "lost": np.nan_to_num(demand - served, nan=0.0),
                "stock": sim.stock[i, w],
                "on_order": sim.on_order[i, w],
                "arrivals": sim.arrivals[i, w],
            }
        )
        placed = self.orders[self.orders["sku"] == sku].groupby("placed")["units"].sum()
        frame["ordered"] = frame["date"].dt.date.map(placed).fillna(0.0)
        return frame


def _setting_label(name: str, setting: float) -> str:
    if name != "days-of-supply":
        return f"{setting:.0%} service level"
    return f"{setting:g} days of supply"


def run_policy(
    inputs: ReplayInputs,
    name: str,
    setting: float | None = None,
    *,
    rule: DaysOfSupplyRule | None = None,
    workers: int = 1,
    progress: Progress | None = None,
) -> PolicyRun:
    """Replay policy ``name`` ("stockcycle": ``setting`` = service level, default 1 - the
    settings' stockout probability; "days-of-supply": ``setting`` = target days, default
    ``rule.target_days``) over the inputs' window and measure it (module doc, R-T4).
    ``workers`` > 1 splits the SKUs over that many forked processes (command line only: a
    forked child of a threaded app is unsafe); the figures do not depend on it."""
    if name not in POLICY_LABELS:
        raise InputError(f"policy '{name}'", column="policy", expected=" or ".join(POLICY_LABELS))
    if name != "days-of-supply":
        level = setting if setting is not None else 1 - inputs.settings.stockout_probability
        if not 0 < level < 1:
            raise InputError(
                f"service level {level:g}", column="service_level", expected="between 0 and 1"
            )
        setting = float(level)
        decide = _stockcycle_decider(inputs, setting, name != NO_STAGES)
    else:
        rule = rule or DaysOfSupplyRule.from_settings(inputs.settings)
        if setting is not None:
            if setting <= 0:
                raise InputError(
                    f"target days {setting:g}", column="target_days", expected="above 0"
                )
            rule = DaysOfSupplyRule(rule.buffer_days, float(setting), rule.trailing_days)
        setting = float(rule.target_days)
        decide = _dos_decider(inputs, rule)
    if workers > 1 and len(inputs.skus) >= 2 * workers:
        sim = _simulate_in_parts(inputs, name, setting, rule, workers, progress)
    else:
        sim = simulate(
            inputs.start_stock,
            inputs.actual,
            PRE_DAYS,
            inputs.reviews,
            decide,
            inputs.start_arrivals,
            progress,
        )
    return _measure(inputs, name, setting, sim)


def _subset(inputs: ReplayInputs, idx: Sequence[int]) -> ReplayInputs:
    """The inputs of the SKUs at ``idx`` only (the per-SKU dictionaries are shared)."""
    from dataclasses import replace

    pick = list(idx)
    return replace(
        inputs,
        skus=[inputs.skus[i] for i in pick],
        actual=inputs.actual[pick],
        start_stock=inputs.start_stock[pick],
        start_source=[inputs.start_source[i] for i in pick],
        start_arrivals=[inputs.start_arrivals[i] for i in pick],
        lead_days=inputs.lead_days[pick],
    )


def _simulate_part(
    idx: list[int], name: str, setting: float, rule: DaysOfSupplyRule | None
) -> Simulation:
    assert _POOL_INPUTS is not None
    part = _subset(_POOL_INPUTS, idx)
    decide = (
        _stockcycle_decider(part, setting, name != NO_STAGES)
        if name in ("stockcycle", NO_STAGES)
        else _dos_decider(part, rule or DaysOfSupplyRule.from_settings(part.settings))
    )
    return simulate(
        part.start_stock, part.actual, PRE_DAYS, part.reviews, decide, part.start_arrivals
    )


def _simulate_in_parts(
    inputs: ReplayInputs,
    name: str,
    setting: float,
    rule: DaysOfSupplyRule | None,
    workers: int,
    progress: Progress | None,
) -> Simulation:
    """``simulate`` with the SKUs split over ``workers`` forked processes (each SKU's replay
    depends on its own data only), the parts put back in SKU order."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    global _POOL_INPUTS
    # Interleaved parts: neighbouring SKUs in name order are often alike in size.
    parts = [list(range(k, len(inputs.skus), workers)) for k in range(workers)]
    _POOL_INPUTS = inputs
    try:
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            futures = [pool.submit(_simulate_part, part, name, setting, rule) for part in parts]
            sims = []
            for m, f in enumerate(futures):
                sims.append(f.result())
                if progress:
                    progress((m + 1) / len(parts), f"part {m + 1}/{len(parts)} of the products")
    finally:
        _POOL_INPUTS = None
    order = np.argsort(np.concatenate(parts))
    orders = [
        (part[i], r, at, u)
        for part, sim in zip(parts, sims, strict=True)
        for i, r, at, u in sim.orders
    ]
    return Simulation(
        *(
            np.vstack([getattr(x, f) for x in sims])[order]
            for f in ("stock", "served", "demand", "on_order", "arrivals")
        ),
        orders=sorted(orders, key=lambda o: (o[1], o[0])),
    )


def _measure(inputs: ReplayInputs, name: str, setting: float, sim: Simulation) -> PolicyRun:
    """The figures of a run (R-T4): per SKU and for the portfolio."""
    w = slice(PRE_DAYS + 1, None)
    days = inputs.days[w]
    rows = []
    cost = np.array([inputs.unit_cost(i) for i in range(len(inputs.skus))])
    cost0 = np.nan_to_num(cost, nan=0.0)
    stock_w, served_w, demand_w = sim.stock[:, w], sim.served[:, w], sim.demand[:, w]
    lost_w = np.maximum(demand_w - served_w, 0.0)
    arrived_w = sim.arrivals[:, w]
    available = sim.stock[:, PRE_DAYS:-1] + arrived_w
    out_days = (lost_w > EPS) | (available <= EPS)
    counts = np.zeros(len(inputs.skus), dtype=int)
    units_ordered = np.zeros(len(inputs.skus))
    # One order per SKU and review day, whatever the deliveries it is split into (R-G4).
    for i, _ in {(i, r) for i, r, _, _ in sim.orders}:
        counts[i] += 1
    for i, _, _, units in sim.orders:
        units_ordered[i] += units
    for i, sku in enumerate(inputs.skus):
        prod = inputs.products.get(sku, {})
        cf = first_number(prod.get("cubic_feet")) or 0.0
        tier = prod.get("size_tier")
        price = first_number(prod.get("price"))
        freight = first_number(prod.get("sea_cost"), prod.get("freight_cost"), 0.0)
        margin = price - cost[i] - freight if price is not None and np.isfinite(cost[i]) else None
        arrived = sim.arrivals[i, PRE_DAYS:].copy()
        arrived[0] += inputs.start_stock[i]
        served_from_start = np.concatenate([[0.0], served_w[i]])
        storage = storage_fees(stock_w[i], days, cf, tier)
        aged = aged_surcharges(arrived, served_from_start, inputs.days[PRE_DAYS:], cf)
        # Before the window: the starting stock on hand, the recorded demand shipped.
        hist_stock = np.concatenate([np.full(PRE_DAYS + 1, inputs.start_stock[i]), stock_w[i]])
        hist_ship = np.concatenate([inputs.actual[i, : PRE_DAYS + 1], served_w[i]])
        low, low_days = low_inventory_fees(hist_stock, hist_ship, PRE_DAYS, tier)
        demand_units = float(demand_w[i].sum())
        served_units = float(served_w[i].sum())
        lost = float(lost_w[i].sum())
        rows.append(
            {
                "sku": sku,
                "policy": name,
                "setting": setting,
                "demand_units": demand_units,
                "served_units": served_units,
                "fill_rate": served_units / demand_units if demand_units > 0 else float("nan"),
                "stockout_days": int(out_days[i].sum()),
                "lost_units": lost,
                "lost_margin": lost * margin if margin is not None else float("nan"),
                "avg_inventory_units": float(stock_w[i].mean()),
                "avg_inventory_value": float(stock_w[i].mean() * cost0[i]),
                "peak_cash": float(((stock_w[i] + sim.on_order[i, w]) * cost0[i]).max()),
                "orders": int(counts[i]),
                "ordered_units": float(units_ordered[i]),
                "storage_fees": storage,
                "aged_surcharges": aged,
                "low_inventory_fees": low,
                "low_inventory_fee_days": low_days,
                "fees": storage + aged + low,
                "start_stock_units": float(inputs.start_stock[i]),
                "start_stock_source": inputs.start_source[i],
                "end_stock_units": float(stock_w[i, -1]),
                "lead_time_days": int(inputs.lead_days[i]),
                "unit_cost": float(cost[i]),
            }
        )
    table = pd.DataFrame(rows, columns=SKU_COLUMNS)
    demand_total = float(table["demand_units"].sum())
    value_line = (stock_w * cost0[:, None]).sum(axis=0)
    cash_line = ((stock_w + sim.on_order[:, w]) * cost0[:, None]).sum(axis=0)
    totals = {
        "policy": name,
        "setting": setting,
        "setting_label": _setting_label(name, setting),
        "fill_rate": float(table["served_units"].sum()) / demand_total
        if demand_total > 0
        else float("nan"),
        "avg_inventory_value": float(value_line.mean()),
        "avg_inventory_units": float(stock_w.sum(axis=0).mean()),
        "stockout_days": int(table["stockout_days"].sum()),
        "lost_units": float(table["lost_units"].sum()),
        "lost_margin": float(table["lost_margin"].sum(min_count=1)),
        "peak_cash": float(cash_line.max()),
        "orders": int(table["orders"].sum()),
        "storage_fees": float(table["storage_fees"].sum()),
        "aged_surcharges": float(table["aged_surcharges"].sum()),
        "low_inventory_fees": float(table["low_inventory_fees"].sum()),
        "low_inventory_fee_days": int(table["low_inventory_fee_days"].sum()),
        "fees": float(table["fees"].sum()),
        "end_stock_units": float(stock_w[:, -1].sum()),
        "end_stock_value": float((stock_w[:, -1] * cost0).sum()),
    }
    orders = pd.DataFrame(
        [
            {
                "sku": inputs.skus[i],
                "placed": inputs.days[r].date(),
                "arrival": (inputs.days[0] + pd.Timedelta(days=at)).date(),
                "units": units,
            }
            for i, r, at, units in sim.orders
        ],
        columns=["sku", "placed", "arrival", "units"],
    )
    return PolicyRun(name, setting, totals, table, sim, orders)


# -- the comparison --------------------------------------------------------------------------
@dataclass
class ReplayResult:
    """Every run of a replay (one per policy and setting), the main run of each policy (its
    default setting), the inputs' warnings."""

    inputs: ReplayInputs
    runs: list[PolicyRun]
    main: dict[str, PolicyRun]
    target_fill_rate: float

    def runs_table(self) -> pd.DataFrame:
        """One row per run: ``RUN_COLUMNS`` plus ``setting_label``."""
        return pd.DataFrame([r.totals for r in self.runs]).reindex(
            columns=[*RUN_COLUMNS[:2], "setting_label", *RUN_COLUMNS[2:]]
        )

    def sku_table(self) -> pd.DataFrame:
        """The per-SKU rows of each policy's main run."""
        frames = [r.sku_table for r in self.main.values()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=SKU_COLUMNS)

    def stock_at_target(self) -> dict[str, float | None]:
        """Per policy: the average inventory value it needs for the target fill rate
        (``value_at_fill``), None when no setting of the sweep reaches it."""
        table = self.runs_table()
        return {
            p: value_at_fill(table[table["policy"] == p], self.target_fill_rate)
            for p in table["policy"].unique()
        }

    def fill_at_value(self, policy_name: str, value: float) -> float | None:
        """The fill rate ``policy_name`` serves at an average inventory value of ``value``
        (``interpolate`` on its sweep), None outside the swept range."""
        rows = self.runs_table()
        rows = rows[rows["policy"] == policy_name]
        return interpolate(rows["avg_inventory_value"], rows["fill_rate"], value)

    def to_json(self) -> dict[str, Any]:
        """``{"window", "runs": [...], "skus": [...], "stock_at_target", "warnings"}``."""
        inputs = self.inputs
        return {
            "window": {
                "start": inputs.start.isoformat(),
                "end": inputs.end.isoformat(),
                "days": inputs.window_days,
                "reviews": len(inputs.reviews),
                "refits": len(inputs.forecasts),
                "skus": len(inputs.skus),
            },
            "target_fill_rate": self.target_fill_rate,
            "runs": [_clean(r.totals) for r in self.runs],
            "skus": [_clean(r) for r in self.sku_table().to_dict("records")],
            "stock_at_target": self.stock_at_target(),
            "warnings": list(inputs.warnings),
        }


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in row.items():
        if isinstance(v, np.integer):
            v = int(v)
        elif isinstance(v, np.floating | float):
            v = float(v) if math.isfinite(v) else None
        out[k] = v
    return out


def interpolate(xs: Sequence[float], ys: Sequence[float], x: float) -> float | None:
    """y at ``x`` on the polyline through the points (x, y) sorted by x: linear between the
    two points around it; None outside [min x, max x] or without points."""
    pts = sorted(
        (float(a), float(b))
        for a, b in zip(xs, ys, strict=True)
        if np.isfinite(a) and np.isfinite(b)
    )
    if not pts or x < pts[0][0] or x > pts[-1][0]:
        return None
    for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return pts[-1][1]


def value_at_fill(rows: pd.DataFrame, target: float) -> float | None:
    """Average inventory value needed for fill rate ``target`` on one policy's sweep:
    ``interpolate`` value against fill rate (the lowest value when several points reach it
    exactly); None when the sweep never reaches the target."""
    return interpolate(rows["fill_rate"], rows["avg_inventory_value"], target)


def replay(
    ws: Workspace | None = None,
    *,
    inputs: ReplayInputs | None = None,
    policies: Sequence[str] = POLICIES,
    sweep: bool = False,
    service_level: float | None = None,
    target_days: float | None = None,
    rule: DaysOfSupplyRule | None = None,
    target_fill_rate: float | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    **load: Any,
) -> ReplayResult:
    """Replay ``policies`` on the workspace's history (``load_replay(ws, **load)`` unless
    ``inputs`` is given): each at its main setting (``service_level`` / ``target_days``,
    defaults from the settings and ``DaysOfSupplyRule``), and with ``sweep`` at every value
    of ``SWEEP_SETTINGS`` too. ``target_fill_rate``: the seller's target, for
    ``stock_at_target`` (None: the settings' ``replay_target_fill_rate``, 95%).
    ``workers`` > 1 runs the policies and settings in that many forked processes (each run
    is independent; for the command line: a forked child of a threaded app is unsafe)."""
    for p in policies:
        if p not in POLICY_LABELS:
            raise InputError(f"policy '{p}'", column="policy", expected=" or ".join(POLICY_LABELS))
    say = progress or (lambda frac, msg: None)
    if inputs is None:
        if ws is None:
            raise InputError("no workspace to replay", expected="a workspace")
        share = 0.6

        def loading(frac: float, msg: str) -> None:
            say(frac * share, msg)

        load.setdefault("forecasts", any(p != "days-of-supply" for p in policies))
        inputs = load_replay(ws, progress=loading, **load)
    else:
        share = 0.0
    main_setting = {"stockcycle": service_level, NO_STAGES: service_level}
    main_setting["days-of-supply"] = target_days
    jobs: list[tuple[str, float | None]] = [(p, main_setting[p]) for p in policies]
    if sweep:
        for p in policies:
            jobs += [(p, v) for v in SWEEP_SETTINGS[p]]
    # One run per policy and distinct setting: the main setting is often one of the sweep's.
    default_rule = rule or DaysOfSupplyRule.from_settings(inputs.settings)
    keyed: list[tuple[tuple[str, float], str, float | None]] = []
    for p, value in jobs:
        if value is None:
            value_key = (
                1 - inputs.settings.stockout_probability
                if p != "days-of-supply"
                else default_rule.target_days
            )
        else:
            value_key = value
        keyed.append(((p, round(float(value_key), 6)), p, value))
    unique = list(dict.fromkeys(k for k, _, _ in keyed))
    first = {k: (p, v) for k, p, v in reversed(keyed)}
    done = _run_all(inputs, [(k, *first[k]) for k in unique], rule, workers, share, say)
    runs = [done[k] for k in unique]
    main: dict[str, PolicyRun] = {}
    for k, p, _ in keyed:
        main.setdefault(p, done[k])
    say(1.0, f"{len(runs)} runs done")
    target = (
        target_fill_rate
        if target_fill_rate is not None
        else inputs.settings.replay_target_fill_rate
    )
    return ReplayResult(inputs, runs, main, float(target))


#: The inputs the forked workers of ``_run_all`` read (set before the pool forks, so the
#: forecasts and panels are shared, not pickled).
_POOL_INPUTS: ReplayInputs | None = None


def _pool_run(p: str, value: float | None, rule: DaysOfSupplyRule | None) -> PolicyRun:
    assert _POOL_INPUTS is not None
    return run_policy(_POOL_INPUTS, p, value, rule=rule)


def _run_all(
    inputs: ReplayInputs,
    jobs: list[tuple[tuple[str, float], str, float | None]],
    rule: DaysOfSupplyRule | None,
    workers: int,
    share: float,
    say: Progress,
) -> dict[tuple[str, float], PolicyRun]:
    """``run_policy`` for every (key, policy, setting): in this process, or with ``workers``
    > 1 in a pool of forked processes."""
    done: dict[tuple[str, float], PolicyRun] = {}
    n = len(jobs)
    if workers <= 1 or n < 2 * workers:
        # Few runs: each run's SKUs are split over the workers instead.
        for k, (key, p, value) in enumerate(jobs):

            def step(frac: float, msg: str, k: int = k, p: str = p) -> None:
                say(share + (1 - share) * (k + frac) / n, f"{POLICY_LABELS[p]}: {msg}")

            done[key] = run_policy(inputs, p, value, rule=rule, workers=workers, progress=step)
        return done
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from multiprocessing import get_context

    global _POOL_INPUTS
    _POOL_INPUTS = inputs
    try:
        with ProcessPoolExecutor(min(workers, n), mp_context=get_context("fork")) as pool:
            futures = {pool.submit(_pool_run, p, value, rule): key for key, p, value in jobs}
            for m, future in enumerate(as_completed(futures)):
                done[futures[future]] = future.result()
                say(share + (1 - share) * (m + 1) / n, f"{m + 1}/{n} runs done")
    finally:
        _POOL_INPUTS = None
    return done
