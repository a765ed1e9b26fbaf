"""Life-cycle stage per SKU: launch, growth, maturity, decline or exit, with the reason (R-S1).

The stage drives the inventory objective of every later page (R-S2), so the classifier is a
short list of rules a seller can check by eye on the demand chart, not a black box. It works on
*demand*, not sales: days on which the SKU was out of stock carry no information about how many
people wanted it and are left out (a stockout gap in a mature product must not read as decline).

Signals, all on in-stock days only (units/day):

- ``age_days``: days from the first sale to the classification date.
- ``level``: mean daily demand over the last ``LEVEL_DAYS`` days (the smoothed current level).
- weekly levels: mean daily demand in 7-day blocks ending on the classification date.
- ``change_8w``: the 8-week trend, ``level`` now against the same ``LEVEL_DAYS``-day window
  8 weeks earlier: level now / level then - 1 (``window_change``). ``trend_t`` is the Welch
  t-statistic of the two windows' daily values: how far the change stands out of the noise.
- ``season_8w``: the same change over the same weeks a year earlier, when the product sold
  then and that change was itself real (``SEASON_MIN_T``); ``change_8w_adjusted`` takes it out.
- ``peak``: the best 5-week median of weekly levels in the history, leaving out the Q4
  holiday season (``HOLIDAY_SEASON``) because an October deal event or a Christmas bump is the
  season, not the product's own peak; the median also drops a Prime Day week.
  ``share_of_peak`` = level / peak.
- ``weekly_drops``: consecutive latest weeks whose level fell by at least
  ``Settings.decline_weekly_drop`` week over week (the R-D1 decline signal).
- ``expected_peak`` (launch and growth): the plateau of a Bass diffusion curve fitted to the
  weekly levels (``fit_bass``), so a growing product can say how far along it is.

Rules, first match wins (thresholds are the named constants below and ``Settings``):

1. exit: level below ``EXIT_SHARE_OF_PEAK`` of the peak, or no sale for ``EXIT_SILENT_DAYS``
   while in stock;
2. launch: on sale for less than ``LAUNCH_MAX_AGE_DAYS``;
3. decline: below ``DECLINE_MAX_SHARE_OF_PEAK`` of the peak and either down at least
   ``Settings.decline_weekly_drop`` over 8 weeks or the R-D1 week-over-week signal;
4. growth: up at least ``GROWTH_MIN_RISE_8W`` over 8 weeks;
5. maturity: otherwise (steady near its peak).

A rise or fall only counts when it stands out of the day-to-day noise (``trend_t`` at least
``MIN_TREND_T``, ``MIN_TREND_T_YOUNG`` in the first year, ``MIN_TREND_T_OFF_PEAK`` for a fall),
so a slow seller's lumpy weeks do not flip it between growth and decline; a move that also
happened in the same weeks last year is the season and vetoes the call. ``explain_rules``
writes these rules out for the seller from the same constants and settings.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from stockcycle.demand import sku_series, workspace_panel
from stockcycle.errors import InputError
from stockcycle.settings import Settings
from stockcycle.store import Workspace

STAGES = ("launch", "growth", "maturity", "decline", "exit")
STAGE_LABELS = {
    "launch": "Launch",
    "growth": "Growth",
    "maturity": "Maturity",
    "decline": "Decline",
    "exit": "Exit",
}

# Amazon's new-listing honeymoon and the first replenishment cycle both fall inside the first
# quarter; before that there is too little history to speak of a trend, so it is a launch.
LAUNCH_MAX_AGE_DAYS = 90
# Four weeks: long enough to average out weekday swings and a 2-day promotion, short enough to
# follow a turn within a month.
LEVEL_DAYS = 28
# Horizon of the trend in the reason sentence ("up 34% over 8 weeks"); R-D1 and the weekly
# review (R-G5) think in weeks.
TREND_WEEKS = 8
# Weeks with fewer in-stock days than this say too little about demand and are skipped.
MIN_IN_STOCK_DAYS_PER_WEEK = 3
# Growth: the level rose at least this much over 8 weeks. Above the +/-15% a steady product
# moves through the autumn ramp-up and normal wobble.
GROWTH_MIN_RISE_8W = 0.20
# Decline: the level fell at least ``Settings.decline_weekly_drop`` over 8 weeks (R-D1's
# threshold applied to the 8-week trend) and the product is clearly off its peak: a steady
# product sits within ~15% of it.
DECLINE_MAX_SHARE_OF_PEAK = 0.80
# Exit: a quarter of the peak or less is what is left at the end of life, when the product no
# longer pays for its storage and attention (R-E2).
EXIT_SHARE_OF_PEAK = 0.25
# No sale for two months while in stock: the listing has effectively stopped selling.
EXIT_SILENT_DAYS = 60
# A trend counts when its t-statistic (slope / standard error, from the weekly residuals) is
# at least this: about a 5% false-alarm rate per side on steady noise.
MIN_TREND_T = 2.0
# Off its peak already, a fall needs less proof: the one-sided 90% point of the normal (a
# 10% false-alarm rate on steady noise). One standard error alone (16%) called a steady slow
# seller "decline" after a stockout; decline stops replenishment, so it must be better proved.
MIN_TREND_T_OFF_PEAK = 1.28
# In its first year a product is expected to grow, so a rise needs less proof to count.
YOUNG_MAX_AGE_DAYS = 365
MIN_TREND_T_YOUNG = 0.5
# 52 weeks: a year back on the same weekdays, to tell the season from the trend.
YEAR_DAYS = 364
# Last year's change over the same weeks corrects today's only when it was itself a real move
# (t >= 2); a noisy estimate would add its noise to every product's trend.
SEASON_MIN_T = 2.0
# Holiday season (month, day) .. (month, day), left out of the peak: Q4 (October's Prime Big
# Deal Days, Black Friday, Christmas) up to mid-January is the season, not the product's peak.
HOLIDAY_SEASON = ((10, 1), (1, 15))
# Weeks in the rolling median that finds the peak: drops a single event week (Prime Day).
PEAK_WINDOW_WEEKS = 5


@dataclass
class StageResult:
    """The stage of one SKU, the sentence that explains it, and the numbers behind it."""

    stage: str
    reason: str
    signals: dict[str, float] = field(default_factory=dict)


def _demand_frame(series: pd.DataFrame, end: date | None) -> pd.DataFrame:
    """Daily grid ``date, units, demand`` from the first sale to ``end`` (demand NaN when the
    SKU was out of stock)."""
    for col in ("date", "units"):
        if col not in series.columns:
            raise InputError(
                f"the demand series has no column '{col}'",
                column=col,
                expected="columns date, units[, in_stock, demand]",
            )
    df = pd.DataFrame(
        {
            "date": pd.to_datetime(series["date"], errors="coerce").dt.normalize(),
            "units": pd.to_numeric(series["units"], errors="coerce").astype("float64"),
        }
    )
    if "demand" in series.columns:
        df["demand"] = pd.to_numeric(series["demand"], errors="coerce").astype("float64")
    elif "in_stock" in series.columns:
        stocked = series["in_stock"].astype("boolean").fillna(True).to_numpy(dtype=bool)
        df["demand"] = df["units"].where(stocked)
    else:
        df["demand"] = df["units"]
    df = df[df["date"].notna()]
    by_day = df.groupby("date", sort=True)
    # Built-in sums (no per-group Python): a day whose rows are all out of stock keeps NaN
    # demand (min_count=1) instead of becoming zero demand.
    df = pd.DataFrame({"units": by_day["units"].sum(), "demand": by_day["demand"].sum(min_count=1)})
    last = pd.Timestamp(end) if end is not None else (df.index.max() if len(df) else None)
    sold = df.index[df["units"].fillna(0) > 0]
    if last is None or len(sold) == 0 or sold[0] > last:
        return pd.DataFrame({"units": [], "demand": []}, index=pd.DatetimeIndex([]))
    grid = pd.date_range(sold[0], last, freq="D")
    df = df.reindex(grid)
    # A day missing from the data is a day with no sales (the SKU was listed but sold nothing);
    # a day known to be out of stock stays NaN in demand.
    missing = df["units"].isna()
    df.loc[missing, "units"] = 0.0
    df.loc[missing, "demand"] = 0.0
    return df


def _in_holiday_season(dates: pd.DatetimeIndex) -> np.ndarray:
    (m0, d0), (m1, d1) = HOLIDAY_SEASON
    md = dates.month * 100 + dates.day
    return np.asarray((md >= m0 * 100 + d0) | (md <= m1 * 100 + d1))


def weekly_levels(demand: pd.Series) -> pd.DataFrame:
    """Mean daily demand per 7-day block ending on the last date: ``week`` (0 = the latest,
    -1 the one before, ...), ``end`` (last day of the block), ``level`` (units/day over the
    in-stock days; NaN when fewer than ``MIN_IN_STOCK_DAYS_PER_WEEK``), ``in_stock_days``."""
    n = len(demand)
    if n == 0:
        return pd.DataFrame({"week": [], "end": [], "level": [], "in_stock_days": []})
    block = -((n - 1 - np.arange(n)) // 7)
    frame = pd.DataFrame(
        {"week": block, "demand": demand.to_numpy(dtype=float), "date": demand.index}
    )
    g = frame.groupby("week", sort=True)
    out = pd.DataFrame(
        {"end": g["date"].max(), "level": g["demand"].mean(), "in_stock_days": g["demand"].count()}
    ).reset_index()
    out.loc[out["in_stock_days"] < MIN_IN_STOCK_DAYS_PER_WEEK, "level"] = np.nan
    return out


def window_change(
    demand: pd.Series, days: int = LEVEL_DAYS, weeks: int = TREND_WEEKS
) -> tuple[float, float, float]:
    """(change, t, level then): the ``days``-day level now against the same window
    ``weeks`` weeks earlier.

    Formula: level_now = mean demand over the last ``days`` in-stock days of the calendar
    window [end - days + 1, end]; level_then = the same over the window ``7 * weeks`` days
    earlier; change = level_now / level_then - 1 (units/day in, a fraction out). ``t`` is the
    Welch t-statistic of the two windows' daily values, (now - then) / sqrt(var_now / n_now +
    var_then / n_then): how far the change stands out of the day-to-day noise, so a slow
    seller's lumpy weeks do not read as growth or decline. NaN when either window has fewer
    than ``MIN_IN_STOCK_DAYS_PER_WEEK`` in-stock days.
    """
    shift = 7 * weeks
    now = demand.iloc[-days:].dropna()
    then = demand.iloc[max(len(demand) - days - shift, 0) : max(len(demand) - shift, 0)].dropna()
    if (
        len(now) < MIN_IN_STOCK_DAYS_PER_WEEK
        or len(then) < MIN_IN_STOCK_DAYS_PER_WEEK
        or len(demand) < days + shift
    ):
        return float("nan"), float("nan"), float("nan")
    m_now, m_then = float(now.mean()), float(then.mean())
    se = float(np.sqrt(now.var(ddof=1) / len(now) + then.var(ddof=1) / len(then)))
    diff = m_now - m_then
    t = diff / se if se > 0 else (0.0 if diff == 0 else float(np.sign(diff)) * float("inf"))
    if m_then <= 0:
        return (float("inf") if m_now > 0 else float("nan")), t, m_then
    return m_now / m_then - 1.0, t, m_then


def peak_level(weeks: pd.DataFrame) -> tuple[float, pd.Timestamp | None]:
    """Highest ``PEAK_WINDOW_WEEKS``-week centred rolling median of weekly levels, among weeks
    outside the holiday season (units/day), and the last day of the week it was reached.

    The median needs ``PEAK_WINDOW_WEEKS - 1`` weeks with demand in its window, so one odd
    week next to a stockout or an event (Prime Day) cannot set the peak. Falls back to the
    plain highest weekly level when no window qualifies (a short or gappy history).
    """
    ordered = weeks.sort_values("week")
    smooth = (
        ordered["level"]
        .rolling(PEAK_WINDOW_WEEKS, center=True, min_periods=PEAK_WINDOW_WEEKS - 1)
        .median()
    )
    outside = ~_in_holiday_season(pd.DatetimeIndex(ordered["end"]))
    candidates = smooth[outside & smooth.notna().to_numpy()]
    if candidates.empty:
        candidates = ordered["level"][outside & ordered["level"].notna().to_numpy()]
    if candidates.empty:
        return float("nan"), None
    i = candidates.idxmax()
    return float(candidates.loc[i]), pd.Timestamp(ordered.loc[i, "end"])


def weekly_drop_run(weeks: pd.DataFrame, drop: float) -> int:
    """How many of the latest week-over-week changes in a row were falls of at least ``drop``.

    R-D1: "weekly sales falling, down 15% week over week, consecutively". Weeks without
    enough in-stock days break the run (a stockout is not a fall in demand).
    """
    levels = weeks.sort_values("week")["level"].to_numpy(dtype=float)
    run = 0
    for i in range(len(levels) - 1, 0, -1):
        now, before = levels[i], levels[i - 1]
        if np.isnan(now) or np.isnan(before) or before <= 0 or now > before * (1 - drop):
            break
        run += 1
    return run


def fit_bass(weeks: pd.DataFrame, age_days: int) -> tuple[float, float, float] | None:
    """Fit a Bass diffusion curve to the weekly levels: (expected peak units/day, p, q).

    Model: level(t) = M * F(t), F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}), t = age in
    days, p (innovation) and q (imitation) per day. F is the share of eventual buyers reached
    (Bass, "A new product growth model for consumer durables", Management Science 15(5), 1969);
    for a consumable the buyers keep buying, so daily demand follows the adopters F rather than
    the new adopters f (repeat-purchase diffusion, Mahajan, Muller & Bass, Journal of Marketing
    54(1), 1990). M is the plateau the product is heading for. None when the fit fails or M is
    not identified (the curve has not bent yet: M at its upper bound).
    """
    from scipy.optimize import curve_fit

    ok = weeks[weeks["level"].notna()]
    if len(ok) < 4:
        return None
    t = age_days - (-ok["week"].to_numpy(dtype=float) * 7 + 3)  # mid-week age in days
    y = ok["level"].to_numpy(dtype=float)
    top = float(np.nanmax(y))
    if top <= 0:
        return None

    def model(tt: np.ndarray, m: float, p: float, q: float) -> np.ndarray:
        e = np.exp(-(p + q) * np.maximum(tt, 0))
        return m * (1 - e) / (1 + (q / p) * e)

    upper_m = top * 10
    try:
        (m, p, q), _ = curve_fit(
            model,
            t,
            y,
            p0=(top * 1.3, 0.003, 0.05),
            bounds=([top * 0.3, 1e-6, 1e-5], [upper_m, 0.5, 2.0]),
            maxfev=4000,
        )
    except (RuntimeError, ValueError):
        return None
    if m >= upper_m * 0.99:
        return None
    return float(m), float(p), float(q)


def _pct(x: float) -> str:
    return f"{abs(x) * 100:.0f}%"


def _units(x: float) -> str:
    return f"{x:.1f}" if x < 10 else f"{x:,.0f}"


def classify(
    series: pd.DataFrame, *, settings: Settings | None = None, end: date | None = None
) -> StageResult:
    """Stage of one SKU from its daily demand (R-S1), with a one-sentence reason.

    ``series``: columns ``date, units`` and optionally ``in_stock`` (bool) and ``demand``
    (units/day, NaN on stockout days, as ``stockcycle.demand`` builds it; it wins over
    ``in_stock``). ``end``: the classification date (default: the last date in ``series``).
    The rules and signals are in the module docstring; ``signals`` holds every number the
    reason quotes.
    """
    settings = settings or Settings()
    df = _demand_frame(series, end)
    if df.empty:
        return StageResult(
            "launch", "No sales yet: treated as a launch.", {"age_days": 0.0, "level": 0.0}
        )
    demand = df["demand"]
    age = int((df.index[-1] - df.index[0]).days)
    recent = demand.iloc[-LEVEL_DAYS:]
    if recent.notna().sum() == 0:
        # Out of stock for the whole window: the last in-stock weeks are the best evidence.
        recent = demand.dropna().iloc[-LEVEL_DAYS:]
    level = float(recent.mean()) if recent.notna().any() else 0.0
    weeks = weekly_levels(demand)
    change, t, then = window_change(demand)
    peak, peak_end = peak_level(weeks)
    if not np.isfinite(peak) or peak < level:
        peak, peak_end = level, df.index[-1]
    share = level / peak if peak > 0 else 1.0
    drops = weekly_drop_run(weeks, settings.decline_weekly_drop)
    sold_in_stock = df.index[(df["units"] > 0)]
    silent = int((df.index[-1] - sold_in_stock[-1]).days)
    stocked_silent = bool(demand.iloc[-silent:].notna().all()) if silent else False
    weeks_since_peak = (df.index[-1] - peak_end).days / 7 if peak_end is not None else 0.0
    signals = {
        "age_days": float(age),
        "level": level,
        "change_8w": change,
        "trend_t": t,
        "level_8w_ago": then,
        "peak": peak,
        "share_of_peak": share,
        "weeks_since_peak": float(weeks_since_peak),
        "weekly_drops": float(drops),
        "days_since_last_sale": float(silent),
        "stockout_days_90": float(demand.iloc[-90:].isna().sum()),
    }
    # Same weeks a year earlier (52 weeks back keeps the weekdays aligned): when the product
    # was already selling then, its change over those weeks is the season's share of today's.
    season = float("nan")
    if len(demand) > YEAR_DAYS + LEVEL_DAYS + 7 * TREND_WEEKS:
        season, season_t, _ = window_change(demand.iloc[:-YEAR_DAYS])
        if not abs(season_t) >= SEASON_MIN_T:
            season = float("nan")  # last year's move was within the noise: no correction
    adjusted = change
    if np.isfinite(season) and np.isfinite(change) and season > -1:
        adjusted = (1 + change) / (1 + season) - 1
    signals["season_8w"] = season
    signals["change_8w_adjusted"] = adjusted
    young = age < YOUNG_MAX_AGE_DAYS
    # The season may only veto a call, never make one: a rise that also happened in the same
    # weeks last year is the season; a fall that did not is not proof of decline by itself,
    # since last year's rise may have been the product's own growth.
    up = min(change, adjusted) if np.isfinite(adjusted) else change
    down = max(change, adjusted) if np.isfinite(adjusted) else change
    rising = (
        np.isfinite(up)
        and up >= GROWTH_MIN_RISE_8W
        and t >= (MIN_TREND_T_YOUNG if young else MIN_TREND_T)
    )
    min_drop = -settings.decline_weekly_drop
    falling = np.isfinite(down) and down <= min_drop and t <= -MIN_TREND_T_OFF_PEAK
    seasonal_veto = np.isfinite(adjusted) and (
        (change >= GROWTH_MIN_RISE_8W and not adjusted >= GROWTH_MIN_RISE_8W)
        or (change <= min_drop and not adjusted <= min_drop)
    )
    if np.isfinite(change):
        trend_txt = f"{'up' if change >= 0 else 'down'} {_pct(change)} over {TREND_WEEKS} weeks"
        if seasonal_veto:
            trend_txt += (
                f"; {'up' if adjusted >= 0 else 'down'} {_pct(adjusted)} after the "
                f"season ({'+' if season >= 0 else '-'}{_pct(season)} in the same "
                "weeks last year)"
            )
    elif change == np.inf:
        trend_txt = f"up from nothing {TREND_WEEKS} weeks ago"
    else:
        trend_txt = "too few days in stock to read a trend"
    peak_txt = f"{_pct(share)} of its {_units(peak)}/day peak"
    if peak_end is not None and weeks_since_peak >= 4:
        peak_txt += f" ({peak_end:%b %Y})"
    level_txt = f"{_units(level)}/day"

    if silent >= EXIT_SILENT_DAYS and stocked_silent:
        return StageResult(
            "exit",
            f"No sale in {silent} days while in stock: the product has stopped selling.",
            signals,
        )
    if age >= LAUNCH_MAX_AGE_DAYS and share < EXIT_SHARE_OF_PEAK:
        return StageResult("exit", f"Sales {level_txt}, only {peak_txt}: end of life.", signals)
    if age < LAUNCH_MAX_AGE_DAYS:
        bass = fit_bass(weeks, age)
        text = f"On sale for {age} days (under {LAUNCH_MAX_AGE_DAYS}), selling {level_txt}"
        if bass is not None:
            signals["expected_peak"] = bass[0]
            text += f", {_pct(min(level / bass[0], 1))} of the expected {_units(bass[0])}/day peak"
        return StageResult("launch", text + ".", signals)
    # R-D1 on raw weeks is noisy for a slow seller: it counts only when the 8-week trend agrees.
    r_d1 = drops >= settings.decline_consecutive_weeks and not down >= 0
    if share < DECLINE_MAX_SHARE_OF_PEAK and (falling or r_d1):
        if falling:
            text = f"Sales {trend_txt}, now {peak_txt}."
        else:
            text = (
                f"Weekly sales fell {_pct(settings.decline_weekly_drop)} or more for {drops} "
                f"weeks in a row, now {peak_txt}."
            )
        return StageResult("decline", text, signals)
    if rising:
        bass = fit_bass(weeks, age)
        text = f"Sales {trend_txt}"
        if bass is not None and bass[0] > level:
            signals["expected_peak"] = bass[0]
            text += f", {_pct(level / bass[0])} of the expected {_units(bass[0])}/day peak reached"
        else:
            text += f", at {_pct(share)} of its best level so far"
        return StageResult("growth", text + ".", signals)
    return StageResult(
        "maturity", f"Sales steady at {level_txt} ({trend_txt}), {peak_txt}.", signals
    )


#: Name of the per-SKU override in the workspace's ``overrides`` table and of the stored result.
OVERRIDE_NAME = "stage"
RESULT_NAME = "stages"
#: Signals in the table, in this order (see the module docstring for their meaning).
SIGNAL_COLUMNS = [
    "age_days",
    "level",
    "level_8w_ago",
    "change_8w",
    "season_8w",
    "change_8w_adjusted",
    "trend_t",
    "peak",
    "share_of_peak",
    "weeks_since_peak",
    "weekly_drops",
    "days_since_last_sale",
    "stockout_days_90",
    "expected_peak",
]
TABLE_COLUMNS = [
    "sku",
    "stage",
    "reason",
    "auto_stage",
    "auto_reason",
    "overridden",
    *SIGNAL_COLUMNS,
]


def check_stage(stage: str) -> str:
    """``stage`` in lower case if it is one of ``STAGES``, else ``InputError``."""
    clean = str(stage).strip().lower()
    if clean not in STAGES:
        raise InputError(
            f"'{stage}' is not a life-cycle stage", column="stage", expected=", ".join(STAGES)
        )
    return clean


def set_stage_override(ws: Workspace, sku: str, stage: str | None) -> None:
    """Pin ``sku`` to ``stage`` in the workspace (the seller knows better, R-S1); ``None``
    clears the override so the classifier decides again."""
    if not sku or not str(sku).strip():
        raise InputError(
            "no SKU given for the stage override", column="sku", expected="a SKU of this workspace"
        )
    if stage is None:
        ws.clear_override(sku, OVERRIDE_NAME)
        return
    ws.set_override(sku, OVERRIDE_NAME, check_stage(stage))


def classify_panel(
    panel: pd.DataFrame, *, settings: Settings | None = None, end: date | None = None
) -> pd.DataFrame:
    """``classify`` every SKU of a demand panel (``sku, date, units, in_stock, demand``):
    one row per SKU with ``sku, stage, reason`` and the signals."""
    rows = []
    for sku, part in panel.groupby("sku", sort=True):
        res = classify(part, settings=settings, end=end)
        rows.append(
            {
                "sku": str(sku),
                "stage": res.stage,
                "reason": res.reason,
                **{c: res.signals.get(c, np.nan) for c in SIGNAL_COLUMNS},
            }
        )
    return pd.DataFrame(rows, columns=["sku", "stage", "reason", *SIGNAL_COLUMNS])


def stage_table(
    ws: Workspace, *, settings: Settings | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Stage of every SKU in the workspace, with the seller's overrides applied (R-S1); reads
    the workspace, writes nothing. ``as_of``: classify on the data up to that day only (the
    stage a plan made then would have seen), default all of it.

    Demand comes from ``stockcycle.demand.demand_panel`` (sales summed over channels,
    stockout days masked from the inventory history, closed days left out), classified as of
    the workspace's data date (``table.attrs["end"]``, ISO text or None). SKUs with no
    sales (a product not launched yet) are launches. Columns: ``TABLE_COLUMNS``;
    ``auto_stage``/``auto_reason`` are the classifier's view, ``stage``/``reason`` what the
    seller sees (the override wins).
    """
    settings = settings or ws.settings()
    panel = workspace_panel(ws, end=as_of)
    end = panel["date"].max().date() if not panel.empty else None
    auto = (
        classify_panel(panel, settings=settings, end=end)
        if not panel.empty
        else pd.DataFrame(columns=["sku", "stage", "reason", *SIGNAL_COLUMNS])
    )
    missing = sorted(set(ws.skus()) - set(auto["sku"]))
    if missing:
        extra = pd.DataFrame(
            {
                "sku": missing,
                "stage": "launch",
                "reason": "No sales yet: treated as a launch.",
                "age_days": 0.0,
            }
        )
        auto = pd.concat([auto, extra], ignore_index=True) if len(auto) else extra
    table = auto.rename(columns={"stage": "auto_stage", "reason": "auto_reason"})
    overrides = {sku: v[OVERRIDE_NAME] for sku, v in ws.overrides(OVERRIDE_NAME).items()}
    pinned = table["sku"].map(overrides)
    table["overridden"] = pinned.notna().to_numpy(dtype=bool)
    table["stage"] = pinned.where(pinned.notna(), table["auto_stage"]).astype(object)
    table["reason"] = [
        f"Set by you (the data says {a}: {r})" if o else r
        for o, a, r in zip(
            table["overridden"], table["auto_stage"], table["auto_reason"], strict=True
        )
    ]
    table = table.reindex(columns=TABLE_COLUMNS).sort_values("sku", ignore_index=True)
    table.attrs["end"] = end.isoformat() if end else None
    return table


def classify_workspace(
    ws: Workspace, *, settings: Settings | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """``stage_table`` of the workspace, also saved as its result ``"stages"`` (with the
    classification date as ``end``) for the command line and later pages; a table ``as_of``
    an earlier day is not saved (it is a look back, not the current stages)."""
    table = stage_table(ws, settings=settings, as_of=as_of)
    if as_of is None:
        ws.save_result(RESULT_NAME, table, {"end": table.attrs.get("end")})
    return table


def level_history(series: pd.DataFrame, end: date | None = None) -> pd.DataFrame:
    """``date, demand, level`` for a chart: daily demand (NaN when out of stock) and the
    smoothed level, the mean demand over the trailing ``LEVEL_DAYS`` days' in-stock days
    (units/day), the same measure ``classify`` reads at the last date."""
    df = _demand_frame(series, end)
    level = df["demand"].rolling(LEVEL_DAYS, min_periods=MIN_IN_STOCK_DAYS_PER_WEEK).mean()
    return pd.DataFrame(
        {"date": df.index, "demand": df["demand"].to_numpy(), "level": level.to_numpy()}
    )


def sku_level_history(ws: Workspace, sku: str) -> pd.DataFrame:
    """``level_history`` of one SKU of the workspace, up to the workspace's data date (the
    date ``stage_table`` classifies at, so a product that stopped selling shows its silent
    weeks). Empty when the SKU has no sales."""
    panel = workspace_panel(ws, skus=[sku])
    if panel.empty or not (panel["sku"] == sku).any():
        return pd.DataFrame(
            {
                "date": pd.Series(dtype="datetime64[ns]"),
                "demand": pd.Series(dtype=float),
                "level": pd.Series(dtype=float),
            }
        )
    return level_history(sku_series(panel, sku), ws.data_date())


def _day_month(month_day: tuple[int, int]) -> str:
    return f"{month_day[1]} {calendar.month_name[month_day[0]]}"


def explain_rules(settings: Settings | None = None) -> str:
    """The signals and rules of ``classify`` in the seller's words (Markdown), written from the
    same constants and ``settings`` the classifier reads, so the explanation cannot drift from
    the code (R-S1: the classification is explained; SPEC "every number can be traced")."""
    s = settings or Settings()
    drop = f"{s.decline_weekly_drop * 100:.4g}%"  # the setting as typed: 12.5% stays 12.5%
    weeks = s.decline_consecutive_weeks
    start, end = HOLIDAY_SEASON
    return "\n".join(
        [
            f"- **Level** = mean demand over the in-stock days of the last {LEVEL_DAYS} days "
            "(units/day); days out of stock are left out, since they say nothing about demand.",
            f"- **Change over {TREND_WEEKS} weeks** = level now / level of the same {LEVEL_DAYS} "
            f"days {TREND_WEEKS} weeks earlier - 1. It counts only when it stands out of the daily "
            f"noise: a t-statistic (Welch) of at least {MIN_TREND_T:g} for a rise "
            f"({MIN_TREND_T_YOUNG:g} in the first {YOUNG_MAX_AGE_DAYS} days on sale), at least "
            f"{MIN_TREND_T_OFF_PEAK:g} in size for a fall.",
            "- **Season**: when the product already sold a year earlier and its level clearly "
            f"moved in the same weeks then (t of at least {SEASON_MIN_T:g}), a rise or fall that "
            "also happened last year is the season: it can stop a growth or decline call, never "
            "make one.",
            f"- **Peak** = best {PEAK_WINDOW_WEEKS}-week median of weekly levels, leaving out the "
            f"holiday season ({_day_month(start)} to {_day_month(end)}); **share of peak** = "
            "level / peak.",
            "- **Rules**, first match wins:",
            f"  1. **Exit**: no sale for {EXIT_SILENT_DAYS} days while in stock, or, after "
            f"{LAUNCH_MAX_AGE_DAYS} days on sale, a level below {_pct(EXIT_SHARE_OF_PEAK)} of "
            "the peak.",
            f"  2. **Launch**: on sale for less than {LAUNCH_MAX_AGE_DAYS} days.",
            f"  3. **Decline**: below {_pct(DECLINE_MAX_SHARE_OF_PEAK)} of the peak and either "
            f"down {drop} or more over {TREND_WEEKS} weeks, or weekly sales down {drop} or more "
            f"week over week for {weeks} week{'s' if weeks != 1 else ''} in a row (R-D1) while "
            f"the {TREND_WEEKS}-week change is not up.",
            f"  4. **Growth**: up {_pct(GROWTH_MIN_RISE_8W)} or more over {TREND_WEEKS} weeks.",
            "  5. **Maturity**: otherwise (steady near its peak).",
            f"- The decline threshold ({drop}, {weeks} week{'s' if weeks != 1 else ''}) is on the "
            "Settings page (Decline, R-D1).",
        ]
    )
