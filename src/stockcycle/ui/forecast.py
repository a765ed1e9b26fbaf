"""Forecast page parts: run the batch forecast and the backtest, per-SKU accuracy, the model
and why, and the charts of one SKU (R-G2, R-K6). The computation is ``stockcycle.forecast``'s."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from stockcycle import charts
from stockcycle.demand import workspace_panel
from stockcycle.errors import InputError
from stockcycle.forecast import backtest_workspace, run_batch, sku_series
from stockcycle.forecast.core import daily_interval, lead_time_bands
from stockcycle.store import Workspace
from stockcycle.ui import show_error


def main(ws: Workspace) -> None:
    settings = ws.settings()
    # One batch per workspace: switching workspace must never show another workspace's forecast.
    batch_key = f"forecast_batch:{ws.path}"
    st.caption(
        "Products with at least a few months of sales share one forecasting method, chosen "
        "for your whole catalogue on how well it predicted the last six periods of "
        f"{settings.backtest_horizon_days} days: the catalogue model (learned from the daily "
        "sales of all your products), the same averaged with the 28-day average, or the "
        "28-day average itself. New products are estimated from similar products. "
        "**Run forecast** reuses cached results when nothing changed; **Run backtest** "
        "replays the choice on past dates, each time using only the data known then."
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
            done = backtest_workspace(
                ws,
                horizon=settings.backtest_horizon_days,
                origins=settings.backtest_origins,
                progress=lambda f, m: bar.progress(f, text=m),
            )
            bar.progress(1.0, text=f"backtest done: {done.origins} past dates")
        except InputError as err:
            show_error(err)

    stored = ws.load_result("backtest")
    if stored is not None:
        params, per_sku = stored
        show_backtest(params, per_sku)

    batch = st.session_state.get(batch_key)
    if batch is None:
        st.info("Run the forecast to see each SKU's model, why it was chosen, and its chart.")
        return
    st.subheader("Model per SKU")
    st.dataframe(
        batch.summary[["sku", "model_label", "reason"]].rename(
            columns={"sku": "SKU", "model_label": "Method", "reason": "Why"}
        ),
        width="stretch",
        hide_index=True,
    )
    sku = st.selectbox("SKU", list(batch.results))
    result = batch.results[sku]
    st.caption(result.reason)
    panel = workspace_panel(ws, skus=[sku])
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


def show_backtest(params: dict, per_sku: pd.DataFrame) -> None:
    """The stored nested backtest in a seller's words; the measures in the Explain expander."""
    from stockcycle.forecast.models import MODEL_LABELS

    overall = params.get("overall", {})
    h, long_h = params.get("horizon", 28), params.get("long_horizon", 56)
    chosen = overall.get("chosen")
    st.subheader("How accurate the forecast was")
    if not chosen:
        st.info("Not enough history for a backtest yet.")
        return
    ma = overall.get("moving_average", {})
    st.markdown(
        f"Forecast from {len(params.get('origin_dates', []))} past dates "
        f"({', '.join(params.get('origin_dates', []))}), each using only the data known then: "
        f"the {h}-day totals were off by **{chosen[f'total_wape_{h}']:.0%}** "
        f"(28-day average: {ma.get(f'total_wape_{h}', float('nan')):.0%}), the {long_h}-day "
        f"totals by **{chosen[f'total_wape_{long_h}']:.0%}** "
        f"(28-day average: {ma.get(f'total_wape_{long_h}', float('nan')):.0%}); the high "
        f"estimate (P90) covered {chosen[f'coverage_p90_{h}']:.0%} of the {h}-day totals."
    )
    rows = []
    for name, m in overall.items():
        rows.append(
            {
                "Method": "Chosen" if name == "chosen" else MODEL_LABELS.get(name, name),
                f"Error of the {h}-day total": m.get(f"total_wape_{h}"),
                f"Over (+) / under (-) forecast, {h} days": m.get(f"bias_{h}"),
                f"Error of the {long_h}-day total": m.get(f"total_wape_{long_h}"),
                f"Over (+) / under (-) forecast, {long_h} days": m.get(f"bias_{long_h}"),
            }
        )
    st.dataframe(
        pd.DataFrame(rows),
        width="stretch",
        hide_index=True,
        column_config={
            c: st.column_config.NumberColumn(format="percent") for c in rows[0] if c != "Method"
        },
    )
    with st.expander("Explain: how accuracy is measured"):
        st.markdown(
            "Nested rolling-origin backtest (R-T3). At each past date the method is chosen on "
            "the six earlier periods, the catalogue model is trained on the data up to that "
            "date, and nothing after it is read. Error of a total = sum over products of "
            "|forecast total - actual total| / sum of actual totals (WAPE of horizon totals); "
            "bias = sum (forecast - actual) / sum actual; P90 coverage = share of products "
            "and dates whose actual total stayed at or below the P90 (split-conformal quantile "
            "of the relative errors the 30 products nearest in level made at earlier periods); "
            f"pinball loss at 0.9: {chosen.get(f'pinball_p90_{h}', float('nan')):.3f} of the "
            f"actual total; daily WAPE {chosen.get('daily_wape', float('nan')):.0%}, MASE "
            f"{chosen.get('mase', float('nan')):.2f} (against the weekly seasonal naive "
            "error of the history). Stockout "
            "and closed days are left out of both totals."
        )
        st.dataframe(per_sku, width="stretch", hide_index=True)
