"""Elasticity, clearance, markdown and exit (R-D2, R-D3, R-D5, R-E1..R-E3).

Figures are worked out by hand in the comments; the markdown DP is checked against brute-force
enumeration of every price path and against the closed-form optimum p* = c e / (1 + e).
"""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from stockcycle import pricing
from stockcycle.errors import InputError

MONTH = 365 / 12  # days per month, as policy.DAYS_PER_MONTH

# --------------------------------------------------------------------------- elasticity


def test_units_at_price_by_hand() -> None:
    # 10/day at $20, e = -2, price $16: 10 x 0.8^-2 = 15.625/day.
    assert pricing.units_at_price(10, 20, 16, -2.0) == pytest.approx(15.625)
    assert pricing.units_at_price(10, 20, 20, -2.0) == pytest.approx(10.0)


def test_estimate_elasticity_exact_curve() -> None:
    prices = np.linspace(15, 25, 20)
    history = pd.DataFrame({"price": prices, "units": 4000 * prices**-2.0})
    e = pricing.estimate_elasticity(history)
    assert e.value == pytest.approx(-2.0)
    assert e.low == pytest.approx(-2.0) and e.high == pytest.approx(-2.0)
    assert e.r2 == pytest.approx(1.0) and e.n_points == 20
    assert e.source == "own price history (log-log regression, n=20)" and e.estimated


def test_estimate_elasticity_interval_matches_scipy() -> None:
    rng = np.random.default_rng(7)
    prices = rng.uniform(14, 26, 60)
    units = np.exp(6 - 1.7 * np.log(prices) + rng.normal(0, 0.25, 60))
    # Zero-sale days and a missing price are dropped before fitting.
    history = pd.DataFrame({"price": [*prices, np.nan, 20.0], "units": [*units, 3.0, 0.0]})
    e = pricing.estimate_elasticity(history)
    ref = stats.linregress(np.log(prices), np.log(units))
    t = stats.t.ppf(0.975, 58)
    assert e.n_points == 60
    assert e.value == pytest.approx(ref.slope)
    assert e.low == pytest.approx(ref.slope - t * ref.stderr)
    assert e.high == pytest.approx(ref.slope + t * ref.stderr)
    assert e.r2 == pytest.approx(ref.rvalue**2)
    assert f"{e.value:.2f}" in e.explain() and "n=60" in e.source


def test_estimate_elasticity_channels_keep_their_own_level() -> None:
    # Amazon sells 4x Walmart at a higher price: pooled, "cheaper sells less" would come out.
    rng = np.random.default_rng(3)
    rows = []
    for channel, level, centre in (("Amazon.com", 8.0, 20.0), ("Walmart", 6.6, 18.0)):
        prices = rng.uniform(0.85, 1.15, 80) * centre
        noise = rng.normal(0, 0.2, 80)
        rows.append(
            pd.DataFrame(
                {
                    "channel": channel,
                    "price": prices,
                    "units": np.exp(level - 1.8 * np.log(prices) + noise),
                }
            )
        )
    history = pd.concat(rows, ignore_index=True)
    e = pricing.estimate_elasticity(history)
    # Independent check: least squares with one dummy per channel (numpy), OLS standard error.
    x = np.log(history["price"].to_numpy())
    y = np.log(history["units"].to_numpy())
    design = np.column_stack(
        [x, (history["channel"] == "Amazon.com"), (history["channel"] == "Walmart")]
    ).astype(float)
    coef, ssr, *_ = np.linalg.lstsq(design, y, rcond=None)
    cov = ssr[0] / (160 - 3) * np.linalg.inv(design.T @ design)
    t = stats.t.ppf(0.975, 160 - 3)
    assert e.value == pytest.approx(coef[0])
    assert e.high - e.value == pytest.approx(t * math.sqrt(cov[0, 0]))
    assert -2.2 < e.value < -1.4 and "2 channels" in e.note
    pooled = stats.linregress(x, y).slope
    assert pooled > e.value + 0.5  # what ignoring the channels would have said


def test_estimate_elasticity_falls_back_to_default() -> None:
    flat = pd.DataFrame({"price": [20.0] * 20 + [20.5] * 10, "units": [3.0] * 30})
    e = pricing.estimate_elasticity(flat, default=-1.2)
    # Price moved 0.5 / 20 = 2.5% < 5%: the default, and the page says why.
    assert (e.value, e.low, e.high, e.source) == (-1.2, -1.2, -1.2, "category default")
    assert "2.5%" in e.note and "category default" in e.explain() and not e.estimated
    few = pricing.estimate_elasticity(pd.DataFrame({"price": [10.0, 20.0], "units": [5, 1]}))
    assert few.source == "category default" and "Only 2 days" in few.note
    rising = pd.DataFrame({"price": np.linspace(10, 20, 10), "units": np.linspace(1, 5, 10)})
    up = pricing.estimate_elasticity(rising)
    assert up.source == "category default" and "rose with price" in up.note
    with pytest.raises(InputError) as err:
        pricing.estimate_elasticity(pd.DataFrame({"price": [1.0]}))
    assert err.value.column == "units"


# --------------------------------------------------------------------------- clearance


ARGS = dict(
    units_on_hand=500,
    base_units_per_day=5,
    price=20.0,
    unit_cost=6.0,
    elasticity=-2.0,
    fba_fee=3.4,
    referral_rate=0.15,
    storage_per_unit_month=0.3,
    aged_surcharge_per_unit_month=0.5,
    duration_days=30,
)


def _row(table: pd.DataFrame, name: str) -> pd.Series:
    return table.set_index("scenario").loc[name]


def test_discount_scenario_by_hand() -> None:
    table = pricing.clearance_scenarios(**ARGS, scenarios=[pricing.discount(0.20)])
    r = _row(table, "20% off")
    # Price 16; 5 x 0.8^-2 = 7.8125/day; 500 / 7.8125 = 64 days; 30 days sell 234.375.
    assert r["price_paid"] == pytest.approx(16.0)
    assert r["units_per_day"] == pytest.approx(7.8125)
    assert r["days_to_clear"] == pytest.approx(64.0)
    assert r["units_sold"] == pytest.approx(234.375)
    assert r["revenue"] == pytest.approx(3750.0)
    assert r["fees"] == pytest.approx(234.375 * (3.4 + 0.15 * 16))  # 1,359.375
    assert r["cogs"] == pytest.approx(1406.25)
    # Unit-days held at the base rate: 500 x 100 / 2 = 25,000. With the promotion:
    # (500 + 265.625) / 2 x 30 = 11,484.375, then 265.625 at 5/day: 265.625 x 53.125 / 2.
    held = 11_484.375 + 265.625 * 53.125 / 2
    avoided = (25_000 - held) * 0.8 / MONTH
    assert r["storage_avoided"] == pytest.approx(avoided)  # about 169.79
    assert r["profit"] == pytest.approx(3750 - 1359.375 - 1406.25 + avoided)
    assert r["cash_in_per_week"] == pytest.approx((3750 - 1359.375) / (30 / 7))


def test_bogo_and_coupon_by_hand() -> None:
    table = pricing.clearance_scenarios(**ARGS, ad_cost_per_day=20.0)
    bogo = _row(table, "buy one get one")
    # Effective price 10, orders at 5 x 0.5^-2 = 20/day, two units each = 40 units/day.
    assert bogo["price_paid"] == pytest.approx(10.0)
    assert bogo["units_per_day"] == pytest.approx(40.0)
    assert bogo["days_to_clear"] == pytest.approx(12.5)
    assert bogo["units_sold"] == pytest.approx(500.0) and bogo["units_left"] == 0
    assert bogo["fees"] == pytest.approx(500 * (3.4 + 0.15 * 10))
    coupon = _row(table, "15% coupon + ads")
    # Price 17: 5 x 0.85^-2 = 6.920/day plus $20 of ads x ROAS 3 / $17 = 3.529/day.
    rate = 5 * 0.85**-2 + 20 * 3.0 / 17
    assert coupon["units_per_day"] == pytest.approx(rate)
    assert coupon["ad_cost"] == pytest.approx(20 * 30)
    assert coupon["profit_before_storage"] == pytest.approx(
        rate * 30 * (17 - 3.4 - 0.15 * 17 - 6) - 600
    )
    base = _row(table, "no change")
    assert base["storage_avoided"] == pytest.approx(0.0)
    assert base["days_to_clear"] == pytest.approx(100.0)


def test_no_demand_never_clears() -> None:
    args = {**ARGS, "base_units_per_day": 0}
    table = pricing.clearance_scenarios(**args, scenarios=[pricing.discount(0.3)])
    assert math.isinf(table["days_to_clear"].iloc[0]) and table["units_sold"].iloc[0] == 0


def test_cash_by_week_adds_up_to_the_scenario() -> None:
    table = pricing.clearance_scenarios(**ARGS, ad_cost_per_day=20.0)
    weekly = pricing.clearance_cash_by_week(table)
    for row in table.itertuples(index=False):
        w = weekly[weekly["scenario"] == row.scenario]
        assert w["units"].sum() == pytest.approx(row.units_sold)
        assert w["cash_in"].sum() == pytest.approx(row.revenue - row.fees - row.ad_cost)
    # BOGO clears in 12.5 days: two weeks, the second half a week long.
    bogo = weekly[weekly["scenario"] == "buy one get one"]
    assert bogo["units"].tolist() == pytest.approx([280.0, 220.0])


def test_sensitivity_grid() -> None:
    grid = pricing.sensitivity(
        **{k: v for k, v in ARGS.items() if k != "duration_days"},
        durations_days=(7, 30),
        ad_costs_per_day=(0, 50),
    )
    assert list(grid.index) == [7.0, 30.0] and list(grid.columns) == [0.0, 50.0]
    # The 30-day, $0-ads cell is a 15% coupon without ads: check it against its own formula.
    rate = 5 * 0.85**-2
    sold = rate * 30
    held = (500 + 500 - sold) / 2 * 30 + (500 - sold) ** 2 / (2 * 5)
    avoided = (25_000 - held) * 0.8 / MONTH
    assert grid.loc[30.0, 0.0] == pytest.approx(sold * (17 - 3.4 - 2.55 - 6) + avoided)
    days = pricing.sensitivity(
        **{k: v for k, v in ARGS.items() if k != "duration_days"},
        durations_days=(30,),
        ad_costs_per_day=(0, 50),
        value="days_to_clear",
    )
    assert days.loc[30.0, 50.0] < days.loc[30.0, 0.0]  # more ads clear faster


@settings(max_examples=60, deadline=None)
@given(
    e=st.floats(-5.0, -0.05),
    d1=st.floats(0.0, 0.9),
    d2=st.floats(0.0, 0.9),
    q0=st.floats(0.1, 500.0),
)
def test_deeper_discount_never_clears_slower(e: float, d1: float, d2: float, q0: float) -> None:
    low, high = sorted((d1, d2))
    args = {**ARGS, "base_units_per_day": q0, "elasticity": e}
    table = pricing.clearance_scenarios(
        **args, scenarios=[pricing.discount(low), pricing.discount(high)]
    )
    shallow, deep = table["days_to_clear"].tolist()
    assert deep <= shallow * (1 + 1e-12)


# --------------------------------------------------------------------------- markdown (R-E1)


def test_constant_elasticity_price_by_hand() -> None:
    assert pricing.constant_elasticity_price(10, -2.0) == pytest.approx(20.0)
    assert pricing.constant_elasticity_price(4, -2.5) == pytest.approx(4 * 2.5 / 1.5)
    with pytest.raises(InputError) as err:
        pricing.constant_elasticity_price(10, -1.0)
    assert err.value.column == "elasticity"


def _simulate(
    path: tuple[float, ...],
    n: int,
    q0: float,
    p0: float,
    c: float,
    e: float,
    h: float,
    salvage: float,
    decline: float,
) -> float:
    """Total recovery of one price path, week by week (the model of R-E1 written out)."""
    stock, total = n, 0.0
    for week, p in enumerate(path):
        wanted = round(7 * q0 * (1 - decline) ** week * (p / p0) ** e)
        sold = min(stock, wanted)
        stock -= sold
        total += sold * (p - c) - h * stock
    return total + salvage * stock


def _brute_force(grid: list[float], weeks: int, monotone: bool, **model: float) -> float:
    """The best total over every price path of the grid (non-increasing ones if monotone)."""
    paths = itertools.product(grid, repeat=weeks)
    return max(
        _simulate(path, **model)
        for path in paths
        if not monotone or all(b <= a for a, b in itertools.pairwise(path))
    )


@pytest.mark.parametrize(
    ("n", "h", "decline", "monotone"),
    [
        (40, 0.5, 0.0, False),
        (40, 0.5, 0.0, True),
        (25, 2.0, 0.3, True),
        (90, 0.2, 0.3, False),
        (90, 0.2, 0.3, True),  # here the rule binds: 728.4 against 756.8 unconstrained
        (12, 0.0, 0.0, True),
    ],
)
def test_markdown_dp_equals_brute_force(n: int, h: float, decline: float, monotone: bool) -> None:
    grid = [20.0, 15.0, 11.0]
    plan = pricing.markdown_plan(
        n,
        2.0,
        20.0,
        3.0,
        -2.0,
        h,
        3,
        price_grid=grid,
        salvage_value_per_unit=1.0,
        demand_decline_per_week=decline,
        non_increasing=monotone,
    )
    model = dict(n=n, q0=2.0, p0=20.0, c=3.0, e=-2.0, h=h, salvage=1.0, decline=decline)
    best = _brute_force(grid, 3, monotone, **model)
    assert plan.attrs["total"] == pytest.approx(best)
    # The path the plan shows earns that total, and its rows add up to it.
    assert _simulate(tuple(plan["price"]), **model) == pytest.approx(best)
    assert plan["net"].sum() + plan.attrs["salvage"] == pytest.approx(best)
    assert plan["units_sold"].sum() + plan.attrs["units_left"] == n
    if monotone:
        assert plan["price"].is_monotonic_decreasing


def test_markdown_single_period_matches_closed_form() -> None:
    c, e, p0 = 4.0, -2.5, 8.0
    best = pricing.constant_elasticity_price(c, e)  # 6.667
    grid = [round(x, 2) for x in np.arange(5.0, 8.001, 0.05)]
    # Ample stock: more than the most any price on the grid sells in a week.
    ample = int(7 * 300 * (5.0 / p0) ** e) + 10
    plan = pricing.markdown_plan(ample, 300, p0, c, e, 0.0, 1, price_grid=grid)
    assert abs(plan["price"].iloc[0] - best) <= 0.05 + 1e-9
    assert plan.attrs["closed_form_price"] == pytest.approx(best)
    # A referral fee of 15% of the price: p* = c / (1 - r) x e / (1 + e) = 7.843.
    with_fee = pricing.markdown_plan(ample, 300, p0, c, e, 0.0, 1, grid, referral_rate=0.15)
    assert with_fee.attrs["closed_form_price"] == pytest.approx(4 / 0.85 * 2.5 / 1.5)
    assert abs(with_fee["price"].iloc[0] - 4 / 0.85 * 2.5 / 1.5) <= 0.05 + 1e-9
    # With p* itself on the grid, every week of a longer plan picks it.
    plan = pricing.markdown_plan(
        ample * 3, 300, p0, c, e, 0.0, 3, price_grid=[8.0, 7.5, best, 6.0, 5.5]
    )
    assert plan["price"].tolist() == pytest.approx([best] * 3)


def test_markdown_explain_names_the_formula_it_computes() -> None:
    # c = 6, e = -2, referral 15%: c / (1 - r) x e / (1 + e) = 6 / 0.85 x 2 = 14.12 (the
    # formula without the fee, c e / (1 + e), would give 12).
    plan = pricing.markdown_plan(100, 5.0, 20.0, 6.0, -2.0, 0.1, 2, referral_rate=0.15)
    text = plan.attrs["explain"]
    assert plan.attrs["closed_form_price"] == pytest.approx(6 / 0.85 * 2)
    assert "c / (1 - r) x e / (1 + e) = 6 / (1 - 0.15) x -2.00 / (1 + -2.00) = 14.12" in text
    assert "c e / (1 + e) = 14.12" not in text


def test_markdown_deepens_as_demand_declines() -> None:
    plan = pricing.markdown_plan(400, 4.0, 20.0, 4.0, -2.5, 0.1, 8, demand_decline_per_week=0.15)
    assert plan["price"].is_monotonic_decreasing
    assert plan["discount"].iloc[0] == pytest.approx(1 - plan["price"].iloc[0] / 20.0)
    assert set(plan.columns) >= {"week", "price", "units_sold", "stock_left", "holding_cost"}


# --------------------------------------------------------------------------- exit (R-E2, R-E3)


def test_exit_rule_counts_future_storage_not_storage_already_paid() -> None:
    # R-E2 looks ahead: 1,000 units at 10/day, price 20, cost 10, storage 0.5 per unit-month.
    # Today: 1,000^2 / (2 x 10) = 50,000 unit-days still to hold -> 50,000 x 0.5 / 30.4167 =
    # 821.92 against 50% of 10,000 of gross profit: keep selling. Day 84: 160 units left hold
    # 1,600 of gross profit and need only 160^2 / 20 x 0.5 / 30.4167 = 21.04 more storage.
    as_of = date(2026, 11, 25)
    assert pricing.exit_date(as_of, 1000, 10, 20, 10, 0.5) is None
    line = pricing.exit_timeline(as_of, 1000, 10, 20, 10, 0.5).set_index("days")
    assert line.loc[0, "future_storage"] == pytest.approx(50_000 * 0.5 / MONTH)  # 821.92
    assert line.loc[84, "units_left"] == 160
    assert line.loc[84, "remaining_gross_profit"] == pytest.approx(1600)
    assert line.loc[84, "future_cost"] == pytest.approx(160**2 / 20 * 0.5 / MONTH)  # 21.04
    assert line.loc[84, "cost_share"] == pytest.approx(21.041 / 1600, rel=1e-4)
    assert line.loc[84, "date"] == date(2027, 2, 17)


def test_exit_now_when_selling_out_costs_more_than_half_the_gross_profit() -> None:
    # 1,000 units at 1/day, price 10, cost 9: $1,000 of gross profit, but 1,000 days of
    # selling hold 1,000^2 / 2 = 500,000 unit-days = 500,000 x 0.5 / 30.4167 = $8,219.18.
    as_of = date(2026, 11, 25)
    assert pricing.exit_date(as_of, 1000, 1, 10, 9, 0.5) == as_of
    first = pricing.exit_timeline(as_of, 1000, 1, 10, 9, 0.5).iloc[0]
    assert first["future_storage"] == pytest.approx(500_000 * 0.5 / MONTH)  # 8,219.18


def test_exit_threshold_by_hand_storage_and_upkeep() -> None:
    as_of = date(2026, 1, 1)
    # Storage alone, 300 units at 10/day, margin 8: exit when s x 300^2 / 20 / 30.4167 >
    # 0.5 x 2,400, i.e. s > 1,200 x 30.4167 / 4,500 = 8.11 per unit-month.
    assert pricing.exit_date(as_of, 300, 10, 20, 12, 8.0) is None
    assert pricing.exit_date(as_of, 300, 10, 20, 12, 8.2) == as_of
    # Upkeep alone, 1,000 units at 5/day = 200 days, margin 10: $24/day x 200 = 4,800 is not
    # above 0.5 x 10,000; $26/day x 200 = 5,200 is (upkeep per month = per day x 365 / 12).
    # Both sides shrink with the units left, so the answer holds on every later day too.
    assert pricing.exit_date(as_of, 1000, 5, 25, 15, 0.0, upkeep_per_month=24 * MONTH) is None
    assert pricing.exit_date(as_of, 1000, 5, 25, 15, 0.0, 26 * MONTH) == as_of
    # A larger share keeps selling: 5,200 < 1.0 x 10,000.
    assert pricing.exit_date(as_of, 1000, 5, 25, 15, 0.0, 26 * MONTH, exit_cost_share=1.0) is None
    # Both at day 50 of 1,000 units at 10/day, storage 0.5, upkeep $10/day: 500 left for 50
    # more days -> storage 500^2 / 20 x 0.5 / 30.4167 = 205.48, upkeep 10 x 50 = 500.
    line = pricing.exit_timeline(as_of, 1000, 10, 20, 10, 0.5, 10 * MONTH).set_index("days")
    assert line.loc[50, "future_storage"] == pytest.approx(12_500 * 0.5 / MONTH)
    assert line.loc[50, "future_upkeep"] == pytest.approx(500)
    assert line.loc[50, "future_cost"] == pytest.approx(12_500 * 0.5 / MONTH + 500)


def test_exit_date_edge_cases() -> None:
    as_of = date(2026, 1, 1)
    assert pricing.exit_date(as_of, 100, 1, 20, 12, 0.0) is None  # no cost: sells out first
    assert pricing.exit_date(as_of, 100, 1, 10, 12, 0.5) == as_of  # no gross profit left
    assert pricing.exit_date(as_of, 0, 1, 20, 12, 0.5) is None
    assert pricing.exit_date(as_of, 100, 0, 20, 12, 0.1) == as_of  # never sells: storage forever
    assert pricing.exit_date(as_of, 100, 0, 20, 12, 0.0) is None  # never sells, costs nothing


def test_residual_value_options_by_hand() -> None:
    as_of = date(2026, 1, 1)
    out = pricing.residual_value_options(
        500,
        20.0,
        6.0,
        5.0,
        as_of=as_of,
        fba_fee=3.4,
        referral_rate=0.15,
        storage_per_unit_month=0.5,
        liquidation_net=500.0,
        removal_fee_per_unit=0.6,
        disposal_fee_per_unit=0.5,
        other_channel_price_per_unit=9.0,
        other_channel_cost_per_unit=1.0,
    ).set_index("option")
    keep = out.loc["keep selling"]
    # 500 units at 5/day = 100 days; recovery 500 x (20 x 0.85 - 3.4) = 6,800;
    # storage 0.5 / 30.4167 x 500 x 100 / 2 = 410.96.
    assert keep["recovery"] == pytest.approx(6800.0)
    assert keep["cost"] == pytest.approx(0.5 / MONTH * 25_000)
    assert keep["days"] == pytest.approx(100.0) and keep["date"] == as_of + timedelta(days=100)
    assert keep["net_vs_cost"] == pytest.approx(6800 - 0.5 / MONTH * 25_000 - 3000)
    assert out.loc["removal to another channel", "net"] == pytest.approx(4500 - 800)
    assert out.loc["disposal", "net"] == pytest.approx(-250.0)
    assert out.loc["liquidation", "net"] == pytest.approx(500.0)
    assert out["recommended"].tolist() == [True, False, False, False, False]


def test_residual_value_slow_seller_recommends_removal() -> None:
    # 0.2/day: in a year 73 of 2,000 units sell; storage of the pile outweighs it.
    out = pricing.residual_value_options(
        2000,
        20.0,
        6.0,
        0.2,
        fba_fee=3.4,
        storage_per_unit_month=1.0,
        liquidation_net=1500.0,
        removal_fee_per_unit=0.6,
        disposal_fee_per_unit=0.5,
        other_channel_price_per_unit=4.0,
        other_channel_cost_per_unit=1.0,
    ).set_index("option")
    keep = out.loc["keep selling"]
    held = (2000 + 2000 - 73) / 2 * 365
    assert keep["recovery"] == pytest.approx(73 * 13.6)
    assert keep["cost"] == pytest.approx(held / MONTH)
    assert keep["date"] is None  # no as_of given
    best = out.index[out["recommended"]].tolist()
    assert best == ["removal to another channel"]  # 2000 x (4 - 1.6) = 4,800 > 1,500


def _brute_force_exit_day(n, q0, weekly, margin, storage, share=0.5, dt=0.01):
    """Exit day by simulating the fading sales in small steps (independent of the closed form):
    the first whole day on which the storage still to pay exceeds share x the gross profit."""
    import numpy as np

    k = math.log(1 / (1 - weekly)) / 7
    grid = np.arange(0, 400, dt)
    left = np.maximum(0.0, n - np.cumsum(q0 * np.exp(-k * grid)) * dt)
    # storage still to pay from each grid point: the unit-days ahead of it
    ahead = np.cumsum((left * dt)[::-1])[::-1] * storage / (365 / 12)
    for day in range(0, 400):
        i = int(round(day / dt))
        if left[i] <= 0:
            return None
        if ahead[i] > share * left[i] * margin:
            return day
    return None


@pytest.mark.parametrize("storage", [0.5, 1.0, 1.6, 2.0, 4.0])
def test_fading_sales_exit_rule_matches_a_step_by_step_simulation(storage: float) -> None:
    # 800 units selling 20/day, falling 15% a week (R-D1): 861 units would ever sell, so the
    # stock sells out after 114 days. The closed form and a 0.01-day simulation must agree on
    # whether storage of ``storage`` per unit-month is worth half the $3 margin still held.
    as_of = date(2026, 11, 25)
    exit_on = pricing.exit_date(as_of, 800, 20, 13.0, 10.0, storage, weekly_decline=0.15)
    expected = _brute_force_exit_day(800, 20, 0.15, margin=3.0, storage=storage)
    assert (None if exit_on is None else (exit_on - as_of).days) == expected


def test_fading_sales_make_exit_dearer_and_unsellable_stock_exits_now() -> None:
    as_of = date(2026, 11, 25)
    steady = pricing.exit_timeline(as_of, 800, 20, 13.0, 10.0, 1.6)
    fading = pricing.exit_timeline(as_of, 800, 20, 13.0, 10.0, 1.6, weekly_decline=0.15)
    assert fading["future_storage"].iloc[0] > steady["future_storage"].iloc[0]
    assert pricing.exit_date(as_of, 800, 20, 13.0, 10.0, 1.6) is None
    assert pricing.exit_date(as_of, 800, 20, 13.0, 10.0, 1.6, weekly_decline=0.15) == as_of
    # Stock beyond all it will ever sell (861 units) waits forever: exit today at any storage.
    assert pricing.exit_date(as_of, 2000, 20, 13.0, 10.0, 0.01, weekly_decline=0.15) == as_of
    with pytest.raises(InputError, match="weekly_decline"):
        pricing.exit_timeline(as_of, 800, 20, 13.0, 10.0, 1.6, weekly_decline=1.0)


# ------------------------------------------------- exit with costs that rise over time (R-E2)


def _brute_force_storage(
    n: float,
    sold_by: callable,
    schedule: list[list[float]],
    cohorts: list[float],
    days: int,
    substeps: int = 20,
) -> list[float]:
    """Storage still to pay from each day 0..days, by simulation: each day is cut into
    ``substeps`` slices; in each slice the units sold so far (``sold_by(time)``) are taken
    from the oldest cohort first, one cohort after the other, and every unit still held pays
    its cohort's cost of that day for the slice (midpoint of the slice)."""
    daily = []
    for d in range(days):
        row = schedule[min(d, len(schedule) - 1)]
        cost = 0.0
        for i in range(substeps):
            gone = min(n, sold_by(d + (i + 0.5) / substeps))
            for size, price in zip(cohorts, row, strict=True):
                taken = min(size, gone)
                gone -= taken
                cost += (size - taken) * price / substeps
        daily.append(cost)
    return [sum(daily[t:]) for t in range(days + 1)]


def _brute_force_exit(
    as_of: date, n: float, q: float, margin: float, future: list[float], share: float = 0.5
) -> date | None:
    for t, f in enumerate(future):
        left = max(0.0, n - q * t)
        if left > 0 and f > share * left * margin:
            return as_of + timedelta(days=t)
    return None


def test_exit_fires_on_the_day_the_q4_storage_rate_starts() -> None:
    # 600 units at 10/day from Sep 1 (sold out on day 60), margin 1.48 per unit. Storage per
    # unit-day 0.01 in September, 0.05 from Oct 1 (day 30; the last value repeats).
    # Day 30 (Oct 1): 300 left hold 300^2 / 20 = 4,500 unit-days, all in Q4: 0.05 x 4,500 =
    # 225.00 > 0.5 x 300 x 1.48 = 222.00 -> exit.
    # Day 29 (Sep 30): 310 left; Sep 30 holds (310^2 - 300^2) / 20 = 305 unit-days at 0.01 =
    # 3.05, the rest 225.00: 228.05 <= 0.5 x 310 x 1.48 = 229.40 -> not yet.
    as_of = date(2027, 9, 1)
    schedule = [0.01] * 30 + [0.05]
    kwargs = {"holding_cost_per_unit_day": schedule}
    line = pricing.exit_timeline(as_of, 600, 10, 10, 8.52, 0.0, **kwargs).set_index("days")
    assert line.loc[30, "future_storage"] == pytest.approx(225.00)
    assert line.loc[29, "future_storage"] == pytest.approx(228.05)
    assert line.loc[0, "future_storage"] == pytest.approx(0.01 * (600**2 - 300**2) / 20 + 225)
    assert line.loc[30, "date"] == date(2027, 10, 1)
    exit_on = pricing.exit_date(as_of, 600, 10, 10, 8.52, 0.0, **kwargs)
    assert exit_on == date(2027, 10, 1)
    # The same answer by simulation, and every day's storage still to pay agrees.
    future = _brute_force_storage(600, lambda s: 10 * s, [[c] for c in schedule], [600], 60)
    assert _brute_force_exit(as_of, 600, 10, 1.48, future) == exit_on
    assert line.loc[:60, "future_storage"].to_numpy() == pytest.approx(future)
    # At the September rate all year the share only falls: 0.01 x 600 / 20 / 1.48 = 20% today.
    assert (
        pricing.exit_date(as_of, 600, 10, 10, 8.52, 0.0, holding_cost_per_unit_day=[0.01]) is None
    )


def test_exit_fires_on_the_day_a_surcharge_tier_starts_fifo() -> None:
    # Two age cohorts, oldest first: 50 units aged 300 days (already in a 0.10/day tier) and
    # 250 units aged 170 days, which reach the 181-day tier on day 11 (0.01 -> 0.05 per day).
    # 10/day, FIFO: the old units are gone on day 5. Margin 0.94 per unit.
    # Day 11: 190 young units left, all at 0.05: 190^2 / 20 x 0.05 = 90.25 > 0.5 x 190 x 0.94
    # = 89.30 -> exit. Day 10: 200 left, (200^2 - 190^2) / 20 x 0.01 = 1.95 more: 92.20 <=
    # 0.5 x 200 x 0.94 = 94.00.
    as_of = date(2027, 3, 1)
    ages = [300, 170]

    def cost(age: int) -> float:
        return 0.10 if age >= 271 else (0.05 if age >= 181 else 0.01)

    schedule = [[cost(a + d) for a in ages] for d in range(40)]
    kwargs = {"holding_cost_per_unit_day": np.array(schedule), "cohort_units": [50, 250]}
    line = pricing.exit_timeline(as_of, 300, 10, 10, 9.06, 0.0, **kwargs).set_index("days")
    assert line.loc[11, "future_storage"] == pytest.approx(90.25)
    assert line.loc[10, "future_storage"] == pytest.approx(92.20)
    # Today: the old 50 hold 50^2 / 20 = 125 unit-days at 0.10 = 12.50; the young 250 are all
    # held 5 days (1,250 unit-days) and then fall to 190 by day 11 ((250^2 - 190^2) / 20 =
    # 1,320 unit-days), at 0.01: 25.70; then 90.25 -> 128.45.
    assert line.loc[0, "future_storage"] == pytest.approx(128.45)
    exit_on = pricing.exit_date(as_of, 300, 10, 10, 9.06, 0.0, **kwargs)
    assert exit_on == as_of + timedelta(days=11)
    future = _brute_force_storage(300, lambda s: 10 * s, schedule, [50, 250], 30)
    assert _brute_force_exit(as_of, 300, 10, 0.94, future) == exit_on
    assert line.loc[:30, "future_storage"].to_numpy() == pytest.approx(future)
    # FIFO matters: had the young units been sold first, the 300-day units would pay their
    # 0.10 tier for longer and the rule would fire today.
    swapped = {"holding_cost_per_unit_day": np.array(schedule)[:, ::-1], "cohort_units": [250, 50]}
    assert pricing.exit_date(as_of, 300, 10, 10, 9.06, 0.0, **swapped) == as_of


def test_a_constant_schedule_gives_the_closed_forms() -> None:
    as_of = date(2026, 11, 25)
    constant = {"holding_cost_per_unit_day": [0.5 / MONTH]}
    old = pricing.exit_timeline(as_of, 1000, 10, 20, 10, 0.5)
    new = pricing.exit_timeline(as_of, 1000, 10, 20, 10, 0.0, **constant)
    assert new["future_storage"].to_numpy() == pytest.approx(old["future_storage"].to_numpy())
    assert pricing.exit_date(as_of, 1000, 10, 20, 10, 0.0, **constant) is None
    assert pricing.exit_date(as_of, 1000, 1, 10, 9, 0.0, **constant) == as_of
    # Fading sales (15% a week): the schedule spreads each day's sales evenly over the day,
    # within 5 cents of the exponential closed form (1,163.70 today); the exit answers agree.
    fading = pricing.exit_timeline(as_of, 800, 20, 13.0, 10.0, 1.6, weekly_decline=0.15)
    numeric = pricing.exit_timeline(
        as_of,
        800,
        20,
        13.0,
        10.0,
        0.0,
        weekly_decline=0.15,
        holding_cost_per_unit_day=[1.6 / MONTH],
    )
    assert numeric["future_storage"].to_numpy() == pytest.approx(
        fading["future_storage"].to_numpy(), rel=1e-4, abs=0.05
    )
    for units, storage in ((800, 1.6), (800, 0.2), (2000, 0.01)):
        assert pricing.exit_date(
            as_of, units, 20, 13.0, 10.0, storage, weekly_decline=0.15
        ) == pricing.exit_date(
            as_of,
            units,
            20,
            13.0,
            10.0,
            0.0,
            weekly_decline=0.15,
            holding_cost_per_unit_day=[storage / MONTH],
        )


def test_fading_sales_with_a_schedule_match_a_simulation() -> None:
    # 500 units selling 20 e^(-k t) a day (10% fewer a week) from Sep 1, storage 0.02 per
    # unit-day, 0.06 from Oct 1: the simulation follows the exponential path within each day.
    as_of = date(2027, 9, 1)
    k = math.log(1 / 0.9) / 7
    schedule = [0.02] * 30 + [0.06]
    line = pricing.exit_timeline(
        as_of, 500, 20, 10, 8, 0.0, weekly_decline=0.10, holding_cost_per_unit_day=schedule
    )
    end = math.ceil(-math.log(1 - 500 * k / 20) / k)
    future = _brute_force_storage(
        500, lambda s: 20 / k * (1 - math.exp(-k * s)), [[c] for c in schedule], [500], end, 50
    )
    # Within 0.1%, or a cent on the last days where little is left.
    assert line["future_storage"].to_numpy()[: end + 1] == pytest.approx(future, rel=1e-3, abs=0.01)


def test_schedule_input_errors() -> None:
    as_of = date(2026, 1, 1)
    with pytest.raises(InputError, match="cohort_units sum to 90"):
        pricing.exit_date(
            as_of,
            100,
            1,
            20,
            12,
            0.0,
            holding_cost_per_unit_day=[[0.1, 0.2]],
            cohort_units=[40, 50],
        )
    with pytest.raises(InputError, match="needs cohort_units"):
        pricing.exit_date(as_of, 100, 1, 20, 12, 0.0, holding_cost_per_unit_day=[[0.1, 0.2]])
    with pytest.raises(InputError, match="negative or missing"):
        pricing.exit_date(as_of, 100, 1, 20, 12, 0.0, holding_cost_per_unit_day=[0.1, -1])
    # Nothing sells: the scheduled storage runs forever -> exit now; a free schedule does not.
    assert pricing.exit_date(as_of, 100, 0, 20, 12, 0.0, holding_cost_per_unit_day=[0.1]) == as_of
    assert pricing.exit_date(as_of, 100, 0, 20, 12, 0.0, holding_cost_per_unit_day=[0.0]) is None
