"""One figure, one value: every page and the CLI give each SKU of the sample the same stage,
forecast method, order and action (issue: figures disagreed between pages).

Walks the Today, Life-cycle stages and Forecast pages through AppTest and runs ``stockcycle
stages / forecast / plan / today --json`` in-process, all on the same workspace and day.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from stockcycle import datadate
from stockcycle.cli import main
from stockcycle.forecast.models import MODEL_LABELS

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
#: The day everything is planned on: 36 days after the sample's data, so orders are overdue.
TODAY = date(2026, 12, 6)


@pytest.fixture(autouse=True)
def planned_today(monkeypatch) -> None:
    monkeypatch.setattr(datadate, "today", lambda: TODAY)


def cli_json(capsys, *argv: str) -> object:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def page(ws, file: str, button: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["workspace_path"] = str(ws.path)
    at.switch_page(file).run()
    if button is not None:
        next(b for b in at.button if b.label == button).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def by_column(at: AppTest, column: str) -> pd.DataFrame:
    """The page's table that has ``column`` (the pages name their tables' columns, not keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_pages_and_cli_agree_on_stage_method_order_and_action(forecast_workspace, capsys) -> None:
    ws = forecast_workspace
    w = str(ws.path)
    stages = {r["sku"]: r["stage"] for r in cli_json(capsys, "stages", "-w", w, "--json")}
    forecast = cli_json(capsys, "forecast", "-w", w, "--json")
    methods = {r["sku"]: MODEL_LABELS.get(r["model"], r["model"]) for r in forecast["models"]}
    plan = {r["sku"]: r for r in cli_json(capsys, "plan", "-w", w, "--json")}
    today = {r["sku"]: r for r in cli_json(capsys, "today", "-w", w, "--json")}
    assert set(stages) == set(plan) == set(today) == set(ws.skus())

    # The CLI agrees with itself: each SKU's stage and order, plan against today's action.
    for sku, t in today.items():
        assert t["stage"] == plan[sku]["stage"] == stages[sku], sku
        assert t["order_units"] == plan[sku]["order_units"], sku
        assert t["overdue_days"] == plan[sku]["overdue_days"], sku
        if t["order_units"]:
            assert t["cash_needed"] == pytest.approx(plan[sku]["cash_needed"]), sku
        assert t["as_of"] == plan[sku]["as_of"] == "2026-10-31"

    # The Today page shows the CLI's stage, action, urgency and money for every SKU.
    shown = by_column(page(ws, "pages/0_Today.py"), "action").set_index("sku")
    assert set(shown.index) == set(today)
    for sku, t in today.items():
        row = shown.loc[sku]
        if t["cash_needed"] is not None:
            assert row["cash_needed"] == pytest.approx(t["cash_needed"]), sku
        assert (row["stage"], row["action"], row["urgency"]) == (
            t["stage"],
            t["action"],
            t["urgency"],
        ), sku
        if t["money_at_stake"] is None:
            assert pd.isna(row["money_at_stake"]), sku
        else:
            assert row["money_at_stake"] == pytest.approx(t["money_at_stake"]), sku

    # The stages page: the same stage per SKU.
    table = by_column(page(ws, "pages/4_Life_cycle_stages.py"), "reason").set_index("sku")
    assert table["stage"].to_dict() == stages

    # The Forecast page: the same method per SKU as the CLI's forecast.
    summary = by_column(page(ws, "pages/3_Forecast.py", "Run forecast"), "Method")
    assert summary.set_index("SKU")["Method"].to_dict() == methods
