"""Policy replay speed and the dev-data result (R-T4, issue 11).

1. Import a daily sales file (default: ``../shared/data/real_retail_dev.csv``, 300 real SKUs of
   UCI Online Retail II) into a fresh temporary workspace with ``stockcycle import``, with a
   products table of stated assumptions: total lead time ``--lead-time`` days by sea
   (production = lead time - 10, sea transit 5, the settings' receiving 5), unit cost =
   ``--cost-share`` x the SKU's average selling price (revenue / units over the file),
   ``--cubic-feet`` per unit, large standard size; no inventory history, so the starting
   stock is the replay's stated assumption.
2. Time ``replay`` of both policies over the last ``--weeks`` weeks (cold: every forecast
   refit computed), then the sweep of six settings per policy on the same inputs. Targets:
   300 SKUs x 26 weekly reviews <= 5 minutes, the sweep <= 15 minutes, on 2 cores.
3. Print the trade-off table, the stock each policy needs at a 95% fill rate, the fill rate
   each serves at the other's stock, and write the chart (``--png``) and the figures
   (``--json``).

Usage: ``python benchmarks/bench_replay.py [--data FILE] [--skus 300] [--weeks 26]
[--png docs/replay-tradeoff.png] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "real_retail_dev.csv"


def _products(sales: pd.DataFrame, lead_time: int, cost_share: float, cubic_feet: float):
    g = sales.groupby("sku").agg(units=("units", "sum"), revenue=("revenue", "sum"))
    price = (g["revenue"] / g["units"]).round(2)
    return pd.DataFrame(
        {
            "sku": g.index,
            "price": price.to_numpy(),
            "unit_cost": (price * cost_share).round(2).to_numpy(),
            "lead_time_days": lead_time - 10,
            "sea_days": 5,
            "cubic_feet": cubic_feet,
            "size_tier": "large standard",
        }
    )


def _png(table: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from stockcycle.replay import POLICY_LABELS

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for policy, rows in table.groupby("policy"):
        rows = rows.sort_values("avg_inventory_value")
        ax.plot(
            rows["avg_inventory_value"],
            rows["fill_rate"] * 100,
            marker="o",
            label=POLICY_LABELS[policy],
        )
        for r in rows.itertuples():
            ax.annotate(
                r.setting_label.split(" ")[0],
                (r.avg_inventory_value, r.fill_rate * 100),
                textcoords="offset points",
                xytext=(4, -10),
                fontsize=7,
            )
    ax.set_xlabel("Average stock value (at cost)")
    ax.set_ylabel("Fill rate (% of demand served)")
    ax.set_title("Replay: service against stock, 300 real SKUs (UCI Online Retail II)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--skus", type=int, default=300, help="first N SKUs of the file")
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--lead-time", type=int, default=45)
    parser.add_argument("--cost-share", type=float, default=0.4)
    parser.add_argument("--cubic-feet", type=float, default=0.05)
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="processes for the runs")
    parser.add_argument("--png", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as home:
        os.environ["STOCKCYCLE_HOME"] = home
        from stockcycle import replay
        from stockcycle.cli import main as cli

        sales = pd.read_csv(args.data, dtype={"sku": str})
        keep = sorted(sales["sku"].unique())[: args.skus]
        sales = sales[sales["sku"].isin(keep)]
        sales_file = Path(home) / "sales.csv"
        products_file = Path(home) / "products.csv"
        sales.to_csv(sales_file, index=False)
        _products(sales, args.lead_time, args.cost_share, args.cubic_feet).to_csv(
            products_file, index=False
        )
        ws_dir = Path(home) / "ws"
        assert cli(["import", "-w", str(ws_dir), str(sales_file), str(products_file)]) == 0
        from stockcycle.store import Workspace

        ws = Workspace.open(ws_dir, create=False)

        def progress(frac: float, msg: str) -> None:
            print(f"\r  {frac:4.0%} {msg[:90]:<90}", end="", file=sys.stderr, flush=True)

        t0, c0 = time.perf_counter(), time.process_time()
        inputs = replay.load_replay(ws, weeks=args.weeks, progress=progress)
        t_load, c_load = time.perf_counter() - t0, time.process_time() - c0
        t1, c1 = time.perf_counter(), time.process_time()
        main_result = replay.replay(inputs=inputs, progress=progress, workers=args.workers)
        t_runs, c_runs = time.perf_counter() - t1, time.process_time() - c1
        print(file=sys.stderr)
        figures: dict = {
            "skus": len(inputs.skus),
            "reviews": len(inputs.reviews),
            "refits": len(inputs.forecasts),
            "window": [inputs.start.isoformat(), inputs.end.isoformat()],
            "load_s": round(t_load, 1),
            "both_policies_s": round(t_runs, 1),
            "total_s": round(t_load + t_runs, 1),
            "load_cpu_s": round(c_load, 1),
            "both_policies_cpu_s_this_process": round(c_runs, 1),
            "workers": args.workers,
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg()[0],
        }
        print(
            f"{len(inputs.skus)} SKUs x {len(inputs.reviews)} reviews "
            f"({inputs.start} to {inputs.end}), {len(inputs.forecasts)} forecast refits: "
            f"load {t_load:.1f} s (cold, {c_load:.1f} s CPU), both policies {t_runs:.1f} s "
            f"({args.workers} process(es)), total {t_load + t_runs:.1f} s; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        result = main_result
        if not args.no_sweep:
            t2 = time.perf_counter()
            warm = replay.load_replay(ws, weeks=args.weeks)
            t_warm = time.perf_counter() - t2
            result = replay.replay(inputs=warm, sweep=True, progress=progress, workers=args.workers)
            t_sweep = time.perf_counter() - t2
            print(file=sys.stderr)
            figures.update(warm_load_s=round(t_warm, 1), sweep_s=round(t_sweep, 1))
            print(f"sweep (6 settings per policy + the defaults): {t_sweep:.1f} s (warm cache)")
            # Diagnosis: the stockcycle plan without the classifier's stage rules.
            diag = replay.replay(
                inputs=warm,
                policies=(replay.NO_STAGES,),
                sweep=True,
                progress=progress,
                workers=args.workers,
            )
            print(file=sys.stderr)
            result = replay.ReplayResult(
                warm, result.runs + diag.runs, {**result.main, **diag.main}, 0.95
            )
        table = result.runs_table()
        pd.set_option("display.width", 200)
        cols = [
            "policy",
            "setting_label",
            "fill_rate",
            "avg_inventory_value",
            "avg_inventory_units",
            "stockout_days",
            "lost_units",
            "orders",
            "peak_cash",
            "fees",
        ]
        print(table[cols].round(3).to_string(index=False))
        need = result.stock_at_target()
        figures["runs"] = json.loads(table.to_json(orient="records"))
        figures["stock_at_target"] = need
        print(f"stock needed at a {result.target_fill_rate:.0%} fill rate: {need}")
        sc, dos = need.get("stockcycle"), need.get("days-of-supply")
        if sc is not None and dos is not None:
            figures["stockcycle_saving_at_target"] = 1 - sc / dos
            print(f"  stockcycle needs {1 - sc / dos:+.1%} less stock than days-of-supply")
        pairs = [("stockcycle", "days-of-supply"), ("days-of-supply", "stockcycle")]
        pairs += [(replay.NO_STAGES, "days-of-supply"), ("days-of-supply", replay.NO_STAGES)]
        for p, other in pairs:
            for r in table[table["policy"] == other].itertuples():
                fill = result.fill_at_value(p, r.avg_inventory_value)
                if fill is not None:
                    print(
                        f"  at {other}'s {r.setting_label} stock ({r.avg_inventory_value:,.0f}) "
                        f"{p} serves {fill:.1%} (against {r.fill_rate:.1%})"
                    )
        if args.png:
            _png(table, args.png)
            print(f"wrote {args.png}")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
