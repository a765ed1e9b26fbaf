"""The Exit page through AppTest on the sample workspace (R-E1..R-E3, R-F3).

One page run walks the four steps for NW-DISH-RACK, a decline SKU whose storage already
passes half of the gross profit its stock still holds (the exit rule fires on the data date).
Pinned: the markdown plan against ``clearance.markdown`` and the closed-form price
c / (1 - r) x e / (1 + e) worked by hand; the ways out against the fee figures of the fee table
worked by hand for a large bulky unit (liquidation processing fee by shipping weight, removal
and disposal fees); one recommendation with its reason; the order list saved.
"""

from __future__ import annotations

import math
from pathlib import Path

from streamlit.testing.v1 import AppTest

from stockcycle import clearance
from stockcycle.clearance import load_clearance

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGE = "pages/9_Exit.py"
SKU = "NW-DISH-RACK"


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def go(at: AppTest, step: int) -> None:
    next(r for r in at.radio if r.label == "Step").set_value(step).run()
    ok(at)


def oversize_fees(weight_lb: float) -> tuple[float, float]:
    """(liquidation processing fee, removal = disposal fee) per unit of a large bulky unit,
    from the published tables: liquidation 0.60 / 0.70 / 0.90 / 1.45 up to 1 / 2 / 4 / 10 lb,
    then 1.90 + 0.20 per lb above 10; removal 3.12 / 4.30 / 6.36 / 10.04, then 14.32 + 1.06."""
    for top, liq, rem in ((1, 0.60, 3.12), (2, 0.70, 4.30), (4, 0.90, 6.36), (10, 1.45, 10.04)):
        if weight_lb <= top:
            return liq, rem
    extra = math.ceil(weight_lb - 10)
    return 1.90 + 0.20 * extra, 14.32 + 1.06 * extra


def test_exit_wizard_on_the_sample(sample_workspace) -> None:
    inp = load_clearance(sample_workspace, SKU)
    assert inp.exit_date == inp.as_of == inp.today  # the sample's data date
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["workspace_path"] = str(sample_workspace.path)
    at.switch_page(PAGE).run()
    ok(at)
    at.selectbox(key=next(s.key for s in at.selectbox if s.label == "SKU")).set_value(SKU).run()
    ok(at)

    # 1 Signals: the exit rule fires today.
    assert any(w.value.startswith("Exit today") for w in at.warning)
    assert any(e.label == "Explain: the exit date" for e in at.expander)

    # 2 Markdown plan with the seller's own price response -3 over 6 weeks.
    go(at, 1)
    radio = next(r for r in at.radio if r.label == "How sales respond to price")
    radio.set_value("own").run()
    ok(at)
    box = next(n for n in at.number_input if n.label.startswith("Your figure"))
    box.set_value(-3.0).run()
    at.slider(key=next(s.key for s in at.slider if s.label == "Weeks to clear")).set_value(6).run()
    ok(at)
    e = inp.elasticity_for(-3.0)
    want = clearance.markdown(inp, 6, elasticity=e)
    shown = at.dataframe[0].value
    assert shown["price"].tolist() == want["price"].tolist()
    assert shown["units_sold"].tolist() == want["units_sold"].tolist()
    # Closed form by hand: c / (1 - r) x e / (1 + e) = 11.39 / 0.85 x -3 / -2 = 20.10.
    closed = 11.39 / (1 - 0.15) * -3 / (1 - 3)
    assert math.isclose(want.attrs["closed_form_price"], closed, rel_tol=1e-12)
    md = next(e for e in at.expander if e.label == "Explain: the markdown plan")
    assert f"= {closed:,.2f}" in md.markdown[0].value
    # A markdown only goes down (R-E1 "a discount curve").
    assert shown["price"].is_monotonic_decreasing

    # 3 Ways out: hand-worked fees for the units on hand (the exit date is today).
    go(at, 2)
    liq_fee, removal = oversize_fees(inp.weight_lb)
    n = inp.on_hand
    gross = 0.075 * inp.price * n
    table = at.dataframe[0].value.set_index("option")
    assert math.isclose(table.loc["liquidation", "net"], gross - liq_fee * n - 0.15 * gross)
    assert math.isclose(table.loc["disposal", "net"], -removal * n)
    assert math.isclose(table.loc["donation", "net"], -removal * n)
    assert math.isclose(table.loc["removal to another channel", "net"], -removal * n)
    # Another channel paying 30 a unit after its fees, 2 of freight: 30 - removal - 2.
    price = next(n for n in at.number_input if n.label.startswith("Other channel: price"))
    price.set_value(30.0).run()
    freight = next(n for n in at.number_input if n.label.startswith("Other channel: freight"))
    freight.set_value(2.0).run()
    ok(at)
    table = at.dataframe[0].value.set_index("option")
    assert math.isclose(table.loc["removal to another channel", "net"], (30 - removal - 2) * n)
    assert table["recommended"].sum() == 1
    if inp.weight_default:
        assert any("default 1 lb used" in i.value for i in at.info)

    # 4 Decision: one recommendation, the order list, saved to the workspace.
    go(at, 3)
    rec, options = clearance.recommend(inp, None, other_channel_price=30.0, other_channel_cost=2.0)
    assert rec.exit_date == inp.as_of and rec.when_text == "today"
    best = options.loc[options["recommended"], "option"].iloc[0]
    assert rec.disposition == best
    boxes = (
        [w.value for w in at.warning] + [s.value for s in at.success] + [x.value for x in at.error]
    )
    assert sum(v.startswith(f"**{rec.action}**") for v in boxes) == 1
    orders = at.dataframe[0].value
    assert set(orders["sku"]) == {SKU}
    assert orders["units"].sum() == round(n)
    labels = {b.label for b in at.get("download_button")}
    assert {"Download order list (CSV)", "Download order list (XLSX)"} <= labels
    at.button(key="exit_save").click().run()
    ok(at)
    saved = sample_workspace.plans("exit")
    assert len(saved) == 1
    params, stored = sample_workspace.load_plan(int(saved["id"].iloc[0]))
    assert params["action"] == rec.action and len(stored) == len(orders)
