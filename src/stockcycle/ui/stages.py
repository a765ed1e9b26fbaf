"""Life-cycle stages page parts: the stage table, one SKU's reason and chart, overrides (R-S1).

The classification and the demand history are computed by ``stockcycle.lifecycle``; this
module caches them per workspace, data version, settings and overrides, and draws them.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st

from stockcycle import charts
from stockcycle.errors import InputError
from stockcycle.lifecycle import (
    STAGE_LABELS,
    STAGES,
    explain_rules,
    set_stage_override,
    sku_level_history,
    stage_table,
)
from stockcycle.settings import Settings
from stockcycle.store import Workspace
from stockcycle.ui import data_version, show_error
from stockcycle.ui.wizard import download_plan

AUTO = "(from the data)"
# Signals shown as percentages in the table (the classifier keeps them as fractions).
PERCENT_COLUMNS = ("change_8w", "share_of_peak")


@st.cache_data(max_entries=8, show_spinner="Classifying SKUs…")
def cached_stage_table(path: str, version: str, settings: str, overrides: str) -> pd.DataFrame:
    """``lifecycle.stage_table`` of the workspace at ``path``; the other arguments are the
    cache key (classifying thousands of SKUs on every rerun would take seconds)."""
    del version, settings, overrides  # cache key only
    return stage_table(Workspace(path))


@st.cache_data(max_entries=32, show_spinner=False)
def cached_level_history(path: str, version: str, sku: str) -> pd.DataFrame:
    """``lifecycle.sku_level_history`` of one SKU, cached per data version."""
    del version  # cache key only
    return sku_level_history(Workspace(path), sku)


def stages_of(ws: Workspace, settings: Settings) -> pd.DataFrame:
    return cached_stage_table(
        str(ws.path),
        data_version(ws),
        json.dumps(settings.to_dict(), sort_keys=True),
        json.dumps(ws.overrides("stage"), sort_keys=True),
    )


def _pct(x: float) -> str:
    return f"{x * 100:+.0f}%"


def _num(x: float) -> str:
    return f"{x:,.2f}" if abs(x) < 10 else f"{x:,.1f}"


# The classifier's signals (``lifecycle.SIGNAL_COLUMNS``) in the seller's words and units.
SIGNAL_LABELS: dict[str, tuple[str, Callable[[float], str]]] = {
    "age_days": ("Days on sale", lambda x: f"{x:,.0f}"),
    "level": ("Level now (units/day)", _num),
    "level_8w_ago": ("Level 8 weeks earlier (units/day)", _num),
    "change_8w": ("Change over 8 weeks", _pct),
    "season_8w": ("Change in the same weeks last year", _pct),
    "change_8w_adjusted": ("Change after the season", _pct),
    "trend_t": ("Trend t-statistic", lambda x: f"{x:+.2f}"),
    "peak": ("Peak (units/day)", _num),
    "share_of_peak": ("Share of peak", lambda x: f"{x * 100:.0f}%"),
    "weeks_since_peak": ("Weeks since the peak", lambda x: f"{x:,.0f}"),
    "weekly_drops": ("Weeks in a row down by the R-D1 drop", lambda x: f"{x:.0f}"),
    "days_since_last_sale": ("Days since the last sale", lambda x: f"{x:,.0f}"),
    "stockout_days_90": ("Days out of stock in the last 90", lambda x: f"{x:,.0f}"),
    "expected_peak": ("Expected peak, Bass fit (units/day)", _num),
}


def signal_view(row: pd.Series) -> pd.DataFrame:
    """One SKU's signals as ``Signal, Value`` text rows ("—" where a signal does not apply)."""
    rows = []
    for name, (label, fmt) in SIGNAL_LABELS.items():
        value = row.get(name)
        ok = value is not None and pd.notna(value) and np.isfinite(float(value))
        rows.append({"Signal": label, "Value": fmt(float(value)) if ok else "—"})
    return pd.DataFrame(rows)


def table_view(table: pd.DataFrame) -> pd.DataFrame:
    """The columns a seller reads, shares as percentages (0.34 -> 34) for the % formats."""
    view = table[
        ["sku", "stage", "reason", "overridden", "level", "change_8w", "share_of_peak", "age_days"]
    ].copy()
    for col in PERCENT_COLUMNS:
        view[col] = view[col] * 100
    return view


def overview(ws: Workspace, table: pd.DataFrame) -> None:
    counts = table["stage"].value_counts()
    for col, stage in zip(st.columns(len(STAGES)), STAGES, strict=True):
        col.metric(STAGE_LABELS[stage], int(counts.get(stage, 0)))
    st.dataframe(
        table_view(table),
        hide_index=True,
        width="stretch",
        column_config={
            "sku": "SKU",
            "stage": "Stage",
            "reason": st.column_config.TextColumn("Why", width="large"),
            "overridden": st.column_config.CheckboxColumn("Set by you"),
            "level": st.column_config.NumberColumn("Units/day (4 weeks)", format="%.1f"),
            "change_8w": st.column_config.NumberColumn("Change over 8 weeks", format="%+.0f%%"),
            "share_of_peak": st.column_config.NumberColumn("Share of peak", format="%.0f%%"),
            "age_days": st.column_config.NumberColumn("Days on sale", format="%d"),
        },
    )
    # The one formula-safe writer (CSV and XLSX): a SKU or reason starting with '=' stays text.
    download_plan(table, f"stages_{ws.name}", label="stages", sheet_name="stages")


def one_sku(ws: Workspace, table: pd.DataFrame, settings: Settings) -> None:
    st.subheader("One SKU")
    sku = st.selectbox("SKU", table["sku"].tolist(), key="stages_sku")
    row = table.set_index("sku").loc[sku]
    st.markdown(f"**{STAGE_LABELS[row['stage']]}**: {row['reason']}")
    with st.expander("Explain"):
        st.markdown(explain_rules(settings))
        st.markdown("**This SKU's signals**")
        signals = signal_view(row)
        # Tall enough for every row (35 px each, plus the header): no scrolling in a box.
        st.dataframe(signals, hide_index=True, height=35 * (len(signals) + 1) + 3)
    history = cached_level_history(str(ws.path), data_version(ws), sku)
    if not history.empty:
        st.altair_chart(charts.stage_demand_chart(history, row["peak"]), width="stretch")

    options = [AUTO, *STAGES]
    current = row["stage"] if bool(row["overridden"]) else AUTO
    choice = st.selectbox(
        "Stage for this SKU",
        options,
        index=options.index(current),
        key=f"stage_override_{sku}",
        help=f"The data says {row['auto_stage']}. Your choice is kept in the "
        "workspace until you set it back to '(from the data)'.",
    )
    if choice != current:
        try:
            set_stage_override(ws, sku, None if choice == AUTO else choice)
        except InputError as err:
            show_error(err)
        else:
            st.rerun()


def main(ws: Workspace) -> None:
    st.caption(
        "Each SKU's stage comes from its own demand curve (stockout days left out); the "
        "stage sets the inventory goal of the later pages. Pin a stage where you know "
        "better."
    )
    settings = ws.settings()
    table = stages_of(ws, settings)
    if table.empty:
        st.info("No SKUs yet: import sales on the Data page.")
        return
    overview(ws, table)
    one_sku(ws, table, settings)
