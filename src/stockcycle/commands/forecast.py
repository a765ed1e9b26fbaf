"""Forecast verbs: forecast (every SKU, cached) and backtest (accuracy against baselines)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import pandas as pd

from stockcycle.commands.data import (
    add_workspace_arg,
    check_out,
    json_value,
    open_existing,
    printable,
    write_table,
)
from stockcycle.errors import InputError
from stockcycle.forecast.batch import BatchResult
from stockcycle.forecast.core import daily_interval
from stockcycle.forecast.models import MODEL_LABELS


def progress_line(frac: float, msg: str) -> None:
    end = "\n" if frac >= 1 else ""
    print(f"\r{msg} {frac:4.0%}", end=end, file=sys.stderr, flush=True)


def _as_of(text: str | None) -> date | None:
    """``--as-of YYYY-MM-DD``: the day the forecast is made on (nothing later is read)."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise InputError(
            f"--as-of '{text}'", column="--as-of", expected="a date as YYYY-MM-DD"
        ) from err


def forecast_file_table(batch: BatchResult) -> pd.DataFrame:
    """``sku, date, forecast, p10, p50, p90, model``: the daily forecast of every SKU with
    the P10/P50/P90 of each day (``core.daily_interval``: measured backtest errors; blank
    where a SKU has none)."""
    frames = []
    for r in batch.results.values():
        low_high = daily_interval(r, (0.1, 0.9))
        middle = daily_interval(r, (0.5, 0.5))
        frames.append(
            pd.DataFrame(
                {
                    "sku": r.sku,
                    "date": low_high["date"].dt.strftime("%Y-%m-%d"),
                    "forecast": low_high["forecast"],
                    "p10": low_high["lower"],
                    "p50": middle["lower"],
                    "p90": low_high["upper"],
                    "model": r.model,
                }
            )
        )
    columns = ["sku", "date", "forecast", "p10", "p50", "p90", "model"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def cmd_forecast(args: argparse.Namespace) -> int:
    from stockcycle.forecast import run_batch

    check_out(args.out)  # a wrong suffix fails before the forecast runs, not after
    ws = open_existing(args.workspace)
    as_of = _as_of(args.as_of)
    batch = run_batch(
        ws, horizon=args.horizon, progress=progress_line, workers=args.workers, as_of=as_of
    )
    first = min((r.start for r in batch.results.values()), default=None)
    as_of_text = (first - pd.Timedelta(days=1)).date().isoformat() if first is not None else None
    if args.out:
        # The one formula-safe writer: .csv or .xlsx, any other suffix refused.
        write_table(forecast_file_table(batch), args.out, "forecast")
    if args.json:
        print(
            json.dumps(
                {
                    "as_of": as_of_text,
                    "horizon": batch.horizon,
                    "skus": len(batch.results),
                    "computed": batch.computed,
                    "cached": batch.cached,
                    "models": [
                        json_value(r)
                        for r in batch.summary[["sku", "model", "reason"]].to_dict("records")
                    ],
                    "out": str(args.out) if args.out else None,
                },
                indent=2,
            )
        )
        return 0
    print(
        f"forecast {len(batch.results):,} SKUs over {batch.horizon} days from {as_of_text} "
        f"({batch.computed:,} computed, {batch.cached:,} from the cache)"
    )
    for model, n in batch.summary["model"].value_counts().items():
        print(f"  {MODEL_LABELS.get(str(model), model)}: {n:,} SKUs")
    if args.out:
        print(f"wrote {batch.horizon * len(batch.results):,} rows to {printable(args.out)}")
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from stockcycle.forecast import backtest_workspace

    ws = open_existing(args.workspace)
    res = backtest_workspace(
        ws,
        horizon=args.horizon,
        origins=args.origins,
        progress=progress_line,
        as_of=_as_of(args.as_of),
    )
    if args.json:
        per_sku = [json_value(r) for r in res.per_sku.to_dict("records")]
        print(
            json.dumps(
                {
                    "horizon": res.horizon,
                    "long_horizon": res.long_horizon,
                    "origins": res.origins,
                    "origin_dates": res.origin_dates,
                    "chosen": res.chosen,
                    "overall": json_value(res.overall),
                    "per_sku": per_sku,
                },
                indent=2,
            )
        )
        return 0
    h, long_h = res.horizon, res.long_horizon
    print(
        f"backtest: {res.origins} origins ({', '.join(res.origin_dates)}), totals over "
        f"{h} and {long_h} days, {len(res.per_sku):,} SKUs; every choice made with data "
        "before its origin"
    )
    print(f"  method chosen at each origin: {', '.join(res.chosen) or 'none'}")
    print(f"  {'':30s} {h}-day total error   bias   {long_h}-day total error   bias")
    for name, m in res.overall.items():
        label = "chosen" if name == "chosen" else MODEL_LABELS.get(name, name)
        print(
            f"  {label:30s} {m[f'total_wape_{h}']:>18.1%} {m[f'bias_{h}']:+6.1%} "
            f"{m[f'total_wape_{long_h}']:>21.1%} {m[f'bias_{long_h}']:+6.1%}"
        )
    chosen = res.overall.get("chosen", {})
    if chosen:
        print(
            f"  P90 covered {chosen[f'coverage_p90_{h}']:.0%} of {h}-day totals and "
            f"{chosen[f'coverage_p90_{long_h}']:.0%} of {long_h}-day totals (target 88-95%)"
        )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("forecast", help="forecast daily demand of every SKU (cached)")
    add_workspace_arg(p)
    p.add_argument(
        "--horizon",
        type=int,
        default=None,
        help="days ahead, 1-365 (default: the workspace setting, 90)",
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="write sku,date,forecast,p10,p50,p90,model to FILE.csv or FILE.xlsx",
    )
    p.add_argument("--as-of", help="forecast from this date (YYYY-MM-DD), reading no data after it")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_forecast)

    p = sub.add_parser("backtest", help="rolling-origin accuracy against baselines")
    add_workspace_arg(p)
    p.add_argument("--horizon", type=int, default=28, help="days per origin (default 28)")
    p.add_argument("--origins", type=int, default=3, help="number of origins (default 3)")
    p.add_argument("--as-of", help="end of the data the backtest may read (YYYY-MM-DD)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_backtest)
