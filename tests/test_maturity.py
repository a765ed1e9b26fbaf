"""The maturity service (``stockcycle.maturity``, R-M1..R-M5, R-K5, R-F1, R-F2) on hand-made
cases worked by hand, and on the sample workspace against the restock arithmetic it builds on.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
from datetime import date, timedelta
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from stockcycle import fees, maturity, restock
from stockcycle.maturity import MaturityChoices

#: The sample's data date (its last sales day and inventory snapshot).
DATA_DATE = date(2026, 10, 31)


@pytest.fixture(scope="module")
def inputs(sample_forecast_db, tmp_path_factory):
    """The sample's maturity inputs, read once for the module (a private copy of the
    workspace with a warm forecast cache)."""
    from stockcycle.store import DB_FILE, Workspace

    folder = tmp_path_factory.mktemp("maturity") / "sample"
    folder.mkdir()
    shutil.copyfile(sample_forecast_db, folder / DB_FILE)
    ws = Workspace.open(folder, create=False)
    return maturity.load_maturity(ws, today=DATA_DATE)


@pytest.fixture(scope="module")
def result(inputs):
    return maturity.plan_maturity(inputs, MaturityChoices.from_settings(inputs.settings))


# -- hand-made cases -----------------------------------------------------------------------------
def test_capacity_allocation_where_the_limit_binds():
    # 80 cubic feet of standard-size room this month. Three deliveries, worked by hand:
    #   A: 100 units x 0.5 cu ft = 50 cu ft, margin at risk 500 -> in whole, 30 cu ft left;
    #   B: 200 units x 0.25 = 50 cu ft, margin 300 -> 30 / 0.25 = 120 units in, 80 wait; it
    #      shipped already (arrival - 25 days transit = today) -> the cheaper of AWD (0.50)
    #      and 3PL (0.80): AWD, 80 x 0.25 x 0.50 = 10.00;
    #   C: 40 units x 1.0 = 40 cu ft, margin 100 -> no room left: 40 wait at AWD,
    #      40 x 1.0 x 0.50 = 20.00.
    # An oversize delivery has no limit entered: all in.
    today = date(2026, 11, 1)
    arrivals = pd.DataFrame(
        [
            ("C", 1, today + timedelta(days=10), "standard", 40, 1.0, 100.0),
            ("A", 1, today + timedelta(days=12), "standard", 100, 0.5, 500.0),
            ("B", 1, today + timedelta(days=25), "standard", 200, 0.25, 300.0),
            ("D", 1, today + timedelta(days=12), "oversize", 500, 2.0, 50.0),
        ],
        columns=["sku", "delivery", "arrival", "storage_class", "units", "cubic_feet",
                 "margin_at_risk"],
    )  # fmt: skip
    rates = {"AWD": 0.50, "3PL": 0.80, "supplier": 0.10}
    out = maturity.allocate_capacity(
        arrivals,
        {"standard": 80.0, "oversize": 0.0},
        rates,
        today,
        transit_days={"A": 5, "B": 25, "C": 40, "D": 5},
    ).set_index("sku")
    assert out.loc["A", "rank"] == 1 and out.loc["B", "rank"] == 2 and out.loc["C", "rank"] == 3
    assert out.loc["A", "admitted_units"] == 100 and out.loc["A", "waiting_units"] == 0
    assert out.loc["B", "admitted_units"] == 120 and out.loc["B", "waiting_units"] == 80
    assert out.loc["C", "admitted_units"] == 0 and out.loc["C", "waiting_units"] == 40
    assert out.loc["C", "wait_location"] == "AWD"
    assert out.loc["C", "wait_cost"] == pytest.approx(20.0)
    assert out.loc["B", "wait_location"] == "AWD"
    assert out.loc["B", "wait_cost"] == pytest.approx(10.0)
    assert out.loc["D", "admitted_units"] == 500 and out.loc["D", "wait_cost"] == 0
    # Everything admitted fits the limit.
    std = out[out["storage_class"] == "standard"]
    assert (std["admitted_units"] * std["cubic_feet"]).sum() <= 80.0 + 1e-9

    # The B delivery two months later (400 units, 100 cu ft, alone in its month) ships on
    # arrival - 40 days = today + 20: not shipped yet, so what does not fit waits at the
    # supplier: 320 units in (80 cu ft), 80 wait, 80 x 0.25 x 0.10 = 2.00.
    later = arrivals.copy()
    later.loc[later["sku"] == "B", "arrival"] = today + timedelta(days=60)
    later.loc[later["sku"] == "B", "units"] = 400
    out2 = maturity.allocate_capacity(
        later, {"standard": 80.0}, rates, today, transit_days={"B": 40}
    ).set_index("sku")
    assert out2.loc["B", "admitted_units"] == 320
    assert out2.loc["B", "wait_location"] == "supplier"
    assert out2.loc["B", "wait_cost"] == pytest.approx(80 * 0.25 * 0.10)


def test_no_capacity_limit_lets_everything_in():
    arrivals = pd.DataFrame(
        [("A", 1, date(2026, 12, 1), "standard", 10_000, 1.0, 5.0)],
        columns=["sku", "delivery", "arrival", "storage_class", "units", "cubic_feet",
                 "margin_at_risk"],
    )  # fmt: skip
    out = maturity.allocate_capacity(arrivals, {}, {}, date(2026, 11, 1))
    assert out["admitted_units"].tolist() == [10_000]
    assert out["waiting_units"].tolist() == [0]


def test_low_inventory_fee_on_a_line_worked_by_hand():
    # History: 150 units on hand, 10 shipped a day -> 15 days of supply over 30 and 90 days.
    # Five days ahead at 150 units with 10 a day demand: both measures stay at 15 days, under
    # 28; band 14-20 days of a large standard product = 0.70 a unit (fee table) -> 5 x 10 x
    # 0.70 = 35.00. The product sold 70 units in 7 days: not exempt.
    table = fees.load_fee_table()
    stock = np.full(5, 150.0)
    demand = np.full(5, 10.0)
    fee = maturity.low_inventory_fee_on_line(stock, demand, "Large standard", 70, table, 150, 10)
    assert fee == pytest.approx(35.0)
    # Small standard: 0.63 a unit in the same band.
    small = maturity.low_inventory_fee_on_line(stock, demand, "Small standard", 70, table, 150, 10)
    assert small == pytest.approx(5 * 10 * 0.63)
    # Under 20 units in 7 days: exempt.
    assert maturity.low_inventory_fee_on_line(stock, demand, None, 19, table, 150, 10) == 0.0
    # With 300 on hand (30 days of supply) nothing is charged.
    high = np.full(5, 300.0)
    assert maturity.low_inventory_fee_on_line(high, demand, None, 70, table, 300, 10) == 0.0


def test_event_buffer_covers_the_days_before_each_event():
    """The event threshold's buffer (R-M2: +30% from 7 days before) is on from 7 days before
    each event through the event day, and nowhere without events."""
    days = pd.date_range("2026-11-01", periods=30, freq="D")
    mask = maturity.event_buffer_mask(days, [pd.Timestamp("2026-11-27")], 7)
    on = [d.day for d, m in zip(days, mask, strict=True) if m]
    assert on == list(range(20, 28))  # 7 days before through the event day
    assert not maturity.event_buffer_mask(days, [], 7).any()


def test_corridor_position_words():
    assert maturity.corridor_position(10, 20, 15, 0, 28, 154) == maturity.BELOW
    assert maturity.corridor_position(10, 40, 15, 0, 28, 154) == maturity.INSIDE
    assert maturity.corridor_position(60, 60, 200, 0, 28, 154) == maturity.ABOVE
    assert maturity.corridor_position(60, 60, 60, 5, 28, 154) == maturity.AGED
    # FIFO: 100 units aged 181+ and 300 aged 91-180; 250 sold in 90 days take the 100 old
    # ones and 150 of the others: 150 reach 181 days unsold.
    assert maturity.aged_ahead(300, 100, 250) == (100, 150)


def test_tight_ordering_cost_makes_the_eoq_one_review_period():
    # K = h c d R^2 / 730: EOQ = sqrt(2 K 365 d / (h c)) = d R.
    k = maturity.tight_ordering_cost(12.0, 4.0, 7, 0.25)
    assert k == pytest.approx(0.25 * 4.0 * 12.0 * 49 / 730)
    eoq = math.sqrt(2 * k * 365 * 12.0 / (0.25 * 4.0))
    assert eoq == pytest.approx(12.0 * 7)
    assert restock.order_cycle_days(12.0, 4.0, 7, k, 0.25) == 7


# -- the sample ----------------------------------------------------------------------------------
def test_maturity_skus_are_the_sample_maturity_stage(inputs):
    stages = inputs.stages
    want = set(stages.loc[stages["stage"] == "maturity", "sku"])
    assert set(inputs.supplies) == want
    assert len(want) == 21
    assert inputs.as_of == DATA_DATE


def test_thresholds_against_the_formula(inputs):
    choices = MaturityChoices.from_settings(inputs.settings)
    table = maturity.thresholds(inputs, choices).table.set_index("sku")
    z = NormalDist().inv_cdf(0.95)
    for sku, s in inputs.supplies.items():
        lead = s.lead_time_days + s.transit_days["sea"] + s.receiving_days
        cycle = math.ceil(lead) + 7
        d = s.daily_demand
        ss = z * math.sqrt(cycle * s.sd_daily_demand**2 + d**2 * s.sd_lead_time_days**2)
        row = table.loc[sku]
        assert row["cycle_days"] == cycle
        assert row["base_threshold"] == pytest.approx(d * cycle + ss, rel=1e-9)
        assert row["event_threshold"] == pytest.approx((d * cycle + ss) * 1.30, rel=1e-9)
        cover = s.on_hand / d if d > 0 else math.inf
        assert bool(row["slow_mover"]) == (cover > 90)
        volatile = d > 0 and s.sd_daily_demand / d > 0.20
        assert bool(row["volatile"]) == volatile
        if volatile:
            stable = z * math.sqrt(cycle * (0.20 * d) ** 2 + d**2 * s.sd_lead_time_days**2)
            assert row["safety_stock_change"] == pytest.approx(ss - stable, rel=1e-9)
            assert row["cash_effect"] == pytest.approx((ss - stable) * s.unit_cost, rel=1e-9)


def test_without_buffer_and_rules_the_plan_is_stockcycle_plan(inputs):
    # No event buffer, no cash cap, no corridor: a B or C SKU's order is the restock plan's
    # (the same arithmetic as `stockcycle plan` and the Growth page).
    choices = MaturityChoices.from_settings(
        inputs.settings, event_buffer=0.0, c_cap_share=1.0, corridor=False
    )
    out = maturity.plan_maturity(inputs, choices).plan.set_index("sku")
    ws_plan = restock.restock_plan(
        None,  # type: ignore[arg-type] - supplies given: the workspace is not read
        settings=inputs.settings,
        supplies=inputs.supplies,
        today=DATA_DATE,
    ).set_index("sku")
    checked = 0
    for sku in inputs.supplies:
        if maturity.abc_class(inputs, sku) == "A":
            continue
        assert out.loc[sku, "order_units"] == ws_plan.loc[sku, "order_units"], sku
        assert out.loc[sku, "order_date"] == ws_plan.loc[sku, "order_date"], sku
        checked += 1
    assert checked >= 5


def test_class_a_orders_one_review_period_at_a_time(result):
    for sku, r in result.skus.items():
        if r.abc_class == "A" and r.plan.row["daily_demand"] > 0:
            assert r.plan.cycle_days == result.choices.review_period_days, sku


def test_c_class_cap_on_the_sample(inputs, result):
    # Cap = 5% of (every SKU's stock at cost + the maturity orders at cost), worked from the
    # health table and the restock orders directly.
    stock = inputs.health["inventory_cost"].astype(float).fillna(0.0).sum()
    orders = sum(
        r.restock_units * (inputs.supplies[k].unit_cost or 0) for k, r in result.skus.items()
    )
    assert result.cap.total == pytest.approx(stock + orders)
    assert result.cap.cap == pytest.approx(0.05 * (stock + orders))
    # After the trim, class C (stock + its orders) is within the cap of the new total, unless
    # the C stock alone is over it (then no C order is left).
    c_skus = [k for k in inputs.health.index if maturity.abc_class(inputs, k) == "C"]
    c_stock = inputs.health.loc[c_skus, "inventory_cost"].astype(float).fillna(0.0).sum()
    cap_units = dict(zip(result.cap.rows["sku"], result.cap.rows["cap_units"], strict=True))
    c_orders = sum(
        cap_units[k] * (inputs.supplies[k].unit_cost or 0) for k in cap_units if k in c_skus
    )
    total_after = stock + sum(cap_units[k] * (inputs.supplies[k].unit_cost or 0) for k in cap_units)
    assert c_stock + c_orders <= 0.05 * total_after + 1e-6 or c_orders == 0
    assert result.cap.excess > 0  # the sample's C products are over the cap
    for k, units in cap_units.items():
        if maturity.abc_class(inputs, k) != "C":
            assert units == result.skus[k].restock_units


def test_corridor_keeps_the_stock_above_the_line_after_the_order_lands(result):
    low = result.fees["low_days"]
    for sku, r in result.skus.items():
        if r.corridor_units > r.cap_units:
            c = result.corridor.set_index("sku").loc[sku]
            assert c["lowest_cover_after"] >= low - 1e-6, sku
            assert r.fee_corridor <= r.fee_plan + 1e-9, sku
    assert result.fees["low_inventory_final"] <= result.fees["low_inventory_plan"]


def test_plan_table_dates_and_totals(result):
    plan = result.plan
    assert set(plan["sku"]) == set(result.skus)
    for r in plan.itertuples():
        if r.order_units > 0:
            assert r.order_date is not None
            units = sum(int(x.split(": ")[1].replace(",", "")) for x in r.deliveries.split("; "))
            assert units == r.order_units
    assert result.dates_line() == "Plan made on 2026-10-31 from data up to 2026-10-31"


def test_overdue_order_dates_are_kept_and_flagged(inputs):
    # Planned 40 days after the data date: orders due before then are overdue, placed today.
    later = dataclasses.replace(inputs, today=DATA_DATE + timedelta(days=40))
    out = maturity.plan_maturity(later, MaturityChoices.from_settings(inputs.settings)).plan
    late = out[(out["order_units"] > 0) & (out["overdue_days"] > 0)]
    assert len(late)
    for r in late.itertuples():
        assert (DATA_DATE + timedelta(days=40) - r.order_date).days == r.overdue_days
        assert r.reason.startswith("Overdue by")


def test_no_corridor_for_a_product_without_stock_at_amazon(inputs):
    # Amazon's fees apply to stock at Amazon: a product the inventory reports never show there
    # keeps its restock order, pays no low-inventory fee and is "not stocked at Amazon".
    sku = next(k for k in inputs.supplies if maturity.abc_class(inputs, k) == "A")
    health = inputs.health.copy()
    health["low_inventory_fee"] = health["low_inventory_fee"].astype(object)
    health.loc[sku, "low_inventory_fee"] = None
    elsewhere = dataclasses.replace(inputs, health=health)
    out = maturity.plan_maturity(elsewhere, MaturityChoices.from_settings(inputs.settings))
    r = out.skus[sku]
    assert r.corridor_units == r.cap_units
    assert r.fee_plan == 0 and r.fee_corridor == 0
    assert r.position_now == maturity.NOT_AT_AMAZON
    assert "no stock of it at Amazon" in r.corridor_note


def test_an_edited_quantity_replaces_the_computed_one(inputs, result):
    # The seller's quantity goes into the plan as typed, split into deliveries from the
    # plan's first arrival (as the Growth page splits an override), and is what the capacity
    # rule and the cash count.
    sku = next(k for k, r in result.skus.items() if r.corridor_units > 0)
    out = maturity.plan_maturity(inputs, result.choices, edits={sku: 600})
    row = out.plan.set_index("sku").loc[sku]
    assert row["order_units"] == 600
    assert row["corridor_units"] == result.skus[sku].corridor_units  # what was proposed
    assert int(out.skus[sku].deliveries["units"].sum()) == 600
    assert out.skus[sku].deliveries["arrival"].min() == result.skus[sku].plan.first_arrival
    assert row["cash_needed"] == pytest.approx(
        fees.cash_needed(
            600,
            inputs.supplies[sku].unit_cost,
            inputs.supplies[sku].freight_cost[row["shipping_mode"]],
            inputs.settings.duty_rate,
        )
    )
    # The other products keep their orders.
    before = result.plan.set_index("sku")["order_units"]
    after = out.plan.set_index("sku")["order_units"]
    assert (after.drop(sku) == before.drop(sku)).all()
