"""The workspace: one embedded SQLite database per seller workspace.

A workspace is a directory holding ``workspace.sqlite``. Workspaces live under the data
directory (``STOCKCYCLE_HOME``, default ``~/.stockcycle``) unless a path is given.

It keeps
- the normalised tables of ``stockcycle.schema``, each row tagged with the import it came from
  (``source_id`` -> ``imports.id``);
- ``imports``: one row per imported file (name, format, rows, checksum, time, warnings);
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

import io
import json
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from stockcycle.errors import InputError
from stockcycle.ingest.result import ParsedFile
from stockcycle.schema import TABLES
from stockcycle.settings import Settings

DB_FILE = "workspace.sqlite"
SQL_TYPES = {"date": "TEXT", "text": "TEXT", "int": "INTEGER", "float": "REAL", "bool": "INTEGER"}

_META_SQL = """
CREATE TABLE IF NOT EXISTS imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_name TEXT NOT NULL, kind TEXT NOT NULL, label TEXT NOT NULL,
    rows_read INTEGER NOT NULL, rows_loaded INTEGER NOT NULL, sha256 TEXT,
    as_of TEXT, imported_at TEXT NOT NULL, warnings TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS overrides (
    sku TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (sku, name));
CREATE TABLE IF NOT EXISTS plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, name TEXT NOT NULL,
    created_at TEXT NOT NULL, params TEXT NOT NULL, table_csv TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, rule TEXT NOT NULL,
    sku TEXT, severity TEXT NOT NULL, message TEXT NOT NULL, payload TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS results (
    name TEXT PRIMARY KEY, created_at TEXT NOT NULL, params TEXT NOT NULL, table_csv TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cache (
    namespace TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (namespace, key));
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
    return sorted(p.name for p in root.iterdir()
                  if (p / DB_FILE).is_file() and _NAME_RE.fullmatch(p.name))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _table_sql(name: str) -> str:
    t = TABLES[name]
    cols = ", ".join(f'"{c}" {SQL_TYPES[typ]}' for c, typ in t.columns.items())
    key = ", ".join(f'"{c}"' for c in t.key)
    return (
        f'CREATE TABLE IF NOT EXISTS "{name}" ({cols}, source_id INTEGER NOT NULL, '
        f"UNIQUE ({key}));"
    )


# The range a pandas datetime64[ns] column can hold; the store reads dates back in that dtype.
_FIRST_DATE, _LAST_DATE = pd.Timestamp("1677-09-22"), pd.Timestamp("2262-04-11")
_EXPECTED = {"date": "a date", "int": "a whole number", "float": "a number",
             "bool": "true or false", "text": "text"}


def _bad_value(table: str, col: str, typ: str, s: pd.Series, bad: pd.Series) -> InputError:
    """The error for the first value of ``s`` flagged in ``bad``.

    The row is the 1-based row of the normalised table, not a line of the seller's file: the
    parsers check the file itself, so reaching this means a parser let a bad value through.
    """
    i = int(bad.to_numpy().nonzero()[0][0])
    return InputError(f"{table} table row {i + 1}: {s.iloc[i]!r} cannot be stored",
                      column=col, expected=_EXPECTED[typ])


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
            conv = s if pd.api.types.is_datetime64_any_dtype(s) else pd.to_datetime(
                s, errors="coerce", format="mixed")
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


def _text_to_frame(csv_text: str, dtypes_json: str) -> pd.DataFrame:
    """The inverse of ``_frame_to_text``; columns without a recorded dtype (or one that will
    not convert) keep what ``read_csv`` gives."""
    dtypes: dict[str, str] = json.loads(dtypes_json or "{}")
    # Read recorded columns as text first: read_csv would otherwise turn the SKU "007" into 7.
    df = pd.read_csv(io.StringIO(csv_text), dtype={c: "string" for c in dtypes},
                     keep_default_na=False, na_values=[""])
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
        except (TypeError, ValueError):
            pass
    return df


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
                raise InputError(f"no workspace at {ws.path}", expected="a folder made by "
                                 "'stockcycle import' or the app")
            if ws.path.exists() and not ws.path.is_dir():
                raise InputError(f"{ws.path} is a file, not a workspace folder",
                                 expected="a folder (new or made by stockcycle)")
            ws.path.mkdir(parents=True, exist_ok=True)
        try:
            with ws._connect() as con:
                con.executescript(_META_SQL + "".join(_table_sql(n) for n in TABLES))
                for table in ("plans", "results"):
                    # Workspaces made before tables kept their column types.
                    cols = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
                    if "dtypes" not in cols:
                        con.execute(f"ALTER TABLE {table} ADD COLUMN dtypes TEXT NOT NULL "
                                    "DEFAULT '{}'")
        except sqlite3.DatabaseError as err:
            raise InputError(f"cannot open the workspace at {ws.path} ({err})",
                             expected=f"a {DB_FILE} written by stockcycle") from None
        return ws

    @classmethod
    def named(cls, name: str, create: bool = True) -> Workspace:
        """Open a workspace by name inside the data directory."""
        if not _NAME_RE.fullmatch(name or ""):
            raise InputError(f"'{name}' is not a usable workspace name",
                             expected="letters, digits, spaces, '-' or '_'")
        return cls.open(workspaces_dir() / name, create=create)

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
        the columns the new row has), so re-importing an overlapping report never double counts.
        """
        report = []
        with self.transaction() as con:
            for pf in parsed:
                loaded = sum(len(df) for df in pf.tables.values())
                cur = con.execute(
                    "INSERT INTO imports (file_name, kind, label, rows_read, rows_loaded, sha256,"
                    " as_of, imported_at, warnings) VALUES (?,?,?,?,?,?,?,?,?)",
                    (pf.file_name, pf.kind, pf.label, pf.rows_read, loaded, pf.sha256,
                     pf.as_of.isoformat() if pf.as_of else None, _now(),
                     json.dumps(pf.warnings)),
                )
                source_id = cur.lastrowid
                for table, df in pf.tables.items():
                    if table not in TABLES:
                        raise InputError(f"'{table}' is not a stockcycle table", file=pf.file_name,
                                         expected=", ".join(TABLES))
                    try:
                        self._upsert(con, table, df, source_id)
                    except InputError as err:
                        raise InputError(err.message, file=pf.file_name, row=err.row,
                                         column=err.column, expected=err.expected) from None
                report.append({"file": pf.file_name, "kind": pf.kind, "label": pf.label,
                               "rows": loaded, "tables": {t: len(d) for t, d in
                                                          pf.tables.items()}})
        return report

    def _upsert(self, con: sqlite3.Connection, table: str, df: pd.DataFrame,
                source_id: int) -> None:
        if df.empty:
            return
        t = TABLES[table]
        cols = list(t.columns)
        names = ", ".join(f'"{c}"' for c in cols) + ", source_id"
        marks = ", ".join("?" for _ in cols) + ", ?"
        key = ", ".join(f'"{c}"' for c in t.key)
        if t.on_conflict == "merge":
            sets = ", ".join(f'"{c}" = COALESCE(excluded."{c}", "{c}")' for c in cols
                             if c not in t.key)
        else:
            sets = ", ".join(f'"{c}" = excluded."{c}"' for c in cols if c not in t.key)
        sets += ", source_id = excluded.source_id"
        sql = (f'INSERT INTO "{table}" ({names}) VALUES ({marks}) '
               f"ON CONFLICT ({key}) DO UPDATE SET {sets}")
        rows = [(*r, source_id) for r in _to_sql_values(df, table)]
        con.executemany(sql, rows)

    def imports(self) -> pd.DataFrame:
        """The import log, newest first."""
        with self._connect() as con:
            return pd.read_sql_query("SELECT * FROM imports ORDER BY id DESC", con)

    # -- reading -------------------------------------------------------------------------------
    def read(self, table: str, skus: Iterable[str] | None = None,
             with_source: bool = False) -> pd.DataFrame:
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
        if "date" in spec:
            sql += ' ORDER BY "date", sku'
        with self._connect() as con:
            df = pd.read_sql_query(sql, con, params=params)
        for col, typ in spec.items():
            if typ == "date":
                # One dtype whatever pandas infers from the ISO text (schema.empty_frame's).
                df[col] = pd.to_datetime(df[col], errors="coerce").astype("datetime64[ns]")
            elif typ == "text":
                df[col] = df[col].astype("string")
            elif typ == "float":
                df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
            elif typ == "bool":
                df[col] = df[col].astype("boolean")
        return df

    def row_counts(self) -> dict[str, int]:
        with self._connect() as con:
            return {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in TABLES}

    def skus(self) -> list[str]:
        """Every SKU that appears in sales, inventory or products."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT sku FROM sales UNION SELECT sku FROM inventory "
                "UNION SELECT sku FROM products ORDER BY 1").fetchall()
        return [r[0] for r in rows if r[0]]

    def info(self) -> dict[str, Any]:
        """What is loaded: SKUs, sales date range, sources, row counts, data problems."""
        with self._connect() as con:
            first, last = con.execute('SELECT MIN("date"), MAX("date") FROM sales').fetchone()
            sources = con.execute(
                "SELECT file_name, label, rows_read, rows_loaded, imported_at, warnings "
                "FROM imports ORDER BY id").fetchall()
        problems = [f"{f}: {w}" for f, _, _, _, _, ws in sources for w in json.loads(ws)]
        return {
            "workspace": str(self.path),
            "skus": len(self.skus()),
            "sales_first_date": first,
            "sales_last_date": last,
            "row_counts": self.row_counts(),
            "sources": [{"file": f, "format": lbl, "rows_read": rr, "rows_loaded": rl,
                         "imported_at": at} for f, lbl, rr, rl, at, _ in sources],
            "problems": problems,
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
            con.executemany("INSERT INTO settings VALUES (?, ?)",
                            [(k, json.dumps(v)) for k, v in changed.items()])

    def set_override(self, sku: str, name: str, value: Any) -> None:
        with self.transaction() as con:
            con.execute("INSERT INTO overrides VALUES (?,?,?,?) ON CONFLICT (sku, name) DO "
                        "UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                        (sku, name, json.dumps(value), _now()))

    def clear_override(self, sku: str, name: str) -> None:
        with self.transaction() as con:
            con.execute("DELETE FROM overrides WHERE sku = ? AND name = ?", (sku, name))

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
    def save_plan(self, kind: str, name: str, table: pd.DataFrame,
                  params: dict[str, Any] | None = None) -> int:
        csv_text, dtypes = _frame_to_text(table)
        with self.transaction() as con:
            cur = con.execute(
                "INSERT INTO plans (kind, name, created_at, params, table_csv, dtypes) "
                "VALUES (?,?,?,?,?,?)",
                (kind, name, _now(), json.dumps(params or {}, default=str), csv_text, dtypes))
            return int(cur.lastrowid)

    def plans(self, kind: str | None = None) -> pd.DataFrame:
        sql, params = "SELECT id, kind, name, created_at, params FROM plans", ()
        if kind:
            sql, params = sql + " WHERE kind = ?", (kind,)
        with self._connect() as con:
            return pd.read_sql_query(sql + " ORDER BY id DESC", con, params=params)

    def load_plan(self, plan_id: int) -> tuple[dict[str, Any], pd.DataFrame]:
        with self._connect() as con:
            row = con.execute("SELECT params, table_csv, dtypes FROM plans WHERE id = ?",
                              (plan_id,)).fetchone()
        if row is None:
            raise InputError(f"no saved plan with id {plan_id}")
        return json.loads(row[0]), _text_to_frame(row[1], row[2])

    def log_alert(self, rule: str, sku: str | None, severity: str, message: str,
                  payload: dict[str, Any] | None = None) -> None:
        with self.transaction() as con:
            con.execute("INSERT INTO alerts (created_at, rule, sku, severity, message, payload) "
                        "VALUES (?,?,?,?,?,?)",
                        (_now(), rule, sku, severity, message,
                         json.dumps(payload or {}, default=str)))

    def alerts(self) -> pd.DataFrame:
        with self._connect() as con:
            return pd.read_sql_query("SELECT * FROM alerts ORDER BY id DESC", con)

    def save_result(self, name: str, table: pd.DataFrame,
                    params: dict[str, Any] | None = None) -> None:
        """Store a derived table (backtest, stages, ...) under ``name``, replacing the last."""
        csv_text, dtypes = _frame_to_text(table)
        with self.transaction() as con:
            con.execute("INSERT INTO results (name, created_at, params, table_csv, dtypes) "
                        "VALUES (?,?,?,?,?) ON CONFLICT (name) DO UPDATE SET "
                        "created_at = excluded.created_at, params = excluded.params, "
                        "table_csv = excluded.table_csv, dtypes = excluded.dtypes",
                        (name, _now(), json.dumps(params or {}, default=str), csv_text, dtypes))

    def load_result(self, name: str) -> tuple[dict[str, Any], pd.DataFrame] | None:
        """``(params, table)`` of a stored result, or None when it was never computed."""
        with self._connect() as con:
            row = con.execute("SELECT params, table_csv, dtypes FROM results WHERE name = ?",
                              (name,)).fetchone()
        if row is None:
            return None
        return json.loads(row[0]), _text_to_frame(row[1], row[2])

    def cache_get_many(self, namespace: str, keys: list[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        with self._connect() as con:
            for i in range(0, len(keys), 500):
                part = keys[i:i + 500]
                sql = (f"SELECT key, value FROM cache WHERE namespace = ? AND key IN "
                       f"({', '.join('?' for _ in part)})")
                out.update(dict(con.execute(sql, (namespace, *part)).fetchall()))
        return out

    def cache_put_many(self, namespace: str, items: dict[str, bytes]) -> None:
        with self.transaction() as con:
            con.executemany("INSERT OR REPLACE INTO cache VALUES (?,?,?)",
                            [(namespace, k, v) for k, v in items.items()])

    def cache_clear(self, namespace: str) -> None:
        with self.transaction() as con:
            con.execute("DELETE FROM cache WHERE namespace = ?", (namespace,))
