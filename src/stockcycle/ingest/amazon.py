"""Amazon Seller Central reports: All Orders, Business Report, FBA inventory, Restock, planning.

Each ``parse_*`` takes the report's columns (as raw strings keyed by ``Col.key``, index = row
number) and returns normalised tables. Header lists are in ``stockcycle.ingest.FORMATS``.
"""

from __future__ import annotations

import pandas as pd

from stockcycle.ingest.clean import (
    require,
    to_date,
    to_number,
    to_percent,
    to_text,
)
from stockcycle.ingest.formats import Col
from stockcycle.ingest.frame import (
    ParseContext,
    drop_duplicate_rows,
    finish,
    keep_last_per_key,
    sum_per_key,
)

UNITS = "a whole number of units"
STOCK = "a whole number of units, 0 or more"
MONEY = "an amount like 12.99 or $1,299.99"
DEFAULT_CHANNEL = "Amazon.com"
FBA = "FBA"


def _products(df: pd.DataFrame, **cols: pd.Series) -> pd.DataFrame:
    """A light products table (the last row per SKU wins; blanks never erase, see the store's
    merge rule for products)."""
    data = pd.DataFrame(cols, index=df.index)
    data = data[data["sku"].notna().to_numpy()].drop_duplicates("sku", keep="last")
    return finish("products", data)


def _stock(ctx: ParseContext, df: pd.DataFrame, key: str) -> pd.Series:
    """A stock count: whole, not negative; a blank cell in an Amazon stock column means 0."""
    if key not in df.columns:
        return pd.Series(float("nan"), index=df.index)
    return to_number(ctx, df[key], key, expected=STOCK, whole=True, minimum=0).fillna(0.0)


# -- All Orders --------------------------------------------------------------------------------
ALL_ORDERS = [
    Col("order_id", ("amazon-order-id",), True),
    Col("merchant_order_id", ("merchant-order-id",)),
    Col("purchase_date", ("purchase-date",), True),
    Col("last_updated", ("last-updated-date",)),
    Col("order_status", ("order-status",), True),
    Col("fulfillment_channel", ("fulfillment-channel",)),
    Col("sales_channel", ("sales-channel",), True),
    Col("product_name", ("product-name",)),
    Col("sku", ("sku",), True),
    Col("asin", ("asin",), True),
    Col("item_status", ("item-status",)),
    Col("quantity", ("quantity",), True),
    Col("currency", ("currency",)),
    Col("item_price", ("item-price",), True),
    Col("ship_service_level", ("ship-service-level",)),
    Col("item_tax", ("item-tax",)),
    Col("ship_country", ("ship-country",)),
    Col("is_business_order", ("is-business-order",)),
]
# Read only these (the rest of the 30+ columns are not needed and cost time and memory).
ALL_ORDERS_READ = {
    "order_id",
    "purchase_date",
    "last_updated",
    "order_status",
    "sales_channel",
    "product_name",
    "sku",
    "asin",
    "item_status",
    "quantity",
    "currency",
    "item_price",
}


def parse_all_orders(df: pd.DataFrame, ctx: ParseContext) -> dict[str, pd.DataFrame]:
    """Order lines -> ``order_lines`` (one row per line, cancelled ones too) and products.

    The store keeps every order line under (order id, SKU, line) and rebuilds the daily
    ``sales`` of the days a report touches from all the lines it holds (``store``), so two
    reports that share a day add up and an order listed in both counts once. Per line:
    units = the quantity when positive; returns = |quantity| when negative (a return line);
    revenue = item-price (the line total, quantity x unit price) on lines with a positive
    quantity, i.e. ordered product sales; cancelled = order-status or item-status
    ``Cancelled`` (not demand: such lines count nowhere, but are kept so that a later report
    cancelling an order undoes its units). line = 1 for the first line of a SKU in an order,
    2 for the second (the flat file has no order-item id; an order lists its lines in the same
    order in every report). Identical lines (same order, SKU and every value) are a double
    export: dropped once.
    """
    df = drop_duplicate_rows(ctx, df, "order lines")
    order = to_text(df["order_id"])
    require(ctx, order, "order_id", "an Amazon order id")
    sku = to_text(df["sku"])
    require(ctx, sku, "sku", "a SKU")
    day = to_date(ctx, df["purchase_date"], "purchase_date")
    require(ctx, day, "purchase_date", "the purchase date")
    qty = to_number(ctx, df["quantity"], "quantity", expected=UNITS, whole=True)
    require(ctx, qty, "quantity", UNITS)
    price = to_number(ctx, df["item_price"], "item_price", expected=MONEY)
    ctx.step(0.6, "cleaning")
    status = to_text(df["order_status"])
    cancelled = status.str.casefold().eq("cancelled")
    if "item_status" in df.columns:
        cancelled |= df["item_status"].str.strip().str.casefold().eq("cancelled")
    cancelled = cancelled.fillna(False).astype(bool)
    live = ~cancelled
    n_cancel = int(cancelled.sum())
    if n_cancel:
        ctx.notes.append(f"{n_cancel:,} cancelled order lines are not counted as demand")
    returns_mask = live & (qty < 0)
    if returns_mask.any():
        ctx.notes.append(
            f"{int(returns_mask.sum()):,} return lines (negative quantity) counted as returns"
        )
    no_price = live & (qty > 0) & price.isna()
    if no_price.any():
        ctx.warnings.append(
            f"{int(no_price.sum()):,} order lines with no item-price (pending "
            "orders?) counted in units but not in revenue"
        )
    ctx.step(0.75, "aggregating")
    line = pd.DataFrame({"o": order, "s": sku}).groupby(["o", "s"], sort=False).cumcount() + 1
    lines = pd.DataFrame(
        {
            "order_id": order,
            "sku": sku,
            "line": line,
            "date": day,
            "channel": to_text(df["sales_channel"]).fillna(DEFAULT_CHANNEL),
            "status": status,
            "cancelled": cancelled,
            "units": qty.clip(lower=0),
            "returns": (-qty).clip(lower=0),
            "revenue": price.where(qty > 0, 0.0),
            "currency": to_text(df["currency"]) if "currency" in df.columns else None,
        }
    )
    title = to_text(df["product_name"]) if "product_name" in df.columns else None
    products = _products(df, sku=sku, asin=to_text(df["asin"]), title=title)
    return {"order_lines": finish("order_lines", lines), "products": products}


# -- Business Report ---------------------------------------------------------------------------
_BR_COMMON = [
    Col("parent_asin", ("(Parent) ASIN",)),
    Col("asin", ("(Child) ASIN",), True),
    Col("title", ("Title",)),
    Col("sku", ("SKU",), True),
    Col("sessions", ("Sessions - Total", "Sessions"), True),
    Col("page_views", ("Page Views - Total", "Page Views")),
    Col(
        "buy_box",
        ("Featured Offer (Buy Box) Percentage", "Featured Offer Percentage", "Buy Box Percentage"),
    ),
    Col("units", ("Units Ordered",), True),
    Col("conversion", ("Unit Session Percentage",)),
    Col("revenue", ("Ordered Product Sales",), True),
    Col("order_items", ("Total Order Items",)),
]
BUSINESS_REPORT = _BR_COMMON
BUSINESS_REPORT_BY_DATE = [Col("date", ("Date",), True), *_BR_COMMON]


def _business_rows(df: pd.DataFrame, ctx: ParseContext) -> pd.DataFrame:
    sku = to_text(df["sku"])
    require(ctx, sku, "sku", "a SKU")
    out = pd.DataFrame(
        {
            "sku": sku,
            "asin": to_text(df["asin"]),
            "parent_asin": to_text(df["parent_asin"]) if "parent_asin" in df.columns else None,
            "title": to_text(df["title"]) if "title" in df.columns else None,
            "sessions": to_number(
                ctx, df["sessions"], "sessions", expected="a number of sessions", minimum=0
            ),
            "units": to_number(
                ctx, df["units"], "units", expected=UNITS, whole=True, minimum=0
            ).fillna(0.0),
            "revenue": to_number(ctx, df["revenue"], "revenue", expected=MONEY).fillna(0.0),
        },
        index=df.index,
    )
    if "page_views" in df.columns:
        out["page_views"] = to_number(
            ctx, df["page_views"], "page_views", expected="a number of page views", minimum=0
        )
    if "buy_box" in df.columns:
        out["buy_box_pct"] = to_percent(ctx, df["buy_box"], "buy_box", maximum=1.0)
    if "conversion" in df.columns:
        out["conversion_pct"] = to_percent(ctx, df["conversion"], "conversion", maximum=1.0)
    return out


def parse_business_report(df: pd.DataFrame, ctx: ParseContext) -> dict[str, pd.DataFrame]:
    """Detail Page Sales and Traffic by Child Item for one period -> ``traffic``.

    The report carries no dates: the period is the caller's, else the 30 days ending on
    ``as_of`` inclusive (with a warning); the store replaces stored rows of the same SKUs whose
    period overlaps, so a report is never counted twice. Percent cells (``12.50%``) become
    shares (0.125)."""
    df = drop_duplicate_rows(ctx, df)
    rows = _business_rows(df, ctx)
    start, end = ctx.default_period()
    rows["period_start"] = pd.Timestamp(start)
    rows["period_end"] = pd.Timestamp(end)
    rows = keep_last_per_key(ctx, rows, ["sku"], "SKU")
    products = _products(rows, sku=rows["sku"], asin=rows["asin"], title=rows["title"])
    return {"traffic": finish("traffic", rows), "products": products}


def parse_business_report_by_date(df: pd.DataFrame, ctx: ParseContext) -> dict[str, pd.DataFrame]:
    """The by-date variant (a leading Date column) -> daily ``traffic`` and ``sales``.

    sales: channel Amazon.com, units = Units Ordered, revenue = Ordered Product Sales,
    price = revenue / units."""
    df = drop_duplicate_rows(ctx, df)
    rows = _business_rows(df, ctx)
    day = to_date(ctx, df["date"], "date")
    require(ctx, day, "date", "the report date")
    rows["period_start"] = day
    rows["period_end"] = day
    rows = keep_last_per_key(ctx, rows, ["period_start", "sku"], "date and SKU")
    sales = pd.DataFrame(
        {
            "date": rows["period_start"],
            "sku": rows["sku"],
            "channel": DEFAULT_CHANNEL,
            "units": rows["units"],
            "revenue": rows["revenue"],
            "price": (rows["revenue"] / rows["units"]).where(rows["units"] > 0),
        }
    )
    products = _products(rows, sku=rows["sku"], asin=rows["asin"], title=rows["title"])
    return {
        "traffic": finish("traffic", rows),
        "sales": finish("sales", sales),
        "products": products,
    }


# -- Manage FBA Inventory ---------------------------------------------------------------
FBA_INVENTORY = [
    Col("sku", ("sku",), True),
    Col("fnsku", ("fnsku",)),
    Col("asin", ("asin",), True),
    Col("title", ("product-name",)),
    Col("condition", ("condition",)),
    Col("price", ("your-price",)),
    Col("mfn_listing", ("mfn-listing-exists",)),
    Col("mfn_fulfillable", ("mfn-fulfillable-quantity",)),
    Col("afn_listing", ("afn-listing-exists",)),
    Col("warehouse", ("afn-warehouse-quantity",)),
    Col("fulfillable", ("afn-fulfillable-quantity",), True),
    Col("unsellable", ("afn-unsellable-quantity",), True),
    Col("reserved", ("afn-reserved-quantity",), True),
    Col("total", ("afn-total-quantity",)),
    Col("volume", ("per-unit-volume",)),
    Col("in_working", ("afn-inbound-working-quantity",), True),
    Col("in_shipped", ("afn-inbound-shipped-quantity",), True),
    Col("in_receiving", ("afn-inbound-receiving-quantity",), True),
]


def parse_fba_inventory(df: pd.DataFrame, ctx: ParseContext) -> dict[str, pd.DataFrame]:
    """Manage FBA Inventory -> ``inventory`` at location FBA on ``as_of`` (or today).

    available = afn-fulfillable-quantity; inbound = working + shipped + receiving;
    reserved = afn-reserved-quantity; unfulfillable = afn-unsellable-quantity.
    Also products: price = your-price, cubic_feet = per-unit-volume."""
    df = drop_duplicate_rows(ctx, df)
    sku = to_text(df["sku"])
    require(ctx, sku, "sku", "a SKU")
    inv = pd.DataFrame(
        {
            "sku": sku,
            "snapshot_date": pd.Timestamp(ctx.snapshot_date()),
            "location": FBA,
            "available": _stock(ctx, df, "fulfillable"),
            "inbound": (
                _stock(ctx, df, "in_working")
                + _stock(ctx, df, "in_shipped")
                + _stock(ctx, df, "in_receiving")
            ),
            "reserved": _stock(ctx, df, "reserved"),
            "unfulfillable": _stock(ctx, df, "unsellable"),
        },
        index=df.index,
    )
    inv = keep_last_per_key(ctx, inv, ["sku"], "SKU")
    price = (
        to_number(ctx, df["price"], "price", expected=MONEY, minimum=0)
        if "price" in df.columns
        else None
    )
    volume = (
        to_number(ctx, df["volume"], "volume", expected="cubic feet per unit", minimum=0)
        if "volume" in df.columns
        else None
    )
    products = _products(
        df,
        sku=sku,
        asin=to_text(df["asin"]),
        title=to_text(df["title"]) if "title" in df.columns else None,
        price=price,
        cubic_feet=volume,
    )
    return {"inventory": finish("inventory", inv), "products": products}


# -- Restock Inventory ------------------------------------------------------------------
RESTOCK = [
    Col("country", ("Country",)),
    Col("title", ("Product Name",)),
    Col("fnsku", ("FNSKU",)),
    Col("sku", ("Merchant SKU",), True),
    Col("asin", ("ASIN",), True),
    Col("condition", ("Condition",)),
    Col("currency", ("Currency code",)),
    Col("price", ("Price",)),
    Col("units_30", ("Units Sold Last 30 Days",)),
    # Merchant SKU, ASIN, Available and Inbound already tell this report from every other
    # format, and stockcycle uses neither Total Units nor Amazon's recommendation: optional.
    Col("total", ("Total Units",)),
    Col("inbound", ("Inbound",), True),
    Col("available", ("Available",), True),
    Col("fc_transfer", ("FC transfer",)),
    Col("fc_processing", ("FC Processing",)),
    Col("customer_order", ("Customer Order",)),
    Col("unfulfillable", ("Unfulfillable",)),
    Col("working", ("Working",)),
    Col("shipped", ("Shipped",)),
    Col("receiving", ("Receiving",)),
    Col("recommended_qty", ("Recommended replenishment qty",)),
    Col("recommended_date", ("Recommended ship date",)),
]


def parse_restock(df: pd.DataFrame, ctx: ParseContext) -> dict[str, pd.DataFrame]:
    """Restock Inventory -> ``inventory`` at FBA on ``as_of`` (or today) and products.

    available = Available; inbound = Inbound; reserved = FC transfer + FC Processing +
    Customer Order (Amazon's three reserved states); unfulfillable = Unfulfillable."""
    df = drop_duplicate_rows(ctx, df)
    sku = to_text(df["sku"])
    require(ctx, sku, "sku", "a SKU")
    reserved_parts = [
        k for k in ("fc_transfer", "fc_processing", "customer_order") if k in df.columns
    ]
    reserved = (
        sum(_stock(ctx, df, k) for k in reserved_parts)
        if reserved_parts
        else pd.Series(float("nan"), index=df.index)
    )
    inv = pd.DataFrame(
        {
            "sku": sku,
            "snapshot_date": pd.Timestamp(ctx.snapshot_date()),
            "location": FBA,
            "available": _stock(ctx, df, "available"),
            "inbound": _stock(ctx, df, "inbound"),
            "reserved": reserved,
            "unfulfillable": _stock(ctx, df, "unfulfillable"),
        },
        index=df.index,
    )
    inv = keep_last_per_key(ctx, inv, ["sku"], "SKU")
    price = (
        to_number(ctx, df["price"], "price", expected=MONEY, minimum=0)
        if "price" in df.columns
        else None
    )
    products = _products(
        df,
        sku=sku,
        asin=to_text(df["asin"]),
        title=to_text(df["title"]) if "title" in df.columns else None,
        price=price,
    )
    return {"inventory": finish("inventory", inv), "products": products}


# -- FBA Inventory planning (inventory age) ---------------------------------------------
AGE_BUCKETS = {  # column key -> R-K2 bucket
    "age_0_90": "0-90",
    "age_91_180": "91-180",
    "age_181_270": "181-270",
    "age_271_365": "271-365",
    "age_365_plus": "365+",
}
PLANNING = [
    Col("snapshot", ("snapshot-date",)),
    Col("sku", ("sku",), True),
    Col("fnsku", ("fnsku",)),
    Col("asin", ("asin",)),
    Col("title", ("product-name",)),
    Col("condition", ("condition",)),
    Col("available", ("available",), True),
    Col("pending_removal", ("pending-removal-quantity",)),
    Col("age_0_90", ("inv-age-0-to-90-days",), True),
    Col("age_91_180", ("inv-age-91-to-180-days",), True),
    Col("age_181_270", ("inv-age-181-to-270-days",), True),
    Col("age_271_365", ("inv-age-271-to-365-days",), True),
    Col("age_365_plus", ("inv-age-365-plus-days",), True),
    Col("currency", ("currency",)),
    Col("shipped_t30", ("units-shipped-t30",)),
    Col("price", ("your-price",)),
    Col("inbound", ("inbound-quantity",)),
]


def parse_planning(df: pd.DataFrame, ctx: ParseContext) -> dict[str, pd.DataFrame]:
    """FBA Inventory planning -> ``aging`` (units per R-K2 bucket) and ``inventory`` (FBA).

    snapshot_date = the row's snapshot-date, else ``as_of`` (or today). Several rows of one SKU
    on one date (one per condition) are added up."""
    df = drop_duplicate_rows(ctx, df)
    sku = to_text(df["sku"])
    require(ctx, sku, "sku", "a SKU")
    snap = (
        to_date(ctx, df["snapshot"], "snapshot")
        if "snapshot" in df.columns
        else pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    )
    if snap.isna().any():
        snap = snap.fillna(pd.Timestamp(ctx.snapshot_date()))
    base = pd.DataFrame({"snapshot_date": snap, "sku": sku}, index=df.index)
    inv = base.assign(
        location=FBA, available=_stock(ctx, df, "available"), inbound=_stock(ctx, df, "inbound")
    )
    inv = sum_per_key(inv, ["snapshot_date", "sku", "location"], ["available", "inbound"])
    ages = base.assign(**{k: _stock(ctx, df, k) for k in AGE_BUCKETS})
    aging = ages.melt(
        id_vars=["snapshot_date", "sku"],
        value_vars=list(AGE_BUCKETS),
        var_name="bucket",
        value_name="units",
    )
    aging["bucket"] = aging["bucket"].map(AGE_BUCKETS)
    aging = sum_per_key(aging, ["snapshot_date", "sku", "bucket"], ["units"])
    order = {b: i for i, b in enumerate(AGE_BUCKETS.values())}
    aging = aging.sort_values(
        ["snapshot_date", "sku", "bucket"], key=lambda s: s.map(order) if s.name == "bucket" else s
    )
    price = (
        to_number(ctx, df["price"], "price", expected=MONEY, minimum=0)
        if "price" in df.columns
        else None
    )
    products = _products(
        df,
        sku=sku,
        asin=to_text(df["asin"]) if "asin" in df.columns else None,
        title=to_text(df["title"]) if "title" in df.columns else None,
        price=price,
    )
    return {
        "aging": finish("aging", aging),
        "inventory": finish("inventory", inv),
        "products": products,
    }
