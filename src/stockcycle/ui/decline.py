"""Decline wizard (R-D1..R-D5): is the SKU fading, what do competitors charge, which clearance
scenario pays, and how the profit moves with the promotion's length and ad budget.

The numbers come from ``stockcycle.clearance``: ``load_clearance`` reads the workspace once per
SKU, data version, settings and day (``st.cache_resource`` below), and every slider only reruns
its cheap functions (``scenarios``, ``stock_left_curves``, ``sensitivity_grid``). The Exit page
(``ui/exit.py``) shares the cache, the SKU picker and the price-response choice from here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from stockcycle import clearance, datadate, pricing
from stockcycle.clearance import ClearanceInputs
from stockcycle.store import Workspace
from stockcycle.ui import data_version
from stockcycle.ui.stages import stages_of
from stockcycle.ui.wizard import Wizard, download_plan, explain

STEPS = ["Signal", "Price reference", "Scenarios", "Sensitivity"]
WIZARD = "decline"
PLAN_KIND = "clearance"
#: Promotion lengths (days) and ad budgets (per day) of the heat map (R-D5).
HEAT_DAYS = (7, 14, 30, 45, 60, 90)
HEAT_BUDGETS = (0, 10, 25, 50, 100)
#: Stages the page is for, listed first in the SKU picker (R-S2).
FOCUS_STAGES = ("decline", "exit")


# -- cached reads ----------------------------------------------------------------------------------
@st.cache_resource(max_entries=16, show_spinner="Reading the SKU's stock, sales and fees…")
def _inputs(
    path: str, version: str, settings: str, overrides: str, sku: str, today: str
) -> ClearanceInputs:
    """``clearance.load_clearance`` of one SKU; the other arguments are the cache key."""
    del version, settings, overrides  # cache key only
    ws = Workspace(path)
    s = ws.settings()
    return clearance.load_clearance(
        ws, sku, settings=s, today=date.fromisoformat(today), stages=stages_of(ws, s)
    )


class Context:
    """What every step of the Decline and Exit wizards needs: settings, stages, the day the
    page plans on, the chosen SKU and its loaded inputs."""

    def __init__(self, ws: Workspace, wiz: Wizard) -> None:
        self.ws, self.wiz = ws, wiz
        self.path = str(ws.path)
        self.settings = ws.settings()
        self.settings_key = json.dumps(self.settings.to_dict(), sort_keys=True)
        self.version = data_version(ws)
        self.stages = stages_of(ws, self.settings)
        self.today = datadate.today()  # the day the page plans on (R-T1)
        self.currency = self.settings.currency
        self._overrides = json.dumps(ws.overrides("stage"), sort_keys=True)
        self.sku: str | None = None

    def inputs(self, sku: str) -> ClearanceInputs:
        return _inputs(
            self.path, self.version, self.settings_key, self._overrides, sku, self.today.isoformat()
        )

    def money(self, x: Any, digits: int = 0) -> str:
        if x is None or pd.isna(x) or not math.isfinite(float(x)):
            return "—"
        return f"{float(x):,.{digits}f} {self.currency}"


def pick_sku(ctx: Context, focus: tuple[str, ...] = FOCUS_STAGES) -> str | None:
    """The SKU selectbox: SKUs in the ``focus`` stages first (the first one chosen by default),
    then every other SKU with its stage."""
    table = ctx.stages[["sku", "stage"]].astype(str)
    rank = {s: i for i, s in enumerate(focus)}
    table = table.assign(order=table["stage"].map(rank).fillna(len(focus)))
    table = table.sort_values(["order", "sku"])
    options = table["sku"].tolist()
    if not options:
        return None
    stage = dict(zip(table["sku"], table["stage"], strict=True))
    sku = ctx.wiz.field(
        st.selectbox,
        "SKU",
        "sku",
        options[0],
        options=options,
        format_func=lambda s: f"{s} ({stage.get(s, '?')})",
        help="Decline and exit SKUs come first; any SKU can be looked at.",
    )
    ctx.sku = sku
    return sku


def price_response(ctx: Context, inp: ClearanceInputs) -> pricing.Elasticity:
    """The seller's choice of price response (elasticity), always labelled: the estimate from
    their own price history (when it exists), the default they set, or their own figure."""
    labels = {}
    if inp.elasticity.estimated:
        e = inp.elasticity
        labels["estimate"] = (
            f"From your price history: {e.value:.2f} (95% range {e.low:.2f} to {e.high:.2f})"
        )
    labels["default"] = f"The default you set: {inp.default_elasticity:.2f}"
    labels["own"] = "My own figure"
    choice = ctx.wiz.field(
        st.radio,
        "How sales respond to price",
        "elasticity_choice",
        next(iter(labels)),
        options=list(labels),
        format_func=lambda k: labels[k],
        horizontal=True,
        help="A response of -1.5 means 10% off sells about 15% more units.",
    )
    if choice == "own":
        value = ctx.wiz.field(
            st.number_input,
            "Your figure (negative: a lower price sells more)",
            "elasticity_own",
            float(inp.default_elasticity),
            min_value=-10.0,
            max_value=-0.1,
            step=0.1,
        )
        e = inp.elasticity_for(value)
    else:
        e = inp.elasticity_for(choice if choice == "default" else "estimate")
    st.caption(f"Price response used: **{e.value:.2f}**, {describe_elasticity(e)}.")
    return e


def describe_elasticity(e: pricing.Elasticity) -> str:
    """Where the elasticity comes from, in a seller's words."""
    if e.estimated:
        return f"estimated from {e.n_points} days of your own prices and sales"
    if e.source == "your own figure":
        return "your own figure"
    return "the default you set on the Settings page" + (f" ({e.note})" if e.note else "")


def plan_dates(ctx: Context, inp: ClearanceInputs) -> None:
    """The as-of line every plan states (R-T1)."""
    st.caption(
        f"Planned on {ctx.today} from data up to {inp.as_of} (stock as of "
        f"{inp.stock_when or 'unknown'})."
    )


def pct(x: Any, signed: bool = False) -> str:
    if x is None or pd.isna(x) or not math.isfinite(float(x)):
        return "—"
    return f"{float(x) * 100:+.0f}%" if signed else f"{float(x) * 100:.0f}%"


def inputs_table(inp: ClearanceInputs, names: list[str]) -> str:
    """Markdown lines 'name = value (source)' for an Explain expander."""
    lines = []
    for n in names:
        item = inp.inputs.get(n)
        if item is None:
            continue
        v = item["value"]
        shown = f"{v:,.4g}" if isinstance(v, float) else str(v)
        lines.append(f"- `{n}` = {shown} ({item['source']})")
    return "\n".join(lines)


# -- charts --------------------------------------------------------------------------------------
def weekly_chart(weekly: pd.DataFrame) -> alt.Chart:
    """Weekly units as bars; a week that fell by the R-D1 drop or more in red, the latest run
    of consecutive drops outlined."""
    data = weekly.assign(
        week_end=pd.to_datetime(weekly["week_end"]),
        kind=[
            "drop in the latest run" if r and d else ("drop" if d else "no drop")
            for d, r in zip(weekly["drop"], weekly["in_run"], strict=True)
        ],
        change_pct=weekly["change"] * 100,
    )
    return (
        alt.Chart(data, height=240)
        .mark_bar()
        .encode(
            x=alt.X("week_end:T", title="Week ending", axis=alt.Axis(format="%d %b")),
            y=alt.Y("units:Q", title="Units per week"),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(
                    domain=["no drop", "drop", "drop in the latest run"],
                    range=["#a9b4c2", "#e8a33d", "#c0392b"],
                ),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("week_end:T", title="Week ending"),
                alt.Tooltip("units:Q", title="Units", format=",.0f"),
                alt.Tooltip("change_pct:Q", title="Change %", format="+.0f"),
            ],
        )
    )


def stock_left_chart(curves: pd.DataFrame) -> alt.Chart:
    """Stock left over time, one line per scenario (R-D2)."""
    return (
        alt.Chart(curves.assign(date=pd.to_datetime(curves["date"])), height=280)
        .mark_line()
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("stock_left:Q", title="Units left"),
            color=alt.Color("scenario:N", title="Scenario", legend=alt.Legend(orient="right")),
            tooltip=[
                alt.Tooltip("scenario:N"),
                alt.Tooltip("date:T", title="Date"),
                alt.Tooltip("stock_left:Q", title="Units left", format=",.0f"),
            ],
        )
    )


def heat_map(grid: pd.DataFrame, chosen: tuple[float, float], currency: str) -> alt.LayerChart:
    """Profit over promotion length (rows) x ad budget per day (columns), the chosen cell
    outlined (R-D5)."""
    long = grid.reset_index().melt(
        id_vars="duration_days", var_name="ad_cost_per_day", value_name="profit"
    )
    long["chosen"] = (long["duration_days"] == chosen[0]) & (long["ad_cost_per_day"] == chosen[1])
    long["label"] = long["profit"].map(lambda v: f"{v:,.0f}")
    base = alt.Chart(long, height=280).encode(
        x=alt.X("ad_cost_per_day:O", title=f"Ad budget per day ({currency})"),
        y=alt.Y("duration_days:O", title="Promotion length (days)"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("profit:Q", title=f"Profit ({currency})", scale=alt.Scale(scheme="blues")),
        stroke=alt.condition(alt.datum.chosen, alt.value("#c0392b"), alt.value(None)),
        strokeWidth=alt.condition(alt.datum.chosen, alt.value(3), alt.value(0)),
        tooltip=[
            alt.Tooltip("duration_days:O", title="Days"),
            alt.Tooltip("ad_cost_per_day:O", title="Ads per day"),
            alt.Tooltip("profit:Q", title="Profit", format=",.0f"),
        ],
    )
    text = base.mark_text(fontSize=11).encode(text="label:N")
    return alt.layer(cells, text)


# -- step 1: signal --------------------------------------------------------------------------------
def step_signal(ctx: Context, inp: ClearanceInputs) -> None:
    s = ctx.settings
    row = ctx.stages[ctx.stages["sku"] == inp.sku]
    a, b, c = st.columns(3)
    a.metric("Stage", (inp.stage or "unknown").capitalize())
    b.metric("Units on hand", f"{inp.on_hand:,.0f}")
    c.metric("Sales per day (last 4 weeks)", f"{inp.rate:,.1f}")
    if len(row):
        st.write(f"**Why this stage:** {row['reason'].iloc[0]}")
    st.subheader("Weekly sales")
    weekly = inp.weekly
    needed = s.decline_consecutive_weeks
    if weekly.empty:
        st.info("No sales history for this SKU yet.")
    else:
        st.altair_chart(weekly_chart(weekly), width="stretch")
        if inp.drop_run >= needed:
            st.warning(
                f"Sales fell {pct(s.decline_weekly_drop)} or more week over week for the last "
                f"{inp.drop_run} weeks in a row: lower the stock target and cancel or trim open "
                "orders.",
                icon=":material/trending_down:",
            )
        else:
            st.write(
                f"Latest run of weekly drops of {pct(s.decline_weekly_drop)} or more: "
                f"{inp.drop_run} week(s); the signal needs {needed} in a row."
            )
    explain(
        "weekly sales and the decline signal",
        "Units per week = 7 x the mean daily demand of each 7-day block ending on the data "
        "date (days out of stock left out, `lifecycle.weekly_levels`). A week is a drop when "
        f"units / previous week - 1 <= -{s.decline_weekly_drop:g}; the signal (R-D1) is "
        f"{needed} drops in a row ending with the latest week (`lifecycle.weekly_drop_run`). "
        "Both figures are settings (Decline tab).\n\n"
        + "\n".join(
            f"- week to {r.week_end}: {r.units:,.0f} units ({pct(r.change, True)})"
            for r in weekly.tail(6).itertuples(index=False)
        ),
    )
    st.subheader("Open purchase orders")
    orders = inp.open_orders
    if orders.empty:
        st.write("No open purchase orders for this SKU: nothing to trim.")
    else:
        shown = orders.assign(
            arrives=[
                f"{e} (overdue by {datadate.days_text((ctx.today - e).days)})"
                if e < ctx.today
                else str(e)
                for e in orders["eta"]
            ]
        )
        st.dataframe(
            shown[
                [
                    "po",
                    "arrives",
                    "units",
                    "status",
                    "cash_saved",
                    "storage_saved",
                    "saved_per_unit_trimmed",
                    "sells_out",
                ]
            ],
            hide_index=True,
            column_config={
                "po": "Order",
                "arrives": "Arrives",
                "units": st.column_config.NumberColumn("Units", format="%.0f"),
                "status": "Status",
                "cash_saved": st.column_config.NumberColumn(
                    f"Cash saved if cancelled ({ctx.currency})", format="%.2f"
                ),
                "storage_saved": st.column_config.NumberColumn(
                    f"Storage saved ({ctx.currency})", format="%.2f"
                ),
                "saved_per_unit_trimmed": st.column_config.NumberColumn(
                    f"Saved per unit trimmed ({ctx.currency})", format="%.2f"
                ),
                "sells_out": "Would sell out by",
            },
        )
        st.write(
            f"Cancelling all {orders['units'].sum():,.0f} units saves "
            f"{ctx.money(orders['cash_saved'].sum(), 2)} of cash and "
            f"{ctx.money(orders['storage_saved'].sum(), 2)} of storage."
        )
        explain(
            "what cancelling an order saves",
            "R-D1 (cancel or trim open orders), R-D3. Cash saved = units x landed cost "
            f"({inp.landed:,.2f} = unit cost + freight + duty). Storage saved = storage per "
            f"unit-month ({inp.storage + inp.surcharge:,.3f}, storage + aged surcharge) / 30.42 "
            "x unit-days the order would be held: its units arrive on the ETA behind the stock "
            "still there (on hand and earlier orders, selling at "
            f"{inp.rate:,.2f}/day), wait W = that stock / rate days, then sell over units / "
            "rate days: unit-days = units x W + units^2 / (2 x rate). Trimming: the units cut "
            "are the order's last to sell, held W + units / rate days, so each unit trimmed "
            "saves landed cost + storage per unit-day x (W + units / rate) (less for each "
            "further unit cut).",
        )


# -- step 2: price reference -----------------------------------------------------------------------
def step_price(ctx: Context, inp: ClearanceInputs) -> None:
    band = inp.price_band
    if band is None:
        st.info(
            "No competitor prices: import a Helium 10 Xray export of this product's search on "
            "the Data page to see the price band competitors sell at."
        )
        return
    a, b, c, d = st.columns(4)
    a.metric("Your price", ctx.money(inp.price, 2))
    b.metric("Lowest organic", ctx.money(band.get("lowest_organic"), 2))
    c.metric("Middle half", f"{band['q1']:,.2f} – {band['q3']:,.2f}")
    d.metric("Median", ctx.money(band["median"], 2))
    position = (inp.price - band["median"]) / band["median"]
    st.write(
        f"Your price is {pct(abs(position))} {'above' if position > 0 else 'below'} the "
        f"median of {band['n']} competitor listings on {band['snapshot_date']} "
        f"(search: {band['search']})."
        + ("" if band["sku_listed"] else " None of these searches lists your product.")
    )
    history = inp.price_bands
    if len(history) > 1:
        moved = history["median"].iloc[-1] / history["median"].iloc[0] - 1
        st.write(
            f"Since {history['snapshot_date'].iloc[0]} the median moved {pct(moved, True)} "
            f"over {len(history)} snapshots."
        )
        long = history.melt(
            id_vars="snapshot_date",
            value_vars=["q1", "median", "q3", "lowest_organic"],
            var_name="figure",
            value_name="price",
        ).dropna()
        long["snapshot_date"] = pd.to_datetime(long["snapshot_date"])
        names = {"q1": "lower quarter", "median": "median", "q3": "upper quarter"}
        long["figure"] = long["figure"].map(lambda f: names.get(f, "lowest organic"))
        st.altair_chart(
            alt.Chart(long, height=220)
            .mark_line(point=True)
            .encode(
                x=alt.X("snapshot_date:T", title="Snapshot"),
                y=alt.Y("price:Q", title=f"Price ({ctx.currency})", scale=alt.Scale(zero=False)),
                color=alt.Color("figure:N", title=None, legend=alt.Legend(orient="top")),
            ),
            width="stretch",
        )
    st.dataframe(
        history,
        hide_index=True,
        column_config={
            "snapshot_date": "Snapshot",
            "n": "Listings",
            "min": st.column_config.NumberColumn("Lowest", format="%.2f"),
            "q1": st.column_config.NumberColumn("Lower quarter", format="%.2f"),
            "median": st.column_config.NumberColumn("Median", format="%.2f"),
            "q3": st.column_config.NumberColumn("Upper quarter", format="%.2f"),
            "max": st.column_config.NumberColumn("Highest", format="%.2f"),
            "lowest_organic": st.column_config.NumberColumn("Lowest organic", format="%.2f"),
            "search": "Search",
        },
    )
    explain(
        "the competitor price band",
        "R-D4: competitor prices as the reference for clearance prices. Per Helium 10 Xray "
        "snapshot of the product's search (`products.search`, else the searches that list its "
        "ASIN): one price per ASIN, your own ASINs left out; quartiles are linear "
        "interpolations (pandas); lowest organic = the lowest price of a listing not marked "
        f"sponsored. {band['source']}.",
    )


# -- step 3: scenarios -----------------------------------------------------------------------------
DISCOUNT_CHOICES = tuple(range(5, 75, 5))


def scenario_inputs(ctx: Context) -> tuple[int, float, float, list[float]]:
    wiz = ctx.wiz
    levels = wiz.field(
        st.multiselect,
        "Discount levels to compare",
        "discounts",
        [10, 20, 30, 40],
        options=list(DISCOUNT_CHOICES),
        format_func=lambda x: f"{x}% off",
    )
    left, mid, right = st.columns(3)
    with left:
        days = wiz.field(
            st.slider, "Promotion length (days)", "days", 30, min_value=7, max_value=120
        )
    with mid:
        budget = wiz.field(
            st.slider,
            f"Extra ads per day ({ctx.currency})",
            "ad_budget",
            0,
            min_value=0,
            max_value=200,
            step=5,
            help="Spent on the coupon scenario; each dollar brings about 3 dollars of sales.",
        )
    with right:
        coupon = wiz.field(
            st.slider, "Coupon (% off)", "coupon_pct", 15, min_value=5, max_value=50, step=5
        )
    return int(days), float(budget), coupon / 100, [x / 100 for x in levels]


def scenario_table(
    ctx: Context, inp: ClearanceInputs, e: pricing.Elasticity
) -> tuple[pd.DataFrame, int, float, list[pricing.Scenario]]:
    """The scenarios the seller chose (no change, the discount levels, buy-one-get-one, the
    coupon with ads) run on the inputs: (table, days, ad budget, the scenarios in order)."""
    days, budget, coupon, levels = scenario_inputs(ctx)
    chosen = clearance.scenario_list(levels, coupon=coupon)
    table = clearance.scenarios(inp, days, budget, elasticity=e, scenario_set=chosen)
    return table, days, budget, chosen


def step_scenarios(ctx: Context, inp: ClearanceInputs) -> None:
    e = price_response(ctx, inp)
    table, days, budget, _chosen = scenario_table(ctx, inp, e)
    best = table.loc[table["profit"].idxmax()]
    st.success(
        f"Most profitable over {days} days: **{best['scenario']}** — profit "
        f"{ctx.money(best['profit'])}, {best['units_sold']:,.0f} units sold, "
        f"{ctx.money(best['cash_in_per_week'])} cash in per week.",
        icon=":material/sell:",
    )
    shown = table.assign(
        days_to_clear=table["days_to_clear"].where(table["days_to_clear"].map(math.isfinite)),
        avoided=table["storage_avoided"],
    )
    st.dataframe(
        shown[
            [
                "scenario",
                "price_paid",
                "units_per_day",
                "days_to_clear",
                "units_sold",
                "revenue",
                "fees",
                "ad_cost",
                "avoided",
                "profit",
                "cash_in_per_week",
            ]
        ],
        hide_index=True,
        column_config={
            "scenario": "Scenario",
            "price_paid": st.column_config.NumberColumn("Price per unit", format="%.2f"),
            "units_per_day": st.column_config.NumberColumn("Units per day", format="%.1f"),
            "days_to_clear": st.column_config.NumberColumn("Days to clear", format="%.0f"),
            "units_sold": st.column_config.NumberColumn("Units sold", format="%.0f"),
            "revenue": st.column_config.NumberColumn("Revenue", format="%.2f"),
            "fees": st.column_config.NumberColumn("Amazon fees", format="%.2f"),
            "ad_cost": st.column_config.NumberColumn("Ad cost", format="%.2f"),
            "avoided": st.column_config.NumberColumn("Storage saved", format="%.2f"),
            "profit": st.column_config.NumberColumn("Profit", format="%.2f"),
            "cash_in_per_week": st.column_config.NumberColumn("Cash in per week", format="%.2f"),
        },
    )
    horizon = int(
        min(
            365,
            max(
                days * 2,
                *(d for d in table["days_to_clear"] if math.isfinite(d) and d < 365),
                30,
            ),
        )
    )
    curves = clearance.stock_left_curves(inp, table, horizon)
    st.subheader("Stock left over time")
    st.altair_chart(stock_left_chart(curves), width="stretch")
    plan_dates(ctx, inp)
    r = best
    explain(
        "the clearance scenarios",
        "R-D2, R-D3, R-D5. For each scenario with price paid p (base price "
        f"p0 = {inp.price:,.2f}): units per day r = units per order x q0 x (p / p0)^e + ads per "
        f"day x 3 / p, with q0 = {inp.rate:,.3f} (mean daily sales of the last 4 weeks) and "
        f"e = {e.value:.2f} ({describe_elasticity(e)}). Buy-one-get-one: p = p0 / 2 per unit, "
        "two units per order. Units sold = min(units on hand, r x days); revenue = units sold "
        f"x p; Amazon fees = units sold x (FBA fee {inp.fba:,.2f} + referral "
        f"{inp.referral:.0%} x p); ad cost = ads per day x days the promotion runs; cost of "
        f"goods = units sold x {inp.cost:,.2f}; storage saved = (storage "
        f"{inp.storage:,.3f} + aged surcharge {inp.surcharge:,.3f} per unit-month) x "
        "unit-months not held over the next year against selling at q0; profit = revenue - "
        "fees - ad cost - cost of goods + storage saved; cash in per week = (revenue - fees - "
        "ad cost) / weeks the promotion runs.\n\n"
        f"Most profitable, {r['scenario']}: r = {r['units_per_day']:,.3f}/day, sold "
        f"{r['units_sold']:,.1f}, revenue {r['revenue']:,.2f} - fees {r['fees']:,.2f} - ads "
        f"{r['ad_cost']:,.2f} - goods {r['cogs']:,.2f} + storage saved "
        f"{r['storage_avoided']:,.2f} = **{r['profit']:,.2f}**.\n\n"
        + inputs_table(
            inp,
            [
                "units_on_hand",
                "base_units_per_day",
                "price",
                "unit_cost",
                "fba_fee",
                "referral_rate",
                "storage_per_unit_month",
                "aged_surcharge_per_unit_month",
            ],
        ),
    )


# -- step 4: sensitivity ---------------------------------------------------------------------------
def step_sensitivity(ctx: Context, inp: ClearanceInputs) -> None:
    e = price_response(ctx, inp)
    table, days, budget, chosen = scenario_table(ctx, inp, e)
    names = table["scenario"].tolist()
    coupon_name = names[-1]
    name = ctx.wiz.field(
        st.selectbox,
        "Scenario to plan",
        "plan_scenario",
        coupon_name,
        options=names,
        help="The heat map varies this scenario's length and ad budget.",
    )
    scenario = chosen[names.index(name)]
    run = pricing.Scenario(
        scenario.name,
        scenario.discount_share,
        scenario.units_per_order,
        scenario.price_divisor,
        None,
        scenario.ad_roas,
        scenario.fee_per_unit,
    )
    grid = clearance.sensitivity_grid(
        inp,
        run,
        tuple(sorted({*HEAT_DAYS, days})),
        tuple(sorted({*HEAT_BUDGETS, budget})),
        elasticity=e,
    )
    st.subheader("Profit by promotion length and ad budget")
    st.altair_chart(heat_map(grid, (days, budget), ctx.currency), width="stretch")
    cell = float(grid.loc[float(days), float(budget)])
    top = grid.stack().idxmax()
    st.write(
        f"Your choice — {name}, {days} days, {budget:,.0f} {ctx.currency} of ads a day — "
        f"makes {ctx.money(cell)}; the best cell is {top[0]:,.0f} days with {top[1]:,.0f} "
        f"{ctx.currency} a day ({ctx.money(grid.stack().max())})."
    )
    explain(
        "the heat map",
        "R-D5: each cell is the profit of the scenario above (formula in the Scenarios step: "
        "revenue - Amazon fees - ad cost - cost of goods + storage saved) with that promotion "
        f"length and ad budget per day; ads bring sales at 3 per dollar. e = {e.value:.2f} "
        f"({describe_elasticity(e)}).",
    )
    # The plan is the chosen cell: this scenario with the ad budget above (a discount can
    # also run with ads), the same figures as the heat map's.
    row = clearance.scenarios(inp, days, budget, elasticity=e, scenario_set=[run]).iloc[0]
    start = ctx.today
    plan = pd.DataFrame(
        [
            {
                "sku": inp.sku,
                "scenario": name,
                "start": start,
                "end": start + timedelta(days=days),
                "price_per_unit": round(float(row["price_paid"]), 2),
                "discount": f"{row['discount_share']:.0%}",
                "ad_budget_per_day": budget,
                "units_per_day": round(float(row["units_per_day"]), 2),
                "units_sold": round(float(row["units_sold"])),
                "units_left": round(float(row["units_left"])),
                "revenue": round(float(row["revenue"]), 2),
                "amazon_fees": round(float(row["fees"]), 2),
                "ad_cost": round(float(row["ad_cost"]), 2),
                "storage_saved": round(float(row["storage_avoided"]), 2),
                "profit": round(cell, 2),
                "elasticity": round(e.value, 3),
                "elasticity_source": describe_elasticity(e),
                "data_up_to": inp.as_of,
                "planned_on": ctx.today,
            }
        ]
    )
    st.subheader("Clearance plan")
    plan_dates(ctx, inp)
    st.dataframe(
        plan,
        hide_index=True,
        column_config={
            "sku": "SKU",
            "scenario": "Scenario",
            "start": "Starts",
            "end": "Ends",
            "price_per_unit": st.column_config.NumberColumn("Price per unit", format="%.2f"),
            "discount": "Off",
            "ad_budget_per_day": st.column_config.NumberColumn("Ads per day", format="%.0f"),
            "units_per_day": st.column_config.NumberColumn("Units per day", format="%.1f"),
            "units_sold": "Units sold",
            "units_left": "Units left",
            "revenue": st.column_config.NumberColumn("Revenue", format="%.2f"),
            "amazon_fees": st.column_config.NumberColumn("Amazon fees", format="%.2f"),
            "ad_cost": st.column_config.NumberColumn("Ad cost", format="%.2f"),
            "storage_saved": st.column_config.NumberColumn("Storage saved", format="%.2f"),
            "profit": st.column_config.NumberColumn("Profit", format="%.2f"),
            "elasticity": "Price response",
            "elasticity_source": "From",
            "data_up_to": "Data up to",
            "planned_on": "Planned on",
        },
    )
    stem = f"clearance_plan_{inp.sku}_{ctx.today:%Y%m%d}"
    download_plan(plan, stem, label="clearance plan", key="decline_plan")
    plan_name = st.text_input(
        "Plan name",
        key=ctx.wiz.widget_key("plan_name", f"Clearance {inp.sku} {ctx.today:%Y-%m-%d}"),
    )
    ctx.wiz.set("plan_name", plan_name)
    if st.button("Save as the SKU's clearance plan", key="decline_save", icon=":material/save:"):
        plan_id = ctx.ws.save_plan(
            PLAN_KIND,
            plan_name or f"Clearance {inp.sku}",
            plan,
            {"sku": inp.sku, "scenario": name, "days": days, "ad_budget_per_day": budget},
        )
        st.success(f"Saved as plan #{plan_id}.")


def main(ws: Workspace) -> None:
    st.caption(
        "Decline: stop replenishing and clear the stock at the best profit. Four steps: "
        "the decline signal and open orders, competitors' prices, the clearance scenarios, "
        "and how the profit moves with the promotion's length and ad budget."
    )
    run_wizard(
        Wizard(WIZARD, STEPS, ws),
        FOCUS_STAGES,
        (step_signal, step_price, step_scenarios, step_sensitivity),
    )


def run_wizard(
    wiz: Wizard,
    focus: tuple[str, ...],
    draws: tuple[Callable[[Context, ClearanceInputs], None], ...],
) -> None:
    """The Decline or Exit wizard (``wiz``): pick a SKU (those in ``focus`` stages first), read
    its clearance inputs once, then ``Wizard.run`` with ``draws[i](ctx, inputs)`` as step i."""
    ctx = Context(wiz.ws, wiz)
    if ctx.stages.empty:
        st.info("No SKUs yet: import sales on the Data page.")
        return
    sku = pick_sku(ctx, focus)
    if sku is None:
        return
    inp = ctx.inputs(sku)
    for note in inp.notes:
        st.info(note.split(": clearance")[0] + ": this page is meant for decline and exit SKUs.")
    wiz.run([partial(draw, ctx, inp) for draw in draws])
