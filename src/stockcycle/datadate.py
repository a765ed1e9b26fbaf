"""The seller's data date against today (R-T1), shared by the CLI and every page.

Every plan is as of the data date (``Workspace.data_date()``: the latest sales day or inventory
snapshot), and the data date is shown on every page; data that ends more than
``STALE_DATA_DAYS`` before today gets a stale-data warning. ``today()`` is the one place the
app and the CLI read today's date, a function so that a test can fix it.
"""

from __future__ import annotations

import os
from datetime import date

from stockcycle.errors import InputError

#: The environment variable that sets today's date instead of the clock (demos, replays).
TODAY_VARIABLE = "STOCKCYCLE_TODAY"
#: Data ending more than this many days before today gets a stale-data warning (R-T1).
STALE_DATA_DAYS = 3
#: What the warning asks the seller to do, unless the caller says otherwise.
IMPORT_ADVICE = "import recent reports on the Data page."


def today() -> date:
    """Today's date, for plans and the stale-data check (R-T1): the clock's, or the
    ``STOCKCYCLE_TODAY`` environment variable's (``YYYY-MM-DD``) to see the app as it was or will
    be on another day. A function so that a test can fix it
    (``monkeypatch.setattr(datadate, "today", ...)``)."""
    fixed = os.environ.get(TODAY_VARIABLE, "").strip()
    if not fixed:
        return date.today()
    try:
        return date.fromisoformat(fixed)
    except ValueError:
        raise InputError(
            f"{TODAY_VARIABLE}='{fixed}' is not a date",
            expected="YYYY-MM-DD, or the variable unset for the clock's date",
        ) from None


def data_age_days(today: date, as_of: date | None) -> int | None:
    """Days from the data date ``as_of`` to ``today`` (negative when the data is dated after
    today); None without data."""
    if as_of is None:
        return None
    return (today - as_of).days


def is_stale(today: date, as_of: date | None) -> bool:
    """Whether the data ends more than ``STALE_DATA_DAYS`` before ``today`` (R-T1)."""
    days = data_age_days(today, as_of)
    return days is not None and days > STALE_DATA_DAYS


def long_date(day: date) -> str:
    """``date(2026, 10, 31)`` -> ``"31 Oct 2026"``: a date a seller reads at a glance."""
    return f"{day.day} {day:%b %Y}"


def days_text(days: int) -> str:
    """``1`` -> ``"1 day"``, ``36`` -> ``"36 days"`` (thousands separated)."""
    return f"{days:,} day{'s' if abs(days) != 1 else ''}"


def _age(days: int) -> str:
    if days == 0:
        return "today"
    if days < 0:
        n = -days
        return f"{n:,} day{'s' if n != 1 else ''} after today"
    return f"{days:,} day{'s' if days != 1 else ''} ago"


def data_date_line(today: date, as_of: date | None) -> str | None:
    """The data date in one short line, ``"Data up to 31 Oct 2026 (36 days ago)"``; None
    without data."""
    days = data_age_days(today, as_of)
    if days is None:
        return None
    return f"Data up to {long_date(as_of)} ({_age(days)})"


def stale_data_warning(today: date, as_of: date | None, advice: str = IMPORT_ADVICE) -> str | None:
    """``"Your data ends N days before today: <advice>"`` when the data ends more than
    ``STALE_DATA_DAYS`` before ``today`` (R-T1); None otherwise (no data, or recent data)."""
    if not is_stale(today, as_of):
        return None
    return f"Your data ends {data_age_days(today, as_of):,} days before today: {advice}"
