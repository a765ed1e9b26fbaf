"""The labelled demand-curve generator (R-S1 test data): shapes, seasonality, noise, stockouts."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from stockcycle.curves import (
    STAGES,
    bass_rate_for,
    bass_share,
    labelled_curves,
    simulate_sales,
    stage_demand,
)

END = pd.Timestamp("2026-10-31")
DATES = pd.date_range(END - pd.Timedelta(days=3 * 365), END, freq="D")


def _flat(stage: str, seed: int, **kw) -> np.ndarray:
    """Expected demand without season or Prime Day: the life-cycle level alone."""
    return stage_demand(
        stage, DATES, np.random.default_rng(seed), seasonal=False, prime_day=False, **kw
    )


def test_bass_share_solves_the_bass_equation():
    # Independent check: F must satisfy dF/dt = (p + q F)(1 - F) (Bass 1969).
    p, q = 0.004, 0.05
    t = np.arange(0, 400, dtype=float)
    f = bass_share(t, p, q)
    h = 1e-4
    deriv = (bass_share(t + h, p, q) - bass_share(t - h, p, q)) / (2 * h)
    inner = slice(1, None)  # at t=0 the clamp at 0 makes the central difference one-sided
    np.testing.assert_allclose(deriv[inner], ((p + q * f) * (1 - f))[inner], rtol=1e-5, atol=1e-9)
    assert f[0] == 0 and 0.99 < f[-1] < 1


def test_bass_rate_for_hits_the_requested_share():
    p, q = bass_rate_for(0.4, 120, 15)
    assert q / p == pytest.approx(15)
    assert bass_share(np.array([120.0]), p, q)[0] == pytest.approx(0.4)


@pytest.mark.parametrize("seed", range(20))
def test_stage_shapes_hold_on_the_expected_level(seed):
    peak = 50.0
    launch = _flat("launch", seed, peak=peak)
    live = np.flatnonzero(launch > 0)
    assert 7 <= len(DATES) - live[0] - 1 <= 60  # first sale 7-60 days before the end
    assert launch[-1] > launch[-8] and launch[-1] < peak  # still ramping

    growth = _flat("growth", seed, peak=peak)
    age = len(DATES) - np.flatnonzero(growth > 0)[0] - 1
    assert 90 <= age <= 365
    assert growth[-1] / growth[-71] >= 1.3  # clearly up over the last 10 weeks
    assert growth[-1] <= 0.85 * peak  # below the eventual peak

    mature = _flat("maturity", seed, peak=peak)
    quarter = mature[-91:]
    assert quarter.max() / quarter.min() < 1.15 / 0.85  # within +/-15% over the last quarter
    assert (mature[-183:] >= 0.85 * peak).all()  # on the plateau for 6+ months

    decline = _flat("decline", seed, peak=peak)
    top = decline.max()
    assert 0.33 <= decline[-1] / top <= 0.78
    assert decline[-1] / decline[-57] <= 0.85  # falling over the last 8 weeks
    assert np.argmax(decline) < len(DATES) - 56  # the peak is behind

    exit_ = _flat("exit", seed, peak=peak)
    assert exit_[-1] / exit_.max() < 0.25
    assert np.argmax(exit_) < len(DATES) - 180  # a long decline


def test_launch_age_is_respected():
    demand = _flat("launch", 3, launch_age_days=20)
    live = np.flatnonzero(demand > 0)
    assert len(DATES) - live[0] == 21  # first sale 20 days before the end: 3 weeks of sales


def test_seasonality_peaks_in_december_and_dips_in_january():
    flat = stage_demand(
        "maturity", DATES, np.random.default_rng(5), seasonal=False, prime_day=False
    )
    seasonal = stage_demand(
        "maturity", DATES, np.random.default_rng(5), seasonal=True, prime_day=False
    )
    factor = pd.Series(seasonal / flat, index=DATES)
    year = factor["2025-01-01":"2025-12-31"]
    by_month = year.groupby(year.index.month).mean()
    q4_lift = by_month[[10, 11, 12]].mean() / by_month[[4, 5, 6, 7, 8, 9]].mean() - 1
    assert 0.35 <= q4_lift <= 0.85
    assert by_month.idxmax() == 12 and by_month.idxmin() == 1


def test_prime_day_multiplies_only_the_event_days():
    # Same seed: the Prime Day multiplier is the last draw, so the two curves share everything
    # else and their ratio is the multiplier on Prime Day and 1 elsewhere.
    base = stage_demand("maturity", DATES, np.random.default_rng(8), prime_day=False)
    prime = stage_demand("maturity", DATES, np.random.default_rng(8), prime_day=True)
    ratio = pd.Series(prime / base, index=DATES)
    spiked = ratio[ratio > 1.0001].index.strftime("%Y-%m-%d").tolist()
    assert spiked == [
        "2024-07-16",
        "2024-07-17",
        "2025-07-08",
        "2025-07-09",
        "2025-07-10",
        "2025-07-11",
        "2026-07-08",
        "2026-07-09",
        "2026-07-10",
        "2026-07-11",
    ]
    assert 3 <= ratio["2025-07-09"] <= 5


def test_simulated_sales_keep_the_mean_and_are_whole_units():
    rng = np.random.default_rng(1)
    demand = np.full(40_000, 6.0)
    units, in_stock = simulate_sales(demand, rng)
    assert units.dtype.kind == "i" and units.min() >= 0 and in_stock.all()
    assert units.mean() == pytest.approx(6.0, rel=0.03)
    assert units.var() > units.mean()  # negative binomial: over-dispersed


def test_intermittent_sales_are_lumpy_with_many_zero_days():
    rng = np.random.default_rng(2)
    units, _ = simulate_sales(np.full(40_000, 0.4), rng, intermittent=True)
    assert units.mean() == pytest.approx(0.4, rel=0.06)
    assert (units == 0).mean() > 0.8
    assert units[units > 0].mean() > 1.5  # lumps, not single units


def test_stockout_runs_zero_sales_for_3_to_20_days():
    rng = np.random.default_rng(4)
    demand = np.r_[np.zeros(50), np.full(400, 10.0)]
    units, in_stock = simulate_sales(demand, rng, stockout_runs=3)
    assert (units[~in_stock] == 0).all()
    out = np.flatnonzero(~in_stock)
    runs = np.split(out, np.flatnonzero(np.diff(out) > 1) + 1)
    assert len(runs) == 3
    assert all(3 <= len(r) <= 20 for r in runs)
    assert out.min() >= 50 + 14 and out.max() <= len(demand) - 15  # not at launch or the end


def test_labelled_curves_are_balanced_reproducible_and_varied():
    curves = labelled_curves(n=100, seed=3)
    assert [c.stage for c in curves].count("growth") == 20
    assert set(c.stage for c in curves) == set(STAGES)
    again = labelled_curves(n=100, seed=3)
    for a, b in zip(curves, again, strict=True):
        pd.testing.assert_frame_equal(a.sales, b.sales)
    other = labelled_curves(n=100, seed=4)
    assert any(not a.sales.equals(b.sales) for a, b in zip(curves, other, strict=True))
    for c in curves:
        assert list(c.sales.columns) == ["date", "units", "in_stock"]
        assert c.sales["date"].iloc[-1] == END
        assert c.sales["date"].diff().dropna().eq(pd.Timedelta(days=1)).all()
        assert c.sales["units"].iloc[0] >= 1 or c.params["age_days"] > 3 * 365
        assert (c.sales.loc[~c.sales["in_stock"], "units"] == 0).all()
    peaks = [c.params["peak"] for c in curves]
    assert min(peaks) < 3 and max(peaks) > 100
    assert any(c.params["stockout_days"] > 0 for c in curves)
    assert any(c.params["intermittent"] for c in curves)


def test_labelled_curves_end_date_is_a_parameter():
    curves = labelled_curves(n=5, seed=0, end=date(2025, 3, 31))
    assert all(c.sales["date"].iloc[-1] == pd.Timestamp("2025-03-31") for c in curves)
