"""Generic tables: the seller's own spreadsheets, with stockcycle's column names.

A generic file is recognised when its headers (case-insensitive) are exactly stockcycle column
names: all the required ones of one table and otherwise only that table's optional ones. Any
other file can be read through the column-mapping step (``mapping`` + ``target``), which
renames the file's columns to stockcycle's and ignores the rest.

    sales            date, sku, units [, revenue, price, channel, returns, currency]
                     channel defaults to Amazon.com; negative units are counted as returns
    inventory        sku, available [, inbound, reserved, unfulfillable, location,
                     snapshot_date]        location defaults to FBA, snapshot_date to as_of
    products         sku [, asin, title, brand, category, unit_cost, freight_cost, price,
                     fba_fee, referral_pct, cubic_feet, size_tier, shipping_weight_lb, search,
                     lead_time_days, case_pack, moq, air_days, air_cost, sea_days, sea_cost,
                     launch_date]
    keywords         keyword, search_volume [, trend, competing_products, snapshot_date]
    promotions       sku, start, end [, name, expected_lift]
    purchase_orders  po, sku, units [, ordered, eta, location, status]

Shares (referral_pct, trend, expected_lift) are fractions (0.15) or percents with a sign
(``15%``). Unit counts (sales units and returns, inventory quantities, purchase order units)
must be whole numbers: ``2.5`` units is an error, not a rounding. Products of a seller's own
sheet: a product with no column for a value keeps the value it already has in the workspace.
"""

from __future__ import annotations

from functools import partial

import pandas as pd

from stockcycle.errors import InputError
from stockcycle.ingest.clean import (
    DATE_EXPECTED,
    normalise_header,
    require,
    to_date,
    to_number,
    to_share,
    to_text,
)
from stockcycle.ingest.formats import Col, FormatInfo, TargetInfo, make_format
from stockcycle.ingest.frame import (
    ParseContext,
    drop_duplicate_rows,
    finish,
    keep_last_per_key,
    sum_per_key,
)
from stockcycle.schema import TABLES

TARGETS: dict[str, TargetInfo] = {
    t.name: t
    for t in [
        TargetInfo(
            "sales",
            "Sales per day",
            ["date", "sku", "units"],
            ["revenue", "price", "channel", "returns", "currency"],
            "Units sold per day, SKU and channel.",
            {"channel": "Amazon.com"},
        ),
        TargetInfo(
            "inventory",
            "Inventory snapshot",
            ["sku", "available"],
            ["inbound", "reserved", "unfulfillable", "location", "snapshot_date"],
            "Stock per SKU and location on a date.",
            {"location": "FBA", "snapshot_date": "as_of (default today)"},
        ),
        TargetInfo(
            "products",
            "Product economics",
            ["sku"],
            [c for c in TABLES["products"].columns if c != "sku"],
            "Costs, fees, sizes and supply parameters per SKU.",
        ),
        TargetInfo(
            "keywords",
            "Keyword search volumes",
            ["keyword", "search_volume"],
            ["trend", "competing_products", "snapshot_date"],
            "Monthly search volume per keyword.",
            {"snapshot_date": "as_of (default today)"},
        ),
        TargetInfo(
            "promotions",
            "Planned promotions",
            ["sku", "start", "end"],
            ["name", "expected_lift"],
            "Promotions and events per SKU.",
        ),
        TargetInfo(
            "purchase_orders",
            "Purchase orders",
            ["po", "sku", "units"],
            ["ordered", "eta", "location", "status"],
            "Open and past purchase orders.",
        ),
    ]
}

SHARES = {
    "referral_pct": "a share like 0.15 or 15%",
    "trend": "a change like 0.25 or 25%",
    "expected_lift": "a lift like 0.5 or 50%",
}
_EXPECTED = {
    "units": "a number of units",
    "available": "a number of units, 0 or more",
    "inbound": "a number of units, 0 or more",
    "reserved": "a number of units, 0 or more",
    "unfulfillable": "a number of units, 0 or more",
    "returns": "a number of units, 0 or more",
    "revenue": "an amount like 1,299.99",
    "price": "a price like 12.99",
    "search_volume": "a monthly search volume",
    "competing_products": "a count like 1,234",
}
_MAY_BE_NEGATIVE = {"units", "revenue"}  # sales: negative units are returns; refunds
# Counts of physical units (sales, purchase_orders, inventory): a fraction is a wrong cell.
_WHOLE = {"units", "returns", "available", "inbound", "reserved", "unfulfillable"}
WHOLE_UNITS = "a whole number of units"


def _clean(ctx: ParseContext, df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Type every column present by the schema's type for it; required values not blank."""
    spec = TABLES[table].columns
    target = TARGETS[table]
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        typ = spec.get(col)
        if col in SHARES:
            out[col] = to_share(ctx, df[col], col, expected=SHARES[col])
        elif typ == "date":
            out[col] = to_date(ctx, df[col], col, expected=DATE_EXPECTED)
        elif typ == "float":
            whole = col in _WHOLE
            out[col] = to_number(
                ctx,
                df[col],
                col,
                expected=WHOLE_UNITS if whole else _EXPECTED.get(col, "a number"),
                whole=whole,
                minimum=None if col in _MAY_BE_NEGATIVE else 0,
                allow_gt=col == "competing_products",
            )
        else:
            out[col] = to_text(df[col])
    for col in target.required:
        what = _EXPECTED.get(col, "a date" if spec.get(col) == "date" else f"a {col}")
        require(ctx, out[col], col, what)
    return out


def _sales(ctx: ParseContext, df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """units < 0 are returns (units 0, returns |units|); revenue = price x units and
    price = revenue / units fill each other in; rows of one day, SKU and channel add up."""
    df = df.copy()
    df["channel"] = df["channel"].fillna("Amazon.com") if "channel" in df else "Amazon.com"
    neg = df["units"] < 0
    if neg.any():
        ctx.notes.append(f"{int(neg.sum()):,} rows with negative units counted as returns")
    returns = df["returns"].fillna(0) if "returns" in df else 0.0
    df["returns"] = returns + (-df["units"]).clip(lower=0)
    df["units"] = df["units"].clip(lower=0)
    if "price" in df and "revenue" not in df:
        df["revenue"] = df["price"] * df["units"]
    elif "price" in df:
        df["revenue"] = df["revenue"].fillna(df["price"] * df["units"])
    key = ["date", "sku", "channel"]
    clash = df.duplicated(key, keep=False)
    if clash.any():
        ctx.warnings.append(
            f"{int(clash.sum()):,} rows share a date, SKU and channel; "
            "their units and revenue were added up"
        )
        sums = ["units", "returns"] + (["revenue"] if "revenue" in df else [])
        firsts = [c for c in ("currency",) if c in df]
        df = sum_per_key(df, key, sums, firsts)
    if "revenue" in df:
        df["price"] = (df["revenue"] / df["units"]).where(df["units"] > 0)
    return {"sales": finish("sales", df)}


def _snapshot(ctx: ParseContext, df: pd.DataFrame, col: str = "snapshot_date") -> pd.DataFrame:
    df = df.copy()
    if col not in df or df[col].isna().any():
        filler = pd.Timestamp(ctx.snapshot_date())
        df[col] = df[col].fillna(filler) if col in df else filler
    return df


def _inventory(ctx: ParseContext, df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    df = _snapshot(ctx, df)
    df["location"] = df["location"].fillna("FBA") if "location" in df else "FBA"
    df = keep_last_per_key(ctx, df, ["snapshot_date", "sku", "location"], "date, SKU and location")
    return {"inventory": finish("inventory", df)}


def _products(ctx: ParseContext, df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    df = keep_last_per_key(ctx, df, ["sku"], "SKU")
    return {"products": finish("products", df)}


def _keywords(ctx: ParseContext, df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    df = keep_last_per_key(
        ctx, _snapshot(ctx, df), ["snapshot_date", "keyword"], "date and keyword"
    )
    return {"keywords": finish("keywords", df)}


def _promotions(ctx: ParseContext, df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    ctx.fail(
        df["end"].dt.strftime("%Y-%m-%d"),
        df["end"] < df["start"],
        "end",
        "'{value}' is before the promotion's start",
        "an end date on or after the start",
    )
    df = keep_last_per_key(
        ctx, df, ["sku", "start"] + (["name"] if "name" in df else []), "SKU, start and name"
    )
    return {"promotions": finish("promotions", df)}


def _purchase_orders(ctx: ParseContext, df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if "ordered" in df and "eta" in df:
        ctx.fail(
            df["eta"].dt.strftime("%Y-%m-%d"),
            df["eta"] < df["ordered"],
            "eta",
            "'{value}' is before the order date",
            "an arrival date on or after ordered",
        )
    df = keep_last_per_key(ctx, df, ["po", "sku"], "PO and SKU")
    return {"purchase_orders": finish("purchase_orders", df)}


_BUILDERS = {
    "sales": _sales,
    "inventory": _inventory,
    "products": _products,
    "keywords": _keywords,
    "promotions": _promotions,
    "purchase_orders": _purchase_orders,
}


def parse_generic(df: pd.DataFrame, ctx: ParseContext, *, table: str) -> dict[str, pd.DataFrame]:
    """A generic table (columns already named as stockcycle's) -> that normalised table."""
    df = drop_duplicate_rows(ctx, df)
    return _BUILDERS[table](ctx, _clean(ctx, df, table))


def generic_formats() -> list[FormatInfo]:
    out = []
    for t in TARGETS.values():
        cols = [Col(c, (c,), True) for c in t.required] + [Col(c, (c,)) for c in t.optional]
        out.append(
            make_format(
                f"generic_{t.name}",
                f"{t.label} table ({t.name})",
                [t.name],
                cols,
                partial(parse_generic, table=t.name),
                generic=True,
                description=t.description,
            )
        )
    return out


def mapped_positions(
    headers: list[str], mapping: dict[str, str], target: str, file: str
) -> dict[str, int]:
    """Check a column mapping (file column -> stockcycle column) and return, per stockcycle
    column, the position of the file column that fills it.

    A file column already named like one of the target's columns (case-insensitive) fills it
    without being mapped, unless the mapping uses that column for something else or sends
    another column to it; so ``qty=units`` is enough for a file with date, sku and qty."""
    if target not in TARGETS:
        raise InputError(
            f"'{target}' is not a table a mapped file can fill",
            file=file,
            expected=", ".join(TARGETS),
        )
    info = TARGETS[target]
    norms = [normalise_header(h) for h in headers]
    found: dict[str, int] = {}
    for src, dst in mapping.items():
        if not dst:
            continue
        if dst not in info.columns:
            raise InputError(
                f"the mapping sends '{src}' to '{dst}', which is not a column of {target}",
                file=file,
                expected=", ".join(info.columns),
            )
        n = normalise_header(src)
        if n not in norms:
            raise InputError(
                f"the mapping names '{src}', which is not a column of this file",
                file=file,
                row=1,
                column=src,
                expected="one of " + ", ".join(repr(h) for h in headers if h),
            )
        if dst in found:
            raise InputError(
                f"the mapping sends two columns to '{dst}'",
                file=file,
                column=src,
                expected="one file column per stockcycle column",
            )
        found[dst] = norms.index(n)
    mapped_away = {normalise_header(src) for src in mapping}
    for col in info.columns:
        n = normalise_header(col)
        if col not in found and n in norms and n not in mapped_away:
            found[col] = norms.index(n)
    missing = [c for c in info.required if c not in found]
    if missing:
        used = set(found.values())
        spare = [h for pos, h in enumerate(headers) if h.strip() and pos not in used]
        candidates = (
            ("; the file's columns not used yet: " + ", ".join(repr(h) for h in spare))
            if spare
            else ""
        )
        raise InputError(
            f"the mapping leaves out the required column(s) "
            f"{', '.join(repr(m) for m in missing)} of {target}{candidates}",
            file=file,
            expected="a file column for each of " + ", ".join(info.required),
        )
    return found
