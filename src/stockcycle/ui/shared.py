"""Shared deployment: mode detection and the one-file workspace copy (no streamlit here).

Locally the app lists and opens the workspaces in the data directory. On a shared deployment
(many visitors on one server, e.g. Streamlit Community Cloud) a visitor must never see, list or
open another visitor's workspace, so each browser session works in its own fresh temporary
directory and takes its data home as one ``.sqlite`` file (DESIGN.md, "Deployment and
privacy").
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stockcycle.errors import InputError
from stockcycle.store import DB_FILE, restore_workspace_file

_TRUE = {"1", "true", "yes", "on"}
_session_root: Path | None = None
_last_sweep = 0.0

# A session folder nobody has used for this long belongs to a visitor who has left (Streamlit
# ends a closed tab's session without telling the app): it is deleted, with its workspace and
# any upload, by the next visitor's page run. Every page run of the owner marks the folder as
# used (``touch_session``), so a seller who reads a page every few hours keeps it. The sidebar
# tells visitors to download their workspace to keep it.
SESSION_IDLE_SECONDS = 4 * 3600
# Idle folders are looked for at most this often (a directory listing per page run is cheap,
# but there is no need for it on every click).
SWEEP_EVERY_SECONDS = 60
# The most one visitor's workspace may hold on a shared server, upload or imports: a large
# seller's three years of daily sales for 2,000 SKUs take about 150 MB, so 512 MB leaves room
# for any real account while a handful of visitors cannot fill the server's disk.
MAX_SESSION_BYTES = 512 * 1024 * 1024


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return str(value).strip().lower() in _TRUE


def shared_mode(env: Mapping[str, str], secrets: Mapping[str, Any] | None) -> bool:
    """True when the app runs as a shared deployment.

    On when the environment has ``STOCKCYCLE_SHARED`` set to 1/true/yes/on, or the secrets hold
    ``[stockcycle] shared = true``. Anything else (missing, empty, malformed) means local mode.
    """
    if _truthy(env.get("STOCKCYCLE_SHARED", "")):
        return True
    section = (secrets or {}).get("stockcycle")
    if isinstance(section, Mapping):
        return _truthy(section.get("shared", False))
    return False


def new_session_dir() -> Path:
    """A fresh private directory for one browser session's workspace.

    All of them sit under one per-process temporary root (mode 0700, from ``tempfile``) that is
    removed when the server exits; the data directory is never used in shared mode.
    """
    global _session_root
    if _session_root is None or not _session_root.is_dir():
        _session_root = Path(tempfile.mkdtemp(prefix="stockcycle-sessions-"))
        atexit.register(shutil.rmtree, _session_root, True)
    clean_idle_sessions(force=True)
    return Path(tempfile.mkdtemp(prefix="ws-", dir=_session_root))


def session_dir_of(path: str | Path) -> Path | None:
    """The session folder (``<root>/ws-...``) holding the workspace at ``path``, or None when
    ``path`` is not in one (local mode)."""
    if _session_root is None:
        return None
    p = Path(path).resolve()
    root = _session_root.resolve()
    if p.parent == root:
        return p
    return p.parent if p.parent.parent == root else None


def touch_session(path: str | Path) -> None:
    """Mark the session folder of the workspace at ``path`` as used now (see
    ``SESSION_IDLE_SECONDS``), and sweep other idle folders now and then."""
    folder = session_dir_of(path)
    if folder is not None and folder.is_dir():
        os.utime(folder)
    clean_idle_sessions()


def clean_idle_sessions(now: float | None = None, *, force: bool = False) -> list[Path]:
    """Delete the session folders not used for ``SESSION_IDLE_SECONDS`` (their workspace, any
    upload). At most once per ``SWEEP_EVERY_SECONDS`` unless ``force``. Returns what went."""
    global _last_sweep
    now = time.time() if now is None else now
    if _session_root is None or not _session_root.is_dir():
        return []
    if not force and now - _last_sweep < SWEEP_EVERY_SECONDS:
        return []
    _last_sweep = now
    gone = []
    for folder in _session_root.glob("ws-*"):
        try:
            idle = now - folder.stat().st_mtime
        except OSError:  # removed by another thread's sweep
            continue
        if idle > SESSION_IDLE_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)
            gone.append(folder)
    return gone


def _folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def check_session_size(path: str | Path, adding: int = 0) -> None:
    """Refuse (``InputError``) when the session folder of the workspace at ``path`` would hold
    more than ``MAX_SESSION_BYTES`` with ``adding`` more bytes. Nothing in local mode."""
    folder = session_dir_of(path)
    if folder is None:
        return
    size = _folder_bytes(folder) if folder.is_dir() else 0
    if size + adding > MAX_SESSION_BYTES:
        raise InputError(
            f"this shared server keeps at most {MAX_SESSION_BYTES // (1024 * 1024):,} MB per "
            f"visitor, and your workspace would hold {(size + adding) / (1024 * 1024):,.0f} MB",
            expected="fewer or smaller files; for a bigger account run stockcycle on your "
            "own computer",
        )


def workspace_bytes(db_path: Path) -> bytes:
    """A consistent copy of a workspace database as bytes (SQLite's own serialisation, so a
    write in progress never yields a torn file)."""
    con = sqlite3.connect(db_path)
    try:
        return con.serialize()
    finally:
        con.close()


def restore_workspace(data: bytes, file_name: str, folder: Path) -> Path:
    """Make a fresh workspace in ``folder`` from an uploaded workspace file.

    The upload is never opened as the workspace: ``restore_workspace_file`` reads its known
    tables read-only and copies their rows into a database our own code creates, so no trigger,
    view or other object in the file survives. Anything that is not a stockcycle workspace
    raises ``InputError`` and leaves ``folder`` without a database. Returns the database path.
    """
    if len(data) > MAX_SESSION_BYTES:
        raise InputError(
            f"this workspace file is {len(data) / (1024 * 1024):,.0f} MB; this shared server "
            f"keeps at most {MAX_SESSION_BYTES // (1024 * 1024):,} MB per visitor",
            file=file_name,
            expected="a smaller workspace, or stockcycle run on your own computer",
        )
    if not data.startswith(b"SQLite format 3\x00"):
        raise InputError(
            "this is not a stockcycle workspace file",
            file=file_name,
            expected="a workspace file downloaded from stockcycle (.sqlite)",
        )
    folder.mkdir(parents=True, exist_ok=True)
    upload = folder / (DB_FILE + ".upload")
    upload.write_bytes(data)
    try:
        return restore_workspace_file(upload, file_name, folder)
    finally:
        upload.unlink(missing_ok=True)
