"""Demand forecasting: demand panel, the catalogue method, backtests, lead-time quantiles.

Flow: ``demand_panel`` / ``workspace_panel`` (sales -> daily demand as of a date: stockout days
NaN only on inventory evidence, closed days NaN; R-T2) -> ``catalogue.run`` (one method for the
catalogue, chosen on pooled 28-day totals over six earlier periods: ``global_model``'s
gradient boosting across SKUs, the 28-day moving average or their mean) -> each SKU's errors at
those periods -> ``lead_time_quantiles`` (what safety stock uses) -> ``run_batch`` over a whole
workspace, cached. SKUs too young for a backtest get ``forecast_sku``'s peer-based estimate.
``backtest_workspace`` is the nested backtest (R-T3: every choice made before the origin it is
scored on; 28- and 56-day totals against the moving average and seasonal naive).

Public API::

    demand_panel(sales, inventory=None, *, channel=None, end=None, catalogue_totals=None)
    workspace_panel(ws, *, skus=None, end=None) -> DataFrame  # sku, date, units, in_stock,
                                                               # closed, demand
    sku_series(panel, sku) -> DataFrame
    run_batch(ws, *, horizon=None, progress=None, workers=None, as_of=None) -> BatchResult
    backtest_workspace(ws, *, horizon=28, origins=3, progress=None, as_of=None)
    lead_time_quantiles(sku_result, lead_time_days, qs=(0.5, 0.9, 0.95, 0.99))
        -> dict[float, float]                                # units over the lead time
    core.daily_interval(sku_result, qs=(0.1, 0.9)) -> DataFrame  # date, forecast, lower, upper

``SkuForecast`` carries ``model``, ``reason`` (one sentence), ``forecast`` (units/day from
``start``), ``scores`` (errors per method at the selection periods) and the relative errors
of its cumulative demand there. Stored workspace results: ``forecast``, ``forecast_models``,
``forecast_quantiles``, ``backtest``.

Per-SKU models (``forecast_sku``: Prophet through ``prophet_direct`` and ``mapfit``,
Croston-SBA, TSB, baselines) remain for single-SKU use and for young SKUs' peer estimate; the
batch no longer picks among them per SKU, which on real sales was worse than the moving
average (see the README's accuracy section).
"""

from stockcycle.demand import demand_panel, sku_series
from stockcycle.forecast.batch import (
    BacktestResult,
    BatchResult,
    backtest_workspace,
    run_batch,
)
from stockcycle.forecast.core import SkuForecast, forecast_sku, lead_time_quantiles

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
