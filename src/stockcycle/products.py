"""The product figures a seller types in: which ones, their checks, and what a blank hides.

Amazon's reports carry no unit cost, lead time, case pack or MOQ, so a workspace built from them
plans with defaults: cash needed shows as unknown, lead times fall back to the Settings range.
The product editor on the Data page lets the seller fill these in. What they type is stored
beside the imported rows (``Workspace.set_product_values``), so a re-import never overwrites it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from stockcycle import fees
from stockcycle.errors import InputError
from stockcycle.settings import Settings

EDITOR_NAME = "product editor"
#: Longest text a seller can type into a product cell (a search name, a size tier).
MAX_TEXT_LENGTH = 200
#: Longest lead or transit time accepted, in days: two years is a typing slip, not a supplier.
MAX_DAYS = 730


@dataclass(frozen=True)
class ProductField:
    """One editable product column: its label, unit, bounds and what a blank costs the seller."""

    column: str
    label: str
    unit: str
    kind: str  # "money", "days", "count", "number", "text", "size tier"
    blank_hides: str  # completes "<N> SKUs have no <label>: ..."
    blank_uses: Callable[[Settings], str] | None = None  # the default used instead, if any


FIELDS: tuple[ProductField, ...] = (
    ProductField(
        "unit_cost", "unit cost", "USD per unit", "money", "cash needed and margins unknown"
    ),
    ProductField("price", "selling price", "USD", "money", "margins and money at stake unknown"),
    ProductField(
        "lead_time_days",
        "production lead time",
        "days",
        "days",
        "order dates use a default",
        lambda s: f"{(s.lead_time_min_days + s.lead_time_max_days) / 2:g} days, Settings",
    ),
    ProductField(
        "sea_days",
        "sea transit",
        "days",
        "days",
        "sea arrival dates use a default",
        lambda s: f"{s.sea_days_max} days, Settings",
    ),
    ProductField(
        "air_days",
        "air transit",
        "days",
        "days",
        "air arrival dates use a default",
        lambda s: f"{s.air_days_max} days, Settings",
    ),
    ProductField(
        "freight_cost",
        "freight per unit (any mode)",
        "USD per unit",
        "money",
        "freight counted as 0 where no mode has its own figure",
    ),
    ProductField(
        "sea_cost", "sea freight per unit", "USD per unit", "money", "uses freight (any mode)"
    ),
    ProductField(
        "air_cost", "air freight per unit", "USD per unit", "money", "uses freight (any mode)"
    ),
    ProductField("case_pack", "case pack", "units", "count", "orders not rounded to whole cartons"),
    ProductField("moq", "minimum order (MOQ)", "units", "count", "orders may fall under the MOQ"),
    ProductField(
        "shipping_weight_lb",
        "shipping weight",
        "lb",
        "number",
        "removal, disposal and liquidation fees use a default weight",
    ),
    ProductField("size_tier", "size tier", "", "size tier", "fees use standard size"),
    ProductField("cubic_feet", "volume", "cubic feet per unit", "number", "storage fees unknown"),
    ProductField(
        "search", "Xray search", "", "text", "competitors matched by category name instead"
    ),
)
FIELD_BY_COLUMN = {f.column: f for f in FIELDS}


def _number(sku: str, f: ProductField, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    limit = MAX_DAYS if f.kind == "days" else math.inf
    if not math.isfinite(number) or number < 0 or number > limit:
        bound = f"0 to {MAX_DAYS}" if f.kind == "days" else "0 or more"
        raise InputError(
            f"'{value}' is not a usable {f.label}",
            file=EDITOR_NAME,
            row=sku,
            column=f.label,
            expected=f"a number {bound} ({f.unit})",
        )
    if f.kind == "count" and (number < 1 or number != int(number)):
        raise InputError(
            f"'{value}' is not a usable {f.label}",
            file=EDITOR_NAME,
            row=sku,
            column=f.label,
            expected="a whole number of units, 1 or more",
        )
    return number


def validate_edits(edits: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The seller's edits ``{sku: {column: value}}`` checked and typed; None (a cleared cell)
    stays None. Raises ``InputError`` naming the SKU, the field and what was expected."""
    out: dict[str, dict[str, Any]] = {}
    for sku, values in edits.items():
        for column, value in values.items():
            f = FIELD_BY_COLUMN.get(column)
            if f is None:
                raise InputError(
                    f"'{column}' cannot be edited here",
                    file=EDITOR_NAME,
                    row=sku,
                    expected=", ".join(x.label for x in FIELDS),
                )
            if value is None or (isinstance(value, float) and math.isnan(value)):
                typed: Any = None
            elif isinstance(value, str) and not value.strip():
                typed = None
            elif f.kind in ("text", "size tier"):
                typed = " ".join(str(value).split())
                if len(typed) > MAX_TEXT_LENGTH:
                    raise InputError(
                        f"the {f.label} is {len(typed)} characters long",
                        file=EDITOR_NAME,
                        row=sku,
                        column=f.label,
                        expected=f"at most {MAX_TEXT_LENGTH} characters",
                    )
                if f.kind == "size tier":
                    try:
                        fees.storage_tier(typed)
                    except InputError:
                        raise InputError(
                            f"'{typed}' is not a size tier",
                            file=EDITOR_NAME,
                            row=sku,
                            column=f.label,
                            expected=fees.ACCEPTED_SIZE_TIERS,
                        ) from None
            else:
                typed = _number(str(sku), f, value)
            out.setdefault(str(sku), {})[column] = typed
    return out


def editor_table(products: pd.DataFrame, skus: list[str]) -> pd.DataFrame:
    """One row per SKU (``skus``, in order) with its title and every editable column, from
    ``products`` (``Workspace.read("products")``, the seller's values already laid over)."""
    cols = ["sku", "title", *FIELD_BY_COLUMN]
    by_sku = products.drop_duplicates("sku", keep="last").set_index("sku")
    table = pd.DataFrame({"sku": pd.Series(skus, dtype="string")}).set_index("sku", drop=False)
    for col in cols[1:]:
        table[col] = by_sku[col].reindex(table.index) if col in by_sku else None
    return table.reset_index(drop=True)[cols]


def changed_cells(before: pd.DataFrame, after: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """``{sku: {column: new value}}`` of the editable cells that differ between two editor
    tables of the same SKUs (a cell emptied gives None)."""
    edits: dict[str, dict[str, Any]] = {}
    b = before.set_index("sku")
    a = after.set_index("sku")
    for col in FIELD_BY_COLUMN:
        for sku in a.index:
            old, new = b.at[sku, col], a.at[sku, col]
            old_blank, new_blank = _blank(old), _blank(new)
            if old_blank and new_blank:
                continue
            if old_blank != new_blank or _differs(old, new):
                edits.setdefault(str(sku), {})[col] = None if new_blank else _plain(new)
    return edits


def _blank(value: Any) -> bool:
    return (
        value is None
        or value is pd.NA
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and math.isnan(value))
    )


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, int | float) and isinstance(new, int | float):
        return not math.isclose(float(old), float(new), rel_tol=1e-12, abs_tol=1e-12)
    return str(old) != str(new)


def _plain(value: Any) -> Any:
    """A JSON-storable Python value (numpy scalars become floats or text)."""
    if hasattr(value, "item"):
        value = value.item()
    return value


@dataclass(frozen=True)
class Blank:
    """A product figure missing for some SKUs, and what that hides."""

    field: ProductField
    skus: list[str]
    message: str


def blanks(table: pd.DataFrame, settings: Settings) -> list[Blank]:
    """The editable figures blank for at least one SKU of ``table`` (``editor_table``), in the
    order of ``FIELDS``, each with the seller-facing line "Cash needed and margins unknown for
    12 SKUs: no unit cost" (and the default used, where there is one)."""
    out = []
    for f in FIELDS:
        missing = [str(s) for s, v in zip(table["sku"], table[f.column], strict=True) if _blank(v)]
        if not missing:
            continue
        n = len(missing)
        what = f.blank_hides[0].upper() + f.blank_hides[1:]
        uses = f" ({f.blank_uses(settings)})" if f.blank_uses else ""  # "(45 days, Settings)"
        message = f"{what}{uses} for {n:,} SKU{'s' if n != 1 else ''}: no {f.label}."
        out.append(Blank(f, missing, message))
    return out
