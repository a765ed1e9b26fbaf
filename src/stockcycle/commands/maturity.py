"""Maturity verb: ``stockcycle maturity`` prints the maturity plan (R-M1..R-M5, R-F1, R-F2):
the restock plan of the maturity SKUs with the event buffer, class A's tight orders, the
C-class cash cap, the fee corridor and the capacity limit applied, as of the data date and
planned on today (R-T1). The same ``stockcycle.maturity`` the Maturity page draws."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from stockcycle.commands.data import (
    add_workspace_arg,
    json_value,
    open_existing,
    parse_date,
    write_table,
)
from stockcycle.commands.forecast import progress_line


def _num(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def cmd_maturity(args: argparse.Namespace) -> int:
    import sys

    from stockcycle import datadate, maturity, restock
    from stockcycle.forecast import run_batch

    today = parse_date(args.today, "--today") if args.today else datadate.today()
    as_of = parse_date(args.as_of, "--as-of") if args.as_of else None
    ws = open_existing(args.workspace)
    batch = run_batch(ws, progress=None if args.json else progress_line)
    inputs = maturity.load_maturity(ws, as_of=as_of, today=today, batch=batch)
    result = maturity.plan_maturity(inputs, maturity.MaturityChoices.from_settings(inputs.settings))
    table = result.plan
    stale = restock.stale_data_warning(inputs.today, inputs.as_of)
    write_table(table, args.out, "maturity")
    if args.json:
        payload = {
            "as_of": inputs.as_of,
            "today": inputs.today,
            "plan": table.to_dict("records"),
            "thresholds": result.thresholds.table.to_dict("records"),
            "corridor": result.corridor.to_dict("records"),
            "capacity": result.capacity.to_dict("records"),
            "c_class_cap": {
                "total": result.cap.total,
                "cap": result.cap.cap,
                "c_total": result.cap.c_total,
                "excess": result.cap.excess,
            },
            "fees": result.fees,
            "warnings": result.warnings,
        }
        print(json.dumps(json_value(payload), indent=2))
        if stale:
            print(f"Warning: {stale}", file=sys.stderr)
        return 0
    print(result.dates_line())
    if stale:
        print(f"Warning: {stale}")
    for text in result.warnings:
        print(f"Note: {text}")
    f = result.fees
    # No volume shipped (no cubic feet, or no sales at Amazon): the ratio is unknown.
    weeks = f"{f['weeks_final']:,.1f}" if math.isfinite(f["weeks_final"]) else "unknown"
    print(
        f"{len(table):,} maturity SKUs; C-class cash cap {result.cap.cap:,.2f} "
        f"(class C holds {result.cap.c_total:,.2f}); low-inventory-level fee next "
        f"{maturity.CORRIDOR_HORIZON_DAYS} days {f['low_inventory_final']:,.2f} "
        f"(restock plan {f['low_inventory_plan']:,.2f}); account {weeks} weeks of supply; "
        f"capacity waiting cost {f['wait_cost']:,.2f}"
    )
    width = max([len("SKU"), *(len(str(s)) for s in table["sku"])])
    print(f"{'SKU':<{width}}  cls {'order':>7} {'restock':>7}  {'order date':<10}  reason")
    for r in table.itertuples(index=False):
        when = r.order_date.isoformat() if r.order_date else "-"
        print(
            f"{r.sku:<{width}}  {r.abc_class or '-':<3} {_num(r.order_units):>7} "
            f"{_num(r.restock_units):>7}  {when:<10}  {r.reason}"
        )
    if args.out:
        print(f"wrote {len(table):,} rows to {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "maturity",
        help="maturity plan: thresholds, ABC/EOQ, C-class cash cap, fee corridor, capacity",
    )
    add_workspace_arg(p)
    p.add_argument(
        "--as-of",
        default=None,
        metavar="YYYY-MM-DD",
        help="the data date the stock is projected from (default: the workspace's)",
    )
    p.add_argument(
        "--today",
        default=None,
        metavar="YYYY-MM-DD",
        help="the day the plan is made on (default: today); order dates before it are overdue",
    )
    p.add_argument("--out", type=Path, help="also write the plan to a .csv or .xlsx file")
    p.add_argument("--json", action="store_true", help="print the plan and its parts as JSON")
    p.set_defaults(handler=cmd_maturity)
