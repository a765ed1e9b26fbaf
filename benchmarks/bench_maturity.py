"""Maturity page speed: the rerun after a slider change, on the sample and on a large catalogue.

For each workspace: open the Maturity page with Streamlit's AppTest (the first run reads the
workspace once: forecast batch, supply, health, events), go to a step, move one of its sliders
once to warm every cache, then move it ``--repeat`` times to new values and time each
rerun (the whole script run, as the browser waits for it). Two steps are timed:

- *Thresholds* (step 2), "Event buffer (%)" 35, 40, ...: the thresholds of every SKU and the plan
  of the SKU in focus (``maturity.thresholds``, ``plan_maturity(skus=[focus])``);
- *ABC and EOQ* (step 3), "Cost of placing one order" 155, 160, ...: the whole maturity plan of
  every SKU (``maturity.plan_maturity``), which each new set of choices computes once.

Workspaces: the sample (21 maturity SKUs of 40), and with ``--copies N`` the sample's tables
repeated N times under new SKU names (N = 50: 2,000 SKUs, about 1,050 in maturity), whose
forecast batch runs cold first (timed too). Target: median rerun < 2 s (2-core machine;
timings depend on other load on the machine).

Usage: ``python benchmarks/bench_maturity.py [--copies 50] [--repeat 5] [--steps thresholds]``
or ``--workspace DIR`` to time an existing workspace (its forecast batch already run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/7_Maturity.py"
#: (step, slider label start, its values: the first warms the caches, then one rerun each; every
#: value is new, so no rerun is served from the page's cache of plans)
STEPS = {
    "thresholds": (1, "Event buffer", (35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85)),
    "abc_eoq": (2, "Cost of placing one order", (155.0, 160.0, 165.0, 170.0, 175.0, 180.0)),
}
TABLES = ("sales", "inventory", "products", "aging", "purchase_orders", "promotions")


def _check(at) -> None:
    if at.exception or at.error:
        problems = [e.value for e in at.exception] + [e.value for e in at.error]
        raise SystemExit(f"the page failed: {problems}")


def time_step(workspace: Path, step: int, slider: str, values: tuple, repeat: int) -> dict:
    """Seconds of the first page run and of each warm rerun after a slider change."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=3600)
    at.session_state["workspace_path"] = str(workspace)
    start = time.perf_counter()
    at.switch_page(PAGE).run()
    first = time.perf_counter() - start
    _check(at)
    next(r for r in at.radio if r.label == "Step").set_value(step).run()
    _check(at)

    def move(value: float) -> float:
        widget = next(s for s in at.slider if s.label.startswith(slider))
        t0 = time.perf_counter()
        widget.set_value(value).run()
        elapsed = time.perf_counter() - t0
        _check(at)
        return elapsed

    move(values[0])  # warm-up: this step's caches filled
    return {"first": first, "reruns": [move(v) for v in values[1 : repeat + 1]]}


def copies_workspace(sample, target, copies: int) -> int:
    """``target`` filled with the sample's tables repeated ``copies`` times (SKU ``X`` becomes
    ``X-000``, ``X-001``, ...); returns the number of SKUs."""
    from stockcycle.ingest.result import ParsedFile

    tables = {}
    for name in TABLES:
        frame = sample.read(name)
        if frame.empty:
            continue
        parts = [frame.assign(sku=frame["sku"].astype(str) + f"-{k:03d}") for k in range(copies)]
        out = pd.concat(parts, ignore_index=True)
        if name == "purchase_orders":
            out["po"] = out["po"].astype(str) + "-" + out["sku"].str[-3:]
        if name == "products" and "asin" in out.columns:
            out["asin"] = out["asin"].astype(str) + out["sku"].str[-3:]
        tables[name] = out
    rows = sum(len(t) for t in tables.values())
    target.import_files([ParsedFile("copies.csv", "generic", "benchmark", tables, rows)])
    return len(tables["products"])


def report(name: str, times: dict) -> None:
    r = times["reruns"]
    print(
        f"{name:<28} first run {times['first']:7.1f} s; rerun median {statistics.median(r):5.2f} s"
        f", max {max(r):5.2f} s  ({', '.join(f'{t:.2f}' for t in r)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=0, help="also a workspace of N samples")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--workspace", type=Path, help="time this workspace folder only (its forecast cached)"
    )
    parser.add_argument("--steps", nargs="*", default=list(STEPS), choices=list(STEPS))
    args = parser.parse_args(argv)
    if args.workspace:
        from streamlit.logger import set_log_level

        set_log_level("error")
        for key in args.steps:
            step, slider, values = STEPS[key]
            report(
                f"{args.workspace.name}, {key}",
                time_step(args.workspace.resolve(), step, slider, values, args.repeat),
            )
        return 0

    from streamlit.logger import set_log_level

    set_log_level("error")
    with tempfile.TemporaryDirectory() as home:
        os.environ["STOCKCYCLE_HOME"] = home
        os.environ.pop("STOCKCYCLE_SHARED", None)
        from stockcycle.sample import load_sample
        from stockcycle.store import Workspace

        ws = Workspace.open(Path(home) / "workspaces" / "sample")
        load_sample(ws)
        for key in args.steps:
            step, slider, values = STEPS[key]
            report(f"sample, {key}", time_step(ws.path, step, slider, values, args.repeat))
        if args.copies:
            from stockcycle.forecast import run_batch
            from stockcycle.lifecycle import stage_table

            big = Workspace.open(Path(home) / "workspaces" / "big")
            t0 = time.perf_counter()
            n = copies_workspace(ws, big, args.copies)
            print(f"{n:,} SKUs written in {time.perf_counter() - t0:.1f} s")
            t0 = time.perf_counter()
            run_batch(big)
            print(f"forecast batch, cold: {time.perf_counter() - t0:.1f} s")
            stages = stage_table(big)
            print(f"maturity SKUs: {int((stages['stage'] == 'maturity').sum()):,} of {n:,}")
            for key in args.steps:
                step, slider, values = STEPS[key]
                report(
                    f"{n:,} SKUs, {key}",
                    time_step(big.path, step, slider, values, args.repeat),
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
