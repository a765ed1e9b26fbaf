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
from stockcycle.forecast.core import forecast_sku, lead_time_bands, lead_time_quantiles
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
        (4 / 3) / (2 / 7)
    )


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
    assert a.reason.split(":")[0] in ("Prophet", "Seasonal naive (7 days)", "28-day moving average")
    # A falling lumpy series must not go negative either.
    lumpy = pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=200),
            "demand": np.where(np.arange(200) % 5 == 0, 9.0, 0.0),
        }
    )
    assert (forecast_sku(lumpy, horizon=30, sku="L").forecast >= 0).all()


def test_new_sku_uses_peers() -> None:
    s = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=14), "demand": np.full(14, 10.0)})
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


def test_lead_time_bands_are_the_forecast_sums_and_their_quantiles() -> None:
    r = forecast_sku(_smooth_series(300, rate=5.0), horizon=30, sku="Q")
    bands = lead_time_bands(r, 60, points=7)
    assert bands["lead_time_days"].iloc[0] == 1 and bands["lead_time_days"].iloc[-1] == 60
    for _, row in bands.iterrows():
        lt = int(row["lead_time_days"])
        # Beyond the 30-day horizon the forecast continues at the mean of its last 28 days.
        path = np.concatenate([r.forecast, np.full(30, r.forecast[-28:].mean())])
        assert row["forecast"] == pytest.approx(path[:lt].sum())
        q = lead_time_quantiles(r, lt, (0.5, 0.9, 0.99))
        assert (row["p50"], row["p90"], row["p99"]) == pytest.approx((q[0.5], q[0.9], q[0.99]))


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
        rows.append(
            pd.DataFrame(
                {"date": pd.date_range("2024-01-01", periods=days), "demand": d, "sku": f"LU{i}"}
            )
        )
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


def _add_young_sku(ws: Workspace, sku: str = "NEW", days: int = 20) -> None:
    """A SKU launched ``days`` days before the others' last day (too young for a backtest)."""
    end = ws.data_date()
    dates = pd.date_range(end=pd.Timestamp(end), periods=days, freq="D")
    sales = pd.DataFrame({"date": dates, "sku": sku, "channel": "amazon", "units": 3.0})
    ws.import_files([ParsedFile("new.csv", "generic", "test", {"sales": sales}, days)])


def test_batch_cache(tmp_path, monkeypatch) -> None:
    ws = _workspace(tmp_path)
    _add_young_sku(ws)
    calls = _count_fits(monkeypatch)
    first = batch_mod.run_batch(ws, horizon=30, workers=1)
    # The young SKU is estimated on its own; the five others share the catalogue method.
    assert calls == ["NEW"] and first.computed == 6
    assert first.results["NEW"].model == "peer"
    assert {first.results[s].model for s in ("LU0", "LU1", "SM0", "SM1", "SM2")} <= {
        "global",
        "ensemble",
        "moving_average",
    }
    calls.clear()
    second = batch_mod.run_batch(ws, horizon=30, workers=1)
    assert calls == [] and second.cached == 6 and second.computed == 0
    for sku, r in first.results.items():
        np.testing.assert_array_equal(r.forecast, second.results[sku].forecast)
    # A new day of one established SKU refits the catalogue model, not the young SKU.
    extra = pd.DataFrame(
        {
            "date": [pd.Timestamp("2024-03-01")],
            "sku": ["SM1"],
            "channel": ["shopify"],
            "units": [50.0],
        }
    )
    ws.import_files([ParsedFile("more.csv", "generic", "test", {"sales": extra}, 1)])
    calls.clear()
    third = batch_mod.run_batch(ws, horizon=30, workers=1)
    assert calls == [] and third.computed == 5
    # A setting that shapes forecasts refits everything.
    ws.save_settings(Settings(backtest_horizon_days=14))
    calls.clear()
    assert batch_mod.run_batch(ws, horizon=30, workers=1).computed == 6
    assert calls == ["NEW"]
    stored = ws.load_result("forecast")
    assert stored is not None
    assert set(stored[1].columns) == {"sku", "date", "forecast", "model"}
    assert (stored[1]["forecast"] >= 0).all()
    q = ws.load_result("forecast_quantiles")[1]
    assert (q["p99"] >= q["p90"]).all()


def test_forecast_as_of_reads_nothing_after_the_date(tmp_path) -> None:
    ws = _workspace(tmp_path, n_smooth=2, n_lumpy=1)
    as_of = pd.Timestamp("2024-05-31").date()
    before = batch_mod.run_batch(ws, horizon=14, workers=1, as_of=as_of)
    for r in before.results.values():
        assert r.start == pd.Timestamp("2024-06-01")
    # Ten times the sales after the date: a forecast as of the date must not change.
    sales = ws.read("sales")
    later = sales[sales["date"] > pd.Timestamp(as_of)].assign(units=lambda d: d["units"] * 10)
    ws.import_files([ParsedFile("later.csv", "generic", "test", {"sales": later}, len(later))])
    after = batch_mod.run_batch(ws, horizon=14, workers=1, as_of=as_of)
    assert after.computed == 0  # same inputs, same cache entry
    ws.cache_clear(batch_mod.CACHE_NAMESPACE)
    again = batch_mod.run_batch(ws, horizon=14, workers=1, as_of=as_of)
    for sku, r in before.results.items():
        np.testing.assert_allclose(r.forecast, again.results[sku].forecast)


def test_cli_forecast_and_backtest(tmp_path, capsys) -> None:
    ws = _workspace(tmp_path, n_smooth=2, n_lumpy=1)
    out = tmp_path / "fc.csv"
    assert (
        main(
            [
                "forecast",
                "-w",
                str(ws.path),
                "--horizon",
                "20",
                "--out",
                str(out),
                "--workers",
                "1",
                "--json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["skus"] == 3 and data["horizon"] == 20
    written = pd.read_csv(out)
    assert len(written) == 3 * 20
    assert list(written.columns) == ["sku", "date", "forecast", "p10", "p50", "p90", "model"]
    assert (written["p10"] <= written["p90"]).all()
    assert (
        main(
            [
                "backtest",
                "-w",
                str(ws.path),
                "--horizon",
                "14",
                "--origins",
                "2",
                "--json",
            ]
        )
        == 0
    )
    bt = json.loads(capsys.readouterr().out)
    assert {"chosen", "global", "ensemble", "seasonal_naive", "moving_average"} <= set(
        bt["overall"]
    )
    assert len(bt["per_sku"]) == 3 and bt["origins"] == 2 and len(bt["chosen"]) == 2
    cov = bt["overall"]["chosen"]["coverage_p90_14"]
    assert 0.0 <= cov <= 1.0
    assert bt["overall"]["moving_average"]["total_wape_28"] >= 0
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
    assert any(label in captions for label in ("Catalogue model", "28-day moving average:"))
    at.button[1].click().run()  # Run backtest
    assert not at.exception
    assert ws.load_result("backtest") is not None


def test_process_pool_gives_the_same_numbers(tmp_path) -> None:
    # Eight SKUs: enough for run_tasks to use the process pool with two workers.
    ws = _workspace(tmp_path, n_smooth=5, n_lumpy=3)
    tasks = batch_mod.build_tasks(ws, 30, ws.settings(), batch_mod.SELECTION_ORIGINS)
    assert len(tasks) == 8
    one = batch_mod.run_tasks(tasks, workers=1)
    two = batch_mod.run_tasks(tasks, workers=2)
    assert [r.sku for r in two] == [t.sku for t in tasks]
    for a, b in zip(one, two, strict=True):
        assert (a.sku, a.model, a.reason, a.stage) == (b.sku, b.model, b.reason, b.stage)
        np.testing.assert_array_equal(a.forecast, b.forecast)
        np.testing.assert_array_equal(a.errors, b.errors)


def test_stage_override_reaches_the_forecast(tmp_path) -> None:
    from stockcycle import lifecycle

    ws = _workspace(tmp_path, n_smooth=2, n_lumpy=1)
    lifecycle.set_stage_override(ws, "SM1", "growth")
    batch = batch_mod.run_batch(ws, horizon=30, workers=1)
    assert batch.results["SM1"].stage == "growth"


def test_daily_interval_against_hand_computation() -> None:
    from stockcycle.forecast.backtest import cumulative_relative_errors
    from stockcycle.forecast.core import SkuForecast, daily_interval

    actual = np.array([[12.0, 8.0, 10.0], [9.0, 11.0, 13.0], [10.0, 10.0, 7.0]])
    flat = np.full((3, 3), 10.0)
    r = SkuForecast(
        "X",
        "moving_average",
        "",
        "smooth",
        1.0,
        0.1,
        100,
        10.0,
        pd.Timestamp("2025-01-01"),
        np.full(5, 10.0),
        errors=cumulative_relative_errors(actual, flat),
    )
    band = daily_interval(r, (0.1, 0.9))
    # Daily relative errors (A - F) / F per horizon day. With n = 3 paths the finite-sample
    # rule takes the floor(4 * 0.1) = 0 -> 1st smallest for P10 and the ceil(4 * 0.9) = 4 ->
    # 3rd (largest) for P90: the band spans the errors seen.
    rel = (actual - 10.0) / 10.0
    np.testing.assert_allclose(band["lower"].to_numpy()[:3], 10.0 * (1 + rel.min(axis=0)))
    np.testing.assert_allclose(band["upper"].to_numpy()[:3], 10.0 * (1 + rel.max(axis=0)))
    # Day 1: errors +0.2, -0.1, 0 -> 9 to 12 units.
    assert band["lower"].iloc[0] == pytest.approx(9.0)
    assert band["upper"].iloc[0] == pytest.approx(12.0)
    # Past the backtest horizon the last days' quantiles carry on; bounds stay ordered.
    assert (band["lower"] <= band["upper"]).all() and (band["lower"] >= 0).all()
    assert len(band) == 5


def test_error_quantiles_finite_sample_rule() -> None:
    from stockcycle.forecast.core import error_quantiles

    nine = np.arange(1.0, 10.0)[:, None]  # values 1..9 in one column
    # k = ceil(10 q) for q >= 0.5, floor(10 q) below: P90 -> 9th, P50 -> 5th, P10 -> 1st.
    assert error_quantiles(nine, [0.1, 0.5, 0.9])[:, 0].tolist() == [1.0, 5.0, 9.0]
    nineteen = np.arange(1.0, 20.0)[:, None]
    assert error_quantiles(nineteen, 0.9)[0] == 18.0  # ceil(20 * 0.9) = 18th of 19
    with_nan = np.array([[1.0], [np.nan], [3.0]])  # n = 2 observed: P90 -> ceil(2.7) = 3 -> 2nd
    assert error_quantiles(with_nan, 0.9)[0] == 3.0


def test_a_model_that_lost_its_backtest_is_not_kept_by_override() -> None:
    # Two and a half years of a product that sells 20/day and doubles from mid-November to
    # Christmas; forecast made on 31 October. The October backtest window holds no peak and
    # the moving average wins it: the lowest error is chosen, with no season-shift override
    # (on real sales that override kept Prophet on 103 of 300 products, its worst ones).
    rng = np.random.default_rng(11)
    dates = pd.date_range("2024-05-01", "2026-10-31", freq="D")
    peak = ((dates.month == 11) & (dates.day >= 15)) | ((dates.month == 12) & (dates.day <= 24))
    demand = rng.poisson(20.0 * np.where(peak, 2.0, 1.0)).astype(float)
    r = forecast_sku(
        pd.DataFrame({"date": dates, "demand": demand}),
        horizon=61,
        settings=Settings(),
        sku="Q4",
        origins=1,
    )
    wapes = {m: v["wape"] for m, v in r.scores.items()}
    assert wapes["moving_average"] < wapes["prophet"]
    assert r.model == min(wapes, key=wapes.get), r.reason
    assert r.model != "prophet"


def test_a_blank_product_category_does_not_stop_the_batch(tmp_path) -> None:
    # A young SKU looks for similar SKUs by category; a product with a blank category must not
    # break that search for every SKU.
    ws = _workspace(tmp_path, n_smooth=2, n_lumpy=1)
    _add_young_sku(ws)
    products = pd.DataFrame({"sku": ["SM0", "SM1", "NEW"], "category": [None, "mats", "mats"]})
    ws.import_files([ParsedFile("p.csv", "generic", "test", {"products": products}, 3)])
    batch = batch_mod.run_batch(ws, horizon=14, workers=1)
    assert batch.results["NEW"].model == "peer"
    assert "similar SKUs in 'mats'" in batch.results["NEW"].reason


def test_peer_levels_read_only_the_search_named_like_the_category() -> None:
    from stockcycle.forecast.batch import peer_levels

    class Stub:
        """A workspace with two searches: 'Lamps' sells 30 a month, 'spatulas' 3,000."""

        def read(self, table: str) -> pd.DataFrame:
            if table == "products":
                return pd.DataFrame(
                    {
                        "sku": ["LAMP", "MUG", "PAN"],
                        "category": ["lamps", "Mugs", "Kitchen"],
                        # The Xray search the seller named for the product (the Data page's
                        # product editor) wins over a search named like its category.
                        "search": [None, None, " SPATULAS "],
                    }
                )
            return pd.DataFrame(
                {
                    "snapshot_date": pd.to_datetime(["2026-09-30", "2026-10-31"]),
                    "search": ["Lamps", "spatulas"],
                    "monthly_sales": [30.0, 3000.0],
                }
            )

    panel = pd.DataFrame(
        {
            "sku": ["LAMP", "MUG", "PAN"],
            "date": pd.to_datetime(["2026-10-31"] * 3),
            "demand": [0.0] * 3,
        }
    )
    out = peer_levels(Stub(), panel, ["LAMP", "MUG", "PAN"])  # type: ignore[arg-type]
    # PAN: the spatulas search it was given, 3,000 / 30 = 100/day.
    assert out["PAN"][0] == pytest.approx(100.0)
    # LAMP: its own search only, though an older snapshot: 30 / 30 = 1/day, never 100/day.
    assert out["LAMP"][0] == pytest.approx(1.0)
    # MUG has no search of its own: no competitor level at all, not the spatulas'.
    assert "MUG" not in out
