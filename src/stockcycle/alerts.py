"""Alert rules: the launch monitor (R-L8) and every alert of the daily check (R-A2).

Pure functions: series and numbers in, a dataclass out. ``launch_monitor`` compares early
launch sales with the plan band (per-day rows and a recommendation). The alert rules each take
one SKU's figures and return an ``Alert`` (or None when the rule does not fire):

=========================  =======  ==============================================================
rule                       SPEC     fires when
=========================  =======  ==============================================================
``low_stock``              R-A1     stock + on order < 30-day sales/day x lead time x safety factor
``overstock``              R-M4     stock > months x 30.4 days x 30-day sales/day
``sales_spike``            R-M4     last day's sales >= (1 + jump) x the 28 days before, and stock
                                    under the plan's safety stock
``competitor_price_drop``  R-M4     the median price of the search's listings fell by >= the
                                    setting between its two latest Xray snapshots
``decline``                R-D1     weekly sales fell >= the drop this many weeks in a row
``low_turnover``           R-K1     turnover per year < the alert threshold
``aging``                  R-K2     stock older than 90 (watch) / 120 (discount) / 180 days
``volatility``             R-K5     sd / mean of daily demand > the setting (safety stock
                                    recomputed)
``forecast_deviation``     R-K6     sales since the forecast made at the last backtest origin off it
                                    by more than the setting (re-plan)
``launch_band``            R-L8     the launch monitor says below / above the band
``low_inventory_fee``      R-F1     FBA days of supply over 30 and 90 days both under the fee
                                    table's threshold (28 days)
``aged_surcharge``         R-F1     units that will pass 181 days before they sell at today's pace
``storage_utilization``    R-F1     the account's FBA stock > 22 weeks of its sales
``capacity``               R-F2     a month's planned FBA arrivals > the capacity limit setting
``transfer``               R-A4     FBA runs out before a new order can land while another
                                    location holds stock
=========================  =======  ==============================================================

``evaluate(figures, settings)`` runs every rule on a table of per-SKU figures;
``workspace_alerts(ws)`` reads those figures from a workspace once (the restock supply, the
health report, the stages, the forecast batch, the Today table, the fee table) and evaluates.
Storing alerts (states, no re-send) is the workspace's job (``Workspace.sync_alerts``);
notifying the seller is ``stockcycle.notify``'s.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from stockcycle import datadate, fees
from stockcycle.errors import InputError

BELOW, WITHIN, ABOVE, NO_DATA = "below", "within", "above", "no data"


@dataclass(frozen=True)
class LaunchStatus:
    """Early launch sales against the plan band (R-L8).

    ``rows``: one row per day of the plan that has an actual figure or lies before the last
    one: ``date, plan, low, high, actual, deviation`` (actual / plan - 1), ``status``
    (below / within / above / no data), ``run`` (consecutive reported days on that side of the
    band up to this day; a day without a figure carries the run on and does not break it) and
    ``alert`` (run >= ``days`` on a reported day).
    ``state``: "below", "above" (the last ``days`` or more reported days in a row were outside
    the band on that side), "on plan", or "too early" (fewer than ``days`` days reported).
    """

    rows: pd.DataFrame
    band: float
    days: int
    state: str
    run_length: int
    days_reported: int
    first_alert: date | None
    recommendation: str

    @property
    def alert(self) -> bool:
        return self.state in (BELOW, ABOVE)

    def explain(self) -> str:
        reported = self.rows[self.rows["status"] != NO_DATA]
        last = reported.tail(1)
        detail = ""
        if len(last):
            r = last.iloc[0]
            detail = (
                f" Last day reported, {pd.Timestamp(r['date']):%d %b %Y}: actual "
                f"{r['actual']:,.1f} against plan {r['plan']:,.1f} (band {r['low']:,.1f} to "
                f"{r['high']:,.1f}), deviation {r['deviation']:+.0%}."
            )
        return (
            f"Band = plan x (1 - {self.band:.0%}) .. plan x (1 + {self.band:.0%}) per day. "
            f"An alert needs **{self.days} days in a row** outside the band on the same side "
            "(R-L8), counting only days with a figure: a day left empty is skipped, it does not "
            f"break the run; {self.days_reported} days reported, the current run is "
            f"{self.run_length} day(s) {self.state if self.alert else 'outside the band'}."
            f"{detail} Below the band: promote and hold the follow-up 30%; above it: pull the "
            "follow-up 30% forward (R-L5)."
        )

    def to_dict(self) -> dict:
        return {
            "state": self.state,
            "band": self.band,
            "days": self.days,
            "run_length": self.run_length,
            "days_reported": self.days_reported,
            "first_alert": self.first_alert.isoformat() if self.first_alert else None,
            "recommendation": self.recommendation,
        }


def _as_daily(series: pd.Series | pd.DataFrame, what: str) -> pd.Series:
    """A Series indexed by day (a frame with date + value columns is accepted too)."""
    if isinstance(series, pd.DataFrame):
        value_col = [c for c in series.columns if c != "date"]
        if "date" not in series.columns or not value_col:
            raise InputError(f"the {what} table needs a date and a units column", column="date")
        series = series.set_index("date")[value_col[0]]
    idx = pd.to_datetime(pd.Index(series.index), errors="coerce")
    if idx.isna().any():
        bad = series.index[idx.isna()][0]
        raise InputError(f"'{bad}' is not a date", column=f"{what} date", expected="YYYY-MM-DD")
    values = pd.to_numeric(pd.Series(series.to_numpy(), index=idx.normalize()), errors="coerce")
    if (values < 0).any():
        raise InputError(f"the {what} has negative units", column=what, expected=">= 0 units")
    return values.groupby(level=0).sum(min_count=1).sort_index()


def launch_monitor(
    plan_daily: pd.Series | pd.DataFrame,
    actual: pd.Series | pd.DataFrame,
    band: float = 0.20,
    days: int = 3,
) -> LaunchStatus:
    """Compare early daily sales with the launch plan (R-L8).

    low = plan (1 - band), high = plan (1 + band); a day is "below" when actual < low, "above"
    when actual > high, else "within"; a day without an actual figure is "no data" and is
    skipped: it neither extends nor breaks a run, so the run counts consecutive days *with*
    figures on one side of the band. ``days`` such days at the end of the reported period raise
    the alert: below -> promote and hold the follow-up 30%; above -> pull the follow-up forward.
    ``plan_daily`` / ``actual``: units per day indexed by date (or frames ``date, units``);
    actual days outside the plan are ignored. Defaults: Settings.launch_deviation_band and
    Settings.launch_days_below_band.
    """
    if not 0 < band < 10:
        raise InputError(f"the band is {band}", column="band", expected="a share > 0, e.g. 0.20")
    if days < 1:
        raise InputError(f"{days} days", column="days", expected="at least 1 day")
    plan = _as_daily(plan_daily, "plan")
    act = _as_daily(actual, "actual sales").reindex(plan.index)
    reported = act.notna()
    last_day = act[reported].index.max() if reported.any() else None
    rows = pd.DataFrame(
        {
            "date": plan.index,
            "plan": plan.to_numpy(dtype="float64"),
            "low": plan.to_numpy(dtype="float64") * (1 - band),
            "high": plan.to_numpy(dtype="float64") * (1 + band),
            "actual": act.to_numpy(dtype="float64"),
        }
    )
    if last_day is not None:
        rows = rows[rows["date"] <= last_day].reset_index(drop=True)
    else:
        rows = rows.iloc[0:0]
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["deviation"] = np.where(
            rows["plan"] > 0, rows["actual"] / rows["plan"] - 1, np.nan
        ).astype("float64")
    status = np.select(
        [rows["actual"].isna(), rows["actual"] < rows["low"], rows["actual"] > rows["high"]],
        [NO_DATA, BELOW, ABOVE],
        default=WITHIN,
    )
    rows["status"] = pd.Series(status, index=rows.index, dtype="string")
    # Days without a figure are skipped, not counted as "within": a seller who types Monday,
    # Wednesday and Friday has three reported days in a row (R-L8 counts reported days).
    run, prev, count = [], None, 0
    for s in rows["status"]:
        if s == NO_DATA:
            run.append(count if prev in (BELOW, ABOVE) else 0)
            continue
        count = (
            count + 1 if (s == prev and s in (BELOW, ABOVE)) else (1 if s in (BELOW, ABOVE) else 0)
        )
        prev = s
        run.append(count)
    rows["run"] = pd.Series(run, index=rows.index, dtype="int64")
    rows["alert"] = (rows["run"] >= days) & (rows["status"] != NO_DATA)

    n_reported = int(rows["status"].ne(NO_DATA).sum())
    run_length = int(rows["run"].iloc[-1]) if len(rows) else 0
    reported_status = rows.loc[rows["status"] != NO_DATA, "status"]
    side = str(reported_status.iloc[-1]) if len(reported_status) else NO_DATA
    alerts = rows[rows["alert"]]
    first_alert = pd.Timestamp(alerts["date"].iloc[0]).date() if len(alerts) else None
    if run_length >= days and side == BELOW:
        state = BELOW
        rec = (
            f"Sales have been below the plan band (-{band:.0%}) for {run_length} days in a "
            "row: promote (coupon, deal, more ads) and hold the follow-up 30% until sales "
            "are back within the band."
        )
    elif run_length >= days and side == ABOVE:
        state = ABOVE
        rec = (
            f"Sales have been above the plan band (+{band:.0%}) for {run_length} days in a "
            "row: pull the follow-up 30% forward (order now; air freight if the first batch "
            "runs out before sea freight lands)."
        )
    elif n_reported < days:
        state = "too early"
        rec = (
            f"{n_reported} day(s) of sales reported: the monitor needs {days} days before it "
            "can call a trend."
        )
    else:
        state = "on plan"
        rec = (
            f"No {days}-day run outside the +/-{band:.0%} band at the end of the period: "
            "keep the plan and decide the follow-up 30% on its date."
        )
    return LaunchStatus(
        rows=rows,
        band=float(band),
        days=int(days),
        state=state,
        run_length=run_length,
        days_reported=n_reported,
        first_alert=first_alert,
        recommendation=rec,
    )


# ==================================================================== alert rules (R-A2)
#: Severities, most urgent first, with their rank (1 = most urgent).
SEVERITIES: dict[str, int] = {"high": 1, "medium": 2, "low": 3}
#: The SKU of an alert about the whole account (storage utilization, capacity).
ACCOUNT = "(account)"
#: Days of sales behind the live velocity of R-A1 / R-M4.
VELOCITY_DAYS = 30
#: Days before the last day that make the baseline of an abnormal jump (R-M4).
SPIKE_BASELINE_DAYS = 28
#: Days of sales a forecast-deviation check needs after the plan (R-K6): fewer is noise.
DEVIATION_MIN_DAYS = 7
#: Age at which Amazon's aged-inventory surcharge starts (the fee table's first tier, R-F1);
#: used to look 90 days ahead from the report's 91-180 bucket.
AGED_SURCHARGE_DAYS = 181


@dataclass(frozen=True)
class Rule:
    """One alert rule: its name, SPEC code, the seller's title, the unit of its figure and of
    its threshold (the figure's unit unless given)."""

    name: str
    spec: str
    title: str
    unit: str
    threshold_unit: str = ""


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule("low_stock", "R-A1", "Low stock", "units"),
        Rule("overstock", "R-M4", "Overstock", "units"),
        Rule("sales_spike", "R-M4", "Sales spike with stock under safety stock", "share"),
        Rule("competitor_price_drop", "R-M4", "Competitor price drop", "share"),
        Rule("decline", "R-D1", "Sales declining", "weeks"),
        Rule("low_turnover", "R-K1", "Slow turnover", "per year"),
        Rule("aging", "R-K2", "Aging stock", "units", "days"),
        Rule("volatility", "R-K5", "Volatile sales: safety stock recomputed", "share"),
        Rule("forecast_deviation", "R-K6", "Sales off plan: re-plan", "share"),
        Rule("launch_band", "R-L8", "Launch off plan", "share"),
        Rule("low_inventory_fee", "R-F1", "Low-inventory-level fee risk", "days"),
        Rule("aged_surcharge", "R-F1", "Aged-inventory surcharge ahead", "units", "days"),
        Rule("storage_utilization", "R-F1", "Storage utilization surcharge risk", "weeks"),
        Rule("capacity", "R-F2", "Arrivals over the FBA capacity limit", "cubic feet"),
        Rule("transfer", "R-A4", "Transfer stock to FBA", "days"),
    )
}


@dataclass(frozen=True)
class Alert:
    """One alert: the SKU, the rule that fired, the figure and the threshold, how urgent it is,
    what to do and the money at stake (NaN when it cannot be counted; the message says why).

    ``value`` and ``threshold`` are in the rule's unit (``RULES[rule].unit``; a "share" is a
    fraction, 0.25 = 25%). ``message`` is the seller's sentence (no SPEC codes); ``spec`` the
    rule's SPEC code for the explain text. ``key`` identifies the alert across runs: one open
    alert per (rule, SKU).
    """

    sku: str
    rule: str
    spec: str
    severity: str
    value: float
    threshold: float
    action: str
    money_at_stake: float
    message: str

    @property
    def key(self) -> str:
        return f"{self.rule}|{self.sku}"

    @property
    def title(self) -> str:
        return RULES[self.rule].title if self.rule in RULES else self.rule

    @property
    def unit(self) -> str:
        return RULES[self.rule].unit if self.rule in RULES else ""

    @property
    def threshold_unit(self) -> str:
        rule = RULES.get(self.rule)
        return (rule.threshold_unit or rule.unit) if rule else ""

    def figure(self) -> str:
        """The value against its threshold in the seller's words ("12 days (threshold 28 days)")."""
        value = format_figure(self.value, self.unit)
        return f"{value} (threshold {format_figure(self.threshold, self.threshold_unit)})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN money becomes None."""
        money = None if _nan(self.money_at_stake) else round(float(self.money_at_stake), 2)
        return {
            "sku": self.sku,
            "rule": self.rule,
            "spec": self.spec,
            "title": self.title,
            "severity": self.severity,
            "value": None if _nan(self.value) else float(self.value),
            "threshold": None if _nan(self.threshold) else float(self.threshold),
            "unit": self.unit,
            "threshold_unit": self.threshold_unit,
            "action": self.action,
            "money_at_stake": money,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Alert:
        nan = float("nan")
        return cls(
            sku=str(d["sku"]),
            rule=str(d["rule"]),
            spec=str(d.get("spec") or (RULES[d["rule"]].spec if d["rule"] in RULES else "")),
            severity=str(d["severity"]),
            value=nan if d.get("value") is None else float(d["value"]),
            threshold=nan if d.get("threshold") is None else float(d["threshold"]),
            action=str(d.get("action") or ""),
            money_at_stake=nan if d.get("money_at_stake") is None else float(d["money_at_stake"]),
            message=str(d.get("message") or ""),
        )


def _nan(x: Any) -> bool:
    try:
        return x is None or math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def format_figure(x: float, unit: str) -> str:
    """A figure in its unit for a seller: shares as percentages, counts with separators."""
    if _nan(x):
        return "n/a"
    if unit == "share":
        return f"{x:.0%}"
    if unit == "per year":
        return f"{x:.1f} per year"
    if unit in ("days", "weeks"):
        return f"{x:,.0f} {unit}"
    return f"{x:,.0f} {unit}".strip()


def _make(
    rule: str,
    sku: str,
    severity: str,
    value: float,
    threshold: float,
    action: str,
    money: float | None,
    message: str,
) -> Alert:
    return Alert(
        sku=str(sku),
        rule=rule,
        spec=RULES[rule].spec,
        severity=severity,
        value=float(value),
        threshold=float(threshold),
        action=action,
        money_at_stake=float("nan") if money is None else float(money),
        message=message,
    )


def _cost(units: float, unit_cost: float | None) -> float | None:
    return None if unit_cost is None or _nan(unit_cost) else max(0.0, units) * float(unit_cost)


def _money_text(money: float | None) -> str:
    return "" if money is None or _nan(money) else f"{money:,.0f}"


# -- one function per rule ------------------------------------------------------------------
def low_stock_alert(
    sku: str,
    position: float,
    sales_30d: float,
    lead_time_days: float,
    safety_factor: float = 1.2,
    *,
    action: str = "",
    money_at_stake: float | None = None,
) -> Alert | None:
    """Low stock (R-A1): ``position < threshold``.

    threshold = 30-day sales / 30 (units/day, the live velocity: it moves with every day of
    sales) x total lead time (days) x safety factor (``Settings.low_stock_safety_factor``);
    position = units on hand at every location + units on order (R-A4: pooled). Example
    (R-A4): 20/day + 5/day, 30 days lead time, factor 1 -> 750 units. Severity high when
    the position is under velocity x lead time (it runs out before an order placed today lands),
    medium otherwise. ``action``/``money_at_stake``: the restock plan's order and the margin at
    risk of a stockout (Today, R-T5), when known.
    """
    if _nan(position) or _nan(sales_30d) or _nan(lead_time_days):
        return None  # no stock figure or no lead time: nothing to compare
    daily = max(0.0, float(sales_30d)) / VELOCITY_DAYS
    threshold = daily * float(lead_time_days) * float(safety_factor)
    if daily <= 0 or position >= threshold:
        return None
    bare = daily * float(lead_time_days)
    severity = "high" if position < bare else "medium"
    act = action or f"Order now: {threshold - position:,.0f} units bring stock back to the line."
    msg = (
        f"{position:,.0f} units in stock and on order, under the reorder line of "
        f"{threshold:,.0f} ({daily:,.1f} sold per day over the last 30 days x "
        f"{lead_time_days:,.0f} days lead time x {safety_factor:g})."
    )
    if severity == "high":
        msg += f" It runs out in about {position / daily:,.0f} days, before an order can land."
    return _make("low_stock", sku, severity, position, threshold, act, money_at_stake, msg)


def overstock_alert(
    sku: str,
    on_hand: float,
    sales_30d: float,
    months: float = 3.0,
    unit_cost: float | None = None,
) -> Alert | None:
    """Overstock (R-M4): ``on_hand > months x (365 / 12) x 30-day sales / 30``.

    Units on hand at every location against ``months`` (``Settings.overstock_months``) of
    sales at the live velocity. Money at stake = cash tied up in the excess = (on hand -
    threshold) x unit cost. Severity high above twice the threshold (or with no sales at all
    in 30 days), medium otherwise.
    """
    if _nan(on_hand) or _nan(sales_30d) or on_hand <= 0:
        return None
    daily = max(0.0, float(sales_30d)) / VELOCITY_DAYS
    threshold = float(months) * policy_days_per_month() * daily
    if on_hand <= threshold:
        return None
    excess = on_hand - threshold
    severity = "high" if daily <= 0 or on_hand > 2 * threshold else "medium"
    cover = (
        "no sales in 30 days"
        if daily <= 0
        else f"{on_hand / daily / policy_days_per_month():,.1f} months of sales"
    )
    msg = (
        f"{on_hand:,.0f} units on hand, {cover}; more than {months:g} months "
        f"({threshold:,.0f} units) is overstock."
    )
    act = f"Stop reordering and clear about {excess:,.0f} units (promotion, outlet or removal)."
    return _make("overstock", sku, severity, on_hand, threshold, act, _cost(excess, unit_cost), msg)


def policy_days_per_month() -> float:
    """Days in a month everywhere (365 / 12, ``policy.DAYS_PER_MONTH``)."""
    from stockcycle.policy import DAYS_PER_MONTH

    return DAYS_PER_MONTH


def sales_spike_alert(
    sku: str,
    last_day_units: float,
    baseline_daily: float,
    on_hand: float,
    safety_stock: float,
    jump: float = 2.0,
    *,
    money_at_stake: float | None = None,
) -> Alert | None:
    """Abnormal consumption (R-M4): daily sales up by ``jump`` (200%) with stock under the
    safety stock.

    change = last day's units / baseline - 1, baseline = mean daily units of the 28 days before
    it; fires when ``change >= jump`` (``Settings.abnormal_sales_jump``) and ``on_hand <
    safety_stock`` (the restock plan's). Severity high.
    """
    if any(_nan(x) for x in (last_day_units, baseline_daily, on_hand, safety_stock)):
        return None
    if baseline_daily <= 0:
        return None
    change = float(last_day_units) / float(baseline_daily) - 1
    if change < jump or on_hand >= safety_stock:
        return None
    msg = (
        f"{last_day_units:,.0f} sold on the last day against {baseline_daily:,.1f} a day before "
        f"({change:+.0%}), and only {on_hand:,.0f} units on hand, under the safety stock of "
        f"{safety_stock:,.0f}."
    )
    act = (
        "Check the listing and competitors (a rival out of stock? a price error?); if the demand "
        "is real, expedite a restock by air."
    )
    return _make("sales_spike", sku, "high", change, jump, act, money_at_stake, msg)


def competitor_price_drop_alert(
    sku: str,
    search: str,
    previous_price: float,
    latest_price: float,
    drop: float = 0.10,
    *,
    own_price: float | None = None,
) -> Alert | None:
    """Competitor price drop (R-M4): ``1 - latest / previous >= drop``.

    ``previous_price``/``latest_price``: the median price of the listings present in both of the
    search's two latest Xray snapshots (the same products, so a new cheap entrant does not
    count as a drop). ``drop``: ``Settings.competitor_price_drop``. Severity medium (high when
    the drop is twice the threshold). Money at stake is not counted (it depends on how buyers
    react).
    """
    if previous_price <= 0 or _nan(latest_price):
        return None
    change = 1 - float(latest_price) / float(previous_price)
    if change < drop:
        return None
    severity = "high" if change >= 2 * drop else "medium"
    msg = (
        f"Competitors in '{search}' cut their prices: median {previous_price:,.2f} -> "
        f"{latest_price:,.2f} ({-change:+.0%}) between the last two snapshots."
    )
    if own_price is not None and not _nan(own_price):
        msg += f" Your price is {own_price:,.2f}."
    act = "Review your price and ads; watch your daily sales this week before matching."
    return _make("competitor_price_drop", sku, severity, change, drop, act, None, msg)


def decline_alert(
    sku: str,
    weekly_drops: float,
    weeks: int = 2,
    drop: float = 0.15,
    *,
    open_po_units: float = 0.0,
    on_hand: float = 0.0,
    unit_cost: float | None = None,
) -> Alert | None:
    """Decline signal (R-D1): weekly sales fell by ``drop`` or more ``weeks`` weeks in a row.

    ``weekly_drops``: the stage classifier's count of the latest consecutive week-over-week
    falls of at least ``Settings.decline_weekly_drop`` (``lifecycle.weekly_drop_run``);
    threshold ``Settings.decline_consecutive_weeks``. With units on open purchase orders:
    severity high, action trim them, money = cash on order (units x unit cost); otherwise
    medium, lower the stock target, money = cash tied up in stock.
    """
    if _nan(weekly_drops) or weekly_drops < weeks:
        return None
    msg = f"Weekly sales fell by {drop:.0%} or more {weekly_drops:,.0f} weeks in a row."
    if open_po_units > 0:
        act = f"Trim or cancel the {open_po_units:,.0f} units on open purchase orders."
        return _make(
            "decline", sku, "high", weekly_drops, weeks, act, _cost(open_po_units, unit_cost), msg
        )
    act = (
        "Lower the stock target: no new order until sales settle; plan a clearance if they "
        "keep falling."
    )
    return _make("decline", sku, "medium", weekly_drops, weeks, act, _cost(on_hand, unit_cost), msg)


def low_turnover_alert(
    sku: str,
    turnover: float,
    threshold: float = 3.0,
    target_low: float = 4.0,
    inventory_cost: float | None = None,
) -> Alert | None:
    """Slow turnover (R-K1): ``turnover < threshold`` (per year).

    turnover = COGS / average inventory at cost, per year (``health.health_report``).
    Money at stake = the cash stock at cost would free at the low end of the target band:
    stock at cost x (1 - turnover / target_low). Severity high under half the threshold,
    medium otherwise.
    """
    if _nan(turnover) or math.isinf(turnover) or turnover >= threshold:
        return None
    money = None
    if inventory_cost is not None and not _nan(inventory_cost) and target_low > 0:
        money = max(0.0, float(inventory_cost) * (1 - float(turnover) / target_low))
    severity = "high" if turnover < threshold / 2 else "medium"
    msg = (
        f"Stock turns {turnover:,.1f} times a year, under {threshold:g}; the target is "
        f"{target_low:g} or more."
    )
    act = "Order smaller batches more often and clear the slowest stock."
    return _make("low_turnover", sku, severity, turnover, threshold, act, money, msg)


def aging_alert(
    sku: str,
    watch_units: float,
    writedown_units: float,
    status: str,
    *,
    watch_days: int = 90,
    discount_days: int = 120,
    writedown_days: int = 180,
    unit_cost: float | None = None,
) -> Alert | None:
    """Aging stock (R-K2) from the aging report's status (``kpi.aging_from_report``).

    "write-down candidate" (units certainly older than ``writedown_days``): high, value = those
    units, money = units x unit cost. "discount" / "discount? (check 91-180)" (units older than
    ``discount_days``, or possibly so): medium, value = units older than ``watch_days``.
    "watch": low. Thresholds: ``Settings.aging_*_days``.
    """
    if status == "write-down candidate":
        units, threshold, severity = writedown_units, writedown_days, "high"
        act = f"Clear or write down the {units:,.0f} units older than {writedown_days} days."
    elif str(status).startswith("discount"):
        units, threshold, severity = watch_units, discount_days, "medium"
        act = f"Start a tiered discount on the oldest stock (over {discount_days} days)."
    elif status == "watch":
        units, threshold, severity = watch_units, watch_days, "low"
        act = "Watch it: promote the oldest stock before it reaches the discount age."
    else:
        return None
    if _nan(units) or units <= 0:
        return None
    some = "1 unit is" if round(units) == 1 else f"{units:,.0f} units are"
    msg = f"{some} older than {threshold} days ({status})."
    return _make("aging", sku, severity, units, threshold, act, _cost(units, unit_cost), msg)


def volatility_alert(
    sku: str,
    sd_daily: float,
    mean_daily: float,
    threshold: float = 0.20,
    *,
    safety_stock: float = float("nan"),
    reorder_point: float = float("nan"),
    unit_cost: float | None = None,
) -> Alert | None:
    """Volatile sales (R-K5): ``sd / mean > threshold`` -> safety stock recomputed.

    CV = sd of in-stock daily demand over the last 8 weeks / forecast mean daily demand
    (``kpi.demand_volatility``); threshold ``Settings.volatility_replan``. The action gives the
    safety stock and reorder point the restock plan recomputed with that sd; money at stake =
    the cash in that safety stock (safety stock x unit cost, R-K5 "the cash effect"). Low.
    """
    from stockcycle.kpi import demand_volatility

    if _nan(sd_daily) or _nan(mean_daily) or mean_daily <= 0:
        return None
    cv = demand_volatility(sd_daily, mean_daily)
    if cv <= threshold:
        return None
    msg = (
        f"Daily sales swing by {cv:.0%} of their mean ({sd_daily:,.1f} around {mean_daily:,.1f} "
        f"a day), more than {threshold:.0%}."
    )
    if _nan(safety_stock):
        act = "Recompute the safety stock on the Growth page."
        money = None
    else:
        act = f"Safety stock recomputed: keep {safety_stock:,.0f} units"
        act += "" if _nan(reorder_point) else f", reorder at {reorder_point:,.0f}."
        money = _cost(safety_stock, unit_cost)
    return _make("volatility", sku, "low", cv, threshold, act, money, msg)


def forecast_deviation_alert(
    sku: str,
    actual_units: float,
    planned_units: float,
    days: int,
    threshold: float = 0.15,
    *,
    plan_date: date | None = None,
) -> Alert | None:
    """Sales off plan (R-K6): ``|actual / planned - 1| > threshold`` -> re-plan.

    ``actual_units``: units sold on the in-stock days after the forecast was made (the last
    backtest origin of the SKU's chosen model); ``planned_units``: what that forecast said for
    those days. Needs at least ``DEVIATION_MIN_DAYS`` days and a gap larger than
    2 sqrt(planned) (Poisson noise). Above: expedite; below: promote or move the stock
    (medium; high beyond twice the threshold either way). Threshold
    ``Settings.replan_deviation``. Example: 144 sold, 109 planned -> +32%, high.
    """
    if days < DEVIATION_MIN_DAYS or planned_units <= 0:
        return None
    dev = float(actual_units) / float(planned_units) - 1
    # Sales are counts: a gap within two Poisson standard deviations (2 sqrt(planned)) is
    # what chance alone gives on a slow seller (27 planned, 17 sold), not a signal to re-plan.
    if abs(dev) <= threshold or abs(actual_units - planned_units) <= 2 * math.sqrt(planned_units):
        return None
    severity = "high" if abs(dev) > 2 * threshold else "medium"
    since = f" since the plan of {datadate.long_date(plan_date)}" if plan_date else ""
    msg = (
        f"{actual_units:,.0f} units sold in {days} days{since} against {planned_units:,.0f} "
        f"planned ({dev:+.0%})."
    )
    act = (
        "Re-plan: sales run ahead, expedite the next order (air if it lands too late)."
        if dev > 0
        else "Re-plan: sales run behind, promote, trim the next order or move stock."
    )
    return _make("forecast_deviation", sku, severity, dev, threshold, act, None, msg)


def launch_band_alert(sku: str, status: LaunchStatus) -> Alert | None:
    """Launch off plan (R-L8): the launch monitor's state is below or above the band.

    value = the last reported day's deviation (actual / plan - 1), threshold = the band
    (``Settings.launch_deviation_band``). Below: promote and hold the follow-up 30%; above:
    pull it forward. Severity high.
    """
    if not status.alert:
        return None
    reported = status.rows[status.rows["status"] != NO_DATA]
    dev = float(reported["deviation"].iloc[-1]) if len(reported) else float("nan")
    threshold = -status.band if status.state == BELOW else status.band
    msg = (
        f"Launch sales {status.state} the plan band (+/-{status.band:.0%}) for "
        f"{status.run_length} reported days in a row."
    )
    return _make("launch_band", sku, "high", dev, threshold, status.recommendation, None, msg)


def low_inventory_fee_alert(
    sku: str,
    days_of_supply_30: float,
    days_of_supply_90: float,
    threshold_days: float = 28.0,
) -> Alert | None:
    """Low-inventory-level fee risk (R-F1): both FBA days of supply under the threshold.

    Days of supply = FBA available units / average daily Amazon units over 30 (90) days
    (``health.health_report``); threshold from the fee table (28 days in 2026). value = the
    larger of the two (the one that must also fall under). Amazon's per-unit fee is not
    modelled, so money at stake is not counted; its exemptions are not modelled either.
    Medium.
    """
    d30, d90 = float(days_of_supply_30), float(days_of_supply_90)
    if _nan(d30) or _nan(d90) or not (d30 < threshold_days and d90 < threshold_days):
        return None
    value = max(d30, d90)
    msg = (
        f"FBA holds {d30:,.0f} days of supply at the last 30 days' pace and {d90:,.0f} at the "
        f"last 90 days': under {threshold_days:g} days on both, Amazon charges its "
        "low-inventory-level fee."
    )
    act = f"Send stock to FBA so it holds at least {threshold_days:g} days of supply."
    return _make("low_inventory_fee", sku, "medium", value, threshold_days, act, None, msg)


def aged_surcharge_alert(
    sku: str,
    units_91_180: float,
    units_over_180: float,
    sales_30d: float,
    *,
    surcharge_per_unit_month: float | None = None,
) -> Alert | None:
    """Aged-inventory surcharge ahead (R-F1): units that will pass 181 days before they sell.

    Sales use the oldest units first (FIFO). In the next 90 days every unit now 91-180 days old
    passes 181 days; sales at today's pace (30-day sales / 30 x 90) take the units already over
    180 first, then those. at risk = max(0, over_180 + units_91_180 - pace x 90) -
    max(0, over_180 - pace x 90): the 91-180 units still unsold in 90 days. Fires when > 0;
    money = at risk x the fee table's first-tier surcharge per unit-month (one month).
    Medium; units already over 180 days are the aging rule's.
    """
    if _nan(sales_30d):
        return None
    pace = max(0.0, float(sales_30d)) / VELOCITY_DAYS * 90
    old = max(0.0, float(units_over_180))
    at_risk = max(0.0, old + float(units_91_180) - pace) - max(0.0, old - pace)
    if at_risk <= 0:
        return None
    money = None if surcharge_per_unit_month is None else at_risk * surcharge_per_unit_month
    msg = (
        f"{at_risk:,.0f} units now 91-180 days old will still be unsold when they pass "
        f"{AGED_SURCHARGE_DAYS} days at today's pace."
    )
    act = f"Sell or remove {at_risk:,.0f} units within 90 days (promotion, outlet, removal)."
    return _make("aged_surcharge", sku, "medium", at_risk, AGED_SURCHARGE_DAYS, act, money, msg)


def storage_utilization_alert(
    fba_units: float, daily_sales: float, weeks: float = 22.0
) -> Alert | None:
    """Storage utilization surcharge risk (R-F1): the account's FBA stock over ``weeks`` (22)
    weeks of its sales.

    weeks of supply = FBA units on hand / (average daily units sold over 30 days x 7). Amazon
    measures it on cubic feet shipped; units are an approximation (the message says so).
    Account level (SKU ``ACCOUNT``). Medium; money not counted (the surcharge depends on volume
    and the month).
    """
    if fba_units <= 0:
        return None
    supply = math.inf if daily_sales <= 0 else float(fba_units) / (float(daily_sales) * 7)
    if supply <= weeks:
        return None
    shown = "no sales" if math.isinf(supply) else f"{supply:,.1f} weeks of sales"
    msg = (
        f"FBA holds {fba_units:,.0f} units, {shown} (by units; Amazon counts cubic feet): over "
        f"{weeks:g} weeks Amazon adds its storage utilization surcharge."
    )
    act = "Send less to FBA: keep the excess at AWD or a 3PL, or clear the slowest SKUs."
    value = 1e9 if math.isinf(supply) else supply
    return _make("storage_utilization", ACCOUNT, "medium", value, weeks, act, None, msg)


def capacity_alert(
    month: str, arriving_cubic_feet: float, limit: float, storage: str = "standard"
) -> Alert | None:
    """Arrivals over the capacity limit (R-F2): a month's planned FBA arrivals of one storage
    type (cubic feet = units x ``products.cubic_feet``; the type from ``products.size_tier``)
    above its limit (``Settings.fba_capacity_cubic_feet`` for standard-size,
    ``fba_capacity_oversize_cubic_feet`` for oversize); 0 = not set, no alert. One alert per
    storage type (SKU "(FBA standard)" / "(FBA oversize)"). High (Amazon refuses what does not
    fit)."""
    if limit <= 0 or arriving_cubic_feet <= limit:
        return None
    over = arriving_cubic_feet - limit
    msg = (
        f"Arrivals planned for {month}: {arriving_cubic_feet:,.0f} cubic feet of {storage} "
        f"stock, over the FBA capacity limit of {limit:,.0f}."
    )
    act = f"Hold {over:,.0f} cubic feet back (AWD, 3PL or the supplier), lowest margin first."
    sku = f"(FBA {storage})"
    return _make("capacity", sku, "high", arriving_cubic_feet, limit, act, None, msg)


def transfer_alert(
    sku: str,
    fba_units: float,
    other_units: Mapping[str, float],
    daily_demand: float,
    lead_time_days: float,
    transfer_days: int = 10,
    review_days: int = 7,
    *,
    today: date | None = None,
    unit_margin: float | None = None,
) -> Alert | None:
    """Transfer between locations (R-A4): FBA will run out while another location (3PL, AWD,
    WFS, own site) holds stock: move it before ordering more.

    FBA cover = FBA available units / daily demand (days). Fires when cover < transfer days +
    review period (``Settings.transfer_days`` + ``Settings.review_period_days``: a transfer
    not started at this review lands after FBA runs out) and the other locations hold units.
    Units = min(their stock, daily demand x lead time - FBA units), rounded up (FBA then lasts
    until a new order placed today can land), from the fullest location first; arrival =
    today + transfer days. Severity high when FBA runs out before the transfer lands, medium
    otherwise. Money at stake = units x unit margin (the sales the move keeps).
    Example: 10/day, 50 at FBA (5 days), 400 at a 3PL, 60 days lead, 10 + 7 days ->
    min(400, 600 - 50) = 400 units, high.
    """
    if daily_demand <= 0 or _nan(daily_demand):
        return None
    spare = {k: float(v) for k, v in other_units.items() if float(v) > 0}
    if not spare:
        return None
    cover = max(0.0, float(fba_units)) / float(daily_demand)
    limit = float(transfer_days + review_days)
    if _nan(lead_time_days):
        lead_time_days = limit
    if cover >= limit:
        return None
    need = math.ceil(daily_demand * max(lead_time_days, limit) - max(0.0, fba_units))
    units = min(need, math.floor(sum(spare.values())))
    if units <= 0:
        return None
    source = max(spare, key=lambda k: spare[k])
    arrival = (today or datadate.today()) + timedelta(days=int(transfer_days))
    severity = "high" if cover < transfer_days else "medium"
    money = None if unit_margin is None or _nan(unit_margin) else units * float(unit_margin)
    where = ", ".join(f"{v:,.0f} at {k}" for k, v in spare.items())
    msg = (
        f"FBA holds {fba_units:,.0f} units, {cover:,.0f} days of sales, while {where} "
        f"could cover it; a transfer takes {transfer_days} days."
    )
    act = (
        f"Transfer {units:,} units from {source} to FBA now (in by "
        f"{datadate.long_date(arrival)}) before ordering more."
    )
    return _make("transfer", sku, severity, cover, limit, act, money, msg)


# -- every rule on a workspace -------------------------------------------------------------
@dataclass
class AlertInputs:
    """What the rules read, gathered once (``load_alert_inputs``); ``evaluate`` is pure on it.

    ``figures``: one row per SKU (``FIGURE_COLUMNS``). ``prices``: per SKU ``(search,
    previous median, latest median)``; ``deviations``: per SKU ``(actual units, forecast units,
    days, forecast date)``; ``launches``: per SKU its ``LaunchStatus``; ``arrivals_cubic_feet``:
    planned arrivals per (month "YYYY-MM", storage type) in cubic feet; account totals
    ``fba_units`` and ``daily_sales``; ``low_inventory_days``: the fee table's threshold.
    """

    as_of: date | None
    today: date
    figures: pd.DataFrame
    prices: dict[str, tuple[str, float, float]]
    deviations: dict[str, tuple[float, float, int, date | None]]
    launches: dict[str, LaunchStatus]
    arrivals_cubic_feet: dict[tuple[str, str], float]
    fba_units: float
    daily_sales: float
    low_inventory_days: float
    problems: dict[str, str]


FIGURE_COLUMNS = [
    "sku",
    "stage",
    "on_hand",
    "position",
    "fba_units",
    "other_units",  # {location: available units} of the locations other than FBA
    "sales_30d",
    "last_day_units",
    "baseline_daily",
    "safety_stock",
    "reorder_point",
    "daily_demand",
    "sd_daily_demand",
    "lead_time_days",
    "open_po_units",
    "unit_cost",
    "unit_margin",
    "price",
    "cubic_feet",
    "weekly_drops",
    "turnover",
    "inventory_cost",
    "aging_status",
    "watch_units",
    "write_down_units",
    "age_91_180",
    "age_over_180",
    "days_of_supply_30",
    "days_of_supply_90",
    "fba_stocked",
    "at_fba",  # the SKU has an FBA row in its latest stock snapshot (transfers go there)
    "today_action",
    "today_money",
]

#: Stages that are not reordered (R-S2): low stock, transfers and spikes do not apply.
_NO_REORDER = frozenset({"decline", "exit"})


def check_min_severity(name: str) -> str:
    """``Settings.alert_min_severity`` checked: one of ``SEVERITIES``."""
    clean = str(name).strip().lower()
    if clean not in SEVERITIES:
        raise InputError(
            f"the lowest alert severity is '{name}'",
            column="alert_min_severity",
            expected=", ".join(SEVERITIES),
        )
    return clean


def rules_off(text: str) -> set[str]:
    """``Settings.alert_rules_off`` ("overstock, volatility") as rule names, checked."""
    names = {t.strip() for t in str(text or "").split(",") if t.strip()}
    unknown = sorted(names - set(RULES))
    if unknown:
        raise InputError(
            f"'{unknown[0]}' is not an alert rule",
            column="alert_rules_off",
            expected=", ".join(RULES),
        )
    return names


def _f(x: Any) -> float:
    try:
        return float("nan") if x is None else float(x)
    except (TypeError, ValueError):
        return float("nan")


def _opt(x: Any) -> float | None:
    v = _f(x)
    return None if math.isnan(v) else v


def evaluate(inputs: AlertInputs, settings: Any) -> list[Alert]:
    """Every rule on every SKU of ``inputs`` with the thresholds of ``settings``, then the
    account rules; rules switched off (``alert_rules_off``) and alerts under
    ``alert_min_severity`` are left out (R-M6). Sorted by severity, money at stake (largest
    first, unknown last), SKU."""
    s = settings
    off = rules_off(s.alert_rules_off)
    floor = SEVERITIES[check_min_severity(s.alert_min_severity)]
    out: list[Alert | None] = []
    for r in inputs.figures.to_dict("records"):
        sku, stage = r["sku"], r["stage"]
        cost = _opt(r["unit_cost"])
        reorders = stage not in _NO_REORDER
        if reorders:
            out.append(
                low_stock_alert(
                    sku,
                    _f(r["position"]),
                    _f(r["sales_30d"]),
                    _f(r["lead_time_days"]),
                    s.low_stock_safety_factor,
                    action=r["today_action"] if r["today_action"] else "",
                    money_at_stake=_opt(r["today_money"]),
                )
            )
            out.append(
                sales_spike_alert(
                    sku,
                    _f(r["last_day_units"]),
                    _f(r["baseline_daily"]),
                    _f(r["on_hand"]),
                    _f(r["safety_stock"]),
                    s.abnormal_sales_jump,
                    money_at_stake=_opt(r["today_money"]),
                )
            )
            out.append(
                volatility_alert(
                    sku,
                    _f(r["sd_daily_demand"]),
                    _f(r["daily_demand"]),
                    s.volatility_replan,
                    safety_stock=_f(r["safety_stock"]),
                    reorder_point=_f(r["reorder_point"]),
                    unit_cost=cost,
                )
            )
            if _flag(r["at_fba"]):  # a SKU not stocked at FBA has nothing to refill there
                out.append(
                    transfer_alert(
                        sku,
                        _f(r["fba_units"]),
                        r["other_units"] or {},
                        _f(r["daily_demand"]),
                        _f(r["lead_time_days"]),
                        s.transfer_days,
                        s.review_period_days,
                        today=inputs.today,
                        unit_margin=_opt(r["unit_margin"]),
                    )
                )
        if stage != "launch":
            # A launch's first order is sized on expected, not past, sales: its early stock is
            # the launch monitor's to judge (R-L8), not three months of its first weeks' sales.
            out.append(
                overstock_alert(sku, _f(r["on_hand"]), _f(r["sales_30d"]), s.overstock_months, cost)
            )
        out.append(
            decline_alert(
                sku,
                _f(r["weekly_drops"]),
                s.decline_consecutive_weeks,
                s.decline_weekly_drop,
                open_po_units=_f(r["open_po_units"]) if not _nan(r["open_po_units"]) else 0.0,
                on_hand=_f(r["on_hand"]),
                unit_cost=cost,
            )
        )
        out.append(
            low_turnover_alert(
                sku,
                _f(r["turnover"]),
                s.turnover_alert,
                s.turnover_target_low,
                _opt(r["inventory_cost"]),
            )
        )
        out.append(
            aging_alert(
                sku,
                _f(r["watch_units"]),
                _f(r["write_down_units"]),
                str(r["aging_status"] or ""),
                watch_days=s.aging_watch_days,
                discount_days=s.aging_discount_days,
                writedown_days=s.aging_writedown_days,
                unit_cost=cost,
            )
        )
        if r["fba_stocked"]:
            out.append(
                low_inventory_fee_alert(
                    sku,
                    _f(r["days_of_supply_30"]),
                    _f(r["days_of_supply_90"]),
                    inputs.low_inventory_days,
                )
            )
        cf = _opt(r["cubic_feet"])
        surcharge = None
        if cf is not None:
            surcharge = fees.aged_surcharge(cf, AGED_SURCHARGE_DAYS)
        out.append(
            aged_surcharge_alert(
                sku,
                _f(r["age_91_180"]) if not _nan(r["age_91_180"]) else 0.0,
                _f(r["age_over_180"]) if not _nan(r["age_over_180"]) else 0.0,
                _f(r["sales_30d"]),
                surcharge_per_unit_month=surcharge,
            )
        )
        if sku in inputs.prices:
            search, before, after = inputs.prices[sku]
            out.append(
                competitor_price_drop_alert(
                    sku, search, before, after, s.competitor_price_drop, own_price=_opt(r["price"])
                )
            )
        if sku in inputs.deviations:
            actual, planned, days, when = inputs.deviations[sku]
            out.append(
                forecast_deviation_alert(
                    sku, actual, planned, days, s.replan_deviation, plan_date=when
                )
            )
        if sku in inputs.launches:
            out.append(launch_band_alert(sku, inputs.launches[sku]))
    out.append(
        storage_utilization_alert(
            inputs.fba_units, inputs.daily_sales, fees.storage_utilization_threshold_weeks()
        )
    )
    limits = {
        "standard": s.fba_capacity_cubic_feet,
        "oversize": s.fba_capacity_oversize_cubic_feet,
    }
    for storage, limit in limits.items():
        for (month, kind), cubic_feet in sorted(inputs.arrivals_cubic_feet.items()):
            hit = capacity_alert(month, cubic_feet, limit, kind) if kind == storage else None
            if hit is not None:
                out.append(hit)
                break  # one open alert per storage type: the first month over its limit
    kept = [
        a for a in out if a is not None and a.rule not in off and SEVERITIES[a.severity] <= floor
    ]
    return sort_alerts(kept)


def sort_alerts(alerts: list[Alert]) -> list[Alert]:
    """Most urgent first: severity, then money at stake (largest first, unknown last), SKU,
    rule."""
    return sorted(
        alerts,
        key=lambda a: (
            SEVERITIES.get(a.severity, 9),
            -(a.money_at_stake if not _nan(a.money_at_stake) else -math.inf),
            a.sku,
            a.rule,
        ),
    )


def _sales_figures(sales: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per SKU: units over the last 30 days, on the last day, and the daily mean of the 28
    days before it, all channels summed, up to ``as_of``."""
    cols = ["sales_30d", "last_day_units", "baseline_daily"]
    if sales.empty:
        return pd.DataFrame(columns=cols)
    day = pd.to_datetime(sales["date"]).dt.normalize()
    end = pd.Timestamp(as_of)
    units = pd.to_numeric(sales["units"], errors="coerce").fillna(0.0)
    frame = pd.DataFrame({"sku": sales["sku"].astype(str), "day": day, "units": units})
    frame = frame[frame["day"] <= end]

    def window(first: pd.Timestamp, last: pd.Timestamp) -> pd.Series:
        part = frame[(frame["day"] >= first) & (frame["day"] <= last)]
        return part.groupby("sku")["units"].sum()

    one = pd.Timedelta(days=1)
    return pd.DataFrame(
        {
            "sales_30d": window(end - (VELOCITY_DAYS - 1) * one, end),
            "last_day_units": window(end, end),
            "baseline_daily": window(end - SPIKE_BASELINE_DAYS * one, end - one)
            / SPIKE_BASELINE_DAYS,
        }
    ).fillna(0.0)


def _competitor_prices(
    competitors: pd.DataFrame, products: Mapping[str, Mapping[str, Any]], skus: list[str]
) -> dict[str, tuple[str, float, float]]:
    """Per SKU with a search (``peers.search_for_sku``): (search, median price of the listings
    in both of its two latest snapshots on the earlier one, the same on the later one)."""
    from stockcycle import peers

    options = peers.searches(competitors)
    if not options or "price" not in competitors.columns:
        return {}
    medians: dict[str, tuple[float, float] | None] = {}
    out: dict[str, tuple[str, float, float]] = {}
    for sku in skus:
        search = peers.search_for_sku(products.get(sku), options)
        if search is None:
            continue
        if search not in medians:
            rows = peers.competitors_of_search(competitors, search)
            dates = sorted(rows["snapshot_date"].dropna().unique())
            medians[search] = None
            if len(dates) >= 2:
                before = rows[rows["snapshot_date"] == dates[-2]].groupby("asin")["price"].median()
                after = rows[rows["snapshot_date"] == dates[-1]].groupby("asin")["price"].median()
                both = before.index.intersection(after.index)
                b, a = before[both].dropna(), after[both].dropna()
                common = b.index.intersection(a.index)
                if len(common):
                    medians[search] = (float(b[common].median()), float(a[common].median()))
        if medians[search] is not None:
            out[sku] = (search, *medians[search])
    return out


def _forecast_deviation(result: Any) -> tuple[float, float, int, date | None] | None:
    """(actual units, forecast units, in-stock days, forecast date) of the chosen model's
    forecast made at the last backtest origin, over the days after it (R-K6: the plan a
    forecast made then is what the sales since are compared with)."""
    bt = getattr(result, "backtest", None)
    if bt is None or not bt.cut_dates or result.model not in bt.forecasts:
        return None
    actual = np.asarray(bt.actual[-1], dtype="float64")
    fc = np.asarray(bt.forecasts[result.model][-1], dtype="float64")
    ok = ~np.isnan(actual) & ~np.isnan(fc)  # stockout days say nothing about demand
    if not ok.any():
        return None
    return (
        float(actual[ok].sum()),
        float(fc[ok].sum()),
        int(ok.sum()),
        pd.Timestamp(bt.cut_dates[-1]).date(),
    )


#: Name of the workspace result holding the launch monitor's typed sales of one SKU.
TYPED_LAUNCH_SALES = "launch_typed_sales:{sku}"


def saved_typed_sales(ws: Any, sku: str) -> pd.DataFrame | None:
    """The launch monitor's typed daily sales of ``sku`` (``date, units``), None if none."""
    got = ws.load_result(TYPED_LAUNCH_SALES.format(sku=sku))
    return None if got is None else got[1]


def save_typed_sales(ws: Any, sku: str, table: pd.DataFrame) -> None:
    """Keep the launch monitor's typed daily sales of ``sku`` in the workspace, so the daily
    check and the next session see every typed figure (rows without a date are dropped; a
    day left empty is kept empty)."""
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(table["date"], errors="coerce"),
            "units": pd.to_numeric(table["units"], errors="coerce").astype("float64"),
        }
    )
    frame = frame[frame["date"].notna()].sort_values("date").reset_index(drop=True)
    frame["date"] = frame["date"].dt.date
    ws.save_result(TYPED_LAUNCH_SALES.format(sku=sku), frame, {"sku": sku})


def launch_statuses(
    ws: Any, sales: pd.DataFrame, as_of: date, settings: Any
) -> dict[str, LaunchStatus]:
    """The launch monitor (R-L8) of every SKU with a saved launch plan (the latest one per
    SKU) whose plan runs past its launch date: actual = the workspace's sales from the launch
    date to ``as_of``, or, with no sales there yet, the figures typed on the Launch page."""
    plans = ws.plans("launch")
    out: dict[str, LaunchStatus] = {}
    seen: set[str] = set()
    known = set(ws.skus())  # a plan for a product not in the workspace yet has no SKU to alert
    for plan_id in plans["id"].tolist():  # newest first
        try:
            params, _ = ws.load_plan(int(plan_id))
            sku = str(params.get("sku") or "")
            daily = [float(x) for x in params.get("plan_daily", [])]
            start = pd.Timestamp(params["launch_date"]).normalize()
        except (KeyError, TypeError, ValueError, InputError):
            continue  # a plan saved by an older version without the monitor's inputs
        if sku not in known or sku in seen or not daily or start > pd.Timestamp(as_of):
            continue
        seen.add(sku)
        plan = pd.Series(daily, index=pd.date_range(start, periods=len(daily), freq="D"))
        rows = sales[(sales["sku"].astype(str) == sku)] if len(sales) else sales
        if len(rows):
            days = pd.to_datetime(rows["date"]).dt.normalize()
            rows = rows[(days >= start) & (days <= pd.Timestamp(as_of))]
        if len(rows):
            days = pd.date_range(start, pd.Timestamp(as_of), freq="D")
            actual = (
                rows.assign(date=pd.to_datetime(rows["date"]).dt.normalize())
                .groupby("date")["units"]
                .sum()
                .reindex(days, fill_value=0.0)
            )
        else:
            typed = saved_typed_sales(ws, sku)
            if typed is None or typed["units"].notna().sum() == 0:
                continue
            actual = pd.Series(
                typed["units"].to_numpy(dtype="float64"), index=pd.to_datetime(typed["date"])
            )
        try:
            out[sku] = launch_monitor(
                plan,
                actual,
                band=settings.launch_deviation_band,
                days=settings.launch_days_below_band,
            )
        except InputError:
            continue
    return out


def has_sales(ws: Any) -> bool:
    """Whether the workspace holds any sales row (without them there is nothing to forecast)."""
    return ws.row_counts().get("sales", 0) > 0


def load_alert_inputs(
    ws: Any,
    *,
    as_of: date | None = None,
    today: date | None = None,
    settings: Any | None = None,
    batch: Any | None = None,
) -> AlertInputs:
    """Read everything the rules need from the workspace, once: the forecast batch (cached),
    the stages, the restock supply and plan (``restock``), the Today table's action and money
    at stake (``today.today_table``), the health report (turnover, aging, days of supply),
    sales, stock per location, competitor snapshots, saved launch plans and the fee table.

    ``as_of``: the data date the sales, stock (per location) and health figures are cut at
    (default the workspace's, R-T1). The forecast, the stages, the restock plan (safety stock,
    lead time) and the Today table stay those of the workspace's data date: an earlier
    ``as_of`` replays the stock and sales rules, not the forecast.
    ``today``: the day transfers are dated from (default ``datadate.today()``).
    """
    from stockcycle import fees, health, policy, restock
    from stockcycle import today as today_mod
    from stockcycle.forecast import run_batch
    from stockcycle.lifecycle import stage_table

    settings = settings or ws.settings()
    today = today or datadate.today()
    data_date = ws.data_date()
    as_of = as_of or data_date
    empty = AlertInputs(
        as_of=as_of,
        today=today,
        figures=pd.DataFrame(columns=FIGURE_COLUMNS),
        prices={},
        deviations={},
        launches={},
        arrivals_cubic_feet={},
        fba_units=0.0,
        daily_sales=0.0,
        low_inventory_days=fees.low_inventory_threshold(),
        problems={},
    )
    skus = ws.skus()
    if as_of is None or not skus:
        return empty
    # A look back reads nothing after its day: stages, forecast and supply as they were then.
    cut = as_of if as_of != data_date else None
    stages = stage_table(ws, settings=settings, as_of=cut)
    problems: dict[str, str] = {}
    plan_of: dict[str, dict[str, Any]] = {}
    today_of: dict[str, dict[str, Any]] = {}
    supplies: dict[str, Any] = {}
    if has_sales(ws):  # no sales, no forecast: the stock and sales rules have nothing to read
        if batch is None:
            batch = run_batch(ws, as_of=cut)
        supplies = restock.load_supply(
            ws, batch=batch, settings=settings, stages=stages, errors=problems, as_of=cut
        )
        plan = restock.restock_plan(ws, settings=settings, supplies=supplies, today=today)
        plan_of = {r["sku"]: r for r in plan.to_dict("records")}
        todays = today_mod.today_table(
            ws,
            today=today,
            settings=settings,
            batch=batch,
            stages=stages,
            as_of=cut,
            supplies=supplies,
            plan=plan,
        ).table
        today_of = {r["sku"]: r for r in todays.to_dict("records")}
    try:
        report = health.health_report(ws, as_of=as_of, settings=settings).table.set_index("sku")
    except InputError as err:
        # A bad aging or inventory row stops the health figures, not every other rule.
        problems["(health)"] = str(err)
        report = pd.DataFrame()
    sales = ws.read("sales")
    sold = _sales_figures(sales, as_of)
    inventory = ws.read("inventory")
    if len(inventory):
        inventory = inventory[inventory["snapshot_date"] <= pd.Timestamp(as_of)]
        latest = inventory.sort_values("snapshot_date").groupby(["sku", "location"]).tail(1)
        pooled = policy.pooled_position(latest).set_index("sku")
        at_fba = set(latest.loc[latest["location"] == health.FBA_LOCATION, "sku"].astype(str))
    else:
        pooled, at_fba = pd.DataFrame(), set()
    # pooled_position: totals, then one column of available units per location.
    locations = [
        c for c in pooled.columns if c not in ("on_hand", "inbound", "reserved", "position")
    ]
    products = ws.product_rows()
    stage_of = dict(zip(stages["sku"], stages["stage"], strict=True)) if len(stages) else {}
    drops_of = dict(zip(stages["sku"], stages["weekly_drops"], strict=True)) if len(stages) else {}

    rows = []
    arrivals_cf: dict[tuple[str, str], float] = {}
    for sku in skus:
        supply = supplies.get(sku)
        prow = plan_of.get(sku, {})
        trow = today_of.get(sku, {})
        h = report.loc[sku] if sku in report.index else None
        prod = products.get(sku, {})
        cubic_feet = _opt(prod.get("cubic_feet"))
        stock = pooled.loc[sku] if sku in pooled.index else None
        fba = (
            float(stock[health.FBA_LOCATION])
            if stock is not None and health.FBA_LOCATION in locations
            else 0.0
        )
        others = (
            {
                loc: float(stock[loc])
                for loc in locations
                if loc != health.FBA_LOCATION and _f(stock[loc]) > 0
            }
            if stock is not None
            else {}
        )
        on_order = 0.0
        if supply is not None and len(supply.arrivals):
            # Open purchase orders only (the reported inbound is already on its way to FBA).
            arr = supply.arrivals
            on_order = float(arr.loc[arr["source"] != "inbound", "units"].sum())
            if cubic_feet is not None:
                try:
                    storage = fees.storage_tier(prod.get("size_tier"))
                except InputError:
                    storage = "standard"  # the Data page names the bad size tier
                months = pd.to_datetime(arr["date"]).dt.strftime("%Y-%m")
                for month, units in arr.groupby(months)["units"].sum().items():
                    key = (str(month), storage)
                    arrivals_cf[key] = arrivals_cf.get(key, 0.0) + float(units) * cubic_feet
        # Stock from the snapshots up to as_of (the restock supply reads the latest ones).
        on_hand = float(stock["on_hand"]) if stock is not None else 0.0
        incoming = (
            float(supply.arrivals["units"].sum())
            if supply is not None and len(supply.arrivals)
            else 0.0
        )
        mode = prow.get("shipping_mode") if prow else None
        margin = (
            restock.unit_margin(supply, mode)
            if supply is not None and mode in restock.SHIPPING_MODES
            else None
        )
        action = ""
        if trow and trow.get("action_type") == "Order":
            action = str(trow["action"])
        rows.append(
            {
                "sku": sku,
                "stage": stage_of.get(sku),
                "on_hand": on_hand,
                "position": on_hand + incoming,
                "fba_units": fba,
                "other_units": others,
                "sales_30d": float(sold["sales_30d"].get(sku, 0.0)) if len(sold) else 0.0,
                "last_day_units": float(sold["last_day_units"].get(sku, 0.0)) if len(sold) else 0.0,
                "baseline_daily": float(sold["baseline_daily"].get(sku, 0.0)) if len(sold) else 0.0,
                "safety_stock": _f(prow.get("safety_stock_units")),
                "reorder_point": _f(prow.get("reorder_point_units")),
                "daily_demand": supply.daily_demand if supply is not None else float("nan"),
                "sd_daily_demand": supply.sd_daily_demand if supply is not None else float("nan"),
                "lead_time_days": _f(prow.get("lead_time_days")),
                "open_po_units": on_order,
                "unit_cost": _opt(prod.get("unit_cost")),
                "unit_margin": margin,
                "price": _opt(prod.get("price")),
                "cubic_feet": cubic_feet,
                "weekly_drops": _f(drops_of.get(sku)),
                "turnover": _f(h["turnover_per_year"]) if h is not None else float("nan"),
                "inventory_cost": _f(h["inventory_cost"]) if h is not None else float("nan"),
                "aging_status": str(h.get("aging_status", "")) if h is not None else "",
                "watch_units": _f(h.get("watch_units")) if h is not None else float("nan"),
                "write_down_units": _f(h.get("write_down_units"))
                if h is not None
                else float("nan"),
                "age_91_180": _f(h.get("age_91-180")) if h is not None else float("nan"),
                "age_over_180": sum(
                    _f(h.get(f"age_{b}")) if h is not None and not _nan(h.get(f"age_{b}")) else 0.0
                    for b in ("181-270", "271-365", "365+")
                ),
                "days_of_supply_30": _f(h["days_of_supply_30"]) if h is not None else float("nan"),
                "days_of_supply_90": _f(h["days_of_supply_90"]) if h is not None else float("nan"),
                "fba_stocked": bool(
                    h is not None
                    and h["low_inventory_fee"] is not None
                    and not _nan_bool(h["low_inventory_fee"])
                ),
                "at_fba": sku in at_fba,
                "today_action": action,
                "today_money": _f(trow.get("money_at_stake")) if trow else float("nan"),
            }
        )
    figures = pd.DataFrame(rows, columns=FIGURE_COLUMNS)
    deviations = {}
    for sku, result in (batch.results if batch is not None else {}).items():
        dev = _forecast_deviation(result)
        if dev is not None:
            deviations[sku] = dev
    fba_total = float(figures["fba_units"].sum())
    daily_total = float(figures["sales_30d"].sum()) / VELOCITY_DAYS
    return AlertInputs(
        as_of=as_of,
        today=today,
        figures=figures,
        prices=_competitor_prices(ws.read("competitors"), products, skus),
        deviations=deviations,
        launches=launch_statuses(ws, sales, as_of, settings),
        arrivals_cubic_feet=arrivals_cf,
        fba_units=fba_total,
        daily_sales=daily_total,
        low_inventory_days=empty.low_inventory_days,
        problems=problems,
    )


def _flag(x: Any) -> bool:
    """A yes/no figure: None and NaN (not known) are no."""
    return x is not None and not _nan_bool(x) and bool(x)


def _nan_bool(x: Any) -> bool:
    return isinstance(x, float) and math.isnan(x)


def workspace_alerts(
    ws: Any,
    as_of: date | None = None,
    today: date | None = None,
    settings: Any | None = None,
) -> list[Alert]:
    """Every alert of the workspace as of its data date (R-T1): ``load_alert_inputs`` then
    ``evaluate`` with the workspace's settings (thresholds and tuning, R-M6). Pure reads:
    nothing is written (the log is ``Workspace.sync_alerts``)."""
    settings = settings or ws.settings()
    inputs = load_alert_inputs(ws, as_of=as_of, today=today, settings=settings)
    return evaluate(inputs, settings)


# -- the daily check (R-A2) ------------------------------------------------------------------
@dataclass
class CheckResult:
    """One run of the daily check: the alerts first reported now (``new``), every open one
    (``open``, with its state), how many cleared, and what the notification channels said
    (``sent``: ``{channel: None or the error}``; ``notified``: alerts that reached the
    seller this run; ``unsent``: new alerts left for the next run)."""

    as_of: date | None
    today: date
    new: list[dict[str, Any]]
    open: list[dict[str, Any]]
    resolved: int
    sent: dict[str, str | None]
    notified: int = 0
    unsent: int = 0
    problems: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "today": self.today.isoformat(),
            "new": self.new,
            "open": self.open,
            "resolved": self.resolved,
            # SKUs the restock plan could not be read for: their stock rules did not run.
            "problems": dict(self.problems or {}),
            "notifications": {
                "sent": {k: v is None for k, v in self.sent.items()},
                "errors": {k: v for k, v in self.sent.items() if v is not None},
                "notified": self.notified,
                "unsent": self.unsent,
            },
        }


def _text(x: Any) -> str:
    """A text column of the log: "" for NULL (None, or NaN once pandas has read it)."""
    return "" if x is None or _nan_bool(x) else str(x)


def log_rows(log: pd.DataFrame) -> list[dict[str, Any]]:
    """Alert-log rows as the check prints them: the alert's fields (``Alert.to_dict``) plus
    ``id, state, figure, snoozed_until, first_seen, notified``, most urgent first."""
    import json

    out = []
    for r in log.to_dict("records"):
        try:
            payload = json.loads(r.get("payload") or "{}")
        except ValueError:
            payload = {}
        alert = Alert.from_dict(
            {
                **payload,
                "sku": r["sku"],
                "rule": r["rule"],
                "severity": r["severity"],
                "message": r["message"],
                "value": _opt(r.get("value")),
                "threshold": _opt(r.get("threshold")),
                "action": _text(r.get("action")) or payload.get("action") or "",
                "money_at_stake": _opt(r.get("money")),
            }
        )
        out.append(
            {
                "id": int(r["id"]),
                **alert.to_dict(),
                "figure": alert.figure(),
                "state": r["state"],
                "snoozed_until": _text(r.get("snoozed_until")) or None,
                "first_seen": r["created_at"],
                "notified": bool(_text(r.get("notified_at"))),
                "notified_channels": [c for c in _text(r.get("notified_channels")).split(",") if c],
            }
        )
    order = {a.key: i for i, a in enumerate(sort_alerts([Alert.from_dict(o) for o in out]))}
    return sorted(out, key=lambda o: order[f"{o['rule']}|{o['sku']}"])


def run_check(
    ws: Any,
    *,
    as_of: date | None = None,
    today: date | None = None,
    notify_config: Any | None = None,
    progress: Any | None = None,
) -> CheckResult:
    """The daily check: refresh the forecasts where the data changed (``run_batch`` is
    cached), evaluate every rule as of the data date, bring the alert log up to date
    (``Workspace.sync_alerts``: new, unchanged, cleared) and, with ``notify_config``
    (``notify.NotifyConfig``), send one digest of the new alerts at or above
    ``Settings.alert_notify_min_severity`` on every configured channel. Alerts whose send
    failed stay unsent and go out with the next run's digest."""
    from stockcycle import notify
    from stockcycle.forecast import run_batch
    from stockcycle.store import OPEN_ALERT_STATES

    settings = ws.settings()
    today = today or datadate.today()
    batch = run_batch(ws, progress=progress) if has_sales(ws) else None
    inputs = load_alert_inputs(ws, as_of=as_of, today=today, settings=settings, batch=batch)
    fired = evaluate(inputs, settings)
    kpis = {}
    if len(inputs.figures):
        for r in inputs.figures[["sku", "turnover"]].to_dict("records"):
            if not _nan(r["turnover"]):
                kpis[r["sku"]] = {"turnover": float(r["turnover"])}
    synced = ws.sync_alerts(
        [a.to_dict() for a in fired], as_of=inputs.as_of, today=today, kpis=kpis
    )
    log = ws.alerts(states=OPEN_ALERT_STATES)
    rows = log_rows(log)
    new_ids = set(synced["new"])
    sent: dict[str, str | None] = {}
    notified = unsent = 0
    if notify_config is not None:
        floor = SEVERITIES[check_min_severity(settings.alert_notify_min_severity)]
        due = [r for r in rows if r["state"] == "new" and SEVERITIES[r["severity"]] <= floor]
        failed: set[int] = set()
        done: set[int] = set()
        # One digest per channel, of what that channel has not had yet: a channel that is
        # down does not make the other send the same alerts again the next day.
        for channel in notify_config.channels:
            todo = [r for r in due if channel not in r["notified_channels"]]
            if not todo:
                continue
            subject, text = notify.digest(
                todo, as_of=inputs.as_of, workspace=ws.name, app_url=notify_config.app_url
            )
            sent[channel] = notify.send_on(notify_config, channel, subject, text)
            ids = [r["id"] for r in todo]
            if sent[channel] is None:
                ws.mark_alerts_notified(ids, channel)
                done.update(ids)
                for r in todo:
                    r["notified"] = True
                    r["notified_channels"] = [*r["notified_channels"], channel]
            else:
                failed.update(ids)
        notified = len(done)
        unsent = (
            len(failed)
            if notify_config.channels
            else sum(1 for r in due if not r["notified_channels"])
        )
    return CheckResult(
        as_of=inputs.as_of,
        today=today,
        new=[r for r in rows if r["id"] in new_ids],
        open=rows,
        resolved=len(synced["resolved"]),
        sent=sent,
        notified=notified,
        unsent=unsent,
        problems=inputs.problems,
    )


# -- alert tuning (R-M6) -----------------------------------------------------------------------
TUNING_COLUMNS = [
    "sku",
    "alerts",
    "days",
    "rules",
    "turnover_first",
    "turnover_now",
    "improving",
    "noisy",
]


def tuning_table(log: pd.DataFrame, today: date, days: int = 28, fires: int = 3) -> pd.DataFrame:
    """Alert tuning (R-M6): per SKU, the alerts that started in the last ``days`` days
    (``Settings.alert_tuning_days``) and whether its turnover improved meanwhile.

    The window is the ``days`` days ending on the later of ``today`` and the latest alert.
    ``alerts`` = episodes (log rows) created in the window; ``days`` = the days on which one
    started (three rules firing in the same check are one day, not "often"); ``rules`` = their
    rules;
    ``turnover_first``/``turnover_now`` = the turnover the check recorded with the SKU's
    earliest and latest alert of the window (``payload.kpi.turnover``); ``improving`` =
    now > first; ``noisy`` = days >= ``fires`` (``Settings.alert_tuning_fires``) and not
    improving: alerts that keep firing without the KPI getting better are noise to tune
    (raise the rule's threshold or switch it off). Sorted noisy first, then by alerts.
    """
    import json

    if log.empty:
        return pd.DataFrame(columns=TUNING_COLUMNS)
    created = pd.to_datetime(log["created_at"], utc=True, errors="coerce").dt.date
    # The log's times are the clock's; ``today`` may be a planning day before it (a test, or
    # a seller planning as of an earlier day): the window ends at the later of the two.
    end = max([today, *created.dropna()])
    start = end - timedelta(days=int(days) - 1)
    window = log[(created >= start) & (created <= end)].assign(_day=created)
    # Account-wide alerts ("(account)", "(FBA standard)") are not a product's.
    window = window[window["sku"].notna() & ~window["sku"].astype(str).str.startswith("(")]
    rows = []
    for sku, part in window.groupby("sku"):
        part = part.sort_values("id")

        def turnover(payload: str) -> float:
            try:
                return float(json.loads(payload or "{}").get("kpi", {}).get("turnover"))
            except (TypeError, ValueError):
                return float("nan")

        first, now = turnover(part["payload"].iloc[0]), turnover(part["payload"].iloc[-1])
        improving = bool(not _nan(first) and not _nan(now) and now > first)
        rows.append(
            {
                "sku": str(sku),
                "alerts": len(part),
                "days": int(part["_day"].nunique()),
                "rules": ", ".join(
                    sorted({RULES[r].title if r in RULES else r for r in part["rule"]})
                ),
                "turnover_first": first,
                "turnover_now": now,
                "improving": improving,
                "noisy": int(part["_day"].nunique()) >= fires and not improving,
            }
        )
    table = pd.DataFrame(rows, columns=TUNING_COLUMNS)
    return table.sort_values(
        ["noisy", "alerts", "sku"], ascending=[False, False, True]
    ).reset_index(drop=True)


def sensitivity_table(settings: Any) -> pd.DataFrame:
    """Each rule with the setting that sets its sensitivity and its current value (R-M6)."""
    from stockcycle.settings import Settings

    labels = {i["name"]: i["label"] for i in Settings.field_info()}
    off = rules_off(settings.alert_rules_off)
    rows = []
    for rule in RULES.values():
        for name in SENSITIVITY.get(rule.name, ()):
            rows.append(
                {
                    "rule": rule.name,
                    "title": rule.title,
                    "spec": rule.spec,
                    "setting": name,
                    "label": labels[name],
                    "value": getattr(settings, name),
                    "on": rule.name not in off,
                }
            )
    return pd.DataFrame(rows)


#: The settings that set each rule's sensitivity (``Settings`` field names).
SENSITIVITY: dict[str, tuple[str, ...]] = {
    "low_stock": ("low_stock_safety_factor",),
    "overstock": ("overstock_months",),
    "sales_spike": ("abnormal_sales_jump",),
    "competitor_price_drop": ("competitor_price_drop",),
    "decline": ("decline_weekly_drop", "decline_consecutive_weeks"),
    "low_turnover": ("turnover_alert",),
    "aging": ("aging_watch_days", "aging_discount_days", "aging_writedown_days"),
    "volatility": ("volatility_replan",),
    "forecast_deviation": ("replan_deviation",),
    "launch_band": ("launch_deviation_band", "launch_days_below_band"),
    "low_inventory_fee": (),
    "aged_surcharge": (),
    "storage_utilization": (),
    "capacity": ("fba_capacity_cubic_feet", "fba_capacity_oversize_cubic_feet"),
    "transfer": ("transfer_days",),
}
