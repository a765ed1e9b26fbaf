"""Altair chart builders: data in, chart out.

Pure functions: they take DataFrames and plain values and return an ``alt.Chart`` (or a layered
chart). No streamlit here; the page decides where and how to draw (``st.altair_chart``).
"""

from __future__ import annotations

import altair as alt
import pandas as pd


def daily_units_frame(sales: pd.DataFrame) -> pd.DataFrame:
    """Total units sold per day over all SKUs and channels: ``date, units``.

    Days inside the sales range with no rows count as zero units, so a gap in the data shows
    as a dip instead of a straight line drawn across it.
    """
    if sales.empty:
        return pd.DataFrame(
            {"date": pd.Series(dtype="datetime64[ns]"), "units": pd.Series(dtype="float64")}
        )
    dates = pd.to_datetime(sales["date"], errors="coerce")
    units = pd.to_numeric(sales["units"], errors="coerce").fillna(0.0)
    daily = units.groupby(dates).sum()
    full = pd.date_range(daily.index.min(), daily.index.max(), freq="D")
    daily = daily.reindex(full, fill_value=0.0)
    return pd.DataFrame({"date": full, "units": daily.to_numpy(dtype="float64")})


def daily_units_chart(daily: pd.DataFrame, height: int = 180) -> alt.Chart:
    """Line chart of total units sold per day, from ``daily_units_frame`` (``date, units``)."""
    return (
        alt.Chart(daily, height=height)
        .mark_line(strokeWidth=1.5)
        .encode(
            x=alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y")),
            y=alt.Y("units:Q", title="Units per day"),
            tooltip=[
                alt.Tooltip("date:T", title="Date"),
                alt.Tooltip("units:Q", title="Units", format=",.0f"),
            ],
        )
    )


def lead_time_band_chart(bands: pd.DataFrame, height: int = 220) -> alt.Chart:
    """Demand summed over the next L days: forecast and the P50-P90 / P90-P99 bands
    (``lead_time_days, forecast, p50, p90, p99``), the interval safety stock uses."""
    base = alt.Chart(bands, height=height).encode(
        x=alt.X("lead_time_days:Q", title="Lead time (days)")
    )
    outer = base.mark_area(opacity=0.18).encode(
        y=alt.Y("p50:Q", title="Units over lead time"), y2="p99:Q"
    )
    inner = base.mark_area(opacity=0.35).encode(y="p50:Q", y2="p90:Q")
    line = base.mark_line().encode(
        y="forecast:Q",
        tooltip=[
            alt.Tooltip("lead_time_days:Q", title="Lead time"),
            alt.Tooltip("forecast:Q", format=",.0f"),
            alt.Tooltip("p90:Q", format=",.0f"),
            alt.Tooltip("p99:Q", format=",.0f"),
        ],
    )
    return outer + inner + line


def stage_demand_chart(
    history: pd.DataFrame, peak: float | None = None, height: int = 260
) -> alt.LayerChart:
    """Daily demand of one SKU (thin, pale), its smoothed level (bold) and its peak (dashed
    rule, labelled).

    ``history``: ``date, demand, level`` as ``stockcycle.lifecycle.level_history`` returns it
    (demand NaN on stockout days, drawn as gaps); ``peak`` in units/day.
    """
    daily, smooth = "Daily demand", "Smoothed level (28 days)"
    long = history.melt(
        id_vars="date", value_vars=["demand", "level"], var_name="series", value_name="units"
    )
    long["series"] = long["series"].map({"demand": daily, "level": smooth})
    lines = (
        alt.Chart(long, height=height)
        .mark_line()
        .encode(
            # Histories run over several years: month names alone would repeat.
            x=alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y")),
            y=alt.Y("units:Q", title="Units per day"),
            # The level is what the stage reads: dark and bold over pale daily noise.
            color=alt.Color(
                "series:N",
                title=None,
                legend=alt.Legend(orient="top"),
                scale=alt.Scale(domain=[daily, smooth], range=["#a9b4c2", "#1f4e96"]),
            ),
            strokeWidth=alt.condition(alt.datum.series == daily, alt.value(0.8), alt.value(2.5)),
            tooltip=[
                alt.Tooltip("date:T", title="Date"),
                alt.Tooltip("series:N"),
                alt.Tooltip("units:Q", title="Units/day", format=",.1f"),
            ],
        )
    )
    if peak is None or not pd.notna(peak):
        return alt.layer(lines)
    mark = pd.DataFrame(
        {
            "peak": [float(peak)],
            "date": [history["date"].min()],
            "label": [f"Peak {float(peak):,.1f}/day"],
        }
    )
    rule = (
        alt.Chart(mark)
        .mark_rule(strokeDash=[6, 4], color="gray")
        .encode(y="peak:Q", tooltip=[alt.Tooltip("peak:Q", title="Peak, units/day", format=",.1f")])
    )
    label = (
        alt.Chart(mark)
        .mark_text(align="left", baseline="bottom", dx=4, dy=-3, color="gray")
        .encode(x="date:T", y="peak:Q", text="label:N")
    )
    return alt.layer(lines, rule, label)


def forecast_interval_chart(
    history: pd.DataFrame, forecast: pd.DataFrame, height: int = 280
) -> alt.Chart:
    """Daily demand history (``date, demand``; stockout days as gaps), the forecast line and
    its daily P10-P90 band (``date, forecast, lower, upper``, from backtest errors at each
    horizon day: ``stockcycle.forecast.core.daily_interval``) on one time axis."""
    hist = history.assign(series="demand (in-stock days)").rename(columns={"demand": "units"})
    fc = forecast.assign(series="forecast").rename(columns={"forecast": "units"})
    lines = pd.concat([hist[["date", "units", "series"]], fc[["date", "units", "series"]]])
    band = (
        alt.Chart(forecast.dropna(subset=["lower", "upper"]), height=height)
        .mark_area(opacity=0.25)
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("lower:Q", title="Units per day"),
            y2="upper:Q",
            tooltip=[
                alt.Tooltip("date:T", title="Date"),
                alt.Tooltip("lower:Q", title="P10", format=",.1f"),
                alt.Tooltip("upper:Q", title="P90", format=",.1f"),
            ],
        )
    )
    line = (
        alt.Chart(lines, height=height)
        .mark_line(strokeWidth=1.3)
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("units:Q", title="Units per day"),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=[
                alt.Tooltip("date:T", title="Date"),
                "series:N",
                alt.Tooltip("units:Q", title="Units", format=",.1f"),
            ],
        )
    )
    return band + line
