"""The catalogue forecast (R-T3): one method chosen out of sample, a nested backtest that never
reads past its origin, dead products forecast nothing, closed weekdays forecast nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stockcycle.demand import demand_panel
from stockcycle.forecast import catalogue, global_model
from stockcycle.forecast.global_model import Panel


def _panel(n_skus: int = 8, days: int = 420, dead: int = 0, seed: int = 0) -> Panel:
    """Poisson sales of ``n_skus`` SKUs at 1-12 a day, closed on Saturdays; the last ``dead``
    SKUs stop selling 90 days before the end."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-02", periods=days, freq="D")
    rows = []
    for i in range(n_skus):
        rate = 1.0 + 11.0 * i / max(1, n_skus - 1)
        units = rng.poisson(rate, days).astype(float)
        units[dates.day_of_week == 5] = 0.0
        if i >= n_skus - dead:
            units[-90:] = 0.0
        rows.append(pd.DataFrame({"date": dates, "sku": f"S{i}", "units": units}))
    return Panel.from_long(demand_panel(pd.concat(rows)))


def test_closed_weekdays_and_dead_products_are_forecast_nothing() -> None:
    p = _panel(dead=2)
    run = catalogue.run(p, 28)
    saturdays = (p.dates[-1] + pd.to_timedelta(np.arange(1, 29), unit="D")).day_of_week == 5
    assert np.allclose(run.forecast[:, saturdays], 0.0)
    # No sale in the last 90 days: under 0.5 units over the next 28 days, whatever the method.
    assert run.forecast[-2:].sum(axis=1).max() < 0.5
    # The live SKUs get their level back (within 25% of their rate on open days x 24 days).
    live = run.forecast[:-2].sum(axis=1)
    rates = 1.0 + 11.0 * np.arange(6) / 7
    assert np.allclose(live, rates * 24, rtol=0.25)


def test_method_is_chosen_on_pooled_totals_of_earlier_cuts() -> None:
    p = _panel()
    last = len(p.dates) - 1
    days = catalogue.selection_cuts(last, 28)
    cuts = [catalogue.forecasts_at(p, c, 56) for c in days]
    assert len(cuts) == catalogue.SELECTION_CUTS
    method, scores = catalogue.choose_method(p, cuts, (28, 56), last)
    # The pooled errors, computed by hand: 28-day totals over all six cuts, 56-day totals over
    # the five whose 56 days end by the last day.
    for h, usable in ((28, cuts), (56, [cf for cf in cuts if cf.cut + 56 <= last])):
        assert len(usable) == (6 if h == 28 else 5)
        for m in catalogue.METHODS:
            num = den = 0.0
            for cf in usable:
                act = p.y[:, cf.cut + 1 : cf.cut + 1 + h]
                known = ~np.isnan(act)
                a = np.where(known, act, 0).sum(axis=1)
                f = np.where(known, cf.paths[m][:, :h], 0).sum(axis=1)
                num += np.abs(f - a).sum()
                den += a.sum()
            assert scores[h][m] == pytest.approx(num / den)
    total = {m: scores[28][m] + scores[56][m] for m in catalogue.METHODS}
    assert total[method] == min(total.values())


def test_nested_backtest_never_reads_past_its_origin() -> None:
    p = _panel(n_skus=6, days=400)
    first = catalogue.backtest(p, origins=2)
    origin = first.origins[0]
    cut = int((origin - p.dates[0]).days)
    # Ten times the demand after the first origin: what was forecast at it cannot change.
    y = p.y.copy()
    y[:, cut + 1 :] *= 10
    second = catalogue.backtest(Panel(p.skus, p.dates, y, p.open_day), origins=2)
    a = first.per_sku[first.per_sku["origin"] == origin.date()]
    b = second.per_sku[second.per_sku["origin"] == origin.date()]
    assert first.chosen[0] == second.chosen[0]
    for col in ("chosen_28", "chosen_56", "moving_average_28", "global_28", "p90_28"):
        np.testing.assert_allclose(a[col].to_numpy(), b[col].to_numpy())
    assert (b["actual_28"].to_numpy() > a["actual_28"].to_numpy()).any()


def test_a_model_that_knows_only_the_scored_future_is_never_chosen(monkeypatch) -> None:
    # A cheat: at the scored origins the "global" method returns what actually happened, at
    # every earlier cut it is ten times off. Chosen on the scored origins (in sample) it
    # would win; chosen on earlier cuts only, as the backtest does, it never is.
    p = _panel(n_skus=6, days=400)
    last = len(p.dates) - 1
    scored = {last - 56 - 28 * k for k in range(2)}
    real = catalogue.forecasts_at

    def cheating(panel: Panel, cut: int, horizon: int) -> catalogue.CutForecasts:
        cf = real(panel, cut, horizon)
        future = np.nan_to_num(catalogue.actual_after(panel, cut, horizon))
        cf.paths["global"] = future if cut in scored else future * 10 + 5
        return cf

    monkeypatch.setattr(catalogue, "forecasts_at", cheating)
    bt = catalogue.backtest(p, origins=2)
    assert bt.chosen and "global" not in bt.chosen
    # It would have been perfect where it was scored.
    assert bt.overall["global"]["total_wape_28"] == pytest.approx(0.0, abs=1e-9)


def test_p90_of_totals_covers_about_nine_in_ten_on_simulated_demand() -> None:
    p = _panel(n_skus=40, days=560, seed=3)
    bt = catalogue.backtest(p, origins=3)
    cover = bt.overall["chosen"]["coverage_p90_28"]
    assert 0.8 <= cover <= 0.99, cover


def test_fit_reads_nothing_after_its_cut() -> None:
    p = _panel(n_skus=5, days=300)
    cut = 250
    y = p.y.copy()
    y[:, cut + 1 :] = 1000.0
    a = global_model.predict(global_model.fit(p, cut), p, 14)
    b_panel = Panel(p.skus, p.dates, y, p.open_day)
    b = global_model.predict(global_model.fit(b_panel, cut), b_panel, 14)
    np.testing.assert_allclose(a, b)


def test_mase_scale_of_the_catalogue_equals_the_per_sku_formula() -> None:
    from stockcycle.forecast.backtest import mase_scale

    p = _panel(n_skus=4, days=120)
    scales = catalogue.mase_scales(p, 100)
    for i in range(4):
        assert scales[i] == pytest.approx(mase_scale(p.y[i, :101]))
