"""The R-F1 fee corridor figures of the fee table: the low-inventory-level fee per unit and the
storage utilization surcharge (``stockcycle.fees``), against the table's own rows worked by hand.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from stockcycle import fees


def test_low_inventory_fee_per_unit_by_band_and_tier():
    # Both days of supply under 28: the band is max(d30, d90) in whole days.
    assert fees.low_inventory_fee_per_unit("Large standard", 10, 12.9) == pytest.approx(0.97)
    assert fees.low_inventory_fee_per_unit("Large standard", 18, 20.5) == pytest.approx(0.70)
    assert fees.low_inventory_fee_per_unit("Large standard", 5, 27.9) == pytest.approx(0.36)
    # Small standard has its own rates.
    assert fees.low_inventory_fee_per_unit("Small standard", 3, 14) == pytest.approx(0.63)
    # Bulky items (placeholder rates of the table).
    assert fees.low_inventory_fee_per_unit("Large bulky", 3, 4) == pytest.approx(1.11)


def test_low_inventory_fee_needs_both_windows_and_sales():
    # One window at or above 28 days: no fee (R-F1: BOTH under 28).
    assert fees.low_inventory_fee_per_unit("Large standard", 10, 28) == 0.0
    assert fees.low_inventory_fee_per_unit("Large standard", math.inf, 10) == 0.0
    # Under 20 units sold in 7 days: exempt; 20 is not under.
    assert fees.low_inventory_fee_per_unit("Large standard", 10, 10, 19) == 0.0
    assert fees.low_inventory_fee_per_unit("Large standard", 10, 10, 20) == pytest.approx(0.97)
    assert fees.low_inventory_exempt_units() == 20
    assert fees.low_inventory_threshold() == 28


def test_storage_utilization_surcharge_tiers():
    assert fees.storage_utilization_threshold_weeks() == 22
    # Exactly 22 weeks is not above the threshold; 22.1 is in the first tier (0.44 per cu ft).
    assert fees.storage_utilization_surcharge(0.5, "Large standard", 22.0) == 0.0
    assert fees.storage_utilization_surcharge(0.5, "Large standard", 22.1) == pytest.approx(0.22)
    assert fees.storage_utilization_surcharge(2, "Small standard", 28.0) == pytest.approx(0.88)
    assert fees.storage_utilization_surcharge(2, "Small standard", 28.5) == pytest.approx(1.52)
    assert fees.storage_utilization_surcharge(1, "Large bulky", 60) == pytest.approx(0.99)
    assert fees.storage_utilization_surcharge(1, None, math.inf) == pytest.approx(1.88)


def test_tables_without_the_corridor_rows_still_load(tmp_path: Path):
    # A seller's own table written before these rows existed: it loads, and the corridor
    # figures count 0 (the page says the table has none).
    text = fees.DEFAULT_FEE_FILE.read_text(encoding="utf-8")
    kept = [
        line
        for line in text.splitlines()
        if not line.startswith("storage_utilization,")
        and not (line.startswith("low_inventory_level,") and ",days_of_supply," not in line)
    ]
    path = tmp_path / "old.csv"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    table = fees.load_fee_table(path)
    assert not fees.fee_rows_present("storage_utilization", "per_cubic_foot_month", table)
    assert fees.storage_utilization_surcharge(1, None, 40, table=table) == 0.0
    assert fees.storage_utilization_threshold_weeks(table) == math.inf
    assert fees.low_inventory_fee_per_unit("Large standard", 5, 5, 100, table=table) == 0.0
    assert fees.low_inventory_exempt_units(table) == 0.0
