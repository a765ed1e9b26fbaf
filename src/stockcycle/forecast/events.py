"""Calendar events that move Amazon demand: US holidays, Amazon events, the seller's promotions.

Sources (R-L2, R-M2): Prime Day dates are kept in ``stockcycle/data/amazon_events.csv`` (columns
event, start, end, lower_window, upper_window) so a seller can add next year's dates; a year the
file does not list falls back to the second Tuesday of July and the day after, where the event
usually sits. Black Friday/Cyber Monday week (Thanksgiving Thursday to Cyber Monday) and the
Christmas run-up are fixed by the calendar. US federal holidays come from the ``holidays``
package that Prophet itself uses.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from stockcycle.errors import InputError

EVENTS_FILE = "amazon_events.csv"


def events_path() -> Path:
    """Where the packaged Amazon events file lives."""
    return Path(str(resources.files("stockcycle") / "data" / EVENTS_FILE))


def _second_tuesday_of_july(year: int) -> date:
    first = date(year, 7, 1)
    return first + timedelta(days=(1 - first.weekday()) % 7 + 7)


def _thanksgiving(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


@lru_cache(maxsize=8)
def _events_file(path: str) -> pd.DataFrame:
    try:
        df = pd.read_csv(path)
    except (OSError, pd.errors.ParserError) as err:
        raise InputError(f"cannot read the events file ({err})", file=path) from None
    need = ["event", "start", "end", "lower_window", "upper_window"]
    for col in need:
        if col not in df.columns:
            raise InputError(
                "the events file misses a column", file=path, column=col, expected=", ".join(need)
            )
    for col in ("start", "end"):
        parsed = pd.to_datetime(df[col], errors="coerce")
        bad = parsed.isna()
        if bad.any():
            raise InputError(
                f"'{df[col][bad].iloc[0]}' is not a date",
                file=path,
                row=int(bad.idxmax()) + 2,
                column=col,
                expected="YYYY-MM-DD",
            )
        df[col] = parsed
    return df


@lru_cache(maxsize=64)
def prime_days(year: int, path: str | None = None) -> tuple[date, date]:
    """First and last day of Prime Day in ``year``: from the events file where it lists the
    year, else the second Tuesday of July and the day after, where the event usually sits.
    The forecast's holidays and the synthetic curves both take their dates from here."""
    events = _events_file(path or str(events_path()))
    listed = events[(events["event"] == "Prime Day") & (events["start"].dt.year == year)]
    if len(listed):
        return listed["start"].iloc[0].date(), listed["end"].iloc[0].date()
    start = _second_tuesday_of_july(year)
    return start, start + timedelta(days=1)


@lru_cache(maxsize=32)
def holidays_frame(first_year: int, last_year: int, path: str | None = None) -> pd.DataFrame:
    """Prophet ``holidays`` frame (holiday, ds, lower_window, upper_window) for the years.

    Built once per process and year range (``lru_cache``): building it per fit was a measurable
    share of a Prophet fit. One row per event day; multi-day events (Prime Day over 2-4 days)
    get one row per day under the same name so Prophet learns one effect per offset.
    """
    import holidays as holiday_lib

    rows: list[tuple[str, date, int, int]] = []
    years = list(range(first_year, last_year + 1))
    for day, name in sorted(holiday_lib.country_holidays("US", years=years).items()):
        rows.append((str(name).replace(" (observed)", ""), day, 0, 0))
    events = _events_file(path or str(events_path()))
    listed_prime = set()
    for ev in events.itertuples(index=False):
        if not first_year <= ev.start.year <= last_year:
            continue
        if ev.event == "Prime Day":
            listed_prime.add(ev.start.year)
        for d in pd.date_range(ev.start, ev.end, freq="D"):
            rows.append((str(ev.event), d.date(), int(ev.lower_window), int(ev.upper_window)))
    for year in years:
        if year not in listed_prime:
            first, last = prime_days(year, path)
            for d in pd.date_range(first, last, freq="D"):
                rows.append(("Prime Day", d.date(), -2, 1))
        black_friday = _thanksgiving(year) + timedelta(days=1)
        rows.append(("Black Friday / Cyber Monday week", black_friday, -1, 3))
        rows.append(("Christmas run-up", date(year, 12, 24), -10, 0))
    df = pd.DataFrame(rows, columns=["holiday", "ds", "lower_window", "upper_window"])
    df["ds"] = pd.to_datetime(df["ds"])
    return df.drop_duplicates(["holiday", "ds"]).reset_index(drop=True)


def promotion_days(promotions: pd.DataFrame | None, sku: str | None = None) -> pd.DataFrame:
    """One row per promotion day: ``ds, lift`` (0.5 = +50%), for one SKU when given.

    From the workspace's ``promotions`` table (start..end inclusive, ``expected_lift``). Days
    where promotions overlap keep the largest lift.
    """
    cols = {"ds": pd.Series(dtype="datetime64[ns]"), "lift": pd.Series(dtype=float)}
    if promotions is None or promotions.empty:
        return pd.DataFrame(cols)
    promo = promotions
    if sku is not None:
        promo = promo[promo["sku"].astype("string") == sku]
    rows = []
    for p in promo.itertuples(index=False):
        start = pd.Timestamp(p.start)
        end = pd.Timestamp(p.end) if pd.notna(p.end) else start
        if pd.isna(start):
            continue
        lift = float(p.expected_lift) if pd.notna(p.expected_lift) else 0.0
        rows.extend((d, lift) for d in pd.date_range(start, max(start, end), freq="D"))
    if not rows:
        return pd.DataFrame(cols)
    df = pd.DataFrame(rows, columns=["ds", "lift"])
    return df.groupby("ds", as_index=False)["lift"].max()
