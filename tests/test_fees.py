"""FBA fee table and unit economics (R-L6, R-D3, R-E3).

Expected values are worked by hand from the figures in the shipped fee file, or recomputed
independently with exact fractions; the bad-file tests change one cell of a copy of the shipped
file and check the error names the file, the spreadsheet row (header = 1) and the column.
"""

from __future__ import annotations

import csv
import json
import math
from datetime import date
from fractions import Fraction as F
from pathlib import Path

import pytest

from stockcycle import fees
from stockcycle.errors import InputError

ROOT = Path(__file__).resolve().parents[1]

# Spreadsheet rows of the shipped file (header = row 1) used below.
ROW_STORAGE_STD_OFFPEAK = 2
ROW_STORAGE_OVS_PEAK = 5
ROW_AGED_211 = 7
ROW_LOW_INVENTORY = 14
ROW_REMOVAL_STD_FIRST = 15
ROW_LIQ_RECOVERY = 33


def _rows() -> list[list[str]]:
    with fees.DEFAULT_FEE_FILE.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _write(tmp_path: Path, rows: list[list[str]], name: str = "my_fees.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _edit(tmp_path: Path, row: int, column: str, value: str) -> Path:
    """A copy of the shipped file with one cell (spreadsheet row, column name) changed."""
    rows = _rows()
    rows[row - 1][rows[0].index(column)] = value
    return _write(tmp_path, rows)


def _bad(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        fees.load_fee_table(path)
    err = info.value
    assert err.file == path.name
    return err


# --------------------------------------------------------------------------- the shipped file


def test_shipped_file_loads_and_every_figure_has_source_and_date() -> None:
    table = fees.load_fee_table()
    assert table.path == fees.DEFAULT_FEE_FILE
    rows = table.rows
    assert set(rows["fee"]) == set(fees.FEE_UNITS)
    assert (rows["source"].str.len() > 0).all()
    assert rows["effective_from"].notna().all()
    # Every figure not confirmed for 2026 says where it comes from in its note.
    assert (table.unconfirmed()["note"].str.len() > 0).all()
    assert "not confirmed" in table.describe()


def test_shipped_storage_rates_are_the_issue_figures() -> None:
    # Issue: standard 0.78 / 2.40, oversize 0.56 / 1.40 per cubic foot (Jan-Sep / Oct-Dec).
    assert fees.monthly_storage_fee(1, "standard", 1) == pytest.approx(0.78)
    assert fees.monthly_storage_fee(1, "standard", 12) == pytest.approx(2.40)
    assert fees.monthly_storage_fee(1, "oversize", 9) == pytest.approx(0.56)
    assert fees.monthly_storage_fee(1, "oversize", 10) == pytest.approx(1.40)


# --------------------------------------------------------------------------- storage


def test_monthly_storage_hand_checked() -> None:
    # 0.09 ft3 small standard (NW-BMAT-HALF): March 0.09 x 0.78, November 0.09 x 2.40.
    assert fees.monthly_storage_fee(0.09, "Small standard", 3) == pytest.approx(0.0702)
    assert fees.monthly_storage_fee(0.09, "Small standard", 11) == pytest.approx(0.216)
    # Peak starts in October: September and October differ.
    assert fees.monthly_storage_fee(0.09, "Large standard", 9) == pytest.approx(0.0702)
    assert fees.monthly_storage_fee(0.09, "Large standard", 10) == pytest.approx(0.216)
    # Oversize class: 0.78 ft3 large bulky in June 0.78 x 0.56.
    assert fees.monthly_storage_fee(0.78, "Large bulky", 6) == pytest.approx(0.4368)


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        ("Small standard", "standard"),
        ("Large standard", "standard"),
        ("large standard-size", "standard"),
        ("Small oversize", "oversize"),
        ("Medium oversize", "oversize"),
        ("Large oversize", "oversize"),
        ("Special oversize", "oversize"),
        ("Small bulky", "oversize"),
        ("Large bulky", "oversize"),
        ("Extra-large 50 to 70 lb", "oversize"),
        ("  LARGE  BULKY ", "oversize"),
        ("", "standard"),
        (None, "standard"),
    ],
)
def test_storage_tier(tier: str | None, expected: str) -> None:
    assert fees.storage_tier(tier) == expected


def test_unknown_size_tier_is_an_input_error() -> None:
    with pytest.raises(InputError) as info:
        fees.storage_tier("Envelope")
    assert info.value.column == "size_tier"
    assert "Small standard" in (info.value.expected or "")
    assert "Envelope" in str(info.value)


def test_storage_bad_arguments() -> None:
    with pytest.raises(InputError) as info:
        fees.monthly_storage_fee(-0.1, "Small standard", 3)
    assert info.value.column == "cubic_feet"
    with pytest.raises(InputError) as info:
        fees.monthly_storage_fee(0.1, "Small standard", 13)
    assert info.value.column == "month"


# --------------------------------------------------------------------------- aged surcharge


def test_aged_surcharge_tier_boundaries() -> None:
    cf = 0.09
    assert fees.aged_surcharge(cf, 0) == 0
    assert fees.aged_surcharge(cf, 180) == 0
    assert fees.aged_surcharge(cf, 181) == pytest.approx(cf * 0.50)
    assert fees.aged_surcharge(cf, 210) == pytest.approx(cf * 0.50)
    assert fees.aged_surcharge(cf, 211) == pytest.approx(cf * 1.00)
    assert fees.aged_surcharge(cf, 365) == pytest.approx(cf * 5.90)
    # 0.09 x 6.90 = 0.621 beats the 0.30 per-unit minimum; 0.09 x 7.90 = 0.711 beats 0.35.
    assert fees.aged_surcharge(cf, 455) == pytest.approx(0.621)
    assert fees.aged_surcharge(cf, 456) == pytest.approx(0.711)
    assert fees.aged_surcharge(cf, 2000) == pytest.approx(0.711)


def test_aged_surcharge_per_unit_minimum() -> None:
    small = 0.02
    # 0.02 x 6.90 = 0.138 < 0.30 and 0.02 x 7.90 = 0.158 < 0.35: the minimum is charged.
    assert fees.aged_surcharge(small, 366) == pytest.approx(0.30)
    assert fees.aged_surcharge(small, 456) == pytest.approx(0.35)
    # No minimum below 366 days: 0.02 x 5.90.
    assert fees.aged_surcharge(small, 365) == pytest.approx(0.118)


# --------------------------------------------------------------------------- low inventory


@pytest.mark.parametrize(
    ("d30", "d90", "applies"),
    [
        (10, 20, True),  # both under 28
        (10, 40, False),  # only the 30-day one
        (40, 10, False),  # only the 90-day one
        (40, 50, False),  # none
        (28, 27.9, False),  # 28 is not "under 28"
        (27.9, 27.9, True),
        (math.inf, math.inf, False),  # nothing shipped: infinite supply
    ],
)
def test_low_inventory_conditions(d30: float, d90: float, applies: bool) -> None:
    assert fees.low_inventory_fee_applies(d30, d90) is applies


# --------------------------------------------------------------------------- removal


def test_removal_and_disposal_by_weight() -> None:
    assert fees.removal_fee("Small standard", 0) == pytest.approx(0.84)
    assert fees.removal_fee("Small standard", 0.5) == pytest.approx(0.84)
    assert fees.removal_fee("Small standard", 0.51) == pytest.approx(1.53)
    assert fees.removal_fee("Large standard", 2.0) == pytest.approx(2.27)
    # Over 2 lb: 2.89 + 1.06 per whole lb above 2 (rounded up): 2.3 lb -> 1 lb, 4 lb -> 2 lb.
    assert fees.removal_fee("Large standard", 2.3) == pytest.approx(2.89 + 1.06)
    assert fees.removal_fee("Large standard", 4.0) == pytest.approx(2.89 + 2 * 1.06)
    # Oversize over 10 lb: 14.32 + 1.06 x 3 for 12.5 lb.
    assert fees.removal_fee("Large bulky", 12.5) == pytest.approx(14.32 + 3 * 1.06)
    assert fees.removal_fee("Large bulky", 3, kind="disposal") == pytest.approx(6.36)
    with pytest.raises(InputError) as info:
        fees.removal_fee("Large bulky", 3, kind="donate")
    assert info.value.column == "kind"
    with pytest.raises(InputError) as info:
        fees.removal_fee("Large bulky", -1)
    assert info.value.column == "weight_lb"


# --------------------------------------------------------------------------- liquidation


def test_liquidation_worked_example() -> None:
    # 100 units at an ASP of 20.00, standard size: gross 7.5% x 20 x 100 = 150, processing
    # 0.25 x 100 = 25, referral 15% x 150 = 22.50, net 102.50.
    liq = fees.liquidation_recovery(20.0, 100, size_tier="Small standard", weight_lb=0.4)
    gross = F("0.075") * 20 * 100
    net = gross - F("0.25") * 100 - F("0.15") * gross
    assert liq.gross == pytest.approx(float(gross)) == pytest.approx(150.0)
    assert liq.processing_fee == pytest.approx(25.0)
    assert liq.referral_fee == pytest.approx(22.5)
    assert liq.net == pytest.approx(float(net)) == pytest.approx(102.5)
    text = liq.explain()
    assert "150.00" in text and "102.50" in text
    json.dumps(liq.to_dict())


def test_liquidation_with_own_recovery_rate_and_oversize() -> None:
    liq = fees.liquidation_recovery(40.0, 10, recovery_rate=0.05, size_tier="Large bulky")
    gross = F("0.05") * 40 * 10
    assert liq.net == pytest.approx(float(gross - F("0.60") * 10 - F("0.15") * gross))
    with pytest.raises(InputError) as info:
        fees.liquidation_recovery(40.0, 10, recovery_rate=1.5)
    assert info.value.column == "recovery_rate"


# --------------------------------------------------------------------------- unit economics


def _product(sku: str) -> dict[str, str]:
    with (ROOT / "sample_data" / "products.csv").open(newline="", encoding="utf-8") as fh:
        return next(r for r in csv.DictReader(fh) if r["sku"] == sku)


def test_unit_economics_sample_product() -> None:
    p = _product("NW-BMAT-HALF")
    assert (p["price"], p["unit_cost"], p["freight_cost"], p["fba_fee"]) == (
        "19.99",
        "4.61",
        "0.27",
        "3.41",
    )
    storage = fees.monthly_storage_fee(float(p["cubic_feet"]), p["size_tier"], 3)
    ue = fees.unit_economics(
        price=float(p["price"]),
        unit_cost=float(p["unit_cost"]),
        freight_per_unit=float(p["freight_cost"]),
        duty_rate=0.04,
        fba_fee=float(p["fba_fee"]),
        referral_rate=float(p["referral_pct"]),
        storage_per_unit=storage,
    )
    # Independent exact recomputation.
    price, cost, freight, fba = F(p["price"]), F(p["unit_cost"]), F(p["freight_cost"]), F("3.41")
    landed = cost * (1 + F("0.04")) + freight
    fees_total = fba + F(p["referral_pct"]) * price + F("0.09") * F("0.78")
    profit = price - landed - fees_total
    assert ue.landed_cost == pytest.approx(float(landed))  # 4.61 x 1.04 + 0.27 = 5.0644
    assert ue.referral_fee == pytest.approx(2.9985)
    assert ue.profit_per_unit == pytest.approx(float(profit))
    assert ue.gross_margin == pytest.approx(float(profit / price))
    assert ue.roi == pytest.approx(float(profit / landed))
    assert ue.meets_target
    text = ue.explain()
    assert "19.99" in text and f"{float(profit):,.2f}" in text and "R-L6" in text
    json.dumps(ue.to_dict())


def test_gross_margin_check_both_sides_of_25_percent() -> None:
    # price 100, unit cost 45, FBA 15, referral 15%: profit 100 - 45 - 15 - 15 = 25 -> 25%.
    at = fees.unit_economics(100, 45, fba_fee=15, referral_rate=0.15)
    assert at.gross_margin == pytest.approx(0.25)
    assert at.meets_target
    below = fees.unit_economics(100, 45.01, fba_fee=15, referral_rate=0.15)
    assert not below.meets_target
    assert "below" in below.explain()
    above = fees.unit_economics(100, 44.99, fba_fee=15, referral_rate=0.15)
    assert above.meets_target
    # A stricter target flips the verdict for the same product.
    assert not fees.unit_economics(100, 44.99, fba_fee=15, target_margin=0.30).meets_target


def test_unit_economics_bad_arguments() -> None:
    with pytest.raises(InputError) as info:
        fees.unit_economics(0, 4.0)
    assert info.value.column == "price"
    with pytest.raises(InputError) as info:
        fees.unit_economics(20, -1)
    assert info.value.column == "unit_cost"
    with pytest.raises(InputError) as info:
        fees.unit_economics(20, 4, referral_rate=15)
    assert info.value.column == "referral_rate"


def test_cash_needed() -> None:
    # 600 units x (4.61 x 1.05 + 0.27) = 600 x 5.1105 = 3,066.30
    expected = 600 * (F("4.61") * F("1.05") + F("0.27"))
    assert fees.cash_needed(600, 4.61, 0.27, 0.05) == pytest.approx(float(expected))
    assert fees.cash_needed(600, 4.61, 0.27, 0.05) == pytest.approx(3066.30)
    assert fees.cash_needed(0, 4.61) == 0
    with pytest.raises(InputError) as info:
        fees.cash_needed(-5, 4.61)
    assert info.value.column == "units"


# --------------------------------------------------------------------------- a seller's file


def test_replacement_file_changes_the_result(tmp_path: Path) -> None:
    path = _edit(tmp_path, ROW_STORAGE_STD_OFFPEAK, "amount", "0.99")
    mine = fees.load_fee_table(path)
    assert fees.monthly_storage_fee(0.09, "Small standard", 3, table=mine) == pytest.approx(
        0.09 * 0.99
    )
    # The shipped table is untouched, and other figures of the copy are the same.
    assert fees.monthly_storage_fee(0.09, "Small standard", 3) == pytest.approx(0.0702)
    assert fees.monthly_storage_fee(0.09, "Small standard", 11, table=mine) == pytest.approx(0.216)
    # A changed liquidation recovery share flows through too.
    liq_path = _edit(tmp_path, ROW_LIQ_RECOVERY, "amount", "0.10")
    liq = fees.liquidation_recovery(20.0, 100, table=fees.load_fee_table(liq_path))
    assert liq.gross == pytest.approx(200.0)


def test_seller_file_with_spreadsheet_habits(tmp_path: Path) -> None:
    # Excel saves a BOM, dollar signs and a trailing blank line; all are accepted.
    rows = _rows()
    rows[ROW_STORAGE_STD_OFFPEAK - 1][rows[0].index("amount")] = "$0.80"
    path = _write(tmp_path, [*rows, ["" for _ in rows[0]]])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    table = fees.load_fee_table(path)
    assert fees.monthly_storage_fee(1, "standard", 2, table=table) == pytest.approx(0.80)


# --------------------------------------------------------------------------- bad files


def test_unknown_fee_kind(tmp_path: Path) -> None:
    err = _bad(_edit(tmp_path, ROW_AGED_211, "fee", "aged_surchage"))
    assert (err.row, err.column) == (ROW_AGED_211, "fee")
    assert "aged_surcharge" in (err.expected or "")


def test_non_numeric_amount(tmp_path: Path) -> None:
    err = _bad(_edit(tmp_path, ROW_STORAGE_OVS_PEAK, "amount", "1,40 USD"))
    assert (err.row, err.column) == (ROW_STORAGE_OVS_PEAK, "amount")
    assert "not a number" in str(err)


def test_overlapping_age_ranges(tmp_path: Path) -> None:
    err = _bad(_edit(tmp_path, ROW_AGED_211, "from", "200"))
    assert (err.row, err.column) == (ROW_AGED_211, "from")
    assert "overlaps" in str(err) and err.expected == "from = 211"


def test_gap_in_age_ranges(tmp_path: Path) -> None:
    err = _bad(_edit(tmp_path, ROW_AGED_211, "from", "215"))
    assert (err.row, err.column) == (ROW_AGED_211, "from")
    assert "gap" in str(err)


def test_weight_ranges_must_start_at_zero(tmp_path: Path) -> None:
    err = _bad(_edit(tmp_path, ROW_REMOVAL_STD_FIRST, "from", "0.1"))
    assert (err.row, err.column) == (ROW_REMOVAL_STD_FIRST, "from")


def test_missing_months(tmp_path: Path) -> None:
    rows = [r for i, r in enumerate(_rows(), start=1) if i != ROW_STORAGE_OVS_PEAK]
    err = _bad(_write(tmp_path, rows))
    assert "10, 11, 12" in str(err) and "oversize" in str(err)
    assert err.column == "to"


def test_missing_required_fee(tmp_path: Path) -> None:
    rows = [r for i, r in enumerate(_rows(), start=1) if i != ROW_LOW_INVENTORY]
    err = _bad(_write(tmp_path, rows))
    assert err.column == "fee" and "low_inventory_level" in str(err)


def test_duplicate_single_value(tmp_path: Path) -> None:
    rows = _rows()
    rows.append(list(rows[ROW_LOW_INVENTORY - 1]))
    err = _bad(_write(tmp_path, rows))
    assert err.row == len(rows) and err.column == "size_class"


@pytest.mark.parametrize(
    ("row", "column", "value", "needle"),
    [
        (ROW_LIQ_RECOVERY, "amount", "7.5", "above 1"),
        (ROW_STORAGE_STD_OFFPEAK, "effective_from", "01/04/2024", "not a date"),
        (ROW_STORAGE_STD_OFFPEAK, "confirmed", "maybe", "not known"),
        (ROW_STORAGE_STD_OFFPEAK, "size_class", "huge", "not known"),
        (ROW_STORAGE_STD_OFFPEAK, "unit", "per_unit", "not known"),
        (ROW_STORAGE_STD_OFFPEAK, "to", "13", "month 13"),
        (ROW_STORAGE_STD_OFFPEAK, "source", "", "source"),
        (ROW_AGED_211, "amount", "-1", "not allowed"),
    ],
)
def test_bad_cells(tmp_path: Path, row: int, column: str, value: str, needle: str) -> None:
    err = _bad(_edit(tmp_path, row, column, value))
    assert (err.row, err.column) == (row, column)
    assert needle in str(err)


def test_missing_column_and_missing_file(tmp_path: Path) -> None:
    rows = [r[:5] + r[6:] for r in _rows()]  # drop "amount"
    err = _bad(_write(tmp_path, rows))
    assert (err.row, err.column) == (1, "amount")
    with pytest.raises(InputError) as info:
        fees.load_fee_table(tmp_path / "nope.csv")
    assert info.value.file == "nope.csv"


def test_holding_fees_spread_over_calendar_months() -> None:
    # 0.09 ft3 standard from 16 Sep 2026 for 30 days: 15 September days at 0.78 / 30 and 15
    # October days at 2.40 / 31 per cubic foot.
    expected = F("0.09") * (15 * F("0.78") / 30 + 15 * F("2.40") / 31)
    got = fees.holding_fees(0.09, "Small standard", date(2026, 9, 16), 30)
    assert got == pytest.approx(float(expected))
    # Aged 170 days on 1 March, kept 20 days (ages 170..189): 9 days (181..189) also pay the
    # 181-210 surcharge 0.09 x 0.50 a month, spread over March's 31 days.
    aged = fees.holding_fees(0.09, "Small standard", date(2026, 3, 1), 20, age_days=170)
    base = F("0.09") * 20 * F("0.78") / 31
    assert aged == pytest.approx(float(base + 9 * F("0.09") * F("0.50") / 31))
    assert fees.holding_fees(0.09, "Small standard", date(2026, 3, 1), 0) == 0


# --------------------------------------------------------------------------- dated figures


def test_liquidation_processing_fee_is_tiered_by_shipping_weight() -> None:
    # Standard size: 0.25 up to 0.5 lb, 0.30 to 1 lb, 0.35 to 2 lb, then 0.40 + 0.20 per whole
    # lb above 2 (2.3 lb -> 1 lb extra, 4 lb -> 2 lb extra).
    def per_unit(tier: str, lb: float) -> float:
        return fees.liquidation_recovery(20.0, 1, size_tier=tier, weight_lb=lb).processing_fee

    assert per_unit("Small standard", 0.5) == pytest.approx(0.25)
    assert per_unit("Small standard", 0.7) == pytest.approx(0.30)
    assert per_unit("Large standard", 2.0) == pytest.approx(0.35)
    assert per_unit("Large standard", 2.3) == pytest.approx(0.40 + 0.20)
    assert per_unit("Large standard", 4.0) == pytest.approx(0.40 + 2 * 0.20)
    # Oversize: 0.90 for 2-4 lb, 1.90 + 0.20 x 3 for 12.5 lb.
    assert per_unit("Large bulky", 3.0) == pytest.approx(0.90)
    assert per_unit("Large bulky", 12.5) == pytest.approx(1.90 + 3 * 0.20)
    # 100 units at ASP 20, 1.5 lb: gross 150, processing 35, referral 22.50 -> net 92.50.
    liq = fees.liquidation_recovery(20.0, 100, size_tier="Large standard", weight_lb=1.5)
    assert liq.net == pytest.approx(150 - 35 - 22.5)


def test_removal_and_disposal_use_the_fees_of_their_day() -> None:
    # Standard up to 0.5 lb: 1.04 until 2026-01-14, 0.84 from 2026-01-15; 0.5-1 lb 1.53 both.
    assert fees.removal_fee("Small standard", 0.4, on=date(2026, 1, 14)) == pytest.approx(1.04)
    assert fees.removal_fee("Small standard", 0.4, on=date(2026, 1, 15)) == pytest.approx(0.84)
    assert fees.removal_fee("Small standard", 0.4, kind="disposal", on=date(2025, 6, 1)) == (
        pytest.approx(1.04)
    )
    assert fees.removal_fee("Small standard", 0.7, on=date(2025, 6, 1)) == pytest.approx(1.53)
    # No date: the newest figures.
    assert fees.removal_fee("Small standard", 0.4) == pytest.approx(0.84)


def test_aged_surcharge_of_2025_and_2026() -> None:
    small = 0.02
    # 2025: one 365+ tier, the greater of 6.90/ft3 (0.138) or 0.15 per unit.
    assert fees.aged_surcharge(small, 400, on=date(2025, 6, 1)) == pytest.approx(0.15)
    assert fees.aged_surcharge(small, 500, on=date(2025, 6, 1)) == pytest.approx(0.15)
    # 2026: 12-15 months 0.30 per unit minimum, 15+ months 0.35.
    assert fees.aged_surcharge(small, 400, on=date(2026, 2, 1)) == pytest.approx(0.30)
    assert fees.aged_surcharge(small, 500, on=date(2026, 2, 1)) == pytest.approx(0.35)
    # 271-300 days: 3.80/ft3 in 2023, 5.45 from 2024-02-15; before the table's first date
    # the earliest figures apply.
    assert fees.aged_surcharge(0.09, 280, on=date(2023, 6, 1)) == pytest.approx(0.09 * 3.80)
    assert fees.aged_surcharge(0.09, 280, on=date(2024, 2, 15)) == pytest.approx(0.09 * 5.45)
    assert fees.aged_surcharge(0.09, 280, on=date(2020, 1, 1)) == pytest.approx(0.09 * 3.80)


def test_holding_fees_cross_a_fee_change() -> None:
    # 0.02 ft3 standard, 400 days old on 2026-01-14, kept 3 days: the 14th and 15th pay the
    # 2025 surcharge 0.15 a month, the 16th the 2026 one 0.30, plus storage 0.02 x 0.78.
    got = fees.holding_fees(0.02, "Small standard", date(2026, 1, 14), 3, age_days=400)
    expected = (3 * F("0.02") * F("0.78") + 2 * F("0.15") + F("0.30")) / 31
    assert got == pytest.approx(float(expected))


def test_two_figures_in_force_on_one_day_are_refused(tmp_path: Path) -> None:
    rows = _rows()
    header = rows[0]
    dated = next(
        i
        for i, r in enumerate(rows)
        if r[0] == "removal" and r[header.index("effective_to")] == "2026-01-14"
    )
    rows[dated][header.index("effective_to")] = ""  # the 1.04 row never ends
    err = _bad(_write(tmp_path, rows))
    assert "in force on 2026-01-15" in str(err) and err.column == "from"
