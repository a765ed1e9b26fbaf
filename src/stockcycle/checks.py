"""Checks of the numbers a seller gives the arithmetic modules (policy, kpi, pricing): one
place for the message an out-of-range figure gets (``InputError`` naming the figure), and for
reading a figure that may be blank (a workspace cell)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from stockcycle.errors import InputError


def number(
    name: str,
    value: Any,
    *,
    minimum: float | None = 0.0,
    strict: bool = False,
    finite: bool = False,
) -> float:
    """``value`` as a float. Raises ``InputError`` naming ``name`` when it is not a number, is
    missing (NaN), is below ``minimum`` (at or below it when ``strict``; ``None``: any sign), or
    is infinite when ``finite``."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} is {value!r}", column=name, expected="a number") from None
    if math.isnan(x):
        raise InputError(f"{name} is missing", column=name, expected="a number")
    if minimum is not None and (x <= minimum if strict else x < minimum):
        sign = ">" if strict else ">="
        raise InputError(f"{name} is {x:g}", column=name, expected=f"a number {sign} {minimum:g}")
    if finite and math.isinf(x):
        raise InputError(f"{name} is {x:g}", column=name, expected="a finite number")
    return x


def optional_number(value: Any) -> float | None:
    """A workspace cell as a float, or None when it is blank (None, NA, NaN) or not a number."""
    if value is None or value is pd.NA:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def first_number(*values: Any) -> float | None:
    """The first of ``values`` that is a number (0 included; ``optional_number``), else None:
    a figure with its fallbacks, ``first_number(row.get("sea_days"), settings.sea_days_max)``."""
    for value in values:
        number = optional_number(value)
        if number is not None:
            return number
    return None
