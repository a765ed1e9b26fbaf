"""Checks of the numbers a seller gives the arithmetic modules (policy, kpi, pricing): one
place for the message an out-of-range figure gets (``InputError`` naming the figure)."""

from __future__ import annotations

import math
from typing import Any

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
