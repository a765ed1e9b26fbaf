"""Altair chart builders: data in, chart out.

Pure functions: they take DataFrames and plain values and return an ``alt.Chart`` (or a layered
chart). No streamlit here; the page decides where and how to draw (``st.altair_chart``).
"""

from __future__ import annotations

import math

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


# -- Launch sizing (R-L) ----------------------------------------------------------------------
def peer_scatter_chart(selection: pd.DataFrame, height: int = 300) -> alt.Chart:
    """Price against daily sales of every listing of a ``peers.select_peers`` result: peers
    filled, the others hollow and grey with the reason they were left out in the tooltip."""
    df = selection.assign(
        set=selection["peer"].map({True: "peer", False: "left out"}),
        reason=selection["reason_excluded"].astype("string").fillna("peer"),
    )
    df = df[df["daily_sales"] > 0]
    return (
        alt.Chart(df, height=height)
        .mark_point(size=70, filled=True)
        .encode(
            x=alt.X("price:Q", title="Price", scale=alt.Scale(zero=False)),
            y=alt.Y(
                "daily_sales:Q", title="Daily sales (units, log scale)", scale=alt.Scale(type="log")
            ),
            color=alt.Color(
                "set:N",
                title=None,
                scale=alt.Scale(domain=["peer", "left out"], range=["#1f4e96", "#b8bec7"]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("asin:N", title="ASIN"),
                alt.Tooltip("brand:N", title="Brand"),
                alt.Tooltip("price:Q", title="Price", format=",.2f"),
                alt.Tooltip("daily_sales:Q", title="Units/day", format=",.1f"),
                alt.Tooltip("bsr:Q", title="BSR", format=",.0f"),
                alt.Tooltip("reason:N", title="Why"),
            ],
        )
    )


def snapshot_moves_chart(history: pd.DataFrame, height: int = 300) -> alt.Chart:
    """Daily sales of each peer at each Xray snapshot (``snapshot_date, asin, brand,
    daily_sales, price``), one line per ASIN."""
    return (
        alt.Chart(history, height=height)
        .mark_line(point=True, strokeWidth=1.2)
        .encode(
            x=alt.X("snapshot_date:T", title="Snapshot", axis=alt.Axis(format="%d %b %Y")),
            y=alt.Y("daily_sales:Q", title="Daily sales (units)"),
            color=alt.Color("asin:N", title="ASIN", legend=alt.Legend(orient="right")),
            tooltip=[
                alt.Tooltip("snapshot_date:T", title="Snapshot"),
                alt.Tooltip("asin:N", title="ASIN"),
                alt.Tooltip("brand:N", title="Brand"),
                alt.Tooltip("daily_sales:Q", title="Units/day", format=",.1f"),
                alt.Tooltip("price:Q", title="Price", format=",.2f"),
            ],
        )
    )


def launch_demand_chart(daily: pd.DataFrame, height: int = 280) -> alt.LayerChart:
    """Expected daily sales after launch (``date, expected, low, high, event``): the line and
    the peers' Q1..Q3 band, event days marked."""
    base = alt.Chart(daily, height=height).encode(x=alt.X("date:T", title=None))
    band = base.mark_area(opacity=0.22, color="#1f4e96").encode(
        y=alt.Y("low:Q", title="Units per day"), y2="high:Q"
    )
    line = base.mark_line(color="#1f4e96", strokeWidth=1.8).encode(
        y="expected:Q",
        tooltip=[
            alt.Tooltip("date:T", title="Date"),
            alt.Tooltip("expected:Q", title="Expected", format=",.1f"),
            alt.Tooltip("low:Q", title="Peer Q1 x lift", format=",.1f"),
            alt.Tooltip("high:Q", title="Peer Q3 x lift", format=",.1f"),
            alt.Tooltip("event:N", title="Event"),
        ],
    )
    events = (
        alt.Chart(daily.dropna(subset=["event"]), height=height)
        .mark_tick(color="#d9822b", thickness=2, size=10)
        .encode(
            x="date:T",
            y="expected:Q",
            tooltip=[alt.Tooltip("date:T", title="Date"), alt.Tooltip("event:N", title="Event")],
        )
    )
    return band + line + events


def unit_economics_chart(parts: pd.DataFrame, height: int | None = None) -> alt.Chart:
    """Where the price of one unit goes (``part, amount``): costs and the profit, one bar
    each, a negative profit in red."""
    group = [
        ("loss" if a < 0 else "profit") if p == "profit" else "cost"
        for p, a in zip(parts["part"], parts["amount"], strict=True)
    ]
    return (
        # One 28-pixel row per part, so no label is dropped for lack of room.
        alt.Chart(parts.assign(group=group), height=height or 30 * len(parts))
        .mark_bar()
        .encode(
            y=alt.Y(
                "part:N", title=None, sort=list(parts["part"]), axis=alt.Axis(labelOverlap=False)
            ),
            x=alt.X("amount:Q", title="Per unit"),
            color=alt.Color(
                "group:N",
                legend=None,
                scale=alt.Scale(
                    domain=["cost", "profit", "loss"], range=["#8a96a8", "#2e7d32", "#c62828"]
                ),
            ),
            tooltip=[alt.Tooltip("part:N", title=""), alt.Tooltip("amount:Q", format=",.2f")],
        )
    )


def launch_stock_chart(
    projection: pd.DataFrame, arrivals: pd.DataFrame | None = None, height: int = 260
) -> alt.LayerChart:
    """Stock after launch (``date, stock, demand``) with the first batch and the follow-up
    arrival (``date, units, label`` rules): when the first batch would run out and when the
    follow-up lands."""
    base = alt.Chart(projection, height=height).encode(x=alt.X("date:T", title=None))
    stock = base.mark_area(opacity=0.35, color="#1f4e96", line=True).encode(
        y=alt.Y("stock:Q", title="Units in stock (end of day)"),
        tooltip=[
            alt.Tooltip("date:T", title="Date"),
            alt.Tooltip("stock:Q", title="Stock", format=",.0f"),
            alt.Tooltip("demand:Q", title="Expected sales", format=",.1f"),
        ],
    )
    chart = stock
    if arrivals is not None and not arrivals.empty:
        rules = (
            alt.Chart(arrivals)
            .mark_rule(color="#d9822b", strokeDash=[5, 3], strokeWidth=1.5)
            .encode(
                x="date:T",
                tooltip=[
                    alt.Tooltip("label:N", title=""),
                    alt.Tooltip("date:T", title="Date"),
                    alt.Tooltip("units:Q", title="Units", format=",.0f"),
                ],
            )
        )
        text = (
            alt.Chart(arrivals)
            .mark_text(align="left", dx=4, dy=-6, color="#d9822b")
            .encode(x="date:T", y=alt.value(10), text="label:N")
        )
        chart = chart + rules + text
    return chart


def launch_monitor_chart(rows: pd.DataFrame, height: int = 260) -> alt.LayerChart:
    """Plan line, the +/- band and the actual daily sales (points coloured below / within /
    above) from ``alerts.LaunchStatus.rows``."""
    base = alt.Chart(rows, height=height).encode(x=alt.X("date:T", title=None))
    band = base.mark_area(opacity=0.2, color="#1f4e96").encode(
        y=alt.Y("low:Q", title="Units per day"), y2="high:Q"
    )
    plan = base.mark_line(color="#1f4e96").encode(y="plan:Q")
    actual = (
        alt.Chart(rows.dropna(subset=["actual"]), height=height)
        .mark_point(filled=True, size=60)
        .encode(
            x="date:T",
            y="actual:Q",
            color=alt.Color(
                "status:N",
                title=None,
                scale=alt.Scale(
                    domain=["below", "within", "above"], range=["#c62828", "#2e7d32", "#d9822b"]
                ),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("date:T", title="Date"),
                alt.Tooltip("actual:Q", title="Actual", format=",.1f"),
                alt.Tooltip("plan:Q", title="Plan", format=",.1f"),
                alt.Tooltip("deviation:Q", title="Deviation", format="+.0%"),
                alt.Tooltip("run:Q", title="Days in a row"),
            ],
        )
    )
    return band + plan + actual


# -- Growth restock (R-G) ---------------------------------------------------------------------
def cover_vs_lead_time_chart(priority: pd.DataFrame, step: int = 28) -> alt.LayerChart:
    """Days of cover per SKU (bars, coloured by the action) against its total lead time (black
    tick), in priority order: a bar shorter than its tick runs out before a new order arrives
    (R-G1). ``priority``: ``stockcycle.priority.growth_priority`` output (``sku, priority,
    days_of_cover, lead_time_days, action, score``); infinite cover is drawn at the axis end;
    ``step``: pixels per SKU row."""
    data = priority[["sku", "priority", "days_of_cover", "lead_time_days", "action", "score"]]
    data = data.copy()
    finite = data["days_of_cover"].replace([float("inf")], float("nan"))
    top = float(
        max(finite.max(skipna=True) if finite.notna().any() else 0.0, data["lead_time_days"].max())
        * 1.1
        or 1.0
    )
    data["cover_shown"] = finite.fillna(top).clip(upper=top)
    data["urgent"] = data["action"].where(data["action"] == "restock now", "later")
    order = data.sort_values("priority")["sku"].tolist()
    base = alt.Chart(data).encode(y=alt.Y("sku:N", sort=order, title=None))
    bars = base.mark_bar().encode(
        x=alt.X("cover_shown:Q", title="Days of cover (bar) vs total lead time (tick)"),
        color=alt.Color(
            "urgent:N",
            title=None,
            legend=alt.Legend(orient="top"),
            scale=alt.Scale(domain=["restock now", "later"], range=["#c0392b", "#7f9cc0"]),
        ),
        tooltip=[
            alt.Tooltip("sku:N", title="SKU"),
            alt.Tooltip("priority:Q", title="Priority"),
            alt.Tooltip("days_of_cover:Q", title="Days of cover", format=",.1f"),
            alt.Tooltip("lead_time_days:Q", title="Lead time (days)", format=",.0f"),
            alt.Tooltip("score:Q", title="Score", format=",.2f"),
            alt.Tooltip("action:N", title="Action"),
        ],
    )
    ticks = base.mark_tick(color="black", thickness=3, size=18).encode(x="lead_time_days:Q")
    # A step per SKU: Streamlit squeezes a fixed height on a band scale into a few pixels.
    return alt.layer(bars, ticks).properties(height=alt.Step(step))


def projected_stock_chart(
    projection: pd.DataFrame,
    arrivals: pd.DataFrame | None = None,
    stockout: object | None = None,
    reorder_point: float | None = None,
    height: int = 260,
) -> alt.LayerChart:
    """Projected stock at the end of each day (``date, stock`` from
    ``policy.projected_stock``), arrivals as points on the line's dates (``date, units``), the
    stockout date (dashed red rule) and the reorder point (dotted rule), R-G2."""
    proj = projection.assign(date=pd.to_datetime(projection["date"]))
    line = (
        alt.Chart(proj, height=height)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("date:T", title=None, axis=alt.Axis(format="%d %b %Y")),
            y=alt.Y("stock:Q", title="Units in stock (end of day)"),
            tooltip=[
                alt.Tooltip("date:T", title="Date"),
                alt.Tooltip("stock:Q", title="Stock", format=",.0f"),
                alt.Tooltip("demand:Q", title="Demand", format=",.1f"),
            ],
        )
    )
    layers: list[alt.Chart] = [line]
    if arrivals is not None and len(arrivals):
        arr = arrivals.assign(date=pd.to_datetime(arrivals["date"]))
        arr = arr[arr["date"].between(proj["date"].min(), proj["date"].max())]
        if len(arr):
            arr = arr.merge(proj[["date", "stock"]], on="date", how="left")
            layers.append(
                alt.Chart(arr)
                .mark_point(shape="triangle-up", size=120, filled=True, color="#2e7d32")
                .encode(
                    x="date:T",
                    y="stock:Q",
                    tooltip=[
                        alt.Tooltip("date:T", title="Arrives"),
                        alt.Tooltip("units:Q", title="Units", format=",.0f"),
                        *([alt.Tooltip("source:N", title="From")] if "source" in arr else []),
                    ],
                )
            )
    if reorder_point is not None and pd.notna(reorder_point):
        rop = pd.DataFrame({"units": [float(reorder_point)], "label": ["reorder point"]})
        layers.append(
            alt.Chart(rop)
            .mark_rule(strokeDash=[2, 3], color="gray")
            .encode(y="units:Q", tooltip=[alt.Tooltip("units:Q", title="Reorder point")])
        )
    if stockout is not None and pd.notna(stockout):
        mark = pd.DataFrame({"date": [pd.Timestamp(stockout)], "label": ["stockout"]})
        layers.append(
            alt.Chart(mark)
            .mark_rule(strokeDash=[6, 4], color="#c0392b", size=2)
            .encode(x="date:T", tooltip=[alt.Tooltip("date:T", title="Stockout")])
        )
        layers.append(
            alt.Chart(mark)
            .mark_text(align="left", dx=4, dy=-6, color="#c0392b", baseline="top")
            .encode(x="date:T", y=alt.value(4), text="label:N")
        )
    return alt.layer(*layers)


def service_level_chart(curve: pd.DataFrame, chosen: float, height: int = 220) -> alt.FacetChart:
    """Safety stock (units) and the cash it ties up over service levels (``service_level,
    safety_stock_units, safety_stock_cash``), with the chosen level marked (R-K5)."""
    long = curve.melt(
        id_vars="service_level",
        value_vars=["safety_stock_units", "safety_stock_cash"],
        var_name="measure",
        value_name="value",
    )
    long["measure"] = long["measure"].map(
        {"safety_stock_units": "Safety stock (units)", "safety_stock_cash": "Cash tied up"}
    )
    lines = (
        alt.Chart(height=height, width=260)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "service_level:Q",
                title="Service level",
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(zero=False),
            ),
            y=alt.Y("value:Q", title=None),
            tooltip=[
                alt.Tooltip("service_level:Q", title="Service level", format=".0%"),
                alt.Tooltip("measure:N"),
                alt.Tooltip("value:Q", format=",.0f"),
            ],
        )
    )
    # A datum rule shares the layer's data, which a faceted layer requires.
    rule = alt.Chart().mark_rule(color="#c0392b", strokeDash=[4, 3]).encode(x=alt.datum(chosen))
    return (
        alt.layer(lines, rule, data=long)
        .facet(column=alt.Column("measure:N", title=None))
        .resolve_scale(y="independent")
    )


def deliveries_chart(deliveries: pd.DataFrame, height: int = 220) -> alt.Chart:
    """Planned deliveries (``sku, arrival, units``, R-G4) as bars by arrival date, one colour
    per SKU."""
    data = deliveries.assign(arrival=pd.to_datetime(deliveries["arrival"]))
    return (
        alt.Chart(data, height=height)
        .mark_bar(size=10)
        .encode(
            x=alt.X("arrival:T", title="Arrival", axis=alt.Axis(format="%d %b %Y")),
            y=alt.Y("units:Q", title="Units", stack=True),
            color=alt.Color("sku:N", title="SKU", legend=alt.Legend(orient="right")),
            tooltip=[
                alt.Tooltip("sku:N", title="SKU"),
                alt.Tooltip("delivery:Q", title="Delivery"),
                alt.Tooltip("arrival:T", title="Arrival"),
                alt.Tooltip("units:Q", title="Units", format=",.0f"),
            ],
        )
    )


def before_after_chart(review: pd.DataFrame, title: str, height: int = 200) -> alt.Chart:
    """Weekly review (R-G5) of one measure (``title``, in the tooltip; the page heads the
    chart): a before and an after bar per SKU (``sku, period, value``; period "before" or
    "after"). No chart title: Streamlit fits title, legend and plot into ``height``."""
    return (
        alt.Chart(review, height=height)
        .mark_bar()
        .encode(
            x=alt.X("sku:N", title=None, axis=alt.Axis(labelAngle=0, labelLimit=140)),
            xOffset=alt.XOffset("period:N", sort=["before", "after"]),
            y=alt.Y("value:Q", title=None, axis=alt.Axis(format=",.3~r")),
            color=alt.Color(
                "period:N",
                title=None,
                sort=["before", "after"],
                legend=alt.Legend(orient="top"),
                scale=alt.Scale(domain=["before", "after"], range=["#a9b4c2", "#1f4e96"]),
            ),
            tooltip=[
                alt.Tooltip("sku:N", title="SKU"),
                alt.Tooltip("period:N"),
                alt.Tooltip("value:Q", title=title, format=",.2f"),
            ],
        )
    )


def cover_corridor_chart(
    today: pd.DataFrame, low_days: float, high_days: float, step: int = 18
) -> alt.LayerChart:
    """Days of cover per SKU (bars, coloured by the kind of action) against the FBA fee
    corridor (R-F1): a red rule at ``low_days`` (the low-inventory-level fee's threshold) and
    an orange one at ``high_days`` (22 weeks: the storage utilization surcharge). ``today``:
    ``stockcycle.today.today_table(...).table`` (``sku, days_of_cover, action_type, action``);
    SKUs without a figure are left out, infinite cover is drawn at the axis end."""
    data = today[["sku", "days_of_cover", "action_type", "action"]].copy()
    cover = pd.to_numeric(data["days_of_cover"], errors="coerce")
    finite = cover.replace([float("inf")], float("nan"))
    # A fee table without the utilization surcharge gives an infinite upper edge: not drawn.
    edges = [d for d in (low_days, high_days) if math.isfinite(d)]
    top = float(max(finite.max(skipna=True) if finite.notna().any() else 0.0, *edges) * 1.1)
    data["cover_shown"] = cover.clip(upper=top)
    data = data[data["cover_shown"].notna()]
    base = alt.Chart(data).encode(y=alt.Y("sku:N", sort="-x", title=None))
    bars = base.mark_bar().encode(
        x=alt.X("cover_shown:Q", title="Days of cover", scale=alt.Scale(domain=[0, top])),
        color=alt.Color("action_type:N", title="Action", legend=alt.Legend(orient="top")),
        tooltip=[
            alt.Tooltip("sku:N", title="SKU"),
            alt.Tooltip("days_of_cover:Q", title="Days of cover", format=",.1f"),
            alt.Tooltip("action:N", title="Action"),
        ],
    )
    lines = pd.DataFrame(
        {
            "days": [low_days, high_days],
            "what": [
                f"Low-inventory fee under {low_days:g} days",
                f"Storage utilization surcharge over {high_days:g} days",
            ],
        }
    )
    lines = lines[lines["days"].map(math.isfinite)]
    rules = (
        alt.Chart(lines)
        .mark_rule(strokeDash=[6, 3], size=2)
        .encode(
            x="days:Q",
            color=alt.Color(
                "what:N",
                title="Fee corridor (R-F1)",
                scale=alt.Scale(range=["#c0392b", "#e67e22"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[alt.Tooltip("what:N", title="Fee"), alt.Tooltip("days:Q", title="Days")],
        )
    )
    # Two colour legends: the bars' actions and the rules' fees are independent scales.
    return (
        alt.layer(bars, rules).resolve_scale(color="independent").properties(height=alt.Step(step))
    )


def replay_tradeoff_chart(
    runs: pd.DataFrame, target_fill_rate: float | None = None, height: int = 320
) -> alt.LayerChart:
    """Fill rate against average stock value, one line per policy over its settings (R-T4):
    ``runs`` has ``policy_label, setting_label, fill_rate`` (0-1), ``avg_inventory_value``,
    ``avg_inventory_units``, ``stockout_days``, ``fees``. Up and to the left is better: more
    service for less stock. The seller's target fill rate is a dashed rule."""
    data = runs.assign(fill_pct=runs["fill_rate"] * 100)
    base = alt.Chart(data, height=height).encode(
        x=alt.X("avg_inventory_value:Q", title="Average stock value (at cost)"),
        y=alt.Y(
            "fill_pct:Q",
            title="Demand served (%)",
            scale=alt.Scale(zero=False),
        ),
        color=alt.Color("policy_label:N", title="Policy"),
    )
    tooltip = [
        alt.Tooltip("policy_label:N", title="Policy"),
        alt.Tooltip("setting_label:N", title="Setting"),
        alt.Tooltip("fill_pct:Q", title="Demand served (%)", format=".1f"),
        alt.Tooltip("avg_inventory_value:Q", title="Average stock value", format=",.0f"),
        alt.Tooltip("avg_inventory_units:Q", title="Average units", format=",.0f"),
        alt.Tooltip("stockout_days:Q", title="Stockout days", format=",.0f"),
        alt.Tooltip("fees:Q", title="Fees", format=",.0f"),
    ]
    layers: list[alt.Chart] = [
        base.mark_line().encode(order="avg_inventory_value:Q"),
        base.mark_point(filled=True, size=70).encode(tooltip=tooltip),
    ]
    if target_fill_rate is not None:
        target = pd.DataFrame({"fill_pct": [target_fill_rate * 100]})
        layers.append(
            alt.Chart(target)
            .mark_rule(strokeDash=[6, 4], color="gray")
            .encode(y="fill_pct:Q", tooltip=[alt.Tooltip("fill_pct:Q", title="Your target (%)")])
        )
    return alt.layer(*layers)


def replay_stock_chart(line: pd.DataFrame, height: int = 280) -> alt.LayerChart:
    """One product's replay (R-T4): stock at the end of each day (line) against the day's
    demand (bars), units lost (red bars), orders placed (green triangles at the foot) and
    arrivals (points on the line). ``line``: ``date, demand, lost, stock, arrivals,
    ordered`` (``replay.PolicyRun.sku_line``)."""
    data = line.assign(date=pd.to_datetime(line["date"]))
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%d %b %Y"))
    demand = (
        alt.Chart(data, height=height)
        .mark_bar(opacity=0.35, color="#7f8c8d")
        .encode(x=x, y=alt.Y("demand:Q", title="Units"), tooltip=["date:T", "demand:Q"])
    )
    lost = (
        alt.Chart(data[data["lost"] > 0])
        .mark_bar(color="#c0392b")
        .encode(
            x="date:T",
            y="lost:Q",
            tooltip=[alt.Tooltip("date:T", title="Date"), alt.Tooltip("lost:Q", title="Lost")],
        )
    )
    stock = (
        alt.Chart(data)
        .mark_line(interpolate="step-after", color="#1f77b4")
        .encode(
            x="date:T",
            y="stock:Q",
            tooltip=[
                alt.Tooltip("date:T", title="Date"),
                alt.Tooltip("stock:Q", title="Stock", format=",.0f"),
                alt.Tooltip("demand:Q", title="Demand", format=",.1f"),
            ],
        )
    )
    layers: list[alt.Chart] = [demand, lost, stock]
    placed = data[data["ordered"] > 0]
    if len(placed):
        layers.append(
            alt.Chart(placed)
            .mark_point(shape="triangle-up", size=140, filled=True, color="#2e7d32")
            .encode(
                x="date:T",
                y=alt.value(height - 6),
                tooltip=[
                    alt.Tooltip("date:T", title="Ordered"),
                    alt.Tooltip("ordered:Q", title="Units", format=",.0f"),
                ],
            )
        )
    landed = data[data["arrivals"] > 0]
    if len(landed):
        layers.append(
            alt.Chart(landed)
            .mark_point(size=60, filled=True, color="#1f77b4")
            .encode(
                x="date:T",
                y="stock:Q",
                tooltip=[
                    alt.Tooltip("date:T", title="Arrived"),
                    alt.Tooltip("arrivals:Q", title="Units", format=",.0f"),
                ],
            )
        )
    return alt.layer(*layers)
