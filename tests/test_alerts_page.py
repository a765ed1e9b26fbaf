"""The Alerts page through AppTest on the sample: it shows the same open alerts as the daily
check's log, filters them by rule and urgency, acknowledges and snoozes them in the workspace,
shows one product's history and the tuning view (R-A2, R-M6). One page run, reused."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from stockcycle.settings import Settings
from stockcycle.store import OPEN_ALERT_STATES

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGE = "pages/10_Alerts.py"
TODAY = date(2026, 10, 31)  # conftest fixes datadate.today to the sample's data date


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def widget(items, label: str):
    return next(w for w in items if w.label == label)


def test_alerts_page_filters_acknowledges_and_snoozes(forecast_workspace) -> None:
    ws = forecast_workspace
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["workspace_path"] = str(ws.path)
    at.switch_page(PAGE).run()
    ok(at)
    # Opening the page ran the check: the log holds the open alerts the page counts.
    log = ws.alerts(states=OPEN_ALERT_STATES)
    assert len(log) > 0
    metrics = {m.label: int(m.value) for m in at.metric}
    for sev, label in (("high", "High"), ("medium", "Medium"), ("low", "Low")):
        assert metrics[label] == int((log["severity"] == sev).sum())
    table = at.dataframe[0].value
    assert len(table) == len(log)
    assert "R-" not in " ".join(table["title"])  # no SPEC codes on the main screen

    # Filter: only overstock, high urgency.
    widget(at.multiselect, "Alert").set_value(["Overstock"]).run()
    widget(at.multiselect, "Urgency").set_value(["high"]).run()
    ok(at)
    table = at.dataframe[0].value
    expected = log[(log["rule"] == "overstock") & (log["severity"] == "high")]
    assert len(table) == len(expected) > 0
    assert set(table["sku"]) == set(expected["sku"])

    # Why an alert fired: its figures and its rule's formula with the SPEC code.
    assert any(e.label.startswith("Explain: ") and "overstock" in e.label for e in at.expander)
    assert any("R-M4" in m.value for m in at.markdown)

    # Acknowledge the first one, snooze the second.
    chooser = widget(at.multiselect, "Alerts")
    first, second = chooser.options[0], chooser.options[1]
    chooser.set_value([first]).run()
    widget(at.button, "Acknowledge").click().run()
    ok(at)
    first_id = int(first.split()[0].lstrip("#"))
    assert ws.alerts().set_index("id").loc[first_id, "state"] == "seen"
    widget(at.multiselect, "Alerts").set_value([second]).run()
    days = Settings().alert_snooze_days
    widget(at.button, f"Snooze {days} days").click().run()
    ok(at)
    second_id = int(second.split()[0].lstrip("#"))
    row = ws.alerts().set_index("id").loc[second_id]
    assert row["state"] == "snoozed"
    assert row["snoozed_until"] == (TODAY + timedelta(days=days)).isoformat()
    states = set(at.dataframe[0].value["state"])
    assert {"Acknowledged", "Snoozed"} <= states

    # History of the snoozed product: every episode of its alerts.
    sku = ws.alerts().set_index("id").loc[second_id, "sku"]
    widget(at.selectbox, "Product").set_value(sku).run()
    ok(at)
    history = next(d.value for d in at.dataframe if "Cleared on" in list(d.value.columns) or
                   "cleared" in list(d.value.columns))  # fmt: skip
    assert len(history) == len(ws.alerts(sku=sku))

    # Tuning: every product with an alert is counted; one check is one day, so none is
    # flagged as firing often yet.
    tuning = next(d.value for d in at.dataframe if "noisy" in list(d.value.columns))
    assert set(tuning["sku"]) == set(log["sku"]) - {"(account)"}
    assert (tuning["days"] == 1).all() and not tuning["noisy"].any()

    # Tuning: switching the overstock rule off clears its alerts on the next check.
    widget(at.multiselect, "Rules switched off").set_value(["Overstock"])
    next(b for b in at.button if b.label == "Save alert tuning").click().run()
    ok(at)
    assert ws.settings().alert_rules_off == "overstock"
    open_now = ws.alerts(states=OPEN_ALERT_STATES)
    assert "overstock" not in set(open_now["rule"])
    assert (ws.alerts(sku=sku)["state"] == "resolved").any()
