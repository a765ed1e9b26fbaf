"""Shared steps of every parser: the parse context, duplicates, key clashes, schema frames."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from stockcycle import datadate
from stockcycle.ingest.clean import Context
from stockcycle.schema import TABLES, empty_frame

_NA = {"date": pd.NaT, "text": None, "int": None, "float": np.nan, "bool": None}


@dataclass
class ParseContext(Context):
    """Context plus the caller's options for reports that do not carry them."""

    as_of: date | None = None
    search: str | None = None
    period: tuple[date, date] | None = None
    progress: Callable[[float, str], None] | None = None
    used_as_of: date | None = None

    def snapshot_date(self) -> date:
        """The snapshot date of a report that has none: ``as_of`` or today."""
        self.used_as_of = self.as_of or datadate.today()
        return self.used_as_of

    def default_period(self) -> tuple[date, date]:
        """The period of a Business Report without dates: given, or the 30 days ending ON
        ``as_of`` (inclusive: as_of - 29 days .. as_of), with a warning.

        One convention for the whole product: a report downloaded on the as-of date for
        "the last 30 days" covers that day too (the sample generator writes it so)."""
        if self.period is not None:
            start, end = self.period
            return start, end
        end = self.snapshot_date()
        start = end - timedelta(days=29)
        self.warnings.append(
            f"the report has no dates: assumed it covers the 30 days {start} "
            f"to {end}; give the real period if it differs"
        )
        return start, end

    def step(self, fraction: float, message: str) -> None:
        if self.progress is not None:
            self.progress(fraction, message)


def finish(table: str, data: pd.DataFrame) -> pd.DataFrame:
    """Exactly the table's schema columns and dtypes, missing columns as NA."""
    template = empty_frame(table)
    spec = TABLES[table].columns
    out = {}
    for col, typ in spec.items():
        s = data[col] if col in data.columns else pd.Series(_NA[typ], index=data.index)
        out[col] = s.astype(template[col].dtype)
    return pd.DataFrame(out).reset_index(drop=True)


def drop_duplicate_rows(ctx: Context, df: pd.DataFrame, what: str = "rows") -> pd.DataFrame:
    """Identical lines are a copy-paste or a double export: keep one, say how many went."""
    dup = df.duplicated(keep="first")
    n = int(dup.sum())
    if n:
        first = int(df.index[dup.to_numpy().argmax()])
        ctx.warnings.append(f"{n:,} duplicated {what} dropped (first at row {first})")
        return df[~dup.to_numpy()]
    return df


def keep_last_per_key(ctx: Context, df: pd.DataFrame, key: list[str], what: str) -> pd.DataFrame:
    """Rows sharing a key but differing elsewhere: the later row in the file wins, warned."""
    dup = df.duplicated(subset=key, keep="last")
    n = int(dup.sum())
    if n:
        ctx.warnings.append(f"{n:,} rows repeat the {what} of a later row; the later row kept")
        return df[~dup.to_numpy()]
    return df


def sum_per_key(
    df: pd.DataFrame, key: list[str], sums: list[str], firsts: list[str] | None = None
) -> pd.DataFrame:
    """Add up ``sums`` per key (NaN only where every value is NaN); ``firsts`` keep the first."""
    agg: dict[str, tuple[str, object]] = {c: (c, lambda s: s.sum(min_count=1)) for c in sums}
    for c in firsts or []:
        agg[c] = (c, "first")
    # min_count via a lambda is slow on big frames; use the fast path when there are no NaN.
    fast = {c: (c, "sum") for c in sums if not df[c].isna().any()}
    agg.update(fast)
    return df.groupby(key, sort=True, dropna=False, as_index=False).agg(**agg)
