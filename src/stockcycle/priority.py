"""Growth restock priority (R-G1) and keyword opportunity (R-G3).

Two questions a growing product raises every week: *which SKU do I restock first?* and *which
ones have search demand that is worth scaling into?* Both answers are plain arithmetic a
seller can check by hand; the page (``stockcycle.ui.growth``) shows every number.

Keyword opportunity (R-G3)
--------------------------
The ``keywords`` table (Helium 10 Cerebro / Keyword Tracker) has no SKU column. A keyword is
matched to a SKU when **every word of the keyword appears in the SKU's title or category**
(``keyword_tokens``: lower case, split on anything that is not a letter or digit, a plural
"s" dropped from words longer than three letters, and the filler words in ``STOP_WORDS``
ignored). "silicone baking mat 2 pack" therefore matches "Silicone Baking Mat Half Sheet,
2-Pack", while "silicone baking mat for oven" does not ("oven" is not in the title). The
seller adjusts the matches on the page; the adjusted list is passed back as ``matches``.

For each keyword (its latest snapshot):

- ``competition`` = competing products / the largest competing-products count in the same
  snapshot, a share 0..1 (1 = the most crowded keyword of the export);
- the **category average** = mean search volume of the keywords matched to any SKU of the
  same product category (``products.category``; SKUs without one form one group);
- ``volume_premium`` = search volume / category average - 1;
- **high potential** when ``volume_premium >= volume_premium_min`` (Settings
  ``keyword_volume_premium``, 0.30) and ``competition < max_competition`` (Settings
  ``keyword_max_competition``, 0.50).

A SKU has a keyword opportunity when at least one of its matched keywords is high potential;
its ``search_trend`` is the search-volume-weighted mean of its keywords' trend.

Priority score (R-G1)
---------------------
``score = urgency x growth x keyword``, highest first, where

- urgency = min(L / max(cover, 1), ``MAX_URGENCY``): L the total lead time in days (production
  + transit + receiving, R-G2), cover = days of cover (stock on hand + inbound) / daily demand.
  Cover shorter than the lead time gives urgency above 1: a new order cannot arrive before the
  stock runs out. One day is the floor so an empty shelf does not divide by zero; the cap
  keeps empty shelves comparable with each other through the other two factors.
- growth = 1 + clip(trend, ``MIN_TREND``, ``MAX_TREND``): trend the demand change as a share
  (0.34 = +34%); the clip stops one explosive SKU from outranking one that is about to run out.
- keyword = ``KEYWORD_BOOST`` when the SKU has a high-potential keyword (R-G3), else 1.

The action in the reason: "restock now" when cover minus L is at most the review period
(the next review would be too late), "order within N days" (N = cover - L - review period)
otherwise, "nothing to restock" for a SKU that does not sell. Seed example: 20/day, 100 on hand ->
5 days of cover against any supplier lead time -> restock now.

From the restock plan
---------------------
The Growth page ranks the rows of ``restock.restock_plan`` / ``restock.plan_sku`` so the list
and the plan never disagree. Those rows add ``stage``, ``stockout_date`` and ``order_date``:

- cover for the urgency = days from ``as_of`` to the plan's projected stockout (stock on hand
  with every inbound shipment and open order on its arrival date, ``policy.stockout_date``);
  infinite when the plan sees no stockout (urgency 0);
- action = the plan's order date (``plan_action``): "restock now" when it is today or falls
  before the next review, "order on <date> (in N days)" otherwise, "no order needed" when the
  plan orders nothing;
- a decline or exit SKU (``restock.NO_REORDER_STAGES``) gets "clear, no reorder" (R-S2) and is
  ranked after every other SKU, whatever its score.
"""

from __future__ import annotations

import math
import re
from datetime import date

import numpy as np
import pandas as pd

from stockcycle.errors import InputError
from stockcycle.restock import NO_REORDER_STAGES

# Urgency cap: cover of a tenth of the lead time or less is "as urgent as it gets".
MAX_URGENCY = 10.0
# Growth clip: -50% .. +100%. A falling SKU still gets half weight (it may still run out);
# growth beyond doubling is mostly a small base and adds nothing to the decision.
MIN_TREND, MAX_TREND = -0.5, 1.0
# A high-potential keyword is worth a quarter more urgency: enough to break a tie between two
# SKUs with similar cover, not enough to put a well-stocked SKU above one running out.
KEYWORD_BOOST = 1.25
# Words that say nothing about the product: "mat for oven" should match on "mat" and "oven".
STOP_WORDS = frozenset({"a", "an", "and", "for", "in", "of", "on", "the", "to", "with", "x"})
# The action of a decline or exit SKU (R-S2: stop replenishing, clear the stock).
CLEAR_ACTION = "clear, no reorder"

PRIORITY_COLUMNS = ["priority", "score", "urgency", "growth", "keyword_factor", "action", "reason"]
REQUIRED = ("sku", "daily_demand", "days_of_cover", "lead_time_days")


# -- keywords (R-G3) ------------------------------------------------------------------------------
def _stem(word: str) -> str:
    # "mats" -> "mat", "bins" -> "bin"; "glass" and short words ("gas") stay as they are.
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def keyword_tokens(text: object) -> frozenset[str]:
    """The words of ``text`` used for matching: lower case, split on anything that is not a
    letter or digit, plural "s" dropped from words longer than three letters, ``STOP_WORDS``
    left out. ``"Silicone Baking Mats, 2-Pack"`` -> {silicone, baking, mat, 2, pack}."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or text is pd.NA:
        return frozenset()
    words = re.split(r"[^0-9a-z]+", str(text).lower())
    return frozenset(_stem(w) for w in words if w and w not in STOP_WORDS)


def latest_keywords(keywords: pd.DataFrame) -> pd.DataFrame:
    """One row per keyword, from its latest snapshot (``snapshot_date, keyword, search_volume,
    trend, competing_products``), with ``competition`` = competing products / the largest
    competing-products count of that snapshot (0..1; NaN when the snapshot has no counts)."""
    missing = [c for c in ("keyword", "search_volume") if c not in keywords.columns]
    if missing:
        raise InputError(
            f"the keywords table has no column '{missing[0]}'",
            column=missing[0],
            expected="keyword, search_volume, trend, competing_products, snapshot_date",
        )
    kw = keywords.copy()
    for col in ("snapshot_date", "trend", "competing_products"):
        if col not in kw.columns:
            kw[col] = pd.NaT if col == "snapshot_date" else np.nan
    kw["keyword"] = kw["keyword"].astype("string").str.strip().str.lower()
    kw = kw[kw["keyword"].notna() & (kw["keyword"] != "")]
    kw = kw.sort_values("snapshot_date", na_position="first").drop_duplicates(
        "keyword", keep="last"
    )
    competing = pd.to_numeric(kw["competing_products"], errors="coerce").astype(float)
    largest = competing.groupby(kw["snapshot_date"].astype(str)).transform("max")
    kw["competition"] = (competing / largest.where(largest > 0)).astype(float)
    kw["search_volume"] = pd.to_numeric(kw["search_volume"], errors="coerce").astype(float)
    kw["trend"] = pd.to_numeric(kw["trend"], errors="coerce").astype(float)
    cols = ["keyword", "snapshot_date", "search_volume", "trend", "competing_products"]
    return kw[[*cols, "competition"]].reset_index(drop=True)


def match_keywords(keywords: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """``sku, keyword`` for every keyword whose words all appear in the SKU's title or
    category (``keyword_tokens``); a keyword may match several SKUs. Empty when either table
    is empty."""
    out = pd.DataFrame({"sku": pd.Series(dtype="string"), "keyword": pd.Series(dtype="string")})
    if keywords.empty or products.empty or "sku" not in products.columns:
        return out
    words = {k: keyword_tokens(k) for k in latest_keywords(keywords)["keyword"]}
    rows = []
    for _, p in products.iterrows():
        have = keyword_tokens(p.get("title")) | keyword_tokens(p.get("category"))
        rows += [(str(p["sku"]), k) for k, need in words.items() if need and need <= have]
    if not rows:
        return out
    return pd.DataFrame(rows, columns=["sku", "keyword"]).astype("string")


def keyword_table(
    keywords: pd.DataFrame,
    products: pd.DataFrame,
    matches: pd.DataFrame | None = None,
    *,
    volume_premium_min: float = 0.30,
    max_competition: float = 0.50,
) -> pd.DataFrame:
    """Every (SKU, keyword) match with its opportunity figures (R-G3).

    Columns: ``sku, category, keyword, search_volume, trend, competing_products, competition,
    category_average, volume_premium, high_potential``. ``matches`` (``sku, keyword``) is the
    seller's adjusted list; None means ``match_keywords``. Formulas in the module docstring:
    competition = competing / max competing of the snapshot; volume_premium = volume /
    category average - 1; high potential = premium >= ``volume_premium_min`` and competition
    < ``max_competition`` (shares, Settings ``keyword_volume_premium`` /
    ``keyword_max_competition``).
    """
    if volume_premium_min < 0:
        raise InputError(
            f"keyword volume premium is {volume_premium_min}",
            column="keyword_volume_premium",
            expected="a share of 0 or more (0.30 = 30% above the category average)",
        )
    if not 0 <= max_competition <= 1:
        raise InputError(
            f"keyword competition limit is {max_competition}",
            column="keyword_max_competition",
            expected="a share between 0 and 1",
        )
    cols = [
        "sku",
        "category",
        "keyword",
        "search_volume",
        "trend",
        "competing_products",
        "competition",
        "category_average",
        "volume_premium",
        "high_potential",
    ]
    if keywords.empty or products.empty:
        return pd.DataFrame(columns=cols)
    if matches is None:
        matches = match_keywords(keywords, products)
    if matches.empty:
        return pd.DataFrame(columns=cols)
    kw = latest_keywords(keywords)
    m = matches[["sku", "keyword"]].astype("string")
    m = m.assign(keyword=m["keyword"].str.strip().str.lower()).drop_duplicates()
    category = (
        products.set_index(products["sku"].astype("string"))["category"]
        if ("category" in products.columns)
        else pd.Series(dtype="string")
    )
    table = m.merge(kw, on="keyword", how="inner")
    table["category"] = (
        table["sku"].map(category).astype("string").fillna("").str.strip().astype(object)
    )
    # Each keyword counts once per category, however many SKUs of the category it matches.
    per_cat = table.drop_duplicates(["category", "keyword"])
    average = per_cat.groupby("category")["search_volume"].mean()
    table["category_average"] = table["category"].map(average).astype(float)
    table["volume_premium"] = table["search_volume"] / table["category_average"] - 1.0
    table["high_potential"] = (
        (
            (table["volume_premium"] >= volume_premium_min - 1e-12)
            & (table["competition"] < max_competition)
        )
        .fillna(False)
        .astype(bool)
    )
    return table[cols].sort_values(
        ["sku", "search_volume"], ascending=[True, False], ignore_index=True
    )


def sku_keyword_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per SKU from ``keyword_table``: ``keywords`` (matched), ``high_potential_keywords``,
    ``keyword_opportunity`` (at least one high-potential keyword), ``best_keyword`` (the
    high-potential one with the most searches, else the most searched), ``search_volume``
    (sum) and ``search_trend`` = sum(volume x trend) / sum(volume) over keywords with a trend."""
    cols = [
        "sku",
        "keywords",
        "high_potential_keywords",
        "keyword_opportunity",
        "best_keyword",
        "search_volume",
        "search_trend",
    ]
    if table.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for sku, part in table.groupby("sku", sort=True):
        hot = part[part["high_potential"]]
        pick = (hot if len(hot) else part).sort_values("search_volume", ascending=False)
        trended = part[part["trend"].notna() & part["search_volume"].notna()]
        weight = trended["search_volume"].sum()
        trend = (
            float((trended["search_volume"] * trended["trend"]).sum() / weight)
            if weight > 0
            else float("nan")
        )
        rows.append(
            {
                "sku": str(sku),
                "keywords": len(part),
                "high_potential_keywords": len(hot),
                "keyword_opportunity": bool(len(hot)),
                "best_keyword": str(pick["keyword"].iloc[0]),
                "search_volume": float(part["search_volume"].sum()),
                "search_trend": trend,
            }
        )
    return pd.DataFrame(rows, columns=cols)


# -- priority (R-G1) ------------------------------------------------------------------------------
def _pct(x: float) -> str:
    return f"{abs(x) * 100:.0f}%"


def _days(x: float) -> str:
    return f"{x:,.0f}" if x >= 1 or x == 0 else f"{x:.1f}"


def priority_score(
    days_of_cover: float,
    lead_time_days: float,
    trend: float = 0.0,
    keyword_opportunity: bool = False,
) -> tuple[float, float, float, float]:
    """(score, urgency, growth, keyword factor) of one SKU (R-G1, R-G3).

    urgency = min(L / max(cover, 1 day), MAX_URGENCY); growth = 1 + clip(trend, MIN_TREND,
    MAX_TREND); keyword = KEYWORD_BOOST when a high-potential keyword matched, else 1;
    score = urgency x growth x keyword. Days in, shares in (trend 0.34 = +34%), a unitless
    score out. A NaN trend counts as flat (0). Infinite cover (no demand) scores 0.
    """
    if lead_time_days < 0 or math.isnan(lead_time_days):
        raise InputError(
            f"lead time is {lead_time_days}", column="lead_time_days", expected="days >= 0"
        )
    if days_of_cover < 0 or math.isnan(days_of_cover):
        raise InputError(
            f"days of cover is {days_of_cover}", column="days_of_cover", expected="days >= 0"
        )
    urgency = (
        0.0
        if math.isinf(days_of_cover)
        else min(lead_time_days / max(days_of_cover, 1.0), MAX_URGENCY)
    )
    t = 0.0 if trend is None or math.isnan(trend) else trend
    growth = 1.0 + min(max(t, MIN_TREND), MAX_TREND)
    factor = KEYWORD_BOOST if keyword_opportunity else 1.0
    return urgency * growth * factor, urgency, growth, factor


def restock_action(
    days_of_cover: float, lead_time_days: float, review_period_days: float = 7
) -> str:
    """The action a seller takes: "restock now" when cover - L <= the review period (the
    next review would be too late: the order must leave at this one), "order within N days"
    with N = floor(cover - L - review period) otherwise, "nothing to restock" when cover is
    infinite (no demand)."""
    if math.isinf(days_of_cover):
        return "nothing to restock"
    slack = days_of_cover - lead_time_days - review_period_days
    if slack <= 0:
        return "restock now"
    return f"order within {math.floor(slack):,} days"


def plan_action(order_date: date | None, as_of: date, review_period_days: float = 7) -> str:
    """The action of a restock-plan row: "restock now" when the plan's order date is today
    (or past) or falls before the next review (``as_of`` + review period: waiting for it would
    be too late), "order on YYYY-MM-DD (in N days)" otherwise, "no order needed" when the plan
    orders nothing (``order_date`` None)."""
    if order_date is None or pd.isna(order_date):
        return "no order needed"
    days = (pd.Timestamp(order_date).date() - as_of).days
    if days <= 0 or days < review_period_days:
        return "restock now"
    return f"order on {pd.Timestamp(order_date).date().isoformat()} (in {days:,} days)"


def priority_reason(
    days_of_cover: float,
    lead_time_days: float,
    trend: float,
    action: str,
    best_keyword: str | None = None,
    trend_label: str = "demand",
    stockout: date | None = None,
    days_to_stockout: float | None = None,
) -> str:
    """One sentence: "5 days of cover against a 45-day lead time, demand up 34%: restock now"
    (plus 'high-potential keyword "..."' when R-G3 raised the priority). With the plan's
    projected stockout (``days_to_stockout`` given): "5 days of cover, stock runs out on
    2026-11-05 (in 5 days) against a 45-day lead time, ..." or "..., no stockout within the
    plan against ..."."""
    if math.isinf(days_of_cover):
        cover = "No sales"
    elif days_to_stockout is None:
        cover = (
            f"{_days(days_of_cover)} days of cover against a {_days(lead_time_days)}-day lead time"
        )
    else:
        runs_out = (
            f"stock runs out on {pd.Timestamp(stockout).date().isoformat()} (in "
            f"{_days(days_to_stockout)} days)"
            if stockout is not None and math.isfinite(days_to_stockout)
            else "no stockout within the plan"
        )
        cover = (
            f"{_days(days_of_cover)} days of cover, {runs_out} against a "
            f"{_days(lead_time_days)}-day lead time"
        )
    parts = [cover]
    if trend is not None and not math.isnan(trend):
        if abs(trend) < 0.005:
            parts.append(f"{trend_label} flat")
        else:
            parts.append(f"{trend_label} {'up' if trend > 0 else 'down'} {_pct(trend)}")
    if best_keyword:
        parts.append(f'high-potential keyword "{best_keyword}"')
    return f"{', '.join(parts)}: {action}"


def growth_priority(
    table: pd.DataFrame, review_period_days: float = 7, as_of: date | None = None
) -> pd.DataFrame:
    """Rank SKUs for restocking: low cover and rising demand first (R-G1), raised by a
    high-potential keyword (R-G3).

    With the restock plan's columns ``stockout_date`` and ``order_date`` (rows of
    ``restock.restock_plan``; ``as_of`` then required: the plan date) the urgency uses the days
    to the plan's stockout (``days_to_stockout``, infinite without one) and the action the
    plan's order date (``plan_action``), so the list says what the plan says. A ``stage`` of
    decline or exit gets the action "clear, no reorder" (R-S2) and ranks after every other SKU.

    ``table``: one row per SKU with ``sku, daily_demand`` (units/day), ``days_of_cover``
    (days: stock on hand + inbound over daily demand, ``policy.days_of_cover``),
    ``lead_time_days`` (the TOTAL lead time: production + transit + receiving, R-G2) and
    optionally ``trend`` (demand change as a share; the page passes the life-cycle 8-week
    change after the season), ``search_trend`` (used when ``trend`` is missing or NaN, e.g. a
    SKU too young for an 8-week change), ``keyword_opportunity`` (bool), ``best_keyword``,
    ``stage``, ``on_hand``, ``inbound`` (carried through).

    Returns the rows sorted by ``priority`` (1 = restock first), with ``score, urgency,
    growth, keyword_factor`` (``priority_score``), ``action`` (``restock_action`` or
    ``plan_action``), ``reason`` (``priority_reason``), ``days_to_stockout`` (NaN without a
    ``stockout_date`` column) and ``clearing`` (decline / exit). Ties in score go to the
    shorter cover, then the SKU.
    """
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise InputError(
            f"the priority table has no column '{missing[0]}'",
            column=missing[0],
            expected=", ".join(REQUIRED),
        )
    out = table.copy().reset_index(drop=True)
    for col in ("daily_demand", "days_of_cover", "lead_time_days"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
        bad = out[col].isna() | (out[col] < 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"SKU {out.loc[i, 'sku']} has {col} {table[col].iloc[i]!r}",
                row=i + 2,
                column=col,
                expected="a number of 0 or more",
            )
    trend = (
        pd.to_numeric(out["trend"], errors="coerce").astype(float)
        if "trend" in out.columns
        else pd.Series(np.nan, index=out.index)
    )
    search = (
        pd.to_numeric(out["search_trend"], errors="coerce").astype(float)
        if "search_trend" in out.columns
        else pd.Series(np.nan, index=out.index)
    )
    use_search = trend.isna() & search.notna()
    out["trend_used"] = trend.where(~use_search, search)
    out["trend_source"] = np.where(use_search, "search", np.where(trend.notna(), "demand", ""))
    hot = (
        out["keyword_opportunity"].astype("boolean").fillna(False).astype(bool)
        if "keyword_opportunity" in out.columns
        else pd.Series(False, index=out.index)
    )
    best = (
        out["best_keyword"] if "best_keyword" in out.columns else pd.Series(None, index=out.index)
    )
    from_plan = "stockout_date" in out.columns or "order_date" in out.columns
    if from_plan and as_of is None:
        raise InputError(
            "restock-plan rows need the plan date",
            column="as_of",
            expected="the date the plan was made (SkuSupply.as_of)",
        )
    stockouts = (
        out["stockout_date"] if "stockout_date" in out.columns else pd.Series(None, out.index)
    )
    to_stockout = pd.Series(np.nan, index=out.index)
    if "stockout_date" in out.columns and as_of is not None:
        to_stockout = pd.Series(
            [
                max(0, (pd.Timestamp(d).date() - as_of).days) if pd.notna(d) else math.inf
                for d in stockouts
            ],
            index=out.index,
            dtype=float,
        )
    out["days_to_stockout"] = to_stockout
    stage = (
        out["stage"].astype("string").str.strip().str.lower()
        if "stage" in out.columns
        else pd.Series(pd.NA, index=out.index, dtype="string")
    )
    out["clearing"] = stage.isin(list(NO_REORDER_STAGES)).fillna(False).astype(bool)
    scores, actions, reasons = [], [], []
    for i in out.index:
        cover, lead = out.at[i, "days_of_cover"], out.at[i, "lead_time_days"]
        out_in = to_stockout.iloc[i]
        urgent_cover = cover if math.isnan(out_in) else out_in
        t = out.at[i, "trend_used"]
        scores.append(priority_score(urgent_cover, lead, t, bool(hot.iloc[i])))
        if out.at[i, "clearing"]:
            action = CLEAR_ACTION
        elif "order_date" in out.columns and as_of is not None:
            action = plan_action(out.at[i, "order_date"], as_of, review_period_days)
        else:
            action = restock_action(cover, lead, review_period_days)
        actions.append(action)
        keyword = str(best.iloc[i]) if bool(hot.iloc[i]) and pd.notna(best.iloc[i]) else None
        label = "searches" if out.at[i, "trend_source"] == "search" else "demand"
        stockout = stockouts.iloc[i] if pd.notna(stockouts.iloc[i]) else None
        reasons.append(
            priority_reason(
                cover,
                lead,
                t,
                action,
                keyword,
                label,
                stockout=stockout,
                days_to_stockout=None if math.isnan(out_in) else out_in,
            )
        )
    parts = np.array(scores, dtype=float).reshape(-1, 4)
    out["score"], out["urgency"], out["growth"], out["keyword_factor"] = parts.T
    out["action"], out["reason"] = actions, reasons
    # Decline and exit SKUs are cleared, not restocked (R-S2): after every other SKU.
    out = out.sort_values(
        ["clearing", "score", "days_of_cover", "sku"],
        ascending=[True, False, True, True],
        ignore_index=True,
    )
    out.insert(0, "priority", np.arange(1, len(out) + 1))
    return out
