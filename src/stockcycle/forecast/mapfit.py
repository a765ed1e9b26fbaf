"""Prophet's Stan model fitted in-process: the same posterior mode, without cmdstanpy.

Prophet (``prophet.forecaster.Prophet.fit``) builds its features, scales the data and then asks
its Stan backend for the maximum a posteriori (MAP) parameters of the model in
``prophet/stan_model/prophet.stan``. The shipped backend (``CmdStanPyBackend``) writes the data
and the initial values to JSON files, starts the compiled Stan program, and reads its CSV output
back: about half of a fit on two years of daily data. ``InProcessBackend`` minimises the same
negative log posterior with scipy's L-BFGS-B in this process; everything else (features,
holidays, scaling, ``predict``) stays Prophet's own code (``InProcessProphet``).

The model (Taylor & Letham, "Forecasting at scale", The American Statistician 72 (2018);
checked against ``prophet.stan`` of Prophet 1.5), in Prophet's scaled units (y / max|y|, time
in [0, 1]):

    linear trend:   g(t) = (k + A(t)·delta) t + (m + A(t)·(-t_change ∘ delta))
    logistic trend: g(t) = cap(t) / (1 + exp(-(k + A(t)·delta)(t - (m + A(t)·gamma))))
                    gamma_j = (t_change_j - m_(j-1)) (1 - k_(j-1) / k_j)  (continuity offsets)
    flat trend:     g(t) = m
    mean:           mu = g ∘ (1 + X_m beta) + X_a beta  (X_m, X_a: multiplicative / additive
                    columns of the feature matrix X)
    priors:         k ~ N(0, 5), m ~ N(0, 5), delta_j ~ Laplace(0, tau), sigma ~ N+(0, 0.5),
                    beta_i ~ N(0, sigmas_i);  likelihood y ~ N(mu, sigma)

Stan's optimiser maximises log p in the constrained space without the Jacobian of the
``sigma > 0`` transform (cmdstan's default, ``jacobian=False``), so the objective here is

    f = k²/50 + m²/50 + Σ|delta_j|/tau + 2 sigma² + Σ beta_i²/(2 sigmas_i²)
        + T log sigma + SSR/(2 sigma²),       SSR = Σ (y - mu)²,

which equals -lp__ as cmdstan reports it (``~`` statements drop constant terms). Two exact
reformulations make it easy for L-BFGS-B:

- sigma is profiled out: for fixed other parameters f is minimised at
  sigma² = 2 SSR / (T + sqrt(T² + 16 SSR)) (the positive root of 4 s⁴ + T s² - SSR = 0), and by
  the envelope theorem the gradient of the profiled f is the partial gradient at that sigma;
- the Laplace prior is not differentiable at 0, so delta = d⁺ - d⁻ with d⁺, d⁻ >= 0 (bounds
  L-BFGS-B handles exactly): Σ|delta| becomes Σ(d⁺ + d⁻), linear, and at the optimum one of
  each pair is 0 (the usual L1 splitting; Andrew & Gao, ICML 2007, discuss the alternatives).

Both leave the optimum unchanged. Gradients are analytic. The logistic exponent is computed
in closed form instead of through the gamma recursion: with m_j = m + Σ_(i<j) gamma_i the
offset of segment j and k_j = k + Σ_(i<j) delta_i its rate, the recursion says
k_(j+1) m_(j+1) = k_j m_j + t_change_j delta_j (continuity of z at each changepoint), so

    z(t) = k_j (t - m_j) = (k + A(t)·delta) t - k m - A(t)·(t_change ∘ delta),

linear in (k, k m, delta) like the linear trend: one matrix product for z and one for its
gradient, where the recursion cost a Python loop over the changepoints per evaluation (logistic
fits were 60% of the optimiser's time in a batch, a quarter of its fits). Same function,
different rounding; Prophet's ``predict`` formula is kept for the forecast path.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd
from prophet import Prophet
from prophet.models import CmdStanPyBackend, IStanBackend
from scipy.optimize import minimize
from scipy.special import expit

#: L-BFGS-B stopping rules: relative decrease of f below ``FTOL`` or the largest projected
#: gradient component (in the rescaled parameters) below ``GTOL``. On 12 two-year series,
#: tightening them to 1e-13 / 1e-7 moved no optimum by more than 0.01 in f and cost 40% more
#: time; ``tests/test_forecast_mapfit.py`` checks the optimum is at least as good as cmdstan's.
FTOL = 1e-10
GTOL = 1e-5
MAXITER = 10_000
MAXCOR = 10
#: Fresh starts of L-BFGS-B from its own end point (see ``ProphetPosterior.fit``).
RESTARTS = 3
#: Prior scales in prophet.stan: k, m ~ normal(0, 5); sigma_obs ~ normal(0, 0.5).
K_M_SCALE = 5.0
SIGMA_SCALE = 0.5


class ProphetPosterior:
    """Negative log posterior of Prophet's model on one data set (``stan_data`` as
    ``Prophet.preprocess`` builds it), with its gradient, in the packed parameters
    ``theta = [k, m, d⁺ (S), d⁻ (S), beta (K)]`` and sigma profiled out (module docstring)."""

    def __init__(self, dat: dict[str, Any]) -> None:
        self.y = np.asarray(dat["y"], dtype=float)
        self.t = np.asarray(dat["t"], dtype=float)
        self.cap = np.asarray(dat["cap"], dtype=float)
        self.t_change = np.asarray(dat["t_change"], dtype=float).reshape(-1)
        X = np.asarray(dat["X"], dtype=float)
        s_a = np.asarray(dat["s_a"], dtype=float).reshape(-1)
        s_m = np.asarray(dat["s_m"], dtype=float).reshape(-1)
        self.Xa = X * s_a
        self.Xm = X * s_m
        # Multiplicative seasonality leaves no additive column: skip those products.
        self.additive = bool(np.any(self.Xa))
        self.inv_var = 1.0 / np.asarray(dat["sigmas"], dtype=float).reshape(-1) ** 2
        self.tau = float(dat["tau"])
        self.trend = int(dat["trend_indicator"])
        self.T, self.S, self.K = len(self.y), len(self.t_change), X.shape[1]
        # A(t)_j = 1 once t has passed changepoint j (Stan's get_changepoint_matrix).
        self.A = (self.t[:, None] >= self.t_change[None, :]).astype(float)
        self.segment = self.A.sum(axis=1).astype(int)  # changepoints passed: 0..S
        # Linear trend = D @ [k, m, delta] with D = [t, 1, A ∘ (t - t_change)].
        self.D = np.column_stack(
            [self.t, np.ones(self.T), self.A * (self.t[:, None] - self.t_change[None, :])]
        )

    # -- packing ---------------------------------------------------------------------------

    def pack(self, init: dict[str, Any]) -> np.ndarray:
        delta = np.asarray(init["delta"], dtype=float).reshape(-1)
        return np.concatenate(
            [
                [float(init["k"]), float(init["m"])],
                np.maximum(delta, 0.0),
                np.maximum(-delta, 0.0),
                np.asarray(init["beta"], dtype=float).reshape(-1),
            ]
        )

    def unpack(self, theta: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
        S = self.S
        delta = theta[2 : 2 + S] - theta[2 + S : 2 + 2 * S]
        return float(theta[0]), float(theta[1]), delta, theta[2 + 2 * S :]

    def bounds(self) -> list[tuple[float | None, float | None]]:
        return [(None, None)] * 2 + [(0.0, None)] * (2 * self.S) + [(None, None)] * self.K

    # -- model -----------------------------------------------------------------------------

    def _logistic_z(self, k: float, m: float, delta: np.ndarray) -> np.ndarray:
        """The logistic exponent z = k_j (t - m_j) on segment j, in closed form (module
        docstring): k_j m_j = k m + Σ_(i<j) t_change_i delta_i, so z = D @ [k, -k m, delta]."""
        return self.D @ np.concatenate([[k, -k * m], delta])

    def trend_values(self, k: float, m: float, delta: np.ndarray) -> np.ndarray:
        if self.trend == 0:
            return self.D @ np.concatenate([[k, m], delta])
        if self.trend == 2:
            return np.full(self.T, m)
        return self.cap * expit(self._logistic_z(k, m, delta))

    @staticmethod
    def best_sigma(ssr: float, T: int) -> float:
        """argmin over sigma > 0 of T log sigma + SSR / (2 sigma²) + 2 sigma²."""
        return math.sqrt(2.0 * ssr / (T + math.sqrt(T * T + 16.0 * ssr)))

    def objective(
        self, k: float, m: float, delta: np.ndarray, beta: np.ndarray, sigma: float
    ) -> float:
        """f (= -lp__ of cmdstan's optimiser) at the given parameters."""
        g = self.trend_values(k, m, delta)
        r = self.y - (g * (1.0 + self.Xm @ beta) + self.Xa @ beta)
        return float(
            (k * k + m * m) / (2 * K_M_SCALE**2)
            + np.abs(delta).sum() / self.tau
            + sigma**2 / (2 * SIGMA_SCALE**2)
            + 0.5 * (beta**2 * self.inv_var).sum()
            + self.T * np.log(sigma)
            + (r @ r) / (2 * sigma**2)
        )

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Profiled f and its gradient in theta (the optimiser's inner loop: few numpy calls,
        each product computed once)."""
        S, b0 = self.S, 2 + 2 * self.S
        k, m = float(theta[0]), float(theta[1])
        beta = theta[b0:]
        coef = np.empty(2 + S)  # [k, m, delta] (logistic: [k, -k m, delta])
        coef[0], coef[1] = k, (-k * m if self.trend == 1 else m)
        np.subtract(theta[2 : 2 + S], theta[2 + S : b0], out=coef[2:])
        if self.trend == 1:
            z = self.D @ coef  # ``_logistic_z``
            if not np.isfinite(z).all():
                return np.inf, np.zeros_like(theta)
            sig = expit(z)
            g = self.cap * sig
        elif self.trend == 0:
            g = self.D @ coef
        else:
            g = np.full(self.T, m)
        mult = self.Xm @ beta
        mult += 1.0
        r = self.y - g * mult
        if self.additive:
            r -= self.Xa @ beta
        ssr = float(r @ r)
        sigma = self.best_sigma(ssr, self.T)
        if not sigma > 0:
            return -np.inf if ssr == 0 else np.inf, np.zeros_like(theta)
        inv_s2 = 1.0 / (sigma * sigma)
        b_prior = beta * self.inv_var
        f = (
            (k * k + m * m) / (2 * K_M_SCALE**2)
            + theta[2:b0].sum() / self.tau
            + sigma * sigma / (2 * SIGMA_SCALE**2)
            + 0.5 * float(beta @ b_prior)
            + self.T * math.log(sigma)
            + 0.5 * ssr * inv_s2
        )
        r *= -inv_s2  # df/dmu
        grad = np.empty_like(theta)
        grad[b0:] = self.Xm.T @ (r * g)
        grad[b0:] += b_prior
        if self.additive:
            grad[b0:] += self.Xa.T @ r
        r *= mult  # df/dtrend
        if self.trend == 0:
            gd = self.D.T @ r
            dk, dm, ddelta = gd[0], gd[1], gd[2:]
        elif self.trend == 2:
            dk, dm, ddelta = 0.0, float(r.sum()), np.zeros(S)
        else:
            r *= g * (1.0 - sig)  # df/dz
            gd = self.D.T @ r  # dz/d[k (t part), k m, delta]
            dk, dm, ddelta = gd[0] - m * gd[1], -k * gd[1], gd[2:]
        grad[0] = dk + k / K_M_SCALE**2
        grad[1] = dm + m / K_M_SCALE**2
        np.add(ddelta, 1.0 / self.tau, out=grad[2 : 2 + S])
        np.subtract(1.0 / self.tau, ddelta, out=grad[2 + S : b0])
        return float(f), grad

    def scales(self, theta: np.ndarray) -> np.ndarray:
        """1 / sqrt(diagonal of the Gauss-Newton Hessian of f) at ``theta``: the Jacobi
        preconditioner. Holiday columns touch a few days and weekly ones every day, so their
        curvatures differ by orders of magnitude; L-BFGS converges far faster on the rescaled
        problem (its optimum is the same)."""
        S = self.S
        k, m, delta, beta = self.unpack(theta)
        g = self.trend_values(k, m, delta)
        mult = 1.0 + self.Xm @ beta
        r = self.y - (g * mult + self.Xa @ beta)
        inv_s2 = 1.0 / max(self.best_sigma(float(r @ r), self.T), 1e-6) ** 2
        if self.trend == 0:
            jt = self.D
        elif self.trend == 2:
            jt = np.zeros((self.T, 2 + S))
            jt[:, 1] = 1.0
        else:
            # d trend / d (k, m, delta) = cap s (1 - s) dz/d(.), z = D @ [k, -k m, delta].
            sig = expit(self._logistic_z(k, m, delta))
            dz = self.D.copy()
            dz[:, 0] -= m
            dz[:, 1] *= -k
            jt = dz * (self.cap * sig * (1.0 - sig))[:, None]
        h_trend = ((jt * mult[:, None]) ** 2).sum(axis=0) * inv_s2
        h_trend[:2] += 1.0 / K_M_SCALE**2
        jb = self.Xm * g[:, None] + self.Xa
        h_beta = (jb**2).sum(axis=0) * inv_s2 + self.inv_var
        diag = np.concatenate([h_trend[:2], h_trend[2:], h_trend[2:], h_beta])
        return 1.0 / np.sqrt(np.maximum(diag, 1e-12))

    def fit(self, init: dict[str, Any]) -> tuple[dict[str, Any], float, bool]:
        """MAP parameters from ``init`` (Prophet's init dict): (params, f, converged)."""
        theta0 = self.pack(init)
        f0, _ = self.value_and_grad(theta0)
        if not np.isfinite(f0):
            return {}, np.inf, False
        scale = self.scales(theta0)

        def scaled(phi: np.ndarray) -> tuple[float, np.ndarray]:
            f, grad = self.value_and_grad(phi * scale)
            return f, grad * scale

        opts = {"maxiter": MAXITER, "ftol": FTOL, "gtol": GTOL, "maxcor": MAXCOR}
        res = minimize(
            scaled, theta0 / scale, jac=True, method="L-BFGS-B", bounds=self.bounds(), options=opts
        )
        for _ in range(RESTARTS):
            # L-BFGS can stall in a curved valley of this non-convex (bilinear) objective with a
            # stale curvature memory; a restart from its end point with a fresh memory either
            # confirms the optimum in a few steps or moves on.
            again = minimize(
                scaled, res.x, jac=True, method="L-BFGS-B", bounds=self.bounds(), options=opts
            )
            if not again.fun < res.fun - 1e-9 * max(1.0, abs(res.fun)):
                break
            res = again
        k, m, delta, beta = self.unpack(res.x * scale)
        g = self.trend_values(k, m, delta)
        r = self.y - (g * (1.0 + self.Xm @ beta) + self.Xa @ beta)
        sigma = self.best_sigma(float(r @ r), self.T)
        params = {"k": k, "m": m, "delta": delta, "sigma_obs": sigma, "beta": beta, "trend": g}
        # Status 2 (the line search found no further decrease) still returns the best point
        # seen, which is at least as good as the start.
        ok = bool(np.isfinite(res.fun)) and res.fun <= f0
        return params, float(res.fun), ok


class InProcessBackend(IStanBackend):
    """A Prophet Stan backend that finds the posterior mode with ``ProphetPosterior`` instead
    of running cmdstan (same model, same optimum; see the module docstring). Sampling
    (``mcmc_samples > 0``) and a failed optimisation go to cmdstanpy."""

    def __init__(self) -> None:
        self.model = None
        self.stan_fit = None
        self.newton_fallback = True
        self._cmdstan: CmdStanPyBackend | None = None

    @staticmethod
    def get_type() -> str:
        return "STOCKCYCLE_INPROCESS"

    def load_model(self) -> None:
        return None

    def _fallback(self) -> CmdStanPyBackend:
        if self._cmdstan is None:
            self._cmdstan = CmdStanPyBackend()
        return self._cmdstan

    def fit(
        self, stan_init: dict[str, Any], stan_data: dict[str, Any], **kwargs: Any
    ) -> OrderedDict[str, np.ndarray]:
        init = stan_init
        if "init" in kwargs:
            init = CmdStanPyBackend.sanitize_custom_inits(stan_init, kwargs["init"])
        params, f, ok = ProphetPosterior(stan_data).fit(init)
        if not ok:
            # Only an ill-posed start (a non-finite objective) gets here.
            out = self._fallback().fit(stan_init, stan_data, **kwargs)
            self.stan_fit = self._cmdstan.stan_fit if self._cmdstan else None
            return out
        self.stan_fit = None
        out: OrderedDict[str, np.ndarray] = OrderedDict()
        out["lp__"] = np.array([[-f]])
        for name in ("k", "m", "delta", "sigma_obs", "beta", "trend"):
            out[name] = np.asarray(params[name], dtype=float).reshape((1, -1))
        return out

    def sampling(
        self, stan_init: dict[str, Any], stan_data: dict[str, Any], samples: int, **kwargs: Any
    ) -> OrderedDict[str, np.ndarray]:
        return self._fallback().sampling(stan_init, stan_data, samples, **kwargs)


class InProcessProphet(Prophet):
    """``Prophet`` whose Stan backend is ``InProcessBackend``; everything else unchanged."""

    def _load_stan_backend(self, stan_backend: str | None) -> None:
        self.stan_backend = InProcessBackend()


def compare_with_cmdstan(
    history: pd.DataFrame, future: pd.DataFrame, **prophet_kwargs: Any
) -> dict[str, Any]:
    """Fit ``history`` (ds, y[, cap, floor]) with Prophet's cmdstanpy backend and with
    ``InProcessProphet`` under the same options and Prophet's own initial values, and predict
    ``future``: the cross-check behind the claim "same model, same optimum".

    Returns ``f_cmdstan`` and ``f_inprocess`` (the objective f of the module docstring at each
    optimum, evaluated by the same code, so lower is better), ``lp_cmdstan`` (cmdstan's own
    lp__, which should equal -f_cmdstan), the two ``yhat`` paths and the fit + predict
    seconds of each.
    """
    import time

    out: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for name, cls in (("cmdstan", Prophet), ("inprocess", InProcessProphet)):
        model = cls(**prophet_kwargs)
        backend = model.stan_backend
        real_fit = backend.fit

        def recording_fit(
            stan_init: dict[str, Any],
            stan_data: dict[str, Any],
            _fit: Any = real_fit,
            **kwargs: Any,
        ) -> Any:
            data["dat"] = stan_data
            return _fit(stan_init, stan_data, **kwargs)

        backend.fit = recording_fit  # type: ignore[method-assign]
        t0 = time.perf_counter()
        model.fit(history)
        out[f"yhat_{name}"] = model.predict(future)["yhat"].to_numpy(dtype=float)
        out[f"seconds_{name}"] = time.perf_counter() - t0
        post = ProphetPosterior(data["dat"])
        p = model.params
        out[f"f_{name}"] = post.objective(
            float(p["k"][0, 0]),
            float(p["m"][0, 0]),
            p["delta"][0],
            p["beta"][0],
            float(p["sigma_obs"][0, 0]),
        )
        if name == "cmdstan":
            out["lp_cmdstan"] = float(p["lp__"][0, 0])
    return out
