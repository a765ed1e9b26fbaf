"""Product figures the seller types in (issue: a product editor on the Data page).

What a seller checks: a typed unit cost is used by the plan, survives importing the Amazon report
again, and clears back to the imported figure; a bad value is refused with the SKU, the field and
what was expected; the blanks are listed with what they hide; an older workspace file opens and
restores with the columns added since.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from stockcycle import products, restock
from stockcycle.errors import InputError
from stockcycle.ingest import parse_file
from stockcycle.schema import ADDED_COLUMNS
from stockcycle.settings import Settings
from stockcycle.store import DB_FILE, Workspace, restore_workspace_file

GOOD = Path(__file__).parent / "data" / "good"


def _import(ws: Workspace, name: str) -> None:
    ws.import_files([parse_file(GOOD / name, as_of=date(2026, 10, 1))])


def test_typed_figures_win_over_reports_and_survive_reimport(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "w")
    _import(ws, "products.csv")  # NW-MAT-01: unit cost 3.10, lead time 45
    ws.set_product_values({"NW-MAT-01": {"unit_cost": 4.25, "shipping_weight_lb": 1.5}})
    _import(ws, "products.csv")  # the seller's sheet again, with 3.10
    _import(ws, "fba_inventory.txt")  # an Amazon report writing price and volume
    row = ws.product_rows()["NW-MAT-01"]
    assert row["unit_cost"] == 4.25
    assert row["shipping_weight_lb"] == 1.5
    assert row["lead_time_days"] == 45  # untouched figures stay imported
    # Emptying the cell gives the imported figure back.
    ws.set_product_values({"NW-MAT-01": {"unit_cost": None}})
    assert ws.product_rows()["NW-MAT-01"]["unit_cost"] == pytest.approx(3.10)


def test_sku_without_a_product_row_gets_one_from_its_typed_figures(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "w")
    ws.set_product_values({"NEW-1": {"unit_cost": 2.0, "search": "garlic press"}})
    read = ws.read("products")
    assert read.loc[read["sku"] == "NEW-1", "unit_cost"].tolist() == [2.0]
    assert ws.read("products", skus=["OTHER"]).empty


def test_typed_unit_cost_reaches_the_plan(sample_workspace) -> None:
    ws = sample_workspace
    sku = ws.skus()[0]
    before = restock.load_supply(ws, skus=[sku])[sku]
    ws.set_product_values({sku: {"unit_cost": 11.0, "lead_time_days": 20}})
    after = restock.load_supply(ws, skus=[sku])[sku]
    assert after.unit_cost == 11.0
    assert after.lead_time_days == 20
    assert before.unit_cost != 11.0


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("unit_cost", -1, "0 or more"),
        ("unit_cost", "abc", "0 or more"),
        ("lead_time_days", 1000, "0 to 730"),
        ("case_pack", 2.5, "whole number"),
        ("moq", 0, "whole number"),
        ("size_tier", "huge", "Small standard"),
        ("search", "x" * 201, "at most 200"),
        ("fba_fee", 1.0, "unit cost"),  # not editable here
    ],
)
def test_bad_values_are_refused_with_sku_field_and_expectation(column, value, expected) -> None:
    with pytest.raises(InputError) as info:
        products.validate_edits({"SKU-9": {column: value}})
    text = str(info.value)
    assert "SKU-9" in text and "product editor" in text
    assert expected in text


def test_good_values_are_typed_and_blank_cells_clear() -> None:
    edits = products.validate_edits(
        {"A": {"unit_cost": "3.5", "case_pack": 24.0, "search": "  garlic   press ", "moq": ""}}
    )
    assert edits == {
        "A": {"unit_cost": 3.5, "case_pack": 24.0, "search": "garlic press", "moq": None}
    }


def test_changed_cells_finds_edits_and_clears_only() -> None:
    before = pd.DataFrame(
        {"sku": ["A", "B"], "title": ["a", "b"]} | {f.column: [None, None] for f in products.FIELDS}
    )
    before.loc[0, "unit_cost"] = 3.0
    after = before.copy()
    after.loc[0, "unit_cost"] = None
    after.loc[1, "moq"] = 500
    assert products.changed_cells(before, after) == {"A": {"unit_cost": None}, "B": {"moq": 500}}
    assert products.changed_cells(before, before.copy()) == {}


def test_blanks_say_what_is_hidden_and_the_default_used() -> None:
    table = products.editor_table(
        pd.DataFrame({"sku": ["A"], "title": ["t"], "unit_cost": [1.0]}), ["A", "B", "C"]
    )
    lines = {b.field.column: b for b in products.blanks(table, Settings())}
    assert lines["unit_cost"].skus == ["B", "C"]
    assert lines["unit_cost"].message == "Cash needed and margins unknown for 2 SKUs: no unit cost."
    # The lead-time default is the middle of the Settings range (30..60 days).
    assert lines["lead_time_days"].message.startswith(
        "Order dates use a default (45 days, Settings)"
    )
    assert "for 3 SKUs" in lines["lead_time_days"].message


def _old_workspace(path: Path) -> Path:
    """A workspace file as written before the columns of ``ADDED_COLUMNS`` existed."""
    ws = Workspace.open(path)
    _import(ws, "products.csv")
    con = sqlite3.connect(ws.db_path)
    for table, cols in ADDED_COLUMNS.items():
        for col in cols:
            con.execute(f'ALTER TABLE "{table}" DROP COLUMN "{col}"')
    con.commit()
    con.close()
    return ws.db_path


def test_an_older_workspace_opens_with_the_new_columns(tmp_path: Path) -> None:
    db = _old_workspace(tmp_path / "old")
    ws = Workspace.open(db.parent)
    ws.set_product_values({"NW-MAT-01": {"shipping_weight_lb": 2.0}})
    _import(ws, "products.csv")
    assert ws.product_rows()["NW-MAT-01"]["shipping_weight_lb"] == 2.0
    assert ws.product_rows()["NW-MAT-01"]["unit_cost"] == pytest.approx(3.10)


def test_an_older_workspace_file_restores(tmp_path: Path) -> None:
    db = _old_workspace(tmp_path / "old")
    upload = tmp_path / "upload.sqlite"
    shutil.copy(db, upload)
    target = restore_workspace_file(upload, "old.sqlite", tmp_path / "new")
    assert target.name == DB_FILE
    restored = Workspace(target.parent).product_rows()
    assert restored["NW-MAT-01"]["unit_cost"] == pytest.approx(3.10)
    assert "shipping_weight_lb" not in restored["NW-MAT-01"]


def test_every_change_of_typed_figures_changes_the_cache_version(tmp_path: Path) -> None:
    """The pages' cached reads are keyed by ``edits_version``: a save in the same second, or a
    figure cleared while another is set, must still show the new figures."""
    ws = Workspace.open(tmp_path / "w")
    versions = [ws.edits_version()]
    for edit in ({"unit_cost": 1.0}, {"unit_cost": None, "moq": 1.0}, {"moq": 2.0}):
        ws.set_product_values({"A": edit})
        versions.append(ws.edits_version())
    assert len(set(versions)) == len(versions)
    ws.set_product_values({"A": {"moq": 2.0}})  # the same figure again: nothing changed
    assert ws.edits_version() == versions[-1]


def test_a_products_sheet_carries_the_weight_and_the_search(tmp_path: Path) -> None:
    sheet = tmp_path / "products.csv"
    sheet.write_text(
        "sku,unit_cost,shipping_weight_lb,search\nK-1,2.50,1.8,garlic press\n", encoding="utf-8"
    )
    ws = Workspace.open(tmp_path / "w")
    ws.import_files([parse_file(sheet)])
    row = ws.product_rows()["K-1"]
    assert (row["shipping_weight_lb"], row["search"]) == (1.8, "garlic press")
