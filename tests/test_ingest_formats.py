"""Every format and variant on small handwritten files whose totals are checked by hand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from stockcycle.errors import InputError
from stockcycle.ingest import FORMATS, TARGETS, SearchNeeded, parse_file
from stockcycle.schema import TABLES, empty_frame
from stockcycle.store import Workspace

GOOD = Path(__file__).parent / "data" / "good"
AS_OF = date(2025, 4, 1)


def parse(name: str, **kw):
    if name.startswith("xray"):
        kw.setdefault("search", "silicone baking mat")
    return parse_file(GOOD / name, as_of=kw.pop("as_of", AS_OF), **kw)


def row(df: pd.DataFrame, **match) -> pd.Series:
    sel = df
    for k, v in match.items():
        sel = sel[sel[k] == (pd.Timestamp(v) if isinstance(v, date) else v)]
    assert len(sel) == 1, f"{match}: {len(sel)} rows"
    return sel.iloc[0]


@pytest.mark.parametrize(
    "name", sorted(p.name for p in GOOD.iterdir() if p.name != "my_sales_export.csv")
)
def test_tables_have_exactly_the_schema_columns_and_dtypes(name: str):
    pf = parse(name)
    assert pf.tables
    for table, df in pf.tables.items():
        template = empty_frame(table)
        assert list(df.columns) == list(TABLES[table].columns)
        assert dict(df.dtypes) == dict(template.dtypes), table
        key = list(TABLES[table].key)
        assert not df.duplicated(key).any(), f"{table} key not unique"


@pytest.mark.parametrize(
    "name", ["all_orders.txt", "all_orders_utf16le.txt", "all_orders_utf16be.txt"]
)
def test_all_orders_lines_and_daily_totals(name: str, tmp_path: Path):
    """Hand totals: see the lines of all_orders.txt.

    10 lines, one an identical copy -> 9 order lines kept, 2 of them cancelled.
    2025-03-01 MAT Amazon.com: 2 + 1 units (the -08:00 line stays on its local day), the
    cancelled line excluded -> 3 units, 25.98 + 12.99 = 38.97. Non-Amazon: 3 units, 36.00.
    2025-03-02 MAT: one line of 1 (its duplicate dropped) and a return of 1 -> units 1,
    returns 1, revenue 13.49. TOWEL 2025-03-02: 4 (no price) + 2 units, revenue 19.90.
    TOWEL 2025-03-01 has only an item-cancelled line -> no row."""
    pf = parse(name)
    assert pf.kind == "amazon_all_orders"
    lines = pf.tables["order_lines"]
    assert len(lines) == 9 and pf.rows_read == 10
    assert lines["cancelled"].sum() == 2
    assert set(lines.loc[lines["cancelled"], "order_id"]) == {"111-0000003", "111-0000009"}
    assert lines["line"].tolist() == [1] * 9  # no order holds one SKU twice
    ret = row(lines, order_id="111-0000006")
    assert (ret.units, ret.returns, ret.revenue) == (0, 1, 0)
    assert pd.isna(row(lines, order_id="111-0000007").revenue)  # pending: no price yet
    notes, problems = " ".join(pf.notes), " ".join(pf.warnings)
    for part in ("2 cancelled order lines", "1 return lines"):
        assert part in notes and part not in problems
    for part in ("1 duplicated order lines dropped", "1 order lines with no item-price"):
        assert part in problems and part not in notes
    products = pf.tables["products"].set_index("sku")
    assert products.loc["NW-MAT-01", "title"] == 'Silicone Baking Mat 16.5" x 11.6"'
    assert products.loc["NW-TOWEL-02", "asin"] == "B0TOWEL002"

    ws = Workspace.open(tmp_path / "ws")
    ws.import_files([pf])
    sales = ws.read("sales")
    assert len(sales) == 4
    r = row(sales, date=date(2025, 3, 1), sku="NW-MAT-01", channel="Amazon.com")
    assert (r.units, r.returns, r.revenue, r.price) == (
        3,
        0,
        pytest.approx(38.97),
        pytest.approx(12.99),
    )
    r = row(sales, date=date(2025, 3, 1), sku="NW-MAT-01", channel="Non-Amazon")
    assert (r.units, r.revenue, r.price) == (3, 36.0, 12.0)
    r = row(sales, date=date(2025, 3, 2), sku="NW-MAT-01", channel="Amazon.com")
    assert (r.units, r.returns, r.revenue) == (1, 1, pytest.approx(13.49))
    r = row(sales, date=date(2025, 3, 2), sku="NW-TOWEL-02")
    assert (r.units, r.revenue) == (6, pytest.approx(19.90))
    assert pytest.approx(r.price) == 19.90 / 6
    assert set(sales["currency"]) == {"USD"}


def test_the_same_sku_twice_in_one_order_is_two_lines(tmp_path: Path):
    text = (GOOD / "all_orders.txt").read_text(encoding="utf-8").splitlines()
    header, first = text[0], text[1]  # order 111-0000001: 2 mats for 25.98
    second = first.replace("\t2\tUSD\t25.98\t", "\t1\tUSD\t11.99\t")  # a 2nd line, on offer
    assert second != first
    f = tmp_path / "orders.txt"
    f.write_text("\n".join([header, first, second]) + "\n", encoding="utf-8")
    lines = parse_file(f).tables["order_lines"]
    assert lines["line"].tolist() == [1, 2]
    ws = Workspace.open(tmp_path / "ws")
    for _ in range(2):  # the same report twice still counts each line once
        ws.import_files([parse_file(f)])
    sales = ws.read("sales")
    assert (sales["units"].tolist(), sales["revenue"].tolist()) == ([3.0], [pytest.approx(37.97)])


def test_business_report_without_dates_covers_the_30_days_ending_on_as_of():
    # as of 2025-04-01: 2025-03-03 .. 2025-04-01 inclusive is 29 days of March + 1 of April.
    pf = parse("business_report.csv")
    assert pf.kind == "amazon_business_report"
    assert set(pf.tables) == {"traffic", "products"}
    t = pf.tables["traffic"]
    assert (t["period_start"] == pd.Timestamp("2025-03-03")).all()
    assert (t["period_end"] == pd.Timestamp("2025-04-01")).all()
    assert any("30 days 2025-03-03 to 2025-04-01" in w for w in pf.warnings)
    r = row(t, sku="NW-MAT-01")
    # 'Sessions – Total' (1,234), never 'Sessions – Total – B2B' (12).
    assert (r.sessions, r.page_views, r.units, r.revenue) == (1234, 2000, 150, 1948.50)
    assert r.buy_box_pct == pytest.approx(0.985)
    assert r.conversion_pct == pytest.approx(0.1216)
    assert r.parent_asin == "B0PARENT01"
    assert t["units"].sum() == 150 + 30 + 7


def test_business_report_with_given_period_has_no_warning():
    pf = parse("business_report.csv", period=(date(2025, 1, 1), date(2025, 1, 31)))
    assert not pf.warnings
    assert (pf.tables["traffic"]["period_start"] == pd.Timestamp("2025-01-01")).all()


def test_business_report_old_headers():
    pf = parse("business_report_old.csv")
    r = row(pf.tables["traffic"], sku="NW-MAT-01")
    assert (r.sessions, r.page_views, r.buy_box_pct, r.units, r.revenue) == (
        1000,
        1500,
        pytest.approx(0.9),
        100,
        1299.0,
    )


@pytest.mark.parametrize("name", ["business_report_by_date.csv", "business_report_by_date.xlsx"])
def test_business_report_by_date_fills_traffic_and_sales(name: str):
    pf = parse(name)
    assert pf.kind == "amazon_business_report_by_date"
    sales = pf.tables["sales"]
    assert len(sales) == 3 and set(sales["channel"]) == {"Amazon.com"}
    r = row(sales, date=date(2025, 1, 16), sku="NW-MAT-01")
    assert (r.units, r.revenue, r.price) == (12, pytest.approx(155.88), pytest.approx(12.99))
    assert sales["units"].sum() == 27
    t = row(pf.tables["traffic"], period_start=date(2025, 1, 15), sku="NW-MAT-02")
    assert (t.sessions, t.buy_box_pct, t.conversion_pct) == (50, 1.0, pytest.approx(0.10))
    assert not pf.warnings


@pytest.mark.parametrize("name", ["fba_inventory.txt", "fba_inventory_comma.csv"])
def test_manage_fba_inventory(name: str):
    pf = parse(name)
    inv = pf.tables["inventory"]
    assert (inv["snapshot_date"] == pd.Timestamp(AS_OF)).all()
    assert set(inv["location"]) == {"FBA"}
    r = row(inv, sku="NW-MAT-01")
    assert (r.available, r.inbound, r.reserved, r.unfulfillable) == (300, 10 + 20 + 0, 15, 5)
    assert row(inv, sku="NW-MAT-02").inbound == 50 + 0 + 25
    assert row(inv, sku="NW-TOWEL-02").inbound == 0  # blank inbound cells are none inbound
    p = pf.tables["products"].set_index("sku")
    assert (p.loc["NW-MAT-01", "price"], p.loc["NW-MAT-01", "cubic_feet"]) == (12.99, 0.12)
    assert pf.as_of == AS_OF


def test_restock_inventory():
    inv = parse("restock.csv").tables["inventory"]
    r = row(inv, sku="NW-MAT-01")
    assert (r.available, r.inbound, r.reserved, r.unfulfillable) == (300, 30, 4 + 6 + 5, 5)
    assert row(inv, sku="NW-TOWEL-02").reserved == 5


def test_inventory_planning_aging_buckets():
    pf = parse("inventory_planning.csv")
    aging = pf.tables["aging"]
    assert list(aging[aging["sku"] == "NW-OLD-09"]["bucket"]) == [
        "0-90",
        "91-180",
        "181-270",
        "271-365",
        "365+",
    ]
    old = aging[aging["sku"] == "NW-OLD-09"].set_index("bucket")["units"]
    assert (old["181-270"], old["271-365"], old["365+"]) == (20, 40, 60)
    assert aging.groupby("sku")["units"].sum().to_dict() == {"NW-MAT-01": 300, "NW-OLD-09": 120}
    assert (aging["snapshot_date"] == pd.Timestamp("2025-03-31")).all()
    assert pf.as_of is None  # the report carries its date
    inv = pf.tables["inventory"]
    assert row(inv, sku="NW-MAT-01").inbound == 30


def test_inventory_planning_without_snapshot_date_uses_as_of():
    pf = parse("inventory_planning_no_date.csv", as_of=date(2025, 5, 5))
    assert (pf.tables["aging"]["snapshot_date"] == pd.Timestamp("2025-05-05")).all()
    assert pf.as_of == date(2025, 5, 5)


def test_xray_new_layout():
    pf = parse("xray_new.csv", search="silicone baking mat")
    c = pf.tables["competitors"]
    assert len(c) == 5
    assert set(c["search"]) == {"silicone baking mat"}
    assert (c["snapshot_date"] == pd.Timestamp(AS_OF)).all()
    assert c["monthly_sales"].sum() == 3000 + 2400 + 800 + 1100 + 650
    # Parent Level Sales is kept on each child, never added up.
    assert list(c.loc[c["brand"] == "BakeWell", "parent_sales"]) == [5400, 5400]
    assert set(c.loc[c["sponsored"], "asin"]) == {"B0BBB00003", "B0CCC00004"}
    # A neutral fact, not a data problem.
    assert pf.notes == ["2 sponsored rows kept and marked sponsored"] and not pf.warnings
    r = row(c, asin="B0CCC00004")
    assert r.title == "Pastry Mat" and pd.isna(r.rating) and pd.isna(r.created)
    r = row(c, asin="B0AAA00001")
    assert (r.price, r.revenue, r.bsr, r.fees, r.reviews, r.rating, r.sellers) == (
        12.99,
        38970,
        1234,
        4.5,
        12345,
        4.6,
        3,
    )
    assert r.created == pd.Timestamp("2011-03-22") and r.currency == "USD"
    assert row(c, asin="B0DDD00005").created == pd.Timestamp("2020-02-29")


def test_xray_currency_from_header():
    c = parse("xray_new_au.csv").tables["competitors"]
    assert set(c["currency"]) == {"AUD"}
    assert row(c, asin="B0AU000001").price == 19.95


@pytest.mark.parametrize("search", [None, "", "   "])
def test_xray_without_a_search_name_is_refused(search):
    with pytest.raises(SearchNeeded) as info:
        parse_file(GOOD / "xray_new.csv", search=search)
    message = str(info.value)
    assert message.startswith(
        "xray_new.csv: Helium 10 Xray export: say which search it was "
        "taken on (--search in the command line, 'Search' on the Data "
        "page)"
    )
    assert isinstance(info.value, InputError)


def test_xray_snapshots_on_different_dates_differ():
    a = parse("xray_new.csv", as_of=date(2025, 3, 1)).tables["competitors"]
    b = parse("xray_new.csv", as_of=date(2025, 4, 1)).tables["competitors"]
    assert a["snapshot_date"].iloc[0] != b["snapshot_date"].iloc[0]


def test_xray_old_layout():
    pf = parse("xray_old.csv")
    assert pf.kind == "helium10_xray_old"
    r = row(pf.tables["competitors"], asin="B0AAA00001")
    assert (r.monthly_sales, r.revenue, r.fees, r.sellers) == (2900, 37671, 4.45, 3)


def test_cerebro_keywords():
    pf = parse("cerebro.csv")
    k = pf.tables["keywords"].set_index("keyword")
    assert k.loc["silicone baking mat", "search_volume"] == 45210
    assert k.loc["silicone baking mat", "competing_products"] == 306
    assert k.loc["silicone baking mat", "trend"] == pytest.approx(0.25)
    assert k.loc["baking mat", "trend"] == pytest.approx(-0.03)
    assert k.loc["baking mat", "competing_products"] == 1234
    assert any(">306" in n for n in pf.notes) and not pf.warnings


def test_keyword_tracker():
    pf = parse("keyword_tracker.csv")
    assert pf.kind == "helium10_keyword_tracker"
    assert pf.tables["keywords"]["search_volume"].tolist() == [45210, 3400]


def test_generic_sales_returns_defaults_and_fill_ins():
    pf = parse("sales.csv")
    s = pf.tables["sales"]
    assert row(s, date=date(2025, 1, 1), channel="Amazon.com").price == pytest.approx(12.99)
    assert row(s, date=date(2025, 1, 1), channel="Non-Amazon").revenue == 12.0
    r = row(s, date=date(2025, 1, 2), sku="NW-MAT-01")
    assert (r.units, r.returns, r.channel) == (0, 1, "Amazon.com")
    assert any("negative units counted as returns" in n for n in pf.notes)
    assert not pf.warnings


def test_generic_inventory_defaults():
    inv = parse("inventory.csv").tables["inventory"]
    r = row(inv, sku="NW-TOWEL-02")
    assert (r.location, r.snapshot_date) == ("FBA", pd.Timestamp(AS_OF))
    assert row(inv, sku="NW-MAT-01", location="3PL").available == 120


def test_generic_products_shares_and_numbers():
    p = parse("products.csv").tables["products"].set_index("sku")
    assert p.loc["NW-MAT-01", "referral_pct"] == pytest.approx(0.15)  # '15%'
    assert p.loc["NW-TOWEL-02", "referral_pct"] == pytest.approx(0.15)  # '0.15'
    assert p.loc["NW-MAT-01", "launch_date"] == pd.Timestamp("2024-05-01")
    assert p.loc["NW-TOWEL-02", "moq"] == 1000


def test_generic_keywords_promotions_purchase_orders():
    k = parse("keywords.csv").tables["keywords"].set_index("keyword")
    assert (k.loc["silicone baking mat", "competing_products"], k.loc["baking mat", "trend"]) == (
        306,
        pytest.approx(-0.05),
    )
    pr = parse("promotions.csv").tables["promotions"]
    assert pr["expected_lift"].tolist() == [pytest.approx(0.5), pytest.approx(0.8)]
    po = parse("purchase_orders.csv").tables["purchase_orders"]
    assert po["units"].sum() == 2100
    assert pd.isna(row(po, po="PO-1002").eta)


def test_xlsx_first_sheet_with_excel_dates():
    s = parse("sales.xlsx").tables["sales"]
    assert s["units"].sum() == 9
    assert s["date"].min() == pd.Timestamp("2025-01-01")


def test_semicolon_european_numbers_and_dotted_dates():
    s = parse("sales_eu_semicolon.csv").tables["sales"]
    assert s["revenue"].tolist() == [pytest.approx(1299.90), pytest.approx(25.98)]
    assert s["date"].tolist() == [pd.Timestamp("2025-01-15"), pd.Timestamp("2025-01-16")]


def test_cp1252_file_falls_back_from_utf8():
    p = parse("products_cp1252.csv").tables["products"]
    assert p["title"].iloc[0] == "Crème brûlée torch – deluxe"
    assert p["unit_cost"].iloc[0] == pytest.approx(4.10)


def test_formats_and_targets_describe_themselves():
    kinds = [f.kind for f in FORMATS]
    assert len(kinds) == len(set(kinds))
    for f in FORMATS:
        assert f.required and set(f.tables) <= set(TABLES)
    assert set(TARGETS) == {
        "sales",
        "inventory",
        "products",
        "keywords",
        "promotions",
        "purchase_orders",
    }
    for t in TARGETS.values():
        assert set(t.columns) <= set(TABLES[t.name].columns)
