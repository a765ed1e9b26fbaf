"""Life-cycle stages: each SKU's stage with the reason, the seller's overrides, and a chart."""

import json
from datetime import date

import pandas as pd
import streamlit as st

from stockcycle import charts
from stockcycle.forecast.demand import demand_panel, sku_series
from stockcycle.lifecycle import (
    STAGE_LABELS,
    STAGES,
    classify_workspace,
    level_history,
    set_stage_override,
)
from stockcycle.store import Workspace
from stockcycle.ui import data_version, page_setup, show_error

AUTO = "(from the data)"


@st.cache_data(max_entries=8, show_spinner="Classifying SKUs...")
def stage_table(path: str, version: str, settings: str, overrides: str) -> pd.DataFrame:
    """Classify every SKU once per data version, settings and overrides (the arguments are
    the cache key; classifying thousands of SKUs on every rerun would take seconds)."""
    del version, settings, overrides  # cache key only
    return classify_workspace(Workspace(path))


ws = page_setup("Life-cycle stages")
st.caption("Each SKU's stage comes from its own demand curve (stockout days left out); the "
           "stage sets the inventory goal of the later pages. Pin a stage where you know better.")
try:
    table = stage_table(str(ws.path), data_version(ws),
                        json.dumps(ws.settings().to_dict(), sort_keys=True),
                        json.dumps(ws.overrides("stage"), sort_keys=True))
except Exception as err:  # noqa: BLE001 - shown to the seller, never a traceback
    show_error(err)
    st.stop()
if table.empty:
    st.info("No SKUs yet: import sales on the Data page.")
    st.stop()

counts = table["stage"].value_counts()
for col, stage in zip(st.columns(len(STAGES)), STAGES, strict=True):
    col.metric(STAGE_LABELS[stage], int(counts.get(stage, 0)))

view = table[["sku", "stage", "reason", "overridden", "level", "change_8w", "share_of_peak",
              "age_days"]].copy()
view["change_8w"] = view["change_8w"] * 100
view["share_of_peak"] = view["share_of_peak"] * 100
st.dataframe(
    view, hide_index=True, width="stretch",
    column_config={
        "sku": "SKU", "stage": "Stage", "reason": st.column_config.TextColumn("Why", width="large"),
        "overridden": st.column_config.CheckboxColumn("Set by you"),
        "level": st.column_config.NumberColumn("Units/day (4 weeks)", format="%.1f"),
        "change_8w": st.column_config.NumberColumn("Change over 8 weeks", format="%+.0f%%"),
        "share_of_peak": st.column_config.NumberColumn("Share of peak", format="%.0f%%"),
        "age_days": st.column_config.NumberColumn("Days on sale", format="%d"),
    },
)
st.download_button("Download stages (CSV)", table.to_csv(index=False).encode(),
                   file_name=f"stages_{ws.name}.csv", mime="text/csv")

st.subheader("One SKU")
sku = st.selectbox("SKU", table["sku"].tolist(), key="stages_sku")
row = table.set_index("sku").loc[sku]
st.markdown(f"**{STAGE_LABELS[row['stage']]}**: {row['reason']}")
with st.expander("Explain"):
    st.markdown(
        "- **Level** = mean demand over the last 28 in-stock days; **change over 8 weeks** = "
        "level now / level of the same 28 days 8 weeks earlier - 1.\n"
        "- **Peak** = best 5-week median of weekly levels outside the holiday season "
        "(November to mid-January); **share of peak** = level / peak.\n"
        "- Rules, first match wins: exit below 25% of peak; launch under 90 days on sale; "
        "decline below 80% of peak and down 15% or more over 8 weeks, or weekly sales down "
        "15% week over week for the set number of weeks (R-D1); growth up 20% or more; "
        "otherwise maturity. A change counts only when it stands out of the daily noise, and "
        "a move that also happened in the same weeks last year is the season.")
    st.json({k: (None if v != v else v) for k, v in row.drop(["reason", "auto_reason"]).items()
             if k not in ("stage", "auto_stage", "overridden")})
stored = ws.load_result("stages")
end = stored[0].get("end") if stored else None
panel = demand_panel(ws.read("sales", skus=[sku]), ws.read("inventory", skus=[sku]),
                     end=date.fromisoformat(end) if end else None)
if not panel.empty:
    history = level_history(sku_series(panel, sku))
    st.altair_chart(charts.stage_demand_chart(history, row["peak"]), width="stretch")

options = [AUTO, *STAGES]
current = row["stage"] if bool(row["overridden"]) else AUTO
choice = st.selectbox("Stage for this SKU", options, index=options.index(current),
                      key=f"stage_override_{sku}",
                      help=f"The data says {row['auto_stage']}. Your choice is kept in the "
                           "workspace until you set it back to '(from the data)'.")
if choice != current:
    try:
        set_stage_override(ws, sku, None if choice == AUTO else choice)
        st.rerun()
    except Exception as err:  # noqa: BLE001
        show_error(err)
