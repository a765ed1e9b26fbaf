"""The ``stockcycle`` command as a seller scripts it: import, info, export.

Most tests call ``stockcycle.cli.main`` in-process (fast); two run the real entry points (the
``stockcycle`` console script and ``python -m stockcycle``) in a subprocess. Input files are
small generic tables whose totals are worked out by hand in the comments.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from stockcycle.cli import main
from stockcycle.store import DB_FILE, Workspace

SALES = """date,sku,units
2025-03-01,A,3
2025-03-02,A,5
2025-03-01,B,2
"""  # A: 3 + 5 = 8 units over 2 days, B: 2 units; 3 rows

INVENTORY = """sku,available
A,40
B,0
"""

BAD_SALES = """date,sku,units
2025-03-01,A,3
2025-03-02,A,abc
"""  # row 3 as a spreadsheet shows it (the header is row 1)

OTHER_HEADERS = """Order Date,Item,Qty
2025-03-01,A,4
2025-03-03,B,6
2025-03-03,A,1
"""  # A: 4 + 1 = 5, B: 6


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def dump(db_path: Path) -> str:
    con = sqlite3.connect(db_path)
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


def units_by_sku(ws: Workspace) -> dict[str, float]:
    return ws.read("sales").groupby("sku")["units"].sum().to_dict()


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    write(folder, "sales.csv", SALES)
    write(folder, "inventory.csv", INVENTORY)
    write(folder, "bad.csv", BAD_SALES)
    write(folder, "orders.csv", OTHER_HEADERS)
    return folder


@pytest.fixture
def ws_dir(tmp_path: Path) -> Path:
    return tmp_path / "shop"


# -- import ----------------------------------------------------------------------------------


def test_import_says_what_each_file_was_and_how_many_rows(
    files: Path, ws_dir: Path, capsys
) -> None:
    code, out, err = run(
        [
            "import",
            "-w",
            ws_dir,
            files / "sales.csv",
            files / "inventory.csv",
            "--as-of",
            "2025-03-15",
        ],
        capsys,
    )
    assert code == 0, err
    lines = out.splitlines()
    sales_line = next(line for line in lines if line.startswith("sales.csv"))
    inventory_line = next(line for line in lines if line.startswith("inventory.csv"))
    assert "sales" in sales_line.split(":", 1)[1].lower()  # what it was recognised as
    assert "3 sales rows" in sales_line
    assert "inventory" in inventory_line.split(":", 1)[1].lower()
    assert "2 inventory rows" in inventory_line

    ws = Workspace.open(ws_dir, create=False)
    assert units_by_sku(ws) == {"A": 8.0, "B": 2.0}
    inv = ws.read("inventory").set_index("sku")
    assert inv["available"].to_dict() == {"A": 40.0, "B": 0.0}
    assert set(inv["snapshot_date"]) == {pd.Timestamp("2025-03-15")}  # --as-of


def test_import_twice_does_not_double_count(files: Path, ws_dir: Path, capsys) -> None:
    for _ in range(2):
        assert run(["import", "-w", ws_dir, files / "sales.csv"], capsys)[0] == 0
    assert units_by_sku(Workspace.open(ws_dir, create=False)) == {"A": 8.0, "B": 2.0}


def test_import_json_report(files: Path, ws_dir: Path, capsys) -> None:
    code, out, _ = run(["import", "-w", ws_dir, files / "sales.csv", "--json"], capsys)
    assert code == 0
    report = json.loads(out[out.index("\n[") + 1 :])
    assert [(r["file"], r["tables"]) for r in report] == [("sales.csv", {"sales": 3})]


def test_a_bad_file_exits_2_with_one_line_naming_file_row_and_column(
    files: Path, ws_dir: Path, capsys
) -> None:
    code, out, err = run(["import", "-w", ws_dir, files / "bad.csv"], capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "bad.csv" in err and "row 3" in err and "column 'units'" in err
    assert "Traceback" not in err
    assert not (ws_dir / DB_FILE).exists()  # nothing was created for a failed first import


def test_a_bad_file_after_a_good_one_leaves_the_workspace_unchanged(
    files: Path, ws_dir: Path, capsys
) -> None:
    assert (
        run(["import", "-w", ws_dir, files / "inventory.csv", "--as-of", "2025-03-15"], capsys)[0]
        == 0
    )
    before = dump(ws_dir / DB_FILE)
    code, out, err = run(["import", "-w", ws_dir, files / "sales.csv", files / "bad.csv"], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "bad.csv, row 3" in err
    assert dump(ws_dir / DB_FILE) == before
    assert Workspace.open(ws_dir, create=False).row_counts()["sales"] == 0


def test_a_missing_input_file_exits_2(files: Path, ws_dir: Path, capsys) -> None:
    code, _, err = run(["import", "-w", ws_dir, files / "sales.csv", files / "nope.csv"], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "nope.csv" in err
    assert not (ws_dir / DB_FILE).exists()


# -- column mapping ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mapping",
    [
        "Order Date=date,Item=sku,Qty=units",
        '{"Order Date": "date", "Item": "sku", "Qty": "units"}',
    ],
)
def test_map_reads_a_file_with_other_headers(
    mapping: str, files: Path, ws_dir: Path, capsys
) -> None:
    code, out, err = run(
        ["import", "-w", ws_dir, files / "orders.csv", "--map", mapping, "--as", "sales"], capsys
    )
    assert code == 0, err
    assert "orders.csv" in out and "3 sales rows" in out
    sales = Workspace.open(ws_dir, create=False).read("sales")
    assert sales.groupby("sku")["units"].sum().to_dict() == {"A": 5.0, "B": 6.0}
    assert sorted(sales["date"].dt.strftime("%Y-%m-%d").unique()) == ["2025-03-01", "2025-03-03"]


def test_map_can_come_from_a_file(files: Path, ws_dir: Path, tmp_path: Path, capsys) -> None:
    mapping = write(tmp_path, "mapping.txt", "Order Date=date\nItem=sku\nQty=units\n")
    code, _, err = run(
        ["import", "-w", ws_dir, files / "orders.csv", "--map", mapping, "--as", "sales"], capsys
    )
    assert code == 0, err
    assert units_by_sku(Workspace.open(ws_dir, create=False)) == {"A": 5.0, "B": 6.0}


def test_map_to_a_missing_column_exits_2(files: Path, ws_dir: Path, capsys) -> None:
    code, out, err = run(
        [
            "import",
            "-w",
            ws_dir,
            files / "orders.csv",
            "--map",
            "Order Day=date,Item=sku,Qty=units",
            "--as",
            "sales",
        ],
        capsys,
    )
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "Order Day" in err and "orders.csv" in err
    assert not (ws_dir / DB_FILE).exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--map", "Order Date=date,Item=sku,Qty=units"], "--map needs --as"),
        (["--map", "Order Date date", "--as", "sales"], "has no '='"),
        (["--map", '{"Order Date": ', "--as", "sales"], "not valid JSON"),
        (["--period", "2025-03-01:March", "--as-of", "2025-03-01"], "--period end 'March'"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    argv: list[str], message: str, files: Path, ws_dir: Path, capsys
) -> None:
    code, _, err = run(["import", "-w", ws_dir, files / "orders.csv", *argv], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and message in err


def test_a_very_long_inline_map_is_not_mistaken_for_a_path(
    files: Path, ws_dir: Path, capsys
) -> None:
    padding = ",".join(f"Unused column {i}=x{i}" for i in range(30))  # > 255 characters
    code, _, err = run(
        [
            "import",
            "-w",
            ws_dir,
            files / "orders.csv",
            "--map",
            f"Order Date=date,Item=sku,Qty=units,{padding}",
            "--as",
            "sales",
        ],
        capsys,
    )
    assert code == 2  # the unused columns are not in the file...
    assert "File name too long" not in err and "Unused column" in err  # ...and it says so


def test_map_only_the_columns_whose_names_differ(files: Path, ws_dir: Path, capsys) -> None:
    # 'date' and 'sku' are already stockcycle's names: they map to themselves.
    f = write(files, "qty.csv", "date,sku,qty,comment\n2025-03-01,A,4,x\n2025-03-02,A,6,\n")
    code, out, err = run(["import", "-w", ws_dir, f, "--map", "qty=units", "--as", "sales"], capsys)
    assert code == 0, err
    assert units_by_sku(Workspace.open(ws_dir, create=False)) == {"A": 10.0}


def test_a_mapping_missing_a_required_column_names_the_candidates(
    files: Path, ws_dir: Path, capsys
) -> None:
    code, _, err = run(
        [
            "import",
            "-w",
            ws_dir,
            files / "orders.csv",
            "--map",
            "Order Date=date,Item=sku",
            "--as",
            "sales",
        ],
        capsys,
    )
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "leaves out the required column(s) 'units' of sales" in err
    assert "the file's columns not used yet: 'Qty'" in err


def test_import_prints_notes_apart_from_problems(files: Path, ws_dir: Path, capsys) -> None:
    # Row 3 repeats row 2 exactly (a problem: a dropped duplicate); row 4 is a return (a note).
    f = write(
        files, "returns.csv", "date,sku,units\n2025-03-01,A,3\n2025-03-01,A,3\n2025-03-02,A,-1\n"
    )
    code, out, err = run(["import", "-w", ws_dir, f], capsys)
    assert code == 0, err
    lines = [line.strip() for line in out.splitlines()]
    assert "note: 1 rows with negative units counted as returns" in lines
    assert "problem: 1 duplicated rows dropped (first at row 3)" in lines
    code, out, _ = run(["info", "-w", ws_dir], capsys)
    lines = [line.strip() for line in out.splitlines()]
    assert "note: returns.csv: 1 rows with negative units counted as returns" in lines
    assert "problem: returns.csv: 1 duplicated rows dropped (first at row 3)" in lines
    info = json.loads(run(["info", "-w", ws_dir, "--json"], capsys)[1])
    assert info["notes"] == ["returns.csv: 1 rows with negative units counted as returns"]
    assert info["problems"] == ["returns.csv: 1 duplicated rows dropped (first at row 3)"]


XRAY = (
    "Product Details,ASIN,BSR,Price  $,ASIN Sales,ASIN Revenue\n"
    'Silicone mat,B0AAA00001,1234,$12.99,3000,"$38,970.00"\n'
)


def test_an_xray_export_needs_the_search_it_was_taken_on(files: Path, ws_dir: Path, capsys) -> None:
    f = write(files, "Xray.csv", XRAY)
    code, out, err = run(["import", "-w", ws_dir, f, "--as-of", "2026-10-31"], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert (
        "Xray.csv: Helium 10 Xray export: say which search it was taken on (--search in "
        "the command line, 'Search' on the Data page)"
    ) in err
    code, _, err = run(
        ["import", "-w", ws_dir, f, "--as-of", "2026-10-31", "--search", "silicone baking mat"],
        capsys,
    )
    assert code == 0, err
    comp = Workspace.open(ws_dir, create=False).read("competitors")
    assert comp["search"].tolist() == ["silicone baking mat"]


def test_import_help_says_xray_needs_search(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--search TEXT" in out and "required for Xray files" in out


# -- info --------------------------------------------------------------------------------------


def test_info_json_gives_skus_dates_sources_and_counts(files: Path, ws_dir: Path, capsys) -> None:
    run(
        [
            "import",
            "-w",
            ws_dir,
            files / "sales.csv",
            files / "inventory.csv",
            "--as-of",
            "2025-03-15",
        ],
        capsys,
    )
    code, out, _ = run(["info", "-w", ws_dir, "--json"], capsys)
    assert code == 0
    info = json.loads(out)
    assert info["skus"] == 2
    assert (info["sales_first_date"], info["sales_last_date"]) == ("2025-03-01", "2025-03-02")
    assert [s["file"] for s in info["sources"]] == ["sales.csv", "inventory.csv"]
    assert [s["rows_loaded"] for s in info["sources"]] == [3, 2]
    assert info["row_counts"]["sales"] == 3 and info["row_counts"]["inventory"] == 2
    assert sum(info["row_counts"].values()) == 3 + 2 + info["row_counts"]["products"]


def test_info_text_lists_what_is_loaded(files: Path, ws_dir: Path, capsys) -> None:
    run(["import", "-w", ws_dir, files / "sales.csv"], capsys)
    code, out, _ = run(["info", "-w", ws_dir], capsys)
    assert code == 0
    assert "SKUs: 2" in out
    assert "sales from 2025-03-01 to 2025-03-02" in out
    assert "sales: 3 rows" in out
    assert "source: sales.csv" in out


def test_info_on_an_empty_workspace_says_no_sales(ws_dir: Path, capsys) -> None:
    Workspace.open(ws_dir)
    code, out, _ = run(["info", "-w", ws_dir], capsys)
    assert code == 0
    assert "no sales imported yet" in out and "None" not in out


def test_info_on_a_missing_workspace_exits_2(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "no-such-shop"
    code, out, err = run(["info", "-w", missing], capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("stockcycle: ") and len(err.strip().splitlines()) == 1
    assert "no workspace at" in err and "no-such-shop" in err
    assert not missing.exists()  # looking does not create it


# -- export ------------------------------------------------------------------------------------


def test_export_writes_a_csv_that_reimports_to_the_same_rows(
    files: Path, ws_dir: Path, tmp_path: Path, capsys
) -> None:
    run(["import", "-w", ws_dir, files / "sales.csv"], capsys)
    out_csv = tmp_path / "sales-export.csv"
    code, out, _ = run(["export", "-w", ws_dir, "--table", "sales", "--out", out_csv], capsys)
    assert code == 0
    assert f"wrote 3 sales rows to {out_csv}" in out
    exported = pd.read_csv(out_csv)
    assert exported["units"].sum() == 3 + 5 + 2
    assert sorted(exported["date"].unique()) == ["2025-03-01", "2025-03-02"]

    copy_dir = tmp_path / "copy"
    code, _, err = run(["import", "-w", copy_dir, out_csv], capsys)
    assert code == 0, err
    original = Workspace.open(ws_dir, create=False).read("sales")
    again = Workspace.open(copy_dir, create=False).read("sales")
    pd.testing.assert_frame_equal(again, original)


def test_export_writes_whole_numbers_without_a_decimal_point(
    files: Path, ws_dir: Path, capsys
) -> None:
    f = write(
        files, "money.csv", "date,sku,units,revenue\n2025-03-01,A,15,24.5\n2025-03-02,A,3,30\n"
    )
    run(["import", "-w", ws_dir, f], capsys)
    code, out, _ = run(["export", "-w", ws_dir, "--table", "sales"], capsys)
    assert code == 0
    rows = out.splitlines()
    assert rows[0] == "date,sku,channel,units,returns,revenue,price,currency"
    # units 15 and 3 (not 15.0); revenue keeps its cents where it has any; price 24.5 / 15.
    assert rows[1].startswith("2025-03-01,A,Amazon.com,15,0,24.5,1.633")
    assert rows[2] == "2025-03-02,A,Amazon.com,3,0,30.0,10.0,"


def test_export_to_stdout(files: Path, ws_dir: Path, capsys) -> None:
    run(["import", "-w", ws_dir, files / "inventory.csv", "--as-of", "2025-03-15"], capsys)
    code, out, _ = run(["export", "-w", ws_dir, "--table", "inventory"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split(",")[:3] == ["snapshot_date", "sku", "location"]
    assert len(lines) == 1 + 2 and all(line.startswith("2025-03-15,") for line in lines[1:])


def test_export_into_a_missing_folder_exits_2(
    files: Path, ws_dir: Path, tmp_path: Path, capsys
) -> None:
    run(["import", "-w", ws_dir, files / "sales.csv"], capsys)
    target = tmp_path / "no" / "such" / "folder" / "x.csv"
    code, _, err = run(["export", "-w", ws_dir, "--table", "sales", "--out", target], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert str(target.parent) in err


def test_an_unknown_table_is_a_usage_error(ws_dir: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["export", "-w", str(ws_dir), "--table", "orders"])
    assert exc.value.code == 2
    assert "invalid choice: 'orders'" in capsys.readouterr().err


# -- the real entry points -------------------------------------------------------------------


def test_console_script_and_python_m_entry_points(files: Path, ws_dir: Path) -> None:
    script = Path(sys.executable).with_name("stockcycle")
    script = script if script.is_file() else Path(shutil.which("stockcycle") or "stockcycle")
    done = subprocess.run(
        [str(script), "import", "-w", str(ws_dir), str(files / "sales.csv")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "sales.csv" in done.stdout and "3 sales rows" in done.stdout

    done = subprocess.run(
        [sys.executable, "-m", "stockcycle", "info", "-w", str(ws_dir), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["skus"] == 2 and info["row_counts"]["sales"] == 3


def test_mappable_tables_are_the_ingest_targets():
    from stockcycle.commands.data import MAPPABLE_TABLES
    from stockcycle.ingest import TARGETS

    assert sorted(MAPPABLE_TABLES) == sorted(TARGETS)
