"""Cleaning rules, header matching, the mapping step, progress and the store round trip."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from stockcycle.errors import InputError
from stockcycle.ingest import TARGETS, UnrecognisedFormat, parse_file, read_columns
from stockcycle.ingest.clean import Context, normalise_header, to_date, to_number, to_percent
from stockcycle.store import Workspace

GOOD = Path(__file__).parent / "data" / "good"


def col(*values: str) -> pd.Series:
    return pd.Series(list(values), index=range(2, 2 + len(values)), dtype="str")


CTX = Context(file="f.csv")


@pytest.mark.parametrize(
    "raw, value",
    [
        ("$1,299.99", 1299.99),
        ("1,299.99", 1299.99),
        ("(12.50)", -12.5),
        ("-3", -3.0),
        ("AU$19.95", 19.95),
        ("12", 12.0),
        ("1,234", 1234.0),
        ("€12.5", 12.5),
    ],
)
def test_us_style_numbers(raw: str, value: float):
    assert to_number(CTX, col(raw), "x").iloc[0] == pytest.approx(value)


@pytest.mark.parametrize(
    "values, expected",
    [
        (["€1.234,56", "12,5"], [1234.56, 12.5]),
        (["1 299,50", "3,00"], [1299.50, 3.0]),
        (["1\u00a0299,50", "1\u202f000,00"], [1299.50, 1000.0]),
        (["1.234", "2,5"], [1234.0, 2.5]),  # '1.234' in a European column is a thousand
    ],
)
def test_european_numbers_decided_per_column(values, expected):
    assert to_number(CTX, col(*values), "x").tolist() == pytest.approx(expected)


def test_same_text_reads_differently_by_its_column():
    assert to_number(CTX, col("1.234"), "x").iloc[0] == pytest.approx(1.234)
    assert to_number(CTX, col("1.234", "5,0"), "x").iloc[0] == pytest.approx(1234)


@pytest.mark.parametrize("raw", ["N/A", "n/a", "-", "--", "", "  "])
def test_missing_tokens(raw: str):
    assert to_number(CTX, col(raw), "x").isna().all()
    assert to_date(CTX, col(raw), "x").isna().all()


def test_percent():
    assert to_percent(CTX, col("12.5%", "3", "-3%"), "x").tolist() == pytest.approx(
        [0.125, 0.03, -0.03]
    )
    with pytest.raises(InputError, match=r"row 3, column 'x': '100.5%' is more than 100%"):
        to_percent(CTX, col("50%", "100.5%"), "x", maximum=1.0)


@pytest.mark.parametrize(
    "raw, day",
    [
        ("2025-01-15", "2025-01-15"),
        ("1/15/2025", "2025-01-15"),
        ("01/15/2025", "2025-01-15"),
        ("Mar 22, 2011", "2011-03-22"),
        ("March 22, 2011", "2011-03-22"),
        ("2025-03-01T14:22:05+00:00", "2025-03-01"),
        ("2025-03-01T23:30:00-08:00", "2025-03-01"),
        ("2025-03-01 14:22:05", "2025-03-01"),
        ("2025/03/01", "2025-03-01"),
        ("15.01.2025", "2025-01-15"),
    ],
)
def test_date_forms(raw: str, day: str):
    assert to_date(CTX, col(raw), "d").iloc[0] == pd.Timestamp(day)


def test_slash_dates_are_day_first_when_the_column_says_so():
    out = to_date(CTX, col("02/03/2025", "25/03/2025"), "d")
    assert out.tolist() == [pd.Timestamp("2025-03-02"), pd.Timestamp("2025-03-25")]
    assert to_date(CTX, col("02/03/2025"), "d").iloc[0] == pd.Timestamp("2025-02-03")


def test_number_error_names_row_and_column():
    with pytest.raises(InputError) as info:
        to_number(
            Context(file="o.txt", headers={"q": "quantity"}),
            col("1", "2", "abc"),
            "q",
            expected="a whole number of units",
        )
    assert str(info.value) == (
        "o.txt, row 4, column 'quantity': 'abc' is not a number (expected a whole number of units)"
    )
    assert (info.value.row, info.value.column) == (4, "quantity")


def test_header_normalisation_is_whole_name_not_substring():
    assert normalise_header("\ufeff Sessions \u2013  Total ") == "sessions - total"
    assert normalise_header("Sessions – Total – B2B") != normalise_header("Sessions - Total")
    assert normalise_header("\u201cPrice\u201d") == '"price"'


def test_b2b_column_is_never_taken_for_the_total(tmp_path: Path):
    f = tmp_path / "br.csv"
    f.write_text(
        "(Child) ASIN,SKU,Sessions - Total - B2B,Sessions - Total,Units Ordered,"
        "Ordered Product Sales\nB01,S1,7,70,5,$50.00\n",
        encoding="utf-8",
    )
    t = parse_file(f, period=(date(2025, 1, 1), date(2025, 1, 31))).tables["traffic"]
    assert t["sessions"].iloc[0] == 70


def test_unrecognised_lists_columns_and_closest_formats(tmp_path: Path):
    f = tmp_path / "x.csv"
    f.write_text("Keyword Phrase,Volume\nmat,10\n", encoding="utf-8")
    with pytest.raises(UnrecognisedFormat) as info:
        parse_file(f)
    err = info.value
    assert err.columns == ["Keyword Phrase", "Volume"]
    assert err.closest[0][0] == "Helium 10 Cerebro keyword export"
    assert "Search Volume" in err.closest[0][1]
    assert "Cerebro" in str(err) and "mapping" in str(err)
    assert isinstance(err, InputError)


def test_mapping_reads_any_file_as_a_generic_table():
    src = GOOD / "my_sales_export.csv"
    assert read_columns(src) == ["Day", "Item number", "Qty sold", "Notes"]
    with pytest.raises(UnrecognisedFormat):
        parse_file(src)
    pf = parse_file(
        src, mapping={"Day": "date", "Item number": "sku", "Qty sold": "units"}, target="sales"
    )
    assert pf.kind == "generic_sales"
    assert pf.tables["sales"]["units"].tolist() == [3, 5]


@pytest.mark.parametrize(
    "mapping, target, message",
    [
        (
            {"Day": "date", "Item": "sku", "Qty sold": "units"},
            "sales",
            "column 'Item': the mapping names 'Item', which is not a column of this file",
        ),
        (
            {"Day": "date", "Item number": "sku"},
            "sales",
            "leaves out the required column(s) 'units'",
        ),
        (
            {"Day": "date", "Item number": "sku", "Qty sold": "qty"},
            "sales",
            "'qty', which is not a column of sales",
        ),
        ({"Day": "date"}, None, "a column mapping needs the table it fills"),
        ({"Day": "date"}, "orders", "'orders' is not a table"),
    ],
)
def test_bad_mappings(mapping, target, message):
    with pytest.raises(InputError) as info:
        parse_file(GOOD / "my_sales_export.csv", mapping=mapping, target=target)
    assert message in str(info.value)
    assert str(info.value).startswith("my_sales_export.csv")


def test_every_target_can_be_filled_through_a_mapping(tmp_path: Path):
    values = {
        "date": "2025-01-01",
        "start": "2025-01-01",
        "end": "2025-01-02",
        "sku": "S1",
        "po": "P1",
        "keyword": "mat",
    }
    for name, info in TARGETS.items():
        headers = [f"My {c}" for c in info.required]
        f = tmp_path / f"{name}.csv"
        f.write_text(
            ",".join(headers) + "\n" + ",".join(values.get(c, "5") for c in info.required) + "\n"
        )
        pf = parse_file(
            f,
            mapping={h: c for h, c in zip(headers, info.required, strict=True)},
            target=name,
            as_of=date(2025, 1, 1),
        )
        assert len(pf.tables[name]) == 1


def test_detection_ignores_the_file_name(tmp_path: Path):
    f = tmp_path / "Xray_export.txt"
    f.write_bytes((GOOD / "sales.csv").read_bytes())
    assert parse_file(f).kind == "generic_sales"


def test_progress_reports_fractions_in_order():
    seen: list[tuple[float, str]] = []
    parse_file(GOOD / "all_orders.txt", progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0 and fractions[-1] == 1
    assert {"reading", "cleaning", "aggregating"} <= {m for _, m in seen}


def test_bytes_and_path_give_the_same_result():
    a = parse_file(GOOD / "all_orders.txt")
    b = parse_file((GOOD / "all_orders.txt").read_bytes(), "all_orders.txt")
    pd.testing.assert_frame_equal(a.tables["order_lines"], b.tables["order_lines"])
    assert a.sha256 == b.sha256 and len(a.sha256) == 64


def test_parsed_files_import_into_the_store_without_double_counting(tmp_path: Path):
    ws = Workspace.open(tmp_path / "ws")
    as_of = date(2025, 4, 1)
    files = [
        "all_orders.txt",
        "fba_inventory.txt",
        "inventory_planning.csv",
        "xray_new.csv",
        "cerebro.csv",
        "products.csv",
        "promotions.csv",
        "purchase_orders.csv",
        "business_report.csv",
    ]
    parsed = [parse_file(GOOD / n, as_of=as_of, search="silicone baking mat") for n in files]
    ws.import_files(parsed)
    ws.import_files([parse_file(GOOD / "all_orders.txt", as_of=as_of)])
    sales = ws.read("sales")
    assert sales["units"].sum() == 3 + 3 + 1 + 6
    assert ws.read("aging")["units"].sum() == 420
    products = ws.read("products").set_index("sku")
    # All Orders fills titles, the products sheet fills costs; neither erases the other.
    assert products.loc["NW-MAT-01", "unit_cost"] == pytest.approx(3.10)
    assert products.loc["NW-MAT-01", "cubic_feet"] == pytest.approx(0.12)
    assert ws.read("competitors")["sponsored"].sum() == 2


# -- one number style per file (European files) --------------------------------------------------


def test_a_european_file_reads_every_number_column_the_european_way(tmp_path: Path):
    # '24.680,00' can only be European, so '1.234' in the same file is a thousand units:
    # price = 24,680.00 / 1,234 = 20.00.
    f = tmp_path / "eu.csv"
    f.write_text("date;sku;units;revenue\n2025-01-15;A;1.234;24.680,00\n", encoding="utf-8")
    pf = parse_file(f)
    s = pf.tables["sales"]
    assert (s["units"].iloc[0], s["revenue"].iloc[0]) == (1234, 24680)
    assert s["price"].iloc[0] == pytest.approx(20.0)
    assert not pf.warnings


@pytest.mark.parametrize(
    ("delimiter", "units", "style"),
    [
        (";", 1234, "1.234,56-style because the file is semicolon-separated"),
        (",", 1.234, "1,234.56-style because the file is not semicolon-separated"),
    ],
)
def test_an_all_ambiguous_file_follows_its_delimiter_with_a_warning(
    tmp_path: Path, delimiter: str, units: float, style: str
):
    f = tmp_path / "amb.csv"
    f.write_text(
        delimiter.join(["date", "sku", "revenue", "units"])
        + "\n"
        + delimiter.join(["2025-01-15", "A", "1.234", "5"])
        + "\n",
        encoding="utf-8",
    )
    pf = parse_file(f)
    assert pf.tables["sales"]["revenue"].iloc[0] == pytest.approx(units)
    assert pf.warnings == [
        f"numbers such as '1.234' can be read two ways; read {style}: check them"
    ]


def test_thousands_commas_in_a_comma_separated_file_are_no_warning(tmp_path: Path):
    f = tmp_path / "us.csv"
    f.write_text('date,sku,units,revenue\n2025-01-15,A,"1,234","2,468"\n', encoding="utf-8")
    pf = parse_file(f)
    assert pf.tables["sales"]["units"].iloc[0] == 1234 and not pf.warnings


def test_a_us_number_in_a_european_file_is_an_error_naming_it(tmp_path: Path):
    f = tmp_path / "mixed.csv"
    f.write_text(
        "date;sku;units;revenue\n2025-01-15;A;3;24.680,00\n2025-01-16;A;2;12.50\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as info:
        parse_file(f)
    assert (info.value.row, info.value.column) == (3, "revenue")
    assert "'12.50' is written 1,234.56-style" in str(info.value)


@pytest.mark.parametrize(
    "text, units", [("2025-01-15,A,2.5", "2.5"), ('2025-01-15,A,"1,5"', "1,5")]
)
def test_generic_sales_units_must_be_whole(tmp_path: Path, text: str, units: str):
    f = tmp_path / "frac.csv"
    f.write_text("date,sku,units\n" + text + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        parse_file(f)
    assert (info.value.file, info.value.row, info.value.column) == ("frac.csv", 2, "units")
    assert info.value.expected == "a whole number of units"
    assert f"'{units}' is not a whole number" in str(info.value)


@pytest.mark.parametrize(
    "raw, value",
    [
        ("CHF 12.50", 12.5),
        ("149 kr", 149.0),
        ("12,50 zł", 12.5),
        ("USD 3.10", 3.1),
        ("1.234,50 kr", 1234.5),
    ],
)
def test_currencies_of_every_amazon_marketplace(raw: str, value: float):
    assert to_number(CTX, col(raw), "x").iloc[0] == pytest.approx(value)


@pytest.mark.parametrize("sign, code", [("CHF", "CHF"), ("kr", "SEK"), ("zł", "PLN"), ("€", "EUR")])
def test_xray_price_header_in_other_currencies(tmp_path: Path, sign: str, code: str):
    f = tmp_path / "xray.csv"
    f.write_text(
        f"Product Details,ASIN,BSR,Price  {sign},ASIN Sales,ASIN Revenue\n"
        f'Mat,B0AAA00001,12,"12,50 {sign}",100,"1.250,00 {sign}"\n',
        encoding="utf-8",
    )
    c = parse_file(f, search="backmatte").tables["competitors"]
    assert (c["currency"].iloc[0], c["price"].iloc[0], c["revenue"].iloc[0]) == (code, 12.5, 1250.0)


# -- ambiguous day/month dates -------------------------------------------------------------------


def test_an_ambiguous_date_column_is_month_first_with_a_warning(tmp_path: Path):
    f = tmp_path / "us.csv"
    f.write_text("date,sku,units\n01/03/2025,A,1\n02/03/2025,A,2\n", encoding="utf-8")
    pf = parse_file(f)
    assert pf.tables["sales"]["date"].tolist() == [
        pd.Timestamp("2025-01-03"),
        pd.Timestamp("2025-02-03"),
    ]
    assert pf.warnings == [
        "the dates in column 'date' (like '01/03/2025') could be day/month "
        "or month/day; read as month/day/year (US): check them"
    ]


def test_an_ambiguous_date_column_of_a_european_file_is_day_first(tmp_path: Path):
    f = tmp_path / "eu.csv"
    f.write_text(
        "date;sku;units;revenue\n01/03/2025;A;1;12,50\n02/03/2025;A;2;25,00\n", encoding="utf-8"
    )
    pf = parse_file(f)
    assert pf.tables["sales"]["date"].tolist() == [
        pd.Timestamp("2025-03-01"),
        pd.Timestamp("2025-03-02"),
    ]
    assert len(pf.warnings) == 1
    assert "column 'date'" in pf.warnings[0] and "read as day/month/year" in pf.warnings[0]


@pytest.mark.parametrize("dates", [["01/13/2025", "02/03/2025"], ["03/03/2025", "04/04/2025"]])
def test_dates_that_read_one_way_only_give_no_warning(tmp_path: Path, dates: list[str]):
    f = tmp_path / "d.csv"
    f.write_text("date,sku,units\n" + "".join(f"{d},A,1\n" for d in dates), encoding="utf-8")
    assert not parse_file(f).warnings


# -- the mapping step ------------------------------------------------------------------------------


def test_columns_already_named_like_the_table_map_to_themselves(tmp_path: Path):
    f = tmp_path / "m.csv"
    f.write_text("Date,SKU,qty,units_old\n2025-01-01,A,3,9\n", encoding="utf-8")
    pf = parse_file(f, mapping={"qty": "units"}, target="sales")
    s = pf.tables["sales"]
    assert (s["sku"].iloc[0], s["units"].iloc[0]) == ("A", 3)
    # A column the mapping uses for something else is not also taken for its own name.
    g = tmp_path / "n.csv"
    g.write_text("date,sku,asin,qty\n2025-01-01,A,B01,3\n", encoding="utf-8")
    pf = parse_file(g, mapping={"asin": "sku", "sku": "", "qty": "units"}, target="sales")
    assert pf.tables["sales"]["sku"].iloc[0] == "B01"


def test_a_mapped_column_written_twice_is_refused(tmp_path: Path):
    f = tmp_path / "twice.csv"
    f.write_text("date,sku,Qty,Qty\n2025-01-01,A,3,4\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 1, column 'Qty'.*appears more than once"):
        parse_file(f, mapping={"Qty": "units"}, target="sales")


# -- formats ---------------------------------------------------------------------------------------


def test_restock_is_recognised_without_the_columns_it_does_not_use(tmp_path: Path):
    lines = (GOOD / "restock.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    drop = {header.index("Total Units"), header.index("Recommended replenishment qty")}
    rows = [next(csv.reader([ln])) for ln in lines]
    f = tmp_path / "restock.csv"
    with open(f, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([[v for i, v in enumerate(r) if i not in drop] for r in rows])
    pf = parse_file(f, as_of=date(2025, 4, 1))
    assert pf.kind == "amazon_restock"
    inv = pf.tables["inventory"].set_index("sku")
    assert (inv.loc["NW-MAT-01", "available"], inv.loc["NW-MAT-01", "inbound"]) == (300, 30)


def test_the_sample_business_report_period_is_the_30_days_ending_on_as_of():
    """The sample generator writes the report for the 30 days ending on its as-of date; read
    without its period, the report gets exactly the period the manifest gives."""
    from stockcycle.sample import SAMPLE_DIR

    manifest = SAMPLE_DIR / "manifest.json"
    if not manifest.is_file():
        pytest.skip(f"no sample data in {SAMPLE_DIR}")
    entry = next(
        e for e in json.loads(manifest.read_text(encoding="utf-8"))["files"] if e.get("period")
    )
    pf = parse_file(SAMPLE_DIR / entry["name"], as_of=date.fromisoformat(entry["as_of"]))
    t = pf.tables["traffic"]
    assert {
        t["period_start"].min().date().isoformat(),
        t["period_end"].max().date().isoformat(),
    } == set(entry["period"])
    assert (t["period_end"] - t["period_start"]).dt.days.eq(29).all()


# -- damaged workbooks -----------------------------------------------------------------------------


def test_a_damaged_sheet_is_a_clear_error_but_a_bug_is_not_disguised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import io
    import zipfile

    import openpyxl

    good = (GOOD / "sales.xlsx").read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # XML cut short
            zout.writestr(item, data)
    with pytest.raises(InputError, match="not a readable Excel workbook.*ParseError"):
        parse_file(out.getvalue(), "cut.xlsx")

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the reader")

    monkeypatch.setattr(openpyxl, "load_workbook", broken)
    with pytest.raises(RuntimeError, match="a bug in the reader"):
        parse_file(good, "sales.xlsx")
