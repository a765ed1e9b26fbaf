"""Forecast accuracy, out of sample: the sample workspace and, given its file, real sales.

Loads a workspace (the sample, or a sales CSV with ``date, sku, units[, revenue]`` such as
the 300 real SKUs of UCI Online Retail II) into a temporary folder, runs the nested backtest
(the ``backtest`` verb: 3 origins, totals over 28 and 56 days, every choice made with data
before its origin) and prints, per method, the error of the 28- and 56-day totals and their
bias, the P90 coverage, and the targets:

- the chosen method's total error at least 10% (relative) below the 28-day moving average's,
  at 28 and at 56 days; bias within +/-5%;
- P90 coverage of the 28-day totals between 0.88 and 0.95;
- products without a sale in the 60 days before the data date forecast under 0.5 units per 28
  days (from the production forecast).

Usage: ``python benchmarks/bench_accuracy.py [--sales real_retail_dev.csv] [--origins 3]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from stockcycle.demand import workspace_panel
from stockcycle.forecast import backtest_workspace, run_batch
from stockcycle.ingest import parse_file
from stockcycle.sample import load_sample
from stockcycle.store import Workspace

GAIN_TARGET = 0.10
BIAS_LIMIT = 0.05
COVERAGE_RANGE = (0.88, 0.95)
DEAD_DAYS, DEAD_LIMIT = 60, 0.5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=Path, help="a sales CSV (default: the sample workspace)")
    parser.add_argument("--origins", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.open(Path(tmp) / "bench")
        t0 = time.perf_counter()
        if args.sales:
            ws.import_files([parse_file(args.sales)])
        else:
            load_sample(ws)
        t1 = time.perf_counter()
        res = backtest_workspace(ws, horizon=28, origins=args.origins)
        t2 = time.perf_counter()
        batch = run_batch(ws, horizon=28)
        t3 = time.perf_counter()
        panel = workspace_panel(ws)
    name = args.sales.name if args.sales else "sample workspace"
    print(
        f"{name}: {len(res.per_sku)} SKUs, loaded in {t1 - t0:.1f} s; nested backtest "
        f"({res.origins} origins: {', '.join(res.origin_dates)}) in {t2 - t1:.1f} s; "
        f"production forecast in {t3 - t2:.1f} s"
    )
    print(f"method chosen at each origin: {', '.join(res.chosen)}")
    print(f"{'method':16s} {'28-day':>8s} {'bias':>7s} {'56-day':>8s} {'bias':>7s}")
    for method, m in res.overall.items():
        print(
            f"{method:16s} {m['total_wape_28']:8.1%} {m['bias_28']:+7.1%} "
            f"{m['total_wape_56']:8.1%} {m['bias_56']:+7.1%}"
        )
    chosen, ma = res.overall["chosen"], res.overall["moving_average"]
    ok = True
    for days in (28, 56):
        gain = 1 - chosen[f"total_wape_{days}"] / ma[f"total_wape_{days}"]
        hit = gain >= GAIN_TARGET and abs(chosen[f"bias_{days}"]) <= BIAS_LIMIT
        ok &= hit
        print(
            f"{days}-day totals: {gain:+.1%} better than the moving average (target >= "
            f"{GAIN_TARGET:.0%}), bias {chosen[f'bias_{days}']:+.1%}: {'ok' if hit else 'MISSED'}"
        )
    cov = chosen["coverage_p90_28"]
    hit = COVERAGE_RANGE[0] <= cov <= COVERAGE_RANGE[1]
    ok &= hit
    print(
        f"P90 coverage of 28-day totals: {cov:.3f} (target {COVERAGE_RANGE}): "
        f"{'ok' if hit else 'MISSED'}"
    )
    last_sale = panel[panel["units"] > 0].groupby("sku")["date"].max()
    end = panel["date"].max()
    dead = [str(s) for s, d in last_sale.items() if (end - d).days >= DEAD_DAYS]
    worst = max((float(np.sum(batch.results[s].forecast[:28])) for s in dead), default=0.0)
    hit = worst < DEAD_LIMIT
    ok &= hit
    print(
        f"{len(dead)} SKUs without a sale in {DEAD_DAYS} days: largest 28-day forecast "
        f"{worst:.2f} units (target < {DEAD_LIMIT}): {'ok' if hit else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
