"""Money verbs: ``economics`` (R-L6), ``health`` (R-K1..R-K4, R-M5) and ``clearance``
(R-D2..R-D5, R-E1..R-E3).

The arithmetic lives in ``stockcycle.fees``, ``kpi`` and ``pricing``; ``stockcycle.health`` and
``stockcycle.clearance`` read its inputs from the workspace. These handlers only print: a
table for people, ``--json`` (inputs with their sources included) for scripts, ``--out`` for a
spreadsheet.
"""

from __future__ import annotations

import argparse
import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from stockcycle.commands.data import (
    add_as_of_arg,
    add_workspace_arg,
    as_of_arg,
    json_value,
    open_existing,
    parse_date,
    write_table,
)
from stockcycle.errors import InputError


def _dump(payload: Any) -> None:
    print(json.dumps(json_value(payload), indent=2))


def _f(x: Any, spec: str = ",.2f", blank: str = "-") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return blank
    if isinstance(x, float) and math.isinf(x):
        return "inf"
    return format(x, spec)


_LIL = {True: "yes", False: "no"}


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [json_value(r) for r in table.to_dict("records")]


# --------------------------------------------------------------------------- economics


def cmd_economics(args: argparse.Namespace) -> int:
    from stockcycle.health import economics_table

    if args.month is not None and not 1 <= args.month <= 12:
        raise InputError(f"--month is {args.month}", column="month", expected="a month 1-12")
    ws = open_existing(args.workspace)
    table = economics_table(ws, skus=args.sku, month=args.month)
    write_table(table, args.out, "economics")
    if args.json:
        _dump({"inputs": dict(table.attrs), "skus": _records(table)})
        return 0
    a = table.attrs
    print(
        f"unit economics of {len(table):,} SKUs, storage for month {a['month']} "
        f"({a['month_source']}), target gross margin {a['target_margin']:.0%} (R-L6), "
        f"duty {a['duty_rate']:.0%} of unit cost"
    )
    width = max([len("SKU"), *(len(s) for s in table["sku"])])
    print(
        f"{'SKU':<{width}} {'price':>8} {'landed':>8} {'FBA':>7} {'refer.':>7} {'storage':>8} "
        f"{'profit':>8} {'margin':>7} {'ROI':>7}  status"
    )
    for r in table.itertuples(index=False):
        print(
            f"{r.sku:<{width}} {_f(r.price):>8} {_f(r.landed_cost):>8} {_f(r.fba_fee):>7} "
            f"{_f(r.referral_fee):>7} {_f(r.storage_per_unit):>8} {_f(r.profit_per_unit):>8} "
            f"{_f(r.gross_margin, '.1%'):>7} {_f(r.roi, '.0%'):>7}  {r.status}"
        )
    below = table[table["meets_target"].eq(False)]
    if len(below):
        print(f"below the {a['target_margin']:.0%} target: {', '.join(below['sku'])}")
    lacking = table[table["missing"] != ""]
    for r in lacking.itertuples(index=False):
        extra = f" (assumed: {r.defaults})" if r.defaults else ""
        print(f"  {r.sku}: products row lacks {r.missing}{extra}")
    if args.out:
        print(f"wrote {len(table):,} rows to {args.out}")
    return 0


# --------------------------------------------------------------------------- health


def cmd_health(args: argparse.Namespace) -> int:
    from stockcycle.health import cash_figures, health_json, health_report

    ws = open_existing(args.workspace)
    as_of = parse_date(args.as_of, "--as-of") if args.as_of else None
    settings = ws.settings()
    report = health_report(ws, as_of=as_of, period_days=args.period_days, settings=settings)
    wants_cash = any(
        v is not None
        for v in (args.cash, args.liabilities, args.fixed_costs, args.receivables, args.payables)
    )
    if args.gross_margin is not None and args.cash is None:
        raise InputError(
            "--gross-margin is only used by the stress test",
            column="gross_margin",
            expected="--cash, --liabilities and --fixed-costs with it",
        )
    if wants_cash:
        report.cash = cash_figures(
            report,
            receivables=args.receivables,
            payables=args.payables,
            cash=args.cash,
            liabilities=args.liabilities,
            fixed_costs=args.fixed_costs,
            supply_delay_days=args.supply_delay_days,
            gross_margin=args.gross_margin,
            settings=settings,
        )
    write_table(report.table, args.out, "health")
    if args.json:
        _dump(health_json(report))
        return 0
    i, t, s = report.inputs, report.total, report.inputs["settings"]
    print(
        f"inventory health {i['period_start']} to {i['period_end']} ({i['period_days']} days), "
        f"turnover band {s['turnover_target_low']:g}-{s['turnover_target_high']:g}/yr, "
        f"alert below {s['turnover_alert']:g}/yr (R-K1)"
    )
    print(
        f"total: COGS {_f(t['cogs'])}, average inventory {_f(t['average_inventory_cost'])} at "
        f"cost -> turnover {_f(t['turnover_per_year'], '.2f')}/yr, "
        f"{_f(t['days_of_inventory'], ',.0f')} days of inventory ({t['turnover_status']}); "
        f"stock at cost {_f(t['inventory_cost'])}"
    )
    table = report.table
    width = max([len("SKU"), *(len(x) for x in table["sku"])])
    print(
        f"{'SKU':<{width}} ABC {'turnover':>8} {'DOI':>6} {'status':<13} {'on hand':>8} "
        f"{'at cost':>10} {'LIL fee':<7} aging"
    )
    for r in table.itertuples(index=False):
        print(
            f"{r.sku:<{width}} {r.abc_class:^3} {_f(r.turnover_per_year, '.2f'):>8} "
            f"{_f(r.days_of_inventory, ',.0f'):>6} {r.turnover_status:<13} "
            f"{_f(r.on_hand_units, ',.0f'):>8} {_f(r.inventory_cost):>10} "
            f"{_LIL.get(r.low_inventory_fee, '-'):<7} {r.aging_status}"
        )
    cap = report.abc
    verdict = "over the cap" if cap["over_cap"] else "within the cap"
    print(
        f"class C holds {_f(cap['c_total'])} of {_f(cap['total'])} at cost, cap "
        f"{s['c_class_cash_cap']:.0%} = {_f(cap['cap'])}: {verdict}"
        + (f", {_f(cap['excess'])} to release (R-M5)" if cap["over_cap"] else " (R-M5)")
    )
    for note in report.notes:
        print(f"note: {note}")
    if report.cash:
        ccc = report.cash["cash_conversion_cycle"]
        print(
            f"cash conversion cycle = DIO + DSO - DPO = {_f(ccc['days_inventory'], '.1f')} + "
            f"{_f(ccc['days_receivable'], '.1f')} - {_f(ccc['days_payable'], '.1f')} = "
            f"{_f(ccc['days'], '.1f')} days (R-K3)"
        )
        stress = report.cash.get("stress_test")
        if stress:
            print("stress test (R-K4):")
            print(stress["explain"])
    if args.out:
        print(f"wrote {len(table):,} rows to {args.out}")
    return 0


# --------------------------------------------------------------------------- clearance


def clearance_json(result: Any) -> dict[str, Any]:
    """A ``ClearanceAnalysis`` as plain data (inputs with sources, every table as records)."""
    grid = result.sensitivity
    return {
        "sku": result.sku,
        "stage": result.stage,
        "as_of": result.as_of,
        "inputs": result.inputs,
        "missing": result.missing,
        "notes": result.notes,
        "elasticity": {**result.elasticity.to_dict(), "explain": result.elasticity.explain()},
        "scenarios": _records(result.scenarios),
        "best_scenario": result.best_scenario,
        "cash_by_week": _records(result.cash_by_week),
        "sensitivity": {
            "value": "profit",
            "scenario": "15% coupon + ads",
            "duration_days": [float(d) for d in grid.index],
            "ad_cost_per_day": [float(c) for c in grid.columns],
            "profit": [[float(v) for v in row] for row in grid.to_numpy()],
        },
        "markdown_plan": {
            "weeks": _records(result.markdown),
            "total": result.markdown.attrs.get("total"),
            "explain": result.markdown.attrs.get("explain"),
        },
        "exit_date": result.exit_date,
        "exit_reason": result.exit_reason,
        "exit_check": result.exit_check,
        "exit_cost_steps": [
            {
                "date": c.date,
                "days": c.days,
                "kind": c.kind,
                "cohort": c.cohort,
                "before_per_unit_month": c.before,
                "after_per_unit_month": c.after,
                "text": c.text,
            }
            for c in result.cost_steps
        ],
        "exit_rule": "R-E2: exit when storage (Q4 rate and aged surcharge by day, FIFO) + upkeep "
        f"until sell-out > {result.inputs['exit_cost_share']['value']:g} x remaining gross profit",
        "residual_options": _records(result.residual),
        "residual_units": result.residual.attrs.get("units"),
        "residual_date": result.residual.attrs.get("on"),
        "recommended_option": result.recommended_option,
        "recommendation": {
            **result.recommendation.to_dict(),
            "explain": result.recommendation.explain(result.inputs["exit_cost_share"]["value"]),
        },
        "liquidation": {**result.liquidation.to_dict(), "explain": result.liquidation.explain()},
        "competitor_price_band": result.price_band,
    }


def cmd_clearance(args: argparse.Namespace) -> int:
    from stockcycle.clearance import clearance_analysis

    ws = open_existing(args.workspace)
    result = clearance_analysis(
        ws,
        args.sku,
        days=args.days,
        ad_budget_per_day=args.ad_budget,
        weight_lb=args.weight,
        successor_date=args.successor,
        as_of=as_of_arg(args),
    )
    write_table(result.scenarios, args.out, "clearance")
    if args.json:
        _dump(clearance_json(result))
        return 0
    inp = result.inputs
    print(
        f"clearance of {result.sku} ({result.stage} stage) as of {result.as_of} over "
        f"{args.days} days"
    )
    for note in result.notes:
        print(f"note: {note}")
    for name in (
        "units_on_hand",
        "base_units_per_day",
        "price",
        "unit_cost",
        "fba_fee",
        "referral_rate",
        "storage_per_unit_month",
        "aged_surcharge_per_unit_month",
        "demand_decline_per_week",
    ):
        print(f"  {name}: {_f(inp[name]['value'], ',.4g')}  ({inp[name]['source']})")
    if result.missing:
        print(f"  products row lacks: {', '.join(result.missing)}")
    print(result.elasticity.explain())
    band = result.price_band
    if band:
        caveat = "" if band["sku_listed"] else " (searches that do not list this SKU)"
        print(
            f"competitor prices (R-D4, {band['n']} listings, {band['snapshot_date']}{caveat}): "
            f"Q1 {_f(band['q1'])}, median {_f(band['median'])}, Q3 {_f(band['q3'])}"
        )
    print("scenarios (R-D2, R-D3, R-D5):")
    print(
        f"  {'scenario':<20} {'price':>7} {'units/d':>8} {'to clear':>9} {'sold':>7} "
        f"{'revenue':>10} {'stor.saved':>10} {'profit':>10}"
    )
    for r in result.scenarios.itertuples(index=False):
        print(
            f"  {r.scenario:<20} {_f(r.price_paid):>7} {_f(r.units_per_day, '.2f'):>8} "
            f"{_f(r.days_to_clear, ',.0f'):>8}d {_f(r.units_sold, ',.0f'):>7} "
            f"{_f(r.revenue):>10} {_f(r.storage_avoided):>10} {_f(r.profit):>10}"
        )
    print(f"  most profitable: {result.best_scenario}")
    grid = result.sensitivity
    print("profit of a 15% coupon + ads, promotion days x ad budget per day (R-D5):")
    print("  days " + "".join(f"{c:>10,.0f}" for c in grid.columns))
    for days, row in grid.iterrows():
        print(f"  {days:>4,.0f} " + "".join(f"{v:>10,.0f}" for v in row))
    print("markdown plan (R-E1):")
    for r in result.markdown.itertuples(index=False):
        print(
            f"  week {r.week}: {_f(r.price)} ({r.discount:.0%} off), sell {r.units_sold:,}, "
            f"{r.stock_left:,} left"
        )
    print(f"  total recovery {_f(result.markdown.attrs.get('total'))}")
    when = result.exit_date.isoformat() if result.exit_date else "none before sell-out"
    ex = result.exit_check
    print(f"exit date (R-E2): {when}")
    print(f"  why: {result.exit_reason}")
    print(
        f"  today: storage until sell-out {_f(ex['future_storage_and_upkeep'])} is "
        f"{_f(ex['cost_share'], '.0%')} of the remaining gross profit "
        f"{_f(ex['remaining_gross_profit'])} (exit above {ex['exit_cost_share']:.0%})"
    )
    cohorts = inp["age_cohorts"]
    print(f"  stock by age (oldest first, FIFO): {cohorts['source']}")
    print(
        "    "
        + ", ".join(
            f"{c['bucket']}: {c['units']:,.0f} units aged {c['age_days']}d"
            for c in cohorts["value"]
        )
    )
    res = result.residual
    weight = inp["weight_lb"]
    print(
        f"ways out for the {res.attrs['units']:,.0f} units left at the exit date (R-E3; fees "
        f"of {res.attrs['on']}, {inp['size_tier']['value']} size, {_f(weight['value'], 'g')} "
        f"lb: {weight['source']}):"
    )
    for r in res.itertuples(index=False):
        mark = "  <- best" if r.recommended else ""
        day = r.date.isoformat() if r.date else "-"
        print(f"  {r.option:<27} net {_f(r.net):>10}  by {day}{mark}")
    rec = result.recommendation
    print(f"recommended: {rec.action} ({rec.when_text})")
    print(f"  why: {rec.reason}")
    if args.out:
        print(f"wrote {len(result.scenarios):,} scenarios to {args.out}")
    return 0


# --------------------------------------------------------------------------- parsers


def _money(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not an amount of 0 or more")
    return value


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date YYYY-MM-DD") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("economics", help="unit economics per SKU and the 25%% margin check")
    add_workspace_arg(p)
    p.add_argument(
        "--sku", nargs="+", action="extend", metavar="SKU", help="only these SKUs (default: all)"
    )
    p.add_argument(
        "--month",
        type=int,
        help="month 1-12 of the storage fee (default: month of the latest sales date)",
    )
    p.add_argument("--out", type=Path, metavar="FILE", help="also write a .csv or .xlsx file")
    p.add_argument("--json", action="store_true", help="print JSON (inputs and sources included)")
    p.set_defaults(handler=cmd_economics)

    p = sub.add_parser("health", help="turnover, aging, ABC classes and cash KPIs per SKU")
    add_workspace_arg(p)
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="end of the period (default: last sale)")
    p.add_argument("--period-days", type=int, default=365, help="days of the period (default 365)")
    p.add_argument("--cash", type=_money, help="cash at hand (stress test, R-K4)")
    p.add_argument("--liabilities", type=_money, help="current liabilities (stress test)")
    p.add_argument("--fixed-costs", type=_money, help="fixed costs per month (stress test)")
    p.add_argument("--receivables", type=_money, help="receivables, e.g. Amazon balance (R-K3)")
    p.add_argument("--payables", type=_money, help="accounts payable to suppliers (R-K3)")
    p.add_argument(
        "--supply-delay-days",
        type=_money,
        default=0.0,
        help="supply delay of the stress test in days (default 0)",
    )
    p.add_argument(
        "--gross-margin",
        type=float,
        help="gross margin of the stress test as a share, e.g. 0.3 (default: 1 - COGS / revenue)",
    )
    p.add_argument("--out", type=Path, metavar="FILE", help="also write a .csv or .xlsx file")
    p.add_argument("--json", action="store_true", help="print JSON (inputs and sources included)")
    p.set_defaults(handler=cmd_health)

    p = sub.add_parser("clearance", help="clearance, markdown and exit analysis of one SKU")
    add_workspace_arg(p)
    p.add_argument("--sku", required=True, help="the SKU to clear")
    p.add_argument("--days", type=int, default=30, help="promotion length in days (default 30)")
    p.add_argument(
        "--ad-budget", type=_money, default=0.0, help="extra ads per day for 'coupon + ads'"
    )
    p.add_argument(
        "--weight",
        type=_money,
        help="shipping weight per unit in lb (default: products.shipping_weight_lb, else 1 lb)",
    )
    p.add_argument(
        "--successor",
        type=_day,
        metavar="YYYY-MM-DD",
        help="launch date of a successor product: the exit comes no later (R-E2)",
    )
    p.add_argument("--out", type=Path, metavar="FILE", help="write the scenarios to .csv/.xlsx")
    p.add_argument("--json", action="store_true", help="print JSON (inputs and sources included)")
    add_as_of_arg(p, "the analysis")
    p.set_defaults(handler=cmd_clearance)
