"""Maturity wizard (R-M1..R-M6, R-K1, R-K5, R-F1, R-F2): the steady sellers, their lean
thresholds, ABC classes and order sizes, Amazon's fee corridor and capacity, and the plan.

The numbers come from ``stockcycle.maturity`` (which plans with ``stockcycle.restock``'s
arithmetic); this module caches the workspace read and draws.

Speed: ``maturity.load_maturity`` runs once per workspace, data version, settings, stage
overrides and added SKUs (``st.cache_resource``: plain objects, never copied); a slider then
reruns the cheap pure functions only: the thresholds of every SKU and the plan of the SKU in
focus on step 2, the whole plan (cached per set of choices) on the other steps.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from stockcycle import datadate, fees, maturity
from stockcycle.maturity import MaturityChoices, MaturityInputs, MaturityResult
from stockcycle.store import Workspace
from stockcycle.ui import data_version, page_files, page_label, plain
from stockcycle.ui.alerts import TUNING_COLUMNS
from stockcycle.ui.stages import stages_of
from stockcycle.ui.wizard import Wizard, download_plan, explain

STEPS = ["SKUs", "Thresholds", "ABC and EOQ", "Fee corridor and capacity", "Plan and alerts"]
WIZARD = "maturity"
PLAN_KIND = "maturity"
#: Days of projected stock drawn on the stock-line chart.
LINE_DAYS = 120


# -- cached reads --------------------------------------------------------------------------------
@st.cache_resource(max_entries=4, show_spinner="Reading stock, sales, fees and forecasts…")
def _inputs(
    path: str, version: str, settings: str, overrides: str, extra: tuple[str, ...], today: str
) -> MaturityInputs:
    """``maturity.load_maturity`` of the workspace (the other arguments are the cache key)."""
    from stockcycle.forecast import run_batch

    del version, settings, overrides  # cache key only
    ws = Workspace(path)
    s = ws.settings()
    return maturity.load_maturity(
        ws,
        today=pd.Timestamp(today).date(),
        extra_skus=extra,
        batch=run_batch(ws),
        settings=s,
        stages=stages_of(ws, s),
    )


@st.cache_resource(max_entries=8, show_spinner="Planning…")
def _result(key: str, _inputs: MaturityInputs, choices: str, edits: str) -> MaturityResult:
    """``maturity.plan_maturity`` for one set of choices and edits (``key``: the inputs')."""
    del key  # cache key only
    values = json.loads(choices)
    return maturity.plan_maturity(
        _inputs, MaturityChoices(**values), edits={k: int(v) for k, v in json.loads(edits).items()}
    )


class Context:
    """What every step needs: the wizard, the inputs (cached) and the seller's choices."""

    def __init__(self, ws: Workspace, wiz: Wizard) -> None:
        self.ws, self.wiz = ws, wiz
        self.settings = ws.settings()
        self.today = datadate.today()
        self.stages = stages_of(ws, self.settings)
        self._key = (
            str(ws.path),
            data_version(ws),
            json.dumps(self.settings.to_dict(), sort_keys=True),
            json.dumps(ws.overrides("stage"), sort_keys=True),
            tuple(sorted(self.wiz.get("extra_skus", []))),
            self.today.isoformat(),
        )
        self.inputs = _inputs(*self._key)

    def choices(self) -> MaturityChoices:
        """The seller's choices: the wizard's values over the Settings' defaults."""
        base = MaturityChoices.from_settings(self.settings)
        values = {k: v for k, v in self.wiz.get("choices", {}).items() if hasattr(base, k)}
        return replace(base, **values) if values else base

    def set_choice(self, name: str, value: Any) -> None:
        values = dict(self.wiz.get("choices", {}))
        values[name] = value
        self.wiz.set("choices", values)

    def result(self) -> MaturityResult:
        edits = {k: int(v) for k, v in self.wiz.get("edits", {}).items()}
        return _result(
            json.dumps(self._key),
            self.inputs,
            self.choices().key(),
            json.dumps(edits, sort_keys=True),
        )


# -- formatting ----------------------------------------------------------------------------------
def _money(x: Any, currency: str) -> str:
    if x is None or pd.isna(x) or not math.isfinite(float(x)):
        return "—"
    return f"{float(x):,.0f} {currency}"


def _choice_slider(ctx: Context, label: str, name: str, scale: float = 1.0, **kwargs: Any) -> Any:
    """A slider for choice ``name`` shown in the seller's units (``scale``: 100 for percents),
    kept in the wizard store so it survives step and page changes."""
    current = getattr(ctx.choices(), name)
    shown = current * scale
    shown = int(round(shown)) if isinstance(kwargs.get("step"), int) else float(shown)
    value = st.slider(label, key=ctx.wiz.widget_key(f"slider:{name}", shown), **kwargs)
    new = value / scale if scale != 1.0 else value
    if new != current:
        ctx.set_choice(name, new)
    return new


def show_warnings(result: MaturityResult) -> None:
    for text in result.warnings:
        st.warning(text, icon=":material/warning:")
    if result.not_planned:
        st.warning(
            "\n\n".join(
                f"**{k}**: Not planned: {v}" for k, v in sorted(result.not_planned.items())
            ),
            icon=":material/warning:",
        )


# -- charts --------------------------------------------------------------------------------------
def stock_line_chart(
    line: pd.DataFrame, thresholds: pd.DataFrame, low: float, high: float
) -> alt.LayerChart:
    """Projected stock, and stock + what is still on order, against the base/event reorder
    threshold and the fee corridor band (R-M1, R-M2, R-F1). ``line``: date, stock, arrivals
    (``policy.projected_stock`` with the plan's deliveries); ``thresholds``: date, threshold,
    event; ``low``/``high``: the corridor in units (28 days and 22 weeks of sales). The
    threshold is a reorder point: it is compared with stock + on order, not stock alone."""
    arrivals = line["arrivals"].to_numpy(dtype=float)
    still_due = arrivals[::-1].cumsum()[::-1] - arrivals  # arriving after each day
    data = line[["date", "stock"]].assign(position=line["stock"].to_numpy() + still_due)
    data = data.merge(thresholds, on="date", how="inner")
    top = max(float(data[["stock", "position", "threshold"]].max().max()), low) * 1.1
    data = data.assign(low=low, high=min(high, top))
    long = data.melt(
        id_vars=["date"],
        value_vars=["stock", "position", "threshold"],
        var_name="series",
        value_name="units",
    )
    names = {
        "stock": "Stock",
        "position": "Stock + on order",
        "threshold": "Reorder threshold",
    }
    long["series"] = long["series"].map(names)
    band = (
        alt.Chart(data)
        .mark_area(opacity=0.15, color="#2a9d8f")
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("low:Q", title="Units"),
            y2="high:Q",
            tooltip=[alt.Tooltip("date:T"), alt.Tooltip("low:Q", title="28 days", format=",.0f")],
        )
    )
    lines = (
        alt.Chart(long)
        .mark_line()
        .encode(
            x="date:T",
            y="units:Q",
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(
                    domain=list(names.values()), range=["#264653", "#8ab17d", "#e76f51"]
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=list(names.values()), range=[[1, 0], [6, 3], [3, 3]]),
                legend=None,
            ),
            tooltip=["series:N", alt.Tooltip("date:T"), alt.Tooltip("units:Q", format=",.0f")],
        )
    )
    return alt.layer(band, lines).properties(height=280)


def pareto_chart(abc: pd.DataFrame) -> alt.LayerChart:
    """ABC Pareto (R-M5): revenue per SKU, highest first, bars coloured by class, and the
    cumulative share of revenue as a line."""
    data = abc.sort_values("revenue", ascending=False).reset_index(drop=True)
    total = float(data["revenue"].sum()) or 1.0
    data = data.assign(cumulative=data["revenue"].cumsum() / total * 100, order=data.index)
    x = alt.X("sku:N", sort=data["sku"].tolist(), title=None)
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("revenue:Q", title="Revenue"),
            color=alt.Color("abc_class:N", title="Class", scale=alt.Scale(scheme="tableau10")),
            tooltip=["sku", "abc_class", alt.Tooltip("revenue:Q", format=",.0f")],
        )
    )
    line = (
        alt.Chart(data)
        .mark_line(point=True, color="#264653")
        .encode(
            x=x,
            y=alt.Y("cumulative:Q", title="Cumulative share (%)", scale=alt.Scale(domain=[0, 100])),
            tooltip=["sku", alt.Tooltip("cumulative:Q", format=".1f")],
        )
    )
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=280)


# -- step 1: SKUs --------------------------------------------------------------------------------
def step_skus(ctx: Context) -> None:
    inputs = ctx.inputs
    st.markdown(
        "Every product in the **maturity** stage (from the Life-cycle stages page, your "
        "overrides included): steady sellers where the money is in turnover and cost. Add any "
        "other product you want to tune. Sorted by the money at stake."
    )
    mature = set(maturity.maturity_skus(ctx.stages))
    others = [s for s in ctx.stages["sku"].astype(str) if s not in mature]
    extra = st.multiselect(
        "Add other products",
        others,
        default=[s for s in ctx.wiz.get("extra_skus", []) if s in others],
        key=ctx.wiz.widget_key("extra_widget", seed=False),
    )
    if sorted(extra) != sorted(ctx.wiz.get("extra_skus", [])):
        ctx.wiz.set("extra_skus", extra)
        st.rerun()
    if not inputs.supplies:
        st.info("No maturity products with sales yet: import sales on the Data page.")
        return
    result = ctx.result()
    show_warnings(result)
    table = maturity.sku_table(result)
    currency = ctx.settings.currency
    s = ctx.settings
    st.dataframe(
        table.assign(
            days_of_cover=table["days_of_cover"].replace(math.inf, None),
            stock_to_sales=table["stock_to_sales"].replace(math.inf, None),
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "sku": "Product",
            "title": "Title",
            "abc_class": "Class",
            "daily_demand": st.column_config.NumberColumn("Units/day", format="%.1f"),
            "on_hand": st.column_config.NumberColumn("On hand", format="%.0f"),
            "days_of_cover": st.column_config.NumberColumn("Days of cover", format="%.0f"),
            "stock_to_sales": st.column_config.NumberColumn("Stock / month's sales", format="%.2f"),
            "turnover_per_year": st.column_config.NumberColumn(
                f"Turns a year (target {s.turnover_target_low:g}-{s.turnover_target_high:g})",
                format="%.1f",
            ),
            "turnover_status": "Turnover",
            "capital_tied_up": st.column_config.NumberColumn(
                f"Cash in stock ({currency})", format="%.0f"
            ),
            "margin_at_risk": st.column_config.NumberColumn(
                f"Margin at risk ({currency})", format="%.0f"
            ),
            "fees_ahead": st.column_config.NumberColumn(f"Fees ahead ({currency})", format="%.0f"),
            "money_at_stake": st.column_config.NumberColumn(
                f"Money at stake ({currency})", format="%.0f"
            ),
            "corridor": "Fee corridor",
        },
    )
    c1, c2, c3 = st.columns(3)
    c1.metric("Products", f"{len(table):,}")
    c2.metric("Cash in stock", _money(table["capital_tied_up"].sum(min_count=1), currency))
    in_band = table["turnover_status"].eq("on target").sum()
    c3.metric("Turnover on target", f"{in_band:,} of {len(table):,}")
    explain(
        "the product list",
        "- **Days of cover** = on hand / forecast units a day (over the lead time).\n"
        "- **Stock / month's sales** = on hand / units sold in the 30 days to the data date.\n"
        "- **Turns a year** = cost of goods sold / average stock at cost x 365 / days measured "
        f"(R-K1), over {inputs.health_period[0]} to {inputs.health_period[1]}; target "
        f"{s.turnover_target_low:g}-{s.turnover_target_high:g}, alert under "
        f"{s.turnover_alert:g} (Settings).\n"
        "- **Class**: ABC by revenue over the same period, A = the first "
        f"{s.abc_a_share:.0%} of revenue, B up to {s.abc_b_share:.0%}, C the rest (R-M5).\n"
        "- **Cash in stock** = on hand x unit cost.\n"
        "- **Margin at risk** = units the forecast says cannot be sold between the projected "
        "stockout and the day the plan's order lands x (price - unit cost - freight) (the Today "
        "page's figure, R-T5).\n"
        f"- **Fees ahead** = the plan's low-inventory-level fee over the next "
        f"{maturity.CORRIDOR_HORIZON_DAYS} days + a month of aged-inventory surcharge (step 4).\n"
        "- **Money at stake** = cash in stock + margin at risk + fees ahead.\n"
        "- **Fee corridor**: below 28 days (both the 30- and the 90-day days of supply under "
        "the low-inventory-level line), above 22 weeks of cover, aged stock ahead (units past "
        "181 days, or reaching it within 90 days unsold), else inside (R-F1).",
    )


# -- step 2: thresholds --------------------------------------------------------------------------
def step_thresholds(ctx: Context) -> None:
    inputs = ctx.inputs
    if not inputs.supplies:
        st.info("No maturity products to tune.")
        return
    st.markdown(
        "How low each product's stock may run before you reorder: the **base threshold** "
        "covers the sales of one replenishment cycle plus a safety margin for your stockout "
        "target; before Amazon events and your promotions it rises by the **event buffer**."
    )
    left, right = st.columns(2)
    with left:
        _choice_slider(
            ctx,
            "Chance of not running out in a cycle (%)",
            "service_level",
            100.0,
            min_value=80.0,
            max_value=99.5,
            step=0.5,
            help="95% = a 5% risk of running out before the next order lands.",
        )
        _choice_slider(
            ctx, "Event buffer (%)", "event_buffer", 100.0, min_value=0, max_value=100, step=5
        )
        _choice_slider(
            ctx,
            "Buffer starts days before the event",
            "event_days_before",
            min_value=0,
            max_value=30,
            step=1,
        )
    with right:
        _choice_slider(
            ctx,
            "Slow mover above (days of cover)",
            "slow_mover_cover_days",
            min_value=30,
            max_value=365,
            step=5,
        )
        _choice_slider(
            ctx,
            "Recompute safety stock above volatility (%)",
            "volatility_limit",
            100.0,
            min_value=5,
            max_value=100,
            step=5,
        )
    choices = ctx.choices()
    th = maturity.thresholds(inputs, choices)
    for text in th.warnings:
        st.info(text, icon=":material/info:")
    table = th.table
    currency = ctx.settings.currency
    st.dataframe(
        table[
            [
                "sku",
                "daily_demand",
                "cycle_days",
                "safety_stock",
                "base_threshold",
                "event_threshold",
                "next_event",
                "next_event_date",
                "on_hand",
                "days_of_cover",
                "slow_mover",
                "volatility",
                "safety_stock_change",
                "cash_effect",
            ]
        ].assign(
            volatility=table["volatility"] * 100,
            days_of_cover=table["days_of_cover"].replace(math.inf, None),
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "sku": "Product",
            "daily_demand": st.column_config.NumberColumn("Units/day", format="%.1f"),
            "cycle_days": st.column_config.NumberColumn("Cycle (days)", format="%d"),
            "safety_stock": st.column_config.NumberColumn("Safety stock", format="%.0f"),
            "base_threshold": st.column_config.NumberColumn("Base threshold", format="%.0f"),
            "event_threshold": st.column_config.NumberColumn("Event threshold", format="%.0f"),
            "next_event": "Next event",
            "next_event_date": st.column_config.DateColumn("Buffer from"),
            "on_hand": st.column_config.NumberColumn("On hand", format="%.0f"),
            "days_of_cover": st.column_config.NumberColumn("Days of cover", format="%.0f"),
            "slow_mover": st.column_config.CheckboxColumn("Slow mover: clear, no reorder"),
            "volatility": st.column_config.NumberColumn("Volatility", format="%.0f%%"),
            "safety_stock_change": st.column_config.NumberColumn(
                "Safety stock change", format="%+.0f"
            ),
            "cash_effect": st.column_config.NumberColumn(
                f"Cash effect ({currency})", format="%+.0f"
            ),
        },
    )
    volatile = table[table["volatile"]]
    if len(volatile):
        st.info(
            f"{len(volatile)} products sell more unevenly than {choices.volatility_limit:.0%}: "
            f"their safety stock is recomputed, {volatile['safety_stock_change'].sum():+,.0f} "
            f"units and {volatile['cash_effect'].sum():+,.0f} {currency} of cash in all.",
            icon=":material/show_chart:",
        )
    skus = table["sku"].tolist()
    focus = st.selectbox("Stock line of", skus, key=ctx.wiz.widget_key("focus_sku", skus[0]))
    ctx.wiz.set("focus_sku", focus)
    row = table.set_index("sku").loc[focus]
    # The product's plan alone, fast on any catalogue; the C-class cash cap weighs every
    # product's order, so it is left to step 3 here.
    alone = replace(choices, c_cap_share=1.0)
    sku_result = maturity.plan_maturity(inputs, alone, skus=[focus]).skus.get(focus)
    d = float(row["daily_demand"])
    low = fees.low_inventory_threshold(inputs.fee_table) * d
    high_weeks = fees.storage_utilization_threshold_weeks(inputs.fee_table)
    high = high_weeks * 7 * d if math.isfinite(high_weeks) else low * 6
    if sku_result is not None:
        line = sku_result.line_corridor.head(LINE_DAYS)
        thr = maturity.threshold_line(
            inputs, focus, choices, float(row["base_threshold"]), days=len(line)
        )
        st.altair_chart(stock_line_chart(line, thr, low, high), width="stretch")
        st.caption(
            "Stock: projected with this product's order (before the class C cash cap of step "
            "3). Stock + on order: what the reorder "
            "threshold is compared with (an order is due when it falls to the threshold, which "
            "rises before events). Shaded: the fee corridor, 28 days to 22 weeks of sales on "
            "hand."
        )
    explain(f"thresholds of {plain(focus)}", th.explain(focus))


# -- step 3: ABC and EOQ -------------------------------------------------------------------------
def step_abc(ctx: Context) -> None:
    inputs = ctx.inputs
    if not inputs.supplies:
        st.info("No maturity products to tune.")
        return
    currency = ctx.settings.currency
    st.markdown(
        "**A** products (most of your revenue) are kept tight: small orders every review, low "
        "cover. **B** products order the quantity that balances ordering and holding costs "
        "(EOQ). **C** products may tie up only a small share of your cash."
    )
    left, right = st.columns(2)
    with left:
        _choice_slider(
            ctx,
            f"Cost of placing one order ({currency})",
            "ordering_cost",
            min_value=0.0,
            max_value=1000.0,
            step=5.0,
        )
        _choice_slider(
            ctx,
            "Yearly holding cost (% of unit cost)",
            "holding_cost_rate",
            100.0,
            min_value=1,
            max_value=100,
            step=1,
        )
    with right:
        _choice_slider(
            ctx,
            "Cash cap for class C (%)",
            "c_cap_share",
            100.0,
            min_value=0,
            max_value=50,
            step=1,
        )
        _choice_slider(
            ctx, "Review every (days)", "review_period_days", min_value=1, max_value=30, step=1
        )
    choices = ctx.choices()
    result = ctx.result()
    plans = {k: v.plan for k, v in result.skus.items()}
    abc = maturity.abc_eoq(inputs, choices, plans)
    st.altair_chart(pareto_chart(abc), width="stretch")
    st.dataframe(
        abc,
        hide_index=True,
        width="stretch",
        column_config={
            "sku": "Product",
            "abc_class": "Class",
            "policy": "Policy",
            "revenue": st.column_config.NumberColumn(f"Revenue ({currency})", format="%.0f"),
            "daily_demand": st.column_config.NumberColumn("Units/day", format="%.1f"),
            "yearly_demand": st.column_config.NumberColumn("Units a year", format="%.0f"),
            "ordering_cost": st.column_config.NumberColumn("Cost per order", format="%.2f"),
            "holding_cost_per_unit": st.column_config.NumberColumn(
                "Holding cost a unit a year", format="%.2f"
            ),
            "eoq_units": st.column_config.NumberColumn("EOQ (units)", format="%.0f"),
            "orders_per_year": st.column_config.NumberColumn("Orders a year", format="%.1f"),
            "yearly_ordering_cost": st.column_config.NumberColumn(
                "Ordering cost a year", format="%.0f"
            ),
            "yearly_holding_cost": st.column_config.NumberColumn(
                "Holding cost a year", format="%.0f"
            ),
            "cycle_days": st.column_config.NumberColumn("Order covers (days)", format="%.0f"),
            "order_units": st.column_config.NumberColumn("Plan orders", format="%d"),
        },
    )
    cap = result.cap
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Class C cash cap", _money(cap.cap, currency))
    c2.metric("Class C cash (stock + orders)", _money(cap.c_total, currency))
    c3.metric("Over the cap", _money(cap.excess, currency))
    trimmed = cap.rows[cap.rows["cap_units"] < cap.rows["order_units"]]
    c4.metric(
        "C orders cut", f"{int((trimmed['order_units'] - trimmed['cap_units']).sum()):,} units"
    )
    if len(trimmed):
        st.dataframe(
            trimmed[["sku", "order_units", "cap_units", "stock_cost"]],
            hide_index=True,
            column_config={
                "sku": "Product",
                "order_units": st.column_config.NumberColumn("Restock plan", format="%d"),
                "cap_units": st.column_config.NumberColumn("Within the cap", format="%d"),
                "stock_cost": st.column_config.NumberColumn(
                    f"Cash in stock ({currency})", format="%.0f"
                ),
            },
        )
    explain(
        "EOQ",
        "**EOQ** = sqrt(2 K D / h) (Harris 1913, R-M5): K = cost of one order, D = units a "
        "year = 365 x units/day, h = holding cost a unit a year = holding rate x unit cost. "
        "Orders a year = D / EOQ; ordering cost a year = K D / EOQ; holding cost a year = "
        "h EOQ / 2 (the two are equal at the EOQ). The plan orders up to the forecast over the "
        "lead time and one order cycle C = max(review period, EOQ / units a day); class A uses "
        "the K at which EOQ covers one review period (K = h x units/day x R^2 / 730) so C = R: "
        "small, frequent orders.",
    )
    explain("C-class cash cap", cap.explain())


# -- step 4: fee corridor and capacity -----------------------------------------------------------
def step_corridor(ctx: Context) -> None:
    inputs = ctx.inputs
    if not inputs.supplies:
        st.info("No maturity products to tune.")
        return
    currency = ctx.settings.currency
    st.markdown(
        "Amazon charges when stock runs **too low** (the low-inventory-level fee, under 28 days "
        "of supply), when the account holds **too much** (the storage utilization surcharge, "
        "over 22 weeks of supply) and when units **grow old** (the aged-inventory surcharge "
        "from 181 days). And each month it takes in only so much (your capacity limit)."
    )
    on = st.toggle(
        "Keep the plan inside the fee corridor",
        key=ctx.wiz.widget_key("toggle:corridor", ctx.choices().corridor),
    )
    if on != ctx.choices().corridor:
        ctx.set_choice("corridor", on)
    cols = st.columns(5)
    fields = [
        ("capacity_standard_cuft", "Capacity, standard size (cu ft this month, 0 = none)"),
        ("capacity_oversize_cuft", "Capacity, oversize (cu ft, 0 = none)"),
        ("wait_rate_awd", f"AWD ({currency}/cu ft/month)"),
        ("wait_rate_3pl", f"3PL ({currency}/cu ft/month)"),
        ("wait_rate_supplier", f"Supplier ({currency}/cu ft/month)"),
    ]
    for col, (name, label) in zip(cols, fields, strict=True):
        current = float(getattr(ctx.choices(), name))
        value = col.number_input(
            label,
            min_value=0.0,
            step=10.0 if "capacity" in name else 0.05,
            key=ctx.wiz.widget_key(f"number:{name}", current),
        )
        if float(value) != current:
            ctx.set_choice(name, float(value))
    result = ctx.result()
    show_warnings(result)
    f = result.fees
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        f"Low-inventory fee, next {maturity.CORRIDOR_HORIZON_DAYS} days",
        _money(f["low_inventory_final"], currency),
        delta=f"{f['low_inventory_final'] - f['low_inventory_plan']:+,.0f} vs the restock plan",
        delta_color="inverse",
    )
    c2.metric(
        "Account weeks of supply",
        f"{f['weeks_final']:,.1f}" if math.isfinite(f["weeks_final"]) else "—",
        help=f"The storage utilization surcharge starts above {f['high_days'] / 7:g} weeks.",
    )
    c3.metric(
        f"Storage utilization surcharge, next {maturity.CORRIDOR_HORIZON_DAYS} days",
        _money(f["utilization_final"], currency),
    )
    c4.metric("Waiting cost (capacity)", _money(f["wait_cost"], currency))
    corridor = result.corridor
    st.dataframe(
        corridor[
            [
                "sku",
                "days_of_supply_30",
                "days_of_supply_90",
                "days_of_cover",
                "position_now",
                "lowest_cover_after",
                "highest_cover_after",
                "position_after",
                "exempt_low_inventory",
                "low_inventory_fee_per_unit_now",
                "low_inventory_fee_month_now",
                "aged_units_now",
                "aged_units_within_90_days",
                "low_inventory_fee_plan",
                "low_inventory_fee_final",
            ]
        ].replace(math.inf, None),
        hide_index=True,
        width="stretch",
        column_config={
            "sku": "Product",
            "days_of_supply_30": st.column_config.NumberColumn("Supply, 30 days", format="%.0f"),
            "days_of_supply_90": st.column_config.NumberColumn("Supply, 90 days", format="%.0f"),
            "days_of_cover": st.column_config.NumberColumn("Cover now (days)", format="%.0f"),
            "position_now": "Now",
            "lowest_cover_after": st.column_config.NumberColumn(
                "Lowest cover after the order (days)", format="%.0f"
            ),
            "highest_cover_after": st.column_config.NumberColumn(
                "Highest cover (days)", format="%.0f"
            ),
            "position_after": "With the plan",
            "exempt_low_inventory": st.column_config.CheckboxColumn("Exempt (few sales)"),
            "low_inventory_fee_per_unit_now": st.column_config.NumberColumn(
                f"Low-inventory fee a unit now ({currency})", format="%.2f"
            ),
            "low_inventory_fee_month_now": st.column_config.NumberColumn(
                f"... a month at this rate ({currency})", format="%.0f"
            ),
            "aged_units_now": st.column_config.NumberColumn("Units over 180 days", format="%.0f"),
            "aged_units_within_90_days": st.column_config.NumberColumn(
                "Reach 181 days within 90", format="%.0f"
            ),
            "low_inventory_fee_plan": st.column_config.NumberColumn(
                f"Low-inventory fee, restock plan ({currency})", format="%.0f"
            ),
            "low_inventory_fee_final": st.column_config.NumberColumn(
                f"... this plan ({currency})", format="%.0f"
            ),
        },
    )
    explain("fee corridor", _corridor_explain(result))
    st.subheader("Capacity")
    cap = result.capacity
    limits = result.choices.capacity
    if not any(v > 0 for v in limits.values()):
        st.info("Enter this month's capacity limit above to check the planned arrivals against it.")
    if len(cap):
        summary = (
            cap.assign(
                cf_total=cap["units"] * cap["cubic_feet"],
                cf_in=cap["admitted_units"] * cap["cubic_feet"],
            )
            .groupby(["month", "storage_class"], as_index=False)
            .agg(
                arriving_cuft=("cf_total", "sum"),
                admitted_cuft=("cf_in", "sum"),
                waiting_units=("waiting_units", "sum"),
                wait_cost=("wait_cost", "sum"),
            )
        )
        summary["limit_cuft"] = summary["storage_class"].map(lambda c: limits.get(c) or None)
        st.dataframe(
            summary,
            hide_index=True,
            column_config={
                "month": "Month",
                "storage_class": "Storage type",
                "arriving_cuft": st.column_config.NumberColumn("Planned (cu ft)", format="%.1f"),
                "admitted_cuft": st.column_config.NumberColumn("Goes in (cu ft)", format="%.1f"),
                "limit_cuft": st.column_config.NumberColumn("Limit (cu ft)", format="%.0f"),
                "waiting_units": st.column_config.NumberColumn("Units waiting", format="%.0f"),
                "wait_cost": st.column_config.NumberColumn(
                    f"Waiting cost ({currency})", format="%.2f"
                ),
            },
        )
        waiting = cap[cap["waiting_units"] > 0]
        if len(waiting):
            st.dataframe(
                waiting[
                    [
                        "month",
                        "sku",
                        "delivery",
                        "arrival",
                        "units",
                        "admitted_units",
                        "waiting_units",
                        "wait_location",
                        "wait_cost",
                        "margin_at_risk",
                        "rank",
                    ]
                ],
                hide_index=True,
                width="stretch",
            )
    explain(
        "capacity",
        "Each delivery of the plan arrives in a month and takes units x cubic feet a unit "
        "(products table) of that storage type's limit (R-F2). Per month and type the "
        "deliveries are let in by **margin at risk**, highest first: the units that would be "
        "missing if the delivery waited a month (the forecast of the 30 days from its arrival "
        "minus the stock the day before, at most its units) x (price - unit cost - freight). "
        "A delivery that does not fit goes in with the whole units that do; the rest waits a "
        "month: at the **supplier** when it has not shipped yet (arrival - transit - "
        "receiving is after today), else at the cheaper of **AWD** and **3PL**. Waiting cost = "
        "units x cubic feet x the location's monthly rate (Settings or above). Open purchase "
        "orders and inbound shipments already on their way are not counted against the limit.",
    )


def _corridor_explain(result: MaturityResult) -> str:
    f = result.fees
    table = result.inputs.fee_table
    return (
        f"**Low-inventory-level fee** (R-F1): charged per unit shipped when both the 30- and "
        f"the 90-day days of supply (FBA available / units a day over the last 30 and 90 days, "
        f"the health table) are under **{f['low_days']:g} days**; exempt under "
        f"{fees.low_inventory_exempt_units(table):g} units sold in 7 days. The fee per "
        "unit by size tier and band of days of supply comes from the fee table "
        f"(`{table.path.name}`). Over the next {maturity.CORRIDOR_HORIZON_DAYS} days it is "
        "estimated on the projected stock line: each day with cover (stock / units a day) under "
        "the line pays units shipped x the band's fee.\n\n"
        f"**Storage utilization surcharge**: when the account holds more than "
        f"**{f['high_days'] / 7:g} weeks** of supply (cubic feet at FBA / cubic feet shipped a "
        f"week over the last 13 weeks) every cubic foot pays the tier's surcharge a month. Now "
        f"{f['weeks_plan']:,.1f} weeks with the restock plan, {f['weeks_final']:,.1f} with this "
        "plan (average stock over the next 90 days).\n\n"
        f"**Aged-inventory surcharge**: units over 180 days (aging report) and the 91-180-day "
        "units the next 90 days of sales will not reach (oldest sold first); a month of the "
        f"181-210-day tier = {f['aged_surcharge_month']:,.2f}.\n\n"
        "**The corridor plan** raises an order so the stock after it lands stays at or above "
        f"{f['low_days']:g} days of cover until the next order, and lowers it so the stock "
        f"never passes {f['high_days']:g} days; a stockout before the order can land cannot be "
        "fixed by the order and still pays."
    )


# -- step 5: plan and alerts ---------------------------------------------------------------------
EDITOR_COLUMNS = [
    "sku",
    "abc_class",
    "order_units",
    "restock_units",
    "cap_units",
    "corridor_units",
    "arriving_units",
    "waiting_units",
    "wait_location",
    "order_date",
    "overdue_days",
    "first_arrival",
    "deliveries",
    "shipping_mode",
    "cash_needed",
    "reason",
]


def show_plan_dates(result: MaturityResult) -> None:
    inputs = result.inputs
    line = result.dates_line() + "."
    if datadate.is_stale(inputs.today, inputs.as_of):
        line += (
            f" The stock is projected from {inputs.as_of.isoformat()}, and order dates before "
            "today are shown as overdue."
        )
    st.info(line, icon=":material/event:")


def step_plan(ctx: Context) -> None:
    inputs = ctx.inputs
    if not inputs.supplies:
        st.info("No maturity products to plan.")
        return
    result = ctx.result()
    show_plan_dates(result)
    show_warnings(result)
    currency = ctx.settings.currency
    plan = result.plan
    overdue = plan[(plan["overdue_days"].fillna(0) > 0) & (plan["order_units"] > 0)]
    if len(overdue):
        shown = [
            f"{r.sku} by {int(r.overdue_days)} day{'s' if int(r.overdue_days) != 1 else ''}"
            for r in overdue.head(8).itertuples()
        ]
        more = f" and {len(overdue) - 8} more" if len(overdue) > 8 else ""
        late = ", ".join(shown) + more
        st.warning(
            f"{len(overdue)} orders are overdue: order now ({late}).",
            icon=":material/schedule:",
        )
    st.markdown(
        "The restock plan of your maturity products with the C-class cash cap, the fee "
        "corridor and the capacity applied. Edit **Order** to change a quantity."
    )
    editor_key = ctx.wiz.widget_key("plan_editor", seed=False)
    edited = st.data_editor(
        plan[EDITOR_COLUMNS],
        key=editor_key,
        hide_index=True,
        width="stretch",
        disabled=[c for c in EDITOR_COLUMNS if c != "order_units"],
        column_config={
            "sku": "Product",
            "abc_class": "Class",
            "order_units": st.column_config.NumberColumn("Order", format="%d", min_value=0),
            "restock_units": st.column_config.NumberColumn("Restock plan", format="%d"),
            "cap_units": st.column_config.NumberColumn("After cash cap", format="%d"),
            "corridor_units": st.column_config.NumberColumn("After corridor", format="%d"),
            "arriving_units": st.column_config.NumberColumn("Arrives as planned", format="%.0f"),
            "waiting_units": st.column_config.NumberColumn("Waits a month", format="%.0f"),
            "wait_location": "Waits at",
            "order_date": st.column_config.DateColumn("Order date"),
            "overdue_days": st.column_config.NumberColumn("Overdue (days)", format="%d"),
            "first_arrival": st.column_config.DateColumn("First arrival"),
            "deliveries": st.column_config.TextColumn("Deliveries", width="medium"),
            "shipping_mode": "Mode",
            "cash_needed": st.column_config.NumberColumn(f"Cash ({currency})", format="%.0f"),
            "reason": st.column_config.TextColumn("Why", width="large"),
        },
    )
    edits = dict(ctx.wiz.get("edits", {}))
    computed = dict(zip(plan["sku"], plan["corridor_units"], strict=True))
    new = dict(edits)
    for sku, units in zip(edited["sku"], edited["order_units"], strict=True):
        if sku not in result.skus or pd.isna(units):
            continue
        if int(units) != int(plan.set_index("sku").loc[sku, "order_units"]):
            new[sku] = int(units)
    new = {k: v for k, v in new.items() if k in result.skus and v != computed.get(k)}
    if new != edits:
        ctx.wiz.set("edits", new)
        st.session_state.pop(editor_key, None)
        st.rerun()
    if edits and st.button("Back to the computed quantities", key="maturity_reset_edits"):
        ctx.wiz.set("edits", {})
        st.session_state.pop(editor_key, None)
        st.rerun()
    c1, c2, c3 = st.columns(3)
    c1.metric("Units to order", f"{int(plan['order_units'].fillna(0).sum()):,}")
    c2.metric("Cash needed", _money(plan["cash_needed"].sum(min_count=1), currency))
    c3.metric("Orders overdue", f"{len(overdue):,}")
    explain("the maturity plan", result.explain())
    planned = [s for s in plan["sku"] if s in result.skus]
    if planned:
        focus = st.selectbox(
            "Explain the order of", planned, key=ctx.wiz.widget_key("plan_focus", planned[0])
        )
        ctx.wiz.set("plan_focus", focus)
        explain(f"order of {plain(focus)}", result.skus[focus].plan.explain())
    stem = f"maturity_plan_{ctx.ws.name}_{inputs.today:%Y%m%d}"
    export = plan.assign(today=inputs.today)
    download_plan(export, stem, label="plan", key="maturity_plan")
    name = st.text_input(
        "Plan name", key=ctx.wiz.widget_key("plan_name", f"Maturity plan {inputs.today:%Y-%m-%d}")
    )
    ctx.wiz.set("plan_name", name)
    if st.button("Save plan to the workspace", key="maturity_save", icon=":material/save:"):
        plan_id = ctx.ws.save_plan(
            PLAN_KIND,
            name or "Maturity plan",
            export,
            {"choices": json.loads(result.choices.key()), "edits": edits},
        )
        st.success(f"Saved as plan #{plan_id} ({len(export)} products).")
    st.subheader("Alerts")
    show_alerts(ctx, result)


@st.cache_resource(max_entries=4, show_spinner="Checking the alert rules…")
def _alerts(path: str, version: str, settings: str, today: str) -> list[Any]:
    """``alerts.workspace_alerts`` of the workspace (the other arguments are the cache key)."""
    from stockcycle import alerts

    del version, settings  # cache key only
    return alerts.workspace_alerts(Workspace(path), today=pd.Timestamp(today).date())


#: The maturity alerts of R-M4 first, then the rest of a maturity SKU's alerts.
MATURITY_RULES = ("overstock", "sales_spike", "competitor_price_drop")


def alert_frame(found: list[Any], skus: set[str]) -> pd.DataFrame:
    """The alerts of ``skus`` (and the account-wide ones), R-M4 rules first, as a table."""
    rows = []
    for a in found:
        if a.sku not in skus and a.rule not in ("storage_utilization", "capacity"):
            continue
        rows.append(
            {
                "maturity_rule": a.rule in MATURITY_RULES,
                "severity": a.severity,
                "sku": a.sku,
                "alert": a.title,
                "figure": a.figure(),
                "action": a.action,
                "money_at_stake": a.money_at_stake,
                "message": a.message,
            }
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "maturity_rule",
            "severity",
            "sku",
            "alert",
            "figure",
            "action",
            "money_at_stake",
            "message",
        ],
    )
    return table.sort_values("maturity_rule", ascending=False, kind="stable").drop(
        columns="maturity_rule"
    )


def show_alerts(ctx: Context, result: MaturityResult) -> None:
    """The maturity products' alerts from the shared alert rules (``stockcycle.alerts``: R-M4
    overstock, abnormal consumption, competitor price drop; the others that fire on them), with
    the sensitivity the alert settings give (R-M6)."""
    found = _alerts(
        str(ctx.ws.path),
        data_version(ctx.ws),
        json.dumps(ctx.settings.to_dict(), sort_keys=True),
        ctx.today.isoformat(),
    )
    table = alert_frame(found, set(result.skus))
    s = ctx.settings
    if table.empty:
        st.success("No alert fires on these products today.", icon=":material/notifications:")
    else:
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={
                "severity": "Severity",
                "sku": "Product",
                "alert": "Alert",
                "figure": "Figure",
                "action": st.column_config.TextColumn("What to do", width="medium"),
                "money_at_stake": st.column_config.NumberColumn(
                    f"Money at stake ({s.currency})", format="%.0f"
                ),
                "message": st.column_config.TextColumn("Why", width="large"),
            },
        )
    st.caption(
        f"Sensitivity: alerts from **{s.alert_min_severity}** severity up are shown; switched "
        f"off: {s.alert_rules_off or 'none'}. Change both on the Settings page to quiet "
        "alerts that fire often without turnover improving; the Alerts page lists those "
        "products."
    )
    from stockcycle import alerts

    # R-M6: the maturity products whose alerts keep firing without turnover improving (the
    # alert log written by the daily check, the shared tuning rule).
    tuning = alerts.tuning_table(
        ctx.ws.alerts(), ctx.today, s.alert_tuning_days, s.alert_tuning_fires
    )
    tuning = tuning[tuning["sku"].isin(list(result.skus))] if len(tuning) else tuning
    noisy = tuning[tuning["noisy"]] if len(tuning) else tuning
    if len(noisy):
        st.warning(
            f"Alerts keep firing without turnover improving for {', '.join(noisy['sku'])}: "
            "raise the rule's threshold or switch it off (Settings).",
            icon=":material/notifications_paused:",
        )
    if len(tuning):
        st.dataframe(
            tuning,
            hide_index=True,
            width="stretch",
            column_config=TUNING_COLUMNS,
        )
    alerts_page = next((f for f in page_files() if page_label(f) == "Alerts"), None)
    if alerts_page:
        st.page_link(
            alerts_page,
            label="Acknowledge, snooze and tune alerts on the Alerts page",
            icon=":material/notifications:",
        )
    explain(
        "alerts",
        "The alerts come from the shared alert rules, as the daily check (`stockcycle check`) "
        "runs them on the data date: **overstock** (stock above "
        f"{s.overstock_months:g} months of sales), **abnormal consumption** (daily sales up "
        f"{s.abnormal_sales_jump:.0%} or more with stock under the safety stock) and "
        f"**competitor price drop** (the median price of your search down "
        f"{s.competitor_price_drop:.0%} or more between two Xray snapshots) first (R-M4), then "
        "the other rules that fire on these products. Alert tuning (R-M6): a product is "
        f"flagged when new alerts started on {s.alert_tuning_fires} or more days of the last "
        f"{s.alert_tuning_days} (the daily check's log) and its turnover did not improve; the "
        "lowest severity shown and the rules switched off are settings.",
    )


# -- the page ------------------------------------------------------------------------------------
def main(ws: Workspace) -> None:
    st.caption(
        "Maturity: steady sellers; the money is in turnover and cost. Five steps: your "
        "mature products, how low their stock may run, how much each order should be, "
        "Amazon's fee corridor and capacity, and the plan to send."
    )
    # Before anything is read: an empty workspace gets a hint, not an error.
    if stages_of(ws, ws.settings()).empty:
        st.info("No products yet: import sales on the Data page.")
        return
    wiz = Wizard(WIZARD, STEPS, ws)
    ctx = Context(ws, wiz)
    step = wiz.show_steps()
    if step == 0:
        step_skus(ctx)
    elif step == 1:
        step_thresholds(ctx)
    elif step == 2:
        step_abc(ctx)
    elif step == 3:
        step_corridor(ctx)
    else:
        step_plan(ctx)
    wiz.nav_buttons()
