"""Vectorised cleaners for the text cells of a report: headers, numbers, percents, dates, text.

Every cleaner takes a column of raw strings whose index is the spreadsheet row number (the
header is row 1) and either returns clean values or raises ``InputError`` naming the file, the
row and the column of the first bad value, so a seller can open the file and fix that cell.

Conventions decided here (one place):
- Missing: a blank cell or one of ``N/A``, ``n/a``, ``NA``, ``-``, ``--``, ``null``, ``none``
  (any case) means "no value".
- Numbers: currency signs and codes are dropped (``$1,299.99``, ``€1.234,56``, ``AU$12``,
  ``CHF 12.50``, ``149 kr``, ``12,50 zł``), spaces (also non-breaking and narrow ones) are
  thousands separators (``1 299,50``), and ``(12.50)`` is negative. The decimal convention is
  decided per FILE (``decide_decimal``): the numeric cells that can only be read one way
  (``1.234,56``, ``12,5`` and ``1.234.567`` are European; ``12.50`` and ``1,234.56`` are US)
  decide by majority, so ``1.234`` in a file holding ``24.680,00`` is a thousand. A file whose
  numbers are all ambiguous (``1.234``, ``1,234``) follows its delimiter (semicolon files are
  European), with a warning. A value written in the other style is an error, because one of the
  two readings must be wrong. Without a file (a lone column), the column decides the same way.
- Percents: ``12.5%`` and ``12.5`` in a percent column both mean 0.125.
- Dates: ISO ``2025-01-15`` (with or without a time and UTC offset: the calendar date as
  written is kept, no time-zone conversion, so a ``-08:00`` order stays on its local day),
  ``2025/01/15``, US ``1/15/2025`` / ``01/15/2025``, ``15.01.2025``, ``Mar 22, 2011`` /
  ``March 22, 2011``. Slash dates are month-first unless the column holds a first part above 12
  (then the whole column is day-first). A column where every date could be read either way
  (``01/03/2025``) is read month-first, or day-first in a European file (see numbers), with a
  warning naming the column. Two-digit years are refused (``1/2/25`` is ambiguous).
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
    """What a parser needs besides the data: names for messages and the caller's options.

    ``warnings`` are data problems the seller should look at (dropped duplicates, ambiguous
    dates, missing values, assumed periods); ``notes`` are neutral facts about how the file was
    read (cancelled lines left out, sponsored rows marked). ``decimal`` is the file's decimal
    mark ("." or ","), None to let each column decide (a column read on its own)."""

    file: str
    headers: dict[str, str] = field(default_factory=dict)  # column key -> header in the file
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    decimal: str | None = None

    @property
    def european(self) -> bool:
        """A European file: decimal comma, and ambiguous slash dates read day-first."""
        return self.decimal == ","

    def header(self, key: str) -> str:
        return self.headers.get(key, key)

    def fail(
        self, values: pd.Series, bad: pd.Series, key: str, message: str, expected: str | None = None
    ) -> None:
        """Raise for the first row where ``bad`` holds; ``{value}`` in message is the cell."""
        arr = bad.to_numpy(dtype=bool, na_value=False)
        if not arr.any():
            return
        pos = int(arr.argmax())
        raw = values.iloc[pos]
        shown = "" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else str(raw)
        raise InputError(
            message.format(value=shown.strip()),
            file=self.file,
            row=int(values.index[pos]),
            column=self.header(key),
            expected=expected,
        )


# Our own exports (stockcycle.export) write text that starts with ``= + - @`` (or tab / CR)
# with a leading apostrophe so a spreadsheet shows it instead of running it; reading such a
# file back removes that apostrophe, so an export re-imports to the same values (a cell that
# is an apostrophe followed by anything else is kept as written).
_ESCAPED_FORMULA = r"^'(?=[=+\-@\t\r])"


def strip(s: pd.Series) -> pd.Series:
    """Trimmed cell text, with the apostrophe of a formula-escaped export cell removed."""
    t = s.astype("str").str.strip()
    if t.str.startswith("'").any():
        t = t.str.replace(_ESCAPED_FORMULA, "", regex=True)
    return t


# -- lengths -----------------------------------------------------------------------------------
# A key (SKU, ASIN, order id, location, keyword...) is short everywhere it comes from: Amazon
# caps a seller SKU at 40 characters, an ASIN is 10, an order id 19. A 50 MB "SKU" once made a
# plan try to allocate 70 GiB, so a key longer than this is refused, with room to spare for
# any marketplace or tool.
MAX_KEY_CHARS = 200
# Any other cell (titles, notes, numbers as written): Amazon titles stop at 200-500
# characters; 5,000 leaves room for any description a seller maps in.
MAX_TEXT_CHARS = 5_000
# The columns that identify a row or join tables (the schema's keys and short codes).
KEY_COLUMNS = frozenset(
    {
        "sku",
        "asin",
        "parent_asin",
        "order_id",
        "po_id",
        "location",
        "channel",
        "sales_channel",
        "currency",
        "keyword",
        "search",
        "country",
        "brand",
        "status",
        "order_status",
    }
)


def check_lengths(ctx: Context, frame: pd.DataFrame) -> None:
    """Refuse the first cell longer than its bound (``MAX_KEY_CHARS`` for ``KEY_COLUMNS``,
    ``MAX_TEXT_CHARS`` for the rest), naming its file, row and column (issue 12 item 7)."""
    for key in frame.columns:
        limit = MAX_KEY_CHARS if key in KEY_COLUMNS else MAX_TEXT_CHARS
        col = frame[key]
        lengths = (col if col.dtype == object else col.astype("str")).str.len()
        if not (lengths > limit).any():
            continue
        pos = int((lengths > limit).to_numpy(dtype=bool, na_value=False).argmax())
        what = "a key such as a SKU" if key in KEY_COLUMNS else "a cell"
        raise InputError(
            f"this cell holds {int(lengths.iloc[pos]):,} characters, more than the "
            f"{limit:,} {what} may hold",
            file=ctx.file,
            row=int(frame.index[pos]),
            column=ctx.header(key),
            expected=f"at most {limit:,} characters",
        )


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
# Bounds no real seller reaches, so a value past one is a wrong cell (or a file made to hurt):
# 1e20 units was once stored as REAL and its export ('1e+20') did not re-import. Counts of
# units, sessions, views or searches stay under a billion; money and measures under a
# trillion, which also keeps every value exactly representable (below 2**53) in a float.
MAX_COUNT = 1_000_000_000
MAX_AMOUNT = 1_000_000_000_000


class _DigitTable(dict):
    """For ``str.translate``: every non-ASCII decimal digit (Arabic-Indic, Persian,
    Devanagari, Thai, fullwidth...) -> its ASCII digit, the Arabic decimal, thousands and
    percent signs and the minus sign -> '.', ',', '%' and '-'; any other character to itself.
    Filled as characters are met (a pass over all of Unicode would take a second)."""

    def __missing__(self, code: int) -> int | str:
        ch = chr(code)
        value: int | str = code
        if unicodedata.category(ch) == "Nd":
            value = str(unicodedata.decimal(ch))
        self[code] = value
        return value


_DIGITS = _DigitTable({0x066B: ".", 0x066C: ",", 0x066A: "%", 0x2212: "-"})


def ascii_digits(t: pd.Series) -> pd.Series:
    """Number or date cells with their digits as ASCII: ``'٣'``, ``'３'``, ``'३'`` -> ``'3'``
    (Python's ``\\d`` matches them but pandas cannot convert them)."""
    non_ascii = ~t.str.isascii().fillna(True).astype(bool)  # 4x faster than a regex
    if not non_ascii.any():
        return t
    return t.where(~non_ascii, t[non_ascii].str.translate(_DIGITS))


_INT = r"[+-]?\d+"
_SIMPLE = r"[+-]?\d+(?:\.\d+)?"
_SIGNS = "$\u20ac\u00a3\u00a5\u20b9"
_CODES = (
    "usd",
    "eur",
    "gbp",
    "cad",
    "aud",
    "inr",
    "jpy",
    "mxn",
    "brl",
    "sgd",
    "chf",
    "sek",
    "pln",
    "try",
    "aed",
    "sar",
    "egp",
    "kr",
    "z\u0142",
)
# A currency sign or code, the one definition for numbers, Xray headers and Xray prices:
# '$', '€', 'AU$', 'R$', 'USD', 'CHF', 'kr' (SEK), 'zł' (PLN). Case-insensitive, embeddable.
CURRENCY = rf"(?i:[a-z]{{0,3}}[{_SIGNS}]|\b(?:{'|'.join(_CODES)})\b)"
_CURRENCY_NAMES = {
    "$": "USD",
    "us$": "USD",
    "au$": "AUD",
    "a$": "AUD",
    "ca$": "CAD",
    "c$": "CAD",
    "mx$": "MXN",
    "r$": "BRL",
    "s$": "SGD",
    "\u20ac": "EUR",
    "\u00a3": "GBP",
    "\u20b9": "INR",
    "\u00a5": "JPY",
    "kr": "SEK",
    "z\u0142": "PLN",
}
_SPACES = "[ \t\u00a0\u2007\u2009\u202f]"
_US = r"[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)"
_EU = r"[+-]?(?:(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d*)?|,\d+)"
_STYLE = {".": "1,234.56-style", ",": "1.234,56-style"}


def currency_code(sign: str) -> str:
    """ISO code of a currency sign or code as written: 'AU$' -> 'AUD', 'kr' -> 'SEK'."""
    return _CURRENCY_NAMES.get(sign.strip().lower(), sign.strip().upper())


def _bare(t: pd.Series, percent: bool = False, allow_gt: bool = False) -> pd.Series:
    """Number cells without what is not digits and marks: %, (), currency, spaces, '>'."""
    v = t
    if percent:
        v = v.str.replace(r"%\s*$", "", regex=True).str.strip()
    v = v.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    v = v.str.replace(CURRENCY, "", regex=True).str.replace(_SPACES, "", regex=True)
    if allow_gt:
        v = v.str.replace(r"^[<>]=?", "", regex=True)
    return v


def _styles(v: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(readable 1,234.56-style, readable 1.234,56-style) per bare cell."""
    return (
        v.str.fullmatch(_US).fillna(False).astype(bool),
        v.str.fullmatch(_EU).fillna(False).astype(bool),
    )


def decide_decimal(columns: dict[str, pd.Series], delimiter: str | None) -> tuple[str, str | None]:
    """The decimal mark of a whole file and, when it was a guess, a warning.

    Only columns that hold numbers count (judged on their first 200 values, so text columns
    such as titles never vote). Cells that can be read one way only vote: ``12,5``,
    ``1.234,56``, ``1.234.567`` for ','; ``12.50``, ``1,234.56`` for '.'; the majority wins
    (a cell of the other style is then reported as an error by the cleaners). With no such
    cell the delimiter decides: semicolon files are European (Excel writes them where the
    comma is the decimal mark); the warning is given only when some numbers are ambiguous
    (``1.234``; ``1,234`` too, except in a comma-separated file). ``delimiter`` None is a
    workbook: '.' with no warning, since its number cells come out as ``1.234``."""
    votes = {".": 0, ",": 0}
    example: str | None = None
    for s in columns.values():
        t = ascii_digits(strip(s))
        t = t[~missing(t).to_numpy()]
        if t.empty or not _numeric_column(t.iloc[:200]):
            continue
        has_mark = t.str.contains(r"[.,]", regex=True).fillna(False).astype(bool)
        t = t[has_mark.to_numpy()]
        if t.empty:
            continue
        # Fast path for the common '25.98': US unless it is 'd.ddd' with 1-3 leading digits.
        plain = t.str.fullmatch(r"[+-]?\d+\.\d+").fillna(False).astype(bool)
        plain_amb = t[plain.to_numpy()].str.fullmatch(r"[+-]?\d{1,3}\.\d{3}").fillna(False)
        votes["."] += int(plain.sum()) - int(plain_amb.sum())
        if example is None and plain_amb.any():
            example = str(t[plain.to_numpy()][plain_amb.to_numpy()].iloc[0])
        rest = t[~plain.to_numpy()]
        if rest.empty:
            continue
        us_ok, eu_ok = _styles(_bare(rest, percent=True, allow_gt=True))
        votes["."] += int((us_ok & ~eu_ok).sum())
        votes[","] += int((eu_ok & ~us_ok).sum())
        amb = us_ok & eu_ok
        if delimiter == ",":
            # '1,234' quoted in a comma-separated file is a thousand: a file whose decimal mark
            # is the comma is written with semicolons (what Excel does in those countries).
            amb &= ~rest.str.contains(",", regex=False).to_numpy()
        if example is None and amb.any():
            example = str(rest[amb.to_numpy()].iloc[0])
    by_delimiter = "," if delimiter == ";" else "."
    if votes["."] != votes[","]:
        return ("," if votes[","] > votes["."] else "."), None
    # A workbook (no delimiter) stores numbers as numbers: '1.234' there is 1.234.
    if votes["."] or example is None or delimiter is None:
        return by_delimiter, None
    why = "semicolon-separated" if delimiter == ";" else "not semicolon-separated"
    return by_delimiter, (
        f"numbers such as '{example}' can be read two ways; read "
        f"{_STYLE[by_delimiter]} because the file is {why}: check them"
    )


def _numeric_column(t: pd.Series) -> bool:
    """Every (non-missing) cell is a number in some style."""
    us_ok, eu_ok = _styles(_bare(t, percent=True, allow_gt=True))
    return bool((us_ok | eu_ok).all())


def _numbers(
    ctx: Context,
    s: pd.Series,
    key: str,
    expected: str,
    allow_gt: bool = False,
    percent: bool = False,
) -> pd.Series:
    t = ascii_digits(strip(s))
    miss = missing(t)
    out = pd.Series(np.nan, index=s.index, dtype="float64")
    decimal = ctx.decimal
    # '12.5' is plain only where the decimal mark is known to be '.'; elsewhere it needs the
    # style check below ('1.234' is a thousand in a European file).
    simple = t.str.fullmatch(_SIMPLE if decimal == "." else _INT).fillna(False).astype(bool)
    simple &= ~miss
    out[simple] = pd.to_numeric(t[simple]).astype("float64")
    rest = ~miss & ~simple
    if not rest.any():
        return _bounded(ctx, s, out, key, expected)
    raw = t[rest]
    neg = raw.str.replace(r"%\s*$", "", regex=True).str.strip().str.fullmatch(r"\(.*\)")
    neg = neg.fillna(False).astype(bool)
    v = _bare(raw, percent=percent, allow_gt=allow_gt)
    us_ok, eu_ok = _styles(v)
    ctx.fail(raw, ~us_ok & ~eu_ok, key, "'{value}' is not a number", expected)
    scope = "file"
    if decimal is None:
        scope = "column"
        decimal = "," if (eu_ok & ~us_ok).any() else "."
    european = decimal == ","
    wrong = (us_ok & ~eu_ok) if european else (eu_ok & ~us_ok)
    other = "." if european else ","
    ctx.fail(
        raw,
        wrong,
        key,
        f"'{{value}}' is written {_STYLE[other]} but the other numbers "
        f"in this {scope} are {_STYLE[decimal]}",
        f"one number style per {scope}",
    )
    if european:
        conv = v.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        conv = v.str.replace(",", "", regex=False)
    conv = conv.where(~conv.isin(["", "+", "-", "."]), "nan")
    nums = pd.to_numeric(conv, errors="coerce").astype("float64")
    nums = nums.where(~neg.to_numpy(), -nums.abs())
    out[nums.index] = nums
    return _bounded(ctx, s, out, key, expected)


def _bounded(ctx: Context, s: pd.Series, out: pd.Series, key: str, expected: str) -> pd.Series:
    """``out`` if every value is within +-``MAX_AMOUNT`` (see there), else the refusal."""
    ctx.fail(
        s,
        out.abs() > MAX_AMOUNT,
        key,
        f"'{{value}}' is beyond {MAX_AMOUNT:,}, more than any real figure",
        expected,
    )
    return out


def to_number(
    ctx: Context,
    s: pd.Series,
    key: str,
    *,
    expected: str = "a number",
    whole: bool = False,
    minimum: float | None = None,
    allow_gt: bool = False,
) -> pd.Series:
    """Numbers as float64 (NaN where missing), checked whole / not below ``minimum``.

    ``allow_gt`` accepts Helium 10's capped counts such as ``>306`` (read as 306)."""
    out = _numbers(ctx, s, key, expected, allow_gt=allow_gt)
    if whole:
        ctx.fail(s, out.notna() & (out % 1 != 0), key, "'{value}' is not a whole number", expected)
    if minimum is not None:
        ctx.fail(s, out < minimum, key, f"'{{value}}' is below {minimum:g}", expected)
    if whole:
        ctx.fail(
            s,
            out.abs() > MAX_COUNT,
            key,
            f"'{{value}}' is more than {MAX_COUNT:,}, beyond any real count",
            expected,
        )
    return out


def to_percent(
    ctx: Context,
    s: pd.Series,
    key: str,
    *,
    maximum: float | None = None,
    expected: str = "a percentage like 12.5%",
) -> pd.Series:
    """``12.5%`` (or ``12.5``) -> 0.125. ``maximum`` is a share: 1.0 refuses ``112%``."""
    out = _numbers(ctx, s, key, expected, percent=True) / 100.0
    if maximum is not None:
        ctx.fail(
            s,
            out > maximum + 1e-9,
            key,
            f"'{{value}}' is more than {maximum:.0%}",
            f"a percentage between 0% and {maximum:.0%}",
        )
    return out


def to_share(ctx: Context, s: pd.Series, key: str, *, expected: str) -> pd.Series:
    """A share given either as ``15%`` or as a fraction ``0.15`` (generic tables).

    Decided per value by the percent sign: with it, divided by 100; without it, taken as is."""
    t = strip(s)
    has_pct = t.str.contains("%", regex=False).fillna(False).astype(bool)
    out = _numbers(ctx, t.str.replace("%", "", regex=False), key, expected)
    return out.where(~has_pct, out / 100.0)


# -- dates -----------------------------------------------------------------------------------
_TIME = (
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?: ?(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT|[A-Z]{3,4}))?)?"
)
_DATE_FORMS = {
    "iso": r"\d{4}-\d{2}-\d{2}" + _TIME,
    "ymd": r"\d{4}/\d{1,2}/\d{1,2}" + _TIME,
    "slash": r"\d{1,2}/\d{1,2}/\d{4}" + _TIME,
    "dot": r"\d{1,2}\.\d{1,2}\.\d{4}",
    "name": r"[A-Za-z]{3,9}\.? \d{1,2},? \d{4}",
}
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
DATE_EXPECTED = "a date like 2025-01-15, 1/15/2025 or Mar 22, 2011"


def to_date(ctx: Context, s: pd.Series, key: str, *, expected: str = DATE_EXPECTED) -> pd.Series:
    """Dates (datetime64, midnight) from the forms in the module docstring; NaT if missing."""
    t = ascii_digits(strip(s))
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
        forms = {
            k: rest.str.fullmatch(p).fillna(False).astype(bool)
            for k, p in _DATE_FORMS.items()
            if k != "iso"
        }
        known = np.logical_or.reduce([m.to_numpy() for m in forms.values()])
        ctx.fail(
            rest,
            pd.Series(~known, index=rest.index),
            key,
            "'{value}' is not a date in a form we read",
            expected,
        )
        date_part = rest.str.split(r"[T ]", n=1, regex=True).str[0]
        if forms["ymd"].any():
            parts.append(
                pd.to_datetime(date_part[forms["ymd"]], format="%Y/%m/%d", errors="coerce")
            )
        if forms["slash"].any():
            sl = date_part[forms["slash"]]
            first = pd.to_numeric(sl.str.split("/").str[0])
            second = pd.to_numeric(sl.str.split("/").str[1])
            if (first > 12).any() and (second > 12).any():
                ctx.fail(
                    sl,
                    second > 12,
                    key,
                    "'{value}' does not fit the day/month order of the other dates in this column",
                    "one date order per column",
                )
            day_first = bool((first > 12).any())
            if not day_first and not (second > 12).any() and (first != second).any():
                # Every date reads both ways: US order, unless the file is European.
                day_first = ctx.european
                example = sl[(first != second).to_numpy()].iloc[0]
                order = (
                    "day/month/year, because the file's numbers are European-style"
                    if day_first
                    else "month/day/year (US)"
                )
                ctx.warnings.append(
                    f"the dates in column '{ctx.header(key)}' (like "
                    f"'{example}') could be day/month or month/day; read as "
                    f"{order}: check them"
                )
            fmt = "%d/%m/%Y" if day_first else "%m/%d/%Y"
            parts.append(pd.to_datetime(sl, format=fmt, errors="coerce"))
        if forms["dot"].any():
            parts.append(pd.to_datetime(rest[forms["dot"]], format="%d.%m.%Y", errors="coerce"))
        if forms["name"].any():
            nm = rest[forms["name"]].str.extract(r"^([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})$")
            month = nm[0].str.lower().str.slice(0, 3).map(_MONTHS)
            bad_name = month.isna()
            ctx.fail(
                rest[forms["name"]], bad_name, key, "'{value}' has no month name we know", expected
            )
            text = (
                nm[2]
                + "-"
                + month.astype("Int64").astype(str).str.zfill(2)
                + "-"
                + nm[1].str.zfill(2)
            )
            parts.append(pd.to_datetime(text, format="%Y-%m-%d", errors="coerce"))
    parsed = pd.concat(parts).sort_index() if parts else out
    ctx.fail(t[parsed.index], parsed.isna(), key, "'{value}' is not a valid date", expected)
    years = parsed.dt.year
    ctx.fail(
        t[parsed.index],
        (years < 1900) | (years > 2100),
        key,
        "'{value}' is not a plausible date",
        expected,
    )
    parsed = parsed.astype("datetime64[ns]")
    out[parsed.index] = parsed
    return out
