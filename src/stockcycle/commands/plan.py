"""Plan verb: ``stockcycle plan`` prints the restock plan of every SKU (R-G2, R-G4, R-A3)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from stockcycle.commands import has_data
from stockcycle.commands.data import (
    add_as_of_arg,
    add_workspace_arg,
    as_of_arg,
    open_existing,
    print_dated_rows,
    today_arg,
    write_table,
)
from stockcycle.commands.forecast import progress_line


def cmd_plan(args: argparse.Namespace) -> int:
    from stockcycle.forecast import run_batch
    from stockcycle.restock import plan_dates_line, restock_plan, stale_data_warning, table_as_of

    today, cut = today_arg(args), as_of_arg(args)
    ws = open_existing(args.workspace)
    if not has_data(ws, args.json):
        return 0
    batch = run_batch(ws, progress=None if args.json else progress_line, as_of=cut)
    options: dict[str, Any] = {}
    if args.mode:
        options["shipping_mode"] = args.mode
    table = restock_plan(
        ws, batch=batch, service_level=args.service_level, today=today, as_of=cut, **options
    )
    as_of = table_as_of(table)
    stale = stale_data_warning(today, as_of)
    write_table(table, args.out, "plan")
    if args.json:
        print_dated_rows(table, today, stale)
        return 0
    print(plan_dates_line(today, as_of))
    if stale:
        print(f"Warning: {stale}")
    ordering = table[table["order_units"] > 0]
    priced = ordering["cash_needed"].notna()
    cash = f", {ordering.loc[priced, 'cash_needed'].sum():,.2f} in cash" if priced.any() else ""
    if (~priced).any():
        cash += f" ({int((~priced).sum()):,} without a unit cost in the products table)"
    print(
        f"restock plan for {len(table):,} SKUs: {len(ordering):,} to order, "
        f"{int(ordering['order_units'].sum()):,} units{cash}"
    )
    width = max([len("SKU"), *(len(s) for s in table["sku"])])
    overdue = int((table["overdue_days"] > 0).sum())
    if overdue:
        print(f"{overdue:,} orders are overdue: their order date is before {today.isoformat()}")
    print(f"{'SKU':<{width}}  {'stage':<9}{'order':>8}  {'order date':<11}{'overdue':>8}  reason")
    for r in table.itertuples(index=False):
        when = r.order_date.isoformat() if r.order_date else "-"
        late = f"{int(r.overdue_days):,}d" if r.overdue_days > 0 else "-"
        print(
            f"{r.sku:<{width}}  {str(r.stage):<9}{r.order_units:>8,}  {when:<11}{late:>8}  "
            f"{r.reason}"
        )
    if args.out:
        print(f"wrote {len(table):,} rows to {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plan", help="restock plan for every SKU: what to order and when")
    add_workspace_arg(p)
    p.add_argument(
        "--service-level",
        type=float,
        default=None,
        help="cycle service level, e.g. 0.95 (default: 1 - the target stockout probability)",
    )
    p.add_argument(
        "--mode",
        choices=("auto", "sea", "air"),
        default=None,
        help="shipping mode (default auto: sea unless only air arrives before the stockout, "
        "or flying saves more margin than it costs)",
    )
    p.add_argument(
        "--today",
        default=None,
        metavar="YYYY-MM-DD",
        help="the day the plan is made (default: today, or the --as-of day); order dates "
        "before it are overdue",
    )
    add_as_of_arg(p, "plan")
    p.add_argument("--out", type=Path, help="also write the plan to a .csv or .xlsx file")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.set_defaults(handler=cmd_plan)
