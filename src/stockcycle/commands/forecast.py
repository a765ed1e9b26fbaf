"""Forecast verbs: forecast (every SKU, cached) and backtest (accuracy against baselines)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from stockcycle.commands.data import add_workspace_arg, json_value, open_existing


def _progress_line(frac: float, msg: str) -> None:
    end = "\n" if frac >= 1 else ""
    print(f"\r{msg} {frac:4.0%}", end=end, file=sys.stderr, flush=True)


def cmd_forecast(args: argparse.Namespace) -> int:
    from stockcycle.forecast import run_batch

    ws = open_existing(args.workspace)
    batch = run_batch(ws, horizon=args.horizon, progress=_progress_line, workers=args.workers)
    table = batch.forecast_table()
    if args.out:
        table.assign(date=table["date"].dt.strftime("%Y-%m-%d")).to_csv(args.out, index=False)
    if args.json:
        print(
            json.dumps(
                {
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
        f"forecast {len(batch.results):,} SKUs over {batch.horizon} days "
        f"({batch.computed:,} computed, {batch.cached:,} from the cache)"
    )
    for model, n in batch.summary["model"].value_counts().items():
        print(f"  {model}: {n:,} SKUs")
    if args.out:
        print(f"wrote {len(table):,} rows to {args.out}")
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from stockcycle.forecast import backtest_workspace

    ws = open_existing(args.workspace)
    res = backtest_workspace(
        ws,
        horizon=args.horizon,
        origins=args.origins,
        progress=_progress_line,
        workers=args.workers,
    )
    if args.json:
        per_sku = [json_value(r) for r in res.per_sku.to_dict("records")]
        print(
            json.dumps(
                {
                    "horizon": res.horizon,
                    "origins": res.origins,
                    "overall": json_value(res.overall),
                    "per_sku": per_sku,
                },
                indent=2,
            )
        )
        return 0
    print(f"backtest: {res.origins} origins x {res.horizon} days, {len(res.per_sku):,} SKUs")
    for name, m in res.overall.items():
        print(
            f"  {name:15s} WAPE {m['wape']:.1%}  MASE {m['mase']:.2f}  "
            f"bias {m['bias']:+.1%}  P90 coverage {m['coverage_p90']:.0%}"
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
    p.add_argument("--out", type=Path, metavar="FILE", help="write sku,date,forecast,model CSV")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_forecast)

    p = sub.add_parser("backtest", help="rolling-origin accuracy against baselines")
    add_workspace_arg(p)
    p.add_argument("--horizon", type=int, default=28, help="days per origin (default 28)")
    p.add_argument("--origins", type=int, default=3, help="number of origins (default 3)")
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_backtest)
