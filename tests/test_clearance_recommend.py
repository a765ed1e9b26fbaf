"""The cheap clearance functions behind the Decline and Exit pages, and the one exit
recommendation (R-D1, R-E1..R-E3, R-F3, R-T1). Expected values are worked by hand."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_clearance import clearance_workspace, exit_workspace

from stockcycle import clearance
from stockcycle.cli import main as cli

DAYS_PER_MONTH = 365 / 12
TODAY = date(2026, 10, 31)  # conftest's fixed today


@pytest.fixture
def inp(tmp_path: Path) -> clearance.ClearanceInputs:
    """SKU C of test_clearance: 100 units, 2/day at 10.00, data up to 2026-01-31."""
    return clearance.load_clearance(clearance_workspace(tmp_path / "c"), "C")


def test_no_exit_date_means_keep_selling_as_one_answer(inp) -> None:
    rec, table = clearance.recommend(inp)
    assert inp.exit_date is None
    assert (rec.action, rec.exit_date, rec.disposition) == ("Keep selling", None, "keep selling")
    assert rec.reason.startswith("No exit needed: the storage still to pay")
    assert "sells out by 2026-03-22" in rec.reason  # 100 units at 2/day from Jan 31
    assert table["recommended"].sum() == 1


def test_exit_rule_and_residual_values_give_one_recommendation(tmp_path: Path) -> None:
    # The Q4 example of test_clearance: exit on 2026-10-01 (Q4 storage), 78 units left then.
    # Today is 2026-10-31: the exit is 30 days overdue, said so. On the cash still to come
    # selling them on Amazon beats liquidating, so the one answer is to mark down and sell.
    end = date(2026, 9, 20)
    ws = exit_workspace(tmp_path / "q4", end, 3.49, 1.0, [{"bucket": "0-90", "units": 100}])
    inp = clearance.load_clearance(ws, "Q")
    assert inp.exit_date == date(2026, 10, 1)
    rec, table = clearance.recommend(inp)
    assert rec.exit_date == date(2026, 10, 1) and rec.trigger == "storage rule"
    assert rec.units == pytest.approx(100 - 2 * 11)
    assert rec.overdue_days == 30
    assert rec.when_text == "now (overdue by 30 days, due 2026-10-01)"
    assert table.attrs["on"] == TODAY  # fees of the day the order can be placed
    best = table.loc[table["recommended"], "option"].iloc[0]
    assert best == "keep selling" and rec.action == "Mark down and sell off"
    assert rec.reason.startswith("Exit now (overdue by 30 days")
    assert "rather than remove them" in rec.reason
    # A successor launching earlier sets the date instead.
    rec2, _ = clearance.recommend(inp, successor_date=date(2026, 9, 25))
    assert (rec2.exit_date, rec2.trigger) == (date(2026, 9, 25), "successor product")
    assert rec2.units == pytest.approx(100 - 2 * 5)
    # With a channel paying 9 a unit after its fees, removal wins: 78 x (9 - 2.27 - 0) =
    # 524.94 for a 1 lb large standard unit (removal 1.53 up to 1 lb: 78 x 7.47 = 582.66).
    rec3, table3 = clearance.recommend(inp, other_channel_price=9.0)
    removal = table3.set_index("option").loc["removal to another channel"]
    assert removal["net"] == pytest.approx(78 * (9 - 1.53))
    if removal["recommended"]:
        assert rec3.action == "Remove to own warehouse or another channel"


def test_the_clearance_verb_prints_one_recommendation(tmp_path: Path, capsys) -> None:
    end = date(2026, 9, 20)
    ws = exit_workspace(tmp_path / "q4", end, 3.49, 1.0, [{"bucket": "0-90", "units": 100}])
    assert cli(["clearance", "-w", str(ws.path), "--sku", "Q"]) == 0
    out = capsys.readouterr().out
    assert out.count("recommended:") == 1 and "<- recommended" not in out
    assert "recommended: Mark down and sell off (now (overdue by 30 days" in out
    assert cli(["clearance", "-w", str(ws.path), "--sku", "Q", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["recommendation"]["action"] == "Mark down and sell off"
    assert data["recommended_option"] == data["recommendation"]["disposition"]


def test_open_orders_cancelling_saves_cash_and_storage(inp) -> None:
    # 100 on hand at 2/day. PO-1: 50 units on day 10, behind the 80 still there: waits 40
    # days, then sells over 25: 50 x 40 + 50^2 / 4 = 2,625 unit-days. PO-2: 40 units on day
    # 100, nothing ahead left: 40^2 / 4 = 400 unit-days. Landed cost 3, storage 0.078.
    orders = pd.DataFrame(
        {
            "po": ["PO-2", "PO-1", "PO-0"],
            "sku": "C",
            "units": [40.0, 50.0, 70.0],
            "ordered": pd.to_datetime(["2026-01-01"] * 3),
            "eta": pd.to_datetime(["2026-05-11", "2026-02-10", "2025-12-01"]),
            "location": "FBA",
            "status": ["open", "shipped", "received"],
        }
    )
    out = clearance.open_order_savings(orders, date(2026, 1, 31), 100, 2.0, 3.0, 0.078)
    assert out["po"].tolist() == ["PO-1", "PO-2"]  # received orders are not open
    assert out["cash_saved"].tolist() == pytest.approx([150.0, 120.0])
    per_day = 0.078 / DAYS_PER_MONTH
    assert out["storage_saved"].tolist() == pytest.approx([2625 * per_day, 400 * per_day])
    # The last unit of PO-1 waits 40 + 25 days; of PO-2, 0 + 20 days.
    assert out["saved_per_unit_trimmed"].tolist() == pytest.approx(
        [3 + 65 * per_day, 3 + 20 * per_day]
    )
    assert out["sells_out"].tolist() == [date(2026, 2, 10) + timedelta(days=65), date(2026, 5, 31)]


def test_markdown_with_ample_stock_prices_at_the_closed_form(inp) -> None:
    # No storage and more stock than ever sells: every week maximises (p (1 - r) - c - s) p^e,
    # c the FBA fee 2, s the liquidation net per unit a leftover unit fetches; the closed form
    # p* = (c + s) / (1 - r) x e / (1 + e), and the plan takes the grid price that maximises it.
    ample = replace(inp, on_hand=100_000, storage=0.0, surcharge=0.0, decline=0.0)
    e = ample.elasticity_for(-3.0)
    plan = clearance.markdown(ample, 3, elasticity=e)
    s = clearance.salvage_per_unit(ample, TODAY + timedelta(weeks=3))
    # 0.075 x 10 x 0.85 - 0.30 (1 lb standard) = 0.3375
    assert s == pytest.approx(0.075 * 10 * 0.85 - 0.30)
    closed = (2 + s) / 0.85 * -3 / -2
    grid = 10 * (1 - np.arange(0, 0.701, 0.05))
    best = grid[np.argmax((grid * 0.85 - 2 - s) * grid**-3.0)]
    assert plan["price"].tolist() == pytest.approx([best] * 3)
    assert abs(best - closed) <= 0.5  # the grid step is 0.50
    assert plan["date"].tolist() == [TODAY + timedelta(weeks=k) for k in range(3)]
    assert plan["cash"].iloc[-1] == pytest.approx(plan["net"].sum())


def test_dispositions_cost_the_fees_of_their_day(inp) -> None:
    light = replace(inp, weight_lb=0.4)
    old = clearance.dispositions(light, date(2025, 6, 1), 100).set_index("option")
    new = clearance.dispositions(light, date(2026, 2, 1), 100).set_index("option")
    # Disposal of a standard unit up to 0.5 lb: 1.04 before 2026-01-15, 0.84 after.
    assert old.loc["disposal", "net"] == pytest.approx(-104.0)
    assert new.loc["disposal", "net"] == pytest.approx(-84.0)
    # Liquidation: 7.5% x 10 x 100 = 75 gross, 0.25 x 100 processing, 15% referral.
    assert new.loc["liquidation", "net"] == pytest.approx(75 - 25 - 11.25)
    assert new.loc["liquidation", "fee_per_unit"] == pytest.approx(0.25 + 0.15 * 0.75)


def test_weekly_sales_mark_the_latest_run_of_drops(tmp_path: Path) -> None:
    # 8 weeks of 70 units, then 56 (-20%), 42 (-25%), 35 (-17%): a run of 3 drops of 15%+.
    from test_clearance import _frame

    from stockcycle.ingest.result import ParsedFile
    from stockcycle.store import Workspace

    levels = [10] * 8 + [8, 6, 5]
    end = date(2026, 3, 31)
    days = len(levels) * 7
    sales = [
        {
            "date": (end - timedelta(days=days - 1 - k)).isoformat(),
            "sku": "W",
            "channel": "Amazon.com",
            "units": levels[k // 7],
            "revenue": levels[k // 7] * 10,
        }
        for k in range(days)
    ]
    ws = Workspace.open(tmp_path / "w")
    ws.import_files([ParsedFile("t.csv", "generic", "t", {"sales": _frame("sales", sales)}, 1)])
    weekly, run = clearance.weekly_sales(ws, "W", 0.15)
    assert run == 3
    assert weekly["units"].tail(3).tolist() == pytest.approx([56, 42, 35])
    assert weekly["change"].tail(3).tolist() == pytest.approx([-0.2, -0.25, 35 / 42 - 1])
    assert weekly["in_run"].tolist() == [False] * (len(weekly) - 3) + [True] * 3


def test_price_band_per_snapshot_with_the_lowest_organic_price() -> None:
    """The competitors' price band per Xray snapshot: the reference for clearance prices
    (R-D4)."""
    # Two snapshots of one search; B3 is sponsored only, OWN is the seller's own listing.
    rows = [
        ("2026-09-30", "B1", 10.0, False),
        ("2026-09-30", "B2", 20.0, False),
        ("2026-09-30", "B3", 8.0, True),
        ("2026-10-31", "B1", 12.0, False),
        ("2026-10-31", "B2", 16.0, False),
        ("2026-10-31", "B3", 9.0, True),
        ("2026-10-31", "OWN", 5.0, False),
    ]
    competitors = pd.DataFrame(
        {
            "snapshot_date": pd.to_datetime([r[0] for r in rows]),
            "search": "mat",
            "asin": [r[1] for r in rows],
            "price": [r[2] for r in rows],
            "sponsored": [r[3] for r in rows],
        }
    )
    bands = clearance.price_band_history(competitors, {"OWN"}, "OWN", "mat")
    assert bands["snapshot_date"].tolist() == [date(2026, 9, 30), date(2026, 10, 31)]
    assert bands["n"].tolist() == [3, 3]
    assert bands["median"].tolist() == [10.0, 12.0]
    assert bands["min"].tolist() == [8.0, 9.0]  # the sponsored listing counts in the band
    assert bands["lowest_organic"].tolist() == [10.0, 12.0]  # ... not as the lowest organic
    # Quartiles, linear: 8, 10, 20 -> 9 and 15.
    assert (bands.loc[0, "q1"], bands.loc[0, "q3"]) == (9.0, 15.0)


def test_search_trend_of_the_skus_keywords() -> None:
    kw = pd.DataFrame(
        {
            "keyword": ["a", "b", "a", "b"],
            "snapshot_date": pd.to_datetime(["2026-09-30"] * 2 + ["2026-10-31"] * 2),
            "search_volume": [1000.0, 3000.0, 1000.0, 3000.0],
            "trend": [None, None, -0.2, 0.1],
        }
    )
    # Volume-weighted trend of the latest snapshot: (1000 x -0.2 + 3000 x 0.1) / 4000.
    assert clearance.search_trend(kw) == pytest.approx(0.025)
    # Without trends: the latest total against the first one, 3,000 / 4,000 - 1.
    later = kw.assign(trend=None)
    later.loc[2:, "search_volume"] = [500.0, 2500.0]
    assert clearance.search_trend(later) == pytest.approx(-0.25)
    assert clearance.search_trend(kw.iloc[0:0]) is None


def test_a_look_back_cuts_the_data_at_as_of(tmp_path: Path) -> None:
    # SKU C sold 2/day from Jan 4 to Jan 31 and had 100 units on Jan 31. Add a Jan 17
    # snapshot of 130 units: as of Jan 17 the stock is 130 and the 28-day window (Dec 21 to
    # Jan 17) holds 14 selling days, 28 units: 1.0 a day.
    from test_clearance import _frame

    from stockcycle.ingest.result import ParsedFile

    ws = clearance_workspace(tmp_path / "c")
    snap = [{"snapshot_date": "2026-01-17", "sku": "C", "location": "FBA", "available": 130}]
    ws.import_files(
        [ParsedFile("inv.csv", "generic", "t", {"inventory": _frame("inventory", snap)}, 1)]
    )
    back = clearance.load_clearance(ws, "C", as_of=date(2026, 1, 17))
    assert back.as_of == date(2026, 1, 17) and back.on_hand == 130
    assert back.rate == pytest.approx(1.0)
    assert back.inputs["as_of"]["source"] == "as_of given"
    now = clearance.load_clearance(ws, "C")
    assert (now.as_of, now.on_hand, now.rate) == (date(2026, 1, 31), 100, pytest.approx(2.0))
