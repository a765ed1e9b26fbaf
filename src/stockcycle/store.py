"""The workspace: one embedded SQLite database per seller workspace.

A workspace is a directory holding ``workspace.sqlite``. Workspaces live under the data
directory (``STOCKCYCLE_HOME``, default ``~/.stockcycle``) unless a path is given.

It keeps
- the normalised tables of ``stockcycle.schema``, each row tagged with the import it came from
  (``source_id`` -> ``imports.id``);
- ``imports``: one row per imported file (name, format, rows, checksum, time, warnings, notes);
- ``settings``: the seller's changes to ``stockcycle.settings.Settings``;
- ``overrides``: per-SKU overrides (stage, lead time, ...);
- ``plans``: saved plans (parameters as JSON, the plan table as CSV text);
- ``alerts``: the alert log;
- ``results``: derived tables written by forecasting and scoring (backtests, stages, ...);
- ``cache``: opaque blobs keyed by a hash, for the forecast cache.

Writes are transactions: an import of several files either lands whole or not at all, so a
failed or killed import leaves the workspace exactly as it was (SQLite's rollback journal).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from stockcycle.errors import InputError
from stockcycle.ingest.result import ParsedFile
from stockcycle.schema import ADDED_COLUMNS, TABLES
from stockcycle.settings import Settings

DB_FILE = "workspace.sqlite"
#: Override names of the product values a seller enters in the app: ``product:unit_cost``.
PRODUCT_EDIT_PREFIX = "product:"
SQL_TYPES = {"date": "TEXT", "text": "TEXT", "int": "INTEGER", "float": "REAL", "bool": "INTEGER"}

_META_SQL = """
CREATE TABLE IF NOT EXISTS imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_name TEXT NOT NULL, kind TEXT NOT NULL, label TEXT NOT NULL,
    rows_read INTEGER NOT NULL, rows_loaded INTEGER NOT NULL, sha256 TEXT,
    as_of TEXT, imported_at TEXT NOT NULL, warnings TEXT NOT NULL DEFAULT '[]',
    notes TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS overrides (
    sku TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (sku, name));
CREATE TABLE IF NOT EXISTS plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, name TEXT NOT NULL,
    created_at TEXT NOT NULL, params TEXT NOT NULL, table_csv TEXT NOT NULL,
    dtypes TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, rule TEXT NOT NULL,
    sku TEXT, severity TEXT NOT NULL, message TEXT NOT NULL, payload TEXT NOT NULL DEFAULT '{}',
    key TEXT, state TEXT NOT NULL DEFAULT 'new', updated_at TEXT, as_of TEXT, value REAL,
    threshold REAL, action TEXT, money REAL, seen_at TEXT, snoozed_until TEXT,
    resolved_at TEXT, reported_at TEXT, notified_at TEXT, notified_channels TEXT);
CREATE TABLE IF NOT EXISTS results (
    name TEXT PRIMARY KEY, created_at TEXT NOT NULL, params TEXT NOT NULL, table_csv TEXT NOT NULL,
    dtypes TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS cache (
    namespace TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (namespace, key));
-- The sales rebuild looks order lines up by day, SKU and channel.
CREATE INDEX IF NOT EXISTS order_lines_day ON order_lines ("date", sku, channel);
"""


# Letters and digits (any script), then also spaces, '-' and '_'; no leading dot, no separator,
# no trailing space (Windows drops it), so a name is always one folder inside the data dir.
_NAME_RE = re.compile(r"[^\W_](?:[\w -]{0,98}[\w-])?")


def home_dir() -> Path:
    """The data directory: ``$STOCKCYCLE_HOME`` or ``~/.stockcycle``."""
    return Path(os.environ.get("STOCKCYCLE_HOME") or Path.home() / ".stockcycle")


def workspaces_dir() -> Path:
    return home_dir() / "workspaces"


def list_workspaces() -> list[str]:
    """Names of the workspaces in the data directory that ``Workspace.named`` opens, sorted."""
    root = workspaces_dir()
    if not root.is_dir():
        return []
    return sorted(
        p.name for p in root.iterdir() if (p / DB_FILE).is_file() and _NAME_RE.fullmatch(p.name)
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _table_sql(name: str) -> str:
    t = TABLES[name]
    cols = ", ".join(f'"{c}" {SQL_TYPES[typ]}' for c, typ in t.columns.items())
    key = ", ".join(f'"{c}"' for c in t.key)
    sql = (
        f'CREATE TABLE IF NOT EXISTS "{name}" ({cols}, source_id INTEGER NOT NULL, UNIQUE ({key}));'
    )
    if t.overlap is not None:
        # _drop_overlaps looks stored periods up by SKU and start.
        sql += f'CREATE INDEX IF NOT EXISTS "{name}_overlap" ON "{name}" (sku, "{t.overlap[0]}");'
    return sql


# The range a pandas datetime64[ns] column can hold; the store reads dates back in that dtype.
_FIRST_DATE, _LAST_DATE = pd.Timestamp("1677-09-22"), pd.Timestamp("2262-04-11")
_EXPECTED = {
    "date": "a date",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "text": "text",
}


def _bad_value(table: str, col: str, typ: str, s: pd.Series, bad: pd.Series) -> InputError:
    """The error for the first value of ``s`` flagged in ``bad``.

    The row is the 1-based row of the normalised table, not a line of the seller's file: the
    parsers check the file itself, so reaching this means a parser let a bad value through.
    """
    i = int(bad.to_numpy().nonzero()[0][0])
    return InputError(
        f"{table} table row {i + 1}: {s.iloc[i]!r} cannot be stored",
        column=col,
        expected=_EXPECTED[typ],
    )


def _is_bool_like(value: object) -> bool:
    try:
        pd.array([value], dtype="boolean")
    except (TypeError, ValueError):
        return False
    return True


def _to_sql_values(df: pd.DataFrame, table: str) -> list[tuple]:
    """DataFrame -> rows of plain Python values in schema order (NA -> None, dates -> ISO).

    A value that does not convert to its column's type raises ``InputError`` instead of being
    stored as NULL, so a bad value can never quietly vanish from the seller's data.
    """
    spec = TABLES[table].columns
    key = TABLES[table].key
    out = pd.DataFrame(index=df.index)
    for col, typ in spec.items():
        s = df[col] if col in df.columns else pd.Series(pd.NA, index=df.index)
        given = s.notna()
        if typ == "date":
            conv = (
                s
                if pd.api.types.is_datetime64_any_dtype(s)
                else pd.to_datetime(s, errors="coerce", format="mixed")
            )
            if getattr(conv.dt, "tz", None) is not None:
                conv = conv.dt.tz_localize(None)
            bad = (given & conv.isna()) | (conv < _FIRST_DATE) | (conv > _LAST_DATE)
            if col in key:
                bad |= ~given  # a NULL in a UNIQUE key never conflicts: re-imports would add up
            if bad.any():
                raise _bad_value(table, col, typ, s, bad)
            s = conv.dt.strftime("%Y-%m-%d")
        elif typ == "bool":
            try:
                s = s.astype("boolean").astype("Int64")
            except (TypeError, ValueError):
                bad = pd.Series([not _is_bool_like(v) for v in s], index=s.index)
                raise _bad_value(table, col, typ, s, bad) from None
        elif typ in ("float", "int"):
            conv = pd.to_numeric(s, errors="coerce")
            bad = given & conv.isna()
            if bad.any():
                raise _bad_value(table, col, typ, s, bad)
            s = conv.astype("float64")
            if typ == "int":
                s = s.round().astype("Int64")
        else:
            s = s.astype("string")
        if col in key and typ in ("text", "bool"):
            # SQLite treats NULLs as distinct in UNIQUE keys; an empty key part must be ''.
            s = s.fillna("" if typ == "text" else 0)
        out[col] = s
    out = out.astype(object).where(out.notna(), None)
    return list(out.itertuples(index=False, name=None))


def _frame_to_text(table: pd.DataFrame) -> tuple[str, str]:
    """A plan or result table -> (CSV text, JSON of its column dtypes), so that dates, nullable
    integers and text come back as they went in."""
    dtypes = {str(c): str(t) for c, t in table.dtypes.items()}
    return table.to_csv(index=False), json.dumps(dtypes)


def _text_to_frame(csv_text: str, dtypes_json: str, what: str) -> pd.DataFrame:
    """The inverse of ``_frame_to_text``; columns without a recorded dtype keep what
    ``read_csv`` gives.

    A recorded dtype that the text does not convert to is an ``InputError`` naming ``what`` (the
    saved table) and the column. It cannot come from ``_frame_to_text`` (every dtype it records
    round-trips: dates with or without a zone, nullable integers and booleans, categories,
    periods, text), so the workspace file was damaged or edited by hand; keeping read_csv's
    guess instead would hand the planner a column of the wrong type ('007' as 7, dates as
    text) with no sign that anything went wrong."""
    dtypes: dict[str, str] = json.loads(dtypes_json or "{}")
    # Read recorded columns as text first: read_csv would otherwise turn the SKU "007" into 7.
    df = pd.read_csv(
        io.StringIO(csv_text),
        dtype={c: "string" for c in dtypes},
        keep_default_na=False,
        na_values=[""],
    )
    for col, dtype in dtypes.items():
        if col not in df.columns:
            continue
        try:
            if dtype.startswith("datetime64"):
                df[col] = pd.to_datetime(df[col], format="ISO8601").astype(dtype)
            elif dtype.startswith("timedelta64"):
                df[col] = pd.to_timedelta(df[col]).astype(dtype)
            elif dtype in ("bool", "boolean"):
                df[col] = df[col].map({"True": True, "False": False}).astype(dtype)
            elif dtype == "object":
                df[col] = df[col].astype(object).where(df[col].notna(), None)
            else:
                df[col] = df[col].astype(dtype)
        except (TypeError, ValueError) as err:
            raise InputError(
                f"the saved {what} cannot be read back: its column '{col}' does "
                f"not convert to {dtype} ({err})",
                column=col,
                expected="a workspace file written by stockcycle; save the table again",
            ) from None
    return df


def _drop_overlaps(con: sqlite3.Connection, table: str, values: list[tuple]) -> None:
    """Delete the stored rows of ``table`` whose SKU is one of the new rows' and whose period
    overlaps that row's period (stored start <= new end and stored end >= new start), so a
    re-imported or corrected report replaces the old one instead of adding to it.

    A stored row can only overlap when it starts at most ``span`` days (the longest stored
    period) before the new start: that bound lets the (sku, start) index find the candidates,
    so a year of daily rows is not compared with every stored row."""
    cols = list(TABLES[table].columns)
    start, end = TABLES[table].overlap or ("", "")
    span = con.execute(
        f'SELECT MAX(julianday("{end}") - julianday("{start}")) FROM "{table}"'
    ).fetchone()[0]
    if span is None:
        return  # nothing stored yet
    i_sku, i_start, i_end = cols.index("sku"), cols.index(start), cols.index(end)
    periods = {(r[i_sku], r[i_start], r[i_end]) for r in values}
    con.execute("CREATE TEMP TABLE IF NOT EXISTS _periods (sku TEXT, p_start TEXT, p_end TEXT)")
    con.execute("DELETE FROM _periods")
    con.executemany("INSERT INTO _periods VALUES (?,?,?)", periods)
    con.execute(
        f'DELETE FROM "{table}" WHERE rowid IN (SELECT t.rowid FROM _periods p '
        f'JOIN "{table}" t ON t.sku = p.sku '
        f'AND t."{start}" BETWEEN date(p.p_start, ?) AND p.p_end '
        f'AND t."{end}" >= p.p_start)',
        (f"-{int(span) + 1} days",),
    )


def _track_moved_lines(con: sqlite3.Connection) -> None:
    """Prepare ``_touched`` (the days whose sales an order-lines import rebuilds) and record in
    it the old day of a stored line that a new report moves to another day or channel, so the
    old day loses that line too."""
    con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS _touched (day TEXT, sku TEXT, channel TEXT, "
        "PRIMARY KEY (day, sku, channel)) WITHOUT ROWID"
    )
    con.execute("DELETE FROM _touched")
    con.execute(
        "CREATE TEMP TRIGGER IF NOT EXISTS _line_moved AFTER UPDATE ON main.order_lines "
        'WHEN OLD."date" IS NOT NEW."date" OR OLD.channel IS NOT NEW.channel BEGIN '
        'INSERT OR IGNORE INTO _touched VALUES (OLD."date", OLD.sku, OLD.channel); END'
    )


def _rebuild_sales(con: sqlite3.Connection, values: list[tuple], source_id: int) -> None:
    """Rebuild the ``sales`` rows of every (date, sku, channel) the order lines touch from ALL
    the order lines stored for it, whichever report they came from.

    Per (date, sku, channel), over the lines not cancelled: units = sum of units, returns = sum
    of returns, revenue = sum of revenue (NULL when no line has a price), price = revenue /
    units (NULL when no units), currency = the lines' currency; source_id = this import (the
    import that last rebuilt the row). A day left with only cancelled lines has no sales row.
    This is why two All Orders reports that each hold part of a day add up: the key of a line
    is the order, not the day, and the day's total is a GROUP BY over the lines."""
    cols = list(TABLES["order_lines"].columns)
    i_day, i_sku, i_channel = cols.index("date"), cols.index("sku"), cols.index("channel")
    con.executemany(
        "INSERT OR IGNORE INTO _touched VALUES (?,?,?)",
        {(r[i_day], r[i_sku], r[i_channel]) for r in values},
    )
    con.execute(
        'DELETE FROM sales WHERE ("date", sku, channel) IN (SELECT day, sku, channel FROM _touched)'
    )
    # SQLite (3.40) adds floats naively: 5 x 16.99 sums to 84.94999999999999. Amounts are in
    # cents, so rounding the total to 6 decimals gives back the exact sum.
    con.execute(
        'INSERT INTO sales ("date", sku, channel, units, returns, revenue, price, currency, '
        "source_id) "
        'SELECT o."date", o.sku, o.channel, SUM(o.units), SUM(o.returns), '
        "ROUND(SUM(o.revenue), 6), ROUND(SUM(o.revenue), 6) / NULLIF(SUM(o.units), 0), "
        "MAX(currency), ? "
        'FROM _touched t JOIN order_lines o ON o."date" = t.day AND o.sku = t.sku '
        "AND o.channel = t.channel "
        'WHERE o.cancelled IS NOT 1 GROUP BY o."date", o.sku, o.channel',
        (source_id,),
    )


class Workspace:
    """A seller's workspace on disk. Cheap to construct; every call opens a short connection."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.db_path = self.path / DB_FILE

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, create: bool = True) -> Workspace:
        """Open the workspace at ``path`` (a directory), creating it when asked."""
        ws = cls(path)
        if not ws.db_path.exists():
            if not create:
                raise InputError(
                    f"no workspace at {ws.path}",
                    expected="a folder made by 'stockcycle import' or the app",
                )
            if ws.path.exists() and not ws.path.is_dir():
                raise InputError(
                    f"{ws.path} is a file, not a workspace folder",
                    expected="a folder (new or made by stockcycle)",
                )
            ws.path.mkdir(parents=True, exist_ok=True)
        try:
            with ws._connect() as con:
                con.executescript("".join(_table_sql(n) for n in TABLES) + _META_SQL)
                _add_missing_columns(con)
                _migrate_alerts(con)
        except sqlite3.DatabaseError as err:
            raise InputError(
                f"cannot open the workspace at {ws.path} ({err})",
                expected=f"a {DB_FILE} written by stockcycle",
            ) from None
        return ws

    @classmethod
    def named(cls, name: str, create: bool = True) -> Workspace:
        """Open a workspace by name inside the data directory."""
        if not _NAME_RE.fullmatch(name or ""):
            raise InputError(
                f"'{name}' is not a usable workspace name",
                expected="letters, digits, spaces, '-' or '_'",
            )
        return cls.open(workspaces_dir() / name, create=create)

    def reset(self) -> Workspace:
        """Delete everything in this workspace (tables, settings, plans, cache) and return it
        empty. Used to load the sample afresh instead of stacking a second copy of its import
        log on the first."""
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)
        return Workspace.open(self.path)

    @property
    def name(self) -> str:
        return self.path.name

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        try:
            con.execute("PRAGMA foreign_keys = ON")
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: everything inside lands, or nothing does."""
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    # -- imports -----------------------------------------------------------------------------
    def import_files(self, parsed: Iterable[ParsedFile]) -> list[dict[str, Any]]:
        """Write parsed files in one transaction; return per-file ``{file, kind, rows}``.

        Rows whose key already exists replace the stored row (``merge`` tables only overwrite
        the columns the new row has), so re-importing an overlapping report never double counts;
        see ``_upsert`` for order lines and overlapping periods.
        """
        report = []
        with self.transaction() as con:
            for pf in parsed:
                loaded = sum(len(df) for df in pf.tables.values())
                cur = con.execute(
                    "INSERT INTO imports (file_name, kind, label, rows_read, rows_loaded, sha256,"
                    " as_of, imported_at, warnings, notes) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        pf.file_name,
                        pf.kind,
                        pf.label,
                        pf.rows_read,
                        loaded,
                        pf.sha256,
                        pf.as_of.isoformat() if pf.as_of else None,
                        _now(),
                        json.dumps(pf.warnings),
                        json.dumps(pf.notes),
                    ),
                )
                source_id = cur.lastrowid
                for table, df in pf.tables.items():
                    if table not in TABLES:
                        raise InputError(
                            f"'{table}' is not a stockcycle table",
                            file=pf.file_name,
                            expected=", ".join(TABLES),
                        )
                    try:
                        self._upsert(con, table, df, source_id)
                    except InputError as err:
                        raise InputError(
                            err.message,
                            file=pf.file_name,
                            row=err.row,
                            column=err.column,
                            expected=err.expected,
                        ) from None
                report.append(
                    {
                        "file": pf.file_name,
                        "kind": pf.kind,
                        "label": pf.label,
                        "rows": loaded,
                        "tables": {t: len(d) for t, d in pf.tables.items()},
                    }
                )
        return report

    def _upsert(
        self, con: sqlite3.Connection, table: str, df: pd.DataFrame, source_id: int
    ) -> None:
        """Write one table's rows by the schema's rules: by key (replace or merge); a table
        with ``overlap`` first drops the stored rows its rows overlap; order lines then rebuild
        the sales of the days they touch."""
        if df.empty:
            return
        t = TABLES[table]
        cols = list(t.columns)
        values = _to_sql_values(df, table)
        if t.overlap is not None:
            _drop_overlaps(con, table, values)
        if table == "order_lines":
            _track_moved_lines(con)
        names = ", ".join(f'"{c}"' for c in cols) + ", source_id"
        marks = ", ".join("?" for _ in cols) + ", ?"
        key = ", ".join(f'"{c}"' for c in t.key)
        if t.on_conflict == "merge":
            sets = ", ".join(
                f'"{c}" = COALESCE(excluded."{c}", "{c}")' for c in cols if c not in t.key
            )
        else:
            sets = ", ".join(f'"{c}" = excluded."{c}"' for c in cols if c not in t.key)
        sets += ", source_id = excluded.source_id"
        sql = (
            f'INSERT INTO "{table}" ({names}) VALUES ({marks}) '
            f"ON CONFLICT ({key}) DO UPDATE SET {sets}"
        )
        con.executemany(sql, [(*r, source_id) for r in values])
        if table == "order_lines":
            _rebuild_sales(con, values, source_id)

    def imports(self) -> pd.DataFrame:
        """The import log, newest first."""
        with self._connect() as con:
            return pd.read_sql_query("SELECT * FROM imports ORDER BY id DESC", con)

    # -- reading -------------------------------------------------------------------------------
    def read(
        self, table: str, skus: Iterable[str] | None = None, with_source: bool = False
    ) -> pd.DataFrame:
        """A normalised table with schema dtypes (dates as datetime64, text as string)."""
        if table not in TABLES:
            raise InputError(f"unknown table '{table}'", expected=", ".join(TABLES))
        spec = TABLES[table].columns
        cols = ", ".join(f'"{c}"' for c in spec) + (", source_id" if with_source else "")
        sql, params = f'SELECT {cols} FROM "{table}"', []
        if skus is not None and "sku" in spec:
            # One JSON parameter, not one per SKU: SQLite caps a statement at 32,766 parameters
            # and an agency can have more SKUs than that.
            sql += " WHERE sku IN (SELECT value FROM json_each(?))"
            params = [json.dumps([str(s) for s in skus])]
        # Rows come unsorted and are sorted below: ORDER BY walks the key index with one random
        # table lookup per row, and read_sql_query adds its own per-row cost; together about
        # half a second per 100,000 sales rows, which a warm forecast run would pay in full.
        with self._connect() as con:
            cur = con.execute(sql, params)
            names = [d[0] for d in cur.description]
            df = pd.DataFrame.from_records(cur.fetchall(), columns=names)
        if table == "products":
            wanted = None if skus is None else {str(s) for s in skus}
            df = _with_product_edits(df, self.product_edits(), wanted)
        for col, typ in spec.items():
            if typ == "date":
                # One dtype whatever pandas infers from the ISO text (schema.empty_frame's).
                df[col] = pd.to_datetime(df[col], errors="coerce").astype("datetime64[ns]")
            elif typ == "text":
                df[col] = df[col].astype("string")
            elif typ == "float":
                df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
            elif typ == "int":
                df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
            elif typ == "bool":
                df[col] = df[col].astype("boolean")
        if "date" in spec:
            df = df.sort_values(["date", "sku"], kind="stable", ignore_index=True)
        return df

    def row_counts(self) -> dict[str, int]:
        with self._connect() as con:
            return {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in TABLES}

    def skus(self) -> list[str]:
        """Every SKU that appears in sales, inventory or products."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT sku FROM sales UNION SELECT sku FROM inventory "
                "UNION SELECT sku FROM products ORDER BY 1"
            ).fetchall()
        return [r[0] for r in rows if r[0]]

    def data_date(self) -> date | None:
        """The workspace's data date (R-T1): the latest sales day or inventory snapshot."""
        with self._connect() as con:
            latest = con.execute(
                "SELECT MAX(d) FROM (SELECT MAX(date) AS d FROM sales "
                "UNION ALL SELECT MAX(snapshot_date) FROM inventory)"
            ).fetchone()[0]
        return pd.Timestamp(latest).date() if latest else None

    def daily_units(self) -> pd.Series:
        """The whole catalogue's units sold per day (every SKU and channel), by day."""
        with self._connect() as con:
            rows = con.execute("SELECT date, SUM(units) FROM sales GROUP BY date").fetchall()
        if not rows:
            return pd.Series(dtype=float)
        days, units = zip(*rows, strict=True)
        return pd.Series(
            pd.to_numeric(pd.Series(units), errors="coerce").fillna(0.0).to_numpy(),
            index=pd.to_datetime(pd.Series(days), errors="coerce"),
        ).pipe(lambda s: s[s.index.notna()])

    def product_rows(self) -> dict[str, dict[str, Any]]:
        """The products table as ``{sku: {column: value}}``, blank cells left out (the
        callers fall back to their own defaults for those)."""
        products = self.read("products")
        return {
            str(r["sku"]): {k: v for k, v in r.items() if not pd.isna(v)}
            for r in products.to_dict("records")
        }

    def info(self) -> dict[str, Any]:
        """What is loaded: SKUs, sales date range, sources, row counts, and per imported file
        its data ``problems`` (warnings) and its neutral ``notes``, each as 'file: text'."""
        with self._connect() as con:
            first, last = con.execute('SELECT MIN("date"), MAX("date") FROM sales').fetchone()
            sources = con.execute(
                "SELECT file_name, label, rows_read, rows_loaded, imported_at, warnings, notes "
                "FROM imports ORDER BY id"
            ).fetchall()
        problems = [f"{f}: {w}" for f, *_, ws, _ in sources for w in json.loads(ws)]
        notes = [f"{f}: {n}" for f, *_, ns in sources for n in json.loads(ns)]
        return {
            "workspace": str(self.path),
            "skus": len(self.skus()),
            "sales_first_date": first,
            "sales_last_date": last,
            "row_counts": self.row_counts(),
            "sources": [
                {"file": f, "format": lbl, "rows_read": rr, "rows_loaded": rl, "imported_at": at}
                for f, lbl, rr, rl, at, _, _ in sources
            ],
            "problems": problems,
            "notes": notes,
        }

    # -- settings and overrides ------------------------------------------------------------
    def settings(self) -> Settings:
        with self._connect() as con:
            rows = con.execute("SELECT name, value FROM settings").fetchall()
        return Settings.from_dict({n: json.loads(v) for n, v in rows})

    def save_settings(self, settings: Settings) -> None:
        """Store the settings that differ from the defaults (so new defaults reach old
        workspaces for everything the seller never changed)."""
        defaults = Settings().to_dict()
        changed = {k: v for k, v in settings.to_dict().items() if defaults[k] != v}
        with self.transaction() as con:
            con.execute("DELETE FROM settings")
            con.executemany(
                "INSERT INTO settings VALUES (?, ?)",
                [(k, json.dumps(v)) for k, v in changed.items()],
            )

    def set_override(self, sku: str, name: str, value: Any) -> None:
        with self.transaction() as con:
            con.execute(
                "INSERT INTO overrides VALUES (?,?,?,?) ON CONFLICT (sku, name) DO "
                "UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (sku, name, json.dumps(value), _now()),
            )

    def clear_override(self, sku: str, name: str) -> None:
        with self.transaction() as con:
            con.execute("DELETE FROM overrides WHERE sku = ? AND name = ?", (sku, name))

    def set_product_values(self, edits: dict[str, dict[str, Any]]) -> None:
        """Store values the seller typed for products, ``{sku: {column: value}}``, in one
        transaction. A value of None removes the seller's value (the imported one shows again).

        The values live beside the imported products rows, not in them, so that re-importing a
        report that carries the same column never overwrites what the seller entered; ``read``
        lays them over the imported values. Validating them is the caller's job
        (``products.validate_edits``)."""
        columns = [c for c in TABLES["products"].columns if c != "sku"]
        rows_set, rows_cleared = [], []
        for sku, values in edits.items():
            for column, value in values.items():
                if column not in columns:
                    raise InputError(
                        f"'{column}' is not a product column", expected=", ".join(columns)
                    )
                name = PRODUCT_EDIT_PREFIX + column
                if value is None:
                    rows_cleared.append((str(sku), name))
                else:
                    rows_set.append((str(sku), name, json.dumps(value), _now()))
        with self.transaction() as con:
            con.executemany("DELETE FROM overrides WHERE sku = ? AND name = ?", rows_cleared)
            con.executemany(
                "INSERT INTO overrides VALUES (?,?,?,?) ON CONFLICT (sku, name) DO "
                "UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                rows_set,
            )

    def product_edits(self) -> dict[str, dict[str, Any]]:
        """``{sku: {column: value}}`` of the product values the seller entered in the app."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT sku, name, value FROM overrides WHERE substr(name, 1, ?) = ?",
                (len(PRODUCT_EDIT_PREFIX), PRODUCT_EDIT_PREFIX),
            ).fetchall()
        out: dict[str, dict[str, Any]] = {}
        for sku, name, value in rows:
            out.setdefault(sku, {})[name[len(PRODUCT_EDIT_PREFIX) :]] = json.loads(value)
        return out

    def edits_version(self) -> str:
        """Changes whenever a stage pin or a product value is set, changed or removed (cache
        keys): a digest of the overrides themselves, so two saves within one second, or a
        value cleared and another set, still give a new version."""
        digest = hashlib.sha1(usedforsecurity=False)
        with self._connect() as con:
            for row in con.execute("SELECT sku, name, value FROM overrides ORDER BY sku, name"):
                digest.update("\x1f".join(row).encode() + b"\x1e")
        return digest.hexdigest()

    def overrides(self, name: str | None = None) -> dict[str, dict[str, Any]]:
        """``{sku: {name: value}}`` of every override (only those called ``name`` if given)."""
        sql, params = "SELECT sku, name, value FROM overrides", ()
        if name is not None:
            sql, params = sql + " WHERE name = ?", (name,)
        out: dict[str, dict[str, Any]] = {}
        with self._connect() as con:
            for sku, n, v in con.execute(sql, params):
                out.setdefault(sku, {})[n] = json.loads(v)
        return out

    # -- plans, alerts, results, cache ---------------------------------------------------------
    def save_plan(
        self, kind: str, name: str, table: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> int:
        csv_text, dtypes = _frame_to_text(table)
        with self.transaction() as con:
            cur = con.execute(
                "INSERT INTO plans (kind, name, created_at, params, table_csv, dtypes) "
                "VALUES (?,?,?,?,?,?)",
                (kind, name, _now(), json.dumps(params or {}, default=str), csv_text, dtypes),
            )
            return int(cur.lastrowid)

    def plans(self, kind: str | None = None) -> pd.DataFrame:
        sql, params = "SELECT id, kind, name, created_at, params FROM plans", ()
        if kind:
            sql, params = sql + " WHERE kind = ?", (kind,)
        with self._connect() as con:
            return pd.read_sql_query(sql + " ORDER BY id DESC", con, params=params)

    def load_plan(self, plan_id: int) -> tuple[dict[str, Any], pd.DataFrame]:
        with self._connect() as con:
            row = con.execute(
                "SELECT params, table_csv, dtypes FROM plans WHERE id = ?", (plan_id,)
            ).fetchone()
        if row is None:
            raise InputError(f"no saved plan with id {plan_id}")
        return json.loads(row[0]), _text_to_frame(row[1], row[2], f"plan {plan_id}")

    def log_alert(
        self,
        rule: str,
        sku: str | None,
        severity: str,
        message: str,
        payload: dict[str, Any] | None = None,
    ) -> None:
        with self.transaction() as con:
            con.execute(
                "INSERT INTO alerts (created_at, rule, sku, key, severity, message, payload) "
                "VALUES (?,?,?,?,?,?,?)",
                (
                    _now(),
                    rule,
                    sku,
                    f"{rule}|{sku or ''}",
                    severity,
                    message,
                    json.dumps(payload or {}, default=str),
                ),
            )

    def alerts(self, sku: str | None = None, states: Iterable[str] | None = None) -> pd.DataFrame:
        """The alert log, newest first: every episode of every alert (``sku``: one SKU's;
        ``states``: only those states, e.g. ``OPEN_ALERT_STATES``)."""
        sql, params = "SELECT * FROM alerts WHERE 1 = 1", []
        if sku is not None:
            sql, params = sql + " AND sku = ?", [*params, sku]
        if states is not None:
            wanted = list(states)
            sql += f" AND state IN ({', '.join('?' * len(wanted))})"
            params += wanted
        with self._connect() as con:
            return pd.read_sql_query(sql + " ORDER BY id DESC", con, params=params)

    def sync_alerts(
        self,
        current: Iterable[dict[str, Any]],
        *,
        as_of: date | None,
        today: date,
        kpis: dict[str, dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Bring the log in line with the alerts firing now (dicts of ``Alert.to_dict()``).

        One row per episode of an alert, keyed by ``rule|sku``: an alert with no open row
        (state new, seen or snoozed) starts one in state ``new``; an open one is updated in
        place (figure, message, money), so an unchanged alert is neither reported nor sent
        again. It becomes ``new`` again (reported and sent afresh) when its severity rises, or
        when its snooze ends (``snoozed_until`` before ``today``) while it still fires. An open
        row whose alert no longer fires is ``resolved`` (it cleared itself). ``kpis``: per SKU
        figures kept in the payload (turnover, for the tuning view, R-M6). One transaction.
        Returns ``{"new": [ids reported for the first time], "open": [ids], "resolved": [ids]}``.
        """
        from stockcycle.alerts import SEVERITIES

        now, day = _now(), today.isoformat()
        kpis = kpis or {}
        new_ids: list[int] = []
        touched: set[int] = set()
        with self.transaction() as con:
            open_rows = {
                r[1]: r
                for r in con.execute(
                    "SELECT id, key, severity, state, snoozed_until FROM alerts "
                    f"WHERE state IN ({', '.join('?' * len(OPEN_ALERT_STATES))})",
                    OPEN_ALERT_STATES,
                )
            }
            for a in current:
                key = f"{a['rule']}|{a['sku']}"
                payload = json.dumps({**a, "kpi": kpis.get(a["sku"], {})}, default=str)
                figures = (
                    a["severity"], a["message"], payload, now, as_of and as_of.isoformat(),
                    a.get("value"), a.get("threshold"), a.get("action"), a.get("money_at_stake"),
                )  # fmt: skip
                row = open_rows.get(key)
                if row is None:
                    cur = con.execute(
                        "INSERT INTO alerts (created_at, rule, sku, key, state, severity, "
                        "message, payload, updated_at, as_of, value, threshold, action, money) "
                        "VALUES (?,?,?,?,'new',?,?,?,?,?,?,?,?,?)",
                        (now, a["rule"], a["sku"], key, *figures),
                    )
                    new_ids.append(int(cur.lastrowid))
                    touched.add(int(cur.lastrowid))
                    continue
                alert_id, _, severity, state, until = row
                touched.add(alert_id)
                rises = SEVERITIES.get(a["severity"], 9) < SEVERITIES.get(severity, 9)
                wakes = state == "snoozed" and (until is None or until < day)
                con.execute(
                    "UPDATE alerts SET severity = ?, message = ?, payload = ?, updated_at = ?, "
                    "as_of = ?, value = ?, threshold = ?, action = ?, money = ? WHERE id = ?",
                    (*figures, alert_id),
                )
                if rises or wakes:
                    con.execute(
                        "UPDATE alerts SET state = 'new', snoozed_until = NULL, seen_at = NULL, "
                        "reported_at = NULL, notified_at = NULL, notified_channels = NULL "
                        "WHERE id = ?",
                        (alert_id,),
                    )
                    new_ids.append(alert_id)
            resolved = [r[0] for k, r in open_rows.items() if r[0] not in touched]
            con.executemany(
                "UPDATE alerts SET state = 'resolved', resolved_at = ?, updated_at = ? "
                "WHERE id = ?",
                [(now, now, i) for i in resolved],
            )
            # New = never reported by a check yet (a failed run reports it on the next one).
            unreported = [
                r[0]
                for r in con.execute(
                    "SELECT id FROM alerts WHERE state = 'new' AND reported_at IS NULL ORDER BY id"
                )
            ]
            con.executemany(
                "UPDATE alerts SET reported_at = ? WHERE id = ?", [(now, i) for i in unreported]
            )
        return {"new": unreported, "open": sorted(touched), "resolved": resolved}

    def set_alert_state(
        self, alert_id: int, state: str, *, snoozed_until: date | None = None
    ) -> None:
        """Acknowledge (``seen``) or snooze (``snoozed`` until a date) an open alert, or open
        it again (``new``). A resolved alert stays resolved: its condition has cleared."""
        if state not in ("new", "seen", "snoozed"):
            raise InputError(f"'{state}' is not an alert state", expected="new, seen or snoozed")
        if state == "snoozed" and snoozed_until is None:
            raise InputError("a snooze needs a date", expected="snoozed_until")
        now = _now()
        with self.transaction() as con:
            row = con.execute("SELECT state FROM alerts WHERE id = ?", (alert_id,)).fetchone()
            if row is None:
                raise InputError(f"no alert with id {alert_id}")
            if row[0] == "resolved":
                raise InputError(f"alert {alert_id} is resolved", expected="an open alert")
            con.execute(
                "UPDATE alerts SET state = ?, updated_at = ?, "
                "seen_at = CASE WHEN ? = 'new' THEN NULL ELSE COALESCE(seen_at, ?) END, "
                "snoozed_until = ? WHERE id = ?",
                (
                    state,
                    now,
                    state,
                    now,
                    snoozed_until.isoformat() if snoozed_until else None,
                    alert_id,
                ),
            )

    def mark_alerts_notified(self, ids: Iterable[int], channel: str | None = None) -> None:
        """Record that these alerts reached the seller (on ``channel``: "email", "slack"): not
        sent again on that channel while unchanged. ``notified_at`` is the first success."""
        now = _now()
        with self.transaction() as con:
            for i in ids:
                row = con.execute(
                    "SELECT notified_channels FROM alerts WHERE id = ?", (int(i),)
                ).fetchone()
                done = [c for c in (row[0] or "").split(",") if c] if row else []
                if channel and channel not in done:
                    done.append(channel)
                con.execute(
                    "UPDATE alerts SET notified_at = COALESCE(notified_at, ?), "
                    "notified_channels = ? WHERE id = ?",
                    (now, ",".join(done) or None, int(i)),
                )

    def save_result(
        self, name: str, table: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> None:
        """Store a derived table (backtest, stages, ...) under ``name``, replacing the last."""
        csv_text, dtypes = _frame_to_text(table)
        with self.transaction() as con:
            con.execute(
                "INSERT INTO results (name, created_at, params, table_csv, dtypes) "
                "VALUES (?,?,?,?,?) ON CONFLICT (name) DO UPDATE SET "
                "created_at = excluded.created_at, params = excluded.params, "
                "table_csv = excluded.table_csv, dtypes = excluded.dtypes",
                (name, _now(), json.dumps(params or {}, default=str), csv_text, dtypes),
            )

    def load_result(self, name: str) -> tuple[dict[str, Any], pd.DataFrame] | None:
        """``(params, table)`` of a stored result, or None when it was never computed."""
        with self._connect() as con:
            row = con.execute(
                "SELECT params, table_csv, dtypes FROM results WHERE name = ?", (name,)
            ).fetchone()
        if row is None:
            return None
        return json.loads(row[0]), _text_to_frame(row[1], row[2], f"result '{name}'")

    def cache_get_many(self, namespace: str, keys: list[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        with self._connect() as con:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                sql = (
                    f"SELECT key, value FROM cache WHERE namespace = ? AND key IN "
                    f"({', '.join('?' for _ in part)})"
                )
                out.update(dict(con.execute(sql, (namespace, *part)).fetchall()))
        return out

    def cache_put_many(self, namespace: str, items: dict[str, bytes]) -> None:
        with self.transaction() as con:
            con.executemany(
                "INSERT OR REPLACE INTO cache VALUES (?,?,?)",
                [(namespace, k, v) for k, v in items.items()],
            )

    def cache_clear(self, namespace: str) -> None:
        with self.transaction() as con:
            con.execute("DELETE FROM cache WHERE namespace = ?", (namespace,))


# -- restoring a downloaded workspace ----------------------------------------------------------
# An uploaded workspace file is a database someone else wrote: it may carry triggers (one that
# deleted all sales on the next import), views standing where our tables should be (a recursive
# view named ``sales`` took 45 s of CPU and 2.9 GB), or tables of the wrong shape. So it is
# never opened as the workspace: it is opened read-only, only its real tables with our names,
# columns and types are read, and their rows are copied into a fresh workspace our own code
# creates. Nothing else in the file (triggers, views, indexes, other tables) survives.

# Reading the upload stops after this many seconds of SQLite work (a progress handler), so no
# file, however made, holds a shared server's CPU for long; copying a real workspace of a
# million order lines takes a few seconds.
RESTORE_SECONDS = 60.0
RESTORE_PROGRESS_STEPS = 1000  # SQLite steps between two looks at the clock
# The largest single value read from the upload. Plans and results keep whole tables as CSV
# text (a few MB for thousands of SKUs); a bigger value can only be there to exhaust memory.
RESTORE_MAX_VALUE_BYTES = 64 * 1024 * 1024
# typeof() values each declared column type may hold (NULL everywhere; NOT NULL is enforced by
# the fresh table itself). REAL columns also take integers: SQLite stores 3.0 as 3.
_ALLOWED_TYPES = {
    "TEXT": ("text", "null"),
    "INTEGER": ("integer", "null"),
    "REAL": ("real", "integer", "null"),
    "BLOB": ("blob", "text", "null"),
}
_RESTORE_EXPECTED = "a workspace file downloaded from stockcycle (.sqlite)"


def _with_product_edits(
    products: pd.DataFrame, edits: dict[str, dict[str, Any]], skus: set[str] | None
) -> pd.DataFrame:
    """``products`` (raw rows of the products table) with the seller's values laid over the
    imported ones; a SKU the seller gave values to but no report named gets its own row."""
    edits = {s: v for s, v in edits.items() if skus is None or s in skus}
    if not edits:
        return products
    out = products.astype(object).set_index("sku", drop=False)
    for sku, values in edits.items():
        if sku not in out.index:
            out.loc[sku] = {c: None for c in out.columns} | {"sku": sku}
        for column, value in values.items():
            if column in out.columns:
                out.at[sku, column] = value
    return out.reset_index(drop=True)


def _add_missing_columns(con: sqlite3.Connection) -> None:
    """Give a workspace made by an older version the data columns added since (blank).

    ``CREATE TABLE IF NOT EXISTS`` leaves an existing table as it was, so without this a new
    products column (``shipping_weight_lb``) would make every import into an old workspace fail.
    One transaction: the file is upgraded completely or not at all."""
    missing = [
        (name, col, typ)
        for name, t in TABLES.items()
        for col, typ in t.columns.items()
        if col not in {c for c, _, _ in _columns(con, name)}
    ]
    if not missing:
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        for name, col, typ in missing:
            con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{col}" {SQL_TYPES[typ]}')
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


#: States of an alert in the log: ``new`` (not yet acknowledged), ``seen`` (acknowledged),
#: ``snoozed`` (quiet until ``snoozed_until``), ``resolved`` (its condition cleared).
ALERT_STATES = ("new", "seen", "snoozed", "resolved")
OPEN_ALERT_STATES = ("new", "seen", "snoozed")
#: Columns the alert log gained with its states (added to older workspace files on open).
ALERT_COLUMNS_ADDED: dict[str, str] = {
    "key": "TEXT",
    "state": "TEXT NOT NULL DEFAULT 'new'",
    "updated_at": "TEXT",
    "as_of": "TEXT",
    "value": "REAL",
    "threshold": "REAL",
    "action": "TEXT",
    "money": "REAL",
    "seen_at": "TEXT",
    "snoozed_until": "TEXT",
    "resolved_at": "TEXT",
    "reported_at": "TEXT",
    "notified_at": "TEXT",
    "notified_channels": "TEXT",
}


def _migrate_alerts(con: sqlite3.Connection) -> None:
    """Give the alert log of an older workspace its state columns, the key of each old row
    (``rule|sku``) and the index the daily check looks alerts up by. One transaction."""
    have = {c for c, _, _ in _columns(con, "alerts")}
    missing = [(c, t) for c, t in ALERT_COLUMNS_ADDED.items() if c not in have]
    indexed = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'alerts_key_state'"
    ).fetchone()
    # Rows without a key: an older file's, or copied from one by restore_workspace_file.
    keyless = (
        "key" not in have
        or con.execute("SELECT 1 FROM alerts WHERE key IS NULL LIMIT 1").fetchone()
    )
    if not missing and indexed and not keyless:
        return  # the usual case: no write lock taken on open
    con.execute("BEGIN IMMEDIATE")
    try:
        for col, typ in missing:
            con.execute(f'ALTER TABLE alerts ADD COLUMN "{col}" {typ}')
        if keyless:
            con.execute(
                "UPDATE alerts SET key = rule || '|' || COALESCE(sku, '') WHERE key IS NULL"
            )
        con.execute("CREATE INDEX IF NOT EXISTS alerts_key_state ON alerts (key, state)")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _columns(con: sqlite3.Connection, table: str) -> list[tuple[str, str, int]]:
    """(name, declared type, hidden) of a table's columns; hidden != 0 is a generated column."""
    return [
        (row[1], (row[2] or "").upper(), row[6])
        for row in con.execute(f'PRAGMA table_xinfo("{table}")')
    ]


def restore_workspace_file(upload: Path, file_name: str, folder: Path) -> Path:
    """Copy the known tables of the uploaded database ``upload`` into a fresh workspace in
    ``folder``; return the new database path.

    Raises ``InputError`` naming the table and what was expected when a known name is not a
    real table, has other columns or types, holds values of the wrong type, or when the file
    has no import log (then it is not a stockcycle workspace at all). A known table the file
    lacks (it predates that table) starts empty, as ``Workspace.open`` would create it. On any
    error ``folder`` is left without a database."""

    def refuse(message: str) -> InputError:
        return InputError(message, file=file_name, expected=_RESTORE_EXPECTED)

    staging = folder / ".restoring"
    shutil.rmtree(staging, ignore_errors=True)
    fresh = Workspace.open(staging)  # our own schema, made by our own code
    deadline = time.monotonic() + RESTORE_SECONDS
    try:
        src = sqlite3.connect(f"{upload.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        shutil.rmtree(staging, ignore_errors=True)
        raise refuse("SQLite cannot open this file") from None
    try:
        # Read-only twice over, no functions from the file's schema, bounded work and values.
        src.execute("PRAGMA query_only = ON")
        src.execute("PRAGMA trusted_schema = OFF")
        src.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, RESTORE_MAX_VALUE_BYTES)
        src.set_progress_handler(lambda: int(time.monotonic() > deadline), RESTORE_PROGRESS_STEPS)
        with fresh._connect() as dst:
            ours = [
                r[0]
                for r in dst.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            # SQLite names are case-insensitive: a view "SALES" would answer for "sales".
            objects = {
                name.lower(): (kind, sql or "")
                for name, kind, sql in src.execute("SELECT name, type, sql FROM sqlite_master")
            }
            if objects.get("imports", ("",))[0] != "table":
                raise refuse("this database is not a stockcycle workspace (it has no import log)")
            plan = []
            for table in ours:
                if table not in objects:
                    continue
                kind, sql = objects[table]
                if kind != "table" or sql.upper().startswith("CREATE VIRTUAL"):
                    raise refuse(f"'{table}' is a {kind} here, not a table (expected a table)")
                want, have = _columns(dst, table), _columns(src, table)
                if any(hidden for _, _, hidden in have):
                    raise refuse(f"table '{table}' has generated columns, which ours never have")
                have_types = {c: t for c, t, _ in have}
                want_types = {c: t for c, t, _ in want}
                # A file from an older version lacks the data columns added since (they start
                # blank, as Workspace.open's migration leaves them); anything else must match.
                added_since = set(ADDED_COLUMNS.get(table, ()))
                if table == "alerts":  # the log's state columns, added with the daily check
                    added_since |= set(ALERT_COLUMNS_ADDED)
                if any(want_types.get(c) != t for c, t in have_types.items()) or any(
                    c not in have_types and c not in added_since for c in want_types
                ):
                    raise refuse(
                        f"table '{table}' has the columns "
                        + ", ".join(f"{c} {t}".strip() for c, t, _ in have)
                        + "; expected "
                        + ", ".join(f"{c} {t}" for c, t, _ in want)
                    )
                cols = [c for c, _, _ in want if c in have_types]
                for col, typ, _ in (w for w in want if w[0] in have_types):
                    allowed = _ALLOWED_TYPES.get(typ, ("text", "integer", "real", "blob", "null"))
                    bad = src.execute(
                        f'SELECT rowid FROM "{table}" WHERE typeof("{col}") NOT IN '
                        f"({', '.join('?' * len(allowed))}) LIMIT 1",
                        allowed,
                    ).fetchone()
                    if bad:
                        raise refuse(
                            f"table '{table}' column '{col}' holds a value not of type {typ}"
                        )
                    # Dates of the normalised tables are ISO text; anything else breaks pages.
                    if table in TABLES and TABLES[table].columns.get(col) == "date":
                        bad = src.execute(
                            f'SELECT rowid FROM "{table}" WHERE "{col}" IS NOT NULL '
                            f'AND "{col}" NOT GLOB ? LIMIT 1',
                            ("[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]",),
                        ).fetchone()
                        if bad:
                            raise refuse(
                                f"table '{table}' column '{col}' holds a value that is not a "
                                "date (expected YYYY-MM-DD)"
                            )
                plan.append((table, cols))
            dst.execute("BEGIN IMMEDIATE")
            for table, cols in plan:
                names = ", ".join(f'"{c}"' for c in cols)
                rows = src.execute(f'SELECT {names} FROM "{table}"')
                insert = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(cols))})'
                while batch := rows.fetchmany(10_000):
                    dst.executemany(insert, batch)
            dst.execute("COMMIT")
    except sqlite3.DatabaseError as err:  # also a NOT NULL or UNIQUE our tables enforce
        shutil.rmtree(staging, ignore_errors=True)
        if "interrupted" in str(err):
            raise refuse(
                f"reading this file took more than {RESTORE_SECONDS:.0f} seconds"
            ) from None
        raise refuse(f"this file cannot be read as a workspace ({err})") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        src.close()
    target = folder / DB_FILE
    os.replace(fresh.db_path, target)
    shutil.rmtree(staging, ignore_errors=True)
    return target
