"""Launch verb: ``stockcycle launch --peers XRAY.csv`` sizes a new product's first order from
its competitors (R-L1..R-L7): peer daily sales, the launch demand with Amazon events (R-L2),
the first order and its 70/30 split, the order-by and follow-up dates with production + transit
+ receiving, unit economics and the cash the first order needs. The numbers come from
``peers.launch_plan``, the same function the Launch page calls."""

from __future__ import annotations

import argparse
import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from stockcycle import datadate
from stockcycle.checks import first_number
from stockcycle.errors import InputError


def _read_peers(files: list[Path], search: str | None) -> pd.DataFrame:
    """Competitor rows of every Xray file (the snapshot date from the file name when it has
    one); a file that is not a competitor export is an ``InputError`` naming it."""
    from stockcycle.ingest import parse_file
    from stockcycle.peers import snapshot_date_from_name

    frames = []
    for path in files:
        parsed = parse_file(
            path,
            path.name,
            search=search or path.stem,
            as_of=snapshot_date_from_name(path.name),
        )
        comp = parsed.tables.get("competitors")
        if comp is None or comp.empty:
            raise InputError(
                f"recognised as {parsed.label}, not as a competitor export",
                file=path.name,
                expected="a Helium 10 Xray export (ASIN, Price, ASIN Sales, BSR, ...)",
            )
        frames.append(comp)
    return pd.concat(frames, ignore_index=True)


def _own_search(
    comp: pd.DataFrame, search: str | None, sku: str | None, product: dict[str, Any]
) -> tuple[pd.DataFrame, str]:
    """The workspace's snapshots of the one search the launch is sized on (R-L1): ``--search``,
    else the search named like the SKU (``peers.search_for_sku``), else the only search.
    Never another search's competitors: without one that fits, an ``InputError`` says so."""
    from stockcycle import peers

    names = peers.searches(comp)
    if search is None and sku:
        search = peers.search_for_sku(product, names)
        if search is None:
            raise InputError(
                f"{sku} has no Xray search of its own in the workspace",
                column="--search",
                expected=f"--search naming its search (the workspace has: {', '.join(names)}) "
                "or an Xray export of its search (--peers)",
            )
    if search is None:
        if len(names) > 1:
            raise InputError(
                f"the workspace holds Xray snapshots of {len(names)} searches",
                column="--search",
                expected=f"--search with one of: {', '.join(names)}",
            )
        search = names[0] if names else ""
    rows = peers.competitors_of_search(comp, search)
    if rows.empty:
        raise InputError(
            f"no Xray snapshot of the search '{search}' in the workspace",
            column="--search",
            expected=f"one of: {', '.join(names)}",
        )
    return rows, search


def _non_negative(value: float | None, name: str) -> float | None:
    if value is not None and (math.isnan(value) or value < 0):
        raise InputError(f"{name} is {value}", column=name, expected="a number >= 0")
    return value


def launch_plan(args: argparse.Namespace) -> dict[str, Any]:
    """The launch plan as a JSON-ready dict (what ``--json`` prints)."""
    from stockcycle import fees, peers
    from stockcycle.settings import Settings
    from stockcycle.store import Workspace

    settings = Settings()
    own: list[str] = []
    comp = pd.DataFrame()
    products = pd.DataFrame()
    launches = pd.DataFrame()
    if args.workspace is not None:
        ws = Workspace.open(args.workspace, create=False)
        settings = ws.settings()
        products = ws.read("products")
        own = peers.own_asins(products)
        launches = peers.own_launches(ws.read("sales"), products)
        if not args.peers:
            comp = ws.read("competitors")
    product: dict[str, Any] = {}
    if args.sku:
        rows = products[products["sku"] == args.sku] if "sku" in products.columns else products
        if rows.empty:
            raise InputError(
                f"SKU '{args.sku}' is not in the workspace's products",
                column="--sku",
                expected="a SKU of the products table (with --workspace)",
            )
        product = {k: (None if pd.isna(v) else v) for k, v in rows.iloc[0].to_dict().items()}
    if args.peers:
        comp = _read_peers(args.peers, args.search)
    elif not comp.empty:
        comp, search = _own_search(comp, args.search, args.sku, product)
    if comp.empty:
        raise InputError(
            "no competitor data",
            column="--peers",
            expected="an Xray export (--peers FILE) or a workspace holding one (--workspace)",
        )
    numbers = (
        "lift",
        "lead_time",
        "peer_daily",
        "price",
        "unit_cost",
        "freight",
        "fba_fee",
        "event_lift",
    )
    for name in (*numbers, "duty_rate"):
        _non_negative(getattr(args, name), f"--{name.replace('_', '-')}")
    own_price = args.price if args.price is not None else first_number(product.get("price"), None)
    band_note = ""
    custom = args.asins or args.price_band or args.include_sponsored or args.top_n is not None
    if custom:
        selection = peers.select_peers(
            comp,
            top_n=peers.TYPICAL_TOP_N if args.top_n is None else args.top_n,
            price_band=tuple(args.price_band) if args.price_band else None,
            exclude_sponsored=not args.include_sponsored,
            exclude_outliers=not args.keep_outliers,
            asins=args.asins,
            exclude_asins=own,
        )
        band = tuple(args.price_band) if args.price_band else None
        band_price, band_source = own_price, "given"
    else:
        chosen = peers.default_peers(
            comp,
            own_price,
            settings.launch_price_band,
            exclude_asins=own,
            exclude_outliers=not args.keep_outliers,
        )
        selection, band = chosen.selection, chosen.band
        band_price, band_source = chosen.price, chosen.price_source
        band_note = chosen.note()
    summary = peers.peer_summary(selection)
    ceiling = peers.leaders(comp, exclude_asins=own)
    entrants = peers.recent_entrants(comp, exclude_asins=own)
    peer_daily = summary.median if args.peer_daily is None else args.peer_daily
    lift = settings.launch_lift if args.lift is None else args.lift
    lead = peers.lead_time_defaults(None, settings)
    production = lead["production_days"] if args.lead_time is None else args.lead_time
    transit = {"air": lead["air_days"], "sea": lead["sea_days"]}
    launch = args.launch_date or peers.earliest_launch(
        datadate.today(), production, transit[args.mode], lead["receiving_days"]
    )
    event_lift = peers.EVENT_LIFT if args.event_lift is None else args.event_lift
    events = peers.event_days(
        launch, peers.HORIZON_DAYS, event_lift=event_lift, calendar=not args.no_events
    )
    demand = peers.launch_demand(
        peer_daily,
        launch,
        peers.HORIZON_DAYS,
        lift,
        events=events,
        event_lift=event_lift,
        source="flat: no seasonality applied",
        band=peers.peer_band(summary, peer_daily),
    )
    plan = peers.launch_plan(
        demand,
        production_days=production,
        transit_days=transit,
        receiving_days=lead["receiving_days"],
        first_mode=args.mode,
        follow_mode=args.follow_mode,
        follow_ready=args.follow_ready,
        cover_days=settings.launch_cover_days,
        safety_days=settings.launch_safety_days,
        first_order_share=settings.first_order_share,
        case_pack=args.case_pack,
    )
    order = plan.order
    notes = []
    if band_note:
        notes.append(band_note)
    sanity = peers.launch_sanity(
        order.first_order_units,
        order.expected_daily_sales,
        launches,
        category=product.get("category"),
        exclude_sku=args.sku,
    )
    if plan.follow_up_decide_by is None:
        notes.append("no follow-up needed: no expected sales, the first order never sells out")
    peer_rows = peers.peers_only(selection)
    guesses = peers.economics_defaults(product or None, None, summary, peer_rows)
    if args.price is None:
        price = guesses.price
        notes.append(f"price: {guesses.sources['price']} {price:,.2f} (give --price to set yours)")
    else:
        price = args.price
    fba_fee = args.fba_fee
    if fba_fee is None:
        fba_fee = peers.fba_fee_from_xray(peer_rows, args.referral_rate) or 0.0
        notes.append(
            f"FBA fee: the peers' median Xray fee less referral, {fba_fee:,.2f} (give --fba-fee)"
        )
    duty = settings.duty_rate if args.duty_rate is None else args.duty_rate
    economics = cash = None
    warnings = []
    if args.unit_cost is None:
        notes.append("unit economics and cash need your unit cost: give --unit-cost")
    else:
        econ = fees.unit_economics(
            price,
            args.unit_cost,
            freight_per_unit=args.freight or 0.0,
            duty_rate=duty,
            fba_fee=fba_fee,
            referral_rate=args.referral_rate,
            target_margin=settings.target_gross_margin,
        )
        economics = econ.to_dict()
        cash = fees.cash_needed(order.first_order_units, args.unit_cost, args.freight or 0.0, duty)
        if not econ.meets_target:
            warnings.append(
                f"gross margin {econ.gross_margin:.1%} is below the "
                f"{econ.target_margin:.0%} target (R-L6)"
            )
    if plan.follow_up_decide_by is not None and plan.follow_up_decide_by < plan.review_date:
        warnings.append(
            f"the follow-up must be decided by {plan.follow_up_decide_by.isoformat()}, before "
            f"two weeks of sales (to {plan.review_date.isoformat()}): ship it by air, have the "
            "supplier make it with the first batch and hold it (--follow-ready), or order more "
            "up front"
        )
    if sanity is not None and sanity.warn:
        warnings.append(sanity.message())
    d = plan.to_dict()
    return {
        "peers": {
            **summary.to_dict(),
            "asins": peer_rows["asin"].astype(str).tolist(),
            "snapshots": sorted(
                pd.to_datetime(comp["snapshot_date"]).dt.date.astype(str).unique().tolist()
            ),
            "searches": peers.searches(comp),
            "price": band_price,
            "price_source": band_source,
            "price_band": None if band is None else [float(band[0]), float(band[1])],
        },
        "leaders": None if ceiling is None else ceiling.to_dict(),
        "recent_entrants": (
            None
            if entrants is None
            else {
                **entrants.to_dict(),
                "implied_first_order_units": entrants.implied(peer_daily, order.first_order_units),
            }
        ),
        "own_launches": None if sanity is None else sanity.to_dict(),
        "peer_daily_sales": peer_daily,
        "peer_daily_sales_source": "given" if args.peer_daily is not None else "peers' median",
        "lift": lift,
        "demand_factor": plan.demand_factor,
        "events": list(demand.events),
        "expected_daily_sales": order.expected_daily_sales,
        "cycle_stock_units": order.cycle_stock_units,
        "safety_stock_units": order.safety_stock_units,
        "total_units": order.total_units,
        "first_order_units": order.first_order_units,
        "follow_up_units": order.follow_up_units,
        "first_order_share": order.first_order_share,
        "mode": plan.first_mode,
        "production_days": plan.production_days,
        "transit_days": plan.transit_days,
        "receiving_days": plan.receiving_days,
        "lead_time_days": plan.first_lead_days,
        "launch_date": launch.isoformat(),
        "first_order_by": d["first_order_by"],
        "first_order_cover_days": d["first_cover_days"],
        "follow_up_mode": plan.follow_mode,
        "follow_up_lead_days": plan.follow_lead_days,
        "follow_up_decide_by": d["follow_up_decide_by"],
        "follow_up_arrival": d["follow_up_arrival"],
        "price": price,
        "fba_fee": fba_fee,
        "unit_economics": economics,
        "cash_needed": cash,
        "warnings": warnings,
        "notes": notes,
    }


def _print_human(plan: dict[str, Any]) -> None:
    p = plan["peers"]
    print(
        f"Peers: {p['n']} listings, daily sales median {p['median']:,.1f} "
        f"(Q1 {p['q1']:,.1f}, Q3 {p['q3']:,.1f}), median price {p['median_price']:,.2f}"
        + (
            f", priced {p['price_band'][0]:,.2f}-{p['price_band'][1]:,.2f}"
            if p["price_band"]
            else ""
        )
        + f" ({', '.join(p['searches'])})"
    )
    lead = plan["leaders"]
    if lead is not None:
        print(
            f"Leaders (top {lead['n']} by BSR): {lead['median']:,.1f} a day, the ceiling, not "
            "the plan"
        )
    young = plan["recent_entrants"]
    if young is not None:
        print(
            f"Recent entrants ({young['count']}, {young['rule']}): {young['median_daily']:,.1f} a "
            f"day (Q1 {young['p25']:,.1f}, Q3 {young['p75']:,.1f}); planned on them, the first "
            f"order would be {young['implied_first_order_units']:,.0f} units (a second opinion)"
        )
    factor = plan["demand_factor"]
    events = f" x event factor {factor:.3f} ({', '.join(plan['events'])})" if factor != 1 else ""
    print(
        f"Expected daily sales: {plan['peer_daily_sales']:,.1f} x {plan['lift']:g}{events} = "
        f"{plan['expected_daily_sales']:,.1f}/day ({plan['peer_daily_sales_source']})"
    )
    print(
        f"Launch order: {plan['cycle_stock_units']:,.0f} cycle + "
        f"{plan['safety_stock_units']:,.0f} safety = {plan['total_units']:,.0f} units"
    )
    t = plan["transit_days"][plan["mode"]]
    print(
        f"  first order {plan['first_order_units']:,} units by {plan['mode']}, order by "
        f"{plan['first_order_by']} for a launch on {plan['launch_date']} (lead time "
        f"{plan['production_days']:g} production + {t:g} transit + "
        f"{plan['receiving_days']:g} receiving = {plan['lead_time_days']:g} days)"
    )
    if plan["follow_up_decide_by"] is None:
        print(f"  follow-up {plan['follow_up_units']:,} units: no follow-up needed")
    else:
        print(
            f"  follow-up {plan['follow_up_units']:,} units by {plan['follow_up_mode']}, decide "
            f"by {plan['follow_up_decide_by']} (lead time {plan['follow_up_lead_days']:g} days)"
        )
    econ = plan["unit_economics"]
    if econ is not None:
        print(
            f"Unit economics at {econ['price']:,.2f}: landed {econ['landed_cost']:,.2f}, "
            f"profit {econ['profit_per_unit']:,.2f}, margin {econ['gross_margin']:.1%}, "
            f"ROI {econ['roi']:.0%}"
        )
        print(f"Cash for the first order: {plan['cash_needed']:,.2f}")
    for w in plan["warnings"]:
        print(f"warning: {w}")
    for n in plan["notes"]:
        print(f"note: {n}")


def cmd_launch(args: argparse.Namespace) -> int:
    plan = launch_plan(args)
    if args.json:
        print(json.dumps(plan, indent=2, default=str))
    else:
        _print_human(plan)
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "launch", help="size a new product's first order from competitor Xray data (R-L)"
    )
    p.add_argument(
        "--peers",
        type=Path,
        nargs="+",
        metavar="XRAY_FILE",
        help="Helium 10 Xray export(s); without it, the workspace's competitor snapshots",
    )
    p.add_argument(
        "--search",
        help="the search the Xray exports show (default: file name); with a workspace, the "
        "search whose snapshots are the peers (default: the one named like --sku's category "
        "or title, or the only one)",
    )
    p.add_argument("--sku", help="an existing SKU of the workspace: its price, category and search")
    p.add_argument("--asins", nargs="+", metavar="ASIN", help="only these ASINs are peers")
    p.add_argument(
        "--top-n",
        type=int,
        help="peers: top N by BSR (default: the typical product, up to 100 organic listings "
        "in your price band)",
    )
    p.add_argument(
        "--price-band",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        help="peers' price band (default: your price +/- Settings' band, 25%%)",
    )
    p.add_argument("--include-sponsored", action="store_true", help="keep sponsored rows")
    p.add_argument("--keep-outliers", action="store_true", help="keep sales outliers")
    p.add_argument(
        "--peer-daily", type=float, help="peer daily sales to use instead of the peers' median"
    )
    p.add_argument("--lift", type=float, help="launch lift (default: Settings, 1.5)")
    p.add_argument(
        "--lead-time",
        type=float,
        help="supplier production days (default: mid of the Settings range, 45); transit and "
        "receiving come from Settings and are added",
    )
    p.add_argument(
        "--mode",
        choices=["air", "sea"],
        default="air",
        help="first batch ships by (default air: catch the launch window, R-L7)",
    )
    p.add_argument(
        "--follow-mode",
        choices=["air", "sea"],
        default="sea",
        help="the follow-up 30%% ships by (default sea: replenishment, R-L7)",
    )
    p.add_argument(
        "--follow-ready",
        action="store_true",
        help="the supplier makes the follow-up with the first batch and holds it",
    )
    p.add_argument(
        "--launch-date",
        type=_date,
        help="YYYY-MM-DD (default: today + production + transit + receiving)",
    )
    p.add_argument(
        "--event-lift",
        type=float,
        help="lift on Amazon event days in the launch window (default 0.5 = +50%%, R-L2)",
    )
    p.add_argument(
        "--no-events", action="store_true", help="leave Amazon calendar events out (R-L2)"
    )
    p.add_argument("--case-pack", type=int, help="round orders up to cases of this many units")
    p.add_argument("--price", type=float, help="your price (default: the peers' median)")
    p.add_argument("--unit-cost", type=float, help="purchase cost per unit")
    p.add_argument("--freight", type=float, help="first-mile freight per unit")
    p.add_argument(
        "--duty-rate", type=float, help="duty as a share of unit cost (default: Settings)"
    )
    p.add_argument("--fba-fee", type=float, help="FBA fee per unit (default: peers' Xray fee)")
    p.add_argument("--referral-rate", type=float, default=0.15, help="referral fee share")
    p.add_argument(
        "--workspace", "-w", type=Path, metavar="DIR", help="read settings (and peers) from it"
    )
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.set_defaults(handler=cmd_launch)
