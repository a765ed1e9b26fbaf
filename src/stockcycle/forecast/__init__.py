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

``SkuForecast`` carries ``model``, ``reason`` (one sentence), ``forecast`` (units/day from
``start``), ``scores`` (backtest WAPE / MASE / bias per model) and the backtest errors.
Stored workspace results: ``forecast``, ``forecast_models``, ``forecast_quantiles``,
``backtest``. Prophet is imported lazily, only when a SKU is fitted with it.
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
