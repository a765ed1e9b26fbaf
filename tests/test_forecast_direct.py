"""Prophet's model fitted and predicted from a cached design matrix (``prophet_direct``).

The claim checked: the data handed to the optimiser is exactly what ``Prophet.preprocess``
builds, the path equals ``Prophet.predict`` on the same parameters (1e-6 relative), and the
engine's Prophet forecast is the one Prophet's own ``fit`` + ``predict`` give (same optimum).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stockcycle.curves import labelled_curves
from stockcycle.forecast import prophet_direct
from stockcycle.forecast.events import holidays_frame
from stockcycle.forecast.intermittent import classify_demand
from stockcycle.forecast.models import (
    LOGISTIC_CAP_FACTOR,
    MA_DAYS,
    PROPHET_OPTIONS,
    ModelContext,
    _prophet_forecast_via_prophet,
    prophet_forecast,
    quiet_cmdstanpy,
    yearly_order,
)

HORIZON = 35
PROMO = pd.DataFrame({"ds": pd.to_datetime(["2025-11-20", "2025-11-21"]), "lift": [0.5, 0.5]})


def _curves(n: int) -> list[tuple[pd.DatetimeIndex, np.ndarray]]:
    """The first ``n`` smooth or erratic labelled curves (NaN on stockout days)."""
    out = []
    for c in labelled_curves(40, seed=7):
        y = np.where(c.sales["in_stock"], c.sales["units"], np.nan).astype(float)
        if len(y) >= 150 and classify_demand(y[-365:]) in ("smooth", "erratic"):
            out.append((pd.DatetimeIndex(c.sales["date"]), y))
        if len(out) == n:
            break
    return out


def _prophet_and_direct(dates: pd.DatetimeIndex, y: np.ndarray, growth: str, promo: bool):
    """A Prophet model set up like the engine's, its history frame and the matching design
    and cap for ``prophet_direct``."""
    from prophet import Prophet

    future_end = dates[-1] + pd.Timedelta(days=HORIZON)
    hol = holidays_frame(dates[0].year, future_end.year)
    key: tuple = (dates[0].year, future_end.year)
    if promo:
        extra = pd.DataFrame(
            {"holiday": "promotion", "ds": PROMO["ds"], "lower_window": 0, "upper_window": 0}
        )
        hol = pd.concat([hol, extra], ignore_index=True)
        key = (*key, "promo")
    yearly = yearly_order((dates[-1] - dates[0]).days)
    obs = ~np.isnan(y)
    hist = pd.DataFrame({"ds": dates[obs], "y": y[obs]})
    cap = None
    if growth == "logistic":
        cap = LOGISTIC_CAP_FACTOR * float(pd.Series(y).rolling(MA_DAYS, min_periods=7).mean().max())
        hist["cap"], hist["floor"] = cap, 0.0
    model = Prophet(growth=growth, yearly_seasonality=yearly, holidays=hol, **PROPHET_OPTIONS)
    dsg = prophet_direct.design(
        pd.Timestamp(dates[0].year, 1, 1),
        pd.Timestamp(future_end.year, 12, 31),
        yearly,
        hol,
        key,
        PROPHET_OPTIONS,
    )
    return model, hist, dsg, cap


@pytest.mark.parametrize(("growth", "promo"), [("linear", True), ("logistic", False)])
def test_stan_data_and_initial_values_are_prophets(growth: str, promo: bool) -> None:
    quiet_cmdstanpy()
    dates, y = _curves(2)[1]
    y = y.copy()
    y[-100:-90] = np.nan  # a stockout: missing days, not zeros
    model, hist, dsg, cap = _prophet_and_direct(dates, y, growth, promo)
    theirs = vars(model.preprocess(hist))
    obs = ~np.isnan(y)
    ours, _ = prophet_direct.stan_data(dates[obs], y[obs], dsg, growth, cap)
    assert set(ours) == set(theirs)
    for name, value in theirs.items():
        np.testing.assert_array_equal(np.asarray(ours[name]), np.asarray(value), err_msg=name)
    init = prophet_direct.initial_params(ours, growth)
    expected = vars(model.calculate_initial_params(theirs["K"]))
    for name, value in expected.items():
        np.testing.assert_allclose(init[name], value, rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("growth", ["linear", "logistic"])
def test_path_equals_prophet_predict_on_the_same_parameters(growth: str) -> None:
    from stockcycle.forecast.mapfit import InProcessProphet

    quiet_cmdstanpy()
    dates, y = _curves(2)[1]  # 2.8 years: yearly seasonality on
    model, hist, dsg, cap = _prophet_and_direct(dates, y, growth, promo=True)
    fitted = InProcessProphet(
        growth=growth,
        yearly_seasonality=model.yearly_seasonality,
        holidays=model.holidays,
        **PROPHET_OPTIONS,
    ).fit(hist)
    # The last 28 history days and the horizon, as the engine predicts them.
    when = dates[-28:].append(pd.date_range(dates[-1] + pd.Timedelta(days=1), periods=HORIZON))
    frame = pd.DataFrame({"ds": when})
    if cap is not None:
        frame["cap"], frame["floor"] = cap, 0.0
    pred = fitted.predict(frame)
    obs = ~np.isnan(y)
    _, scaling = prophet_direct.stan_data(dates[obs], y[obs], dsg, growth, cap)
    p = fitted.params
    ours = prophet_direct.DirectFit(
        {"k": p["k"][0, 0], "m": p["m"][0, 0], "delta": p["delta"][0], "beta": p["beta"][0]},
        scaling,
        np.asarray(fitted.changepoints_t),
        growth,
        cap,
        dsg,
    )
    yhat, yearly = ours.predict(when)
    np.testing.assert_allclose(yhat, pred["yhat"].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(yearly, pred["yearly"].to_numpy(), rtol=1e-6, atol=1e-12)
    assert np.ptp(yearly) > 0.01  # a real yearly component was compared


def test_engine_forecast_is_prophets_fit_and_predict() -> None:
    # The same path, season shift and warm-start parameters as through Prophet's own fit and
    # predict (in-process backend), for both trends, with and without a past promotion, and
    # along a warm-started chain (cut, then the whole history) as the engine runs it.
    quiet_cmdstanpy()
    for dates, y in _curves(3):
        for growth in ("linear", "logistic"):
            for promo in (None, PROMO):
                cut = ModelContext(promo=promo, growth=growth)
                a = prophet_forecast(y[:-28], dates[:-28], 28, cut)
                b = _prophet_forecast_via_prophet(y[:-28], dates[:-28], 28, cut)
                np.testing.assert_allclose(a[0], b[0], rtol=1e-9, atol=1e-9)
                np.testing.assert_allclose(a[1]["beta"], b[1]["beta"], rtol=1e-9, atol=1e-12)
                final = ModelContext(promo=promo, growth=growth, init=a[1])
                a = prophet_forecast(y, dates, HORIZON, final, window_days=28)
                b = _prophet_forecast_via_prophet(y, dates, HORIZON, final, window_days=28)
                np.testing.assert_allclose(a[0], b[0], rtol=1e-9, atol=1e-9)
                assert a[2] == pytest.approx(b[2], rel=1e-12)


def test_design_cache_keeps_calendars_apart() -> None:
    hol = holidays_frame(2025, 2026)
    first, last = pd.Timestamp("2025-01-01"), pd.Timestamp("2026-12-31")
    a = prophet_direct.design(first, last, 3, hol, (2025, 2026), PROPHET_OPTIONS)
    assert prophet_direct.design(first, last, 3, hol, (2025, 2026), PROPHET_OPTIONS) is a
    b = prophet_direct.design(first, last, True, hol, (2025, 2026), PROPHET_OPTIONS)
    # 3 yearly Fourier pairs against Prophet's default 10: 14 more columns.
    assert b.X.shape[1] - a.X.shape[1] == 14
    assert a.yearly.sum() == 6 and b.yearly.sum() == 20
    # Row i is day first + i: Prophet orders yearly, then weekly columns (6 each here), and
    # the weekly ones repeat every 7 rows.
    np.testing.assert_allclose(a.X[7:100, 6:12], a.X[:93, 6:12], atol=1e-9)
    assert not np.allclose(a.X[1:94, 6:12], a.X[:93, 6:12], atol=1e-3)


def test_failed_fit_goes_through_prophet(monkeypatch) -> None:
    from stockcycle.forecast import mapfit

    quiet_cmdstanpy()
    dates, y = _curves(1)[0]
    calls = []
    real = mapfit.ProphetPosterior.fit

    def failing_once(self, init):
        calls.append(1)
        if len(calls) == 1:
            return {}, np.inf, False
        return real(self, init)

    monkeypatch.setattr(mapfit.ProphetPosterior, "fit", failing_once)
    path, params, _ = prophet_forecast(y, dates, 28, ModelContext())
    # The direct fit failed, Prophet's own fit ran the optimiser again and succeeded.
    assert len(calls) == 2
    assert np.all(np.isfinite(path)) and path.sum() > 0
    assert len(params["delta"]) == prophet_direct.N_CHANGEPOINTS
