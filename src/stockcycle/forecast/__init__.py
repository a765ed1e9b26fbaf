"""Demand forecasting: demand panel, models, backtests, lead-time quantiles, batch runs.

Flow: ``demand_panel`` (sales -> daily demand, stockout days NaN) -> ``forecast_sku`` (model
chosen per SKU and explained: Prophet, Croston-SBA / TSB, baselines or a peer-based launch
estimate) -> rolling-origin backtest errors -> ``lead_time_quantiles`` (what safety stock uses)
-> ``run_batch`` / ``backtest_workspace`` over a whole workspace, cached and in processes.

Public API::

    demand_panel(sales, inventory=None, *, channel=None, end=None) -> DataFrame
    sku_series(panel, sku) -> DataFrame                      # date, units, in_stock, demand
    forecast_sku(series_df, *, horizon, settings, promotions=None, stage=None,
                 peers=None, sku="") -> SkuForecast
    run_batch(ws, *, horizon=None, progress=None, workers=None) -> BatchResult  # cached
    backtest_workspace(ws, *, horizon=28, origins=3, progress=None) -> BacktestResult
    lead_time_quantiles(sku_result, lead_time_days, qs=(0.5, 0.9, 0.95, 0.99))
        -> dict[float, float]                                # units over the lead time
    core.lead_time_quantiles_many(sku_result, lead_times, qs) -> {L: {q: units}}
    core.daily_interval(sku_result, qs=(0.1, 0.9)) -> DataFrame  # date, forecast, lower, upper

``SkuForecast`` carries ``model``, ``reason`` (one sentence), ``forecast`` (units/day from
``start``), ``scores`` (backtest WAPE / MASE / bias per model) and the backtest errors.
Stored workspace results: ``forecast``, ``forecast_models``, ``forecast_quantiles``,
``backtest``. Prophet is imported lazily, only when a SKU is fitted with it.

Cost: the batch forecast chooses each SKU's model on one backtest cut (the latest
``backtest_horizon_days``) and pools errors over the 30 SKUs nearest in level for the
quantiles; the ``backtest`` verb scores every model on ``backtest_origins`` cuts. Prophet is
fitted only on smooth or erratic SKUs with enough history (intermittent ones go to
Croston-SBA / TSB): once at the cut, and once more on the whole history, warm-started, where
it won or where it has two years of history (its yearly seasonality then tells whether the
days ahead differ from the backtest window by more than 15%; if so, Prophet is kept). Each
Prophet fit is Prophet's model without Prophet's per-call machinery (``prophet_direct``): the
seasonal and holiday features come from a design matrix built once per calendar and process
(by Prophet's own feature code) and shared by every SKU and cut with those dates, the
posterior mode is found in this process (``mapfit``: L-BFGS-B on the Stan model's objective,
no cmdstan process or files), and the path is computed from Prophet's trend and seasonality
formulas; the numbers are those of ``Prophet.fit`` + ``Prophet.predict``. The life-cycle
stage (logistic growth for launch and growth SKUs) comes from ``stockcycle.lifecycle.classify``
or the seller's override, only for those SKUs; in a 1,000-SKU batch the classifier is about a
quarter of the workers' time. A large batch starts its workers' parent process (with Prophet
imported) while it reads the workspace.
"""

from stockcycle.forecast.batch import (
    BacktestResult,
    BatchResult,
    backtest_workspace,
    run_batch,
)
from stockcycle.forecast.core import SkuForecast, forecast_sku, lead_time_quantiles
from stockcycle.forecast.demand import demand_panel, sku_series

__all__ = [
    "BacktestResult",
    "BatchResult",
    "SkuForecast",
    "backtest_workspace",
    "demand_panel",
    "forecast_sku",
    "lead_time_quantiles",
    "run_batch",
    "sku_series",
]
