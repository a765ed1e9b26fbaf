"""Restoring a workspace file never runs the file's own SQL (hardening issue, finding 2).

Each hostile file starts as a real workspace download, then gets one change made with plain
``sqlite3``: a trigger, a recursive view where ``sales`` was, a ``sales`` of the wrong shape.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from stockcycle.errors import InputError
from stockcycle.ingest import parse_file
from stockcycle.store import DB_FILE, Workspace
from stockcycle.ui.shared import restore_workspace, workspace_bytes

SALES = b"date,sku,units\n2025-03-01,A,3\n2025-03-02,A,5\n2025-03-01,B,2\n"
MORE = b"date,sku,units\n2025-03-03,C,7\n"


def _workspace(tmp_path: Path) -> Workspace:
    ws = Workspace.open(tmp_path / "shop")
    ws.import_files([parse_file(SALES, "sales.csv")])
    return ws


def _hostile(tmp_path: Path, *sql: str) -> bytes:
    """A download of the test workspace with ``sql`` run on it."""
    path = tmp_path / "hostile.sqlite"
    path.write_bytes(workspace_bytes(_workspace(tmp_path).db_path))
    con = sqlite3.connect(path)
    try:
        for statement in sql:
            con.executescript(statement)
        con.commit()
    finally:
        con.close()
    return path.read_bytes()


def _schema(db: Path) -> set[tuple[str, str]]:
    con = sqlite3.connect(db)
    try:
        return set(con.execute("SELECT type, name FROM sqlite_master"))
    finally:
        con.close()


def test_download_then_restore_gives_the_same_rows(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    ws.set_override("A", "lead_time_days", 30)
    restored = restore_workspace(workspace_bytes(ws.db_path), "shop.sqlite", tmp_path / "r")
    back = Workspace.open(restored.parent, create=False)
    pd_cols = ["date", "sku", "units"]
    assert back.read("sales")[pd_cols].equals(ws.read("sales")[pd_cols])
    assert back.imports()["file_name"].tolist() == ["sales.csv"]
    assert back.overrides() == ws.overrides()
    assert _schema(restored) == _schema(ws.db_path)
    assert sorted(p.name for p in restored.parent.iterdir()) == [DB_FILE]
    # And it is an ordinary workspace afterwards: the next import gets the next import id.
    back.import_files([parse_file(MORE, "more.csv")])
    assert sorted(zip(back.imports()["id"], back.imports()["file_name"], strict=True)) == [
        (1, "sales.csv"),
        (2, "more.csv"),
    ]


def test_a_trigger_in_the_file_does_not_survive(tmp_path: Path) -> None:
    data = _hostile(
        tmp_path,
        "CREATE TRIGGER wipe AFTER INSERT ON imports BEGIN DELETE FROM sales; END",
        "CREATE VIEW extra AS SELECT 1",
        "CREATE TABLE unknown (x)",
    )
    restored = restore_workspace(data, "shop.sqlite", tmp_path / "r")
    names = {name for _, name in _schema(restored)}
    assert not {"wipe", "extra", "unknown"} & names
    ws = Workspace.open(restored.parent, create=False)
    ws.import_files([parse_file(MORE, "more.csv")])
    assert ws.read("sales").groupby("sku")["units"].sum().to_dict() == {
        "A": 8.0,
        "B": 2.0,
        "C": 7.0,
    }


def test_a_recursive_view_named_sales_is_refused_quickly(tmp_path: Path) -> None:
    data = _hostile(
        tmp_path,
        "DROP TABLE sales",
        "CREATE VIEW sales AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
        "SELECT i AS date, 'x' AS sku, 'c' AS channel, 1.0 AS units, 0.0 AS returns, "
        "0.0 AS revenue, 0.0 AS price, 'USD' AS currency, 1 AS source_id FROM n",
    )
    start = time.perf_counter()
    with pytest.raises(InputError, match="'sales' is a view") as caught:
        restore_workspace(data, "evil.sqlite", tmp_path / "r")
    assert time.perf_counter() - start < 2
    assert caught.value.file == "evil.sqlite"
    assert not (tmp_path / "r" / DB_FILE).exists()
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == []


def test_a_sales_table_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    data = _hostile(tmp_path, "DROP TABLE sales", "CREATE TABLE sales (day TEXT, qty TEXT)")
    with pytest.raises(InputError) as caught:
        restore_workspace(data, "odd.sqlite", tmp_path / "r")
    message = str(caught.value)
    assert "odd.sqlite" in message and "table 'sales'" in message
    assert "day TEXT" in message and "expected" in message and '"date" TEXT' not in message
    assert not (tmp_path / "r" / DB_FILE).exists()


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("UPDATE sales SET units = 'many'", "column 'units' holds a value not of type REAL"),
        (
            "UPDATE sales SET date = 'March' WHERE sku = 'B'",
            "column 'date' holds a value that is not a date",
        ),
        # The same columns without our constraints: the fresh table enforces them.
        (
            "ALTER TABLE sales RENAME TO old; CREATE TABLE sales (date TEXT, sku TEXT, "
            "channel TEXT, units REAL, returns REAL, revenue REAL, price REAL, currency TEXT, "
            "source_id INTEGER); INSERT INTO sales SELECT * FROM old; "
            "INSERT INTO sales SELECT * FROM old",
            "UNIQUE constraint failed",
        ),
        ("DROP TABLE imports", "no import log"),
    ],
)
def test_wrong_values_are_refused_with_the_table_and_column(
    tmp_path: Path, sql: str, words: str
) -> None:
    with pytest.raises(InputError, match=words):
        restore_workspace(_hostile(tmp_path, sql), "bad.sqlite", tmp_path / "r")
    assert not (tmp_path / "r" / DB_FILE).exists()


def test_a_slow_file_is_stopped_by_the_time_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stockcycle.store as store

    monkeypatch.setattr(store, "RESTORE_SECONDS", 0.0)
    monkeypatch.setattr(store, "RESTORE_PROGRESS_STEPS", 1)
    with pytest.raises(InputError, match="took more than"):
        restore_workspace(_hostile(tmp_path), "slow.sqlite", tmp_path / "r")


# -- shared mode: idle session folders and the per-visitor cap (issue 12 item 9) ---------------


@pytest.fixture
def session_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private session root for this test (the server's is per process)."""
    from stockcycle.ui import shared

    root = tmp_path / "sessions"
    root.mkdir()
    monkeypatch.setattr(shared, "_session_root", root)
    monkeypatch.setattr(shared, "_last_sweep", 0.0)
    return root


def test_idle_session_folders_are_removed_and_used_ones_kept(session_root: Path) -> None:
    from stockcycle.ui import shared

    left = shared.new_session_dir()
    ws_left = Workspace.open(left / "shop")
    ws_left.import_files([parse_file(SALES, "sales.csv")])
    kept = shared.new_session_dir()
    Workspace.open(kept / "mine")
    # The visitor who left last used the folder 4 hours and 1 minute ago; the other, 2 hours.
    now = time.time()
    old = now - shared.SESSION_IDLE_SECONDS - 60
    os.utime(left, (old, old))
    os.utime(kept, (now - 7200, now - 7200))
    gone = shared.clean_idle_sessions(now=now, force=True)
    assert gone == [left] and not left.exists()
    assert (kept / "mine" / DB_FILE).is_file()
    # A page run of the remaining visitor marks the folder as used now.
    shared.touch_session(kept / "mine")
    assert kept.stat().st_mtime >= now - 1


def test_sweeps_are_throttled_unless_forced(session_root: Path) -> None:
    from stockcycle.ui import shared

    folder = shared.new_session_dir()  # a forced sweep: _last_sweep is now
    old = time.time() - shared.SESSION_IDLE_SECONDS - 60
    os.utime(folder, (old, old))
    assert shared.clean_idle_sessions() == []  # within SWEEP_EVERY_SECONDS of the last one
    assert folder.exists()
    later = time.time() + shared.SWEEP_EVERY_SECONDS + 1
    assert shared.clean_idle_sessions(now=later) == [folder]


def test_a_session_workspace_past_the_cap_is_refused(
    session_root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from stockcycle.ui import shared

    ws = _workspace(tmp_path)
    data = workspace_bytes(ws.db_path)
    monkeypatch.setattr(shared, "MAX_SESSION_BYTES", len(data) - 1)
    folder = shared.new_session_dir() / "shop"
    with pytest.raises(InputError, match="keeps at most") as exc:
        restore_workspace(data, "shop.sqlite", folder)
    assert exc.value.file == "shop.sqlite"
    assert not (folder / DB_FILE).exists()
    # An import into a session workspace that already holds the cap is refused too; local
    # workspaces (outside the session root) have no cap.
    monkeypatch.setattr(shared, "MAX_SESSION_BYTES", len(data) * 4)
    restored = restore_workspace(data, "shop.sqlite", folder)
    shared.check_session_size(restored.parent)
    with pytest.raises(InputError, match="your workspace would hold"):
        shared.check_session_size(restored.parent, adding=len(data) * 4)
    shared.check_session_size(ws.path, adding=len(data) * 100)
