"""Launch sizing arithmetic: the peer set and its summary (R-L1), the launch demand profile
(R-L2, R-L3), the plan table (R-L5..R-L7), the launch monitor (R-L8) and formula-safe
exports (R-A3). Figures are computed by hand in the comments."""

from __future__ import annotations

import csv
import io
import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from scipy.stats import norm

from stockcycle import alerts, peers
from stockcycle.errors import InputError
from stockcycle.export import safe_cells, to_csv_bytes, to_xlsx_bytes
from stockcycle.forecast.events import prime_days

MONTH = 365 / 12  # days per month used for daily sales


def xray(rows: list[dict], snapshot: str = "2026-10-31", search: str = "mat") -> pd.DataFrame:
    """A competitors table as the store returns it, with defaults for unused columns."""
    df = pd.DataFrame(rows)
    df["snapshot_date"] = pd.Timestamp(snapshot)
    df["search"] = search
    for col, default in (
        ("brand", "B"),
        ("title", "t"),
        ("sponsored", False),
        ("reviews", 100.0),
        ("rating", 4.5),
        ("sellers", 1.0),
        ("revenue", 0.0),
        ("created", pd.Timestamp("2025-10-31")),
    ):
        if col not in df.columns:
            df[col] = default
    return df


def listing(asin: str, daily: float, price: float = 20.0, bsr: float = 100.0, **kw) -> dict:
    return {"asin": asin, "monthly_sales": daily * MONTH, "price": price, "bsr": bsr, **kw}


# -- peers (R-L1) ----------------------------------------------------------------------------------
def test_daily_sales_are_monthly_over_a_twelfth_of_a_year_and_age_from_creation() -> None:
    df = peers.latest_listings(xray([listing("A", 10.0)]))
    assert df["daily_sales"].iloc[0] == pytest.approx(10.0)
    assert df["monthly_sales"].iloc[0] == pytest.approx(10 * 30.4167, rel=1e-4)
    assert df["age_days"].iloc[0] == 365  # created 2025-10-31, snapshot 2026-10-31


def test_latest_snapshot_and_organic_row_stand_for_an_asin() -> None:
    old = xray([listing("A", 5.0, price=30.0)], snapshot="2026-09-30")
    new = xray(
        [listing("A", 8.0, price=25.0, sponsored=True), listing("A", 9.0, price=24.0)],
        snapshot="2026-10-31",
    )
    df = peers.latest_listings(pd.concat([old, new], ignore_index=True))
    assert len(df) == 1
    row = df.iloc[0]
    assert (row["price"], bool(row["sponsored"])) == (24.0, False)
    assert row["daily_sales"] == pytest.approx(9.0)


def test_recent_entrants_are_the_listings_created_in_the_last_18_months() -> None:
    # Three entrants (created 2026) selling 4, 5 and 6 a day among five settled listings
    # (created 2019) at 40 a day, snapshot 31 Oct 2026: the entrants' median is 5 a day.
    old, new = pd.Timestamp("2019-05-01"), pd.Timestamp("2026-03-01")
    rows = [listing(f"S{i}", 40.0, bsr=10 + i, created=old) for i in range(5)]
    rows += [listing(f"N{i}", d, bsr=100 + i, created=new) for i, d in enumerate((4, 5, 6))]
    rows.append(listing("AD", 50.0, bsr=1, created=new, sponsored=True))  # sponsored: left out
    rows.append(listing("OWN", 90.0, bsr=2, created=new))  # the seller's own: left out
    entrants = peers.recent_entrants(xray(rows), exclude_asins=["OWN"])
    assert entrants is not None
    assert entrants.summary.n == 3
    assert entrants.summary.median == pytest.approx(5.0)
    assert (entrants.summary.q1, entrants.summary.q3) == pytest.approx((4.5, 5.5))
    assert "18 months" in entrants.rule
    # The launch order is linear in daily sales: 2,250 + 1,125 units at 50/day (R-L3) give a
    # first order of 1,575; at the entrants' 5/day it would be a tenth, 157.5.
    assert entrants.implied(50.0, 1575) == pytest.approx(157.5)


def test_without_creation_dates_few_reviews_mark_the_recent_entrants() -> None:
    rows = [listing("S", 40.0, reviews=2500.0), listing("N1", 3.0, reviews=12.0)]
    rows.append(listing("N2", 7.0, reviews=80.0))
    table = xray(rows).drop(columns="created")
    entrants = peers.recent_entrants(table)
    assert entrants is not None and entrants.summary.n == 2
    assert entrants.summary.median == pytest.approx(5.0)
    assert "reviews" in entrants.rule
    assert (
        peers.recent_entrants(xray([listing("S", 40.0, created=pd.Timestamp("2019-01-01"))]))
        is None
    )


def test_select_peers_gives_the_first_reason_each_listing_is_left_out() -> None:
    comp = xray(
        [
            listing("OWN", 30, bsr=1),
            listing("SPON", 30, bsr=2, sponsored=True),
            listing("CHEAP", 30, price=5.0, bsr=3),
            listing("ZERO", 0, bsr=4),
            listing("P1", 30, bsr=10),
            listing("P2", 32, bsr=11),
            listing("P3", 28, bsr=12),
            listing("P4", 31, bsr=13),
            listing("P5", 29, bsr=14),
            listing("HUGE", 3000, bsr=5),  # 100x the others: an outlier
        ]
    )
    sel = peers.select_peers(
        comp, top_n=4, price_band=(15, 25), exclude_asins=["OWN"], exclude_outliers=True
    )
    reason = dict(zip(sel["asin"], sel["reason_excluded"], strict=True))
    assert reason["OWN"] == "your own listing"
    assert reason["SPON"] == "sponsored placement"
    assert reason["CHEAP"].startswith("price outside 15.00-25.00")
    assert reason["ZERO"] == "no sales estimate"
    assert reason["HUGE"].startswith("outlier")
    # Top 4 by BSR among what is left: P1..P4 (BSR 10-13); P5 (BSR 14) is fifth.
    assert sorted(sel.loc[sel["peer"], "asin"]) == ["P1", "P2", "P3", "P4"]
    assert reason["P5"] == "not in the top 4 by BSR"
    assert sel.loc[sel["peer"], "reason_excluded"].isna().all()


def test_select_peers_keeps_sponsored_and_outliers_when_asked_and_honours_asins() -> None:
    comp = xray(
        [listing("A", 10, bsr=1, sponsored=True), listing("B", 10, bsr=2), listing("C", 900)]
    )
    sel = peers.select_peers(comp, top_n=None, exclude_sponsored=False, exclude_outliers=False)
    assert sel["peer"].all()
    only = peers.select_peers(comp, top_n=None, asins=["B", "C"], exclude_outliers=False)
    assert sorted(only.loc[only["peer"], "asin"]) == ["B", "C"]
    assert only.set_index("asin").loc["A", "reason_excluded"] == "not one of the chosen ASINs"


def test_select_peers_rejects_an_empty_price_band_and_top_n_below_one() -> None:
    comp = xray([listing("A", 10)])
    with pytest.raises(InputError, match="price band"):
        peers.select_peers(comp, price_band=(30, 10))
    with pytest.raises(InputError) as err:
        peers.select_peers(comp, top_n=0)
    assert err.value.column == "top_n"


def test_outlier_fences_are_tukeys_on_log_sales() -> None:
    sales = pd.Series([100.0, 200.0, 400.0, 800.0, 1600.0])
    logs = np.log(sales)
    q1, q3 = np.log(200.0), np.log(800.0)  # the 25th and 75th percentiles of 5 points
    assert np.quantile(logs, [0.25, 0.75]) == pytest.approx([q1, q3])
    low, high = peers.outlier_fences(sales)
    assert low == pytest.approx(math.exp(q1 - 1.5 * (q3 - q1)))
    assert high == pytest.approx(math.exp(q3 + 1.5 * (q3 - q1)))
    assert peers.outlier_fences(pd.Series([1.0, 2.0, 3.0])) == (0.0, math.inf)


def test_peer_summary_median_and_quartiles_of_daily_sales() -> None:
    comp = xray(
        [
            listing(f"A{i}", d, price=p)
            for i, (d, p) in enumerate([(10, 12.0), (20, 14.0), (30, 16.0), (40, 18.0), (50, 20.0)])
        ]
    )
    sel = peers.select_peers(comp, top_n=None, exclude_outliers=False)
    s = peers.peer_summary(sel)
    # Five peers selling 10..50/day: median 30, quartiles 20 and 40, mean 30, total 150.
    assert (s.n, s.median, s.q1, s.q3) == (
        5,
        pytest.approx(30),
        pytest.approx(20),
        pytest.approx(40),
    )
    assert s.mean == pytest.approx(30) and s.total == pytest.approx(150)
    assert s.median_price == pytest.approx(16.0)
    assert "30.0/day" in s.explain() and "30.4" in s.explain()
    assert s.to_dict()["n"] == 5


def test_peer_summary_without_peers_says_to_widen_the_filters() -> None:
    sel = peers.select_peers(xray([listing("A", 10, price=50.0)]), price_band=(10, 20))
    with pytest.raises(InputError, match="no peers left"):
        peers.peer_summary(sel)


def test_snapshot_moves_price_and_sales_change_between_first_and_last_snapshot() -> None:
    comp = pd.concat(
        [
            xray([listing("A", 10, price=20.0, bsr=50), listing("ONCE", 5)], "2026-08-31"),
            xray([listing("A", 11, price=18.0, bsr=40)], "2026-10-31"),
        ],
        ignore_index=True,
    )
    moves = peers.snapshot_moves(comp)
    assert list(moves["asin"]) == ["A"]  # ONCE is in one snapshot only
    row = moves.iloc[0]
    assert row["price_change"] == pytest.approx(-0.10)
    assert row["sales_change"] == pytest.approx(0.10)
    assert (row["bsr_first"], row["bsr_last"], row["snapshots"]) == (50, 40, 2)


def test_snapshot_date_from_a_file_name() -> None:
    assert peers.snapshot_date_from_name("Xray_mat_2026-10-31.csv") == date(2026, 10, 31)
    assert peers.snapshot_date_from_name("Xray.csv") is None
    assert peers.snapshot_date_from_name("x_2026-13-45.csv") is None


# -- launch demand (R-L2, R-L3) --------------------------------------------------------------------
def test_month_factors_compare_months_over_the_asins_in_every_snapshot() -> None:
    comp = pd.concat(
        [
            xray([listing("A", 30), listing("B", 10)], "2026-08-31"),
            xray([listing("A", 40), listing("B", 10), listing("NEW", 500)], "2026-10-31"),
        ],
        ignore_index=True,
    )
    # A + B: 40/day in August, 50/day in October (NEW is not in August, so left out).
    assert peers.month_factors_from_snapshots(comp) == {
        8: pytest.approx(0.8),
        10: pytest.approx(1.0),
    }
    assert peers.month_factors_from_snapshots(xray([listing("A", 30)])) == {}


def test_keyword_trend_is_volume_weighted_and_capped() -> None:
    kw = pd.DataFrame(
        {
            "snapshot_date": pd.to_datetime(["2026-10-31"] * 3 + ["2026-09-30"]),
            "keyword": ["mat", "baking mat", "other", "mat"],
            "search_volume": [100.0, 300.0, 1000.0, 5000.0],
            "trend": [0.1, 0.3, -0.2, 0.9],
        }
    )
    # Latest snapshot, the two launch keywords: (100 x 0.1 + 300 x 0.3) / 400 = 0.25.
    assert peers.keyword_trend(kw, ["Mat", "baking mat"]) == pytest.approx(0.25)
    hot = kw.assign(trend=[0.9, 0.9, 0.9, 0.9])
    assert peers.keyword_trend(hot) == peers.TREND_CAP
    assert peers.keyword_trend(kw.iloc[0:0]) is None


def test_event_days_cover_prime_day_and_its_lead_in_and_the_sellers_promotions() -> None:
    first, last = prime_days(2026)
    promos = pd.DataFrame(
        {
            "sku": ["X", "X", "Y"],
            "start": pd.to_datetime([first, first + timedelta(days=20)] + [first]),
            "end": pd.to_datetime([first, first + timedelta(days=21)] + [last]),
            "name": ["big deal", "coupon", "other sku"],
            "expected_lift": [2.0, 0.25, 9.0],
        }
    )
    start = first - timedelta(days=5)
    ev = peers.event_days(start, 30, promos, "X", event_lift=0.5).set_index("date")
    lead_in = pd.Timestamp(first - timedelta(days=2))  # Prime Day's lower window is 2 days
    assert ev.loc[lead_in, "event"] == "Prime Day" and ev.loc[lead_in, "lift"] == 0.5
    assert pd.Timestamp(first - timedelta(days=3)) not in ev.index
    # On Prime Day's first day the seller's promotion (+200%) beats the calendar's +50%.
    assert ev.loc[pd.Timestamp(first), "lift"] == 2.0
    assert ev.loc[pd.Timestamp(first + timedelta(days=20)), "event"] == "coupon"
    only_promos = peers.event_days(start, 30, promos, "X", calendar=False)
    assert set(only_promos["event"]) == {"big deal", "coupon"}
    assert len(only_promos) == 3


def test_launch_demand_flat_is_peer_daily_times_lift() -> None:
    d = peers.launch_demand(50.0, date(2027, 2, 1), days=90, lift=1.5)
    assert len(d.daily) == 90
    assert d.base_daily == 75.0
    assert np.allclose(d.daily["expected"], 75.0)
    assert d.daily["expected"].head(30).sum() == pytest.approx(2250)  # seed example, R-L3
    assert d.mean_factor(45) == pytest.approx(1.0)


def test_launch_demand_applies_month_trend_and_event_factors() -> None:
    events = pd.DataFrame({"date": [pd.Timestamp("2027-03-05")], "event": ["deal"], "lift": [0.5]})
    d = peers.launch_demand(
        10.0,
        date(2027, 2, 27),
        days=10,
        lift=2.0,
        month_factors={3: 1.2},
        monthly_trend=0.1,
        events=events,
        band=(5.0, 20.0),
    )
    daily = d.daily.set_index("date")
    feb = daily.loc["2027-02-27"]
    assert feb["expected"] == pytest.approx(20.0)  # day 0: month 1, trend 1
    mar5 = daily.loc["2027-03-05"]  # day 6, March, event day
    factor = 1.2 * 1.1 ** (6 / MONTH) * 1.5
    assert mar5["factor"] == pytest.approx(factor)
    assert mar5["expected"] == pytest.approx(20.0 * factor)
    assert (mar5["low"], mar5["high"]) == (pytest.approx(10 * factor), pytest.approx(40 * factor))
    assert d.events == ("deal",)
    assert "Month factors" in d.explain() and "Trend factor" in d.explain()


def test_launch_demand_rejects_a_lift_of_zero() -> None:
    with pytest.raises(InputError) as err:
        peers.launch_demand(10.0, date(2027, 1, 1), lift=0.0)
    assert err.value.column == "lift"


# -- the plan (R-L4..R-L7) -------------------------------------------------------------------------
def test_follow_up_decision_date_is_launch_plus_cover_minus_lead_time() -> None:
    launch = date(2027, 3, 1)
    # 2,363 units at 75/day cover 31.5 days; with 14 days of air freight, decide by day 17.
    decide, cover = peers.follow_up_decision_date(launch, 2363, 75.0, 14)
    assert cover == pytest.approx(2363 / 75)
    assert decide == launch + timedelta(days=17)
    late, _ = peers.follow_up_decision_date(launch, 2363, 75.0, 90)
    assert late == launch - timedelta(days=59)  # 31.5 - 90 = -58.5, a day earlier to be safe


def test_first_batch_options_order_by_freight_and_cash() -> None:
    t = peers.first_batch_options(
        1000, date(2027, 3, 1), 30, {"air": 10, "sea": 40}, {"air": 2.0, "sea": 0.5}, 4.0, 0.1
    ).set_index("mode")
    assert t.loc["air", "order_by"] == date(2027, 1, 20)  # 40 days before 1 March
    assert t.loc["sea", "order_by"] == date(2026, 12, 21)  # 70 days before
    assert t.loc["air", "freight_cost"] == pytest.approx(2000)
    assert t.loc["sea", "cash_needed"] == pytest.approx(1000 * (4.0 * 1.1 + 0.5))


def test_launch_plan_table_has_one_row_per_batch() -> None:
    spec = {
        "mode": "air",
        "order_by": date(2027, 1, 1),
        "arrival": date(2027, 2, 1),
        "unit_cost": 4.0,
        "freight_per_unit": 2.0,
        "cash_needed": 100.0,
    }
    t = peers.launch_plan_table("SKU-1", 2363, 1012, 0.7, spec, {**spec, "mode": "sea"})
    assert list(t["batch"]) == ["first order", "follow-up"]
    assert list(t["units"]) == [2363, 1012]
    assert t["share"].tolist() == [pytest.approx(0.7), pytest.approx(0.3)]
    assert list(t["shipping_mode"]) == ["air", "sea"]


def test_level_sd_from_quartiles_recovers_a_normal_sd() -> None:
    q1, q3 = norm.ppf([0.25, 0.75], loc=100, scale=12)
    assert peers.level_sd_from_quartiles(q1, q3) == pytest.approx(12, rel=1e-3)
    assert peers.level_sd_from_quartiles(q1, q3, lift=1.5) == pytest.approx(18, rel=1e-3)


def test_fba_fee_from_xray_takes_the_referral_fee_out() -> None:
    rows = pd.DataFrame({"fees": [6.41, 8.0, 5.0], "price": [19.99, 30.0, 10.0]})
    # 6.41 - 3.00 = 3.41, 8 - 4.5 = 3.5, 5 - 1.5 = 3.5 -> median 3.5.
    assert peers.fba_fee_from_xray(rows) == pytest.approx(3.5)
    assert peers.fba_fee_from_xray(pd.DataFrame({"price": [1.0]})) is None


def test_days_per_month_is_the_policy_constant() -> None:
    from stockcycle import policy

    # One place for the fact: a month is a twelfth of a year.
    assert peers.DAYS_PER_MONTH is policy.DAYS_PER_MONTH
    assert math.isclose(peers.DAYS_PER_MONTH, 365 / 12)


def test_no_expected_sales_means_no_follow_up_date() -> None:
    # Nothing sells: the first batch never runs out, there is no date to decide by.
    decide, cover = peers.follow_up_decision_date(date(2027, 3, 1), 0, 0.0, 14)
    assert decide is None and math.isinf(cover)


def test_launch_order_units_are_whole_and_add_up() -> None:
    from stockcycle import policy

    # 234.57 x 1.5 = 351.855/day; 351.855 x 30 = 10,555.65 -> 10,556 and 351.855 x 15 =
    # 5,277.825 -> 5,278, total 10,556 + 5,278 = 15,834; 70% = 11,083.8 -> 11,084, rest 4,750.
    order = policy.launch_order(234.57)
    assert (order.cycle_stock_units, order.safety_stock_units) == (10_556, 5_278)
    assert order.total_units == 15_834 == order.cycle_stock_units + order.safety_stock_units
    assert (order.first_order_units, order.follow_up_units) == (11_084, 4_750)
    assert order.first_order_units + order.follow_up_units == order.total_units
    text = order.explain()
    assert "351.855 x 30 = 10,555.65 -> 10,556" in text
    assert "10,556 + 5,278 = 15,834 units" in text
    # Float dust does not add a unit: 234.6 x 1.5 x 30 is 10,557 exactly by hand.
    assert policy.launch_order(234.6).cycle_stock_units == 10_557


def test_compare_shipping_takes_the_lead_time_demand_sd() -> None:
    from stockcycle import policy

    # The review's case: sd 93.7/day, follow-up by air L = 19 days, 7,500 on hand, 351.9/day.
    mean, level_sd = 351.9 * 19, 93.7 * 19  # 6,686.1 and 1,780.3 units
    args = (4750, 351.9, 93.7, 7500, date(2027, 3, 1), 5, {"air": (14, 2.0)})
    daily_noise = policy.compare_shipping(*args).iloc[0]
    assert daily_noise["stockout_probability"] == pytest.approx(
        norm.sf((7500 - mean) / (93.7 * math.sqrt(19)))
    )  # about 2.3%: independent daily noise averages out
    level = policy.compare_shipping(*args, sd_lead_time_demand={"air": level_sd}).iloc[0]
    assert level["sd_demand_units"] == pytest.approx(level_sd)
    assert level["stockout_probability"] == pytest.approx(norm.sf((7500 - mean) / level_sd))
    assert 0.31 < level["stockout_probability"] < 0.33  # z = 0.457: about 32%
    one_number = policy.compare_shipping(*args, sd_lead_time_demand=level_sd).iloc[0]
    assert one_number["stockout_probability"] == level["stockout_probability"]
    with pytest.raises(InputError) as err:
        policy.compare_shipping(*args, sd_lead_time_demand={"sea": 1.0})
    assert err.value.column == "sd_lead_time_demand"


def flat_plan(peer: float = 50.0, **kw) -> peers.LaunchPlan:
    demand = peers.launch_demand(peer, date(2027, 3, 1), 90, 1.5, band=(peer - 10, peer + 10))
    spec = {
        "production_days": 45,
        "transit_days": {"air": 14, "sea": 45},
        "receiving_days": 5,
        **kw,
    }
    return peers.launch_plan(demand, **spec)


def test_launch_plan_lead_times_include_transit_and_receiving() -> None:
    plan = flat_plan()
    # First batch by air: 45 + 14 + 5 = 64 days before 1 March 2027 = 27 Dec 2026.
    assert plan.first_lead_days == 64
    assert plan.first_order_by == date(2026, 12, 27)
    assert plan.order.first_order_units == 2363  # the seed example, flat demand
    # Follow-up by sea, made after the decision: 45 + 45 + 5 = 95 days; 2,363 / 75 = 31.5
    # days of cover -> decide by launch + floor(31.5 - 95) = launch - 64 days.
    assert plan.follow_lead_days == 95
    assert plan.follow_up_decide_by == date(2027, 3, 1) - timedelta(days=64)
    assert plan.follow_up_arrival == date(2027, 3, 1) + timedelta(days=31)
    ready = flat_plan(follow_ready=True, follow_mode="air")
    assert ready.follow_lead_days == 19  # air 14 + receiving 5
    sea_first = flat_plan(first_mode="sea")
    assert sea_first.first_order_by == date(2027, 3, 1) - timedelta(days=95)
    assert "45 + 14 + 5 = 64 days" in plan.explain()


def test_launch_plan_without_sales_needs_no_follow_up() -> None:
    plan = flat_plan(0.0)
    assert plan.order.total_units == 0
    assert plan.follow_up_decide_by is None and plan.follow_up_arrival is None
    assert "no follow-up needed" in plan.explain()
    assert plan.to_dict()["follow_up_decide_by"] is None
    assert peers.follow_up_shipping(plan, {"air": 2.0, "sea": 0.5}) is None


def test_follow_up_risk_and_newsvendor_share_the_level_uncertainty() -> None:
    plan = flat_plan(follow_ready=True)
    # Peer band 40..60/day: level sd = 20 / 1.349 x 1.5 = 22.24 units/day.
    assert plan.sd_level_daily == pytest.approx(20 / 1.349 * 1.5)
    assert plan.window_sd_units == pytest.approx(plan.sd_level_daily * 45)
    assert plan.window_mean_units == pytest.approx(75 * 45)
    ship = peers.follow_up_shipping(plan, {"air": 2.0, "sea": 0.5}, margin_per_unit=5.0)
    assert ship is not None
    # Ordered on the plan's one follow-up date: 2,363 / 75 = 31.5 days of cover, sea lead
    # 45 + 5 = 50 days (made with the first batch) -> launch + floor(31.5 - 50) = 10 Feb 2027,
    # 19 days before the launch: the whole first batch plus 19 days that sell nothing,
    # 2,363 + 19 x 75 = 3,788 units of cover.
    assert ship.order_date == plan.follow_up_decide_by == date(2027, 2, 10)
    assert ship.on_hand_units == pytest.approx(2363 + 19 * 75)
    rows = ship.options.set_index("mode")
    for mode, lead in (("air", 19), ("sea", 50)):
        sd = plan.sd_level_daily * lead  # grows with L, not sqrt(L)
        assert rows.loc[mode, "sd_demand_units"] == pytest.approx(sd)
        z = (ship.on_hand_units - 75 * lead) / sd
        assert rows.loc[mode, "stockout_probability"] == pytest.approx(norm.sf(z))
        assert rows.loc[mode, "meets_target"] == (norm.sf(z) <= 0.05)
    assert "grows with L" in ship.explain()


def test_economics_defaults_say_which_figures_are_guesses() -> None:
    d = peers.economics_defaults(None, pd.DataFrame(), None, None)
    assert d.price == peers.GUESS_PRICE
    assert d.unit_cost == pytest.approx(peers.GUESS_PRICE * peers.GUESS_COST_SHARE)
    assert {"price", "unit_cost", "referral_rate"} <= set(d.guesses)
    assert "Guesses" in d.guess_note() and "price x 25%" in d.guess_note()
    product = {"price": 30.0, "unit_cost": 6.0, "referral_pct": 0.08, "fba_fee": 4.0,
               "air_cost": 2.0, "sea_cost": 0.5}  # fmt: skip
    own = peers.economics_defaults(product, pd.DataFrame(), None, None)
    assert (own.price, own.unit_cost, own.referral_rate) == (30.0, 6.0, 0.08)
    assert own.guesses == () and own.guess_note() == ""


# -- launch monitor (R-L8) -------------------------------------------------------------------------
def plan_100(days: int = 10) -> pd.Series:
    return pd.Series(100.0, index=pd.date_range("2027-03-01", periods=days, freq="D"))


def actual(values: list[float | None]) -> pd.Series:
    return pd.Series(values, index=pd.date_range("2027-03-01", periods=len(values)), dtype=float)


def test_three_days_below_the_band_recommend_promotion_and_holding_the_follow_up() -> None:
    s = alerts.launch_monitor(plan_100(), actual([100, 90, 70, 75, 79]), band=0.2, days=3)
    assert s.state == alerts.BELOW and s.alert
    assert s.run_length == 3
    assert s.first_alert == date(2027, 3, 5)
    assert "promote" in s.recommendation and "hold the follow-up" in s.recommendation
    assert list(s.rows["status"]) == ["within", "within", "below", "below", "below"]
    assert s.rows["deviation"].iloc[2] == pytest.approx(-0.30)
    assert len(s.rows) == 5  # up to the last reported day


def test_three_days_above_the_band_pull_the_follow_up_forward() -> None:
    s = alerts.launch_monitor(plan_100(), actual([121, 130, 125]), band=0.2, days=3)
    assert s.state == alerts.ABOVE
    assert "pull the follow-up 30% forward" in s.recommendation


def test_band_edges_count_as_within_and_mixed_sides_do_not_alert() -> None:
    s = alerts.launch_monitor(plan_100(), actual([80, 120, 70, 70, 130]), band=0.2, days=3)
    assert list(s.rows["status"]) == ["within", "within", "below", "below", "above"]
    assert s.state == "on plan" and not s.alert
    assert s.first_alert is None


def test_a_day_without_figures_is_skipped_and_few_days_are_too_early() -> None:
    s = alerts.launch_monitor(plan_100(), actual([70, 70, None, 70]), band=0.2, days=3)
    assert list(s.rows["run"]) == [1, 2, 2, 3]  # the empty day carries the run, no reset
    assert list(s.rows["alert"]) == [False, False, False, True]
    assert s.state == alerts.BELOW and s.days_reported == 3
    within = alerts.launch_monitor(plan_100(), actual([70, 100, None, 70]), band=0.2, days=3)
    assert list(within.rows["run"]) == [1, 0, 0, 1] and within.state == "on plan"
    early = alerts.launch_monitor(plan_100(), actual([70, 70]), band=0.2, days=3)
    assert early.state == "too early"


def test_monitor_accepts_frames_and_rejects_negative_sales() -> None:
    frame = pd.DataFrame({"date": ["2027-03-01", "2027-03-02"], "units": [50.0, 50.0]})
    s = alerts.launch_monitor(plan_100(), frame, band=0.2, days=2)
    assert s.state == alerts.BELOW
    with pytest.raises(InputError):
        alerts.launch_monitor(plan_100(), actual([-1.0]))


# -- formula-safe exports (R-A3) -------------------------------------------------------------------
RISKY = pd.DataFrame(
    {
        "note": ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "plain", None],
        "units": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0],
    }
)


def test_safe_cells_prefix_formula_text_and_leave_numbers() -> None:
    out = safe_cells(RISKY)
    assert out["note"].tolist()[:5] == [
        '\'=HYPERLINK("http://x","y")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "plain",
    ]
    assert pd.isna(out["note"].iloc[5])
    assert out["units"].tolist() == RISKY["units"].tolist()
    assert RISKY["note"].iloc[0].startswith("=")  # the input is not changed


def test_safe_cells_keep_escaped_text_of_a_categorical_column() -> None:
    frame = pd.DataFrame({"stage": pd.Categorical(["=y", "growth", None, "=y"])})
    out = safe_cells(frame)
    assert out["stage"].tolist()[:2] == ["'=y", "growth"]
    assert out["stage"].iloc[3] == "'=y"
    assert pd.isna(out["stage"].iloc[2])
    rows = list(csv.reader(io.StringIO(to_csv_bytes(frame).decode("utf-8"))))
    assert [r[0] for r in rows] == ["stage", "'=y", "growth", "", "'=y"]


def test_csv_bytes_escape_text_and_keep_negative_numbers() -> None:
    rows = list(csv.reader(io.StringIO(to_csv_bytes(RISKY).decode("utf-8"))))
    assert rows[0] == ["note", "units"]
    assert [r[0] for r in rows[1:5]] == ['\'=HYPERLINK("http://x","y")', "'+1", "'-2", "'@SUM(A1)"]
    assert rows[1][1] == "-5.0"


def test_xlsx_bytes_hold_text_not_formulas() -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx_bytes(RISKY))).active
    first = sheet["A2"]
    assert first.data_type == "s" and first.value.startswith("'=HYPERLINK")
    assert all(sheet[f"A{i}"].data_type != "f" for i in range(2, 8))
    assert sheet["B2"].value == -5


# -- the default peer set, own launches and one search per SKU (R-L1) ----------------------------
def test_the_base_is_the_price_band_median_not_the_leaders() -> None:
    # Ten leaders at 40.00 sell 300/day (BSR 1..10); twenty listings at 20.00 sell 25/day.
    rows = [listing(f"L{i}", 300.0, price=40.0, bsr=i) for i in range(1, 11)]
    rows += [listing(f"T{i}", 25.0, price=20.0, bsr=100 + i) for i in range(20)]
    comp = xray(rows)
    # Your price 20.00, band +/-25% = 15.00-25.00: the twenty typical listings only.
    chosen = peers.default_peers(comp, 20.0, 0.25)
    assert chosen.band == (15.0, 25.0) and not chosen.widened
    summary = peers.peer_summary(chosen.selection)
    assert summary.n == 20 and summary.median == pytest.approx(25.0)
    # The leaders are the ceiling beside it: median 300/day.
    assert peers.leaders(comp).median == pytest.approx(300.0)
    # The seed example on that base: 25 x 1.5 = 37.5/day; 30 days -> 1,125 units.
    demand = peers.launch_demand(summary, date(2027, 3, 1), 90, 1.5)
    assert demand.base_daily == pytest.approx(37.5)


def test_a_thin_price_band_is_widened_step_by_step_and_said() -> None:
    # Two listings within +/-25% of 20.00, five more at 28.00 (+40%): +/-50% holds seven.
    rows = [listing(f"A{i}", 10.0, price=20.0, bsr=i) for i in range(2)]
    rows += [listing(f"B{i}", 12.0, price=28.0, bsr=10 + i) for i in range(5)]
    chosen = peers.default_peers(xray(rows), 20.0, 0.25)
    assert chosen.widened and chosen.share == 0.5 and chosen.band == (10.0, 30.0)
    assert chosen.tried == ((0.25, 2), (0.5, 7))
    assert "widened to 10.00-30.00" in chosen.note()


def test_own_launches_and_the_sanity_warning() -> None:
    # Two own launches of the data (data from 1 Jan 2026): A from 1 Mar sells 2/day, B from
    # 1 Apr 4/day; OLD sold from the first day (its launch is not in the data).
    days = pd.date_range("2026-01-01", "2026-10-31", freq="D")
    rows = [("OLD", d, 5.0) for d in days]
    rows += [("A", d, 2.0) for d in days if d >= pd.Timestamp("2026-03-01")]
    rows += [("B", d, 4.0) for d in days if d >= pd.Timestamp("2026-04-01")]
    sales = pd.DataFrame(rows, columns=["sku", "date", "units"])
    products = pd.DataFrame({"sku": ["OLD", "A", "B"], "category": ["k", "k", "k"]})
    launches = peers.own_launches(sales, products)
    assert list(launches["sku"]) == ["B", "A"]
    assert launches.set_index("sku")["daily_30"].to_dict() == {"A": 2.0, "B": 4.0}
    # The seed example: 2,363 units at 75/day last 2,363 / 75 = 31.5 days; own launches: a
    # median 3/day x 31.5 = 94.5 units; 2,363 / 94.5 = 75 / 3 = 25 > 3: warned, with numbers.
    check = peers.launch_sanity(2363, 75.0, launches, category="k")
    assert check is not None and check.warn
    assert check.own_daily == 3.0 and check.ratio == pytest.approx(25.0)
    assert "A 2.0/day" in check.message() and "2,363 units" in check.message()
    # Planned at 9/day, exactly 3x the own launches' 3/day: not above 3, not flagged.
    quiet = peers.launch_sanity(90, 9.0, launches, category="k")
    assert quiet is not None and quiet.ratio == pytest.approx(3.0) and not quiet.warn


def test_a_sku_reads_only_its_own_search() -> None:
    a = xray([listing("A1", 10.0)], search="baking mat")
    b = xray([listing("B1", 500.0)], search="spatula")
    comp = pd.concat([a, b], ignore_index=True)
    mat = {"sku": "M", "category": "Bakeware", "title": "Silicone Baking Mat XL"}
    lamp = {"sku": "L", "category": "Lighting", "title": "Desk Lamp"}
    names = peers.searches(comp)
    assert peers.search_for_sku(mat, names) == "baking mat"
    assert peers.search_for_sku(lamp, names) is None  # says so, borrows nothing
    rows = peers.competitors_of_search(comp, "Baking  Mat")
    assert set(rows["asin"]) == {"A1"}
