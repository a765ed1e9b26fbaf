"""Today verb: ``stockcycle today`` prints each SKU's one current action with its urgency and
the money at stake (R-T5), as of the data date and planned on today (R-T1)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

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


def _money(value: float) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:,.2f}"


def cmd_today(args: argparse.Namespace) -> int:
    from stockcycle.forecast import run_batch
    from stockcycle.today import TODAY_COLUMNS, today_table

    today, cut = today_arg(args), as_of_arg(args)
    ws = open_existing(args.workspace)
    if not has_data(ws, args.json):
        return 0
    batch = run_batch(ws, progress=None if args.json else progress_line, as_of=cut)
    result = today_table(ws, today=today, batch=batch, as_of=cut)
    table = result.table[TODAY_COLUMNS]
    stale = result.stale_warning()
    write_table(table, args.out, "today")
    if args.json:
        print_dated_rows(table, today, stale)
        return 0
    print(result.dates_line())
    for warning in [stale, *result.warnings]:
        if warning:
            print(f"Warning: {warning}")
    counts = table["urgency"].value_counts()
    summary = ", ".join(f"{counts[u]:,} {u.lower()}" for u in table["urgency"].unique())
    print(f"{len(table):,} SKUs: {summary or 'none'}")
    orders = table[table["order_units"] > 0]
    costed = orders["cash_needed"].notna()
    print(
        f"cash for {len(orders):,} orders: {orders.loc[costed, 'cash_needed'].sum():,.2f}"
        + (f" ({int((~costed).sum()):,} without a unit cost)" if (~costed).any() else "")
    )
    width = max([len("SKU"), *(len(s) for s in table["sku"])])
    act = max([len("action"), *(len(a) for a in table["action"])])
    print(f"{'SKU':<{width}}  {'urgency':<9}{'at stake':>12}  {'action':<{act}}  reason")
    for r in table.itertuples(index=False):
        print(
            f"{r.sku:<{width}}  {r.urgency:<9}{_money(r.money_at_stake):>12}  "
            f"{r.action:<{act}}  {r.reason}"
        )
    if args.out:
        print(f"wrote {len(table):,} rows to {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "today", help="one action per SKU for today: order, hold, trim, clear, exit, fix data"
    )
    add_workspace_arg(p)
    p.add_argument(
        "--today",
        default=None,
        metavar="YYYY-MM-DD",
        help="the day the actions are for (default: today, or the --as-of day); order dates "
        "before it are overdue",
    )
    add_as_of_arg(p, "actions")
    p.add_argument("--out", type=Path, help="also write the table to a .csv or .xlsx file")
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    p.set_defaults(handler=cmd_today)
