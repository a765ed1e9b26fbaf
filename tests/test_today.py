"""The Today service, verb and page (R-T5): one current action per SKU, with its urgency and
the money at stake, checked against ``restock.restock_plan`` and the products table on the
sample workspace (forecast cache warm), and the page's figures against the CLI's."""

from __future__ import annotations

import json
import math
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from stockcycle import restock
from stockcycle.cli import main
from stockcycle.today import URGENCY, today_table

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGE = "pages/0_Today.py"
TIMEOUT = 300
#: A day 35 days after the sample's data date (31 Oct 2026): many orders are overdue.
LATER = date(2026, 12, 5)
JSON_KEYS = {
    "sku",
    "stage",
    "action",
    "urgency",
    "due_date",
    "overdue_days",
    "money_at_stake",
    "as_of",
    "reason",
}


@pytest.fixture
def later(forecast_workspace):
    """(today table, restock plan) of the sample, both made on ``LATER``."""
    result = today_table(forecast_workspace, today=LATER)
    plan = restock.restock_plan(forecast_workspace, today=LATER)
    return result, plan


def test_each_sku_once_with_one_action(forecast_workspace, later) -> None:
    result, _ = later
    table = result.table
    assert sorted(table["sku"]) == sorted(forecast_workspace.skus())
    assert table["sku"].is_unique
    assert table["action"].notna().all() and (table["action"] != "").all()
    assert set(table["urgency"]) <= set(URGENCY)
    assert result.as_of == date(2026, 10, 31)
    assert result.dates_line() == "As of 31 Oct 2026, planned on 5 Dec 2026"
    # Sorted by urgency, then money at stake (largest first).
    ranks = table["urgency_rank"].tolist()
    assert ranks == sorted(ranks)
    for _, group in table.groupby("urgency_rank"):
        money = group["money_at_stake"].dropna().tolist()
        assert money == sorted(money, reverse=True)


def test_decline_and_exit_never_ordered(later) -> None:
    table = later[0].table
    fading = table[table["stage"].isin(["decline", "exit"])]
    assert len(fading) == 9  # 6 decline + 3 exit in the sample
    assert not fading["action_type"].eq("Order").any()
    assert not fading["action"].str.contains("Order", case=True).any()
    assert (fading["order_units"] == 0).all()
    assert set(fading.loc[fading["stage"] == "exit", "action"]) == {"Exit"}
    assert set(fading.loc[fading["stage"] == "decline", "action"]) == {"Clear stock"}


def test_overdue_action_matches_the_plan(later) -> None:
    table, plan = later[0].table.set_index("sku"), later[1].set_index("sku")
    overdue = plan[plan["overdue_days"] > 0]
    assert len(overdue) > 0
    for sku, p in overdue.iterrows():
        t = table.loc[sku]
        assert t["urgency"] == "Overdue"
        assert t["overdue_days"] == p["overdue_days"]
        assert t["due_date"] == p["order_date"]
        assert t["action"] == (
            f"Overdue by {p['overdue_days']:,} days: order {p['order_units']:,} units now"
        )
        # The order is placed on the page of the SKU's stage.
        assert (
            t["page"]
            == {"launch": "Launch", "growth": "Growth", "maturity": "Maturity"}[t["stage"]]
        )


def test_money_at_stake_by_hand(forecast_workspace, later) -> None:
    """NW-SILBAG-4 on 5 Dec 2026: its order (due 31 Oct) is placed today and lands a total
    lead time later; the stock runs out on 19 Dec. Lost units = the demand the stock on hand and
    on order cannot serve from today to the day before the arrival, walked day by day here;
    unit margin = price - unit cost - freight of the mode, from the products table."""
    result, plan = later
    sku = "NW-SILBAG-4"
    p = plan.set_index("sku").loc[sku]
    assert p["overdue_days"] == 35 and p["stockout_date"] == date(2026, 12, 19)
    arrival = LATER + timedelta(days=math.ceil(p["lead_time_days"]))
    assert arrival > p["stockout_date"]  # it lands late
    prod = forecast_workspace.read("products").set_index("sku").loc[sku]
    freight = prod[f"{p['shipping_mode']}_cost"]
    margin = prod["price"] - prod["unit_cost"] - freight
    supply = restock.load_supply(forecast_workspace, skus=[sku])[sku]
    arriving = supply.arrivals.groupby(pd.to_datetime(supply.arrivals["date"]))["units"].sum()
    stock, lost = supply.on_hand, 0.0
    for day, demand in supply.daily_forecast.items():  # from the day after the data date
        if day.date() >= arrival:
            break
        # Open orders dated before the first day count on the first day.
        first = day == supply.daily_forecast.index[0]
        stock += arriving[arriving.index <= day].sum() if first else arriving.get(day, 0.0)
        served = min(stock, demand)
        stock -= served
        if day.date() >= LATER:
            lost += demand - served
    assert lost > 0
    t = result.table.set_index("sku").loc[sku]
    assert t["money_basis"] == "margin at risk"
    assert t["money_at_stake"] == pytest.approx(lost * margin, rel=1e-9)


def test_clear_stock_money_is_cash_tied_up(forecast_workspace, later) -> None:
    result, plan = later
    sku = "NW-DISH-RACK"
    on_hand = plan.set_index("sku").loc[sku, "on_hand"]
    cost = forecast_workspace.read("products").set_index("sku").loc[sku, "unit_cost"]
    t = result.table.set_index("sku").loc[sku]
    assert t["action"] == "Clear stock" and t["money_basis"] == "cash tied up"
    assert t["money_at_stake"] == pytest.approx(on_hand * cost)
    assert t["page"] == "Decline"


def test_open_order_of_a_decline_sku_is_trimmed(forecast_workspace) -> None:
    with sqlite3.connect(forecast_workspace.db_path) as con:
        con.execute(
            "insert into purchase_orders values ('PO-T1', 'NW-BEESWRAP', 300, '2026-10-20', "
            "'2026-12-20', 'FBA', 'open', 10)"
        )
    table = today_table(forecast_workspace, today=LATER).table.set_index("sku")
    cost = forecast_workspace.read("products").set_index("sku").loc["NW-BEESWRAP", "unit_cost"]
    row = table.loc["NW-BEESWRAP"]
    assert row["action"] == "Trim open order" and row["urgency"] == "Due soon"
    assert row["money_at_stake"] == pytest.approx(300 * cost)


def test_missing_unit_cost_of_a_decline_sku_is_fix_data(forecast_workspace) -> None:
    with sqlite3.connect(forecast_workspace.db_path) as con:
        con.execute("update products set unit_cost = null where sku = 'NW-TEA-INF'")
    row = today_table(forecast_workspace, today=LATER).table.set_index("sku").loc["NW-TEA-INF"]
    assert row["action"] == "Fix data" and row["page"] == "Data"
    assert "unit_cost" in row["reason"]


def run(argv: list, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_json_and_today(forecast_workspace, later, capsys) -> None:
    code, out, err = run(
        ["today", "-w", forecast_workspace.path, "--today", "2026-12-05", "--json"], capsys
    )
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 40
    for r in rows:
        assert set(r) >= JSON_KEYS
        assert r["today"] == "2026-12-05"
    by_sku = {r["sku"]: r for r in rows}
    table = later[0].table.set_index("sku")
    for sku, r in by_sku.items():
        assert r["action"] == table.loc[sku, "action"]
        assert r["overdue_days"] == table.loc[sku, "overdue_days"]
    assert "Your data ends 35 days before today" in err


def test_cli_text_and_xlsx(forecast_workspace, capsys, tmp_path) -> None:
    out_file = tmp_path / "today.xlsx"
    code, out, _ = run(["today", "-w", forecast_workspace.path, "--out", out_file], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "As of 31 Oct 2026, planned on 31 Oct 2026"  # today fixed by conftest
    assert "Warning" not in out
    frame = pd.read_excel(out_file)
    assert len(frame) == 40 and "money_at_stake" in frame.columns


def test_cli_bad_today(forecast_workspace, capsys) -> None:
    code, _, err = run(["today", "-w", forecast_workspace.path, "--today", "5/12/2026"], capsys)
    assert code == 2 and "--today" in err


def open_page(ws) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["workspace_path"] = str(ws.path)
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_page_filters_downloads_and_one_figure(forecast_workspace, capsys) -> None:
    at = open_page(forecast_workspace)
    assert at.title[0].value == "Today"
    frame = at.dataframe[0].value
    assert len(frame) == 40
    labels = [b.label for b in at.get("download_button")]
    assert "Download today's actions (CSV)" in labels
    assert "Download today's actions (XLSX)" in labels
    assert any(e.label.startswith("Explain") for e in at.expander)

    stage = next(m for m in at.multiselect if m.label == "Stage")
    stage.set_value(["decline"]).run()
    frame = at.dataframe[0].value
    assert len(frame) == 6 and set(frame["stage"]) == {"decline"}
    action = next(m for m in at.multiselect if m.label == "Action")
    assert action.options == ["Order", "Clear stock", "Exit"]  # the kinds the sample needs
    stage.set_value([]).run()
    next(m for m in at.multiselect if m.label == "Action").set_value(["Exit"]).run()
    frame = at.dataframe[0].value
    assert set(frame["action"]) == {"Exit"} and len(frame) == 3

    # One figure, one value: the page's money at stake of a SKU is the CLI's.
    sku = "NW-GFS-18"
    next(m for m in at.multiselect if m.label == "Action").set_value([]).run()
    page_row = at.dataframe[0].value.set_index("sku").loc[sku]
    code, out, _ = run(["today", "-w", forecast_workspace.path, "--json"], capsys)
    assert code == 0
    cli_row = next(r for r in json.loads(out) if r["sku"] == sku)
    assert page_row["money_at_stake"] == pytest.approx(cli_row["money_at_stake"], rel=1e-12)
    assert page_row["action"] == cli_row["action"]
    assert page_row["money_at_stake"] > 0


def test_page_is_listed_right_after_home(forecast_workspace) -> None:
    at = open_page(forecast_workspace)
    links = [p.proto.label for p in at.sidebar.get("page_link")]
    assert links[:3] == ["Home", "Today", "Data"]


def test_fee_corridor_comes_from_the_fee_table(tmp_path) -> None:
    """R-F1: 28 days of supply (low-inventory-level fee) and 22 weeks = 154 days (storage
    utilization surcharge) in the 2026 table; a seller's table without the surcharge has no
    upper edge, and the chart draws only the edge there is."""
    from stockcycle import charts, fees
    from stockcycle.today import corridor_days

    assert corridor_days() == (28.0, 154.0)
    rows = fees.load_fee_table().path.read_text(encoding="utf-8").splitlines()
    own = tmp_path / "fees.csv"
    own.write_text(
        "\n".join(r for r in rows if not r.startswith("storage_utilization,")), encoding="utf-8"
    )
    low, high = corridor_days(fees.load_fee_table(own))
    assert low == 28.0 and high == math.inf
    table = pd.DataFrame(
        {"sku": ["A", "B"], "days_of_cover": [10.0, math.inf], "action_type": ["Order", "Hold"]}
    ).assign(action=["Order 5 units", "Hold"])
    spec = charts.cover_corridor_chart(table, low, high).to_dict()
    rules = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    data = spec["datasets"]
    drawn = [v for values in data.values() for v in values if "days" in v and "what" in v]
    assert [d["days"] for d in drawn] == [28.0] and len(rules) == 1


def test_sales_without_any_stock_figures_are_said_once(tmp_path) -> None:
    """A workspace with sales and no inventory report: every product asks for its stock
    figures (its row), and the page says why once, at the top; with one snapshot it does not."""
    from stockcycle.ingest import parse_file
    from stockcycle.store import Workspace
    from stockcycle.today import NO_STOCK_WARNING, today_table

    days = pd.date_range("2026-03-01", "2026-10-31", freq="D")
    sales = pd.DataFrame(
        {"date": days.strftime("%Y-%m-%d").repeat(2), "sku": ["A", "B"] * len(days), "units": 3}
    )
    (tmp_path / "sales.csv").write_text(sales.to_csv(index=False), encoding="utf-8")
    ws = Workspace.open(tmp_path / "w")
    ws.import_files([parse_file(tmp_path / "sales.csv")])
    result = today_table(ws, today=date(2026, 11, 1))
    assert result.warnings == [NO_STOCK_WARNING]
    assert set(result.table["action_type"]) == {"Fix data"}
    (tmp_path / "stock.csv").write_text(
        "sku,available,snapshot_date\nA,50,2026-10-31\n", encoding="utf-8"
    )
    ws.import_files([parse_file(tmp_path / "stock.csv")])
    assert today_table(ws, today=date(2026, 11, 1)).warnings == []
