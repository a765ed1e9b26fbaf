"""Launch demand from competitors: the peer set, its daily sales, and the launch profile.

R-L1: from Helium 10 Xray snapshots (the workspace ``competitors`` table) the seller picks
comparable listings (top by BSR, same price band, no sponsored placements, no outliers);
their monthly sales become daily sales and are summarised by the median and quartiles.
R-L2: seasonality and events adjust the expected launch demand: a month profile from
competitor snapshots or a keyword trend, and bumps on Amazon event days and the seller's
promotions. R-L4..R-L7: the pieces of the launch plan around ``policy.launch_order`` (the
follow-up decision date, the first batch by air or sea, the plan table), shared by the Launch
page and ``stockcycle launch``.

Daily sales = monthly sales / 30.4 (``policy.DAYS_PER_MONTH`` = 365 / 12 = 30.42 days, the
average month), because an Xray "ASIN Sales" figure is an estimate of the last 30-ish days that
Helium 10 does not date exactly, and 30.4 treats a month as a twelfth of a year.

Everything here is pure: DataFrames and numbers in, DataFrames and dataclasses out.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from stockcycle import fees, policy
from stockcycle.checks import first_number
from stockcycle.errors import InputError
from stockcycle.policy import DAYS_PER_MONTH
from stockcycle.settings import Settings

__all__ = ["DAYS_PER_MONTH"]  # re-exported: peers.DAYS_PER_MONTH is policy's constant
# Tukey's fences (1.5 x IQR) on log monthly sales: sales are skewed (a few listings sell ten
# times the median), so the fences are drawn in log space, where the spread is symmetric.
OUTLIER_IQR = 1.5
# The keyword trend is a 30-day search-volume change; carried month after month it compounds,
# so it is capped to keep one hot month from tripling a 90-day launch plan.
TREND_CAP = 0.5
CALENDAR_EVENTS = ("Prime Day", "Black Friday / Cyber Monday week", "Christmas run-up")
# Lift on an Amazon event day when the seller gives none (R-L2): +50%, the seed's launch lift.
EVENT_LIFT = 0.5
# Days of early sales before the follow-up 30% can be judged (R-L5 "decided by early results").
REVIEW_DAYS = 14
# Expected sales are planned for this many days after the launch (the demand chart, the monitor).
HORIZON_DAYS = 90
# Stand-ins when neither the product nor the workspace gives a figure. They are guesses, not
# settings: the Launch page and ``stockcycle launch`` say so wherever one is used.
GUESS_PRICE = 20.0  # money per unit, only when there is no peer price either
GUESS_COST_SHARE = 0.25  # unit cost as a share of the price

PEER_COLUMNS = [
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
    "fees",
    "age_days",
    "sponsored",
    "snapshot_date",
]


# -- the peer set (R-L1) ---------------------------------------------------------------------------
def latest_listings(competitors: pd.DataFrame) -> pd.DataFrame:
    """One row per ASIN: its latest snapshot, the organic row where an ASIN is listed both as
    a sponsored placement and organically (the same listing, counted once).

    Adds ``daily_sales`` (monthly / 30.4) and ``age_days`` (snapshot date - creation date).
    """
    need = ["snapshot_date", "asin", "price", "monthly_sales", "bsr"]
    missing = [c for c in need if c not in competitors.columns]
    if missing:
        raise InputError(
            "the competitor table misses a column",
            column=missing[0],
            expected="an Xray export (ASIN, Price, ASIN Sales, BSR, ...)",
        )
    df = competitors.copy()
    df["snapshot_date"] = pd.to_datetime(df["snapshot_date"])
    if "sponsored" not in df.columns:
        df["sponsored"] = False
    df["sponsored"] = df["sponsored"].astype("boolean").fillna(False).astype(bool)
    # Within one ASIN: latest snapshot first, organic before sponsored.
    df = df.sort_values(["asin", "snapshot_date", "sponsored"], ascending=[True, False, True])
    df = df.drop_duplicates("asin", keep="first")
    df["daily_sales"] = pd.to_numeric(df["monthly_sales"], errors="coerce") / DAYS_PER_MONTH
    if "created" in df.columns:
        created = pd.to_datetime(df["created"], errors="coerce")
        df["age_days"] = (df["snapshot_date"] - created).dt.days.astype("Float64")
    else:
        df["age_days"] = pd.Series(pd.NA, index=df.index, dtype="Float64")
    for col in PEER_COLUMNS:
        if col not in df.columns:
            df[col] = pd.NA
    return df[PEER_COLUMNS].sort_values("bsr", kind="stable", ignore_index=True)


def outlier_fences(monthly_sales: pd.Series, k: float = OUTLIER_IQR) -> tuple[float, float]:
    """(low, high) monthly sales outside which a listing is an outlier.

    Tukey's fences on log sales: exp(Q1 - k IQR), exp(Q3 + k IQR) with IQR = Q3 - Q1 of
    log(monthly sales) over listings that sell (Tukey 1977, "Exploratory Data Analysis").
    With fewer than 4 selling listings there is no spread to judge: (0, inf).
    """
    logs = np.log(monthly_sales[monthly_sales > 0].astype("float64").dropna())
    if len(logs) < 4:
        return 0.0, math.inf
    q1, q3 = np.quantile(logs, [0.25, 0.75])
    iqr = q3 - q1
    # A hair of slack: exp(log(x)) is not always x, and listings that all sell the same (IQR 0)
    # would otherwise fall outside their own fences.
    slack = 1e-9
    return float(math.exp(q1 - k * iqr - slack)), float(math.exp(q3 + k * iqr + slack))


def select_peers(
    competitors: pd.DataFrame,
    top_n: int | None = 10,
    price_band: tuple[float, float] | None = None,
    exclude_sponsored: bool = True,
    exclude_outliers: bool = True,
    asins: Iterable[str] | None = None,
    exclude_asins: Iterable[str] = (),
) -> pd.DataFrame:
    """Every listing of the latest snapshots with ``reason_excluded`` (NA for a peer), R-L1.

    Filters, in this order (the first that applies is the reason): not in ``asins`` (when
    given), in ``exclude_asins`` (the seller's own listings), sponsored placement only, price
    outside ``price_band`` (inclusive), no sales, an outlier (``outlier_fences`` over the
    listings still in), then below the ``top_n`` best BSR (lowest rank first). Columns:
    ``PEER_COLUMNS`` + ``peer`` (bool) + ``reason_excluded``.
    """
    if top_n is not None and top_n < 1:
        raise InputError(f"top N is {top_n}", column="top_n", expected="at least 1")
    if price_band is not None and price_band[0] > price_band[1]:
        raise InputError(
            f"the price band {price_band[0]:g}-{price_band[1]:g} is empty",
            column="price_band",
            expected="low price at most high price",
        )
    df = latest_listings(competitors)
    reason = pd.Series(pd.NA, index=df.index, dtype="string")

    def mark(mask: pd.Series, text: str) -> None:
        reason[mask.fillna(False).astype(bool) & reason.isna()] = text

    if asins is not None:
        wanted = {str(a).strip() for a in asins if str(a).strip()}
        mark(~df["asin"].astype("string").isin(wanted), "not one of the chosen ASINs")
    own = {str(a) for a in exclude_asins if a is not None and str(a)}
    if own:
        mark(df["asin"].astype("string").isin(own), "your own listing")
    if exclude_sponsored:
        mark(df["sponsored"], "sponsored placement")
    if price_band is not None:
        lo, hi = price_band
        mark(~df["price"].between(lo, hi), f"price outside {lo:,.2f}-{hi:,.2f}")
    mark(~(df["monthly_sales"] > 0), "no sales estimate")
    if exclude_outliers:
        low, high = outlier_fences(df.loc[reason.isna(), "monthly_sales"])
        mark(
            (df["monthly_sales"] < low) | (df["monthly_sales"] > high),
            f"outlier: sales outside {low:,.0f}-{high:,.0f}/month",
        )
    if top_n is not None:
        rank = df["bsr"].where(reason.isna()).rank(method="first")
        mark(rank > top_n, f"not in the top {top_n} by BSR")
    df["peer"] = reason.isna()
    df["reason_excluded"] = reason
    return df


def peers_only(selection: pd.DataFrame) -> pd.DataFrame:
    """The rows of a ``select_peers`` result that are peers."""
    if "peer" in selection.columns:
        return selection[selection["peer"]].reset_index(drop=True)
    return selection


@dataclass(frozen=True)
class PeerSummary:
    """Daily sales of the peer set (R-L1): daily = monthly / 30.4."""

    n: int
    median: float  # units/day
    q1: float  # units/day, 25th percentile
    q3: float  # units/day, 75th percentile
    mean: float  # units/day
    total: float  # units/day over all peers
    median_price: float
    q1_price: float
    q3_price: float
    median_reviews: float
    days_per_month: float = DAYS_PER_MONTH

    def explain(self) -> str:
        return (
            f"Daily sales = monthly sales (Xray 'ASIN Sales') / {self.days_per_month:.1f} days "
            f"(365 / 12). Over the **{self.n} peers**: median **{self.median:,.1f}/day**, "
            f"quartiles Q1 {self.q1:,.1f} and Q3 {self.q3:,.1f}/day (half of the peers sell "
            f"between them), mean {self.mean:,.1f}/day. Median price {self.median_price:,.2f} "
            f"(Q1 {self.q1_price:,.2f}, Q3 {self.q3_price:,.2f}); median reviews "
            f"{self.median_reviews:,.0f}. The median, not the mean, is the peer figure: one "
            "best seller would pull the mean far above what a new listing can expect (R-L1)."
        )

    def to_dict(self) -> dict:
        return asdict(self)


def peer_summary(peers: pd.DataFrame) -> PeerSummary:
    """Median, quartiles and mean of peer daily sales (units/day = monthly / 30.4), R-L1.

    ``peers``: a ``select_peers`` result (only rows with ``peer`` True count) or any frame with
    ``monthly_sales`` (and ``price``, ``reviews``). Quantiles are numpy's linear ones.
    """
    df = peers_only(peers)
    daily = pd.to_numeric(df["monthly_sales"], errors="coerce").dropna() / DAYS_PER_MONTH
    if daily.empty:
        raise InputError(
            "no peers left to size the launch on",
            column="peers",
            expected="at least one competitor with a sales estimate: widen the filters",
        )

    def q(s: pd.Series, p: float) -> float:
        s = pd.to_numeric(s, errors="coerce").dropna()
        return float(np.quantile(s, p)) if len(s) else math.nan

    prices = df["price"] if "price" in df.columns else pd.Series(dtype=float)
    reviews = df["reviews"] if "reviews" in df.columns else pd.Series(dtype=float)
    return PeerSummary(
        n=int(len(daily)),
        median=q(daily, 0.5),
        q1=q(daily, 0.25),
        q3=q(daily, 0.75),
        mean=float(daily.mean()),
        total=float(daily.sum()),
        median_price=q(prices, 0.5),
        q1_price=q(prices, 0.25),
        q3_price=q(prices, 0.75),
        median_reviews=q(reviews, 0.5),
    )


# -- the default peer set: the typical product of the search in your price band (R-L1) ------------
# Up to this many of the best BSR in the price band: the seed's "typical product of the
# category" (the top 100 by BSR), not the leaders.
TYPICAL_TOP_N = 100
# The best sellers of the search, shown beside the base as its ceiling, never as the base.
LEADERS_TOP_N = 10
# Fewer peers than this in the price band say too little: the band is widened step by step.
MIN_BAND_PEERS = 5
# The band's half-width, as a share of your price, tried in turn after the setting's.
BAND_STEPS = (0.5, 0.75, 1.0)


def price_band_around(price: float, share: float) -> tuple[float, float]:
    """(low, high) = (price x (1 - share), price x (1 + share)), the low end floored at 0.

    R-L1 "same price band": with the default ``Settings.launch_price_band`` = 0.25 a product
    at 20.00 takes peers priced 15.00-25.00.
    """
    if not (price > 0 and share > 0):
        raise InputError(
            f"price {price} and band share {share}",
            column="price_band",
            expected="a price above 0 and a band share above 0",
        )
    return max(price * (1 - share), 0.0), price * (1 + share)


@dataclass(frozen=True)
class DefaultPeers:
    """The default peer set (R-L1) and how its price band was found."""

    selection: pd.DataFrame  # a select_peers result
    price: float  # the price the band is drawn around
    price_source: str  # where that price came from
    share: float  # the band's half-width used, a share of the price (inf: no band)
    band: tuple[float, float] | None  # (low, high) used; None: every price
    setting_share: float  # the band the settings ask for
    tried: tuple[tuple[float, int], ...]  # (share, peers found) for each band tried

    @property
    def widened(self) -> bool:
        return self.share != self.setting_share

    def note(self) -> str:
        """A seller's sentence on the band used (and why it is wider than asked), or ''."""
        if not self.widened:
            return ""
        first = self.tried[0]
        used = (
            f"{self.band[0]:,.2f}-{self.band[1]:,.2f} (+/-{self.share:.0%})"
            if self.band is not None
            else "every price"
        )
        return (
            f"Only {first[1]} comparable listing{'s' if first[1] != 1 else ''} within "
            f"+/-{first[0]:.0%} of your price {self.price:,.2f}: the price band was widened to "
            f"{used} to find at least {MIN_BAND_PEERS}."
        )


def default_peers(
    competitors: pd.DataFrame,
    price: float | None,
    share: float = 0.25,
    *,
    top_n: int = TYPICAL_TOP_N,
    min_peers: int = MIN_BAND_PEERS,
    exclude_asins: Iterable[str] = (),
    exclude_outliers: bool = True,
    exclude_sponsored: bool = True,
) -> DefaultPeers:
    """The typical product of the search in the seller's price band (R-L1, seed method).

    Organic listings (sponsored placements left out) priced within price x (1 +/- share)
    (``price_band_around``), up to the ``top_n`` = 100 best BSR, outliers and the seller's own
    listings left out (``select_peers``). With fewer than ``min_peers`` peers the band is
    widened step by step (+/-50%, 75%, 100%, then every price) and the band used is stated.
    ``price`` None: the median price of the search's organic listings stands in, said in
    ``price_source``.
    """
    source = "your price"
    if price is None or not price > 0:
        organic = latest_listings(competitors)
        organic = organic[~organic["sponsored"]]
        price = median_or(organic["price"], math.nan)
        source = "the search's median price (no price of yours yet)"
    tried: list[tuple[float, int]] = []
    steps = [share, *[s for s in BAND_STEPS if s > share]] if math.isfinite(price) else []
    for step in [*steps, math.inf]:
        band = None if math.isinf(step) else price_band_around(price, step)
        selection = select_peers(
            competitors,
            top_n=top_n,
            price_band=band,
            exclude_sponsored=exclude_sponsored,
            exclude_outliers=exclude_outliers,
            exclude_asins=exclude_asins,
        )
        found = int(selection["peer"].sum())
        tried.append((step, found))
        if found >= min_peers:
            break
    return DefaultPeers(
        selection=selection,
        price=float(price),
        price_source=source,
        share=float(step),
        band=band,
        setting_share=float(share),
        tried=tuple(tried),
    )


def leaders(competitors: pd.DataFrame, exclude_asins: Iterable[str] = ()) -> PeerSummary | None:
    """The search's best sellers: the ``LEADERS_TOP_N`` = 10 best BSR of the organic listings,
    any price, outliers kept (R-L1 "top BSR"). Their median daily sales (monthly / 30.4) is the
    ceiling a new listing could reach, not the base it should plan on. None without sales."""
    selection = select_peers(
        competitors,
        top_n=LEADERS_TOP_N,
        exclude_sponsored=True,
        exclude_outliers=False,
        exclude_asins=exclude_asins,
    )
    if not selection["peer"].any():
        return None
    return peer_summary(selection)


# -- a second opinion: what recent entrants sell (R-L1) --------------------------------------------
#: A listing created within this many days of its snapshot is a recent entrant (18 months):
#: what a new listing can reach in its first year or so, not what settled sellers sell.
RECENT_ENTRANT_DAYS = 548
#: Without creation dates (older Xray layouts), a listing with fewer reviews than this counts
#: as one in its first months: at the 1-2% of buyers who leave a review, a listing selling 10
#: a day needs well over a year to gather 100.
RECENT_ENTRANT_REVIEWS = 100


@dataclass(frozen=True)
class RecentEntrants:
    """Daily sales of the search's recent entrants and how they were recognised."""

    summary: PeerSummary
    rule: str

    def implied(self, peer_daily: float, first_order_units: float) -> float:
        """The first order the entrants' median would give, units: the launch order is linear
        in daily sales (R-L3: (30 + 15 days) x daily x lift, 70% first, R-L5), so it scales
        by entrants' median / the peer figure used."""
        if not peer_daily > 0:
            return math.nan
        return first_order_units * self.summary.median / peer_daily

    def to_dict(self) -> dict:
        return {
            "count": self.summary.n,
            "median_daily": self.summary.median,
            "p25": self.summary.q1,
            "p75": self.summary.q3,
            "rule": self.rule,
        }


def recent_entrants(
    competitors: pd.DataFrame, exclude_asins: Iterable[str] = ()
) -> RecentEntrants | None:
    """The organic listings of the latest snapshots that entered recently (R-L1, a second
    opinion beside the price-band base): created within ``RECENT_ENTRANT_DAYS`` of the
    snapshot (Xray's creation date), or, when the export has no creation dates, with fewer
    than ``RECENT_ENTRANT_REVIEWS`` reviews; the seller's own listings and listings without a
    sales estimate left out. Their daily sales = monthly / 30.4 (``peer_summary``). None when
    there is none."""
    df = latest_listings(competitors)
    own = {str(a) for a in exclude_asins if a is not None and str(a)}
    df = df[~df["sponsored"] & ~df["asin"].astype("string").isin(own).fillna(False)]
    if df["age_days"].notna().any():
        young = df["age_days"] <= RECENT_ENTRANT_DAYS
        rule = "created in the last 18 months (Xray's creation date)"
    else:
        young = pd.to_numeric(df["reviews"], errors="coerce") < RECENT_ENTRANT_REVIEWS
        rule = f"fewer than {RECENT_ENTRANT_REVIEWS} reviews (the export has no creation dates)"
    selling = pd.to_numeric(df["monthly_sales"], errors="coerce") > 0
    entrants = df[young.fillna(False).astype(bool) & selling]
    if entrants.empty:
        return None
    return RecentEntrants(peer_summary(entrants), rule)


# -- which competitor data a SKU may use: only its own search (R-L1) -------------------------------
def _norm(text: object) -> str:
    return " ".join(str(text).casefold().split())


def searches(competitors: pd.DataFrame) -> list[str]:
    """The searches the competitor snapshots were taken on, sorted."""
    if competitors is None or competitors.empty or "search" not in competitors.columns:
        return []
    return sorted({str(s) for s in competitors["search"].dropna() if str(s).strip()})


def search_for_sku(product: Mapping[str, object] | None, options: Iterable[str]) -> str | None:
    """The search a SKU is mapped to: the one the seller named for it (``products.search``),
    else the one named like its category, else the one whose every word appears in its title
    (case-insensitive); None when no search fits. A SKU never borrows an unrelated search's
    competitors (R-L1: comparable products)."""
    row = product or {}
    names = list(options)
    named = row.get("search")
    if isinstance(named, str) and named.strip():
        for name in names:
            if _norm(name) == _norm(named):
                return name
    category = row.get("category")
    if isinstance(category, str) and category.strip():
        for name in names:
            if _norm(name) == _norm(category):
                return name
    title = row.get("title")
    if isinstance(title, str) and title.strip():
        words = set(re.findall(r"[a-z0-9]+", title.casefold()))
        fits = [n for n in names if set(re.findall(r"[a-z0-9]+", n.casefold())) <= words]
        if fits:
            return max(fits, key=len)  # the most specific search that fits
    return None


def competitors_of_search(competitors: pd.DataFrame, search: str) -> pd.DataFrame:
    """The snapshots of one search only (case-insensitive name); empty when it has none."""
    if competitors.empty or "search" not in competitors.columns:
        return competitors.iloc[0:0]
    mask = competitors["search"].astype("string").map(_norm, na_action="ignore") == _norm(search)
    return competitors[mask.fillna(False).astype(bool)]


# -- the seller's own launches: a sanity check on the first order ----------------------------------
OWN_LAUNCH_YEARS = 2  # launches within this many years of the data date count
OWN_LAUNCH_WINDOWS = (30, 60, 90)  # days after a launch its daily sales are measured over
SANITY_RATIO = 3.0  # a first order above this many times your own launches' sales is flagged


def own_launches(
    sales: pd.DataFrame, products: pd.DataFrame | None, as_of: date | None = None
) -> pd.DataFrame:
    """The seller's own launches in the last two years and what each sold per day at first.

    A launch: a SKU whose first sale lies after the first day of the workspace's sales (so the
    launch is in the data), on or after ``as_of`` - 2 years (``as_of``: the last sales day by
    default). Its launch day is ``products.launch_date`` when that falls within the data, else
    its first sale. For each window w of 30, 60, 90 days: units sold in launch + [0, w) / w
    (all channels), NaN until the window is over. Columns ``sku, category, launch_date,
    days_observed, daily_30, daily_60, daily_90``, newest launch first.
    """
    cols = ["sku", "category", "launch_date", "days_observed"] + [
        f"daily_{w}" for w in OWN_LAUNCH_WINDOWS
    ]
    if sales is None or sales.empty:
        return pd.DataFrame(columns=cols)
    df = sales[["date", "sku", "units"]].copy()
    df["date"] = pd.to_datetime(df["date"])
    start = df["date"].min()
    last = pd.Timestamp(as_of) if as_of is not None else df["date"].max()
    df = df[df["date"] <= last]
    sold = df[pd.to_numeric(df["units"], errors="coerce") > 0]
    first = sold.groupby("sku")["date"].min()
    prods = products if products is not None else pd.DataFrame()
    info = prods.set_index("sku") if "sku" in prods.columns else pd.DataFrame()
    rows = []
    since = last - pd.DateOffset(years=OWN_LAUNCH_YEARS)
    for sku, first_sale in first.items():
        if first_sale <= start:
            continue  # selling before the data begins: its launch is not in the data
        launch = first_sale
        stated = info["launch_date"].get(sku) if "launch_date" in info.columns else None
        if stated is not None and not pd.isna(stated) and start < pd.Timestamp(stated) <= last:
            launch = pd.Timestamp(stated)
        if launch < since:
            continue
        units = df[(df["sku"] == sku) & (df["date"] >= launch)].groupby("date")["units"].sum()
        observed = int((last - launch).days) + 1
        row = {
            "sku": str(sku),
            "category": info["category"].get(sku) if "category" in info.columns else None,
            "launch_date": launch,
            "days_observed": observed,
        }
        for w in OWN_LAUNCH_WINDOWS:
            end = launch + pd.Timedelta(days=w)
            row[f"daily_{w}"] = (
                float(units[units.index < end].sum()) / w if observed >= w else math.nan
            )
        rows.append(row)
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("launch_date", ascending=False, ignore_index=True)


@dataclass(frozen=True)
class SanityCheck:
    """The planned first order against the seller's own comparable launches."""

    first_order_units: int
    cover_days: float  # days of expected sales the first order covers
    launches: pd.DataFrame  # the comparable own launches (``own_launches`` rows)
    comparable: str  # which launches: "in 'Bakeware'" or "all"
    own_daily: float  # median units/day of those launches in their first 30 days
    own_units: float  # own daily x cover days: what they sold in the same period
    ratio: float  # first order / own units (inf when they sold nothing)

    @property
    def warn(self) -> bool:
        return self.ratio > SANITY_RATIO

    def message(self) -> str:
        """The seller's warning: the order against what their own launches sold."""
        each = ", ".join(
            f"{r.sku} {r.daily_30:,.1f}/day" for r in self.launches.head(5).itertuples()
        )
        more = f" and {len(self.launches) - 5} more" if len(self.launches) > 5 else ""
        times = "far more than" if math.isinf(self.ratio) else f"{self.ratio:,.1f}x"
        return (
            f"The first order of {self.first_order_units:,} units is {times} what your own "
            f"launches ({self.comparable}) sold in the same time: a median of "
            f"{self.own_daily:,.1f} a day in their first 30 days ({each}{more}), "
            f"{self.own_units:,.0f} units over the {self.cover_days:,.0f} days this order is "
            "meant to last. Check the peers and the lift before ordering."
        )

    def explain(self) -> str:
        return (
            f"Own launches = your SKUs whose first sale is in the data, within "
            f"{OWN_LAUNCH_YEARS} years of its last day; daily sales in the first 30 days = units "
            f"sold in launch + 0..29 days / 30. Comparable: {self.comparable} "
            f"({len(self.launches)} launches), median {self.own_daily:,.2f}/day. Same period = "
            f"the days the first order covers = first order / expected daily sales = "
            f"{self.cover_days:,.1f} days, so own sales = {self.own_daily:,.2f} x "
            f"{self.cover_days:,.1f} = {self.own_units:,.1f} units. Ratio = "
            f"{self.first_order_units:,} / {self.own_units:,.1f} = {self.ratio:,.1f}; a ratio "
            f"above {SANITY_RATIO:g} is flagged."
        )

    def to_dict(self) -> dict:
        return {
            "first_order_units": self.first_order_units,
            "cover_days": self.cover_days,
            "comparable": self.comparable,
            "launches": [
                {
                    "sku": r.sku,
                    "launch_date": pd.Timestamp(r.launch_date).date().isoformat(),
                    **{
                        f"daily_{w}": None
                        if pd.isna(getattr(r, f"daily_{w}"))
                        else float(getattr(r, f"daily_{w}"))
                        for w in OWN_LAUNCH_WINDOWS
                    },
                }
                for r in self.launches.itertuples()
            ],
            "own_daily": self.own_daily,
            "own_units": self.own_units,
            "ratio": None if math.isinf(self.ratio) else self.ratio,
            "warn": self.warn,
        }


def launch_sanity(
    first_order_units: int,
    expected_daily: float,
    launches: pd.DataFrame,
    category: str | None = None,
    exclude_sku: str | None = None,
) -> SanityCheck | None:
    """The first order against the seller's own launches' first 30 days (R-L3 sanity check).

    Comparable launches: ``own_launches`` rows with a full first 30 days, other than
    ``exclude_sku``, in ``category`` when any is, else all. cover = first order / expected
    daily sales (the days the order is meant to last); own units = median daily_30 x cover;
    ratio = first order / own units; ``warn`` when ratio > ``SANITY_RATIO`` = 3. None without
    a comparable launch or expected sales.
    """
    if launches is None or launches.empty or not expected_daily > 0:
        return None
    rows = launches.dropna(subset=["daily_30"])
    if exclude_sku:
        rows = rows[rows["sku"] != exclude_sku]
    if rows.empty:
        return None
    comparable = "all of them"
    if category and "category" in rows.columns:
        same = rows[rows["category"].astype("string") == category]
        if len(same):
            rows, comparable = same, f"in '{category}'"
    own_daily = float(rows["daily_30"].median())
    cover = float(first_order_units) / float(expected_daily)
    own_units = own_daily * cover
    ratio = float(first_order_units) / own_units if own_units > 0 else math.inf
    return SanityCheck(
        first_order_units=int(first_order_units),
        cover_days=cover,
        launches=rows.reset_index(drop=True),
        comparable=comparable,
        own_daily=own_daily,
        own_units=own_units,
        ratio=ratio,
    )


def snapshot_moves(competitors: pd.DataFrame) -> pd.DataFrame:
    """How each ASIN's price, sales and BSR moved from its first to its last snapshot.

    One row per ASIN seen in at least two snapshots (organic row preferred): ``asin, brand,
    first_snapshot, last_snapshot, snapshots, price_first, price_last, price_change`` (share,
    0.1 = +10%), ``sales_first, sales_last, sales_change`` (monthly units, share), ``bsr_first,
    bsr_last``. Sorted by the last BSR. R-L1 (and R-M4: a competitor's price drop shows here).
    """
    cols = [
        "asin",
        "brand",
        "first_snapshot",
        "last_snapshot",
        "snapshots",
        "price_first",
        "price_last",
        "price_change",
        "sales_first",
        "sales_last",
        "sales_change",
        "bsr_first",
        "bsr_last",
    ]
    if competitors.empty:
        return pd.DataFrame(columns=cols)
    df = competitors.copy()
    df["snapshot_date"] = pd.to_datetime(df["snapshot_date"])
    spons = df["sponsored"] if "sponsored" in df.columns else pd.Series(False, index=df.index)
    df["sponsored"] = spons.astype("boolean").fillna(False).astype(bool)
    df = df.sort_values(["asin", "snapshot_date", "sponsored"]).drop_duplicates(
        ["asin", "snapshot_date"], keep="first"
    )
    g = df.groupby("asin", sort=False)
    first, last = g.first(), g.last()
    out = pd.DataFrame(
        {
            "asin": first.index.astype("string"),
            "brand": last["brand"].to_numpy() if "brand" in last else pd.NA,
            "first_snapshot": first["snapshot_date"].to_numpy(),
            "last_snapshot": last["snapshot_date"].to_numpy(),
            "snapshots": g.size().to_numpy(),
            "price_first": first["price"].to_numpy(dtype="float64"),
            "price_last": last["price"].to_numpy(dtype="float64"),
            "sales_first": first["monthly_sales"].to_numpy(dtype="float64"),
            "sales_last": last["monthly_sales"].to_numpy(dtype="float64"),
            "bsr_first": first["bsr"].to_numpy(dtype="float64"),
            "bsr_last": last["bsr"].to_numpy(dtype="float64"),
        }
    )
    out = out[out["snapshots"] >= 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["price_change"] = out["price_last"] / out["price_first"] - 1
        out["sales_change"] = out["sales_last"] / out["sales_first"] - 1
    out = out.replace([np.inf, -np.inf], np.nan)
    return out[cols].sort_values("bsr_last", kind="stable", ignore_index=True)


def snapshot_history(competitors: pd.DataFrame, asins: Iterable[str] | None = None) -> pd.DataFrame:
    """Long table ``snapshot_date, asin, brand, price, monthly_sales, daily_sales`` (organic
    row per ASIN and snapshot), for charts of how peers moved between snapshots."""
    df = competitors.copy()
    df["snapshot_date"] = pd.to_datetime(df["snapshot_date"])
    spons = df["sponsored"] if "sponsored" in df.columns else pd.Series(False, index=df.index)
    df["sponsored"] = spons.astype("boolean").fillna(False).astype(bool)
    if asins is not None:
        df = df[df["asin"].astype("string").isin([str(a) for a in asins])]
    df = df.sort_values(["asin", "snapshot_date", "sponsored"]).drop_duplicates(
        ["asin", "snapshot_date"], keep="first"
    )
    df["daily_sales"] = df["monthly_sales"] / DAYS_PER_MONTH
    cols = ["snapshot_date", "asin", "brand", "price", "monthly_sales", "daily_sales"]
    return df[cols].reset_index(drop=True)


def snapshot_date_from_name(file_name: str) -> date | None:
    """The last ``YYYY-MM-DD`` in a file name (Xray exports are usually saved with the day
    they were taken), or None."""
    found = re.findall(r"(\d{4})-(\d{2})-(\d{2})", file_name)
    for y, m, d in reversed(found):
        try:
            return date(int(y), int(m), int(d))
        except ValueError:
            continue
    return None


# -- the launch demand profile (R-L2) --------------------------------------------------------------
def month_factors_from_snapshots(
    competitors: pd.DataFrame, asins: Iterable[str] | None = None
) -> dict[int, float]:
    """Month-of-year demand factors from successive Xray snapshots, relative to the latest.

    Over the ASINs present in every snapshot month (so a listing that appears or vanishes does
    not count as seasonality): total monthly sales per snapshot month m, S_m, and factor_m =
    S_m / S_latest. The snapshot's month is the month it was taken in (an Xray figure covers
    roughly the 30 days before). Months without a snapshot are not in the result (factor 1:
    like the latest). Fewer than two snapshot months: ``{}``.
    """
    hist = snapshot_history(competitors, asins)
    if hist.empty:
        return {}
    hist["month"] = hist["snapshot_date"].dt.month
    # The latest snapshot of each month stands for that month.
    last_per_month = hist.groupby("month")["snapshot_date"].transform("max")
    hist = hist[hist["snapshot_date"] == last_per_month]
    months = hist["month"].nunique()
    if months < 2:
        return {}
    present = hist.groupby("asin")["month"].nunique()
    common = present[present == months].index
    totals = hist[hist["asin"].isin(common)].groupby("month")["monthly_sales"].sum()
    latest_month = int(hist.loc[hist["snapshot_date"].idxmax(), "month"])
    base = totals.get(latest_month, 0.0)
    if not base or base <= 0:
        return {}
    return {int(m): float(v / base) for m, v in totals.items()}


def keyword_trend(keywords: pd.DataFrame, terms: Iterable[str] | None = None) -> float | None:
    """The search-volume trend of the launch's keywords: a 30-day change, 0.1 = +10%.

    From the latest keyword snapshot (Cerebro / Keyword Tracker ``trend``), weighted by search
    volume, over ``terms`` when given (case-insensitive; all keywords when none match), capped
    at +/-50% (``TREND_CAP``). None without keyword data.
    """
    if keywords is None or keywords.empty or "trend" not in keywords.columns:
        return None
    kw = keywords.dropna(subset=["trend"]).copy()
    if kw.empty:
        return None
    kw["snapshot_date"] = pd.to_datetime(kw["snapshot_date"])
    kw = kw[kw["snapshot_date"] == kw["snapshot_date"].max()]
    if terms is not None:
        wanted = {str(t).strip().lower() for t in terms if str(t).strip()}
        chosen = kw[kw["keyword"].astype("string").str.lower().isin(wanted)]
        if not chosen.empty:
            kw = chosen
    weight = pd.to_numeric(kw["search_volume"], errors="coerce").fillna(0.0).clip(lower=0)
    trend = pd.to_numeric(kw["trend"], errors="coerce")
    value = float(np.average(trend, weights=weight)) if weight.sum() > 0 else float(trend.mean())
    return float(min(max(value, -TREND_CAP), TREND_CAP))


def event_days(
    start: date,
    days: int,
    promotions: pd.DataFrame | None = None,
    sku: str | None = None,
    event_lift: float = EVENT_LIFT,
    events_file: str | None = None,
    calendar: bool = True,
) -> pd.DataFrame:
    """Event days in ``[start, start + days)``: ``date, event, lift`` (0.5 = +50%), R-L2.

    Amazon calendar events (Prime Day with its lead-in, Black Friday / Cyber Monday week, the
    Christmas run-up, dates from ``stockcycle.forecast.events``) get ``event_lift``; the
    seller's own promotions of ``sku`` (the ``promotions`` table) get their
    ``expected_lift``. Where both fall on one day the larger lift counts. ``calendar=False``
    leaves the Amazon events out (only the promotions).
    """
    from stockcycle.forecast.events import holidays_frame, promotion_days

    if event_lift < 0:
        raise InputError(f"event lift is {event_lift}", column="event_lift", expected=">= 0")
    first = pd.Timestamp(start)
    last = first + pd.Timedelta(days=max(int(days), 1) - 1)
    rows: list[tuple[pd.Timestamp, str, float]] = []
    cal = holidays_frame(first.year, last.year, events_file)
    cal = cal[cal["holiday"].isin(CALENDAR_EVENTS)] if calendar else cal.iloc[0:0]
    for ev in cal.itertuples(index=False):
        lo, hi = int(ev.lower_window), int(ev.upper_window)
        for off in range(lo, hi + 1):
            rows.append((ev.ds + pd.Timedelta(days=off), str(ev.holiday), float(event_lift)))
    if promotions is not None and not promotions.empty and sku is not None:
        promo = promotions[promotions["sku"].astype("string") == sku]
        names = {}
        for p in promo.itertuples(index=False):
            for d in pd.date_range(p.start, p.end if pd.notna(p.end) else p.start, freq="D"):
                names.setdefault(d, str(p.name))
        for r in promotion_days(promo, sku).itertuples(index=False):
            rows.append((r.ds, names.get(r.ds, "promotion"), float(r.lift)))
    out = pd.DataFrame(rows, columns=["date", "event", "lift"])
    out = out[(out["date"] >= first) & (out["date"] <= last)]
    if out.empty:
        return pd.DataFrame(
            {
                "date": pd.Series(dtype="datetime64[ns]"),
                "event": pd.Series(dtype="string"),
                "lift": pd.Series(dtype="float64"),
            }
        )
    out = out.sort_values(["date", "lift"], ascending=[True, False])
    out = out.drop_duplicates("date", keep="first").reset_index(drop=True)
    out["event"] = out["event"].astype("string")
    return out


@dataclass(frozen=True)
class LaunchDemand:
    """Expected launch demand per day (R-L2, R-L3): peer daily x lift x the day's factor."""

    peer_daily_sales: float
    lift: float
    base_daily: float  # peer daily x lift, units/day
    start: date
    days: int
    source: str  # what the month factors came from
    monthly_trend: float  # 30-day change applied month after month (0 = none)
    month_factors: dict[int, float]
    event_lift: float
    events: tuple[str, ...]  # names of the events in the horizon
    daily: pd.DataFrame  # date, month_factor, trend_factor, event, event_lift, factor,
    #                      expected, low, high
    band_low: float = math.nan  # peer daily sales at the low end (Q1), units/day
    band_high: float = math.nan  # peer daily sales at the high end (Q3), units/day

    def mean_factor(self, days: int) -> float:
        """Mean of the day factors over the first ``days`` days (1.0 when flat)."""
        return float(self.daily["factor"].head(max(int(days), 1)).mean())

    def explain(self) -> str:
        lines = [
            f"Expected daily sales = peer daily sales x launch lift x day factor = "
            f"{self.peer_daily_sales:,.1f} x {self.lift:g} x factor = "
            f"**{self.base_daily:,.1f}/day** on a day with factor 1 (R-L3).",
            f"Day factor = month factor x trend factor x (1 + event lift); source: {self.source}.",
        ]
        if self.month_factors:
            months = ", ".join(
                f"{pd.Timestamp(2000, m, 1):%b} {f:.2f}"
                for m, f in sorted(self.month_factors.items())
            )
            lines.append(
                f"Month factors (competitor sales in that month / in the latest snapshot's "
                f"month; other months 1.00): {months}."
            )
        if self.monthly_trend:
            lines.append(
                f"Trend factor = (1 + {self.monthly_trend:+.0%}) ^ (days since launch / 30.4): "
                "the keywords' 30-day search-volume change carried forward."
            )
        if self.events:
            lines.append(
                f"Event days (calendar events +{self.event_lift:.0%}, your promotions their "
                f"own lift): {', '.join(self.events)}."
            )
        else:
            lines.append("No event or promotion falls in these days.")
        lines.append(
            f"Over the first 30 days the mean factor is {self.mean_factor(30):.2f}; the band is "
            "the peers' Q1..Q3 daily sales x lift x factor."
        )
        return "\n\n".join(lines)

    def to_dict(self) -> dict:
        d = {k: v for k, v in asdict(self).items() if k != "daily"}
        d["start"] = self.start.isoformat()
        return d


def launch_demand(
    summary: PeerSummary | float,
    start: date,
    days: int = 90,
    lift: float = 1.5,
    *,
    month_factors: Mapping[int, float] | None = None,
    monthly_trend: float = 0.0,
    events: pd.DataFrame | None = None,
    event_lift: float = EVENT_LIFT,
    source: str = "flat (no seasonality data)",
    band: tuple[float, float] | None = None,
) -> LaunchDemand:
    """Expected daily sales for ``days`` days from the launch ``start`` (R-L2, R-L3).

    expected_t = peer daily x lift x month_factor(month of t) x (1 + trend)^(t / 30.4) x
    (1 + event lift_t); low/high the same with the peers' Q1/Q3 (or ``band`` = (low, high)
    peer daily sales) instead of the median. ``summary``: a ``PeerSummary`` or a peer daily
    sales figure (then the band is that figure unless ``band`` is given). ``events``: from
    ``event_days`` (date, event, lift).
    """
    if isinstance(summary, PeerSummary):
        peer, low, high = summary.median, summary.q1, summary.q3
    else:
        peer = low = high = float(summary)
    if band is not None:
        low, high = band
    if not peer >= 0:
        raise InputError(
            f"peer daily sales is {peer}", column="peer_daily_sales", expected="a number >= 0"
        )
    if not lift > 0:
        raise InputError(f"launch lift is {lift}", column="lift", expected="a number > 0")
    if days < 1:
        raise InputError(f"{days} days", column="days", expected="at least 1 day")
    dates = pd.date_range(pd.Timestamp(start), periods=int(days), freq="D")
    factors = dict(month_factors or {})
    month = pd.Series([factors.get(int(m), 1.0) for m in dates.month], dtype="float64")
    t = np.arange(len(dates), dtype="float64")
    trend = pd.Series((1.0 + monthly_trend) ** (t / DAYS_PER_MONTH), dtype="float64")
    ev = pd.DataFrame({"date": dates})
    if events is not None and not events.empty:
        ev = ev.merge(events[["date", "event", "lift"]], on="date", how="left")
    else:
        ev["event"], ev["lift"] = pd.NA, np.nan
    ev_lift = ev["lift"].astype("float64").fillna(0.0)
    factor = month * trend * (1.0 + ev_lift)
    daily = pd.DataFrame(
        {
            "date": dates,
            "month_factor": month,
            "trend_factor": trend,
            "event": ev["event"].astype("string"),
            "event_lift": ev_lift,
            "factor": factor,
            "expected": peer * lift * factor,
            "low": low * lift * factor,
            "high": high * lift * factor,
        }
    )
    names = tuple(dict.fromkeys(str(e) for e in ev["event"].dropna()))
    return LaunchDemand(
        peer_daily_sales=float(peer),
        lift=float(lift),
        base_daily=float(peer * lift),
        start=pd.Timestamp(start).date(),
        days=int(days),
        source=source,
        monthly_trend=float(monthly_trend),
        month_factors={int(k): float(v) for k, v in factors.items()},
        event_lift=float(event_lift),
        events=names,
        daily=daily,
        band_low=float(low),
        band_high=float(high),
    )


def peer_band(summary: PeerSummary, peer_daily: float) -> tuple[float, float]:
    """(low, high) peer daily sales around the figure the plan uses (units/day), R-L1.

    The peers' Q1 and Q3 scaled by peer daily / median: when the seller types their own peer
    figure the spread moves with it (same relative width). The quartiles as they are when the
    median is 0.
    """
    if summary.median > 0:
        scale = float(peer_daily) / summary.median
        return summary.q1 * scale, summary.q3 * scale
    return summary.q1, summary.q3


def follow_up_decision_date(
    launch_date: date, first_order_units: float, expected_daily: float, follow_up_lead_days: float
) -> tuple[date | None, float]:
    """(decide-by date, days the first order covers) for the follow-up 30% (R-L5).

    cover = first order units / expected daily sales; decide by = launch date + cover - lead
    time of the follow-up (production + transit). Ordered later than that, the follow-up
    lands after the first batch has sold out. Without expected sales nothing sells out: no
    follow-up is needed, (None, inf).
    """
    if expected_daily <= 0:
        return None, math.inf
    cover = first_order_units / expected_daily
    return launch_date + timedelta(days=math.floor(cover - follow_up_lead_days)), cover


def own_asins(products: pd.DataFrame) -> list[str]:
    """The seller's own ASINs (``products.asin``), left out of the peer set."""
    if products is None or products.empty or "asin" not in products.columns:
        return []
    return [str(a) for a in products["asin"].dropna().unique() if str(a)]


def median_or(values: Sequence[float] | pd.Series, default: float) -> float:
    """Median of the non-missing values, or ``default`` when there are none."""
    s = pd.to_numeric(pd.Series(values), errors="coerce").dropna()
    return float(s.median()) if len(s) else float(default)


def level_sd_from_quartiles(q1: float, q3: float, lift: float = 1.0) -> float:
    """Standard deviation of a launch's daily sales level from the peers' spread.

    sd = (Q3 - Q1) / 1.349 x lift: for a normal distribution the interquartile range is
    1.349 sd, so the peers' Q1..Q3 of daily sales says how far a new listing's level may land
    from the median (units/day). Used as the demand uncertainty of the newsvendor and of the
    shipping comparison (R-L4, R-L7).
    """
    return max(float(q3) - float(q1), 0.0) / 1.349 * float(lift)


# -- the launch plan (R-L3..R-L7) ------------------------------------------------------------------
def first_batch_options(
    units: float,
    launch_date: date,
    production_days: float,
    transit_days: Mapping[str, float],
    freight_per_unit: Mapping[str, float],
    unit_cost: float,
    duty_rate: float = 0.0,
    receiving_days: float = 0.0,
) -> pd.DataFrame:
    """The first batch by each shipping mode (R-L7): one row per mode with ``mode``,
    ``lead_time_days`` (production + transit + receiving), ``order_by`` (launch date - lead
    time, the last day to order and still launch on time), ``freight_cost`` (units x freight
    per unit) and ``cash_needed`` (``fees.cash_needed``: units x (unit cost x (1 + duty) +
    freight))."""
    rows = []
    for mode, transit in transit_days.items():
        lead = policy.total_lead_time(production_days, [transit], receiving_days)
        freight = float(freight_per_unit.get(mode, 0.0))
        rows.append(
            {
                "mode": mode,
                "lead_time_days": lead,
                "order_by": policy.order_by_date(launch_date, lead),
                "freight_cost": float(units) * freight,
                "cash_needed": fees.cash_needed(units, unit_cost, freight, duty_rate),
            }
        )
    return pd.DataFrame(rows)


def launch_plan_table(
    sku: str,
    first_order_units: int,
    follow_up_units: int,
    first_order_share: float,
    first: Mapping[str, object],
    follow_up: Mapping[str, object],
) -> pd.DataFrame:
    """The launch plan a seller saves and downloads: one row per batch (R-L5).

    ``first`` / ``follow_up``: ``mode, order_by, arrival, unit_cost, freight_per_unit,
    cash_needed, note``. Columns: batch, sku, units, share, shipping_mode, order_by, arrival,
    unit_cost, freight_per_unit, cash_needed, note.
    """
    rows = []
    for batch, units, share, spec in (
        ("first order", first_order_units, first_order_share, first),
        ("follow-up", follow_up_units, 1 - first_order_share, follow_up),
    ):
        rows.append(
            {
                "batch": batch,
                "sku": sku,
                "units": int(units),
                "share": round(float(share), 6),
                "shipping_mode": spec["mode"],
                "order_by": pd.Timestamp(spec["order_by"]),
                "arrival": pd.Timestamp(spec["arrival"]),
                "unit_cost": float(spec["unit_cost"]),
                "freight_per_unit": float(spec["freight_per_unit"]),
                "cash_needed": round(float(spec["cash_needed"]), 2),
                "note": str(spec.get("note", "")),
            }
        )
    return pd.DataFrame(rows)


def fba_fee_from_xray(
    peer_rows: pd.DataFrame, referral_rate: float = fees.DEFAULT_REFERRAL_RATE
) -> float | None:
    """Median FBA fulfilment fee of the peers from their Xray "Fees" (units: money per unit).

    Helium 10's Xray "Fees" column is Amazon's fees per unit: the FBA fee plus the referral fee
    (the sample's own listing: 3.41 FBA + 15% x 19.99 = 6.41). FBA fee = fees - referral rate x
    price, per peer, floored at 0; the median over the peers, or None without fee data.
    """
    if "fees" not in peer_rows.columns:
        return None
    fees = pd.to_numeric(peer_rows["fees"], errors="coerce")
    price = pd.to_numeric(peer_rows["price"], errors="coerce")
    fba = (fees - referral_rate * price).clip(lower=0).dropna()
    return float(fba.median()) if len(fba) else None


# -- defaults for a launch (R-L4, R-L6, R-L7) ------------------------------------------------------
def lead_time_defaults(
    product: Mapping[str, object] | None, settings: Settings
) -> dict[str, float]:
    """Production days, air and sea transit days, receiving days and case pack for a launch.

    From the product's row (``lead_time_days``, ``air_days``, ``sea_days``, ``case_pack``),
    else Settings: production = the middle of the supplier range (R-L4: 30-60 -> 45 days),
    transit = the long end of each mode's range (R-L7: air 14, sea 45 days; plan for the slow
    end), receiving = ``Settings.receiving_days`` (R-G2), case pack 1.
    """
    row = product or {}
    mid = (settings.lead_time_min_days + settings.lead_time_max_days) / 2
    return {
        "production_days": float(first_number(row.get("lead_time_days"), mid)),
        "air_days": float(first_number(row.get("air_days"), settings.air_days_max)),
        "sea_days": float(first_number(row.get("sea_days"), settings.sea_days_max)),
        "receiving_days": float(settings.receiving_days),
        "case_pack": float(first_number(row.get("case_pack"), 1.0)),
    }


def earliest_launch(
    today: date, production_days: float, transit_days: float, receiving_days: float
) -> date:
    """The first day a batch ordered ``today`` can be sellable: today + ceil(production +
    transit + receiving) (``policy.total_lead_time``), R-L4, R-L7."""
    lead = policy.total_lead_time(production_days, [transit_days], receiving_days)
    return today + timedelta(days=math.ceil(lead - 1e-9))


@dataclass(frozen=True)
class EconomicsDefaults:
    """Prefill for a launch's unit economics (R-L6), with where each figure came from."""

    price: float
    unit_cost: float
    air_cost: float
    sea_cost: float
    fba_fee: float
    referral_rate: float
    sources: dict[str, str]  # field -> where the figure came from
    guesses: tuple[str, ...]  # fields filled with a stand-in (``GUESS_*``), not a figure

    LABELS = {
        "price": "price",
        "unit_cost": "unit cost",
        "air_cost": "air freight",
        "sea_cost": "sea freight",
        "fba_fee": "FBA fee",
        "referral_rate": "referral fee",
    }

    def sources_note(self) -> str:
        """Where each prefilled figure came from, e.g. 'price: the peers' median price; ...'."""
        return "; ".join(f"{self.LABELS.get(k, k)}: {v}" for k, v in self.sources.items())

    def guess_note(self) -> str:
        """One sentence naming the stand-ins, or '' when there are none."""
        if not self.guesses:
            return ""
        parts = "; ".join(f"{self.LABELS.get(k, k)}: {self.sources[k]}" for k in self.guesses)
        return f"Guesses, not your figures: {parts}. Replace them with your quotes."


def economics_defaults(
    product: Mapping[str, object] | None,
    products: pd.DataFrame | None,
    summary: PeerSummary | None,
    peer_rows: pd.DataFrame | None,
) -> EconomicsDefaults:
    """Prefill for price, unit cost, freight, FBA fee and referral rate of a launch (R-L6).

    In order: the chosen product's row; else the peers (median price, median Xray FBA fee,
    ``fba_fee_from_xray``); else the medians of the workspace's products (unit cost as a share
    of price, freight, FBA fee); else a stand-in: price ``GUESS_PRICE``, unit cost = price x
    ``GUESS_COST_SHARE``, referral ``fees.DEFAULT_REFERRAL_RATE``, freight and FBA fee 0. Stand-ins
    are listed in ``guesses``.
    """
    row = dict(product or {})
    prods = products if products is not None else pd.DataFrame()
    sources: dict[str, str] = {}
    guesses: list[str] = []

    def col(name: str) -> pd.Series:
        return prods[name] if name in prods.columns else pd.Series(dtype="float64")

    price = first_number(row.get("price"), None)
    if price is not None:
        sources["price"] = "your product"
    elif summary is not None and first_number(summary.median_price, None) is not None:
        price = float(summary.median_price)
        sources["price"] = "the peers' median price"
    else:
        price = GUESS_PRICE
        sources["price"] = f"{GUESS_PRICE:,.2f}, no price anywhere"
        guesses.append("price")

    unit_cost = first_number(row.get("unit_cost"), None)
    share = pd.to_numeric(col("unit_cost"), errors="coerce") / pd.to_numeric(
        col("price"), errors="coerce"
    )
    share = share.replace([np.inf, -np.inf], np.nan).dropna()
    if unit_cost is not None:
        sources["unit_cost"] = "your product"
    elif not row and len(share):
        unit_cost = price * float(share.median())
        sources["unit_cost"] = "price x your products' median cost share"
    else:
        unit_cost = price * GUESS_COST_SHARE
        sources["unit_cost"] = f"price x {GUESS_COST_SHARE:.0%}"
        guesses.append("unit_cost")

    referral = first_number(row.get("referral_pct"), None)
    if referral is not None:
        sources["referral_rate"] = "your product"
    else:
        referral = fees.DEFAULT_REFERRAL_RATE
        sources["referral_rate"] = f"{referral:.0%}, Amazon's usual rate"
        guesses.append("referral_rate")

    def median_or_guess(key: str, column: str, other: float | None, other_text: str) -> float:
        own = first_number(row.get(column), None)
        if own is not None:
            sources[key] = "your product"
            return own
        if other is not None:
            sources[key] = other_text
            return other
        values = pd.to_numeric(col(column), errors="coerce").dropna()
        if len(values):
            sources[key] = "your products' median"
            return float(values.median())
        sources[key] = "0, no figure"
        guesses.append(key)
        return 0.0

    xray_fee = None
    if peer_rows is not None and not peer_rows.empty:
        xray_fee = fba_fee_from_xray(peer_rows, referral)
    fba = median_or_guess("fba_fee", "fba_fee", xray_fee, "the peers' median Xray fee")
    air = median_or_guess("air_cost", "air_cost", None, "")
    sea = median_or_guess("sea_cost", "sea_cost", None, "")
    return EconomicsDefaults(
        price=round(price, 2),
        unit_cost=round(unit_cost, 2),
        air_cost=round(air, 2),
        sea_cost=round(sea, 2),
        fba_fee=round(fba, 2),
        referral_rate=float(referral),
        sources=sources,
        guesses=tuple(guesses),
    )


# -- the launch plan, one computation for the page and the CLI (R-L2..R-L7) ------------------------
@dataclass(frozen=True)
class LaunchPlan:
    """The launch order, its dates and its demand uncertainty (units, units/day, days)."""

    order: policy.LaunchOrder
    demand: LaunchDemand
    demand_factor: float  # mean day factor over the days the order covers (R-L2)
    sd_level_daily: float  # sd of the daily sales level, units/day (R-L4)
    launch_date: date
    production_days: float
    transit_days: dict[str, float]
    receiving_days: float
    first_mode: str
    first_lead_days: float  # production + first mode's transit + receiving
    first_order_by: date
    follow_mode: str
    follow_ready: bool  # the supplier makes the follow-up with the first batch and holds it
    follow_lead_days: float  # (production unless ready) + follow mode's transit + receiving
    first_cover_days: float  # days of expected sales the first order covers
    follow_up_decide_by: date | None  # None: no follow-up needed (no expected sales)
    follow_up_arrival: date | None
    review_date: date  # launch + REVIEW_DAYS: early sales tell something from here

    @property
    def window_days(self) -> int:
        return self.order.cover_days + self.order.safety_days

    @property
    def window_mean_units(self) -> float:
        """Expected demand over the order's window: expected daily x window days."""
        return self.order.expected_daily_sales * self.window_days

    @property
    def window_sd_units(self) -> float:
        """sd of demand over the window = sd of the level x window days (level uncertainty:
        one unknown rate moves every day of the window together)."""
        return self.sd_level_daily * self.window_days

    def explain(self) -> str:
        lines = []
        if abs(self.demand_factor - 1) > 1e-9:
            lines.append(
                f"Peer daily sales in the order = {self.demand.peer_daily_sales:,.3f} x "
                f"{self.demand_factor:.4f} = {self.order.peer_daily_sales:,.3f}: the mean day "
                f"factor over the {self.window_days} days the order covers (seasonality and "
                "events, R-L2)."
            )
        prod = self.production_days
        first_transit = self.transit_days[self.first_mode]
        lines.append(
            f"First batch by {self.first_mode}: lead time = production + transit + receiving = "
            f"{prod:,.0f} + {first_transit:,.0f} + {self.receiving_days:,.0f} = "
            f"{self.first_lead_days:,.0f} days; order by = launch {self.launch_date:%d %b %Y} - "
            f"{self.first_lead_days:,.0f} days = **{self.first_order_by:%d %b %Y}** (R-L4, R-L7)."
        )
        if self.follow_up_decide_by is None:
            lines.append("No expected sales: the first order never sells out, no follow-up needed.")
            return "\n\n".join(lines)
        transit = self.transit_days[self.follow_mode]
        lead_text = (
            f"{self.follow_mode} transit + receiving = {transit:,.0f} + {self.receiving_days:,.0f}"
            if self.follow_ready
            else f"production + {self.follow_mode} transit + receiving = {prod:,.0f} + "
            f"{transit:,.0f} + {self.receiving_days:,.0f}"
        )
        lines.append(
            f"The first order of {self.order.first_order_units:,} units covers "
            f"{self.order.first_order_units:,} / {self.order.expected_daily_sales:,.1f} = "
            f"{self.first_cover_days:,.1f} days of expected sales from the launch on "
            f"{self.launch_date:%d %b %Y}. From order to arrival the follow-up takes "
            f"{lead_text} = {self.follow_lead_days:,.0f} days, so it must be ordered by launch + "
            f"{self.first_cover_days:,.1f} - {self.follow_lead_days:,.0f} days = "
            f"**{self.follow_up_decide_by:%d %b %Y}** to land before the first batch sells out "
            "(R-L5). Until then, early sales decide it (R-L8)."
        )
        return "\n\n".join(lines)

    def to_dict(self) -> dict:
        def iso(d: date | None) -> str | None:
            return None if d is None else d.isoformat()

        return {
            "order": self.order.to_dict(),
            "demand": self.demand.to_dict(),
            "demand_factor": self.demand_factor,
            "sd_level_daily": self.sd_level_daily,
            "launch_date": iso(self.launch_date),
            "production_days": self.production_days,
            "transit_days": dict(self.transit_days),
            "receiving_days": self.receiving_days,
            "first_mode": self.first_mode,
            "first_lead_days": self.first_lead_days,
            "first_order_by": iso(self.first_order_by),
            "follow_mode": self.follow_mode,
            "follow_ready": self.follow_ready,
            "follow_lead_days": self.follow_lead_days,
            "first_cover_days": None
            if math.isinf(self.first_cover_days)
            else self.first_cover_days,
            "follow_up_decide_by": iso(self.follow_up_decide_by),
            "follow_up_arrival": iso(self.follow_up_arrival),
            "review_date": iso(self.review_date),
        }


def launch_plan(
    demand: LaunchDemand,
    *,
    production_days: float,
    transit_days: Mapping[str, float],
    receiving_days: float,
    first_mode: str = "air",
    follow_mode: str = "sea",
    follow_ready: bool = False,
    cover_days: int = 30,
    safety_days: int = 15,
    first_order_share: float = 0.70,
    case_pack: float | None = None,
    review_days: int = REVIEW_DAYS,
) -> LaunchPlan:
    """The launch plan from the expected demand: order, order-by and follow-up dates.

    - R-L2/R-L3: order = ``policy.launch_order`` on peer daily x F, F = mean day factor of
      ``demand`` over cover + safety days (seasonality, events; 1 when flat).
    - R-L4/R-L7: first lead time = production + transit[first mode] + receiving
      (``policy.total_lead_time``); order by = launch date - lead (``policy.order_by_date``).
    - R-L5: follow-up lead = (production, 0 if ready) + transit[follow mode] + receiving;
      decide by / cover = ``follow_up_decision_date``; ordered that day it arrives decide by +
      ceil(lead) (= launch + floor(cover) for a whole-day lead), when the first batch sells
      out. This one date is what the page's text, plan table, chart and shipping comparison
      show.
    - Level sd = ``level_sd_from_quartiles`` of the demand's peer band x F, x lift (units/day).
    ``transit_days``: mode -> days (at least the two modes used). Defaults are Settings'.
    """
    for mode in (first_mode, follow_mode):
        if mode not in transit_days:
            raise InputError(
                f"shipping mode '{mode}' has no transit time",
                column="mode",
                expected=f"one of {', '.join(transit_days)}",
            )
    factor = demand.mean_factor(cover_days + safety_days)
    order = policy.launch_order(
        demand.peer_daily_sales * factor,
        lift=demand.lift,
        cover_days=cover_days,
        safety_days=safety_days,
        first_order_share=first_order_share,
        case_pack=case_pack,
    )
    transit = {str(k): float(v) for k, v in transit_days.items()}
    first_lead = policy.total_lead_time(production_days, [transit[first_mode]], receiving_days)
    follow_lead = policy.total_lead_time(
        0.0 if follow_ready else production_days, [transit[follow_mode]], receiving_days
    )
    launch = demand.start
    decide_by, cover = follow_up_decision_date(
        launch, order.first_order_units, order.expected_daily_sales, follow_lead
    )
    low = demand.band_low if not math.isnan(demand.band_low) else demand.peer_daily_sales
    high = demand.band_high if not math.isnan(demand.band_high) else demand.peer_daily_sales
    return LaunchPlan(
        order=order,
        demand=demand,
        demand_factor=factor,
        sd_level_daily=level_sd_from_quartiles(low * factor, high * factor, demand.lift),
        launch_date=launch,
        production_days=float(production_days),
        transit_days=transit,
        receiving_days=float(receiving_days),
        first_mode=first_mode,
        first_lead_days=first_lead,
        first_order_by=policy.order_by_date(launch, first_lead),
        follow_mode=follow_mode,
        follow_ready=bool(follow_ready),
        follow_lead_days=follow_lead,
        first_cover_days=cover,
        follow_up_decide_by=decide_by,
        follow_up_arrival=None
        if decide_by is None
        else decide_by + timedelta(days=math.ceil(follow_lead - 1e-9)),
        review_date=launch + timedelta(days=int(review_days)),
    )


@dataclass(frozen=True)
class FollowUpShipping:
    """The follow-up by air or sea: stockout risk before it lands (R-L4, R-L7)."""

    order_date: date  # the plan's decide-by date
    on_hand_units: float  # first batch left on the order date (expected sales)
    sd_level_daily: float  # units/day
    stockout_target: float
    options: pd.DataFrame  # policy.compare_shipping rows + meets_target

    def explain(self) -> str:
        fields = {f.name for f in dataclasses.fields(policy.ShippingOption)}
        parts = [
            policy.ShippingOption(**{k: v for k, v in r.items() if k in fields}).explain()
            for r in self.options.to_dict("records")
        ]
        parts.append(
            f"Demand sd until arrival = level sd x lead time = {self.sd_level_daily:,.1f} x L "
            "units; level sd = (peer Q3 - Q1) / 1.349 x lift x mean day factor = "
            f"{self.sd_level_daily:,.1f} units/day. The peers' spread says how far this "
            "launch's daily rate may land from plan, and that rate holds every day until "
            "arrival, so the sd grows with L, not with sqrt(L) (the newsvendor uses the same "
            "level uncertainty)."
        )
        return "\n\n".join(parts)


def follow_up_shipping(
    plan: LaunchPlan,
    freight_per_unit: Mapping[str, float],
    margin_per_unit: float = 0.0,
    stockout_target: float = 0.05,
) -> FollowUpShipping | None:
    """The follow-up ordered on its decide-by date (the one follow-up date of the plan), by
    each mode: ``policy.compare_shipping`` with on hand = the first batch left then (expected
    sales of ``plan.demand`` day by day, ``policy.projected_stock``), plus expected daily x
    the days from the order to the launch when it is ordered before the launch (those days
    sell nothing, R-L5), L = follow-up lead by mode and sd of demand until arrival =
    sd_level x L (level uncertainty, as the newsvendor).
    ``meets_target``: P(stockout) <= ``stockout_target`` (R-L4). None without a follow-up.
    """
    if plan.follow_up_decide_by is None:
        return None
    ordered = plan.follow_up_decide_by
    projection = policy.projected_stock(
        plan.launch_date, plan.order.first_order_units, plan.demand.daily["expected"].to_numpy()
    )
    before = projection["date"] <= pd.Timestamp(ordered)
    on_hand = (
        float(projection.loc[before, "stock"].iloc[-1])
        if before.any()
        else float(plan.order.first_order_units)
    )
    pre_launch = max((plan.launch_date - ordered).days, 0)
    on_hand += plan.order.expected_daily_sales * pre_launch
    fixed = plan.receiving_days + (0.0 if plan.follow_ready else plan.production_days)
    modes = list(plan.transit_days)
    options = {m: (plan.transit_days[m], float(freight_per_unit.get(m, 0.0))) for m in modes}
    sd = {m: plan.sd_level_daily * (fixed + plan.transit_days[m]) for m in modes}
    table = policy.compare_shipping(
        plan.order.follow_up_units,
        plan.order.expected_daily_sales,
        plan.sd_level_daily,
        on_hand,
        ordered,
        fixed,
        options,
        margin_per_unit=max(margin_per_unit, 0.0),
        sd_lead_time_demand=sd,
    )
    table["meets_target"] = table["stockout_probability"] <= stockout_target + 1e-12
    return FollowUpShipping(
        order_date=ordered,
        on_hand_units=on_hand,
        sd_level_daily=plan.sd_level_daily,
        stockout_target=float(stockout_target),
        options=table,
    )
