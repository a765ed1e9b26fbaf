"""Forecast accuracy on the sample workspace: the chosen model against seasonal naive.

Loads ``sample_data/`` into a temporary workspace, runs the rolling-origin backtest (the
``backtest`` verb: 3 origins x 28 days by default) and prints, per model (each SKU's chosen
model, seasonal naive with a 7-day season, 28-day moving average): overall WAPE, MASE, bias and
P90 coverage; how many SKUs use each model; and the two targets:

- the chosen model's overall WAPE at least 15% below seasonal naive's;
- P90 coverage of the chosen model's lead-time demand between 0.85 and 0.95.

Usage: ``python benchmarks/bench_accuracy.py [--horizon 28] [--origins 3] [--workers N]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from stockcycle.forecast import backtest_workspace
from stockcycle.sample import load_sample
from stockcycle.store import Workspace

WAPE_GAIN_TARGET = 0.15
COVERAGE_RANGE = (0.85, 0.95)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.open(Path(tmp) / "sample")
        t0 = time.perf_counter()
        load_sample(ws)
        t1 = time.perf_counter()
        res = backtest_workspace(
            ws, horizon=args.horizon, origins=args.origins, workers=args.workers
        )
        t2 = time.perf_counter()
    print(
        f"sample workspace: {len(res.per_sku)} SKUs, loaded in {t1 - t0:.1f} s; backtest "
        f"{res.origins} origins x {res.horizon} days in {t2 - t1:.1f} s"
    )
    print(f"{'model':16s} {'WAPE':>7s} {'MASE':>6s} {'bias':>7s} {'P90 cov':>8s}")
    for name, m in res.overall.items():
        print(
            f"{name:16s} {m['wape']:7.1%} {m['mase']:6.2f} {m['bias']:+7.1%} "
            f"{m['coverage_p90']:8.1%}"
        )
    print("SKUs per chosen model:")
    for model, n in res.per_sku["model"].value_counts().items():
        print(f"  {model:16s} {n}")
    chosen, naive = res.overall["chosen"], res.overall["seasonal_naive"]
    gain = 1 - chosen["wape"] / naive["wape"]
    cov = chosen["coverage_p90"]
    ok_gain = gain >= WAPE_GAIN_TARGET
    ok_cov = COVERAGE_RANGE[0] <= cov <= COVERAGE_RANGE[1]
    print(
        f"WAPE gain over seasonal naive: {gain:.1%} (target >= {WAPE_GAIN_TARGET:.0%}): "
        f"{'ok' if ok_gain else 'MISSED'}"
    )
    print(
        f"P90 coverage: {cov:.3f} (target {COVERAGE_RANGE[0]}-{COVERAGE_RANGE[1]}): "
        f"{'ok' if ok_cov else 'MISSED'}"
    )
    return 0 if ok_gain and ok_cov else 1


if __name__ == "__main__":
    sys.exit(main())
