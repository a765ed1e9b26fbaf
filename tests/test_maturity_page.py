"""The Maturity page through AppTest on the sample workspace (R-M1..R-M5, R-K5, R-F1, R-F2).

One page run walks every step the way a seller would; the figures on screen are checked against
values worked by hand from the SKU's own inputs (daily sales, lead time, spread of sales, unit
cost), not against the page's own functions: one SKU's base and event thresholds, its EOQ, the
C-class cash cap, and the capacity rule once a limit binds.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from statistics import NormalDist

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from stockcycle import maturity

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGE = "pages/7_Maturity.py"
TIMEOUT = 300
DATA_DATE = date(2026, 10, 31)


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def go(at: AppTest, step: int) -> None:
    next(r for r in at.radio if r.label == "Step").set_value(step).run()
    ok(at)


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}: {[m.label for m in at.metric]}"
    return values[0]


def frame_with(at: AppTest, column: str):
    """The first table on screen with ``column``."""
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with {column!r}")


def money(x: float) -> str:
    return f"{x:,.0f} USD"


def test_maturity_page_walks_every_step_on_the_sample(forecast_workspace):
    ws = forecast_workspace
    inputs = maturity.load_maturity(ws, today=DATA_DATE)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["workspace_path"] = str(ws.path)
    at.switch_page(PAGE).run()
    ok(at)

    # Step 1: every maturity product, by money at stake.
    skus = frame_with(at, "money_at_stake")
    assert len(skus) == 21
    assert set(skus["sku"]) == set(inputs.supplies)
    assert skus["money_at_stake"].is_monotonic_decreasing
    assert "Explain: the product list" in [e.label for e in at.expander]

    # Step 2: thresholds of one B product worked by hand.
    go(at, 1)
    sku = next(k for k in inputs.supplies if maturity.abc_class(inputs, k) == "B")
    s = inputs.supplies[sku]
    lead = s.lead_time_days + s.transit_days["sea"] + s.receiving_days
    cycle = math.ceil(lead) + 7  # sea lead time + the 7-day review, whole days
    z = NormalDist().inv_cdf(0.95)  # 5% stockout target
    d = s.daily_demand
    base = d * cycle + z * math.sqrt(cycle * s.sd_daily_demand**2 + d**2 * s.sd_lead_time_days**2)
    table = frame_with(at, "base_threshold").set_index("sku")
    assert table.loc[sku, "cycle_days"] == cycle
    assert table.loc[sku, "base_threshold"] == pytest.approx(base, rel=1e-9)
    assert table.loc[sku, "event_threshold"] == pytest.approx(base * 1.30, rel=1e-9)
    # The event buffer slider moves the event threshold live: 30% -> 50%.
    next(w for w in at.slider if w.label == "Event buffer (%)").set_value(50).run()
    ok(at)
    table = frame_with(at, "base_threshold").set_index("sku")
    assert table.loc[sku, "event_threshold"] == pytest.approx(base * 1.50, rel=1e-9)
    assert table.loc[sku, "base_threshold"] == pytest.approx(base, rel=1e-9)
    assert any(e.label.startswith("Explain: thresholds of") for e in at.expander)

    # Step 3: its EOQ = sqrt(2 K D / h) with K = 150, D = 365 d, h = 25% x unit cost.
    go(at, 2)
    abc = frame_with(at, "eoq_units").set_index("sku")
    eoq = math.sqrt(2 * 150 * 365 * d / (0.25 * s.unit_cost))
    assert abc.loc[sku, "eoq_units"] == pytest.approx(eoq, rel=1e-9)
    assert abc.loc[sku, "yearly_ordering_cost"] == pytest.approx(
        abc.loc[sku, "yearly_holding_cost"], rel=1e-9
    )
    # The C-class cap: 5% of every SKU's stock at cost + the maturity orders at cost.
    stock = inputs.health["inventory_cost"].astype(float).fillna(0.0).sum()
    plan = maturity.plan_maturity(
        inputs, maturity.MaturityChoices.from_settings(inputs.settings, event_buffer=0.5)
    )
    orders = sum(r.restock_units * inputs.supplies[k].unit_cost for k, r in plan.skus.items())
    assert metric(at, "Class C cash cap") == money(0.05 * (stock + orders))

    # Step 4: a capacity limit that binds makes deliveries wait.
    go(at, 3)
    assert metric(at, "Waiting cost (capacity)") == "0 USD"
    # One corridor fee worked by hand: NW-CB-BAM-M (large standard) has 259 units available
    # at FBA on the data date; its days of supply = 259 / (Amazon units of the last 30 / 90
    # days / 30 / 90). Both under 28 -> the low-inventory-level fee applies, at the fee
    # table's large-standard rate for 21-27 days of supply, 0.36 a unit.
    sales = ws.read("sales")
    amazon = sales[sales["channel"].str.lower().str.startswith("amazon.")]
    inv = ws.read("inventory")
    fba = inv[(inv["location"] == "FBA") & (inv["snapshot_date"] == inv["snapshot_date"].max())]
    available = float(fba.loc[fba["sku"] == "NW-CB-BAM-M", "available"].sum())
    assert available == 259

    def supply_days(days: int) -> float:
        start = pd.Timestamp(DATA_DATE) - pd.Timedelta(days=days)
        sold = amazon[(amazon["sku"] == "NW-CB-BAM-M") & (amazon["date"] > start)]["units"].sum()
        return available / (sold / days)

    d30, d90 = supply_days(30), supply_days(90)
    assert 21 <= max(d30, d90) < 28
    corridor = frame_with(at, "low_inventory_fee_per_unit_now").set_index("sku")
    assert corridor.loc["NW-CB-BAM-M", "days_of_supply_30"] == pytest.approx(d30)
    assert corridor.loc["NW-CB-BAM-M", "days_of_supply_90"] == pytest.approx(d90)
    assert corridor.loc["NW-CB-BAM-M", "position_now"] == "below 28 days"
    assert corridor.loc["NW-CB-BAM-M", "low_inventory_fee_per_unit_now"] == pytest.approx(0.36)
    d_bam = inputs.supplies["NW-CB-BAM-M"].daily_demand
    assert corridor.loc["NW-CB-BAM-M", "low_inventory_fee_month_now"] == pytest.approx(
        0.36 * 30 * d_bam
    )
    next(w for w in at.number_input if w.label.startswith("Capacity, standard")).set_value(
        20.0
    ).run()
    next(w for w in at.number_input if w.label.startswith("AWD")).set_value(1.0).run()
    next(w for w in at.number_input if w.label.startswith("3PL")).set_value(2.0).run()
    next(w for w in at.number_input if w.label.startswith("Supplier")).set_value(0.5).run()
    ok(at)
    months = frame_with(at, "admitted_cuft")
    assert months["waiting_units"].sum() > 0
    standard = months[months["storage_class"] == "standard"]
    # What goes in each month fits the 20 cubic feet; what is planned there did not.
    assert (standard["admitted_cuft"] <= 20.0 + 1e-9).all()
    assert (standard["arriving_cuft"] > 20.0).any()
    waits = frame_with(at, "wait_location")
    # Waiting units go to the supplier (not shipped yet) or to AWD, cheaper than the 3PL.
    assert set(waits["wait_location"]) <= {"supplier", "AWD"}
    rate = {"supplier": 0.5, "AWD": 1.0}
    cost = (
        waits["waiting_units"]
        * waits["sku"].map(inputs.cubic_feet)
        * waits["wait_location"].map(rate)
    )
    assert waits["wait_cost"].to_numpy() == pytest.approx(cost.to_numpy())
    assert metric(at, "Waiting cost (capacity)") == money(cost.sum())
    assert "Explain: fee corridor" in [e.label for e in at.expander]

    # Step 5: the plan, its dates, the download buttons, save.
    go(at, 4)
    texts = [i.value for i in at.info]
    assert any("Plan made on 2026-10-31 from data up to 2026-10-31" in t for t in texts)
    labels = [b.label for b in at.get("download_button")]
    assert "Download plan (CSV)" in labels and "Download plan (XLSX)" in labels
    next(b for b in at.button if b.label == "Save plan to the workspace").click().run()
    ok(at)
    saved = ws.plans("maturity")
    assert len(saved) == 1
    _, table = ws.load_plan(int(saved["id"].iloc[0]))
    assert set(table["sku"]) == set(inputs.supplies)
    assert int(table["waiting_units"].sum()) > 0


def test_maturity_page_on_an_empty_workspace_says_what_to_do():
    from stockcycle.store import Workspace

    ws = Workspace.named("empty")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["workspace_path"] = str(ws.path)
    at.switch_page(PAGE).run()
    ok(at)
    assert [i.value for i in at.info] == ["No products yet: import sales on the Data page."]
