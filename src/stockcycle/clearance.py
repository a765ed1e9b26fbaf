"""Clearance, markdown and exit analysis of one SKU from a workspace (R-D2..R-D5, R-E1..R-E3).

``clearance_analysis(ws, sku)`` gathers the SKU's figures from the workspace and runs the
formulas of ``stockcycle.pricing`` and ``stockcycle.fees`` on them. Where each input comes from
(also returned in ``ClearanceAnalysis.inputs`` with its value and source):

- units on hand: the latest ``inventory`` snapshot of each location, pooled
  (``policy.pooled_position``: available + reserved);
- base sales rate: mean daily ``sales.units`` (all channels, days without a row count 0) over
  the ``BASE_WINDOW_DAYS`` days ending on the latest sales date;
- price: ``products.price``, else the average selling price of that window (revenue / units);
- elasticity: ``pricing.estimate_elasticity`` on the SKU's daily ``sales`` rows with
  price = revenue / units (per channel), else the category default -1.5 (its ``source`` says);
- unit cost, FBA fee, referral rate, cubic feet, size tier: ``products`` (blank FBA fee: 0,
  blank referral: 15%, blank cubic feet: no storage fee; each listed in ``missing``);
- storage per unit-month: ``fees.monthly_storage_fee`` for the month of the latest sales date;
- aged surcharge per unit-month: ``fees.aged_surcharge`` at the lower bound of each age bucket
  of the SKU's latest ``aging`` snapshot, averaged over all its units (0 without a report);
- exit date (R-E2): a per-day holding-cost schedule ``holding_cost_schedule`` (storage of
  each future day's calendar month, so the Q4 rate from October 1, plus the aged surcharge
  tier each age cohort reaches that day) over the age cohorts of ``age_cohorts`` (latest
  ``aging`` snapshot, R-K2, oldest first: FIFO sells them first), passed to
  ``pricing.exit_date``; ``exit_reason`` names the cost step behind the date;
- removal, disposal, liquidation: ``fees.removal_fee`` / ``fees.liquidation_recovery`` with a
  shipping weight of ``DEFAULT_WEIGHT_LB`` (the products table has no weight column);
- life-cycle stage and weekly demand decline: ``lifecycle.stage_table`` (stage, and
  ``change_8w``, the sales level now against 8 weeks ago): decline per week
  ``g = 1 - (1 + change_8w)^(1/8)`` when sales fell, else 0 (the markdown plan lets demand
  fall by g a week, R-D1/R-E1);
- competitor price band (R-D4): quartiles and median of the prices in the latest Helium 10 Xray
  snapshot (``competitors``), the seller's own ASINs left out.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from stockcycle import fees, policy, pricing
from stockcycle.checks import optional_number
from stockcycle.errors import InputError
from stockcycle.health import data_end
from stockcycle.policy import DAYS_PER_MONTH
from stockcycle.settings import Settings
from stockcycle.store import Workspace

#: Days of recent sales behind the base sales rate and the average selling price.
BASE_WINDOW_DAYS = 28
#: Shipping weight per unit for removal, disposal and liquidation fees when none is known.
DEFAULT_WEIGHT_LB = 1.0
#: Elasticity used when the SKU's own history cannot give one (pricing.estimate_elasticity).
DEFAULT_ELASTICITY = -1.5
#: Stages the analysis is meant for (R-S2); other stages get a note, not an error.
CLEARANCE_STAGES = frozenset({"decline", "exit"})
#: Largest weekly demand decline the markdown plan assumes.
MAX_WEEKLY_DECLINE = 0.5
#: Promotion lengths (days) and ad budgets ($/day) of the sensitivity grid (R-D5).
SENSITIVITY_DAYS = (7, 14, 30, 60, 90)
SENSITIVITY_AD_BUDGETS = (0, 10, 25, 50, 100)


@dataclass
class ClearanceAnalysis:
    """Everything ``stockcycle clearance`` shows for one SKU."""

    sku: str
    as_of: date
    inputs: dict[str, dict[str, Any]]  # name -> {"value": ..., "source": ...}
    elasticity: pricing.Elasticity
    scenarios: pd.DataFrame  # pricing.clearance_scenarios
    cash_by_week: pd.DataFrame  # pricing.clearance_cash_by_week
    sensitivity: pd.DataFrame  # profit: promotion days (rows) x ad budget per day (columns)
    markdown: pd.DataFrame  # pricing.markdown_plan, one row per week
    exit_date: date | None  # R-E2: None = keep selling
    exit_check: dict[str, Any]  # day-0 row of pricing.exit_timeline: the R-E2 test today
    residual: pd.DataFrame  # pricing.residual_value_options
    liquidation: fees.Liquidation
    price_band: dict[str, Any] | None  # competitor prices (R-D4), None without Xray data
    stage: str | None = None
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    exit_reason: str = ""  # why the R-E2 rule fires (or not): the cost step behind the date
    cost_steps: list[CostStep] = field(default_factory=list)  # storage / surcharge changes ahead
    cohorts: AgeCohorts | None = None  # age cohorts of the stock (FIFO), oldest first

    @property
    def best_scenario(self) -> str:
        return str(self.scenarios.loc[self.scenarios["profit"].idxmax(), "scenario"])

    @property
    def recommended_option(self) -> str:
        return str(self.residual.loc[self.residual["recommended"], "option"].iloc[0])


def _inp(value: Any, source: str) -> dict[str, Any]:
    return {"value": value, "source": source}


def sku_sales_history(sales: pd.DataFrame, sku: str) -> pd.DataFrame:
    """The SKU's daily sales rows with ``price`` = revenue / units (the price actually paid on
    average that day, per channel); rows without units or revenue are left out."""
    rows = sales[(sales["sku"] == sku) & (sales["units"] > 0) & (sales["revenue"] > 0)]
    return pd.DataFrame(
        {
            "date": rows["date"].to_numpy(),
            "channel": rows["channel"].astype(str).to_numpy(),
            "units": rows["units"].to_numpy(dtype=float),
            "price": (rows["revenue"] / rows["units"]).to_numpy(dtype=float),
        }
    )


def base_rate(sales: pd.DataFrame, sku: str, end: date, days: int = BASE_WINDOW_DAYS) -> tuple:
    """(units per day, average selling price or None) over the ``days`` days ending ``end``:
    units summed over channels / ``days``; ASP = revenue / units of the window."""
    start = pd.Timestamp(end - timedelta(days=days - 1))
    rows = sales[(sales["sku"] == sku) & (sales["date"] >= start)]
    rows = rows[rows["date"] <= pd.Timestamp(end)]
    units = float(rows["units"].fillna(0).sum())
    revenue = float(rows["revenue"].fillna(0).sum())
    return units / days, (revenue / units if units > 0 else None)


def aged_surcharge_per_unit(aging_rows: pd.DataFrame, cubic_feet: float) -> float:
    """Units-weighted aged surcharge per unit-month of a SKU's latest aging snapshot.

    ``sum_b units_b x fees.aged_surcharge(cubic_feet, low_b) / sum_b units_b``, ``low_b`` the
    first day of bucket b (0, 91, 181, 271, 366): the least surcharge the bucket's units
    certainly pay this month (Amazon's tiers are finer than the report's buckets). R-D3.
    """
    from stockcycle.kpi import BUCKET_RANGES

    if aging_rows.empty:
        return 0.0
    latest = aging_rows[aging_rows["snapshot_date"] == aging_rows["snapshot_date"].max()]
    total, charge = 0.0, 0.0
    for bucket, units in zip(latest["bucket"], latest["units"].fillna(0), strict=True):
        if bucket not in BUCKET_RANGES or units <= 0:
            continue
        total += float(units)
        charge += float(units) * fees.aged_surcharge(cubic_feet, BUCKET_RANGES[bucket][0])
    return charge / total if total > 0 else 0.0


def competitor_price_band(
    competitors: pd.DataFrame, own_asins: set[str] | None = None, asin: str | None = None
) -> dict[str, Any] | None:
    """Competitor prices of the latest Xray snapshot (R-D4): n, q1, median, q3, min, max.

    Only the searches whose snapshots list ``asin`` (the SKU's own listing) when there are
    such searches; otherwise every search, and ``sku_listed`` is False (the band may be of
    another product type). One price per ASIN (a sponsored and an organic row of one listing
    count once); the seller's own ASINs are left out. Quantiles are pandas' linear ones. None
    without data.
    """
    if competitors.empty:
        return None
    listed = False
    if asin:
        mine = competitors.loc[competitors["asin"].astype(str) == asin, "search"].dropna()
        if len(mine):
            competitors = competitors[competitors["search"].isin(set(mine))]
            listed = True
    snap = competitors["snapshot_date"].max()
    rows = competitors[competitors["snapshot_date"] == snap]
    rows = rows[~rows["asin"].astype(str).isin(own_asins or set())]
    prices = rows.drop_duplicates("asin")["price"].dropna().astype(float)
    prices = prices[prices > 0]
    if prices.empty:
        return None
    searches = sorted({str(s) for s in rows["search"].dropna()})
    return {
        "snapshot_date": snap.date(),
        "search": ", ".join(searches),
        "n": int(len(prices)),
        "min": float(prices.min()),
        "q1": float(prices.quantile(0.25)),
        "median": float(prices.quantile(0.5)),
        "q3": float(prices.quantile(0.75)),
        "max": float(prices.max()),
        "sku_listed": listed,
        "source": f"latest Helium 10 Xray snapshot ({snap.date()}), own ASINs excluded",
    }


def weekly_decline(change_8w: float | None) -> float:
    """Weekly demand decline implied by an 8-week level change: ``1 - (1 + c)^(1/8)`` when
    ``c`` < 0 (sales fell), else 0; at most ``MAX_WEEKLY_DECLINE``. A 34.4% fall over 8 weeks
    is about 5% a week."""
    c = optional_number(change_8w)
    if c is None or c >= 0:
        return 0.0
    return min(MAX_WEEKLY_DECLINE, 1 - max(0.0, 1 + c) ** (1 / 8))


#: Longest per-day holding-cost schedule built for the exit date (10 years); past its end its
#: last day repeats (``pricing.exit_timeline``), so stock that takes longer to sell is costed at
#: that day's storage rate and the oldest surcharge tier reached.
MAX_SCHEDULE_DAYS = 3650


@dataclass(frozen=True)
class AgeCohorts:
    """Stock split by age, OLDEST FIRST (FIFO sells them in this order): the input of the
    per-day holding-cost schedule of the exit date (R-E2, R-K2)."""

    labels: list[str]  # aging bucket of each cohort ("unknown" without an aging report)
    units: list[float]  # units on hand in each cohort (sum = units on hand)
    ages: list[int]  # age in days on the as-of date
    source: str


def age_cohorts(aging_rows: pd.DataFrame, units_on_hand: float, as_of: date) -> AgeCohorts:
    """Age cohorts of a SKU's stock from its latest ``aging`` snapshot (R-K2), oldest first.

    One cohort per bucket with units; its age on ``as_of`` is the bucket's first day (0, 91,
    181, 271, 366: the youngest its units can be, so no surcharge tier is assumed before it
    certainly applies) plus the days from the snapshot to ``as_of``. The bucket units are
    scaled by ``units_on_hand / aging units`` so the cohorts hold the stock the exit date
    clears (the aging report may be older or count fewer locations). Without a report: one
    cohort of age 0 (treated as new stock: no surcharge until it is 181 days old).
    """
    from stockcycle.kpi import BUCKET_RANGES

    if len(aging_rows):
        snap = aging_rows["snapshot_date"].max()
        latest = aging_rows[aging_rows["snapshot_date"] == snap]
        shift = max(0, (as_of - snap.date()).days)
        found = [
            (str(b), float(u))
            for b, u in zip(latest["bucket"], latest["units"].fillna(0), strict=True)
            if b in BUCKET_RANGES and u > 0
        ]
        total = sum(u for _b, u in found)
        if total > 0:
            found.sort(key=lambda bu: -BUCKET_RANGES[bu[0]][0])
            scale = units_on_hand / total
            return AgeCohorts(
                labels=[b for b, _u in found],
                units=[u * scale for _b, u in found],
                ages=[int(BUCKET_RANGES[b][0]) + shift for b, _u in found],
                source=(
                    f"aging snapshot {snap.date()}: each bucket at its first day + {shift} days, "
                    f"units scaled by {scale:.3g} to the stock on hand; FIFO sells the oldest first"
                ),
            )
    return AgeCohorts(
        ["unknown"], [units_on_hand], [0], "no aging report: all units taken as new (age 0)"
    )


@dataclass(frozen=True)
class CostStep:
    """A day on which the holding cost of some units changes (storage month or surcharge tier)."""

    date: date
    days: int  # days after the as-of date
    kind: str  # "storage" or "surcharge"
    cohort: str | None  # aging bucket of the units a surcharge step applies to
    before: float  # per unit-month
    after: float
    text: str


def holding_cost_schedule(
    cubic_feet: float,
    size_tier: str | None,
    as_of: date,
    cohorts: AgeCohorts,
    days: int,
) -> tuple[np.ndarray, list[CostStep]]:
    """Per-day holding cost of one unit of each age cohort (R-E2, R-D3, R-K2) and its steps.

    ``c[d, j] = (fees.monthly_storage_fee(cf, size tier, month of day d) +
    fees.aged_surcharge(cf, age_j + d)) / days in that month`` for the day ``as_of + d``, d =
    0 .. ``days`` - 1: money per unit per day, the monthly fees spread over the days of their
    calendar month as in ``fees.holding_fees``. The steps list each day on which the monthly
    storage rate (Q4: October-December) or a cohort's surcharge tier changes, with the monthly
    amount before and after, per unit.
    """
    table = fees.load_fee_table()
    n_days = max(1, int(days))
    ages = np.array(cohorts.ages, dtype=int)
    surcharge: dict[int, float] = {}

    def aged(age: int) -> float:
        if age not in surcharge:
            surcharge[age] = fees.aged_surcharge(cubic_feet, age, table=table)
        return surcharge[age]

    rates = {m: fees.monthly_storage_fee(cubic_feet, size_tier, m, table) for m in range(1, 13)}
    out = np.empty((n_days, len(ages)))
    steps: list[CostStep] = []
    prev_storage: float | None = None
    prev_aged: list[float] | None = None
    for d in range(n_days):
        day = as_of + timedelta(days=d)
        month_days = calendar.monthrange(day.year, day.month)[1]
        storage = rates[day.month]
        now_aged = [aged(int(a) + d) for a in ages]
        out[d] = (storage + np.array(now_aged)) / month_days
        if prev_storage is not None and storage != prev_storage:
            name = "Q4 storage rate" if day.month == 10 else "off-peak storage rate"
            steps.append(
                CostStep(
                    day,
                    d,
                    "storage",
                    None,
                    prev_storage,
                    storage,
                    f"from {day} the {name} ({storage:,.2f} per unit-month, was "
                    f"{prev_storage:,.2f})",
                )
            )
        if prev_aged is not None:
            for j, (was, now) in enumerate(zip(prev_aged, now_aged, strict=True)):
                if now == was:
                    continue
                band = table.band("aged_surcharge", "per_cubic_foot_month", "standard", ages[j] + d)
                tier = (
                    ""
                    if band is None
                    else (f"{band.low:g}+" if band.high is None else f"{band.low:g}-{band.high:g}")
                )
                steps.append(
                    CostStep(
                        day,
                        d,
                        "surcharge",
                        cohorts.labels[j],
                        was,
                        now,
                        f"the {tier}-day aged-inventory surcharge tier from {day} for the units "
                        f"of the {cohorts.labels[j]}-day bucket (surcharge {now:,.2f} per "
                        f"unit-month, was {was:,.2f})",
                    )
                )
        prev_storage, prev_aged = storage, now_aged
    return out, steps


def _rates_today(cubic: float | None, size_tier: str | None, as_of: date, c: AgeCohorts) -> str:
    """Storage rate and surcharges in force on ``as_of``, per unit-month, for a reason text."""
    if cubic is None:
        return "no storage fee (cubic_feet blank)"
    storage = fees.monthly_storage_fee(cubic, size_tier, as_of.month)
    name = "the Q4 storage rate" if as_of.month >= 10 else "the off-peak storage rate"
    aged = [
        f"{fees.aged_surcharge(cubic, a):,.2f} surcharge on the {b}-day units"
        for b, a in zip(c.labels, c.ages, strict=True)
        if fees.aged_surcharge(cubic, a) > 0
    ]
    return f"{name} {storage:,.2f}" + "".join(f" + {x}" for x in aged) + " per unit-month"


def exit_reason(
    exit_on: date | None,
    timeline: pd.DataFrame,
    steps: list[CostStep],
    cohorts: AgeCohorts,
    units_per_day: float,
    exit_cost_share: float,
    today_rates: str = "today's rates",
) -> tuple[str, CostStep | None]:
    """Why the R-E2 rule fires on ``exit_on`` (or does not fire), and the cost step behind it.

    The step is the first cost RISE on or after the exit date that still applies to some units
    (FIFO at ``units_per_day``: a cohort is gone once the units sold pass the cohorts older
    than it and itself): the stock left then would pay more than ``exit_cost_share`` of its
    gross profit in storage once that dearer rate or tier applies, so the rule fires before
    it. Without such a step, the last rise before the exit date; without any, the costs
    alone. When the rule holds today no step is needed: the reason names ``today_rates``
    (e.g. "the Q4 storage rate 0.29 per unit-month") and the next rise, if any.
    """
    rows = timeline.set_index("date")
    bounds = np.cumsum(cohorts.units)

    def applies(step: CostStep) -> bool:
        sold = units_per_day * step.days
        if step.kind == "storage":
            return sold < bounds[-1]
        j = cohorts.labels.index(step.cohort) if step.cohort in cohorts.labels else 0
        return sold < bounds[j]

    rises = [s for s in steps if s.after > s.before and applies(s)]
    stocked = timeline[timeline["units_left"] > 0]
    if exit_on is None:
        if stocked.empty:
            return "no stock left to hold", None
        top = stocked.loc[stocked["cost_share"].idxmax()]
        return (
            f"keep selling: the storage still to pay until sell-out stays at or below "
            f"{exit_cost_share:.0%} of the remaining gross profit (highest "
            f"{top['cost_share']:.0%} on {top['date']})",
            None,
        )
    row = rows.loc[exit_on]
    gross = row["remaining_gross_profit"]
    figures = (
        f"storage and upkeep still to pay {row['future_cost']:,.2f} are "
        f"{row['cost_share']:.0%} of the remaining gross profit {gross:,.2f} (exit above "
        f"{exit_cost_share:.0%})"
    )
    if gross <= 0:
        return "the units left earn no gross profit (price <= cost per unit)", None
    days = int(row["days"])
    ahead = [s for s in rises if s.days >= days]
    if days == 0:
        # Nothing has to change for the rule to hold: today's rates already make it fire.
        later = f"; next rise: {ahead[0].text}" if ahead else ""
        return f"already today (at {today_rates}) the {figures}{later}", None
    if ahead:
        step = ahead[0]
        return f"{step.text}: on {exit_on} the {figures}", step
    before = [s for s in rises if s.days < days]
    if before:
        step = before[-1]
        return f"{step.text}: on {exit_on} the {figures}", step
    return f"on {exit_on} the {figures}", None


def clearance_analysis(
    ws: Workspace,
    sku: str,
    days: int = 30,
    ad_budget_per_day: float = 0.0,
    settings: Settings | None = None,
    weight_lb: float = DEFAULT_WEIGHT_LB,
) -> ClearanceAnalysis:
    """Clearance scenarios, sensitivity, markdown plan, exit date and residual value options of
    one SKU (R-D2..R-D5, R-E1..R-E3); inputs as described in the module docstring.

    - scenarios: ``pricing.clearance_scenarios`` over ``days`` with ``ad_budget_per_day``
      for the coupon + ads scenario;
    - sensitivity: profit of a 15% coupon with ads over ``SENSITIVITY_DAYS`` x
      ``SENSITIVITY_AD_BUDGETS``;
    - markdown plan: ``pricing.markdown_plan`` over ceil(days / 7) weeks, cost of selling a
      unit = FBA fee (the purchase cost is sunk), holding cost per unit-week = (storage + aged
      surcharge) / 30.42 x 7, salvage = liquidation net per unit;
    - exit date: ``pricing.exit_date`` with cost per unit = landed cost + FBA fee + referral
      x price, the settings' ``exit_cost_share`` (R-E2) and the per-day, per-age-cohort storage
      and surcharge schedule of ``holding_cost_schedule`` (FIFO; until sell-out at the base
      rate, at most ``MAX_SCHEDULE_DAYS``), with its reason (``exit_reason``); the base rate
      is held steady (the weekly decline only shapes the markdown plan);
    - residual value: ``pricing.residual_value_options`` with the liquidation net, removal and
      disposal fees (R-E3; the "other channel" price is not known here, so that option shows
      the removal cost only).
    """
    settings = settings or ws.settings()
    known = ws.skus()
    if sku not in known:
        raise InputError(
            f"unknown SKU '{sku}'",
            column="sku",
            expected="a SKU of the workspace (stockcycle info -w DIR lists them)",
        )
    d = int(days)
    if d < 1:
        raise InputError(f"--days is {days}", column="days", expected="1 day or more")
    if not (ad_budget_per_day >= 0 and math.isfinite(ad_budget_per_day)):
        raise InputError(
            f"--ad-budget is {ad_budget_per_day}", column="ad_budget", expected="0 or more per day"
        )
    sales = ws.read("sales", skus=[sku])
    products = ws.read("products")
    prod_rows = products[products["sku"] == sku].to_dict("records")
    prod = {k: v for k, v in prod_rows[0].items() if not pd.isna(v)} if prod_rows else {}
    missing: list[str] = []
    if not prod:
        missing.append("products row")

    end = data_end(ws)
    inventory = ws.read("inventory", skus=[sku])
    if len(inventory):
        pooled = policy.pooled_position(inventory)
        on_hand = float(pooled["on_hand"].sum())
        stock_when = inventory["snapshot_date"].max().date()
    else:
        on_hand, stock_when = 0.0, None
    rate, asp = base_rate(sales, sku, end)
    if on_hand <= 0:
        raise InputError(
            f"SKU {sku} has no stock on hand to clear",
            column="available",
            expected="an inventory snapshot with units available",
        )

    price = optional_number(prod.get("price"))
    price_source = "products.price"
    if price is None or price <= 0:
        missing.append("price")
        price, price_source = asp, f"average selling price of the last {BASE_WINDOW_DAYS} days"
    if price is None or price <= 0:
        raise InputError(
            f"SKU {sku} has no price and no recent sales to take one from",
            file="products table",
            column="price",
            expected="the selling price",
        )
    cost = optional_number(prod.get("unit_cost"))
    if cost is None:
        raise InputError(
            f"SKU {sku} has no unit cost",
            file="products table",
            column="unit_cost",
            expected="the purchase cost per unit",
        )
    freight = optional_number(prod.get("freight_cost"))
    landed = cost + (freight or 0.0) + settings.duty_rate * cost
    fba = optional_number(prod.get("fba_fee"))
    if fba is None:
        missing.append("fba_fee")
    referral = optional_number(prod.get("referral_pct"))
    referral_source = "products.referral_pct"
    if referral is None:
        referral = fees.DEFAULT_REFERRAL_RATE
        referral_source = f"default {referral:.0%} (referral_pct blank)"
    cubic = optional_number(prod.get("cubic_feet"))
    if cubic is None:
        missing.append("cubic_feet")
    size_tier = prod.get("size_tier")
    storage = fees.monthly_storage_fee(cubic, size_tier, end.month) if cubic is not None else 0.0
    aging = ws.read("aging", skus=[sku])
    surcharge = aged_surcharge_per_unit(aging, cubic) if cubic is not None else 0.0

    from stockcycle.lifecycle import stage_table

    stages = stage_table(ws, settings=settings)
    mine = stages[stages["sku"] == sku]
    stage = str(mine["stage"].iloc[0]) if len(mine) else None
    change = mine["change_8w"].iloc[0] if len(mine) and "change_8w" in mine else None
    decline = weekly_decline(change)
    notes = []
    if stage not in CLEARANCE_STAGES:
        notes.append(
            f"{sku} is in the {stage} stage: clearance and exit are meant for decline and exit "
            "SKUs (R-S2); the figures are shown anyway."
        )
    elasticity = pricing.estimate_elasticity(
        sku_sales_history(sales, sku), default=DEFAULT_ELASTICITY
    )
    scenarios = pricing.clearance_scenarios(
        on_hand,
        rate,
        price,
        cost,
        elasticity,
        fba or 0.0,
        referral,
        storage,
        surcharge,
        d,
        ad_cost_per_day=ad_budget_per_day,
    )
    grid = pricing.sensitivity(
        on_hand,
        rate,
        price,
        cost,
        elasticity,
        fba or 0.0,
        referral,
        storage,
        surcharge,
        durations_days=SENSITIVITY_DAYS,
        ad_costs_per_day=SENSITIVITY_AD_BUDGETS,
    )
    liquidation = fees.liquidation_recovery(
        price, on_hand, size_tier=size_tier, weight_lb=weight_lb
    )
    removal = fees.removal_fee(size_tier, weight_lb)
    disposal = fees.removal_fee(size_tier, weight_lb, kind="disposal")
    holding_week = (storage + surcharge) / DAYS_PER_MONTH * 7
    markdown = pricing.markdown_plan(
        on_hand,
        rate,
        price,
        fba or 0.0,
        elasticity,
        holding_week,
        max(1, math.ceil(d / 7)),
        salvage_value_per_unit=liquidation.net / on_hand,
        referral_rate=referral,
        demand_decline_per_week=decline,
    )
    sale_cost = landed + (fba or 0.0) + referral * price
    cohorts = age_cohorts(aging, on_hand, end)
    # Rising costs (R-E2): Q4 storage and the surcharge tiers each cohort climbs, per day.
    schedule_days = (
        MAX_SCHEDULE_DAYS if rate <= 0 else min(MAX_SCHEDULE_DAYS, math.ceil(on_hand / rate) + 1)
    )
    schedule, steps = (
        holding_cost_schedule(cubic, size_tier, end, cohorts, schedule_days)
        if cubic is not None
        else (np.zeros((1, len(cohorts.units))), [])
    )
    exit_args = {"holding_cost_per_unit_day": schedule, "cohort_units": cohorts.units}
    exit_when = pricing.exit_date(
        end,
        on_hand,
        rate,
        price,
        sale_cost,
        0.0,
        exit_cost_share=settings.exit_cost_share,
        **exit_args,
    )
    timeline = pricing.exit_timeline(end, on_hand, rate, price, sale_cost, 0.0, **exit_args)
    reason, step = exit_reason(
        exit_when,
        timeline,
        steps,
        cohorts,
        rate,
        settings.exit_cost_share,
        today_rates=_rates_today(cubic, size_tier, end, cohorts),
    )
    today = timeline.iloc[0]
    exit_check = {
        "units_left": float(today["units_left"]),
        "future_storage_and_upkeep": float(today["future_cost"]),
        "remaining_gross_profit": float(today["remaining_gross_profit"]),
        "cost_share": float(today["cost_share"]),
        "exit_cost_share": settings.exit_cost_share,
        "cost_per_unit": sale_cost,
        "cost_per_unit_source": "landed cost + FBA fee + referral rate x price",
        "storage_source": (
            "daily sum until sell-out of units held x (fees.monthly_storage_fee of the day's "
            "month + fees.aged_surcharge at each cohort's age) / days in the month, FIFO"
        ),
        "reason": reason,
        "cost_step": None if step is None else asdict(step),
    }
    if exit_when is not None:
        on = timeline.set_index("date").loc[exit_when]
        exit_check["on_exit_date"] = {
            "date": exit_when,
            "units_left": float(on["units_left"]),
            "future_storage_and_upkeep": float(on["future_cost"]),
            "remaining_gross_profit": float(on["remaining_gross_profit"]),
            "cost_share": float(on["cost_share"]),
        }
    residual = pricing.residual_value_options(
        on_hand,
        price,
        cost,
        rate,
        as_of=end,
        fba_fee=fba or 0.0,
        referral_rate=referral,
        storage_per_unit_month=storage + surcharge,
        liquidation_net=liquidation.net,
        removal_fee_per_unit=removal,
        disposal_fee_per_unit=disposal,
    )
    own = {str(a) for a in products["asin"].dropna()}
    asin = prod.get("asin")
    band = competitor_price_band(ws.read("competitors"), own, str(asin) if asin else None)

    stock_source = "latest inventory snapshot per location, available + reserved"
    inputs = {
        "as_of": _inp(end, "latest sales date in the workspace"),
        "units_on_hand": _inp(on_hand, f"{stock_source} (latest {stock_when})"),
        "base_units_per_day": _inp(
            rate, f"mean daily sales.units over the last {BASE_WINDOW_DAYS} days"
        ),
        "price": _inp(price, price_source),
        "unit_cost": _inp(cost, "products.unit_cost"),
        "landed_cost": _inp(
            landed, "unit_cost + freight_cost + duty_rate x unit_cost (settings.duty_rate)"
        ),
        "fba_fee": _inp(fba or 0.0, "products.fba_fee" if fba is not None else "blank: 0"),
        "referral_rate": _inp(referral, referral_source),
        "storage_per_unit_month": _inp(
            storage,
            f"fees.monthly_storage_fee(cubic_feet, size_tier, month {end.month})"
            if cubic is not None
            else "cubic_feet blank: 0",
        ),
        "aged_surcharge_per_unit_month": _inp(
            surcharge, "fees.aged_surcharge at each aging bucket's first day, units-weighted"
        ),
        "elasticity": _inp(elasticity.value, elasticity.source),
        "stage": _inp(stage, "lifecycle.stage_table (override or automatic)"),
        "demand_decline_per_week": _inp(
            decline, "1 - (1 + change_8w)^(1/8) from lifecycle.stage_table, 0 when not falling"
        ),
        "duration_days": _inp(d, "--days"),
        "ad_budget_per_day": _inp(ad_budget_per_day, "--ad-budget"),
        "weight_lb": _inp(weight_lb, "default: the products table has no weight column"),
        "removal_fee_per_unit": _inp(removal, "fees.removal_fee(size_tier, weight_lb)"),
        "disposal_fee_per_unit": _inp(disposal, "fees.removal_fee(..., kind='disposal')"),
        "exit_cost_share": _inp(settings.exit_cost_share, "settings.exit_cost_share (R-E2)"),
        "age_cohorts": _inp(
            [
                {"bucket": b, "units": u, "age_days": a}
                for b, u, a in zip(cohorts.labels, cohorts.units, cohorts.ages, strict=True)
            ],
            cohorts.source,
        ),
        "holding_cost_per_unit_week": _inp(
            holding_week, "(storage + aged surcharge) per unit-month / 30.42 x 7"
        ),
        "salvage_value_per_unit": _inp(
            liquidation.net / on_hand, "fees.liquidation_recovery net / units"
        ),
    }
    best = str(residual.loc[residual["recommended"], "option"].iloc[0])
    if exit_when is not None and best.startswith("keep selling"):
        # R-E2 and R-E3 answer different questions; say so rather than look contradictory.
        notes.append(
            "The exit rule (R-E2) counts the stock's purchase cost in its gross profit and finds "
            "the storage still to pay too high for it: stop replenishing and clear it. The "
            "residual values (R-E3) treat the purchase cost as spent and compare only the cash "
            "still to come, where selling it off on Amazon recovers the most: clear it through "
            "a scenario above rather than liquidate."
        )
    return ClearanceAnalysis(
        sku=sku,
        as_of=end,
        inputs=inputs,
        elasticity=elasticity,
        scenarios=scenarios,
        cash_by_week=pricing.clearance_cash_by_week(scenarios),
        sensitivity=grid,
        markdown=markdown,
        exit_date=exit_when,
        exit_check=exit_check,
        exit_reason=reason,
        cost_steps=steps,
        cohorts=cohorts,
        residual=residual,
        liquidation=liquidation,
        price_band=band,
        stage=stage,
        missing=missing,
        notes=notes,
    )
