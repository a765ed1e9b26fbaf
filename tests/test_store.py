"""The SQLite workspace: what a seller relies on when they close the app and come back.

Data is built by hand as ``ParsedFile`` objects (what a parser hands to the store), so these tests
pin the store alone; totals are computed by hand in the comments.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from stockcycle import store
from stockcycle.errors import InputError
from stockcycle.ingest.result import ParsedFile
from stockcycle.schema import TABLES, empty_frame
from stockcycle.settings import Settings
from stockcycle.store import DB_FILE, Workspace, list_workspaces


def dump(ws: Workspace) -> str:
    """Every table, row and schema statement of the workspace, as SQL text."""
    con = sqlite3.connect(ws.db_path)
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


def sales_file(
    name: str, days: range, units=lambda d: float(d), sku: str = "A", month: str = "2025-03"
) -> ParsedFile:
    """A generic sales file with one row per day of ``month``; units default to the day."""
    df = pd.DataFrame(
        {
            "date": pd.to_datetime([f"{month}-{d:02d}" for d in days]),
            "sku": sku,
            "channel": "Amazon.com",
            "units": [units(d) for d in days],
            "revenue": [units(d) * 10.0 for d in days],
        }
    )
    return ParsedFile(
        name,
        "generic_sales",
        "Generic sales table",
        {"sales": df},
        rows_read=len(df),
        sha256=f"sha-{name}",
    )


def one_row_per_table() -> dict[str, pd.DataFrame]:
    """Two rows for every schema table, one value of each column type, one NA per table."""

    def value(col: str, typ: str, i: int):
        if typ == "date":
            return pd.Timestamp(2025, 3, 1 + i)
        if typ == "text":
            return f"{col}-{i}"
        if typ == "float":
            return 1.25 + i
        if typ == "int":
            return 3 + i
        return i == 0  # bool

    tables = {}
    for name, t in TABLES.items():
        frame = empty_frame(name)
        rows = {c: [value(c, typ, i) for i in range(2)] for c, typ in t.columns.items()}
        df = pd.DataFrame(rows).astype(frame.dtypes.to_dict())
        nullable = [c for c in t.columns if c not in t.key]
        df.loc[1, nullable[-1]] = pd.NA  # a missing optional value must stay missing
        tables[name] = df
    # Order lines rebuild the sales of their days: make them cancelled lines of another channel,
    # so that the rebuild leaves the sales rows above as they are.
    tables["order_lines"]["cancelled"] = pd.array([True, True], dtype="boolean")
    tables["order_lines"]["channel"] = pd.Series(["web-0", "web-1"], dtype="string")
    return tables


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.open(tmp_path / "shop")


# -- create, open, data directory -------------------------------------------------------------


def test_open_creates_the_folder_and_reopens_with_the_data(tmp_path: Path) -> None:
    path = tmp_path / "new" / "shop"
    ws = Workspace.open(path)
    assert (path / DB_FILE).is_file()
    ws.import_files([sales_file("s.csv", range(1, 4))])
    again = Workspace.open(path, create=False)
    assert again.read("sales")["units"].tolist() == [1.0, 2.0, 3.0]
    assert again.name == "shop"


def test_open_without_create_names_the_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no workspace at .*missing"):
        Workspace.open(tmp_path / "missing", create=False)
    assert not (tmp_path / "missing").exists()


def test_a_file_or_a_damaged_database_is_a_clear_error(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("hello")
    with pytest.raises(InputError, match="is a file"):
        Workspace.open(a_file)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / DB_FILE).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InputError, match="cannot open the workspace"):
        Workspace.open(junk)


def test_stockcycle_home_moves_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STOCKCYCLE_HOME", str(tmp_path / "home"))
    assert list_workspaces() == []
    ws = Workspace.named("Zeta shop")
    Workspace.named("alpha_2")
    (tmp_path / "home" / "workspaces" / "empty-folder").mkdir()  # no database: not listed
    Workspace.open(tmp_path / "home" / "workspaces" / ".hidden")  # made by hand: not openable
    assert ws.path == tmp_path / "home" / "workspaces" / "Zeta shop"
    assert (ws.path / DB_FILE).is_file()
    assert list_workspaces() == ["Zeta shop", "alpha_2"]
    with pytest.raises(InputError, match="no workspace"):
        Workspace.named("never made", create=False)


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".",
        "..",
        ".hidden",
        "a/b",
        "../escape",
        "a\\b",
        "C:",
        " leading",
        "trailing ",
        "-dash",
        "star*",
        "x" * 101,
        "new\nline",
    ],
)
def test_unusable_workspace_names_are_rejected(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STOCKCYCLE_HOME", str(tmp_path / "home"))
    with pytest.raises(InputError, match="not a usable workspace name"):
        Workspace.named(name)
    assert not (tmp_path / "home").exists() or list(tmp_path.rglob(DB_FILE)) == []


# -- import and read back ----------------------------------------------------------------------


def test_every_table_reads_back_with_schema_dtypes_and_values(ws: Workspace) -> None:
    tables = one_row_per_table()
    ws.import_files([ParsedFile("all.csv", "test", "Every table", tables, rows_read=2)])
    for name, expected in tables.items():
        got = ws.read(name)
        assert got.dtypes.to_dict() == empty_frame(name).dtypes.to_dict(), name
        key = list(TABLES[name].key)
        pd.testing.assert_frame_equal(
            got.sort_values(key).reset_index(drop=True),
            expected.sort_values(key).reset_index(drop=True),
            check_dtype=True,
            obj=name,
        )
    assert ws.row_counts() == {name: 2 for name in TABLES}


def test_an_empty_workspace_reads_empty_tables_with_schema_dtypes(ws: Workspace) -> None:
    for name in TABLES:
        got = ws.read(name)
        assert got.empty
        assert got.dtypes.to_dict() == empty_frame(name).dtypes.to_dict(), name


def test_read_filters_skus_and_rejects_unknown_tables(ws: Workspace) -> None:
    ws.import_files(
        [
            sales_file("a.csv", range(1, 3), sku="A"),
            sales_file("b.csv", range(1, 4), sku="B"),
            sales_file("c.csv", range(1, 5), sku="C"),
        ]
    )
    got = ws.read("sales", skus=["A", "C"])
    assert sorted(got["sku"].unique()) == ["A", "C"]
    assert len(got) == 2 + 4
    assert ws.skus() == ["A", "B", "C"]
    with pytest.raises(InputError, match="unknown table 'orders'"):
        ws.read("orders")


def test_provenance_links_rows_to_the_import_log(ws: Workspace) -> None:
    first = sales_file("march.csv", range(1, 11), sku="A")
    second = sales_file("april.csv", range(1, 6), sku="B", month="2025-04")
    second.warnings = ["2 duplicated rows dropped"]
    second.notes = ["1 rows with negative units counted as returns"]
    report = ws.import_files([first])
    ws.import_files([second])
    assert report == [
        {
            "file": "march.csv",
            "kind": "generic_sales",
            "label": "Generic sales table",
            "rows": 10,
            "tables": {"sales": 10},
        }
    ]

    log = ws.imports()
    assert log["file_name"].tolist() == ["april.csv", "march.csv"]  # newest first
    assert log["label"].tolist() == ["Generic sales table"] * 2
    assert log["kind"].tolist() == ["generic_sales"] * 2
    assert log["rows_read"].tolist() == [5, 10]
    assert log["rows_loaded"].tolist() == [5, 10]
    assert log["sha256"].tolist() == ["sha-april.csv", "sha-march.csv"]
    assert json.loads(log["warnings"].iloc[0]) == ["2 duplicated rows dropped"]
    assert json.loads(log["notes"].iloc[0]) == ["1 rows with negative units counted as returns"]
    assert json.loads(log["notes"].iloc[1]) == []

    ids = dict(zip(log["file_name"], log["id"], strict=True))
    got = ws.read("sales", with_source=True)
    assert set(got.loc[got["sku"] == "A", "source_id"]) == {ids["march.csv"]}
    assert set(got.loc[got["sku"] == "B", "source_id"]) == {ids["april.csv"]}
    assert "source_id" not in ws.read("sales").columns


def test_reimporting_the_same_file_does_not_double_count(ws: Workspace) -> None:
    # Units are the day of the month: days 1..20 sum to 20 * 21 / 2 = 210.
    ws.import_files([sales_file("march.csv", range(1, 21))])
    ws.import_files([sales_file("march.csv", range(1, 21))])
    sales = ws.read("sales")
    assert len(sales) == 20
    assert sales["units"].sum() == 210
    assert sales["revenue"].sum() == 2100
    assert len(ws.imports()) == 2  # both imports are still logged


def test_overlapping_reports_replace_the_overlap(ws: Workspace) -> None:
    # Days 1-20 then days 10-30 of the same SKU: 30 distinct days, units = day -> 1+..+30 = 465.
    # Double counting the overlap (days 10-20) would add 10+..+20 = 165.
    ws.import_files([sales_file("early.csv", range(1, 21))])
    ws.import_files([sales_file("late.csv", range(10, 31))])
    sales = ws.read("sales", with_source=True)
    assert len(sales) == 30
    assert sales["units"].sum() == 465
    late_id = ws.imports().set_index("file_name").loc["late.csv", "id"]
    overlap = sales[sales["date"].dt.day.between(10, 20)]
    assert (overlap["source_id"] == late_id).all()  # the newer report wins the overlap


def test_a_corrected_report_replaces_old_figures(ws: Workspace) -> None:
    ws.import_files([sales_file("v1.csv", range(1, 6), units=lambda d: 1.0)])
    ws.import_files([sales_file("v2.csv", range(3, 6), units=lambda d: 4.0)])
    # Days 1-2 keep 1 unit, days 3-5 now 4 units: 2 * 1 + 3 * 4 = 14.
    assert ws.read("sales")["units"].sum() == 14


def test_products_merge_keeps_unit_cost_when_a_later_report_has_none(ws: Workspace) -> None:
    costs = pd.DataFrame(
        {
            "sku": ["A", "B"],
            "title": ["Old A", "Old B"],
            "unit_cost": [4.5, 7.0],
            "lead_time_days": [35.0, 50.0],
        }
    )
    titles = pd.DataFrame(
        {"sku": ["A", "C"], "asin": ["B0A", "B0C"], "title": ["New title A", "Title C"]}
    )
    ws.import_files(
        [ParsedFile("costs.csv", "generic_products", "Products", {"products": costs}, rows_read=2)]
    )
    ws.import_files(
        [
            ParsedFile(
                "report.csv",
                "business_report",
                "Business Report",
                {"products": titles},
                rows_read=2,
            )
        ]
    )
    got = ws.read("products").set_index("sku")
    assert got.loc["A", "title"] == "New title A"
    assert got.loc["A", "asin"] == "B0A"
    assert got.loc["A", "unit_cost"] == 4.5
    assert got.loc["A", "lead_time_days"] == 35.0
    assert got.loc["B", "title"] == "Old B"
    assert pd.isna(got.loc["C", "unit_cost"])
    assert len(got) == 3


def test_replace_tables_replace_the_whole_row(ws: Workspace) -> None:
    day = pd.Timestamp("2025-03-01")
    first = pd.DataFrame(
        {"date": [day], "sku": ["A"], "channel": ["Amazon.com"], "units": [10.0], "revenue": [99.9]}
    )
    second = pd.DataFrame({"date": [day], "sku": ["A"], "channel": ["Amazon.com"], "units": [12.0]})
    ws.import_files([ParsedFile("s1.csv", "k", "Sales", {"sales": first}, 1)])
    ws.import_files([ParsedFile("s2.csv", "k", "Sales", {"sales": second}, 1)])
    got = ws.read("sales")
    assert got["units"].tolist() == [12.0]
    assert got["revenue"].isna().all()  # the newer report replaces the day as a whole


def test_inventory_reports_of_one_day_complete_each_other(ws: Workspace) -> None:
    # Manage FBA Inventory knows reserved; the Inventory planning report of the same day does
    # not. Importing the planning report after it must not blank reserved.
    day = pd.Timestamp("2025-03-01")
    manage = pd.DataFrame(
        {
            "snapshot_date": [day],
            "sku": ["A"],
            "location": ["FBA"],
            "available": [100.0],
            "inbound": [40.0],
            "reserved": [5.0],
        }
    )
    planning = pd.DataFrame(
        {"snapshot_date": [day], "sku": ["A"], "location": ["FBA"], "available": [90.0]}
    )
    ws.import_files([ParsedFile("manage.txt", "k", "Inventory", {"inventory": manage}, 1)])
    ws.import_files([ParsedFile("plan.csv", "k", "Inventory", {"inventory": planning}, 1)])
    got = ws.read("inventory")
    assert got["available"].tolist() == [90.0]
    assert got["reserved"].tolist() == [5.0]
    assert got["inbound"].tolist() == [40.0]


def test_missing_text_key_parts_still_deduplicate(ws: Workspace) -> None:
    # A sales row without a channel must not be added again on re-import (SQLite NULLs in a
    # UNIQUE key never conflict, so the store writes '').
    df = pd.DataFrame({"date": [pd.Timestamp("2025-03-01")], "sku": ["A"], "units": [5.0]})
    for _ in range(2):
        ws.import_files([ParsedFile("s.csv", "k", "Sales", {"sales": df.copy()}, 1)])
    assert ws.read("sales")["units"].sum() == 5


def test_a_value_that_does_not_convert_is_an_error_not_a_null(ws: Workspace) -> None:
    bad = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-03-01", "2025-03-02"]),
            "sku": ["A", "A"],
            "units": pd.Series(["3", "three"], dtype=object),
        }
    )
    with pytest.raises(InputError) as err:
        ws.import_files([ParsedFile("bad.csv", "k", "Sales", {"sales": bad}, 2)])
    assert err.value.file == "bad.csv"
    assert err.value.column == "units"
    assert "'three'" in str(err.value) and "row 2" in str(err.value)
    assert ws.row_counts()["sales"] == 0


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("sponsored", "maybe", "true or false"),
        ("created", "31/02/2025", "a date"),
        ("price", "$12,99 each", "a number"),
    ],
)
def test_each_column_type_rejects_what_it_cannot_hold(
    ws: Workspace, column: str, value: str, expected: str
) -> None:
    df = pd.DataFrame(
        {
            "snapshot_date": pd.to_datetime(["2025-03-01"] * 2),
            "search": "x",
            "asin": ["B01", "B02"],
            "sponsored": [True, False],
            "created": ["2011-03-22", None],
            "price": [12.99, None],
        }
    )
    df[column] = df[column].astype(object)
    df.loc[1, column] = value
    with pytest.raises(InputError) as err:
        ws.import_files([ParsedFile("xray.csv", "k", "Xray", {"competitors": df}, 2)])
    assert (err.value.file, err.value.column, err.value.expected) == ("xray.csv", column, expected)
    assert f"{value!r}" in str(err.value) and "row 2" in str(err.value)


def test_timezone_aware_dates_keep_their_calendar_day(ws: Workspace) -> None:
    df = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-03-01T23:30:00-08:00"]).tz_convert("America/Los_Angeles"),
            "sku": ["A"],
            "units": [1.0],
        }
    )
    ws.import_files([ParsedFile("tz.csv", "k", "Sales", {"sales": df}, 1)])
    assert ws.read("sales")["date"].tolist() == [pd.Timestamp("2025-03-01")]


def test_a_missing_date_in_a_key_is_an_error(ws: Workspace) -> None:
    bad = pd.DataFrame(
        {"date": pd.to_datetime(["2025-03-01", None]), "sku": ["A", "B"], "units": [1.0, 2.0]}
    )
    with pytest.raises(InputError, match="column 'date'"):
        ws.import_files([ParsedFile("nodate.csv", "k", "Sales", {"sales": bad}, 2)])


def test_a_date_beyond_what_the_store_can_read_is_an_error(ws: Workspace) -> None:
    bad = pd.DataFrame(
        {"sku": ["A"], "start": ["2025-03-01"], "end": ["9999-12-31"], "name": ["forever"]}
    )
    with pytest.raises(InputError, match="'9999-12-31'.*expected a date"):
        ws.import_files([ParsedFile("promo.csv", "k", "Promotions", {"promotions": bad}, 1)])


def test_info_summarises_what_is_loaded(ws: Workspace) -> None:
    assert ws.info()["sales_first_date"] is None
    pf = sales_file("march.csv", range(5, 16), sku="A")
    pf.warnings = ["3 rows with N/A price"]
    pf.notes = ["2 rows with negative units counted as returns"]
    inv = pd.DataFrame(
        {
            "snapshot_date": [pd.Timestamp("2025-03-15")] * 2,
            "sku": ["A", "Z"],
            "location": ["FBA", "FBA"],
            "available": [10.0, 0.0],
        }
    )
    ws.import_files([pf, ParsedFile("inv.csv", "k", "FBA Inventory", {"inventory": inv}, 2)])
    info = ws.info()
    assert info["skus"] == 2  # A (sales + inventory) and Z (inventory only)
    assert (info["sales_first_date"], info["sales_last_date"]) == ("2025-03-05", "2025-03-15")
    assert info["row_counts"]["sales"] == 11 and info["row_counts"]["inventory"] == 2
    assert [(s["file"], s["format"], s["rows_loaded"]) for s in info["sources"]] == [
        ("march.csv", "Generic sales table", 11),
        ("inv.csv", "FBA Inventory", 2),
    ]
    assert info["problems"] == ["march.csv: 3 rows with N/A price"]
    assert info["notes"] == ["march.csv: 2 rows with negative units counted as returns"]


# -- All Orders lines and the sales rebuilt from them --------------------------------------------


def orders_file(name: str, lines: list[tuple], sku: str = "A") -> ParsedFile:
    """An All Orders report as its parser hands it over; ``lines`` holds
    (order id, day, units, revenue, cancelled) per line, one SKU, channel Amazon.com."""
    df = pd.DataFrame(lines, columns=["order_id", "date", "units", "revenue", "cancelled"])
    df["date"] = pd.to_datetime(df["date"])
    df = df.assign(
        sku=sku, line=1, channel="Amazon.com", returns=0.0, currency="USD", status="Shipped"
    )
    return ParsedFile(
        name,
        "amazon_all_orders",
        "Amazon All Orders report",
        {"order_lines": df},
        rows_read=len(df),
    )


def daily(ws: Workspace) -> dict[str, tuple[float, float]]:
    sales = ws.read("sales")
    return {
        d.strftime("%Y-%m-%d"): (u, r)
        for d, u, r in zip(sales["date"], sales["units"], sales["revenue"], strict=True)
    }


MORNING = orders_file(
    "orders_1.txt",
    [
        ("O0", "2026-10-14", 3.0, 30.0, False),
        ("O1", "2026-10-15", 2.0, 20.0, False),
        ("O2", "2026-10-15", 1.0, 10.0, False),
    ],
)
AFTERNOON = orders_file(
    "orders_2.txt",
    [
        ("O2", "2026-10-15", 1.0, 10.0, False),  # the same order in both reports
        ("O3", "2026-10-15", 4.0, 40.0, False),
        ("O4", "2026-10-16", 1.0, 10.0, False),
    ],
)


def test_two_reports_that_share_a_day_add_up_and_an_order_in_both_counts_once(
    ws: Workspace,
) -> None:
    # 2026-10-15: O1 + O2 + O3 = 2 + 1 + 4 = 7 units, 70.00; replacing the day by the later
    # report would give 5, adding the reports up would count O2 twice (8).
    expected = {"2026-10-14": (3.0, 30.0), "2026-10-15": (7.0, 70.0), "2026-10-16": (1.0, 10.0)}
    ws.import_files([MORNING])
    ws.import_files([AFTERNOON])
    assert daily(ws) == expected
    ws.import_files([AFTERNOON, MORNING])  # again, in the other order, in one transaction
    assert daily(ws) == expected
    assert ws.row_counts()["order_lines"] == 5
    price = ws.read("sales").set_index("date").loc[pd.Timestamp("2026-10-15"), "price"]
    assert price == pytest.approx(70.0 / 7)


def test_an_order_cancelled_in_a_later_report_stops_counting(ws: Workspace) -> None:
    ws.import_files([MORNING])
    cancelled = orders_file(
        "orders_2.txt",
        [("O1", "2026-10-15", 2.0, 20.0, True), ("O0", "2026-10-14", 3.0, 30.0, True)],
    )
    ws.import_files([cancelled])
    # 2026-10-15 keeps O2 only; 2026-10-14 had only O0: no sales row is left for it.
    assert daily(ws) == {"2026-10-15": (1.0, 10.0)}


def test_a_line_that_moves_to_another_day_leaves_the_old_day(ws: Workspace) -> None:
    ws.import_files([MORNING])
    moved = orders_file("orders_2.txt", [("O1", "2026-10-16", 2.0, 20.0, False)])
    ws.import_files([moved])
    assert daily(ws) == {
        "2026-10-14": (3.0, 30.0),
        "2026-10-15": (1.0, 10.0),
        "2026-10-16": (2.0, 20.0),
    }


def test_order_lines_rebuild_only_the_days_sku_and_channel_they_touch(ws: Workspace) -> None:
    history = sales_file("history.csv", range(13, 17), units=lambda d: 100.0, month="2026-10")
    other = sales_file("other.csv", range(15, 16), units=lambda d: 50.0, sku="B", month="2026-10")
    ws.import_files([history, other])
    ws.import_files([MORNING])
    # SKU A on the 14th and 15th now comes from the order lines; the 13th, the 16th and SKU B
    # keep the figures of the sales tables.
    got = ws.read("sales").set_index(["sku", "date"])["units"].to_dict()
    assert got == {
        ("A", pd.Timestamp("2026-10-13")): 100.0,
        ("A", pd.Timestamp("2026-10-14")): 3.0,
        ("A", pd.Timestamp("2026-10-15")): 3.0,
        ("A", pd.Timestamp("2026-10-16")): 100.0,
        ("B", pd.Timestamp("2026-10-15")): 50.0,
    }


# -- Business Report periods -----------------------------------------------------------------------


def traffic_file(name: str, start: str, end: str, sessions: dict[str, float]) -> ParsedFile:
    df = pd.DataFrame(
        {
            "period_start": pd.Timestamp(start),
            "period_end": pd.Timestamp(end),
            "sku": list(sessions),
            "sessions": list(sessions.values()),
        }
    )
    return ParsedFile(
        name, "amazon_business_report", "Business Report", {"traffic": df}, rows_read=len(df)
    )


def test_a_business_report_replaces_the_stored_periods_it_overlaps(ws: Workspace) -> None:
    ws.import_files(
        [
            traffic_file("sep.csv", "2026-09-02", "2026-10-01", {"A": 90.0}),
            traffic_file("oct.csv", "2026-10-02", "2026-10-31", {"A": 100.0, "B": 200.0}),
        ]
    )
    # The same October report downloaded a day later for SKU A: it overlaps A's October
    # period (10-03..10-31 is in both), not September's; B is not in it and keeps its row.
    ws.import_files([traffic_file("oct2.csv", "2026-10-03", "2026-11-01", {"A": 104.0})])
    got = ws.read("traffic")
    rows = {
        (r.sku, r.period_start.strftime("%m-%d"), r.period_end.strftime("%m-%d")): r.sessions
        for r in got.itertuples()
    }
    assert rows == {
        ("A", "09-02", "10-01"): 90.0,
        ("A", "10-03", "11-01"): 104.0,
        ("B", "10-02", "10-31"): 200.0,
    }
    # Summing A's October sessions now counts the month once: 104, not 100 + 104.
    assert got.loc[got["sku"] == "A", "sessions"].sum() == 90.0 + 104.0


# -- atomicity of a multi-file import ----------------------------------------------------------


def seeded(ws: Workspace) -> Workspace:
    ws.import_files([sales_file("old.csv", range(1, 8))])
    ws.save_settings(Settings(launch_cover_days=40))
    ws.set_override("A", "stage", "growth")
    return ws


def test_a_bad_second_file_leaves_the_workspace_exactly_as_before(ws: Workspace) -> None:
    seeded(ws)
    before = dump(ws)
    good = sales_file("good.csv", range(1, 31), sku="B")
    bad_df = pd.DataFrame(
        {
            "snapshot_date": pd.to_datetime(["2025-03-01"]),
            "sku": ["B"],
            "location": ["FBA"],
            "available": pd.Series(["lots"], dtype=object),
        }
    )
    bad = ParsedFile("bad.csv", "k", "Inventory", {"inventory": bad_df}, 1)
    with pytest.raises(InputError, match="bad.csv.*column 'available'"):
        ws.import_files([good, bad])
    assert dump(ws) == before


def test_a_crash_in_the_middle_of_writing_leaves_the_workspace_as_before(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded(ws)
    before = dump(ws)
    real_upsert = Workspace._upsert
    calls = []

    def upsert_then_fail(self, con, table, df, source_id):
        calls.append(table)
        if len(calls) == 2:
            raise RuntimeError("disk unplugged")
        real_upsert(self, con, table, df, source_id)

    monkeypatch.setattr(Workspace, "_upsert", upsert_then_fail)
    with pytest.raises(RuntimeError, match="disk unplugged"):
        ws.import_files(
            [
                sales_file("one.csv", range(1, 31), sku="B"),
                sales_file("two.csv", range(1, 31), sku="C"),
            ]
        )
    assert calls == ["sales", "sales"]  # the first file had really been written
    assert dump(ws) == before


def test_a_failing_generator_of_parsed_files_leaves_nothing_behind(ws: Workspace) -> None:
    seeded(ws)
    before = dump(ws)

    def parse_lazily():
        yield sales_file("one.csv", range(1, 31), sku="B")
        raise InputError("bad date", file="two.csv", row=5, column="date")

    with pytest.raises(InputError, match="two.csv, row 5"):
        ws.import_files(parse_lazily())
    assert dump(ws) == before


def test_an_unknown_table_is_rejected_before_anything_lands(ws: Workspace) -> None:
    seeded(ws)
    before = dump(ws)
    pf = ParsedFile("odd.csv", "k", "Odd", {"orders": pd.DataFrame({"sku": ["A"]})}, 1)
    with pytest.raises(InputError, match="odd.csv.*'orders' is not a stockcycle table"):
        ws.import_files([sales_file("ok.csv", range(1, 5), sku="B"), pf])
    assert dump(ws) == before


# -- settings and overrides ----------------------------------------------------------------------


def stored_settings(ws: Workspace) -> dict[str, object]:
    con = sqlite3.connect(ws.db_path)
    try:
        return {n: json.loads(v) for n, v in con.execute("SELECT name, value FROM settings")}
    finally:
        con.close()


def test_settings_round_trip_and_only_changes_are_stored(ws: Workspace) -> None:
    assert ws.settings() == Settings()
    changed = Settings(launch_cover_days=45, stockout_probability=0.02, currency="EUR")
    ws.save_settings(changed)
    assert Workspace.open(ws.path, create=False).settings() == changed
    assert stored_settings(ws) == {
        "launch_cover_days": 45,
        "stockout_probability": 0.02,
        "currency": "EUR",
    }
    # Back to a default: nothing of it is stored any more, so a new default would reach it.
    ws.save_settings(Settings(launch_cover_days=45))
    assert stored_settings(ws) == {"launch_cover_days": 45}
    ws.save_settings(Settings())
    assert stored_settings(ws) == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [('"abc"', "a whole number"), ("2.5", "a whole number"), ("0", "between 1 and 365")],
)
def test_an_invalid_stored_setting_is_an_input_error(
    ws: Workspace, value: str, expected: str
) -> None:
    con = sqlite3.connect(ws.db_path)
    with con:
        con.execute("INSERT INTO settings VALUES ('launch_cover_days', ?)", (value,))
    con.close()
    with pytest.raises(InputError, match="launch_cover_days") as err:
        ws.settings()
    assert expected in str(err.value)


def test_a_setting_from_an_older_version_is_ignored(ws: Workspace) -> None:
    con = sqlite3.connect(ws.db_path)
    with con:
        con.execute("INSERT INTO settings VALUES ('retired_setting', '3')")
    con.close()
    assert ws.settings() == Settings()


def test_overrides_set_update_filter_and_clear(ws: Workspace) -> None:
    assert ws.overrides() == {}
    ws.set_override("A", "stage", "growth")
    ws.set_override("A", "lead_time_days", 45)
    ws.set_override("B", "stage", "decline")
    ws.set_override("A", "stage", "maturity")  # a second choice replaces the first
    assert ws.overrides() == {
        "A": {"stage": "maturity", "lead_time_days": 45},
        "B": {"stage": "decline"},
    }
    assert ws.overrides("stage") == {"A": {"stage": "maturity"}, "B": {"stage": "decline"}}
    ws.clear_override("A", "stage")
    ws.clear_override("Q", "stage")  # clearing what is not there is harmless
    assert ws.overrides() == {"A": {"lead_time_days": 45}, "B": {"stage": "decline"}}


# -- plans, alerts, results, cache ---------------------------------------------------------------


def plan_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sku": pd.Series(["007", "B-2"], dtype="string"),
            "order_date": pd.to_datetime(["2025-04-01", "2025-05-15"]),
            "units": pd.Series([1200, pd.NA], dtype="Int64"),
            "unit_cost": [4.1, 0.1 + 0.2],  # 0.30000000000000004 must survive exactly
            "air": pd.Series([True, pd.NA], dtype="boolean"),
            "note": pd.Series(["first, of two", ""], dtype="string"),
        }
    )


def test_plans_round_trip_with_their_types(ws: Workspace) -> None:
    table = plan_table()
    first = ws.save_plan("launch", "Spring launch", table, {"lift": 1.5, "start": date(2025, 4, 1)})
    second = ws.save_plan("restock", "May restock", table.head(1))
    assert second != first
    params, got = ws.load_plan(first)
    assert params == {"lift": 1.5, "start": "2025-04-01"}
    # An empty text cell reads back as missing: CSV cannot tell the two apart.
    expected = table.copy()
    expected.loc[1, "note"] = pd.NA
    pd.testing.assert_frame_equal(got, expected)
    listing = ws.plans()
    assert listing["name"].tolist() == ["May restock", "Spring launch"]  # newest first
    assert ws.plans("launch")["id"].tolist() == [first]
    with pytest.raises(InputError, match="no saved plan with id 999"):
        ws.load_plan(999)


def test_alerts_are_logged_newest_first(ws: Workspace) -> None:
    ws.log_alert("R-M4", "A", "warning", "A has 4.2 months of stock", {"months": 4.2})
    ws.log_alert("R-A1", None, "info", "daily check ran")
    alerts = ws.alerts()
    assert alerts["rule"].tolist() == ["R-A1", "R-M4"]
    assert alerts["sku"].isna().tolist() == [True, False]
    assert alerts["severity"].tolist() == ["info", "warning"]
    assert json.loads(alerts["payload"].iloc[1]) == {"months": 4.2}


def test_results_round_trip_and_replace(ws: Workspace) -> None:
    assert ws.load_result("backtest") is None
    ws.save_result("backtest", plan_table(), {"horizon": 28})
    ws.save_result("backtest", plan_table().head(1), {"horizon": 14})
    params, got = ws.load_result("backtest")
    assert params == {"horizon": 14}
    pd.testing.assert_frame_equal(got, plan_table().head(1))


def test_cache_round_trip_by_namespace(ws: Workspace) -> None:
    items = {f"k{i}": f"value {i}".encode() for i in range(1200)}  # more than one SQL batch
    ws.cache_put_many("forecast", items)
    ws.cache_put_many("other", {"k1": b"other"})
    got = ws.cache_get_many("forecast", [*items, "absent"])
    assert got == items
    assert ws.cache_get_many("other", ["k1", "k2"]) == {"k1": b"other"}
    ws.cache_put_many("forecast", {"k1": b"new"})
    assert ws.cache_get_many("forecast", ["k1"]) == {"k1": b"new"}
    ws.cache_clear("forecast")
    assert ws.cache_get_many("forecast", list(items)) == {}
    assert ws.cache_get_many("other", ["k1"]) == {"k1": b"other"}


def test_a_saved_table_that_does_not_convert_back_is_an_input_error(ws: Workspace) -> None:
    # A workspace file edited by hand: the recorded dtype no longer fits the stored text. The
    # load must say so instead of handing back a text column where numbers are expected.
    plan_id = ws.save_plan("launch", "edited", plan_table())
    con = sqlite3.connect(ws.db_path)
    with con:
        con.execute("UPDATE plans SET table_csv = replace(table_csv, '1200', 'twelve hundred')")
    con.close()
    with pytest.raises(InputError) as err:
        ws.load_plan(plan_id)
    assert err.value.column == "units"
    assert f"the saved plan {plan_id} cannot be read back" in str(err.value)
    assert "Int64" in str(err.value)


def test_plans_and_results_tables_keep_dtypes_from_creation(ws: Workspace) -> None:
    con = sqlite3.connect(ws.db_path)
    try:
        for table in ("plans", "results"):
            cols = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
            assert "dtypes" in cols
        assert "notes" in {r[1] for r in con.execute("PRAGMA table_info(imports)")}
    finally:
        con.close()


def test_no_temp_files_are_left_after_writes(ws: Workspace) -> None:
    ws.import_files([sales_file("s.csv", range(1, 10))])
    ws.save_settings(Settings(launch_cover_days=31))
    assert sorted(p.name for p in ws.path.iterdir()) == [DB_FILE]
    assert store.home_dir()  # the module stays importable without STOCKCYCLE_HOME


def test_read_accepts_more_skus_than_sqlite_has_parameters(ws: Workspace) -> None:
    wanted = [f"S{i}" for i in range(40_000)]  # SQLite allows at most 32,766 parameters
    ws.import_files(
        [
            sales_file("a.csv", range(1, 3), sku="S39999"),
            sales_file("b.csv", range(1, 4), sku="other"),
        ]
    )
    got = ws.read("sales", skus=wanted)
    assert got["sku"].tolist() == ["S39999", "S39999"]
    assert ws.read("sales", skus=[]).empty


def test_reset_empties_the_workspace(tmp_path) -> None:
    ws = Workspace.open(tmp_path / "w")
    day = pd.Timestamp("2025-03-01")
    sales = pd.DataFrame({"date": [day], "sku": ["A"], "channel": ["Amazon.com"], "units": [3.0]})
    ws.import_files([ParsedFile("s.csv", "k", "Sales", {"sales": sales}, 1)])
    ws.set_override("A", "stage", "exit")
    fresh = ws.reset()
    assert fresh.row_counts()["sales"] == 0
    assert fresh.imports().empty
    assert fresh.overrides() == {}
