"""Every default from SPEC.md, typed, with the rule it comes from.

One place per fact: pages, the CLI and the computation modules read their defaults from
``Settings``; the workspace stores the seller's changes (``Workspace.settings()`` /
``Workspace.save_settings``). Per-SKU overrides of a few of these live in the store's
``overrides`` table.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from stockcycle.errors import InputError


def _s(
    default: Any,
    rule: str,
    label: str,
    unit: str = "",
    minimum: float | None = None,
    maximum: float | None = None,
) -> Any:
    return field(
        default=default,
        metadata={"rule": rule, "label": label, "unit": unit, "min": minimum, "max": maximum},
    )


@dataclass(frozen=True)
class Settings:
    # Launch sizing (R-L)
    launch_cover_days: int = _s(30, "R-L3", "Days of sales the first order covers", "days", 1, 365)
    launch_safety_days: int = _s(15, "R-L3", "Safety stock in the first order", "days", 0, 180)
    launch_lift: float = _s(1.5, "R-L3", "Launch lift over peer daily sales", "x", 0.1, 10)
    # The peers are the typical product of the search in your price band (R-L1 "same price
    # band"): your price +/- this share.
    launch_price_band: float = _s(
        0.25, "R-L1", "Peers' price band around your price (+/- share)", "", 0.01, 2
    )
    lead_time_min_days: int = _s(30, "R-L4", "Supplier lead time, short end", "days", 0, 365)
    lead_time_max_days: int = _s(60, "R-L4", "Supplier lead time, long end", "days", 0, 365)
    stockout_probability: float = _s(0.05, "R-L4", "Target stockout probability", "", 0.001, 0.5)
    first_order_share: float = _s(0.70, "R-L5", "First order share of the forecast", "", 0.05, 1)
    target_gross_margin: float = _s(0.25, "R-L6", "Target gross margin", "", 0, 0.95)
    duty_rate: float = _s(0.0, "R-L6", "Import duty as a share of unit cost", "", 0, 5)
    air_days_min: int = _s(7, "R-L7", "Air freight transit, short end", "days", 0, 60)
    air_days_max: int = _s(14, "R-L7", "Air freight transit, long end", "days", 0, 60)
    sea_days_min: int = _s(30, "R-L7", "Sea freight transit, short end", "days", 0, 120)
    sea_days_max: int = _s(45, "R-L7", "Sea freight transit, long end", "days", 0, 120)
    launch_deviation_band: float = _s(0.20, "R-L8", "Launch alert band around plan", "", 0.01, 2)
    launch_days_below_band: int = _s(
        3, "R-L8", "Consecutive days below band before acting", "days", 1, 30
    )
    # Growth restock (R-G)
    keyword_volume_premium: float = _s(
        0.30, "R-G3", "Search volume above category average", "", 0, 10
    )
    keyword_max_competition: float = _s(
        0.50, "R-G3", "Competition below which a keyword counts", "", 0, 1
    )
    restock_shipments: int = _s(3, "R-G4", "Deliveries a restock is split into", "", 1, 12)
    review_period_days: int = _s(
        7, "R-G4", "Days between restock reviews (order-up-to and order-by dates)", "days", 0, 90
    )
    # Days from a shipment's delivery to a fulfilment centre until it can be sold: Amazon
    # receives most shipments within a few days, longer in Q4; check your own shipments.
    receiving_days: int = _s(5, "R-G2", "Receiving time at the warehouse", "days", 0, 60)
    review_stockout_change: float = _s(
        -0.20, "R-G5", "Stockout change flagged in weekly review", "", -1, 0
    )
    review_cover_change: float = _s(0.15, "R-G5", "Cover change flagged in weekly review", "", 0, 5)
    # Maturity tuning (R-M)
    event_buffer: float = _s(0.30, "R-M2", "Extra buffer before an event", "", 0, 5)
    event_buffer_days_before: int = _s(
        7, "R-M2", "Days before an event the buffer starts", "days", 0, 60
    )
    slow_mover_cover_days: int = _s(
        90, "R-M3", "Days of cover that make a slow mover", "days", 1, 720
    )
    overstock_months: float = _s(
        3.0, "R-M4", "Stock above this many months of sales is overstock", "months", 0.5, 24
    )
    abnormal_sales_jump: float = _s(
        2.0, "R-M4", "Daily sales jump that counts as abnormal", "", 0.1, 20
    )
    abc_a_share: float = _s(0.80, "R-M5", "Revenue share of class A", "", 0.1, 0.99)
    abc_b_share: float = _s(0.95, "R-M5", "Cumulative revenue share of classes A+B", "", 0.1, 0.999)
    c_class_cash_cap: float = _s(0.05, "R-M5", "Cap on cash tied up in class C", "", 0, 1)
    ordering_cost: float = _s(150.0, "R-M5", "Cost of placing one order (EOQ)", "$", 0, 1e6)
    holding_cost_rate: float = _s(
        0.25, "R-M5", "Yearly holding cost as share of unit cost (EOQ)", "/yr", 0, 5
    )
    # Decline and exit (R-D, R-E)
    decline_weekly_drop: float = _s(
        0.15, "R-D1", "Week-over-week sales drop that signals decline", "", 0.01, 1
    )
    decline_consecutive_weeks: int = _s(2, "R-D1", "Consecutive weeks of that drop", "weeks", 1, 12)
    exit_cost_share: float = _s(
        0.50,
        "R-E2",
        "Storage + upkeep share of remaining gross profit that means exit now",
        "",
        0.01,
        5,
    )
    price_elasticity_default: float = _s(
        -1.5,
        "R-D2",
        "Price elasticity when your own price history cannot give one",
        "",
        -10,
        -0.1,
    )
    # Health, cash and risk (R-K)
    turnover_alert: float = _s(3.0, "R-K1", "Inventory turnover alert threshold", "/yr", 0, 100)
    turnover_target_low: float = _s(4.0, "R-K1", "Turnover target band, low end", "/yr", 0, 100)
    turnover_target_high: float = _s(6.0, "R-K1", "Turnover target band, high end", "/yr", 0, 100)
    aging_watch_days: int = _s(90, "R-K2", "Age at which stock is watched", "days", 1, 1000)
    aging_discount_days: int = _s(
        120, "R-K2", "Age at which tiered discounts start", "days", 1, 1000
    )
    aging_writedown_days: int = _s(
        180, "R-K2", "Age at which stock is a write-down candidate", "days", 1, 1000
    )
    stress_sales_drop: float = _s(0.30, "R-K4", "Sales drop in the liquidity stress test", "", 0, 1)
    cash_ratio_warning: float = _s(0.5, "R-K4", "Cash ratio below which to warn", "", 0, 10)
    volatility_replan: float = _s(
        0.20, "R-K5", "Daily sales volatility that triggers a safety-stock recompute", "", 0, 5
    )
    replan_deviation: float = _s(
        0.15, "R-K6", "Forecast deviation from plan that triggers a re-plan", "", 0, 5
    )
    # Automation (R-A)
    low_stock_safety_factor: float = _s(
        1.2, "R-A1", "Safety factor on the low-stock threshold", "x", 1, 10
    )
    transfer_days: int = _s(
        10, "R-A4", "Days a transfer between your locations takes", "days", 0, 120
    )
    competitor_price_drop: float = _s(
        0.10, "R-M4", "Competitor price drop between snapshots that alerts", "", 0.01, 1
    )
    # 0 = not set: Amazon grants the limit monthly in Seller Central, so only the seller knows it.
    fba_capacity_cubic_feet: float = _s(
        0.0, "R-F2", "FBA monthly capacity limit (0 = not set)", "cubic feet", 0, 1e9
    )
    # R-F2: Amazon grants one limit per storage type; the one above is the standard-size one
    # (most catalogues), this one the oversize (bulky) limit. Where arrivals that do not fit
    # wait, at your own rates (AWD and 3PL contracts differ; 0 = not set).
    fba_capacity_oversize_cubic_feet: float = _s(
        0.0, "R-F2", "FBA monthly capacity limit, oversize (0 = not set)", "cubic feet", 0, 1e9
    )
    awd_cost_per_cubic_foot_month: float = _s(
        0.0, "R-F2", "Your AWD storage rate for arrivals that wait", "$/cu ft/month", 0, 1000
    )
    threepl_cost_per_cubic_foot_month: float = _s(
        0.0, "R-F2", "Your 3PL storage rate for arrivals that wait", "$/cu ft/month", 0, 1000
    )
    supplier_wait_cost_per_cubic_foot_month: float = _s(
        0.0, "R-F2", "What your supplier charges to hold goods a month", "$/cu ft/month", 0, 1000
    )
    # Alert tuning (R-M6): what reaches the seller, and when a SKU's alerts count as noise.
    alert_min_severity: str = _s(
        "low", "R-M6", "Lowest alert severity shown and sent (low, medium, high)"
    )
    alert_notify_min_severity: str = _s(
        "medium", "R-M6", "Lowest alert severity sent by email and Slack (low, medium, high)"
    )
    alert_rules_off: str = _s("", "R-M6", "Alert rules switched off (names, comma-separated)")
    alert_snooze_days: int = _s(7, "R-M6", "Days a snoozed alert stays quiet", "days", 1, 365)
    alert_tuning_days: int = _s(
        28, "R-M6", "Window in which alerts that keep firing are counted", "days", 7, 365
    )
    alert_tuning_fires: int = _s(
        3,
        "R-M6",
        "Days with a new alert of one SKU in that window that flag it as noisy",
        "",
        2,
        100,
    )
    # Policy replay (R-T4): the window replayed, the fill rate the seller aims for, and the
    # days-of-supply rule other tools use (defaults from Jungle Scout's and Helium 10's
    # inventory managers: reorder within 7 days of the lead time, order 90 days of the
    # 30-day average).
    replay_weeks: int = _s(26, "R-T4", "Weeks of history a replay covers", "weeks", 2, 104)
    replay_target_fill_rate: float = _s(
        0.95, "R-T4", "Fill rate you aim for (replay comparison)", "", 0.5, 0.999
    )
    dos_buffer_days: int = _s(
        7, "R-T4", "Days-of-supply rule: reorder when cover < lead time + this", "days", 0, 180
    )
    dos_target_days: int = _s(
        90, "R-T4", "Days-of-supply rule: days of the average an order covers", "days", 1, 365
    )
    dos_trailing_days: int = _s(
        30, "R-T4", "Days-of-supply rule: days of sales its average covers", "days", 7, 365
    )
    # Forecasting (R-G2, R-K5)
    forecast_horizon_days: int = _s(90, "R-G2", "Forecast horizon", "days", 7, 365)
    backtest_horizon_days: int = _s(28, "R-K6", "Backtest horizon", "days", 7, 180)
    backtest_origins: int = _s(3, "R-K6", "Backtest origins", "", 1, 12)
    currency: str = _s("USD", "", "Currency of money figures")

    @classmethod
    def field_info(cls) -> list[dict[str, Any]]:
        """Name, default, type, rule, label, unit and bounds of every setting, for forms."""
        out = []
        for f in fields(cls):
            out.append({"name": f.name, "default": f.default, "type": f.type, **f.metadata})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Settings:
        """Build settings from stored or edited values, checking types and bounds.

        Unknown names are ignored (a setting removed in a later version); a wrong value raises
        ``InputError`` naming the setting and what it expects.
        """
        known = {f.name: f for f in fields(cls)}
        clean: dict[str, Any] = {}
        for name, value in values.items():
            f = known.get(name)
            if f is None:
                continue
            kind = type(f.default)
            try:
                if kind is int:
                    if float(value) != int(float(value)):
                        raise ValueError
                    value = int(float(value))
                elif kind is float:
                    value = float(value)
                else:
                    value = str(value)
            except (TypeError, ValueError):
                raise InputError(
                    f"setting '{name}' has the value {value!r}",
                    expected=f"a {'whole ' if kind is int else ''}number",
                ) from None
            lo, hi = f.metadata.get("min"), f.metadata.get("max")
            if isinstance(value, int | float) and (
                (lo is not None and value < lo) or (hi is not None and value > hi)
            ):
                raise InputError(f"setting '{name}' is {value}", expected=f"between {lo} and {hi}")
            clean[name] = value
        out = replace(cls(), **clean)
        # Pairs that are two ends of one range: each field is within its bounds, but a low end
        # above its high end would make every rule using the range meaningless.
        for low, high in _ORDERED_PAIRS:
            a, b = getattr(out, low), getattr(out, high)
            if a > b:
                raise InputError(
                    f"setting '{low}' is {a:g}, above '{high}' ({b:g})",
                    expected=f"{low} at most {high}",
                )
        # Alert tuning (R-M6) names urgencies and rules: checked (and tidied) here, so a typo
        # is refused on the Settings page instead of stopping the daily check later.
        from stockcycle.alerts import check_min_severity, rules_off

        return replace(
            out,
            alert_min_severity=check_min_severity(out.alert_min_severity),
            alert_notify_min_severity=check_min_severity(out.alert_notify_min_severity),
            alert_rules_off=", ".join(sorted(rules_off(out.alert_rules_off))),
        )


_ORDERED_PAIRS = [
    ("lead_time_min_days", "lead_time_max_days"),  # R-L4
    ("air_days_min", "air_days_max"),  # R-L7
    ("sea_days_min", "sea_days_max"),  # R-L7
    ("abc_a_share", "abc_b_share"),  # R-M5
    ("turnover_target_low", "turnover_target_high"),  # R-K1
    ("aging_watch_days", "aging_discount_days"),  # R-K2
    ("aging_discount_days", "aging_writedown_days"),  # R-K2
]
