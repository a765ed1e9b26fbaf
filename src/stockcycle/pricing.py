"""Prices for decline and exit: elasticity, clearance scenarios, markdown plan, exit (R-D, R-E).

Map of the module (pure functions; money in the seller's currency, units per day unless the
name says otherwise, shares as floats 0..1):

- Demand response: ``estimate_elasticity`` -> ``Elasticity`` (log-log regression on the
  seller's own price and units history with a 95% interval, or the category default; the
  ``source`` always says which); ``units_at_price`` (constant elasticity q = q0 (p/p0)^e).
- Clearance (R-D2, R-D3, R-D5): ``Scenario`` (percentage discount, buy-one-get-one bundle,
  coupon plus ads), ``default_scenarios``, ``clearance_scenarios`` (one row per scenario:
  units/day, days to clear, revenue, fees, ad cost, storage and aged surcharge avoided,
  profit, cash in per week), ``clearance_cash_by_week`` (the weekly cash of each scenario) and
  ``sensitivity`` (a figure over promotion length x ad budget).
- Markdown (R-E1): ``markdown_plan`` (dynamic programming over week x stock on a price grid)
  and ``constant_elasticity_price`` (the closed-form single-period optimum it must reproduce).
- Exit (R-E2, R-E3): ``exit_timeline`` / ``exit_date`` (first date when the storage + upkeep
  still to pay until sell-out exceed 50% of the remaining stock's gross profit; storage at a
  constant monthly rate or from a per-day, per-age-cohort cost schedule with FIFO sales) and
  ``residual_value_options`` (keep selling, liquidation, removal to another channel,
  donation, disposal; the best one recommended).

Modelling choices, stated once:

- Demand has constant price elasticity ``e`` (< 0): ``q(p) = q0 (p / p0)^e`` (Nahmias,
  "Production and Operations Analysis", pricing under iso-elastic demand; Talluri & van Ryzin,
  "The Theory and Practice of Revenue Management" sec. 7.3). Deterministic: the plans use the
  expected rate.
- Buy-one-get-one: a buyer pays ``p`` for two units, an effective ``p / 2`` per unit. Orders
  follow the demand curve at that effective unit price and every order takes two units, so
  units/day = 2 x q(p/2). This is the optimistic end (it assumes every buyer wants the second
  unit); scale it down with ``Scenario.units_per_order`` if your bundles sell less.
- Coupon + ads: the coupon is a discount; the extra ad spend brings extra sales at a return on
  ad spend ``ad_roas`` (revenue per $1 of ads, default 3.0 = 33% ACoS): extra units/day =
  ad spend/day x ROAS / price paid.
- Referral fee = ``referral_rate`` x price paid; the FBA fee is per unit shipped.
- Storage avoided (R-D3) = (storage + aged surcharge per unit-month) x unit-months saved
  against selling at the base rate, over ``horizon_days`` (months of 365 / 12 days,
  ``policy.DAYS_PER_MONTH``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from stockcycle.checks import number as _number
from stockcycle.errors import InputError
from stockcycle.fees import DEFAULT_REFERRAL_RATE
from stockcycle.policy import DAYS_PER_MONTH  # 365 / 12: one twelfth of a year, everywhere

DEFAULT_AD_ROAS = 3.0  # $3 of sales per $1 of extra ads (ACoS 33%), a typical Amazon PPC figure
DEFAULT_HORIZON_DAYS = 365


def _share(name: str, value: Any, *, below_one: bool = False) -> float:
    x = _number(name, value)
    if x > 1 or (below_one and x >= 1):
        raise InputError(f"{name} is {x:g}", column=name, expected="a share 0..1 (0.15 = 15%)")
    return x


# --------------------------------------------------------------------------- elasticity


@dataclass(frozen=True)
class Elasticity:
    """Price elasticity of demand with where it came from (shown next to every figure)."""

    value: float
    low: float  # 95% interval, equal to value for a default
    high: float
    r2: float  # NaN for a default
    n_points: int  # days of history used (0 for a default without usable history)
    source: str  # "own price history (log-log regression, n=..)" | "category default"
    note: str = ""  # why the default was used, or a caution about the estimate

    @property
    def estimated(self) -> bool:
        return self.source.startswith("own price history")

    def explain(self) -> str:
        if self.estimated:
            text = (
                f"Elasticity e = **{self.value:.2f}** (95% interval {self.low:.2f} to "
                f"{self.high:.2f}, R² = {self.r2:.2f}) from log(units) = a + e x log(price) "
                f"fitted on {self.n_points} daily figures of your own price and sales: a 1% "
                f"lower price sells about {abs(self.value):.1f}% more units."
            )
        else:
            text = (
                f"Elasticity e = **{self.value:.2f}**: the category default you set (a 1% lower "
                f"price sells about {abs(self.value):.1f}% more units)."
            )
        return f"{text} {self.note}".strip()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def estimate_elasticity(
    history: pd.DataFrame,
    default: float = -1.5,
    min_price_spread: float = 0.05,
    min_points: int = 8,
) -> Elasticity:
    """Own-price elasticity from price and units history, or the category default.

    Model (constant elasticity): ``log(units) = a + e log(price) + error``, fitted by ordinary
    least squares (``sklearn.linear_model.LinearRegression``) on rows with a price > 0 and
    units > 0 (a day without sales has no logarithm; dropping it biases |e| slightly down).
    95% interval: ``e +/- t_{0.975, dof} x se``, ``se = sqrt(SSR / dof / Sxx)`` with
    ``Sxx = sum (log p - mean log p)^2`` and ``dof = n - 2`` (the OLS standard error of a
    slope; Wooldridge, "Introductory Econometrics", ch. 2).

    ``history``: columns ``price`` and ``units``, one row per day (e.g. the workspace ``sales``
    table of one SKU). With a ``channel`` column holding several channels (the ``sales`` table
    has one row per day and channel), each channel keeps its own level ``a_channel`` and the
    elasticity is common (channel fixed effects: logs are centred within each channel before
    the fit, Frisch-Waugh-Lovell; ``dof = n - channels - 1``): otherwise a smaller channel with
    a lower price would read as "cheaper sells less". Falls back to ``default`` (source
    "category default", with the reason in ``note``) when fewer than ``min_points`` usable
    rows, when the price varied by less than ``min_price_spread`` ((max - min) / median within
    a channel, the largest over channels), or when the fit is not downward sloping (e >= 0:
    promotions or seasons moved sales more than price did, the history cannot tell). ``r2``
    is the share of the (within-channel) variance of log units the price explains.
    """
    default = _number("default", default, minimum=None)
    if default >= 0:
        raise InputError(
            f"default elasticity is {default:g}", column="default", expected="a negative number"
        )
    for col in ("price", "units"):
        if col not in history.columns:
            raise InputError("history has no such column", column=col, expected="price, units")
    frame = pd.DataFrame(
        {
            "price": pd.to_numeric(history["price"], errors="coerce").astype(float),
            "units": pd.to_numeric(history["units"], errors="coerce").astype(float),
            "channel": (
                history["channel"].astype(str).to_numpy() if "channel" in history.columns else ""
            ),
        }
    )
    ok = np.isfinite(frame["price"]) & np.isfinite(frame["units"])
    frame = frame[ok & (frame["price"] > 0) & (frame["units"] > 0)]
    n = len(frame)

    def fallback(note: str) -> Elasticity:
        return Elasticity(default, default, default, math.nan, n, "category default", note)

    if n < max(3, min_points):
        return fallback(f"Only {n} days with a price and sales (needs {min_points}).")
    by_channel = frame.groupby("channel")["price"]
    spread = float(
        (
            (by_channel.transform("max") - by_channel.transform("min"))
            / by_channel.transform("median")
        ).max()
    )
    if spread < min_price_spread:
        return fallback(
            f"Your price varied by {spread:.1%} only (needs {min_price_spread:.0%}) so your "
            "history cannot show how buyers react to price."
        )
    from scipy import stats
    from sklearn.linear_model import LinearRegression

    logs = pd.DataFrame(
        {"x": np.log(frame["price"]), "y": np.log(frame["units"]), "g": frame["channel"]}
    )
    channels = int(logs["g"].nunique())
    centred = logs[["x", "y"]] - logs.groupby("g")[["x", "y"]].transform("mean")
    x = centred["x"].to_numpy().reshape(-1, 1)
    y = centred["y"].to_numpy()
    dof = n - channels - 1
    if dof < 1:
        return fallback(f"Only {n} days with a price and sales over {channels} channels.")
    model = LinearRegression().fit(x, y)
    e = float(model.coef_[0])
    residuals = y - model.predict(x)
    ssr = float(residuals @ residuals)
    sxx = float(((x[:, 0] - x[:, 0].mean()) ** 2).sum())
    se = math.sqrt(ssr / dof / sxx)
    t = float(stats.t.ppf(0.975, dof))
    r2 = float(model.score(x, y))
    if e >= 0:
        return fallback(
            f"Your history gave e = {e:+.2f} (sales rose with price: promotions or seasons, "
            "not price, drove them)."
        )
    notes = []
    if channels > 1:
        notes.append(f"Fitted over {channels} channels, each with its own sales level.")
    if 2 * t * se > abs(e) or e + t * se >= 0:
        notes.append("The interval is wide: treat the figure as a rough guide.")
    return Elasticity(
        e,
        e - t * se,
        e + t * se,
        r2,
        n,
        f"own price history (log-log regression, n={n})",
        " ".join(notes),
    )


def _e(elasticity: float | Elasticity) -> float:
    value = elasticity.value if isinstance(elasticity, Elasticity) else elasticity
    return _number("elasticity", value, minimum=None)


def units_at_price(
    base_units_per_day: float,
    base_price: float,
    new_price: float,
    elasticity: float | Elasticity,
) -> float:
    """Units per day at ``new_price`` under constant elasticity: ``q = q0 (p / p0)^e``.

    ``q0`` units/day sold at ``p0``; ``e`` < 0 for normal goods. Example: 10/day at $20, e = -2,
    at $16: 10 x 0.8^-2 = 15.6/day.
    """
    q0 = _number("base_units_per_day", base_units_per_day)
    p0 = _number("base_price", base_price, strict=True)
    p = _number("new_price", new_price, strict=True)
    return q0 * (p / p0) ** _e(elasticity)


# --------------------------------------------------------------------------- clearance


@dataclass(frozen=True)
class Scenario:
    """One clearance option (R-D2).

    ``discount_share``: price cut (0.2 = 20% off). ``units_per_order`` 2 with
    ``price_divisor`` 2 is buy-one-get-one (see the module notes). ``ad_cost_per_day``: extra
    ads during the promotion (``None``: the ``ad_cost_per_day`` given to
    ``clearance_scenarios``); ``ad_roas``: sales per $1 of those ads. ``fee_per_unit``: extra
    promotion fee per unit (e.g. a coupon redemption fee).
    """

    name: str
    discount_share: float = 0.0
    units_per_order: float = 1.0
    price_divisor: float = 1.0
    ad_cost_per_day: float | None = 0.0
    ad_roas: float = DEFAULT_AD_ROAS
    fee_per_unit: float = 0.0

    def price_paid(self, price: float) -> float:
        """Price paid per unit: ``p x (1 - discount) / divisor``."""
        return price * (1 - self.discount_share) / self.price_divisor


def discount(share: float) -> Scenario:
    """A plain percentage discount, e.g. ``discount(0.2)`` = "20% off"."""
    return Scenario(f"{share:.0%} off", discount_share=share)


def bogo() -> Scenario:
    """Buy one get one: p / 2 per unit, two units per order (module notes)."""
    return Scenario("buy one get one", units_per_order=2.0, price_divisor=2.0)


def coupon_with_ads(share: float = 0.15, ad_cost_per_day: float | None = None) -> Scenario:
    """A coupon of ``share`` off plus extra ads (``None``: the budget given to
    ``clearance_scenarios``)."""
    return Scenario(
        f"{share:.0%} coupon + ads", discount_share=share, ad_cost_per_day=ad_cost_per_day
    )


def default_scenarios() -> list[Scenario]:
    """No change (the reference), 10/20/30/40% off, buy-one-get-one, a 15% coupon with ads."""
    return [
        Scenario("no change"),
        *(discount(s) for s in (0.10, 0.20, 0.30, 0.40)),
        bogo(),
        coupon_with_ads(0.15),
    ]


def _stock_days(
    units: float, rate: float, duration: float, base_rate: float, horizon: float
) -> float:
    """Unit-days held over [0, horizon] when ``units`` sell at ``rate``/day for ``duration``
    days and at ``base_rate``/day after that (stock never below 0): the area under the stock
    line, exact for piecewise linear stock."""

    def area(start: float, r: float, t: float) -> tuple[float, float]:
        # Stock ``start`` falling at r for t days: (unit-days, stock at the end).
        if t <= 0 or start <= 0:
            return 0.0, start
        if r <= 0:
            return start * t, start
        t_out = start / r
        if t_out <= t:
            return start * t_out / 2, 0.0
        return (start + start - r * t) / 2 * t, start - r * t

    d = min(duration, horizon)
    first, left = area(units, rate, d)
    second, _ = area(left, base_rate, horizon - d)
    return first + second


def clearance_scenarios(
    units_on_hand: float,
    base_units_per_day: float,
    price: float,
    unit_cost: float,
    elasticity: float | Elasticity,
    fba_fee: float,
    referral_rate: float,
    storage_per_unit_month: float,
    aged_surcharge_per_unit_month: float,
    duration_days: float,
    scenarios: Sequence[Scenario] | None = None,
    ad_cost_per_day: float = 0.0,
    horizon_days: float = DEFAULT_HORIZON_DAYS,
) -> pd.DataFrame:
    """Compare clearance options over a promotion of ``duration_days`` (R-D2, R-D3, R-D5).

    Per scenario (``default_scenarios()`` when None), with p = price paid per unit:

    - units/day ``r = units_per_order x q0 (p / p0)^e + ad/day x ROAS / p``;
    - days to clear = units on hand / r (``inf`` when r = 0);
    - units sold = min(units on hand, r x duration); revenue = units sold x p;
    - fees = units sold x (FBA fee + referral_rate x p + promotion fee);
    - ad cost = ad/day x days the promotion runs (until cleared, at most ``duration_days``);
    - cogs = units sold x unit cost;
    - storage avoided (R-D3) = (storage + aged surcharge per unit-month) x (unit-months held
      when selling at the base rate - unit-months held with the promotion then the base rate),
      both over ``horizon_days`` (365);
    - profit = revenue - fees - ad cost - cogs + storage avoided; profit_before_storage without
      the last term;
    - cash in per week = (revenue - fees - ad cost) / weeks the promotion runs.

    Columns: scenario, price_paid, discount_share, units_per_day, days_to_clear, units_sold,
    units_left, revenue, fees, ad_cost, cogs, storage_avoided, profit_before_storage, profit,
    cash_in_per_week, plus per-unit inputs (fee_per_unit, ad_cost_per_day, run_days) that
    ``clearance_cash_by_week`` reads. ``.attrs``: units_on_hand, duration_days.
    """
    n = _number("units_on_hand", units_on_hand)
    q0 = _number("base_units_per_day", base_units_per_day)
    p0 = _number("price", price, strict=True)
    cost = _number("unit_cost", unit_cost)
    e = _e(elasticity)
    fba = _number("fba_fee", fba_fee)
    referral = _share("referral_rate", referral_rate)
    storage = _number("storage_per_unit_month", storage_per_unit_month)
    surcharge = _number("aged_surcharge_per_unit_month", aged_surcharge_per_unit_month)
    duration = _number("duration_days", duration_days, strict=True)
    ads_default = _number("ad_cost_per_day", ad_cost_per_day)
    horizon = _number("horizon_days", horizon_days, strict=True)
    holding_per_unit_day = (storage + surcharge) / DAYS_PER_MONTH
    base_unit_days = _stock_days(n, q0, 0.0, q0, horizon)

    rows = []
    for sc in scenarios if scenarios is not None else default_scenarios():
        share = _share("discount_share", sc.discount_share, below_one=True)
        _number("price_divisor", sc.price_divisor, strict=True)
        _number("units_per_order", sc.units_per_order, strict=True)
        paid = sc.price_paid(p0)
        ads = (
            ads_default
            if sc.ad_cost_per_day is None
            else _number("ad_cost_per_day", sc.ad_cost_per_day)
        )
        rate = sc.units_per_order * q0 * (paid / p0) ** e
        if ads > 0:
            rate += ads * _number("ad_roas", sc.ad_roas) / paid
        days_to_clear = n / rate if rate > 0 else math.inf
        run_days = min(duration, days_to_clear)
        sold = min(n, rate * duration)
        revenue = sold * paid
        fee_per_unit = fba + referral * paid + sc.fee_per_unit
        fees = sold * fee_per_unit
        ad_cost = ads * run_days
        cogs = sold * cost
        held = _stock_days(n, rate, duration, q0, horizon)
        avoided = (base_unit_days - held) * holding_per_unit_day
        before_storage = revenue - fees - ad_cost - cogs
        weeks = max(run_days, 1.0) / 7
        rows.append(
            {
                "scenario": sc.name,
                "price_paid": paid,
                "discount_share": 1 - paid / p0 if sc.price_divisor != 1 else share,
                "units_per_day": rate,
                "days_to_clear": days_to_clear,
                "units_sold": sold,
                "units_left": n - sold,
                "revenue": revenue,
                "fees": fees,
                "ad_cost": ad_cost,
                "cogs": cogs,
                "storage_avoided": avoided,
                "profit_before_storage": before_storage,
                "profit": before_storage + avoided,
                "cash_in_per_week": (revenue - fees - ad_cost) / weeks,
                "fee_per_unit": fee_per_unit,
                "ad_cost_per_day": ads,
                "run_days": run_days,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs.update({"units_on_hand": n, "duration_days": duration})
    return out


def clearance_cash_by_week(table: pd.DataFrame) -> pd.DataFrame:
    """Net cash in per week of each scenario of a ``clearance_scenarios`` table (R-D2).

    Week w (1-based) covers days [7(w-1), 7w) of the promotion: units sold that week =
    min(stock left, units/day x days of the week run), cash = units x (price paid - fee per
    unit) - ad/day x days run. Long format: scenario, week, units, cash_in.
    """
    n = float(table.attrs.get("units_on_hand", math.inf))
    rows = []
    for row in table.itertuples(index=False):
        left = n
        run = float(row.run_days)
        for week in range(1, math.ceil(run / 7) + 1):
            days = min(7.0, run - 7 * (week - 1))
            units = min(left, row.units_per_day * days)
            left -= units
            cash = units * (row.price_paid - row.fee_per_unit) - row.ad_cost_per_day * days
            rows.append({"scenario": row.scenario, "week": week, "units": units, "cash_in": cash})
    return pd.DataFrame(rows, columns=["scenario", "week", "units", "cash_in"])


def sensitivity(
    units_on_hand: float,
    base_units_per_day: float,
    price: float,
    unit_cost: float,
    elasticity: float | Elasticity,
    fba_fee: float,
    referral_rate: float,
    storage_per_unit_month: float,
    aged_surcharge_per_unit_month: float,
    scenario: Scenario | None = None,
    durations_days: Sequence[float] = (7, 14, 30, 60, 90),
    ad_costs_per_day: Sequence[float] = (0, 10, 25, 50, 100),
    value: str = "profit",
    horizon_days: float = DEFAULT_HORIZON_DAYS,
) -> pd.DataFrame:
    """A clearance figure over promotion length x ad budget (R-D5 sensitivity analysis).

    Runs ``clearance_scenarios`` for ``scenario`` (default: a 15% coupon with ads) at every
    duration (rows, ``duration_days``) and ad budget per day (columns, ``ad_cost_per_day``)
    and returns the column ``value`` ("profit", "units_sold", "revenue", "days_to_clear"...).
    """
    sc = scenario or coupon_with_ads(0.15)
    grid = {}
    for ads in ad_costs_per_day:
        run = replace(sc, ad_cost_per_day=float(ads))
        column = []
        for duration in durations_days:
            table = clearance_scenarios(
                units_on_hand,
                base_units_per_day,
                price,
                unit_cost,
                elasticity,
                fba_fee,
                referral_rate,
                storage_per_unit_month,
                aged_surcharge_per_unit_month,
                duration,
                scenarios=[run],
                horizon_days=horizon_days,
            )
            if value not in table.columns:
                raise InputError(f"unknown figure {value!r}", column="value", expected="a column")
            column.append(float(table[value].iloc[0]))
        grid[float(ads)] = column
    out = pd.DataFrame(
        grid, index=pd.Index([float(d) for d in durations_days], name="duration_days")
    )
    out.columns.name = "ad_cost_per_day"
    return out


# --------------------------------------------------------------------------- markdown (R-E1)


def constant_elasticity_price(unit_cost: float, elasticity: float | Elasticity) -> float:
    """Profit-maximising price under constant elasticity: ``p* = c e / (1 + e)``, e < -1.

    Maximises (p - c) q0 (p/p0)^e; the first-order condition gives the markup rule
    p* = c e / (1 + e) = c / (1 + 1/e) (Nahmias; Talluri & van Ryzin sec. 7.3.1). With
    c = 10, e = -2: p* = 20. Undefined for inelastic demand (-1 <= e): raising the price
    would always pay, so InputError.
    """
    c = _number("unit_cost", unit_cost)
    e = _e(elasticity)
    if e >= -1:
        raise InputError(
            f"elasticity is {e:g}", column="elasticity", expected="below -1 (elastic demand)"
        )
    return c * e / (1 + e)


def markdown_plan(
    units_on_hand: float,
    base_units_per_day: float,
    base_price: float,
    unit_cost: float,
    elasticity: float | Elasticity,
    holding_cost_per_unit_week: float,
    weeks: int,
    price_grid: Sequence[float] | None = None,
    salvage_value_per_unit: float = 0.0,
    referral_rate: float = 0.0,
    demand_decline_per_week: float = 0.0,
    non_increasing: bool = True,
) -> pd.DataFrame:
    """Week-by-week price path that maximises total recovery of the stock on hand (R-E1).

    Dynamic programming over (week t, stock s in whole units), Bellman (1957); the markdown
    model of Talluri & van Ryzin ch. 5 with deterministic iso-elastic demand:

    - weekly demand at price p in week t (0-based): ``D_t(p) = round(7 q0 (1 - g)^t (p / p0)^e)``
      units, ``g`` = ``demand_decline_per_week`` (0: steady; a declining product, R-D1, loses
      e.g. 0.15 a week, which is what makes the discounts deepen over time); sold = min(s, D);
    - week's value = sold x (p (1 - referral_rate) - unit_cost) - h x (s - sold), holding cost
      ``h`` charged on the units left at the end of the week;
    - ``V_T(s) = salvage x s``; ``V_t(s) = max_p [value + V_{t+1}(s - sold)]``;
    - ``non_increasing`` (default): a markdown only goes down, so the state also carries the
      last price and week t may only choose prices at or below it (R-E1 "a discount curve").

    ``unit_cost`` is the cost of selling one more unit: for stock already paid for, the FBA fee
    (the purchase price is sunk; include it only to stop the plan selling below it). With ample
    stock and h = 0 each week's best price is the closed form ``c / (1 - r) x e / (1 + e)``
    (r the referral rate; ``constant_elasticity_price`` of ``c / (1 - r)``) nearest on the
    grid. ``price_grid``: candidate prices (default: base price with 0%, 5%, ..., 70% off).
    Ties go to the higher price.

    Returns one row per week: week, price, discount, units_sold, stock_left, revenue,
    holding_cost, net; ``.attrs``: total (sum of net + salvage), salvage, units_left,
    closed_form_price (``constant_elasticity_price`` of the net unit cost, None when e >= -1)
    and explain (the model in words with the numbers).
    """
    n = int(round(_number("units_on_hand", units_on_hand)))
    q0 = _number("base_units_per_day", base_units_per_day)
    p0 = _number("base_price", base_price, strict=True)
    c = _number("unit_cost", unit_cost)
    e = _e(elasticity)
    h = _number("holding_cost_per_unit_week", holding_cost_per_unit_week)
    weeks = int(_number("weeks", weeks, strict=True))
    salvage = _number("salvage_value_per_unit", salvage_value_per_unit, minimum=None)
    referral = _share("referral_rate", referral_rate)
    if price_grid is None:
        grid = np.array([p0 * (1 - d) for d in np.arange(0.0, 0.701, 0.05)])
    else:
        grid = np.array([_number("price_grid", p, strict=True) for p in price_grid])
    grid = np.unique(grid)[::-1]  # highest first: ties keep the higher price
    decline = _share("demand_decline_per_week", demand_decline_per_week, below_one=True)
    # demand[t, k]: units wanted in week t at grid price k
    demand = np.rint(7 * q0 * np.outer((1 - decline) ** np.arange(weeks), (grid / p0) ** e))
    margin = grid * (1 - referral) - c

    stock = np.arange(n + 1)
    n_prices = len(grid)
    # value[j, s]: best recovery from week t on with s units when the price may not go above
    # grid[j] (grid is sorted high to low, so prices j, j+1, ... are allowed). Without the
    # non-increasing rule every row allows the whole grid.
    value = np.tile(salvage * stock.astype(float), (n_prices, 1))
    choice = np.zeros((weeks, n_prices, n + 1), dtype=int)
    for t in range(weeks - 1, -1, -1):
        q = np.empty((n_prices, n + 1))
        for k in range(n_prices):
            sold = np.minimum(stock, demand[t, k]).astype(int)
            nxt = value[k if non_increasing else 0, stock - sold]
            q[k] = sold * margin[k] - h * (stock - sold) + nxt
        new_value = np.empty_like(q)
        # Best over k >= j, scanning from the cheapest price up: ties keep the higher price.
        best, arg = q[-1].copy(), np.full(n + 1, n_prices - 1)
        for j in range(n_prices - 1, -1, -1):
            take = q[j] >= best - 1e-9
            best = np.where(take, q[j], best)
            arg = np.where(take, j, arg)
            new_value[j], choice[t, j] = best, arg
        value = new_value

    rows = []
    s, allowed = n, 0
    for t in range(weeks):
        k = int(choice[t, allowed, s])
        allowed = k if non_increasing else 0
        sold = int(min(s, demand[t, k]))
        left = s - sold
        revenue = sold * float(grid[k])
        holding = h * left
        rows.append(
            {
                "week": t + 1,
                "price": float(grid[k]),
                "discount": 1 - float(grid[k]) / p0,
                "units_sold": sold,
                "stock_left": left,
                "revenue": revenue,
                "holding_cost": holding,
                "net": sold * float(margin[k]) - holding,
            }
        )
        s = left
    out = pd.DataFrame(rows)
    total = float(value[0, n])
    # The single-period optimum with ample stock, as a check on the plan's first prices:
    # maximising (p (1 - r) - c) p^e gives p* = c / (1 - r) x e / (1 + e).
    closed = c / (1 - referral) * e / (1 + e) if e < -1 and referral < 1 else None
    out.attrs.update(
        {
            "total": total,
            "salvage": salvage * s,
            "units_left": s,
            "closed_form_price": closed,
            "explain": (
                f"Best of {len(grid)} prices in each of {weeks} weeks for {n:,} units "
                f"(dynamic programming): weekly demand 7 x {q0:g} x (price / {p0:g})^{e:.2f}"
                + (f" x (1 - {decline:g})^week" if decline else "")
                + f"; each unit sold earns price x (1 - {referral:g}) - {c:g}, each unit left "
                f"at the end of a week costs {h:g}, each unit left at the end is worth "
                f"{salvage:g}. Total recovery {total:,.2f}."
                + (
                    " Without a stock limit or holding cost the best price would be "
                    f"c / (1 - r) x e / (1 + e) = {c:g} / (1 - {referral:g}) x {e:.2f} / "
                    f"(1 + {e:.2f}) = {closed:,.2f}."
                    if closed is not None
                    else ""
                )
            ),
        }
    )
    return out


# --------------------------------------------------------------------------- exit (R-E2, R-E3)


#: Days to sell out beyond which a per-day holding-cost schedule counts the stock as never
#: selling (274 years): the daily sums would otherwise run over arrays of any length.
MAX_SELL_OUT_DAYS = 100_000


def exit_timeline(
    as_of: date,
    units_on_hand: float,
    units_per_day: float,
    price: float,
    cost_per_unit: float,
    storage_per_unit_month: float,
    upkeep_per_month: float = 0.0,
    horizon_days: int = 730,
    step_days: int = 1,
    weekly_decline: float = 0.0,
    holding_cost_per_unit_day: Sequence[float] | np.ndarray | None = None,
    cohort_units: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Day-by-day exit arithmetic (R-E2) behind ``exit_date``: on each day t, what keeping the
    rest of the stock until it sells out still costs against the gross profit it still holds.

    Keep selling q = ``units_per_day`` from N = ``units_on_hand``: units left
    ``L(t) = max(0, N - q t)``; remaining gross profit ``G(t) = L x (price - cost per unit)``
    (cost per unit: landed cost + FBA fee + referral, everything a sale costs). The storage
    still to pay from t until the L units are sold is ``s x L^2 / (2 q) / 30.42`` (L units
    falling linearly to 0 over L / q days hold L^2 / (2q) unit-days; s = storage per
    unit-month, months of ``DAYS_PER_MONTH`` = 365 / 12 days) and the upkeep still to pay is
    ``u x (L / q) / 30.42`` (u = upkeep per month). Storage already paid before t is sunk and
    does not count. Both are infinite when q = 0 and something is left (it never sells out).

    A declining product (R-D1) sells at ``q(t) = q e^(-k t)`` with ``k = ln(1 / (1 - w)) / 7``
    for a weekly decline w: it sells ``q / k`` units in all, so stock beyond that never sells
    (future cost infinite); otherwise it sells out at ``T = -ln(1 - N k / q) / k`` and, with
    ``A = N - q / k``, the unit-days still to hold from t are
    ``A (T - t) + q / k^2 (e^(-k t) - e^(-k T))`` (the integral of ``L``) and the days still to
    sell ``T - t``. Fading sales make the stock slower to clear, so the rule fires sooner than
    at a steady rate, and always today for stock beyond ``q / k``.

    Costs that rise over time (R-E2 with R-D3: the Q4 storage rate, the aged-inventory
    surcharge tiers): ``holding_cost_per_unit_day`` replaces ``storage_per_unit_month`` by a
    schedule c, money per unit per day, row i for day ``as_of + i`` (its last row repeats past
    its end). The storage still to pay from day t is then the daily sum

        ``F(t) = sum over days d >= t of sum over cohorts j of Lbar_j(d) x c[d, j]``

    with ``Lbar_j(d)`` the average number of cohort j's units held during day d: sales run at
    an even pace within each day (exact for a steady rate; for a fading one the day's sales
    q/k (e^(-k d) - e^(-k (d + 1))) are spread evenly over the day), so a constant c = s / 30.42
    gives back the closed form above exactly. Age: the aged surcharge depends on each unit's
    age and FIFO sells the oldest units first, so the units left at t are the youngest. A 1-D
    schedule charges every unit alike (one cohort); a 2-D schedule ``[day, cohort]`` has one
    column per age cohort, ``cohort_units`` giving their sizes OLDEST FIRST (summing to N).
    Sales take cohort 1 until it is gone, then cohort 2, ...: with ``S`` the units sold so far
    and ``B_j`` the cumulative cohort sizes, cohort j holds ``clip(B_j - S, 0, n_j)``. The
    caller knows each cohort's age on each day, so ``c[d, j]`` can hold the storage rate of
    day d's calendar month plus the surcharge tier of age ``age_j + d`` (see
    ``clearance.holding_cost_schedule``); the timeline only applies FIFO, which keeps it exact
    and explainable: per-cohort costs times per-cohort stock, summed day by day. More than
    ``MAX_SELL_OUT_DAYS`` days to sell out counts as never selling out. Upkeep keeps its
    closed form. Source: SPEC R-E2, R-D3, R-K2 (FIFO age).

    Columns: date, days, units_left, remaining_gross_profit, future_storage, future_upkeep,
    future_cost (storage + upkeep), cost_share (future cost / remaining gross profit; ``inf``
    when no gross profit is left, 0 once sold out); with a schedule also ``day_storage``
    (storage of day t on the stock held that day).
    """
    n = _number("units_on_hand", units_on_hand)
    q = _number("units_per_day", units_per_day)
    p = _number("price", price)
    c = _number("cost_per_unit", cost_per_unit)
    storage = _number("storage_per_unit_month", storage_per_unit_month)
    upkeep = _number("upkeep_per_month", upkeep_per_month)
    horizon = int(_number("horizon_days", horizon_days, strict=True))
    step = int(_number("step_days", step_days, strict=True))
    w = _number("weekly_decline", weekly_decline)
    if w >= 1:
        raise InputError(
            f"weekly_decline is {w:g}", column="weekly_decline", expected="a share below 1"
        )
    schedule = None
    if holding_cost_per_unit_day is not None:
        schedule, sizes = _cost_schedule(holding_cost_per_unit_day, cohort_units, n)
    t = np.arange(0, horizon + 1, step, dtype=float)
    k = math.log(1 / (1 - w)) / 7
    if q > 0 and k > 0:
        left, days_to_sell, unit_days = _declining_stock(n, q, k, t)
    elif q > 0:
        left = np.maximum(0.0, n - q * t)
        days_to_sell = left / q
        unit_days = left * days_to_sell / 2
    else:
        left = np.full_like(t, n)
        # Nothing sells: the stock waits forever (and costs nothing only if nothing is left).
        days_to_sell = np.where(left > 0, math.inf, 0.0)
        unit_days = days_to_sell.copy()
    # A zero rate costs nothing even over an endless wait (0 x inf would be NaN).
    none = np.zeros_like(t)
    day_storage = None
    if schedule is not None:
        future_storage, day_storage = _scheduled_storage(n, q, k, t, schedule, sizes)
    else:
        future_storage = storage * unit_days / DAYS_PER_MONTH if storage > 0 else none
    future_upkeep = upkeep * days_to_sell / DAYS_PER_MONTH if upkeep > 0 else none
    cost = future_storage + future_upkeep
    gross = left * (p - c)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(
            gross > 0, cost / np.where(gross > 0, gross, 1.0), np.where(left > 0, math.inf, 0.0)
        )
    out = pd.DataFrame(
        {
            "date": [as_of + timedelta(days=int(d)) for d in t],
            "days": t.astype(int),
            "units_left": left,
            "remaining_gross_profit": gross,
            "future_storage": future_storage,
            "future_upkeep": future_upkeep,
            "future_cost": cost,
            "cost_share": share,
        }
    )
    if day_storage is not None:
        out["day_storage"] = day_storage
    return out


def _cost_schedule(
    schedule: Sequence[float] | np.ndarray, cohort_units: Sequence[float] | None, n: float
) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``[day, cohort]`` cost array and cohort sizes (oldest first) of a schedule."""
    try:
        c = np.asarray(schedule, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            "holding_cost_per_unit_day is not numeric",
            column="holding_cost_per_unit_day",
            expected="money per unit per day, one value per day",
        ) from None
    if c.ndim == 1:
        c = c[:, None]
    if c.ndim != 2 or c.shape[0] == 0 or c.shape[1] == 0:
        raise InputError(
            f"holding_cost_per_unit_day has shape {c.shape}",
            column="holding_cost_per_unit_day",
            expected="a list of days, or a table [day, cohort], with at least one value",
        )
    if not np.isfinite(c).all() or (c < 0).any():
        raise InputError(
            "holding_cost_per_unit_day has a negative or missing value",
            column="holding_cost_per_unit_day",
            expected="costs of 0 or more",
        )
    if cohort_units is None:
        if c.shape[1] != 1:
            raise InputError(
                f"a schedule with {c.shape[1]} cohorts needs cohort_units",
                column="cohort_units",
                expected="the units of each cohort, oldest first",
            )
        return c, np.array([n])
    sizes = np.array([_number("cohort_units", u) for u in cohort_units], dtype=float)
    if len(sizes) != c.shape[1]:
        raise InputError(
            f"{len(sizes)} cohort sizes for a schedule of {c.shape[1]} cohorts",
            column="cohort_units",
            expected="one size per schedule column",
        )
    if not math.isclose(float(sizes.sum()), n, rel_tol=1e-9, abs_tol=1e-9):
        raise InputError(
            f"cohort_units sum to {sizes.sum():g}, not the {n:g} units on hand",
            column="cohort_units",
            expected="cohort sizes that add up to units_on_hand",
        )
    return c, sizes


def _held_in_day(a: np.ndarray, s0: np.ndarray, s1: np.ndarray) -> np.ndarray:
    """Average of ``max(a - S, 0)`` over a day in which the units sold S rise evenly from s0
    to s1: all day above, all day at 0, or ``(a - s0)^2 / (2 (s1 - s0))`` when the level is
    passed during the day (the area of a triangle)."""
    a, s0, s1 = np.broadcast_arrays(a, s0, s1)
    rise = s1 - s0
    above = a - (s0 + s1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        partial = (a - s0) ** 2 / (2 * np.where(rise > 0, rise, 1.0))
    return np.where(a >= s1, above, np.where(a <= s0, 0.0, partial))


def _scheduled_storage(
    n: float, q: float, k: float, t: np.ndarray, schedule: np.ndarray, sizes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(storage still to pay from each t, storage of day t) under a per-day, per-cohort cost
    schedule with FIFO sales (formula in ``exit_timeline``)."""
    if n <= 0:
        return np.zeros_like(t), np.zeros_like(t)
    if q <= 0:
        end = math.inf
    elif k > 0:
        end = -math.log(1 - n * k / q) / k if n * k < q else math.inf
    else:
        end = n / q
    if end > MAX_SELL_OUT_DAYS:
        # It never sells out: storage forever, unless the schedule costs nothing from some day.
        forever = np.where(float(schedule[-1].max()) > 0, math.inf, 0.0)
        return np.full_like(t, forever), np.full_like(t, math.nan)
    days = max(1, math.ceil(end))
    d = np.arange(days + 1, dtype=float)
    # Units sold by the start of each day, not capped at N (the FIFO levels do the capping).
    sold = q / k * (1 - np.exp(-k * d)) if k > 0 else q * d
    bounds = np.cumsum(sizes)  # cohort j is sold once S passes B_j (oldest first)
    held_above = _held_in_day(bounds[None, :], sold[:-1, None], sold[1:, None])
    lower = np.concatenate([[0.0], bounds[:-1]])
    below = _held_in_day(lower[None, :], sold[:-1, None], sold[1:, None])
    per_cohort = held_above - below  # average units of each cohort held during day d
    rows = np.minimum(np.arange(days), schedule.shape[0] - 1)
    daily = (per_cohort * schedule[rows]).sum(axis=1)
    # Storage from day t on: the sum of the days t, t + 1, ... until sold out.
    tail = np.concatenate([np.cumsum(daily[::-1])[::-1], [0.0]])
    idx = np.minimum(t.astype(int), days)
    return tail[idx], np.concatenate([daily, [0.0]])[idx]


def _declining_stock(
    n: float, q: float, k: float, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Units left, days still to sell them and unit-days still to hold them at each t, for N
    units selling at q e^(-k t) (formulas in ``exit_timeline``)."""
    sold = q / k * (1 - np.exp(-k * t))
    left = np.maximum(0.0, n - sold)
    if n * k >= q:  # more than will ever sell: the rest waits forever
        never = np.where(left > 0, math.inf, 0.0)
        return left, never, never.copy()
    end = -math.log(1 - n * k / q) / k
    rest = np.maximum(0.0, end - t)
    a = n - q / k
    held = np.where(t < end, a * rest + q / k**2 * (np.exp(-k * t) - math.exp(-k * end)), 0.0)
    return left, rest, np.maximum(held, 0.0)


def exit_date(
    as_of: date,
    units_on_hand: float,
    units_per_day: float,
    price: float,
    cost_per_unit: float,
    storage_per_unit_month: float,
    upkeep_per_month: float = 0.0,
    exit_cost_share: float = 0.50,
    horizon_days: int = 730,
    weekly_decline: float = 0.0,
    holding_cost_per_unit_day: Sequence[float] | np.ndarray | None = None,
    cohort_units: Sequence[float] | None = None,
) -> date | None:
    """First date on which the storage + upkeep still to pay until the stock sells out exceed
    ``exit_cost_share`` of the gross profit that stock still holds (R-E2: "storage + upkeep >
    50% of the remaining stock's gross profit -> exit now").

    On each day t of ``exit_timeline``: exit when ``future_cost(t) > share x G(t)``, or when
    units are left that earn no gross profit (price <= cost per unit). ``as_of`` (exit now)
    when it already holds today; None when it does not hold before the stock sells out or
    within ``horizon_days`` (or nothing is on hand): keep selling.

    With a steady sales rate the future cost per unit left, ``s L / (2 q) + u / q`` over
    30.42, only falls as the stock sells, so the answer is today or never: the rule says
    whether to exit now, and the timeline shows by how much. A ``weekly_decline`` (a fading
    product, R-D1) keeps that shape (the time a unit still waits only shrinks as the stock
    clears) but makes storage dearer: stock beyond all that will ever sell (``q / k``) waits
    forever, so it is exit now. A later exit date needs costs that rise with time: pass the
    per-day schedule ``holding_cost_per_unit_day`` (and ``cohort_units`` for age cohorts, FIFO;
    see ``exit_timeline``) with the Q4 storage rate and the aged-surcharge tiers, and the share
    can climb as a dearer period comes closer, so the rule fires on a later day, e.g. the day
    the Q4 rate starts when the stock still left then would pay more than half its gross
    profit in Q4 storage. Examples (365 / 12-day months):
    1,000 units at 10/day, price 20, cost 10, storage 0.5: 1,000^2 / 20 x 0.5 / 30.42 =
    821.92 < 0.5 x 10,000 -> None (keep selling); at 1/day, price 10, cost 9: 1,000^2 / 2 x
    0.5 / 30.42 = 8,219.18 > 0.5 x 1,000 -> exit today.
    """
    share = _number("exit_cost_share", exit_cost_share, strict=True)
    if _number("units_on_hand", units_on_hand) == 0:
        return None
    timeline = exit_timeline(
        as_of,
        units_on_hand,
        units_per_day,
        price,
        cost_per_unit,
        storage_per_unit_month,
        upkeep_per_month,
        horizon_days,
        weekly_decline=weekly_decline,
        holding_cost_per_unit_day=holding_cost_per_unit_day,
        cohort_units=cohort_units,
    )
    stocked = timeline[timeline["units_left"] > 0]
    fired = stocked[
        (stocked["future_cost"] > share * stocked["remaining_gross_profit"])
        | (stocked["remaining_gross_profit"] <= 0)
    ]
    return None if fired.empty else fired["date"].iloc[0]


def residual_value_options(
    units: float,
    average_selling_price: float,
    unit_cost: float,
    keep_selling_units_per_day: float,
    *,
    as_of: date | None = None,
    fba_fee: float = 0.0,
    referral_rate: float = DEFAULT_REFERRAL_RATE,
    storage_per_unit_month: float = 0.0,
    upkeep_per_month: float = 0.0,
    liquidation_net: float = 0.0,
    liquidation_days: float = 30,
    removal_fee_per_unit: float = 0.0,
    disposal_fee_per_unit: float = 0.0,
    other_channel_price_per_unit: float = 0.0,
    other_channel_cost_per_unit: float = 0.0,
    other_channel_units_per_day: float | None = None,
    removal_days: float = 30,
    donation_value_per_unit: float = 0.0,
    horizon_days: float = DEFAULT_HORIZON_DAYS,
) -> pd.DataFrame:
    """Recovery of each way out for the remaining stock, best one recommended (R-E3).

    Recovery and cost in money for all ``units``; the purchase cost is sunk and the same for
    every option, so net = recovery - cost decides, and ``net_vs_cost`` = net - units x unit
    cost shows the loss against what the stock cost. Options:

    - keep selling: sold = min(units, rate x horizon); recovery = sold x (ASP (1 - referral) -
      FBA fee); cost = storage per unit-month x unit-months held until sold (or the horizon) +
      upkeep per month x months; units unsold within the horizon recover nothing;
      days = units / rate.
    - liquidation: recovery = ``liquidation_net`` (net proceeds for all units after the
      liquidator's processing and referral fees: ``fees.liquidation_recovery(...).net``); cost 0.
    - removal to another channel: recovery = units x ``other_channel_price_per_unit`` (net of
      that channel's fees); cost = units x (removal fee + ``other_channel_cost_per_unit``
      freight/inbound); days = removal days + units / other channel rate (if given).
    - donation: recovery = units x ``donation_value_per_unit`` (e.g. tax value); cost = units x
      disposal fee (Amazon's donation programme charges the disposal fee).
    - disposal: recovery 0; cost = units x disposal fee.

    Columns: option, recovery, cost, net, net_per_unit, net_vs_cost, days, date (``as_of`` +
    days, None when ``as_of`` is None or days infinite), recommended (True for the best net;
    first listed wins a tie).
    """
    n = _number("units", units)
    asp = _number("average_selling_price", average_selling_price)
    cost = _number("unit_cost", unit_cost)
    rate = _number("keep_selling_units_per_day", keep_selling_units_per_day)
    fba = _number("fba_fee", fba_fee)
    referral = _share("referral_rate", referral_rate)
    storage = _number("storage_per_unit_month", storage_per_unit_month)
    upkeep = _number("upkeep_per_month", upkeep_per_month)
    liquidation = _number("liquidation_net", liquidation_net, minimum=None)
    horizon = _number("horizon_days", horizon_days, strict=True)
    removal = _number("removal_fee_per_unit", removal_fee_per_unit)
    disposal = _number("disposal_fee_per_unit", disposal_fee_per_unit)
    other_price = _number("other_channel_price_per_unit", other_channel_price_per_unit)
    other_cost = _number("other_channel_cost_per_unit", other_channel_cost_per_unit)
    removal_d = _number("removal_days", removal_days)
    liquidation_d = _number("liquidation_days", liquidation_days)
    donation = _number("donation_value_per_unit", donation_value_per_unit)

    days_to_sell = n / rate if rate > 0 else math.inf
    selling_days = min(days_to_sell, horizon)
    sold = min(n, rate * horizon)
    held = _stock_days(n, rate, horizon, rate, horizon)
    keep_cost = storage / DAYS_PER_MONTH * held + upkeep / DAYS_PER_MONTH * selling_days
    other_days = removal_d
    if other_channel_units_per_day:
        other_days += n / _number(
            "other_channel_units_per_day", other_channel_units_per_day, strict=True
        )
    options = [
        ("keep selling", sold * (asp * (1 - referral) - fba), keep_cost, days_to_sell),
        ("liquidation", liquidation, 0.0, liquidation_d),
        ("removal to another channel", n * other_price, n * (removal + other_cost), other_days),
        ("donation", n * donation, n * disposal, removal_d),
        ("disposal", 0.0, n * disposal, removal_d),
    ]
    rows = []
    for name, recovery, option_cost, days in options:
        net = recovery - option_cost
        rows.append(
            {
                "option": name,
                "recovery": recovery,
                "cost": option_cost,
                "net": net,
                "net_per_unit": net / n if n > 0 else 0.0,
                "net_vs_cost": net - n * cost,
                "days": days,
                "date": (
                    as_of + timedelta(days=math.ceil(days))
                    if as_of is not None and math.isfinite(days)
                    else None
                ),
            }
        )
    out = pd.DataFrame(rows)
    best = int(np.argmax(out["net"].to_numpy()))
    out["recommended"] = [i == best for i in range(len(out))]
    return out
