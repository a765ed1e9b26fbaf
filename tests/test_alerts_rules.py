"""Each alert rule on a hand-made case where it fires and one where it does not; every value,
threshold and amount below is worked out by hand in the comment beside it."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from stockcycle import alerts
from stockcycle.errors import InputError
from stockcycle.settings import Settings


def test_low_stock_threshold_from_30_day_sales_lead_time_and_safety_factor() -> None:
    # R-A4's example: 25 units/day (750 in 30 days), 30 days lead time, factor 1 -> 750 units.
    a = alerts.low_stock_alert("MUG", 700, 750, 30, 1.0)
    assert a is not None and a.spec == "R-A1"
    assert a.threshold == pytest.approx(750.0) and a.value == 700
    assert a.severity == "high"  # 700 < 25 x 30: it runs out before an order lands
    # With the default factor 1.2 the line is 900; 800 is under it but above 750: medium.
    b = alerts.low_stock_alert("MUG", 800, 750, 30, 1.2)
    assert b.threshold == pytest.approx(900.0) and b.severity == "medium"
    assert alerts.low_stock_alert("MUG", 900, 750, 30, 1.2) is None  # on the line: fine
    assert alerts.low_stock_alert("MUG", 0, 0, 30, 1.2) is None  # nothing sells: no line
    assert alerts.low_stock_alert("MUG", 0, 750, float("nan"), 1.2) is None  # no lead time
    # The threshold moves with live velocity: 30-day sales of 1,500 double it.
    assert alerts.low_stock_alert("MUG", 1000, 1500, 30, 1.2).threshold == pytest.approx(1800)


def test_overstock_over_three_months_of_sales() -> None:
    # 10/day (300 in 30 days): 3 months = 3 x 365/12 x 10 = 912.5 units.
    a = alerts.overstock_alert("MUG", 1500, 300, 3.0, unit_cost=4.0)
    assert a.spec == "R-M4" and a.threshold == pytest.approx(912.5)
    assert a.money_at_stake == pytest.approx((1500 - 912.5) * 4.0)  # 2,350 tied up
    assert a.severity == "medium"  # under twice the threshold (1,825)
    assert alerts.overstock_alert("MUG", 2000, 300, 3.0).severity == "high"
    assert math.isnan(alerts.overstock_alert("MUG", 2000, 300, 3.0).money_at_stake)
    assert alerts.overstock_alert("MUG", 900, 300, 3.0) is None
    assert alerts.overstock_alert("MUG", 5, 0, 3.0).severity == "high"  # no sales at all
    assert alerts.overstock_alert("MUG", 5, float("nan"), 3.0) is None  # no sales figure


def test_sales_spike_needs_plus_200_percent_and_stock_under_safety_stock() -> None:
    # Baseline 10/day; 30 on the last day = +200%; 40 on hand under a safety stock of 60.
    a = alerts.sales_spike_alert("MUG", 30, 10, 40, 60, 2.0)
    assert a.value == pytest.approx(2.0) and a.threshold == 2.0 and a.severity == "high"
    assert alerts.sales_spike_alert("MUG", 29, 10, 40, 60, 2.0) is None  # +190%
    assert alerts.sales_spike_alert("MUG", 30, 10, 60, 60, 2.0) is None  # stock not under


def test_competitor_price_drop_between_snapshots() -> None:
    # Median 20.00 -> 17.00: a 15% drop, over 10%; twice 10% would be high.
    a = alerts.competitor_price_drop_alert("MUG", "coffee mug", 20.0, 17.0, 0.10)
    assert a.value == pytest.approx(0.15) and a.severity == "medium"
    assert "coffee mug" in a.message and "-15%" in a.message
    assert alerts.competitor_price_drop_alert("MUG", "m", 20.0, 15.0, 0.10).severity == "high"
    assert alerts.competitor_price_drop_alert("MUG", "m", 20.0, 18.5, 0.10) is None  # -7.5%


def test_decline_signal_trims_open_orders_first() -> None:
    a = alerts.decline_alert("MUG", 3, 2, 0.15, open_po_units=200, on_hand=50, unit_cost=2.5)
    assert a.spec == "R-D1" and a.severity == "high"
    assert a.money_at_stake == pytest.approx(500.0)  # 200 on order x 2.50
    assert "200 units on open purchase orders" in a.action
    b = alerts.decline_alert("MUG", 2, 2, 0.15, on_hand=50, unit_cost=2.5)
    assert b.severity == "medium" and b.money_at_stake == pytest.approx(125.0)
    assert alerts.decline_alert("MUG", 1, 2, 0.15) is None


def test_low_turnover_and_the_cash_it_ties_up() -> None:
    # Turnover 2/yr under 3; at the target low end 4/yr the same sales need half the stock:
    # 10,000 x (1 - 2/4) = 5,000 freed.
    a = alerts.low_turnover_alert("MUG", 2.0, 3.0, 4.0, 10_000)
    assert a.money_at_stake == pytest.approx(5_000) and a.severity == "medium"
    assert alerts.low_turnover_alert("MUG", 1.0, 3.0, 4.0, 10_000).severity == "high"
    assert alerts.low_turnover_alert("MUG", 3.0, 3.0, 4.0, 10_000) is None
    assert alerts.low_turnover_alert("MUG", float("nan"), 3.0, 4.0, 10_000) is None


def test_aging_severity_follows_the_buckets() -> None:
    a = alerts.aging_alert("MUG", 300, 120, "write-down candidate", unit_cost=2.0)
    assert (a.severity, a.value, a.threshold) == ("high", 120, 180)
    assert a.money_at_stake == pytest.approx(240.0)
    b = alerts.aging_alert("MUG", 300, 0, "discount? (check 91-180)")
    assert (b.severity, b.value, b.threshold) == ("medium", 300, 120)
    assert alerts.aging_alert("MUG", 300, 0, "watch").severity == "low"
    assert alerts.aging_alert("MUG", 0, 0, "ok") is None


def test_volatility_recomputes_safety_stock() -> None:
    # sd 3 around a mean of 12: CV 25% > 20%; the plan's safety stock 40 x 2.00 = 80 of cash.
    a = alerts.volatility_alert(
        "MUG", 3, 12, 0.20, safety_stock=40, reorder_point=150, unit_cost=2.0
    )
    assert a.value == pytest.approx(0.25) and a.money_at_stake == pytest.approx(80.0)
    assert "keep 40 units, reorder at 150" in a.action and a.severity == "low"
    assert alerts.volatility_alert("MUG", 2, 12, 0.20) is None  # 16.7%


def test_forecast_deviation_both_ways_and_noise_floor() -> None:
    # 144 sold against 109 forecast over 28 days: +32% > 15%, and 35 > 2 sqrt(109) = 20.9.
    a = alerts.forecast_deviation_alert("MUG", 144, 109, 28, 0.15)
    assert a.value == pytest.approx(144 / 109 - 1) and a.severity == "high"
    assert "expedite" in a.action
    b = alerts.forecast_deviation_alert("MUG", 78, 100, 28, 0.15)  # -22%, 22 > 2 sqrt(100)
    assert b.severity == "medium" and "promote" in b.action
    assert alerts.forecast_deviation_alert("MUG", 90, 100, 28, 0.15) is None  # -10%
    # -37% on a slow seller, but 10 units off 27 is within 2 sqrt(27) = 10.4: chance.
    assert alerts.forecast_deviation_alert("MUG", 17, 27, 28, 0.15) is None
    assert alerts.forecast_deviation_alert("MUG", 144, 109, 5, 0.15) is None  # too few days


def test_launch_band_alert_from_the_monitor() -> None:
    plan = pd.Series(80.0, index=pd.date_range("2027-03-01", periods=30, freq="D"))
    actual = pd.Series([32.0, 30.0, 35.0], index=pd.date_range("2027-03-01", periods=3))
    a = alerts.launch_band_alert("NEW", alerts.launch_monitor(plan, actual, 0.20, 3))
    assert a.spec == "R-L8" and a.threshold == -0.20
    assert a.value == pytest.approx(35 / 80 - 1)  # the last reported day
    on_plan = pd.Series([80.0, 78.0, 85.0], index=pd.date_range("2027-03-01", periods=3))
    assert alerts.launch_band_alert("NEW", alerts.launch_monitor(plan, on_plan)) is None


def test_low_inventory_fee_needs_both_windows_under_28_days() -> None:
    a = alerts.low_inventory_fee_alert("MUG", 20, 25, 28)
    assert a.spec == "R-F1" and a.value == 25 and a.threshold == 28
    assert alerts.low_inventory_fee_alert("MUG", 20, 30, 28) is None
    assert alerts.low_inventory_fee_alert("MUG", 20, math.inf, 28) is None


def test_aged_surcharge_ahead_sells_oldest_first() -> None:
    # 3/day x 90 days = 270 sold: 100 units over 180 go first, then 170 of the 400 aged
    # 91-180; 230 of those pass 181 days unsold. At 0.50/cu ft x 2 cu ft = 1.00 a month each.
    a = alerts.aged_surcharge_alert("MUG", 400, 100, 90, surcharge_per_unit_month=1.0)
    assert a.value == pytest.approx(230) and a.threshold == 181
    assert a.money_at_stake == pytest.approx(230)
    assert alerts.aged_surcharge_alert("MUG", 100, 100, 90) is None  # 270 > 200: all sold


def test_storage_utilization_and_capacity_are_account_alerts() -> None:
    # 10,000 units at FBA, 50/day: 10,000 / 350 = 28.6 weeks > 22.
    a = alerts.storage_utilization_alert(10_000, 50, 22)
    assert a.sku == alerts.ACCOUNT and a.value == pytest.approx(10_000 / 350)
    assert alerts.storage_utilization_alert(7_000, 50, 22) is None  # 20 weeks
    c = alerts.capacity_alert("2026-11", 1_200, 1_000)
    assert c.spec == "R-F2" and c.severity == "high" and "200 cubic feet" in c.action
    assert c.sku == "(FBA standard)"
    assert alerts.capacity_alert("2026-11", 1_200, 1_000, "oversize").sku == "(FBA oversize)"
    assert alerts.capacity_alert("2026-11", 900, 1_000) is None
    assert alerts.capacity_alert("2026-11", 5_000, 0) is None  # no limit set


def test_transfer_before_a_new_order() -> None:
    # 10/day, 50 at FBA = 5 days < 10 + 7; 400 at the 3PL; 60 days lead: need 600 - 50 = 550,
    # only 400 spare -> move 400; FBA runs out before the transfer lands (5 < 10): high.
    a = alerts.transfer_alert(
        "MUG", 50, {"3PL": 400, "WFS": 0}, 10, 60, 10, 7, today=date(2026, 10, 31), unit_margin=3
    )
    assert a.spec == "R-A4" and a.severity == "high"
    assert a.value == pytest.approx(5.0) and a.threshold == 17
    assert "Transfer 400 units from 3PL to FBA" in a.action and "10 Nov 2026" in a.action
    assert a.money_at_stake == pytest.approx(1_200)
    assert alerts.transfer_alert("MUG", 200, {"3PL": 400}, 10, 60, 10, 7) is None  # 20 days
    assert alerts.transfer_alert("MUG", 50, {}, 10, 60, 10, 7) is None  # nowhere to take from


def _figures(**row) -> alerts.AlertInputs:
    base = dict.fromkeys(alerts.FIGURE_COLUMNS, float("nan"))
    base.update(
        sku="MUG",
        stage="maturity",
        other_units={},
        aging_status="ok",
        fba_stocked=False,
        today_action="",
    )
    base.update(row)
    return alerts.AlertInputs(
        as_of=date(2026, 10, 31),
        today=date(2026, 10, 31),
        figures=pd.DataFrame([base], columns=alerts.FIGURE_COLUMNS),
        prices={},
        deviations={},
        launches={},
        arrivals_cubic_feet={},
        fba_units=0.0,
        daily_sales=0.0,
        low_inventory_days=28.0,
        problems={},
    )


def test_evaluate_uses_the_settings_and_the_tuning_filters() -> None:
    inputs = _figures(
        position=700,
        on_hand=700,
        sales_30d=750,
        lead_time_days=30,
        sd_daily_demand=10,
        daily_demand=25,
    )
    fired = alerts.evaluate(inputs, Settings())
    assert [(a.rule, a.severity) for a in fired] == [("low_stock", "high"), ("volatility", "low")]
    # A lower safety factor and a higher volatility trigger silence both.
    quiet = Settings(low_stock_safety_factor=1.0, volatility_replan=0.5)
    assert [a.rule for a in alerts.evaluate(_figures(position=760, on_hand=760, sales_30d=750,
            lead_time_days=30, sd_daily_demand=10, daily_demand=25), quiet)] == []  # fmt: skip
    assert [a.rule for a in alerts.evaluate(inputs, Settings(alert_min_severity="medium"))] == [
        "low_stock"
    ]
    assert alerts.evaluate(inputs, Settings(alert_rules_off="low_stock, volatility")) == []
    with pytest.raises(InputError, match="not an alert rule"):
        alerts.evaluate(inputs, Settings(alert_rules_off="stockouts"))
    # A decline SKU is not reordered (R-S2): no low-stock alert for it.
    declining = _figures(stage="decline", position=700, on_hand=700, sales_30d=750,
                         lead_time_days=30)  # fmt: skip
    assert [a.rule for a in alerts.evaluate(declining, Settings())] == []
    # A launch's early stock is the launch monitor's to judge, not the overstock rule's.
    stocked = {"on_hand": 2000, "position": 2000, "sales_30d": 300}
    assert [a.rule for a in alerts.evaluate(_figures(**stocked), Settings())] == ["overstock"]
    assert alerts.evaluate(_figures(stage="launch", **stocked), Settings()) == []


def test_evaluate_suggests_a_transfer_only_for_a_sku_stocked_at_fba() -> None:
    # 10/day, 50 at FBA, 400 at the 3PL, 60 days lead: the transfer example above.
    row = {
        "fba_units": 50,
        "other_units": {"3PL": 400},
        "daily_demand": 10,
        "lead_time_days": 60,
        "on_hand": 450,
        "position": 450,
    }
    fired = alerts.evaluate(_figures(at_fba=True, **row), Settings())
    assert [a.rule for a in fired] == ["transfer"]
    # Sold from the 3PL only (no FBA row): nothing to refill at FBA.
    assert alerts.evaluate(_figures(at_fba=False, **row), Settings()) == []


def test_capacity_per_storage_type_first_month_over_its_limit() -> None:
    inputs = _figures()
    inputs.figures = inputs.figures.iloc[0:0]
    inputs.arrivals_cubic_feet = {
        ("2026-11", "standard"): 900.0,
        ("2026-12", "standard"): 1_300.0,
        ("2027-01", "standard"): 1_500.0,
        ("2026-11", "oversize"): 250.0,
    }
    s = Settings(fba_capacity_cubic_feet=1_000, fba_capacity_oversize_cubic_feet=200)
    fired = {a.sku: a for a in alerts.evaluate(inputs, s)}
    assert set(fired) == {"(FBA standard)", "(FBA oversize)"}
    assert fired["(FBA standard)"].value == 1_300 and "2026-12" in fired["(FBA standard)"].message
    assert fired["(FBA oversize)"].threshold == 200
    assert alerts.evaluate(inputs, Settings()) == []  # no limits set


def test_alert_round_trips_through_json() -> None:
    a = alerts.overstock_alert("MUG", 1500, 300, 3.0)
    d = a.to_dict()
    assert d["money_at_stake"] is None and d["unit"] == "units" and d["spec"] == "R-M4"
    assert alerts.Alert.from_dict(d).key == "overstock|MUG"
    assert a.figure() == "1,500 units (threshold 912 units)"


def test_tuning_flags_skus_whose_alerts_keep_firing_without_turnover_improving() -> None:
    import json

    def row(i: int, sku: str, day: str, turnover: float, rule: str = "overstock") -> dict:
        payload = json.dumps({"kpi": {"turnover": turnover}})
        return {"id": i, "sku": sku, "rule": rule, "created_at": f"{day}T06:00:00+00:00",
                "payload": payload}  # fmt: skip

    log = pd.DataFrame(
        [
            # MUG: three alerts in 28 days, turnover 2.0 -> 1.8: noisy.
            row(1, "MUG", "2026-10-05", 2.0),
            row(2, "MUG", "2026-10-15", 1.9, "aging"),
            row(3, "MUG", "2026-10-30", 1.8),
            # CUP: three alerts, turnover 2.0 -> 2.6: the alerts work, not flagged.
            row(4, "CUP", "2026-10-06", 2.0),
            row(5, "CUP", "2026-10-16", 2.3),
            row(6, "CUP", "2026-10-29", 2.6),
            # BOWL: two alerts only; PLATE: its third alert is older than the window.
            row(7, "BOWL", "2026-10-20", 1.0),
            row(8, "BOWL", "2026-10-21", 1.0),
            row(9, "PLATE", "2026-09-01", 1.0),
            row(10, "PLATE", "2026-10-20", 1.0),
            row(11, "PLATE", "2026-10-21", 1.0),
            # JAR: three rules fired in one check: one day, not "often".
            row(12, "JAR", "2026-10-30", 1.0),
            row(13, "JAR", "2026-10-30", 1.0, "aging"),
            row(14, "JAR", "2026-10-30", 1.0, "low_turnover"),
        ]
    )
    table = alerts.tuning_table(log, date(2026, 10, 31), days=28, fires=3).set_index("sku")
    assert table.loc["MUG", "alerts"] == 3 and bool(table.loc["MUG", "noisy"])
    assert table.loc["MUG", "rules"] == "Aging stock, Overstock"
    assert (table.loc["MUG", "turnover_first"], table.loc["MUG", "turnover_now"]) == (2.0, 1.8)
    assert bool(table.loc["CUP", "improving"]) and not bool(table.loc["CUP", "noisy"])
    assert not table.loc[["BOWL", "PLATE", "JAR"], "noisy"].any()
    assert (table.loc["JAR", "alerts"], table.loc["JAR", "days"]) == (3, 1)
    assert table.loc["PLATE", "alerts"] == 2
    assert table.index[0] == "MUG"  # flagged first
    assert alerts.tuning_table(log.iloc[0:0], date(2026, 10, 31)).empty
    # Planning as of an earlier day: the window still ends with the latest alert.
    earlier = alerts.tuning_table(log, date(2026, 9, 1), days=28, fires=3).set_index("sku")
    assert earlier.loc["MUG", "alerts"] == 3


def test_sensitivity_table_names_each_rules_setting() -> None:
    table = alerts.sensitivity_table(Settings(overstock_months=4.0, alert_rules_off="volatility"))
    over = table[table["rule"] == "overstock"].iloc[0]
    assert (over["setting"], over["value"], bool(over["on"])) == ("overstock_months", 4.0, True)
    assert not table.loc[table["rule"] == "volatility", "on"].any()
