"""Forecast every SKU of a workspace: processes, a cache, progress, stored results."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stockcycle import lifecycle
from stockcycle.demand import workspace_panel
from stockcycle.forecast import catalogue
from stockcycle.forecast.backtest import Backtest, cumulative_relative_errors, mase_scale, metrics
from stockcycle.forecast.core import (
    DEFAULT_LEAD_TIMES,
    DEFAULT_QUANTILES,
    MIN_TRAIN_DAYS,
    SkuForecast,
    describe,
    forecast_sku,
    lead_time_quantiles_many,
    percent_text,
    pool_errors,
    prophet_candidate,
)
from stockcycle.forecast.events import events_path
from stockcycle.forecast.global_model import Panel
from stockcycle.forecast.models import MODEL_LABELS
from stockcycle.settings import Settings
from stockcycle.store import Workspace

Progress = Callable[[float, str], None]
CACHE_NAMESPACE = "forecast"
#: Bumped whenever a change of the models changes their numbers, so old cache entries die.
MODEL_VERSION = "10"
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
        _LIFECYCLE_DIGEST = hashlib.sha256(Path(lifecycle.__file__).read_bytes()).hexdigest()
    return _LIFECYCLE_DIGEST


def _forecast_one(task: SkuTask) -> SkuForecast:
    stage = task.stage
    if stage is None and task.classify:
        # In the worker, so the classifier runs in parallel and only for SKUs not cached;
        # only where the stage shapes the forecast (Prophet's growth model).
        stage = lifecycle.classify(task.series, settings=task.settings).stage
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
    from stockcycle.forecast.models import quiet_cmdstanpy

    quiet_cmdstanpy()


#: Modules the forkserver imports once, before it forks any worker (``start_forkserver``).
WORKER_PRELOAD = ["stockcycle.forecast.mapfit", "stockcycle.forecast.batch", "stockcycle.lifecycle"]


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


def stage_overrides(ws: Workspace) -> dict[str, str]:
    """The seller's stage overrides (R-S1: the seller can override the stage). Where no
    override exists, each SKU that Prophet may forecast (``prophet_candidate``) is classified
    in the worker with ``stockcycle.lifecycle.classify`` on the same demand panel
    ``classify_workspace`` uses."""
    name = lifecycle.OVERRIDE_NAME
    return {sku: str(v[name]) for sku, v in ws.overrides(name).items()}


def peer_levels(
    ws: Workspace, panel: pd.DataFrame, skus: list[str]
) -> dict[str, tuple[float, str]]:
    """Peer demand (units/day, where it came from) for each SKU (R-L1).

    The seller's similar SKUs first: the median recent level (mean demand of the last 28 days)
    of other SKUs in the same ``products.category`` with at least 84 days of history. Else the
    competitors: median ``monthly_sales`` / 30 of the latest Xray snapshot of the search named
    like the SKU's category (case and spacing ignored). A SKU without such a search gets no
    competitor level: another product's search never stands in for it (R-L1, comparable
    products).
    """
    products = ws.read("products")
    comp = ws.read("competitors")
    # Blank categories and searches left out: a missing value is none, and comparing it fails.
    category = {
        str(s): str(c)
        for s, c in zip(products["sku"], products["category"], strict=False)
        if isinstance(c, str) and c
    }
    searches = {
        str(s): str(q)
        for s, q in zip(products["sku"], products["search"], strict=False)
        if isinstance(q, str) and q.strip()
    }
    grouped = panel.groupby("sku", sort=False)
    lengths = grouped.size()
    recent = grouped["demand"].apply(lambda s: s.iloc[-28:].mean())
    old = set(lengths[lengths >= 84].index.astype(str))
    out: dict[str, tuple[float, str]] = {}

    def norm(text: object) -> str:
        return " ".join(str(text).casefold().split())

    search_key = comp["search"].map(norm) if len(comp) else pd.Series(dtype="object")
    for sku in skus:
        cat = category.get(sku)
        if isinstance(cat, str) and cat:
            same = [s for s, c in category.items() if c == cat and s != sku and s in old]
            vals = recent.reindex(same).dropna()
            if len(vals):
                out[sku] = (float(vals.median()), f"{len(vals)} similar SKUs in '{cat}'")
                continue
        # The Xray search the seller named for the product, else the one named like its category.
        search = searches.get(sku, cat)
        if isinstance(search, str) and len(comp):
            pool = comp[search_key == norm(search)]
            if pool.empty:
                continue
            pool = pool[pool["snapshot_date"] == pool["snapshot_date"].max()]
            sales = pool["monthly_sales"].dropna()
            if len(sales):
                out[sku] = (
                    float(sales.median() / 30.0),
                    f"{len(sales)} competitor ASINs (monthly sales / 30)",
                )
    return out


def is_young(history_days: int, settings: Settings) -> bool:
    """Whether a SKU has too little history for a backtest (fewer than 56 + H days on its
    grid): it is forecast on its own, from its peers (``forecast_sku``'s launch estimate)."""
    return history_days < MIN_TRAIN_DAYS + settings.backtest_horizon_days


def build_tasks(
    ws: Workspace,
    horizon: int,
    settings: Settings,
    origins: int | None = None,
    *,
    panel: pd.DataFrame | None = None,
    young_only: bool = False,
) -> list[SkuTask]:
    """One task per SKU with sales (only the young ones with ``young_only``): its demand
    series, promotions, stage and peers. ``panel`` defaults to the workspace's demand panel
    as of its data date."""
    if panel is None:
        panel = workspace_panel(ws)
    promotions = ws.read("promotions")
    pinned = stage_overrides(ws)
    lengths = panel.groupby("sku", sort=False).size()
    short = [str(s) for s, n in lengths.items() if is_young(n, settings)]
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
        if young_only and not is_young(len(idx), settings):
            continue
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
                classify=sku not in pinned and prophet_candidate(series, settings, origins),
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


#: The columns of ``summary_table`` that every SKU has (``core.describe``).
SUMMARY_COLUMNS = (
    "sku",
    "model",
    "model_label",
    "reason",
    "demand_class",
    "adi",
    "cv2",
    "history_days",
    "level",
    "stage",
)


def summary_table(results: list[SkuForecast]) -> pd.DataFrame:
    rows = []
    for r in results:
        row = describe(r)
        if r.model in r.scores:
            row.update({f"{k}": v for k, v in metrics(r.backtest, r.model).items()})
        rows.append(row)
    # Without SKUs the table still has describe()'s columns, so callers can select them.
    return pd.DataFrame(rows, columns=None if rows else list(SUMMARY_COLUMNS))


def _catalogue_key(panel: pd.DataFrame, horizon: int, settings: Settings) -> str:
    """Cache key of the catalogue forecast: every SKU's demand and closed days, the horizon,
    the forecast settings, the events file and the model version (one SKU's new day changes
    the model every SKU is forecast by, so the whole catalogue is one entry)."""
    h = hashlib.sha256(f"catalogue|{MODEL_VERSION}|{horizon}|".encode())
    shaping = {
        k: v for k, v in settings.to_dict().items() if k.startswith(("backtest_", "forecast_"))
    }
    h.update(json.dumps(shaping, sort_keys=True, default=str).encode())
    h.update("\n".join(panel["sku"].astype(str).unique()).encode())
    h.update(panel["date"].to_numpy(dtype="datetime64[ns]").tobytes())
    h.update(np.nan_to_num(panel["demand"].to_numpy(dtype=float), nan=-1.0).tobytes())
    h.update(panel["closed"].to_numpy(dtype=bool).tobytes())
    h.update(_events_digest().encode())
    return h.hexdigest()


def _total_wape(bt: Backtest, model: str) -> float:
    """Error of the horizon totals over the backtest's cuts: sum over cuts of |F - A| / sum
    of A, F and A the totals over the known days after each cut (NaN without demand)."""
    a, f = catalogue.total_errors(bt.actual, bt.forecasts[model], bt.actual.shape[1])
    return float(np.abs(f - a).sum() / a.sum()) if a.sum() > 0 else float("nan")


def catalogue_results(
    panel: pd.DataFrame,
    horizon: int,
    settings: Settings,
    stages: dict[str, str],
    progress: Progress | None = None,
) -> list[SkuForecast]:
    """One ``SkuForecast`` per SKU of ``panel`` from the catalogue method
    (``catalogue.run``: chosen on six past cuts of ``backtest_horizon_days`` days, pooled
    over the catalogue). Each SKU keeps its own errors at those cuts, which give its
    lead-time quantiles (pooled over the SKUs nearest in level, ``finish``)."""
    from stockcycle.forecast import intermittent

    p = Panel.from_long(panel)
    h = settings.backtest_horizon_days
    run = catalogue.run(p, horizon, selection_horizon=h, progress=progress)
    method = run.method
    catalogue_wape = run.scores.get(h, {})
    overall = (
        f"over the last {len(run.cuts)} periods of {h} days its {h}-day totals were off by "
        f"{percent_text(catalogue_wape.get(method, np.nan))} across the catalogue, against "
        f"{percent_text(catalogue_wape.get('moving_average', np.nan))} for the 28-day average"
    )
    start = p.dates[-1] + pd.Timedelta(days=1)
    out = []
    for i, sku in enumerate(p.skus):
        y = p.y[i]
        known = ~np.isnan(y)
        first = int(np.argmax(known)) if known.any() else len(y)
        own = y[first:]
        alive = [cf for cf in run.cuts if cf.cut >= first]
        bt = None
        if alive:
            bt = Backtest(
                cut_dates=[p.dates[cf.cut + 1] for cf in alive],
                actual=np.vstack([catalogue.actual_after(p, cf.cut, h)[i] for cf in alive]),
                forecasts={
                    m: np.vstack([cf.paths[m][i, :h] for cf in alive]) for m in alive[0].paths
                },
                scale=np.array([mase_scale(y[first : cf.cut + 1]) for cf in alive]),
            )
        scores = (
            {m: {**metrics(bt, m), "total_wape": _total_wape(bt, m)} for m in bt.forecasts}
            if bt is not None
            else {}
        )
        mine = scores.get(method, {}).get("total_wape", np.nan)
        label = MODEL_LABELS[method]
        reason = (
            f"{label}: chosen for the whole catalogue ({len(p.skus):,} products) because {overall}"
            + (
                f"; this product's {h}-day totals were off by {percent_text(mine)}."
                if np.isfinite(mine)
                else "."
            )
        )
        obs = own[~np.isnan(own)]
        adi, cv2 = intermittent.adi_cv2(own[-365:])
        out.append(
            SkuForecast(
                sku,
                method,
                reason,
                intermittent.classify_demand(own[-365:]),
                adi,
                cv2,
                len(own),
                float(obs[-28:].mean()) if len(obs) else 0.0,
                start,
                run.forecast[i].copy(),
                backtest=bt,
                scores=scores,
                errors=(
                    cumulative_relative_errors(bt.actual, bt.forecasts[method])
                    if bt is not None
                    else None
                ),
                stage=stages.get(sku),
            )
        )
    return out


def run_batch(
    ws: Workspace,
    *,
    horizon: int | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    as_of: date | None = None,
) -> BatchResult:
    """Forecast every SKU with sales as of ``as_of`` (default: the workspace's data date),
    reusing cached results where nothing changed. Nothing after ``as_of`` is read.

    SKUs with enough history (``is_young``) share the catalogue method (``catalogue_results``,
    one cache entry for all of them); young SKUs get their own peer-based estimate
    (``forecast_sku``, cached per SKU, in ``workers`` processes).

    Results are stored in the workspace: ``forecast`` (sku, date, forecast, model),
    ``forecast_models`` (model per SKU and why, backtest scores) and ``forecast_quantiles``
    (lead-time demand quantiles for the default lead times).
    """
    settings = ws.settings()
    horizon = int(horizon or settings.forecast_horizon_days)
    if progress:
        progress(0.0, "reading the workspace")
    panel = workspace_panel(ws, end=as_of)
    tasks = build_tasks(ws, horizon, settings, SELECTION_ORIGINS, panel=panel, young_only=True)
    young = {t.sku for t in tasks}
    grown = panel[~panel["sku"].astype(str).isin(young)]
    keys = [t.key() for t in tasks]
    cat_key = _catalogue_key(grown, horizon, settings) if len(grown) else ""
    cached = ws.cache_get_many(CACHE_NAMESPACE, [*keys, cat_key] if cat_key else keys)
    results: list[SkuForecast] = []
    computed = 0
    if cat_key in cached:
        results.extend(pickle.loads(cached[cat_key]))
    elif cat_key:
        pinned = stage_overrides(ws)
        fresh_cat = catalogue_results(grown, horizon, settings, pinned, progress)
        ws.cache_put_many(CACHE_NAMESPACE, {cat_key: pickle.dumps(fresh_cat, protocol=5)})
        results.extend(fresh_cat)
        computed += len(fresh_cat)
    todo = [i for i, k in enumerate(keys) if k not in cached]
    fresh = run_tasks([tasks[i] for i in todo], workers=workers, progress=progress)
    if fresh:
        ws.cache_put_many(
            CACHE_NAMESPACE,
            {keys[i]: pickle.dumps(r, protocol=5) for i, r in zip(todo, fresh, strict=True)},
        )
    by_index = dict(zip(todo, fresh, strict=True))
    results.extend(
        by_index[i] if i in by_index else pickle.loads(cached[k]) for i, k in enumerate(keys)
    )
    computed += len(fresh)
    final = sorted(results, key=lambda r: r.sku)
    finish(final)
    if progress:
        progress(1.0, f"{computed:,} SKUs computed, {len(final) - computed:,} from the cache")
    batch = BatchResult(
        {r.sku: r for r in final},
        computed=computed,
        cached=len(final) - computed,
        horizon=horizon,
    )
    # The tables derived from all SKUs (summary, quantiles with pooled errors) are cached
    # under a key of every key, and stored results are rewritten only when they change:
    # an unchanged rerun then costs reading the workspace and the cache.
    digest = hashlib.sha256("\n".join([str(horizon), cat_key, *keys]).encode()).hexdigest()
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
    # A look back (``as_of``: a plan or replay as of an earlier day) is not the workspace's
    # current forecast: the stored tables keep the forecast from all the data.
    if as_of is None and extra.get(saved_key) != digest.encode():
        params: dict[str, Any] = {"horizon": horizon, "skus": len(final), "computed": computed}
        table = batch.forecast_table()
        # No SKU (a workspace without sales yet): an empty column of no dtype has no .dt.
        table["date"] = pd.to_datetime(table["date"]).dt.strftime("%Y-%m-%d")
        ws.save_result("forecast", table, params)
        ws.save_result("forecast_models", batch.summary, params)
        ws.save_result("forecast_quantiles", batch.quantiles, params)
        ws.cache_put_many(CACHE_NAMESPACE, {saved_key: digest.encode()})
    return batch


@dataclass
class BacktestResult:
    """``per_sku``: one row per SKU with its demand and its forecast totals summed over the
    scored origins, for the chosen method and each benchmark; ``overall``: per method
    (``chosen``, each catalogue method, the benchmarks) the pooled horizon-total WAPE and bias
    at ``horizon`` and ``long_horizon`` days, and for ``chosen`` the P90 coverage and pinball
    loss and the daily WAPE (``catalogue.backtest``); ``chosen``: the method chosen at each
    origin."""

    per_sku: pd.DataFrame
    overall: dict[str, dict[str, float]]
    horizon: int
    origins: int
    long_horizon: int = 56
    chosen: list[str] = field(default_factory=list)
    origin_dates: list[str] = field(default_factory=list)


def backtest_workspace(
    ws: Workspace,
    *,
    horizon: int = 28,
    origins: int = 3,
    progress: Progress | None = None,
    as_of: date | None = None,
) -> BacktestResult:
    """Nested rolling-origin evaluation of the catalogue method (R-T3, ``catalogue.backtest``):
    at each of ``origins`` origins ``horizon`` days apart, every choice is made with data
    before the origin and the totals of the next ``horizon`` and 2 x ``horizon`` days are
    scored against the 28-day moving average and the weekly seasonal naive. Data after
    ``as_of`` (default: the data date) is never read. Stored as the workspace result
    ``backtest`` (params hold the overall figures)."""
    panel = workspace_panel(ws, end=as_of)
    long_horizon = 2 * int(horizon)
    if panel.empty:
        return BacktestResult(pd.DataFrame(), {}, int(horizon), 0, long_horizon)
    p = Panel.from_long(panel)
    nested = catalogue.backtest(
        p, horizon=int(horizon), long_horizon=long_horizon, origins=int(origins), progress=progress
    )
    rows = nested.per_sku
    if rows.empty:
        per_sku = pd.DataFrame({"sku": p.skus})
    else:
        sums = [c for c in rows.columns if c.rsplit("_", 1)[-1].isdigit()]
        per_sku = rows.groupby("sku", as_index=False)[sums].sum()
        per_sku["model"] = rows.groupby("sku")["method"].last().to_numpy()
        for days in (int(horizon), long_horizon):
            a = per_sku[f"actual_{days}"]
            for name in ("chosen", "moving_average"):
                err = (per_sku[f"{name}_{days}"] - a).abs()
                per_sku[f"total_wape_{days}_{name}"] = err / a.where(a > 0)
    result = BacktestResult(
        per_sku,
        nested.overall,
        int(horizon),
        len(nested.origins),
        long_horizon,
        nested.chosen,
        [d.date().isoformat() for d in nested.origins],
    )
    ws.save_result(
        "backtest",
        per_sku,
        {
            "horizon": int(horizon),
            "long_horizon": long_horizon,
            "origins": len(nested.origins),
            "origin_dates": result.origin_dates,
            "chosen": nested.chosen,
            "overall": nested.overall,
        },
    )
    return result
