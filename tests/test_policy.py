"""Inventory policy arithmetic (stockcycle.policy).

Values are checked by hand (worked out in the comments), against stockpyl (Snyder & Shen's
reference implementation, an independent code base), by simulation with a fixed seed, or by
a plain day-by-day loop. Property tests (hypothesis) pin the directions a seller relies on.
"""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.stats import norm
from stockpyl.eoq import economic_order_quantity as stockpyl_eoq
from stockpyl.loss_functions import standard_normal_loss as stockpyl_loss
from stockpyl.newsvendor import newsvendor_normal as stockpyl_newsvendor
from stockpyl.rq import r_q_eoqss_approximation

from stockcycle import policy
from stockcycle.errors import InputError

FAST = settings(max_examples=100, deadline=None)
START = date(2026, 11, 1)


# --------------------------------------------------------------------------- z_score


def test_95_percent_service_level_is_z_1_645():
    assert policy.z_score(0.95) == pytest.approx(1.6449, abs=1e-4)  # normal table
    assert policy.z_score(0.5) == pytest.approx(0.0, abs=1e-12)
    assert policy.z_score(0.841345) == pytest.approx(1.0, abs=1e-5)  # Phi(1) = 0.841345


def test_low_service_level_mirrors_high_one():
    assert policy.z_score(0.05) == pytest.approx(-policy.z_score(0.95))


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, float("nan"), "high"])
def test_service_level_outside_0_1_is_refused_naming_the_setting(bad):
    with pytest.raises(InputError) as err:
        policy.z_score(bad)
    assert err.value.column == "service_level"


# --------------------------------------------------------------------------- standard_normal_loss


def test_loss_at_zero_is_the_normal_density_at_zero():
    assert policy.standard_normal_loss(0.0) == pytest.approx(1 / math.sqrt(2 * math.pi))


@pytest.mark.parametrize("z", [-4.0, -1.5, -0.3, 0.0, 0.5, 1.3, 2.0, 3.5, 6.0])
def test_loss_function_matches_stockpyl(z):
    assert policy.standard_normal_loss(z) == pytest.approx(stockpyl_loss(z)[0], rel=1e-9, abs=1e-15)


def test_loss_function_table_value_at_1_3():
    # Snyder & Shen's worked example: L(1.3) = 0.04553
    assert policy.standard_normal_loss(1.3) == pytest.approx(0.045528, abs=1e-6)


@FAST
@given(st.floats(min_value=-6, max_value=6))
def test_loss_of_z_minus_loss_of_minus_z_is_minus_z(z):
    # L(z) - L(-z) = -z follows from E[(Z - z)+] - E[(z - Z)+] = E[Z] - z.
    assert policy.standard_normal_loss(z) - policy.standard_normal_loss(-z) == pytest.approx(
        -z, abs=1e-9
    )


# --------------------------------------------------------------------------- safety_stock


def test_safety_stock_for_steady_lead_time_by_hand():
    # sigma_LT = 5 x sqrt(30) = 27.386; SS = 1.64485 x 27.386 = 45.05
    ss = policy.safety_stock(20, 5, 30, service_level=0.95)
    assert ss.sd_lead_time_demand == pytest.approx(27.386, abs=1e-3)
    assert ss.units == pytest.approx(45.05, abs=0.01)
    assert ss.method == "cycle service level"


def test_safety_stock_with_variable_lead_time_by_hand():
    # sigma_LT = sqrt(30 x 25 + 400 x 25) = sqrt(10,750) = 103.68; SS = 1.64485 x 103.68 = 170.54
    ss = policy.safety_stock(20, 5, 30, sd_lead_time_days=5, service_level=0.95)
    assert ss.sd_lead_time_demand == pytest.approx(103.68, abs=0.01)
    assert ss.units == pytest.approx(170.54, abs=0.01)


def test_95_percent_safety_stock_runs_out_in_about_5_percent_of_cycles():
    # R-L4: stockout probability <= 5%. Simulate 30 days of normal daily demand many times.
    d, sd, lead = 20.0, 6.0, 30
    ss = policy.safety_stock(d, sd, lead, service_level=0.95)
    rng = np.random.default_rng(7)
    lead_time_demand = rng.normal(d, sd, size=(40_000, lead)).sum(axis=1)
    stockouts = (lead_time_demand > d * lead + ss.units).mean()
    assert stockouts == pytest.approx(0.05, abs=0.004)


def test_service_level_below_half_gives_no_safety_stock():
    assert policy.safety_stock(20, 5, 30, service_level=0.3).units == 0.0


def test_safety_stock_explain_shows_formula_numbers_and_rule():
    text = policy.safety_stock(20, 5, 30, sd_lead_time_days=5).explain()
    assert "sqrt(30 x 5^2 + 20^2 x 5^2)" in text
    assert "1.645 x 103.7 = 170.5 units" in text
    assert "R-L4" in text


def test_safety_stock_result_serialises_to_json():
    data = policy.safety_stock(20, 5, 30).to_dict()
    assert json.loads(json.dumps(data))["units"] == pytest.approx(45.05, abs=0.01)


@pytest.mark.parametrize(
    "kwargs, column",
    [
        ({"daily_demand": -1}, "daily_demand"),
        ({"sd_daily_demand": -2}, "sd_daily_demand"),
        ({"lead_time_days": float("nan")}, "lead_time_days"),
        ({"service_level": 95}, "service_level"),
    ],
)
def test_bad_safety_stock_inputs_name_the_parameter(kwargs, column):
    args = {"daily_demand": 20, "sd_daily_demand": 5, "lead_time_days": 30, **kwargs}
    with pytest.raises(InputError) as err:
        policy.safety_stock(**args)
    assert err.value.column == column


demand = st.floats(min_value=0, max_value=1_000)
spread = st.floats(min_value=0, max_value=300)
days = st.floats(min_value=0, max_value=200)
levels = st.floats(min_value=0.01, max_value=0.999)


@FAST
@given(demand, spread, days, days, st.floats(0, 30), levels)
def test_more_lead_time_never_lowers_safety_stock(d, sd, lead_a, lead_b, sd_lead, level):
    short, long = sorted((lead_a, lead_b))
    assert (
        policy.safety_stock(d, sd, short, sd_lead, level).units
        <= policy.safety_stock(d, sd, long, sd_lead, level).units + 1e-9
    )


@FAST
@given(demand, spread, days, st.floats(0, 30), levels, levels)
def test_higher_service_level_never_lowers_safety_stock(d, sd, lead, sd_lead, level_a, level_b):
    low, high = sorted((level_a, level_b))
    assert (
        policy.safety_stock(d, sd, lead, sd_lead, low).units
        <= policy.safety_stock(d, sd, lead, sd_lead, high).units + 1e-9
    )


# --------------------------------------------------------------------------- fill_rate_safety_stock


def test_fill_rate_safety_stock_solves_the_loss_equation():
    # sigma_LT = 20 x sqrt(25) = 100; L(z) = 0.02 x 500 / 100 = 0.1 -> z = 0.90 (table: L(0.90)
    # = 0.1004, L(0.91) = 0.0986), SS = about 90 units.
    ss = policy.fill_rate_safety_stock(10, 20, 25, order_quantity=500, fill_rate=0.98)
    assert ss.sd_lead_time_demand == pytest.approx(100.0)
    assert 0.90 < ss.z < 0.91
    assert stockpyl_loss(ss.z)[0] == pytest.approx(0.1, abs=1e-8)
    assert ss.units == pytest.approx(ss.z * 100.0)
    assert ss.method == "fill rate"


def test_fill_rate_is_met_in_simulation():
    # Expected units short per cycle / Q = 1 - fill rate, with lead-time demand simulated.
    d, sd, lead, q = 20.0, 8.0, 30, 400.0
    ss = policy.fill_rate_safety_stock(d, sd, lead, order_quantity=q, fill_rate=0.97)
    rng = np.random.default_rng(11)
    lead_time_demand = rng.normal(d, sd, size=(40_000, lead)).sum(axis=1)
    short = np.maximum(lead_time_demand - (d * lead + ss.units), 0).mean()
    assert 1 - short / q == pytest.approx(0.97, abs=0.002)


def test_large_orders_give_negative_safety_stock_and_say_so():
    ss = policy.fill_rate_safety_stock(20, 5, 30, order_quantity=20_000, fill_rate=0.98)
    # L(z) = 0.02 x 20,000 / 27.39 = 14.6 -> z about -14.6: SS about -(1 - 0.98) x Q = -400
    assert ss.units == pytest.approx(-400, abs=1)
    assert "negative" in ss.explain()


def test_known_demand_reaches_the_fill_rate_by_losing_2_percent_of_each_order():
    # no variability: reorder (1 - 0.98) x 600 = 12 units below 20 x 30 and lose 12 per cycle
    ss = policy.fill_rate_safety_stock(20, 0, 30, order_quantity=600, fill_rate=0.98)
    assert ss.units == pytest.approx(-12)
    assert "-12 units" in ss.explain()
    assert json.loads(json.dumps(ss.to_dict()))["z"] is None


def test_tiny_variability_approaches_the_known_demand_answer():
    ss = policy.fill_rate_safety_stock(20, 1e-6, 30, order_quantity=600, fill_rate=0.98)
    assert ss.units == pytest.approx(-12, abs=1e-3)


def test_fill_rate_explain_shows_the_loss_equation():
    text = policy.fill_rate_safety_stock(10, 20, 25, order_quantity=500).explain()
    assert "(1 - 0.98) x 500 / 100 = 0.1000" in text
    assert "R-G2" in text


@FAST
@given(demand, spread, days, st.floats(1, 20_000), st.floats(0.5, 0.999), st.floats(0.5, 0.999))
def test_higher_fill_rate_never_lowers_safety_stock(d, sd, lead, q, rate_a, rate_b):
    low, high = sorted((rate_a, rate_b))
    assert (
        policy.fill_rate_safety_stock(d, sd, lead, q, low).units
        <= policy.fill_rate_safety_stock(d, sd, lead, q, high).units + 1e-6
    )


@FAST
@given(demand, spread, days, days, st.floats(1, 20_000), st.floats(0.5, 0.999))
def test_more_lead_time_never_lowers_fill_rate_safety_stock(d, sd, lead_a, lead_b, q, rate):
    short, long = sorted((lead_a, lead_b))
    assert (
        policy.fill_rate_safety_stock(d, sd, short, q, rate).units
        <= policy.fill_rate_safety_stock(d, sd, long, q, rate).units + 1e-6
    )


# --------------------------------------------------------------------------- quantile_safety_stock


def test_quantile_safety_stock_is_quantile_minus_mean():
    ss = policy.quantile_safety_stock(700, 600, 0.95, lead_time_days=30)
    assert ss.units == 100
    assert ss.daily_demand == 20
    assert ss.method == "forecast quantile"
    assert "700 - 600 = 100 units" in ss.explain()


def test_quantile_below_mean_gives_no_safety_stock():
    ss = policy.quantile_safety_stock(550, 600, 0.95)
    assert ss.units == 0.0
    assert "550 - 600 = -50, floored at 0 = 0 units" in ss.explain()


def test_quantile_safety_stock_serialises_unknown_fields_as_null():
    data = json.loads(json.dumps(policy.quantile_safety_stock(700, 600, 0.95).to_dict()))
    assert data["sd_daily_demand"] is None
    assert data["units"] == 100


# --------------------------------------------------------------------------- levels


def test_two_channels_with_30_day_lead_time_reorder_at_750():
    # R-A4: 20/day Amazon + 5/day own site, 30 days lead time, before safety stock.
    assert policy.reorder_point(20 + 5, 30, 0) == 750


def test_reorder_point_adds_safety_stock():
    assert policy.reorder_point(20, 30, 45) == 645


def test_order_up_to_level_covers_lead_time_and_review_period():
    # S = 20 x (30 + 7) + 50 = 790
    assert policy.order_up_to_level(20, 30, 7, 50) == 790


def test_low_stock_threshold_from_30_day_sales():
    # R-A1: 600 sold in 30 days = 20/day, 30-day lead time, factor 1.2 -> 720
    assert policy.low_stock_threshold(600, 30, 1.2) == pytest.approx(720)


def test_days_of_cover():
    assert policy.days_of_cover(100, 20) == 5
    assert policy.days_of_cover(100, 0) == math.inf
    assert policy.days_of_cover(0, 20) == 0


def test_total_lead_time_adds_every_leg():
    # 30 production + 35 sea + 5 truck + 5 receiving
    assert policy.total_lead_time(30, (35, 5), receiving_days=5) == 75


def test_negative_transit_leg_is_refused():
    with pytest.raises(InputError) as err:
        policy.total_lead_time(30, (35, -5))
    assert err.value.column == "transit_days"


# --------------------------------------------------------------------------- projected_stock


def _loop_projection(on_hand, demand, arrivals_by_day):
    stock, out_stock, out_lost = on_hand, [], []
    for t, dem in enumerate(demand):
        available = stock + arrivals_by_day.get(t, 0.0)
        served = min(available, dem)
        out_lost.append(dem - served)
        stock = available - served
        out_stock.append(stock)
    return out_stock, out_lost


def test_projection_by_hand_with_an_arrival():
    # 100 on hand, 30/day, 50 arrive on day 3: 70, 40, 60, 30, 0 -> out on day 5.
    arrivals = pd.DataFrame({"date": [START + timedelta(days=2)], "units": [50]})
    proj = policy.projected_stock(START, 100, [30] * 6, arrivals)
    assert list(proj.columns) == ["date", "demand", "arrivals", "stock", "lost_units"]
    assert proj["stock"].tolist() == [70, 40, 60, 30, 0, 0]
    assert proj["lost_units"].tolist() == [0, 0, 0, 0, 0, 30]
    assert policy.stockout_date(proj) == START + timedelta(days=4)


def test_projection_loses_sales_until_stock_arrives():
    # 50 on hand, 30/day, 100 arrive on day 4: 20, 0 (10 lost), 0 (30 lost), 70, 40.
    arrivals = pd.DataFrame({"date": [START + timedelta(days=3)], "units": [100]})
    proj = policy.projected_stock(START, 50, [30] * 5, arrivals)
    assert proj["stock"].tolist() == [20, 0, 0, 70, 40]
    assert proj["lost_units"].tolist() == [0, 10, 30, 0, 0]
    assert policy.stockout_date(proj) == START + timedelta(days=1)


def test_300_units_at_20_a_day_run_out_after_15_days():
    proj = policy.projected_stock(START, 300, [20.0] * 90)
    assert policy.stockout_date(proj) == date(2026, 11, 15)


def test_no_stockout_within_the_forecast_gives_none():
    assert policy.stockout_date(policy.projected_stock(START, 1_000, [5.0] * 30)) is None


def test_overdue_arrivals_count_on_the_first_day_and_late_ones_are_left_out():
    arrivals = pd.DataFrame(
        {"date": [START - timedelta(days=3), START + timedelta(days=40)], "units": [40, 999]}
    )
    proj = policy.projected_stock(START, 0, [10.0] * 10, arrivals)
    assert proj["arrivals"].sum() == 40
    assert proj["stock"].iloc[0] == 30


def test_projection_accepts_a_dated_forecast_starting_the_next_day():
    forecast = pd.Series(
        [10.0, 12.0, 14.0], index=pd.date_range(START + timedelta(days=1), periods=3)
    )
    proj = policy.projected_stock(START, 100, forecast)
    assert proj["date"].dt.date.tolist() == [START + timedelta(days=i) for i in range(4)]
    # the start day takes the first forecast value
    assert proj["demand"].tolist() == [10, 10, 12, 14]
    assert proj["stock"].iloc[-1] == 100 - 46


def test_bad_arrival_row_is_named():
    arrivals = pd.DataFrame({"date": [START, "soon"], "units": [10, 10]})
    with pytest.raises(InputError) as err:
        policy.projected_stock(START, 0, [1.0] * 5, arrivals)
    assert (err.value.row, err.value.column) == (3, "date")


def test_negative_demand_in_the_forecast_is_refused():
    with pytest.raises(InputError) as err:
        policy.projected_stock(START, 10, [1.0, -2.0])
    assert err.value.column == "daily_demand"


arrival_lists = st.lists(st.tuples(st.integers(-3, 70), st.floats(0, 500)), max_size=5)


@FAST
@given(
    st.floats(0, 2_000),
    st.lists(st.floats(0, 100), min_size=1, max_size=60),
    arrival_lists,
)
def test_projection_matches_a_day_by_day_loop(on_hand, demand, arrivals):
    frame = pd.DataFrame(
        {
            "date": [START + timedelta(days=o) for o, _ in arrivals],
            "units": [u for _, u in arrivals],
        }
    )
    by_day: dict[int, float] = {}
    for offset, units in arrivals:
        by_day[max(offset, 0)] = by_day.get(max(offset, 0), 0.0) + units
    stock, lost = _loop_projection(on_hand, demand, by_day)
    proj = policy.projected_stock(START, on_hand, demand, frame)
    np.testing.assert_allclose(proj["stock"], stock, atol=1e-6)
    np.testing.assert_allclose(proj["lost_units"], lost, atol=1e-6)


@FAST
@given(
    st.floats(0, 2_000),
    st.floats(0, 2_000),
    st.lists(st.floats(0, 100), min_size=1, max_size=60),
    arrival_lists,
)
def test_more_on_hand_never_brings_the_stockout_earlier(a, b, demand, arrivals):
    low, high = sorted((a, b))
    frame = pd.DataFrame(
        {
            "date": [START + timedelta(days=o) for o, _ in arrivals],
            "units": [u for _, u in arrivals],
        }
    )
    out_low = policy.stockout_date(policy.projected_stock(START, low, demand, frame))
    out_high = policy.stockout_date(policy.projected_stock(START, high, demand, frame))
    if out_low is None:
        assert out_high is None
    elif out_high is not None:
        assert out_high >= out_low


# --------------------------------------------------------------------------- order_by_date


def test_order_by_date_subtracts_lead_time_and_review_period():
    # 31 Dec - (75 + 7) days = 10 Oct
    assert policy.order_by_date(date(2026, 12, 31), 75, 7) == date(2026, 10, 10)


def test_fractional_lead_time_orders_a_day_early_not_late():
    assert policy.order_by_date(date(2026, 12, 31), 74.5) == date(2026, 10, 17)


# ------------------------------------------------------------------------- economic_order_quantity


def test_eoq_matches_stockpyl_book_example():
    q, cost = policy.economic_order_quantity(8, 0.225, 1300)
    assert (q, cost) == pytest.approx((304.0468, 68.4105), abs=1e-4)


def test_eoq_by_hand_with_default_settings():
    # K = 150 per order, h = 0.25/yr x 10 = 2.5, D = 25/day x 365 = 9,125/yr:
    # Q* = sqrt(2 x 150 x 9,125 / 2.5) = sqrt(1,095,000) = 1,046.4
    q, cost = policy.economic_order_quantity(150, 2.5, 9_125)
    assert q == pytest.approx(1046.42, abs=0.01)
    # at Q*, ordering cost K D / Q equals holding cost h Q / 2, and they sum to g*
    assert 150 * 9_125 / q == pytest.approx(2.5 * q / 2)
    assert cost == pytest.approx(150 * 9_125 / q + 2.5 * q / 2)


@FAST
@given(st.floats(0.01, 1e4), st.floats(0.01, 100), st.floats(0, 1e6))
def test_eoq_matches_stockpyl(k, h, d):
    ours = policy.economic_order_quantity(k, h, d)
    theirs = stockpyl_eoq(k, h, d)
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-9)


def test_eoq_needs_a_positive_holding_cost():
    with pytest.raises(InputError) as err:
        policy.economic_order_quantity(150, 0, 1000)
    assert err.value.column == "holding_cost"


# --------------------------------------------------------------------------- newsvendor


def test_newsvendor_matches_stockpyl_book_example():
    q, cost = policy.newsvendor_normal(0.18, 0.70, 50, 8)
    assert (q, cost) == pytest.approx((56.6040, 1.9976), abs=1e-4)


@FAST
@given(st.floats(0.01, 100), st.floats(0.01, 100), st.floats(0.01, 1e5), st.floats(0.01, 1e4))
def test_newsvendor_matches_stockpyl(h, p, mean, sd):
    q, cost = policy.newsvendor_normal(h, p, mean, sd)
    sq, scost = stockpyl_newsvendor(h, p, mean, sd)
    assert q == pytest.approx(float(sq), rel=1e-9, abs=1e-6)
    assert cost == pytest.approx(float(scost), rel=1e-9, abs=1e-6)


def test_critical_ratio_by_hand():
    # margin 18 lost per unit short, 8 lost per unit left over: 18 / 26 = 0.6923
    assert policy.critical_ratio(18, 8) == pytest.approx(0.6923, abs=1e-4)


def test_launch_buy_uses_margin_and_overstock_cost():
    # price 30, landed 12, salvage 4: cu = 18, co = 8; same quantity as stockpyl with h = 8, p = 18
    nv = policy.launch_newsvendor(30, 12, 4, mean_demand_units=2_000, sd_demand_units=500)
    assert (nv.underage_cost, nv.overage_cost) == (18, 8)
    assert nv.critical_ratio == pytest.approx(18 / 26)
    assert nv.q == pytest.approx(float(stockpyl_newsvendor(8, 18, 2_000, 500)[0]))
    assert nv.units == math.ceil(nv.q)


def test_launch_buy_expected_profit_matches_numerical_integration():
    nv = policy.launch_newsvendor(30, 12, 4, mean_demand_units=2_000, sd_demand_units=500)

    def profit(x: float) -> float:
        sold = min(x, nv.q)  # the normal model, negative tail included (P = 3e-5 here)
        return (18 * sold - 8 * (nv.q - sold)) * norm.pdf(x, 2_000, 500)

    expected, _ = integrate.quad(profit, 2_000 - 12 * 500, 2_000 + 12 * 500, points=[nv.q])
    assert nv.expected_profit == pytest.approx(expected, rel=1e-6)
    assert nv.expected_sales_units + nv.expected_leftover_units == pytest.approx(nv.q)


def test_launch_buy_explain_shows_the_critical_ratio():
    text = policy.launch_newsvendor(30, 12, 4, 2_000, 500).explain()
    assert "18.00 / (18.00 + 8.00) = 0.692" in text


def test_price_below_landed_cost_is_refused():
    with pytest.raises(InputError) as err:
        policy.launch_newsvendor(10, 12, 4, 2_000, 500)
    assert err.value.column == "price"


# --------------------------------------------------------------------------- r_q_policy


def test_r_q_matches_stockpyl_book_example():
    # Snyder & Shen example 5.5: lambda = 1300/yr, tau = 150, L = 1/12 yr
    r, q = policy.r_q_policy(8, 0.225, 7.5, 1300 / 12, 150 * math.sqrt(1 / 12), 1300)
    assert (r, q) == pytest.approx((190.3370, 304.0468), abs=1e-4)


@FAST
@given(
    st.floats(0.1, 1e3),
    st.floats(0.01, 10),
    st.floats(0.1, 100),
    st.floats(0.01, 1e4),
    st.floats(0.01, 1e3),
    st.floats(0.01, 2),
)
def test_r_q_matches_stockpyl(k, h, p, rate, sd, lead):
    ours = policy.r_q_policy(k, h, p, rate * lead, sd * math.sqrt(lead), rate)
    theirs = r_q_eoqss_approximation(h, p, k, rate, sd, lead)
    assert ours == pytest.approx(tuple(float(x) for x in theirs), rel=1e-9, abs=1e-6)


# --------------------------------------------------------------------------- round_order


def test_order_rounds_up_to_whole_cases():
    assert policy.round_order(2_251, case_pack=24) == 2_256  # 94 cases
    assert policy.round_order(2_250) == 2_250
    assert policy.round_order(2_250.2) == 2_251


def test_order_below_moq_is_raised_to_the_moq_in_whole_cases():
    assert policy.round_order(10, case_pack=24, moq=1_000) == 1_008  # 42 cases
    assert policy.round_order(2_000, case_pack=24, moq=1_000) == 2_016


def test_no_order_stays_no_order_even_with_an_moq():
    assert policy.round_order(0, case_pack=24, moq=500) == 0
    assert policy.round_order(-30, case_pack=24, moq=500) == 0


def test_float_dust_is_no_order_even_with_an_moq():
    # 1e-18 units (S - position for a forecast that decayed to 1e-20/day) is no order: the
    # MOQ raises an order, it does not create one. A millionth of a case is still a case.
    assert policy.round_order(1e-18, case_pack=12, moq=200) == 0
    assert policy.round_order(1e-18) == 0
    assert policy.round_order(1e-5, case_pack=12, moq=200) == 204


def test_blank_case_pack_means_single_units():
    assert policy.round_order(7.2, case_pack=float("nan"), moq=float("nan")) == 8


def test_fractional_case_pack_is_refused():
    with pytest.raises(InputError) as err:
        policy.round_order(100, case_pack=12.5)
    assert err.value.column == "case_pack"


# --------------------------------------------------------------------------- launch_order


def test_seed_launch_example_gives_2250_and_3375():
    # R-L3: peers 50/day x lift 1.5 = 75/day; 30 days = 2,250; + 15 days = 1,125 -> 3,375
    order = policy.launch_order(50)
    assert order.expected_daily_sales == 75
    assert order.cycle_stock_units == 2_250
    assert order.safety_stock_units == 1_125
    assert order.total_units == 3_375


def test_launch_order_is_split_70_30():
    # R-L5: 70% of 3,375 = 2,362.5 -> 2,363; the remaining 1,012
    order = policy.launch_order(50)
    assert (order.first_order_units, order.follow_up_units) == (2_363, 1_012)


def test_launch_split_rounds_both_orders_to_cases():
    # 2,362.5 -> 197 cases of 12 = 2,364; 3,375 - 2,364 = 1,011 -> 85 cases = 1,020
    order = policy.launch_order(50, case_pack=12)
    assert (order.first_order_units, order.follow_up_units) == (2_364, 1_020)


def test_launch_order_explain_shows_the_seed_numbers():
    text = policy.launch_order(50).explain()
    assert "50 x 1.5 = 75 units/day" in text
    assert "2,250 + 1,125 = 3,375 units" in text
    assert "70% x 3,375 = 2,362.5 -> 2,363 units" in text
    assert "R-L3" in text and "R-L5" in text


def test_launch_order_serialises_to_json():
    data = json.loads(json.dumps(policy.launch_order(50).to_dict()))
    assert data["first_order_units"] == 2_363


def test_negative_peer_sales_is_refused():
    with pytest.raises(InputError) as err:
        policy.launch_order(-5)
    assert err.value.column == "peer_daily_sales"


# --------------------------------------------------------------------------- split_deliveries


def test_1000_units_in_3_shipments():
    # R-G4: 334 + 333 + 333; at 20/day the first lasts 16.7 days, the second 16.65.
    plan = policy.split_deliveries(1_000, 3, 20, START)
    assert plan["units"].tolist() == [334, 333, 333]
    assert plan["delivery"].tolist() == [1, 2, 3]
    assert plan["arrival"].tolist() == [START, date(2026, 11, 17), date(2026, 12, 4)]
    assert plan["covers_days"].tolist() == pytest.approx([16.7, 16.65, 16.65])


def test_split_deliveries_keep_whole_cases():
    # 1,000 -> 42 cases of 24 = 1,008 -> 14 cases each
    plan = policy.split_deliveries(1_000, 3, 20, START, case_pack=24)
    assert plan["units"].tolist() == [336, 336, 336]


def test_split_deliveries_never_list_empty_or_same_day_deliveries():
    # 24 units in cases of 12 make 2 cases: 3 shipments cannot all carry a case. At 5/day a
    # case lasts 2.4 days: 12 on day 0, 12 on day 2, and no third delivery of 0 units.
    plan = policy.split_deliveries(24, 3, 5, START, case_pack=12)
    assert plan["units"].tolist() == [12, 12]
    assert plan["arrival"].tolist() == [START, START + timedelta(days=2)]
    # At 20/day a case lasts 0.6 days: both would land on day 0, so they are one delivery.
    plan = policy.split_deliveries(24, 3, 20, START, case_pack=12)
    assert plan["units"].tolist() == [24] and plan["delivery"].tolist() == [1]
    assert plan["arrival"].tolist() == [START]
    # Nothing to order: no delivery at all.
    assert policy.split_deliveries(0, 3, 20, START).empty


def test_split_deliveries_need_demand_to_space_them():
    with pytest.raises(InputError) as err:
        policy.split_deliveries(1_000, 3, 0, START)
    assert err.value.column == "daily_demand"


@pytest.mark.parametrize("daily", [1e-20, 1e-300, 5e-324])
def test_split_deliveries_of_almost_no_demand_stay_within_a_year(daily):
    # A forecast decayed to ~0 with an MOQ forcing 300 units: the second delivery would come
    # 100 / 1e-20 = 1e22 days later (pd.Timedelta overflowed: OutOfBoundsTimedelta). No
    # delivery is scheduled more than MAX_DELIVERY_SPREAD_DAYS after the first (R-G4); the
    # ones that would come later arrive together on that day. 5e-324 makes units / d infinite.
    plan = policy.split_deliveries(300, 3, daily, START)
    last = START + timedelta(days=policy.MAX_DELIVERY_SPREAD_DAYS)
    assert plan["arrival"].tolist() == [START, last]
    assert plan["units"].tolist() == [100, 200]
    assert plan["delivery"].tolist() == [1, 2]
    assert (plan["covers_days"] > policy.MAX_DELIVERY_SPREAD_DAYS).all()


def test_split_deliveries_cap_only_the_deliveries_past_a_year():
    # 1 unit/day, 900 units in 3: days 0, 300 and 600 -> the third lands on day 365.
    plan = policy.split_deliveries(900, 3, 1.0, START)
    assert plan["arrival"].tolist() == [
        START,
        START + timedelta(days=300),
        START + timedelta(days=policy.MAX_DELIVERY_SPREAD_DAYS),
    ]
    assert plan["units"].tolist() == [300, 300, 300]
    # A Timestamp first arrival gives plain dates too, as a date does.
    stamped = policy.split_deliveries(900, 3, 1.0, pd.Timestamp(START))
    assert stamped["arrival"].tolist() == plan["arrival"].tolist()


@given(
    st.floats(1, 1e7),
    st.integers(1, 12),
    st.floats(5e-324, 1e6),
    st.sampled_from([None, 1, 6, 24, 500]),
)
@settings(max_examples=200, deadline=None)
def test_split_deliveries_keep_every_unit_within_the_bound(total, shipments, daily, pack):
    plan = policy.split_deliveries(total, shipments, daily, START, case_pack=pack)
    arrivals = plan["arrival"].tolist()
    assert arrivals[0] == START
    assert arrivals == sorted(set(arrivals))  # one delivery per day, in order
    assert arrivals[-1] <= START + timedelta(days=policy.MAX_DELIVERY_SPREAD_DAYS)
    assert plan["units"].sum() == policy.round_order(total, pack)
    assert len(plan) <= shipments


# --------------------------------------------------------------------------- shipment_split_costs


def test_three_shipments_are_cheapest_for_the_seed_example():
    # 1,000 units at 20/day last 50 days. At k = 1: 500 units held on average;
    # holding 500 x 10 x 0.25 x 50 / 365 = 171.23, storage 500 x 0.78 x 50 / 30.42 = 641.10,
    # one shipment 90 -> 902.33. Cost per k = 812.33 / k + 90 k, least at k = 3 (540.78).
    costs = policy.shipment_split_costs(1_000, 20, 10, 0.25, 0.78, 90)
    first = costs.iloc[0]
    assert first["holding_cost"] == pytest.approx(171.23, abs=0.01)
    assert first["storage_cost"] == pytest.approx(641.10, abs=0.01)
    assert first["total_cost"] == pytest.approx(902.33, abs=0.01)
    assert costs.loc[costs["best"], "shipments"].tolist() == [3]
    assert costs.loc[costs["shipments"] == 3, "total_cost"].item() == pytest.approx(
        540.78, abs=0.01
    )
    assert costs["cash_tied_up"].tolist() == pytest.approx([5_000 / k for k in range(1, 7)])


def test_free_shipments_favour_the_most_deliveries():
    costs = policy.shipment_split_costs(1_000, 20, 10, 0.25, 0.78, 0, max_shipments=4)
    assert costs.loc[costs["best"], "shipments"].tolist() == [4]


# --------------------------------------------------------------------------- compare_shipping


def _air_sea(on_hand: float) -> pd.DataFrame:
    return policy.compare_shipping(
        1_000, 20, 6, on_hand, START, 15, {"air": (10, 2.5), "sea": (40, 0.6)}, margin_per_unit=8
    )


def test_air_arrives_sooner_with_less_risk_and_sea_costs_less():
    # air: L = 25 days, demand 500 +- 30, z = (600 - 500) / 30 = 3.33 -> P = 0.0004
    # sea: L = 55 days, demand 1,100: 500 units short almost surely
    table = _air_sea(600).set_index("mode")
    assert table.loc["air", "arrival"] == date(2026, 11, 26)
    assert table.loc["sea", "arrival"] == date(2026, 12, 26)
    assert table.loc["air", "total_cost"] == 2_500
    assert table.loc["sea", "total_cost"] == 600
    assert table.loc["air", "stockout_probability"] == pytest.approx(0.000429, abs=1e-6)
    assert table.loc["sea", "stockout_probability"] == pytest.approx(1.0)
    assert table.loc["sea", "expected_lost_units"] == pytest.approx(500, abs=0.01)
    assert table.loc["sea", "lost_margin"] == pytest.approx(4_000, abs=0.1)


def test_shipping_stockout_risk_matches_simulation():
    # on hand 520 against 25 days of 20 +- 6 a day: P = 1 - Phi(20 / 30) = 0.2525
    table = _air_sea(520).set_index("mode")
    rng = np.random.default_rng(3)
    until_arrival = rng.normal(20, 6, size=(40_000, 25)).sum(axis=1)
    assert table.loc["air", "stockout_probability"] == pytest.approx(
        (until_arrival > 520).mean(), abs=0.007
    )
    assert table.loc["air", "expected_lost_units"] == pytest.approx(
        np.maximum(until_arrival - 520, 0).mean(), abs=0.3
    )


def test_shipping_option_explain_shows_z_and_names_r_l7():
    air = policy.shipping_options(
        1_000, 20, 6, 520, START, 15, {"air": (10, 2.5), "sea": (40, 0.6)}
    )[0]
    text = air.explain()
    assert "(520 - 500) / 30 = 0.67" in text
    assert "2026-11-26" in text and "R-L7" in text
    assert json.loads(json.dumps(air.to_dict()))["arrival"] == "2026-11-26"


def test_malformed_shipping_option_is_refused():
    with pytest.raises(InputError) as err:
        policy.compare_shipping(100, 5, 1, 50, START, 10, {"air": 7})
    assert err.value.column == "options"


# --------------------------------------------------------------------------- pooled_position


def _inventory() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "snapshot_date": ["2026-10-31"] * 5 + ["2026-10-01"],
            "sku": ["MAT", "MAT", "MAT", "MAT", "LID", "MAT"],
            "location": ["FBA", "WFS", "own site", "3PL", "FBA", "supplier"],
            "available": [100, 50, 20, 200, 10, 999],
            "inbound": [30, 0, None, 0, 5, 0],
            "reserved": [5, 1, 0, 0, 0, 0],
        }
    )


def test_stock_is_pooled_over_every_location():
    # MAT: 100 + 50 + 20 + 200 available + 6 reserved = 376 on hand, 30 inbound; the supplier
    # row only has an old snapshot, so it is still that location's latest figure.
    pooled = policy.pooled_position(_inventory()).set_index("sku")
    assert pooled.loc["MAT", "on_hand"] == 100 + 50 + 20 + 200 + 999 + 6
    assert pooled.loc["MAT", "inbound"] == 30
    assert pooled.loc["MAT", "position"] == pooled.loc["MAT", "on_hand"] + 30
    assert pooled.loc["MAT", "3PL"] == 200
    assert pooled.loc["LID", "WFS"] == 0
    assert pooled.loc["LID", "position"] == 15


def test_older_snapshot_of_the_same_location_is_ignored():
    inv = pd.concat(
        [
            _inventory(),
            pd.DataFrame(
                {
                    "snapshot_date": ["2026-09-30"],
                    "sku": ["MAT"],
                    "location": ["FBA"],
                    "available": [5_000],
                    "inbound": [0],
                    "reserved": [0],
                }
            ),
        ]
    )
    assert policy.pooled_position(inv).set_index("sku").loc["MAT", "FBA"] == 100


def test_reserved_units_can_be_left_out():
    pooled = policy.pooled_position(_inventory(), include_reserved=False).set_index("sku")
    assert pooled.loc["MAT", "on_hand"] == 100 + 50 + 20 + 200 + 999


def test_text_in_a_stock_column_names_the_row():
    inv = _inventory()
    inv["available"] = inv["available"].astype(object)
    inv.loc[2, "available"] = "lots"
    with pytest.raises(InputError) as err:
        policy.pooled_position(inv)
    assert (err.value.row, err.value.column) == (4, "available")


def test_inventory_without_a_location_column_is_refused():
    with pytest.raises(InputError) as err:
        policy.pooled_position(_inventory().drop(columns="location"))
    assert err.value.column == "location"
