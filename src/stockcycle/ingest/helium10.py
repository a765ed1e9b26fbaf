"""Helium 10 exports: Xray (competitor snapshot, old and new layouts), Cerebro, Keyword Tracker.

Neither carries the date it was taken: ``as_of`` (or today) becomes the snapshot date, so
several Xray exports taken on different days are separate snapshots of the same search. Nor
does an Xray export say which search it shows: the seller must name it (``search``), or the
snapshots of one search would be filed apart or mixed with another's.
"""

from __future__ import annotations

import re

import pandas as pd

from stockcycle.errors import InputError
from stockcycle.ingest.clean import (
    CURRENCY,
    currency_code,
    missing,
    normalise_header,
    require,
    to_date,
    to_number,
    to_percent,
    to_text,
)
from stockcycle.ingest.formats import Col
from stockcycle.ingest.frame import ParseContext, drop_duplicate_rows, finish

_PRICE_HEADER = rf"price \(?({CURRENCY})\)?"


class SearchNeeded(InputError):
    """An Xray export was given without the search it was taken on (the app asks for it)."""

    def __init__(self, file: str) -> None:
        super().__init__(
            "Helium 10 Xray export: say which search it was taken on (--search in "
            "the command line, 'Search' on the Data page)",
            file=file,
            expected="the Amazon search or category, e.g. 'silicone baking mat'",
        )


_XRAY_COMMON = [
    Col("display_order", ("Display Order",)),
    Col("title", ("Product Details",), True),
    Col("asin", ("ASIN",), True),
    Col("bsr", ("BSR",), True),
    Col("country", ("Seller Country/Region",)),
    Col("sellers", ("Active Sellers", "Active Sellers #")),
    Col("rating", ("Ratings",)),
    Col("reviews", ("Review Count",)),
    Col("created", ("Creation Date",)),
    Col("sponsored", ("Sponsored",)),
    Col("url", ("URL",)),
]
XRAY_NEW = [
    *_XRAY_COMMON,
    Col("brand", ("Brand",)),
    Col("price", ("Price  $",), True, pattern=_PRICE_HEADER),
    Col("parent_sales", ("Parent Level Sales",)),
    Col("sales", ("ASIN Sales",), True),
    Col("revenue", ("ASIN Revenue",), True),
    Col("fees", ("Fees  $",), pattern=rf"fees \(?(?:{CURRENCY})\)?"),
]
XRAY_OLD = [
    *_XRAY_COMMON,
    Col("brand", ("Brand",), True),
    Col("price", ("Price",), True),
    Col("sales", ("Sales",), True),
    Col("revenue", ("Revenue",), True),
    Col("fees", ("FBA Fees",)),
]
_TRUE = ("yes", "y", "true", "1", "sponsored")


def _currency_from_header(header: str | None) -> str | None:
    if not header:
        return None
    m = re.fullmatch(_PRICE_HEADER, normalise_header(header))
    return currency_code(m.group(1)) if m else None


def _currency_from_values(values: pd.Series) -> str | None:
    signs = values.str.extract(f"({CURRENCY})")[0].dropna()
    return currency_code(signs.iloc[0]) if not signs.empty else None


def parse_xray(df: pd.DataFrame, ctx: ParseContext) -> dict[str, pd.DataFrame]:
    """Xray export -> ``competitors`` (one snapshot of one search).

    monthly_sales = ASIN Sales (old layout: Sales); parent_sales = Parent Level Sales, which
    Helium 10 repeats on every child of a parent, so it is kept as is and never added up.
    Sponsored rows (a ``Sponsored`` column saying yes, a Display Order cell or a title saying
    Sponsored) are kept with sponsored = True. The currency comes from the price header
    (``Price  AU$`` -> AUD). Without ``search`` the export is refused (``SearchNeeded``)."""
    search = (ctx.search or "").strip()
    if not search:
        raise SearchNeeded(ctx.file)
    df = drop_duplicate_rows(ctx, df)
    asin = to_text(df["asin"])
    require(ctx, asin, "asin", "an ASIN")
    title = to_text(df["title"])
    sponsored = pd.Series(False, index=df.index)
    if "sponsored" in df.columns:
        sponsored |= df["sponsored"].str.strip().str.casefold().isin(_TRUE).fillna(False)
    if "display_order" in df.columns:
        sponsored |= (
            df["display_order"].str.casefold().str.contains("sponsored", regex=False).fillna(False)
        )
    prefix = r"^\s*\(?sponsored\)?\s*[-:|]?\s*"
    in_title = title.str.contains(r"(?i)" + prefix, regex=True).fillna(False).astype(bool)
    sponsored |= in_title
    title = title.str.replace(r"(?i)" + prefix, "", regex=True).where(in_title, title)
    currency = _currency_from_header(ctx.headers.get("price")) or _currency_from_values(
        df["price"].astype("str")
    )

    def num(key: str, expected: str) -> pd.Series | None:
        if key not in df.columns:
            return None
        return to_number(ctx, df[key], key, expected=expected, minimum=0)

    rating = num("rating", "a star rating from 0 to 5")
    if rating is not None:
        ctx.fail(
            df["rating"],
            rating > 5,
            "rating",
            "'{value}' is above 5 stars",
            "a star rating from 0 to 5",
        )
    comp = pd.DataFrame(
        {
            "snapshot_date": pd.Timestamp(ctx.snapshot_date()),
            "search": search,
            "asin": asin,
            "title": title,
            "brand": to_text(df["brand"]) if "brand" in df.columns else None,
            "price": num("price", "a price like 12.99"),
            "currency": currency,
            "monthly_sales": num("sales", "monthly units sold"),
            "parent_sales": num("parent_sales", "monthly units sold"),
            "revenue": num("revenue", "monthly revenue like 1,234.56"),
            "bsr": num("bsr", "a best-seller rank"),
            "fees": num("fees", "a fee like 4.50"),
            "reviews": num("reviews", "a number of reviews"),
            "rating": rating,
            "sellers": num("sellers", "a number of sellers"),
            "created": (
                to_date(ctx, df["created"], "created") if "created" in df.columns else None
            ),
            "sponsored": sponsored.astype(bool),
            "country": to_text(df["country"]) if "country" in df.columns else None,
        },
        index=df.index,
    )
    dup = comp.duplicated(["asin", "sponsored"], keep="first")
    if dup.any():
        ctx.warnings.append(
            f"{int(dup.sum()):,} rows repeat an ASIN already listed; the first "
            "(higher) position kept"
        )
        comp = comp[~dup.to_numpy()]
    n_sp = int(comp["sponsored"].sum())
    if n_sp:
        ctx.notes.append(f"{n_sp:,} sponsored rows kept and marked sponsored")
    return {"competitors": finish("competitors", comp)}


CEREBRO = [
    Col("keyword", ("Keyword Phrase",), True),
    Col("search_volume", ("Search Volume",), True),
    Col("trend", ("Search Volume Trend",)),
    Col("competing", ("Competing Products",)),
    Col("cerebro_iq", ("Cerebro IQ Score",)),
    Col("keyword_sales", ("Keyword Sales",)),
]
KEYWORD_TRACKER = [
    Col("keyword", ("Keyword",), True),
    Col("search_volume", ("Search Volume",), True),
    Col("trend", ("Search Volume Trend",)),
    Col("competing", ("Competing Products",)),
    Col("organic_rank", ("Organic Rank",)),
    Col("marketplace", ("Marketplace",)),
]


def parse_keywords(df: pd.DataFrame, ctx: ParseContext) -> dict[str, pd.DataFrame]:
    """Cerebro / Keyword Tracker -> ``keywords`` on ``as_of`` (or today).

    trend: Search Volume Trend in percent (``25`` or ``-3%``) -> share (0.25, -0.03).
    competing_products: ``>306`` (Helium 10 caps the count) is read as 306, with a warning."""
    df = drop_duplicate_rows(ctx, df)
    kw = to_text(df["keyword"])
    require(ctx, kw, "keyword", "a keyword")
    volume = to_number(
        ctx, df["search_volume"], "search_volume", expected="a monthly search volume", minimum=0
    )
    out = pd.DataFrame(
        {
            "snapshot_date": pd.Timestamp(ctx.snapshot_date()),
            "keyword": kw,
            "search_volume": volume,
        },
        index=df.index,
    )
    if "trend" in df.columns:
        out["trend"] = to_percent(ctx, df["trend"], "trend", expected="a change like 25 or -3%")
    if "competing" in df.columns:
        raw = df["competing"].str.strip()
        capped = raw.str.startswith(">").fillna(False) & ~missing(raw)
        if capped.any():
            ctx.notes.append(
                f"{int(capped.sum()):,} competing-product counts are capped by "
                "Helium 10 (like >306) and read as the number shown"
            )
        out["competing_products"] = to_number(
            ctx,
            df["competing"],
            "competing",
            expected="a count like 1,234 or >306",
            minimum=0,
            allow_gt=True,
        )
    dup = out.duplicated(["keyword"], keep="first")
    if dup.any():
        ctx.warnings.append(
            f"{int(dup.sum()):,} rows repeat a keyword already listed; the first kept"
        )
        out = out[~dup.to_numpy()]
    return {"keywords": finish("keywords", out)}
