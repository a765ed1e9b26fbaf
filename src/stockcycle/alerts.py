"""Alert rules. For now the launch monitor (R-L8): early sales against the launch plan.

Pure functions: series and numbers in, a dataclass with per-day rows and a recommendation out.
Logging an alert in the workspace and notifying the seller are the caller's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from stockcycle.errors import InputError

BELOW, WITHIN, ABOVE, NO_DATA = "below", "within", "above", "no data"


@dataclass(frozen=True)
class LaunchStatus:
    """Early launch sales against the plan band (R-L8).

    ``rows``: one row per day of the plan that has an actual figure or lies before the last
    one: ``date, plan, low, high, actual, deviation`` (actual / plan - 1), ``status``
    (below / within / above / no data), ``run`` (consecutive reported days on that side of the
    band up to this day; a day without a figure carries the run on and does not break it) and
    ``alert`` (run >= ``days`` on a reported day).
    ``state``: "below", "above" (the last ``days`` or more reported days in a row were outside
    the band on that side), "on plan", or "too early" (fewer than ``days`` days reported).
    """

    rows: pd.DataFrame
    band: float
    days: int
    state: str
    run_length: int
    days_reported: int
    first_alert: date | None
    recommendation: str

    @property
    def alert(self) -> bool:
        return self.state in (BELOW, ABOVE)

    def explain(self) -> str:
        reported = self.rows[self.rows["status"] != NO_DATA]
        last = reported.tail(1)
        detail = ""
        if len(last):
            r = last.iloc[0]
            detail = (
                f" Last day reported, {pd.Timestamp(r['date']):%d %b %Y}: actual "
                f"{r['actual']:,.1f} against plan {r['plan']:,.1f} (band {r['low']:,.1f} to "
                f"{r['high']:,.1f}), deviation {r['deviation']:+.0%}."
            )
        return (
            f"Band = plan x (1 - {self.band:.0%}) .. plan x (1 + {self.band:.0%}) per day. "
            f"An alert needs **{self.days} days in a row** outside the band on the same side "
            "(R-L8), counting only days with a figure: a day left empty is skipped, it does not "
            f"break the run; {self.days_reported} days reported, the current run is "
            f"{self.run_length} day(s) {self.state if self.alert else 'outside the band'}."
            f"{detail} Below the band: promote and hold the follow-up 30%; above it: pull the "
            "follow-up 30% forward (R-L5)."
        )

    def to_dict(self) -> dict:
        return {
            "state": self.state,
            "band": self.band,
            "days": self.days,
            "run_length": self.run_length,
            "days_reported": self.days_reported,
            "first_alert": self.first_alert.isoformat() if self.first_alert else None,
            "recommendation": self.recommendation,
        }


def _as_daily(series: pd.Series | pd.DataFrame, what: str) -> pd.Series:
    """A Series indexed by day (a frame with date + value columns is accepted too)."""
    if isinstance(series, pd.DataFrame):
        value_col = [c for c in series.columns if c != "date"]
        if "date" not in series.columns or not value_col:
            raise InputError(f"the {what} table needs a date and a units column", column="date")
        series = series.set_index("date")[value_col[0]]
    idx = pd.to_datetime(pd.Index(series.index), errors="coerce")
    if idx.isna().any():
        bad = series.index[idx.isna()][0]
        raise InputError(f"'{bad}' is not a date", column=f"{what} date", expected="YYYY-MM-DD")
    values = pd.to_numeric(pd.Series(series.to_numpy(), index=idx.normalize()), errors="coerce")
    if (values < 0).any():
        raise InputError(f"the {what} has negative units", column=what, expected=">= 0 units")
    return values.groupby(level=0).sum(min_count=1).sort_index()


def launch_monitor(
    plan_daily: pd.Series | pd.DataFrame,
    actual: pd.Series | pd.DataFrame,
    band: float = 0.20,
    days: int = 3,
) -> LaunchStatus:
    """Compare early daily sales with the launch plan (R-L8).

    low = plan (1 - band), high = plan (1 + band); a day is "below" when actual < low, "above"
    when actual > high, else "within"; a day without an actual figure is "no data" and is
    skipped: it neither extends nor breaks a run, so the run counts consecutive days *with*
    figures on one side of the band. ``days`` such days at the end of the reported period raise
    the alert: below -> promote and hold the follow-up 30%; above -> pull the follow-up forward.
    ``plan_daily`` / ``actual``: units per day indexed by date (or frames ``date, units``);
    actual days outside the plan are ignored. Defaults: Settings.launch_deviation_band and
    Settings.launch_days_below_band.
    """
    if not 0 < band < 10:
        raise InputError(f"the band is {band}", column="band", expected="a share > 0, e.g. 0.20")
    if days < 1:
        raise InputError(f"{days} days", column="days", expected="at least 1 day")
    plan = _as_daily(plan_daily, "plan")
    act = _as_daily(actual, "actual sales").reindex(plan.index)
    reported = act.notna()
    last_day = act[reported].index.max() if reported.any() else None
    rows = pd.DataFrame(
        {
            "date": plan.index,
            "plan": plan.to_numpy(dtype="float64"),
            "low": plan.to_numpy(dtype="float64") * (1 - band),
            "high": plan.to_numpy(dtype="float64") * (1 + band),
            "actual": act.to_numpy(dtype="float64"),
        }
    )
    if last_day is not None:
        rows = rows[rows["date"] <= last_day].reset_index(drop=True)
    else:
        rows = rows.iloc[0:0]
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["deviation"] = np.where(
            rows["plan"] > 0, rows["actual"] / rows["plan"] - 1, np.nan
        ).astype("float64")
    status = np.select(
        [rows["actual"].isna(), rows["actual"] < rows["low"], rows["actual"] > rows["high"]],
        [NO_DATA, BELOW, ABOVE],
        default=WITHIN,
    )
    rows["status"] = pd.Series(status, index=rows.index, dtype="string")
    # Days without a figure are skipped, not counted as "within": a seller who types Monday,
    # Wednesday and Friday has three reported days in a row (R-L8 counts reported days).
    run, prev, count = [], None, 0
    for s in rows["status"]:
        if s == NO_DATA:
            run.append(count if prev in (BELOW, ABOVE) else 0)
            continue
        count = (
            count + 1 if (s == prev and s in (BELOW, ABOVE)) else (1 if s in (BELOW, ABOVE) else 0)
        )
        prev = s
        run.append(count)
    rows["run"] = pd.Series(run, index=rows.index, dtype="int64")
    rows["alert"] = (rows["run"] >= days) & (rows["status"] != NO_DATA)

    n_reported = int(rows["status"].ne(NO_DATA).sum())
    run_length = int(rows["run"].iloc[-1]) if len(rows) else 0
    reported_status = rows.loc[rows["status"] != NO_DATA, "status"]
    side = str(reported_status.iloc[-1]) if len(reported_status) else NO_DATA
    alerts = rows[rows["alert"]]
    first_alert = pd.Timestamp(alerts["date"].iloc[0]).date() if len(alerts) else None
    if run_length >= days and side == BELOW:
        state = BELOW
        rec = (
            f"Sales have been below the plan band (-{band:.0%}) for {run_length} days in a "
            "row: promote (coupon, deal, more ads) and hold the follow-up 30% until sales "
            "are back within the band."
        )
    elif run_length >= days and side == ABOVE:
        state = ABOVE
        rec = (
            f"Sales have been above the plan band (+{band:.0%}) for {run_length} days in a "
            "row: pull the follow-up 30% forward (order now; air freight if the first batch "
            "runs out before sea freight lands)."
        )
    elif n_reported < days:
        state = "too early"
        rec = (
            f"{n_reported} day(s) of sales reported: the monitor needs {days} days before it "
            "can call a trend."
        )
    else:
        state = "on plan"
        rec = (
            f"No {days}-day run outside the +/-{band:.0%} band at the end of the period: "
            "keep the plan and decide the follow-up 30% on its date."
        )
    return LaunchStatus(
        rows=rows,
        band=float(band),
        days=int(days),
        state=state,
        run_length=run_length,
        days_reported=n_reported,
        first_alert=first_alert,
        recommendation=rec,
    )
