"""The launch monitor (R-L8) on a first week typed with gaps: days left empty are skipped, not
read as "on plan"."""

from __future__ import annotations

from datetime import date

import pandas as pd

from stockcycle import alerts


def test_a_week_55_to_63_percent_under_plan_with_blank_days_recommends_promotion() -> None:
    plan = pd.Series(80.0, index=pd.date_range("2027-03-01", periods=30, freq="D"))
    # Seven figures over ten days, 55-63% under the plan of 80/day; three days left empty.
    under = [0.55, 0.60, 0.63, 0.58, 0.56, 0.61, 0.57]
    days = pd.to_datetime(
        [
            "2027-03-01",
            "2027-03-02",
            "2027-03-04",
            "2027-03-05",
            "2027-03-07",
            "2027-03-09",
            "2027-03-10",
        ]
    )
    actual = pd.Series([80.0 * (1 - u) for u in under], index=days)
    s = alerts.launch_monitor(plan, actual, band=0.20, days=3)
    assert s.days_reported == 7
    assert s.state == alerts.BELOW and s.alert
    assert s.run_length == 7
    assert s.first_alert == date(2027, 3, 4)  # the third day with a figure
    assert "promote" in s.recommendation and "hold the follow-up 30%" in s.recommendation
    assert s.rows["status"].tolist().count(alerts.NO_DATA) == 3
    assert not s.rows.loc[s.rows["status"] == alerts.NO_DATA, "alert"].any()


def test_a_day_within_the_band_still_breaks_the_run() -> None:
    plan = pd.Series(100.0, index=pd.date_range("2027-03-01", periods=10, freq="D"))
    actual = pd.Series(
        [50.0, 50.0, 95.0, 50.0, 50.0],
        index=pd.to_datetime(
            ["2027-03-01", "2027-03-02", "2027-03-03", "2027-03-05", "2027-03-06"]
        ),
    )
    s = alerts.launch_monitor(plan, actual, band=0.20, days=3)
    assert s.run_length == 2 and s.state == "on plan"
