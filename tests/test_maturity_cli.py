"""``stockcycle maturity``: the Maturity page's plan on the command line (R-M1..R-M5, R-F1,
R-F2, R-T1), checked against ``maturity.plan_maturity`` on the same workspace."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from stockcycle import maturity
from stockcycle.cli import main


def test_maturity_verb_json_and_file(forecast_workspace, tmp_path, capsys):
    ws = forecast_workspace
    out = tmp_path / "maturity.csv"
    status = main(
        ["maturity", "-w", str(ws.path), "--today", "2026-11-10", "--json", "--out", str(out)]
    )
    assert status == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["as_of"] == "2026-10-31" and payload["today"] == "2026-11-10"
    inputs = maturity.load_maturity(ws, today=date(2026, 11, 10))
    want = maturity.plan_maturity(
        inputs, maturity.MaturityChoices.from_settings(inputs.settings)
    ).plan.set_index("sku")
    got = {r["sku"]: r for r in payload["plan"]}
    assert set(got) == set(want.index) and len(got) == 21
    for sku, row in got.items():
        assert row["order_units"] == want.loc[sku, "order_units"]
        # Planned ten days after the data date: an order due before then is overdue (R-T1).
        if row["order_date"] and row["order_date"] < "2026-11-10":
            assert (
                row["overdue_days"]
                == (date(2026, 11, 10) - date.fromisoformat(row["order_date"])).days
            )
    assert payload["c_class_cap"]["cap"] == 0.05 * payload["c_class_cap"]["total"]
    written = pd.read_csv(out)
    assert sorted(written["sku"]) == sorted(got)


def test_maturity_verb_bad_date_exits_2(forecast_workspace, capsys):
    assert main(["maturity", "-w", str(forecast_workspace.path), "--as-of", "31/10/2026"]) == 2
    assert "--as-of '31/10/2026' is not a date" in capsys.readouterr().err
