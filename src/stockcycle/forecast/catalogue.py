"""The catalogue's forecasting method, chosen out of sample, and the honest backtest (R-T3).

One method for the whole catalogue, chosen among ``METHODS`` on the error that sizes orders:
the horizon total (the demand summed over the next H days) pooled over every SKU and over
``SELECTION_CUTS`` rolling cuts that all lie before the day forecast from. Per-SKU picking on a
cut or two is close to random on real data (the winner of two origins won the third 42% of
the time against 33% by chance) and overfits; a pooled choice over six cuts does not.

- ``moving_average``: the mean demand of the known days among the last 28, the fallback and
  the benchmark every report shows;
- ``seasonal_naive``: each weekday as it was last week (a benchmark, never chosen);
- ``global``: ``global_model`` (one gradient-boosting model across the catalogue);
- ``ensemble``: the mean of the two above.

Every method's daily path is multiplied by the share of that weekday the shop was open over
the last 8 weeks (``global_model.open_share``), so closed weekdays get nothing (R-T2).

``backtest`` is nested: at each scored origin the method is chosen on cuts before it, the model
is trained on data up to it, and nothing after it is read (a candidate that sees the future
cannot be chosen, because the cuts it would win on are never shown to it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from stockcycle.forecast import global_model
from stockcycle.forecast.global_model import Panel

METHODS = ("global", "ensemble", "moving_average")
BENCHMARKS = ("moving_average", "seasonal_naive")
#: Rolling cuts the catalogue method is chosen on (all before the day forecast from).
SELECTION_CUTS = 6
#: Days of history the moving average reads.
MA_DAYS = 28

Progress = Callable[[float, str], None]


def recent_level(p: Panel, cut: int) -> np.ndarray:
    """Per SKU, the mean demand of the known days among days cut-27..cut (0 when none is
    known: a SKU that sold nothing for 28 days has no level)."""
    lo = max(0, cut + 1 - MA_DAYS)
    block = p.y[:, lo : cut + 1]
    known = ~np.isnan(block)
    return np.where(known, block, 0.0).sum(axis=1) / np.maximum(known.sum(axis=1), 1)


def moving_average(p: Panel, cut: int, horizon: int) -> np.ndarray:
    """(n_skus, horizon): the ``recent_level`` (the 28-day moving average), times the open
    share of each target weekday."""
    return recent_level(p, cut)[:, None] * _open_profile(p, cut, horizon)[None, :]


def seasonal_naive(p: Panel, cut: int, horizon: int) -> np.ndarray:
    """(n_skus, horizon): day h repeats the same weekday of the last week (0 where unknown)."""
    week = np.nan_to_num(p.y[:, max(0, cut - 6) : cut + 1])
    if week.shape[1] < 7:
        week = np.hstack([np.zeros((p.y.shape[0], 7 - week.shape[1])), week])
    return np.tile(week, (1, -(-horizon // 7)))[:, :horizon]


def _open_profile(p: Panel, cut: int, horizon: int) -> np.ndarray:
    """Open share of each target day's weekday, days cut+1..cut+horizon."""
    share = global_model.open_share(p, cut)
    days = p.dates[0] + pd.to_timedelta(np.arange(cut + 1, cut + 1 + horizon), unit="D")
    return share[days.day_of_week.to_numpy()]


@dataclass
class CutForecasts:
    """Every method's daily forecast (n_skus, horizon) from one origin (day index ``cut``)."""

    cut: int
    paths: dict[str, np.ndarray]


def forecasts_at(p: Panel, cut: int, horizon: int) -> CutForecasts:
    """Fit the global model on days up to ``cut`` and forecast every method from it."""
    model = global_model.fit(p, cut)
    ma = moving_average(p, cut, horizon)
    g = global_model.predict(model, p, horizon, origin=cut) if model is not None else ma
    return CutForecasts(
        cut,
        {
            "global": g,
            "ensemble": (g + ma) / 2.0,
            "moving_average": ma,
            "seasonal_naive": seasonal_naive(p, cut, horizon),
        },
    )


def actual_after(p: Panel, cut: int, horizon: int) -> np.ndarray:
    """(n_skus, horizon) demand of days cut+1..cut+horizon (NaN unknown or past the data)."""
    out = np.full((p.y.shape[0], horizon), np.nan)
    block = p.y[:, cut + 1 : cut + 1 + horizon]
    out[:, : block.shape[1]] = block
    return out


def total_errors(actual: np.ndarray, forecast: np.ndarray, days: int) -> tuple[np.ndarray, ...]:
    """Per SKU over the first ``days`` days, on known days only: (actual total, forecast
    total). Unknown days (stockouts, closed days) are left out of both sums (R-T2)."""
    a, f = actual[:, :days], forecast[:, :days]
    known = ~np.isnan(a)
    return np.where(known, a, 0.0).sum(axis=1), np.where(known, f, 0.0).sum(axis=1)


def alive_at(p: Panel, cut: int) -> np.ndarray:
    """SKUs with a known day on or before ``cut`` (they existed at the origin)."""
    return (~np.isnan(p.y[:, : cut + 1])).any(axis=1)


def pooled_wape(p: Panel, cuts: list[CutForecasts], days: int) -> dict[str, float]:
    """Each method's pooled horizon-total WAPE over ``cuts``: sum over cuts and SKUs of
    |F - A| / sum of A, F and A the totals over the ``days`` days after each cut (known days
    only, SKUs that existed at the cut). Empty when there was no demand to score."""
    num = dict.fromkeys(METHODS, 0.0)
    den = 0.0
    for cf in cuts:
        act = actual_after(p, cf.cut, days)
        alive = alive_at(p, cf.cut)
        for m in METHODS:
            a, f = total_errors(act, cf.paths[m], days)
            num[m] += float(np.abs(f - a)[alive].sum())
        den += float(total_errors(act, act, days)[0][alive].sum())
    return {m: num[m] / den for m in METHODS} if den > 0 else {}


def choose_method(
    p: Panel, cuts: list[CutForecasts], horizons: tuple[int, ...], last: int
) -> tuple[str, dict[int, dict[str, float]]]:
    """The method with the lowest sum, over ``horizons`` (28 and 56 days: the totals that
    size orders over a lead time), of its pooled horizon-total WAPE (``pooled_wape``) over
    the ``cuts`` whose window of that length ends by day ``last`` (nothing later is read).
    Returns (method, {days: {method: WAPE}}); the moving average when nothing can be scored.
    Ties go to the simpler method (the moving average, then the ensemble). Choosing on the
    28-day totals alone picked the ensemble at one of three dev-data origins, whose 56-day
    totals then ran 13% low; on both horizons the catalogue model was chosen at all three."""
    scores = {}
    for days in horizons:
        usable = [
            cf for cf in cuts if cf.cut + days <= last and cf.paths["global"].shape[1] >= days
        ]
        wapes = pooled_wape(p, usable, days)
        if wapes:
            scores[days] = wapes
    if not scores:
        return "moving_average", {}
    simple_first = ("moving_average", "ensemble", "global")
    total = {m: sum(s[m] for s in scores.values()) for m in simple_first}
    best = min(simple_first, key=lambda m: (round(total[m], 9), simple_first.index(m)))
    return best, scores


def selection_cuts(last: int, horizon: int, n: int = SELECTION_CUTS) -> list[int]:
    """Cuts ``last - horizon * j`` for j = 1..n whose windows end by ``last`` and that leave
    the global model some history (oldest first)."""
    cuts = [last - horizon * j for j in range(1, n + 1)]
    return sorted(c for c in cuts if c >= global_model.MIN_ORIGIN_HISTORY + horizon)


@dataclass
class CatalogueRun:
    """The production forecast: the chosen method, its path per SKU from day ``last`` + 1,
    the selection cuts' forecasts (for each SKU's errors and quantiles) and the scores."""

    method: str
    scores: dict[int, dict[str, float]]  # {days: {method: pooled horizon-total WAPE}}
    forecast: np.ndarray  # (n_skus, horizon)
    cuts: list[CutForecasts] = field(default_factory=list)
    selection_horizon: int = 28


def run(
    p: Panel,
    horizon: int,
    *,
    selection_horizon: int = 28,
    progress: Progress | None = None,
) -> CatalogueRun:
    """Choose the method on ``SELECTION_CUTS`` cuts before the panel's last day (on the totals
    over ``selection_horizon`` days and twice that), then forecast ``horizon`` days from that
    day with it (the global model refitted on all days)."""
    last = len(p.dates) - 1
    cut_days = selection_cuts(last, selection_horizon)
    cuts = []
    steps = len(cut_days) + 1
    for i, c in enumerate(cut_days):
        if progress:
            progress(i / steps, f"catalogue model: past cut {i + 1} of {len(cut_days)}")
        cuts.append(forecasts_at(p, c, 2 * selection_horizon))
    method, scores = choose_method(p, cuts, (selection_horizon, 2 * selection_horizon), last)
    if progress:
        progress((steps - 1) / steps, "catalogue model: final fit")
    forecast = (
        moving_average(p, last, horizon)
        if method == "moving_average"
        else forecasts_at(p, last, horizon).paths[method]
    )
    return CatalogueRun(method, scores, forecast, cuts, selection_horizon)


#: SKUs nearest in level whose errors are pooled for one SKU's interval (as ``core.POOL_SIZE``).
POOL_SIZE = 30


def pooled_upper(
    level: np.ndarray, forecast: np.ndarray, rel_errors: np.ndarray, q: float = 0.9
) -> np.ndarray:
    """Upper ``q`` quantile of each SKU's horizon total: F (1 + r_q), r_q the split-conformal
    quantile (``core.error_quantiles``) of the relative errors r = (A - F) / max(F, 0.01 H)
    that the ``POOL_SIZE`` SKUs nearest in log level made at earlier cuts. ``rel_errors``:
    (cuts, n_skus), NaN where unknown."""
    from stockcycle.forecast.core import error_quantiles

    logl = np.log1p(level)
    out = np.full(len(level), np.nan)
    has = ~np.isnan(rel_errors).all(axis=0)
    idx = np.flatnonzero(has)
    if not len(idx):
        return out
    for i in range(len(level)):
        near = idx[np.argsort(np.abs(logl[idx] - logl[i]), kind="stable")[:POOL_SIZE]]
        vals = rel_errors[:, near].ravel()
        vals = vals[~np.isnan(vals)]
        if len(vals):
            out[i] = forecast[i] * (1.0 + float(error_quantiles(vals[:, None], q)[0]))
    return np.maximum(out, 0.0)


def relative_error(actual_total: np.ndarray, forecast_total: np.ndarray, days: int) -> np.ndarray:
    """(A - F) / max(F, 0.01 days): as ``backtest.cumulative_relative_errors``."""
    from stockcycle.forecast.backtest import LEVEL_FLOOR

    return (actual_total - forecast_total) / np.maximum(forecast_total, LEVEL_FLOOR * days)


def mase_scales(p: Panel, cut: int) -> np.ndarray:
    """Per SKU, the MASE scale of its history up to ``cut``: mean |y_t - y_(t-7)| over the
    pairs of known days (Hyndman & Koehler, IJF 22 (2006), weekly season; as
    ``backtest.mase_scale``). 0 when undefined."""
    y = p.y[:, : cut + 1]
    if y.shape[1] <= 7:
        return np.zeros(y.shape[0])
    d = np.abs(y[:, 7:] - y[:, :-7])
    known = ~np.isnan(d)
    return np.where(known, d, 0.0).sum(axis=1) / np.maximum(known.sum(axis=1), 1)


@dataclass
class NestedBacktest:
    """Per scored origin: the date, the method chosen on the cuts before it; ``per_sku`` one
    row per SKU and origin; ``overall`` the pooled figures per method."""

    origins: list[pd.Timestamp]
    chosen: list[str]
    per_sku: pd.DataFrame
    overall: dict[str, dict[str, float]]
    horizons: tuple[int, int]


def backtest(
    p: Panel,
    *,
    horizon: int = 28,
    long_horizon: int = 56,
    origins: int = 3,
    progress: Progress | None = None,
) -> NestedBacktest:
    """Nested rolling-origin backtest (R-T3).

    Scored origins o_k, ``horizon`` days apart, the last ``long_horizon`` days before the end
    of the data. At each o_k: the method is chosen (``choose_method``, on the totals over
    ``horizon`` and ``long_horizon`` days) on the cuts o_k - horizon j, j = 1..6, whose
    windows end by o_k; the global model is trained on days
    up to o_k; the P90 of each horizon total comes from the relative errors that the chosen
    method made at the cuts whose windows of that length end by o_k, pooled over the 30 SKUs
    nearest in level (``pooled_upper``). Nothing after o_k is read for anything scored at o_k.

    Per method (``chosen``, each of ``METHODS`` and the benchmarks), pooled over SKUs and
    origins: horizon-total WAPE = sum |F - A| / sum A and bias = sum (F - A) / sum A of the
    totals over ``horizon`` and ``long_horizon`` days (the headline: what sizes orders),
    daily WAPE; for ``chosen`` also the P90 coverage of the totals and the pinball loss at
    0.9 relative to the actual total; for ``chosen`` and the moving average the daily WAPE
    and MASE over the first ``horizon`` days (secondary figures).
    """
    last = len(p.dates) - 1
    scored = [last - long_horizon - horizon * k for k in range(origins)][::-1]
    scored = [o for o in scored if selection_cuts(o, horizon)]
    needed = sorted({c for o in scored for c in [o, *selection_cuts(o, horizon)]})
    at: dict[int, CutForecasts] = {}
    for i, c in enumerate(needed):
        if progress:
            progress(i / len(needed), f"backtest: model {i + 1} of {len(needed)}")
        at[c] = forecasts_at(p, c, long_horizon)
    rows = []
    chosen_by_origin = []
    for o in scored:
        inner = [at[c] for c in selection_cuts(o, horizon)]
        method, _ = choose_method(p, inner, (horizon, long_horizon), o)
        chosen_by_origin.append(method)
        alive = alive_at(p, o)
        act = actual_after(p, o, long_horizon)
        level = recent_level(p, o)
        upper = {}
        for days in (horizon, long_horizon):
            errs = []
            for cf in inner:
                if cf.cut + days > o:
                    continue
                a, f = total_errors(actual_after(p, cf.cut, days), cf.paths[method], days)
                e = relative_error(a, f, days)
                e[~alive_at(p, cf.cut)] = np.nan
                errs.append(e)
            f_total = total_errors(act, at[o].paths[method], days)[1]
            upper[days] = (
                pooled_upper(level, f_total, np.vstack(errs))
                if errs
                else np.full(len(level), np.nan)
            )
        paths = {"chosen": at[o].paths[method], **at[o].paths}
        scale = mase_scales(p, o)
        for i in np.flatnonzero(alive):
            row: dict[str, object] = {
                "sku": p.skus[i],
                "origin": p.dates[o].date(),
                "method": method,
            }
            for days in (horizon, long_horizon):
                a, _ = total_errors(act[i : i + 1], act[i : i + 1], days)
                row[f"actual_{days}"] = float(a[0])
                for name, path in paths.items():
                    row[f"{name}_{days}"] = float(
                        total_errors(act[i : i + 1], path[i : i + 1], days)[1][0]
                    )
                row[f"p90_{days}"] = float(upper[days][i])
            known = ~np.isnan(act[i, :horizon])
            row["daily_abs_error"] = float(
                np.abs(paths["chosen"][i, :horizon] - act[i, :horizon])[known].sum()
            )
            row["daily_abs_error_ma"] = float(
                np.abs(paths["moving_average"][i, :horizon] - act[i, :horizon])[known].sum()
            )
            if scale[i] > 0 and known.any():
                row["mase"] = row["daily_abs_error"] / known.sum() / scale[i]
                row["mase_ma"] = row["daily_abs_error_ma"] / known.sum() / scale[i]
            rows.append(row)
    per_sku = pd.DataFrame(rows)
    return NestedBacktest(
        [p.dates[o] for o in scored],
        chosen_by_origin,
        per_sku,
        _overall(per_sku, horizon, long_horizon),
        (horizon, long_horizon),
    )


def _overall(per_sku: pd.DataFrame, horizon: int, long_horizon: int) -> dict[str, dict[str, float]]:
    """Pooled figures per method from ``backtest``'s rows (see there)."""
    if per_sku.empty:
        return {}
    out: dict[str, dict[str, float]] = {}
    for name in ("chosen", *METHODS, "seasonal_naive"):
        figures: dict[str, float] = {}
        for days in (horizon, long_horizon):
            a = per_sku[f"actual_{days}"].to_numpy()
            f = per_sku[f"{name}_{days}"].to_numpy()
            total = a.sum()
            figures[f"total_wape_{days}"] = float(np.abs(f - a).sum() / total) if total else np.nan
            figures[f"bias_{days}"] = float((f - a).sum() / total) if total else np.nan
            if name == "chosen":
                q = per_sku[f"p90_{days}"].to_numpy()
                ok = ~np.isnan(q)
                figures[f"coverage_p90_{days}"] = (
                    float((a[ok] <= q[ok] + 1e-9).mean()) if ok.any() else np.nan
                )
                loss = np.maximum(0.9 * (a - q), 0.1 * (q - a))[ok].sum()
                figures[f"pinball_p90_{days}"] = (
                    float(loss / a[ok].sum()) if a[ok].sum() else np.nan
                )
        out[name] = figures
    a28 = per_sku[f"actual_{horizon}"].sum()
    if a28:
        out["chosen"]["daily_wape"] = float(per_sku["daily_abs_error"].sum() / a28)
        out["moving_average"]["daily_wape"] = float(per_sku["daily_abs_error_ma"].sum() / a28)
    if "mase" in per_sku.columns:
        out["chosen"]["mase"] = float(per_sku["mase"].mean())
        out["moving_average"]["mase"] = float(per_sku["mase_ma"].mean())
    return out
