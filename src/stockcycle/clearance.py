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

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from stockcycle import fees, policy, pricing
from stockcycle.errors import InputError
from stockcycle.health import DEFAULT_REFERRAL_RATE, _num, data_end
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
    c = _num(change_8w)
    if c is None or c >= 0:
        return 0.0
    return min(MAX_WEEKLY_DECLINE, 1 - max(0.0, 1 + c) ** (1 / 8))


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
      x price and the settings' ``exit_cost_share`` (R-E2);
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

    price = _num(prod.get("price"))
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
    cost = _num(prod.get("unit_cost"))
    if cost is None:
        raise InputError(
            f"SKU {sku} has no unit cost",
            file="products table",
            column="unit_cost",
            expected="the purchase cost per unit",
        )
    freight = _num(prod.get("freight_cost"))
    landed = cost + (freight or 0.0) + settings.duty_rate * cost
    fba = _num(prod.get("fba_fee"))
    if fba is None:
        missing.append("fba_fee")
    referral = _num(prod.get("referral_pct"))
    referral_source = "products.referral_pct"
    if referral is None:
        referral, referral_source = DEFAULT_REFERRAL_RATE, "default 15% (referral_pct blank)"
    cubic = _num(prod.get("cubic_feet"))
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
    exit_when = pricing.exit_date(
        end,
        on_hand,
        rate,
        price,
        sale_cost,
        storage + surcharge,
        exit_cost_share=settings.exit_cost_share,
    )
    today = pricing.exit_timeline(
        end, on_hand, rate, price, sale_cost, storage + surcharge, horizon_days=1
    ).iloc[0]
    exit_check = {
        "units_left": float(today["units_left"]),
        "future_storage_and_upkeep": float(today["future_cost"]),
        "remaining_gross_profit": float(today["remaining_gross_profit"]),
        "cost_share": float(today["cost_share"]),
        "exit_cost_share": settings.exit_cost_share,
        "cost_per_unit": sale_cost,
        "cost_per_unit_source": "landed cost + FBA fee + referral rate x price",
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
        residual=residual,
        liquidation=liquidation,
        price_band=band,
        stage=stage,
        missing=missing,
        notes=notes,
    )
