"""The Growth restock page through AppTest on the sample workspace (R-G1..R-G5, R-A3, R-K5).

Each step is walked the way a seller would, and what the page shows is checked against the
library functions called directly on the same workspace: the priority list against
``priority.growth_priority``, the stockout date against ``policy.projected_stock``, the
policy metrics against ``restock.plan_sku``, the plan against ``restock.restock_plan``, the
review against ``kpi.weekly_review``.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from stockcycle import fees, kpi, policy, restock
from stockcycle.forecast import run_batch
from stockcycle.lifecycle import stage_table
from stockcycle.priority import growth_priority, keyword_table, sku_keyword_summary

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGE = "pages/6_Growth.py"
TIMEOUT = 300
#: The sample's data date (its last sales day and inventory snapshot).
DATA_DATE = date(2026, 10, 31)


@pytest.fixture(autouse=True)
def page_today(monkeypatch):
    """The page plans on the sample's data date, so its plan is ``restock_plan``'s with
    ``today=None`` (R-T1); a test about planning later sets ``datadate.today`` itself."""
    from stockcycle import datadate

    monkeypatch.setattr(datadate, "today", lambda: DATA_DATE)


def open_page(ws) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["workspace_path"] = str(ws.path)
    at.switch_page(PAGE).run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def go(at: AppTest, step: int) -> None:
    next(r for r in at.radio if r.label == "Step").set_value(step).run()
    ok(at)


def store_key(ws) -> str:
    """The session key of the page's wizard state (``ui.wizard.Wizard``: name + a hash of the
    workspace path)."""
    return f"_wizard:growth:{hashlib.sha1(str(ws.path).encode()).hexdigest()[:10]}"


def selectbox(at: AppTest, label: str):
    return next(w for w in at.selectbox if w.label == label)


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}: {[m.label for m in at.metric]}"
    return values[0]


def metric_delta(at: AppTest, label: str) -> str:
    return next(m.delta for m in at.metric if m.label == label)


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if column in df.value.columns)


@pytest.fixture
def expected(sample_workspace):
    """The library's view of the sample: growth SKUs, supplies and the restock plan."""
    ws = sample_workspace
    stages = stage_table(ws)
    growth = stages.loc[stages["stage"] == "growth", "sku"].tolist()
    batch = run_batch(ws)
    supplies = restock.load_supply(ws, batch=batch, skus=growth, stages=stages)
    plan = restock.restock_plan(ws, skus=growth, batch=batch, supplies=supplies)
    return {"stages": stages, "growth": growth, "supplies": supplies, "plan": plan}


def test_walk_every_step_and_check_the_numbers(sample_workspace, expected) -> None:
    ws, s = sample_workspace, sample_workspace.settings()
    assert expected["growth"], "the sample has growth SKUs"
    at = open_page(ws)

    # 1 SKUs: every growth SKU, ranked as growth_priority ranks the restock plan's rows (the
    # plan of step 4), so the list and the plan say the same.
    shown = frame_with(at, "priority")
    assert sorted(shown["sku"]) == sorted(expected["growth"])
    stages = expected["stages"].set_index("sku")
    kw = sku_keyword_summary(
        keyword_table(
            ws.read("keywords"),
            ws.read("products"),
            volume_premium_min=s.keyword_volume_premium,
            max_competition=s.keyword_max_competition,
        )
    ).set_index("sku")
    plan_rows = expected["plan"].set_index("sku")
    inputs = pd.DataFrame(
        [
            {
                "sku": sku,
                "stage": plan_rows.loc[sku, "stage"],
                "daily_demand": plan_rows.loc[sku, "daily_demand"],
                "days_of_cover": plan_rows.loc[sku, "days_of_cover"],
                "lead_time_days": plan_rows.loc[sku, "lead_time_days"],
                "stockout_date": plan_rows.loc[sku, "stockout_date"],
                "order_date": plan_rows.loc[sku, "order_date"],
                "trend": stages.loc[sku, "change_8w_adjusted"],
                "search_trend": kw["search_trend"].get(sku, math.nan),
                "keyword_opportunity": bool(kw["keyword_opportunity"].get(sku, False)),
                "best_keyword": kw["best_keyword"].get(sku),
            }
            for sku in expected["supplies"]
        ]
    )
    as_of = max(sup.as_of for sup in expected["supplies"].values())
    ranked = growth_priority(inputs, review_period_days=s.review_period_days, as_of=as_of)
    assert shown["sku"].tolist() == ranked["sku"].tolist()
    assert shown["days_of_cover"].round(6).tolist() == ranked["days_of_cover"].round(6).tolist()
    assert shown["reason"].tolist() == ranked["reason"].tolist()
    # Each action is the plan's: "restock now" exactly when the plan orders before the next
    # review, and never a reorder for a decline or exit SKU (R-S2).
    for r in ranked.itertuples():
        order = plan_rows.loc[r.sku, "order_date"]
        if plan_rows.loc[r.sku, "stage"] in restock.NO_REORDER_STAGES:
            assert r.action == "clear, no reorder"
        elif order is None or pd.isna(order):
            assert r.action == "no order needed"
        else:
            due = (pd.Timestamp(order).date() - as_of).days < max(s.review_period_days, 1)
            assert (r.action == "restock now") == due, (r.sku, r.action, order)
    top = ranked.iloc[0]
    assert top["reason"].startswith(f"{top['days_of_cover']:,.0f} days of cover, ")
    assert any(e.label == f"Explain: priority of {top['sku']}" for e in at.expander)

    # 2 Forecast: the stockout date of the top SKU with nothing ordered.
    go(at, 1)
    sku = top["sku"]
    assert selectbox(at, "SKU").value == sku
    sup = expected["supplies"][sku]
    projection = policy.projected_stock(
        sup.as_of + timedelta(days=1), sup.on_hand, sup.daily_forecast, sup.arrivals
    )
    out = policy.stockout_date(projection)
    assert metric(at, "Stockout date (no new order)") == (
        out.isoformat() if out else "none in sight"
    )
    assert metric(at, "On hand") == f"{sup.on_hand:,.0f}"
    assert len(at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")) >= 2

    # 3 Policy: the defaults equal the restock plan; a slider change moves the metrics.
    go(at, 2)
    row = expected["plan"].set_index("sku").loc[sku]
    assert metric(at, "Safety stock (units)") == f"{row['safety_stock_units']:,.0f}"
    assert metric(at, "Order quantity (units)") == f"{row['order_units']:,.0f}"
    assert metric_delta(at, "Safety stock (units)") == ""  # no badge: same as defaults
    slider = next(w for w in at.slider if w.label.startswith("Service level"))
    slider.set_value(0.85).run()
    ok(at)
    high = restock.plan_sku(
        sup,
        service_level=0.85,
        review_period_days=s.review_period_days,
        shipping_mode="auto",
        shipments=s.restock_shipments,
        slow_mover_cover_days=s.slow_mover_cover_days,
        duty_rate=s.duty_rate,
        ordering_cost=s.ordering_cost,
        holding_cost_rate=s.holding_cost_rate,
    ).row
    assert metric(at, "Safety stock (units)") == f"{high['safety_stock_units']:,.0f}"
    moved = high["safety_stock_units"] - row["safety_stock_units"]
    assert abs(moved) >= 1, "the test needs a service level that moves the safety stock"
    assert metric_delta(at, "Safety stock (units)") == f"{moved:+,.0f} vs defaults"
    assert metric(at, "Stockout risk per order cycle") == "15%"
    # (SS + Q / 2) x unit cost, the library's figure (R-K5: the cash effect of new stock).
    tied = kpi.cash_tied_up(high["safety_stock_units"], high["order_units"], high["unit_cost"])
    assert metric(at, "Average cash tied up") == f"{tied:,.0f} {s.currency}"
    curve = frame_with(at, "safety_stock_cash")
    assert curve["service_level"].min() == pytest.approx(0.80)
    assert curve["service_level"].max() == pytest.approx(0.99)
    assert curve.set_index("service_level").loc[0.85, "safety_stock_units"] == pytest.approx(
        high["safety_stock_units"]
    )
    slider = next(w for w in at.slider if w.label.startswith("Service level"))
    slider.set_value(round(1 - s.stockout_probability, 2)).run()

    # 4 Plan: one row per growth SKU, each equal to restock_plan's.
    go(at, 3)
    plan = frame_with(at, "final_units").set_index("sku")
    want = expected["plan"].set_index("sku")
    assert sorted(plan.index) == sorted(want.index)
    for sku_ in want.index:
        assert plan.loc[sku_, "order_units"] == want.loc[sku_, "order_units"]
        assert plan.loc[sku_, "final_units"] == want.loc[sku_, "order_units"]
        assert pd.Timestamp(plan.loc[sku_, "order_date"]) == pd.Timestamp(
            want.loc[sku_, "order_date"]
        )
        assert plan.loc[sku_, "cash_needed"] == pytest.approx(want.loc[sku_, "cash_needed"])
    assert metric(at, "Units to order") == f"{int(want['order_units'].sum()):,}"
    labels = [b.label for b in at.get("download_button")]
    assert "Download plan (CSV)" in labels and "Download plan (XLSX)" in labels

    # 5 Review: the weekly review of kpi for the same SKUs and dates.
    go(at, 4)
    sales, inventory = ws.read("sales"), ws.read("inventory")
    last = sales["date"].max().date()
    review = kpi.weekly_review(
        sales[sales["sku"].isin(expected["growth"])],
        inventory[inventory["sku"].isin(expected["growth"])],
        last - timedelta(days=28),
        weeks=4,
        stockout_change=s.review_stockout_change,
        cover_change=s.review_cover_change,
    )
    table = frame_with(at, "turnover_before").set_index("sku")
    for r in review.itertuples():
        assert table.loc[r.sku, "turnover_after"] == pytest.approx(r.turnover_after)
        assert table.loc[r.sku, "cover_days_before"] == pytest.approx(r.cover_days_before)
        assert table.loc[r.sku, "smaller_batches"] == r.smaller_batches
    assert any(e.label == "Explain: weekly review" for e in at.expander)


def test_plan_override_splits_again_and_saves(sample_workspace, expected) -> None:
    ws, s = sample_workspace, sample_workspace.settings()
    at = open_page(ws)
    go(at, 3)
    want = expected["plan"].set_index("sku")
    sku = want.index[0]
    # data_editor is read-only in AppTest: the page keeps overrides in its wizard state.
    state = at.session_state[store_key(ws)]
    state["values"]["overrides"] = {sku: 1000}
    at.session_state[store_key(ws)] = state
    at.run()
    ok(at)
    plan = frame_with(at, "final_units").set_index("sku")
    assert plan.loc[sku, "final_units"] == 1000
    assert plan.loc[sku, "order_units"] == want.loc[sku, "order_units"]
    deliveries = frame_with(at, "covers_days")
    mine = deliveries[deliveries["sku"] == sku]
    sup = expected["supplies"][sku]
    split = policy.split_deliveries(
        1000,
        s.restock_shipments,
        want.loc[sku, "daily_demand"],
        pd.Timestamp(want.loc[sku, "order_date"]).date()
        + timedelta(days=max(1, round(want.loc[sku, "lead_time_days"]))),
        sup.case_pack,
    )
    assert mine["units"].tolist() == split["units"].tolist()
    assert sum(mine["units"]) >= 1000
    total = int(want["order_units"].sum()) - int(want.loc[sku, "order_units"]) + 1000
    assert metric(at, "Units to order") == f"{int(total):,}"

    at.button(key="growth_save").click().run()
    ok(at)
    saved = ws.plans("growth")
    assert len(saved) == 1
    params, table = ws.load_plan(int(saved["id"].iloc[0]))
    assert params["overrides"] == {sku: 1000}
    table = table.set_index("sku")
    assert table.loc[sku, "order_units"] == 1000
    assert table.loc[sku, "proposed_units"] == want.loc[sku, "order_units"]
    cash = fees.cash_needed(
        1000, sup.unit_cost, sup.freight_cost[want.loc[sku, "shipping_mode"]], s.duty_rate
    )
    assert table.loc[sku, f"cash_needed_{s.currency.lower()}"] == pytest.approx(cash, abs=0.01)
    assert sorted(table.index) == sorted(want.index)


def test_added_sku_and_keyword_edit(sample_workspace, expected) -> None:
    at = open_page(sample_workspace)
    extra = "NW-BMAT-HALF"  # a mature SKU with matched keywords
    assert extra not in expected["growth"]
    skus = next(w for w in at.multiselect if w.label == "SKUs to plan")
    skus.set_value([*expected["growth"], extra]).run()
    ok(at)
    shown = frame_with(at, "priority")
    assert extra in shown["sku"].tolist()
    assert shown.set_index("sku").loc[extra, "stage"] == "maturity"
    # The seller drops every keyword of the SKU: no keyword opportunity left.
    selectbox(at, "Explain the rank of").set_value(extra).run()
    assert frame_with(at, "priority").set_index("sku").loc[extra, "keyword_opportunity"]
    picker = next(w for w in at.multiselect if w.label == f"Keywords of {extra}")
    picker.set_value([]).run()
    ok(at)
    assert not frame_with(at, "priority").set_index("sku").loc[extra, "keyword_opportunity"]


def test_decline_sku_is_cleared_not_restocked_in_list_and_plan(sample_workspace, expected) -> None:
    stages = expected["stages"].set_index("sku")["stage"]
    declining = sorted(stages[stages == "decline"].index)
    assert declining, "the sample has decline SKUs"
    extra = declining[0]
    at = open_page(sample_workspace)
    skus = next(w for w in at.multiselect if w.label == "SKUs to plan")
    skus.set_value([*expected["growth"], extra]).run()
    ok(at)
    shown = frame_with(at, "priority")
    # R-S2: a decline SKU is cleared, so it comes after every SKU that is restocked ...
    assert shown["sku"].iloc[-1] == extra
    assert shown["reason"].iloc[-1].endswith(": clear, no reorder")
    assert not shown["reason"].iloc[:-1].str.endswith("clear, no reorder").any()
    # ... and the plan on step 4 orders nothing for it.
    go(at, 3)
    plan = frame_with(at, "final_units").set_index("sku")
    assert plan.loc[extra, "order_units"] == 0
    assert plan.loc[extra, "reason"].startswith("Decline stage: no reorder")


# -- degenerate SKUs and faults in one SKU ----------------------------------------------------
def _flat_supply(sku: str, daily: float) -> restock.SkuSupply:
    """A SKU out of stock with a flat forecast of ``daily`` units/day, cases of 12, MOQ 200."""
    as_of = date(2026, 10, 31)
    return restock.SkuSupply(
        sku=sku,
        stage="growth",
        as_of=as_of,
        on_hand=0.0,
        arrivals=pd.DataFrame(columns=["date", "units", "source"]),
        daily_forecast=pd.Series(
            daily, index=pd.date_range(as_of + timedelta(days=1), periods=365, freq="D")
        ),
        daily_demand=daily,
        sd_daily_demand=0.0,
        lead_time_days=30.0,
        transit_days={"sea": 40.0, "air": 10.0},
        freight_cost={"sea": 0.5, "air": 2.0},
        unit_cost=3.0,
        price=20.0,
        case_pack=12,
        moq=200,
    )


def test_override_of_almost_no_demand_is_split_within_a_year() -> None:
    # The page's crash: the seller types 300 units for a SKU whose forecast decayed to
    # 1e-20/day; re-splitting them put the next delivery 1e22 days away ("Something went wrong:
    # seconds=..."). Now the deliveries stay within a year of the first (R-G4), and a split
    # that cannot be made (no demand at all) is said in that SKU's reason, not raised.
    from stockcycle.ui.growth import apply_overrides

    supplies = {"DUST": _flat_supply("DUST", 1e-20), "IDLE": _flat_supply("IDLE", 0.0)}
    plans = {sku: restock.plan_sku(s) for sku, s in supplies.items()}
    assert [p.row["order_units"] for p in plans.values()] == [0, 0]
    rows = pd.DataFrame([p.row for p in plans.values()], columns=restock.PLAN_COLUMNS)
    out, deliveries = apply_overrides(rows, plans, supplies, {"DUST": 300, "IDLE": 100}, 3, 0.0)
    out = out.set_index("sku")
    first = plans["DUST"].first_arrival
    dust = deliveries[deliveries["sku"] == "DUST"]
    assert dust["arrival"].tolist() == [
        first,
        first + timedelta(days=policy.MAX_DELIVERY_SPREAD_DAYS),
    ]
    assert dust["units"].tolist() == [108, 192]  # 300 units = 25 cases: 9, 8, 8 cases
    assert out.loc["DUST", "deliveries"] == 2
    assert out.loc["IDLE", "final_units"] == 100
    assert out.loc["IDLE", "deliveries"] == 0
    assert "Your 100 units could not be split into deliveries" in out.loc["IDLE", "reason"]
    assert out.loc["IDLE", "final_cash_needed"] == pytest.approx(100 * (3.0 + 0.5))


def test_one_sku_that_cannot_be_planned_leaves_the_others_on_the_page(
    forecast_workspace, monkeypatch
) -> None:
    # One growth SKU whose plan fails and one whose data cannot be read, whatever the error:
    # both are listed as "Not planned: ..." and every other SKU is ranked, planned and saved.
    ws = forecast_workspace
    stages = stage_table(ws)
    growth = sorted(stages.loc[stages["stage"] == "growth", "sku"])
    assert len(growth) >= 3, "the sample has growth SKUs"
    broken_plan, broken_read = growth[0], growth[1]
    real_plan, real_read = restock.plan_sku, restock._supply_of

    def plan_sku(supply, **kwargs):
        if supply.sku == broken_plan:
            raise OverflowError("date value out of range")
        return real_plan(supply, **kwargs)

    def supply_of(sku, *args):
        if sku == broken_read:
            raise KeyError("on_hand")
        return real_read(sku, *args)

    monkeypatch.setattr(restock, "plan_sku", plan_sku)
    monkeypatch.setattr(restock, "_supply_of", supply_of)
    at = open_page(ws)
    shown = frame_with(at, "priority")
    assert sorted(shown["sku"]) == sorted(set(growth) - {broken_plan, broken_read})
    warning = " ".join(w.value for w in at.warning)
    assert f"**{broken_plan}**: Not planned: its plan could not be computed: " in warning
    assert "OverflowError (date value out of range)" in warning
    assert f"**{broken_read}**: Not planned: its plan could not be computed: " in warning
    assert "restock.load_supply failed with KeyError" in warning

    go(at, 3)
    plan = frame_with(at, "final_units").set_index("sku")
    assert sorted(plan.index) == growth
    for sku in (broken_plan, broken_read):
        assert plan.loc[sku, "reason"].startswith("Not planned: its plan could not be computed")
        assert plan.loc[sku, "final_units"] == 0
    planned = plan.drop(index=[broken_plan, broken_read])
    assert not planned["reason"].str.startswith("Not planned").any()
    at.button(key="growth_save").click().run()
    ok(at)
    _, table = ws.load_plan(int(ws.plans("growth")["id"].iloc[0]))
    assert sorted(table["sku"]) == growth


def test_plan_made_today_from_old_data_says_so_and_flags_overdue_orders(
    sample_workspace, expected, monkeypatch
) -> None:
    # R-T1: the sample's data ends on 2026-10-31; planned on 2026-12-05, 35 days later, the
    # plan step says so, the page warns once that the data is stale, and every order date
    # before 2026-12-05 shows its days late in the "Overdue (days)" column, as
    # restock_plan(today=...) has them.
    from stockcycle import datadate

    today = DATA_DATE + timedelta(days=35)
    monkeypatch.setattr(datadate, "today", lambda: today)
    at = open_page(sample_workspace)
    go(at, 3)
    assert [i.value for i in at.info if i.value.startswith("Plan made on")] == [
        "Plan made on 2026-12-05 from data up to 2026-10-31. The stock is projected from "
        "2026-10-31, and order dates before today are shown as overdue."
    ]
    warnings = [w.value for w in at.warning if "days before today" in w.value]
    assert warnings == [
        "Your data ends 35 days before today: import recent reports on the Data page."
    ]
    plan = frame_with(at, "final_units").set_index("sku")
    want = restock.restock_plan(
        sample_workspace,
        skus=expected["growth"],
        supplies=expected["supplies"],
        today=today,
    ).set_index("sku")
    late = want[want["overdue_days"] > 0]
    assert len(late) > 0
    for sku, row in want.iterrows():
        assert plan.loc[sku, "overdue_days"] == row["overdue_days"]
        assert plan.loc[sku, "order_units"] == row["order_units"]
        if row["order_date"] is not None and row["order_date"] < today:
            assert row["overdue_days"] == (today - row["order_date"]).days
            assert plan.loc[sku, "reason"].startswith(f"Overdue by {row['overdue_days']} days")
            # Placed today: the first delivery lands a whole lead time after 2026-12-05.
            first = pd.Timestamp(plan.loc[sku, "first_arrival"]).date()
            assert first == today + timedelta(days=math.ceil(row["lead_time_days"]))
