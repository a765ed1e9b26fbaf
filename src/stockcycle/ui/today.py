"""Today page parts: each SKU's one action with its urgency and money at stake (R-T5).

Everything is computed by ``stockcycle.today.today_table`` (the same call as
``stockcycle today``); this module caches it per workspace, data version, settings, stage
overrides and today's date, and draws it: filters, the table, the page to act on, the fee
corridor chart and the downloads.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import streamlit as st

from stockcycle import charts, datadate
from stockcycle.store import Workspace
from stockcycle.today import ACTION_TYPES, TodayResult, today_table
from stockcycle.ui import data_version, page_files, page_label
from stockcycle.ui.wizard import download_plan, explain

#: The table's columns in the seller's words (``st.dataframe`` column_config).
COLUMN_CONFIG = {
    "sku": "SKU",
    "title": "Product",
    "stage": "Stage",
    "action": st.column_config.TextColumn("Action", width="medium"),
    "urgency": "Urgency",
    "due_date": st.column_config.DateColumn("Due", format="D MMM YYYY"),
    "overdue_days": st.column_config.NumberColumn("Days overdue", format="%d"),
    "money_at_stake": st.column_config.NumberColumn(
        "Money at stake",
        format="accounting",
        help="Order: margin at risk of a stockout before the order lands. Clear/exit: cash "
        "tied up in stock. Trim: cash on open orders. Blank: price or unit cost missing.",
    ),
    "money_basis": "What the money is",
    "cash_needed": st.column_config.NumberColumn(
        "Cash for the order",
        format="accounting",
        help="Units x (unit cost + freight) x (1 + duty), as in the restock plan. Blank: no "
        "order, or no unit cost (enter it on the Data page).",
    ),
    "as_of": st.column_config.DateColumn("Data up to", format="D MMM YYYY"),
    "reason": st.column_config.TextColumn("Why", width="large"),
    "page": "Act on page",
}
SHOWN = list(COLUMN_CONFIG)


@st.cache_data(max_entries=8, show_spinner="Deciding today's actions…")
def cached_today(
    path: str, version: str, settings: str, overrides: str, today: date
) -> TodayResult:
    """``today.today_table`` of the workspace at ``path`` made on ``today``; the other
    arguments are the cache key (the forecast and the plan take seconds)."""
    del version, settings, overrides  # cache key only
    return today_table(Workspace(path), today=today)


def result_of(ws: Workspace, today: date) -> TodayResult:
    return cached_today(
        str(ws.path),
        data_version(ws),
        json.dumps(ws.settings().to_dict(), sort_keys=True),
        json.dumps(ws.overrides("stage"), sort_keys=True),
        today,
    )


def page_file(label: str) -> str | None:
    """The ``pages/...py`` file whose sidebar label is ``label`` (None if there is none)."""
    for path in page_files():
        if page_label(path) == label:
            return path
    return None


def filtered(table: pd.DataFrame, stages: list[str], actions: list[str]) -> pd.DataFrame:
    """The rows whose stage is in ``stages`` and kind of action in ``actions`` (empty
    selections keep everything)."""
    keep = pd.Series(True, index=table.index)
    if stages:
        keep &= table["stage"].isin(stages)
    if actions:
        keep &= table["action_type"].isin(actions)
    return table[keep]


def main(ws: Workspace) -> None:
    today = datadate.today()
    result = result_of(ws, today)
    table = result.table
    st.caption(
        f"{result.dates_line()}. One action per product, most urgent first: what to order, "
        "hold, trim, clear or exit, and what needs its data fixed."
    )
    if table.empty:
        st.info("No products yet: import your sales and inventory on the Data page.")
        return
    for warning in result.warnings:
        st.warning(warning, icon=":material/inventory:")
    counts = table["urgency"].value_counts()
    for col, label in zip(st.columns(4), ("Overdue", "Due soon", "Later", "Hold"), strict=True):
        col.metric(label, int(counts.get(label, 0)))

    left, right = st.columns(2)
    stage_options = sorted(s for s in table["stage"].dropna().unique())
    stages = left.multiselect("Stage", stage_options, key="today_stages", placeholder="All")
    present = set(table["action_type"])
    action_options = [a for a in ACTION_TYPES if a in present]
    actions = right.multiselect("Action", action_options, key="today_actions", placeholder="All")
    shown = filtered(table, stages, actions)
    st.dataframe(shown[SHOWN], hide_index=True, width="stretch", column_config=COLUMN_CONFIG)
    known = shown["money_at_stake"].notna()
    orders = shown[shown["order_units"] > 0]
    costed = orders["cash_needed"].notna()
    st.caption(
        f"{len(shown):,} of {len(table):,} products; money at stake "
        f"{shown.loc[known, 'money_at_stake'].sum():,.2f}"
        + (f" ({int((~known).sum()):,} unknown)" if (~known).any() else "")
        + f"; cash for {len(orders):,} orders {orders.loc[costed, 'cash_needed'].sum():,.2f}"
        + (f" ({int((~costed).sum()):,} without a unit cost)" if (~costed).any() else "")
    )

    if len(shown):
        st.subheader("Act on one product")
        sku = st.selectbox("Product", shown["sku"].tolist(), key="today_sku")
        row = shown.set_index("sku").loc[sku]
        st.markdown(f"**{row['action']}** ({row['urgency']}): {row['reason']}")
        target = page_file(row["page"])
        if target is not None:
            st.page_link(target, label=f"Go to {row['page']}", icon=":material/arrow_forward:")

    download_plan(
        shown, f"today_{ws.name}_{today.isoformat()}", label="today's actions", sheet_name="today"
    )

    st.subheader("Days of cover against the fee corridor")
    st.caption(result.corridor_text())
    st.altair_chart(
        charts.cover_corridor_chart(
            shown, result.low_inventory_days, result.storage_utilization_days
        ),
        width="stretch",
    )
    explain("today's actions", result.explain())
