"""Forecasting: intermittent methods, metrics, quantiles, batch cache, CLI (R-G2, R-K6)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stockcycle.cli import main
from stockcycle.forecast import backtest as bt_mod
from stockcycle.forecast import batch as batch_mod
from stockcycle.forecast.core import forecast_sku, lead_time_quantiles
from stockcycle.forecast.intermittent import adi_cv2, classify_demand, croston_sba, tsb
from stockcycle.ingest.result import ParsedFile
from stockcycle.settings import Settings
from stockcycle.store import Workspace

SERIES10 = np.array([0, 3, 0, 0, 5, 0, 2, 0, 0, 4], dtype=float)


def test_adi_cv2_against_hand_computation() -> None:
    # 10 days, 4 with demand -> ADI 2.5; sizes 3,5,2,4: mean 3.5, var 1.25 -> CV2 0.102
    adi, cv2 = adi_cv2(SERIES10)
    assert adi == pytest.approx(2.5)
    assert cv2 == pytest.approx(1.25 / 3.5**2)
    assert classify_demand(SERIES10) == "intermittent"
    assert classify_demand(np.array([5, 6, 5, 4, 5, 6], float)) == "smooth"  # ADI 1, CV2 small
    assert classify_demand(np.array([1, 10, 1, 12, 1, 9], float)) == "erratic"  # CV2 > 0.49
    assert classify_demand(np.array([0, 1, 0, 0, 20, 0], float)) == "lumpy"  # ADI 3, CV2 .82


def test_croston_sba_by_hand() -> None:
    # Demands at positions 2,5,7,10 (1-based); alpha 0.1.
    # init z=3, p=2; t=5: z=3.2, p=2+0.1*(3-2)=2.1; t=7: z=3.08, p=2.09;
    # t=10: z=3.172, p=2.181; SBA = 0.95 * 3.172 / 2.181
    assert croston_sba(SERIES10, alpha=0.1) == pytest.approx(0.95 * 3.172 / 2.181, rel=1e-9)


def test_tsb_by_hand() -> None:
    d, z = 0.4, 3.5
    for v in SERIES10:
        if v > 0:
            d, z = d + 0.1 * (1 - d), z + 0.1 * (v - z)
        else:
            d = d + 0.1 * (0 - d)
    # Written out: the recursion is short enough to trust by reading it.
    assert tsb(SERIES10, alpha=0.1, beta=0.1) == pytest.approx(d * z)
    assert tsb(np.zeros(5)) == 0.0


def test_metrics_against_hand_computation() -> None:
    a = np.array([10.0, 0.0, 5.0, np.nan])
    f = np.array([8.0, 2.0, 5.0, 100.0])  # the stockout day (NaN) is ignored
    assert bt_mod.wape(a, f) == pytest.approx((2 + 2 + 0) / 15)
    assert bt_mod.bias(a, f) == pytest.approx((-2 + 2 + 0) / 15)
    train = np.array([1, 2, 3, 4, 5, 6, 7, 3, 2, 3, 4, 5, 6, 7], float)  # |diffs|: 2,0,0,0,0,0,0
    scale = bt_mod.mase_scale(train)
    assert scale == pytest.approx(2 / 7)
    assert bt_mod.mase(a[None, :], f[None, :], np.array([scale])) == pytest.approx(
        (4 / 3) / (2 / 7))


def _smooth_series(days: int = 400, seed: int = 3, rate: float = 20.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    weekly = 1 + 0.3 * np.sin(2 * np.pi * np.arange(days) / 7)
    return pd.DataFrame({"date": dates, "demand": rng.poisson(rate * weekly).astype(float)})


def test_forecast_is_never_negative_and_reproducible() -> None:
    s = _smooth_series(200)
    s.loc[150:160, "demand"] = np.nan  # a stockout
    a = forecast_sku(s, horizon=60, settings=Settings(), sku="X")
    b = forecast_sku(s, horizon=60, settings=Settings(), sku="X")
    assert (a.forecast >= 0).all()
    np.testing.assert_array_equal(a.forecast, b.forecast)
    assert a.model == b.model and a.reason == b.reason
    assert a.reason.split(":")[0] in ("Prophet", "Seasonal naive (7 days)",
                                      "28-day moving average")
    # A falling lumpy series must not go negative either.
    lumpy = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=200),
                          "demand": np.where(np.arange(200) % 5 == 0, 9.0, 0.0)})
    assert (forecast_sku(lumpy, horizon=30, sku="L").forecast >= 0).all()


def test_new_sku_uses_peers() -> None:
    s = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=14),
                      "demand": np.full(14, 10.0)})
    r = forecast_sku(s, horizon=30, peers=40.0, sku="N")
    # w = 14 / (14 + 14) = 0.5 -> 0.5 * 10 + 0.5 * 40 = 25
    assert r.model == "peer"
    assert r.forecast == pytest.approx(np.full(30, 25.0))
    assert "40.0/day" in r.reason


def test_lead_time_quantiles_monotone() -> None:
    r = forecast_sku(_smooth_series(300, rate=5.0), horizon=90, sku="Q")
    last = None
    for lt in (1, 7, 14, 28, 45, 90, 120):
        q = lead_time_quantiles(r, lt)
        vals = [q[k] for k in (0.5, 0.9, 0.95, 0.99)]
        assert vals == sorted(vals)
        if last is not None:
            assert all(v >= w for v, w in zip(vals, last, strict=True))
        last = vals
    # P50 over 28 days sits near the forecast sum (the errors are centred on it).
    assert lead_time_quantiles(r, 28)[0.5] == pytest.approx(r.forecast[:28].sum(), rel=0.3)


# -- workspace-level: batch cache, backtest, CLI ------------------------------------------


def _workspace(tmp_path, n_smooth: int = 3, n_lumpy: int = 2, days: int = 170) -> Workspace:
    rows = []
    for i in range(n_smooth):
        s = _smooth_series(days, seed=i, rate=10.0 + 5 * i)
        rows.append(s.assign(sku=f"SM{i}"))
    for i in range(n_lumpy):
        rng = np.random.default_rng(100 + i)
        d = np.where(rng.random(days) < 0.25, rng.integers(1, 4, days), 0).astype(float)
        d[0] = 1
        rows.append(pd.DataFrame({"date": pd.date_range("2024-01-01", periods=days),
                                  "demand": d, "sku": f"LU{i}"}))
    sales = pd.concat(rows).rename(columns={"demand": "units"}).assign(channel="amazon")
    ws = Workspace.open(tmp_path / "ws")
    ws.import_files([ParsedFile("sales.csv", "generic", "test", {"sales": sales}, len(sales))])
    return ws


def _count_fits(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = batch_mod._forecast_one

    def counting(task):
        calls.append(task.sku)
        return real(task)

    monkeypatch.setattr(batch_mod, "_forecast_one", counting)
    return calls


def test_batch_cache(tmp_path, monkeypatch) -> None:
    ws = _workspace(tmp_path)
    calls = _count_fits(monkeypatch)
    first = batch_mod.run_batch(ws, horizon=30, workers=1)
    assert sorted(calls) == ["LU0", "LU1", "SM0", "SM1", "SM2"]
    assert first.computed == 5
    calls.clear()
    second = batch_mod.run_batch(ws, horizon=30, workers=1)
    assert calls == [] and second.cached == 5
    for sku, r in first.results.items():
        np.testing.assert_array_equal(r.forecast, second.results[sku].forecast)
    # Change one SKU's data: only that SKU is refitted.
    extra = pd.DataFrame({"date": [pd.Timestamp("2024-03-01")], "sku": ["SM1"],
                          "channel": ["shopify"], "units": [50.0]})
    ws.import_files([ParsedFile("more.csv", "generic", "test", {"sales": extra}, 1)])
    calls.clear()
    batch_mod.run_batch(ws, horizon=30, workers=1)
    assert calls == ["SM1"]
    # A setting that shapes forecasts refits everything.
    ws.save_settings(Settings(backtest_horizon_days=14))
    calls.clear()
    batch_mod.run_batch(ws, horizon=30, workers=1)
    assert len(calls) == 5
    stored = ws.load_result("forecast")
    assert stored is not None
    assert set(stored[1].columns) == {"sku", "date", "forecast", "model"}
    assert (stored[1]["forecast"] >= 0).all()
    q = ws.load_result("forecast_quantiles")[1]
    assert (q["p99"] >= q["p90"]).all()


def test_cli_forecast_and_backtest(tmp_path, capsys) -> None:
    ws = _workspace(tmp_path, n_smooth=2, n_lumpy=1)
    out = tmp_path / "fc.csv"
    assert main(["forecast", "-w", str(ws.path), "--horizon", "20", "--out", str(out),
                 "--workers", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["skus"] == 3 and data["horizon"] == 20
    assert len(pd.read_csv(out)) == 3 * 20
    assert main(["backtest", "-w", str(ws.path), "--horizon", "14", "--origins", "2",
                 "--workers", "1", "--json"]) == 0
    bt = json.loads(capsys.readouterr().out)
    assert {"chosen", "seasonal_naive", "moving_average"} <= set(bt["overall"])
    assert len(bt["per_sku"]) == 3
    cov = bt["overall"]["chosen"]["coverage_p90"]
    assert 0.0 <= cov <= 1.0
    assert ws.load_result("backtest") is not None


def test_forecast_page_runs(tmp_path) -> None:
    from streamlit.testing.v1 import AppTest

    from stockcycle.ui import WORKSPACE_KEY

    ws = _workspace(tmp_path, n_smooth=1, n_lumpy=1)
    app = str(Path(__file__).resolve().parents[1] / "app.py")
    at = AppTest.from_file(app, default_timeout=120)
    at.session_state[WORKSPACE_KEY] = str(ws.path)
    at.run()
    at.switch_page("pages/3_Forecast.py").run()
    assert not at.exception
    at.button[0].click().run()  # Run forecast (single process: fewer than 8 SKUs)
    assert not at.exception
    captions = " ".join(str(c.value) for c in at.caption)
    assert any(label in captions for label in ("Croston-SBA:", "TSB:", "Prophet:",
                                               "Seasonal naive", "moving average"))
    at.button[1].click().run()  # Run backtest
    assert not at.exception
    assert ws.load_result("backtest") is not None
