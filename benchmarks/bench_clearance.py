"""Decline and Exit speed: the page rerun after a slider change, and the clearance service's
two layers (the workspace read once, the cheap functions every slider reruns).

1. Pages (AppTest, as ``bench_pages.py``): open Decline and Exit on the sample workspace, go to
   the step with the slider, move it once to warm the caches, then ``--repeat`` times between
   two values and time each rerun. Target (issue 14): <= 2 s.
2. Service, per decline and exit SKU of the sample: ``clearance.load_clearance`` (stage table,
   elasticity, the R-E2 exit date on the per-day cost schedule, ...) once, then the functions
   a slider reruns: ``scenarios`` + ``stock_left_curves``, ``sensitivity_grid`` (6 x 5),
   ``markdown`` (8 and 26 weeks), ``recommend``.

Usage: ``python benchmarks/bench_clearance.py [--repeat 5]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pages import PageBench, time_page  # noqa: E402

PAGES: dict[str, PageBench] = {
    "decline scenarios": PageBench("pages/8_Decline.py", 2, "Promotion length", (30, 60)),
    "decline heat map": PageBench("pages/8_Decline.py", 3, "Extra ads per day", (0, 50)),
    "exit markdown": PageBench("pages/9_Exit.py", 1, "Weeks to clear", (8, 16)),
}


def _timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from streamlit.logger import set_log_level

    set_log_level("error")
    with tempfile.TemporaryDirectory() as home:
        os.environ["STOCKCYCLE_HOME"] = home
        os.environ.pop("STOCKCYCLE_SHARED", None)
        from stockcycle import clearance
        from stockcycle.lifecycle import stage_table
        from stockcycle.sample import load_sample
        from stockcycle.store import Workspace

        ws = Workspace.open(Path(home) / "workspaces" / "sample")
        load_sample(ws)
        print(f"{'page':<18} {'median s':>9} {'max s':>7}  reruns after a slider change (warm)")
        for name, bench in PAGES.items():
            times = time_page(bench, ws.path, args.repeat)
            print(
                f"{name:<18} {statistics.median(times):>9.2f} {max(times):>7.2f}  "
                + ", ".join(f"{t:.2f}" for t in times)
            )

        stages = stage_table(ws)
        skus = sorted(stages.loc[stages["stage"].isin(["decline", "exit"]), "sku"])
        print(f"\nservice on {len(skus)} decline/exit SKUs (seconds; stage table passed in)")
        print(
            f"{'sku':<15} {'units':>6} {'load':>6} {'scen':>6} {'grid':>6} {'md 8w':>6} "
            f"{'md 26w':>6} {'rec':>6}"
        )
        for sku in skus:
            load, inp = _timed(clearance.load_clearance, ws, sku, stages=stages)
            t1, table = _timed(clearance.scenarios, inp, 30, 25.0)
            t1 += _timed(clearance.stock_left_curves, inp, table, 120)[0]
            t2, _ = _timed(clearance.sensitivity_grid, inp, None, (7, 14, 30, 45, 60, 90))
            t3, _ = _timed(clearance.markdown, inp, 8)
            t4, _ = _timed(clearance.markdown, inp, 26)
            t5, _ = _timed(clearance.recommend, inp)
            print(
                f"{sku:<15} {inp.on_hand:>6,.0f} {load:>6.2f} {t1:>6.3f} {t2:>6.3f} "
                f"{t3:>6.3f} {t4:>6.3f} {t5:>6.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
