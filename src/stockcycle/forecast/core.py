"""One SKU's forecast: model choice, backtest, forecast path and lead-time demand quantiles."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from stockcycle.errors import InputError
from stockcycle.forecast import intermittent
from stockcycle.forecast.backtest import (
    Backtest,
    cumulative_relative_errors,
    metrics,
    rolling_origin,
)
from stockcycle.forecast.events import promotion_days
from stockcycle.forecast.models import (
    MA_DAYS,
    MODEL_LABELS,
    ModelContext,
    apply_promotions,
    model_path,
    peer_level,
    prophet_forecast,
)
from stockcycle.settings import Settings

#: Days of history the shortest backtest training window needs.
MIN_TRAIN_DAYS = 56
BASELINES = ("seasonal_naive", "moving_average")
#: SKUs whose errors are pooled to estimate one SKU's error distribution (nearest in level).
POOL_SIZE = 30
DEFAULT_QUANTILES = (0.5, 0.9, 0.95, 0.99)
#: Lead times stored with the batch forecast (days): 7, 14, 30 and the seed's 30-60 day range.
DEFAULT_LEAD_TIMES = (7, 14, 30, 45, 60, 90)


@dataclass
class SkuForecast:
    """Everything known about one SKU's forecast; picklable, cached by the batch runner.

    ``errors`` are the chosen model's relative cumulative backtest errors (origins x H, see
    ``cumulative_relative_errors``); the batch runner may set ``pooled_errors`` to the errors
    of the SKUs nearest in level with the same model, which ``lead_time_quantiles`` prefers.
    """

    sku: str
    model: str
    reason: str
    demand_class: str
    adi: float
    cv2: float
    history_days: int
    level: float  # mean in-stock demand of the last 28 days, units/day
    start: pd.Timestamp  # first forecast day
    forecast: np.ndarray  # units/day from ``start``
    backtest: Backtest | None = None
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    errors: np.ndarray | None = None
    pooled_errors: np.ndarray | None = field(default=None, repr=False)
    stage: str | None = None

    def frame(self) -> pd.DataFrame:
        """The forecast as ``date, forecast, model``."""
        dates = pd.date_range(self.start, periods=len(self.forecast), freq="D")
        return pd.DataFrame({"date": dates, "forecast": self.forecast, "model": self.model})


def percent_text(x: float) -> str:
    """A share as a whole percent for a sentence, 'n/a' when undefined."""
    return "n/a" if not np.isfinite(x) else f"{x:.0%}"


def _history_text(days: int) -> str:
    return f"{days / 365:.1f} years" if days >= 365 else f"{days} days"


def usable_origins(n_days: int, settings: Settings, origins: int | None = None) -> int:
    """Backtest cuts a history of ``n_days`` days allows: at most ``origins`` (default
    ``settings.backtest_origins``), each leaving at least 56 training days."""
    wanted = settings.backtest_origins if origins is None else int(origins)
    return min(wanted, max(0, (n_days - MIN_TRAIN_DAYS) // settings.backtest_horizon_days))


def prophet_candidate(
    series_df: pd.DataFrame, settings: Settings, origins: int | None = None
) -> bool:
    """Whether ``forecast_sku`` will backtest Prophet on this SKU: smooth or erratic demand
    with enough history for a backtest (the only case where the life-cycle stage changes the
    forecast, through logistic growth)."""
    y = pd.to_numeric(series_df["demand"], errors="coerce").to_numpy(dtype=float)
    obs = y[~np.isnan(y)]
    return (
        usable_origins(len(y), settings, origins) > 0
        and len(obs) >= MA_DAYS
        and intermittent.classify_demand(y[-365:]) in ("smooth", "erratic")
    )


def forecast_sku(
    series_df: pd.DataFrame,
    *,
    horizon: int,
    settings: Settings | None = None,
    promotions: pd.DataFrame | None = None,
    stage: str | None = None,
    peers: float | None = None,
    sku: str = "",
    peer_source: str = "peers",
    origins: int | None = None,
) -> SkuForecast:
    """Forecast one SKU's daily demand ``horizon`` days past its last date.

    ``series_df`` has ``date`` and ``demand`` (NaN on stockout days), as ``sku_series``
    returns. The model is chosen, and the choice explained in one sentence:

    - fewer than 56 + H days (H = backtest horizon) or fewer than 28 in-stock days: the
      peer-based launch estimate (``peer_level``: ``peers`` units/day, from competitors or
      similar own SKUs, blended with the SKU's own days);
    - intermittent demand (ADI >= 1.32, CV2 < 0.49): Croston-SBA; lumpy (ADI >= 1.32,
      CV2 >= 0.49): TSB (its forecast decays through long zero runs, which suits the
      end of a lumpy item's life);
    - smooth or erratic: Prophet against the baselines (seasonal naive, 28-day moving
      average) in a rolling-origin backtest; the lowest WAPE wins, so Prophet is used only
      where it earns its place (never by override: keeping Prophet where it lost its own
      backtest because its yearly term predicted a change made real forecasts worse).
      ``stage`` launch/growth switches Prophet to logistic growth.

    ``origins`` backtest cuts (default ``settings.backtest_origins``), ``H`` days apart, the
    last one ``H`` days before the end; the batch forecast chooses on the latest cut only
    (``batch.SELECTION_ORIGINS``) and pools the errors over similar SKUs, while the backtest
    verb uses every origin. When Prophet wins, the final fit on the whole history starts from
    the optimum of the latest cut (warm start: same model, fewer optimiser iterations).

    Promotions (``promotions`` table rows; filtered to ``sku`` when it has a sku column) enter
    Prophet as holidays and the other models as the seller's expected lift.
    """
    settings = settings or Settings()
    if horizon < 1 or horizon > 365:
        raise InputError(f"horizon {horizon} days", expected="1 to 365 days")
    y = pd.to_numeric(series_df["demand"], errors="coerce").to_numpy(dtype=float)
    dates = pd.DatetimeIndex(pd.to_datetime(series_df["date"]))
    if len(y) == 0:
        raise InputError(f"SKU '{sku}' has no history", expected="at least one day of sales")
    promo_sku = sku if (promotions is not None and "sku" in promotions.columns and sku) else None
    promo = promotion_days(promotions, promo_sku)
    start = dates[-1] + pd.Timedelta(days=1)
    obs = y[~np.isnan(y)]
    level = float(obs[-MA_DAYS:].mean()) if len(obs) else 0.0
    adi, cv2 = intermittent.adi_cv2(y[-365:])
    dclass = intermittent.classify_demand(y[-365:])
    n = len(y)
    h = settings.backtest_horizon_days
    origins = usable_origins(n, settings, origins)
    growth = "logistic" if stage in ("launch", "growth") else "linear"
    ctx = ModelContext(promo=promo, growth=growth)

    if origins == 0 or len(obs) < MA_DAYS:
        lvl = peer_level(y, peers)
        path = apply_promotions(np.full(horizon, lvl), start, promo).clip(min=0.0)
        if peers is not None and np.isfinite(peers):
            reason = (
                f"Peer-based: only {n} days of history, so {peers:.1f}/day from "
                f"{peer_source} is blended with the SKU's own {len(obs)} in-stock days "
                f"(own mean {obs.mean() if len(obs) else 0:.1f}/day) -> {lvl:.1f}/day."
            )
        else:
            reason = (
                f"Own average: only {n} days of history and no peers to compare with, "
                f"so the mean of its {len(obs)} in-stock days ({lvl:.1f}/day)."
            )
        return SkuForecast(
            sku, "peer", reason, dclass, adi, cv2, n, level, start, path, stage=stage
        )

    if dclass in ("intermittent", "lumpy"):
        chosen = "croston_sba" if dclass == "intermittent" else "tsb"
        bt, _ = rolling_origin(y, dates, [chosen, *BASELINES], h, origins, ctx)
        scores = {m: metrics(bt, m) for m in bt.forecasts}
        reason = (
            f"{MODEL_LABELS[chosen]}: {dclass} demand (ADI {adi:.2f} >= 1.32, "
            f"CV² {cv2:.2f}); backtest WAPE {percent_text(scores[chosen]['wape'])} vs "
            f"{percent_text(scores['seasonal_naive']['wape'])} for seasonal naive."
        )
        path, _ = model_path(chosen, y, dates, horizon, ctx)
    else:
        bt, init = rolling_origin(y, dates, ["prophet", *BASELINES], h, origins, ctx)
        scores = {m: metrics(bt, m) for m in bt.forecasts}
        # Lowest WAPE wins; on a tie the simpler model (baselines listed after Prophet).
        ranked = sorted(
            bt.forecasts, key=lambda m: (np.nan_to_num(scores[m]["wape"], nan=9e9), m == "prophet")
        )
        chosen = ranked[0]
        final_ctx = ModelContext(promo=promo, growth=growth, init=init)
        if chosen == "prophet":
            p_path, _, _ = prophet_forecast(y, dates, horizon, final_ctx, window_days=origins * h)
        # Prophet is compared with the usual benchmark; a baseline with the model it beat.
        runner_up = "seasonal_naive" if chosen == "prophet" else "prophet"
        lead = (
            f"{_history_text(n)} of {dclass} demand"
            if chosen == "prophet"
            else f"beat Prophet on {dclass} demand"
        )
        reason = (
            f"{MODEL_LABELS[chosen]}: {lead}; backtest WAPE "
            f"{percent_text(scores[chosen]['wape'])} vs "
            f"{percent_text(scores[runner_up]['wape'])} for "
            f"{'Prophet' if runner_up == 'prophet' else 'seasonal naive (7 days)'}."
        )
        if growth == "logistic" and chosen == "prophet":
            reason = reason[:-1] + f"; logistic growth for a {stage} product."
        if chosen == "prophet":
            path = p_path
        else:
            path, _ = model_path(chosen, y, dates, horizon, final_ctx)
    errors = cumulative_relative_errors(bt.actual, bt.forecasts[chosen])
    return SkuForecast(
        sku,
        chosen,
        reason,
        dclass,
        adi,
        cv2,
        n,
        level,
        start,
        path,
        backtest=bt,
        scores=scores,
        errors=errors,
        stage=stage,
    )


def extend_path(path: np.ndarray, days: int) -> np.ndarray:
    """The forecast over ``days`` days; past its end, the mean of its last 28 days."""
    if days <= len(path):
        return path[:days]
    tail = float(path[-MA_DAYS:].mean()) if len(path) else 0.0
    return np.concatenate([path, np.full(days - len(path), tail)])


def _quantiles(x: np.ndarray, qs: Any) -> np.ndarray:
    """Column quantiles, ignoring NaN; ``np.quantile`` when there is none (``nanquantile``
    along an axis loops in Python, 50x slower)."""
    return np.nanquantile(x, qs, axis=0) if np.isnan(x).any() else np.quantile(x, qs, axis=0)


def error_quantiles(x: np.ndarray, qs: Any) -> np.ndarray:
    """Finite-sample quantiles of n error paths (rows of ``x``), per column.

    The q-quantile is the k-th smallest of the n values with k = ceil((n + 1) q) for q >= 0.5
    and k = floor((n + 1) q) for q < 0.5 (clipped to 1..n): the split-conformal rule
    (Lei, G'Sell, Rinaldo, Tibshirani & Wasserman, "Distribution-free predictive inference
    for regression", JASA 113 (2018)), under which a new path exceeds the upper quantile with
    probability at most 1 - q when paths are exchangeable. The plain empirical quantile of a
    few dozen paths sits too close to the middle and under-covers. NaN values are left out.
    """
    qs_arr = np.atleast_1d(np.asarray(qs, dtype=float))
    xs = np.sort(x, axis=0)  # NaN sort last
    n = np.maximum((~np.isnan(x)).sum(axis=0), 1)
    rank = np.where(
        qs_arr[:, None] >= 0.5,
        np.ceil((n + 1) * qs_arr[:, None]),
        np.floor((n + 1) * qs_arr[:, None]),
    )
    k = np.clip(rank, 1, n).astype(int) - 1
    out = np.take_along_axis(xs, k, axis=0)
    return out if np.ndim(qs) else out[0]


def growth_exponent(errors: np.ndarray) -> float:
    """How the spread of relative cumulative errors changes with the horizon h.

    Fitted as spread(h) ~ h^b by least squares on log(P90 - P10 of r[:, h]) against log h for
    h from H/4 to H; b = -0.5 for independent daily errors, 0 for a persistent level error,
    +0.5 for a level that drifts like a random walk. Clipped to [-0.5, 0.5]. Returns 0 when
    the spread cannot be measured.
    """
    hmax = errors.shape[1]
    hs = np.arange(max(1, hmax // 4), hmax + 1)
    p90, p10 = _quantiles(errors[:, hs - 1], [0.9, 0.1])
    spread = p90 - p10
    ok = spread > 0
    if ok.sum() < 3:
        return 0.0
    b = np.polyfit(np.log(hs[ok]), np.log(spread[ok]), 1)[0]
    return float(np.clip(b, -0.5, 0.5))


def relative_quantile_curves(
    errors: np.ndarray, lead_time: int, qs: tuple[float, ...]
) -> np.ndarray:
    """Quantiles of the relative error of demand summed over L = 1..``lead_time`` days,
    shape (len(qs), lead_time).

    For L <= H (the backtest horizon): the empirical quantiles of r[:, L]. Beyond H the
    backtest saw nothing, so the distribution at H is stretched around its median:
    r_q(L) = med_H + (r_q(H) - med_H) (L / H)^b, with b from ``growth_exponent`` (the trend of
    the spread the backtest itself measured between H/4 and H).
    """
    hmax = errors.shape[1]
    inside = error_quantiles(errors[:, : min(lead_time, hmax)], qs).reshape(len(qs), -1)
    if lead_time <= hmax:
        return inside
    med = float(np.nanmedian(errors[:, -1]))
    at_h = inside[:, -1:]
    ls = np.arange(hmax + 1, lead_time + 1, dtype=float)
    beyond = med + (at_h - med) * (ls / hmax) ** growth_exponent(errors)
    return np.hstack([inside, beyond])


def relative_quantiles(errors: np.ndarray, lead_time: int, qs: tuple[float, ...]) -> np.ndarray:
    """Quantiles of the relative error of demand summed over ``lead_time`` days (the last
    column of ``relative_quantile_curves``)."""
    return relative_quantile_curves(errors, lead_time, qs)[:, -1]


def lead_time_quantiles(
    sku_result: SkuForecast, lead_time_days: int, qs: tuple[float, ...] = DEFAULT_QUANTILES
) -> dict[float, float]:
    """Quantiles of the demand summed over the next ``lead_time_days`` days (units); see
    ``lead_time_quantiles_many`` for the method."""
    return lead_time_quantiles_many(sku_result, (lead_time_days,), qs)[lead_time_days]


def lead_time_quantiles_many(
    sku_result: SkuForecast, lead_times: tuple[int, ...], qs: tuple[float, ...] = DEFAULT_QUANTILES
) -> dict[int, dict[float, float]]:
    """Quantiles of the SKU's demand summed over the next L days for each L in ``lead_times``
    (units), as ``{L: {q: units}}``.

    Method (errors measured, not assumed): F(L) = forecast summed over days 1..L (beyond the
    forecast horizon, the mean of its last 28 days); Q_q(L) = max(0, F(L) (1 + r_q(L))) with
    r_q(L) the q-quantile (finite-sample rule of ``error_quantiles``) of the relative
    cumulative backtest errors at horizon L (``relative_quantile_curves``; pooled over the
    nearest SKUs in level with the same model when the batch runner set ``pooled_errors``,
    else the SKU's own origins). Using errors of sums over 1..L as they happened keeps their
    autocorrelation instead of assuming a sqrt(L) rule. Since demand is never negative,
    demand over L days is at least demand over any shorter L', so each quantile is made
    non-decreasing in L (running maximum over 1..L), and non-decreasing in q. A SKU with no
    backtest errors at all (peer-based launch estimate outside a batch) falls back to Poisson
    quantiles of F(L), a lower bound on the spread. This is what safety stock uses (R-G2, R-L4).
    """
    if not lead_times or min(lead_times) < 1:
        raise InputError(f"lead time {min(lead_times, default=0)} days", expected="at least 1 day")
    qs = tuple(float(q) for q in qs)
    longest = max(lead_times)
    cum = np.cumsum(extend_path(sku_result.forecast, longest))
    errors = sku_result.pooled_errors if sku_result.pooled_errors is not None else sku_result.errors
    if errors is None or errors.size == 0:
        from scipy.stats import poisson

        vals = np.nan_to_num(poisson.ppf(np.array(qs)[:, None], np.maximum(cum, 0.0)[None, :]))
    else:
        vals = np.maximum(0.0, cum[None, :] * (1.0 + relative_quantile_curves(errors, longest, qs)))
    # Running maximum over L and sorting over q: monotone in lead time and in q.
    vals = np.maximum.accumulate(vals, axis=1)
    order = np.argsort(qs)
    vals[order] = np.maximum.accumulate(vals[order], axis=0)
    return {lt: {q: float(vals[i, lt - 1]) for i, q in enumerate(qs)} for lt in lead_times}


def lead_time_bands(
    sku_result: SkuForecast,
    longest: int,
    qs: tuple[float, ...] = (0.5, 0.9, 0.99),
    points: int = 30,
) -> pd.DataFrame:
    """``lead_time_days, forecast, p50, p90, p99`` for up to ``points`` lead times from 1 to
    ``longest`` days: the forecast summed over each lead time and its quantiles from
    ``lead_time_quantiles_many`` (what the lead-time chart draws)."""
    lead_times = tuple(int(x) for x in np.unique(np.linspace(1, longest, points).astype(int)))
    cum = np.cumsum(extend_path(sku_result.forecast, longest))
    quantiles = lead_time_quantiles_many(sku_result, lead_times, qs)
    return pd.DataFrame(
        [
            {
                "lead_time_days": lt,
                "forecast": float(cum[lt - 1]),
                **{f"p{round(q * 100)}": v for q, v in quantiles[lt].items()},
            }
            for lt in lead_times
        ]
    )


def daily_interval(sku_result: SkuForecast, qs: tuple[float, float] = (0.1, 0.9)) -> pd.DataFrame:
    """A daily interval around the forecast line: ``date, forecast, lower, upper``.

    lower/upper on day h = max(0, f(h) (1 + d_q(h))), d_q(h) the q-quantile of the relative
    daily error at horizon h over the backtest origins (pooled like ``lead_time_quantiles``).
    The stored errors are relative to the cumulative forecast, r(h) = (A(1..h) - F(1..h)) /
    F(1..h); for a flat forecast F(1..h) = h f, so the daily error is
    d(h) = (A(h) - f) / f = h r(h) - (h - 1) r(h - 1), used as the approximation for any
    forecast. Beyond the backtest horizon H the mean quantiles of its last 7 days carry on.
    Empty bounds (NaN) without backtest errors. Source of the method: as in
    ``lead_time_quantiles``, measured errors instead of Prophet's sampled intervals.
    """
    frame = sku_result.frame()
    errors = sku_result.pooled_errors if sku_result.pooled_errors is not None else sku_result.errors
    n = len(frame)
    if errors is None or errors.size == 0 or n == 0:
        return frame.assign(lower=np.nan, upper=np.nan)
    hmax = errors.shape[1]
    h = np.arange(1, hmax + 1, dtype=float)
    weighted = errors * h
    daily = np.diff(np.hstack([np.zeros((errors.shape[0], 1)), weighted]), axis=1)
    dq = error_quantiles(daily, qs)  # (2, H)
    tail = np.nanmean(dq[:, -7:], axis=1, keepdims=True)
    if n > hmax:
        dq = np.hstack([dq, np.repeat(tail, n - hmax, axis=1)])
    dq = dq[:, :n]
    f = sku_result.forecast[:n]
    lower = np.maximum(0.0, f * (1.0 + dq[0]))
    upper = np.maximum(lower, f * (1.0 + dq[1]))
    return frame.assign(lower=lower, upper=upper)


def pool_errors(
    results: list[SkuForecast], size: int = POOL_SIZE, exclude_origin: int | None = None
) -> list[np.ndarray | None]:
    """For each SKU, the relative cumulative errors of the ``size`` SKUs nearest to it in
    demand level (log scale) that use the same model (any model for SKUs without a backtest),
    stacked. Three origins per SKU cannot give a 99th percentile; thirty SKUs' origins can.
    ``exclude_origin`` drops the origin that many steps before the last one (0 = the latest
    cut), so every SKU drops the same dates (leave-one-origin-out coverage checks).
    """
    with_err = [r for r in results if r.errors is not None]
    models = np.array([r.model for r in with_err])
    levels = np.log1p(np.array([r.level for r in with_err], dtype=float))
    out: list[np.ndarray | None] = []
    for r in results:
        idx = (
            np.flatnonzero(models == r.model) if r.errors is not None else np.arange(len(with_err))
        )
        if not len(idx):
            out.append(None)
            continue
        dist = np.abs(levels[idx] - np.log1p(r.level))
        near = idx[np.argsort(dist, kind="stable")[:size]]
        parts = []
        for i in near:
            e = with_err[i].errors
            if exclude_origin is not None:
                e = (
                    np.delete(e, e.shape[0] - 1 - exclude_origin, axis=0)
                    if exclude_origin < e.shape[0]
                    else e
                )
            if len(e):
                parts.append(e)
        width = min((p.shape[1] for p in parts), default=0)
        out.append(np.vstack([p[:, :width] for p in parts]) if parts else None)
    return out


def describe(result: SkuForecast) -> dict[str, Any]:
    """A flat summary row of one SKU's forecast for tables and JSON."""
    row: dict[str, Any] = {
        "sku": result.sku,
        "model": result.model,
        "model_label": MODEL_LABELS[result.model],
        "reason": result.reason,
        "demand_class": result.demand_class,
        "adi": result.adi,
        "cv2": result.cv2,
        "history_days": result.history_days,
        "level": result.level,
        "stage": result.stage,
    }
    return row
