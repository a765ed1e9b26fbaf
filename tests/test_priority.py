"""Growth restock priority (R-G1) and keyword opportunity (R-G3): values worked out by hand."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from stockcycle.errors import InputError
from stockcycle.priority import (
    KEYWORD_BOOST,
    MAX_URGENCY,
    growth_priority,
    keyword_table,
    keyword_tokens,
    match_keywords,
    plan_action,
    priority_score,
    restock_action,
    sku_keyword_summary,
)

PRODUCTS = pd.DataFrame(
    {
        "sku": ["MAT-HALF", "MAT-MAC", "BOARD", "BAG"],
        "title": [
            "Silicone Baking Mat Half Sheet, 2-Pack",
            "Macaron Silicone Baking Mats",
            "Bamboo Cutting Board",
            "Reusable Silicone Food Bags",
        ],
        "category": ["Bakeware", "Bakeware", "Kitchen prep", None],
    }
)
KEYWORDS = pd.DataFrame(
    {
        "snapshot_date": pd.to_datetime(["2026-10-31"] * 5 + ["2026-09-30"]),
        "keyword": [
            "silicone baking mat",  # both mats
            "macaron mat",  # MAT-MAC only ("mats" -> "mat")
            "baking mat for oven",  # "oven" is in no title
            "cutting board",  # BOARD
            "bamboo board",  # BOARD
            "macaron mat",  # an older snapshot of the same keyword: ignored
        ],
        "search_volume": [10_000.0, 2_000.0, 5_000.0, 3_000.0, 1_000.0, 99_999.0],
        "trend": [0.10, 0.50, 0.0, -0.20, 0.40, 9.0],
        "competing_products": [400.0, 100.0, 800.0, 1_000.0, 300.0, 1.0],
    }
)


def test_tokens_drop_case_punctuation_plurals_and_filler_words() -> None:
    assert keyword_tokens("Silicone Baking Mats, 2-Pack") == {
        "silicone",
        "baking",
        "mat",
        "2",
        "pack",
    }
    assert keyword_tokens("mat for the oven") == {"mat", "oven"}
    assert keyword_tokens("glass") == {"glass"}  # "ss" is not a plural
    assert keyword_tokens(None) == frozenset()


def test_keywords_match_when_all_their_words_are_in_title_or_category() -> None:
    m = match_keywords(KEYWORDS, PRODUCTS)
    pairs = set(zip(m["sku"], m["keyword"], strict=True))
    assert pairs == {
        ("MAT-HALF", "silicone baking mat"),
        ("MAT-MAC", "silicone baking mat"),
        ("MAT-MAC", "macaron mat"),
        ("BOARD", "cutting board"),
        ("BOARD", "bamboo board"),
    }


def test_keyword_opportunity_against_category_average_and_competition() -> None:
    t = keyword_table(KEYWORDS, PRODUCTS, volume_premium_min=0.30, max_competition=0.50)
    row = t.set_index(["sku", "keyword"])
    # Competition: competing products / the largest count of the latest snapshot (1,000).
    assert row.loc[("MAT-MAC", "macaron mat"), "competition"] == pytest.approx(0.1)
    assert row.loc[("BOARD", "cutting board"), "competition"] == pytest.approx(1.0)
    # Bakeware keywords: 10,000 and 2,000 -> average 6,000 (each keyword once per category).
    assert row.loc[("MAT-HALF", "silicone baking mat"), "category_average"] == 6_000
    assert row.loc[("MAT-HALF", "silicone baking mat"), "volume_premium"] == pytest.approx(
        10_000 / 6_000 - 1
    )
    # 67% above the average and competition 0.4 < 0.5: high potential.
    assert row.loc[("MAT-HALF", "silicone baking mat"), "high_potential"]
    # 2,000 is below the average.
    assert not row.loc[("MAT-MAC", "macaron mat"), "high_potential"]
    # Kitchen prep: average (3,000 + 1,000) / 2 = 2,000; "cutting board" is 50% above it but
    # the most crowded keyword (competition 1.0); "bamboo board" is below the average.
    assert not row.loc[("BOARD", "cutting board"), "high_potential"]
    assert row.loc[("BOARD", "cutting board"), "volume_premium"] == pytest.approx(0.5)
    # The thresholds are the settings': 67% clears a 60% premium and 0.4 < 0.45, but not a
    # 70% premium.
    looser = keyword_table(KEYWORDS, PRODUCTS, volume_premium_min=0.6, max_competition=0.45)
    assert looser.set_index(["sku", "keyword"]).loc[
        ("MAT-HALF", "silicone baking mat"), "high_potential"
    ]
    stricter = keyword_table(KEYWORDS, PRODUCTS, volume_premium_min=0.7, max_competition=0.5)
    assert not stricter["high_potential"].any()


def test_seller_adjusted_matches_replace_the_automatic_ones() -> None:
    matches = pd.DataFrame({"sku": ["BAG"], "keyword": ["Baking Mat for Oven "]})
    t = keyword_table(KEYWORDS, PRODUCTS, matches)
    assert t[["sku", "keyword"]].values.tolist() == [["BAG", "baking mat for oven"]]
    # Alone in its group, a keyword is its own average: no premium.
    assert t["volume_premium"].iloc[0] == pytest.approx(0.0)


def test_sku_summary_weights_the_search_trend_by_volume() -> None:
    s = sku_keyword_summary(keyword_table(KEYWORDS, PRODUCTS)).set_index("sku")
    assert s.loc["MAT-MAC", "keywords"] == 2
    assert s.loc["MAT-MAC", "search_trend"] == pytest.approx(
        (10_000 * 0.10 + 2_000 * 0.50) / 12_000
    )
    assert s.loc["MAT-MAC", "keyword_opportunity"]
    assert s.loc["MAT-MAC", "best_keyword"] == "silicone baking mat"
    assert not s.loc["BOARD", "keyword_opportunity"]
    assert s.loc["BOARD", "best_keyword"] == "cutting board"  # the most searched
    assert "BAG" not in s.index


def test_priority_score_formula() -> None:
    # Seed example: 20/day, 100 on hand -> 5 days of cover; lead time 45 days, demand +34%.
    score, urgency, growth, factor = priority_score(5, 45, 0.34, True)
    assert urgency == pytest.approx(9.0)
    assert growth == pytest.approx(1.34)
    assert factor == KEYWORD_BOOST
    assert score == pytest.approx(9.0 * 1.34 * KEYWORD_BOOST)
    # Caps and clips: an empty shelf caps at MAX_URGENCY, growth at +100%, fall at -50%.
    assert priority_score(0, 45, 5.0)[1:3] == (MAX_URGENCY, 2.0)
    assert priority_score(90, 45, -0.9)[1:3] == (0.5, 0.5)
    assert priority_score(math.inf, 45, 0.5)[0] == 0.0
    assert priority_score(10, 45, float("nan"))[2] == 1.0


def test_restock_action_uses_lead_time_plus_review_period() -> None:
    assert restock_action(5, 45, 7) == "restock now"
    assert restock_action(52, 45, 7) == "restock now"  # exactly at the review boundary
    assert restock_action(62.5, 45, 7) == "order within 10 days"
    assert restock_action(math.inf, 45, 7) == "nothing to restock"


def test_growth_priority_ranks_low_cover_and_rising_demand_first() -> None:
    table = pd.DataFrame(
        {
            "sku": ["STEADY", "SEED", "HOT-KW", "IDLE", "YOUNG"],
            "daily_demand": [10.0, 20.0, 10.0, 0.0, 2.0],
            "days_of_cover": [60.0, 5.0, 60.0, math.inf, 40.0],
            "lead_time_days": [45.0, 45.0, 45.0, 45.0, 45.0],
            "trend": [0.0, 0.34, 0.0, None, None],
            "search_trend": [None, None, None, None, 0.30],
            "keyword_opportunity": [False, False, True, False, False],
            "best_keyword": [None, None, "silicone baking mat", None, None],
        }
    )
    out = growth_priority(table, review_period_days=7)
    assert out["sku"].tolist() == ["SEED", "YOUNG", "HOT-KW", "STEADY", "IDLE"]
    assert out["priority"].tolist() == [1, 2, 3, 4, 5]
    by = out.set_index("sku")
    assert by.loc["SEED", "reason"] == (
        "5 days of cover against a 45-day lead time, demand up 34%: restock now"
    )
    # No 8-week demand change: the search trend stands in, and the reason says so.
    assert by.loc["YOUNG", "score"] == pytest.approx(45 / 40 * 1.30)
    assert by.loc["YOUNG", "reason"].startswith("40 days of cover against a 45-day lead time, ")
    assert "searches up 30%" in by.loc["YOUNG", "reason"]
    # The keyword lifts HOT-KW above the otherwise identical STEADY (R-G3).
    assert by.loc["HOT-KW", "score"] == pytest.approx(by.loc["STEADY", "score"] * KEYWORD_BOOST)
    assert 'high-potential keyword "silicone baking mat"' in by.loc["HOT-KW", "reason"]
    assert by.loc["STEADY", "reason"].endswith("demand flat: order within 8 days")
    assert by.loc["IDLE", "reason"] == "No sales: nothing to restock"


def test_plan_action_follows_the_plans_order_date() -> None:
    today = date(2026, 11, 1)
    assert plan_action(date(2026, 11, 1), today, 7) == "restock now"
    assert plan_action(date(2026, 10, 30), today, 7) == "restock now"  # already due
    assert plan_action(date(2026, 11, 7), today, 7) == "restock now"  # before the next review
    assert plan_action(date(2026, 11, 8), today, 7) == "order on 2026-11-08 (in 7 days)"
    assert plan_action(None, today, 7) == "no order needed"


def test_growth_priority_from_plan_rows_agrees_with_the_plan() -> None:
    # Rows as restock.restock_plan gives them, planned on 2026-11-01 (weekly review).
    today = date(2026, 11, 1)
    rows = pd.DataFrame(
        {
            "sku": ["RUNS-OUT", "NOW", "SOON", "NO-STOCKOUT", "DECLINE"],
            "stage": ["growth", "growth", "growth", "maturity", "decline"],
            "daily_demand": [2.0, 20.0, 5.0, 1.0, 10.0],
            "days_of_cover": [28.0, 5.0, 60.0, 10.0, 3.0],  # on hand / daily demand
            "lead_time_days": [100.0, 45.0, 45.0, 45.0, 45.0],
            "stockout_date": [
                date(2026, 11, 23),  # 22 days: an open order lands only after it
                date(2026, 11, 6),
                date(2026, 12, 31),
                None,  # inbound stock lasts the plan's year
                date(2026, 11, 4),
            ],
            "order_date": [date(2027, 1, 9), today, date(2026, 11, 5), None, None],
        }
    )
    out = growth_priority(rows, review_period_days=7, as_of=today)
    # Urgency = L / days to the plan's stockout: 45 / 5 = 9, 100 / 22 = 4.55, 45 / 60 = 0.75,
    # none -> 0; the decline SKU (45 / 3, capped at 10) still ranks last (R-S2).
    assert out["sku"].tolist() == ["NOW", "RUNS-OUT", "SOON", "NO-STOCKOUT", "DECLINE"]
    by = out.set_index("sku")
    assert by["days_to_stockout"].tolist()[:3] == [5.0, 22.0, 60.0]
    assert by.loc["RUNS-OUT", "urgency"] == pytest.approx(100 / 22)
    assert by.loc["NO-STOCKOUT", "urgency"] == 0.0
    assert by.loc["DECLINE", "urgency"] == MAX_URGENCY
    assert by.loc["RUNS-OUT", "reason"] == (
        "28 days of cover, stock runs out on 2026-11-23 (in 22 days) against a 100-day lead "
        "time: order on 2027-01-09 (in 69 days)"
    )
    assert by.loc["NOW", "action"] == "restock now"
    assert by.loc["SOON", "action"] == "restock now"  # the plan's date is before next review
    assert by.loc["NO-STOCKOUT", "reason"] == (
        "10 days of cover, no stockout within the plan against a 45-day lead time: no order needed"
    )
    assert by.loc["DECLINE", "action"] == "clear, no reorder"
    assert by["clearing"].tolist() == [False, False, False, False, True]
    with pytest.raises(InputError) as err:
        growth_priority(rows)  # plan rows without the plan date
    assert err.value.column == "as_of"


def test_growth_priority_names_the_bad_cell() -> None:
    table = pd.DataFrame(
        {
            "sku": ["A", "B"],
            "daily_demand": [1.0, 2.0],
            "days_of_cover": [3.0, -1.0],
            "lead_time_days": [30.0, 30.0],
        }
    )
    with pytest.raises(InputError) as err:
        growth_priority(table)
    assert err.value.column == "days_of_cover" and err.value.row == 3
    with pytest.raises(InputError, match="lead_time_days"):
        growth_priority(table.drop(columns="lead_time_days"))
    with pytest.raises(InputError) as err:
        keyword_table(KEYWORDS, PRODUCTS, max_competition=1.5)
    assert err.value.column == "keyword_max_competition"


def test_growth_priority_takes_plan_rows_of_degenerate_skus() -> None:
    # Plan rows of SKUs whose forecast decayed to almost nothing (restock.plan_sku): out of
    # stock with nothing to order, a hoard of 5e26 days of cover, and no sales at all. They
    # are ranked with the others, each with the plan's action, none raising.
    today = date(2026, 10, 31)
    rows = pd.DataFrame(
        {
            "sku": ["DUST", "HOARD", "NORMAL", "IDLE"],
            "stage": ["maturity", "growth", "growth", "growth"],
            "daily_demand": [2e-24, 1e-20, 20.0, 0.0],
            "days_of_cover": [0.0, 5e26, 5.0, math.inf],
            "lead_time_days": [95.0, 95.0, 45.0, 45.0],
            "stockout_date": [date(2026, 11, 1), None, date(2026, 11, 5), None],
            "order_date": [None, None, today, None],
        }
    )
    out = growth_priority(rows, review_period_days=7, as_of=today).set_index("sku")
    assert sorted(out.index) == ["DUST", "HOARD", "IDLE", "NORMAL"]
    assert out.loc["NORMAL", "action"] == "restock now"
    for sku in ("DUST", "HOARD", "IDLE"):
        assert out.loc[sku, "action"] == "no order needed"
    assert out.loc["HOARD", "urgency"] == 0.0 and out.loc["IDLE", "urgency"] == 0.0
    assert out["score"].map(math.isfinite).all()
