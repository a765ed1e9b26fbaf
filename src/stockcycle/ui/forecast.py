"""Forecast page parts: run the batch forecast and the backtest, per-SKU accuracy, the model
and why, and the charts of one SKU (R-G2, R-K6). The computation is ``stockcycle.forecast``'s."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from stockcycle import charts
from stockcycle.errors import InputError
from stockcycle.forecast import backtest_workspace, run_batch, sku_series
from stockcycle.forecast.core import daily_interval, lead_time_bands
from stockcycle.forecast.demand import demand_panel
from stockcycle.store import Workspace
from stockcycle.ui import show_error


def main(ws: Workspace) -> None:
    settings = ws.settings()
    # One batch per workspace: switching workspace must never show another workspace's forecast.
    batch_key = f"forecast_batch:{ws.path}"
    st.caption(
        "Each SKU gets one model, chosen and explained: Prophet (weekly seasonality, yearly "
        "seasonality from one year of history (three Fourier terms until two years), US "
        "holidays, Amazon events and your promotions), "
        "Croston-SBA or TSB for intermittent demand, a 7-day seasonal naive or 28-day moving "
        "average where Prophet does not beat them (unless Prophet's yearly seasonality says the "
        "days ahead differ by more than 15% from the backtest days, which those baselines cannot "
        "see), or a peer-based estimate for new SKUs. "
        "**Run forecast** picks each model on the latest backtest cut "
        f"({settings.backtest_horizon_days} days) and reuses cached results for unchanged SKUs; "
        f"**Run backtest** scores every model on {settings.backtest_origins} cuts. Intervals come "
        "from the measured backtest errors, not from a model's own assumptions."
    )
    horizon = st.slider("Horizon (days)", 7, 365, int(settings.forecast_horizon_days))
    left, right = st.columns(2)
    if left.button("Run forecast", type="primary"):
        bar = st.progress(0.0, text="starting")
        try:
            batch = run_batch(ws, horizon=horizon, progress=lambda f, m: bar.progress(f, text=m))
            st.session_state[batch_key] = batch
            bar.progress(1.0, text=f"{batch.computed:,} computed, {batch.cached:,} from the cache")
        except InputError as err:
            show_error(err)
    if right.button("Run backtest"):
        bar = st.progress(0.0, text="starting")
        try:
            backtest_workspace(
                ws,
                horizon=settings.backtest_horizon_days,
                origins=settings.backtest_origins,
                progress=lambda f, m: bar.progress(f, text=m),
            )
        except InputError as err:
            show_error(err)

    stored = ws.load_result("backtest")
    if stored is not None:
        params, per_sku = stored
        st.subheader("Accuracy (rolling-origin backtest)")
        st.caption(
            f"{params.get('origins')} cuts x {params.get('horizon')} days. WAPE = "
            "sum |actual - forecast| / sum actual; MASE against the weekly seasonal naive "
            "error; bias = sum (forecast - actual) / sum actual; P90 coverage = share of "
            "lead-time demand at or below its P90. Stockout days are left out."
        )
        overall = pd.DataFrame(params.get("overall", {})).T
        st.dataframe(overall, width="stretch")
        st.dataframe(per_sku, width="stretch", hide_index=True)

    batch = st.session_state.get(batch_key)
    if batch is None:
        st.info("Run the forecast to see each SKU's model, why it was chosen, and its chart.")
        return
    st.subheader("Model per SKU")
    st.dataframe(
        batch.summary[["sku", "model_label", "stage", "reason"]], width="stretch", hide_index=True
    )
    sku = st.selectbox("SKU", list(batch.results))
    result = batch.results[sku]
    st.caption(result.reason)
    panel = demand_panel(ws.read("sales", skus=[sku]), ws.read("inventory", skus=[sku]))
    history = sku_series(panel, sku).tail(365)
    st.markdown("**Daily demand: history, forecast and P10-P90 interval**")
    st.altair_chart(
        charts.forecast_interval_chart(history[["date", "demand"]], daily_interval(result)),
        width="stretch",
    )
    bands = lead_time_bands(result, batch.horizon)
    st.markdown(
        "**Demand over a lead time: forecast, P50-P90 and P90-P99 (what safety stock uses)**"
    )
    st.altair_chart(charts.lead_time_band_chart(bands), width="stretch")
