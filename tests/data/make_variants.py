"""Write the encoded and XLSX variants of the handwritten example files in good/.

The variants hold the same rows as their text originals (so the same hand-checked totals
apply); run ``python tests/data/make_variants.py`` after editing an original.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl

GOOD = Path(__file__).parent / "good"
BAD = Path(__file__).parent / "bad"


def main() -> None:
    text = (GOOD / "all_orders.txt").read_text(encoding="utf-8")
    (GOOD / "all_orders_utf16le.txt").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    (GOOD / "all_orders_utf16be.txt").write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    (GOOD / "products_cp1252.csv").write_bytes(
        "sku,title,unit_cost,price\nNW-TORCH-05,Crème brûlée torch – deluxe,€4.10,19.99\n".encode(
            "cp1252"
        )
    )
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sales"
    ws.append(["date", "sku", "units", "revenue"])
    ws.append([dt.datetime(2025, 1, 1), "NW-MAT-01", 3, 38.97])
    ws.append([dt.datetime(2025, 1, 2), "NW-MAT-01", 2, 25.98])
    ws.append([dt.datetime(2025, 1, 2), "NW-TOWEL-02", 4.0, None])
    wb.create_sheet("Notes").append(["this sheet is ignored"])
    wb.save(GOOD / "sales.xlsx")
    wb = openpyxl.Workbook()
    ws = wb.active
    with open(GOOD / "business_report_by_date.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    ws.append(rows[0])
    for r in rows[1:]:
        m, d, y = (int(x) for x in r[0].split("/"))
        cells: list[object] = [dt.datetime(y, m, d), *r[1:]]
        for i, v in enumerate(cells):
            if isinstance(v, str) and v.endswith("%"):
                cells[i] = float(v[:-1]) / 100
            elif isinstance(v, str) and v.startswith("$"):
                cells[i] = float(v[1:].replace(",", ""))
            elif isinstance(v, str) and v.isdigit():
                cells[i] = int(v)
        ws.append(cells)
    for row in ws.iter_rows(min_row=2):
        for c in row:
            if isinstance(c.value, float) and c.value <= 1 and c.column in (9, 12):
                c.number_format = "0.00%"
    wb.save(GOOD / "business_report_by_date.xlsx")
    bad_workbooks()


def bad_workbooks() -> None:
    """Workbooks whose table is not on the first sheet (only the first sheet is read)."""
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["Exported from the ERP on", "2025-01-03"])
    wb.create_sheet("Sales").append(["date", "sku", "units"])
    wb.create_sheet("Lists").append(["sku"])
    wb.save(BAD / "xlsx_table_not_on_first_sheet.xlsx")
    wb = openpyxl.Workbook()
    wb.active.title = "Cover"
    sales = wb.create_sheet("Sales")
    sales.append(["date", "sku", "units"])
    sales.append([dt.datetime(2025, 1, 1), "A", 3])
    wb.save(BAD / "xlsx_first_sheet_empty.xlsx")


if __name__ == "__main__":
    main()
