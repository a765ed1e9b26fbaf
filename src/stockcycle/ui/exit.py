"""Exit wizard (R-E1..R-E3): the exit signals and date, the markdown price path, where the last
units go, and one decision with its order list.

The numbers come from ``stockcycle.clearance`` (``exit_timeline`` through ``load_clearance``,
``markdown``, ``dispositions``, ``recommend``, ``order_list``); the SKU's inputs are read once
and cached (``ui.decline``), so the sliders only rerun the cheap functions.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from stockcycle import clearance, datadate
from stockcycle.clearance import ClearanceInputs
from stockcycle.store import Workspace
from stockcycle.ui.decline import (
    Context,
    describe_elasticity,
    inputs_table,
    pct,
    plan_dates,
    price_response,
    run_wizard,
)
from stockcycle.ui.wizard import Wizard, download_plan, explain

STEPS = ["Signals", "Markdown plan", "Where the last units go", "Decision"]
WIZARD = "exit"
PLAN_KIND = "exit"
FOCUS_STAGES = ("exit", "decline")
#: Longest stretch of the exit timeline drawn (days).
CHART_DAYS = 365


# -- shared choices --------------------------------------------------------------------------------
def successor_date(ctx: Context) -> date | None:
    """The successor product's launch date the seller entered (None: none planned)."""
    if not ctx.wiz.get("has_successor", False):
        return None
    day = ctx.wiz.get("successor")
    return day if isinstance(day, date) else None


def channel_options(ctx: Context) -> dict[str, float]:
    return {
        "other_channel_price": float(ctx.wiz.get("other_price", 0.0) or 0.0),
        "other_channel_cost": float(ctx.wiz.get("other_cost", 0.0) or 0.0),
        "donation_value": float(ctx.wiz.get("donation_value", 0.0) or 0.0),
    }


def decision(ctx: Context, inp: ClearanceInputs) -> tuple[clearance.Recommendation, pd.DataFrame]:
    return clearance.recommend(inp, successor_date(ctx), **channel_options(ctx))


def markdown_weeks(ctx: Context) -> int:
    return int(ctx.wiz.get("weeks", 8))


def show_recommendation(ctx: Context, rec: clearance.Recommendation) -> None:
    """The one recommendation: overdue in red, an exit ahead in amber, keep selling in green."""
    head = f"**{rec.action}** — {rec.when_text}"
    if rec.overdue_days > 0:
        st.error(f"{head}. {rec.reason}", icon=":material/event_busy:")
    elif rec.exit_date is not None:
        st.warning(f"{head}. {rec.reason}", icon=":material/logout:")
    else:
        st.success(f"{head}. {rec.reason}", icon=":material/check_circle:")


# -- step 1: signals -------------------------------------------------------------------------------
def timeline_chart(inp: ClearanceInputs) -> alt.LayerChart:
    """Storage still to pay as a share of the remaining gross profit, day by day, with the
    exit line (R-E2)."""
    t = inp.timeline
    t = t[(t["units_left"] > 0) & (t["days"] <= CHART_DAYS)]
    data = pd.DataFrame(
        {
            "date": pd.to_datetime(t["date"]),
            "share": t["cost_share"].clip(upper=5.0) * 100,
        }
    )
    line = (
        alt.Chart(data, height=240)
        .mark_line()
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("share:Q", title="Storage still to pay, % of gross profit left"),
            tooltip=[
                alt.Tooltip("date:T", title="Date"),
                alt.Tooltip("share:Q", title="% of gross profit", format=".0f"),
            ],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"limit": [inp.exit_cost_share * 100]}))
        .mark_rule(color="#c0392b", strokeDash=[4, 4])
        .encode(y="limit:Q")
    )
    return alt.layer(line, rule)


def step_signals(ctx: Context, inp: ClearanceInputs) -> None:
    st.subheader("Search interest")
    trend = clearance.search_trend(inp.keywords)
    if inp.keywords.empty:
        st.write(
            "No keyword data for this product: import a Cerebro or Keyword Tracker export on "
            "the Data page to see whether searches are falling."
        )
    else:
        latest = inp.keywords[inp.keywords["snapshot_date"] == inp.keywords["snapshot_date"].max()]
        a, b = st.columns(2)
        a.metric("Searches a month (its keywords)", f"{latest['search_volume'].sum():,.0f}")
        b.metric("Search trend", pct(trend, True) if trend is not None else "—")
        if trend is not None and trend < 0:
            st.warning(
                f"Searches for this product's keywords are falling ({pct(trend, True)}): "
                "demand is saturating.",
                icon=":material/trending_down:",
            )
        st.dataframe(
            latest[["keyword", "search_volume", "trend"]].assign(trend=latest["trend"] * 100),
            hide_index=True,
            column_config={
                "keyword": "Keyword",
                "search_volume": st.column_config.NumberColumn("Searches", format="%.0f"),
                "trend": st.column_config.NumberColumn("Trend %", format="%+.0f"),
            },
        )
    st.subheader("When storage outweighs what the stock still earns")
    ex = inp.exit_check
    if inp.exit_date is None:
        st.success(
            "Storage stays below "
            f"{pct(inp.exit_cost_share)} of the gross profit the stock still holds until it "
            "sells out: no exit date from costs.",
            icon=":material/check_circle:",
        )
    else:
        late = (ctx.today - inp.exit_date).days
        when = f"overdue by {datadate.days_text(late)}" if late > 0 else f"on {inp.exit_date}"
        if late == 0:
            when = "today"
        st.warning(
            f"Exit {when}: from {inp.exit_date} the storage still to pay passes "
            f"{pct(inp.exit_cost_share)} of the gross profit the units still hold.",
            icon=":material/logout:",
        )
    st.altair_chart(timeline_chart(inp), width="stretch")
    explain(
        "the exit date",
        "R-E2 (cost-benefit): exit when storage + upkeep still to pay until the stock sells "
        f"out > {inp.exit_cost_share:g} x the gross profit it still holds. Gross profit left "
        f"= units left x (price - {ex['cost_per_unit']:,.2f}), the cost per unit being "
        f"{ex['cost_per_unit_source']}. Storage still to pay: {ex['storage_source']}. "
        f"Selling on at {inp.rate:,.2f} a day.\n\n"
        f"Today: storage still to pay {ex['future_storage_and_upkeep']:,.2f}, gross profit "
        f"left {ex['remaining_gross_profit']:,.2f}, share {pct(ex['cost_share'])}.\n\n"
        f"Why: {inp.exit_reason}.\n\n"
        + inputs_table(inp, ["units_on_hand", "price", "landed_cost", "exit_cost_share"])
        + f"\n- stock by age: {inp.inputs['age_cohorts']['source']}",
    )
    st.subheader("A successor product")
    has = ctx.wiz.field(st.checkbox, "A successor product is coming", "has_successor", False)
    if has:
        day = ctx.wiz.field(
            st.date_input,
            "Its launch date",
            "successor",
            ctx.today + timedelta(days=60),
            help="The old stock should be gone by then: the exit comes no later.",
        )
        if isinstance(day, date) and day < ctx.today:
            st.warning(f"{day} is already past: the exit is overdue.")


# -- step 2: markdown ------------------------------------------------------------------------------
def markdown_charts(plan: pd.DataFrame, currency: str) -> tuple[alt.Chart, alt.Chart]:
    """Price path (steps) and the stock and cumulative cash curves (R-E1)."""
    data = plan.assign(date=pd.to_datetime(plan["date"]))
    price = (
        alt.Chart(data, height=200)
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X("date:T", title="Week starting"),
            y=alt.Y("price:Q", title=f"Price ({currency})", scale=alt.Scale(zero=False)),
            tooltip=[
                alt.Tooltip("week:O", title="Week"),
                alt.Tooltip("price:Q", format=",.2f"),
                alt.Tooltip("units_sold:Q", title="Units sold", format=",.0f"),
            ],
        )
    )
    long = data.melt(
        id_vars=["date"], value_vars=["stock_left", "cash"], var_name="curve", value_name="value"
    )
    long["curve"] = long["curve"].map({"stock_left": "Units left", "cash": f"Cash ({currency})"})
    curves = (
        alt.Chart(long, height=200)
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title="Week starting"),
            y=alt.Y("value:Q", title=None),
            color=alt.Color("curve:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=[alt.Tooltip("curve:N"), alt.Tooltip("value:Q", format=",.0f")],
        )
        .resolve_scale(y="independent")
    )
    return price, curves


def markdown_plan(ctx: Context, inp: ClearanceInputs) -> tuple[pd.DataFrame, object]:
    e = price_response(ctx, inp)
    weeks = ctx.wiz.field(st.slider, "Weeks to clear", "weeks", 8, min_value=2, max_value=26)
    return clearance.markdown(inp, weeks, elasticity=e), e


def step_markdown(ctx: Context, inp: ClearanceInputs) -> None:
    plan, e = markdown_plan(ctx, inp)
    left = plan.attrs["units_left"]
    st.success(
        f"Recovers {ctx.money(plan.attrs['total'])} net of fees and storage over "
        f"{len(plan)} weeks, starting at {plan['price'].iloc[0]:,.2f} "
        f"({pct(plan['discount'].iloc[0])} off)"
        + (f"; the {left:,} unit(s) left at the end go to liquidation." if left else "; all sold."),
        icon=":material/sell:",
    )
    price, curves = markdown_charts(plan, ctx.currency)
    st.altair_chart(price, width="stretch")
    st.altair_chart(curves, width="stretch")
    st.dataframe(
        plan[["week", "date", "price", "discount", "units_sold", "stock_left", "net", "cash"]],
        hide_index=True,
        column_config={
            "week": "Week",
            "date": "Starts",
            "price": st.column_config.NumberColumn("Price", format="%.2f"),
            "discount": st.column_config.NumberColumn("Off", format="percent"),
            "units_sold": st.column_config.NumberColumn("Units sold", format="%.0f"),
            "stock_left": st.column_config.NumberColumn("Units left", format="%.0f"),
            "net": st.column_config.NumberColumn("Net cash", format="%.2f"),
            "cash": st.column_config.NumberColumn("Cash so far", format="%.2f"),
        },
    )
    plan_dates(ctx, inp)
    closed = plan.attrs.get("closed_form_price")
    explain(
        "the markdown plan",
        "R-E1: the week-by-week price that recovers the most, net of fees and holding costs "
        "(dynamic programming over week x units left on a grid of 0%, 5%, ... 70% off; a "
        "markdown only goes down). Weekly demand = 7 x q0 x (price / p0)^e x (1 - decline)^week "
        f"with q0 = {inp.rate:,.3f}, p0 = {inp.price:,.2f}, e = {e.value:.2f} "
        f"({describe_elasticity(e)}), decline {pct(inp.decline)} a week. Each unit sold earns "
        f"price x (1 - {inp.referral:g}) - FBA fee {inp.fba:,.2f} (what it cost to buy is "
        "already spent); each unit left at the end of a week costs "
        f"{plan.attrs['holding_cost_per_unit_week']:,.4f} (storage + aged surcharge per "
        "unit-month / 30.42 x 7, R-D3); each unit left at the end fetches the liquidation net "
        f"{plan.attrs['salvage_value_per_unit']:,.4f}.\n\n"
        + (
            f"Check: without a stock limit or holding cost the best price is the closed form "
            f"c / (1 - r) x e / (1 + e) = {inp.fba:,.2f} / (1 - {inp.referral:g}) x "
            f"{e.value:.2f} / (1 + {e.value:.2f}) = {closed:,.2f}; the plan prices at or below "
            "it as the stock and its storage push it down."
            if closed is not None
            else "With e >= -1 a higher price always pays, so there is no closed-form price; "
            "the plan is driven by the stock and its storage."
        )
        + f"\n\n{plan.attrs['explain']}",
    )


# -- step 3: dispositions --------------------------------------------------------------------------
def step_dispositions(ctx: Context, inp: ClearanceInputs) -> None:
    st.write(
        "What each way out brings back for the units still on hand at the exit date, after "
        "Amazon's fees; what they cost to buy is already spent and the same for all."
    )
    a, b, c = st.columns(3)
    with a:
        ctx.wiz.field(
            st.number_input,
            f"Other channel: price per unit after its fees ({ctx.currency})",
            "other_price",
            0.0,
            min_value=0.0,
            step=0.5,
        )
    with b:
        ctx.wiz.field(
            st.number_input,
            f"Other channel: freight per unit ({ctx.currency})",
            "other_cost",
            0.0,
            min_value=0.0,
            step=0.1,
        )
    with c:
        ctx.wiz.field(
            st.number_input,
            f"Donation: value per unit to you ({ctx.currency})",
            "donation_value",
            0.0,
            min_value=0.0,
            step=0.5,
            help="e.g. the tax deduction",
        )
    rec, table = decision(ctx, inp)
    on, units = table.attrs["on"], table.attrs["units"]
    st.write(f"**{units:,.0f} units** compared on {on}.")
    if inp.weight_default:
        st.info(
            f"Shipping weight: default {inp.weight_lb:g} lb used (the product has no shipping "
            "weight); add it on the Data page for exact removal and liquidation fees."
        )
    shown = table.assign(days=table["days"].where(table["days"].map(math.isfinite)))
    shown.attrs = {}  # the fee objects are for the explain text, not the grid
    st.dataframe(
        shown[["option", "recovery", "cost", "net", "fee_per_unit", "date", "recommended"]],
        hide_index=True,
        column_config={
            "option": "Way out",
            "recovery": st.column_config.NumberColumn("Brings back", format="%.2f"),
            "cost": st.column_config.NumberColumn("Costs", format="%.2f"),
            "net": st.column_config.NumberColumn("Net", format="%.2f"),
            "fee_per_unit": st.column_config.NumberColumn("Amazon fee per unit", format="%.2f"),
            "date": "Done by",
            "recommended": st.column_config.CheckboxColumn("Best"),
        },
    )
    liq = table.attrs["liquidation"]
    explain(
        "the ways out and their fees",
        f"R-E3, R-F3. Fees in force on {on} for a {inp.inputs['size_tier']['value']}-size unit "
        f"of {inp.weight_lb:g} lb ({inp.inputs['weight_lb']['source']}), from the fee table:\n\n"
        f"- keep selling: units sold within a year x (price {inp.price:,.2f} x (1 - "
        f"{inp.referral:g}) - FBA fee {inp.fba:,.2f}) - storage ({inp.storage + inp.surcharge:,.3f}"
        " per unit-month) while they wait;\n"
        f"- liquidation: {liq.explain()}\n"
        f"- removal to another channel: units x (other channel price - removal fee "
        f"{table.attrs['removal_fee_per_unit']:,.2f} - freight);\n"
        f"- donation: units x (value - disposal fee {table.attrs['disposal_fee_per_unit']:,.2f});\n"
        f"- disposal: - units x disposal fee {table.attrs['disposal_fee_per_unit']:,.2f}.\n\n"
        "Fee figures, sources and dates: `src/stockcycle/data/fees_us_2026.csv` (a removal "
        "ordered before 2026-01-15 pays that day's fee).",
    )


# -- step 4: decision ------------------------------------------------------------------------------
def step_decision(ctx: Context, inp: ClearanceInputs) -> None:
    rec, _table = decision(ctx, inp)
    show_recommendation(ctx, rec)
    plan = clearance.markdown(inp, markdown_weeks(ctx), elasticity=_elasticity(ctx, inp))
    orders = clearance.order_list(inp, rec, plan)
    st.subheader("Order list")
    plan_dates(ctx, inp)
    st.dataframe(
        orders,
        hide_index=True,
        column_config={
            "sku": "SKU",
            "units": st.column_config.NumberColumn("Units", format="%.0f"),
            "disposition": "Where they go",
            "date": "From",
            "fee_per_unit": st.column_config.NumberColumn("Amazon fee per unit", format="%.2f"),
            "net_recovery": st.column_config.NumberColumn("Brings back", format="%.2f"),
            "size_tier": "Size",
            "shipping_weight_lb": st.column_config.NumberColumn("Weight (lb)", format="%.2f"),
            "weight_source": "Weight from",
        },
    )
    explain("the recommendation", rec.explain(inp.exit_cost_share))
    stem = f"exit_orders_{inp.sku}_{ctx.today:%Y%m%d}"
    download_plan(orders, stem, label="order list", key="exit_orders", sheet_name="orders")
    name = st.text_input(
        "Plan name", key=ctx.wiz.widget_key("plan_name", f"Exit {inp.sku} {ctx.today:%Y-%m-%d}")
    )
    ctx.wiz.set("plan_name", name)
    if st.button("Save the exit plan to the workspace", key="exit_save", icon=":material/save:"):
        plan_id = ctx.ws.save_plan(
            PLAN_KIND,
            name or f"Exit {inp.sku}",
            orders,
            {
                **rec.to_dict(),
                "markdown_weeks": markdown_weeks(ctx),
                "data_up_to": inp.as_of,
                "planned_on": ctx.today,
            },
        )
        st.success(f"Saved as plan #{plan_id}.")


def _elasticity(ctx: Context, inp: ClearanceInputs):
    """The price response chosen on the Markdown step (without drawing its widgets)."""
    choice = ctx.wiz.get("elasticity_choice", "estimate")
    if choice == "own":
        return inp.elasticity_for(ctx.wiz.get("elasticity_own", inp.default_elasticity))
    return inp.elasticity_for("default" if choice == "default" else "estimate")


def main(ws: Workspace) -> None:
    st.caption(
        "Exit: liquidate at the best recovery and pick the exit date. Four steps: the "
        "exit signals, the markdown price path, where the last units go, and the decision "
        "with its order list."
    )
    run_wizard(
        Wizard(WIZARD, STEPS, ws),
        FOCUS_STAGES,
        (step_signals, step_markdown, step_dispositions, step_decision),
    )
