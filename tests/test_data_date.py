"""R-T1: the seller's data date on every page, and a stale-data warning when it is old.

The age and the wording come from ``stockcycle.datadate`` (shared with ``stockcycle plan``);
the pages show them through ``ui.page_setup`` (and Home's summary).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from stockcycle import datadate, restock
from stockcycle.errors import InputError
from stockcycle.ingest.result import ParsedFile

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = ["app.py", *sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))]
#: The sample's data date (its last sales day and inventory snapshot).
DATA_DATE = date(2026, 10, 31)
#: ``datadate.today`` itself (the autouse fixture replaces it in every test).
CLOCK_TODAY = datadate.today


def test_today_is_the_clock_unless_the_environment_sets_it(monkeypatch) -> None:
    monkeypatch.delenv(datadate.TODAY_VARIABLE, raising=False)
    assert CLOCK_TODAY() == date.today()
    monkeypatch.setenv(datadate.TODAY_VARIABLE, "2027-01-15")
    assert CLOCK_TODAY() == date(2027, 1, 15)
    monkeypatch.setenv(datadate.TODAY_VARIABLE, "15/01/2027")
    with pytest.raises(InputError, match="STOCKCYCLE_TODAY='15/01/2027' is not a date"):
        CLOCK_TODAY()


# -- the age and the message -----------------------------------------------------------------------
def test_data_date_line_counts_the_days_since_the_data_ends() -> None:
    assert datadate.data_date_line(DATA_DATE + timedelta(days=36), DATA_DATE) == (
        "Data up to 31 Oct 2026 (36 days ago)"
    )
    assert datadate.data_date_line(DATA_DATE, DATA_DATE) == "Data up to 31 Oct 2026 (today)"
    assert datadate.data_date_line(date(2026, 11, 1), DATA_DATE) == (
        "Data up to 31 Oct 2026 (1 day ago)"
    )
    # Data dated after today (a clock or a file from the future): said, not hidden.
    assert datadate.data_date_line(date(2026, 10, 29), DATA_DATE) == (
        "Data up to 31 Oct 2026 (2 days after today)"
    )
    assert datadate.data_date_line(DATA_DATE, None) is None
    assert datadate.data_age_days(date(2027, 1, 5), DATA_DATE) == 66
    assert datadate.data_age_days(DATA_DATE, None) is None


def test_stale_warning_only_past_the_threshold() -> None:
    limit = datadate.STALE_DATA_DAYS
    assert limit == 3
    on_the_limit = DATA_DATE + timedelta(days=limit)
    assert not datadate.is_stale(on_the_limit, DATA_DATE)
    assert datadate.stale_data_warning(on_the_limit, DATA_DATE) is None
    later = DATA_DATE + timedelta(days=limit + 1)
    assert datadate.is_stale(later, DATA_DATE)
    assert datadate.stale_data_warning(later, DATA_DATE) == (
        "Your data ends 4 days before today: import recent reports on the Data page."
    )
    assert datadate.stale_data_warning(DATA_DATE + timedelta(days=1000), DATA_DATE) == (
        "Your data ends 1,000 days before today: import recent reports on the Data page."
    )
    assert not datadate.is_stale(DATA_DATE - timedelta(days=10), DATA_DATE)  # data after today
    assert datadate.stale_data_warning(DATA_DATE, None) is None  # an empty workspace


def test_the_plan_warning_is_the_same_check_with_the_plans_advice() -> None:
    # The CLI's stale check (restock.stale_data_warning) is datadate's: one threshold, one
    # opening; only the advice after the colon is the plan's own.
    assert restock.STALE_DATA_DAYS == datadate.STALE_DATA_DAYS
    for days in range(0, 10):
        today = DATA_DATE + timedelta(days=days)
        page, plan = (
            datadate.stale_data_warning(today, DATA_DATE),
            restock.stale_data_warning(today, DATA_DATE),
        )
        assert (page is None) == (plan is None)
        if page is not None:
            head = f"Your data ends {days} days before today: import recent reports"
            assert page.startswith(head) and plan.startswith(head)


# -- every page ------------------------------------------------------------------------------------
def open_page(ws, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["workspace_path"] = str(ws.path)
    if page != "app.py":
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def stale_warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if "days before today" in w.value]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_the_data_date_and_warns_when_it_is_old(
    page: str, forecast_workspace, monkeypatch
) -> None:
    assert forecast_workspace.data_date() == DATA_DATE
    monkeypatch.setattr(datadate, "today", lambda: DATA_DATE + timedelta(days=36))
    at = open_page(forecast_workspace, page)
    sidebar = [c.value for c in at.sidebar.caption]
    assert "Data up to 31 Oct 2026 (36 days ago)" in sidebar
    where = "below" if page == "pages/1_Data.py" else "on the Data page"
    warning = f"Your data ends 36 days before today: import recent reports {where}."
    # On the page (not in the sidebar), once.
    assert [w.value for w in at.main.warning if "days before today" in w.value] == [warning]
    assert stale_warnings(at) == [warning]


@pytest.mark.parametrize("page", PAGES)
def test_no_warning_when_the_data_is_recent(page: str, forecast_workspace, monkeypatch) -> None:
    monkeypatch.setattr(datadate, "today", lambda: DATA_DATE)
    at = open_page(forecast_workspace, page)
    assert "Data up to 31 Oct 2026 (today)" in [c.value for c in at.sidebar.caption]
    assert stale_warnings(at) == []


def test_three_days_is_not_stale_yet(forecast_workspace, monkeypatch) -> None:
    monkeypatch.setattr(datadate, "today", lambda: DATA_DATE + timedelta(days=3))
    at = open_page(forecast_workspace, "pages/1_Data.py")
    assert "Data up to 31 Oct 2026 (3 days ago)" in [c.value for c in at.sidebar.caption]
    assert stale_warnings(at) == []


@pytest.mark.parametrize("page", ["app.py", "pages/1_Data.py", "pages/2_Settings.py"])
def test_an_empty_workspace_has_no_data_date(page: str, home, monkeypatch) -> None:
    from stockcycle.store import Workspace

    monkeypatch.setattr(datadate, "today", lambda: DATA_DATE + timedelta(days=36))
    at = open_page(Workspace.named("empty"), page)
    assert "**Workspace:** empty" in [m.value for m in at.sidebar.markdown]
    assert not any(c.value.startswith("Data up to") for c in at.sidebar.caption)
    assert stale_warnings(at) == []


def _import_sales(ws, day: str) -> None:
    sales = pd.DataFrame(
        {"date": [pd.Timestamp(day)], "sku": ["A-1"], "units": [3], "channel": ["amazon"]}
    )
    ws.import_files([ParsedFile(f"sales-{day}.csv", "generic", "test", {"sales": sales}, 1)])


def test_the_data_date_follows_an_import(home, monkeypatch) -> None:
    # The cached data date is keyed on the data version: an import moves it at once.
    from stockcycle.store import Workspace

    monkeypatch.setattr(datadate, "today", lambda: date(2026, 3, 1))
    ws = Workspace.named("shop")
    _import_sales(ws, "2026-01-01")
    at = open_page(ws, "pages/1_Data.py")
    assert "Data up to 1 Jan 2026 (59 days ago)" in [c.value for c in at.sidebar.caption]
    assert stale_warnings(at) == [
        "Your data ends 59 days before today: import recent reports below."
    ]
    _import_sales(ws, "2026-02-28")
    at.run()
    assert "Data up to 28 Feb 2026 (1 day ago)" in [c.value for c in at.sidebar.caption]
    assert stale_warnings(at) == []
