"""The replay verb (R-T4): what each reorder policy would have done on the workspace's history."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from stockcycle.commands.data import (
    add_workspace_arg,
    json_value,
    open_existing,
    parse_date,
    write_table,
)
from stockcycle.commands.forecast import progress_line
from stockcycle.errors import InputError

POLICY_CHOICES = ("stockcycle", "days-of-supply", "both", "stockcycle-no-stages")


def _money(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def cmd_replay(args: argparse.Namespace) -> int:
    from stockcycle import replay

    ws = open_existing(args.workspace)
    policies = replay.POLICIES if args.policy == "both" else (args.policy,)
    if args.service_level is not None and not 0 < args.service_level < 1:
        raise InputError(
            f"--service-level {args.service_level:g}",
            column="--service-level",
            expected="a share between 0 and 1, e.g. 0.95",
        )
    if args.workers < 1:
        raise InputError(
            f"--workers {args.workers}", column="--workers", expected="a whole number >= 1"
        )
    result = replay.replay(
        ws,
        policies=policies,
        sweep=args.sweep,
        service_level=args.service_level,
        target_days=args.target_days,
        target_fill_rate=args.target_fill,
        start=parse_date(args.start, "--start") if args.start else None,
        end=parse_date(args.end, "--end") if args.end else None,
        weeks=args.weeks,
        workers=args.workers,
        progress=None if args.quiet else progress_line,
    )
    table = result.sku_table()
    write_table(table, args.out, "replay")
    if args.json:
        print(json.dumps(json_value(result.to_json()), indent=2))
        for w in result.inputs.warnings:
            print(f"Warning: {w}", file=sys.stderr)
        return 0
    inputs = result.inputs
    print(
        f"replay {inputs.start.isoformat()} to {inputs.end.isoformat()}: {len(inputs.skus):,} "
        f"products, {len(inputs.reviews)} reviews every {inputs.review_days} days, the forecast "
        f"refitted {len(inputs.forecasts)} times from the data up to each refit day"
    )
    print(
        f"  {'policy':22s} {'setting':22s} {'fill rate':>9s} {'avg stock value':>15s} "
        f"{'avg units':>10s} {'stockout days':>13s} {'lost units':>10s} {'fees':>10s}"
    )
    for r in result.runs:
        t = r.totals
        print(
            f"  {replay.POLICY_LABELS[t['policy']]:22s} {t['setting_label']:22s} "
            f"{_pct(t['fill_rate']):>9s} {_money(t['avg_inventory_value']):>15s} "
            f"{_money(t['avg_inventory_units']):>10s} {t['stockout_days']:>13,} "
            f"{_money(t['lost_units']):>10s} {_money(t['fees']):>10s}"
        )
    if args.sweep:
        need = result.stock_at_target()
        for p, value in need.items():
            print(
                f"  stock needed for a {result.target_fill_rate:.0%} fill rate, "
                f"{replay.POLICY_LABELS[p]}: "
                + (_money(value) if value is not None else "not reached by the settings tried")
            )
    for w in inputs.warnings:
        print(f"Warning: {w}", file=sys.stderr)
    if args.out:
        print(f"wrote {len(table):,} product rows to {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "replay",
        help="replay the stockcycle plan and the days-of-supply rule on your history (R-T4)",
    )
    add_workspace_arg(p)
    p.add_argument(
        "--policy",
        choices=POLICY_CHOICES,
        default="both",
        help="both (default): stockcycle and days-of-supply; stockcycle-no-stages: the "
        "stockcycle plan without the life-cycle stages' no-reorder rule (a diagnosis)",
    )
    p.add_argument("--start", metavar="YYYY-MM-DD", help="first day (default: --weeks before end)")
    p.add_argument("--end", metavar="YYYY-MM-DD", help="last day (default: the data date)")
    p.add_argument(
        "--weeks", type=int, default=None, help="weeks replayed (default: the setting, 26)"
    )
    p.add_argument(
        "--sweep",
        action="store_true",
        help="also try each policy's main knob: service level 0.80-0.99, target days 30-120",
    )
    p.add_argument(
        "--service-level",
        type=float,
        default=None,
        help="stockcycle's service level (default: 1 - the target stockout probability)",
    )
    p.add_argument(
        "--target-days",
        type=float,
        default=None,
        help="days of the average a days-of-supply order covers (default: the setting, 90)",
    )
    p.add_argument(
        "--target-fill",
        type=float,
        default=None,
        help="the fill rate to compare the policies at (default: the setting, 0.95)",
    )
    p.add_argument("--json", action="store_true", help="print the runs and products as JSON")
    p.add_argument(
        "--out", type=Path, metavar="FILE", help="write the per-product table (.csv or .xlsx)"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes the runs (or one run's products) are split over (default 1)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=cmd_replay)
