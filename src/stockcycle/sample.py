"""The sample workspace: "Northwind Home", a fictional kitchen and home brand, in real formats.

``generate(out)`` writes the files a seller of 40 SKUs would download (Amazon All Orders,
Business Report, Manage FBA Inventory, FBA Inventory planning, Helium 10 Xray and Cerebro
exports, and generic CSVs for the rest) plus ``manifest.json``: each file's name, format and the
snapshot date / search / period the importer needs, and each SKU's intended life-cycle stage
(``manifest["skus"]``), against which the stage classifier is tested (R-S1).

Everything follows from one seed and the fixed end date ``END`` (never today's date), so the
output is byte-for-byte reproducible. Daily demand per SKU comes from ``stockcycle.curves``
(Bass rise, plateau, decline; Q4 season; Prime Day); sales are split over the channels
Amazon.com, Non-Amazon (own site, fulfilled by FBA) and Walmart (fulfilled by WFS). The FBA
stock is built backwards from the sales, so every file agrees with every other one:

- opening stock of a day >= units sold that day; a stockout run has 0 available at FBA (and at
  the 3PL) and no sales on any channel;
- All Orders lines (non-cancelled, positive quantities) add up to the daily sales of the last
  ``ORDERS_DAYS`` days; ``sales_history.csv`` holds Amazon.com and Non-Amazon sales up to the day
  before, and Walmart sales (not in All Orders) up to ``END``;
- the Business Report's units and sales are those All Orders lines over its period;
- aging buckets are the FIFO remainder of the FBA receipts, so decline and exit SKUs, which are
  no longer replenished (R-S2), hold old stock.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from stockcycle.curves import seasonal_factor, simulate_sales, stage_curve
from stockcycle.errors import InputError
from stockcycle.forecast.events import prime_days

if TYPE_CHECKING:
    from stockcycle.ingest.result import ParsedFile
    from stockcycle.store import Workspace

SAMPLE_DIR: Path = Path(__file__).resolve().parents[2] / "sample_data"

BRAND = "Northwind Home"
START = date(2024, 3, 1)
END = date(2026, 10, 31)
ORDERS_DAYS = 60  # the All Orders file covers the last 60 days
REPORT_DAYS = 30  # the Business Report covers the last 30 days
SEARCH = "silicone baking mat"
XRAY_DATES = (date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 31))
CHANNELS = ("Amazon.com", "Non-Amazon", "Walmart")


@dataclass(frozen=True)
class _Item:
    sku: str
    title: str
    parent: str  # variation family; the parent ASIN is derived from it
    category: str
    stage: str
    peak: float  # plateau demand, units/day before season (all channels)
    price: float
    cubic_feet: float
    size_tier: str
    pattern: str = "smooth"
    stockouts: int = 0
    age: int | None = None  # days from the first sale to END; None: drawn for the stage
    walmart: bool = True
    three_pl: bool = False
    in_xray: bool = False  # listed in the "silicone baking mat" search


_S, _L, _B = "Small standard", "Large standard", "Large bulky"

CATALOGUE: tuple[_Item, ...] = (
    # Baking mats: the family that shows up in the Xray search.
    _Item(
        "NW-BMAT-HALF",
        "Silicone Baking Mat Half Sheet, 2-Pack",
        "BMAT",
        "Bakeware",
        "maturity",
        28,
        19.99,
        0.09,
        _S,
        three_pl=True,
        in_xray=True,
    ),
    _Item(
        "NW-BMAT-QTR",
        "Silicone Baking Mat Quarter Sheet, 2-Pack",
        "BMAT",
        "Bakeware",
        "maturity",
        11,
        15.99,
        0.06,
        _S,
        stockouts=1,
        in_xray=True,
    ),
    _Item(
        "NW-BMAT-XL",
        "Silicone Baking Mat Full Sheet XL",
        "BMAT",
        "Bakeware",
        "launch",
        9,
        24.99,
        0.14,
        _L,
        age=20,
        walmart=False,
        in_xray=True,
    ),
    _Item(
        "NW-BMAT-MAC",
        "Macaron Silicone Baking Mat, 2-Pack",
        "BMAC",
        "Bakeware",
        "growth",
        16,
        17.99,
        0.07,
        _S,
        in_xray=True,
    ),
    _Item(
        "NW-BMAT-ROLL",
        "Silicone Pastry Mat with Measurements",
        "BROL",
        "Bakeware",
        "decline",
        12,
        21.99,
        0.11,
        _L,
        in_xray=True,
    ),
    # Cutting boards
    _Item(
        "NW-CB-BAM-S",
        "Bamboo Cutting Board, Small",
        "CBBAM",
        "Kitchen prep",
        "maturity",
        8,
        12.99,
        0.08,
        _S,
        stockouts=2,
    ),
    _Item(
        "NW-CB-BAM-M",
        "Bamboo Cutting Board, Medium",
        "CBBAM",
        "Kitchen prep",
        "maturity",
        12,
        17.99,
        0.14,
        _L,
        three_pl=True,
    ),
    _Item(
        "NW-CB-BAM-L",
        "Bamboo Cutting Board, Large",
        "CBBAM",
        "Kitchen prep",
        "maturity",
        9,
        24.99,
        0.22,
        _L,
    ),
    _Item(
        "NW-CB-SET3",
        "Bamboo Cutting Board Set of 3",
        "CBSET",
        "Kitchen prep",
        "growth",
        14,
        32.99,
        0.35,
        _L,
    ),
    _Item(
        "NW-CB-FIBER",
        "Wood Fiber Cutting Board",
        "CBFIB",
        "Kitchen prep",
        "exit",
        7,
        22.99,
        0.12,
        _L,
    ),
    # Food storage
    _Item(
        "NW-GFS-10",
        "Glass Food Storage Containers, 10-Piece",
        "GFS",
        "Food storage",
        "maturity",
        18,
        34.99,
        0.45,
        _L,
        stockouts=2,
        three_pl=True,
    ),
    _Item(
        "NW-GFS-18",
        "Glass Food Storage Containers, 18-Piece",
        "GFS",
        "Food storage",
        "maturity",
        8,
        49.99,
        0.78,
        _B,
    ),
    _Item(
        "NW-GFS-LIDS",
        "Replacement Lids for Glass Containers, 5-Pack",
        "GFSL",
        "Food storage",
        "maturity",
        0.6,
        11.99,
        0.05,
        _S,
        pattern="intermittent",
        walmart=False,
    ),
    _Item(
        "NW-SILBAG-4",
        "Reusable Silicone Food Bags, 4-Pack",
        "SILBAG",
        "Food storage",
        "growth",
        18,
        21.99,
        0.07,
        _S,
        stockouts=1,
    ),
    _Item(
        "NW-BEESWRAP",
        "Beeswax Food Wraps, 6-Pack",
        "BEES",
        "Food storage",
        "decline",
        10,
        16.99,
        0.04,
        _S,
    ),
    # Utensils and tools
    _Item(
        "NW-UT-SPAT",
        "Silicone Spatula Set, 5-Piece",
        "UTSPAT",
        "Utensils",
        "maturity",
        15,
        14.99,
        0.06,
        _S,
        three_pl=True,
    ),
    _Item(
        "NW-UT-WHISK",
        "Stainless Steel Whisk Set, 3-Piece",
        "UTWHI",
        "Utensils",
        "maturity",
        5,
        12.99,
        0.07,
        _S,
    ),
    _Item(
        "NW-UT-TONGS",
        "Silicone Kitchen Tongs, 2-Pack",
        "UTTON",
        "Utensils",
        "maturity",
        6,
        13.99,
        0.06,
        _S,
        stockouts=1,
    ),
    _Item(
        "NW-UT-LADLE",
        "Stainless Steel Soup Ladle",
        "UTLAD",
        "Utensils",
        "maturity",
        0.8,
        11.99,
        0.05,
        _S,
        pattern="intermittent",
        walmart=False,
    ),
    _Item(
        "NW-UT-SET12",
        "Silicone Cooking Utensil Set, 12-Piece",
        "UTSET",
        "Utensils",
        "growth",
        11,
        29.99,
        0.21,
        _L,
    ),
    _Item(
        "NW-MC-SET",
        "Measuring Cups and Spoons Set",
        "MCSET",
        "Utensils",
        "maturity",
        10,
        16.99,
        0.08,
        _S,
    ),
    _Item(
        "NW-MC-MAG",
        "Magnetic Measuring Spoons, 8-Piece",
        "MCMAG",
        "Utensils",
        "launch",
        8,
        18.99,
        0.05,
        _S,
        age=38,
        walmart=False,
    ),
    _Item(
        "NW-KS-STONE",
        "Whetstone Knife Sharpener 1000/6000",
        "KSSTO",
        "Utensils",
        "maturity",
        0.5,
        27.99,
        0.06,
        _S,
        pattern="intermittent",
        walmart=False,
    ),
    _Item(
        "NW-OIL-SPRAY",
        "Glass Olive Oil Sprayer",
        "OILSP",
        "Utensils",
        "growth",
        20,
        13.99,
        0.05,
        _S,
    ),
    _Item(
        "NW-OIL-DISP",
        "Olive Oil Dispenser Bottle, 17 oz",
        "OILDI",
        "Utensils",
        "decline",
        8,
        15.99,
        0.08,
        _S,
    ),
    # Coffee and tea
    _Item(
        "NW-FP-34",
        "French Press Coffee Maker, 34 oz",
        "FP",
        "Coffee and tea",
        "maturity",
        9,
        26.99,
        0.24,
        _L,
    ),
    _Item(
        "NW-FP-FILTER",
        "French Press Replacement Filter Screens, 4-Pack",
        "FPF",
        "Coffee and tea",
        "maturity",
        0.7,
        9.99,
        0.02,
        _S,
        pattern="intermittent",
        walmart=False,
    ),
    _Item(
        "NW-KETTLE-GN",
        "Gooseneck Pour-Over Kettle",
        "KETGN",
        "Coffee and tea",
        "growth",
        6,
        34.99,
        0.29,
        _L,
    ),
    _Item(
        "NW-TEA-INF",
        "Tea Infuser Set, 4-Pack",
        "TEAIN",
        "Coffee and tea",
        "decline",
        7,
        12.99,
        0.03,
        _S,
    ),
    _Item(
        "NW-FROTHER", "Handheld Milk Frother", "FROTH", "Coffee and tea", "exit", 8, 15.99, 0.05, _S
    ),
    # Home organisation
    _Item(
        "NW-DRAWER-ORG",
        "Bamboo Drawer Organizer",
        "DRAW",
        "Organization",
        "maturity",
        6,
        27.99,
        0.31,
        _L,
        three_pl=True,
    ),
    _Item(
        "NW-SPICE-RACK",
        "Tiered Spice Rack Organizer",
        "SPICE",
        "Organization",
        "maturity",
        5,
        22.99,
        0.27,
        _L,
        stockouts=3,
    ),
    _Item(
        "NW-LAZY-SUSAN",
        "Turntable Lazy Susan, 12 inch",
        "LAZY",
        "Organization",
        "maturity",
        4,
        17.99,
        0.19,
        _L,
    ),
    _Item(
        "NW-PANTRY-BIN",
        "Clear Pantry Storage Bins, 6-Pack",
        "PANT",
        "Organization",
        "growth",
        9,
        36.99,
        0.62,
        _B,
    ),
    _Item(
        "NW-LABEL-KIT",
        "Pantry Label Kit, 150 Labels",
        "LABEL",
        "Organization",
        "launch",
        6,
        12.99,
        0.02,
        _S,
        age=52,
        walmart=False,
    ),
    _Item(
        "NW-DISH-RACK",
        "Stainless Dish Drying Rack",
        "DISH",
        "Organization",
        "decline",
        8,
        39.99,
        0.85,
        _B,
    ),
    _Item(
        "NW-SINK-CADDY",
        "Silicone Sink Caddy",
        "SINK",
        "Organization",
        "maturity",
        7,
        11.99,
        0.04,
        _S,
    ),
    _Item(
        "NW-TRIVET-SET",
        "Silicone Trivet Mats, 4-Pack",
        "TRIV",
        "Kitchen linen",
        "decline",
        5,
        13.99,
        0.04,
        _S,
    ),
    _Item(
        "NW-TOWEL-6",
        "Cotton Kitchen Towels, 6-Pack",
        "TOWEL",
        "Kitchen linen",
        "maturity",
        13,
        19.99,
        0.11,
        _L,
        three_pl=True,
    ),
    _Item("NW-APRON", "Canvas Kitchen Apron", "APRON", "Kitchen linen", "exit", 4, 18.99, 0.06, _S),
)

_CITIES = (
    ("Seattle", "WA", "98109"),
    ("Austin", "TX", "78701"),
    ("Denver", "CO", "80202"),
    ("Columbus", "OH", "43215"),
    ("Atlanta", "GA", "30303"),
    ("Phoenix", "AZ", "85004"),
    ("Brooklyn", "NY", "11201"),
    ("Chicago", "IL", "60601"),
    ("Miami", "FL", "33130"),
    ("Portland", "OR", "97205"),
    ("San Diego", "CA", "92101"),
    ("Boston", "MA", "02108"),
    ("Nashville", "TN", "37203"),
    ("Raleigh", "NC", "27601"),
    ("Madison", "WI", "53703"),
)

ALL_ORDERS_HEADER = (
    "amazon-order-id",
    "merchant-order-id",
    "purchase-date",
    "last-updated-date",
    "order-status",
    "fulfillment-channel",
    "sales-channel",
    "order-channel",
    "url",
    "ship-service-level",
    "product-name",
    "sku",
    "asin",
    "item-status",
    "quantity",
    "currency",
    "item-price",
    "item-tax",
    "shipping-price",
    "shipping-tax",
    "gift-wrap-price",
    "gift-wrap-tax",
    "item-promotion-discount",
    "ship-promotion-discount",
    "ship-city",
    "ship-state",
    "ship-postal-code",
    "ship-country",
    "promotion-ids",
    "is-business-order",
    "purchase-order-number",
    "price-designation",
)
BUSINESS_REPORT_HEADER = (
    "(Parent) ASIN",
    "(Child) ASIN",
    "Title",
    "SKU",
    "Sessions – Total",
    "Sessions – Total – B2B",
    "Session Percentage – Total",
    "Session Percentage – Total – B2B",
    "Page Views – Total",
    "Page Views – Total – B2B",
    "Page Views Percentage – Total",
    "Page Views Percentage – Total – B2B",
    "Featured Offer Percentage",
    "Featured Offer Percentage – B2B",
    "Units ordered",
    "Units Ordered – B2B",
    "Unit Session Percentage",
    "Unit Session Percentage – B2B",
    "Ordered Product Sales",
    "Ordered Product Sales – B2B",
    "Total Order Items",
    "Total Order Items – B2B",
)
MANAGE_FBA_HEADER = (
    "sku",
    "fnsku",
    "asin",
    "product-name",
    "condition",
    "your-price",
    "mfn-listing-exists",
    "mfn-fulfillable-quantity",
    "afn-listing-exists",
    "afn-warehouse-quantity",
    "afn-fulfillable-quantity",
    "afn-unsellable-quantity",
    "afn-reserved-quantity",
    "afn-total-quantity",
    "per-unit-volume",
    "afn-inbound-working-quantity",
    "afn-inbound-shipped-quantity",
    "afn-inbound-receiving-quantity",
    "afn-researching-quantity",
    "afn-reserved-future-supply",
    "afn-future-supply-buyable",
)
PLANNING_HEADER = (
    "snapshot-date",
    "sku",
    "fnsku",
    "asin",
    "product-name",
    "condition",
    "available",
    "pending-removal-quantity",
    "inv-age-0-to-90-days",
    "inv-age-91-to-180-days",
    "inv-age-181-to-270-days",
    "inv-age-271-to-365-days",
    "inv-age-365-plus-days",
    "currency",
    "units-shipped-t7",
    "units-shipped-t30",
    "units-shipped-t60",
    "units-shipped-t90",
    "alert",
    "your-price",
    "recommended-action",
    "inbound-quantity",
)
XRAY_HEADER = (
    "Display Order",
    "Product Details",
    "ASIN",
    "URL",
    "Image URL",
    "Brand",
    "Price  $",
    "Parent Level Sales",
    "ASIN Sales",
    "ASIN Revenue",
    "BSR",
    "Seller Country/Region",
    "Fees  $",
    "Active Sellers",
    "Ratings",
    "Review Count",
    "Creation Date",
)
CEREBRO_HEADER = (
    "Keyword Phrase",
    "ABA Total Click Share",
    "ABA Total Conv. Share",
    "Keyword Sales",
    "Cerebro IQ Score",
    "Search Volume",
    "Search Volume Trend",
    "H10 PPC Sugg. Bid",
    "H10 PPC Sugg. Min Bid",
    "H10 PPC Sugg. Max Bid",
    "Sponsored ASINs",
    "Competing Products",
    "CPR",
    "Title Density",
    "Organic",
    "Sponsored Rank (avg)",
    "Sponsored Rank (count)",
    "Amazon Recommended Rank (avg)",
    "Amazon Recommended Rank (count)",
    "Position (Rank)",
    "Relative Rank",
    "Competitor Rank (avg)",
    "Ranking Competitors (count)",
    "Competitor Performance Score",
)


# -- small formatting helpers ---------------------------------------------------------------
def _asin(key: str) -> str:
    """A stable, fake ASIN from a key (not from the seed, so ASINs never move)."""
    digest = hashlib.sha1(key.encode()).digest()
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "B0" + "".join(alphabet[b % len(alphabet)] for b in digest[:8])


def _money(x: float) -> str:
    return f"${x:,.2f}"


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def _count(x: float) -> str:
    return f"{int(round(x)):,}"


def _xray_date(d: date) -> str:
    return f"{d:%b} {d.day}, {d.year}"


def _write_csv(
    path: Path,
    header: tuple[str, ...] | list[str],
    rows: list[list[Any]],
    *,
    delimiter: str = ",",
    quote_all: bool = False,
    bom: bool = False,
) -> None:
    buf = io.StringIO()
    writer = csv.writer(
        buf,
        delimiter=delimiter,
        lineterminator="\n",
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(("\ufeff" if bom else "").encode() + buf.getvalue().encode("utf-8"))


# -- the simulation ----------------------------------------------------------------------------
@dataclass
class _Sim:
    item: _Item
    asin: str
    params: dict
    launch_idx: int  # index of the first sale in the date grid (may be < 0: before START)
    units: np.ndarray  # (days, 3) per channel
    prices: np.ndarray  # (days, 3) unit price per channel
    in_stock: np.ndarray
    fba_open: np.ndarray  # FBA available at the start of each day
    fba_inbound: np.ndarray
    receipts: list[tuple[int, int]]  # (day index, units) received at FBA
    future: list[tuple[int, int]]  # (day index after END, units) on the way
    econ: dict
    promos: list[dict]


def _economics(item: _Item, rng: np.random.Generator) -> dict:
    """Landed-cost inputs (R-L6) and supply options (R-L4, R-L7) of one product."""
    base_fee = {_S: 3.22, _L: 4.75, _B: 9.61}[item.size_tier]
    return {
        "unit_cost": round(item.price * rng.uniform(0.2, 0.3), 2),
        "freight_cost": round(0.15 + item.cubic_feet * rng.uniform(1.2, 1.8), 2),
        "fba_fee": round(base_fee + item.cubic_feet * 2.1, 2),
        "referral_pct": 0.15,
        "lead_time_days": int(rng.integers(30, 61)),
        "case_pack": int(rng.choice([12, 24, 36, 48] if item.cubic_feet < 0.1 else [6, 8, 12])),
        "moq": int(rng.choice([200, 300, 500, 1000])),
        "air_days": int(rng.integers(7, 15)),
        "air_cost": round(0.4 + item.cubic_feet * rng.uniform(8, 12), 2),
        "sea_days": int(rng.integers(30, 46)),
        "sea_cost": round(0.1 + item.cubic_feet * rng.uniform(1.0, 1.6), 2),
    }


def _promotions(item: _Item, params: dict, launch: date, rng: np.random.Generator) -> list[dict]:
    """Past and planned promotions. Prime Day lifts are already in the demand curve; the past
    Black Friday / Cyber Monday weekends are applied to demand by the caller."""
    out = []
    for year in range(START.year, END.year + 1):
        first, last = prime_days(year)
        if START <= first <= END and first >= launch:
            out.append(
                {
                    "start": first,
                    "end": last,
                    "name": f"Prime Day {year}",
                    "lift": round(params["prime_multiplier"] - 1, 2),
                    "discount": 0.25,
                    "past": True,
                }
            )
    for first in (date(2024, 11, 29), date(2025, 11, 28)):
        if first >= launch + timedelta(days=30):
            out.append(
                {
                    "start": first,
                    "end": first + timedelta(days=3),
                    "name": f"Black Friday / Cyber Monday {first.year}",
                    "lift": round(float(rng.uniform(0.5, 1.0)), 2),
                    "discount": 0.2,
                    "past": True,
                }
            )
    if item.stage in ("launch", "growth", "maturity"):
        out.append(
            {
                "start": date(2026, 11, 27),
                "end": date(2026, 11, 30),
                "name": "Black Friday / Cyber Monday 2026",
                "lift": round(float(rng.uniform(0.5, 1.0)), 2),
                "discount": 0.2,
                "past": False,
            }
        )
    if item.stage == "launch":
        out.append(
            {
                "start": date(2026, 11, 1),
                "end": date(2026, 11, 21),
                "name": "Launch coupon 15%",
                "lift": 0.5,
                "discount": 0.15,
                "past": False,
            }
        )
    if item.stage in ("decline", "exit"):
        out.append(
            {
                "start": date(2026, 11, 9),
                "end": date(2026, 12, 6),
                "name": "Clearance 30% off",
                "lift": round(float(rng.uniform(0.4, 0.8)), 2),
                "discount": 0.3,
                "past": False,
            }
        )
    if item.stage == "maturity" and item.pattern == "smooth" and rng.random() < 0.4:
        out.append(
            {
                "start": date(2026, 12, 7),
                "end": date(2026, 12, 14),
                "name": "Holiday gift deal",
                "lift": round(float(rng.uniform(0.2, 0.5)), 2),
                "discount": 0.15,
                "past": False,
            }
        )
    return out


def _fba_stock(
    fba: np.ndarray,
    in_stock: np.ndarray,
    item: _Item,
    params: dict,
    start_idx: int,
    econ: dict,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]], list[tuple[int, int]]]:
    """Opening FBA stock per day, inbound per day, receipts and future receipts.

    Snapshots are opening stock (start of day, after that morning's receipt). Built backwards
    from the sales: receipts every 4-8 weeks, or less often for slow movers (at least five case
    packs per receipt), and right after each stockout run; each receipt is sized so that the
    stock left before the next one is the safety stock (10-25 days of the next period's
    sales, at most half the next receipt), or exactly 0 before a stockout run. Decline and
    exit SKUs get no receipt from one to three months before the decline started
    (replenishment stops, R-S2), so they end with months of old stock.
    """
    n = len(fba)
    # Receipts every 4-8 weeks, but never smaller than five case packs: a slow mover is
    # bought in batches that last months (capped at 8 months).
    rate = max(float(fba[start_idx:].mean()), 0.01)
    cycle = int(min(max(rng.integers(28, 57), 5 * econ["case_pack"] / rate), 240))
    safety_days = float(rng.uniform(10, 25))
    arrivals = set(range(start_idx, n, cycle))
    out = np.flatnonzero(~in_stock)
    runs = np.split(out, np.flatnonzero(np.diff(out) > 1) + 1) if len(out) else []
    run_ends = set()
    for run in runs:
        a, b = int(run[0]), int(run[-1])
        arrivals = {d for d in arrivals if not a - 10 <= d <= b}
        if b + 1 < n:
            arrivals.add(b + 1)
            run_ends.add(b + 1)
    if "decline_days" in params:
        # The last batch arrived one to three months before sales turned down: bought for a
        # plateau that did not last, it is the old stock a declining SKU sits on.
        stop = n - 1 - params["decline_days"] - int(rng.integers(30, 91))
        arrivals = {d for d in arrivals if d <= stop}
    days = []
    for d in sorted(arrivals | {start_idx}):
        # A regular receipt right after another one (a stockout refill) would be a token batch.
        if days and d not in run_ends and d - days[-1] < cycle // 2:
            continue
        # The first order of a new product is a real batch too: no reorder before it sold.
        if d not in run_ends and 0 < fba[start_idx:d].sum() < 5 * econ["case_pack"]:
            continue
        days.append(d)
    bounds = [*days, n]
    recent = max(float(fba[-30:].mean()), 0.2)
    if item.stage in ("decline", "exit"):
        final = recent * rng.uniform(150, 400)
    elif item.stage == "launch":
        final = recent * rng.uniform(25, 45)
    else:
        final = recent * rng.uniform(20, 45)
    # Backward pass: S_i = stock right after receipt i = E_i + sales in segment i.
    ends: list[float] = [0.0] * len(days)
    starts: list[float] = [0.0] * len(days)
    next_start, next_rate = 0.0, 0.0
    for i in range(len(days) - 1, -1, -1):
        seg = fba[bounds[i] : bounds[i + 1]]
        if i == len(days) - 1:
            end_stock = round(final)
        elif bounds[i + 1] in run_ends:
            end_stock = 0
        else:
            # Safety stock for the coming segment's sales rate, and at most half of what the
            # next receipt leaves on hand, so every receipt is a real batch.
            end_stock = min(round(safety_days * max(next_rate, 0.1)), round(0.5 * next_start))
        ends[i] = end_stock
        starts[i] = end_stock + float(seg.sum())
        next_start, next_rate = starts[i], float(seg.mean())
    opening = np.zeros(n)
    receipts = []
    for i, d in enumerate(days):
        seg = fba[bounds[i] : bounds[i + 1]]
        opening[bounds[i] : bounds[i + 1]] = starts[i] - np.r_[0, np.cumsum(seg)[:-1]]
        qty = int(round(starts[i] - (ends[i - 1] if i else 0)))
        if qty > 0:
            receipts.append((d, qty))
    inbound = np.zeros(n)
    transit = econ["sea_days"]
    for k, (d, qty) in enumerate(receipts):
        days_on_way = econ["air_days"] if (item.stage == "launch" and k == 0) else transit
        if k == 0 and start_idx == 0:
            continue  # opening stock of a product launched before the history starts
        inbound[max(d - days_on_way, 0) : d] += qty
    future = []
    if item.stage in ("launch", "growth", "maturity"):
        eta = n + int(rng.integers(5, 25))
        qty = int(round(recent * cycle * (1.3 if item.stage == "growth" else 1.0))) or 1
        future.append((eta, qty))
        inbound[max(eta - transit, 0) :] += qty
    return opening.round().astype(np.int64), inbound.astype(np.int64), receipts, future


# The sample's stages must be unambiguous (its manifest is the classifier's answer key), so
# its curves are redrawn until the de-seasonalised level moved clearly over the last 8 weeks.
_CLEAR_8W_CHANGE = {
    "growth": (1.5, np.inf),
    "maturity": (0.95, 1.05),
    "decline": (0.0, 0.75),
    "exit": (0.0, 1.0),
    "launch": (0.0, np.inf),
}


def _clear_curve(
    item: _Item, dates: pd.DatetimeIndex, rng: np.random.Generator
) -> tuple[np.ndarray, dict]:
    lo, hi = _CLEAR_8W_CHANGE[item.stage]
    for _ in range(100):
        demand, params = stage_curve(
            item.stage,
            dates,
            rng,
            peak=item.peak,
            seasonal=True,
            prime_day=True,
            launch_age_days=item.age,
        )
        level = demand / seasonal_factor(dates, params["season_amplitude"], params["january_dip"])
        change = level[-1] / level[-57] if level[-57] > 0 else np.inf
        if lo <= change <= hi and (item.stage != "exit" or params["share_now"] <= 0.2):
            break
    return demand, params


def _simulate(item: _Item, dates: pd.DatetimeIndex, rng: np.random.Generator) -> _Sim:
    n = len(dates)
    demand, params = _clear_curve(item, dates, rng)
    launch = date.fromisoformat(params["launch"])
    launch_idx = (launch - START).days
    promos = _promotions(item, params, launch, rng)
    for promo in promos:
        if promo["past"] and not promo["name"].startswith("Prime Day"):
            on = (dates >= pd.Timestamp(promo["start"])) & (dates <= pd.Timestamp(promo["end"]))
            demand[np.asarray(on)] *= 1 + promo["lift"]
    units, in_stock = simulate_sales(
        demand, rng, stockout_runs=item.stockouts, intermittent=item.pattern == "intermittent"
    )
    start_idx = max(launch_idx, 0)
    units[:start_idx] = 0
    if launch_idx >= 0:
        units[launch_idx] = max(units[launch_idx], 1)  # the first sale defines the launch
    if item.stage == "launch":
        shares = np.array([0.93, 0.07, 0.0])
    else:
        shares = np.array([rng.uniform(0.72, 0.85), rng.uniform(0.07, 0.14), 0.0])
        shares[2] = 1 - shares[:2].sum() if item.walmart else 0.0
    shares = shares / shares.sum()
    split = rng.multinomial(units, shares)
    prices = np.tile([item.price, item.price, round(item.price * 0.97, 2)], (n, 1))
    for promo in promos:
        if promo["past"]:
            on = (dates >= pd.Timestamp(promo["start"])) & (dates <= pd.Timestamp(promo["end"]))
            prices[np.asarray(on), 0] = round(item.price * (1 - promo["discount"]), 2)
    econ = _economics(item, rng)
    fba = split[:, 0] + split[:, 1]
    opening, inbound, receipts, future = _fba_stock(
        fba, in_stock, item, params, start_idx, econ, rng
    )
    return _Sim(
        item=item,
        asin=_asin(item.sku),
        params=params,
        launch_idx=launch_idx,
        units=split,
        prices=prices,
        in_stock=in_stock,
        fba_open=opening,
        fba_inbound=inbound,
        receipts=receipts,
        future=future,
        econ=econ,
        promos=promos,
    )


def _simulate_catalogue(rng: np.random.Generator, dates: pd.DatetimeIndex) -> list[_Sim]:
    """The intended sales and stock of every SKU: the first draws of ``generate``'s generator,
    so ``_simulate_catalogue(np.random.default_rng(seed), dates)`` is what it wrote."""
    return [_simulate(item, dates, rng) for item in CATALOGUE]


# -- writers -----------------------------------------------------------------------------------
def _sales_history(sims: list[_Sim], dates: pd.DatetimeIndex, orders_start: int) -> list[list[Any]]:
    rows = []
    iso = list(dates.strftime("%Y-%m-%d"))
    for d in range(len(dates)):
        for sim in sims:
            for c, channel in enumerate(CHANNELS):
                # Amazon.com and Non-Amazon come from the All Orders file from orders_start on;
                # Walmart is not in that file, so its history runs to the end.
                if d >= orders_start and channel != "Walmart":
                    continue
                u = int(sim.units[d, c])
                if u <= 0:
                    continue
                price = float(sim.prices[d, c])
                rows.append([iso[d], sim.item.sku, channel, u, f"{u * price:.2f}", f"{price:.2f}"])
    return rows


def _order_lines(
    sims: list[_Sim], dates: pd.DatetimeIndex, orders_start: int, rng: np.random.Generator
) -> list[list[str]]:
    """All Orders lines: one line per order (quantity 1-3) adding up to the daily sales of the
    two FBA channels, plus cancelled lines, a few exact duplicates and two return lines."""
    lines: list[tuple[str, list[str]]] = []
    used: set[str] = set()

    def order_id(prefix: str) -> str:
        while True:
            a, b = rng.integers(0, 10**7, size=2)
            oid = f"{prefix}-{a:07d}-{b:07d}"
            if oid not in used:
                used.add(oid)
                return oid

    def line(
        sim: _Sim,
        day: pd.Timestamp,
        channel: str,
        qty: int,
        status: str,
        item_status: str,
        price: float | None,
    ) -> tuple[str, list[str]]:
        stamp = day + pd.Timedelta(seconds=int(rng.integers(0, 86400)))
        updated = stamp + pd.Timedelta(seconds=int(rng.integers(3600, 36 * 3600)))
        city, state, postal = _CITIES[int(rng.integers(0, len(_CITIES)))]
        business = channel == "Amazon.com" and rng.random() < 0.05
        amazon = channel == "Amazon.com"
        oid = order_id(str(int(rng.integers(111, 115))) if amazon else "S01")
        total = None if price is None else qty * price
        tax_rate = 0.06 + 0.005 * (sum(map(ord, state)) % 6)  # a fixed rate per state
        return (
            stamp.isoformat(),
            [
                oid,
                "" if amazon else f"NWH-{int(rng.integers(100000, 999999))}",
                stamp.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                updated.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                status,
                "Amazon",
                channel,
                "",
                "",
                "Expedited" if rng.random() < 0.15 else "Standard",
                sim.item.title,
                sim.item.sku,
                sim.asin,
                item_status,
                str(qty),
                "USD",
                "" if total is None else f"{total:.2f}",
                "" if total is None else f"{total * tax_rate:.2f}",
                "0.00",
                "0.00",
                "",
                "",
                "0.00",
                "0.00",
                city,
                state,
                postal,
                "US",
                "",
                "true" if business else "false",
                f"PO-{int(rng.integers(1000, 9999))}" if business else "",
                "BusinessPrice" if business else "",
            ],
        )

    last = len(dates) - 1
    for d in range(orders_start, len(dates)):
        day = dates[d]
        for sim in sims:
            for c, channel in enumerate(CHANNELS[:2]):
                left = int(sim.units[d, c])
                price = float(sim.prices[d, c])
                while left > 0:
                    qty = min(left, int(rng.choice([1, 2, 3], p=[0.78, 0.16, 0.06])))
                    left -= qty
                    recent = d >= last - 1 and rng.random() < 0.5
                    lines.append(
                        line(
                            sim,
                            day,
                            channel,
                            qty,
                            "Pending" if recent else "Shipped",
                            "Unshipped" if recent else "Shipped",
                            price,
                        )
                    )
                if sim.units[d, c] > 0 and rng.random() < 0.03:
                    lines.append(line(sim, day, channel, 1, "Cancelled", "Cancelled", None))
    # A few exact duplicates (a report downloaded twice and pasted together).
    for k in rng.choice(len(lines), size=5, replace=False):
        lines.append(lines[int(k)])
    # Two return lines: negative quantity, negative line total.
    busy = [s for s in sims if s.item.stage == "maturity" and s.item.pattern == "smooth"]
    for k, sim in enumerate(busy[:2]):
        day = dates[orders_start + 10 + 20 * k]
        lines.append(line(sim, day, "Amazon.com", -1, "Shipped", "Shipped", sim.item.price))
    lines.sort(key=lambda t: (t[0], t[1][11], t[1][0]))
    return [row for _, row in lines]


def _business_report(
    sims: list[_Sim], orders: list[list[str]], period: tuple[date, date], rng: np.random.Generator
) -> list[list[str]]:
    """Per child SKU over ``period``: units and sales are the Amazon.com order lines."""
    first, last = period
    agg: dict[str, list[float]] = {s.item.sku: [0, 0, 0.0, 0, 0, 0.0] for s in sims}
    col = {h: i for i, h in enumerate(ALL_ORDERS_HEADER)}
    seen: set[tuple[str, ...]] = set()
    for row in orders:
        if tuple(row) in seen:
            continue  # a duplicated line in the download, not a second order
        seen.add(tuple(row))
        day = date.fromisoformat(row[col["purchase-date"]][:10])
        qty = int(row[col["quantity"]])
        if (
            row[col["sales-channel"]] != "Amazon.com"
            or row[col["order-status"]] == "Cancelled"
            or qty <= 0
            or not first <= day <= last
        ):
            continue
        a = agg[row[col["sku"]]]
        b2b = row[col["is-business-order"]] == "true"
        money = float(row[col["item-price"]])
        a[0] += qty
        a[1] += 1
        a[2] += money
        if b2b:
            a[3] += qty
            a[4] += 1
            a[5] += money
    sessions = {}
    for sim in sims:
        units = agg[sim.item.sku][0]
        conv = rng.uniform(0.08, 0.2)
        sessions[sim.item.sku] = max(int(round(units / conv)), int(units), 3)
    total = sum(sessions.values())
    rows = []
    for sim in sims:
        units, items, sales, units_b, items_b, sales_b = agg[sim.item.sku]
        s = sessions[sim.item.sku]
        s_b = max(int(round(s * rng.uniform(0.02, 0.06))), int(units_b))
        views = int(round(s * rng.uniform(1.1, 1.4)))
        views_b = int(round(s_b * rng.uniform(1.0, 1.3)))
        rows.append(
            [
                _asin("parent:" + sim.item.parent),
                sim.asin,
                sim.item.title,
                sim.item.sku,
                _count(s),
                _count(s_b),
                _pct(s / total),
                _pct(s_b / total),
                _count(views),
                _count(views_b),
                _pct(views / (total * 1.25)),
                _pct(views_b / (total * 1.25)),
                _pct(rng.uniform(0.92, 1.0)),
                _pct(rng.uniform(0.85, 1.0)),
                _count(units),
                _count(units_b),
                _pct(units / s),
                _pct(units_b / s_b if s_b else 0.0),
                _money(sales),
                _money(sales_b),
                _count(items),
                _count(items_b),
            ]
        )
    return rows


def _aging(sim: _Sim, available: int, end_idx: int) -> list[int]:
    """FIFO: the stock left is the newest receipts; buckets 0-90, 91-180, 181-270, 271-365,
    365+ days old (R-K2). Opening stock of a product older than the history counts from a
    receipt 60 days before the history starts."""
    buckets = [0, 0, 0, 0, 0]
    left = available
    for d, qty in reversed(sim.receipts):
        if left <= 0:
            break
        take = min(left, qty)
        left -= take
        age = end_idx - d + (60 if d == 0 and sim.launch_idx < 0 else 0)
        k = 0 if age <= 90 else 1 if age <= 180 else 2 if age <= 270 else 3 if age <= 365 else 4
        buckets[k] += take
    buckets[4] += max(left, 0)
    return buckets


def _competitors(rng: np.random.Generator) -> list[dict]:
    """A stable roster of competitor listings for the Xray search."""
    brands = [
        "BakeRight",
        "Silvora",
        "KitchenNest",
        "OvenMate",
        "Chefique",
        "PanPal",
        "Bakelab",
        "Culina",
        "MatMaster",
        "HomeCraft Pro",
        "Amberly",
        "Crispy Co",
    ]
    kinds = [
        "Silicone Baking Mat Half Sheet",
        "Silicone Baking Mat Set of 3",
        "Non-Stick Baking Sheet Liner",
        "Macaron Baking Mat",
        "Pastry Mat Extra Large",
        "Reusable Baking Mat Quarter Sheet",
        "Fiberglass Silicone Baking Mat",
        "Silicone Cookie Sheet Liner 2-Pack",
        "Perforated Bread Baking Mat",
    ]
    out = []
    for k in range(34):
        # The first nine listings are three variation families of three children each.
        brand = brands[k // 3] if k < 9 else brands[k % len(brands)]
        family = brand if k < 9 else f"{brand}-{k}"
        created = date(2011, 3, 22) + timedelta(days=int(rng.integers(0, 5000)))
        out.append(
            {
                "asin": _asin(f"competitor:{k}"),
                "parent": _asin(f"competitor-parent:{family}"),
                "brand": brand,
                "title": f"{brand} {kinds[k // 3]}, {('Half', 'Quarter', 'Full')[k % 3]} Sheet"
                if k < 9
                else f"{brand} {kinds[k % len(kinds)]}",
                "price": round(float(rng.uniform(9.5, 29.0)), 2) - 0.01 * (k % 2),
                "sales": float(np.exp(rng.uniform(np.log(60), np.log(9000)))),
                "rating": round(float(rng.uniform(3.9, 4.8)), 1),
                "reviews": int(np.exp(rng.uniform(np.log(40), np.log(60000)))),
                "country": "US" if rng.random() < 0.45 else "CN",
                "sellers": int(rng.integers(1, 4)),
                "created": created,
                "fees_share": float(rng.uniform(0.28, 0.36)),
            }
        )
    return out


def _xray_rows(
    sims: list[_Sim], roster: list[dict], snap: date, k_snap: int, rng: np.random.Generator
) -> list[list[str]]:
    """One Xray snapshot: competitors plus our own baking mats, 3 sponsored rows on top-ish."""
    idx = (snap - START).days
    listings = []
    season = [1.0, 1.04, 1.12][k_snap]
    for k, comp in enumerate(roster):
        price = comp["price"] * (1 + float(rng.uniform(-0.03, 0.03)))
        sales = comp["sales"] * season * float(rng.uniform(0.9, 1.1))
        if k == 1 and k_snap == 2:
            price, sales = comp["price"] * 0.85, sales * 1.2  # the price cut of the season
        listings.append(
            {
                **comp,
                "price": round(price, 2),
                "sales": sales,
                "reviews": int(comp["reviews"] * (1 + 0.02 * k_snap)),
            }
        )
    for sim in sims:
        if not sim.item.in_xray or sim.launch_idx > idx:
            continue
        window = slice(max(idx - 29, 0), idx + 1)
        sales = float(sim.units[window, 0].sum())
        listings.append(
            {
                "asin": sim.asin,
                "parent": _asin("parent:" + sim.item.parent),
                "brand": BRAND,
                "title": f"{BRAND} {sim.item.title}",
                "price": sim.item.price,
                "sales": sales,
                "rating": 4.6,
                "reviews": int(max(sim.units[: idx + 1, 0].sum() * 0.02, 1)),
                "country": "US",
                "sellers": 1,
                "created": date.fromisoformat(sim.params["launch"]),
                "fees_share": (sim.econ["fba_fee"] + 0.15 * sim.item.price) / sim.item.price,
            }
        )
    parent_sales: dict[str, float] = {}
    for x in listings:
        parent_sales[x["parent"]] = parent_sales.get(x["parent"], 0) + round(x["sales"])
    listings.sort(key=lambda x: -x["sales"])

    def row(x: dict, order: str) -> list[str]:
        bsr = int(round(250_000 / max(x["sales"], 1) ** 0.95))
        return [
            order,
            x["title"],
            x["asin"],
            f"https://www.amazon.com/dp/{x['asin']}",
            f"https://m.media-amazon.com/images/I/{x['asin'][2:]}L._AC_SL1500_.jpg",
            x["brand"],
            f"{x['price']:.2f}",
            _count(parent_sales[x["parent"]]),
            _count(x["sales"]),
            f"{round(x['sales']) * x['price']:,.2f}",
            _count(bsr),
            x["country"],
            f"{x['price'] * x['fees_share']:.2f}",
            str(x["sellers"]),
            f"{x['rating']:.1f}",
            _count(x["reviews"]),
            _xray_date(x["created"]),
        ]

    organic = [row(x, str(i + 1)) for i, x in enumerate(listings)]
    # Ads: our best seller and two competitors from further down the page.
    own = next(x for x in listings if x["brand"] == BRAND)
    others = [x for x in listings[4:] if x["brand"] != BRAND]
    sponsored = [row(x, "Sponsored") for x in (others[0], own, others[6])]
    rows = organic[:]
    for pos, r in zip((0, 6, 15), sponsored, strict=True):
        rows.insert(pos, r)
    return rows


def _cerebro_rows(rng: np.random.Generator) -> list[list[str]]:
    heads = [
        "silicone baking mat",
        "baking mat",
        "silicone baking sheet",
        "non stick baking mat",
        "macaron baking mat",
        "pastry mat",
        "silicone mat",
        "baking sheet liner",
        "reusable baking mat",
        "cookie sheet mat",
    ]
    mods = [
        "",
        "half sheet",
        "2 pack",
        "for oven",
        "large",
        "set",
        "quarter sheet",
        "with measurements",
    ]
    phrases: list[str] = []
    for mod in mods:
        for head in heads:
            phrase = f"{head} {mod}".strip()
            if phrase not in phrases:
                phrases.append(phrase)
    rows = []
    for i, phrase in enumerate(phrases[:60]):
        volume = int(np.exp(rng.uniform(np.log(300), np.log(60000)))) // (1 + i // 20)
        competing = int(np.exp(rng.uniform(np.log(150), np.log(20000))))
        trend = int(rng.integers(-15, 45))
        bid = float(rng.uniform(0.6, 2.4))
        organic = int(rng.integers(1, 120)) if rng.random() < 0.7 else None
        rows.append(
            [
                phrase,
                _pct(rng.uniform(0.02, 0.3)) if volume > 2000 else "-",
                _pct(rng.uniform(0.02, 0.3)) if volume > 2000 else "-",
                _count(volume * rng.uniform(0.02, 0.1)),
                _count(volume / max(competing, 1) * 1000),
                str(volume),
                str(trend),
                f"{bid:.2f}",
                f"{bid * 0.6:.2f}",
                f"{bid * 1.5:.2f}",
                str(int(rng.integers(1, 40))),
                f">{competing // 10}" if i % 7 == 3 else _count(competing),
                str(int(rng.integers(8, 300))),
                str(int(rng.integers(0, 40))),
                "-" if organic is None else str(organic),
                f"{rng.uniform(1, 30):.1f}",
                str(int(rng.integers(0, 10))),
                "-",
                "0",
                str(int(rng.integers(1, 200))),
                str(int(rng.integers(1, 50))),
                f"{rng.uniform(1, 60):.1f}",
                str(int(rng.integers(1, 10))),
                f"{rng.uniform(0, 10):.1f}",
            ]
        )
    return rows


def generate(out: Path, seed: int = 7) -> dict:
    """Write the sample files and ``manifest.json`` into ``out``; return the manifest.

    Deterministic: the same ``seed`` writes the same bytes (no clock, no randomness outside
    the seeded generator).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    dates = pd.date_range(START, END, freq="D")
    n = len(dates)
    end_idx = n - 1
    orders_start = n - ORDERS_DAYS
    sims = _simulate_catalogue(rng, dates)
    iso = list(dates.strftime("%Y-%m-%d"))
    files: list[dict] = []

    def add(name: str, fmt: str, **extra: Any) -> None:
        files.append({"name": name, "format": fmt, "as_of": END.isoformat(), **extra})

    # Products and promotions first: the other files then only fill in what they carry.
    product_rows = []
    for sim in sims:
        e = sim.econ
        product_rows.append(
            [
                sim.item.sku,
                sim.asin,
                sim.item.title,
                BRAND,
                sim.item.category,
                e["unit_cost"],
                e["freight_cost"],
                f"{sim.item.price:.2f}",
                e["fba_fee"],
                e["referral_pct"],
                sim.item.cubic_feet,
                sim.item.size_tier,
                e["lead_time_days"],
                e["case_pack"],
                e["moq"],
                e["air_days"],
                e["air_cost"],
                e["sea_days"],
                e["sea_cost"],
                sim.params["launch"],
            ]
        )
    _write_csv(
        out / "products.csv",
        [
            "sku",
            "asin",
            "title",
            "brand",
            "category",
            "unit_cost",
            "freight_cost",
            "price",
            "fba_fee",
            "referral_pct",
            "cubic_feet",
            "size_tier",
            "lead_time_days",
            "case_pack",
            "moq",
            "air_days",
            "air_cost",
            "sea_days",
            "sea_cost",
            "launch_date",
        ],
        product_rows,
    )
    add("products.csv", "generic products")

    promo_rows = [
        [sim.item.sku, p["start"].isoformat(), p["end"].isoformat(), p["name"], p["lift"]]
        for sim in sims
        for p in sim.promos
    ]
    _write_csv(out / "promotions.csv", ["sku", "start", "end", "name", "expected_lift"], promo_rows)
    add("promotions.csv", "generic promotions")

    _write_csv(
        out / "sales_history.csv",
        ["date", "sku", "channel", "units", "revenue", "price"],
        _sales_history(sims, dates, orders_start),
    )
    add("sales_history.csv", "generic sales")

    orders = _order_lines(sims, dates, orders_start, rng)
    orders_name = f"All_Orders_{iso[orders_start]}_{iso[end_idx]}.txt"
    _write_csv(out / orders_name, ALL_ORDERS_HEADER, orders, delimiter="\t")
    add(orders_name, "Amazon All Orders")

    period = (END - timedelta(days=REPORT_DAYS - 1), END)
    br_name = f"BusinessReport_{period[0].isoformat()}_{period[1].isoformat()}.csv"
    _write_csv(
        out / br_name,
        BUSINESS_REPORT_HEADER,
        _business_report(sims, orders, period, rng),
        quote_all=True,
    )
    add(
        br_name,
        "Amazon Business Report (by child item)",
        period=[period[0].isoformat(), period[1].isoformat()],
    )

    # Inventory history: FBA daily from the first sale, 3PL weekly (on the same weekday as END).
    inv_rows = []
    reserved = {sim.item.sku: rng.binomial(np.maximum(sim.fba_open, 0), 0.02) for sim in sims}
    three_pl = {}
    for sim in sims:
        if not sim.item.three_pl:
            continue
        level = max(float(sim.units[-90:].sum(axis=1).mean()), 0.5) * rng.uniform(20, 40)
        wobble = rng.uniform(0.6, 1.2, size=n)
        three_pl[sim.item.sku] = np.where(sim.in_stock, np.round(level * wobble), 0)
    for d in range(n):
        for sim in sims:
            if d < max(sim.launch_idx, 0):
                continue
            sku = sim.item.sku
            inv_rows.append(
                [
                    iso[d],
                    sku,
                    "FBA",
                    int(sim.fba_open[d]),
                    int(sim.fba_inbound[d]),
                    int(reserved[sku][d]),
                ]
            )
            if sku in three_pl and (end_idx - d) % 7 == 0:
                inv_rows.append([iso[d], sku, "3PL", int(three_pl[sku][d]), 0, 0])
    _write_csv(
        out / "inventory_history.csv",
        ["snapshot_date", "sku", "location", "available", "inbound", "reserved"],
        inv_rows,
    )
    add("inventory_history.csv", "generic inventory")

    wfs_rows = []
    for sim in sims:
        if not sim.item.walmart:
            continue
        rate = float(sim.units[-30:, 2].mean())
        wfs_rows.append(
            [
                END.isoformat(),
                sim.item.sku,
                "WFS",
                int(round(rate * rng.uniform(20, 60))),
                int(round(rate * 30)) if rng.random() < 0.3 else 0,
                int(rng.integers(0, 3)),
            ]
        )
    _write_csv(
        out / "walmart_wfs_inventory.csv",
        ["snapshot_date", "sku", "location", "available", "inbound", "reserved"],
        wfs_rows,
    )
    add("walmart_wfs_inventory.csv", "generic inventory")

    plan_rows = []
    for sim in sims:
        fba = sim.units[:, 0] + sim.units[:, 1]
        available = int(sim.fba_open[end_idx])
        aging = _aging(sim, available, end_idx)
        shipped = [int(fba[n - k :].sum()) for k in (7, 30, 60, 90)]
        cover = available / max(shipped[1] / 30, 0.01)
        if cover > 90:
            alert, action = "Excess inventory", "Create removal order"
        elif cover < 21:
            alert, action = "Low inventory", "Restock"
        else:
            alert, action = "", "No action required"
        plan_rows.append(
            [
                END.isoformat(),
                sim.item.sku,
                "X00" + sim.asin[3:],
                sim.asin,
                sim.item.title,
                "New",
                available,
                0,
                *aging,
                "USD",
                *shipped,
                alert,
                f"{sim.item.price:.2f}",
                action,
                int(sim.fba_inbound[end_idx]),
            ]
        )
    plan_name = f"Inventory_Planning_{END.isoformat()}.csv"
    _write_csv(out / plan_name, PLANNING_HEADER, plan_rows)
    add(plan_name, "Amazon FBA Inventory planning")

    fba_rows = []
    for sim in sims:
        available = int(sim.fba_open[end_idx])
        res = int(reserved[sim.item.sku][end_idx])
        unsellable = int(rng.integers(0, 4))
        inbound = int(sim.fba_inbound[end_idx])
        shipped = inbound // 2
        warehouse = available + unsellable + res
        fba_rows.append(
            [
                sim.item.sku,
                "X00" + sim.asin[3:],
                sim.asin,
                sim.item.title,
                "New",
                f"{sim.item.price:.2f}",
                "No",
                "",
                "Yes",
                warehouse,
                available,
                unsellable,
                res,
                warehouse + inbound,
                f"{sim.item.cubic_feet:.2f}",
                inbound - shipped,
                shipped,
                0,
                0,
                0,
                0,
            ]
        )
    fba_name = f"Manage_FBA_Inventory_{END.isoformat()}.txt"
    _write_csv(out / fba_name, MANAGE_FBA_HEADER, fba_rows, delimiter="\t")
    add(fba_name, "Amazon Manage FBA Inventory")

    po_rows = []
    for sim in sims:
        e = sim.econ
        for d, qty in sim.receipts:
            if d == 0 and sim.launch_idx < 0:
                continue  # opening stock, ordered before the history
            first = sim.launch_idx >= 0 and d == sim.launch_idx
            transit = e["air_days"] if sim.item.stage == "launch" and first else e["sea_days"]
            arrived = START + timedelta(days=d)
            ordered = arrived - timedelta(days=transit + e["lead_time_days"])
            po_rows.append(
                [
                    ordered,
                    sim.item.sku,
                    qty,
                    ordered.isoformat(),
                    arrived.isoformat(),
                    "FBA",
                    "received",
                ]
            )
        for d, qty in sim.future:
            eta = START + timedelta(days=d)
            in_transit = (eta - END).days <= e["sea_days"]
            ordered = eta - timedelta(days=e["sea_days"] + e["lead_time_days"])
            po_rows.append(
                [
                    ordered,
                    sim.item.sku,
                    qty,
                    ordered.isoformat(),
                    eta.isoformat(),
                    "FBA",
                    "in transit" if in_transit else "ordered",
                ]
            )
    po_rows.sort(key=lambda r: (r[0], r[1]))
    for k, r in enumerate(po_rows, start=1):
        r[0] = f"PO-{r[0].year}-{k:04d}"
    _write_csv(
        out / "purchase_orders.csv",
        ["po", "sku", "units", "ordered", "eta", "location", "status"],
        po_rows,
    )
    add("purchase_orders.csv", "generic purchase orders")

    roster = _competitors(rng)
    for k, snap in enumerate(XRAY_DATES):
        name = f"Xray_silicone-baking-mat_{snap.isoformat()}.csv"
        _write_csv(
            out / name,
            XRAY_HEADER,
            _xray_rows(sims, roster, snap, k, rng),
            quote_all=True,
            bom=True,
        )
        files.append(
            {"name": name, "format": "Helium 10 Xray", "as_of": snap.isoformat(), "search": SEARCH}
        )

    own = next(s for s in sims if s.item.sku == "NW-BMAT-HALF")
    cerebro_name = f"Cerebro_{own.asin}_{END.isoformat()}.csv"
    _write_csv(out / cerebro_name, CEREBRO_HEADER, _cerebro_rows(rng))
    add(cerebro_name, "Helium 10 Cerebro")

    manifest = {
        "brand": BRAND,
        "seed": seed,
        "start": START.isoformat(),
        "end": END.isoformat(),
        "orders_start": iso[orders_start],
        "search": SEARCH,
        "files": files,
        "skus": [
            {
                "sku": sim.item.sku,
                "asin": sim.asin,
                "title": sim.item.title,
                "stage": sim.item.stage,
                "pattern": sim.item.pattern,
                "launch": sim.params["launch"],
                "peak": sim.item.peak,
                "channels": [c for k, c in enumerate(CHANNELS) if sim.units[:, k].sum() > 0],
                "stockout_days": int((~sim.in_stock[max(sim.launch_idx, 0) :]).sum()),
                "units_total": int(sim.units.sum()),
            }
            for sim in sims
        ],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _as_date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _shifted(parsed: ParsedFile, days: int) -> ParsedFile:
    """``parsed`` with every date ``days`` later: the date columns of its tables, its as-of
    date and the dates in its file name (so the import log reads like the data)."""
    from stockcycle.schema import TABLES

    step = pd.Timedelta(days=days)
    tables = {}
    for name, frame in parsed.tables.items():
        frame = frame.copy()
        for col, typ in TABLES[name].columns.items():
            if typ == "date" and col in frame:
                frame[col] = frame[col] + step
        tables[name] = frame

    def later(match: re.Match[str]) -> str:
        return (date.fromisoformat(match.group(0)) + timedelta(days=days)).isoformat()

    return dataclasses.replace(
        parsed,
        file_name=re.sub(r"\d{4}-\d{2}-\d{2}", later, parsed.file_name),
        tables=tables,
        as_of=parsed.as_of + timedelta(days=days) if parsed.as_of else None,
    )


def load_sample(
    ws: Workspace,
    folder: Path | None = None,
    progress: Callable[[float, str], None] | None = None,
    end: date | None = None,
) -> list[dict]:
    """Parse every file of the sample manifest and import them into ``ws`` in ONE transaction.

    Each file is parsed with ``stockcycle.ingest.parse_file`` and the manifest's ``as_of``,
    ``search`` and ``period``; ``ws.import_files`` then writes them all or nothing. Returns the
    import report (one dict per file). Loading twice replaces rows by key: no double counts.

    ``end``: move every date of the sample by the same number of days so that it ends on that
    day (the app passes yesterday, so the demo always looks current, R-T1). The sample's
    seasonal peaks move with it; the events calendar does not, so a demo loaded far from
    31 October shows Prime Day and Black Friday sales on other days than the calendar's.
    """
    from stockcycle.ingest import parse_file

    folder = Path(folder) if folder is not None else SAMPLE_DIR
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise InputError(
            f"no sample manifest in {folder}",
            expected="a folder written by 'stockcycle sample --out DIR'",
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    entries = manifest["files"]
    days = (end - date.fromisoformat(manifest["end"])).days if end else 0
    parsed = []
    for k, entry in enumerate(entries):
        if progress:
            progress(0.9 * k / len(entries), f"reading {entry['name']}")
        period = entry.get("period")
        one = parse_file(
            folder / entry["name"],
            entry["name"],
            as_of=_as_date(entry.get("as_of")),
            search=entry.get("search"),
            period=(date.fromisoformat(period[0]), date.fromisoformat(period[1]))
            if period
            else None,
        )
        parsed.append(_shifted(one, days) if days else one)
    if progress:
        progress(0.9, "saving to the workspace")
    report = ws.import_files(parsed)
    if progress:
        progress(1.0, "sample loaded")
    return report
