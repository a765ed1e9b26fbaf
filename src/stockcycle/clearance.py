"""Clearance, markdown and exit of one SKU from a workspace (R-D1..R-D5, R-E1..R-E3).

Two layers, as every workflow service (DESIGN "Services"):

- ``load_clearance(ws, sku)`` reads the workspace ONCE and returns ``ClearanceInputs``: the
  figures below, the weekly sales with the R-D1 drops, open purchase orders with what
  cancelling each saves, the Xray price band of every snapshot, the SKU's keywords, and the
  R-E2 exit date on the per-day cost schedule (the only costly arithmetic);
- cheap pure functions of the seller's choices (the sliders): ``scenarios`` (discounts,
  buy-one-get-one, coupon + ads), ``stock_left_curves``, ``sensitivity_grid`` (promotion
  length x ad budget), ``markdown`` (the price path), ``dispositions`` (where the last units
  go, fees of the day), ``recommend`` (ONE exit date and way out with its reason) and
  ``order_list`` (the removal / liquidation order to download).

``clearance_analysis(ws, sku)`` runs both for the CLI. Where each input comes from (also in
``ClearanceInputs.inputs`` with its value and source):

- units on hand: the latest ``inventory`` snapshot of each location, pooled
  (``policy.pooled_position``: available + reserved);
- base sales rate: mean daily ``sales.units`` (all channels, days without a row count 0) over
  the ``BASE_WINDOW_DAYS`` days ending on the latest sales date;
- price: ``products.price``, else the average selling price of that window (revenue / units);
- elasticity: ``pricing.estimate_elasticity`` on the SKU's daily ``sales`` rows with
  price = revenue / units (per channel), else ``settings.price_elasticity_default`` (its
  ``source`` says which; the pages also take the seller's own figure);
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
- removal, disposal, liquidation: ``fees.removal_fee`` / ``fees.liquidation_recovery`` at
  ``products.shipping_weight_lb`` (``DEFAULT_WEIGHT_LB`` when blank, labelled "default used")
  and ``products.size_tier``, with the fees in force on the day compared (R-F3);
- life-cycle stage and weekly demand decline: ``lifecycle.stage_table`` (stage, and
  ``change_8w``, the sales level now against 8 weeks ago): decline per week
  ``g = 1 - (1 + change_8w)^(1/8)`` when sales fell, else 0 (the markdown plan lets demand
  fall by g a week, R-D1/R-E1);
- competitor price band (R-D4): quartiles and median of the prices in the latest Helium 10 Xray
  snapshot (``competitors``) of the SKU's search (``products.search``, else the searches
  listing its ASIN), the seller's own ASINs left out; ``price_band_history`` per snapshot.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from stockcycle import datadate, fees, policy, pricing
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
#: Discount levels of the scenarios (R-D2), shares of the price.
DEFAULT_DISCOUNTS = (0.10, 0.20, 0.30, 0.40)
#: Stages the analysis is meant for (R-S2); other stages get a note, not an error.
CLEARANCE_STAGES = frozenset({"decline", "exit"})
#: Largest weekly demand decline the markdown plan assumes.
MAX_WEEKLY_DECLINE = 0.5
#: Promotion lengths (days) and ad budgets ($/day) of the sensitivity grid (R-D5).
SENSITIVITY_DAYS = (7, 14, 30, 60, 90)
SENSITIVITY_AD_BUDGETS = (0, 10, 25, 50, 100)


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
    competitors: pd.DataFrame,
    own_asins: set[str] | None = None,
    asin: str | None = None,
    search: str | None = None,
) -> dict[str, Any] | None:
    """Competitor prices of the latest Xray snapshot (R-D4): n, q1, median, q3, min, max and
    the lowest organic (not sponsored) price.

    The SKU's own ``search`` (products.search) when its snapshots exist; else only the
    searches whose snapshots list ``asin`` (the SKU's own listing) when there are such
    searches; otherwise every search, and ``sku_listed`` is False (the band may be of
    another product type). One price per ASIN (a sponsored and an organic row of one listing
    count once); the seller's own ASINs are left out. Quantiles are pandas' linear ones. None
    without data.
    """
    if competitors.empty:
        return None
    listed = False
    if search and (competitors["search"].astype(str) == search).any():
        competitors = competitors[competitors["search"].astype(str) == search]
        listed = True
    elif asin:
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
    sponsored = (
        rows["sponsored"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        if "sponsored" in rows
        else np.zeros(len(rows), dtype=bool)
    )
    organic = rows.loc[~sponsored, "price"].dropna().astype(float)
    organic = organic[organic > 0]
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
        "lowest_organic": float(organic.min()) if len(organic) else None,
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
    surcharge: dict[tuple[int, int], float] = {}

    # The surcharge tiers in force change on known days (the fee table's dates), so the
    # cache is keyed by age and by the set of rows in force, not by every day.
    changes = sorted(
        {d for d in table.rows["effective_from"]}
        | {d + timedelta(days=1) for d in table.rows["effective_to"].dropna()}
    )

    def aged(age: int, day: date) -> float:
        epoch = sum(1 for c in changes if c <= day)
        if (age, epoch) not in surcharge:
            surcharge[(age, epoch)] = fees.aged_surcharge(cubic_feet, age, table=table, on=day)
        return surcharge[(age, epoch)]

    rates = {m: fees.monthly_storage_fee(cubic_feet, size_tier, m, table) for m in range(1, 13)}
    out = np.empty((n_days, len(ages)))
    steps: list[CostStep] = []
    prev_storage: float | None = None
    prev_aged: list[float] | None = None
    for d in range(n_days):
        day = as_of + timedelta(days=d)
        month_days = calendar.monthrange(day.year, day.month)[1]
        storage = rates[day.month]
        now_aged = [aged(int(a) + d, day) for a in ages]
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
                band = table.band(
                    "aged_surcharge", "per_cubic_foot_month", "standard", ages[j] + d, day
                )
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


# --------------------------------------------------------------------------- the loader


@dataclass
class ClearanceInputs:
    """Everything read from the workspace (and computed from it once) for one SKU's clearance
    and exit: the input of the cheap scenario functions below (``load_clearance``).

    The pages cache one of these per SKU, data version and settings; moving a slider then only
    reruns ``scenarios``, ``sensitivity_grid``, ``markdown``, ``dispositions`` and
    ``recommend``, each a few milliseconds to a few hundred.
    """

    sku: str
    as_of: date  # the data date: latest sales day (R-T1)
    today: date  # the day the plan is made (datadate.today())
    on_hand: float
    stock_when: date | None
    rate: float  # base units per day (last BASE_WINDOW_DAYS days)
    price: float
    cost: float  # products.unit_cost
    landed: float  # unit cost + freight + duty
    fba: float
    referral: float
    cubic: float | None
    size_tier: str | None
    weight_lb: float
    weight_default: bool  # True: DEFAULT_WEIGHT_LB used, the products row has no weight
    storage: float  # per unit-month, month of as_of
    surcharge: float  # aged surcharge per unit-month, units-weighted
    stage: str | None
    decline: float  # weekly demand decline for the markdown plan
    elasticity: pricing.Elasticity  # own estimate, or the default from settings
    default_elasticity: float  # settings.price_elasticity_default
    exit_cost_share: float
    cohorts: AgeCohorts
    steps: list[CostStep]
    timeline: pd.DataFrame  # pricing.exit_timeline with the per-day cost schedule
    exit_date: date | None  # R-E2 rule alone
    exit_reason: str
    exit_step: CostStep | None
    exit_check: dict[str, Any]
    price_band: dict[str, Any] | None
    price_bands: pd.DataFrame  # one row per Xray snapshot (R-D4)
    weekly: pd.DataFrame  # weekly sales with the R-D1 drops marked
    drop_run: int  # latest consecutive weekly drops
    open_orders: pd.DataFrame  # open POs with what trimming or cancelling saves
    keywords: pd.DataFrame  # the SKU's keywords: search volume and trend (R-E2)
    inputs: dict[str, dict[str, Any]]
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def elasticity_for(self, choice: str | float | None = None) -> pricing.Elasticity:
        """The elasticity a scenario uses, always labelled: ``None``/"estimate" = the loaded
        one (own history, else the default); "default" = the settings' default; a number = the
        seller's own figure."""
        if choice is None or choice == "estimate":
            return self.elasticity
        if choice == "default":
            return pricing.Elasticity(
                self.default_elasticity,
                self.default_elasticity,
                self.default_elasticity,
                math.nan,
                0,
                "category default",
                "the default you set on the Settings page",
            )
        value = float(choice)
        if not (math.isfinite(value) and value < 0):
            raise InputError(
                f"elasticity is {choice}", column="elasticity", expected="a negative number"
            )
        return pricing.Elasticity(
            value, value, value, math.nan, 0, "your own figure", "entered on the page"
        )


def weekly_sales(
    ws: Workspace, sku: str, drop: float, weeks: int = 16, end: date | None = None
) -> tuple[pd.DataFrame, int]:
    """Weekly sales of the last ``weeks`` 7-day blocks ending on the data date (or ``end``,
    when earlier) with the week-over-week changes and the R-D1 drops marked: (frame, latest
    consecutive drops).

    Columns: week_end, units (7 x mean in-stock daily demand, ``lifecycle.weekly_levels``),
    change (units / previous week's units - 1), drop (change <= -``drop``), in_run (the drop
    is one of the latest run of consecutive drops, ``lifecycle.weekly_drop_run``). R-D1.
    """
    from stockcycle.lifecycle import sku_level_history, weekly_drop_run, weekly_levels

    history = sku_level_history(ws, sku)
    if end is not None and len(history):
        history = history[pd.to_datetime(history["date"]) <= pd.Timestamp(end)]
    if history.empty:
        empty = pd.DataFrame(columns=["week_end", "units", "change", "drop", "in_run"])
        return empty, 0
    demand = pd.Series(history["demand"].to_numpy(), index=pd.DatetimeIndex(history["date"]))
    levels = weekly_levels(demand).sort_values("week").tail(weeks + 1)
    run = weekly_drop_run(levels, drop)
    units = levels["level"].to_numpy(dtype=float) * 7
    change = np.full(len(units), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        change[1:] = np.where(units[:-1] > 0, units[1:] / units[:-1] - 1, np.nan)
    frame = pd.DataFrame(
        {
            "week_end": pd.to_datetime(levels["end"]).dt.date.to_numpy(),
            "units": units,
            "change": change,
        }
    ).iloc[1:]
    frame["drop"] = frame["change"] <= -drop
    frame["in_run"] = [i >= len(frame) - run for i in range(len(frame))]
    return frame.reset_index(drop=True), run


def open_order_savings(
    orders: pd.DataFrame,
    as_of: date,
    on_hand: float,
    rate: float,
    landed: float,
    storage_per_unit_month: float,
) -> pd.DataFrame:
    """Open purchase orders of one SKU with what cancelling each saves (R-D1 "cancel or trim
    open orders"), in ETA order.

    - cash saved = units x landed cost (unit cost + freight + duty);
    - storage saved = storage per unit-month / 30.42 x unit-days the order's units would be
      held: they arrive on the ETA behind A units (stock on hand and earlier orders), of which
      ``max(0, A - q x days to ETA)`` are still there, so they wait ``W = that / q`` days and
      then sell over ``u / q`` days: unit-days = ``u W + u^2 / (2 q)`` at the base rate q
      (infinite when q = 0: they would never sell).

    Trimming: the units cut from an order are its last to sell, each held ``W + u / q`` days,
    so each unit trimmed saves ``landed + storage per unit-month / 30.42 x (W + u / q)``
    (``saved_per_unit_trimmed``; the first unit cut saves the most, the saving shrinks with
    each further unit).

    Columns: po, eta, units, status, cash_saved, storage_saved, saved_per_unit_trimmed,
    sells_out (date the order's last unit would sell). R-D1, R-D3.
    """
    cols = [
        "po",
        "eta",
        "units",
        "status",
        "cash_saved",
        "storage_saved",
        "saved_per_unit_trimmed",
        "sells_out",
    ]
    if orders.empty:
        return pd.DataFrame(columns=cols)
    from stockcycle.restock import open_orders  # one definition of "open" (status, ETA)

    rows = open_orders(orders, as_of).sort_values("eta", na_position="last")
    ahead = on_hand
    out = []
    for r in rows.itertuples(index=False):
        units = float(r.units or 0)
        eta = r.eta.date() if pd.notna(r.eta) else as_of
        days = max(0, (eta - as_of).days)
        if rate > 0:
            waiting = max(0.0, ahead - rate * days) / rate
            unit_days = units * waiting + units**2 / (2 * rate)
            last_held = waiting + units / rate
            sells_out = eta + timedelta(days=math.ceil(last_held))
        else:
            unit_days, last_held, sells_out = math.inf, math.inf, None
        per_day = storage_per_unit_month / DAYS_PER_MONTH
        out.append(
            {
                "po": str(r.po),
                "eta": eta,
                "units": units,
                "status": "" if pd.isna(r.status) else str(r.status),
                "cash_saved": units * landed,
                "storage_saved": per_day * unit_days,
                "saved_per_unit_trimmed": landed + per_day * last_held,
                "sells_out": sells_out,
            }
        )
        ahead += units
    return pd.DataFrame(out, columns=cols)


def price_band_history(
    competitors: pd.DataFrame,
    own_asins: set[str] | None = None,
    asin: str | None = None,
    search: str | None = None,
) -> pd.DataFrame:
    """``competitor_price_band`` of every Xray snapshot, oldest first (R-D4: how the band
    moved). Columns: snapshot_date, n, min, q1, median, q3, max, lowest_organic, search."""
    cols = ["snapshot_date", "n", "min", "q1", "median", "q3", "max", "lowest_organic", "search"]
    if competitors.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for snap in sorted(competitors["snapshot_date"].dropna().unique()):
        band = competitor_price_band(
            competitors[competitors["snapshot_date"] == snap], own_asins, asin, search
        )
        if band:
            rows.append({c: band.get(c) for c in cols})
    return pd.DataFrame(rows, columns=cols)


def sku_keywords(keywords: pd.DataFrame, products: pd.DataFrame, sku: str) -> pd.DataFrame:
    """The SKU's keywords (``priority.match_keywords``: every word in its title or category)
    with their search volume per snapshot and the latest trend (R-E2 "search volume falling").

    Columns: keyword, snapshot_date, search_volume, trend."""
    from stockcycle.priority import match_keywords

    cols = ["keyword", "snapshot_date", "search_volume", "trend"]
    if keywords.empty or products.empty:
        return pd.DataFrame(columns=cols)
    mine = match_keywords(keywords, products[products["sku"] == sku])
    rows = keywords[keywords["keyword"].isin(set(mine["keyword"]))]
    return rows.reindex(columns=cols).sort_values(["keyword", "snapshot_date"], ignore_index=True)


def search_trend(table: pd.DataFrame) -> float | None:
    """Search-volume trend of a SKU's keywords: ``sum(volume x trend) / sum(volume)`` over
    the latest snapshot's keywords with a trend (the Cerebro/Keyword Tracker change, 0.25 =
    +25%); with several snapshots and no trend column, total volume now / total at the first
    snapshot - 1. None without keywords. R-E2 (demand saturation)."""
    if table.empty:
        return None
    latest = table[table["snapshot_date"] == table["snapshot_date"].max()]
    rated = latest.dropna(subset=["trend", "search_volume"])
    if len(rated) and rated["search_volume"].sum() > 0:
        return float((rated["search_volume"] * rated["trend"]).sum() / rated["search_volume"].sum())
    first = table[table["snapshot_date"] == table["snapshot_date"].min()]
    if first is not latest and first["search_volume"].sum() > 0:
        return float(latest["search_volume"].sum() / first["search_volume"].sum() - 1)
    return None


def _until(table: pd.DataFrame, column: str, end: date) -> pd.DataFrame:
    """The rows of ``table`` dated on or before ``end`` (a look back at an earlier day)."""
    if table.empty or column not in table:
        return table
    return table[pd.to_datetime(table[column]) <= pd.Timestamp(end)]


def load_clearance(
    ws: Workspace,
    sku: str,
    *,
    settings: Settings | None = None,
    as_of: date | None = None,
    today: date | None = None,
    stages: pd.DataFrame | None = None,
) -> ClearanceInputs:
    """Read one SKU's clearance and exit inputs from the workspace, once (module docstring
    lists where each comes from), and compute the R-E2 exit date on them.

    ``as_of`` (default: the data date) looks back: sales, inventory and aging snapshots, Xray
    and keyword snapshots and the weekly sales are cut at that day, and the fees are those in
    force then; the stage stays the one of the whole data (``lifecycle.stage_table`` has no
    date). ``stages`` may be passed by a caller that has it (a page caches it); otherwise it
    is computed. ``today`` defaults to ``datadate.today()``. Raises ``InputError`` for an
    unknown SKU, no stock, no price or no unit cost.
    """
    from stockcycle import datadate
    from stockcycle.lifecycle import stage_table

    settings = settings or ws.settings()
    today = today or datadate.today()
    if sku not in ws.skus():
        raise InputError(
            f"unknown SKU '{sku}'",
            column="sku",
            expected="a SKU of the workspace (stockcycle info -w DIR lists them)",
        )
    sales = ws.read("sales", skus=[sku])
    products = ws.read("products")
    prod = ws.product_rows().get(sku, {})
    missing: list[str] = []
    if not prod:
        missing.append("products row")

    end = as_of or data_end(ws)
    inventory = _until(ws.read("inventory", skus=[sku]), "snapshot_date", end)
    sales = _until(sales, "date", end)
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
    weight = optional_number(prod.get("shipping_weight_lb"))
    weight_default = weight is None or weight <= 0
    if weight_default:
        weight = DEFAULT_WEIGHT_LB
        missing.append("shipping_weight_lb")
    storage = fees.monthly_storage_fee(cubic, size_tier, end.month) if cubic is not None else 0.0
    aging = _until(ws.read("aging", skus=[sku]), "snapshot_date", end)
    surcharge = aged_surcharge_per_unit(aging, cubic) if cubic is not None else 0.0

    stages = stage_table(ws, settings=settings) if stages is None else stages
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
    default_e = float(settings.price_elasticity_default)
    elasticity = pricing.estimate_elasticity(sku_sales_history(sales, sku), default=default_e)

    sale_cost = landed + (fba or 0.0) + referral * price
    cohorts = age_cohorts(aging, on_hand, end)
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
    first = timeline.iloc[0]
    exit_check = {
        "units_left": float(first["units_left"]),
        "future_storage_and_upkeep": float(first["future_cost"]),
        "remaining_gross_profit": float(first["remaining_gross_profit"]),
        "cost_share": float(first["cost_share"]),
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
    own = {str(a) for a in products["asin"].dropna()} if "asin" in products else set()
    asin = prod.get("asin")
    search = prod.get("search")
    competitors = _until(ws.read("competitors"), "snapshot_date", end)
    band_args = (own, str(asin) if asin else None, str(search) if search else None)
    band = competitor_price_band(competitors, *band_args)
    bands = price_band_history(competitors, *band_args)
    weekly, run = weekly_sales(ws, sku, settings.decline_weekly_drop, end=end)
    orders = ws.read("purchase_orders", skus=[sku])
    open_orders = open_order_savings(orders, end, on_hand, rate, landed, storage + surcharge)
    keywords = sku_keywords(_until(ws.read("keywords"), "snapshot_date", end), products, sku)

    stock_source = "latest inventory snapshot per location, available + reserved"
    inputs = {
        "as_of": _inp(end, "as_of given" if as_of else "latest sales date in the workspace"),
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
        "weight_lb": _inp(
            weight,
            f"default {DEFAULT_WEIGHT_LB:g} lb used: products.shipping_weight_lb is blank"
            if weight_default
            else "products.shipping_weight_lb",
        ),
        "size_tier": _inp(
            fees.storage_tier(size_tier),
            "products.size_tier" if size_tier else "products.size_tier blank: standard used",
        ),
        "exit_cost_share": _inp(settings.exit_cost_share, "settings.exit_cost_share (R-E2)"),
        "age_cohorts": _inp(
            [
                {"bucket": b, "units": u, "age_days": a}
                for b, u, a in zip(cohorts.labels, cohorts.units, cohorts.ages, strict=True)
            ],
            cohorts.source,
        ),
    }
    return ClearanceInputs(
        sku=sku,
        as_of=end,
        today=today,
        on_hand=on_hand,
        stock_when=stock_when,
        rate=rate,
        price=price,
        cost=cost,
        landed=landed,
        fba=fba or 0.0,
        referral=referral,
        cubic=cubic,
        size_tier=size_tier,
        weight_lb=weight,
        weight_default=weight_default,
        storage=storage,
        surcharge=surcharge,
        stage=stage,
        decline=decline,
        elasticity=elasticity,
        default_elasticity=default_e,
        exit_cost_share=settings.exit_cost_share,
        cohorts=cohorts,
        steps=steps,
        timeline=timeline,
        exit_date=exit_when,
        exit_reason=reason,
        exit_step=step,
        exit_check=exit_check,
        price_band=band,
        price_bands=bands,
        weekly=weekly,
        drop_run=run,
        open_orders=open_orders,
        keywords=keywords,
        inputs=inputs,
        missing=missing,
        notes=notes,
    )


# --------------------------------------------------------------------------- scenarios (pure)


def scenario_list(
    discounts: Sequence[float] = DEFAULT_DISCOUNTS, coupon: float = 0.15
) -> list[pricing.Scenario]:
    """No change, the ``discounts`` (shares of the price), buy-one-get-one and a ``coupon``
    with the ad budget (R-D2; ``pricing``'s scenarios)."""
    for share in (*discounts, coupon):
        if not (0 <= share < 1):
            raise InputError(f"discount is {share}", column="discount", expected="0 to 99%")
    return [
        pricing.Scenario("no change"),
        *(pricing.discount(s) for s in sorted(set(discounts))),
        pricing.bogo(),
        pricing.coupon_with_ads(coupon),
    ]


def _check_days(days: float, ad_budget: float) -> int:
    d = int(days)
    if d < 1:
        raise InputError(f"--days is {days}", column="days", expected="1 day or more")
    if not (ad_budget >= 0 and math.isfinite(ad_budget)):
        raise InputError(
            f"--ad-budget is {ad_budget}", column="ad_budget", expected="0 or more per day"
        )
    return d


def scenarios(
    inp: ClearanceInputs,
    days: int = 30,
    ad_budget_per_day: float = 0.0,
    *,
    elasticity: pricing.Elasticity | None = None,
    scenario_set: Sequence[pricing.Scenario] | None = None,
) -> pd.DataFrame:
    """``pricing.clearance_scenarios`` on the loaded inputs (R-D2, R-D3, R-D5): units per
    day from the elasticity, days to clear, revenue, fees, ad cost, storage and aged surcharge
    avoided, profit and cash in per week, for a promotion of ``days`` days with
    ``ad_budget_per_day`` of extra ads on the coupon scenario."""
    d = _check_days(days, ad_budget_per_day)
    return pricing.clearance_scenarios(
        *_scenario_economics(inp, elasticity),
        d,
        scenarios=scenario_set,
        ad_cost_per_day=ad_budget_per_day,
    )


def _scenario_economics(inp: ClearanceInputs, elasticity: pricing.Elasticity | None) -> tuple:
    """The positional inputs ``pricing.clearance_scenarios`` and ``pricing.sensitivity`` share:
    stock, base rate, price, unit cost, elasticity (the loaded one unless given), FBA fee,
    referral rate, storage and aged surcharge per unit-month."""
    return (
        inp.on_hand,
        inp.rate,
        inp.price,
        inp.cost,
        elasticity or inp.elasticity,
        inp.fba,
        inp.referral,
        inp.storage,
        inp.surcharge,
    )


def stock_left_curves(inp: ClearanceInputs, table: pd.DataFrame, horizon_days: int) -> pd.DataFrame:
    """Stock left on each day of each scenario of a ``scenarios`` table: ``N - r t`` during
    the promotion (r its units per day), then falling at the base rate, never below 0.
    Long format: scenario, day, date, stock_left (for the chart of R-D2)."""
    n, q0 = inp.on_hand, inp.rate
    duration = float(table.attrs.get("duration_days", 0))
    t = np.arange(0, int(horizon_days) + 1, dtype=float)
    frames = []
    for r in table.itertuples(index=False):
        during = n - r.units_per_day * np.minimum(t, duration)
        after = np.maximum(0.0, n - r.units_per_day * duration) - q0 * np.maximum(0, t - duration)
        left = np.maximum(0.0, np.where(t <= duration, during, after))
        frames.append(
            pd.DataFrame(
                {
                    "scenario": r.scenario,
                    "day": t.astype(int),
                    "date": [inp.today + timedelta(days=int(x)) for x in t],
                    "stock_left": left,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def sensitivity_grid(
    inp: ClearanceInputs,
    scenario: pricing.Scenario | None = None,
    durations: Sequence[float] = SENSITIVITY_DAYS,
    ad_budgets: Sequence[float] = SENSITIVITY_AD_BUDGETS,
    *,
    elasticity: pricing.Elasticity | None = None,
) -> pd.DataFrame:
    """Profit of ``scenario`` (default a 15% coupon with ads) over promotion length (rows) x
    ad budget per day (columns), ``pricing.sensitivity`` (R-D5)."""
    return pricing.sensitivity(
        *_scenario_economics(inp, elasticity),
        scenario=scenario,
        durations_days=durations,
        ad_costs_per_day=ad_budgets,
    )


def salvage_per_unit(inp: ClearanceInputs, on: date | None = None) -> float:
    """Liquidation net per unit (``fees.liquidation_recovery`` at the SKU's size tier and
    shipping weight, fees in force on ``on``): what a unit left after the markdown fetches."""
    liq = fees.liquidation_recovery(
        inp.price, 1, size_tier=inp.size_tier, weight_lb=inp.weight_lb, on=on
    )
    return liq.net


def markdown(
    inp: ClearanceInputs, weeks: int, *, elasticity: pricing.Elasticity | None = None
) -> pd.DataFrame:
    """``pricing.markdown_plan`` of the stock on hand over ``weeks`` weeks (R-E1): cost of
    selling a unit = FBA fee (the purchase cost is sunk), holding cost per unit-week =
    (storage + aged surcharge) / 30.42 x 7, salvage = liquidation net per unit at the end,
    weekly demand falling by the SKU's decline. Adds the columns ``date`` (first day of each
    week, from today) and ``cash`` (cumulative net cash)."""
    w = int(weeks)
    if w < 1:
        raise InputError(f"weeks is {weeks}", column="weeks", expected="1 week or more")
    holding_week = (inp.storage + inp.surcharge) / DAYS_PER_MONTH * 7
    end = inp.today + timedelta(weeks=w)
    plan = pricing.markdown_plan(
        inp.on_hand,
        inp.rate,
        inp.price,
        inp.fba,
        elasticity or inp.elasticity,
        holding_week,
        w,
        salvage_value_per_unit=salvage_per_unit(inp, end),
        referral_rate=inp.referral,
        demand_decline_per_week=inp.decline,
    )
    plan.insert(1, "date", [inp.today + timedelta(weeks=int(k) - 1) for k in plan["week"]])
    plan["cash"] = plan["net"].cumsum()
    plan.attrs["holding_cost_per_unit_week"] = holding_week
    plan.attrs["salvage_value_per_unit"] = salvage_per_unit(inp, end)
    return plan


def dispositions(
    inp: ClearanceInputs,
    on: date,
    units: float,
    *,
    other_channel_price: float = 0.0,
    other_channel_cost: float = 0.0,
    donation_value: float = 0.0,
) -> pd.DataFrame:
    """Where the last ``units`` go, compared on the day ``on`` (R-E3, R-F3): keep selling,
    FBA liquidation, removal to own warehouse / another channel, donation, disposal, each
    recovery minus cost (``pricing.residual_value_options``, purchase cost sunk), with the
    fees in force on ``on`` by shipping weight and size tier.

    Fees: liquidation ``fees.liquidation_recovery`` (recovery share of the price, processing
    fee by weight, referral on the gross); removal and disposal ``fees.removal_fee``; keep
    selling pays storage + aged surcharge per unit-month. Adds ``fee_per_unit`` (the Amazon
    fee per unit of each way out) and ``recommended`` (best net)."""
    n = float(units)
    if n < 0 or not math.isfinite(n):
        raise InputError(f"units is {units}", column="units", expected="0 or more")
    liq = fees.liquidation_recovery(
        inp.price, n, size_tier=inp.size_tier, weight_lb=inp.weight_lb, on=on
    )
    removal = fees.removal_fee(inp.size_tier, inp.weight_lb, on=on)
    disposal = fees.removal_fee(inp.size_tier, inp.weight_lb, kind="disposal", on=on)
    table = pricing.residual_value_options(
        n,
        inp.price,
        inp.cost,
        inp.rate,
        as_of=on,
        fba_fee=inp.fba,
        referral_rate=inp.referral,
        storage_per_unit_month=inp.storage + inp.surcharge,
        liquidation_net=liq.net,
        removal_fee_per_unit=removal,
        disposal_fee_per_unit=disposal,
        other_channel_price_per_unit=other_channel_price,
        other_channel_cost_per_unit=other_channel_cost,
        donation_value_per_unit=donation_value,
    )
    table["fee_per_unit"] = [
        inp.fba + inp.referral * inp.price,
        liq.processing_fee_per_unit + liq.referral_rate * liq.recovery_rate * inp.price,
        removal,
        disposal,
        disposal,
    ]
    table.attrs.update(
        {
            "liquidation": liq,
            "removal_fee_per_unit": removal,
            "disposal_fee_per_unit": disposal,
            "on": on,
            "units": n,
        }
    )
    return table


@dataclass(frozen=True)
class Recommendation:
    """One exit decision for a SKU (R-E2 with R-E3): what to do, from when, with the reason."""

    action: str  # "Keep selling" | "Mark down and sell off" | "Liquidate" | ...
    exit_date: date | None  # None: no exit needed before the stock sells out
    disposition: str  # the residual option chosen ("keep selling", "liquidation", ...)
    units: float  # units that go that way
    net: float  # recovery - cost of that way out
    trigger: str  # "storage rule" | "successor product" | "none"
    reason: str
    overdue_days: int  # days the exit date is already past today (0 when not)
    when_text: str  # "on 2026-11-30" | "now (overdue by 3 days)" | "today"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def explain(self, exit_cost_share: float) -> str:
        """How the one answer is reached (R-E2 with R-E3), with this SKU's figures."""
        return (
            "One answer from two rules that weigh costs differently. R-E2 counts what the "
            "stock cost in the gross profit it still holds and sets the exit date when the "
            f"storage still to pay passes {exit_cost_share:g} of it (or a successor's launch, "
            "if earlier). R-E3 then compares, on that date and with that day's fees, what each "
            "way out brings back for the units left, treating what they cost as spent: when "
            "selling on Amazon still brings the most, the answer is to mark the price down and "
            "sell off (the markdown plan), otherwise the best way out. A date already past is "
            "overdue (R-T1).\n\n"
            f"Exit date: {self.exit_date or 'none'} ({self.trigger}); units left then: "
            f"{self.units:,.0f}; way out: {self.disposition}, net {self.net:,.2f}."
        )


_ACTIONS = {
    "liquidation": "Liquidate",
    "removal to another channel": "Remove to own warehouse or another channel",
    "donation": "Donate",
    "disposal": "Dispose",
}


def when_text(day: date, today: date) -> tuple[str, int]:
    """ "today", "on <date>" or "now (overdue by N days)" for a planned date (R-T1: a date
    already past is shown as overdue, never silently)."""
    late = (today - day).days
    if late > 0:
        return f"now (overdue by {datadate.days_text(late)}, due {day})", late
    if late == 0:
        return "today", 0
    return f"on {day}", 0


def units_left_on(inp: ClearanceInputs, day: date) -> float:
    """Units still on hand on ``day`` when selling on at the base rate (the exit timeline)."""
    if day <= inp.as_of:
        return inp.on_hand
    return max(0.0, inp.on_hand - inp.rate * (day - inp.as_of).days)


def recommend(
    inp: ClearanceInputs,
    successor_date: date | None = None,
    table: pd.DataFrame | None = None,
    **options: float,
) -> tuple[Recommendation, pd.DataFrame]:
    """ONE recommended exit date and way out for the SKU, with the reason (R-E2, R-E3).

    The two rules weigh costs differently: R-E2 counts the purchase cost in the gross profit
    the stock still holds and fires when the storage still to pay passes ``exit_cost_share``
    of it (the exit date); R-E3 treats the purchase cost as spent and compares the cash
    still to come of each way out. They are combined, not shown side by side:

    1. exit date E = the earlier of the R-E2 date and ``successor_date``; none -> "Keep
       selling" until the stock sells out (the reason is R-E2's);
    2. otherwise the units left on E (base rate, ``units_left_on``) are compared with
       ``dispositions`` on E (fees in force that day); the best net wins. When that is
       "keep selling" the action is "Mark down and sell off" (clear them on Amazon with the
       markdown plan rather than remove them); otherwise that way out ("Liquidate", ...);
    3. a date already past is "now (overdue by N days)" (R-T1).

    ``options`` go to ``dispositions`` (other_channel_price, other_channel_cost,
    donation_value). Returns the recommendation and the disposition table it chose from.
    """
    rule = inp.exit_date
    candidates = [d for d in (rule, successor_date) if d is not None]
    if not candidates:
        table = table if table is not None else dispositions(inp, inp.as_of, inp.on_hand, **options)
        keep = table[table["option"] == "keep selling"].iloc[0]
        sold_out = (
            inp.as_of + timedelta(days=math.ceil(inp.on_hand / inp.rate)) if inp.rate > 0 else None
        )
        costs = inp.exit_reason.removeprefix("keep selling: ")
        reason = (
            f"No exit needed: {costs}"
            + (f"; at {inp.rate:.2f} a day the stock sells out by {sold_out}" if sold_out else "")
            + "."
        )
        rec = Recommendation(
            "Keep selling",
            None,
            "keep selling",
            inp.on_hand,
            float(keep["net"]),
            "none",
            reason,
            0,
            "no exit date",
        )
        return rec, table
    exit_on = min(candidates)
    trigger = "storage rule" if rule is not None and exit_on == rule else "successor product"
    on = max(exit_on, inp.today)  # fees of the day the order can actually be placed
    units = units_left_on(inp, exit_on)
    table = dispositions(inp, on, units, **options)
    best = table.loc[table["recommended"]].iloc[0]
    others = table[~table["recommended"]].sort_values("net", ascending=False)
    runner = others.iloc[0]
    text, late = when_text(exit_on, inp.today)
    if trigger == "storage rule":
        fired = inp.exit_check.get("on_exit_date", inp.exit_check)
        why = (
            f"the storage still to pay until the stock sells out "
            f"({fired['future_storage_and_upkeep']:,.2f}) is {fired['cost_share']:.0%} of the "
            f"gross profit the units still hold counting what they cost "
            f"({fired['remaining_gross_profit']:,.2f}), above {inp.exit_cost_share:.0%}"
        )
    else:
        why = f"your successor product arrives on {successor_date}: the old stock should be gone"
    if best["option"] == "keep selling":
        action = "Mark down and sell off"
        reason = (
            f"Exit {text}: {why}. Stop restocking. For the {units:,.0f} units left then, the "
            f"purchase cost is already spent, and selling them on Amazon still brings the most "
            f"cash ({best['net']:,.2f} against {runner['net']:,.2f} for {runner['option']}): "
            "clear them with the markdown plan rather than remove them."
        )
    else:
        action = _ACTIONS.get(str(best["option"]), str(best["option"]).capitalize())
        keep = table[table["option"] == "keep selling"].iloc[0]
        reason = (
            f"Exit {text}: {why}. For the {units:,.0f} units left then, {best['option']} "
            f"recovers the most ({best['net']:,.2f} against {keep['net']:,.2f} for keeping "
            "them on sale, whose storage would eat the rest)."
        )
    rec = Recommendation(
        action,
        exit_on,
        str(best["option"]),
        units,
        float(best["net"]),
        trigger,
        reason,
        late,
        text,
    )
    return rec, table


def order_list(
    inp: ClearanceInputs, rec: Recommendation, plan: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The removal / liquidation order list of the recommendation (SKU, units, disposition,
    date, fees): one row per way out. With "Mark down and sell off" and a markdown ``plan``,
    the units it still leaves at its end go to liquidation on the day after its last week."""
    rows = []
    day = max(rec.exit_date or inp.today, inp.today)
    if rec.disposition == "keep selling":
        sold = rec.units
        if plan is not None and len(plan):
            left = float(plan.attrs.get("units_left", 0))
            sold = max(0.0, rec.units - left) if rec.exit_date else rec.units
            if left > 0 and rec.exit_date:
                end = inp.today + timedelta(weeks=len(plan))
                liq = fees.liquidation_recovery(
                    inp.price, left, size_tier=inp.size_tier, weight_lb=inp.weight_lb, on=end
                )
                rows.append(
                    (
                        "liquidation (left after the markdown)",
                        left,
                        end,
                        liq.processing_fee_per_unit,
                        liq.net,
                    )
                )
        rows.insert(
            0,
            (
                "sell on Amazon" + (" (markdown plan)" if rec.exit_date else ""),
                sold,
                day,
                inp.fba + inp.referral * inp.price,
                math.nan,
            ),
        )
    else:
        table = dispositions(inp, day, rec.units)
        row = table[table["option"] == rec.disposition].iloc[0]
        rows.append(
            (rec.disposition, rec.units, day, float(row["fee_per_unit"]), float(row["net"]))
        )
    return pd.DataFrame(
        [
            {
                "sku": inp.sku,
                "units": round(u),
                "disposition": name,
                "date": d,
                "fee_per_unit": fee,
                "net_recovery": net,
                "size_tier": fees.storage_tier(inp.size_tier),
                "shipping_weight_lb": inp.weight_lb,
                "weight_source": "default" if inp.weight_default else "products",
            }
            for name, u, d, fee, net in rows
        ]
    )


# --------------------------------------------------------------------------- the CLI's view


@dataclass
class ClearanceAnalysis:
    """Everything ``stockcycle clearance`` shows for one SKU (``clearance_analysis``)."""

    sku: str
    as_of: date
    inputs: dict[str, dict[str, Any]]  # name -> {"value": ..., "source": ...}
    elasticity: pricing.Elasticity
    scenarios: pd.DataFrame  # pricing.clearance_scenarios
    cash_by_week: pd.DataFrame  # pricing.clearance_cash_by_week
    sensitivity: pd.DataFrame  # profit: promotion days (rows) x ad budget per day (columns)
    markdown: pd.DataFrame  # pricing.markdown_plan, one row per week
    exit_date: date | None  # R-E2 rule alone: None = keep selling
    exit_check: dict[str, Any]  # day-0 row of pricing.exit_timeline: the R-E2 test today
    residual: pd.DataFrame  # dispositions of the recommendation
    liquidation: fees.Liquidation
    price_band: dict[str, Any] | None  # competitor prices (R-D4), None without Xray data
    recommendation: Recommendation
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
        return self.recommendation.disposition


def clearance_analysis(
    ws: Workspace,
    sku: str,
    days: int = 30,
    ad_budget_per_day: float = 0.0,
    settings: Settings | None = None,
    weight_lb: float | None = None,
    successor_date: date | None = None,
    as_of: date | None = None,
) -> ClearanceAnalysis:
    """``load_clearance`` then every scenario function once: the CLI's whole analysis.

    Scenarios over ``days`` with ``ad_budget_per_day``; the sensitivity grid of a 15% coupon
    over ``SENSITIVITY_DAYS`` x ``SENSITIVITY_AD_BUDGETS``; the markdown plan over
    ceil(days / 7) weeks; the exit recommendation (``recommend``). ``weight_lb`` replaces
    the products table's shipping weight. ``as_of``: on the data up to that day, planned on
    that day (a look back).
    """
    _check_days(days, ad_budget_per_day)
    inp = load_clearance(ws, sku, settings=settings, as_of=as_of, today=as_of)
    if weight_lb is not None:
        inp = replace(inp, weight_lb=float(weight_lb), weight_default=False)
        inp.inputs["weight_lb"] = _inp(float(weight_lb), "--weight")
    table = scenarios(inp, days, ad_budget_per_day)
    plan = markdown(inp, max(1, math.ceil(int(days) / 7)))
    rec, residual = recommend(inp, successor_date)
    return ClearanceAnalysis(
        sku=sku,
        as_of=inp.as_of,
        inputs={
            **inp.inputs,
            "duration_days": _inp(int(days), "--days"),
            "ad_budget_per_day": _inp(ad_budget_per_day, "--ad-budget"),
        },
        elasticity=inp.elasticity,
        scenarios=table,
        cash_by_week=pricing.clearance_cash_by_week(table),
        sensitivity=sensitivity_grid(inp),
        markdown=plan,
        exit_date=inp.exit_date,
        exit_check=inp.exit_check,
        residual=residual,
        liquidation=residual.attrs["liquidation"],
        price_band=inp.price_band,
        recommendation=rec,
        stage=inp.stage,
        missing=inp.missing,
        notes=inp.notes,
        exit_reason=inp.exit_reason,
        cost_steps=inp.steps,
        cohorts=inp.cohorts,
    )
