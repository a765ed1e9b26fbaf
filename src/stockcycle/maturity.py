"""Maturity tuning: lean thresholds, ABC and EOQ, the FBA fee corridor and capacity (R-M1..R-M6,
R-K1, R-K5, R-F1, R-F2).

A mature SKU sells steadily; the money is in turnover and cost. This service answers, for every
maturity SKU, how low its stock may run (base and event thresholds), how much one order should
be (A tight, B at EOQ, C under a cash cap), whether its stock sits inside Amazon's fee corridor
(above the low-inventory-level line, below the storage utilization and aged-inventory lines),
and what to order when the month's FBA capacity limit does not take everything.

Flow (DESIGN "one service per workflow"):

- ``load_maturity(ws, as_of, today)`` reads the workspace once into ``MaturityInputs``: the
  supply of every maturity SKU (``restock.load_supply``: stock, open orders, forecast, lead
  time), the health table (``health.health_report``: turnover, 30/90-day days of supply, ABC
  classes by revenue, aging), the stages (``lifecycle.stage_table``), the calendar events and
  promotions ahead (``peers.event_days``), the last 7 days' units and the account's shipped
  volume (the storage utilization ratio).
- ``thresholds``, ``abc_eoq``, ``plan_maturity`` are cheap pure functions of the seller's
  ``MaturityChoices`` (the sliders), so a page reruns in well under 2 seconds.

The quantities come from the restock arithmetic the Growth page and ``stockcycle plan`` use
(``restock.plan_sku``: (R, s, S) on the forecast, stage rules, slow movers, overdue dates from
today); this module only changes its inputs (the event buffer raises the forecast on the days
it covers; class A orders one review period at a time) and applies three rules on top, in this
order: the C-class cash cap (R-M5), the fee corridor (R-F1), the capacity limit (R-F2).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from stockcycle import datadate, fees, kpi, policy, restock
from stockcycle.checks import optional_number
from stockcycle.errors import InputError
from stockcycle.settings import Settings
from stockcycle.store import Workspace

#: Days ahead over which the fee corridor and the capacity are checked (one quarter).
CORRIDOR_HORIZON_DAYS = 90
#: Days of a month of waiting (the capacity limit is monthly, R-F2).
WAIT_DAYS = 30
#: Where a delivery that does not fit this month's capacity waits (R-F2).
WAIT_LOCATIONS = ("supplier", "AWD", "3PL")
#: Amazon measures the storage utilization ratio over the last 13 weeks of shipments.
UTILIZATION_WINDOW_DAYS = 91
#: Days of sales behind the low-inventory-level fee's exemption (fewer than N units in 7 days).
EXEMPTION_WINDOW_DAYS = 7
#: The days before the data date whose units give the stock-to-sales ratio (one month).
SALES_WINDOW_DAYS = 30
#: Corridor positions, in the seller's words.
BELOW, INSIDE, ABOVE, AGED = (
    "below 28 days",
    "inside",
    "above 22 weeks",
    "aged stock ahead",
)
#: A SKU with no stock at Amazon: the corridor (Amazon's fees) does not apply to it.
NOT_AT_AMAZON = "not stocked at Amazon"

PLAN_COLUMNS = [
    "sku",
    "abc_class",
    "order_units",
    "restock_units",
    "cap_units",
    "corridor_units",
    "arriving_units",
    "waiting_units",
    "wait_location",
    "wait_cost",
    "order_date",
    "overdue_days",
    "first_arrival",
    "deliveries",
    "shipping_mode",
    "lead_time_days",
    "unit_cost",
    "cash_needed",
    "as_of",
    "reason",
]


# -- inputs --------------------------------------------------------------------------------------
@dataclass
class MaturityInputs:
    """Everything the maturity page needs, read from the workspace once (``load_maturity``)."""

    as_of: date  # the data date the stock is projected from (R-T1)
    today: date  # the day the plan is made on
    settings: Settings
    supplies: dict[str, restock.SkuSupply]  # maturity SKUs (and any asked for) with a forecast
    problems: dict[str, str]  # SKUs that could not be read, with why
    stages: pd.DataFrame
    health: pd.DataFrame  # health_report's table, indexed by SKU (every SKU of the workspace)
    health_period: tuple[date, date]
    products: dict[str, dict[str, Any]]
    event_days: dict[str, pd.DataFrame]  # per SKU: date, event (calendar + its promotions)
    sold_7_days: dict[str, float]
    sold_30_days: dict[str, float]
    sold_90_days: dict[str, float]
    fba_cubic_feet: dict[str, float]  # per storage class: the account's stock at FBA now
    shipped_cubic_feet_per_day: float  # the account's, over the last 13 weeks
    fee_table: fees.FeeTable
    warnings: list[str] = field(default_factory=list)

    @property
    def skus(self) -> list[str]:
        return list(self.supplies)

    def cubic_feet(self, sku: str) -> float | None:
        """Cubic feet per unit from the products table (None: blank)."""
        return optional_number(self.products.get(sku, {}).get("cubic_feet"))

    def storage_class(self, sku: str) -> str:
        """standard / oversize from ``products.size_tier`` (blank or unknown: standard)."""
        try:
            return fees.storage_tier(self.products.get(sku, {}).get("size_tier"))
        except InputError:
            return "standard"

    def size_tier(self, sku: str) -> str | None:
        tier = self.products.get(sku, {}).get("size_tier")
        return None if tier is None or pd.isna(tier) else str(tier)

    def title(self, sku: str) -> str:
        title = self.products.get(sku, {}).get("title")
        return "" if title is None or pd.isna(title) else str(title)


def maturity_skus(stages: pd.DataFrame) -> list[str]:
    """The SKUs in the maturity stage (the seller's overrides included), in table order."""
    if stages.empty:
        return []
    return stages.loc[stages["stage"] == "maturity", "sku"].astype(str).tolist()


def load_maturity(
    ws: Workspace,
    as_of: date | None = None,
    today: date | None = None,
    *,
    skus: Sequence[str] | None = None,
    extra_skus: Sequence[str] = (),
    batch: Any | None = None,
    settings: Settings | None = None,
    stages: pd.DataFrame | None = None,
) -> MaturityInputs:
    """Read the workspace once for the maturity page and the ``maturity`` verb.

    SKUs: ``skus`` when given, else every maturity SKU plus ``extra_skus``. ``as_of``: the data
    date (None: the day before the forecast starts, as ``restock.load_supply``); ``today``: the
    day the plan is made on (None: ``datadate.today()``, R-T1). The forecast batch is run when
    ``batch`` is None (cached in the workspace).
    """
    from stockcycle import health
    from stockcycle.lifecycle import stage_table
    from stockcycle.peers import event_days

    settings = settings or ws.settings()
    if stages is None:
        stages = stage_table(ws, settings=settings)
    wanted = list(skus) if skus is not None else maturity_skus(stages)
    wanted += [s for s in extra_skus if s not in wanted]
    problems: dict[str, str] = {}
    supplies = (
        restock.load_supply(
            ws,
            batch=batch,
            settings=settings,
            skus=wanted,
            as_of=as_of,
            stages=stages,
            errors=problems,
        )
        if wanted
        else {}
    )
    warnings: list[str] = []
    missing = [s for s in wanted if s not in supplies and s not in problems]
    if missing:
        warnings.append(
            f"No forecast for {', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''} "
            "(no sales yet): not planned here."
        )
    day = max((s.as_of for s in supplies.values()), default=as_of or health.data_end(ws))
    plan_day = max(today or datadate.today(), day)
    report = health.health_report(ws, as_of=day, settings=settings)
    table = report.table.set_index("sku")
    products = ws.product_rows()

    sales = ws.read("sales")
    end = pd.Timestamp(day)
    recent = sales[(sales["date"] <= end) & (sales["date"] > end - pd.Timedelta(days=91))]

    def units_in(days: int) -> dict[str, float]:
        part = recent[recent["date"] > end - pd.Timedelta(days=days)]
        return {str(k): float(v) for k, v in part.groupby("sku")["units"].sum().items()}

    sold_7, sold_30, sold_91 = units_in(EXEMPTION_WINDOW_DAYS), units_in(30), units_in(91)

    def cf_of(sku: str) -> float:
        return optional_number(products.get(sku, {}).get("cubic_feet")) or 0.0

    fba_cf = {c: 0.0 for c in fees.STORAGE_CLASSES}
    blank_cf = []
    for sku, row in table.iterrows():
        units = float(row.get("fba_available_units", 0.0) or 0.0)
        if units <= 0:
            continue
        if optional_number(products.get(sku, {}).get("cubic_feet")) is None:
            blank_cf.append(str(sku))
        try:
            cls = fees.storage_tier(products.get(sku, {}).get("size_tier"))
        except InputError:
            cls = "standard"
        fba_cf[cls] += units * cf_of(str(sku))
    if blank_cf:
        warnings.append(
            f"{len(blank_cf)} SKUs with stock at Amazon have no cubic feet in the products table "
            f"({', '.join(blank_cf[:5])}{' ...' if len(blank_cf) > 5 else ''}): their volume "
            "counts 0 in the storage utilization ratio and the capacity."
        )
    shipped_cf = sum(units * cf_of(sku) for sku, units in sold_91.items()) / UTILIZATION_WINDOW_DAYS
    mature = list(supplies)
    if mature and all(s.unit_cost is None for s in supplies.values()):
        warnings.append(
            "No unit costs in the products table: cash in stock, the C-class cash cap, EOQ and "
            "the margin at risk cannot be counted (import a products table with unit_cost)."
        )
    if mature and table["low_inventory_fee"].reindex(mature).isna().all():
        warnings.append(
            "None of these products has stock at Amazon in the inventory reports: Amazon's fee "
            "corridor and capacity do not apply (import an FBA inventory report)."
        )

    start = day + timedelta(days=1)
    calendar = event_days(start, restock.PLAN_HORIZON_DAYS)[["date", "event"]]
    own = _promotion_days(ws.read("promotions"), list(supplies), start, restock.PLAN_HORIZON_DAYS)
    events: dict[str, pd.DataFrame] = {}
    for sku in supplies:
        if sku in own:
            both = pd.concat([calendar, own[sku]], ignore_index=True)
            events[sku] = both.drop_duplicates("date").sort_values("date").reset_index(drop=True)
        else:
            events[sku] = calendar
    return MaturityInputs(
        as_of=day,
        today=plan_day,
        settings=settings,
        supplies=supplies,
        problems=problems,
        stages=stages,
        health=table,
        health_period=(report.inputs["period_start"], report.inputs["period_end"]),
        products=products,
        event_days=events,
        sold_7_days=sold_7,
        sold_30_days=sold_30,
        sold_90_days=sold_91,
        fba_cubic_feet=fba_cf,
        shipped_cubic_feet_per_day=shipped_cf,
        fee_table=fees.load_fee_table(),
        warnings=warnings,
    )


def _promotion_days(
    promotions: pd.DataFrame, skus: Sequence[str], start: date, days: int
) -> dict[str, pd.DataFrame]:
    """Per SKU: the days of its promotions in ``[start, start + days)`` (``date, event``: the
    promotion's name), read from the promotions table in one pass (R-M2: the seller's
    promotions raise the buffer like Amazon's events)."""
    if promotions.empty:
        return {}
    first = pd.Timestamp(start)
    last = first + pd.Timedelta(days=days - 1)
    promo = promotions[promotions["sku"].astype(str).isin(set(skus))]
    begin = pd.to_datetime(promo["start"], errors="coerce")
    end = pd.to_datetime(promo["end"], errors="coerce").fillna(begin)
    keep = begin.notna() & (end >= first) & (begin <= last)
    out: dict[str, list[tuple[pd.Timestamp, str]]] = {}
    for sku, b, e, name in zip(
        promo["sku"][keep].astype(str), begin[keep], end[keep], promo["name"][keep], strict=True
    ):
        label = "promotion" if name is None or pd.isna(name) else str(name)
        for d in pd.date_range(max(b, first), min(e, last), freq="D"):
            out.setdefault(sku, []).append((d, label))
    return {
        sku: pd.DataFrame(rows, columns=["date", "event"]).drop_duplicates("date")
        for sku, rows in out.items()
    }


# -- the seller's choices -----------------------------------------------------------------------
@dataclass(frozen=True)
class MaturityChoices:
    """The sliders of the maturity page; defaults from the workspace settings
    (``from_settings``). Capacity limits and waiting rates are per storage class / location."""

    service_level: float = 0.95  # 1 - target stockout probability (R-M1, R-L4)
    review_period_days: int = 7
    event_buffer: float = 0.30  # R-M2
    event_days_before: int = 7  # R-M2
    slow_mover_cover_days: int = 90  # R-M3
    volatility_limit: float = 0.20  # R-K5
    shipments: int = 3
    ordering_cost: float = 150.0  # R-M5
    holding_cost_rate: float = 0.25  # R-M5
    c_cap_share: float = 0.05  # R-M5
    duty_rate: float = 0.0
    corridor: bool = True  # R-F1: keep the plan inside the fee corridor where it can
    capacity_standard_cuft: float = 0.0  # R-F2: 0 = no limit entered
    capacity_oversize_cuft: float = 0.0
    wait_rate_awd: float = 0.0  # money per cubic foot per month
    wait_rate_3pl: float = 0.0
    wait_rate_supplier: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings, **changes: Any) -> MaturityChoices:
        s = settings
        plan = restock.plan_options(s)  # the restock plan's defaults, read in one place
        base = cls(
            service_level=float(plan["service_level"]),
            review_period_days=int(plan["review_period_days"]),
            event_buffer=float(s.event_buffer),
            event_days_before=int(s.event_buffer_days_before),
            slow_mover_cover_days=int(plan["slow_mover_cover_days"]),
            volatility_limit=float(s.volatility_replan),
            shipments=int(plan["shipments"]),
            ordering_cost=float(plan["ordering_cost"]),
            holding_cost_rate=float(plan["holding_cost_rate"]),
            c_cap_share=float(s.c_class_cash_cap),
            duty_rate=float(plan["duty_rate"]),
            capacity_standard_cuft=float(s.fba_capacity_cubic_feet),
            capacity_oversize_cuft=float(s.fba_capacity_oversize_cubic_feet),
            wait_rate_awd=float(s.awd_cost_per_cubic_foot_month),
            wait_rate_3pl=float(s.threepl_cost_per_cubic_foot_month),
            wait_rate_supplier=float(s.supplier_wait_cost_per_cubic_foot_month),
        )
        return replace(base, **changes)

    def key(self) -> str:
        """A stable text of every choice (cache key)."""
        return json.dumps(asdict(self), sort_keys=True)

    @property
    def capacity(self) -> dict[str, float]:
        return {"standard": self.capacity_standard_cuft, "oversize": self.capacity_oversize_cuft}

    @property
    def wait_rates(self) -> dict[str, float]:
        return {
            "supplier": self.wait_rate_supplier,
            "AWD": self.wait_rate_awd,
            "3PL": self.wait_rate_3pl,
        }


# -- step 2: thresholds (R-M1..R-M3, R-K5) ------------------------------------------------------
def event_buffer_mask(
    days: pd.DatetimeIndex, event_dates: pd.Series | Sequence[Any], days_before: int
) -> np.ndarray:
    """True on the days the event buffer covers: from ``days_before`` days before each event
    day to the event day itself (R-M2: +30% from 7 days before)."""
    n = len(days)
    if n == 0 or len(event_dates) == 0:
        return np.zeros(n, dtype=bool)
    start = days[0]
    offsets = (pd.to_datetime(pd.Series(event_dates)) - start).dt.days.to_numpy()
    marks = np.zeros(n + 1, dtype=int)
    before = max(0, int(days_before))
    for off in offsets:
        lo, hi = max(0, off - before), min(n - 1, off)
        if hi < 0 or lo > n - 1:
            continue
        marks[lo] += 1
        marks[hi + 1] -= 1
    return np.cumsum(marks)[:n] > 0


def buffered_supply(
    inputs: MaturityInputs, sku: str, choices: MaturityChoices
) -> restock.SkuSupply:
    """The SKU's supply with the forecast raised by the event buffer on the days it covers:
    demand x (1 + buffer) from ``event_days_before`` days before each calendar event and
    promotion of the SKU to its last day (R-M2). The restock arithmetic then holds the buffer
    as stock before the event, as if it would sell."""
    supply = inputs.supplies[sku]
    if choices.event_buffer <= 0:
        return supply
    forecast = supply.daily_forecast
    mask = event_buffer_mask(
        pd.DatetimeIndex(forecast.index),
        inputs.event_days.get(sku, pd.DataFrame({"date": []}))["date"],
        choices.event_days_before,
    )
    if not mask.any():
        return supply
    raised = forecast * np.where(mask, 1.0 + choices.event_buffer, 1.0)
    return replace(supply, daily_forecast=raised)


@dataclass
class Thresholds:
    """Base and event thresholds of every SKU (``table``) and how they were computed."""

    table: pd.DataFrame
    choices: MaturityChoices
    warnings: list[str] = field(default_factory=list)

    def explain(self, sku: str | None = None) -> str:
        c = self.choices
        text = (
            "**Base threshold** (R-M1) = daily sales d x replenishment cycle (total lead time L + "
            "review period R, whole days) + safety stock at the stockout target, "
            f"SS = z sqrt((L+R) sd_d^2 + d^2 sd_L^2) with z for a {c.service_level:.1%} service "
            f"level ({1 - c.service_level:.1%} stockout risk). d = forecast over the sea lead "
            "time; sd_d = spread of in-stock daily sales over the last 8 weeks; sd_L = spread of "
            "received purchase orders' lead times. The thresholds are reorder points, compared "
            "with the stock plus what is on order; the plan orders on the first review day that "
            "falls to the same figure with the forecast day by day in place of d (the restock "
            "plan's s).\n\n"
            f"**Event threshold** (R-M2) = base x (1 + {c.event_buffer:.0%}) from "
            f"{c.event_days_before} days before each Amazon event (Prime Day, Black Friday / "
            "Cyber Monday week, Christmas run-up) and each of your promotions of the SKU to its "
            "last day; the plan holds that buffer by raising the forecast by the same share on "
            "those days.\n\n"
            f"**Slow mover** (R-M3): more than {c.slow_mover_cover_days} days of cover (on hand / "
            "d): protection mode, no reorder, clearance suggested.\n\n"
            f"**Volatility** (R-K5): CV = sd_d / d. Above {c.volatility_limit:.0%} the safety "
            "stock is recomputed from the measured spread; the stable-demand figure uses sd_d = "
            f"{c.volatility_limit:.0%} x d; cash effect = extra units x unit cost."
        )
        if sku is None or sku not in set(self.table["sku"]):
            return text
        r = self.table.set_index("sku").loc[sku]
        return (
            text
            + f"\n\n**{sku}**: d = {r.daily_demand:,.2f}/day, L + R = {r.cycle_days:,.0f} days, "
            f"sd_d = {r.sd_daily_demand:,.2f}, sd_L = {r.sd_lead_time_days:,.1f} days, z = "
            f"{r.z:,.3f} -> SS = {r.safety_stock:,.1f} units; base = {r.daily_demand:,.2f} x "
            f"{r.cycle_days:,.0f} + {r.safety_stock:,.1f} = **{r.base_threshold:,.1f}** units; "
            f"event = {r.base_threshold:,.1f} x {1 + c.event_buffer:g} = "
            f"**{r.event_threshold:,.1f}** units; volatility {_pct(r.volatility)}; "
            f"cover {r.days_of_cover:,.1f} days."
        )


def _pct(x: float) -> str:
    return "—" if x is None or not math.isfinite(float(x)) else f"{float(x):.0%}"


def thresholds(
    inputs: MaturityInputs, choices: MaturityChoices, skus: Sequence[str] | None = None
) -> Thresholds:
    """Base and event thresholds, slow-mover protection and the volatility recompute per SKU
    (R-M1, R-M2, R-M3, R-K5); see ``Thresholds.explain`` for every formula.

    Columns: sku, daily_demand, sd_daily_demand, sd_lead_time_days, lead_time_days,
    cycle_days (ceil(L) + ceil(R), as the restock plan), z, safety_stock, base_threshold,
    event_threshold, on_hand, days_of_cover, slow_mover, volatility, volatile,
    safety_stock_stable, safety_stock_change, cash_effect, unit_cost, next_event,
    next_event_date (the first buffered day ahead).
    """
    rows = []
    warnings: list[str] = []
    chosen = inputs.supplies if skus is None else {k: inputs.supplies[k] for k in skus}
    for sku, s in chosen.items():
        d = float(s.daily_demand)
        lead = s.total_lead_time("sea")
        cycle = max(1, math.ceil(lead)) + max(0, math.ceil(choices.review_period_days))
        ss = policy.safety_stock(
            d, s.sd_daily_demand, cycle, s.sd_lead_time_days, choices.service_level
        )
        stable_sd = min(s.sd_daily_demand, choices.volatility_limit * d)
        stable = policy.safety_stock(
            d, stable_sd, cycle, s.sd_lead_time_days, choices.service_level
        )
        base = d * cycle + ss.units
        cover = policy.days_of_cover(s.on_hand, d)
        cv = kpi.demand_volatility(s.sd_daily_demand, d)
        volatile = bool(math.isfinite(cv) and cv > choices.volatility_limit)
        change = ss.units - stable.units
        ev = inputs.event_days.get(sku)
        nxt_name, nxt_date = None, None
        if ev is not None and len(ev):
            first = ev.iloc[0]
            nxt_name = str(first["event"])
            nxt_date = (
                pd.Timestamp(first["date"]) - pd.Timedelta(days=choices.event_days_before)
            ).date()
        rows.append(
            {
                "sku": sku,
                "daily_demand": d,
                "sd_daily_demand": float(s.sd_daily_demand),
                "sd_lead_time_days": float(s.sd_lead_time_days),
                "lead_time_days": lead,
                "cycle_days": cycle,
                "z": ss.z,
                "safety_stock": ss.units,
                "base_threshold": base,
                "event_threshold": base * (1 + choices.event_buffer),
                "on_hand": float(s.on_hand),
                "days_of_cover": cover,
                "slow_mover": bool(math.isfinite(cover) and cover > choices.slow_mover_cover_days)
                or (cover == math.inf and s.on_hand > 0),
                "volatility": cv,
                "volatile": volatile,
                "safety_stock_stable": stable.units,
                "safety_stock_change": change if volatile else 0.0,
                "cash_effect": (change * s.unit_cost if s.unit_cost is not None else math.nan)
                if volatile
                else 0.0,
                "unit_cost": s.unit_cost,
                "next_event": nxt_name,
                "next_event_date": nxt_date,
            }
        )
    table = pd.DataFrame(rows)
    if len(table) and table["slow_mover"].any():
        warnings.append(
            f"{int(table['slow_mover'].sum())} SKUs have more than "
            f"{choices.slow_mover_cover_days} days of cover: no reorder, clearance suggested."
        )
    return Thresholds(table=table, choices=choices, warnings=warnings)


def threshold_line(
    inputs: MaturityInputs, sku: str, choices: MaturityChoices, base: float, days: int = 120
) -> pd.DataFrame:
    """Per day ahead: date, threshold (base, or the event threshold on buffered days), event
    (the name on event days), for the stock-line chart of step 2."""
    start = pd.Timestamp(inputs.as_of) + pd.Timedelta(days=1)
    index = pd.date_range(start, periods=days, freq="D")
    ev = inputs.event_days.get(sku, pd.DataFrame({"date": [], "event": []}))
    mask = event_buffer_mask(index, ev["date"], choices.event_days_before)
    names = dict(zip(pd.to_datetime(ev["date"]), ev["event"], strict=False))
    return pd.DataFrame(
        {
            "date": index,
            "threshold": np.where(mask, base * (1 + choices.event_buffer), base),
            "event": [names.get(d) for d in index],
        }
    )


# -- step 3: ABC and EOQ (R-M5) -----------------------------------------------------------------
def tight_ordering_cost(
    daily_demand: float, unit_cost: float | None, review_period_days: float, holding_rate: float
) -> float:
    """The ordering cost K at which the EOQ covers one review period: EOQ / d = R when
    K = h c d R^2 / 730 (from EOQ = sqrt(2 K 365 d / (h c))). Class A (R-M5 "tight") is planned
    with it, so ``restock.plan_sku``'s order cycle max(R, EOQ / d) is R: frequent small orders,
    low cover. Without a unit cost, demand or holding rate: a tiny K (the plan's own fallback
    then applies)."""
    c = unit_cost or 0.0
    r = max(float(review_period_days), 1.0)
    k = holding_rate * c * daily_demand * r * r / 730.0
    return k if k > 0 else 1e-9


def abc_eoq(
    inputs: MaturityInputs, choices: MaturityChoices, plans: dict[str, restock.SkuPlan]
) -> pd.DataFrame:
    """Per SKU: ABC class (by revenue over the health period, R-M5), the policy its class gets
    and the EOQ figures: D = 365 d units/yr, K (ordering cost; class A: ``tight_ordering_cost``),
    h = holding rate x unit cost, EOQ = sqrt(2 K D / h), orders per year D / EOQ, yearly
    ordering cost K D / EOQ and holding cost h EOQ / 2 (Harris 1913); the order cycle and order
    the plan uses."""
    rows = []
    for sku, s in inputs.supplies.items():
        cls = abc_class(inputs, sku)
        d = float(s.daily_demand)
        c = s.unit_cost
        k = (
            tight_ordering_cost(d, c, choices.review_period_days, choices.holding_cost_rate)
            if cls == "A"
            else choices.ordering_cost
        )
        yearly = 365.0 * d
        h = choices.holding_cost_rate * c if c else 0.0
        eoq = math.nan
        if h > 0 and yearly > 0 and k > 0:
            eoq, _ = policy.economic_order_quantity(k, h, yearly)
        plan = plans.get(sku)
        rows.append(
            {
                "sku": sku,
                "abc_class": cls,
                "policy": {
                    "A": "tight: one review period per order",
                    "B": "EOQ",
                    "C": "EOQ, cash capped",
                }[cls],
                "revenue": float(inputs.health["revenue"].get(sku, 0.0)),
                "daily_demand": d,
                "yearly_demand": yearly,
                "ordering_cost": k,
                "holding_cost_per_unit": h,
                "eoq_units": eoq,
                "orders_per_year": yearly / eoq if eoq and eoq > 0 else math.nan,
                "yearly_ordering_cost": k * yearly / eoq if eoq and eoq > 0 else math.nan,
                "yearly_holding_cost": h * eoq / 2 if math.isfinite(eoq) else math.nan,
                "cycle_days": plan.cycle_days if plan else math.nan,
                "order_units": plan.row["order_units"] if plan else 0,
            }
        )
    return pd.DataFrame(rows)


def abc_class(inputs: MaturityInputs, sku: str) -> str:
    """The SKU's ABC class from the health table (revenue over the whole catalogue, R-M5)."""
    value = inputs.health["abc_class"].get(sku, "C") if "abc_class" in inputs.health else "C"
    return str(value) if isinstance(value, str) else "C"


@dataclass
class CashCap:
    """The C-class cash cap on stock + the plan's orders at cost (R-M5)."""

    total: float  # every SKU's stock at cost + the maturity orders at cost
    c_total: float  # class C's part of it
    cap: float  # cap share x total
    excess: float  # max(0, C total - cap)
    trim_cost: float  # cost taken off C orders: min(C orders, excess / (1 - share))
    share: float
    rows: pd.DataFrame  # sku, abc_class, stock_cost, order_cost, order_units, cap_units

    def explain(self) -> str:
        return (
            "**C-class cash cap** (R-M5): cash tied up in class C (stock at cost + its planned "
            f"orders at cost) may be at most {self.share:.0%} of the total.\n\n"
            f"- Total = every SKU's stock at cost + the maturity orders at cost = "
            f"{self.total:,.2f}.\n- Cap = {self.share:.0%} x {self.total:,.2f} = "
            f"**{self.cap:,.2f}**.\n- Class C = {self.c_total:,.2f}; over the cap by "
            f"{self.excess:,.2f}.\n- Taking x off C orders lowers the total too, so x = excess / "
            f"(1 - {self.share:.0%}) = {self.trim_cost:,.2f} (at most what C orders cost), "
            "shared over the C orders in proportion to their cost, each rounded down to whole "
            "cases (below the MOQ: no order). Stock already on hand is not touched: clear it."
        )


def c_class_cap(
    inputs: MaturityInputs, orders: dict[str, int], choices: MaturityChoices
) -> CashCap:
    """Trim class C orders so the cash tied up in C stays within the cap (R-M5; ``CashCap``).

    ``orders``: planned units per maturity SKU. The cap's figures come from
    ``kpi.c_class_cash_cap`` on stock at cost (health table, every SKU) + order at cost."""
    health = inputs.health
    stock_cost = health["inventory_cost"].astype(float).fillna(0.0)
    order_cost = pd.Series(0.0, index=stock_cost.index)
    for sku, units in orders.items():
        cost = inputs.supplies[sku].unit_cost or 0.0
        if sku not in order_cost.index:
            order_cost.loc[sku] = 0.0
            stock_cost.loc[sku] = 0.0
        order_cost.loc[sku] = units * cost
    classes = pd.Series(
        [abc_class(inputs, s) for s in stock_cost.index], index=stock_cost.index, dtype=object
    )
    cap = kpi.c_class_cash_cap(stock_cost + order_cost, classes, choices.c_cap_share)
    excess = float(cap.attrs["excess"])
    c_orders = {
        s: float(order_cost[s]) for s in orders if classes.get(s) == "C" and order_cost[s] > 0
    }
    c_order_total = sum(c_orders.values())
    share = choices.c_cap_share
    trim = min(c_order_total, excess / (1 - share)) if excess > 0 and share < 1 else 0.0
    rows = []
    for sku, units in orders.items():
        s = inputs.supplies[sku]
        new = units
        if sku in c_orders and trim > 0:
            cut = trim * c_orders[sku] / c_order_total
            keep_cost = max(0.0, c_orders[sku] - cut)
            new = _round_down(keep_cost / (s.unit_cost or 1.0), s.case_pack, s.moq)
        rows.append(
            {
                "sku": sku,
                "abc_class": classes.get(sku, "C"),
                "stock_cost": float(stock_cost.get(sku, 0.0)),
                "order_cost": float(order_cost.get(sku, 0.0)),
                "order_units": int(units),
                "cap_units": int(new),
            }
        )
    return CashCap(
        total=float(cap.attrs["total"]),
        c_total=float(cap.attrs["c_total"]),
        cap=float(cap.attrs["cap"]),
        excess=excess,
        trim_cost=trim,
        share=share,
        rows=pd.DataFrame(
            rows,
            columns=["sku", "abc_class", "stock_cost", "order_cost", "order_units", "cap_units"],
        ),
    )


def _round_down(units: float, case_pack: float | None, moq: float | None) -> int:
    """Whole cases not above ``units`` (the cap may not be passed); below the MOQ: 0."""
    pack = max(1, int(case_pack)) if case_pack and case_pack >= 1 else 1
    out = int(math.floor(units / pack + 1e-9)) * pack
    if moq and out < moq:
        return 0
    return max(0, out)


# -- step 4: the fee corridor (R-F1) ------------------------------------------------------------
def corridor_position(
    days_of_supply_30: float,
    days_of_supply_90: float,
    cover_days: float,
    aged_units_ahead: float,
    low_days: float,
    high_days: float,
) -> str:
    """Where a SKU sits in the fee corridor (R-F1): "below 28 days" when both historical days
    of supply are under the low-inventory threshold, "above 22 weeks" when its cover passes the
    storage utilization line, "aged stock ahead" when units will pass 181 days within 90 days
    (``aged_ahead``); "inside" otherwise. Several at once are joined with "; "."""
    out = []
    if days_of_supply_30 < low_days and days_of_supply_90 < low_days:
        out.append(BELOW)
    if math.isfinite(cover_days) and cover_days > high_days or cover_days == math.inf:
        out.append(ABOVE)
    if aged_units_ahead > 0:
        out.append(AGED)
    return "; ".join(out) if out else INSIDE


def aged_ahead(
    units_91_180: float, units_181_plus: float, demand_ahead: float
) -> tuple[float, float]:
    """(units aged 181+ days now, units of 91-180 days that reach 181 within 90 days unsold).

    FIFO: the oldest units sell first, so the next 90 days' demand takes the 181+ units, then
    the 91-180 ones; what is left of those is 181+ days old by then (R-F1, R-K2)."""
    rest = max(0.0, demand_ahead - units_181_plus)
    return units_181_plus, max(0.0, units_91_180 - rest)


def low_inventory_fee_on_line(
    stock: np.ndarray,
    demand: np.ndarray,
    size_tier: str | None,
    sold_7_days: float,
    table: fees.FeeTable,
    history_stock: float,
    history_daily_units: float,
) -> float:
    """Low-inventory-level fee over a projected stock line (R-F1), money.

    Amazon's measure, day by day: historical days of supply over the last k = 30 and 90 days =
    mean stock / mean units shipped over those days. The days before the line are taken as
    ``history_stock`` on hand and ``history_daily_units`` shipped a day (the last 90 days'
    average); on the line, units shipped = min(demand, the stock at the start of the day). On
    each day both measures are under the threshold, that day's shipped units pay
    ``fees.low_inventory_fee_per_unit`` of the band of max(DOS30, DOS90) (0 when the SKU sold
    fewer than the exemption's units in 7 days).
    """
    n = len(stock)
    if n == 0:
        return 0.0
    start = np.concatenate([[stock[0] + demand[0]], stock[:-1]])
    shipped = np.minimum(demand, np.maximum(start, 0.0))
    hist = 90
    all_stock = np.concatenate([np.full(hist, float(history_stock)), np.asarray(stock, float)])
    all_ship = np.concatenate([np.full(hist, float(history_daily_units)), shipped])
    cs = np.concatenate([[0.0], np.cumsum(all_stock)])
    cq = np.concatenate([[0.0], np.cumsum(all_ship)])
    idx = np.arange(hist, hist + n) + 1  # end (exclusive) of each line day in the cumsums

    def dos(k: int) -> np.ndarray:
        stocked = cs[idx] - cs[idx - k]
        sold = cq[idx] - cq[idx - k]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(sold > 0, stocked / np.where(sold > 0, sold, 1.0), np.inf)

    d30, d90 = dos(30), dos(90)
    total = 0.0
    rates: dict[tuple[int, int], float] = {}
    for k in np.flatnonzero((d30 < 10_000) & (d90 < 10_000)):
        key = (int(math.floor(d30[k])), int(math.floor(d90[k])))
        if key not in rates:
            rates[key] = fees.low_inventory_fee_per_unit(
                size_tier, float(d30[k]), float(d90[k]), sold_7_days, table=table
            )
        total += rates[key] * float(shipped[k])
    return total


# -- step 4: capacity (R-F2) --------------------------------------------------------------------
CAPACITY_COLUMNS = [
    "month",
    "storage_class",
    "sku",
    "delivery",
    "arrival",
    "units",
    "cubic_feet",
    "margin_at_risk",
    "rank",
    "admitted_units",
    "waiting_units",
    "wait_location",
    "wait_cost",
]


def allocate_capacity(
    arrivals: pd.DataFrame,
    limits: dict[str, float],
    wait_rates: dict[str, float],
    today: date,
    transit_days: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Fit each month's planned arrivals into the FBA capacity limit of their storage class
    (R-F2).

    ``arrivals``: one row per delivery: sku, delivery, arrival (date), storage_class, units,
    cubic_feet (per unit), margin_at_risk (the margin lost if it waits a month). ``limits``:
    cubic feet per month per storage class (0 or missing: no limit). Per month and class the
    deliveries are taken by margin at risk, highest first (ties: earlier arrival, SKU); each
    goes in whole while it fits, the one that does not fit goes in with the whole units that
    do, and the rest waits a month. Where: at the supplier when it has not shipped yet (its
    arrival minus ``transit_days[sku]`` is after ``today``: it simply ships later), else at the
    cheaper of AWD and 3PL (``wait_rates``, money per cubic foot per month). wait cost =
    waiting units x cubic feet x the location's rate (one month).
    """
    out = arrivals.copy()
    for col in ("admitted_units", "waiting_units", "wait_cost"):
        out[col] = 0.0
    out["wait_location"] = ""
    out["rank"] = 0
    if out.empty:
        return out.reindex(columns=CAPACITY_COLUMNS)
    out["month"] = pd.to_datetime(out["arrival"]).dt.strftime("%Y-%m")
    out = out.sort_values(
        ["month", "storage_class", "margin_at_risk", "arrival", "sku"],
        ascending=[True, True, False, True, True],
    ).reset_index(drop=True)
    transit = transit_days or {}
    for (_, cls), idx in out.groupby(["month", "storage_class"], sort=False).groups.items():
        limit = float(limits.get(cls) or 0.0)
        room = limit if limit > 0 else math.inf
        for rank, i in enumerate(idx, start=1):
            units = float(out.at[i, "units"])
            cf = float(out.at[i, "cubic_feet"] or 0.0)
            fit = units if cf <= 0 or units * cf <= room else math.floor(room / cf + 1e-9)
            fit = max(0.0, min(units, fit))
            room -= fit * cf
            wait = units - fit
            out.at[i, "rank"] = rank
            out.at[i, "admitted_units"] = fit
            out.at[i, "waiting_units"] = wait
            if wait > 0:
                ship = pd.Timestamp(out.at[i, "arrival"]).date() - timedelta(
                    days=math.ceil(transit.get(str(out.at[i, "sku"]), 0.0))
                )
                if ship > today:
                    where = "supplier"
                else:
                    where = min(("AWD", "3PL"), key=lambda w: (wait_rates.get(w, 0.0), w))
                out.at[i, "wait_location"] = where
                out.at[i, "wait_cost"] = wait * cf * float(wait_rates.get(where, 0.0))
    return out.reindex(columns=CAPACITY_COLUMNS)


# -- the plan (step 5) --------------------------------------------------------------------------
@dataclass
class SkuMaturity:
    """One SKU's maturity plan: the restock plan and what each rule on top changed."""

    sku: str
    abc_class: str
    plan: restock.SkuPlan  # restock.plan_sku with the event buffer and the class's policy
    restock_units: int
    cap_units: int
    corridor_units: int
    deliveries: pd.DataFrame  # delivery, arrival, units, covers_days of the final order
    line_plan: pd.DataFrame  # projected stock with the restock plan's order
    line_corridor: pd.DataFrame  # ... with the final order
    fee_plan: float  # low-inventory-level fee over the horizon, restock plan
    fee_corridor: float  # ... final order
    corridor_note: str = ""
    position_now: str = INSIDE
    position_after: str = INSIDE


@dataclass
class MaturityResult:
    """Everything the maturity page shows and the ``maturity`` verb prints."""

    inputs: MaturityInputs
    choices: MaturityChoices
    thresholds: Thresholds
    skus: dict[str, SkuMaturity]
    cap: CashCap
    corridor: pd.DataFrame
    capacity: pd.DataFrame
    plan: pd.DataFrame  # PLAN_COLUMNS, most urgent order first
    fees: dict[str, float]
    not_planned: dict[str, str]
    warnings: list[str] = field(default_factory=list)

    def dates_line(self) -> str:
        return restock.plan_dates_line(self.inputs.today, self.inputs.as_of)

    def explain(self) -> str:
        c = self.choices
        f = self.fees
        return (
            "**The maturity plan** = the restock plan (`stockcycle plan`, the Growth page's "
            "arithmetic: order on the first review day the stock and open orders fall to the "
            "reorder point, up to the order-up-to level, rounded to cases and MOQ) with the "
            "event buffer in the forecast, then three rules on top:\n\n"
            f"1. C-class cash cap ({c.c_cap_share:.0%} of the cash tied up, R-M5).\n"
            "2. Fee corridor (R-F1"
            + (")" if c.corridor else ", off)")
            + f": the order is raised so the stock after it lands stays at or above "
            f"{f['low_days']:g} days of cover (the low-inventory-level line), and lowered so it "
            f"never passes {f['high_days']:g} days (22 weeks, the storage utilization line).\n"
            "3. Capacity (R-F2): each month's arrivals fit the FBA limit of their storage type, "
            "highest margin at risk first; the rest waits a month at the supplier (not shipped "
            "yet), AWD or 3PL (cheaper rate), at the cost shown.\n\n"
            f"Fees over the next {CORRIDOR_HORIZON_DAYS} days: low-inventory-level fee "
            f"{f['low_inventory_plan']:,.2f} with the restock plan, "
            f"{f['low_inventory_final']:,.2f} with this plan; storage utilization surcharge "
            f"{f['utilization_plan']:,.2f} vs {f['utilization_final']:,.2f} (the account at "
            f"{f['weeks_plan']:,.1f} vs {f['weeks_final']:,.1f} weeks of supply); capacity "
            f"waiting cost {f['wait_cost']:,.2f}."
        )


def _projection(supply: restock.SkuSupply, deliveries: pd.DataFrame, days: int) -> pd.DataFrame:
    """Projected stock from the data date with the open arrivals and ``deliveries``
    (``policy.projected_stock``)."""
    arrivals = supply.arrivals[["date", "units"]]
    if len(deliveries):
        extra = deliveries.rename(columns={"arrival": "date"})[["date", "units"]]
        arrivals = pd.concat([arrivals, extra], ignore_index=True)
    forecast = supply.daily_forecast.to_numpy(dtype=float)[:days]
    return policy.projected_stock(
        supply.as_of + timedelta(days=1), supply.on_hand, forecast, arrivals
    )


def _deliveries(
    plan: restock.SkuPlan, supply: restock.SkuSupply, units: int, shipments: int
) -> pd.DataFrame:
    """The plan's deliveries for ``units`` (the restock split, ``policy.split_deliveries``)."""
    if units <= 0 or plan.first_arrival is None:
        return pd.DataFrame(columns=["delivery", "arrival", "units", "covers_days"])
    if units == plan.row["order_units"]:
        return plan.deliveries
    d = max(float(plan.row["daily_demand"]), 1e-9)
    return policy.split_deliveries(units, shipments, d, plan.first_arrival, supply.case_pack)


def _adjusted(deliveries: pd.DataFrame, change: int) -> pd.DataFrame:
    """Deliveries with ``change`` units added to the first one (> 0: the corridor's floor
    arrives with the first delivery and stays under every later day) or taken from the last
    ones (< 0)."""
    out = deliveries.copy()
    if change == 0 or out.empty:
        return out
    out["units"] = out["units"].astype(int)
    if change > 0:
        out.loc[out.index[0], "units"] += change
        return out
    cut = -change
    for i in reversed(out.index):
        take = min(cut, int(out.at[i, "units"]))
        out.at[i, "units"] -= take
        cut -= take
    return out[out["units"] > 0].reset_index(drop=True)


def landed_window(plan: restock.SkuPlan, units: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The days an order is meant to cover once it lands: from its first arrival for
    max(order cycle, units / d) days (the deliveries of one order; the next order, not in this
    plan, takes over after it). The corridor is checked over these days."""
    start = pd.Timestamp(plan.first_arrival)
    d = float(plan.row["daily_demand"])
    days = max(plan.cycle_days, math.ceil(units / d) if d > 0 else 0, 1)
    return start, start + pd.Timedelta(days=days)


def _horizon(plan: restock.SkuPlan, supply: restock.SkuSupply, units: int) -> int:
    """Days of projection that hold the corridor window of the order and the fee horizon."""
    if plan.first_arrival is None:
        return CORRIDOR_HORIZON_DAYS
    _, end = landed_window(plan, max(units, 1))
    return max(CORRIDOR_HORIZON_DAYS, (end.date() - supply.as_of).days + 1)


class _Lines:
    """One SKU's projected stock lines, each computed once per set of deliveries (the restock
    order, the capped order and the final one are often the same)."""

    def __init__(self, supply: restock.SkuSupply, days: int) -> None:
        self.supply, self.days = supply, days
        self._seen: dict[tuple, pd.DataFrame] = {}

    def __call__(self, deliveries: pd.DataFrame) -> pd.DataFrame:
        key = tuple(
            (str(a), float(u))
            for a, u in zip(deliveries.get("arrival", []), deliveries.get("units", []), strict=True)
        )
        if key not in self._seen:
            self._seen[key] = _projection(self.supply, deliveries, self.days)
        return self._seen[key]


def _corridor_units(
    plan: restock.SkuPlan,
    supply: restock.SkuSupply,
    units: int,
    shipments: int,
    low_days: float,
    high_days: float,
    lines: _Lines | None = None,
) -> tuple[int, str]:
    """The order kept inside the corridor after it lands (R-F1): raised by the units that keep
    the lowest projected stock from the first arrival on at >= low_days x d, lowered by what
    passes high_days x d at the highest point; whole cases. (units, note)."""
    if units <= 0 or plan.first_arrival is None:
        return units, ""
    d = float(plan.row["daily_demand"])
    if d <= 0:
        return units, ""
    if lines is None:
        lines = _Lines(supply, _horizon(plan, supply, units))
    line = lines(_deliveries(plan, supply, units, shipments))
    after = line[line["date"] >= pd.Timestamp(plan.first_arrival)]
    if after.empty:
        return units, ""
    window = after[after["date"] < landed_window(plan, units)[1]]
    if window.empty:
        window = after.head(1)
    low, high = float(window["stock"].min()), float(window["stock"].max())
    pack = int(supply.case_pack) if supply.case_pack and supply.case_pack >= 1 else 1
    if low < low_days * d:
        extra = math.ceil((low_days * d - low) / pack) * pack
        return units + extra, (
            f"Corridor: +{extra:,} units so the stock stays at or above {low_days:g} days of "
            f"cover after the order lands (lowest {low / d:,.0f} days)."
        )
    if high > high_days * d:
        cut = min(units, math.floor((high - high_days * d) / pack) * pack)
        new = units - cut
        if supply.moq and 0 < new < supply.moq:
            new = int(math.ceil(supply.moq / pack) * pack)
        if new < units:
            return new, (
                f"Corridor: -{units - new:,} units so the stock stays under {high_days:g} days of "
                f"cover (highest {high / d:,.0f} days)."
            )
    return units, ""


def plan_maturity(
    inputs: MaturityInputs,
    choices: MaturityChoices,
    *,
    edits: dict[str, int] | None = None,
    skus: Sequence[str] | None = None,
) -> MaturityResult:
    """The maturity plan of every SKU (or ``skus``) for ``choices``; ``edits``: the seller's
    order quantities (units per SKU), which replace the computed ones before the capacity rule.
    See the module doc and ``MaturityResult.explain`` for the rules."""
    table = inputs.fee_table
    low_days = fees.low_inventory_threshold(table)
    high_weeks = fees.storage_utilization_threshold_weeks(table)
    high_days = high_weeks * 7 if math.isfinite(high_weeks) else math.inf
    wanted = [k for k in (skus or inputs.skus) if k in inputs.supplies]
    th = thresholds(inputs, choices, wanted)
    supplies = {k: buffered_supply(inputs, k, choices) for k in wanted}

    def plan_one(supply: restock.SkuSupply) -> restock.SkuPlan:
        cls = abc_class(inputs, supply.sku)
        k = choices.ordering_cost
        if cls == "A":
            k = tight_ordering_cost(
                supply.daily_demand,
                supply.unit_cost,
                choices.review_period_days,
                choices.holding_cost_rate,
            )
        return restock.plan_sku(
            supply,
            today=inputs.today,
            service_level=choices.service_level,
            review_period_days=choices.review_period_days,
            shipping_mode="auto",
            shipments=choices.shipments,
            slow_mover_cover_days=choices.slow_mover_cover_days,
            duty_rate=choices.duty_rate,
            ordering_cost=k,
            holding_cost_rate=choices.holding_cost_rate,
        )

    plans, failed = restock.plan_each(supplies, plan_one)
    not_planned = {**{k: v for k, v in inputs.problems.items()}, **failed}
    restock_units = {k: int(p.row["order_units"]) for k, p in plans.items()}
    cap = c_class_cap(inputs, restock_units, choices)
    cap_units = dict(zip(cap.rows["sku"], cap.rows["cap_units"].astype(int), strict=True))

    results: dict[str, SkuMaturity] = {}
    corridor_rows = []
    arrival_rows = []
    health = inputs.health
    for sku, plan in plans.items():
        supply = inputs.supplies[sku]
        cls = abc_class(inputs, sku)
        units = cap_units.get(sku, restock_units[sku])
        note = ""
        lines = _Lines(supply, _horizon(plan, supply, max(units, restock_units[sku])))
        # Amazon's fees apply to stock at Amazon only: a SKU the inventory reports never show
        # there (health's low-inventory check is None for it) keeps the restock order.
        at_amazon = sku in health.index and pd.notna(health["low_inventory_fee"].get(sku))
        if choices.corridor and not at_amazon:
            note = "Corridor not applied: no stock of it at Amazon in the inventory reports."
        elif choices.corridor:
            if cls == "C" and units < restock_units[sku]:
                note = "Corridor not applied: the C-class cash cap comes first."
            else:
                units, note = _corridor_units(
                    plan, supply, units, choices.shipments, low_days, high_days, lines
                )
        corridor_units = units
        base_units = cap_units.get(sku, restock_units[sku])
        if edits and sku in edits and edits[sku] is not None:
            units = max(0, int(edits[sku]))
            # The seller's quantity is split afresh, as the Growth page splits an override.
            deliveries = _deliveries(plan, supply, units, choices.shipments)
        else:
            deliveries = _adjusted(
                _deliveries(plan, supply, base_units, choices.shipments), units - base_units
            )
        horizon = CORRIDOR_HORIZON_DAYS
        line_plan = lines(plan.deliveries).head(horizon)
        line_final = lines(deliveries).head(horizon)
        tier = inputs.size_tier(sku)
        sold7 = inputs.sold_7_days.get(sku, 0.0)
        demand = supply.daily_forecast.to_numpy(dtype=float)[:horizon]
        history = (supply.on_hand, inputs.sold_90_days.get(sku, 0.0) / 90)
        fee_plan = (
            low_inventory_fee_on_line(
                line_plan["stock"].to_numpy(), demand, tier, sold7, table, *history
            )
            if at_amazon
            else 0.0
        )
        fee_final = (
            low_inventory_fee_on_line(
                line_final["stock"].to_numpy(), demand, tier, sold7, table, *history
            )
            if at_amazon
            else 0.0
        )
        h = health.loc[sku] if sku in health.index else pd.Series(dtype=object)
        d30 = float(h.get("days_of_supply_30", math.inf))
        d90 = float(h.get("days_of_supply_90", math.inf))
        u91 = float(h.get("age_91-180", 0.0) or 0.0) if "age_91-180" in h else 0.0
        u181 = sum(
            float(h.get(f"age_{b}", 0.0) or 0.0)
            for b in ("181-270", "271-365", "365+")
            if f"age_{b}" in h
        )
        aged_now, aged_soon = aged_ahead(u91, u181, float(demand.sum()))
        d = float(supply.daily_demand)
        cover = policy.days_of_cover(supply.on_hand, d)
        now = (
            corridor_position(d30, d90, cover, aged_now + aged_soon, low_days, high_days)
            if at_amazon
            else NOT_AT_AMAZON
        )
        # After the plan: the days its order covers once it lands (``landed_window``, what the
        # order can change); the whole line when it orders nothing.
        landed = line_final
        if units > 0 and plan.first_arrival is not None:
            first, last = landed_window(plan, base_units if base_units > 0 else units)
            landed = line_final[(line_final["date"] >= first) & (line_final["date"] < last)]
        final_stock = (landed if len(landed) else line_final)["stock"].to_numpy()
        after_cover = (
            float(final_stock.min()) / d if d > 0 and len(final_stock) else math.inf,
            float(final_stock.max()) / d if d > 0 and len(final_stock) else math.inf,
        )
        after = (
            corridor_position(
                after_cover[0],
                after_cover[0],
                after_cover[1],
                aged_now + aged_soon,
                low_days,
                high_days,
            )
            if at_amazon
            else NOT_AT_AMAZON
        )
        exempt = sold7 < fees.low_inventory_exempt_units(table)
        # The fee as Amazon would charge it today: the band of the historical days of supply
        # (health table), on a month of units shipped at the forecast rate.
        per_unit_now = (
            fees.low_inventory_fee_per_unit(tier, d30, d90, sold7, table=table)
            if at_amazon
            else 0.0
        )
        cf = inputs.cubic_feet(sku) or 0.0
        aged_fee = (aged_now + aged_soon) * fees.aged_surcharge(cf, 181, table=table)
        corridor_rows.append(
            {
                "sku": sku,
                "days_of_supply_30": d30,
                "days_of_supply_90": d90,
                "days_of_cover": cover,
                "position_now": now,
                "lowest_cover_after": after_cover[0],
                "highest_cover_after": after_cover[1],
                "position_after": after,
                "exempt_low_inventory": exempt,
                "low_inventory_fee_per_unit_now": per_unit_now,
                "low_inventory_fee_month_now": per_unit_now * 30 * float(supply.daily_demand),
                "units_sold_7_days": sold7,
                "aged_units_now": aged_now,
                "aged_units_within_90_days": aged_soon,
                "aged_surcharge_month": aged_fee,
                "low_inventory_fee_plan": fee_plan,
                "low_inventory_fee_final": fee_final,
                "size_tier": tier or "",
                "cubic_feet": cf,
            }
        )
        margin = restock.unit_margin(supply, plan.row["shipping_mode"]) or 0.0
        stock_by_day = line_final.set_index("date")["stock"]
        fc = supply.daily_forecast
        for dl in deliveries.itertuples(index=False):
            arrive = pd.Timestamp(dl.arrival)
            prev = stock_by_day.get(arrive - pd.Timedelta(days=1), float(supply.on_hand))
            need = float(
                fc[(fc.index >= arrive) & (fc.index < arrive + pd.Timedelta(days=WAIT_DAYS))].sum()
            )
            risk_units = max(0.0, min(float(dl.units), need - float(prev)))
            arrival_rows.append(
                {
                    "sku": sku,
                    "delivery": int(dl.delivery),
                    "arrival": arrive.date(),
                    "storage_class": inputs.storage_class(sku),
                    "units": float(dl.units),
                    "cubic_feet": cf,
                    "margin_at_risk": risk_units * margin,
                }
            )
        results[sku] = SkuMaturity(
            sku=sku,
            abc_class=cls,
            plan=plan,
            restock_units=restock_units[sku],
            cap_units=cap_units.get(sku, restock_units[sku]),
            corridor_units=corridor_units,
            deliveries=deliveries,
            line_plan=line_plan,
            line_corridor=line_final,
            fee_plan=fee_plan,
            fee_corridor=fee_final,
            corridor_note=note,
            position_now=now,
            position_after=after,
        )
    arrivals = pd.DataFrame(
        arrival_rows,
        columns=[
            "sku",
            "delivery",
            "arrival",
            "storage_class",
            "units",
            "cubic_feet",
            "margin_at_risk",
        ],
    )
    transit = {
        k: supplies[k].transit_days.get(results[k].plan.row["shipping_mode"], 0.0)
        + supplies[k].receiving_days
        for k in results
    }
    capacity = allocate_capacity(
        arrivals, choices.capacity, choices.wait_rates, inputs.today, transit
    )
    corridor = pd.DataFrame(corridor_rows)

    # The account's storage utilization (R-F1): stored cubic feet / shipped cubic feet a week.
    def weeks(final: bool) -> tuple[float, float]:
        stored = sum(inputs.fba_cubic_feet.values())
        for sku, r in results.items():
            cf = inputs.cubic_feet(sku) or 0.0
            line = r.line_corridor if final else r.line_plan
            stored += (float(line["stock"].mean()) - float(inputs.supplies[sku].on_hand)) * cf
        per_week = inputs.shipped_cubic_feet_per_day * 7
        w = stored / per_week if per_week > 0 else math.inf
        std = fees.storage_utilization_surcharge(1.0, "standard", w, table=table)
        over = fees.storage_utilization_surcharge(1.0, "oversize", w, table=table)
        months = CORRIDOR_HORIZON_DAYS / policy.DAYS_PER_MONTH
        cf_std = stored * _share(inputs.fba_cubic_feet, "standard")
        cost = (cf_std * std + (stored - cf_std) * over) * months
        return w, cost

    w_plan, u_plan = weeks(False)
    w_final, u_final = weeks(True)
    fee_summary = {
        "low_days": low_days,
        "high_days": high_days,
        "low_inventory_plan": float(corridor["low_inventory_fee_plan"].sum())
        if len(corridor)
        else 0.0,
        "low_inventory_final": float(corridor["low_inventory_fee_final"].sum())
        if len(corridor)
        else 0.0,
        "aged_surcharge_month": float(corridor["aged_surcharge_month"].sum())
        if len(corridor)
        else 0.0,
        "weeks_plan": w_plan,
        "weeks_final": w_final,
        "utilization_plan": u_plan,
        "utilization_final": u_final,
        "wait_cost": float(capacity["wait_cost"].sum()) if len(capacity) else 0.0,
    }
    plan_table = _plan_table(inputs, results, capacity, not_planned)
    warnings = list(inputs.warnings) + th.warnings
    if not fees.fee_rows_present("storage_utilization", "per_cubic_foot_month", table):
        warnings.append("The fee table has no storage utilization rows: that surcharge counts 0.")
    if len(capacity) and capacity["waiting_units"].sum() > 0:
        warnings.append(
            f"{capacity['waiting_units'].sum():,.0f} units do not fit this month's capacity "
            "limit and wait (see the capacity table)."
        )
    return MaturityResult(
        inputs=inputs,
        choices=choices,
        thresholds=th,
        skus=results,
        cap=cap,
        corridor=corridor,
        capacity=capacity,
        plan=plan_table,
        fees=fee_summary,
        not_planned=not_planned,
        warnings=warnings,
    )


def _share(volumes: dict[str, float], cls: str) -> float:
    total = sum(volumes.values())
    return volumes.get(cls, 0.0) / total if total > 0 else 1.0


def _plan_table(
    inputs: MaturityInputs,
    results: dict[str, SkuMaturity],
    capacity: pd.DataFrame,
    not_planned: dict[str, str],
) -> pd.DataFrame:
    rows = []
    waits = (
        capacity.groupby("sku").agg(
            waiting=("waiting_units", "sum"),
            cost=("wait_cost", "sum"),
            where=("wait_location", lambda x: ", ".join(sorted({v for v in x if v}))),
        )
        if len(capacity)
        else pd.DataFrame(columns=["waiting", "cost", "where"])
    )
    for sku, r in results.items():
        row = r.plan.row
        units = int(r.deliveries["units"].sum()) if len(r.deliveries) else 0
        waiting = float(waits["waiting"].get(sku, 0.0)) if len(waits) else 0.0
        reason = row["reason"]
        if r.cap_units < r.restock_units:
            reason += f" C-class cash cap: {r.restock_units:,} -> {r.cap_units:,} units (R-M5)."
        if r.corridor_note:
            reason += " " + r.corridor_note
        if waiting > 0:
            reason += (
                f" Capacity: {waiting:,.0f} units wait a month ({waits['where'].get(sku, '')})."
            )
        supply = inputs.supplies[sku]
        freight = supply.freight_cost.get(row["shipping_mode"], 0.0)
        rows.append(
            {
                "sku": sku,
                "abc_class": r.abc_class,
                "order_units": units,
                "restock_units": r.restock_units,
                "cap_units": r.cap_units,
                "corridor_units": r.corridor_units,
                "arriving_units": units - waiting,
                "waiting_units": waiting,
                "wait_location": waits["where"].get(sku, "") if len(waits) else "",
                "wait_cost": float(waits["cost"].get(sku, 0.0)) if len(waits) else 0.0,
                "order_date": row["order_date"] if units > 0 else None,
                "overdue_days": row["overdue_days"] if units > 0 else 0,
                "first_arrival": r.plan.first_arrival if units > 0 else None,
                "deliveries": "; ".join(
                    f"{pd.Timestamp(d.arrival).date().isoformat()}: {int(d.units):,}"
                    for d in r.deliveries.itertuples(index=False)
                ),
                "shipping_mode": row["shipping_mode"],
                "lead_time_days": row["lead_time_days"],
                "unit_cost": row["unit_cost"],
                "cash_needed": fees.cash_needed(
                    units, supply.unit_cost, freight, inputs.settings.duty_rate
                )
                if supply.unit_cost is not None
                else math.nan,
                "as_of": row["as_of"],
                "reason": reason,
            }
        )
    for sku, why in not_planned.items():
        blank = dict.fromkeys(PLAN_COLUMNS, None)
        blank.update(sku=sku, order_units=0, reason=f"Not planned: {why}")
        rows.append(blank)
    table = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    if table.empty:
        return table
    urgent = table["order_date"].map(lambda d: d or date.max)
    return (
        table.assign(_u=urgent).sort_values(["_u", "sku"]).drop(columns="_u").reset_index(drop=True)
    )


# -- step 1: the SKU list -----------------------------------------------------------------------
def sku_table(result: MaturityResult) -> pd.DataFrame:
    """One row per maturity SKU (step 1): days of cover, stock-to-sales ratio (on hand / the
    last 30 days' units), turnover against the target band (R-K1, health table), capital tied
    up (on hand x unit cost), ABC class, corridor position now, and the money at stake:
    capital tied up + the margin at risk of a stockout before the plan's order lands
    (``today.margin_at_risk``) + the plan's fees over the next 90 days; sorted by it."""
    from stockcycle.today import margin_at_risk

    inputs = result.inputs
    corridor = result.corridor.set_index("sku") if len(result.corridor) else None
    rows = []
    for sku, r in result.skus.items():
        supply = inputs.supplies[sku]
        h = inputs.health.loc[sku] if sku in inputs.health.index else pd.Series(dtype=object)
        cost = supply.unit_cost
        capital = supply.on_hand * cost if cost is not None else math.nan
        lost, margin = margin_at_risk(supply, r.plan.row, inputs.today)
        at_risk = lost * margin if margin is not None else 0.0
        c = corridor.loc[sku] if corridor is not None else None
        fee = (
            float(c["low_inventory_fee_final"] + c["aged_surcharge_month"])
            if c is not None
            else 0.0
        )
        sold30 = inputs.sold_30_days.get(sku, 0.0)
        rows.append(
            {
                "sku": sku,
                "title": inputs.title(sku),
                "abc_class": r.abc_class,
                "daily_demand": supply.daily_demand,
                "on_hand": supply.on_hand,
                "days_of_cover": policy.days_of_cover(supply.on_hand, supply.daily_demand),
                "stock_to_sales": supply.on_hand / sold30 if sold30 > 0 else math.inf,
                "turnover_per_year": float(h.get("turnover_per_year", math.nan)),
                "turnover_status": str(h.get("turnover_status", "")),
                "capital_tied_up": capital,
                "margin_at_risk": at_risk,
                "fees_ahead": fee,
                "money_at_stake": (0.0 if math.isnan(capital) else capital) + at_risk + fee,
                "corridor": r.position_now,
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return table.sort_values(["money_at_stake", "sku"], ascending=[False, True]).reset_index(
        drop=True
    )
