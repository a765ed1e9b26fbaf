"""Life-cycle stage classifier (R-S1): accuracy on labelled curves, the sample workspace, the
numbers in the reason, overrides that persist, the CLI, and stockouts that are not decline."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from stockcycle.cli import main
from stockcycle.curves import STAGES, labelled_curves
from stockcycle.errors import InputError
from stockcycle.ingest.result import ParsedFile
from stockcycle.lifecycle import (
    classify,
    classify_workspace,
    explain_rules,
    set_stage_override,
    sku_level_history,
    stage_table,
)
from stockcycle.settings import Settings
from stockcycle.store import Workspace

END = date(2026, 10, 31)


def _accuracy(seed: int) -> tuple[float, pd.DataFrame]:
    curves = labelled_curves(n=250, seed=seed, end=END)
    true = [c.stage for c in curves]
    pred = [classify(c.sales).stage for c in curves]
    confusion = pd.crosstab(pd.Series(true, name="generated"), pd.Series(pred, name="classified"))
    return float(np.mean([t == p for t, p in zip(true, pred, strict=True)])), confusion


@pytest.mark.parametrize("seed", [0, 1])
def test_labelled_curves_are_classified_right_at_least_90_percent(seed: int) -> None:
    accuracy, confusion = _accuracy(seed)
    assert confusion.to_numpy().sum() >= 200
    assert set(confusion.index) == set(STAGES)
    assert accuracy >= 0.90, f"accuracy {accuracy:.1%} on seed {seed}\n{confusion}"


def test_sample_workspace_skus_come_out_in_their_generated_stage(sample_workspace) -> None:
    from stockcycle.sample import SAMPLE_DIR

    manifest = json.loads((SAMPLE_DIR / "manifest.json").read_text(encoding="utf-8"))
    wanted = {s["sku"]: s["stage"] for s in manifest["skus"]}
    table = classify_workspace(sample_workspace).set_index("sku")
    assert set(wanted) <= set(table.index)
    wrong = {
        sku: (stage, table.loc[sku, "stage"], table.loc[sku, "reason"])
        for sku, stage in wanted.items()
        if table.loc[sku, "stage"] != stage
    }
    assert not wrong, f"{len(wrong)} of {len(wanted)} SKUs off: {wrong}"


def _series(rates: list[float], end: date = END) -> pd.DataFrame:
    """A noise-free daily series ending on ``end`` with the given units per day."""
    start = end - timedelta(days=len(rates) - 1)
    return pd.DataFrame(
        {"date": pd.date_range(start, end, freq="D"), "units": rates, "in_stock": True}
    )


def test_reason_of_a_growing_product_quotes_its_8_week_rise() -> None:
    # 60 days at 10/day, then a 4-week ramp, then the last 28 days at 13.4/day: the level of
    # the last 4 weeks is 34% above the same 4 weeks 8 weeks earlier.
    rates = [10.0] * 60 + list(np.linspace(10.0, 13.4, 30))[1:-1] + [13.4] * 28
    series = _series(rates)
    result = classify(series)
    now = sum(rates[-28:]) / 28
    then = sum(rates[-84:-56]) / 28
    assert round((now / then - 1) * 100) == 34
    assert result.stage == "growth"
    assert "up 34% over 8 weeks" in result.reason
    assert result.signals["level"] == pytest.approx(13.4)
    assert result.signals["level_8w_ago"] == pytest.approx(10.0)


def test_reason_of_a_declining_product_quotes_its_fall_and_share_of_peak() -> None:
    # A year at 20/day, then down to 16/day, then 12.2/day for the last 4 weeks.
    rates = [20.0] * 365 + [16.0] * 56 + [12.2] * 28
    result = classify(_series(rates))
    change = 12.2 / 16.0 - 1  # -23.75%
    share = 12.2 / 20.0  # 61%
    assert result.stage == "decline"
    assert f"down {round(-change * 100)}% over 8 weeks" in result.reason
    assert f"{round(share * 100)}% of its 20/day peak" in result.reason
    assert result.signals["share_of_peak"] == pytest.approx(share)


def test_young_product_is_a_launch_and_no_sales_is_a_launch() -> None:
    assert classify(_series([3.0] * 40)).stage == "launch"
    assert "40 days" in classify(_series([3.0] * 41)).reason
    empty = pd.DataFrame({"date": pd.date_range("2026-01-01", periods=5), "units": 0.0})
    assert classify(empty).stage == "launch"


def test_product_at_a_fifth_of_its_peak_is_an_exit() -> None:
    rates = [30.0] * 300 + list(np.linspace(30.0, 5.0, 200)) + [5.0] * 60
    result = classify(_series(rates))
    assert result.stage == "exit"
    assert f"{round(5 / 30 * 100)}% of its 30/day peak" in result.reason


def test_decline_over_8_weeks_uses_the_r_d1_drop_setting() -> None:
    # 200 days at 10/day (the peak), 56 days at 9/day, then the last 28 days at 7.5/day: the
    # level is 7.5 / 9 - 1 = -16.7% over 8 weeks and 75% of the peak, with one single step
    # (so the week-over-week R-D1 run is 0 weeks long).
    rates = [10.0] * 200 + [9.0] * 56 + [7.5] * 28
    default = classify(_series(rates))
    assert default.stage == "decline"  # -16.7% passes the default 15% (R-D1)
    assert "down 17% over 8 weeks" in default.reason
    assert default.signals["weekly_drops"] == 0
    stricter = classify(_series(rates), settings=Settings(decline_weekly_drop=0.20))
    assert stricter.stage == "maturity"  # -16.7% does not pass 20%


def test_explain_rules_quotes_the_settings_and_what_the_code_does() -> None:
    from stockcycle.lifecycle import _in_holiday_season

    text = explain_rules(Settings(decline_weekly_drop=0.125, decline_consecutive_weeks=4))
    assert "down 12.5% or more over 8 weeks" in text
    assert "week over week for 4 weeks in a row" in text
    assert "15%" not in text  # the default is not quoted when the seller changed it
    # The season the text names is the one the peak leaves out.
    assert "holiday season (1 October to 15 January)" in text
    inside = _in_holiday_season(
        pd.DatetimeIndex(["2026-09-30", "2026-10-01", "2027-01-15", "2027-01-16"])
    )
    assert inside.tolist() == [False, True, True, False]
    # The level window the text names is the one ``classify`` averages over.
    assert "last 28 days" in text
    level = classify(_series([2.0] * 100 + [6.0] * 28)).signals["level"]
    assert level == pytest.approx(6.0)
    assert classify(_series([2.0] * 101 + [6.0] * 27)).signals["level"] < 6.0


def _mature_series(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units = rng.poisson(20.0, size=600).astype(float)
    return _series(list(units))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stockout_gaps_in_a_mature_product_are_not_decline(seed: int) -> None:
    series = _mature_series(seed)
    assert classify(series).stage == "maturity"
    # Two stockouts in the last 8 weeks: 16 days and 6 days with no sales at all.
    out = np.zeros(len(series), dtype=bool)
    out[-40:-24] = True
    out[-12:-6] = True
    gapped = series.assign(units=series["units"].where(~out, 0.0), in_stock=~out)
    result = classify(gapped)
    assert result.stage == "maturity", result.reason
    # The same gaps read as demand would have looked like a fall: the guard is doing the work.
    assert gapped["units"].iloc[-28:].mean() < 0.85 * series["units"].iloc[-28:].mean()
    # A demand column with NaN on stockout days (as the demand panel gives it) works the same.
    with_demand = gapped.drop(columns="in_stock").assign(demand=gapped["units"].where(~out, np.nan))
    assert classify(with_demand).stage == "maturity"


def _workspace(tmp_path) -> Workspace:
    """Two SKUs: MAT-1 steady for 600 days, NEW-1 on sale for 30 days."""
    mature = _mature_series(5).assign(sku="MAT-1")
    new = _series([4.0] * 30).assign(sku="NEW-1")
    sales = pd.concat([mature, new], ignore_index=True).drop(columns="in_stock")
    sales["channel"] = "Amazon.com"
    ws = Workspace.open(tmp_path / "ws")
    ws.import_files(
        [
            ParsedFile(
                "sales.csv",
                "generic_sales",
                "Generic sales table",
                {"sales": sales},
                rows_read=len(sales),
            )
        ]
    )
    return ws


def test_override_persists_across_reopen_and_shows_in_the_table(tmp_path) -> None:
    ws = _workspace(tmp_path)
    table = classify_workspace(ws).set_index("sku")
    assert table.loc["MAT-1", "stage"] == "maturity"
    assert table.loc["NEW-1", "stage"] == "launch"
    assert not table["overridden"].any()

    set_stage_override(ws, "MAT-1", "Decline")
    reopened = Workspace.open(tmp_path / "ws", create=False)
    table = classify_workspace(reopened).set_index("sku")
    assert table.loc["MAT-1", "stage"] == "decline"
    assert table.loc["MAT-1", "auto_stage"] == "maturity"
    assert bool(table.loc["MAT-1", "overridden"])
    assert "Set by you" in table.loc["MAT-1", "reason"]
    assert table.loc["NEW-1", "stage"] == "launch"
    _, saved = reopened.load_result("stages")
    assert saved.set_index("sku").loc["MAT-1", "stage"] == "decline"

    set_stage_override(reopened, "MAT-1", None)
    assert classify_workspace(reopened).set_index("sku").loc["MAT-1", "stage"] == "maturity"


def test_stage_table_reads_only_and_classify_workspace_saves(tmp_path) -> None:
    ws = _workspace(tmp_path)
    table = stage_table(ws)
    assert set(table["sku"]) == {"MAT-1", "NEW-1"}
    assert table.attrs["end"] == END.isoformat()
    assert ws.load_result("stages") is None
    classify_workspace(ws)
    meta, saved = ws.load_result("stages")
    assert meta["end"] == END.isoformat() and set(saved["sku"]) == {"MAT-1", "NEW-1"}


def test_level_history_of_a_sku_runs_to_the_last_sales_date_of_the_workspace(tmp_path) -> None:
    # STOP-1 sold 5/day for 100 days and stopped 20 days before the workspace's last sales
    # date (END, set by GO-1): its chart must show those 20 silent days, not end at its last
    # sale.
    go = _series([3.0] * 120).assign(sku="GO-1")
    stop = _series([5.0] * 100, end=END - timedelta(days=20)).assign(sku="STOP-1")
    sales = pd.concat([go, stop], ignore_index=True).drop(columns="in_stock")
    sales["channel"] = "Amazon.com"
    ws = Workspace.open(tmp_path / "ws")
    ws.import_files(
        [
            ParsedFile(
                "sales.csv",
                "generic_sales",
                "Generic sales table",
                {"sales": sales},
                rows_read=len(sales),
            )
        ]
    )
    history = sku_level_history(ws, "STOP-1")
    assert history["date"].iloc[-1] == pd.Timestamp(END)
    assert history["demand"].iloc[-20:].tolist() == [0.0] * 20
    # The smoothed level on the last day: 8 selling days at 5/day in the last 28 days.
    assert history["level"].iloc[-1] == pytest.approx(8 * 5.0 / 28)
    assert history["level"].iloc[-21] == pytest.approx(5.0)
    assert sku_level_history(ws, "NOT-THERE").empty


def test_invalid_stage_name_is_an_input_error(tmp_path) -> None:
    ws = _workspace(tmp_path)
    with pytest.raises(InputError) as err:
        set_stage_override(ws, "MAT-1", "peak")
    assert "launch, growth, maturity, decline, exit" in str(err.value)
    assert ws.overrides("stage") == {}


def _cli_json(capsys, *args: str) -> list[dict]:
    capsys.readouterr()
    assert main(["stages", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_prints_stages_as_json_and_keeps_overrides(tmp_path, capsys) -> None:
    ws = _workspace(tmp_path)
    rows = {r["sku"]: r for r in _cli_json(capsys, "--workspace", str(ws.path))}
    assert set(rows) == {"MAT-1", "NEW-1"}
    assert {"sku", "stage", "reason"} <= set(rows["MAT-1"])
    assert rows["MAT-1"]["stage"] == "maturity" and rows["MAT-1"]["reason"]

    rows = {
        r["sku"]: r for r in _cli_json(capsys, "--workspace", str(ws.path), "--set", "NEW-1=growth")
    }
    assert rows["NEW-1"]["stage"] == "growth" and rows["NEW-1"]["overridden"]
    # A later run without --set still shows it: the override lives in the workspace.
    rows = {r["sku"]: r for r in _cli_json(capsys, "--workspace", str(ws.path))}
    assert rows["NEW-1"]["stage"] == "growth"
    rows = {r["sku"]: r for r in _cli_json(capsys, "--workspace", str(ws.path), "--clear", "NEW-1")}
    assert rows["NEW-1"]["stage"] == "launch" and not rows["NEW-1"]["overridden"]


def test_cli_rejects_an_unknown_stage_with_exit_2(tmp_path, capsys) -> None:
    ws = _workspace(tmp_path)
    assert main(["stages", "--workspace", str(ws.path), "--set", "MAT-1=bestseller"]) == 2
    assert "not a life-cycle stage" in capsys.readouterr().err
    assert main(["stages", "--workspace", str(ws.path), "--set", "NOPE=growth"]) == 2
    assert ws.overrides("stage") == {}
