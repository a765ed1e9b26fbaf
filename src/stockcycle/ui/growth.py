"""Growth restock wizard (R-G1..R-G5, R-A3, R-A4, R-K5): which SKU first, its forecast and
stock line, the policy behind the order, the plan to send, and the weekly review.

The numbers come from ``stockcycle.priority`` (rank, keywords), ``stockcycle.restock``
(supply per SKU and its plan), ``stockcycle.policy`` (projection, deliveries) and
``stockcycle.kpi`` (weekly review); this module caches the workspace reads and draws.

Speed: the forecast batch and the per-SKU supply are read once per workspace, data version,
settings and stage overrides (``st.cache_resource``: plain objects, never copied); moving a
slider then only reruns ``restock.plan_sku`` for the SKUs on screen.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date, timedelta
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from stockcycle import charts, datadate, fees, kpi, policy, restock
from stockcycle.forecast.core import daily_interval
from stockcycle.priority import (
    KEYWORD_BOOST,
    MAX_TREND,
    MAX_URGENCY,
    MIN_TREND,
    growth_priority,
    keyword_table,
    match_keywords,
    sku_keyword_summary,
)
from stockcycle.settings import Settings
from stockcycle.store import Workspace
from stockcycle.ui import data_version, plain, read_table
from stockcycle.ui.stages import stages_of
from stockcycle.ui.wizard import Wizard, download_plan, explain

STEPS = ["SKUs", "Forecast", "Policy", "Plan", "Review"]
WIZARD = "growth"
PLAN_KIND = "growth"
# "auto": sea unless only air lands before the stockout (``restock.plan_sku``).
MODES = ("auto", *restock.SHIPPING_MODES)
# Service levels of the safety-stock curve on the Policy step (R-K5: cash against risk).
SERVICE_LEVELS = tuple(round(x, 2) for x in np.arange(0.80, 0.995, 0.01))
# Days of history drawn before the forecast.
HISTORY_DAYS = 180
# The plan-row figures the priority list ranks on (``growth_priority`` with plan rows).
PRIORITY_PLAN_COLUMNS = [
    "sku",
    "stage",
    "daily_demand",
    "on_hand",
    "inbound",
    "days_of_cover",
    "lead_time_days",
    "shipping_mode",
    "stockout_date",
    "order_date",
]


# -- cached reads ----------------------------------------------------------------------------------
def _settings_key(settings: Settings) -> str:
    return json.dumps(settings.to_dict(), sort_keys=True)


@st.cache_resource(max_entries=4, show_spinner="Forecasting demand…")
def _batch(path: str, version: str, settings: str) -> Any:
    """``forecast.run_batch`` of the workspace (itself cached in the workspace)."""
    from stockcycle.forecast import run_batch

    del version, settings  # cache key only
    return run_batch(Workspace(path))


@st.cache_resource(max_entries=8, show_spinner="Reading stock, orders and forecasts…")
def _supply(
    path: str, version: str, settings: str, overrides: str, skus: tuple[str, ...]
) -> tuple[dict[str, restock.SkuSupply], dict[str, str]]:
    """``restock.load_supply`` for ``skus``: (supplies, why each SKU left out could not be
    read); the other arguments are the cache key."""
    ws = Workspace(path)
    stages = stages_of(ws, ws.settings())
    problems: dict[str, str] = {}
    supplies = restock.load_supply(
        ws, batch=_batch(path, version, settings), skus=list(skus), stages=stages, errors=problems
    )
    return supplies, problems


@st.cache_data(max_entries=32, show_spinner=False)
def _history(path: str, version: str, sku: str) -> pd.DataFrame:
    """Daily demand of one SKU (``date, demand``; stockout and closed days NaN), last
    ``HISTORY_DAYS``."""
    from stockcycle.demand import sku_series, workspace_panel

    del version  # cache key only
    ws = Workspace(path)
    panel = workspace_panel(ws, skus=[sku])
    if panel.empty or not (panel["sku"] == sku).any():
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"), "demand": []})
    return sku_series(panel, sku).tail(HISTORY_DAYS)[["date", "demand"]]


class Context:
    """What every step needs: settings, data version, stages and the supply of the chosen
    SKUs (read lazily, cached)."""

    def __init__(self, ws: Workspace, wiz: Wizard) -> None:
        self.ws, self.wiz = ws, wiz
        self.path = str(ws.path)
        self.settings = ws.settings()
        self.version = data_version(ws)
        self.stages = stages_of(ws, self.settings)
        self.today = datadate.today()  # the day the page plans on (R-T1)
        self._overrides = json.dumps(ws.overrides("stage"), sort_keys=True)

    def table(self, name: str) -> pd.DataFrame:
        return read_table(self.path, name, self.version)

    @property
    def growth_skus(self) -> list[str]:
        return self.stages.loc[self.stages["stage"] == "growth", "sku"].tolist()

    @property
    def selected(self) -> list[str]:
        chosen = self.wiz.get("skus")
        return list(self.growth_skus if chosen is None else chosen)

    def _supply_and_problems(self) -> tuple[dict[str, restock.SkuSupply], dict[str, str]]:
        skus = tuple(sorted(self.selected))
        if not skus:
            return {}, {}
        return _supply(self.path, self.version, _settings_key(self.settings), self._overrides, skus)

    def supply(self) -> dict[str, restock.SkuSupply]:
        """The supply of every chosen SKU whose data could be read."""
        return self._supply_and_problems()[0]

    def supply_problems(self) -> dict[str, str]:
        """Chosen SKUs whose data could not be read, with why (``load_supply``'s errors)."""
        return self._supply_and_problems()[1]

    def plans(
        self, supplies: dict[str, restock.SkuSupply]
    ) -> tuple[dict[str, restock.SkuPlan], dict[str, str]]:
        """``plan`` of every SKU of ``supplies`` (``restock.plan_each``): one SKU whose plan
        fails does not stop the others; the second dictionary says why it failed. SKUs whose
        data could not be read (``supply_problems``) are in it too."""
        plans, failed = restock.plan_each(supplies, self.plan)
        return plans, {**self.supply_problems(), **failed}

    # -- the seller's policy choices (Policy step), shared by Plan ---------------------------
    @property
    def default_service_level(self) -> float:
        return round(1.0 - self.settings.stockout_probability, 2)

    def policy_choice(self) -> dict[str, Any]:
        """The seller's Policy-step choices (defaults: the Settings), ``plan_sku`` keywords."""
        s = self.settings
        return {
            "service_level": float(self.wiz.get("service_level", self.default_service_level)),
            "review_period_days": int(self.wiz.get("review_period_days", s.review_period_days)),
            "shipping_mode": str(self.wiz.get("shipping_mode", "auto")),
            "shipments": int(self.wiz.get("shipments", s.restock_shipments)),
        }

    def fixed_options(self) -> dict[str, Any]:
        """``plan_sku`` keywords the page does not change: the Settings, as ``restock_plan``
        passes them (``restock.plan_options``), so the page's plan is the CLI's plan."""
        chosen = self.policy_choice()
        return {k: v for k, v in restock.plan_options(self.settings).items() if k not in chosen}

    def base_legs(self, supply: restock.SkuSupply) -> dict[str, float]:
        """Lead-time legs as the workspace has them (days)."""
        return {
            "production_days": float(supply.lead_time_days),
            "sea_days": float(supply.transit_days["sea"]),
            "air_days": float(supply.transit_days["air"]),
            "receiving_days": float(supply.receiving_days),
        }

    def legs(self, supply: restock.SkuSupply) -> dict[str, float]:
        """Lead-time legs of a SKU: the seller's edits over the workspace's values."""
        return {**self.base_legs(supply), **self.wiz.get(f"legs:{supply.sku}", {})}

    def edited_supply(self, supply: restock.SkuSupply) -> restock.SkuSupply:
        legs = self.legs(supply)
        if legs == self.base_legs(supply):
            return supply
        return replace(
            supply,
            lead_time_days=legs["production_days"],
            transit_days={"sea": legs["sea_days"], "air": legs["air_days"]},
            receiving_days=legs["receiving_days"],
        )

    def plan(self, supply: restock.SkuSupply, **changes: Any) -> restock.SkuPlan:
        """``restock.plan_sku`` with the seller's choices (``changes`` override them)."""
        choice = {**self.policy_choice(), **changes}
        return restock.plan_sku(
            self.edited_supply(supply), today=self.today, **choice, **self.fixed_options()
        )

    def default_plan(self, supply: restock.SkuSupply) -> restock.SkuPlan:
        """The plan with every default, the row ``restock.restock_plan`` gives (the deltas on
        the Policy step compare against it)."""
        return restock.plan_sku(
            supply,
            today=self.today,
            shipping_mode="auto",
            **restock.plan_options(self.settings),
        )


# -- formatting ------------------------------------------------------------------------------------
def _num(x: Any, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)) or pd.isna(x):
        return "—"
    return f"{float(x):,.{digits}f}"


def _money(x: Any, currency: str) -> str:
    if x is None or pd.isna(x):
        return "—"
    return f"{float(x):,.0f} {currency}"


def _day(x: Any) -> str:
    if x is None or pd.isna(x):
        return "none in sight"
    return pd.Timestamp(x).strftime("%Y-%m-%d")


def _delta(new: Any, old: Any, unit: str = "") -> str | None:
    """ "+12 vs defaults" for a metric, None (no badge) when it did not move."""
    if new is None or old is None or pd.isna(new) or pd.isna(old):
        return None
    diff = float(new) - float(old)
    if abs(diff) < 0.5:
        return None
    return f"{diff:+,.0f}{unit} vs defaults"


def _pct(x: Any) -> str:
    if x is None or pd.isna(x) or not math.isfinite(float(x)):
        return "—"
    return f"{float(x) * 100:+.0f}%"


# -- step 1: SKUs ----------------------------------------------------------------------------------
def keyword_frames(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-keyword table, per-SKU summary) with the seller's match edits applied (R-G3)."""
    keywords, products = ctx.table("keywords"), ctx.table("products")
    auto = match_keywords(keywords, products)
    edits: dict[str, list[str]] = ctx.wiz.get("keyword_matches", {})
    keep = auto[~auto["sku"].isin(list(edits))]
    added = [(sku, k) for sku, kws in edits.items() for k in kws]
    matches = pd.concat(
        [keep, pd.DataFrame(added, columns=["sku", "keyword"], dtype="string")],
        ignore_index=True,
    )
    table = keyword_table(
        keywords,
        products,
        matches,
        volume_premium_min=ctx.settings.keyword_volume_premium,
        max_competition=ctx.settings.keyword_max_competition,
    )
    return table, sku_keyword_summary(table)


def priority_inputs(ctx: Context, plans: dict[str, restock.SkuPlan]) -> pd.DataFrame:
    """One row per planned SKU for ``growth_priority``: the SKU's plan row (``Context.plans``:
    ``restock.plan_sku`` with the seller's policy choices, the same row step 4 shows: stage,
    cover, lead time of the chosen mode, stockout and order dates), the 8-week demand change
    after the season (``lifecycle``) and the keyword summary."""
    stages = ctx.stages.set_index("sku")
    _, summary = keyword_frames(ctx)
    summary = summary.set_index("sku")
    rows = []
    for sku, sku_plan in plans.items():
        plan = sku_plan.row
        trend = stages["change_8w_adjusted"].get(sku, np.nan)
        if pd.isna(trend):
            trend = stages["change_8w"].get(sku, np.nan)
        rows.append(
            {
                **{k: plan[k] for k in PRIORITY_PLAN_COLUMNS},
                "trend": float(trend) if pd.notna(trend) else np.nan,
                "search_trend": summary["search_trend"].get(sku, np.nan),
                "keyword_opportunity": bool(summary["keyword_opportunity"].get(sku, False)),
                "best_keyword": summary["best_keyword"].get(sku, None),
                "keywords": int(summary["keywords"].get(sku, 0)),
            }
        )
    return pd.DataFrame(rows)


def priority_frame(ctx: Context, plans: dict[str, restock.SkuPlan]) -> pd.DataFrame:
    """``growth_priority`` of the planned SKUs (empty without any)."""
    if not plans:
        return pd.DataFrame()
    return growth_priority(
        priority_inputs(ctx, plans),
        review_period_days=ctx.policy_choice()["review_period_days"],
        as_of=max(plan_date(ctx.supply()), ctx.today),
    )


def show_not_planned(problems: dict[str, str]) -> None:
    """One warning listing the SKUs that could not be planned, each with why."""
    if problems:
        st.warning(
            "\n\n".join(
                f"**{plain(sku)}**: Not planned: {plain(why)}"
                for sku, why in sorted(problems.items())
            ),
            icon=":material/warning:",
        )


def plan_date(supplies: dict[str, restock.SkuSupply]) -> date:
    """The date the plans are made on: the day before the forecast starts (the latest one
    when SKUs differ, so no stockout is counted as already past)."""
    return max(s.as_of for s in supplies.values())


def _explain_priority(row: pd.Series, review_period_days: int) -> str:
    cover = row["days_of_cover"]
    cover_text = "infinite (no demand)" if not math.isfinite(cover) else f"{cover:,.1f}"
    to_out = row["days_to_stockout"]
    if pd.notna(row["stockout_date"]):
        out_text = f"{_day(row['stockout_date'])}, in {to_out:,.0f} days"
    else:
        out_text = "none within the plan (days to stockout: infinite)"
    trend = row["trend_used"]
    source = (
        "search volume trend of its keywords"
        if row["trend_source"] == "search"
        else "8-week demand change after the season, from the Life-cycle stages page"
    )
    if row["clearing"]:
        action = (
            f"{row['stage'].capitalize()} stage: **clear, no reorder** (R-S2), so it is ranked "
            "after every SKU that is restocked, whatever its score."
        )
    else:
        action = (
            f"Action from the plan's order date ({_day(row['order_date'])}): 'restock now' when "
            f"it is today or before the next review ({review_period_days} days), else 'order "
            "on' that date; 'no order needed' when the plan orders nothing."
        )
    return (
        "**Score = urgency x growth x keyword**, highest first (R-G1, R-G3). Every figure is "
        "the SKU's restock plan (step 4) with your policy choices.\n\n"
        f"- Days of cover = on hand / daily demand = {row['on_hand']:,.0f} / "
        f"{row['daily_demand']:,.2f} = {cover_text} days.\n"
        f"- Stockout (on hand, minus the forecast, plus {row['inbound']:,.0f} units inbound and "
        f"on order on their arrival dates): {out_text}.\n"
        f"- Urgency = min(L / max(days to stockout, 1), {MAX_URGENCY:g}) with L = total lead "
        f"time by {row['shipping_mode']} (production + transit + receiving) = "
        f"{row['lead_time_days']:,.0f} days -> {row['urgency']:,.2f}.\n"
        f"- Growth = 1 + clip(trend, {MIN_TREND:+.0%}, {MAX_TREND:+.0%}); trend = "
        f"{_pct(trend)} ({source}) "
        f"-> {row['growth']:,.2f}.\n"
        f"- Keyword = {KEYWORD_BOOST:g} with a high-potential keyword, else 1 -> "
        f"{row['keyword_factor']:g}.\n"
        f"- Score = {row['urgency']:,.2f} x {row['growth']:,.2f} x {row['keyword_factor']:g} = "
        f"**{row['score']:,.2f}** (priority {int(row['priority'])}).\n\n"
        f"{action}"
    )


def _explain_keywords(ctx: Context, table: pd.DataFrame, sku: str) -> str:
    s = ctx.settings
    part = table[table["sku"] == sku]
    head = (
        "A keyword matches a SKU when all its words appear in the SKU's title or category "
        "(plurals and filler words like 'for' ignored). **Competition** = competing products / "
        "the largest count in the same export (0..1). **High potential** (R-G3): search volume "
        f"at least {s.keyword_volume_premium:.0%} above the category average "
        f"(Settings: keyword volume premium) and competition below "
        f"{s.keyword_max_competition:.0%} (Settings: keyword competition)."
    )
    if part.empty:
        return head + f"\n\n{plain(sku)} has no matched keyword."
    lines = [
        f"- *{r.keyword}*: volume {r.search_volume:,.0f} vs category average "
        f"{r.category_average:,.0f} -> {r.volume_premium:+.0%}; competition "
        f"{r.competing_products:,.0f} products -> {r.competition:.2f}: "
        f"{'**high potential**' if r.high_potential else 'no'}"
        for r in part.itertuples()
    ]
    return (
        head
        + f"\n\n**{plain(sku)}** ({plain(part['category'].iloc[0] or 'no category')}):\n"
        + "\n".join(lines)
    )


def step_skus(ctx: Context) -> pd.DataFrame | None:
    wiz = ctx.wiz
    stage_of = dict(zip(ctx.stages["sku"], ctx.stages["stage"], strict=True))
    all_skus = ctx.stages["sku"].tolist()
    st.markdown(
        "Every SKU in the **growth** stage (from the Life-cycle stages page, your overrides "
        "included) is listed; add any other SKU you want to plan. Rank: low cover against the "
        "lead time first, raised by rising demand and by high-potential keywords; decline and "
        "exit SKUs last (cleared, not restocked). Cover, stockout and order date are the plan's "
        "(step 4) with your policy choices (step 3)."
    )
    chosen = wiz.field(
        st.multiselect,
        "SKUs to plan",
        "skus",
        ctx.growth_skus,
        options=all_skus,
        format_func=lambda sku: f"{sku} ({stage_of.get(sku, '?')})",
    )
    if not chosen:
        st.info("Choose at least one SKU to plan.")
        return None
    supplies = ctx.supply()
    plans, problems = ctx.plans(supplies)
    missing = sorted(set(chosen) - set(supplies) - set(problems))
    if missing:
        st.warning(
            f"No forecast for {', '.join(missing)} (no sales yet): plan a launch order on the "
            "Launch page instead."
        )
    show_not_planned(problems)
    if not plans:
        return None
    pr = priority_frame(ctx, plans)
    st.dataframe(
        pr[
            [
                "priority",
                "sku",
                "reason",
                "days_of_cover",
                "stockout_date",
                "order_date",
                "lead_time_days",
                "trend_used",
                "daily_demand",
                "on_hand",
                "inbound",
                "keyword_opportunity",
                "best_keyword",
                "stage",
                "score",
            ]
        ].assign(trend_used=pr["trend_used"] * 100),
        hide_index=True,
        width="stretch",
        column_config={
            "priority": st.column_config.NumberColumn("Priority", format="%d"),
            "sku": "SKU",
            "stage": "Stage",
            "days_of_cover": st.column_config.NumberColumn(
                "Days of cover", format="%.1f", help="on hand / units per day (as in the plan)"
            ),
            "stockout_date": st.column_config.DateColumn(
                "Stockout",
                help="the plan's projected stockout: on hand, minus the forecast, plus inbound "
                "shipments and open orders on their arrival dates",
            ),
            "order_date": st.column_config.DateColumn("Order date", help="the plan's order date"),
            "lead_time_days": st.column_config.NumberColumn(
                "Lead time (days)",
                format="%.0f",
                help="production + transit (the plan's shipping mode) + receiving",
            ),
            "trend_used": st.column_config.NumberColumn("Demand trend", format="%+.0f%%"),
            "daily_demand": st.column_config.NumberColumn("Units/day", format="%.1f"),
            "on_hand": st.column_config.NumberColumn("On hand", format="%.0f"),
            "inbound": st.column_config.NumberColumn("Inbound", format="%.0f"),
            "keyword_opportunity": st.column_config.CheckboxColumn("Keyword opportunity"),
            "best_keyword": "Best keyword",
            "score": st.column_config.NumberColumn("Score", format="%.2f"),
            "reason": st.column_config.TextColumn("Why", width="large"),
        },
    )
    st.altair_chart(charts.cover_vs_lead_time_chart(pr), width="stretch")
    focus = st.selectbox(
        "Explain the rank of",
        pr["sku"].tolist(),
        key=wiz.widget_key("explain_sku", pr["sku"].iloc[0]),
    )
    wiz.set("explain_sku", focus)
    row = pr.set_index("sku").loc[focus].copy()
    row["sku"] = focus
    explain(
        f"priority of {focus}",
        _explain_priority(row, ctx.policy_choice()["review_period_days"]),
    )

    table, _ = keyword_frames(ctx)
    explain(f"keyword opportunity of {focus}", _explain_keywords(ctx, table, focus))
    with st.expander("Keyword matches (adjust them here)", icon=":material/key:"):
        keywords = ctx.table("keywords")
        if keywords.empty:
            st.caption("No keyword export in this workspace (Cerebro / Keyword Tracker).")
        else:
            options = sorted(keywords["keyword"].astype(str).str.strip().str.lower().unique())
            current = table.loc[table["sku"] == focus, "keyword"].tolist()
            picked = st.multiselect(
                f"Keywords of {focus}",
                options,
                key=wiz.widget_key(f"kw_pick:{focus}", [k for k in current if k in options]),
            )
            if sorted(picked) != sorted(current):
                edits = dict(wiz.get("keyword_matches", {}))
                edits[focus] = list(picked)
                wiz.set("keyword_matches", edits)
                st.rerun()
            st.dataframe(
                table[table["sku"] == focus].drop(columns=["sku"]),
                hide_index=True,
                width="stretch",
            )
    wiz.set("priority_order", pr["sku"].tolist())
    return pr


# -- step 2: forecast ------------------------------------------------------------------------------
def _focus_sku(ctx: Context, supplies: dict[str, restock.SkuSupply]) -> str:
    order = [s for s in ctx.wiz.get("priority_order", []) if s in supplies]
    order += sorted(set(supplies) - set(order))
    return ctx.wiz.field(st.selectbox, "SKU", "sku", order[0], options=order)


def projection_of(supply: restock.SkuSupply) -> pd.DataFrame:
    """Stock day by day if nothing more is ordered: on hand, minus the forecast, plus the
    inbound shipments and open purchase orders on their arrival dates."""
    start = supply.as_of + timedelta(days=1)
    return policy.projected_stock(start, supply.on_hand, supply.daily_forecast, supply.arrivals)


def step_forecast(ctx: Context) -> None:
    supplies = ctx.supply()
    if not supplies:
        st.info("Choose SKUs on step 1 first.")
        return
    sku = _focus_sku(ctx, supplies)
    s = supplies[sku]
    projection = projection_of(s)
    stockout = policy.stockout_date(projection)
    cols = st.columns(4)
    cols[0].metric("Units/day over the lead time", _num(s.daily_demand, 1))
    cols[1].metric("On hand", _num(s.on_hand))
    cols[2].metric(
        "Inbound and on order", _num(s.arrivals["units"].sum() if len(s.arrivals) else 0)
    )
    cols[3].metric("Stockout date (no new order)", _day(stockout))
    st.caption(f"Model: {s.forecast_model}. {getattr(s.forecast_result, 'reason', '')}")
    history = _history(ctx.path, ctx.version, sku)
    interval = daily_interval(s.forecast_result)
    st.markdown("**Daily demand: history, forecast and P10-P90 band**")
    st.altair_chart(charts.forecast_interval_chart(history, interval), width="stretch")
    lost = float(projection["lost_units"].sum()) if "lost_units" in projection else 0.0
    end = pd.Timestamp(stockout) + pd.Timedelta(days=45) if stockout else None
    last_arrival = pd.to_datetime(s.arrivals["date"]).max() if len(s.arrivals) else None
    horizon = max(
        [t for t in (end, last_arrival) if t is not None and pd.notna(t)]
        + [pd.Timestamp(s.as_of) + pd.Timedelta(days=90)]
    )
    shown = projection[pd.to_datetime(projection["date"]) <= horizon]
    st.markdown("**Projected stock with inbound shipments and open orders (no new order)**")
    st.altair_chart(charts.projected_stock_chart(shown, s.arrivals, stockout), width="stretch")
    inventory = ctx.table("inventory")
    mine = inventory[inventory["sku"] == sku]
    if len(mine):
        st.markdown("**Stock by location, latest snapshot of each (all pooled into on hand)**")
        st.dataframe(
            policy.pooled_position(mine).drop(columns=["sku"]),
            hide_index=True,
            width="stretch",
        )
    st.markdown("**Arrivals expected**")
    st.dataframe(
        s.arrivals if len(s.arrivals) else pd.DataFrame({"date": [], "units": [], "source": []}),
        hide_index=True,
        width="stretch",
    )
    explain(
        "units per day",
        f"Mean of the daily forecast over the next {s.total_lead_time('sea'):,.0f} days (the "
        f"total lead time by sea) = **{s.daily_demand:,.2f} units/day**, demand of every "
        "sales channel added up (R-A4). The forecast comes from the Forecast page's batch "
        "(cached; run it there to see each model's backtest).",
    )
    explain(
        "stockout date",
        f"Stock at the end of each day = stock the day before + arrivals - forecast demand, "
        f"floored at 0, from {s.as_of + timedelta(days=1):%Y-%m-%d} with {s.on_hand:,.0f} "
        f"units on hand (all locations, R-A4) and {len(s.arrivals)} arrival(s) totalling "
        f"{_num(s.arrivals['units'].sum() if len(s.arrivals) else 0)} units (inbound "
        f"shipments and open purchase orders, each at its date plus {s.receiving_days:g} "
        f"receiving days). The stockout date is the first day the stock reaches 0: "
        f"**{_day(stockout)}**. Demand not served in the next "
        f"{len(projection)} days if nothing is ordered: {lost:,.0f} units.\n\n"
        f"Forecast: {s.forecast_model}; the band is the P10-P90 range of the measured "
        f"backtest errors at each day ahead.",
    )


# -- step 3: policy --------------------------------------------------------------------------------
def service_level_curve(ctx: Context, supply: restock.SkuSupply) -> pd.DataFrame:
    """Safety stock and the cash it ties up at each of ``SERVICE_LEVELS`` (other choices as
    the seller set them): ``service_level, safety_stock_units, safety_stock_cash``."""
    rows = []
    for level in SERVICE_LEVELS:
        plan = ctx.plan(supply, service_level=level)
        units = float(plan.row["safety_stock_units"])
        rows.append(
            {
                "service_level": level,
                "safety_stock_units": units,
                "safety_stock_cash": kpi.cash_tied_up(units, 0, supply.unit_cost),
            }
        )
    return pd.DataFrame(rows)


def _cash_tied(row: dict[str, Any]) -> float:
    """``kpi.cash_tied_up`` of a plan row: (safety stock + order / 2) x unit cost."""
    return kpi.cash_tied_up(row["safety_stock_units"], row["order_units"], row.get("unit_cost"))


def step_policy(ctx: Context) -> None:
    supplies = ctx.supply()
    if not supplies:
        st.info("Choose SKUs on step 1 first.")
        return
    wiz, s = ctx.wiz, ctx.settings
    sku = _focus_sku(ctx, supplies)
    supply = supplies[sku]
    st.markdown(
        "Service level, review period and shipping mode apply to every SKU of the plan; the "
        f"lead-time legs are {sku}'s own. Moving a slider recomputes the numbers at once."
    )
    left, right = st.columns(2)
    with left:
        wiz.field(
            st.slider,
            "Service level (chance of no stockout per order cycle)",
            "service_level",
            ctx.default_service_level,
            min_value=0.80,
            max_value=0.99,
            step=0.01,
        )
        wiz.field(
            st.slider,
            "Review period (days between restock reviews)",
            "review_period_days",
            int(s.review_period_days),
            min_value=0,
            max_value=60,
        )
        wiz.field(
            st.radio,
            "Shipping mode",
            "shipping_mode",
            "auto",
            options=list(MODES),
            horizontal=True,
            help="auto: sea, unless only air arrives before the stockout (R-L7).",
        )
        wiz.field(
            st.slider,
            "Deliveries per order",
            "shipments",
            int(s.restock_shipments),
            min_value=1,
            max_value=12,
        )
    base_legs = ctx.base_legs(supply)
    legs_key = f"legs:{sku}"
    with right:
        legs = dict(ctx.legs(supply))
        labels = {
            "production_days": "Production at the supplier (days)",
            "sea_days": "Transit by sea (days)",
            "air_days": "Transit by air (days)",
            "receiving_days": "Receiving at the warehouse (days)",
        }
        for name, label in labels.items():
            legs[name] = float(
                st.number_input(
                    label,
                    min_value=0.0,
                    max_value=365.0,
                    step=1.0,
                    key=wiz.widget_key(f"{legs_key}:{name}", legs[name]),
                )
            )
            wiz.set(f"{legs_key}:{name}", legs[name])
        wiz.set(legs_key, {k: v for k, v in legs.items() if v != base_legs[k]})
    plan = ctx.plan(supply)
    base = ctx.default_plan(supply)
    mode = plan.row["shipping_mode"]
    transit = legs[f"{mode}_days"]
    right.caption(
        f"Total lead time by {mode} = {legs['production_days']:g} + {transit:g} + "
        f"{legs['receiving_days']:g} = {plan.row['lead_time_days']:g} days (R-G2: supplier "
        "and inbound lead time)."
    )
    r, b = plan.row, base.row
    currency = s.currency
    level = ctx.policy_choice()["service_level"]
    c = st.columns(3)
    c[0].metric(
        "Safety stock (units)",
        _num(r["safety_stock_units"]),
        delta=_delta(r["safety_stock_units"], b["safety_stock_units"]),
        delta_color="off",
    )
    c[1].metric(
        "Reorder point (units)",
        _num(r["reorder_point_units"]),
        delta=_delta(r["reorder_point_units"], b["reorder_point_units"]),
        delta_color="off",
    )
    c[2].metric(
        "Order quantity (units)",
        _num(r["order_units"]),
        delta=_delta(r["order_units"], b["order_units"]),
        delta_color="off",
    )
    c = st.columns(3)
    c[0].metric(
        "Cash for this order",
        _money(r["cash_needed"], currency),
        delta=_delta(r["cash_needed"], b["cash_needed"], f" {currency}"),
        delta_color="inverse",
    )
    c[1].metric(
        "Average cash tied up",
        _money(_cash_tied(r), currency),
        delta=_delta(_cash_tied(r), _cash_tied(b), f" {currency}"),
        delta_color="inverse",
    )
    c[2].metric(
        "Stockout risk per order cycle",
        f"{1 - level:.0%}",
        delta=_delta((1 - level) * 100, (1 - ctx.default_service_level) * 100, " points"),
        delta_color="inverse",
    )
    cv = kpi.demand_volatility(supply.sd_daily_demand, supply.daily_demand)
    if math.isfinite(cv) and cv > s.volatility_replan:
        st.info(
            f"Daily sales volatility of {plain(sku)} is {cv:.0%} (standard deviation / mean of "
            f"daily demand over the last 8 weeks), above the {s.volatility_replan:.0%} threshold "
            "(R-K5): review this SKU's safety stock and reorder point now. They are computed "
            "from today's data on every visit (the measured forecast errors, or the 8-week "
            "volatility where there are none); their cash effect is the average cash tied up "
            "above, and its change against the defaults."
        )
    explain("safety stock", plan.safety.explain())
    if plan.safety_quantile is not None and plan.safety is not plan.safety_formula:
        explain("safety stock, textbook formula (for comparison)", plan.safety_formula.explain())
    explain("reorder point and order quantity", plan.explain())
    explain(
        "cash tied up and stockout risk",
        f"Cash for this order = order x landed unit cost = {_money(r['cash_needed'], currency)}. "
        f"Average cash tied up = (safety stock + order / 2) x unit cost = "
        f"({_num(r['safety_stock_units'])} + {_num(r['order_units'])} / 2) x "
        f"{_num(r.get('unit_cost'), 2)} = {_money(_cash_tied(r), currency)}: on average half an "
        f"order sits on the shelf plus the safety stock. Stockout risk per order cycle = 1 - "
        f"service level = {1 - level:.0%} (cycle service level, type I). The defaults "
        f"compared against: service level {ctx.default_service_level:.0%} (1 - Settings "
        f"target stockout probability), review every {s.review_period_days} days, auto "
        f"shipping mode, {s.restock_shipments} deliveries, the workspace's lead times.",
    )
    curve = service_level_curve(ctx, supply)
    st.markdown("**Safety stock and the cash it ties up, by service level**")
    st.altair_chart(charts.service_level_chart(curve, level))
    st.dataframe(
        curve,
        hide_index=True,
        column_config={
            "service_level": st.column_config.NumberColumn("Service level", format="%.2f"),
            "safety_stock_units": st.column_config.NumberColumn("Safety stock", format="%.0f"),
            "safety_stock_cash": st.column_config.NumberColumn(f"Cash ({currency})", format="%.0f"),
        },
    )


# -- step 4: plan ----------------------------------------------------------------------------------
PLAN_EDITOR_COLUMNS = [
    "sku",
    "stage",
    "order_units",
    "final_units",
    "order_date",
    "overdue_days",
    "shipping_mode",
    "deliveries",
    "first_arrival",
    "stockout_date",
    "safety_stock_units",
    "reorder_point_units",
    "cash_needed",
    "reason",
]


def show_plan_dates(day: date, as_of: date) -> None:
    """ "Plan made on <day> from data up to <as-of>" (R-T1) and, when the data is older than a
    few days, what that means for the plan (the page's own stale-data warning, from
    ``page_setup``, says to import recent reports)."""
    line = restock.plan_dates_line(day, as_of) + "."
    if datadate.is_stale(day, as_of):
        line += (
            f" The stock is projected from {as_of.isoformat()}, and order dates before today "
            "are shown as overdue."
        )
    st.info(line, icon=":material/event:")


def plan_table(ctx: Context) -> tuple[pd.DataFrame, dict[str, restock.SkuPlan]]:
    """The plan rows (``restock.PLAN_COLUMNS``) of every selected SKU with the seller's
    policy choices, in priority order, plus the ``SkuPlan`` of each planned one. A SKU that
    could not be planned gets a "Not planned: <why>" row at the end and no ``SkuPlan``, as in
    ``restock.restock_plan``."""
    supplies = ctx.supply()
    order = [s for s in ctx.wiz.get("priority_order", []) if s in supplies]
    order += sorted(set(supplies) - set(order))
    plans, problems = ctx.plans({sku: supplies[sku] for sku in order})
    stage_of = dict(zip(ctx.stages["sku"], ctx.stages["stage"], strict=True))
    rows = [p.row for p in plans.values()] + [
        restock.not_planned_row(sku, why, stage_of.get(sku))
        for sku, why in sorted(problems.items())
    ]
    return pd.DataFrame(rows, columns=restock.PLAN_COLUMNS), plans


def apply_overrides(
    rows: pd.DataFrame,
    plans: dict[str, restock.SkuPlan],
    supplies: dict[str, restock.SkuSupply],
    overrides: dict[str, int],
    shipments: int,
    duty_rate: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(plan with ``final_units`` and ``final_cash_needed``, deliveries) after the seller's
    quantity overrides. Cash = ``fees.cash_needed`` of the final units (the plan's own formula,
    so an untouched row keeps the plan's cash). An untouched row keeps the plan's deliveries
    (``SkuPlan.deliveries``); an overridden quantity is split again with
    ``policy.split_deliveries`` from the plan's first arrival (``SkuPlan.first_arrival``).
    A row without a plan (not planned) orders nothing and takes no override. When the split of
    one SKU's quantity fails, that SKU gets no deliveries and its reason says why; the other
    SKUs are split as usual."""
    out = rows.copy()
    out["final_units"] = [
        int(overrides.get(s, u)) if s in plans else 0
        for s, u in zip(out["sku"], out["order_units"], strict=True)
    ]
    cash, frames, reasons = [], [], out["reason"].tolist()
    for i, (sku, final) in enumerate(zip(out["sku"], out["final_units"], strict=True)):
        plan, supply = plans.get(sku), supplies.get(sku)
        if plan is None or supply is None:
            cash.append(float("nan"))
            continue
        mode = plan.row["shipping_mode"]
        cash.append(
            fees.cash_needed(final, supply.unit_cost, supply.freight_cost.get(mode, 0.0), duty_rate)
            if supply.unit_cost is not None
            else float("nan")
        )
        dl = plan.deliveries
        if final <= 0:
            dl = dl.iloc[0:0]
        elif sku in overrides:
            try:
                dl = policy.split_deliveries(
                    final, shipments, plan.row["daily_demand"], plan.first_arrival, supply.case_pack
                )
            except Exception as err:  # noqa: BLE001 - one SKU must not stop the others' split
                dl = dl.iloc[0:0]
                reasons[i] += (
                    f" Your {final:,} units could not be split into deliveries: "
                    f"{restock.sku_problem(err, sku)}"
                )
        frames.append(dl.assign(sku=sku))
    out["final_cash_needed"] = cash
    out["reason"] = reasons
    cols = ["sku", "delivery", "arrival", "units", "covers_days"]
    deliveries = (
        pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    )
    if len(deliveries):
        deliveries["units"] = deliveries["units"].astype(int)
    count = deliveries.groupby("sku").size()
    first_arrival = deliveries.groupby("sku")["arrival"].min()
    out["deliveries"] = out["sku"].map(count).fillna(0).astype(int)
    out["first_arrival"] = out["sku"].map(first_arrival)
    return out, deliveries


def export_frame(plan: pd.DataFrame, currency: str) -> pd.DataFrame:
    """One row per SKU for a supplier or an ERP (R-A3): what to order, when, how shipped."""
    out = pd.DataFrame(
        {
            "sku": plan["sku"],
            "order_units": plan["final_units"].astype(int),
            "proposed_units": plan["order_units"].astype(int),
            "order_date": plan["order_date"],
            "overdue_days": plan["overdue_days"],
            "shipping_mode": plan["shipping_mode"],
            "deliveries": plan["deliveries"],
            "first_arrival": plan["first_arrival"],
            "unit_cost": plan["unit_cost"],
            f"cash_needed_{currency.lower()}": plan["final_cash_needed"].round(2),
            "safety_stock_units": plan["safety_stock_units"].round(0),
            "reorder_point_units": plan["reorder_point_units"].round(0),
            "stockout_date": plan["stockout_date"],
            "as_of": plan["as_of"],
            "reason": plan["reason"],
        }
    )
    return out


def step_plan(ctx: Context) -> None:
    supplies = ctx.supply()
    if not supplies:
        st.info("Choose SKUs on step 1 first.")
        return
    wiz, currency = ctx.wiz, ctx.settings.currency
    choice = ctx.policy_choice()
    show_plan_dates(ctx.today, plan_date(supplies))
    st.markdown(
        f"Service level **{choice['service_level']:.0%}**, review every "
        f"**{choice['review_period_days']} days**, **{choice['shipping_mode']}** shipping, "
        f"**{choice['shipments']} deliveries** per order (change them on step 3). Edit a "
        "quantity in the **Your quantity** column to override it."
    )
    rows, plans = plan_table(ctx)
    show_not_planned(
        {
            sku: reason.removeprefix("Not planned: ")
            for sku, reason in zip(rows["sku"], rows["reason"], strict=True)
            if sku not in plans
        }
    )
    overrides: dict[str, int] = {
        k: int(v) for k, v in wiz.get("overrides", {}).items() if k in plans
    }
    plan, deliveries = apply_overrides(
        rows, plans, supplies, overrides, choice["shipments"], ctx.settings.duty_rate
    )
    editor_key = wiz.widget_key("plan_editor", seed=False)
    edited = st.data_editor(
        plan[PLAN_EDITOR_COLUMNS],
        key=editor_key,
        hide_index=True,
        width="stretch",
        disabled=[c for c in PLAN_EDITOR_COLUMNS if c != "final_units"],
        column_config={
            "sku": "SKU",
            "stage": "Stage",
            "order_units": st.column_config.NumberColumn("Proposed", format="%d"),
            "final_units": st.column_config.NumberColumn(
                "Your quantity", format="%d", min_value=0, step=1
            ),
            "order_date": st.column_config.DateColumn("Order date"),
            "overdue_days": st.column_config.NumberColumn(
                "Overdue (days)",
                format="%d",
                help="days the order date is before today: order now",
            ),
            "shipping_mode": "Mode",
            "deliveries": st.column_config.NumberColumn("Deliveries", format="%d"),
            "first_arrival": st.column_config.DateColumn("First arrival"),
            "stockout_date": st.column_config.DateColumn("Stockout without it"),
            "safety_stock_units": st.column_config.NumberColumn("Safety stock", format="%.0f"),
            "reorder_point_units": st.column_config.NumberColumn("Reorder point", format="%.0f"),
            "cash_needed": st.column_config.NumberColumn(f"Cash ({currency})", format="%.0f"),
            "reason": st.column_config.TextColumn("Why", width="large"),
        },
    )
    new = {
        sku: int(units)
        for sku, units, proposed in zip(
            edited["sku"], edited["final_units"], plan["order_units"], strict=True
        )
        # A SKU without a plan takes no quantity (``apply_overrides``): keeping its edit would
        # make this differ from ``overrides`` on every run, and rerun for ever.
        if pd.notna(units) and int(units) != int(proposed) and sku in plans
    }
    if new != overrides:
        wiz.set("overrides", new)
        st.rerun()
    if overrides and st.button("Back to the proposed quantities", key="growth_reset_overrides"):
        wiz.set("overrides", {})
        st.session_state.pop(editor_key, None)
        st.rerun()

    total_units = int(plan["final_units"].sum())
    total_cash = float(plan["final_cash_needed"].sum())
    c = st.columns(3)
    c[0].metric("SKUs to order", int((plan["final_units"] > 0).sum()))
    c[1].metric("Units to order", f"{total_units:,}")
    c[2].metric("Cash needed", _money(total_cash, currency))
    explain(
        "units and cash to order",
        "Units = sum of **Your quantity** (the proposed quantity unless you changed it) = "
        f"{total_units:,}. Cash = sum over SKUs of units x (unit cost x (1 + duty rate) + "
        f"freight per unit of the SKU's shipping mode) (R-L6, duty rate "
        f"{ctx.settings.duty_rate:.0%} from Settings) = {_money(total_cash, currency)}; SKUs "
        "without a unit cost count as 0 here. Proposed quantity per SKU: see 'Explain: plan "
        "of ...' below.",
    )
    if len(deliveries):
        st.markdown("**Deliveries (R-G4: split to balance cash and storage)**")
        st.altair_chart(charts.deliveries_chart(deliveries), width="stretch")
        st.dataframe(
            deliveries,
            hide_index=True,
            width="stretch",
            column_config={
                "sku": "SKU",
                "delivery": st.column_config.NumberColumn("Delivery", format="%d"),
                "arrival": st.column_config.DateColumn("Arrives"),
                "units": st.column_config.NumberColumn("Units", format="%d"),
                "covers_days": st.column_config.NumberColumn("Covers (days)", format="%.0f"),
            },
        )

    planned = [sku for sku in plan["sku"] if sku in plans]
    if planned:
        focus = st.selectbox(
            "Explain the plan of",
            planned,
            key=wiz.widget_key("plan_explain_sku", planned[0]),
        )
        wiz.set("plan_explain_sku", focus)
        sku_plan = plans[focus]
        explain(f"plan of {plain(focus)}", sku_plan.explain())
        dl = deliveries[deliveries["sku"] == focus]
        explain(
            f"deliveries of {focus}",
            f"{int(plan.set_index('sku').loc[focus, 'final_units']):,} units in "
            f"{len(dl)} deliveries of about a {choice['shipments']}th each, rounded to whole "
            "cases; each one arrives when the one before has been sold (its units / daily "
            f"demand = {sku_plan.row['daily_demand']:,.2f}/day), so stock and the cash in it "
            "stay low between arrivals (R-G4); none later than "
            f"{policy.MAX_DELIVERY_SPREAD_DAYS} days after the first.",
        )

    export = export_frame(plan, currency)
    stem = f"growth_plan_{ctx.ws.name}_{ctx.today:%Y%m%d}"
    download_plan(export, stem, label="plan", key="growth_plan")
    if len(deliveries):
        download_plan(
            deliveries.assign(arrival=pd.to_datetime(deliveries["arrival"]).dt.date),
            f"growth_deliveries_{ctx.ws.name}_{ctx.today:%Y%m%d}",
            label="deliveries",
            key="growth_deliveries",
            sheet_name="deliveries",
        )
    name = st.text_input(
        "Plan name",
        key=wiz.widget_key("plan_name", f"Growth restock {ctx.today:%Y-%m-%d}"),
    )
    wiz.set("plan_name", name)
    if st.button("Save plan to the workspace", key="growth_save", icon=":material/save:"):
        plan_id = ctx.ws.save_plan(
            PLAN_KIND,
            name or "Growth restock",
            export,
            {**choice, "overrides": overrides, "skus": plan["sku"].tolist()},
        )
        st.success(f"Saved as plan #{plan_id} ({len(export)} SKUs).")


# -- step 5: review --------------------------------------------------------------------------------
REVIEW_MEASURES = {
    "turnover": "Turnover (per year)",
    "stockout_days": "Stockout days",
    "cover_days": "Days of cover",
}


def review_long(review: pd.DataFrame) -> pd.DataFrame:
    """``kpi.weekly_review`` (``<measure>_before``, ``<measure>_after`` per SKU) -> long rows
    ``sku, measure, period, value`` for the chart."""
    rows = []
    for r in review.to_dict("records"):
        for measure, label in REVIEW_MEASURES.items():
            for period in ("before", "after"):
                value = r.get(f"{measure}_{period}")
                if value is not None and pd.notna(value) and math.isfinite(float(value)):
                    rows.append(
                        {"sku": r["sku"], "measure": label, "period": period, "value": value}
                    )
    return pd.DataFrame(rows, columns=["sku", "measure", "period", "value"])


def step_review(ctx: Context) -> None:
    wiz, s = ctx.wiz, ctx.settings
    skus = ctx.selected
    if not skus:
        st.info("Choose SKUs on step 1 first.")
        return
    sales, inventory = ctx.table("sales"), ctx.table("inventory")
    if sales.empty:
        st.info("No sales history in this workspace.")
        return
    last = pd.Timestamp(sales["date"].max()).date()
    weeks = int(
        wiz.field(st.slider, "Weeks before and after", "review_weeks", 4, min_value=1, max_value=12)
    )
    change = wiz.field(
        st.date_input,
        "Restock change date (the day the new restock policy started)",
        "review_change_date",
        last - timedelta(days=7 * weeks),
        max_value=last,
    )
    review = kpi.weekly_review(
        sales[sales["sku"].isin(skus)],
        inventory[inventory["sku"].isin(skus)],
        change,
        weeks=weeks,
        stockout_change=s.review_stockout_change,
        cover_change=s.review_cover_change,
    )
    st.markdown(
        f"{weeks} weeks before and after **{change:%Y-%m-%d}**, per SKU (R-G5). Rule of thumb: "
        f"when stockouts fell by {abs(s.review_stockout_change):.0%} or more but days of "
        f"cover grew by {s.review_cover_change:.0%} or more, order **smaller, more frequent "
        "batches**: the stockouts were fixed with too much stock."
    )
    pct = {c: review[c] * 100 for c in ("stockout_change", "cover_change") if c in review}
    shown = review.assign(**pct)
    shown.attrs = {}  # the window dates (Python dates) do not go to the browser
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "sku": "SKU",
            "turnover_before": st.column_config.NumberColumn("Turnover before", format="%.1f"),
            "turnover_after": st.column_config.NumberColumn("Turnover after", format="%.1f"),
            "stockout_days_before": st.column_config.NumberColumn(
                "Stockout days before", format="%.0f"
            ),
            "stockout_days_after": st.column_config.NumberColumn(
                "Stockout days after", format="%.0f"
            ),
            "stockout_change": st.column_config.NumberColumn("Stockouts", format="%+.0f%%"),
            "cover_days_before": st.column_config.NumberColumn("Cover before", format="%.0f"),
            "cover_days_after": st.column_config.NumberColumn("Cover after", format="%.0f"),
            "cover_change": st.column_config.NumberColumn("Cover", format="%+.0f%%"),
            "smaller_batches": st.column_config.CheckboxColumn("Smaller batches"),
            "advice": st.column_config.TextColumn("Advice", width="large"),
        },
    )
    long = review_long(review)
    for label in REVIEW_MEASURES.values():
        part = long[long["measure"] == label]
        if len(part):
            st.markdown(f"**{label}, before and after**")
            st.altair_chart(charts.before_after_chart(part, label), width="stretch")
    flagged = (
        review.loc[review["smaller_batches"].astype(bool), "sku"].tolist() if len(review) else []
    )
    if flagged:
        st.warning(
            f"Smaller, more frequent batches suggested for: {', '.join(flagged)}.",
            icon=":material/low_priority:",
        )
    else:
        st.success("No SKU needs smaller batches by the rule of thumb.")
    explain(
        "weekly review",
        f"Per SKU, before = {review.attrs.get('before', '?')} to "
        f"{change - timedelta(days=1):%Y-%m-%d}, after = {change:%Y-%m-%d} to "
        f"{review.attrs.get('after_end', '?')} ({weeks} weeks each): "
        "**turnover** = units sold / average stock x 365 / days in the window (turns per "
        "year); **stockout days** = days with no stock available (the last stock snapshot "
        "holds until the next); **days of cover** = average stock / average daily sales. "
        "Changes: after / before - 1. Flag when stockouts changed by "
        f"{s.review_stockout_change:+.0%} or less and cover by {s.review_cover_change:+.0%} or "
        "more (Settings, R-G5).",
    )


# -- the page --------------------------------------------------------------------------------------
def main(ws: Workspace) -> None:
    st.caption(
        "Growth: scale up with the forecast; stockouts are the main risk. Five steps: "
        "which SKUs first, their forecast and stock line, the policy behind each order, the "
        "plan to send to your supplier, and the weekly review of what the last restock did."
    )
    wiz = Wizard(WIZARD, STEPS, ws)
    ctx = Context(ws, wiz)
    if ctx.stages.empty:
        st.info("No SKUs yet: import sales on the Data page.")
        return
    steps = (step_skus, step_forecast, step_policy, step_plan, step_review)
    wiz.run([partial(draw, ctx) for draw in steps])
