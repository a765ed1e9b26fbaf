"""``stockcycle economics | health | clearance`` on the sample workspace: every SKU gets a row,
the JSON carries the promised keys with the source of its inputs, bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from stockcycle.cli import main
from stockcycle.store import Workspace


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_economics_every_sku_and_json_keys(forecast_workspace: Workspace, capsys) -> None:
    ws = str(forecast_workspace.path)
    code, out, _ = run(capsys, "economics", "-w", ws, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["inputs"]["month_source"] and data["inputs"]["target_margin"] == 0.25
    skus = {r["sku"] for r in data["skus"]}
    assert skus == set(forecast_workspace.skus())
    promised = {
        "landed_cost",
        "fba_fee",
        "referral_fee",
        "storage_per_unit",
        "profit_per_unit",
        "gross_margin",
        "roi",
        "meets_target",
        "missing",
    }
    assert promised <= set(data["skus"][0])
    code, out, _ = run(capsys, "economics", "-w", ws, "--sku", "NW-APRON", "--month", "11")
    assert code == 0 and "NW-APRON" in out and "month 11" in out


def test_health_every_sku_json_keys_and_xlsx(
    forecast_workspace: Workspace, capsys, tmp_path: Path
) -> None:
    ws = str(forecast_workspace.path)
    out_file = tmp_path / "health.xlsx"
    code, out, _ = run(
        capsys,
        "health",
        "-w",
        ws,
        "--json",
        "--out",
        str(out_file),
        "--cash",
        "50000",
        "--liabilities",
        "30000",
        "--fixed-costs",
        "12000",
    )
    assert code == 0
    data = json.loads(out)
    assert {"inputs", "total", "abc_c_class_cap", "cash", "skus"} <= set(data)
    assert {r["sku"] for r in data["skus"]} == set(forecast_workspace.skus())
    row = data["skus"][0]
    for key in (
        "cogs",
        "average_inventory_cost",
        "turnover_per_year",
        "days_of_inventory",
        "turnover_status",
        "abc_class",
        "aging_status",
        "low_inventory_fee",
    ):
        assert key in row
    assert data["inputs"]["period_days"] == 365 and data["inputs"]["settings"]["turnover_alert"]
    assert "days" in data["cash"]["cash_conversion_cycle"]
    assert data["cash"]["stress_test"]["sources"]["gross_margin"]
    sheet = pd.read_excel(out_file)
    assert len(sheet) == len(data["skus"])


def test_clearance_json_keys(forecast_workspace: Workspace, capsys) -> None:
    code, out, _ = run(
        capsys, "clearance", "-w", str(forecast_workspace.path), "--sku", "NW-APRON", "--json"
    )
    assert code == 0
    data = json.loads(out)
    for key in (
        "inputs",
        "elasticity",
        "scenarios",
        "sensitivity",
        "markdown_plan",
        "exit_date",
        "exit_check",
        "stage",
        "residual_options",
        "recommended_option",
        "competitor_price_band",
    ):
        assert key in data
    assert all("source" in v for v in data["inputs"].values())
    assert data["elasticity"]["source"]
    assert sum(o["recommended"] for o in data["residual_options"]) == 1
    assert len(data["sensitivity"]["profit"]) == len(data["sensitivity"]["duration_days"])


def test_clearance_human_output(forecast_workspace: Workspace, capsys) -> None:
    code, out, _ = run(capsys, "clearance", "-w", str(forecast_workspace.path), "--sku", "NW-APRON")
    assert code == 0
    for text in ("scenarios (R-D2", "markdown plan (R-E1)", "exit date (R-E2)", "recommended"):
        assert text in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("clearance", "--sku", "NO-SUCH-SKU"), "unknown SKU 'NO-SUCH-SKU'"),
        (("economics", "--sku", "NO-SUCH-SKU"), "unknown SKU 'NO-SUCH-SKU'"),
        (("economics", "--month", "13"), "--month is 13"),
        (("health", "--cash", "100"), "needs --liabilities"),
        (("health", "--as-of", "yesterday"), "is not a date"),
        (("health", "--out", "h.txt"), "not a .csv or .xlsx"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    forecast_workspace: Workspace, capsys, args: tuple[str, ...], message: str
) -> None:
    verb, *rest = args
    code, out, err = run(capsys, verb, "-w", str(forecast_workspace.path), *rest)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_clearance_exit_date_and_reason_on_the_sample(
    forecast_workspace: Workspace, capsys
) -> None:
    # NW-DISH-RACK (decline stage): the printed exit date and its reason are those of the JSON,
    # and they agree with the R-E2 figures the JSON carries.
    ws = str(forecast_workspace.path)
    code, out, _ = run(capsys, "clearance", "-w", ws, "--sku", "NW-DISH-RACK", "--json")
    assert code == 0
    data = json.loads(out)
    check = data["exit_check"]
    assert data["exit_reason"] == check["reason"] and data["exit_reason"]
    assert all(step["date"] > data["as_of"] for step in data["exit_cost_steps"])
    if data["exit_date"] is None:
        assert data["exit_reason"].startswith("keep selling")
    else:
        on = check["on_exit_date"]
        assert on["date"] == data["exit_date"]
        assert (
            on["future_storage_and_upkeep"]
            > check["exit_cost_share"] * on["remaining_gross_profit"]
        )
        if data["exit_date"] == data["as_of"]:
            assert data["exit_reason"].startswith("already today")
            assert check["cost_share"] > check["exit_cost_share"]
    code, text, _ = run(capsys, "clearance", "-w", ws, "--sku", "NW-DISH-RACK")
    assert code == 0
    when = data["exit_date"] or "none before sell-out"
    assert f"exit date (R-E2): {when}\n" in text
    assert f"  why: {data['exit_reason']}\n" in text
    assert "stock by age (oldest first, FIFO)" in text
