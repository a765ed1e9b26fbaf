"""A real crash: an import killed with SIGKILL while SQLite is writing the database file.

The workspace must read back exactly as it was before the import started (SQLite rolls the hot
journal back on the next open) and pass ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from stockcycle.ingest.result import ParsedFile
from stockcycle.settings import Settings
from stockcycle.store import Workspace

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

# ~2 million sales rows: about 160 MB of database written over several seconds, far more than
# SQLite's 2 MB page cache, so the transaction spills pages into the database file long before
# it commits.
BIG_IMPORT = textwrap.dedent("""
    import sys
    import numpy as np
    import pandas as pd
    from stockcycle.ingest.result import ParsedFile
    from stockcycle.store import Workspace

    n = 2_000_000
    i = np.arange(n)
    sales = pd.DataFrame({
        "date": pd.Timestamp("2015-01-01") + pd.to_timedelta(i // 1000, unit="D"),
        "sku": "K" + pd.Series(i % 1000).astype(str),
        "channel": "Amazon.com",
        "units": (i % 7).astype(float),
    })
    Workspace.open(sys.argv[1]).import_files(
        [ParsedFile("big.csv", "generic_sales", "Generic sales table", {"sales": sales}, n)])
    print("committed", flush=True)
""")


def snapshot(db_path: Path) -> tuple[str, dict[str, int]]:
    """(sha256 of a full SQL dump, rows per table) of a database."""
    con = sqlite3.connect(db_path)
    try:
        text = "\n".join(con.iterdump())
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        counts = {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()
    return hashlib.sha256(text.encode()).hexdigest(), counts


def seed(ws: Workspace) -> None:
    days = pd.date_range("2025-03-01", periods=30)
    sales = pd.DataFrame(
        {"date": days, "sku": "A", "channel": "Amazon.com", "units": [float(d.day) for d in days]}
    )
    products = pd.DataFrame({"sku": ["A"], "title": ["Garlic press"], "unit_cost": [3.2]})
    ws.import_files(
        [
            ParsedFile(
                "march.csv",
                "generic_sales",
                "Generic sales table",
                {"sales": sales, "products": products},
                30,
            )
        ]
    )
    ws.save_settings(Settings(launch_cover_days=40))
    ws.save_plan("launch", "first order", pd.DataFrame({"sku": ["A"], "units": [2250]}))


# Kill once this much has been written: about a fifth of the import, so a store that committed
# in slices (instead of once per import) would already have made some rows permanent.
WRITTEN_BEFORE_KILL = 32 * 2**20


def wait_for_write_in_progress(
    proc: subprocess.Popen, db_path: Path, size_before: int, timeout: float = 180.0
) -> None:
    """Return once the import has written ``WRITTEN_BEFORE_KILL`` bytes of uncommitted pages.

    Rollback-journal mode: the ``-journal`` file exists and the database file has grown that
    much past its size before the import. WAL mode: the ``-wal`` file holds that much.
    """
    journal = db_path.with_name(db_path.name + "-journal")
    wal = db_path.with_name(db_path.name + "-wal")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(
                f"the import ended (status {proc.returncode}) before it was seen "
                f"writing:\n{out}\n{err}"
            )
        try:
            if journal.exists() and db_path.stat().st_size > size_before + WRITTEN_BEFORE_KILL:
                return
            if wal.exists() and wal.stat().st_size > WRITTEN_BEFORE_KILL:
                return
        except FileNotFoundError:  # the journal vanished between the two checks
            pass
        time.sleep(0.005)
    pytest.fail("the import never started writing the database file")


def test_an_import_killed_mid_write_leaves_the_workspace_as_before(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "shop")
    seed(ws)
    digest_before, counts_before = snapshot(ws.db_path)
    size_before = ws.db_path.stat().st_size

    proc = subprocess.Popen(
        [sys.executable, "-c", BIG_IMPORT, str(ws.path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    try:
        wait_for_write_in_progress(proc, ws.db_path, size_before)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    out = proc.stdout.read() if proc.stdout else ""
    assert "committed" not in out
    # The crash left a hot journal and a database file holding uncommitted pages...
    assert ws.db_path.with_name(ws.db_path.name + "-journal").exists()
    assert ws.db_path.stat().st_size > size_before

    # ...which the next open rolls back: the seller sees exactly what was there before.
    reopened = Workspace.open(ws.path, create=False)
    assert reopened.row_counts()["sales"] == 30
    assert reopened.read("sales")["units"].sum() == 465  # 1 + 2 + ... + 30
    assert reopened.read("products")["unit_cost"].tolist() == [3.2]
    assert reopened.settings().launch_cover_days == 40
    assert reopened.imports()["file_name"].tolist() == ["march.csv"]
    digest_after, counts_after = snapshot(ws.db_path)
    assert counts_after == counts_before
    assert digest_after == digest_before
    con = sqlite3.connect(ws.db_path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        con.close()
    assert not ws.db_path.with_name(ws.db_path.name + "-journal").exists()
