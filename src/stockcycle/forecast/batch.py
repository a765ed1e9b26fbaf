"""Forecast every SKU of a workspace: processes, a cache, progress, stored results."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stockcycle.forecast.backtest import metrics
from stockcycle.forecast.core import (
    DEFAULT_LEAD_TIMES,
    DEFAULT_QUANTILES,
    SkuForecast,
    describe,
    error_quantiles,
    forecast_sku,
    lead_time_quantiles_many,
    pool_errors,
    prophet_candidate,
)
from stockcycle.forecast.demand import demand_panel
from stockcycle.forecast.events import events_path
from stockcycle.settings import Settings
from stockcycle.store import Workspace

Progress = Callable[[float, str], None]
CACHE_NAMESPACE = "forecast"
#: Bumped whenever a change of the models changes their numbers, so old cache entries die.
MODEL_VERSION = "6"
#: Backtest cuts used to choose each SKU's model in the batch forecast: the latest one. One
#: Prophet fit per cut is the main cost of a batch; the lead-time quantiles pool the errors of
#: the 30 SKUs nearest in level (``pool_errors``), so one cut per SKU still gives 30 error paths.
#: ``backtest_workspace`` (the ``backtest`` verb) evaluates every origin.
SELECTION_ORIGINS = 1
#: Environment variables that cap the BLAS thread pool of the worker processes (``run_tasks``).
BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass
class SkuTask:
    """Everything ``forecast_sku`` needs for one SKU, and nothing else (it is hashed)."""

    sku: str
    series: pd.DataFrame  # date, units, in_stock, demand (``demand_panel`` rows of the SKU)
    horizon: int
    settings: Settings
    promotions: pd.DataFrame | None
    stage: str | None  # the seller's override; else classified in the worker where it matters
    peers: float | None
    peer_source: str
    origins: int | None = None  # backtest cuts; None: settings.backtest_origins
    # Classify the stage with ``stockcycle.lifecycle.classify`` in the worker: only where it
    # shapes the forecast (``prophet_candidate``: Prophet's growth model) and not overridden.
    classify: bool = False

    def key(self) -> str:
        """Cache key: a hash of the SKU's demand, promotions, stage, peers, the settings that
        shape a forecast, the events file, the model version and, when the stage is classified
        here, every setting and the life-cycle classifier's source (its thresholds are
        settings; a new classifier may put the SKU in another stage)."""
        h = hashlib.sha256()
        h.update(
            f"{MODEL_VERSION}|{self.sku}|{self.horizon}|{self.stage}|{self.peers}|"
            f"{self.peer_source}|{self.origins}|".encode()
        )
        shaping = (
            self.settings.to_dict()
            if self.classify
            else {
                k: v
                for k, v in self.settings.to_dict().items()
                if k.startswith(("backtest_", "forecast_"))
            }
        )
        h.update(json.dumps(shaping, sort_keys=True, default=str).encode())
        if self.classify:
            h.update(_lifecycle_digest().encode())
        h.update(self.series["date"].to_numpy(dtype="datetime64[ns]").tobytes())
        h.update(np.nan_to_num(self.series["demand"].to_numpy(dtype=float), nan=-1.0).tobytes())
        if "units" in self.series.columns:
            h.update(self.series["units"].to_numpy(dtype=float).tobytes())
        if self.promotions is not None and len(self.promotions):
            h.update(self.promotions.to_csv(index=False).encode())
        h.update(_events_digest().encode())
        return h.hexdigest()


_EVENTS_DIGEST: str | None = None


def _events_digest() -> str:
    global _EVENTS_DIGEST
    if _EVENTS_DIGEST is None:
        _EVENTS_DIGEST = hashlib.sha256(events_path().read_bytes()).hexdigest()
    return _EVENTS_DIGEST


_LIFECYCLE_DIGEST: str | None = None


def _lifecycle_digest() -> str:
    global _LIFECYCLE_DIGEST
    if _LIFECYCLE_DIGEST is None:
        import stockcycle.lifecycle as lifecycle

        _LIFECYCLE_DIGEST = hashlib.sha256(Path(lifecycle.__file__).read_bytes()).hexdigest()
    return _LIFECYCLE_DIGEST


def _forecast_one(task: SkuTask) -> SkuForecast:
    stage = task.stage
    if stage is None and task.classify:
        # In the worker, so the classifier runs in parallel and only for SKUs not cached;
        # only where the stage shapes the forecast (Prophet's growth model).
        from stockcycle.lifecycle import classify

        stage = classify(task.series, settings=task.settings).stage
    return forecast_sku(
        task.series,
        horizon=task.horizon,
        settings=task.settings,
        promotions=task.promotions,
        stage=stage,
        peers=task.peers,
        sku=task.sku,
        peer_source=task.peer_source,
        origins=task.origins,
    )


def _worker_init() -> None:
    # Import Prophet (and its in-process fitter) and silence its loggers once per worker
    # process, not once per SKU.
    import stockcycle.forecast.mapfit  # noqa: F401
    from stockcycle.forecast.models import _quiet_cmdstanpy

    _quiet_cmdstanpy()


#: Modules the forkserver imports once, before it forks any worker (``start_forkserver``).
WORKER_PRELOAD = ["stockcycle.forecast.mapfit", "stockcycle.forecast.batch", "stockcycle.lifecycle"]
#: Sales rows from which a batch starts its worker processes' parent while reading the
#: workspace (``start_forkserver``); below that the batch is small and may run in one process.
EARLY_START_ROWS = 5_000


def _limit_blas_threads() -> None:
    # One BLAS thread per worker: the fits are small matrix-vector products, which OpenBLAS's
    # default pool (a thread per core in every process) does not speed up while its threads
    # spin on the cores the other workers need (100 SKUs in one process: the same 8 s wall
    # time with one thread or two, 14 s of CPU with two). The forkserver and its workers
    # read this when they load numpy; a value the user set wins.
    for var in BLAS_THREAD_VARS:
        os.environ.setdefault(var, "1")


def start_forkserver() -> None:
    """Start the process that forks the workers (``run_tasks``), with Prophet, its in-process
    fitter and the life-cycle classifier imported once (``WORKER_PRELOAD``), if it is not
    running yet. Called at the start of a large batch, so these imports (about a second)
    run while this process reads the workspace, and every worker starts ready."""
    from multiprocessing import forkserver

    _limit_blas_threads()
    forkserver.set_forkserver_preload(WORKER_PRELOAD)
    forkserver.ensure_running()


def _forecast_chunk(tasks: list[SkuTask]) -> list[SkuForecast]:
    return [_forecast_one(t) for t in tasks]


@dataclass
class BatchResult:
    results: dict[str, SkuForecast]
    computed: int  # SKUs fitted in this run (the rest came from the cache)
    cached: int
    horizon: int
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    quantiles: pd.DataFrame = field(default_factory=pd.DataFrame)

    def forecast_table(self) -> pd.DataFrame:
        """sku, date, forecast, model for every SKU."""
        res = list(self.results.values())
        if not res:
            return pd.DataFrame(columns=["sku", "date", "forecast", "model"])
        lens = np.array([len(r.forecast) for r in res])
        offsets = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
        starts = np.repeat(np.array([r.start for r in res], dtype="datetime64[ns]"), lens)
        return pd.DataFrame(
            {
                "sku": np.repeat([r.sku for r in res], lens),
                "date": starts + offsets.astype("timedelta64[D]"),
                "forecast": np.concatenate([r.forecast for r in res]),
                "model": np.repeat([r.model for r in res], lens),
            }
        )


def stage_overrides(ws: Workspace) -> tuple[dict[str, str], bool]:
    """The seller's stage overrides (R-S1: the seller can override the stage) and whether
    the life-cycle classifier exists. Without ``stockcycle.lifecycle`` every stage is unknown
    (linear growth); any other error propagates, since a wrong stage would silently change
    the growth model. Where no override exists, each SKU that Prophet may forecast
    (``prophet_candidate``) is classified in the worker with ``stockcycle.lifecycle.classify``
    on the same demand panel ``classify_workspace`` uses."""
    try:
        from stockcycle.lifecycle import OVERRIDE_NAME
    except ImportError:
        return {}, False
    pinned = {sku: str(v[OVERRIDE_NAME]) for sku, v in ws.overrides(OVERRIDE_NAME).items()}
    return pinned, True


def peer_levels(
    ws: Workspace, panel: pd.DataFrame, skus: list[str]
) -> dict[str, tuple[float, str]]:
    """Peer demand (units/day, where it came from) for each SKU (R-L1).

    The seller's similar SKUs first: the median recent level (mean demand of the last 28 days)
    of other SKUs in the same ``products.category`` with at least 84 days of history. Else the
    competitors: median ``monthly_sales`` / 30 of the latest Xray snapshot, restricted to the
    search named like the SKU's category when there is one.
    """
    products = ws.read("products")
    comp = ws.read("competitors")
    category = dict(zip(products["sku"].astype(str), products["category"], strict=False))
    grouped = panel.groupby("sku", sort=False)
    lengths = grouped.size()
    recent = grouped["demand"].apply(lambda s: s.iloc[-28:].mean())
    old = set(lengths[lengths >= 84].index.astype(str))
    out: dict[str, tuple[float, str]] = {}
    latest = comp[comp["snapshot_date"] == comp["snapshot_date"].max()] if len(comp) else comp
    for sku in skus:
        cat = category.get(sku)
        if isinstance(cat, str) and cat:
            same = [s for s, c in category.items() if c == cat and s != sku and s in old]
            vals = recent.reindex(same).dropna()
            if len(vals):
                out[sku] = (float(vals.median()), f"{len(vals)} similar SKUs in '{cat}'")
                continue
        if len(latest):
            pool = latest
            if isinstance(cat, str) and (latest["search"] == cat).any():
                pool = latest[latest["search"] == cat]
            sales = pool["monthly_sales"].dropna()
            if len(sales):
                out[sku] = (
                    float(sales.median() / 30.0),
                    f"{len(sales)} competitor ASINs (monthly sales / 30)",
                )
    return out


def build_tasks(
    ws: Workspace, horizon: int, settings: Settings, origins: int | None = None
) -> list[SkuTask]:
    """One task per SKU with sales: its demand series, promotions, stage and peers."""
    sales = ws.read("sales")
    panel = demand_panel(sales, ws.read("inventory"))
    promotions = ws.read("promotions")
    pinned, can_classify = stage_overrides(ws)
    lengths = panel.groupby("sku", sort=False).size()
    short = [str(s) for s, n in lengths.items() if n < 56 + settings.backtest_horizon_days]
    peers = peer_levels(ws, panel, short) if short else {}
    promo_by_sku = (
        {str(k): g for k, g in promotions.groupby(promotions["sku"].astype(str), sort=False)}
        if len(promotions)
        else {}
    )
    tasks = []
    cols = panel[["date", "units", "in_stock", "demand"]]
    for sku, idx in sorted(panel.groupby("sku", sort=False).indices.items()):
        sku = str(sku)
        peer, source = peers.get(sku, (None, "peers"))
        series = cols.take(idx).reset_index(drop=True)
        tasks.append(
            SkuTask(
                sku,
                series,
                horizon,
                settings,
                promo_by_sku.get(sku),
                pinned.get(sku),
                peer,
                source,
                origins,
                classify=(
                    can_classify
                    and sku not in pinned
                    and prophet_candidate(series, settings, origins)
                ),
            )
        )
    return tasks


def run_tasks(
    tasks: list[SkuTask], *, workers: int | None = None, progress: Progress | None = None
) -> list[SkuForecast]:
    """Forecast the tasks in ``workers`` processes (default ``os.cpu_count()``), in chunks of
    SKUs so each worker's start-up (a fresh interpreter importing Prophet) is paid once and
    each hand-over carries several SKUs; one process when ``workers`` is 1 or there are fewer
    than 8 tasks. Results come back in task order; the numbers do not depend on ``workers``
    (each SKU's fit depends on its own data only)."""
    workers = workers or os.cpu_count() or 1
    out: list[SkuForecast] = []
    n = len(tasks)
    if workers <= 1 or n < 8:
        for i, t in enumerate(tasks):
            out.append(_forecast_one(t))
            if progress:
                progress((i + 1) / n, f"forecast {i + 1:,}/{n:,} SKUs")
        return out
    # Small chunks late in the run keep both workers busy to the end; 4 chunks per worker
    # at least, at most 25 SKUs per chunk so progress moves.
    size = max(1, min(25, n // (workers * 4)))
    chunks = [tasks[i : i + size] for i in range(0, n, size)]
    # forkserver: a clean, single-threaded parent for the workers (safe under Streamlit's
    # threads); the workers live for the whole batch, and fork from a server that has
    # Prophet imported already (``start_forkserver``).
    start_forkserver()
    ctx = get_context("forkserver")
    with ProcessPoolExecutor(
        min(workers, len(chunks)), mp_context=ctx, initializer=_worker_init
    ) as pool:
        for part in pool.map(_forecast_chunk, chunks):
            out.extend(part)
            if progress:
                progress(len(out) / n, f"forecast {len(out):,}/{n:,} SKUs")
    return out


def _maybe_start_early(ws: Workspace, workers: int | None) -> None:
    """``start_forkserver`` before reading a workspace with ``EARLY_START_ROWS`` sales rows or
    more when the batch may use several processes (a warm rerun then leaves the server idle
    for the next batch)."""
    if (workers or os.cpu_count() or 1) > 1 and ws.row_counts()["sales"] >= EARLY_START_ROWS:
        start_forkserver()


def finish(results: list[SkuForecast]) -> None:
    """Pool each SKU's backtest errors with its nearest peers (see ``pool_errors``)."""
    for r, pooled in zip(results, pool_errors(results), strict=True):
        r.pooled_errors = pooled


def quantile_table(
    results: list[SkuForecast], lead_times: tuple[int, ...] = DEFAULT_LEAD_TIMES
) -> pd.DataFrame:
    """sku, lead_time_days, mean, p50, p90, p95, p99 of lead-time demand (units)."""
    rows = []
    for r in results:
        many = lead_time_quantiles_many(r, lead_times, DEFAULT_QUANTILES)
        for lt in lead_times:
            q = many[lt]
            rows.append(
                {
                    "sku": r.sku,
                    "lead_time_days": lt,
                    "mean": float(np.sum(r.forecast[:lt]) if lt <= len(r.forecast) else np.nan),
                    **{f"p{round(k * 100)}": v for k, v in q.items()},
                }
            )
    return pd.DataFrame(rows)


def summary_table(results: list[SkuForecast]) -> pd.DataFrame:
    rows = []
    for r in results:
        row = describe(r)
        if r.model in r.scores:
            row.update({f"{k}": v for k, v in metrics(r.backtest, r.model).items()})
        rows.append(row)
    return pd.DataFrame(rows)


def run_batch(
    ws: Workspace,
    *,
    horizon: int | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> BatchResult:
    """Forecast every SKU with sales, reusing cached results where nothing changed.

    Each SKU's model is chosen on the latest backtest cut (``SELECTION_ORIGINS``), in
    ``workers`` processes (``run_tasks``).

    A SKU is recomputed only when its cache key (``SkuTask.key``: its demand, promotions,
    stage, peers, the forecast settings, the events file, the model version) is new. Results
    are stored in the workspace: ``forecast`` (sku, date, forecast, model), ``forecast_models``
    (model per SKU and why, backtest scores) and ``forecast_quantiles`` (lead-time demand
    quantiles for the default lead times).
    """
    settings = ws.settings()
    horizon = int(horizon or settings.forecast_horizon_days)
    if progress:
        progress(0.0, "reading the workspace")
    _maybe_start_early(ws, workers)
    tasks = build_tasks(ws, horizon, settings, SELECTION_ORIGINS)
    keys = [t.key() for t in tasks]
    cached = ws.cache_get_many(CACHE_NAMESPACE, keys)
    todo = [i for i, k in enumerate(keys) if k not in cached]
    results: list[SkuForecast | None] = [None] * len(tasks)
    for i, k in enumerate(keys):
        if k in cached:
            results[i] = pickle.loads(cached[k])
    if progress and not todo:
        progress(1.0, f"all {len(tasks):,} SKUs unchanged; nothing to recompute")
    fresh = run_tasks([tasks[i] for i in todo], workers=workers, progress=progress)
    for i, r in zip(todo, fresh, strict=True):
        results[i] = r
    if fresh:
        ws.cache_put_many(
            CACHE_NAMESPACE,
            {keys[i]: pickle.dumps(r, protocol=5) for i, r in zip(todo, fresh, strict=True)},
        )
    final = [r for r in results if r is not None]
    finish(final)
    batch = BatchResult(
        {r.sku: r for r in final},
        computed=len(fresh),
        cached=len(final) - len(fresh),
        horizon=horizon,
    )
    # The tables derived from all SKUs (summary, quantiles with pooled errors) are cached
    # under a key of every SKU's key, and stored results are rewritten only when they change:
    # an unchanged rerun then costs reading the workspace and the cache.
    digest = hashlib.sha256("\n".join([str(horizon), *keys]).encode()).hexdigest()
    tables_key, saved_key = f"batch|{digest}", "batch|saved"
    extra = ws.cache_get_many(CACHE_NAMESPACE, [tables_key, saved_key])
    if tables_key in extra:
        batch.summary, batch.quantiles = pickle.loads(extra[tables_key])
    else:
        batch.summary = summary_table(final)
        batch.quantiles = quantile_table(final)
        ws.cache_put_many(
            CACHE_NAMESPACE,
            {tables_key: pickle.dumps((batch.summary, batch.quantiles), protocol=5)},
        )
    if extra.get(saved_key) != digest.encode():
        params: dict[str, Any] = {"horizon": horizon, "skus": len(final), "computed": len(fresh)}
        table = batch.forecast_table()
        table["date"] = table["date"].dt.strftime("%Y-%m-%d")
        ws.save_result("forecast", table, params)
        ws.save_result("forecast_models", batch.summary, params)
        ws.save_result("forecast_quantiles", batch.quantiles, params)
        ws.cache_put_many(CACHE_NAMESPACE, {saved_key: digest.encode()})
    return batch


@dataclass
class BacktestResult:
    """``per_sku``: one row per SKU with the chosen model, why, and WAPE / MASE / bias / P90
    coverage for the chosen model and each baseline; ``overall``: the same measures over all
    SKUs, per model (``chosen``, ``seasonal_naive``, ``moving_average``)."""

    per_sku: pd.DataFrame
    overall: dict[str, dict[str, float]]
    horizon: int
    origins: int


def _coverage(results: list[SkuForecast], model: str | None, q: float = 0.9) -> dict[str, float]:
    """Share of (origin, day h) whose demand summed over days 1..h stayed at or below the P90
    of lead-time demand, per SKU. The P90 comes from errors pooled over the nearest SKUs with
    the other origins only (leave-one-origin-out), so no origin is judged by its own errors.
    ``model`` None means each SKU's chosen model, else a baseline name."""
    from stockcycle.forecast.backtest import LEVEL_FLOOR, cumulative_relative_errors

    tested = [r for r in results if r.backtest is not None]
    if model is not None:
        # Pool baselines among all SKUs: swap in the baseline's errors, same neighbours rule.
        tested = [
            SkuForecast(
                r.sku,
                model,
                "",
                r.demand_class,
                r.adi,
                r.cv2,
                r.history_days,
                r.level,
                r.start,
                r.forecast,
                r.backtest,
                r.scores,
                cumulative_relative_errors(r.backtest.actual, r.backtest.forecasts[model]),
            )
            for r in tested
        ]
    hits: dict[str, list[float]] = {r.sku: [] for r in tested}
    max_origins = max((r.backtest.actual.shape[0] for r in tested), default=0)
    for k in range(max_origins):
        pooled = pool_errors(tested, exclude_origin=k)
        for r, pool in zip(tested, pooled, strict=True):
            n_o = r.backtest.actual.shape[0]
            i = n_o - 1 - k
            if i < 0 or pool is None or len(pool) == 0:
                continue
            f = r.backtest.forecasts[r.model][i]
            a = r.backtest.actual[i]
            fc = np.cumsum(f)
            ac = np.cumsum(np.where(np.isnan(a), f, a))
            h = np.arange(1, len(f) + 1)
            p90 = fc + error_quantiles(pool, q)[: len(f)] * np.maximum(fc, LEVEL_FLOOR * h)
            hits[r.sku].extend((ac <= p90 + 1e-9).tolist())
    return {s: float(np.mean(v)) for s, v in hits.items() if v}


def backtest_workspace(
    ws: Workspace,
    *,
    horizon: int = 28,
    origins: int = 3,
    progress: Progress | None = None,
    workers: int | None = None,
) -> BacktestResult:
    """Rolling-origin evaluation of every SKU (R-K6): the chosen model against the seasonal
    naive (7-day season) and 28-day moving average baselines.

    Per SKU and overall: WAPE = sum |A - F| / sum A, MASE (weekly seasonal-naive scale),
    bias = sum (F - A) / sum A, and P90 coverage (``_coverage``). Overall WAPE and bias sum
    over all SKUs' days; overall MASE and coverage are means over SKUs. SKUs too new for a
    backtest are listed with their model and no scores. Stored as the workspace result
    ``backtest`` (params hold the overall figures). Uses the forecast cache, so a backtest
    after a forecast with the same settings fits nothing.
    """
    from dataclasses import replace

    from stockcycle.forecast.backtest import bias, mase, wape

    settings = replace(
        ws.settings(), backtest_horizon_days=int(horizon), backtest_origins=int(origins)
    )
    _maybe_start_early(ws, workers)
    tasks = build_tasks(ws, settings.forecast_horizon_days, settings)
    keys = [t.key() for t in tasks]
    cached = ws.cache_get_many(CACHE_NAMESPACE, keys)
    todo = [i for i, k in enumerate(keys) if k not in cached]
    fresh = run_tasks([tasks[i] for i in todo], workers=workers, progress=progress)
    if fresh:
        ws.cache_put_many(
            CACHE_NAMESPACE,
            {keys[i]: pickle.dumps(r, protocol=5) for i, r in zip(todo, fresh, strict=True)},
        )
    by_index = dict(zip(todo, fresh, strict=True))
    results = [
        by_index[i] if i in by_index else pickle.loads(cached[k]) for i, k in enumerate(keys)
    ]
    models = {
        "chosen": None,
        "seasonal_naive": "seasonal_naive",
        "moving_average": "moving_average",
    }
    cover = {name: _coverage(results, m) for name, m in models.items()}
    rows = []
    pooled_a: dict[str, list[np.ndarray]] = {n: [] for n in models}
    pooled_f: dict[str, list[np.ndarray]] = {n: [] for n in models}
    mases: dict[str, list[float]] = {n: [] for n in models}
    for r in results:
        row: dict[str, Any] = {
            "sku": r.sku,
            "model": r.model,
            "reason": r.reason,
            "demand_class": r.demand_class,
        }
        if r.backtest is not None:
            for name, m in models.items():
                f = r.backtest.forecasts[m or r.model]
                a = r.backtest.actual
                row[f"wape_{name}"] = wape(a.ravel(), f.ravel())
                row[f"mase_{name}"] = mase(a, f, r.backtest.scale)
                row[f"bias_{name}"] = bias(a.ravel(), f.ravel())
                row[f"coverage_p90_{name}"] = cover[name].get(r.sku, np.nan)
                pooled_a[name].append(a.ravel())
                pooled_f[name].append(f.ravel())
                mases[name].append(row[f"mase_{name}"])
        rows.append(row)
    overall: dict[str, dict[str, float]] = {}
    for name in models:
        if not pooled_a[name]:
            continue
        a = np.concatenate(pooled_a[name])
        f = np.concatenate(pooled_f[name])
        overall[name] = {
            "wape": wape(a, f),
            "bias": bias(a, f),
            "mase": float(np.nanmean(mases[name])) if mases[name] else np.nan,
            "coverage_p90": float(np.mean(list(cover[name].values()))) if cover[name] else np.nan,
        }
    per_sku = pd.DataFrame(rows)
    ws.save_result(
        "backtest", per_sku, {"horizon": horizon, "origins": origins, "overall": overall}
    )
    return BacktestResult(per_sku, overall, int(horizon), int(origins))
