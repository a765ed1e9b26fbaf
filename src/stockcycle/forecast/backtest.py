"""Rolling-origin backtests and their accuracy measures (R-K6).

A backtest cuts the history at ``origins`` points, ``horizon`` days apart, ending ``horizon``
days before the last date; at each cut every candidate model is fitted on the days before it
and forecasts the next ``horizon`` days, which are compared with the demand that followed.
Stockout days (NaN demand) are left out of every measure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from stockcycle.forecast.models import SEASON_DAYS, ModelContext, model_path

#: Smallest forecast level (units/day) used to turn cumulative errors into relative ones, so a
#: forecast of zero does not divide by zero.
LEVEL_FLOOR = 0.01


@dataclass
class Backtest:
    """Per origin: the dates cut at, what happened (``actual``, NaN on stockouts) and each
    model's forecast, all arrays of shape (origins, horizon); ``scale`` is the MASE scale of
    each origin's training data."""

    cut_dates: list[pd.Timestamp]
    actual: np.ndarray
    forecasts: dict[str, np.ndarray] = field(default_factory=dict)
    scale: np.ndarray = field(default_factory=lambda: np.zeros(0))


def mase_scale(train: np.ndarray, season: int = SEASON_DAYS) -> float:
    """Mean absolute seasonal difference of the training data, mean |y_t - y_(t-7)| over
    pairs with both days in stock (Hyndman & Koehler, "Another look at measures of forecast
    accuracy", IJF 22 (2006), with the weekly season). 0 when undefined."""
    if len(train) <= season:
        return 0.0
    d = np.abs(train[season:] - train[:-season])
    d = d[~np.isnan(d)]
    return float(d.mean()) if len(d) else 0.0


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Weighted absolute percentage error: sum |A - F| / sum A over in-stock days (NaN
    actuals left out). NaN when there was no demand."""
    ok = ~np.isnan(actual)
    total = actual[ok].sum()
    return float(np.abs(actual[ok] - forecast[ok]).sum() / total) if total > 0 else float("nan")


def bias(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Relative bias: sum (F - A) / sum A over in-stock days; positive = over-forecast."""
    ok = ~np.isnan(actual)
    total = actual[ok].sum()
    return float((forecast[ok] - actual[ok]).sum() / total) if total > 0 else float("nan")


def mase(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> float:
    """Mean absolute scaled error over origins: mean over origins with a positive scale of
    MAE_o / scale_o, MAE_o over the in-stock days of origin o (Hyndman & Koehler 2006)."""
    vals = []
    for a, f, s in zip(
        np.atleast_2d(actual), np.atleast_2d(forecast), np.atleast_1d(scale), strict=True
    ):
        ok = ~np.isnan(a)
        if s > 0 and ok.any():
            vals.append(np.abs(a[ok] - f[ok]).mean() / s)
    return float(np.mean(vals)) if vals else float("nan")


def cumulative_relative_errors(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Relative errors of cumulative demand, shape (origins, horizon).

    r[o, h] = (A_o(1..h) - F_o(1..h)) / max(F_o(1..h), 0.01 h): the error of the demand summed
    over the first h days after origin o, relative to the forecast of that sum. Stockout days
    count as forecast (no error information). Because these are errors of sums, taken as
    they happened, they keep whatever autocorrelation the daily errors had: no sqrt(h) rule.
    """
    a = np.where(np.isnan(actual), forecast, actual)
    fc = np.cumsum(forecast, axis=1)
    ac = np.cumsum(a, axis=1)
    h = np.arange(1, fc.shape[1] + 1)
    return (ac - fc) / np.maximum(fc, LEVEL_FLOOR * h)


def rolling_origin(
    y: np.ndarray,
    dates: pd.DatetimeIndex,
    models: list[str],
    horizon: int,
    origins: int,
    ctx: ModelContext,
) -> tuple[Backtest, dict | None]:
    """Backtest ``models`` on ``origins`` cuts of ``y`` (see module docstring).

    Prophet fits are chained: each origin starts the optimiser from the previous origin's
    optimum (``init``), which lands on the same optimum in fewer iterations. Returns the
    backtest and Prophet's last parameters (to warm-start the final fit), if fitted.
    """
    n = len(y)
    cuts = [n - (origins - i) * horizon for i in range(origins)]
    actual = np.vstack([y[c : c + horizon] for c in cuts])
    bt = Backtest(
        cut_dates=[dates[c] for c in cuts],
        actual=actual,
        scale=np.array([mase_scale(y[:c]) for c in cuts]),
    )
    init = ctx.init
    for name in models:
        rows = []
        for c in cuts:
            sub = ModelContext(promo=ctx.promo, growth=ctx.growth, init=init)
            path, params = model_path(name, y[:c], dates[:c], horizon, sub)
            if params is not None:
                init = params
            rows.append(path)
        bt.forecasts[name] = np.vstack(rows)
    return bt, (init if "prophet" in models else None)


def metrics(bt: Backtest, model: str) -> dict[str, float]:
    """WAPE, MASE and bias of one model over all origins of a backtest."""
    f = bt.forecasts[model]
    return {
        "wape": wape(bt.actual.ravel(), f.ravel()),
        "mase": mase(bt.actual, f, bt.scale),
        "bias": bias(bt.actual.ravel(), f.ravel()),
    }
