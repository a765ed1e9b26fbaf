"""Launch sizing page parts: a five-step wizard from competitor peers to the first order and
the launch monitor (R-L1..R-L8).

1 Peers     Xray snapshots -> peer set (``stockcycle.peers``), summary, price vs sales chart.
2 Demand    peer daily x lift x seasonality and events -> expected first 90 days (R-L2, R-L3).
3 Economics unit cost, freight, fees, price -> landed cost, margin, ROI (``fees``, R-L6).
4 Order     first order, 70/30 split, follow-up date, air vs sea, cash (``policy``, R-L3..R-L7);
            save the plan to the workspace and download it.
5 Monitor   early sales against the plan band (``alerts.launch_monitor``, R-L8).

Every step computes from the wizard's stored inputs (``plan_inputs``), so a later step never
depends on an earlier one having been drawn in this run; the widgets of a step only change
those inputs.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from stockcycle import alerts, charts, datadate, fees, peers, policy
from stockcycle.errors import InputError
from stockcycle.settings import Settings
from stockcycle.store import Workspace
from stockcycle.ui import data_version, plain, read_table, show_error
from stockcycle.ui.wizard import Wizard, download_plan, explain

STEPS = ["Peers", "Demand", "Economics", "Order", "Monitor"]
NEW_PRODUCT = "(a new product)"
FLAT, SNAPSHOTS, KEYWORDS = "Flat", "Competitor snapshots", "Keyword trend"
# Inputs prefilled from the chosen product's row: cleared when the product changes.
PRODUCT_INPUTS = (
    "launch_date",
    "price",
    "unit_cost",
    "air_cost",
    "sea_cost",
    "fba_fee",
    "referral_rate",
    "production_days",
    "air_days",
    "sea_days",
    "case_pack",
    "plan_name",
    "monitor_source",
    "salvage",
    "search",
    "snapshots",
)
NO_SEARCH = "(none of these)"


# -- data ------------------------------------------------------------------------------------------
@dataclass
class Data:
    """The workspace tables the page reads (cached per data version)."""

    competitors: pd.DataFrame
    products: pd.DataFrame
    keywords: pd.DataFrame
    promotions: pd.DataFrame
    sales: pd.DataFrame


def load_data(ws: Workspace) -> Data:
    path, version = str(ws.path), data_version(ws)
    return Data(
        competitors=read_table(path, "competitors", version),
        products=read_table(path, "products", version),
        keywords=read_table(path, "keywords", version),
        promotions=read_table(path, "promotions", version),
        sales=read_table(path, "sales", version),
    )


def snapshot_label(snapshot_date: Any, search: Any) -> str:
    return f"{pd.Timestamp(snapshot_date):%Y-%m-%d} · {search}"


def snapshot_options(data: Data, uploaded: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Label -> competitor rows of every snapshot: the workspace's and those uploaded here."""
    out: dict[str, pd.DataFrame] = {}
    comp = data.competitors
    if not comp.empty:
        for (day, search), rows in comp.groupby(["snapshot_date", "search"], sort=True):
            out[snapshot_label(day, search)] = rows
    for name, frame in uploaded.items():
        for (day, search), rows in frame.groupby(["snapshot_date", "search"], sort=True):
            out[f"{snapshot_label(day, search)} (uploaded: {name})"] = rows
    return out


def search_options(options: dict[str, pd.DataFrame]) -> list[str]:
    """The searches of every snapshot, the latest snapshot's first."""
    if not options:
        return []
    order = sorted(options, key=lambda k: options[k]["snapshot_date"].max(), reverse=True)
    return list(dict.fromkeys(str(options[k]["search"].iloc[0]) for k in order))


def default_search(options: dict[str, pd.DataFrame], product: dict[str, Any]) -> str | None:
    """The search the launch is sized on before the seller picks one (R-L1): for an existing
    SKU the search named like its category or title (``peers.search_for_sku``), else none (it
    never borrows another product's competitors); for a new product the latest snapshot's."""
    names = search_options(options)
    if product:
        return peers.search_for_sku(product, names)
    return names[0] if names else None


def chosen_search(wiz: Wizard, data: Data, options: dict[str, pd.DataFrame]) -> str | None:
    """The search stored by the page, else the default one; None: no search for this SKU."""
    product = product_row(data, wiz.get("sku"))
    search = wiz.get("search", default_search(options, product))
    return None if search in (None, NO_SEARCH) else str(search)


def default_snapshots(options: dict[str, pd.DataFrame], search: str | None = None) -> list[str]:
    """Every snapshot of ``search`` (default: the latest snapshot's search), so history shows."""
    if not options:
        return []
    if search is None:
        names = search_options(options)
        search = names[0]
    return [k for k, v in options.items() if str(v["search"].iloc[0]) == search]


def band_price(wiz: Wizard, data: Data) -> float | None:
    """The price the peers' price band is drawn around: the product's price, else the price
    typed in step 1, else None (the search's median price stands in, ``peers.default_peers``)."""
    product = product_row(data, wiz.get("sku"))
    for value in (product.get("price"), wiz.get("band_price")):
        if value is not None and not pd.isna(value) and float(value) > 0:
            return float(value)
    return None


def product_row(data: Data, sku: str | None) -> dict[str, Any]:
    if not sku or sku == NEW_PRODUCT or data.products.empty:
        return {}
    rows = data.products[data.products["sku"] == sku]
    if rows.empty:
        return {}
    return {k: (None if pd.isna(v) else v) for k, v in rows.iloc[0].to_dict().items()}


# -- the plan from the stored inputs ---------------------------------------------------------------
@dataclass
class Plan:
    """Everything the steps show, computed from the stored inputs."""

    selection: pd.DataFrame | None = None
    summary: peers.PeerSummary | None = None
    entrants: peers.RecentEntrants | None = None
    peer_daily: float | None = None
    demand: peers.LaunchDemand | None = None
    economics: fees.UnitEconomics | None = None
    order: policy.LaunchOrder | None = None
    launch: peers.LaunchPlan | None = None  # the order with its dates (peers.launch_plan)
    problem: str | None = None  # no peers: nothing after step 1 can be computed
    errors: dict[str, InputError] | None = None  # stage -> the seller's input it stopped on


@dataclass
class PeerSet:
    """The chosen search's snapshots and the peers picked from them (R-L1)."""

    comp: pd.DataFrame  # the chosen snapshots' rows (one search only)
    selection: pd.DataFrame  # a select_peers result
    search: str | None
    chosen: peers.DefaultPeers | None = None  # the price band used (None: ASINs chosen)
    leaders: peers.PeerSummary | None = None  # the search's best sellers: the ceiling
    entrants: peers.RecentEntrants | None = None  # a second opinion: recent entrants


def compute_peer_set(wiz: Wizard, data: Data, settings: Settings) -> PeerSet:
    """The peers from the stored Peers inputs: the chosen search's snapshots only, its organic
    listings in the price band around your price, up to the top N by BSR (default: the typical
    product, ``peers.default_peers``), or the ASINs the seller chose."""
    options = snapshot_options(data, wiz.get("uploaded", {}))
    search = chosen_search(wiz, data, options)
    empty = pd.DataFrame()
    if search is None:
        return PeerSet(empty, empty, None)
    of_search = {k: v for k, v in options.items() if str(v["search"].iloc[0]) == search}
    chosen = [k for k in wiz.get("snapshots", default_snapshots(of_search)) if k in of_search]
    if not chosen:
        return PeerSet(empty, empty, search)
    comp = pd.concat([of_search[k] for k in chosen], ignore_index=True)
    own = peers.own_asins(data.products) if wiz.get("exclude_own", True) else []
    top_n = int(wiz.get("top_n", peers.TYPICAL_TOP_N))
    asins = wiz.get("asins") or None
    ceiling = peers.leaders(comp, exclude_asins=own)
    entrants = peers.recent_entrants(comp, exclude_asins=own)
    if asins:
        selection = peers.select_peers(
            comp,
            top_n=top_n,
            exclude_sponsored=bool(wiz.get("exclude_sponsored", True)),
            exclude_outliers=bool(wiz.get("exclude_outliers", True)),
            asins=asins,
            exclude_asins=own,
        )
        return PeerSet(comp, selection, search, None, ceiling, entrants)
    band = peers.default_peers(
        comp,
        band_price(wiz, data),
        float(wiz.get("band_share", settings.launch_price_band)),
        top_n=top_n,
        exclude_asins=own,
        exclude_outliers=bool(wiz.get("exclude_outliers", True)),
        exclude_sponsored=bool(wiz.get("exclude_sponsored", True)),
    )
    return PeerSet(comp, band.selection, search, band, ceiling, entrants)


def compute_peers(
    wiz: Wizard, data: Data, settings: Settings | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(chosen snapshots' rows, select_peers result) from the stored Peers inputs."""
    ps = compute_peer_set(wiz, data, settings or Settings())
    return ps.comp, ps.selection


def sync_peer_daily(wiz: Wizard, median: float) -> float:
    """The peer daily sales the plan uses: the peers' median unless the seller typed another.

    The input follows the median while the seller has not changed it (so new filters move it),
    and keeps the seller's own figure once they have.
    """
    typed, source = wiz.get("peer_daily"), wiz.get("peer_daily_from")
    untouched = typed is None or source is None or abs(float(typed) - float(source)) < 1e-9
    if untouched and (typed is None or abs(float(median) - float(source)) > 1e-9):
        wiz.pop("peer_daily")  # the widget is seeded again with the new median
        wiz.set("peer_daily", float(median))
        wiz.set("peer_daily_from", float(median))
    return float(wiz.get("peer_daily"))


def launch_date_default(wiz: Wizard, product: dict[str, Any], settings: Settings) -> date:
    """The product's launch date, else the first day a batch ordered today by the first
    batch's mode can be sellable (``peers.earliest_launch``, R-L4, R-L7)."""
    launched = product.get("launch_date")
    if launched is not None and not pd.isna(launched):
        return pd.Timestamp(launched).date()
    o = order_inputs(wiz, product, settings)
    mode = wiz.get("first_mode", "air")
    return peers.earliest_launch(
        datadate.today(), o["production_days"], o[f"{mode}_days"], o["receiving_days"]
    )


def seasonality_choices(data: Data, comp: pd.DataFrame) -> list[str]:
    out = [FLAT]
    if not comp.empty and pd.to_datetime(comp["snapshot_date"]).dt.month.nunique() >= 2:
        out.append(SNAPSHOTS)
    if not data.keywords.empty:
        out.append(KEYWORDS)
    return out


def compute_demand(
    wiz: Wizard, data: Data, settings: Settings, comp: pd.DataFrame, plan: Plan
) -> peers.LaunchDemand:
    summary = plan.summary
    assert summary is not None and plan.peer_daily is not None
    product = product_row(data, wiz.get("sku"))
    start = wiz.get("launch_date", launch_date_default(wiz, product, settings))
    lift = float(wiz.get("lift", settings.launch_lift))
    source = wiz.get("seasonality", FLAT)
    month_factors: dict[int, float] = {}
    trend = 0.0
    text = "flat: no seasonality applied"
    if source == SNAPSHOTS and not comp.empty:
        chosen = peers.peers_only(plan.selection)["asin"] if plan.selection is not None else None
        month_factors = peers.month_factors_from_snapshots(comp, chosen)
        text = "month profile from the competitor snapshots"
    elif source == KEYWORDS:
        search = comp["search"].dropna().unique().tolist() if not comp.empty else None
        trend = peers.keyword_trend(data.keywords, search) or 0.0
        text = f"keyword search-volume trend ({trend:+.0%} per 30 days)"
    event_lift = float(wiz.get("event_lift", peers.EVENT_LIFT))
    events = peers.event_days(
        start,
        peers.HORIZON_DAYS,
        promotions=data.promotions if wiz.get("promotions", True) else None,
        sku=wiz.get("sku"),
        event_lift=event_lift,
        calendar=bool(wiz.get("calendar_events", True)),
    )
    return peers.launch_demand(
        plan.peer_daily,
        start,
        peers.HORIZON_DAYS,
        lift,
        month_factors=month_factors,
        monthly_trend=trend,
        events=events,
        event_lift=event_lift,
        source=text,
        band=peers.peer_band(summary, plan.peer_daily),
    )


def economics_defaults(
    wiz: Wizard, data: Data, product: dict[str, Any], plan: Plan
) -> peers.EconomicsDefaults:
    """Prefill for the Economics inputs (``peers.economics_defaults``): the chosen product's
    row, else the peers, else the medians of the workspace's products, else stated guesses."""
    rows = peers.peers_only(plan.selection) if plan.selection is not None else None
    d = peers.economics_defaults(product, data.products, plan.summary, rows)
    typed = float(wiz.get("band_price") or 0.0)
    if not product and typed > 0:
        d = dataclasses.replace(d, price=typed, sources={**d.sources, "price": "step 1"})
    return d


def compute_economics(
    wiz: Wizard, data: Data, settings: Settings, plan: Plan
) -> fees.UnitEconomics:
    product = product_row(data, wiz.get("sku"))
    d = economics_defaults(wiz, data, product, plan)
    mode = wiz.get("first_mode", "air")
    freight = float(wiz.get(f"{mode}_cost", getattr(d, f"{mode}_cost")))
    return fees.unit_economics(
        price=float(wiz.get("price", d.price)),
        unit_cost=float(wiz.get("unit_cost", d.unit_cost)),
        freight_per_unit=freight,
        duty_rate=float(wiz.get("duty_rate", settings.duty_rate)),
        fba_fee=float(wiz.get("fba_fee", d.fba_fee)),
        referral_rate=float(wiz.get("referral_rate", d.referral_rate)),
        storage_per_unit=float(wiz.get("storage", 0.0)),
        target_margin=settings.target_gross_margin,
    )


def compute_launch(wiz: Wizard, data: Data, settings: Settings, plan: Plan) -> peers.LaunchPlan:
    """The order and its dates from the stored Order inputs (``peers.launch_plan``, the same
    function ``stockcycle launch`` calls): R-L2..R-L7."""
    assert plan.demand is not None
    o = order_inputs(wiz, product_row(data, wiz.get("sku")), settings)
    return peers.launch_plan(
        plan.demand,
        production_days=o["production_days"],
        transit_days={"air": o["air_days"], "sea": o["sea_days"]},
        receiving_days=o["receiving_days"],
        first_mode=wiz.get("first_mode", "air"),
        follow_mode=o["follow_mode"],
        follow_ready=o["follow_ready"],
        cover_days=settings.launch_cover_days,
        safety_days=settings.launch_safety_days,
        first_order_share=settings.first_order_share,
        case_pack=int(o["case_pack"]) or None,
    )


def build_plan(wiz: Wizard, data: Data, settings: Settings) -> tuple[Plan, pd.DataFrame]:
    plan = Plan()
    ps = compute_peer_set(wiz, data, settings)
    comp, selection = ps.comp, ps.selection
    plan.selection = selection
    plan.entrants = ps.entrants
    if ps.search is None and snapshot_options(data, wiz.get("uploaded", {})):
        plan.problem = no_search_text(wiz.get("sku"))
        return plan, comp
    if selection.empty:
        plan.problem = (
            "No competitor snapshot chosen: import a Helium 10 Xray export on the Data page or "
            "upload one in step 1."
        )
        return plan, comp
    try:
        plan.summary = peers.peer_summary(selection)
    except InputError as err:
        plan.problem = str(err)
        return plan, comp
    plan.peer_daily = sync_peer_daily(wiz, plan.summary.median)
    plan.errors = {}
    stages = (
        ("demand", lambda: compute_demand(wiz, data, settings, comp, plan)),
        ("economics", lambda: compute_economics(wiz, data, settings, plan)),
        ("launch", lambda: compute_launch(wiz, data, settings, plan)),
    )
    for stage, compute in stages:
        try:
            setattr(plan, stage, compute())
        except InputError as err:
            plan.errors["order" if stage == "launch" else stage] = err
            break
    if plan.launch is not None:
        plan.order = plan.launch.order
    return plan, comp


def no_search_text(sku: str | None) -> str:
    return (
        f"{plain(sku)} has no Xray search of its own: choose its search in step 1, or import an "
        "Xray export of the search its buyers use. Another product's competitors would size this "
        "launch on the wrong market."
    )


def own_launch_check(data: Data, wiz: Wizard, plan: Plan) -> peers.SanityCheck | None:
    """The first order against the seller's own launches (``peers.launch_sanity``)."""
    if plan.order is None:
        return None
    product = product_row(data, wiz.get("sku"))
    launches = peers.own_launches(data.sales, data.products)
    category = product.get("category")
    return peers.launch_sanity(
        plan.order.first_order_units,
        plan.order.expected_daily_sales,
        launches,
        category=str(category) if category else None,
        exclude_sku=product.get("sku"),
    )


# -- page ------------------------------------------------------------------------------------------
def main(ws: Workspace) -> None:
    settings = ws.settings()
    data = load_data(ws)
    wiz = Wizard("launch", STEPS, ws)
    st.caption(
        "Size a new product's first order from its competitors (R-L1..R-L8): pick the peers, "
        "set the launch demand, check the unit economics, then order 70% now and decide the "
        "other 30% on the first weeks of sales."
    )
    skus = data.products["sku"].dropna().astype(str).tolist() if not data.products.empty else []
    wiz.field(
        st.selectbox,
        "Product",
        "sku",
        NEW_PRODUCT,
        options=[NEW_PRODUCT, *skus],
        help="An existing SKU prefills price, costs, lead times and its launch date; its "
        "sales from the launch date feed the monitor (step 5).",
    )
    if wiz.get("inputs_for_sku", wiz.get("sku")) != wiz.get("sku"):
        # Another product: its row prefills these again (the seller's edits were for the last).
        for key in PRODUCT_INPUTS:
            wiz.pop(key)
    wiz.set("inputs_for_sku", wiz.get("sku"))
    step = wiz.show_steps()
    if step == 0:
        peers_step(wiz, data, settings)
    plan, comp = build_plan(wiz, data, settings)
    needs = {1: [], 2: ["demand"], 3: ["demand", "economics"], 4: ["demand", "economics"]}
    missing = [s for s in needs.get(step, []) if getattr(plan, s) is None]
    if step > 0 and plan.problem:
        st.warning(plan.problem, icon=":material/warning:")
    elif missing:
        err = (plan.errors or {}).get(missing[0])
        st.warning(
            f"Fix the {missing[0]} step first" + (f": {err}" if err else "."),
            icon=":material/warning:",
        )
    elif step == 1:
        demand_step(wiz, data, settings, comp, plan)
    elif step == 2:
        economics_step(wiz, data, settings, plan)
    elif step == 3:
        order_step(wiz, ws, data, settings, plan)
    elif step == 4:
        monitor_step(wiz, ws, data, settings, plan)
    st.divider()
    wiz.nav_buttons()


# -- step 1: peers ---------------------------------------------------------------------------------
def _take_uploads(wiz: Wizard, files: list[Any], search: str) -> None:
    from stockcycle.ingest import parse_file

    uploaded: dict[str, pd.DataFrame] = dict(wiz.get("uploaded", {}))
    errors: dict[str, str] = dict(wiz.get("upload_errors", {}))
    for f in files:
        if f.name in uploaded:
            continue
        try:
            parsed = parse_file(
                f.getvalue(),
                f.name,
                search=search or "launch peers",
                as_of=peers.snapshot_date_from_name(f.name),
            )
            if "competitors" not in parsed.tables or parsed.tables["competitors"].empty:
                raise InputError(
                    f"recognised as {parsed.label}, not as a competitor export",
                    file=f.name,
                    expected="a Helium 10 Xray export (ASIN, Price, ASIN Sales, BSR, ...)",
                )
        except InputError as err:
            errors[f.name] = str(err)
        else:
            uploaded[f.name] = parsed.tables["competitors"]
            errors.pop(f.name, None)
    wiz.set("uploaded", uploaded)
    wiz.set("upload_errors", errors)


def peers_step(wiz: Wizard, data: Data, settings: Settings) -> None:
    st.subheader("1 Peers: who sells what you will sell")
    with st.expander("Upload Xray snapshots", expanded=data.competitors.empty):
        search = wiz.field(
            st.text_input,
            "Search the exports were taken on",
            "upload_search",
            "",
            placeholder="e.g. silicone baking mat",
        )
        files = st.file_uploader(
            "Helium 10 Xray exports (CSV/XLSX)",
            accept_multiple_files=True,
            key=wiz.widget_key("uploader", seed=False),
        )
        if files:
            _take_uploads(wiz, files, search)
        for message in wiz.get("upload_errors", {}).values():
            st.error(message, icon=":material/error:")
        if wiz.get("uploaded"):
            st.caption(
                "Uploaded here (kept while this browser tab is open; import them on the Data "
                "page to keep them): " + ", ".join(wiz.get("uploaded"))
            )
    options = snapshot_options(data, wiz.get("uploaded", {}))
    if not options:
        st.info("No competitor snapshots yet: upload a Helium 10 Xray export above.")
        return
    product = product_row(data, wiz.get("sku"))
    names = search_options(options)
    suggested = default_search(options, product)
    search = wiz.field(
        st.selectbox,
        "Search",
        "search",
        suggested if suggested is not None else NO_SEARCH,
        options=[*names, NO_SEARCH],
        help="The Amazon search your product will be found on. Only that search's Xray "
        "snapshots are its competitors; an existing SKU starts on the search named like its "
        "category or title.",
    )
    if search == NO_SEARCH:
        st.warning(no_search_text(wiz.get("sku") or "This product"), icon=":material/warning:")
        return
    of_search = {k: v for k, v in options.items() if str(v["search"].iloc[0]) == search}
    chosen = wiz.field(
        st.multiselect,
        "Snapshots",
        "snapshots",
        default_snapshots(of_search),
        options=list(of_search),
        help="One or more Xray snapshots of this search. Each ASIN's latest figures are the "
        "peer figures; several snapshots also show how each peer moved between them.",
    )
    if not chosen:
        st.info("Choose at least one snapshot.")
        return
    c1, c2 = st.columns(2)
    with c1:
        wiz.field(
            st.number_input,
            "Top N by BSR",
            "top_n",
            peers.TYPICAL_TOP_N,
            min_value=1,
            max_value=500,
            step=1,
            help="Keep up to N listings in your price band with the best (lowest) Best Sellers "
            "Rank: 100 is the typical product of the search, not its leaders (R-L1).",
        )
        if not product:
            wiz.field(
                st.number_input,
                "Your price (optional)",
                "band_price",
                0.0,
                min_value=0.0,
                step=0.5,
                help="The peers are priced around it; 0: the search's median price stands in.",
            )
        wiz.field(
            st.number_input,
            "Price band around your price (+/- share)",
            "band_share",
            float(settings.launch_price_band),
            min_value=0.01,
            max_value=2.0,
            step=0.05,
            help="Peers sell at a price close to yours: 0.25 = 25% below to 25% above "
            "(R-L1, Settings). Too few listings in it and it is widened step by step.",
        )
    with c2:
        wiz.field(st.checkbox, "Leave out sponsored placements", "exclude_sponsored", True)
        wiz.field(
            st.checkbox,
            "Leave out outliers",
            "exclude_outliers",
            True,
            help="Listings whose sales lie outside Tukey's fences (1.5 IQR) on log sales.",
        )
        wiz.field(st.checkbox, "Leave out my own listings", "exclude_own", True)
        comp = pd.concat([of_search[k] for k in chosen], ignore_index=True)
        all_asins = sorted(comp["asin"].dropna().astype(str).unique())
        wiz.field(
            st.multiselect,
            "Only these ASINs (optional)",
            "asins",
            [],
            options=all_asins,
            help="Pick the peers yourself: the price band and top N then do not apply.",
        )
    ps = compute_peer_set(wiz, data, settings)
    comp, selection = ps.comp, ps.selection
    peer_rows = peers.peers_only(selection)
    if peer_rows.empty:
        st.warning("No peer is left with these filters: widen them.", icon=":material/warning:")
        return
    summary = peers.peer_summary(selection)
    if ps.chosen is not None:
        band = ps.chosen
        where = (
            f"priced {band.band[0]:,.2f}-{band.band[1]:,.2f}"
            if band.band is not None
            else "at any price"
        )
        st.caption(
            f"Peers: the typical product of '{ps.search}', up to {int(wiz.get('top_n', 100))} "
            f"listings by BSR {where}, around {band.price:,.2f} ({band.price_source})."
        )
        if band.widened:
            st.info(band.note(), icon=":material/open_in_full:")
    m = st.columns(6)
    m[0].metric("Peers", f"{summary.n}")
    m[1].metric("Median daily sales", f"{summary.median:,.1f}")
    m[2].metric("Q1 daily sales", f"{summary.q1:,.1f}")
    m[3].metric("Q3 daily sales", f"{summary.q3:,.1f}")
    m[4].metric("Median price", f"{summary.median_price:,.2f}")
    if ps.leaders is not None:
        m[5].metric(
            "Best sellers' daily sales",
            f"{ps.leaders.median:,.1f}",
            help=f"The median of the search's top {ps.leaders.n} by BSR, any price: what the "
            "leaders sell, the ceiling, not what a new listing should plan on.",
        )
    if ps.entrants is not None:
        young = ps.entrants.summary
        st.caption(
            f"Second opinion: {young.n} recent entrant{'s' if young.n != 1 else ''} of this "
            f"search ({ps.entrants.rule}) sell a median {young.median:,.1f} a day "
            f"(half between {young.q1:,.1f} and {young.q3:,.1f})."
        )
    extra = ""
    if ps.leaders is not None:
        extra = (
            f"\n\nBest sellers: the top {ps.leaders.n} organic listings by BSR at any price "
            f"sell a median {ps.leaders.median:,.1f}/day (Q1 {ps.leaders.q1:,.1f}, Q3 "
            f"{ps.leaders.q3:,.1f}). They show the ceiling; the base is the typical product "
            "in your price band (R-L1, the seed's method: the top 100 by BSR in the band)."
        )
    if ps.chosen is not None:
        tried = ", ".join(f"+/-{sh:.0%}: {n}" for sh, n in ps.chosen.tried)
        extra += (
            f"\n\nPrice band = your price x (1 -/+ share); peers found per band tried "
            f"({tried}); at least {peers.MIN_BAND_PEERS} are needed before it stops widening."
        )
    explain("peer daily sales", summary.explain() + extra)
    st.markdown("**Peers**")
    st.dataframe(
        peer_rows[
            [
                "asin",
                "brand",
                "title",
                "price",
                "monthly_sales",
                "daily_sales",
                "revenue",
                "bsr",
                "reviews",
                "rating",
                "sellers",
                "age_days",
            ]
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "asin": "ASIN",
            "brand": "Brand",
            "title": st.column_config.TextColumn("Title", width="medium"),
            "price": st.column_config.NumberColumn("Price", format="%.2f"),
            "monthly_sales": st.column_config.NumberColumn("Monthly sales", format="localized"),
            "daily_sales": st.column_config.NumberColumn("Daily sales", format="%.1f"),
            "revenue": st.column_config.NumberColumn("Revenue", format="localized"),
            "bsr": st.column_config.NumberColumn("BSR", format="%d"),
            "reviews": st.column_config.NumberColumn("Reviews", format="localized"),
            "rating": st.column_config.NumberColumn("Rating", format="%.1f"),
            "sellers": st.column_config.NumberColumn("Sellers", format="%d"),
            "age_days": st.column_config.NumberColumn("Age (days)", format="%d"),
        },
    )
    st.markdown("**Price against daily sales** (left-out listings in grey)")
    st.altair_chart(charts.peer_scatter_chart(selection), width="stretch")
    left_out = selection[~selection["peer"]]
    if len(left_out):
        with st.expander(f"Left out ({len(left_out)})"):
            st.dataframe(
                left_out[["asin", "brand", "price", "monthly_sales", "bsr", "reason_excluded"]],
                hide_index=True,
                width="stretch",
            )
    if comp["snapshot_date"].nunique() >= 2:
        st.markdown("**How the peers moved between snapshots**")
        moves = peers.snapshot_moves(comp)
        moves = moves[moves["asin"].isin(peer_rows["asin"])]
        st.dataframe(
            moves,
            hide_index=True,
            width="stretch",
            column_config={
                "asin": "ASIN",
                "brand": "Brand",
                "first_snapshot": st.column_config.DateColumn("First snapshot"),
                "last_snapshot": st.column_config.DateColumn("Last snapshot"),
                "snapshots": "Snapshots",
                "price_first": st.column_config.NumberColumn("Price then", format="%.2f"),
                "price_last": st.column_config.NumberColumn("Price now", format="%.2f"),
                "price_change": st.column_config.NumberColumn("Price change", format="percent"),
                "sales_first": st.column_config.NumberColumn("Sales then", format="localized"),
                "sales_last": st.column_config.NumberColumn("Sales now", format="localized"),
                "sales_change": st.column_config.NumberColumn("Sales change", format="percent"),
                "bsr_first": st.column_config.NumberColumn("BSR then", format="%d"),
                "bsr_last": st.column_config.NumberColumn("BSR now", format="%d"),
            },
        )
        history = peers.snapshot_history(comp, peer_rows["asin"])
        st.altair_chart(charts.snapshot_moves_chart(history), width="stretch")


# -- step 2: demand --------------------------------------------------------------------------------
def demand_step(
    wiz: Wizard, data: Data, settings: Settings, comp: pd.DataFrame, plan: Plan
) -> None:
    st.subheader("2 Demand: the first 90 days")
    summary = plan.summary
    assert summary is not None
    product = product_row(data, wiz.get("sku"))
    c1, c2, c3 = st.columns(3)
    with c1:
        wiz.field(
            st.number_input,
            "Peer daily sales (units/day)",
            "peer_daily",
            plan.peer_daily,
            min_value=0.0,
            step=1.0,
            help=f"Prefilled with the peers' median ({summary.median:,.1f}/day); type your own "
            "figure to override it.",
        )
        wiz.field(
            st.number_input,
            "Launch lift (x)",
            "lift",
            float(settings.launch_lift),
            min_value=0.1,
            max_value=10.0,
            step=0.1,
            help="Promotion effect at launch over peer sales (R-L3, Settings: launch lift).",
        )
    with c2:
        wiz.field(
            st.date_input,
            "Launch date",
            "launch_date",
            launch_date_default(wiz, product, settings),
            help="The day the first batch is sellable. An existing SKU starts at its launch date.",
        )
        choices = seasonality_choices(data, comp)
        wiz.field(
            st.radio,
            "Seasonality",
            "seasonality",
            FLAT,
            options=choices,
            help="Flat; a month profile from the competitor snapshots (competitor sales in "
            "each snapshot month against the latest); or the keywords' 30-day search-volume "
            "trend carried forward (R-L2).",
        )
    with c3:
        wiz.field(
            st.checkbox,
            "Amazon events",
            "calendar_events",
            True,
            help="Prime Day (and its lead-in), Black Friday / Cyber Monday week and the "
            "Christmas run-up, from the events file the forecast uses.",
        )
        wiz.field(
            st.number_input,
            "Lift on event days",
            "event_lift",
            0.5,
            min_value=0.0,
            max_value=10.0,
            step=0.1,
            help="0.5 = +50% on the days of an Amazon event.",
        )
        wiz.field(
            st.checkbox,
            "My promotions of this product",
            "promotions",
            True,
            help="From the promotions table (their own expected lift). The launch lift already "
            "is the launch promotion: leave a launch coupon out here to count it once.",
        )
    demand = plan.demand
    assert demand is not None
    daily = demand.daily
    m = st.columns(4)
    m[0].metric("Expected daily sales (factor 1)", f"{demand.base_daily:,.1f}")
    m[1].metric("First 30 days", f"{daily['expected'].head(30).sum():,.0f}")
    m[2].metric("First 90 days", f"{daily['expected'].sum():,.0f}")
    m[3].metric("Mean day factor, first 30 days", f"{demand.mean_factor(30):.2f}")
    explain("expected launch demand", demand.explain())
    st.altair_chart(charts.launch_demand_chart(daily), width="stretch")
    monthly = (
        daily.assign(month=daily["date"].dt.strftime("%Y-%m"))
        .groupby("month", as_index=False)
        .agg(
            days=("date", "size"),
            expected=("expected", "sum"),
            low=("low", "sum"),
            high=("high", "sum"),
        )
        .round({"expected": 0, "low": 0, "high": 0})
    )
    st.dataframe(
        monthly,
        hide_index=True,
        column_config={
            "month": "Month",
            "days": "Days",
            "expected": st.column_config.NumberColumn("Expected units", format="localized"),
            "low": st.column_config.NumberColumn("Peer Q1 x lift", format="localized"),
            "high": st.column_config.NumberColumn("Peer Q3 x lift", format="localized"),
        },
    )


# -- step 3: economics -----------------------------------------------------------------------------
def economics_step(wiz: Wizard, data: Data, settings: Settings, plan: Plan) -> None:
    st.subheader("3 Economics: what one unit earns")
    product = product_row(data, wiz.get("sku"))
    d = economics_defaults(wiz, data, product, plan)
    st.caption(
        (f"Prefilled from the product row of {wiz.get('sku')}: " if product else "Prefilled: ")
        + d.sources_note()
        + "."
    )
    if d.guesses:
        st.info(d.guess_note(), icon=":material/help:")
    c1, c2, c3 = st.columns(3)
    with c1:
        wiz.field(st.number_input, "Price", "price", d.price, min_value=0.01, step=0.5)
        wiz.field(st.number_input, "Unit cost", "unit_cost", d.unit_cost, min_value=0.0, step=0.1)
        wiz.field(
            st.number_input,
            "Duty (share of unit cost)",
            "duty_rate",
            float(settings.duty_rate),
            min_value=0.0,
            max_value=2.0,
            step=0.01,
        )
    with c2:
        wiz.field(st.number_input, "Air freight per unit", "air_cost", d.air_cost, min_value=0.0)
        wiz.field(st.number_input, "Sea freight per unit", "sea_cost", d.sea_cost, min_value=0.0)
        wiz.field(
            st.radio,
            "First batch ships by",
            "first_mode",
            "air",
            options=["air", "sea"],
            horizontal=True,
            help="R-L7: air (7-14 days) catches the launch window, sea (30-45 days) is for "
            "replenishment. The landed cost uses this mode's freight.",
        )
    with c3:
        wiz.field(st.number_input, "FBA fee per unit", "fba_fee", d.fba_fee, min_value=0.0)
        wiz.field(
            st.number_input,
            "Referral fee (share of price)",
            "referral_rate",
            d.referral_rate,
            min_value=0.0,
            max_value=0.99,
            step=0.01,
        )
        wiz.field(st.number_input, "Storage per unit", "storage", 0.0, min_value=0.0, step=0.05)
    econ = plan.economics
    if econ is None:
        show_error((plan.errors or {}).get("economics") or InputError("no unit economics"))
        return
    m = st.columns(4)
    m[0].metric("Landed cost", f"{econ.landed_cost:,.2f}")
    m[1].metric("Profit per unit", f"{econ.profit_per_unit:,.2f}")
    m[2].metric("Gross margin", f"{econ.gross_margin:.1%}")
    m[3].metric("ROI", f"{econ.roi:.0%}" if math.isfinite(econ.roi) else "n/a")
    if not econ.meets_target:
        st.warning(
            f"Gross margin {econ.gross_margin:.1%} is below the {econ.target_margin:.0%} target "
            "(R-L6): raise the price, cut the unit cost or freight, or pass on this product.",
            icon=":material/warning:",
        )
    explain("unit economics", econ.explain())
    parts = pd.DataFrame(
        {
            "part": [
                "unit cost",
                "freight",
                "duty",
                "FBA fee",
                "referral fee",
                "storage",
                "profit",
            ],
            "amount": [
                econ.unit_cost,
                econ.freight_per_unit,
                econ.duty_per_unit,
                econ.fba_fee,
                econ.referral_fee,
                econ.storage_per_unit,
                econ.profit_per_unit,
            ],
        }
    )
    st.altair_chart(charts.unit_economics_chart(parts), width="stretch")
    st.dataframe(
        parts.assign(share_of_price=parts["amount"] / econ.price * 100),
        hide_index=True,
        column_config={
            "part": "Part",
            "amount": st.column_config.NumberColumn("Per unit", format="%.2f"),
            "share_of_price": st.column_config.NumberColumn("Share of price", format="%.1f%%"),
        },
    )


# -- step 4: order ---------------------------------------------------------------------------------
def order_inputs(wiz: Wizard, product: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The stored Order inputs, defaults from ``peers.lead_time_defaults`` (R-L4, R-L7)."""
    d = peers.lead_time_defaults(product, settings)
    return {
        "production_days": float(wiz.get("production_days", d["production_days"])),
        "air_days": float(wiz.get("air_days", d["air_days"])),
        "sea_days": float(wiz.get("sea_days", d["sea_days"])),
        "case_pack": int(wiz.get("case_pack", d["case_pack"])),
        "follow_mode": wiz.get("follow_mode", "sea"),
        "follow_ready": bool(wiz.get("follow_ready", False)),
        "receiving_days": float(wiz.get("receiving_days", d["receiving_days"])),
        "service_level": float(wiz.get("service_level", 1 - settings.stockout_probability)),
    }


def _order_widgets(wiz: Wizard, data: Data, settings: Settings) -> None:
    product = product_row(data, wiz.get("sku"))
    d = peers.lead_time_defaults(product, settings)
    c1, c2, c3 = st.columns(3)
    with c1:
        wiz.field(
            st.number_input,
            "Production lead time (days)",
            "production_days",
            d["production_days"],
            min_value=0.0,
            step=1.0,
            help=f"R-L4: typically {settings.lead_time_min_days}-{settings.lead_time_max_days} "
            "days.",
        )
        wiz.field(
            st.number_input, "Case pack (units)", "case_pack", int(d["case_pack"]), min_value=1
        )
    with c2:
        wiz.field(st.number_input, "Air transit (days)", "air_days", d["air_days"], min_value=0.0)
        wiz.field(st.number_input, "Sea transit (days)", "sea_days", d["sea_days"], min_value=0.0)
        wiz.field(
            st.number_input,
            "Receiving at the warehouse (days)",
            "receiving_days",
            d["receiving_days"],
            min_value=0.0,
            help="Check-in at the Amazon warehouse before stock is sellable (Settings).",
        )
    with c3:
        wiz.field(
            st.radio,
            "Follow-up ships by",
            "follow_mode",
            "sea",
            options=["sea", "air"],
            horizontal=True,
        )
        wiz.field(
            st.checkbox,
            "Follow-up made with the first batch",
            "follow_ready",
            False,
            help="The supplier makes the follow-up together with the first batch and holds it "
            "until you decide: then only transit stands between the decision and the arrival.",
        )
        wiz.field(
            st.slider,
            "Service level",
            "service_level",
            round(1 - settings.stockout_probability, 3),
            min_value=0.80,
            max_value=0.995,
            step=0.005,
            help="1 - target stockout probability (R-L4, Settings: 5%). Shipping modes whose "
            "stockout risk is above the target are flagged.",
        )


def order_step(wiz: Wizard, ws: Workspace, data: Data, settings: Settings, plan: Plan) -> None:
    st.subheader("4 Order: how much, when, how")
    _order_widgets(wiz, data, settings)
    lp, econ, summary = plan.launch, plan.economics, plan.summary
    if lp is None or econ is None or summary is None:
        show_error((plan.errors or {}).get("order") or InputError("no launch order"))
        return
    order, demand = lp.order, lp.demand
    inputs = order_inputs(wiz, product_row(data, wiz.get("sku")), settings)
    launch = lp.launch_date
    first_mode, follow_mode = lp.first_mode, lp.follow_mode
    econ_d = economics_defaults(wiz, data, product_row(data, wiz.get("sku")), plan)
    freight = {
        m: float(wiz.get(f"{m}_cost", getattr(econ_d, f"{m}_cost"))) for m in lp.transit_days
    }
    target = 1 - inputs["service_level"]

    m = st.columns(4)
    m[0].metric(f"Cycle stock ({order.cover_days} days)", f"{order.cycle_stock_units:,}")
    m[1].metric(f"Safety stock ({order.safety_days} days)", f"{order.safety_stock_units:,}")
    m[2].metric(f"First order ({order.first_order_share:.0%})", f"{order.first_order_units:,}")
    m[3].metric(f"Follow-up ({1 - order.first_order_share:.0%})", f"{order.follow_up_units:,}")
    explain("first order", order.explain() + "\n\n" + lp.explain())
    if plan.entrants is not None and plan.peer_daily:
        implied = plan.entrants.implied(plan.peer_daily, order.first_order_units)
        st.caption(
            f"Second opinion: planned on what the search's {plan.entrants.summary.n} recent "
            f"entrants sell ({plan.entrants.summary.median:,.1f} a day instead of "
            f"{plan.peer_daily:,.1f}), the first order would be {implied:,.0f} units."
        )
    sanity = own_launch_check(data, wiz, plan)
    if sanity is not None and sanity.warn:
        st.warning(sanity.message(), icon=":material/warning:")
        explain("your own launches", sanity.explain())

    # The follow-up: the latest date to order it so it lands before the first batch sells out.
    decide_by = lp.follow_up_decide_by
    if decide_by is None:
        st.markdown(
            f"**No follow-up needed**: no expected sales, the first batch of "
            f"{order.first_order_units:,} units never sells out."
        )
    else:
        st.markdown(
            f"**Decide the follow-up {order.follow_up_units:,} units by {decide_by:%d %b %Y}** "
            f"({follow_mode}, {lp.follow_lead_days:,.0f} days from order to arrival)."
        )
        if decide_by < lp.review_date:
            st.warning(
                f"The follow-up must be decided by {decide_by:%d %b %Y}, before two weeks of "
                f"sales (to {lp.review_date:%d %b %Y}) can tell you anything: ship it by air, "
                "have the supplier make it with the first batch and hold it, or order more up "
                "front.",
                icon=":material/warning:",
            )

    # First batch: the last day to order it by each mode, freight and cash (R-L6, R-L7).
    first_table = peers.first_batch_options(
        order.first_order_units,
        launch,
        lp.production_days,
        lp.transit_days,
        freight,
        econ.unit_cost,
        econ.duty_rate,
        lp.receiving_days,
    )
    first_row = first_table[first_table["mode"] == first_mode].iloc[0]
    st.markdown(
        f"**First batch: {order.first_order_units:,} units sellable on {launch:%d %b %Y}** "
        f"(ships by {first_mode}, as chosen in step 3)"
    )
    st.dataframe(first_table, hide_index=True, column_config=_ORDER_COLUMNS)
    # A launch still ahead whose order date has passed (a past launch is what it was).
    if lp.first_order_by < datadate.today() <= launch:
        st.warning(
            f"To launch on {launch:%d %b %Y} by {first_mode}, the first batch had to be ordered "
            f"by {lp.first_order_by:%d %b %Y}: move the launch date or ship by air.",
            icon=":material/schedule:",
        )
    explain(
        "cash needed",
        f"Cash = units x (unit cost x (1 + duty) + freight) = {order.first_order_units:,} x "
        f"({econ.unit_cost:,.2f} x (1 + {econ.duty_rate:.0%}) + {freight[first_mode]:,.2f}) = "
        f"**{first_row['cash_needed']:,.2f}** for the first batch by {first_mode} (R-L6). "
        "Order by = launch date - (production + transit + receiving) (R-L7).",
    )

    # Follow-up by air or sea: the risk that the first batch sells out before it lands.
    shipping = peers.follow_up_shipping(
        lp, freight, margin_per_unit=econ.profit_per_unit, stockout_target=target
    )
    if shipping is not None:
        st.markdown(
            f"**Follow-up by air or sea, ordered on {shipping.order_date:%d %b %Y}** (the "
            f"decide-by date; about {shipping.on_hand_units:,.0f} units of sales covered from "
            f"then on; target stockout risk {target:.1%})"
        )
        table = shipping.options
        shown = table.assign(expected_lost_units=table["expected_lost_units"].round())
        st.dataframe(
            shown[
                [
                    "mode",
                    "lead_time_days",
                    "arrival",
                    "total_cost",
                    "stockout_probability",
                    "expected_lost_units",
                    "lost_margin",
                    "cost_with_lost_margin",
                    "meets_target",
                ]
            ],
            hide_index=True,
            column_config=_ORDER_COLUMNS,
        )
        explain("shipping comparison", shipping.explain())

    # The plan: the follow-up ordered on its date lands when the first batch sells out.
    follow_arrival = lp.follow_up_arrival
    expected = demand.daily["expected"].to_numpy()
    if follow_arrival is None:
        arrivals = pd.DataFrame(
            {
                "date": [pd.Timestamp(launch)],
                "units": [order.first_order_units],
                "label": ["launch"],
            }
        )
    else:
        arrivals = pd.DataFrame(
            {
                "date": [pd.Timestamp(launch), pd.Timestamp(follow_arrival)],
                "units": [order.first_order_units, order.follow_up_units],
                "label": ["launch", f"follow-up by {follow_mode}"],
            }
        )
    stock = policy.projected_stock(
        launch,
        order.first_order_units,
        expected,
        arrivals=arrivals.iloc[1:][["date", "units"]],
    )
    st.markdown(
        "**Stock after launch** (expected sales"
        + (
            f"; the follow-up ordered by {decide_by:%d %b %Y} lands on {follow_arrival:%d %b %Y})"
            if decide_by is not None and follow_arrival is not None
            else ")"
        )
    )
    st.altair_chart(charts.launch_stock_chart(stock, arrivals), width="stretch")

    # Newsvendor: a second opinion on the total, with the same level uncertainty.
    window = lp.window_days
    salvage = wiz.field(
        st.number_input,
        "Salvage value per unsold unit",
        "salvage",
        round(econ.landed_cost * 0.5, 2),
        min_value=0.0,
        step=0.1,
        help="What one unit left over brings back (liquidation, a deep discount); prefilled "
        "with half the landed cost. The newsvendor weighs it against the margin lost per unit "
        "short.",
    )
    try:
        nv = policy.launch_newsvendor(
            econ.price,
            econ.landed_cost,
            float(salvage),
            lp.window_mean_units,
            lp.window_sd_units,
        )
    except InputError as err:
        st.info(f"Newsvendor second opinion not available: {err}")
    else:
        st.metric(
            f"Newsvendor quantity over {window} days (second opinion)",
            f"{nv.units:,}",
            delta=f"{nv.units - order.total_units:+,.0f} units against the R-L3 total",
            delta_color="off",
        )
        explain(
            "newsvendor",
            nv.explain()
            + f"\n\nDemand over {window} days: mean = {order.expected_daily_sales:,.1f} x "
            f"{window}; sd = {lp.sd_level_daily:,.1f} x {window} (the level is uncertain, not "
            "each day: the peers' spread moves every day of the window together; the shipping "
            "comparison uses the same).",
        )

    # The plan: save and download (R-A3).
    sku = wiz.get("sku") if wiz.get("sku") != NEW_PRODUCT else "new product"
    cover_note = (
        f"covers {lp.first_cover_days:,.1f} days from launch"
        if decide_by is not None
        else "no expected sales: no follow-up needed"
    )
    table = peers.launch_plan_table(
        sku,
        order.first_order_units,
        order.follow_up_units,
        order.first_order_share,
        {
            "mode": first_mode,
            "order_by": lp.first_order_by,
            "arrival": launch,
            "unit_cost": econ.unit_cost,
            "freight_per_unit": freight[first_mode],
            "cash_needed": first_row["cash_needed"],
            "note": cover_note,
        },
        {
            "mode": follow_mode,
            "order_by": decide_by,
            "arrival": follow_arrival,
            "unit_cost": econ.unit_cost,
            "freight_per_unit": freight[follow_mode],
            "cash_needed": fees.cash_needed(
                order.follow_up_units, econ.unit_cost, freight[follow_mode], econ.duty_rate
            ),
            "note": "decide by the order date on early sales (R-L5, R-L8)"
            if decide_by is not None
            else "no follow-up needed",
        },
    )
    st.markdown("**Launch plan**")
    st.dataframe(table, hide_index=True, width="stretch", column_config=_ORDER_COLUMNS)
    name = wiz.field(st.text_input, "Plan name", "plan_name", f"Launch {sku} {launch:%Y-%m-%d}")
    params = {
        "sku": sku,
        "launch_date": launch.isoformat(),
        "peer_daily_sales": plan.peer_daily,
        "peers": summary.to_dict(),
        "demand": demand.to_dict(),
        "order": order.to_dict(),
        "launch_plan": {k: v for k, v in lp.to_dict().items() if k not in ("order", "demand")},
        "economics": econ.to_dict(),
        "follow_up_decide_by": None if decide_by is None else decide_by.isoformat(),
        "service_level": inputs["service_level"],
        "plan_daily": [round(float(x), 4) for x in demand.daily["expected"]],
    }
    left, right = st.columns([1, 3])
    if left.button("Save plan to workspace", key="launch_save", type="primary"):
        plan_id = ws.save_plan("launch", name or "launch", table, params)
        right.success(f"Saved as plan {plan_id}: {name}.", icon=":material/check_circle:")
    download_plan(table, f"launch_plan_{sku.replace(' ', '_')}", label="plan")


_ORDER_COLUMNS = {
    "mode": "Mode",
    "batch": "Batch",
    "sku": "SKU",
    "units": st.column_config.NumberColumn("Units", format="localized"),
    "share": st.column_config.NumberColumn("Share", format="percent"),
    "shipping_mode": "Ships by",
    "lead_time_days": st.column_config.NumberColumn("Lead time (days)", format="%.0f"),
    "order_by": st.column_config.DateColumn("Order by"),
    "arrival": st.column_config.DateColumn("Arrival"),
    "freight_cost": st.column_config.NumberColumn("Freight", format="accounting"),
    "total_cost": st.column_config.NumberColumn("Freight", format="accounting"),
    "unit_cost": st.column_config.NumberColumn("Unit cost", format="accounting"),
    "freight_per_unit": st.column_config.NumberColumn("Freight per unit", format="accounting"),
    "cash_needed": st.column_config.NumberColumn("Cash needed", format="accounting"),
    "stockout_probability": st.column_config.NumberColumn("P(stockout)", format="percent"),
    "expected_lost_units": st.column_config.NumberColumn("Lost units", format="localized"),
    "lost_margin": st.column_config.NumberColumn("Lost margin", format="accounting"),
    "cost_with_lost_margin": st.column_config.NumberColumn(
        "Freight + lost margin", format="accounting"
    ),
    "meets_target": st.column_config.CheckboxColumn("Meets target"),
    "note": "Note",
}


# -- step 5: monitor -------------------------------------------------------------------------------
def actual_sales(data: Data, sku: str | None, start: date) -> pd.Series:
    """Units per day of ``sku`` from ``start`` to the last day of the workspace's sales (all
    channels summed; a day without a row sold 0)."""
    if not sku or sku == NEW_PRODUCT or data.sales.empty:
        return pd.Series(dtype="float64")
    last = data.sales["date"].max()
    rows = data.sales[(data.sales["sku"] == sku) & (data.sales["date"] >= pd.Timestamp(start))]
    if pd.isna(last) or pd.Timestamp(start) > last:
        return pd.Series(dtype="float64")
    days = pd.date_range(pd.Timestamp(start), last, freq="D")
    return rows.groupby("date")["units"].sum().reindex(days, fill_value=0.0).astype("float64")


THIS_PLAN = "This plan (steps 1-4)"


def saved_plan_daily(ws: Workspace, plan_id: int) -> tuple[str, pd.Series]:
    """(SKU, expected units per day from the launch date) of a saved launch plan."""
    params, _ = ws.load_plan(plan_id)
    start = pd.Timestamp(params["launch_date"])
    daily = [float(x) for x in params.get("plan_daily", [])]
    index = pd.date_range(start, periods=len(daily), freq="D")
    return str(params.get("sku", "")), pd.Series(daily, index=index, dtype="float64")


def typed_sales_editor(
    wiz: Wizard, start: date, ws: Workspace | None = None, sku: str | None = None
) -> pd.Series:
    """The "Typed in below" table: units per day the seller types, kept in the wizard store
    and in the workspace (``alerts.save_typed_sales``), so a new browser session, a reload or
    the daily check (``stockcycle check``, R-L8) finds every typed figure.

    The editor's base table stays fixed while the editor is on screen (its identity, and so
    the seller's edits, depend on it) and is replaced by the last edited table only when the
    editor comes back (another step, page or product). With nothing typed in this session, the
    base is the product's table saved in the workspace. Every typed figure is kept in
    ``typed_actuals``; only rows without a date or without units are left out of the monitor,
    and ``alerts.launch_monitor`` skips the days left empty (R-L8).
    Returns units per day indexed by date (empty when nothing is typed yet).
    """
    editor_key = wiz.widget_key("typed_editor", seed=False)
    owner = sku or NEW_PRODUCT
    if wiz.get("typed_for", owner) != owner:
        # Another product: its own typed figures, not the last product's.
        for key in ("typed_actuals", "typed_base", "typed_saved"):
            wiz.pop(key)
        st.session_state.pop(editor_key, None)
    wiz.set("typed_for", owner)
    if editor_key not in st.session_state or wiz.get("typed_base") is None:
        # The editor starts again from the last saved table (its own edits are gone).
        base = wiz.get("typed_actuals")
        if base is None and ws is not None:
            saved = alerts.saved_typed_sales(ws, owner)
            if saved is not None:
                base = pd.DataFrame(
                    {
                        "date": pd.to_datetime(saved["date"]).dt.date,
                        "units": pd.to_numeric(saved["units"]).astype("float64"),
                    }
                )
        if base is None:
            base = pd.DataFrame(
                {"date": [start + timedelta(days=i) for i in range(7)], "units": [None] * 7}
            )
            base["units"] = base["units"].astype("float64")
        wiz.set("typed_base", base)
    edited = st.data_editor(
        wiz.get("typed_base"),
        key=editor_key,
        num_rows="dynamic",
        column_config={
            "date": st.column_config.DateColumn("Date", required=True),
            "units": st.column_config.NumberColumn("Units sold", min_value=0),
        },
        hide_index=True,
    )
    st.caption(
        "Type the units sold per day and leave a day empty when you have no figure yet: "
        "empty days are skipped, they do not count as on plan. What you type is kept in the "
        "workspace."
    )
    wiz.set("typed_actuals", edited)
    if ws is not None:
        # Written only when the figures changed, not on every rerun of the page.
        digest = pd.util.hash_pandas_object(edited.astype(str), index=False).sum()
        if wiz.get("typed_saved") != int(digest):
            alerts.save_typed_sales(ws, owner, edited)
            wiz.set("typed_saved", int(digest))
    typed = edited.dropna(subset=["date", "units"])
    return pd.Series(
        pd.to_numeric(typed["units"]).to_numpy(dtype="float64"),
        index=pd.to_datetime(typed["date"]),
    )


def monitor_step(wiz: Wizard, ws: Workspace, data: Data, settings: Settings, plan: Plan) -> None:
    st.subheader("5 Monitor: early sales against the plan")
    demand = plan.demand
    assert demand is not None
    saved = ws.plans("launch")
    labels = {THIS_PLAN: None}
    for r in saved.itertuples(index=False):
        labels[f"Saved plan {r.id}: {r.name} ({str(r.created_at)[:10]})"] = int(r.id)
    c1, c2 = st.columns(2)
    with c1:
        chosen = wiz.field(
            st.selectbox, "Plan to compare with", "monitor_plan", THIS_PLAN, options=list(labels)
        )
    if labels.get(chosen) is None:
        # The plan line: expected sales of step 2 (its day factors included).
        sku = wiz.get("sku")
        plan_daily = pd.Series(demand.daily["expected"].to_numpy(), index=demand.daily["date"])
    else:
        sku, plan_daily = saved_plan_daily(ws, labels[chosen])
    start = plan_daily.index.min().date()
    from_ws = actual_sales(data, sku, start)
    sources = ["Typed in below"]
    if len(from_ws):
        sources.insert(0, "Sales in the workspace")
    with c2:
        source = wiz.field(
            st.radio,
            "Actual sales",
            "monitor_source",
            sources[0],
            options=sources,
            horizontal=True,
        )
    if source == "Sales in the workspace":
        actual = from_ws
        st.caption(
            f"{plain(sku)}: {len(actual)} days from {start:%d %b %Y} to "
            f"{actual.index.max():%d %b %Y}, all channels summed."
        )
    else:
        actual = typed_sales_editor(wiz, start, ws, sku)
    if actual.empty:
        st.info("No sales yet: import the product's sales or type the first days in.")
        return
    try:
        status = alerts.launch_monitor(
            plan_daily,
            actual,
            band=settings.launch_deviation_band,
            days=settings.launch_days_below_band,
        )
    except InputError as err:
        show_error(err)
        return
    m = st.columns(3)
    m[0].metric("Days reported", f"{status.days_reported}")
    m[1].metric("State", status.state)
    m[2].metric("Days in a row outside the band", f"{status.run_length}")
    if status.state == alerts.BELOW:
        st.error(status.recommendation, icon=":material/trending_down:")
    elif status.state == alerts.ABOVE:
        st.warning(status.recommendation, icon=":material/trending_up:")
    else:
        st.info(status.recommendation, icon=":material/info:")
    explain("launch monitor", status.explain())
    st.altair_chart(charts.launch_monitor_chart(status.rows), width="stretch")
    st.dataframe(
        status.rows,
        hide_index=True,
        width="stretch",
        column_config={
            "date": st.column_config.DateColumn("Date"),
            "plan": st.column_config.NumberColumn("Plan", format="%.1f"),
            "low": st.column_config.NumberColumn("Band low", format="%.1f"),
            "high": st.column_config.NumberColumn("Band high", format="%.1f"),
            "actual": st.column_config.NumberColumn("Actual", format="%.1f"),
            "deviation": st.column_config.NumberColumn("Deviation", format="percent"),
            "status": "Against the band",
            "run": st.column_config.NumberColumn("Days in a row", format="%d"),
            "alert": st.column_config.CheckboxColumn("Alert (R-L8)"),
        },
    )
