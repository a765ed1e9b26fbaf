"""The launch monitor's typed sales (R-L8) are kept in the workspace: a new browser session
finds all seven typed days, and the daily check raises the launch alert from them."""

from __future__ import annotations

from datetime import date

import pandas as pd
from streamlit.testing.v1 import AppTest
from test_launch_page import click, launch_page, metric, seed_example

from stockcycle import alerts
from stockcycle.ingest.result import ParsedFile
from stockcycle.schema import TABLES
from stockcycle.settings import Settings
from stockcycle.store import Workspace
from stockcycle.ui.wizard import state_key

OFFSETS = [0, 1, 3, 4, 6, 8, 9]
#: Seven figures 55-63% under the plan of 75/day over ten days, three days left empty.
UNITS = [33.75, 30.0, 27.75, 31.5, 33.0, 29.25, 32.25]


def _to_monitor(at: AppTest) -> None:
    for step in ("Economics", "Order", "Monitor"):
        click(at, f"Next: {step}")


def test_typed_days_survive_a_new_session(sample_workspace) -> None:
    ws = sample_workspace
    at = seed_example(launch_page(ws))
    start = next(w for w in at.date_input if w.label == "Launch date").value
    typed = pd.DataFrame(
        {"date": [start + pd.Timedelta(days=i) for i in range(10)], "units": [None] * 10}
    )
    typed["units"] = typed["units"].astype("float64")
    typed.loc[OFFSETS, "units"] = UNITS
    state = at.session_state[state_key("launch", ws)]
    state["values"].update(typed_actuals=typed, typed_base=typed)
    at.session_state[state_key("launch", ws)] = state
    _to_monitor(at)
    assert metric(at, "Days reported") == "7"
    owner = state["values"].get("sku") or "(a new product)"
    saved = alerts.saved_typed_sales(ws, owner)
    assert saved is not None and saved["units"].dropna().tolist() == UNITS
    assert saved["units"].isna().sum() == 3  # the empty days stay empty

    # A new browser session (a reload, another day): nothing typed in its session state.
    again = seed_example(launch_page(ws))
    _to_monitor(again)
    assert metric(again, "Days reported") == "7"
    assert metric(again, "State") == alerts.BELOW
    assert again.dataframe[-1].value["actual"].dropna().tolist() == UNITS


def _frame(table: str, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in TABLES[table].columns:
        if col not in frame.columns:
            frame[col] = pd.NA
    for col, typ in TABLES[table].columns.items():
        if typ == "date":
            frame[col] = pd.to_datetime(frame[col])
    return frame[list(TABLES[table].columns)]


def test_the_check_reads_typed_sales_of_a_saved_launch_plan(tmp_path) -> None:
    ws = Workspace.open(tmp_path / "w")
    products = _frame("products", [{"sku": "NEW-1", "title": "New mug"}])
    ws.import_files([ParsedFile("p.csv", "generic", "products", {"products": products}, 1)])
    launch = date(2026, 10, 20)
    ws.save_plan(
        "launch",
        "Launch NEW-1",
        pd.DataFrame({"units": [1500]}),
        {"sku": "NEW-1", "launch_date": launch.isoformat(), "plan_daily": [75.0] * 30},
    )
    days = pd.date_range(launch, periods=10, freq="D")
    typed = pd.DataFrame({"date": days.date, "units": [None] * 10}).astype({"units": "float64"})
    typed.loc[OFFSETS, "units"] = UNITS
    alerts.save_typed_sales(ws, "NEW-1", typed)
    statuses = alerts.launch_statuses(ws, ws.read("sales"), date(2026, 10, 31), Settings())
    status = statuses["NEW-1"]
    assert status.days_reported == 7 and status.state == alerts.BELOW
    alert = alerts.launch_band_alert("NEW-1", status)
    assert alert.value == 32.25 / 75 - 1 and alert.threshold == -0.20
    # A plan for a product that is not in the workspace raises nothing.
    ws.save_plan("launch", "x", pd.DataFrame({"units": [1]}), {"sku": "(a new product)",
                 "launch_date": launch.isoformat(), "plan_daily": [75.0] * 30})  # fmt: skip
    assert set(alerts.launch_statuses(ws, ws.read("sales"), date(2026, 10, 31), Settings())) == {
        "NEW-1"
    }
