"""Vectorised cleaners for the text cells of a report: headers, numbers, percents, dates, text.

Every cleaner takes a column of raw strings whose index is the spreadsheet row number (the
header is row 1) and either returns clean values or raises ``InputError`` naming the file, the
row and the column of the first bad value, so a seller can open the file and fix that cell.

Conventions decided here (one place):
- Missing: a blank cell or one of ``N/A``, ``n/a``, ``NA``, ``-``, ``--``, ``null``, ``none``
  (any case) means "no value".
- Numbers: currency signs and codes are dropped (``$1,299.99``, ``€1.234,56``, ``AU$12``),
  spaces (also non-breaking and narrow ones) are thousands separators (``1 299,50``), and
  ``(12.50)`` is negative. The decimal convention is decided per COLUMN, not per value: a column
  holding any value that can only be read the European way (``1.234,56``, ``12,5``,
  ``1.234.567``) is European and every value in it is read that way; ``1,234`` alone is
  ambiguous and read as 1234 (US). A column mixing both styles is an error, because one of the
  two readings must be wrong.
- Percents: ``12.5%`` and ``12.5`` in a percent column both mean 0.125.
- Dates: ISO ``2025-01-15`` (with or without a time and UTC offset: the calendar date as
  written is kept, no time-zone conversion, so a ``-08:00`` order stays on its local day),
  ``2025/01/15``, US ``1/15/2025`` / ``01/15/2025``, ``15.01.2025``, ``Mar 22, 2011`` /
  ``March 22, 2011``. Slash dates are month-first unless the column holds a first part above 12
  (then the whole column is day-first). Two-digit years are refused (``1/2/25`` is ambiguous).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from stockcycle.errors import InputError

MISSING = ("", "-", "--", "---", "\u2013", "\u2014", "n/a", "na", "#n/a", "null", "none", "nan")

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_QUOTES = {ord("\u2018"): "'", ord("\u2019"): "'", ord("\u201c"): '"', ord("\u201d"): '"'}


def normalise_header(name: object) -> str:
    """The form headers are compared in: no BOM, trimmed, single spaces, case-folded, plain
    hyphens and quotes. ``'\\ufeffSessions – Total '`` -> ``'sessions - total'``."""
    text = "" if name is None else str(name)
    text = unicodedata.normalize("NFKC", text.replace("\ufeff", ""))
    text = text.translate(_DASHES).translate(_QUOTES)
    return " ".join(text.split()).casefold()


@dataclass
class Context:
    """What a parser needs besides the data: names for messages and the caller's options."""

    file: str
    headers: dict[str, str] = field(default_factory=dict)  # column key -> header in the file
    warnings: list[str] = field(default_factory=list)

    def header(self, key: str) -> str:
        return self.headers.get(key, key)

    def fail(self, values: pd.Series, bad: pd.Series, key: str, message: str,
             expected: str | None = None) -> None:
        """Raise for the first row where ``bad`` holds; ``{value}`` in message is the cell."""
        arr = bad.to_numpy(dtype=bool, na_value=False)
        if not arr.any():
            return
        pos = int(arr.argmax())
        raw = values.iloc[pos]
        shown = "" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else str(raw)
        raise InputError(message.format(value=shown.strip()), file=self.file,
                         row=int(values.index[pos]), column=self.header(key), expected=expected)


def strip(s: pd.Series) -> pd.Series:
    return s.astype("str").str.strip()


def missing(s: pd.Series) -> pd.Series:
    """True where the cell holds no value (see ``MISSING``)."""
    t = strip(s)
    return (t.str.lower().isin(MISSING) | t.isna()).astype(bool)


def to_text(s: pd.Series) -> pd.Series:
    """Trimmed text, missing cells as NA."""
    t = strip(s)
    return t.where(~missing(t), None).astype("string")


def require(ctx: Context, s: pd.Series, key: str, what: str) -> None:
    """A required value must not be blank."""
    ctx.fail(s, s.isna(), key, "a required value is blank", what)


# -- numbers ---------------------------------------------------------------------------------
_SIMPLE = r"[+-]?\d+(?:\.\d+)?"
_CURRENCY = (r"(?i)(?:[a-z]{1,3})?[$\u20ac\u00a3\u00a5\u20b9]"
             r"|\b(?:usd|eur|gbp|cad|aud|inr|jpy|mxn)\b")
_SPACES = "[ \t\u00a0\u2007\u2009\u202f]"
_US = r"[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)"
_EU = r"[+-]?(?:(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d*)?|,\d+)"


def _numbers(ctx: Context, s: pd.Series, key: str, expected: str,
             allow_gt: bool = False, percent: bool = False) -> pd.Series:
    t = strip(s)
    miss = missing(t)
    out = pd.Series(np.nan, index=s.index, dtype="float64")
    simple = t.str.fullmatch(_SIMPLE).fillna(False).astype(bool) & ~miss
    rest = ~miss & ~simple
    if not rest.any():
        out[simple] = pd.to_numeric(t[simple]).astype("float64")
        return out
    raw = t[rest]
    v = raw
    if percent:
        v = v.str.replace(r"%\s*$", "", regex=True).str.strip()
    neg = v.str.fullmatch(r"\(.*\)").fillna(False).astype(bool)
    v = v.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    v = v.str.replace(_CURRENCY, "", regex=True).str.replace(_SPACES, "", regex=True)
    if allow_gt:
        v = v.str.replace(r"^[<>]=?", "", regex=True)
    us_ok = v.str.fullmatch(_US).fillna(False).astype(bool)
    eu_ok = v.str.fullmatch(_EU).fillna(False).astype(bool)
    ctx.fail(raw, ~us_ok & ~eu_ok, key, "'{value}' is not a number", expected)
    us_only, eu_only = us_ok & ~eu_ok, eu_ok & ~us_ok
    european = bool(eu_only.any())
    if european and us_only.any():
        ctx.fail(raw, us_only, key, "'{value}' is written 1,234.56-style but other values in "
                 "this column are 1.234,56-style", "one number style per column")
    if european:
        # Plain values such as '1.234' belong to the European reading too.
        plain = t[simple]
        plain_ok = plain.str.fullmatch(_EU).fillna(False).astype(bool)
        ctx.fail(plain, ~plain_ok, key, "'{value}' is written 1,234.56-style but other values "
                 "in this column are 1.234,56-style", "one number style per column")
        everything = pd.concat([plain, v]).sort_index()
        negs = pd.concat([pd.Series(False, index=plain.index), neg]).sort_index()
        conv = everything.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        out[simple] = pd.to_numeric(t[simple]).astype("float64")
        negs = neg
        conv = v.str.replace(",", "", regex=False)
    conv = conv.where(~conv.isin(["", "+", "-", "."]), "nan")
    nums = pd.to_numeric(conv, errors="coerce").astype("float64")
    nums = nums.where(~negs.to_numpy(), -nums.abs())
    out[nums.index] = nums
    return out


def to_number(ctx: Context, s: pd.Series, key: str, *, expected: str = "a number",
              whole: bool = False, minimum: float | None = None,
              allow_gt: bool = False) -> pd.Series:
    """Numbers as float64 (NaN where missing), checked whole / not below ``minimum``.

    ``allow_gt`` accepts Helium 10's capped counts such as ``>306`` (read as 306)."""
    out = _numbers(ctx, s, key, expected, allow_gt=allow_gt)
    if whole:
        ctx.fail(s, out.notna() & (out % 1 != 0), key, "'{value}' is not a whole number",
                 expected)
    if minimum is not None:
        ctx.fail(s, out < minimum, key, f"'{{value}}' is below {minimum:g}", expected)
    return out


def to_percent(ctx: Context, s: pd.Series, key: str, *, maximum: float | None = None,
               expected: str = "a percentage like 12.5%") -> pd.Series:
    """``12.5%`` (or ``12.5``) -> 0.125. ``maximum`` is a share: 1.0 refuses ``112%``."""
    out = _numbers(ctx, s, key, expected, percent=True) / 100.0
    if maximum is not None:
        ctx.fail(s, out > maximum + 1e-9, key, f"'{{value}}' is more than {maximum:.0%}",
                 f"a percentage between 0% and {maximum:.0%}")
    return out


def to_share(ctx: Context, s: pd.Series, key: str, *, expected: str) -> pd.Series:
    """A share given either as ``15%`` or as a fraction ``0.15`` (generic tables).

    Decided per value by the percent sign: with it, divided by 100; without it, taken as is."""
    t = strip(s)
    has_pct = t.str.contains("%", regex=False).fillna(False).astype(bool)
    out = _numbers(ctx, t.str.replace("%", "", regex=False), key, expected)
    return out.where(~has_pct, out / 100.0)


# -- dates -----------------------------------------------------------------------------------
_TIME = (r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
         r"(?: ?(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT|[A-Z]{3,4}))?)?")
_DATE_FORMS = {
    "iso": r"\d{4}-\d{2}-\d{2}" + _TIME,
    "ymd": r"\d{4}/\d{1,2}/\d{1,2}" + _TIME,
    "slash": r"\d{1,2}/\d{1,2}/\d{4}" + _TIME,
    "dot": r"\d{1,2}\.\d{1,2}\.\d{4}",
    "name": r"[A-Za-z]{3,9}\.? \d{1,2},? \d{4}",
}
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
DATE_EXPECTED = "a date like 2025-01-15, 1/15/2025 or Mar 22, 2011"


def to_date(ctx: Context, s: pd.Series, key: str, *,
            expected: str = DATE_EXPECTED) -> pd.Series:
    """Dates (datetime64, midnight) from the forms in the module docstring; NaT if missing."""
    t = strip(s)
    miss = missing(t)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    todo = ~miss
    if not todo.any():
        return out
    iso_head = t.str.slice(0, 10)
    iso = t.str.fullmatch(_DATE_FORMS["iso"]).fillna(False).astype(bool) & todo
    parts: list[pd.Series] = []
    if iso.any():
        parts.append(pd.to_datetime(iso_head[iso], format="%Y-%m-%d", errors="coerce"))
    todo &= ~iso
    if todo.any():
        rest = t[todo]
        forms = {k: rest.str.fullmatch(p).fillna(False).astype(bool)
                 for k, p in _DATE_FORMS.items() if k != "iso"}
        known = np.logical_or.reduce([m.to_numpy() for m in forms.values()])
        ctx.fail(rest, pd.Series(~known, index=rest.index), key,
                 "'{value}' is not a date in a form we read", expected)
        date_part = rest.str.split(r"[T ]", n=1, regex=True).str[0]
        if forms["ymd"].any():
            parts.append(pd.to_datetime(date_part[forms["ymd"]], format="%Y/%m/%d",
                                        errors="coerce"))
        if forms["slash"].any():
            sl = date_part[forms["slash"]]
            first = pd.to_numeric(sl.str.split("/").str[0])
            second = pd.to_numeric(sl.str.split("/").str[1])
            if (first > 12).any() and (second > 12).any():
                ctx.fail(sl, second > 12, key, "'{value}' does not fit the day/month order of "
                         "the other dates in this column", "one date order per column")
            fmt = "%d/%m/%Y" if (first > 12).any() else "%m/%d/%Y"
            parts.append(pd.to_datetime(sl, format=fmt, errors="coerce"))
        if forms["dot"].any():
            parts.append(pd.to_datetime(rest[forms["dot"]], format="%d.%m.%Y", errors="coerce"))
        if forms["name"].any():
            nm = rest[forms["name"]].str.extract(r"^([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})$")
            month = nm[0].str.lower().str.slice(0, 3).map(_MONTHS)
            bad_name = month.isna()
            ctx.fail(rest[forms["name"]], bad_name, key, "'{value}' has no month name we know",
                     expected)
            text = (nm[2] + "-" + month.astype("Int64").astype(str).str.zfill(2) + "-"
                    + nm[1].str.zfill(2))
            parts.append(pd.to_datetime(text, format="%Y-%m-%d", errors="coerce"))
    parsed = pd.concat(parts).sort_index() if parts else out
    ctx.fail(t[parsed.index], parsed.isna(), key, "'{value}' is not a valid date", expected)
    years = parsed.dt.year
    ctx.fail(t[parsed.index], (years < 1900) | (years > 2100), key,
             "'{value}' is not a plausible date", expected)
    parsed = parsed.astype("datetime64[ns]")
    out[parsed.index] = parsed
    return out
