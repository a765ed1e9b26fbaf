"""The Decline page through AppTest on the sample workspace (R-D1..R-D5).

One page run walks the four steps for NW-DISH-RACK (a decline SKU of the sample) the way a
seller would. The scenario profit on screen is checked against a hand computation from the
SKU's inputs (constant elasticity, unit-days summed day by day: independent of
``pricing.clearance_scenarios``), the heat map cell against the same, and the plan download
and save against what the page showed.
"""

from __future__ import annotations

import math
from pathlib import Path

from streamlit.testing.v1 import AppTest

from stockcycle.clearance import load_clearance

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGE = "pages/8_Decline.py"
SKU = "NW-DISH-RACK"
DAYS_PER_MONTH = 365 / 12


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def go(at: AppTest, step: int) -> None:
    next(r for r in at.radio if r.label == "Step").set_value(step).run()
    ok(at)


def held_unit_days(n: float, rate: float, days: int, base: float, horizon: int = 365) -> float:
    """Unit-days of stock over the horizon, summed day by day (the average of each day's
    start and end stock): ``rate`` a day during the promotion, ``base`` after it."""
    left, total = n, 0.0
    for day in range(horizon):
        r = rate if day < days else base
        end = max(0.0, left - r)
        if left > 0 and r > 0 and left < r:  # sells out within the day: a triangle
            total += left * (left / r) / 2
        else:
            total += (left + end) / 2
        left = end
    return total


def hand_profit(inp, share: float, days: int) -> float:
    """Profit of a plain ``share`` discount over ``days`` days, by hand (R-D2, R-D3, R-D5)."""
    p = inp.price * (1 - share)
    rate = inp.rate * (1 - share) ** inp.elasticity.value
    sold = min(inp.on_hand, rate * days)
    fees = sold * (inp.fba + inp.referral * p)
    holding = (inp.storage + inp.surcharge) / DAYS_PER_MONTH
    saved = (
        held_unit_days(inp.on_hand, inp.rate, 0, inp.rate)
        - held_unit_days(inp.on_hand, rate, days, inp.rate)
    ) * holding
    return sold * p - fees - sold * inp.cost + saved


def test_decline_wizard_on_the_sample(sample_workspace, tmp_path: Path) -> None:
    inp = load_clearance(sample_workspace, SKU)
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["workspace_path"] = str(sample_workspace.path)
    at.switch_page(PAGE).run()
    ok(at)
    at.selectbox(key=next(s.key for s in at.selectbox if s.label == "SKU")).set_value(SKU).run()
    ok(at)

    # 1 Signal: stage, stock and the weekly drops; every open order with its savings.
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Stage"] == "Decline"
    assert metrics["Units on hand"] == f"{inp.on_hand:,.0f}"
    assert any(e.label == "Explain: weekly sales and the decline signal" for e in at.expander)
    if len(inp.open_orders):
        shown = at.dataframe[0].value
        assert shown["cash_saved"].sum() == inp.open_orders["cash_saved"].sum()

    # 2 Price reference: the band of the latest Xray snapshot.
    go(at, 1)
    if inp.price_band:
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Median"] == f"{inp.price_band['median']:,.2f} USD"

    # 3 Scenarios: 20% off over 30 days without ads, against the hand computation.
    go(at, 2)
    table = at.dataframe[0].value.set_index("scenario")
    want = hand_profit(inp, 0.20, 30)
    assert math.isclose(table.loc["20% off", "profit"], want, rel_tol=1e-6), (
        table.loc["20% off", "profit"],
        want,
    )
    assert math.isclose(table.loc["no change", "profit"], hand_profit(inp, 0.0, 30), rel_tol=1e-6)
    best = table["profit"].idxmax()
    assert f"**{best}**" in at.success[0].value
    label = "Price response used:"
    assert any(c.value.startswith(label) for c in at.caption)

    # A longer promotion moves the profit as the hand computation says.
    at.slider(key=next(s.key for s in at.slider if s.label == "Promotion length (days)")).set_value(
        60
    ).run()
    ok(at)
    table = at.dataframe[0].value.set_index("scenario")
    assert math.isclose(table.loc["20% off", "profit"], hand_profit(inp, 0.20, 60), rel_tol=1e-6)

    # 4 Sensitivity: plan 20% off; the chosen cell is that profit; download and save.
    go(at, 3)
    box = next(s for s in at.selectbox if s.label == "Scenario to plan")
    box.set_value("20% off").run()
    ok(at)
    plan = at.dataframe[0].value
    assert plan.loc[0, "scenario"] == "20% off"
    assert math.isclose(plan.loc[0, "profit"], round(hand_profit(inp, 0.20, 60), 2), abs_tol=0.01)
    labels = {b.label for b in at.get("download_button")}
    assert {"Download clearance plan (CSV)", "Download clearance plan (XLSX)"} <= labels
    at.button(key="decline_save").click().run()
    ok(at)
    saved = sample_workspace.plans("clearance")
    assert len(saved) == 1 and SKU in saved["name"].iloc[0]
    _params, stored = sample_workspace.load_plan(int(saved["id"].iloc[0]))
    assert float(stored.loc[0, "profit"]) == plan.loc[0, "profit"]
