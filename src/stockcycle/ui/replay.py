"""Replay page (R-T4): what the stockcycle plan and the days-of-supply rule would have done on
the seller's own history, side by side.

The numbers come from ``stockcycle.replay``: ``load_replay`` (the slow part: a forecast per
refit day) runs once per workspace, data version, settings and window and is kept in the
session; changing a policy's setting reruns only ``replay.replay`` on those inputs.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from stockcycle import charts, replay
from stockcycle.settings import Settings
from stockcycle.store import Workspace
from stockcycle.ui import data_date, data_version
from stockcycle.ui.wizard import download_plan, explain

#: Columns of the per-product table, in the seller's words.
SKU_TABLE = {
    "sku": "Product",
    "policy_label": "Policy",
    "fill_rate_pct": "Demand served (%)",
    "stockout_days": "Days out of stock",
    "lost_units": "Sales lost (units)",
    "lost_margin": "Margin lost",
    "avg_inventory_units": "Average units on hand",
    "avg_inventory_value": "Average stock value",
    "peak_cash": "Most cash tied up",
    "orders": "Orders placed",
    "ordered_units": "Units ordered",
    "fees": "Amazon fees",
    "end_stock_units": "Units left at the end",
    "start_stock_units": "Units at the start",
    "start_stock_source": "Starting stock from",
}


def _key(ws: Workspace, what: str) -> str:
    return f"replay:{what}:{hashlib.sha1(str(ws.path).encode()).hexdigest()[:10]}"


def _settings_key(settings: Settings) -> str:
    return json.dumps(settings.to_dict(), sort_keys=True)


def _pct(x: float | None) -> str:
    return "-" if x is None or pd.isna(x) else f"{x:.1%}"


def _money(x: float | None) -> str:
    return "-" if x is None or pd.isna(x) else f"{x:,.0f}"


def _inputs(
    ws: Workspace, settings: Settings, start: date, end: date, bar: Any, forecasts: bool
) -> replay.ReplayInputs:
    """``replay.load_replay`` for this window, kept in the session under the data version and
    settings (the forecast refits are the slow part; they are cached in the workspace too);
    without ``forecasts`` (the days-of-supply rule alone) no refit is made."""
    key = (data_version(ws), _settings_key(settings), start.isoformat(), end.isoformat())
    held = st.session_state.get(_key(ws, "inputs"))
    if held is not None and held[0] == key and (held[1].forecasts or not forecasts):
        return held[1]

    def progress(frac: float, msg: str) -> None:
        bar.progress(min(1.0, frac * 0.7), text=f"Reading your history: {msg}")

    inputs = replay.load_replay(
        ws, start=start, end=end, settings=settings, forecasts=forecasts, progress=progress
    )
    st.session_state[_key(ws, "inputs")] = (key, inputs)
    return inputs


def _form(ws: Workspace, settings: Settings, last: date) -> dict[str, Any] | None:
    """The seller's choices; None until they press Run."""
    default_start = last - timedelta(days=7 * settings.replay_weeks)
    with st.form("replay_form"):
        left, right = st.columns(2)
        start = left.date_input("From", value=default_start, max_value=last, key="replay_start")
        end = right.date_input("To", value=last, max_value=last, key="replay_end")
        chosen = st.multiselect(
            "Reorder rules to replay",
            list(replay.POLICIES),
            default=list(replay.POLICIES),
            format_func=lambda p: replay.POLICY_LABELS[p],
            key="replay_policies",
        )
        a, b, c = st.columns(3)
        level = a.slider(
            "stockcycle: chance of not running out (%)",
            80,
            99,
            round(100 * (1 - settings.stockout_probability)),
            key="replay_service",
        )
        target = b.slider(
            "Days-of-supply rule: days an order covers",
            30,
            120,
            int(settings.dos_target_days),
            key="replay_target",
        )
        buffer = c.number_input(
            "Days-of-supply rule: reorder when cover < lead time + days",
            0,
            180,
            int(settings.dos_buffer_days),
            key="replay_buffer",
        )
        sweep = st.checkbox(
            "Try six settings of each rule (draws the trade-off curves; takes several times "
            "longer)",
            value=False,
            key="replay_sweep",
        )
        run = st.form_submit_button("Run the replay", type="primary", icon=":material/history:")
    if not run:
        return None
    return {
        "start": start,
        "end": end,
        "policies": chosen,
        "service_level": level / 100,
        "target_days": float(target),
        "buffer_days": float(buffer),
        "sweep": sweep,
    }


def _run(ws: Workspace, settings: Settings, choices: dict[str, Any]) -> replay.ReplayResult:
    bar = st.progress(0.0, text="Reading your history")
    inputs = _inputs(
        ws,
        settings,
        choices["start"],
        choices["end"],
        bar,
        forecasts="stockcycle" in choices["policies"],
    )
    rule = replay.DaysOfSupplyRule(
        choices["buffer_days"], choices["target_days"], int(settings.dos_trailing_days)
    )

    def progress(frac: float, msg: str) -> None:
        bar.progress(0.7 + 0.3 * min(1.0, frac), text=f"Replaying: {msg}")

    result = replay.replay(
        inputs=inputs,
        policies=choices["policies"],
        sweep=choices["sweep"],
        service_level=choices["service_level"],
        target_days=choices["target_days"],
        rule=rule,
        progress=progress,
    )
    bar.empty()
    return result


def main(ws: Workspace) -> None:
    settings = ws.settings()
    last = data_date(ws)
    st.caption(
        "Replay your own history: week by week, each reorder rule decides with only the data "
        "it would have had that day; your real demand is then served from the stock it "
        "ordered. You see how often each would have run out, how much stock and cash it "
        "would have tied up and the Amazon fees it would have paid."
    )
    if last is None:
        st.info("Import your sales history first (Data page): there is nothing to replay yet.")
        return
    choices = _form(ws, settings, last)
    if choices is not None:
        if not choices["policies"]:
            st.warning("Pick at least one reorder rule to replay.")
            return
        if choices["start"] >= choices["end"]:
            st.warning("The replay must start before it ends: pick an earlier 'From' date.")
            return
        st.session_state[_key(ws, "result")] = (choices, _run(ws, settings, choices))
    held = st.session_state.get(_key(ws, "result"))
    if held is None:
        st.info("Choose the period and the rules, then press **Run the replay**.")
        return
    choices, result = held
    show(ws, result, choices)


def show(ws: Workspace, result: replay.ReplayResult, choices: dict[str, Any]) -> None:
    """The replay's figures: totals, the trade-off chart, the per-product table, one product."""
    inputs = result.inputs
    st.markdown(
        f"**Replay of {inputs.start.isoformat()} to {inputs.end.isoformat()}** "
        f"({inputs.window_days} days, {len(inputs.skus):,} products, a review every "
        f"{inputs.review_days} days), from your data up to {inputs.end.isoformat()}."
    )
    for w in inputs.warnings:
        st.warning(w)
    cols = st.columns(max(1, len(result.main)))
    for col, (p, run) in zip(cols, result.main.items(), strict=True):
        t = run.totals
        with col:
            st.markdown(f"**{replay.POLICY_LABELS[p]}** ({t['setting_label']})")
            st.metric("Demand served", _pct(t["fill_rate"]))
            st.metric("Average stock value", _money(t["avg_inventory_value"]))
            st.metric("Days out of stock (all products)", f"{t['stockout_days']:,}")
            st.metric("Sales lost (units)", _money(t["lost_units"]))
            st.metric("Most cash tied up", _money(t["peak_cash"]))
            st.metric("Amazon fees", _money(t["fees"]))
    runs = result.runs_table()
    runs["policy_label"] = runs["policy"].map(replay.POLICY_LABELS)
    st.subheader("Service against stock")
    st.altair_chart(charts.replay_tradeoff_chart(runs, result.target_fill_rate), width="stretch")
    if choices.get("sweep"):
        need = result.stock_at_target()
        lines = []
        for p, value in need.items():
            label = replay.POLICY_LABELS[p]
            lines.append(
                f"- {label}: {_money(value)} of average stock"
                if value is not None
                else f"- {label}: none of the settings tried serves that much"
            )
        st.markdown(
            f"Stock each rule needs to serve {result.target_fill_rate:.0%} of demand:\n"
            + "\n".join(lines)
        )
    else:
        st.caption("Tick 'Try six settings of each rule' to draw each rule's curve.")
    explain("service against stock", _explain_runs(result))
    st.subheader("Per product")
    table = result.sku_table()
    table["policy_label"] = table["policy"].map(replay.POLICY_LABELS)
    table["fill_rate_pct"] = (table["fill_rate"] * 100).round(1)
    shown = table[list(SKU_TABLE)].rename(columns=SKU_TABLE)
    st.dataframe(shown, hide_index=True, width="stretch")
    stem = f"replay-{inputs.start.isoformat()}-{inputs.end.isoformat()}"
    download_plan(shown, stem, label="replay")
    st.subheader("One product, day by day")
    worst = table.sort_values("lost_units", ascending=False)["sku"].tolist()
    sku = st.selectbox("Product", worst or inputs.skus, key="replay_sku")
    tabs = st.tabs([replay.POLICY_LABELS[p] for p in result.main])
    for tab, run in zip(tabs, result.main.values(), strict=True):
        with tab:
            line = run.sku_line(inputs, sku)
            st.altair_chart(charts.replay_stock_chart(line), width="stretch")
            row = run.sku_table[run.sku_table["sku"] == sku].iloc[0]
            st.caption(
                f"Demand served {_pct(row['fill_rate'])}, {row['stockout_days']:,} days out of "
                f"stock, {row['orders']:,} orders, {_money(row['avg_inventory_units'])} units "
                f"on hand on average; lead time {row['lead_time_days']} days; starting stock "
                f"{_money(row['start_stock_units'])} units ({row['start_stock_source']})."
            )
    explain("one product's replay", _explain_line(result))


def _explain_runs(result: replay.ReplayResult) -> str:
    inputs = result.inputs
    s = inputs.settings
    return "\n".join(
        [
            "Each point is one replay of the whole window at one setting (R-T4).",
            "",
            inputs.explain(),
            "- **stockcycle plan**: at each review, the restock plan for the product as of that "
            "day (`restock.plan_sku`: forecast demand over lead time + review period + safety "
            "stock z·sqrt((L+R)·sd² + d²·sd_L²) at the service level; order up to the forecast "
            "over L + order cycle + safety stock; decline and exit products are not reordered, "
            f"more than {s.slow_mover_cover_days} days of cover neither, R-S2, R-M3); an order "
            f"placed on the review day arrives in {s.restock_shipments} deliveries (R-G4).",
            "- **days-of-supply rule**: cover = (stock + on order) / average daily demand of "
            f"the last {s.dos_trailing_days} days; reorder when cover < lead time + buffer "
            "days, ordering target days × that average (Jungle Scout, Helium 10).",
            "- Demand served (fill rate) = units served / units demanded; average stock value "
            "= mean end-of-day units × unit cost; most cash tied up = the highest (units on "
            "hand + on order) × unit cost over the window, all products together.",
            "- Fees (R-F1, fee table): storage by month and size, the aged-inventory surcharge "
            "on units 181+ days old, the low-inventory-level fee on units shipped while both "
            "the 30- and 90-day days of supply are under 28 days.",
            f"- Stock needed at the target: average stock value interpolated on each rule's "
            f"curve at a {result.target_fill_rate:.0%} fill rate (settings: "
            "`replay_target_fill_rate`).",
        ]
    )


def _explain_line(result: replay.ReplayResult) -> str:
    return "\n".join(
        [
            "- Grey bars: the day's demand; red bars: demand lost because nothing was on hand.",
            "- Blue line: units on hand at the end of the day: stock_d = max(0, stock_(d-1) + "
            "arrivals_d - demand_d); points: deliveries arriving (sellable from that morning).",
            "- Green triangles: orders placed (units in the tooltip).",
            f"- Starting stock: {replay.START_COVER} where your inventory history has no "
            "snapshot on or before the first day.",
        ]
    )
