"""The forecasting models: Prophet, intermittent-demand methods, baselines, peer-based launch.

Each model maps a demand history (NaN on stockout days) to a daily path over the horizon,
never negative. Prophet is imported inside ``prophet_path`` only: importing it costs about
half a second and most callers (pages, the CLI's other verbs) never need it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from stockcycle.forecast import intermittent
from stockcycle.forecast.events import holidays_frame

SEASON_DAYS = 7
MA_DAYS = 28
#: Cap of logistic growth as a multiple of the highest 28-day mean demand seen so far.
LOGISTIC_CAP_FACTOR = 1.5

MODEL_LABELS = {
    "prophet": "Prophet",
    "croston_sba": "Croston-SBA",
    "tsb": "TSB",
    "seasonal_naive": "Seasonal naive (7 days)",
    "moving_average": "28-day moving average",
    "peer": "Peer-based launch estimate",
    "global": "Catalogue model",
    "ensemble": "Catalogue model and 28-day average",
}


@dataclass
class ModelContext:
    """What a model may use besides the history. ``promo`` holds ds, lift per promotion day
    (history and future); ``growth`` is 'linear' or 'logistic'; ``init`` is a previous fit of
    the same SKU used to warm-start Prophet's optimiser (same optimum, fewer iterations)."""

    promo: pd.DataFrame | None = None
    growth: str = "linear"
    init: dict[str, Any] | None = field(default=None, repr=False)


def quiet_cmdstanpy() -> None:
    for name in ("cmdstanpy", "prophet", "prophet.plot"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.ERROR)
        logger.disabled = True  # cmdstanpy logs two INFO lines per fit through its own handler


def _observed(y: np.ndarray) -> np.ndarray:
    return y[~np.isnan(y)]


def moving_average_path(y: np.ndarray, horizon: int) -> np.ndarray:
    """Mean demand of the last 28 observed (in-stock) days, flat over the horizon."""
    obs = _observed(y)
    level = float(obs[-MA_DAYS:].mean()) if len(obs) else 0.0
    return np.full(horizon, max(level, 0.0))


def seasonal_naive_path(y: np.ndarray, horizon: int) -> np.ndarray:
    """Each future day repeats the same weekday of the last week: f(T+h) = y(T+h-7k).

    Stockout days (NaN) in the last week take the 28-day moving average instead.
    """
    last = y[-SEASON_DAYS:].copy()
    if len(last) < SEASON_DAYS:
        last = np.concatenate([np.full(SEASON_DAYS - len(last), np.nan), last])
    fill = moving_average_path(y, 1)[0]
    last[np.isnan(last)] = fill
    return np.resize(last, horizon).clip(min=0.0)


def croston_path(y: np.ndarray, horizon: int) -> np.ndarray:
    return np.full(horizon, intermittent.croston_sba(y))


def tsb_path(y: np.ndarray, horizon: int) -> np.ndarray:
    return np.full(horizon, intermittent.tsb(y))


def peer_level(own: np.ndarray, peer_daily: float | None, prior_days: float = 14.0) -> float:
    """Launch-day demand estimate blending the SKU's own first days with its peers.

    level = w * own_mean + (1 - w) * peer_daily, w = n / (n + 14), n = observed own days: the
    peers' demand (R-L1: comparable products' daily sales) counts like 14 days of own history,
    so after two weeks the SKU's own sales carry half the weight. Without peers: own mean.
    """
    obs = _observed(own)
    n = len(obs)
    own_mean = float(obs.mean()) if n else 0.0
    if peer_daily is None or not np.isfinite(peer_daily):
        return own_mean
    w = n / (n + prior_days)
    return float(w * own_mean + (1 - w) * peer_daily)


def prophet_params_to_init(params: dict[str, np.ndarray]) -> dict[str, Any]:
    """Prophet's fitted ``params`` (arrays of shape (1, k)) as an ``init`` for the next fit."""
    out: dict[str, Any] = {}
    for k, v in params.items():
        if k not in ("k", "m", "delta", "sigma_obs", "beta"):
            continue  # lp__ and the fitted trend are outputs, not parameters
        arr = np.asarray(v, dtype=float)
        out[k] = float(arr.ravel()[0]) if k in ("k", "m", "sigma_obs") else arr.reshape(-1)
    return out


#: Prophet settings, chosen by rolling-origin backtests on 60 ``stockcycle.curves`` curves
#: (3 origins x 28 days; pooled WAPE over the 36 smooth or erratic ones; for scale: the 28-day
#: moving average 0.246, the true expected demand 0.214). Prophet's defaults: 0.299, with the
#: yearly seasonality bending to fit a Prime Day the events file did not list (2026); with that
#: date listed: 0.279; yearly seasonality from two years only: 0.273; multiplicative
#: seasonality (a Q4 peak is a share of the current level, so it shrinks with a declining
#: product instead of pushing it to zero; exit curves 0.88 -> 0.74, decline 0.40 -> 0.35):
#: 0.270; prior scales 1 instead of 10 on seasonality and holidays (events seen two or three
#: times get regularised): 0.270; trend changepoints allowed up to 90% of the history instead
#: of 80%, so a decline that began in the last months can bend the trend: 0.265.
#: Yearly seasonality is on from one year of history (``YEARLY_MIN_DAYS``), with only
#: ``YEARLY_SHORT_ORDER`` = 3 Fourier pairs below two years (``YEARLY_FULL_DAYS``) and
#: Prophet's default 10 from two years. Prophet's own rule waits for two years; with one to
#: two years, its 10 pairs fitted the one-off spikes of a single year (a Prime Day, a stockout
#: recovery) and the rise of a young product: pooled WAPE 0.314 with 10 pairs from one year
#: against 0.270 from two years only; with 3 pairs for the one-to-two-year histories the gap
#: nearly closes (0.274 against 0.265), and those SKUs get the yearly term the seller expects
#: from one year of history on.
#: On those August-October windows Prophet still loses to the moving average on most maturity
#: and decline curves, and the per-SKU backtest picks the moving average.
PROPHET_OPTIONS: dict[str, Any] = {
    "seasonality_mode": "multiplicative",
    "seasonality_prior_scale": 1.0,
    "holidays_prior_scale": 1.0,
    "changepoint_range": 0.9,
    "weekly_seasonality": True,
    "daily_seasonality": False,
    "uncertainty_samples": 0,
}
#: Days of history from which Prophet fits a yearly seasonality, with ``YEARLY_SHORT_ORDER``
#: Fourier pairs below ``YEARLY_FULL_DAYS`` and Prophet's default order from there (see
#: ``PROPHET_OPTIONS`` for the measurements behind these numbers).
YEARLY_MIN_DAYS = 365
YEARLY_FULL_DAYS = 730
YEARLY_SHORT_ORDER = 3


def yearly_order(span_days: int) -> bool | int:
    """Prophet's ``yearly_seasonality`` for a history spanning ``span_days`` days (last date
    minus first): off below one year, 3 Fourier pairs from one year, Prophet's default 10 from
    two years (the figures are in ``PROPHET_OPTIONS``)."""
    if span_days >= YEARLY_FULL_DAYS:
        return True
    return YEARLY_SHORT_ORDER if span_days >= YEARLY_MIN_DAYS else False


def _empty_promo() -> pd.DataFrame:
    return pd.DataFrame({"ds": pd.Series(dtype="datetime64[ns]"), "lift": pd.Series(dtype=float)})


def prophet_path(
    y: np.ndarray, dates: pd.DatetimeIndex, horizon: int, ctx: ModelContext
) -> tuple[np.ndarray, dict[str, Any]]:
    """``prophet_forecast`` without the season shift."""
    path, params, _ = prophet_forecast(y, dates, horizon, ctx)
    return path, params


def prophet_forecast(
    y: np.ndarray, dates: pd.DatetimeIndex, horizon: int, ctx: ModelContext, window_days: int = 0
) -> tuple[np.ndarray, dict[str, Any], float]:
    """Prophet fit on the in-stock days, predicted over the next ``horizon`` days.

    Options in ``PROPHET_OPTIONS`` (multiplicative weekly seasonality, yearly seasonality from
    one year of history with 3 Fourier pairs below two years, ``yearly_order``); US holidays,
    Amazon events (``holidays_frame``) and past promotion days (one 'promotion' holiday) as
    holidays.
    ``growth='logistic'`` (launch and growth SKUs) caps the trend at 1.5x the highest 28-day
    mean demand so far (floor 0). Sampling off (``uncertainty_samples=0``): intervals come
    from backtest errors, not from Prophet. Stockout days (NaN) are left out of the fit, so
    Prophet sees them as missing days, not as zero demand. Future promotion days whose effect
    the history cannot teach (no past promotion) get the seller's ``expected_lift``.
    Prophet's model is fitted and predicted by ``prophet_direct``: the seasonal and holiday
    features come from a design matrix built once per calendar (Prophet's own feature code,
    cached per process), the posterior mode from ``mapfit`` (L-BFGS-B in this process, no
    cmdstan), the path from Prophet's trend and seasonality formulas; the same numbers as
    ``Prophet.fit`` + ``Prophet.predict`` with those options. Only when the optimiser fails
    does the fit go through ``mapfit.InProcessProphet`` (and its cmdstan fallback).
    ``ctx.init`` warm-starts the optimiser (from a previous optimum: same model,
    fewer iterations). Returns the path (clipped at 0), the fitted parameters for a warm
    start and the season shift: mean (1 + yearly) over the horizon / mean (1 + yearly) over the
    last ``window_days`` history days (multiplicative yearly component; 1.0 without yearly
    seasonality or window), i.e. how much the time of year alone moves demand between the days
    a backtest saw and the days being forecast.
    """
    from stockcycle.forecast import prophet_direct

    quiet_cmdstanpy()
    obs = ~np.isnan(y)
    future_dates = pd.date_range(dates[-1] + pd.Timedelta(days=1), periods=horizon, freq="D")
    first_year, last_year = dates[0].year, future_dates[-1].year
    hol = holidays_frame(first_year, last_year)
    promo = ctx.promo if ctx.promo is not None and len(ctx.promo) else None
    past_promo = (
        promo[(promo["ds"] >= dates[0]) & (promo["ds"] <= dates[-1])] if promo is not None else None
    )
    promo_key: tuple[Any, ...] = ()
    if past_promo is not None and len(past_promo):
        extra = pd.DataFrame(
            {"holiday": "promotion", "ds": promo["ds"], "lower_window": 0, "upper_window": 0}
        )
        hol = pd.concat([hol, extra], ignore_index=True)
        promo_key = tuple(promo["ds"].to_numpy(dtype="datetime64[ns]").tolist())
    yearly = yearly_order((dates[-1] - dates[0]).days)
    cap = None
    if ctx.growth == "logistic":
        peak = pd.Series(y).rolling(MA_DAYS, min_periods=7).mean().max()
        cap = max(float(np.nan_to_num(peak)), float(np.nanmean(y)), 0.1) * LOGISTIC_CAP_FACTOR
    # Whole calendar years: the same matrix serves every SKU and cut in those years.
    dsg = prophet_direct.design(
        pd.Timestamp(first_year, 1, 1),
        pd.Timestamp(last_year, 12, 31),
        yearly,
        hol,
        (first_year, last_year, promo_key),
        PROPHET_OPTIONS,
    )
    init = ctx.init
    if init and obs.sum() > prophet_direct.N_CHANGEPOINTS:
        # A warm start with another number of changepoints is dropped whole (as before the
        # direct fit: ``_compatible_init``), not mixed with Prophet's defaults.
        init = init if np.size(init.get("delta", [])) == prophet_direct.N_CHANGEPOINTS else None
    fitted = prophet_direct.fit(dates[obs], y[obs], dsg, ctx.growth, cap, init)
    if fitted is None:
        return _prophet_forecast_via_prophet(y, dates, horizon, ctx, window_days)
    shift = 1.0
    if yearly and window_days > 0:
        window = dates[-window_days:].append(future_dates)
        yhat, season_part = fitted.predict(window)
        season = 1.0 + season_part
        before, ahead = season[:window_days].mean(), season[window_days:].mean()
        shift = float(ahead / before) if before > 0 else 1.0
        path = yhat[window_days:]
    else:
        path, _ = fitted.predict(future_dates)
    if promo is not None and not len(past_promo):
        # No past promotion to learn from: the seller's expected lift, as for the baselines.
        path = apply_promotions(path, future_dates[0], promo)
    return path.clip(min=0.0), dict(fitted.params), shift


def _prophet_forecast_via_prophet(
    y: np.ndarray, dates: pd.DatetimeIndex, horizon: int, ctx: ModelContext, window_days: int = 0
) -> tuple[np.ndarray, dict[str, Any], float]:
    """``prophet_forecast`` through Prophet's own ``fit`` / ``predict`` with the in-process
    backend (which falls back to cmdstan): the path taken when the direct fit's optimiser
    fails from Prophet's initial values."""
    from stockcycle.forecast.mapfit import InProcessProphet

    quiet_cmdstanpy()
    obs = ~np.isnan(y)
    hist = pd.DataFrame({"ds": dates[obs], "y": y[obs]})
    future_dates = pd.date_range(dates[-1] + pd.Timedelta(days=1), periods=horizon, freq="D")
    hol = holidays_frame(dates[0].year, future_dates[-1].year)
    promo = ctx.promo if ctx.promo is not None and len(ctx.promo) else _empty_promo()
    past_promo = promo[(promo["ds"] >= dates[0]) & (promo["ds"] <= dates[-1])]
    if len(past_promo):
        extra = pd.DataFrame(
            {"holiday": "promotion", "ds": promo["ds"], "lower_window": 0, "upper_window": 0}
        )
        hol = pd.concat([hol, extra], ignore_index=True)
    yearly = yearly_order((dates[-1] - dates[0]).days)

    def make() -> Any:
        return InProcessProphet(
            growth=ctx.growth, yearly_seasonality=yearly, holidays=hol, **PROPHET_OPTIONS
        )

    model = make()
    fut = pd.DataFrame({"ds": future_dates})
    if ctx.growth == "logistic":
        peak = pd.Series(y).rolling(MA_DAYS, min_periods=7).mean().max()
        cap = max(float(np.nan_to_num(peak)), float(np.nanmean(y)), 0.1) * LOGISTIC_CAP_FACTOR
        hist["cap"], hist["floor"] = cap, 0.0
        fut["cap"], fut["floor"] = cap, 0.0
    init = _compatible_init(ctx.init, model, hist)
    try:
        model.fit(hist, **({"init": init} if init else {}))
    except RuntimeError:
        if not init:
            raise
        model = make()
        model.fit(hist)
    shift = 1.0
    if yearly and window_days > 0:
        past = pd.DataFrame({"ds": dates[-window_days:]})
        if ctx.growth == "logistic":
            past["cap"], past["floor"] = fut["cap"].iloc[0], 0.0
        pred = model.predict(pd.concat([past, fut], ignore_index=True))
        season = 1.0 + pred["yearly"].to_numpy(dtype=float)
        before, ahead = season[:window_days].mean(), season[window_days:].mean()
        shift = float(ahead / before) if before > 0 else 1.0
        path = pred["yhat"].to_numpy(dtype=float)[window_days:]
    else:
        path = model.predict(fut)["yhat"].to_numpy(dtype=float)
    if not len(past_promo):
        path = apply_promotions(path, future_dates[0], promo)
    return path.clip(min=0.0), prophet_params_to_init(model.params), shift


def _compatible_init(
    init: dict[str, Any] | None, model: Any, hist: pd.DataFrame
) -> dict[str, Any] | None:
    """``init`` when its shapes fit ``model`` on ``hist`` (same number of changepoints and of
    seasonal/holiday features), else None: Stan rejects a mismatched init, and a cut that
    drops a holiday or the yearly seasonality changes the feature count."""
    if not init:
        return None
    n_cp = model.n_changepoints if len(hist) > model.n_changepoints else None
    if n_cp is not None and np.size(init.get("delta", [])) != n_cp:
        return None
    return init


def apply_promotions(
    path: np.ndarray, start: pd.Timestamp, promo: pd.DataFrame | None
) -> np.ndarray:
    """Multiply future promotion days by (1 + expected_lift), for models that cannot learn
    promotion effects (baselines, intermittent methods, peers)."""
    if promo is None or promo.empty:
        return path
    days = pd.date_range(start, periods=len(path), freq="D")
    lift = promo.set_index("ds")["lift"].reindex(days).fillna(0.0).to_numpy()
    return path * (1.0 + lift)


def model_path(
    name: str, y: np.ndarray, dates: pd.DatetimeIndex, horizon: int, ctx: ModelContext
) -> tuple[np.ndarray, dict[str, Any] | None]:
    """Forecast path of model ``name`` over ``horizon`` days after ``dates[-1]``."""
    if name == "prophet":
        return prophet_path(y, dates, horizon, ctx)
    simple = {
        "moving_average": moving_average_path,
        "seasonal_naive": seasonal_naive_path,
        "croston_sba": croston_path,
        "tsb": tsb_path,
    }[name]
    path = simple(y, horizon)
    start = dates[-1] + pd.Timedelta(days=1)
    return apply_promotions(path, start, ctx.promo).clip(min=0.0), None
