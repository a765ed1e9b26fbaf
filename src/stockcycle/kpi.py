"""Inventory health, cash and risk KPIs (R-K1..R-K4, R-M5, R-G5).

Map of the module (pure functions: numbers and DataFrames in, numbers and DataFrames out):

- Turnover (R-K1): ``inventory_turnover`` = COGS / average inventory at cost,
  ``days_of_inventory`` = average inventory / COGS x days, ``turnover_status`` compares a
  turnover with the alert threshold and the target band.
- Aging (R-K2): ``fifo_layers`` consumes the units sold from the oldest receipt first (FIFO) and
  returns the layers still on hand with their age; ``fifo_aging`` puts them in the buckets
  ``AGE_BUCKETS``; ``aging_from_report`` reads the workspace ``aging`` table (Amazon's aging
  columns) and flags watch / discount / write-down per SKU.
- Cash (R-K3): ``cash_conversion_cycle`` = DIO + DSO - DPO, with ``days_sales_outstanding`` and
  ``days_payable_outstanding`` for its two other terms.
- Replenishment cash and volatility (R-K5, R-M5): ``cash_tied_up`` = (safety stock + order / 2)
  x unit cost; ``demand_volatility`` = sd / mean of daily demand, the trigger to recompute
  safety stock and reorder point.
- Liquidity (R-K4): ``stress_test`` -> ``StressTest`` (months of fixed costs covered before and
  after a sales drop and a supply delay, cash ratio, warnings; ``explain()``).
- Portfolio (R-M5): ``abc_classes`` by cumulative revenue share; ``c_class_cash_cap`` checks the
  cash tied up in class C against its cap (5% of total inventory cost) and spreads the excess.
- Weekly review (R-G5): ``weekly_review`` compares turnover, stockout days and days of cover per
  SKU in the weeks before and after a restock and flags "smaller, more frequent batches".

Sources: SPEC rules cited per function; Silver, Pyke & Thomas, "Inventory and Production
Management in Supply Chains" (4th ed.), ch. 2 (turnover, ABC) ; Nahmias, "Production and
Operations Analysis" (ABC analysis); the cash conversion cycle as in Richards & Laughlin (1980),
"A cash conversion cycle approach to liquidity analysis", Financial Management 9(1).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from stockcycle.checks import number as _number
from stockcycle.errors import InputError
from stockcycle.policy import DAYS_PER_MONTH  # 365 / 12: one twelfth of a year, everywhere

AGE_BUCKETS: tuple[str, ...] = ("0-90", "91-180", "181-270", "271-365", "365+")
# Inclusive age range in days of each bucket (R-K2); the last one is open.
BUCKET_RANGES: dict[str, tuple[int, float]] = {
    "0-90": (0, 90),
    "91-180": (91, 180),
    "181-270": (181, 270),
    "271-365": (271, 365),
    "365+": (366, math.inf),
}


# --------------------------------------------------------------------------- turnover (R-K1)


def inventory_turnover(cogs: float, average_inventory_cost: float) -> float:
    """Inventory turnover over a period (R-K1): ``T = COGS / average inventory at cost``.

    Both in money of the same period (e.g. a year of COGS -> turns per year). Silver, Pyke &
    Thomas (4th ed.) sec. 2.5. No stock and no sales gives 0; sales from no average stock
    (everything arrived and left between two counts) gives ``inf``.

    >>> inventory_turnover(120_000, 30_000)
    4.0
    """
    cogs = _number("cogs", cogs)
    average = _number("average_inventory_cost", average_inventory_cost)
    if average == 0:
        return math.inf if cogs > 0 else 0.0
    return cogs / average


def days_of_inventory(
    average_inventory_cost: float, cogs: float, period_days: float = 365
) -> float:
    """Days inventory outstanding (R-K1, R-K3): ``DIO = average inventory / COGS x period_days``.

    Equal to ``period_days / turnover``; ``inf`` when there is stock but no COGS, 0 with neither.

    >>> days_of_inventory(30_000, 120_000)
    91.25
    """
    average = _number("average_inventory_cost", average_inventory_cost)
    cogs = _number("cogs", cogs)
    days = _number("period_days", period_days, strict=True)
    if cogs == 0:
        return math.inf if average > 0 else 0.0
    return average / cogs * days


def turnover_status(
    turnover_per_year: float,
    alert: float = 3.0,
    target_low: float = 4.0,
    target_high: float = 6.0,
) -> str:
    """Where a yearly turnover sits against R-K1's alert threshold and target band.

    Returns ``"alert"`` (below ``alert``, default 3/yr), ``"below target"`` (below the band,
    default 4-6/yr), ``"on target"`` or ``"above target"`` (lean: check stockouts).
    """
    t = _number("turnover_per_year", turnover_per_year)
    if t < alert:
        return "alert"
    if t < target_low:
        return "below target"
    if t <= target_high:
        return "on target"
    return "above target"


# --------------------------------------------------------------------------- aging (R-K2)


def age_bucket(age_days: float) -> str:
    """The R-K2 bucket of an age in days: 0-90, 91-180, 181-270, 271-365, 365+ (over 365)."""
    for name, (_low, high) in BUCKET_RANGES.items():
        if age_days <= high:
            return name
    return AGE_BUCKETS[-1]


def fifo_layers(receipts: pd.DataFrame, units_sold: float, as_of: date) -> pd.DataFrame:
    """Stock layers left on ``as_of`` after FIFO consumption (R-K2).

    ``receipts``: columns ``date``, ``units`` (units received into stock, e.g. FBA receipts or
    delivered purchase orders). ``units_sold``: units that left stock from the first receipt up
    to ``as_of`` (sales, removals). The oldest units leave first (first in, first out: what
    Amazon assumes for its own aging report), so what remains of receipt *i* is
    ``min(units_i, max(0, cumulative_units_i - units_sold))``.

    Returns columns ``date``, ``units`` (left), ``age_days`` (``as_of - date``), ``bucket``;
    layers fully sold are dropped. Raises InputError for negative units, a receipt after
    ``as_of`` or more units sold than received.
    """
    sold = _number("units_sold", units_sold)
    for col in ("date", "units"):
        if col not in receipts.columns:
            raise InputError("receipts have no such column", column=col, expected="date, units")
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(receipts["date"], errors="coerce"),
            "units": pd.to_numeric(receipts["units"], errors="coerce"),
            "row": np.arange(len(receipts)) + 2,  # spreadsheet row: header is row 1
        }
    )
    for col, what in (("date", "a date"), ("units", "a number >= 0")):
        bad = frame[frame[col].isna() | ((frame[col] < 0) if col == "units" else False)]
        if len(bad):
            raise InputError(
                f"receipt {col} is not valid",
                row=int(bad["row"].iloc[0]),
                column=col,
                expected=what,
            )
    as_of_ts = pd.Timestamp(as_of)
    late = frame[frame["date"] > as_of_ts]
    if len(late):
        raise InputError(
            f"receipt dated after the aging date {as_of}",
            row=int(late["row"].iloc[0]),
            column="date",
            expected=f"a date on or before {as_of}",
        )
    frame = frame.sort_values(["date", "row"], kind="stable")
    received = float(frame["units"].sum())
    if sold > received + 1e-9:
        raise InputError(
            f"{sold:g} units sold but only {received:g} received",
            column="units_sold",
            expected="at most the units received (add the opening stock as a receipt)",
        )
    cumulative = frame["units"].cumsum()
    left = np.minimum(frame["units"], np.maximum(0.0, cumulative - sold))
    out = pd.DataFrame(
        {
            "date": frame["date"].dt.date,
            "units": left.astype(float),
            "age_days": (as_of_ts - frame["date"]).dt.days.astype(int),
        }
    )
    out = out[out["units"] > 0].reset_index(drop=True)
    out["bucket"] = [age_bucket(a) for a in out["age_days"]]
    return out


def fifo_aging(receipts: pd.DataFrame, units_sold: float, as_of: date) -> pd.Series:
    """Units on hand per R-K2 age bucket after FIFO consumption of ``units_sold``.

    Index: ``AGE_BUCKETS`` in order (all five, zeros included); values: units. See
    ``fifo_layers`` for the rule. Example: 100 units received 200 days ago and 100 units 30
    days ago, 150 sold -> 0 left of the first, 50 of the second: ``0-90`` = 50.
    """
    layers = fifo_layers(receipts, units_sold, as_of)
    totals = layers.groupby("bucket")["units"].sum() if len(layers) else pd.Series(dtype=float)
    return pd.Series(
        [float(totals.get(b, 0.0)) for b in AGE_BUCKETS], index=list(AGE_BUCKETS), name="units"
    )


def _older_than(wide: pd.DataFrame, days: float) -> tuple[pd.Series, pd.Series]:
    """Units certainly older than ``days`` (whole bucket above it) and possibly older (bucket
    reaching above it): the report's buckets cannot split a bucket that straddles ``days``."""
    certain = [b for b, (low, _high) in BUCKET_RANGES.items() if low > days]
    possible = [b for b, (_low, high) in BUCKET_RANGES.items() if high > days]
    return wide[certain].sum(axis=1), wide[possible].sum(axis=1)


def aging_from_report(
    aging: pd.DataFrame,
    watch_days: int = 90,
    discount_days: int = 120,
    writedown_days: int = 180,
) -> pd.DataFrame:
    """Per SKU aging buckets and R-K2 flags from the workspace ``aging`` table.

    ``aging``: columns ``snapshot_date``, ``sku``, ``bucket`` (one of ``AGE_BUCKETS``),
    ``units`` (Amazon's ``inv-age-*`` columns, normalised at import). The latest snapshot of
    each SKU is used.

    Returns one row per SKU: ``sku``, ``snapshot_date``, the five bucket columns, ``total``,
    and for each rule (watch > 90 days, tiered discount > 120, write-down > 180; R-K2,
    thresholds from Settings ``aging_*_days``):
    ``<rule>_units`` = units *certainly* older (buckets entirely above the threshold),
    ``<rule>`` = True when there are such units, ``<rule>_maybe`` = True when only a bucket
    straddling the threshold holds stock. With Amazon's buckets the 120-day discount rule always
    straddles ``91-180``: ``discount_maybe`` means "some of the 91-180 units may be over 120
    days; use ``fifo_aging`` on receipts (or a finer report) to tell". ``status`` is the most
    severe of: "write-down candidate", "discount", "discount? (check 91-180)", "watch", "ok".
    """
    needed = ("snapshot_date", "sku", "bucket", "units")
    for col in needed:
        if col not in aging.columns:
            raise InputError("aging table has no such column", column=col, expected=str(needed))
    frame = aging.reset_index(drop=True)
    bad = ~frame["bucket"].isin(AGE_BUCKETS)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"unknown aging bucket {frame['bucket'].iloc[i]!r}",
            row=i + 2,
            column="bucket",
            expected=", ".join(AGE_BUCKETS),
        )
    units = pd.to_numeric(frame["units"], errors="coerce")
    bad = units.isna() | (units < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError("units is not valid", row=i + 2, column="units", expected="a number >= 0")
    frame = frame.assign(units=units, snapshot_date=pd.to_datetime(frame["snapshot_date"]))
    columns = ["sku", "snapshot_date", *AGE_BUCKETS, "total"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    latest = frame.groupby("sku")["snapshot_date"].transform("max")
    frame = frame[frame["snapshot_date"] == latest]
    wide = frame.pivot_table(
        index=["sku", "snapshot_date"], columns="bucket", values="units", aggfunc="sum"
    )
    wide = wide.reindex(columns=list(AGE_BUCKETS)).fillna(0.0).astype(float)
    wide.columns.name = None
    wide = wide.reset_index()
    wide["snapshot_date"] = wide["snapshot_date"].dt.date
    wide["total"] = wide[list(AGE_BUCKETS)].sum(axis=1)
    for rule, days in (
        ("watch", watch_days),
        ("discount", discount_days),
        ("write_down", writedown_days),
    ):
        certain, possible = _older_than(wide, days)
        wide[f"{rule}_units"] = certain
        wide[rule] = certain > 0
        wide[f"{rule}_maybe"] = (certain <= 0) & (possible > 0)
    status = np.select(
        [wide["write_down"], wide["discount"], wide["discount_maybe"], wide["watch"]],
        ["write-down candidate", "discount", "discount? (check 91-180)", "watch"],
        default="ok",
    )
    wide["status"] = status
    return wide.sort_values("sku").reset_index(drop=True)


# --------------------------------------------------------------------------- cash (R-K3)


def days_sales_outstanding(receivables: float, revenue: float, period_days: float = 365) -> float:
    """DSO = receivables / revenue x period_days (days until a sale is paid).

    For Amazon, receivables are the sales not yet disbursed (the settlement balance, paid about
    every 14 days). 0 when there is no revenue.
    """
    receivables = _number("receivables", receivables)
    revenue = _number("revenue", revenue)
    days = _number("period_days", period_days, strict=True)
    return 0.0 if revenue == 0 else receivables / revenue * days


def days_payable_outstanding(payables: float, cogs: float, period_days: float = 365) -> float:
    """DPO = accounts payable / COGS x period_days (days the seller takes to pay suppliers).

    0 when there is no COGS.
    """
    payables = _number("payables", payables)
    cogs = _number("cogs", cogs)
    days = _number("period_days", period_days, strict=True)
    return 0.0 if cogs == 0 else payables / cogs * days


def cash_conversion_cycle(
    days_inventory: float, days_receivable: float, days_payable: float
) -> float:
    """Cash conversion cycle in days (R-K3): ``CCC = DIO + DSO - DPO``.

    Days between paying the supplier and being paid by the customer (Richards & Laughlin
    1980). Negative when suppliers are paid after the customers pay.

    >>> cash_conversion_cycle(90, 14, 30)
    74.0
    """
    dio = _number("days_inventory", days_inventory)
    dso = _number("days_receivable", days_receivable)
    dpo = _number("days_payable", days_payable)
    return dio + dso - dpo


# --------------------------------------------------------------------------- restock cash (R-K5)


def cash_tied_up(safety_stock_units: float, order_units: float, unit_cost: float | None) -> float:
    """Average cash tied up in a SKU's stock: ``(SS + Q / 2) x unit cost`` (money).

    Between deliveries the cycle stock falls from Q to 0, half an order on average, and the
    safety stock SS stays on the shelf (Silver, Pyke & Thomas ch. 4 and 7; R-K5 "the cash effect
    of new stock", R-M5 "capital tied up"). With ``order_units`` = 0 it is the cash in the
    safety stock alone, SS x unit cost. NaN when the unit cost is unknown (None or NaN): an
    unknown cost is not a zero one. Example: SS 150, Q 600, $4.00 -> (150 + 300) x 4 = 1,800.
    """
    ss = _number("safety_stock_units", safety_stock_units)
    q = _number("order_units", order_units)
    if unit_cost is None or (isinstance(unit_cost, float) and math.isnan(unit_cost)):
        return math.nan
    return (ss + q / 2.0) * _number("unit_cost", unit_cost)


def demand_volatility(sd_daily_demand: float, mean_daily_demand: float) -> float:
    """Daily sales volatility as a coefficient of variation: ``CV = sd / mean`` (a share).

    ``sd_daily_demand``: standard deviation of the recent daily demand (units/day; the restock
    plan uses the in-stock days of the last 8 weeks); ``mean_daily_demand``: the forecast mean
    (units/day). R-K5: above ``Settings.volatility_replan`` (20%) the safety stock and reorder
    point are recomputed. NaN when the mean is 0 (no demand: no volatility to speak of).
    Example: sd 3, mean 12 -> 0.25 (25%).
    """
    sd = _number("sd_daily_demand", sd_daily_demand)
    mean = _number("mean_daily_demand", mean_daily_demand)
    return sd / mean if mean > 0 else math.nan


# --------------------------------------------------------------------------- liquidity (R-K4)


def _fmt(x: float, digits: int = 2) -> str:
    return "∞" if math.isinf(x) else f"{x:,.{digits}f}"


@dataclass(frozen=True)
class StressTest:
    """Liquidity stress test result (R-K4). Money in the seller's currency, per month."""

    monthly_revenue: float
    gross_margin: float
    monthly_fixed_costs: float
    cash: float
    current_liabilities: float
    inventory_cost: float
    sales_drop: float
    supply_delay_days: float
    lost_sales_days: float  # delay days not bridged by safety stock
    base_gross_profit: float  # revenue x margin, per month
    stressed_gross_profit: float  # revenue x (1 - drop) x margin, per month
    delay_loss: float  # gross profit lost during the stockout caused by the delay
    stressed_cash: float  # cash - delay loss
    months_covered: float  # cash / fixed costs
    months_covered_stressed: float  # stressed cash / fixed costs
    stressed_burn: float  # fixed costs - stressed gross profit, per month (<= 0: no burn)
    runway_months_stressed: float  # stressed cash / burn (inf when no burn)
    cash_ratio: float  # cash / current liabilities
    inventory_months_stressed: float  # inventory at cost / stressed monthly COGS
    min_months: float
    cash_ratio_warning: float
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.warnings

    def explain(self) -> str:
        lines = [
            f"- Months of fixed costs covered = cash / fixed costs = {_fmt(self.cash)} / "
            f"{_fmt(self.monthly_fixed_costs)} = **{_fmt(self.months_covered, 1)}** months "
            f"(R-K4 asks for at least {self.min_months:g}).",
            f"- Stressed gross profit = revenue x (1 - drop) x margin = "
            f"{_fmt(self.monthly_revenue)} x (1 - {self.sales_drop:.0%}) x "
            f"{self.gross_margin:.1%} = {_fmt(self.stressed_gross_profit)} per month.",
            f"- Supply delay: {self.supply_delay_days:g} days, {self.lost_sales_days:g} of them "
            f"without stock -> gross profit lost = {_fmt(self.stressed_gross_profit)} / "
            f"{DAYS_PER_MONTH:.2f} x {self.lost_sales_days:g} = {_fmt(self.delay_loss)}; "
            f"cash after it {_fmt(self.stressed_cash)}, covering "
            f"**{_fmt(self.months_covered_stressed, 1)}** months of fixed costs.",
            f"- Monthly burn under stress = fixed costs - gross profit = "
            f"{_fmt(self.monthly_fixed_costs)} - {_fmt(self.stressed_gross_profit)} = "
            f"{_fmt(self.stressed_burn)}; runway = **{_fmt(self.runway_months_stressed, 1)}** "
            "months.",
            f"- Cash ratio = cash / current liabilities = {_fmt(self.cash)} / "
            f"{_fmt(self.current_liabilities)} = **{_fmt(self.cash_ratio)}** (warning below "
            f"{self.cash_ratio_warning:g}).",
            f"- Inventory at cost lasts {_fmt(self.inventory_months_stressed, 1)} months of "
            "stressed sales.",
        ]
        if self.warnings:
            lines.append("")
            lines.extend(f"- ⚠ {w}" for w in self.warnings)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def stress_test(
    monthly_revenue: float,
    gross_margin: float,
    monthly_fixed_costs: float,
    cash: float,
    current_liabilities: float,
    inventory_cost: float,
    sales_drop: float = 0.30,
    supply_delay_days: float = 0,
    safety_stock_days: float = 0.0,
    min_months: float = 3.0,
    cash_ratio_warning: float = 0.5,
) -> StressTest:
    """Liquidity stress test (R-K4): a sales drop and a supply delay against cash.

    Formulas (money per month, months of ``365 / 12`` days,
    ``policy.DAYS_PER_MONTH``):

    - months covered = cash / fixed costs (the seed's "can cash cover 3-6 months of fixed
      costs"; ``min_months`` = 3 is its low end);
    - stressed gross profit ``GP_s = revenue x (1 - sales_drop) x gross_margin``;
    - supply delay: a late shipment leaves the shelf empty for the delay days not bridged by
      safety stock, ``lost = max(0, delay - safety_stock_days)``; the gross profit of those
      days is lost: ``delay_loss = GP_s / 30.42 x lost``; stressed cash = cash - delay_loss;
    - months covered under stress = stressed cash / fixed costs; burn = fixed costs - GP_s;
      runway = stressed cash / burn (``inf`` when gross profit still covers fixed costs);
    - cash ratio = cash / current liabilities (R-K4 warns below 0.5; ``inf`` with none);
    - inventory months = inventory at cost / (revenue x (1 - drop) x (1 - margin)).

    Warnings: cash ratio below ``cash_ratio_warning``; months covered (base or stressed) below
    ``min_months``; stressed runway below ``min_months``; burn under stress.
    """
    revenue = _number("monthly_revenue", monthly_revenue)
    margin = _number("gross_margin", gross_margin, minimum=None)
    if not -1 <= margin <= 1:
        raise InputError(
            f"gross_margin is {margin:g}",
            column="gross_margin",
            expected="a share between -1 and 1",
        )
    fixed = _number("monthly_fixed_costs", monthly_fixed_costs)
    cash = _number("cash", cash)
    liabilities = _number("current_liabilities", current_liabilities)
    inventory = _number("inventory_cost", inventory_cost)
    drop = _number("sales_drop", sales_drop)
    if drop > 1:
        raise InputError(f"sales_drop is {drop:g}", column="sales_drop", expected="a share 0..1")
    delay = _number("supply_delay_days", supply_delay_days)
    safety = _number("safety_stock_days", safety_stock_days)

    base_gp = revenue * margin
    stressed_gp = revenue * (1 - drop) * margin
    lost_days = max(0.0, delay - safety)
    delay_loss = max(0.0, stressed_gp) / DAYS_PER_MONTH * lost_days
    stressed_cash = cash - delay_loss
    months = math.inf if fixed == 0 else cash / fixed
    months_stressed = math.inf if fixed == 0 else stressed_cash / fixed
    burn = fixed - stressed_gp
    runway = math.inf if burn <= 0 else max(0.0, stressed_cash) / burn
    ratio = math.inf if liabilities == 0 else cash / liabilities
    stressed_cogs = revenue * (1 - drop) * (1 - margin)
    inventory_months = math.inf if stressed_cogs <= 0 else inventory / stressed_cogs

    warnings: list[str] = []
    if ratio < cash_ratio_warning:
        warnings.append(f"Cash ratio {ratio:.2f} is below {cash_ratio_warning:g}.")
    if months < min_months:
        warnings.append(f"Cash covers only {months:.1f} months of fixed costs.")
    if months_stressed < min_months <= months:
        warnings.append(
            f"After the stress, cash covers only {months_stressed:.1f} months of fixed costs."
        )
    if burn > 0:
        warnings.append(
            f"Under a {drop:.0%} sales drop gross profit no longer covers fixed costs "
            f"(burn {burn:,.0f} per month, runway {runway:.1f} months)."
        )
    return StressTest(
        monthly_revenue=revenue,
        gross_margin=margin,
        monthly_fixed_costs=fixed,
        cash=cash,
        current_liabilities=liabilities,
        inventory_cost=inventory,
        sales_drop=drop,
        supply_delay_days=delay,
        lost_sales_days=lost_days,
        base_gross_profit=base_gp,
        stressed_gross_profit=stressed_gp,
        delay_loss=delay_loss,
        stressed_cash=stressed_cash,
        months_covered=months,
        months_covered_stressed=months_stressed,
        stressed_burn=burn,
        runway_months_stressed=runway,
        cash_ratio=ratio,
        inventory_months_stressed=inventory_months,
        min_months=float(min_months),
        cash_ratio_warning=float(cash_ratio_warning),
        warnings=tuple(warnings),
    )


# --------------------------------------------------------------------------- ABC (R-M5)


def _money_series(values: pd.Series, name: str) -> pd.Series:
    out = pd.to_numeric(pd.Series(values), errors="coerce").astype(float)
    bad = out.isna() | (out < 0)
    if bad.any():
        sku = out.index[np.flatnonzero(bad.to_numpy())[0]]
        raise InputError(f"{name} of {sku!r} is not valid", column=name, expected="a number >= 0")
    return out


def abc_classes(revenue: pd.Series, a_share: float = 0.80, b_share: float = 0.95) -> pd.Series:
    """ABC class per SKU by revenue (R-M5; Silver, Pyke & Thomas sec. 2.3, Nahmias ch. 5).

    ``revenue``: Series indexed by SKU. SKUs are sorted by revenue (highest first, ties by SKU)
    and a SKU belongs to A while the cumulative share of the SKUs *before* it is below
    ``a_share`` (so the SKU that crosses 80% is still A and A is never empty), to B while it is
    below ``b_share``, else C. SKUs without revenue are C. Returns a Series of "A"/"B"/"C" with
    the input's index and order.

    Example: revenue 50, 30, 10, 5, 5 -> shares before 0, .5, .8, .9, .95 -> A, A, B, B, C.
    """
    a = _number("a_share", a_share, strict=True)
    b = _number("b_share", b_share, strict=True)
    if not a <= b <= 1:
        raise InputError(
            f"a_share {a:g}, b_share {b:g}", column="b_share", expected="a_share <= b_share <= 1"
        )
    values = _money_series(revenue, "revenue")
    total = float(values.sum())
    classes = pd.Series("C", index=values.index, name="abc_class", dtype=object)
    if total <= 0:
        return classes
    order = sorted(range(len(values)), key=lambda i: (-values.iloc[i], str(values.index[i])))
    before = 0.0
    labels = ["C"] * len(values)
    for i in order:
        v = float(values.iloc[i])
        if v > 0:
            share = before / total
            labels[i] = "A" if share < a else "B" if share < b else "C"
        before += v
    return pd.Series(labels, index=values.index, name="abc_class", dtype=object)


def c_class_cash_cap(
    inventory_cost: pd.Series, classes: pd.Series, cap_share: float = 0.05
) -> pd.DataFrame:
    """Cash tied up in class C against its cap (R-M5: C items capped at 5% of total).

    ``inventory_cost``: stock at cost per SKU; ``classes``: A/B/C per SKU (``abc_classes``;
    SKUs missing there count as C). cap = ``cap_share`` x total inventory cost; excess =
    max(0, C total - cap), spread over the C SKUs in proportion to their inventory cost (the
    cash to release from each, e.g. by not restocking or clearing it).

    Returns one row per SKU: ``sku``, ``abc_class``, ``inventory_cost``, ``share_of_total``,
    ``excess_cost`` (0 outside C); ``.attrs``: ``total``, ``c_total``, ``cap``, ``excess``,
    ``over_cap`` (bool).
    """
    cap_share = _number("cap_share", cap_share)
    cost = _money_series(inventory_cost, "inventory_cost")
    cls = pd.Series(classes).reindex(cost.index).fillna("C").astype(str)
    total = float(cost.sum())
    is_c = cls == "C"
    c_total = float(cost[is_c].sum())
    cap = cap_share * total
    excess = max(0.0, c_total - cap)
    excess_cost = cost.where(is_c, 0.0) / c_total * excess if c_total > 0 else cost * 0.0
    out = pd.DataFrame(
        {
            "sku": cost.index.astype(str),
            "abc_class": cls.to_numpy(),
            "inventory_cost": cost.to_numpy(),
            "share_of_total": (cost / total).to_numpy() if total > 0 else 0.0,
            "excess_cost": excess_cost.to_numpy(),
        }
    )
    out.attrs.update(
        {"total": total, "c_total": c_total, "cap": cap, "excess": excess, "over_cap": excess > 0}
    )
    return out


# --------------------------------------------------------------------------- review (R-G5)


def _stock_units(stock: pd.DataFrame) -> tuple[str, pd.Series]:
    date_col = "date" if "date" in stock.columns else "snapshot_date"
    if date_col not in stock.columns or "sku" not in stock.columns:
        raise InputError("stock has no date column", column="date", expected="date, sku, on_hand")
    if "on_hand" in stock.columns:
        units = pd.to_numeric(stock["on_hand"], errors="coerce")
    elif "available" in stock.columns:
        units = pd.to_numeric(stock["available"], errors="coerce")
    else:
        raise InputError(
            "stock has no units column", column="on_hand", expected="on_hand or available"
        )
    return date_col, units.fillna(0.0)


def _window_figures(
    sales: pd.DataFrame, stock: pd.DataFrame, start: pd.Timestamp, days: int
) -> pd.DataFrame:
    """Per SKU over [start, start + days): units sold, mean stock, stockout days."""
    end = start + pd.Timedelta(days=days)
    s = sales[(sales["date"] >= start) & (sales["date"] < end)]
    units = s.groupby("sku")["units"].sum()
    day = pd.Timedelta(days=1)
    # A snapshot holds until the next one (stock counts are often weekly, not daily): carry the
    # last snapshot before the window in as the day before it, then fill forward.
    earlier = stock[stock["date"] < start]
    carry = earlier[earlier["date"] == earlier.groupby("sku")["date"].transform("max")]
    inside = stock[(stock["date"] >= start) & (stock["date"] < end)]
    both = pd.concat([carry.assign(date=start - day), inside], ignore_index=True)
    if both.empty:
        return pd.DataFrame(columns=["mean_stock", "stockout_days", "known_days", "units"])
    wide = both.pivot_table(index="date", columns="sku", values="units", aggfunc="sum")
    wide = wide.reindex(pd.date_range(start - day, end - day, freq="D")).ffill().iloc[1:]
    known = wide.notna().sum()
    out = pd.DataFrame(
        {
            "mean_stock": wide.mean(),
            "stockout_days": (wide <= 0).sum().where(known > 0),
            "known_days": known.astype(float),
        }
    )
    out["units"] = units.reindex(out.index).fillna(0.0)
    return out


def _change(before: float, after: float) -> float:
    if math.isnan(before) or math.isnan(after) or before == 0:
        return math.nan
    return after / before - 1


REVIEW_COLUMNS = [
    "sku",
    "turnover_before",
    "turnover_after",
    "stockout_days_before",
    "stockout_days_after",
    "stockout_change",
    "cover_days_before",
    "cover_days_after",
    "cover_change",
    "smaller_batches",
    "advice",
]


def weekly_review(
    sales: pd.DataFrame,
    stock: pd.DataFrame,
    change_date: date,
    weeks: int = 4,
    stockout_change: float = -0.20,
    cover_change: float = 0.15,
) -> pd.DataFrame:
    """Before/after review of a restock change per SKU (R-G5).

    ``sales``: ``date``, ``sku``, ``units`` (days without a row sold 0). ``stock``: ``date``
    (or ``snapshot_date``), ``sku``, ``on_hand`` (or ``available``); several locations on one
    date are added up, and a snapshot holds until the next one. The two windows are the
    ``weeks`` x 7 days before ``change_date`` and the same number of days from it on. One row
    per SKU that has stock records.

    Per window: turnover = units sold / mean stock x 365 / window days (turns per year, in
    units: the unit cost cancels for one SKU; R-K1), stockout days = days with stock <= 0,
    days of cover = mean stock / mean daily sales. Changes are ``after / before - 1`` (NaN when
    the before figure is 0). ``smaller_batches`` is True when stockout days changed by at most
    ``stockout_change`` (fell >= 20%) while cover changed by at least ``cover_change`` (grew >=
    15%): the seed's sign that restocks are too large -> smaller, more frequent batches.
    """
    weeks = int(_number("weeks", weeks, strict=True))
    for col in ("date", "sku", "units"):
        if col not in sales.columns:
            raise InputError("sales has no such column", column=col, expected="date, sku, units")
    date_col, units = _stock_units(stock)
    sales = pd.DataFrame(
        {
            "date": pd.to_datetime(sales["date"]),
            "sku": sales["sku"].astype(str),
            "units": pd.to_numeric(sales["units"], errors="coerce").fillna(0.0),
        }
    )
    stock = pd.DataFrame(
        {"date": pd.to_datetime(stock[date_col]), "sku": stock["sku"].astype(str), "units": units}
    )
    days = weeks * 7
    change = pd.Timestamp(change_date)
    before = _window_figures(sales, stock, change - pd.Timedelta(days=days), days)
    after = _window_figures(sales, stock, change, days)
    skus = sorted(set(before.index) | set(after.index))
    rows = []
    for sku in skus:
        b = before.loc[sku] if sku in before.index else None
        a = after.loc[sku] if sku in after.index else None

        def figures(w: pd.Series | None) -> tuple[float, float, float]:
            if w is None or math.isnan(w["mean_stock"]):
                return math.nan, math.nan, math.nan
            daily = w["units"] / days
            turnover = (
                w["units"] / w["mean_stock"] * 365 / days if w["mean_stock"] > 0 else math.inf
            )
            cover = w["mean_stock"] / daily if daily > 0 else math.inf
            return turnover, w["stockout_days"], cover

        tb, sb, cb = figures(b)
        ta, sa, ca = figures(a)
        so_change = _change(sb, sa)
        cv_change = _change(cb, ca) if math.isfinite(cb) and math.isfinite(ca) else math.nan
        flag = (
            not math.isnan(so_change)
            and not math.isnan(cv_change)
            and so_change <= stockout_change
            and cv_change >= cover_change
        )
        advice = (
            f"Stockout days {so_change:+.0%} but cover {cv_change:+.0%}: order smaller, more "
            "frequent batches."
            if flag
            else ""
        )
        rows.append(
            {
                "sku": sku,
                "turnover_before": tb,
                "turnover_after": ta,
                "stockout_days_before": sb,
                "stockout_days_after": sa,
                "stockout_change": so_change,
                "cover_days_before": cb,
                "cover_days_after": ca,
                "cover_change": cv_change,
                "smaller_batches": flag,
                "advice": advice,
            }
        )
    out = pd.DataFrame(rows, columns=REVIEW_COLUMNS)
    out.attrs.update(
        {
            "before": (change - timedelta(days=days)).date(),
            "change_date": change.date(),
            "after_end": (change + timedelta(days=days - 1)).date(),
        }
    )
    return out
