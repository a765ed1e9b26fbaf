"""Shared fixtures.

- ``home`` (autouse): every test gets its own empty data directory (``STOCKCYCLE_HOME``), runs
  in local (not shared) mode, and starts and ends with an empty ``st.cache_data`` (it persists
  across AppTest instances in one pytest process).
- ``fixed_today`` (autouse): "today" (``stockcycle.datadate.today``, R-T1) is the sample's data
  date, so pages and plans of the sample show no stale-data warning and no overdue orders
  whatever the day the tests run; a test about stale data sets another day itself.
- ``sample_db``: the sample workspace loaded once per test session; ``sample_workspace``
  gives each test its own copy of it inside ``home``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

# Hypothesis keeps its files (.hypothesis/) in the temporary folder, not in the checkout, and no
# example database: every run starts fresh, and the tests write only under temporary folders.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / "stockcycle-hypothesis")
)
from hypothesis import settings  # noqa: E402 - reads the storage directory when imported

ROOT = Path(__file__).resolve().parents[1]
settings.register_profile("stockcycle", database=None)
settings.load_profile("stockcycle")
#: The sample's data date: its last sales day and inventory snapshot (R-T1).
SAMPLE_DATA_DATE = date(2026, 10, 31)


def _clear_streamlit_caches() -> None:
    # Only when a test has imported streamlit: plain unit tests should not pay for the import.
    if "streamlit" in sys.modules:
        import streamlit as st

        st.cache_data.clear()


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private, empty data directory for this test (``STOCKCYCLE_HOME``)."""
    path = tmp_path / "stockcycle-home"
    path.mkdir()
    monkeypatch.setenv("STOCKCYCLE_HOME", str(path))
    monkeypatch.delenv("STOCKCYCLE_SHARED", raising=False)
    _clear_streamlit_caches()
    yield path
    _clear_streamlit_caches()


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> date:
    """Today is the sample's data date (``datadate.today``, read by the pages and the CLI)."""
    from stockcycle import datadate

    monkeypatch.setattr(datadate, "today", lambda: SAMPLE_DATA_DATE)
    return SAMPLE_DATA_DATE


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a ``workspace.sqlite`` holding the sample workspace, loaded once."""
    from stockcycle.sample import SAMPLE_DIR, load_sample
    from stockcycle.store import Workspace

    # The sample is committed: a missing manifest is a broken checkout, not a reason to skip.
    assert (SAMPLE_DIR / "manifest.json").is_file(), (
        f"no sample data in {SAMPLE_DIR}: run 'stockcycle sample --out sample_data'"
    )
    ws = Workspace.open(tmp_path_factory.mktemp("sample") / "sample")
    load_sample(ws)
    return ws.db_path


@pytest.fixture
def sample_workspace(sample_db: Path, home: Path):
    """A fresh copy of the sample workspace named ``sample`` in this test's data directory."""
    from stockcycle.store import DB_FILE, Workspace, workspaces_dir

    folder = workspaces_dir() / "sample"
    folder.mkdir(parents=True)
    shutil.copyfile(sample_db, folder / DB_FILE)
    return Workspace.open(folder, create=False)


@pytest.fixture(scope="session")
def sample_forecast_db(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample workspace with its forecast batch already run (a warm forecast cache), for
    tests of what comes after the forecast: restock plans, stage pages."""
    from stockcycle.forecast import run_batch
    from stockcycle.store import DB_FILE, Workspace

    folder = tmp_path_factory.mktemp("sample-forecast") / "sample"
    folder.mkdir()
    shutil.copyfile(sample_db, folder / DB_FILE)
    ws = Workspace.open(folder, create=False)
    run_batch(ws, workers=1)
    return ws.db_path


@pytest.fixture
def forecast_workspace(sample_forecast_db: Path, home: Path):
    """A fresh copy of the sample workspace with a warm forecast cache, named ``sample``."""
    from stockcycle.store import DB_FILE, Workspace, workspaces_dir

    folder = workspaces_dir() / "sample"
    folder.mkdir(parents=True)
    shutil.copyfile(sample_forecast_db, folder / DB_FILE)
    return Workspace.open(folder, create=False)
