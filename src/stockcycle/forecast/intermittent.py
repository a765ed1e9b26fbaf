"""Demand classes (Syntetos-Boylan) and forecasts for intermittent demand (Croston-SBA, TSB).

References: A. A. Syntetos, J. E. Boylan and J. D. Croston, "On the categorization of demand
patterns", JORS 56 (2005); J. D. Croston, "Forecasting and stock control for intermittent
demands", ORQ 23 (1972); A. A. Syntetos and J. E. Boylan, "The accuracy of intermittent demand
estimates", IJF 21 (2005) (the SBA correction); R. Teunter, A. Syntetos and M. Z. Babai,
"Intermittent demand: linking forecasting to inventory obsolescence", EJOR 214 (2011) (TSB).
"""

from __future__ import annotations

import numpy as np

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
DEFAULT_ALPHA = 0.1
DEFAULT_BETA = 0.1


def adi_cv2(demand: np.ndarray) -> tuple[float, float]:
    """Average demand interval and squared coefficient of variation of the non-zero demands.

    ADI = number of periods / number of periods with demand > 0 (days per demand occurrence);
    CV2 = (std / mean)^2 of the non-zero demands (population std, ddof=0). NaN periods
    (stockouts) are left out. Returns (inf, nan) when there is no demand at all. Source:
    Syntetos, Boylan & Croston (2005).
    """
    y = np.asarray(demand, dtype=float)
    y = y[~np.isnan(y)]
    nz = y[y > 0]
    if len(nz) == 0:
        return float("inf"), float("nan")
    adi = len(y) / len(nz)
    mean = nz.mean()
    cv2 = float((nz.std() / mean) ** 2) if len(nz) > 1 else 0.0
    return float(adi), cv2


def classify_demand(demand: np.ndarray) -> str:
    """``smooth`` (ADI < 1.32, CV2 < 0.49), ``erratic`` (ADI < 1.32, CV2 >= 0.49),
    ``intermittent`` (ADI >= 1.32, CV2 < 0.49) or ``lumpy`` (ADI >= 1.32, CV2 >= 0.49).

    Cut-offs from Syntetos, Boylan & Croston (2005). A series without any demand is lumpy.
    """
    adi, cv2 = adi_cv2(demand)
    if not np.isfinite(adi):
        return "lumpy"
    if adi < ADI_CUTOFF:
        return "smooth" if cv2 < CV2_CUTOFF else "erratic"
    return "intermittent" if cv2 < CV2_CUTOFF else "lumpy"


def croston_sba(demand: np.ndarray, alpha: float = DEFAULT_ALPHA) -> float:
    """Croston's method with the Syntetos-Boylan bias correction: demand per period.

    Size z and interval p (periods since the last demand, counting the demand period) are
    smoothed only in periods with demand: z <- z + alpha (y - z), p <- p + alpha (q - p).
    Initial z = first non-zero demand, p = its position (1-based), as Croston (1972).
    Forecast = (1 - alpha / 2) * z / p units per period (Syntetos & Boylan 2005).
    NaN periods (stockouts) are skipped: they neither add demand nor lengthen the interval.
    """
    y = np.asarray(demand, dtype=float)
    y = y[~np.isnan(y)]
    idx = np.flatnonzero(y > 0)
    if len(idx) == 0:
        return 0.0
    z = y[idx[0]]
    p = float(idx[0] + 1)
    last = idx[0]
    for i in idx[1:]:
        z += alpha * (y[i] - z)
        p += alpha * ((i - last) - p)
        last = i
    return float((1 - alpha / 2) * z / p)


def tsb(demand: np.ndarray, alpha: float = DEFAULT_ALPHA, beta: float = DEFAULT_BETA) -> float:
    """Teunter-Syntetos-Babai: demand per period = probability of demand x size.

    Every period: d <- d + beta (1[y > 0] - d); in periods with demand also
    z <- z + alpha (y - z). Initial d = share of periods with demand, z = mean non-zero demand
    (Teunter et al. 2011 suggest initialising from the data). Forecast = d * z, which decays
    towards 0 through a run of zeros (obsolescence), unlike Croston. NaN periods are skipped.
    """
    y = np.asarray(demand, dtype=float)
    y = y[~np.isnan(y)]
    nz = y[y > 0]
    if len(nz) == 0:
        return 0.0
    d = len(nz) / len(y)
    z = float(nz.mean())
    for v in y:
        if v > 0:
            d += beta * (1.0 - d)
            z += alpha * (v - z)
        else:
            d += beta * (0.0 - d)
    return float(d * z)
