"""The normalised tables: one place for their columns, types and keys.

Every parser returns DataFrames with exactly these columns (missing optional values as NA); the
store creates its SQLite tables from this file and uses ``key`` to make re-imports idempotent:
a row whose key is already in the workspace replaces the old row instead of adding to it, so
importing two overlapping reports never double counts. Two tables go further:
- ``order_lines``: All Orders lines are kept one by one and the store rebuilds the ``sales``
  rows of every (date, sku, channel) an import touches from all the lines it holds, so two
  reports that each hold part of a day add up, and an order listed in both counts once.
- ``traffic`` (``overlap``): a re-imported report replaces the stored rows of its SKUs whose
  period overlaps its own, so a Business Report is never counted twice.

Types: ``date`` (stored as ISO text 'YYYY-MM-DD'), ``text``, ``int``, ``float``, ``bool``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    name: str
    columns: dict[str, str]  # column -> type
    key: tuple[str, ...]  # columns that identify a row; a re-import with the same key replaces
    description: str
    # "replace": a re-imported key replaces the whole row.
    # "merge": a re-imported key only overwrites the columns the new row actually has (non-NA),
    #          so a Business Report filling in titles does not erase unit costs.
    on_conflict: str = "replace"
    # (start column, end column): a new row replaces stored rows of its SKU whose period
    # overlaps [start, end], not only the row with the same key.
    overlap: tuple[str, str] | None = None


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "sales",
            {
                "date": "date",
                "sku": "text",
                "channel": "text",
                "units": "float",  # units ordered (demand), returns excluded
                "returns": "float",  # units returned (negative quantities in the source)
                "revenue": "float",  # ordered product sales in the sale currency
                "price": "float",  # average selling price that day
                "currency": "text",
            },
            key=("date", "sku", "channel"),
            description="Daily units and revenue per SKU and sales channel.",
        ),
        Table(
            "order_lines",
            {
                "order_id": "text",  # amazon-order-id
                "sku": "text",
                # 1 for the first line of this SKU in the order, 2 for the second (rare): the
                # flat file has no order-item id, and an order lists its lines in the same
                # order in every report, so (order, SKU, line) names one line across reports.
                "line": "int",
                "date": "date",  # purchase date as written (the seller's day, no conversion)
                "channel": "text",  # sales-channel
                "status": "text",  # order-status as written
                "cancelled": "bool",  # order or item cancelled: counts nowhere
                "units": "float",  # the quantity when positive
                "returns": "float",  # |quantity| of a return line (negative quantity)
                "revenue": "float",  # item-price of a line with a positive quantity
                "currency": "text",
            },
            key=("order_id", "sku", "line"),
            description="Amazon All Orders lines; the sales of their days are built from them.",
        ),
        Table(
            "traffic",
            {
                "period_start": "date",
                "period_end": "date",
                "sku": "text",
                "asin": "text",
                "parent_asin": "text",
                "title": "text",
                "sessions": "float",
                "page_views": "float",
                "units": "float",
                "revenue": "float",
                "buy_box_pct": "float",  # 0..1
                "conversion_pct": "float",  # 0..1, unit session percentage
            },
            key=("period_start", "period_end", "sku"),
            description="Business Report figures per child item and period.",
            overlap=("period_start", "period_end"),
        ),
        Table(
            "inventory",
            {
                "snapshot_date": "date",
                "sku": "text",
                "location": "text",  # FBA, WFS, 3PL, own site, supplier, ...
                "available": "float",
                "inbound": "float",
                "reserved": "float",
                "unfulfillable": "float",
            },
            key=("snapshot_date", "sku", "location"),
            description="Stock on hand per SKU and location at a snapshot date.",
            # Two Amazon reports of the same day (Manage FBA Inventory, Inventory planning)
            # each know some columns; neither may blank what the other filled in.
            on_conflict="merge",
        ),
        Table(
            "aging",
            {
                "snapshot_date": "date",
                "sku": "text",
                "bucket": "text",  # 0-90, 91-180, 181-270, 271-365, 365+ (R-K2)
                "units": "float",
            },
            key=("snapshot_date", "sku", "bucket"),
            description="Units per inventory-age bucket (R-K2).",
        ),
        Table(
            "products",
            {
                "sku": "text",
                "asin": "text",
                "title": "text",
                "brand": "text",
                "category": "text",
                "unit_cost": "float",  # purchase cost per unit
                "freight_cost": "float",  # first-mile freight per unit (R-L6)
                "price": "float",
                "fba_fee": "float",
                "referral_pct": "float",  # 0..1
                "cubic_feet": "float",
                "size_tier": "text",
                "shipping_weight_lb": "float",  # per unit, for removal/liquidation fees (R-F3)
                "search": "text",  # the Xray search the product competes in (R-L1, R-D4)
                "lead_time_days": "float",  # supplier production lead time
                "case_pack": "float",
                "moq": "float",
                "air_days": "float",
                "air_cost": "float",  # per unit
                "sea_days": "float",
                "sea_cost": "float",  # per unit
                "launch_date": "date",
            },
            key=("sku",),
            description="Product economics and supply parameters per SKU.",
            on_conflict="merge",
        ),
        Table(
            "competitors",
            {
                "snapshot_date": "date",
                "search": "text",  # the search or category the Xray export was taken on
                "asin": "text",
                "title": "text",
                "brand": "text",
                "price": "float",
                "currency": "text",
                "monthly_sales": "float",  # ASIN-level monthly units
                "parent_sales": "float",  # parent-level monthly units (repeated on children)
                "revenue": "float",  # ASIN-level monthly revenue
                "bsr": "float",
                "fees": "float",
                "reviews": "float",
                "rating": "float",
                "sellers": "float",
                "created": "date",
                "sponsored": "bool",
                "country": "text",
            },
            key=("snapshot_date", "search", "asin", "sponsored"),
            description="Helium 10 Xray snapshots of competitor listings.",
        ),
        Table(
            "keywords",
            {
                "snapshot_date": "date",
                "keyword": "text",
                "search_volume": "float",
                "trend": "float",  # search-volume change, 0.25 = +25%
                "competing_products": "float",
            },
            key=("snapshot_date", "keyword"),
            description="Keyword search volumes (Cerebro / Keyword Tracker / generic).",
        ),
        Table(
            "promotions",
            {
                "sku": "text",
                "start": "date",
                "end": "date",
                "name": "text",
                "expected_lift": "float",  # 0.5 = +50% demand while it runs
            },
            key=("sku", "start", "name"),
            description="The seller's planned promotions and events per SKU.",
        ),
        Table(
            "purchase_orders",
            {
                "po": "text",
                "sku": "text",
                "units": "float",
                "ordered": "date",
                "eta": "date",
                "location": "text",
                "status": "text",
            },
            key=("po", "sku"),
            description="Open and past purchase orders.",
        ),
    ]
}

#: Columns added to a table after workspaces were first written: a workspace file made before
#: lacks them, and opening or restoring it adds them blank (``store._add_missing_columns``).
ADDED_COLUMNS: dict[str, tuple[str, ...]] = {"products": ("shipping_weight_lb", "search")}


def empty_frame(table: str):
    """An empty DataFrame with the table's columns and pandas dtypes."""
    import pandas as pd

    dtypes = {
        "date": "datetime64[ns]",
        "text": "string",
        "int": "Int64",
        "float": "float64",
        "bool": "boolean",
    }
    spec = TABLES[table].columns
    return pd.DataFrame({c: pd.Series(dtype=dtypes[t]) for c, t in spec.items()})
