"""FBA fee table (US, 2026) and unit economics (R-L6, R-D3, R-E3).

The fees live in a data file, not in code: ``data/fees_us_2026.csv`` ships with the package and
a seller can edit a copy or replace it (``load_fee_table(path)``). One long CSV, one row per
figure::

    fee,size_class,from,to,unit,amount,minimum_per_unit,extra_per_lb,
    effective_from,effective_to,source,confirmed,note

``fee`` and ``unit`` together say what a row is and what ``from``/``to`` mean:

==================== ==================== ===================================================
fee                  unit                 from / to
==================== ==================== ===================================================
storage              per_cubic_foot_month calendar months, inclusive (1-9 off-peak, 10-12 peak)
aged_surcharge       per_cubic_foot_month inventory age in days, inclusive; last ``to`` blank
low_inventory_level  days_of_supply       unused; ``amount`` is the days-of-supply threshold
removal / disposal   per_unit             shipping weight in lb: from < weight <= to (0 counts
                                          in the first row); last ``to`` blank; plus
                                          ``extra_per_lb`` per whole lb above ``from``
liquidation          share_of_asp         recovery share used; from/to = published range
liquidation          share_of_gross       liquidation referral fee share of gross recovery
liquidation          per_unit             processing fee per unit by shipping weight (as
                                          removal)
==================== ==================== ===================================================

``size_class`` is ``standard``, ``oversize`` or ``all`` (both). ``confirmed`` is ``yes`` only
when the figure was read on an Amazon page as in force for 2026; every other figure says in
``source`` and ``note`` where it comes from and which year.

Dates: a figure applies from ``effective_from`` to ``effective_to`` (inclusive; blank = still in
force). A changed fee keeps its earlier row with an ``effective_to``, so a computation for a day
of 2025 costs 2025's fees: the lookups take the day they apply on (``on=``); without one they
use the newest figures (the rows still in force). On every day from a fee's first
``effective_from`` the rows in force must tile their ranges, as without dates. A day before a
fee's first row uses its earliest figures (the oldest the table knows).

Money is in the seller's currency; shares are floats 0..1 (0.15 = 15%).
"""

from __future__ import annotations

import calendar
import csv
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from stockcycle.errors import InputError

DEFAULT_FEE_FILE: Path = Path(__file__).resolve().parent / "data" / "fees_us_2026.csv"

COLUMNS = (
    "fee",
    "size_class",
    "from",
    "to",
    "unit",
    "amount",
    "minimum_per_unit",
    "extra_per_lb",
    "effective_from",
    "effective_to",
    "source",
    "confirmed",
    "note",
)
_REQUIRED_COLUMNS = tuple(c for c in COLUMNS if c not in ("note", "extra_per_lb"))

STORAGE_CLASSES = ("standard", "oversize")
SIZE_CLASSES = (*STORAGE_CLASSES, "all")

# fee -> units allowed for it; each (fee, unit) pair has one range kind (see module doc).
FEE_UNITS: dict[str, tuple[str, ...]] = {
    "storage": ("per_cubic_foot_month",),
    "aged_surcharge": ("per_cubic_foot_month",),
    "low_inventory_level": (
        "days_of_supply",
        "per_unit",
        "per_unit_small_standard",
        "exempt_below_units_7_days",
    ),
    "storage_utilization": ("per_cubic_foot_month",),
    "removal": ("per_unit",),
    "disposal": ("per_unit",),
    "liquidation": ("share_of_asp", "share_of_gross", "per_unit"),
}
_RANGE_KIND: dict[tuple[str, str], str] = {
    ("storage", "per_cubic_foot_month"): "months",
    ("aged_surcharge", "per_cubic_foot_month"): "days",
    ("low_inventory_level", "days_of_supply"): "single",
    # R-F1: the fee per unit by historical days of supply (whole days, inclusive ranges), the
    # small-standard tier apart; the units sold in 7 days under which a SKU is exempt.
    ("low_inventory_level", "per_unit"): "days",
    ("low_inventory_level", "per_unit_small_standard"): "days",
    ("low_inventory_level", "exempt_below_units_7_days"): "single",
    # R-F1: the storage utilization surcharge by the account's weeks of supply (whole weeks).
    ("storage_utilization", "per_cubic_foot_month"): "days",
    ("removal", "per_unit"): "weight",
    ("disposal", "per_unit"): "weight",
    ("liquidation", "share_of_asp"): "single",
    ("liquidation", "share_of_gross"): "single",
    ("liquidation", "per_unit"): "weight",
}
# Fees a seller's own (older) table may leave out: the functions below then count them as 0
# and say so (``fee_rows_present``).
_OPTIONAL_FEES = frozenset(
    {
        ("low_inventory_level", "per_unit"),
        ("low_inventory_level", "per_unit_small_standard"),
        ("low_inventory_level", "exempt_below_units_7_days"),
        ("storage_utilization", "per_cubic_foot_month"),
    }
)
# Every one of these must be present for both storage classes: the functions below need them.
_REQUIRED_FEES = tuple(k for k in _RANGE_KIND if k not in _OPTIONAL_FEES)

# Amazon size tiers as sellers write them (products.size_tier) -> storage class. Amazon renamed
# the oversize tiers "small bulky / large bulky / extra-large" in 2024; both names are accepted.
_STANDARD_TIERS = ("small standard", "large standard", "standard")
_OVERSIZE_TIERS = (
    "small oversize",
    "medium oversize",
    "large oversize",
    "special oversize",
    "oversize",
    "small bulky",
    "large bulky",
    "bulky",
    "extra-large",
)
ACCEPTED_SIZE_TIERS = (
    "Small standard, Large standard, Small oversize, Medium oversize, Large oversize, "
    "Special oversize, Small bulky, Large bulky, Extra-large ... (any 'Extra-large' tier), "
    "standard, oversize, or empty (= standard)"
)
#: Amazon's referral fee in most categories (share of the price), used where a product row has
#: no referral rate of its own.
DEFAULT_REFERRAL_RATE = 0.15


@dataclass(frozen=True, eq=False)
class _Band:
    """One validated row, in the form the lookups use."""

    row: int
    size_class: str
    low: float | None
    high: float | None  # None: open-ended
    amount: float
    minimum_per_unit: float
    extra_per_lb: float
    start: date = date.min  # effective_from
    end: date | None = None  # effective_to (inclusive); None: still in force

    def in_force(self, on: date | None) -> bool:
        """In force on ``on`` (None: the newest figures, i.e. rows without an end)."""
        if on is None:
            return self.end is None
        return self.start <= on and (self.end is None or on <= self.end)


def _on_day(group: list[_Band], on: date | None) -> list[_Band]:
    """The bands of ``group`` in force on ``on``; before the group's first ``effective_from``
    its earliest figures (the oldest the table knows)."""
    found = [b for b in group if b.in_force(on)]
    if found or on is None:
        return found
    first = min(b.start for b in group)
    if on < first:
        return [b for b in group if b.in_force(first)]
    return found


@dataclass(frozen=True, eq=False)
class FeeTable:
    """A validated fee table: ``rows`` (typed, with the spreadsheet ``row`` number) and its path.

    ``bands`` maps (fee, unit, storage class) to that class's rows sorted by ``from``; rows with
    ``size_class`` "all" appear under both classes.
    """

    rows: pd.DataFrame
    path: Path
    bands: dict[tuple[str, str, str], list[_Band]] = field(repr=False, default_factory=dict)

    @property
    def effective_from(self) -> date:
        """Earliest ``effective_from`` of any figure in the table."""
        return min(self.rows["effective_from"])

    def unconfirmed(self) -> pd.DataFrame:
        """Rows whose figure is not confirmed for 2026 (``confirmed`` = no)."""
        return self.rows[~self.rows["confirmed"]]

    def describe(self) -> str:
        """One line for a page or the CLI: file, number of figures, how many unconfirmed."""
        n, u = len(self.rows), len(self.unconfirmed())
        return f"{self.path.name}: {n} fee figures, {u} not confirmed for 2026 (see 'note')"

    def band(
        self, fee: str, unit: str, storage_class: str, value: float, on: date | None = None
    ) -> _Band | None:
        """The row of ``fee``/``unit`` for ``storage_class`` whose range holds ``value``,
        among the rows in force on ``on`` (None: the newest figures).

        Months and days are inclusive integer ranges; weights are (from, to] with 0 in the first
        row. None when ``value`` is below the first range (e.g. age under 181 days).
        """
        kind = _RANGE_KIND[(fee, unit)]
        for b in _on_day(self.bands[(fee, unit, storage_class)], on):
            if kind == "single":
                return b
            low = b.low if b.low is not None else -math.inf
            high = b.high if b.high is not None else math.inf
            if kind == "weight":
                if (low < value or (low == 0 and value == 0)) and value <= high:
                    return b
            elif low <= value <= high:
                return b
        return None

    def single(
        self, fee: str, unit: str, storage_class: str = "standard", on: date | None = None
    ) -> _Band:
        """The one row of a single-valued fee (thresholds, shares) in force on ``on``."""
        return _on_day(self.bands[(fee, unit, storage_class)], on)[0]


# --------------------------------------------------------------------------- loading


def _err(
    path: Path, message: str, row: int | None, column: str | None, expected: str
) -> InputError:
    return InputError(message, file=path.name, row=row, column=column, expected=expected)


def _number(
    path: Path, text: str, row: int, column: str, *, required: bool, integer: bool = False
) -> float | None:
    text = (text or "").strip().replace("$", "").replace(",", "")
    if text == "":
        if required:
            raise _err(path, "the cell is empty", row, column, "a number")
        return None
    try:
        value = float(text)
    except ValueError:
        raise _err(
            path, f"'{text}' is not a number", row, column, "a number such as 0.78"
        ) from None
    if not math.isfinite(value) or value < 0:
        raise _err(path, f"{text} is not allowed", row, column, "a number of 0 or more")
    if integer and value != int(value):
        raise _err(path, f"{text} is not a whole number", row, column, "a whole number")
    return value


def _date(path: Path, text: str, row: int, column: str, *, required: bool) -> date | None:
    text = (text or "").strip()
    if text == "":
        if required:
            raise _err(path, "the cell is empty", row, column, "a date YYYY-MM-DD")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _err(path, f"'{text}' is not a date", row, column, "a date YYYY-MM-DD") from None


def _choice(path: Path, text: str, row: int, column: str, allowed: Iterable[str]) -> str:
    value = (text or "").strip().lower()
    allowed = tuple(allowed)
    if value not in allowed:
        shown = f"'{text.strip()}'" if (text or "").strip() else "empty"
        raise _err(
            path, f"{column} {shown} is not known", row, column, "one of " + ", ".join(allowed)
        )
    return value


def load_fee_table(path: Path | str | None = None) -> FeeTable:
    """Read and validate a fee table CSV (the shipped ``DEFAULT_FEE_FILE`` when None).

    Strict: an unknown fee, size class or unit, a non-numeric amount, a bad date, overlapping or
    missing ranges (months 1-12 per class, contiguous age days, contiguous weights from 0 with an
    open last row) or a missing required fee raise ``InputError`` naming the file, the
    spreadsheet row (header = row 1), the column and what was expected.
    """
    path = Path(path) if path is not None else DEFAULT_FEE_FILE
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise _err(path, "the fee table file was not found", None, None, "a CSV file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _err(
            path, f"the fee table cannot be read ({exc})", None, None, "a UTF-8 CSV"
        ) from None

    reader = csv.DictReader(text.splitlines(keepends=True))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise _err(path, "the file is empty", 1, None, "a header row: " + ",".join(COLUMNS))
    reader.fieldnames = header
    missing = [c for c in _REQUIRED_COLUMNS if c not in header]
    if missing:
        raise _err(
            path,
            "the header has no column " + ", ".join(missing),
            1,
            missing[0],
            "columns " + ",".join(COLUMNS),
        )

    records: list[dict[str, Any]] = []
    for raw in reader:
        row = reader.line_num
        if all(not (v or "").strip() for k, v in raw.items() if k is not None):
            continue  # blank line left by a spreadsheet
        fee = _choice(path, raw["fee"], row, "fee", FEE_UNITS)
        size_class = _choice(path, raw["size_class"], row, "size_class", SIZE_CLASSES)
        unit = _choice(path, raw["unit"], row, "unit", FEE_UNITS[fee])
        kind = _RANGE_KIND[(fee, unit)]
        integer = kind in ("months", "days")
        low = _number(path, raw["from"], row, "from", required=kind != "single", integer=integer)
        high = _number(path, raw["to"], row, "to", required=kind == "months", integer=integer)
        if kind == "months":
            for col, v in (("from", low), ("to", high)):
                if not 1 <= v <= 12:  # type: ignore[operator]
                    raise _err(path, f"month {v:g} does not exist", row, col, "a month 1-12")
        if (
            low is not None
            and high is not None
            and (high < low or (kind == "weight" and high == low))
        ):
            raise _err(
                path,
                f"'to' ({high:g}) is below 'from' ({low:g})",
                row,
                "to",
                "'to' above 'from', or empty for an open-ended last range",
            )
        amount = _number(path, raw["amount"], row, "amount", required=True)
        assert amount is not None
        if unit.startswith("share") and amount > 1:
            raise _err(
                path,
                f"share {amount:g} is above 1",
                row,
                "amount",
                "a share between 0 and 1 (0.15 = 15%)",
            )
        if (
            unit == "share_of_asp"
            and low is not None
            and high is not None
            and not (low <= amount <= high)
        ):
            raise _err(
                path,
                f"recovery share {amount:g} is outside its range {low:g}-{high:g}",
                row,
                "amount",
                "a share within from-to",
            )
        minimum = _number(path, raw["minimum_per_unit"], row, "minimum_per_unit", required=False)
        extra = _number(path, raw.get("extra_per_lb", ""), row, "extra_per_lb", required=False)
        start = _date(path, raw["effective_from"], row, "effective_from", required=True)
        end = _date(path, raw["effective_to"], row, "effective_to", required=False)
        if end is not None and start is not None and end < start:
            raise _err(
                path,
                f"effective_to {end} is before effective_from {start}",
                row,
                "effective_to",
                "a date on or after effective_from, or empty",
            )
        source = (raw["source"] or "").strip()
        if not source:
            raise _err(path, "every figure needs its source", row, "source", "where it comes from")
        confirmed = _choice(path, raw["confirmed"], row, "confirmed", ("yes", "no")) == "yes"
        records.append(
            {
                "row": row,
                "fee": fee,
                "size_class": size_class,
                "from": low,
                "to": high,
                "unit": unit,
                "amount": amount,
                "minimum_per_unit": minimum,
                "extra_per_lb": extra,
                "effective_from": start,
                "effective_to": end,
                "source": source,
                "confirmed": confirmed,
                "note": (raw.get("note") or "").strip(),
            }
        )

    bands = _build_bands(path, records)
    rows = pd.DataFrame.from_records(records, columns=["row", *COLUMNS])
    rows["confirmed"] = rows["confirmed"].astype(bool)
    return FeeTable(rows=rows, path=path, bands=bands)


def _build_bands(
    path: Path, records: list[dict[str, Any]]
) -> dict[tuple[str, str, str], list[_Band]]:
    """Group rows per (fee, unit, storage class) and check their ranges tile without gaps."""
    bands: dict[tuple[str, str, str], list[_Band]] = {}
    for r in records:
        classes = STORAGE_CLASSES if r["size_class"] == "all" else (r["size_class"],)
        b = _Band(
            row=r["row"],
            size_class=r["size_class"],
            low=r["from"],
            high=r["to"],
            amount=r["amount"],
            minimum_per_unit=r["minimum_per_unit"] or 0.0,
            extra_per_lb=r["extra_per_lb"] or 0.0,
            start=r["effective_from"],
            end=r["effective_to"],
        )
        for c in classes:
            bands.setdefault((r["fee"], r["unit"], c), []).append(b)

    for fee, unit in _REQUIRED_FEES:
        for c in STORAGE_CLASSES:
            if (fee, unit, c) not in bands:
                raise _err(
                    path,
                    f"no '{fee}' row with unit '{unit}' for size class '{c}'",
                    None,
                    "fee",
                    f"a row fee={fee}, unit={unit}, size_class={c} or all",
                )

    for (fee, unit, c), every in bands.items():
        # Each day a figure starts or ends, the rows then in force must tile as one table.
        days = sorted(
            {b.start for b in every} | {b.end + timedelta(days=1) for b in every if b.end}
        )
        for day in days:
            group = [b for b in every if b.in_force(day)]
            dated = f" (figures in force on {day})" if len(days) > 1 else ""
            if not group:
                raise _err(
                    path,
                    f"no '{fee}' ({unit}) figure for size class '{c}' is in force on {day}",
                    max(b.row for b in every),
                    "effective_to",
                    "a row in force on every day after the first (leave the newest open)",
                )
            _check_group(path, fee, unit, c, group, dated)
        every.sort(key=lambda b: (b.low if b.low is not None else -math.inf, b.row))
    return bands


def _check_group(path: Path, fee: str, unit: str, c: str, group: list[_Band], dated: str) -> None:
    """The rows of one fee, unit and storage class in force on one day tile their ranges."""
    kind = _RANGE_KIND[(fee, unit)]
    shown = "all" if all(b.size_class == "all" for b in group) else c
    what = f"'{fee}' ({unit}) for size class '{shown}'{dated}"
    if kind == "single":
        if len(group) > 1:
            raise _err(
                path,
                f"{what} is given twice (also on row {group[0].row})",
                group[1].row,
                "size_class",
                "one row per size class (or one 'all' row)",
            )
        return
    group.sort(key=lambda b: (b.low, b.row))
    if kind == "months":
        _check_months(path, what, group)
        return
    step = 1.0 if kind == "days" else 0.0
    if kind == "weight" and group[0].low != 0:
        raise _err(
            path,
            f"{what} starts at {group[0].low:g} lb",
            group[0].row,
            "from",
            "the first weight range to start at 0",
        )
    for prev, nxt in zip(group, group[1:], strict=False):
        if prev.high is None:
            raise _err(
                path,
                f"{what}: row {prev.row} is open-ended but row {nxt.row} follows",
                nxt.row,
                "from",
                "only the last range without 'to'",
            )
        want = prev.high + step
        if nxt.low < want:  # type: ignore[operator]
            raise _err(
                path,
                f"{what}: range overlaps row {prev.row} (which ends at {prev.high:g})",
                nxt.row,
                "from",
                f"from = {want:g}",
            )
        if nxt.low > want:  # type: ignore[operator]
            raise _err(
                path,
                f"{what}: ranges leave a gap after row {prev.row} (which ends at {prev.high:g})",
                nxt.row,
                "from",
                f"from = {want:g}",
            )
    if group[-1].high is not None:
        raise _err(
            path,
            f"{what}: the last range ends at {group[-1].high:g}",
            group[-1].row,
            "to",
            "an empty 'to' on the last range (open-ended)",
        )


def _check_months(path: Path, what: str, group: list[_Band]) -> None:
    seen: dict[int, int] = {}
    for b in group:
        for m in range(int(b.low), int(b.high) + 1):  # type: ignore[arg-type]
            if m in seen:
                raise _err(
                    path,
                    f"{what}: month {m} is also on row {seen[m]}",
                    b.row,
                    "from",
                    "each month 1-12 on exactly one row",
                )
            seen[m] = b.row
    missing = [m for m in range(1, 13) if m not in seen]
    if missing:
        raise _err(
            path,
            f"{what}: months {', '.join(map(str, missing))} are not covered",
            group[-1].row,
            "to",
            "months 1-12 covered",
        )


@lru_cache(maxsize=1)
def _default_table() -> FeeTable:
    return load_fee_table(DEFAULT_FEE_FILE)


def _table(table: FeeTable | Path | str | None) -> FeeTable:
    if table is None:
        return _default_table()
    if isinstance(table, FeeTable):
        return table
    return load_fee_table(table)


# --------------------------------------------------------------------------- fees


def storage_tier(size_tier: str | None) -> str:
    """Amazon size tier (as written in products.size_tier) -> storage class.

    "Small standard", "Large standard" -> "standard"; the oversize tiers (small/medium/large/
    special oversize, small/large bulky, extra-large ...) -> "oversize". Empty or missing ->
    "standard" (most FBA products are standard-size; the seller sees the class used). Anything
    else raises ``InputError`` on column ``size_tier`` listing the accepted values.
    """
    if size_tier is None or (isinstance(size_tier, float) and math.isnan(size_tier)):
        return "standard"
    text = " ".join(str(size_tier).strip().lower().replace("_", " ").split())
    text = text.replace("standard-size", "standard").replace("standard size", "standard")
    if text == "":
        return "standard"
    if text in _STANDARD_TIERS:
        return "standard"
    if text in _OVERSIZE_TIERS or text.startswith("extra-large") or text.startswith("extra large"):
        return "oversize"
    raise InputError(
        f"size tier '{size_tier}' is not an Amazon size tier",
        column="size_tier",
        expected=ACCEPTED_SIZE_TIERS,
    )


def _non_negative(value: float, column: str, *, allow_inf: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{column} is {value!r}", column=column, expected="a number") from None
    if math.isnan(v) or v < 0 or (math.isinf(v) and not allow_inf):
        raise InputError(f"{column} is {value!r}", column=column, expected="a number of 0 or more")
    return v


def monthly_storage_fee(
    cubic_feet: float, size_tier: str | None, month: int, table: FeeTable | None = None
) -> float:
    """Monthly FBA storage fee per unit: ``cubic_feet x rate(storage class, month)``.

    Units: cubic feet per unit, month 1-12 -> money per unit per month. Rates from the fee
    table (2026: standard 0.78 Jan-Sep / 2.40 Oct-Dec, oversize 0.56 / 1.40 per cubic foot).
    Source: Amazon FBA monthly inventory storage fees; SPEC R-D3 (storage avoided by clearing).
    """
    cf = _non_negative(cubic_feet, "cubic_feet")
    try:
        ok = float(month) == int(month) and 1 <= int(month) <= 12
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InputError(f"month is {month!r}", column="month", expected="a month 1-12")
    t = _table(table)
    band = t.band("storage", "per_cubic_foot_month", storage_tier(size_tier), int(month))
    assert band is not None  # the loader checked months 1-12 are covered
    return cf * band.amount


def aged_surcharge(
    cubic_feet: float, age_days: float, table: FeeTable | None = None, *, on: date | None = None
) -> float:
    """Aged-inventory surcharge per unit per month, on top of storage.

    ``max(cubic_feet x rate(age tier), minimum_per_unit(age tier))``; 0 below the first tier
    (181 days). Age in whole days (FIFO age as Amazon reports it); cubic feet per unit; the
    tiers in force on ``on`` (None: the newest; 2026: 12-15 months the greater of 6.90 per
    cubic foot or 0.30 per unit, 15+ months 7.90 or 0.35; 2025: 365+ days 6.90 or 0.15).
    Source: Amazon FBA aged inventory surcharge (tiers and dates in the fee table); SPEC R-D3,
    R-K2, R-F1.
    """
    cf = _non_negative(cubic_feet, "cubic_feet")
    age = _non_negative(age_days, "age_days")
    band = _table(table).band(
        "aged_surcharge", "per_cubic_foot_month", "standard", math.floor(age), on
    )
    if band is None:
        return 0.0
    return max(cf * band.amount, band.minimum_per_unit)


def holding_fees(
    cubic_feet: float,
    size_tier: str | None,
    start: date,
    days: int,
    age_days: float | None = None,
    table: FeeTable | None = None,
) -> float:
    """Storage (and, when ``age_days`` is given, aged surcharge) per unit kept ``days`` days.

    ``sum over days d of [storage(cf, month of d) + surcharge(cf, age + k)] / days in month of
    d``: the monthly fees spread evenly over the days of each calendar month, so a stay across
    September-October pays part off-peak and part peak rates. ``age_days`` is the unit's age on
    ``start``; each day's surcharge tiers are those in force that day. Money per unit. Amazon
    bills the surcharge on a monthly snapshot (the 15th); the
    daily spread is a planning approximation. Source: SPEC R-D3 (storage and surcharges avoided
    by clearing sooner), R-E2.
    """
    cf = _non_negative(cubic_feet, "cubic_feet")
    n = int(_non_negative(days, "days"))
    age0 = None if age_days is None else _non_negative(age_days, "age_days")
    t = _table(table)
    cls = storage_tier(size_tier)
    total = 0.0
    for k in range(n):
        day = start + timedelta(days=k)
        month_days = calendar.monthrange(day.year, day.month)[1]
        band = t.band("storage", "per_cubic_foot_month", cls, day.month)
        assert band is not None
        fee = cf * band.amount
        if age0 is not None:
            fee += aged_surcharge(cf, age0 + k, table=t, on=day)
        total += fee / month_days
    return total


def low_inventory_fee_applies(
    days_of_supply_30: float, days_of_supply_90: float, table: FeeTable | None = None
) -> bool:
    """True when the low-inventory-level fee applies: BOTH days of supply below the threshold.

    ``d30 < T and d90 < T`` with T = 28 days in the 2026 table; days of supply = units
    available / average daily units shipped over the last 30 (90) days (inf when nothing
    shipped). Amazon's exemptions are not modelled. Source: Amazon FBA low-inventory-level fee.
    """
    d30 = _non_negative(days_of_supply_30, "days_of_supply_30", allow_inf=True)
    d90 = _non_negative(days_of_supply_90, "days_of_supply_90", allow_inf=True)
    threshold = _table(table).single("low_inventory_level", "days_of_supply").amount
    return d30 < threshold and d90 < threshold


def fee_rows_present(fee: str, unit: str, table: FeeTable | None = None) -> bool:
    """Whether the fee table has rows for ``fee``/``unit`` (the optional R-F1 fees may be
    missing from a seller's own table; their functions then count 0)."""
    t = _table(table)
    return any((fee, unit, c) in t.bands for c in STORAGE_CLASSES)


def low_inventory_threshold(table: FeeTable | None = None) -> float:
    """The low-inventory-level fee's days-of-supply threshold T (R-F1: 28 days, fee table)."""
    return _table(table).single("low_inventory_level", "days_of_supply").amount


def low_inventory_exempt_units(table: FeeTable | None = None) -> float:
    """Units sold in the last 7 days under which a SKU is exempt from the low-inventory-level
    fee (R-F1: 20 in the table); 0 (no exemption) when the table has no such row."""
    t = _table(table)
    if not fee_rows_present("low_inventory_level", "exempt_below_units_7_days", t):
        return 0.0
    return t.single("low_inventory_level", "exempt_below_units_7_days").amount


def low_inventory_fee_per_unit(
    size_tier: str | None,
    days_of_supply_30: float,
    days_of_supply_90: float,
    units_sold_7_days: float | None = None,
    table: FeeTable | None = None,
) -> float:
    """Low-inventory-level fee per unit shipped (R-F1), money per unit.

    0 unless ``low_inventory_fee_applies`` (both the 30- and the 90-day historical days of
    supply below T = 28 days) and the SKU sold at least the exemption's units in the last 7
    days (20 in the table; None: not checked). Otherwise the rate of the band holding the
    historical days of supply Amazon shows, max(d30, d90) in whole days (2026 table: 0-13,
    14-20, 21-27 days; small standard has its own rates, ``per_unit_small_standard``), by the
    storage class of ``size_tier``. 0 when the table has no per-unit rows. Source: Amazon FBA
    low-inventory-level fee (fee table rows name the page and year).
    """
    t = _table(table)
    if not low_inventory_fee_applies(days_of_supply_30, days_of_supply_90, t):
        return 0.0
    if units_sold_7_days is not None:
        sold = _non_negative(units_sold_7_days, "units_sold_7_days")
        if sold < low_inventory_exempt_units(t):
            return 0.0
    small = " ".join(str(size_tier or "").strip().lower().split()) == "small standard"
    unit = "per_unit_small_standard" if small else "per_unit"
    if not fee_rows_present("low_inventory_level", unit, t):
        return 0.0
    days = math.floor(max(float(days_of_supply_30), float(days_of_supply_90)))
    band = t.band("low_inventory_level", unit, storage_tier(size_tier), days)
    return band.amount if band is not None else 0.0


def storage_utilization_threshold_weeks(table: FeeTable | None = None) -> float:
    """Weeks of supply above which the storage utilization surcharge starts (R-F1: 22 weeks):
    the lower edge of the table's first tier; inf when the table has none."""
    t = _table(table)
    if not fee_rows_present("storage_utilization", "per_cubic_foot_month", t):
        return math.inf
    return min(b.low for b in t.bands[("storage_utilization", "per_cubic_foot_month", "standard")])


def storage_utilization_surcharge(
    cubic_feet: float,
    size_tier: str | None,
    weeks_of_supply: float,
    table: FeeTable | None = None,
) -> float:
    """Storage utilization surcharge per unit per month, on top of storage (R-F1).

    ``cubic_feet x rate(storage class, tier)`` where the tier holds the account's storage
    utilization ratio in weeks of supply (average daily volume stored / average daily volume
    shipped over the last 13 weeks, / 7). Tiers are "above a, up to b weeks": whole weeks
    ceil(w) - 1 are looked up, so exactly 22.0 weeks pays nothing and 22.1 pays the first
    tier. 0 at or below the first tier or without rows in the table. Source: Amazon 2024 FBA
    storage utilization surcharge (fee table rows name the page and year).
    """
    cf = _non_negative(cubic_feet, "cubic_feet")
    weeks = _non_negative(weeks_of_supply, "weeks_of_supply", allow_inf=True)
    t = _table(table)
    if not fee_rows_present("storage_utilization", "per_cubic_foot_month", t) or weeks <= 0:
        return 0.0
    key = math.ceil(weeks) - 1 if math.isfinite(weeks) else 10**9
    band = t.band("storage_utilization", "per_cubic_foot_month", storage_tier(size_tier), key)
    return cf * band.amount if band is not None else 0.0


def _per_unit_by_weight(
    t: FeeTable, fee: str, size_tier: str | None, weight_lb: float, on: date | None = None
) -> float:
    w = _non_negative(weight_lb, "weight_lb")
    band = t.band(fee, "per_unit", storage_tier(size_tier), w, on)
    assert band is not None  # weights from 0 with an open last range
    # Amazon rounds the shipping weight up to whole lb for the per-lb part.
    extra_lb = max(0, math.ceil(round(w - (band.low or 0.0), 9))) if band.extra_per_lb else 0
    return band.amount + band.extra_per_lb * extra_lb


def removal_fee(
    size_tier: str | None,
    weight_lb: float,
    table: FeeTable | None = None,
    kind: str = "removal",
    *,
    on: date | None = None,
) -> float:
    """Removal (or disposal) fee per unit by storage class and shipping weight.

    ``amount(weight band) + extra_per_lb x ceil(weight - band start)`` (the shipped table has a
    per-lb part only on the heaviest band, e.g. standard over 2 lb: 2.89 + 1.06/lb). Weight in lb ->
    money per unit, at the fees in force on ``on`` (the day the order is created; None: the
    newest). Standard size up to 0.5 lb: 1.04 before 2026-01-15, 0.84 from then. Source:
    Amazon FBA removal and disposal order fees; SPEC R-E3, R-F3.
    """
    if kind not in ("removal", "disposal"):
        raise InputError(f"kind is {kind!r}", column="kind", expected="removal or disposal")
    return _per_unit_by_weight(_table(table), kind, size_tier, weight_lb, on)


@dataclass(frozen=True)
class Liquidation:
    """FBA liquidation of ``units`` units (R-E3): what the seller gets back."""

    units: float
    average_selling_price: float
    recovery_rate: float  # share of ASP the liquidator pays
    gross: float  # recovery_rate x ASP x units
    processing_fee_per_unit: float
    processing_fee: float
    referral_rate: float
    referral_fee: float  # referral_rate x gross
    net: float  # gross - processing - referral (may be negative)

    def explain(self) -> str:
        return (
            f"**Liquidation of {self.units:,.0f} units**\n\n"
            f"- gross = recovery rate x ASP x units = {self.recovery_rate:.3f} x "
            f"{self.average_selling_price:,.2f} x {self.units:,.0f} = {self.gross:,.2f}\n"
            f"- processing = {self.processing_fee_per_unit:,.2f} x {self.units:,.0f} = "
            f"{self.processing_fee:,.2f}\n"
            f"- referral = {self.referral_rate:.0%} x gross = {self.referral_fee:,.2f}\n"
            f"- **net = {self.gross:,.2f} - {self.processing_fee:,.2f} - "
            f"{self.referral_fee:,.2f} = {self.net:,.2f}**\n\n"
            "The recovery rate is Amazon's published 5-10% range; the liquidator's real offer "
            "is only known after the order."
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def liquidation_recovery(
    average_selling_price: float,
    units: float,
    table: FeeTable | None = None,
    *,
    recovery_rate: float | None = None,
    size_tier: str | None = None,
    weight_lb: float = 0.0,
    on: date | None = None,
) -> Liquidation:
    """Net recovery from FBA liquidation.

    ``gross = r x ASP x units``; ``net = gross - processing_per_unit(size, weight) x units -
    referral_rate x gross``. r defaults to the table's recovery share (0.075, the middle of
    Amazon's 5-10%), referral 15% of gross. The processing fee is tiered by shipping weight
    (standard size 0.25 up to 0.5 lb, 0.30 to 1 lb, 0.35 to 2 lb, then 0.40 + 0.20 per lb
    above 2 lb), as in force on ``on`` (None: the newest). Money in, money out. Source:
    Amazon FBA Liquidations fees; SPEC R-E3, R-F3.
    """
    asp = _non_negative(average_selling_price, "average_selling_price")
    n = _non_negative(units, "units")
    t = _table(table)
    if recovery_rate is None:
        rate = t.single("liquidation", "share_of_asp", on=on).amount
    else:
        rate = _non_negative(recovery_rate, "recovery_rate")
        if rate > 1:
            raise InputError(
                f"recovery_rate is {recovery_rate}",
                column="recovery_rate",
                expected="a share between 0 and 1 (0.075 = 7.5%)",
            )
    referral_rate = t.single("liquidation", "share_of_gross", on=on).amount
    per_unit = _per_unit_by_weight(t, "liquidation", size_tier, weight_lb, on)
    gross = rate * asp * n
    processing = per_unit * n
    referral = referral_rate * gross
    return Liquidation(
        units=n,
        average_selling_price=asp,
        recovery_rate=rate,
        gross=gross,
        processing_fee_per_unit=per_unit,
        processing_fee=processing,
        referral_rate=referral_rate,
        referral_fee=referral,
        net=gross - processing - referral,
    )


# --------------------------------------------------------------------------- unit economics


@dataclass(frozen=True)
class UnitEconomics:
    """Per-unit economics of a product at a price (R-L6)."""

    price: float
    unit_cost: float
    freight_per_unit: float
    duty_per_unit: float
    landed_cost: float  # unit cost + freight + duty
    fba_fee: float
    referral_fee: float  # referral rate x price
    storage_per_unit: float
    total_cost: float  # landed + FBA + referral + storage
    profit_per_unit: float  # price - total cost
    gross_margin: float  # profit / price (share)
    roi: float  # profit / landed cost (share; inf when landed cost is 0)
    target_margin: float
    meets_target: bool
    referral_rate: float = DEFAULT_REFERRAL_RATE
    duty_rate: float = 0.0

    def explain(self) -> str:
        verdict = "meets" if self.meets_target else "**is below**"
        return (
            f"- landed cost = unit cost + freight + duty = {self.unit_cost:,.2f} + "
            f"{self.freight_per_unit:,.2f} + {self.duty_rate:.1%} x {self.unit_cost:,.2f} = "
            f"{self.landed_cost:,.2f}\n"
            f"- referral fee = {self.referral_rate:.1%} x {self.price:,.2f} = "
            f"{self.referral_fee:,.2f}\n"
            f"- total cost = landed + FBA fee + referral + storage = {self.landed_cost:,.2f} + "
            f"{self.fba_fee:,.2f} + {self.referral_fee:,.2f} + {self.storage_per_unit:,.2f} = "
            f"{self.total_cost:,.2f}\n"
            f"- profit = price - total cost = {self.price:,.2f} - {self.total_cost:,.2f} = "
            f"{self.profit_per_unit:,.2f} per unit\n"
            f"- gross margin = profit / price = {self.gross_margin:.1%}, which {verdict} the "
            f"{self.target_margin:.0%} target (R-L6)\n"
            f"- ROI = profit / landed cost = {self.roi:.1%}"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def unit_economics(
    price: float,
    unit_cost: float,
    freight_per_unit: float = 0.0,
    duty_rate: float = 0.0,
    fba_fee: float = 0.0,
    referral_rate: float = DEFAULT_REFERRAL_RATE,
    storage_per_unit: float = 0.0,
    target_margin: float = 0.25,
) -> UnitEconomics:
    """Unit economics and the R-L6 gross-margin check.

    ``landed = c + f + duty_rate x c``; ``total = landed + fba_fee + referral_rate x p +
    storage``; ``profit = p - total``; ``gross margin = profit / p`` (share of price, after all
    Amazon fees: the margin R-L6 asks to be >= 25%); ``ROI = profit / landed``. Money per unit.
    Amazon's per-item minimum referral fee (0.30 in most categories) is not applied.
    Source: SPEC R-L6.
    """
    p = _non_negative(price, "price")
    if p == 0:
        raise InputError("price is 0", column="price", expected="a price above 0")
    c = _non_negative(unit_cost, "unit_cost")
    f = _non_negative(freight_per_unit, "freight_per_unit")
    d = _non_negative(duty_rate, "duty_rate")
    fba = _non_negative(fba_fee, "fba_fee")
    r = _non_negative(referral_rate, "referral_rate")
    s = _non_negative(storage_per_unit, "storage_per_unit")
    target = float(target_margin)
    for name, share in (("referral_rate", r), ("target_margin", target)):
        if not 0 <= share < 1:
            raise InputError(
                f"{name} is {share}", column=name, expected="a share from 0 to below 1 (0.15 = 15%)"
            )
    duty = d * c
    landed = c + f + duty
    referral = r * p
    total = landed + fba + referral + s
    profit = p - total
    margin = profit / p
    roi = profit / landed if landed > 0 else math.inf
    return UnitEconomics(
        price=p,
        unit_cost=c,
        freight_per_unit=f,
        duty_per_unit=duty,
        landed_cost=landed,
        fba_fee=fba,
        referral_fee=referral,
        storage_per_unit=s,
        total_cost=total,
        profit_per_unit=profit,
        gross_margin=margin,
        roi=roi,
        target_margin=target,
        # A margin equal to the target meets it; the tolerance absorbs float rounding only.
        meets_target=margin >= target - 1e-9,
        referral_rate=r,
        duty_rate=d,
    )


def cash_needed(
    units: float, unit_cost: float, freight_per_unit: float = 0.0, duty_rate: float = 0.0
) -> float:
    """Cash to pay for an order: ``units x (unit cost x (1 + duty_rate) + freight)``.

    Money; the supplier, the freight forwarder and customs are paid before the first sale.
    Source: SPEC R-L6 ("cash needed for the order").
    """
    n = _non_negative(units, "units")
    c = _non_negative(unit_cost, "unit_cost")
    f = _non_negative(freight_per_unit, "freight_per_unit")
    d = _non_negative(duty_rate, "duty_rate")
    return n * (c * (1 + d) + f)
