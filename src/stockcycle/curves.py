"""Synthetic daily demand curves, labelled with the life-cycle stage a product is in (R-S1).

Used to test the stage classifier and to build the sample workspace. Everything is drawn from a
``numpy.random.Generator`` the caller passes in, so the same seed gives the same curves.

Model (units/day on calendar day ``d``, product age ``t = d - launch`` in days)::

    demand(d) = level(t) * wobble(d) * season(d) * prime(d)         (0 before launch)
    level(t)  = peak * F(t + 1) * decay(t)          (launch day t = 0 carries a day of adoption)
    F(t)      = (1 - exp(-(p+q) t)) / (1 + (q/p) exp(-(p+q) t))       Bass (1969) adoption share
    decay(t)  = exp(-k (t - t_decline)) after t_decline, else 1

``F`` is the cumulative adoption of the Bass diffusion model (F. M. Bass, "A new product growth
model for consumer durables", Management Science 15(5), 1969) with innovation ``p`` and
imitation ``q`` per day; for a repeat-purchase product the daily demand is proportional to the
adopters, so it rises along an S-curve to ``peak`` and stays there until the decline starts.

Stage shapes (the product is in the stage on the LAST date; ``age`` = last date - launch):

- ``launch``: first sale 7-60 days before the end; Bass rise still under way, now at 20-70% of
  the eventual peak.
- ``growth``: age 3-12 months (90-365 days); Bass rise, now at 35-80% of the eventual peak and
  the (de-seasonalised) level at least 35% higher than 10 weeks earlier.
- ``maturity``: the rise reached 97% of peak at least 200 days before the end; plateau with a
  slow wobble (+/-5%), so the de-seasonalised level stays within +/-15% over the last quarter.
- ``decline``: plateau of at least 60 days, then an exponential fall that started 8-16 weeks
  before the end; now 35-75% of peak and at least 20% below its level 8 weeks earlier.
- ``exit``: the fall started 6-18 months before the end; now 4-22% of peak (end of life).

Seasonality (``season``) multiplies demand: a Q4 bump (Black Friday / Cyber Monday, peak in mid
December) worth +40-80% on the Q4 average, and a January dip of 10-30%. ``prime`` multiplies
Prime Day by x3-x5 (dates from ``forecast.events.prime_days``: the seller-extendable events
file).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from stockcycle.forecast.events import prime_days

STAGES = ("launch", "growth", "maturity", "decline", "exit")

# Q4 bump anchors (day of year, share of the amplitude): flat through October, rising in
# November to Black Friday week, peak in mid December, back to normal early in January.
_Q4_ANCHORS = [
    (1, 0.0),
    (288, 0.0),
    (305, 0.05),
    (319, 0.3),
    (332, 0.9),
    (346, 1.4),
    (358, 1.2),
    (366, 0.3),
]
# January dip anchors: deepest around 20 January, gone by mid March.
_JAN_ANCHORS = [(1, 0.3), (20, 1.0), (46, 0.5), (74, 0.0), (366, 0.0)]


def bass_share(t: np.ndarray, p: float, q: float) -> np.ndarray:
    """Cumulative Bass adoption share F(t) in [0, 1) for age ``t`` in days (0 before launch).

    F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}); p, q per day (Bass 1969).
    """
    t = np.maximum(np.asarray(t, dtype=float), 0.0)
    e = np.exp(-(p + q) * t)
    return (1.0 - e) / (1.0 + (q / p) * e)


def bass_rate_for(share: float, age: float, ratio: float) -> tuple[float, float]:
    """(p, q) such that F(age) = ``share`` with imitation/innovation ratio q/p = ``ratio``.

    Solves F = (1 - x) / (1 + r x) for x = e^{-(p+q) age}: x = (1 - F) / (1 + F r).
    """
    x = (1.0 - share) / (1.0 + share * ratio)
    s = -math.log(x) / age
    p = s / (1.0 + ratio)
    return p, s - p


def seasonal_factor(dates: pd.DatetimeIndex, amplitude: float, january_dip: float) -> np.ndarray:
    """Multiplicative yearly season: 1 + amplitude * q4(doy) - january_dip * jan(doy).

    ``amplitude`` 0.7-1.4 gives a Q4 average 40-80% above the rest of the year (peak mid
    December); ``january_dip`` is the depth of the late-January trough (0.1-0.3).
    """
    doy = np.asarray(dates.dayofyear, dtype=float)
    q4 = np.interp(doy, *zip(*_Q4_ANCHORS, strict=True))
    jan = np.interp(doy, *zip(*_JAN_ANCHORS, strict=True))
    return 1.0 + amplitude * q4 - january_dip * jan


def prime_factor(dates: pd.DatetimeIndex, multiplier: float) -> np.ndarray:
    """``multiplier`` on Prime Day dates (``forecast.events.prime_days``), 1 elsewhere."""
    out = np.ones(len(dates))
    for year in sorted(set(dates.year)):
        first, last = prime_days(int(year))
        on = (dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last))
        out[np.asarray(on)] = multiplier
    return out


def _draw_shape(stage: str, rng: np.random.Generator, age: int | None) -> dict:
    """Draw the life-cycle parameters of one product in ``stage`` (see the module docstring)."""
    if stage == "launch":
        age = int(rng.integers(7, 61)) if age is None else age
        share = float(rng.uniform(0.2, 0.7))
        p, q = bass_rate_for(share, age + 1, float(rng.uniform(2, 20)))
        return {"age_days": age, "p": p, "q": q, "share_now": share}
    if stage == "growth":
        age = int(rng.integers(90, 366)) if age is None else age
        for _ in range(200):
            share = float(rng.uniform(0.35, 0.8))
            p, q = bass_rate_for(share, age + 1, float(rng.uniform(5, 80)))
            before = bass_share(np.array([age + 1 - 70.0]), p, q)[0]
            if before <= 0 or share / before >= 1.35:
                break
        return {"age_days": age, "p": p, "q": q, "share_now": share}
    if stage == "maturity":
        age = int(rng.integers(400, 1800)) if age is None else age
        rise = float(rng.uniform(60, max(61.0, age - 200)))
        p, q = bass_rate_for(0.97, rise, float(rng.uniform(3, 40)))
        return {"age_days": age, "p": p, "q": q, "rise_days": rise, "share_now": 1.0}
    if stage in ("decline", "exit"):
        lo, hi = (56, 112) if stage == "decline" else (180, 540)
        for _ in range(200):
            fall = int(rng.integers(lo, hi + 1))
            share = float(
                rng.uniform(0.35, 0.75) if stage == "decline" else rng.uniform(0.04, 0.22)
            )
            # Decline must show: at least 20% down over the last 8 weeks.
            if stage == "exit" or share ** (56 / fall) <= 0.8:
                break
        min_age = fall + 60 + 60
        age = (
            int(rng.integers(max(min_age, 365), max(min_age, 365) + 1400))
            if age is None
            else max(age, min_age)
        )
        t_decline = age - fall
        rise = float(rng.uniform(60, max(61.0, t_decline - 60)))
        p, q = bass_rate_for(0.97, rise, float(rng.uniform(3, 40)))
        return {
            "age_days": age,
            "p": p,
            "q": q,
            "rise_days": rise,
            "decline_days": fall,
            "decline_rate": -math.log(share) / fall,
            "share_now": share,
        }
    raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")


def stage_curve(
    stage: str,
    dates: pd.DatetimeIndex,
    rng: np.random.Generator,
    *,
    peak: float = 20.0,
    seasonal: bool = True,
    prime_day: bool = True,
    launch_age_days: int | None = None,
) -> tuple[np.ndarray, dict]:
    """``stage_demand`` plus the parameters drawn for the curve (age_days, p, q, share_now,
    launch date, season amplitude, Prime Day multiplier, ...)."""
    dates = pd.DatetimeIndex(dates).normalize()
    params = _draw_shape(stage, rng, launch_age_days)
    age = params["age_days"]
    t = np.asarray((dates - dates[-1]).days, dtype=float) + age
    level = peak * bass_share(t + 1, params["p"], params["q"])
    if "decline_rate" in params:
        t_decline = age - params["decline_days"]
        level *= np.exp(-params["decline_rate"] * np.maximum(t - t_decline, 0.0))
    # A slow wobble so plateaus are not ruler-flat (two sinusoids, +/-5% at most together).
    periods = rng.uniform(60, 200, size=2)
    phases = rng.uniform(0, 2 * np.pi, size=2)
    amps = rng.uniform(0.0, 0.025, size=2)
    wobble = 1.0 + sum(
        a * np.sin(2 * np.pi * t / per + ph)
        for a, per, ph in zip(amps, periods, phases, strict=True)
    )
    demand = level * wobble
    amplitude = float(rng.uniform(0.7, 1.4)) if seasonal else 0.0
    dip = float(rng.uniform(0.1, 0.3)) if seasonal else 0.0
    demand = demand * seasonal_factor(dates, amplitude, dip)
    multiplier = float(rng.uniform(3, 5)) if prime_day else 1.0
    demand = demand * prime_factor(dates, multiplier)
    demand[t < 0] = 0.0
    params.update(
        {
            "stage": stage,
            "peak": peak,
            "season_amplitude": amplitude,
            "january_dip": dip,
            "prime_multiplier": multiplier,
            "launch": (dates[-1] - pd.Timedelta(days=age)).date().isoformat(),
        }
    )
    return np.maximum(demand, 0.0), params


def stage_demand(
    stage: str,
    dates: pd.DatetimeIndex,
    rng: np.random.Generator,
    *,
    peak: float = 20.0,
    seasonal: bool = True,
    prime_day: bool = True,
    launch_age_days: int | None = None,
) -> np.ndarray:
    """Expected daily demand (float >= 0) for a product that is in `stage` on the LAST date.

    ``peak`` is the eventual plateau level in units/day before seasonality; ``launch_age_days``
    fixes the age on the last date (days since the first sale) instead of drawing one; demand
    is 0 before the launch. Shapes per stage, Bass rise, seasonality and Prime Day: see the
    module docstring.
    """
    demand, _ = stage_curve(
        stage,
        dates,
        rng,
        peak=peak,
        seasonal=seasonal,
        prime_day=prime_day,
        launch_age_days=launch_age_days,
    )
    return demand


def simulate_sales(
    demand: np.ndarray,
    rng: np.random.Generator,
    *,
    stockout_runs: int = 0,
    intermittent: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(units sold per day: ints >= 0, in_stock per day: bool). Poisson/neg-binomial noise;
    stockout runs set sales to 0 and in_stock False for 3-20 day stretches.

    Smooth demand: negative binomial with mean ``demand`` and variance ``demand + demand^2/k``
    (k drawn in 5-50: overdispersion typical of retail counts). Intermittent demand (Croston
    1972): an order arrives on a day with probability ``min(0.9, demand / m)`` and has a
    lumpy size 1 + Poisson(m - 1), m drawn in 2-5, so the mean stays ``demand``.
    Stockout runs are placed at random, without overlap, in the selling period (demand > 0),
    never in its first or last 14 days, so the current stage stays readable.
    """
    demand = np.maximum(np.asarray(demand, dtype=float), 0.0)
    n = len(demand)
    if intermittent:
        lump = float(rng.uniform(2, 5))
        occurs = rng.random(n) < np.minimum(0.9, demand / lump)
        units = np.where(occurs, 1 + rng.poisson(lump - 1, size=n), 0)
    else:
        k = float(rng.uniform(5, 50))
        units = rng.negative_binomial(k, k / (k + demand))
    units = units.astype(np.int64)
    in_stock = np.ones(n, dtype=bool)
    live = np.flatnonzero(demand > 0)
    if stockout_runs and len(live):
        lo, hi = int(live[0]) + 14, int(live[-1]) - 14
        for _ in range(stockout_runs):
            length = int(rng.integers(3, 21))
            for _attempt in range(20):
                if hi - lo < length:
                    break
                start = int(rng.integers(lo, hi - length + 1))
                # Keep one in-stock day between runs so each gap is a separate event.
                window = in_stock[max(start - 1, 0) : start + length + 1]
                if window.all():
                    in_stock[start : start + length] = False
                    break
        units[~in_stock] = 0
    return units, in_stock


@dataclass
class LabelledCurve:
    stage: str
    sales: pd.DataFrame  # columns date, units, in_stock; from the first sale to the end
    params: dict = field(default_factory=dict)


# History the labelled curves keep: about three years, like a seller's export.
_HISTORY_DAYS = 3 * 365


def labelled_curves(
    n: int = 250, seed: int = 0, end: date = date(2026, 10, 31)
) -> list[LabelledCurve]:
    """``n`` curves balanced across ``STAGES`` (stage i % 5), reproducible from ``seed``.

    Each curve: peak 1-200 units/day (log-uniform), seasonality on 85% of curves, Prime Day on
    80%, 0-3 stockout runs on about 40%, lumpy intermittent sales on a third of the curves that
    peak below 3 units/day. The frame starts on the launch day (or three years before ``end``
    for older products); the launch day always has at least one unit sold (it is the first sale).
    """
    rng = np.random.default_rng(seed)
    end_ts = pd.Timestamp(end)
    dates = pd.date_range(end_ts - pd.Timedelta(days=_HISTORY_DAYS), end_ts, freq="D")
    curves = []
    for i in range(n):
        stage = STAGES[i % len(STAGES)]
        peak = float(np.exp(rng.uniform(np.log(1.0), np.log(200.0))))
        seasonal = bool(rng.random() < 0.85)
        prime = bool(rng.random() < 0.80)
        intermittent = bool(peak < 3 and rng.random() < 1 / 3)
        runs = int(rng.integers(1, 4)) if rng.random() < 0.4 else 0
        demand, params = stage_curve(
            stage, dates, rng, peak=peak, seasonal=seasonal, prime_day=prime, launch_age_days=None
        )
        units, in_stock = simulate_sales(demand, rng, stockout_runs=runs, intermittent=intermittent)
        first = max(0, len(dates) - 1 - params["age_days"])
        if params["age_days"] <= _HISTORY_DAYS:
            units[first] = max(units[first], 1)
            in_stock[first] = True
        sales = pd.DataFrame(
            {"date": dates[first:], "units": units[first:], "in_stock": in_stock[first:]}
        ).reset_index(drop=True)
        params.update(
            {
                "seasonal": seasonal,
                "prime_day": prime,
                "intermittent": intermittent,
                "stockout_runs": runs,
                "stockout_days": int((~in_stock[first:]).sum()),
            }
        )
        curves.append(LabelledCurve(stage=stage, sales=sales, params=params))
    return curves
