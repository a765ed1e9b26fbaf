"""Plan tables as files a seller opens in a spreadsheet: CSV and XLSX bytes (R-A3).

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, so a
product title or a note such as ``=HYPERLINK("http://...")`` in a plan could run when the file is
opened ("CSV injection", OWASP). ``safe_cells`` prefixes such text with an apostrophe, which
every spreadsheet shows as plain text. Only text is touched: numbers (negative ones included)
stay numbers, so sums and charts in the sheet keep working.
"""

from __future__ import annotations

import io

import pandas as pd

# The characters that start a formula in Excel, LibreOffice and Google Sheets; tab and carriage
# return also start one in some of them (OWASP "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escape(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_cells(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells cannot run as spreadsheet formulas.

    Text that starts with ``= + - @`` (or tab / carriage return) gets a leading ``'``; numeric,
    boolean and date columns are left as they are; a categorical column becomes plain values
    (object) so the escaped text is kept. Column names are escaped the same way.
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            continue
        if pd.api.types.is_bool_dtype(s):
            continue
        if isinstance(s.dtype, pd.CategoricalDtype):
            # The escaped text is not one of the categories: casting back would blank it.
            out[col] = s.astype(object).map(_escape, na_action="ignore")
            continue
        out[col] = s.map(_escape, na_action="ignore").astype(s.dtype)
    out.columns = [_escape(str(c)) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """``df`` as UTF-8 CSV bytes (no index), formula-safe (``safe_cells``)."""
    return safe_cells(df).to_csv(index=False).encode("utf-8")


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "plan") -> bytes:
    """``df`` as an XLSX workbook with one sheet (no index), formula-safe (``safe_cells``).

    Timezone-aware dates are written as local wall-clock times (Excel has no time zones).
    """
    out = safe_cells(df)
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = s.dt.tz_localize(None)
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        out.to_excel(writer, sheet_name=sheet_name[:31] or "plan", index=False)
    return buf.getvalue()
