"""Policy replay (R-T4): a hand-worked replay, no look-ahead, fees against the fee table, the
stockcycle policy equal to the restock plan, the CLI's JSON.

The hand-made workspace: one product, HAND, selling exactly 10 units every day from
2025-07-16 to 2026-03-03; production 10 days, no sea transit, the settings' 5 receiving days
(lead time 15 days); unit cost 2, price 5, 0.1 cubic feet, large standard; an inventory
snapshot of 100 units on 2026-01-31, the first day of the replay window (2026-01-31 to
2026-02-28: the 28 days of February, one storage rate).
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stockcycle import fees, replay, restock
from stockcycle.cli import main
from stockcycle.store import DB_FILE, Workspace, workspaces_dir

FIRST = date(2025, 7, 16)
LAST = date(2026, 3, 3)
START = date(2026, 1, 31)
END = date(2026, 2, 28)
DAILY = 10.0


def _table(name: str, rows: list[dict]) -> pd.DataFrame:
    from stockcycle.schema import TABLES

    frame = pd.DataFrame(rows)
    for col, typ in TABLES[name].columns.items():
        if col not in frame.columns:
            frame[col] = pd.NA
        elif typ == "date":
            frame[col] = pd.to_datetime(frame[col])
    return frame[list(TABLES[name].columns)]


def build_hand(ws: Workspace, *, wild_after: date | None = None) -> None:
    """HAND's history (module doc); ``wild_after``: from the day after it, sales of 50x."""
    from stockcycle.ingest.result import ParsedFile

    sales = []
    day = FIRST
    while day <= LAST:
        units = DAILY * (50 if wild_after is not None and day > wild_after else 1)
        sales.append({"date": day, "sku": "HAND", "units": units, "revenue": 5.0 * units})
        day += timedelta(days=1)
    tables = {
        "sales": _table("sales", sales),
        "inventory": _table(
            "inventory",
            [{"snapshot_date": START, "sku": "HAND", "location": "FBA", "available": 100}],
        ),
        "products": _table(
            "products",
            [
                {
                    "sku": "HAND",
                    "category": "Hand",
                    "unit_cost": 2.0,
                    "price": 5.0,
                    "cubic_feet": 0.1,
                    "size_tier": "large standard",
                    "lead_time_days": 10,
                    "sea_days": 0,
                }
            ],
        ),
    }
    ws.import_files([ParsedFile("hand.csv", "generic", "test", tables, len(sales))])


@pytest.fixture(scope="session")
def hand_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from stockcycle.forecast import run_batch

    ws = Workspace.open(tmp_path_factory.mktemp("hand") / "hand")
    build_hand(ws)
    run_batch(ws, as_of=START, workers=1)  # the first refit of every replay below, cached
    return ws.db_path


@pytest.fixture
def hand(hand_db: Path, home: Path) -> Workspace:
    folder = workspaces_dir() / "hand"
    folder.mkdir(parents=True)
    shutil.copyfile(hand_db, folder / DB_FILE)
    return Workspace.open(folder, create=False)


# -- the hand-worked replay ------------------------------------------------------------------
def test_days_of_supply_replay_worked_by_hand(hand: Workspace) -> None:
    # Target 30 days, buffer 7, trailing 30 days (average 10/day), lead time 15 days.
    # Review 1 (Jan 31): 100 on hand, nothing on order: cover 10 days < 15 + 7 -> order
    #   30 x 10 = 300 units, sellable on Feb 15. Feb 1-10 sell the 100 (90, 80, ..., 0 at the
    #   end of each day); Feb 11-14 have nothing: 4 days out of stock, 40 units lost.
    # Review 2 (Feb 7): 30 + 300 on order = 33 days of cover: no order.
    # Review 3 (Feb 14): 0 + 300 on order = 30 days: no order.
    # Review 4 (Feb 21): 230 on hand (290 on Feb 15 after that day's 10, 60 sold since) =
    #   23 days: no order. Feb 28 ends with 160.
    inputs = replay.load_replay(hand, start=START, end=END, forecasts=False)
    assert inputs.lead_days.tolist() == [15]
    assert inputs.start_stock.tolist() == [100.0]
    assert [inputs.days[r].date() for r in inputs.reviews] == [
        START + timedelta(days=7 * k) for k in range(4)
    ]
    run = replay.run_policy(inputs, "days-of-supply", 30, rule=replay.DaysOfSupplyRule(7, 90, 30))
    row = run.sku_table.iloc[0]
    assert row["demand_units"] == 280
    assert row["served_units"] == 240
    assert row["lost_units"] == 40
    assert row["fill_rate"] == pytest.approx(240 / 280)
    assert row["stockout_days"] == 4
    # End-of-day stock: 90 + 80 + ... + 0 = 450 over Feb 1-10, 0 on Feb 11-14, 290 down to 160
    # over Feb 15-28 = (290 + 160) x 14 / 2 = 3,150: 3,600 unit-days over 28 days.
    assert row["avg_inventory_units"] == pytest.approx(3600 / 28)
    assert row["avg_inventory_value"] == pytest.approx(2 * 3600 / 28)
    assert row["orders"] == 1 and row["ordered_units"] == 300
    # Most cash: Feb 1, 90 on hand + 300 on order, at 2 each.
    assert row["peak_cash"] == pytest.approx(780)
    assert row["end_stock_units"] == 160
    assert row["lost_margin"] == pytest.approx(40 * (5 - 2))
    assert run.orders.to_dict("records") == [
        {"sku": "HAND", "placed": START, "arrival": date(2026, 2, 15), "units": 300.0}
    ]
    # Storage (R-F1): 3,600 unit-days x 0.1 cu ft x 0.78 (standard, Jan-Sep) / 28 days of
    # February, the fee table's figure.
    assert row["storage_fees"] == pytest.approx(3600 * 0.1 * 0.78 / 28)
    assert row["aged_surcharges"] == 0
    line = run.sku_line(inputs, "HAND")  # from Jan 31, the day of the first review
    assert line["stock"].iloc[:11].tolist() == [100.0 - 10 * k for k in range(11)]
    assert line["lost"].iloc[11:15].tolist() == [10.0] * 4
    assert line["arrivals"].iloc[15] == 300 and line["ordered"].tolist() == [300] + [0] * 28


def test_low_inventory_fee_on_the_hand_replay_against_the_fee_table(hand: Workspace) -> None:
    # The 90 days before the window: 100 on hand, 10 shipped a day. Each day of February the
    # 30- and 90-day days of supply are mean stock / mean units shipped over those days; both
    # under 28 and at least 20 units shipped in 7 days -> the units shipped that day pay the
    # large-standard rate of max(DOS30, DOS90): 0.97 (0-13 days), 0.70 (14-20), 0.36 (21-27).
    inputs = replay.load_replay(hand, start=START, end=END, forecasts=False)
    run = replay.run_policy(inputs, "days-of-supply", 30, rule=replay.DaysOfSupplyRule(7, 90, 30))
    stock = [100.0] * 91 + [90.0 - 10 * k for k in range(10)] + [0.0] * 4
    stock += [290.0 - 10 * k for k in range(14)]
    shipped = [10.0] * 91 + [10.0] * 10 + [0.0] * 4 + [10.0] * 14
    money, fee_days = 0.0, 0
    for d in range(91, 91 + 28):

        def dos(k: int, d: int = d) -> float:
            held = sum(stock[d - k + 1 : d + 1]) / k
            sold = sum(shipped[d - k + 1 : d + 1]) / k
            return held / sold if sold else float("inf")

        d30, d90 = dos(30), dos(90)
        sold7 = sum(shipped[d - 6 : d + 1])
        if d30 < 28 and d90 < 28 and sold7 >= 20:
            worst = int(max(d30, d90))
            rate = 0.97 if worst <= 13 else 0.70 if worst <= 20 else 0.36
            money += rate * shipped[d]
            fee_days += 1
    row = run.sku_table.iloc[0]
    assert fee_days > 0
    assert row["low_inventory_fee_days"] == fee_days
    assert row["low_inventory_fees"] == pytest.approx(money)
    assert row["fees"] == pytest.approx(row["storage_fees"] + money)


def test_fee_functions_on_hand_made_lines() -> None:
    # Low-inventory-level fee: 100 on hand, 10 shipped a day -> 10 days of supply, band 0-13
    # (0.97 a unit, large standard): each of the 29 window days pays 9.70.
    stock, ship = np.full(120, 100.0), np.full(120, 10.0)
    assert replay.low_inventory_fees(stock, ship, 90, "large standard") == (
        pytest.approx(29 * 9.70),
        29,
    )
    # Fewer than 20 units in 7 days: exempt. 1,000 on hand: 100 days of supply, no fee.
    assert replay.low_inventory_fees(stock, np.full(120, 2.0), 90, "large standard") == (0, 0)
    assert replay.low_inventory_fees(np.full(120, 1000.0), ship, 90, None) == (0, 0)
    # Aged surcharge: 1,000 units on 2026-01-01, none sold, 1 cu ft each. Days 181-200 (1-20
    # July) they are 181-200 days old: 0.50 per cubic foot per month (181-210 days), spread
    # over July's 31 days.
    days = pd.date_range("2026-01-01", periods=201)
    arrived = np.zeros(201)
    arrived[0] = 1000
    assert fees.aged_surcharge(1.0, 181, on=date(2026, 7, 1)) == 0.5
    assert replay.aged_surcharges(arrived, np.zeros(201), days, 1.0) == pytest.approx(
        20 * 1000 * 0.5 / 31
    )
    # FIFO: 600 sold by day 190 take the oldest units first.
    served = np.zeros(201)
    served[190] = 600
    older = replay.fifo_units_older_than(arrived, served, 181)
    assert older[185] == 1000 and older[195] == 400 and older[100] == 0


def test_days_of_supply_rule_defaults_and_formula() -> None:
    rule = replay.DaysOfSupplyRule()
    assert (rule.buffer_days, rule.target_days, rule.trailing_days) == (7, 90, 30)
    from stockcycle.settings import Settings

    assert replay.DaysOfSupplyRule.from_settings(Settings()) == rule
    # 20/day, 30-day lead time: reorder below 37 days of cover (740 units), 90 x 20 = 1,800.
    assert replay.days_of_supply_order(741, 20, 30, rule) == 0
    assert replay.days_of_supply_order(739, 20, 30, rule) == 1800
    assert replay.days_of_supply_order(739, 20, 30, rule, case_pack=48) == 1824
    assert replay.days_of_supply_order(0, 0, 30, rule) == 0


# -- the stockcycle policy is the restock plan -----------------------------------------------
def test_stockcycle_replay_orders_what_the_restock_plan_orders(hand: Workspace) -> None:
    from stockcycle.forecast import run_batch
    from stockcycle.lifecycle import stage_table

    end = START + timedelta(days=7)
    inputs = replay.load_replay(hand, start=START, end=end)
    run = replay.run_policy(inputs, "stockcycle", 0.95)
    # The restock plan made on the first day from the workspace as it stood then: the
    # inventory snapshot of that day, the forecast as of that day.
    batch = run_batch(hand, as_of=START)
    stages = stage_table(hand).assign(stage=inputs.stages[replay.PRE_DAYS]["HAND"])
    supply = restock.load_supply(hand, batch=batch, as_of=START, stages=stages)["HAND"]
    assert supply.on_hand == 100 and supply.total_lead_time("sea") == 15
    options = {**restock.plan_options(hand.settings()), "service_level": 0.95}
    plan = restock.plan_sku(supply, shipping_mode="sea", **options)
    assert plan.row["order_date"] == START and plan.row["order_units"] > 0
    first = run.orders[run.orders["placed"] == START]
    assert first["units"].sum() == plan.row["order_units"]
    assert first["arrival"].tolist() == list(plan.deliveries["arrival"])
    # A higher service level never orders less on the same day (more safety stock).
    higher = replay.run_policy(inputs, "stockcycle", 0.99)
    assert higher.orders[higher.orders["placed"] == START]["units"].sum() >= first["units"].sum()


# -- no look-ahead ---------------------------------------------------------------------------
def test_replay_never_reads_the_future(hand: Workspace, home: Path) -> None:
    # Wildly different sales (50x) from Feb 15 on: the decisions of the reviews on or before
    # Feb 14 must not change, for either policy; the review of Feb 21 sees them and differs.
    wild = Workspace.open(home / "wild")
    build_hand(wild, wild_after=date(2026, 2, 14))
    cut = date(2026, 2, 14)
    honest = replay.replay(hand, start=START, end=END, sweep=False)
    changed = replay.replay(wild, start=START, end=END, sweep=False)
    for policy in replay.POLICIES:
        a, b = honest.main[policy].orders, changed.main[policy].orders
        assert a[a["placed"] <= cut].equals(b[b["placed"] <= cut]), policy
        before = honest.main[policy].sku_line(honest.inputs, "HAND")
        after = changed.main[policy].sku_line(changed.inputs, "HAND")
        upto = before["date"] <= pd.Timestamp(cut)
        assert before[upto].equals(after[upto]), policy
    dos_a = honest.main["days-of-supply"].orders
    dos_b = changed.main["days-of-supply"].orders
    assert not dos_a[dos_a["placed"] > cut].equals(dos_b[dos_b["placed"] > cut])
    # A policy handed the future (the forecast made at the end of the wild history) orders
    # differently on the first day: the replay above never gave it that forecast.
    from stockcycle.forecast import run_batch

    cheat = replay.load_replay(hand, start=START, end=END)
    cheat.forecasts[replay.PRE_DAYS] = run_batch(wild, as_of=END).results
    peeked = replay.run_policy(cheat, "stockcycle").orders
    fair = honest.main["stockcycle"].orders
    assert peeked[peeked["placed"] == START]["units"].sum() > (
        fair[fair["placed"] == START]["units"].sum()
    )


# -- the trade-off and the CLI ---------------------------------------------------------------
def test_interpolation_of_the_stock_needed_at_a_fill_rate() -> None:
    rows = pd.DataFrame({"fill_rate": [0.90, 0.94, 0.98], "avg_inventory_value": [100, 200, 400]})
    assert replay.value_at_fill(rows, 0.96) == pytest.approx(300)
    assert replay.value_at_fill(rows, 0.99) is None
    assert replay.interpolate([1, 2], [10, 20], 1.5) == pytest.approx(15)


def test_cli_json_shape_with_a_sweep(hand: Workspace, tmp_path: Path, capsys) -> None:
    out = tmp_path / "replay.xlsx"
    code = main(
        [
            "replay",
            "-w",
            str(hand.path),
            "--policy",
            "days-of-supply",
            "--start",
            START.isoformat(),
            "--end",
            END.isoformat(),
            "--sweep",
            "--json",
            "--quiet",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert {"runs", "skus", "window", "stock_at_target"} <= set(data)
    keys = {
        "policy",
        "setting",
        "fill_rate",
        "avg_inventory_value",
        "avg_inventory_units",
        "stockout_days",
        "lost_units",
        "fees",
    }
    # The default 90 days is one of the six swept settings: six runs.
    assert [r["setting"] for r in data["runs"]] == [90, 30, 45, 60, 105, 120]
    assert all(keys <= set(r) for r in data["runs"])
    assert {r["policy"] for r in data["runs"]} == {"days-of-supply"}
    assert data["skus"][0]["sku"] == "HAND" and data["skus"][0]["setting"] == 90
    by_setting = {r["setting"]: r for r in data["runs"]}
    # 30 days of supply: the hand-worked replay above.
    assert by_setting[30]["fill_rate"] == pytest.approx(240 / 280)
    assert by_setting[30]["stockout_days"] == 4
    assert pd.read_excel(out)["sku"].tolist() == ["HAND"]
    assert data["window"] == {
        "start": "2026-01-31",
        "end": "2026-02-28",
        "days": 28,
        "reviews": 4,
        "refits": 0,
        "skus": 1,
    }


def test_cli_refuses_a_window_after_the_data(hand: Workspace, capsys) -> None:
    code = main(["replay", "-w", str(hand.path), "--end", "2026-06-01", "--quiet"])
    assert code == 2
    assert "after the data" in capsys.readouterr().err


def test_runs_in_processes_give_the_same_figures(hand: Workspace) -> None:
    inputs = replay.load_replay(hand, start=START, end=END, forecasts=False)
    alone = replay.replay(inputs=inputs, policies=("days-of-supply",), sweep=True)
    forked = replay.replay(inputs=inputs, policies=("days-of-supply",), sweep=True, workers=2)
    assert alone.runs_table().equals(forked.runs_table())
    assert alone.sku_table().equals(forked.sku_table())
