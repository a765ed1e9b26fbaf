"""Every file written for a person is formula-safe, and re-imports to the same values (issue 12
item 3).

A spreadsheet runs a cell that starts with ``= + - @`` (or tab / carriage return) as a
formula. Every CSV and XLSX the CLI writes (``export --table`` for every table, ``forecast``,
``plan``, ``today``, ``maturity``, ``economics``, ``health``, ``replay`` with ``--out``) is
opened here and searched for such a cell; the pages' downloads are checked to go through the
same writer (``stockcycle.export``). SKUs and titles are made hostile on purpose.
"""

from __future__ import annotations

import ast
import csv
import io
import sqlite3
from pathlib import Path

import openpyxl
import pandas as pd

from stockcycle.cli import main
from stockcycle.export import FORMULA_START, to_csv_bytes, to_xlsx_bytes
from stockcycle.ingest import parse_file
from stockcycle.schema import TABLES
from stockcycle.store import DB_FILE, Workspace

ROOT = Path(__file__).resolve().parents[1]
TITLE = '=HYPERLINK("http://evil.example","Click")'
# SKUs a seller could really have, each starting with a formula character.
SKUS = ["=1+1", "+PAN-2", "@MAT", "-BAG-3"]


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def formula_cells_csv(data: bytes) -> list[str]:
    """Cells of a CSV a spreadsheet would run: starting with a formula character and not a
    number ('-3' is the number minus three, which is safe)."""
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return [c for row in rows for c in row if c.startswith(FORMULA_START) and not _number(c)]


def formula_cells_xlsx(data: bytes) -> list[str]:
    """Formula cells of a workbook, and text cells that would become one when typed in."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f" or (
                    isinstance(c.value, str) and c.value.startswith(FORMULA_START)
                ):
                    found.append(str(c.value))
    return found


def check_file(path: Path) -> None:
    data = path.read_bytes()
    bad = formula_cells_xlsx(data) if path.suffix == ".xlsx" else formula_cells_csv(data)
    assert not bad, f"{path.name}: formula cells {bad[:5]}"


def _hostile_workspace(folder: Path) -> Workspace:
    sales = "date,sku,units,revenue\n" + "".join(
        f"2026-10-{d:02d},{s},{1 + d % 3},{(1 + d % 3) * 19.5}\n"
        for s in SKUS
        for d in range(1, 31)
    )
    products = "sku,title,unit_cost\n" + "".join(
        f'{s},"{TITLE.replace(chr(34), chr(34) * 2)}",4.5\n' for s in SKUS
    )
    inventory = "snapshot_date,sku,location,available\n" + "".join(
        f"2026-10-30,{s},FBA,{40 + i}\n" for i, s in enumerate(SKUS)
    )
    ws = Workspace.open(folder)
    ws.import_files(
        [
            parse_file(sales.encode(), "sales.csv"),
            parse_file(products.encode(), "products.csv", target="products"),
            parse_file(inventory.encode(), "inventory.csv", target="inventory"),
        ]
    )
    return ws


def test_every_table_export_is_formula_safe_and_reimports_the_same(tmp_path: Path, capsys) -> None:
    ws = _hostile_workspace(tmp_path / "shop")
    assert sorted(ws.read("sales")["sku"].unique()) == sorted(SKUS)
    assert set(ws.read("products")["title"]) == {TITLE}
    for table in TABLES:
        for suffix in (".csv", ".xlsx"):
            out = tmp_path / f"{table}{suffix}"
            assert main(["export", "-w", str(ws.path), "--table", table, "--out", str(out)]) == 0
            check_file(out)
    # To the terminal too (the same writer).
    capsys.readouterr()
    assert main(["export", "-w", str(ws.path), "--table", "products"]) == 0
    assert not formula_cells_csv(capsys.readouterr().out.encode())
    # Round trip: the escaped exports import back to the same values, CSV and XLSX.
    for suffix in (".csv", ".xlsx"):
        copy = Workspace.open(tmp_path / f"copy{suffix}")
        copy.import_files(
            [
                parse_file(tmp_path / f"sales{suffix}", target="sales"),
                parse_file(tmp_path / f"products{suffix}", target="products"),
                parse_file(tmp_path / f"inventory{suffix}", target="inventory"),
            ]
        )
        for table in ("sales", "products", "inventory"):
            pd.testing.assert_frame_equal(copy.read(table), ws.read(table), check_like=True)


def test_an_apostrophe_kept_where_it_escapes_nothing() -> None:
    """Only the export's own escape is removed: a title that starts with an apostrophe
    followed by anything but a formula character is the seller's and stays."""
    pf = parse_file(b"sku,title\nA,'90s mat\nB,'=x\n", "p.csv", target="products")
    assert pf.tables["products"]["title"].tolist() == ["'90s mat", "=x"]


def test_the_writer_escapes_every_formula_start_and_keeps_numbers() -> None:
    frame = pd.DataFrame(
        {
            "text": ["=1", "+1", "-a", "@a", "\tx", "\rx", "ok", "-3"],
            "number": [-3.0, 1, 2, 3, 4, 5, 6, 7],
        }
    )
    csv_text = to_csv_bytes(frame).decode()
    assert not formula_cells_csv(csv_text.encode())
    assert "'=1" in csv_text and "'-a" in csv_text and "-3.0" in csv_text
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(frame)))
    values = [c.value for c in wb.active["A"][1:]]
    # (XML reads a carriage return back as a line feed: the apostrophe is what matters.)
    assert values[:5] == ["'=1", "'+1", "'-a", "'@a", "'\tx"] and values[5].startswith("'")
    assert values[6:] == ["ok", "'-3"]  # '-3' as text is escaped text, not a number
    assert wb.active["B2"].value == -3  # numbers stay numbers


# Each verb with --out, run once, the suffixes alternating: every verb writes through
# ``write_table``, whose two formats are both checked on every table above.
VERBS = [
    (["forecast", "--workers", "1"], ".xlsx"),
    (["plan"], ".csv"),
    (["today"], ".xlsx"),
    (["maturity"], ".csv"),
    (["economics"], ".xlsx"),
    (["health"], ".csv"),
    (["replay", "--weeks", "4", "--workers", "1"], ".xlsx"),
]


def test_every_cli_out_file_is_formula_safe(forecast_workspace, tmp_path) -> None:
    """The sample with its best seller renamed '=<sku>' and every title a HYPERLINK formula:
    each verb's --out lists that SKU escaped, and holds no formula cell. One workspace for all
    (the renamed SKU is forecast once, by the first verb, and read from the cache after)."""
    ws = forecast_workspace
    sku = str(ws.read("sales")["sku"].value_counts().index[0])
    con = sqlite3.connect(ws.path / DB_FILE)
    for table, spec in TABLES.items():
        if "sku" in spec.columns:
            con.execute(f"UPDATE {table} SET sku = ? WHERE sku = ?", ("=" + sku, sku))
    con.execute("UPDATE products SET title = ?", (TITLE,))
    con.commit()
    con.close()
    for argv, suffix in VERBS:
        out = tmp_path / f"{argv[0]}{suffix}"
        code = main([argv[0], "-w", str(ws.path), *argv[1:], "--out", str(out)])
        assert code == 0, argv
        check_file(out)
        if suffix == ".csv":
            rows = csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline=""))
            cells = {c for row in rows for c in row}
        else:
            cells = {c.value for row in openpyxl.load_workbook(out).active.iter_rows() for c in row}
        assert "'=" + sku in cells, f"{argv[0]} --out does not list the SKU '={sku}'"


def test_every_page_download_goes_through_the_one_writer() -> None:
    """Each ``st.download_button`` in the pages gets its bytes from ``stockcycle.export`` (via
    ``wizard.download_plan`` or directly), or is the workspace file itself."""
    allowed = {"to_csv_bytes", "to_xlsx_bytes", "_csv_bytes", "workspace_bytes"}
    for path in sorted((ROOT / "src" / "stockcycle" / "ui").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "download_button"
            ):
                continue
            data = (
                node.args[1]
                if len(node.args) > 1
                else next((k.value for k in node.keywords if k.arg == "data"), None)
            )
            names = {n.id for n in ast.walk(data) if isinstance(n, ast.Name)} | {
                n.attr for n in ast.walk(data) if isinstance(n, ast.Attribute)
            }
            assert names & allowed, f"{path.name}:{node.lineno} writes its download another way"
