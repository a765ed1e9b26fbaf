"""The Launch sizing page through AppTest: every wizard step on the sample workspace, the
numbers on screen against the library functions (R-L1..R-L8), inputs kept across pages."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from stockcycle import alerts, fees, peers, policy
from stockcycle.settings import Settings
from stockcycle.store import Workspace
from stockcycle.ui.wizard import state_key

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/5_Launch.py"
TIMEOUT = 120


def launch_page(ws: Workspace) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.session_state["workspace_path"] = str(ws.path)
    at.switch_page(PAGE).run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error or all("promote" in e.value for e in at.error), [e.value for e in at.error]


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}: {[m.label for m in at.metric]}"
    return values[0]


def widget(at: AppTest, kind: str, label: str):
    found = [w for w in getattr(at, kind) if w.label == label]
    assert found, f"no {kind} {label!r}: {[w.label for w in getattr(at, kind)]}"
    return found[0]


def click(at: AppTest, label: str) -> AppTest:
    widget(at, "button", label).click().run()
    ok(at)
    return at


def headings(at: AppTest) -> list[str]:
    return [h.value for h in at.subheader]


def seed_example(at: AppTest) -> AppTest:
    """Step 2 with the seed example (R-L3): peers at 50/day, flat, no events."""
    click(at, "Next: Demand")
    widget(at, "number_input", "Peer daily sales (units/day)").set_value(50.0).run()
    widget(at, "radio", "Seasonality").set_value("Flat").run()
    widget(at, "checkbox", "Amazon events").uncheck().run()
    widget(at, "checkbox", "My promotions of this product").uncheck().run()
    ok(at)
    return at


def default_peers(ws: Workspace) -> peers.PeerSummary:
    """The typical product (R-L1): organic listings of the latest snapshots within +/-25% of
    the search's median price (a new product has no price of its own), top 100 by BSR."""
    comp = ws.read("competitors")
    latest = comp.sort_values("snapshot_date").drop_duplicates("asin", keep="last")
    price = latest.loc[~latest["sponsored"].astype(bool), "price"].median()
    sel = peers.select_peers(
        comp,
        top_n=100,
        price_band=(price * 0.75, price * 1.25),
        exclude_asins=peers.own_asins(ws.read("products")),
    )
    return peers.peer_summary(sel)


def test_peers_step_shows_the_summary_of_the_default_peer_set(sample_workspace) -> None:
    at = launch_page(sample_workspace)
    assert headings(at)[0].startswith("1 Peers")
    s = default_peers(sample_workspace)
    assert metric(at, "Peers") == str(s.n)
    assert metric(at, "Median daily sales") == f"{s.median:,.1f}"
    assert metric(at, "Q1 daily sales") == f"{s.q1:,.1f}"
    assert metric(at, "Median price") == f"{s.median_price:,.2f}"
    # The three sample snapshots are chosen: moves between them are shown.
    assert len(widget(at, "multiselect", "Snapshots").value) == 3
    assert "How the peers moved between snapshots" in "\n".join(m.value for m in at.markdown)
    # A narrower peer set changes the figures the same way the library does.
    widget(at, "number_input", "Top N by BSR").set_value(3).run()
    ok(at)
    assert metric(at, "Peers") == "3"


def test_every_step_with_the_seed_example_and_the_saved_plan(sample_workspace) -> None:
    ws = sample_workspace
    at = seed_example(launch_page(ws))
    assert headings(at)[0].startswith("2 Demand")
    assert metric(at, "Expected daily sales (factor 1)") == "75.0"
    assert metric(at, "First 30 days") == "2,250"

    click(at, "Next: Economics")
    s = default_peers(ws)
    price = widget(at, "number_input", "Price").value
    assert price == pytest.approx(round(s.median_price, 2))
    econ = fees.unit_economics(
        price,
        widget(at, "number_input", "Unit cost").value,
        widget(at, "number_input", "Air freight per unit").value,
        widget(at, "number_input", "Duty (share of unit cost)").value,
        widget(at, "number_input", "FBA fee per unit").value,
        widget(at, "number_input", "Referral fee (share of price)").value,
        widget(at, "number_input", "Storage per unit").value,
        Settings().target_gross_margin,
    )
    assert metric(at, "Landed cost") == f"{econ.landed_cost:,.2f}"
    assert metric(at, "Gross margin") == f"{econ.gross_margin:.1%}"

    click(at, "Next: Order")
    order = policy.launch_order(50, 1.5)
    assert metric(at, "Cycle stock (30 days)") == "2,250"
    assert metric(at, "Safety stock (15 days)") == "1,125"
    assert metric(at, "First order (70%)") == f"{order.first_order_units:,}"
    assert metric(at, "Follow-up (30%)") == f"{order.follow_up_units:,}"
    assert order.first_order_units == math.ceil(0.7 * 3375)
    assert any(e.label == "Explain: first order" for e in at.expander)

    click(at, "Save plan to workspace")
    saved = ws.plans("launch")
    assert len(saved) == 1
    params, table = ws.load_plan(int(saved["id"].iloc[0]))
    assert list(table["units"]) == [order.first_order_units, order.follow_up_units]
    assert params["order"]["cycle_stock_units"] == 2250
    assert params["plan_daily"][:3] == [75.0, 75.0, 75.0]
    assert any(b.label == "Download plan (CSV)" for b in at.get("download_button"))

    click(at, "Next: Monitor")
    assert headings(at)[0].startswith("5 Monitor")
    # The saved plan can be monitored too.
    assert any(
        o.startswith("Saved plan") for o in widget(at, "selectbox", "Plan to compare with").options
    )


def test_economics_prefill_from_a_product_and_warn_below_the_target_margin(
    sample_workspace,
) -> None:
    ws = sample_workspace
    at = launch_page(ws)
    widget(at, "selectbox", "Product").select("NW-BMAT-HALF").run()
    click(at, "Next: Demand")
    click(at, "Next: Economics")
    row = ws.read("products").set_index("sku").loc["NW-BMAT-HALF"]
    assert widget(at, "number_input", "Price").value == pytest.approx(row["price"])
    assert widget(at, "number_input", "Unit cost").value == pytest.approx(row["unit_cost"])
    assert widget(at, "number_input", "FBA fee per unit").value == pytest.approx(row["fba_fee"])
    econ = fees.unit_economics(
        row["price"], row["unit_cost"], row["air_cost"], 0.0, row["fba_fee"], row["referral_pct"]
    )
    assert metric(at, "Profit per unit") == f"{econ.profit_per_unit:,.2f}"
    assert not at.warning
    widget(at, "number_input", "Price").set_value(10.0).run()
    ok(at)
    low = fees.unit_economics(
        10.0, row["unit_cost"], row["air_cost"], 0.0, row["fba_fee"], row["referral_pct"]
    )
    assert not low.meets_target
    assert any("below the 25% target" in w.value for w in at.warning)


def test_monitor_compares_a_launched_skus_sales_with_the_plan(sample_workspace) -> None:
    ws = sample_workspace
    at = launch_page(ws)
    widget(at, "selectbox", "Product").select("NW-BMAT-XL").run()
    seed_example(at)
    launch_date = ws.read("products").set_index("sku").loc["NW-BMAT-XL", "launch_date"]
    assert widget(at, "date_input", "Launch date").value == launch_date.date()
    for step in ("Economics", "Order", "Monitor"):
        click(at, f"Next: {step}")
    sales = ws.read("sales", skus=["NW-BMAT-XL"])
    last = ws.read("sales")["date"].max()
    days = pd.date_range(launch_date, last, freq="D")
    actual = sales.groupby("date")["units"].sum().reindex(days, fill_value=0.0)
    plan = pd.Series(75.0, index=pd.date_range(launch_date, periods=90, freq="D"))
    expected = alerts.launch_monitor(plan, actual, band=0.20, days=3)
    assert expected.state == alerts.BELOW  # a few units a day against 75 planned
    assert metric(at, "Days reported") == str(len(days))
    assert metric(at, "State") == expected.state
    assert any("hold the follow-up" in e.value for e in at.error)


def test_typed_sales_above_the_band_pull_the_follow_up_forward(sample_workspace) -> None:
    ws = sample_workspace
    at = seed_example(launch_page(ws))
    start = widget(at, "date_input", "Launch date").value
    # A data editor cannot be typed into under AppTest: seed what it would hold.
    typed = pd.DataFrame(
        {"date": [start + pd.Timedelta(days=i) for i in range(3)], "units": [95.0, 100.0, 92.0]}
    )
    state = at.session_state[state_key("launch", ws)]
    state["values"].update(typed_actuals=typed, typed_base=typed)
    at.session_state[state_key("launch", ws)] = state
    for step in ("Economics", "Order", "Monitor"):
        click(at, f"Next: {step}")
    assert headings(at)[0].startswith("5 Monitor")
    assert metric(at, "State") == alerts.ABOVE  # 92..100 against 75 x 1.2 = 90
    assert any("pull the follow-up 30% forward" in w.value for w in at.warning)


def test_seven_typed_days_are_all_kept_and_empty_days_do_not_read_as_on_plan(
    sample_workspace,
) -> None:
    ws = sample_workspace
    at = seed_example(launch_page(ws))  # plan 75/day
    start = widget(at, "date_input", "Launch date").value
    # Seven figures 55-63% under the plan of 75/day over ten days, three days left empty.
    offsets = [0, 1, 3, 4, 6, 8, 9]
    units = [33.75, 30.0, 27.75, 31.5, 33.0, 29.25, 32.25]
    typed = pd.DataFrame(
        {"date": [start + pd.Timedelta(days=i) for i in range(10)], "units": [None] * 10}
    )
    typed["units"] = typed["units"].astype("float64")
    typed.loc[offsets, "units"] = units
    state = at.session_state[state_key("launch", ws)]
    state["values"].update(typed_actuals=typed, typed_base=typed)
    at.session_state[state_key("launch", ws)] = state
    for step in ("Economics", "Order", "Monitor"):
        click(at, f"Next: {step}")
    assert metric(at, "Days reported") == "7"
    assert metric(at, "State") == alerts.BELOW
    assert metric(at, "Days in a row outside the band") == "7"
    assert any("hold the follow-up 30%" in e.value for e in at.error)
    shown = at.dataframe[-1].value
    assert shown["actual"].dropna().tolist() == units
    # Away and back: the editor starts again from the kept table, all seven still there.
    click(at, "Back: Order")
    click(at, "Next: Monitor")
    kept = at.session_state[state_key("launch", ws)]["values"]["typed_actuals"]
    assert kept["units"].dropna().tolist() == units
    assert metric(at, "Days reported") == "7"


def test_inputs_survive_a_visit_to_another_page(sample_workspace) -> None:
    ws = sample_workspace
    at = seed_example(launch_page(ws))
    at.switch_page("pages/2_Settings.py").run()
    ok(at)
    at.switch_page(PAGE).run()
    ok(at)
    assert headings(at)[0].startswith("2 Demand")
    assert widget(at, "number_input", "Peer daily sales (units/day)").value == 50.0
    assert widget(at, "checkbox", "Amazon events").value is False


def test_upload_shows_a_bad_file_and_adds_a_good_xray(sample_workspace) -> None:
    from stockcycle.sample import SAMPLE_DIR

    at = launch_page(sample_workspace)
    widget(at, "text_input", "Search the exports were taken on").set_value("mats").run()
    uploader = at.get("file_uploader")[0]
    uploader.set_value(("broken.csv", b"date,sku,units\n2026-01-01,A,x\n", "text/csv")).run()
    assert any("broken.csv" in e.value for e in at.error)
    assert not at.exception
    xray = SAMPLE_DIR / "Xray_silicone-baking-mat_2026-10-31.csv"
    uploader = at.get("file_uploader")[0]
    uploader.set_value((xray.name, xray.read_bytes(), "text/csv")).run()
    # The upload is its own search: choosing it shows its snapshot, and only its own.
    assert "mats" in widget(at, "selectbox", "Search").options
    widget(at, "selectbox", "Search").select("mats").run()
    assert not at.exception
    options = widget(at, "multiselect", "Snapshots").options
    assert options == [f"2026-10-31 · mats (uploaded: {xray.name})"]


def test_another_product_prefills_its_own_row(sample_workspace) -> None:
    ws = sample_workspace
    at = launch_page(ws)
    widget(at, "selectbox", "Product").select("NW-BMAT-HALF").run()
    click(at, "Next: Demand")
    click(at, "Next: Economics")
    widget(at, "number_input", "Price").set_value(99.0).run()
    widget(at, "selectbox", "Product").select("NW-BMAT-QTR").run()
    ok(at)
    row = ws.read("products").set_index("sku").loc["NW-BMAT-QTR"]
    assert widget(at, "number_input", "Price").value == pytest.approx(row["price"])
    assert widget(at, "number_input", "Unit cost").value == pytest.approx(row["unit_cost"])


def test_each_workspace_has_its_own_wizard(sample_workspace) -> None:
    at = seed_example(launch_page(sample_workspace))
    other = Workspace.named("empty-shop")
    at.session_state["workspace_path"] = str(other.path)
    at.switch_page(PAGE).run()
    ok(at)
    assert headings(at)[0].startswith("1 Peers")
    assert "No competitor snapshots yet" in "\n".join(i.value for i in at.info)
    at.session_state["workspace_path"] = str(sample_workspace.path)
    at.switch_page(PAGE).run()
    assert headings(at)[0].startswith("2 Demand")
    assert widget(at, "number_input", "Peer daily sales (units/day)").value == 50.0


def order_numbers_on_screen(at: AppTest) -> dict:
    """The order, its dates and the first batch's order-by date as the Order step shows them."""
    decide = [m.value for m in at.markdown if m.value.startswith("**Decide the follow-up")]
    first = [d.value for d in at.dataframe if "order_by" in d.value.columns][0]
    return {
        "cycle": int(metric(at, "Cycle stock (30 days)").replace(",", "")),
        "first": int(metric(at, "First order (70%)").replace(",", "")),
        "follow": int(metric(at, "Follow-up (30%)").replace(",", "")),
        "order_by": pd.Timestamp(first.set_index("mode").loc["air", "order_by"]).date(),
        "decide": decide,
    }


def test_page_and_cli_give_the_same_plan_for_the_same_inputs(sample_workspace, capsys) -> None:
    import json
    from datetime import date

    from stockcycle.cli import main

    ws = sample_workspace
    at = launch_page(ws)
    click(at, "Next: Demand")
    # Black Friday week and the Christmas run-up fall in the 45 days the order covers (R-L2).
    widget(at, "date_input", "Launch date").set_value(date(2026, 11, 10)).run()
    ok(at)
    for step in ("Economics", "Order"):
        click(at, f"Next: {step}")
    page = order_numbers_on_screen(at)

    assert main(["launch", "-w", str(ws.path), "--launch-date", "2026-11-10", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert cli["demand_factor"] > 1  # the events count on both sides
    assert (page["cycle"], page["first"], page["follow"]) == (
        cli["cycle_stock_units"],
        cli["first_order_units"],
        cli["follow_up_units"],
    )
    assert page["order_by"].isoformat() == cli["first_order_by"]
    decide = date.fromisoformat(cli["follow_up_decide_by"])
    assert page["decide"] == [
        f"**Decide the follow-up {cli['follow_up_units']:,} units by {decide:%d %b %Y}** "
        f"(sea, {cli['follow_up_lead_days']:,.0f} days from order to arrival)."
    ]
    # Both count production + air transit + receiving for the first batch (R-L4, R-L7).
    s = Settings()
    lead = (s.lead_time_min_days + s.lead_time_max_days) / 2 + s.air_days_max + s.receiving_days
    assert cli["lead_time_days"] == lead
    assert page["order_by"] == date(2026, 11, 10) - pd.Timedelta(days=lead)


def test_no_expected_sales_shows_no_follow_up_needed(sample_workspace) -> None:
    at = launch_page(sample_workspace)
    click(at, "Next: Demand")
    widget(at, "number_input", "Peer daily sales (units/day)").set_value(0.0).run()
    for step in ("Economics", "Order"):
        click(at, f"Next: {step}")
    text = "\n".join(m.value for m in at.markdown)
    assert "No follow-up needed" in text and "Decide the follow-up" not in text
    assert metric(at, "Follow-up (30%)") == "0"


def test_a_product_is_sized_on_its_own_search_and_its_own_launches(sample_workspace) -> None:
    ws = sample_workspace
    at = launch_page(ws)
    # A ladle has no Xray search in the sample: the page says so and borrows none.
    widget(at, "selectbox", "Product").select("NW-UT-LADLE").run()
    assert widget(at, "selectbox", "Search").value == "(none of these)"
    assert any("NW-UT-LADLE has no Xray search" in w.value for w in at.warning)
    # NW-BMAT-XL: the baking mat search, peers within 24.99 +/- 25%; at the seed example
    # its first order is 300x what the seller's two other Bakeware launches sold (CLI test).
    widget(at, "selectbox", "Product").select("NW-BMAT-XL").run()
    ok(at)
    assert widget(at, "selectbox", "Search").value == "silicone baking mat"
    assert any("18.74-31.24" in c.value for c in at.caption)
    seed_example(at)
    for step in ("Economics", "Order"):
        click(at, f"Next: {step}")
    assert metric(at, "Cycle stock (30 days)") == "2,250"
    assert any("what your own launches (in 'Bakeware')" in w.value for w in at.warning)


def test_recent_entrants_give_a_second_opinion_beside_the_peers(sample_workspace) -> None:
    # The sample's Xray with three organic listings re-dated to March 2026: the peer step
    # names them as recent entrants with their median daily sales (R-L1 second opinion).
    import csv
    import io

    from stockcycle.sample import SAMPLE_DIR

    xray = SAMPLE_DIR / "Xray_silicone-baking-mat_2026-10-31.csv"
    rows = list(csv.DictReader(io.StringIO(xray.read_text(encoding="utf-8-sig"))))
    organic = [r for r in rows if r["Display Order"] != "Sponsored"][-3:]
    for r in organic:
        r["Creation Date"] = "Mar 1, 2026"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    at = launch_page(sample_workspace)
    widget(at, "text_input", "Search the exports were taken on").set_value("mats").run()
    uploader = at.get("file_uploader")[0]
    uploader.set_value((xray.name, out.getvalue().encode(), "text/csv")).run()
    widget(at, "selectbox", "Search").select("mats").run()
    ok(at)
    snapshots = widget(at, "multiselect", "Snapshots")
    snapshots.set_value(snapshots.options).run()
    ok(at)
    captions = " ".join(str(c.value) for c in at.caption)
    assert "recent entrant" in captions and "18 months" in captions
